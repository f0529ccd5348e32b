//! The fixture bundle the tests describe (built once per test process from the fixture
//! upstreams, copied before a test changes it), key pairs, and byte flips.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, OnceLock};

use build_core::pins::Pins;
use build_core::progress::Silent;
use build_core::source::{Mirror, SourceCache};
use build_core::{Linkage, Upstream};
use bundle::{BundleRequest, Outcome, SourcePlan};
use camino::{Utf8Path, Utf8PathBuf};
use test_fixtures::Kind;

/// The host's fixture bundle, built once; never changed by a test (copy it first).
pub fn fixture() -> &'static Utf8Path {
    static BUNDLE: OnceLock<Utf8PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        // SAFETY: every test calls `fixture()` first; the others wait on this initialiser.
        unsafe { std::env::set_var("GOCACHE", test_fixtures::go_cache()) };
        let root = Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("provenance-bundle");
        let upstream = root.join("upstream");
        let _ = std::fs::remove_dir_all(&upstream);
        let repos: Vec<_> = Kind::ALL
            .iter()
            .map(|k| (*k, k.create(&upstream)))
            .collect();
        let refs: Vec<_> = repos.iter().map(|(k, r)| (*k, r)).collect();
        let pins = Pins::parse(&root.join("pins.lock"), &test_fixtures::pins_lock(&refs)).unwrap();
        let mirrors: Vec<(Upstream, Mirror)> = repos
            .iter()
            .map(|(k, r)| (k.name().parse().unwrap(), Mirror::Path(r.path.clone())))
            .collect();
        let cache = SourceCache::new(root.join("cache")).unwrap();
        let plan = SourcePlan::new(pins, cache, &mirrors, &[]).unwrap();
        let mut request = BundleRequest::new(&plan, bundle::COMPONENTS.to_vec(), root.join("out"));
        request.linkage = Linkage::Static;
        request.jobs = 2;
        match bundle::build_bundle(&request, Arc::new(Silent)) {
            Ok(Outcome::Published(published)) => published.dir,
            Ok(Outcome::Built(_)) => panic!("nothing was published"),
            Err(e) => panic!("building the fixture bundle: {e}"),
        }
    })
}

/// A copy of the fixture bundle in a folder of its own: `(its parent, the bundle folder)`.
pub fn bundle_copy() -> (tempfile::TempDir, Utf8PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let to = root.join(fixture().file_name().unwrap());
    copy_tree(fixture(), &to);
    (dir, to)
}

fn copy_tree(from: &Utf8Path, to: &Utf8Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in from.read_dir_utf8().unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A P-256 key pair, as the docs make one: `(private, public)`.
pub use test_fixtures::signing_key_pair as key_pair;

/// Flips every bit of the byte in the middle of `path`.
pub fn flip_byte(path: &Utf8Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

/// A test run's details: a fixed builder and invocation, this checkout's dockyard.
pub fn run() -> provenance::Run {
    let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockyard = provenance::Dockyard::of_tree(root);
    provenance::Run::new(Some("https://ci.example/jobs/42".into()), dockyard).unwrap()
}
