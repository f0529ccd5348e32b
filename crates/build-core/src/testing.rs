//! Test helpers: a fixture upstream turned into a source and build options, in a temp dir.
//!
//! Only with the `testing` feature, for the component crates' integration tests.

use std::sync::Arc;

use camino::Utf8PathBuf;
pub use test_fixtures::{FixtureRepo, Kind};

use crate::build::BuildOptions;
use crate::component::ReleaseLine;
use crate::pins::{Pin, Pins};
use crate::platform::Linkage;
use crate::process::LoggedCommand;
use crate::progress::Recorded;
use crate::source::{Mirror, Patch, SourceCache, SourceRequest};
use crate::upstream::Upstream;

/// A fixture upstream, its prepared source and options to build it; all under one temp dir.
pub struct FixtureBuild {
    /// Holds everything; removed on drop.
    pub dir: tempfile::TempDir,
    /// The fixture repository (a working tree).
    pub repo: FixtureRepo,
    /// Options building the pinned checkout into `<dir>/out`.
    pub opts: BuildOptions,
    /// What the build reported.
    pub progress: Arc<Recorded>,
}

impl FixtureBuild {
    /// Creates the `kind` fixture, pins its HEAD, and prepares it through a path mirror.
    pub fn pinned(kind: Kind, linkage: Linkage) -> FixtureBuild {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).expect("utf-8 temp dir");
        let repo = kind.create(&root.join("upstream"));
        let pin = fixture_pin(kind, &repo);
        let request = SourceRequest::Pinned {
            mirror: Some(Mirror::Path(repo.path.clone())),
            pin: pin.clone(),
        };
        Self::prepare(dir, root, repo, &request, linkage)
    }

    /// Builds the `kind` fixture's working tree as it is (edit `repo` first to make it dirty).
    pub fn working_tree(
        kind: Kind,
        linkage: Linkage,
        edit: impl FnOnce(&FixtureRepo),
    ) -> FixtureBuild {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).expect("utf-8 temp dir");
        let repo = kind.create(&root.join("upstream"));
        let pin = fixture_pin(kind, &repo);
        edit(&repo);
        let request = SourceRequest::WorkingTree {
            pin,
            path: repo.path.clone(),
        };
        Self::prepare(dir, root, repo, &request, linkage)
    }

    /// Pins the `kind` fixture, commits `edit` on top, and builds the pin with that commit as a
    /// format-patch (`dir/patches/0001.patch`) applied.
    pub fn patched(kind: Kind, linkage: Linkage, edit: impl FnOnce(&FixtureRepo)) -> FixtureBuild {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).expect("utf-8 temp dir");
        let mut repo = kind.create(&root.join("upstream"));
        let pin = fixture_pin(kind, &repo);
        edit(&repo);
        repo.commit("the patch");
        let file = root.join("patches/0001.patch");
        std::fs::create_dir_all(root.join("patches")).expect("mkdir");
        std::fs::write(&file, repo.format_patch()).expect("write patch");
        let request = SourceRequest::Patched {
            mirror: Some(Mirror::Path(repo.path.clone())),
            patches: vec![Patch::read(&file).expect("read patch")],
            pin: pin.clone(),
        };
        Self::prepare(dir, root, repo, &request, linkage)
    }

    fn prepare(
        dir: tempfile::TempDir,
        root: Utf8PathBuf,
        repo: FixtureRepo,
        request: &SourceRequest,
        linkage: Linkage,
    ) -> FixtureBuild {
        let progress = Arc::new(Recorded::default());
        let cache = SourceCache::new(root.join("cache")).expect("cache");
        let source = cache
            .prepare(request, progress.as_ref())
            .expect("prepare fixture source");
        // The fixtures' Docker release is the moby fixture's (29.7.2); a test of another
        // release's shape sets `docker_release`.
        let docker_release = ReleaseLine::parse(Kind::Moby.version())
            .expect("the moby fixture's version is a release");
        let mut opts =
            BuildOptions::new(source, docker_release, root.join("out"), root.join("work"));
        opts.linkage = linkage;
        opts.go_cache = Some(test_fixtures::go_cache());
        opts.progress = progress.clone();
        FixtureBuild {
            dir,
            repo,
            opts,
            progress,
        }
    }
}

impl FixtureBuild {
    /// Builds with a Go build cache of its own, empty at first, instead of the one the tests
    /// share: two builds that must agree byte for byte share no compiled package.
    pub fn with_own_go_cache(mut self) -> FixtureBuild {
        let cache =
            Utf8PathBuf::from_path_buf(self.dir.path().join("gocache")).expect("utf-8 temp dir");
        self.opts.go_cache = Some(cache);
        self
    }
}

/// The pin of a fixture repository at its HEAD.
pub(crate) fn fixture_pin(kind: Kind, repo: &FixtureRepo) -> Pin {
    let pins = Pins::parse(
        "pins.lock".into(),
        &test_fixtures::pins_lock(&[(kind, repo)]),
    )
    .expect("fixture pins");
    let upstream: Upstream = kind.name().parse().expect("known upstream");
    pins.get(upstream).expect("pinned").clone()
}

/// Runs a built binary with `args` and returns its stdout; panics with its stderr on failure.
pub fn run(binary: &camino::Utf8Path, args: &[&str]) -> String {
    let out = LoggedCommand::new(binary.as_str())
        .args(args.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    assert!(
        out.status.success(),
        "{binary} {args:?} failed: {}",
        out.stderr
    );
    out.stdout
}
