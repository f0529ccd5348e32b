//! The bundles the tests push: a fixture bundle for the host and one for another architecture,
//! built once per test process; a registry; and ways to look at what was pushed.
#![allow(dead_code, unreachable_pub)]

use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, OnceLock};

use build_core::pins::Pins;
use build_core::progress::Silent;
use build_core::source::{Mirror, SourceCache};
use build_core::{Linkage, Target, Upstream};
use bundle::{BundleRequest, GoChoice, Outcome, SourcePlan};
use camino::{Utf8Path, Utf8PathBuf};
use engine::Registry;
use oci_store::{RegistryOptions, Repository};
use test_fixtures::Kind;

pub const VERSION: &str = "29.7.2";
pub const TAG: &str = "29.7.2";

/// The two fixture bundles every test pushes (never changed by a test: copy first).
pub struct Fixtures {
    pub host: Utf8PathBuf,
    pub other: Utf8PathBuf,
    pub other_target: Target,
}

/// Builds the fixture bundles once per run, under Cargo's temporary folder for integration
/// tests: the artifact cache there makes a second run publish without building.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        // The bundle's Go builds read GOCACHE from the environment: the tests' shared one,
        // never the user's. SAFETY: every test calls `fixtures()` before anything else, so the
        // other test threads wait on this initialiser and none reads the environment now.
        unsafe { std::env::set_var("GOCACHE", test_fixtures::go_cache()) };
        let root = Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oci-store-bundles");
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
        // Besides the host's: linux/arm64 (linux/amd64 on an arm64 host).
        let other = ["linux/arm64", "linux/amd64"][usize::from(Target::host().arch == "arm64")];
        let other_target = Target::parse(other).unwrap();
        let build = |target: &Target, out: Utf8PathBuf| {
            let mut request = BundleRequest::new(&plan, bundle::COMPONENTS.to_vec(), out);
            request.linkage = Linkage::Static;
            request.target = target.clone();
            request.jobs = 2;
            request.publish = true;
            request.go = GoChoice::Pinned;
            match bundle::build_bundle(&request, Arc::new(Silent)) {
                Ok(Outcome::Published(published)) => published.dir,
                Ok(Outcome::Built(_)) => panic!("nothing was published"),
                Err(e) => panic!("building the {target} fixture bundle: {e}"),
            }
        };
        let started = std::time::Instant::now();
        let host = build(&Target::host(), root.join("out/host"));
        let other = build(&other_target, root.join("out/other"));
        eprintln!(
            "fixture bundles ready in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        Fixtures {
            host,
            other,
            other_target,
        }
    })
}

impl Fixtures {
    /// Both bundles, the host's first.
    pub fn both(&self) -> [Utf8PathBuf; 2] {
        [self.host.clone(), self.other.clone()]
    }
}

/// The digest `SHA256SUMS` gives a file of `bundle`.
pub fn digest_of(bundle: &Utf8Path, path: &str) -> String {
    let manifest = bundle::Manifest::read(bundle).unwrap();
    let file = manifest.files.iter().find(|f| f.path == path).unwrap();
    format!("sha256:{}", file.sha256)
}

pub fn utf8(dir: &tempfile::TempDir) -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap()
}

pub fn registry() -> Registry {
    Registry::start(None).expect("Debian's docker-registry must be installed (.ci/run installs it)")
}

pub fn open(registry: &Registry) -> Repository {
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    Repository::open(&format!("{}/team/docker", registry.address()), &options).unwrap()
}

/// Every file under `dir`: its relative path, bytes and permission bits.
pub fn snapshot(dir: &Utf8Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in d.read_dir_utf8().unwrap() {
            let path = entry.unwrap().path().to_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().to_string();
                let bytes = std::fs::read(&path).unwrap();
                out.push((name, bytes, meta.permissions().mode() & 0o7777));
            }
        }
    }
    out.sort();
    out
}

/// A copy of a bundle folder (files and modes) to damage.
pub fn copy_bundle(from: &Utf8Path, to: &Utf8Path) {
    for (name, bytes, mode) in snapshot(from) {
        let path = to.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The index or image manifest `reference` names.
pub fn fetch<T: serde::de::DeserializeOwned>(repo: &Repository, reference: &str) -> T {
    let (bytes, _) = repo.manifest(reference).unwrap().expect("it is there");
    serde_json::from_slice(&bytes).unwrap()
}

/// Where distribution keeps a blob's bytes.
pub fn blob_data(registry: &Registry, digest: &str) -> Utf8PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    registry.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ))
}

/// The names in `dir`, sorted.
pub fn names_in(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = dir
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    names.sort();
    names
}
