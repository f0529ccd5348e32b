//! What another Rust tool gets from this crate alone: the runc the bundle builds, byte for byte
//! (on the fixtures), from runc's source only. The bundle builds with the pinned Go and stamps
//! each component with its own commit's time, so [`runc_build::PinnedSource`] gives the bundle's
//! options without reading any other upstream.

use std::sync::Arc;

use build_core::progress::Recorded;
use bundle::{BundleRequest, GoChoice, Outcome, SourcePlan};
use camino::Utf8Path;
use test_fixtures::{FixtureRepo, Kind};

#[test]
fn runc_built_with_this_crate_alone_is_the_bundles_runc() {
    let dir = tempfile::tempdir().unwrap();
    let root = camino::Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    // The only test in this file: the bundle's Go builds read GOCACHE from the environment.
    // SAFETY: no other thread of this test binary reads the environment.
    unsafe { std::env::set_var("GOCACHE", root.join("gocache-bundle")) };
    let mut repos: Vec<(Kind, FixtureRepo)> = [
        Kind::Cli,
        Kind::Containerd,
        Kind::Moby,
        Kind::Runc,
        Kind::Tini,
    ]
    .into_iter()
    .map(|k| (k, k.create(&root.join("upstream"))))
    .collect();
    // moby's newest commit is newer than runc's: the set's epoch (the tarballs') is not runc's.
    let moby = &mut repos.iter_mut().find(|(k, _)| *k == Kind::Moby).unwrap().1;
    moby.write("NEWS", "later\n");
    moby.commit_at("later", 1_800_000_000);
    let refs: Vec<(Kind, &FixtureRepo)> = repos.iter().map(|(k, r)| (*k, r)).collect();
    let pins_path = root.join("pins.lock");
    std::fs::write(&pins_path, test_fixtures::pins_lock(&refs)).unwrap();
    let mirrors: Vec<(build_core::Upstream, build_core::source::Mirror)> = repos
        .iter()
        .map(|(k, r)| {
            (
                k.name().parse().unwrap(),
                build_core::source::Mirror::Path(r.path.clone()),
            )
        })
        .collect();

    // The bundle's runc.
    let plan = SourcePlan::new(
        build_core::pins::Pins::load(&pins_path).unwrap(),
        build_core::source::SourceCache::new(root.join("bundle-cache")).unwrap(),
        &mirrors,
        &[],
    )
    .unwrap();
    let mut request =
        BundleRequest::new(&plan, vec![&runc_build::COMPONENT], root.join("bundle-out"));
    request.linkage = build_core::Linkage::Static;
    request.target = build_core::Target::host();
    request.jobs = 1;
    request.publish = false;
    request.go = GoChoice::Pinned;
    let progress = Arc::new(Recorded::default());
    let Outcome::Built(built) = bundle::build_bundle(&request, progress.clone()).unwrap() else {
        panic!("nothing is published without publish");
    };
    assert_eq!(progress.work(), ["started runc", "ended runc"]);
    let bundles = built[0].artifacts.get("runc").unwrap().sha256.clone();

    // The same, with nothing but runc_build (what examples/build_runc.rs does).
    let alone = {
        use runc_build::{Mirror, PinnedSource, Pins, Silent, SourceCache, Upstream};
        let pins = Pins::load(&pins_path).unwrap();
        let cache = SourceCache::new(root.join("alone-cache")).unwrap();
        let runc = repos.iter().find(|(k, _)| *k == Kind::Runc).unwrap();
        let mirror = Mirror::Path(runc.1.path.clone());
        let runc =
            PinnedSource::prepare(&pins, Upstream::Runc, &cache, Some(mirror), &Silent).unwrap();
        let mut opts = runc.options(root.join("alone-out"), root.join("alone-work"));
        // A compile cache of its own: nothing the bundle compiled is reused.
        opts.go_cache = Some(root.join("gocache-alone"));
        // The bundle's options: runc's own commit time (not moby's newer one) and the pinned Go.
        assert_eq!(opts.source_date_epoch, opts.source.commit_time);
        assert_ne!(opts.source_date_epoch, 1_800_000_000);
        assert_eq!(
            opts.go.as_ref().map(|g| g.version.as_str()),
            Some(pins.go.as_str())
        );
        runc_build::build(&opts).unwrap()
    };
    assert_eq!(alone.get("runc").unwrap().sha256, bundles);
    only_runc_is_fetched(&root.join("alone-cache"));

    // And from a Rust tool outside the workspace that depends on runc-build by path and on
    // nothing else (tests/runc-alone), built by cargo offline.
    let runc_mirror = &repos.iter().find(|(k, _)| *k == Kind::Runc).unwrap().1.path;
    let outside = run_outside_tool(&pins_path, &root, runc_mirror);
    assert_eq!(outside, format!("runc {bundles}\n"));
    only_runc_is_fetched(&root.join("outside-cache"));
}

/// Nothing but runc's source was fetched or checked out into `cache`.
fn only_runc_is_fetched(cache: &Utf8Path) {
    for folder in ["git", "checkouts"] {
        let names: Vec<String> = std::fs::read_dir(cache.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !names.is_empty() && names.iter().all(|n| n.starts_with("runc-")),
            "{cache}/{folder}: {names:?}"
        );
    }
}

/// Builds and runs tests/runc-alone; returns what it printed.
fn run_outside_tool(pins: &Utf8Path, root: &Utf8Path, mirror: &Utf8Path) -> String {
    let workspace = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tool = workspace.join("tests/runc-alone");
    // The workspace's versions of every dependency, so an offline resolution finds them all.
    std::fs::copy(workspace.join("Cargo.lock"), tool.join("Cargo.lock")).unwrap();
    let output = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(tool.join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            Utf8Path::new(env!("CARGO_TARGET_TMPDIR")).join("runc-alone"),
        )
        .env("GOCACHE", root.join("gocache-outside"))
        .arg("--")
        .args([
            pins,
            &root.join("outside-cache"),
            &root.join("outside-out"),
            mirror,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8(output.stdout).unwrap()
}
