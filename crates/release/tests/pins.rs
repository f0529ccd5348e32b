//! `pins VERSION` against fixture repositories shaped like Docker's: a moby with a Dockerfile
//! (and installer scripts in older lines), a docker-ce-packaging with release branches whose
//! `common.mk` names the plugins, and the others with release tags.

use build_core::Upstream;
use build_core::pins::Pins;
use build_core::progress::Silent;
use build_core::source::{Mirror, SourceCache, SourceError};
use camino::Utf8PathBuf;
use release::{DockerVersion, PinOverride, ReleaseError, derive, differences};
use test_fixtures::FixtureRepo;

struct World {
    _dir: tempfile::TempDir,
    root: Utf8PathBuf,
    moby: FixtureRepo,
    packaging: FixtureRepo,
    repos: Vec<(Upstream, FixtureRepo)>,
}

fn dockerfile(go: &str, containerd: &str, runc: &str) -> String {
    let rootlesskit = if go.starts_with("1.26") {
        "v3.0.2"
    } else {
        "v2.3.4"
    };
    // BUILDX_VERSION and COMPOSE_VERSION are the development container's: never the release's.
    format!(
        "# syntax=docker/dockerfile:1\nARG GO_VERSION={go}\nARG DOCKERCLI_VERSION=v29.7.1\nARG BUILDX_VERSION=0.36.0\nARG COMPOSE_VERSION=v5.9.9\nFROM golang AS base\nARG CONTAINERD_VERSION={containerd}\nARG DOCKERCLI_VERSION\nARG RUNC_VERSION={runc}\nARG TINI_VERSION=v0.19.0\nARG ROOTLESSKIT_VERSION={rootlesskit}\n"
    )
}

fn common_mk(buildx: &str, compose: &str) -> String {
    format!(
        "GO_VERSION:=1.26.5\n# DOCKER_COMPOSE_REF is the version of compose to package.\nDOCKER_COMPOSE_REF ?= {compose}\nDOCKER_BUILDX_REF  ?= {buildx}\n"
    )
}

/// docker-ce-packaging: `28.x` branched off with the 28 plugins; `master` bumped for 29 before
/// moby's release commits, and again after them (for the next release).
fn packaging(root: &camino::Utf8Path) -> FixtureRepo {
    let t = test_fixtures::COMMIT_TIME;
    let mut repo = FixtureRepo::create(&root.join("packaging"), &[("README", "0\n")]);
    repo.write("common.mk", &common_mk("v0.28.0", "v2.39.4"));
    repo.commit_at("28 plugins", t - 200);
    let git = git2::Repository::open(&repo.path).unwrap();
    let head = git.head().unwrap().peel_to_commit().unwrap();
    git.branch("28.x", &head, false).unwrap();
    repo.write("common.mk", &common_mk("v0.34.1", "v5.4.0"));
    repo.commit_at("bump for 29.7", t - 100);
    repo.write("common.mk", &common_mk("v0.34.1", "v5.5.0"));
    repo.commit_at("bump compose after 29.7.2", t + 100);
    repo
}

fn installer(name: &str, value: &str) -> String {
    format!("#!/bin/sh\nset -e\n# {name} is documented here\n: \"${{{name}:={value}}}\"\n")
}

/// Each upstream with a tagged commit per release; moby carries a Dockerfile for 29.7.2 and a
/// 28.5.2 with installer scripts too.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let mut moby = FixtureRepo::create(
        &root.join("moby"),
        &[
            ("Dockerfile", &dockerfile("1.24.9", "v1.7.28", "v1.3.3")),
            (
                "hack/dockerfile/install/containerd.installer",
                &installer("CONTAINERD_VERSION", "v1.7.28"),
            ),
            (
                "hack/dockerfile/install/runc.installer",
                &installer("RUNC_VERSION", "v1.3.3"),
            ),
        ],
    );
    moby.tag("v28.5.2", true);
    // From 29 only the Dockerfile declares them.
    moby.remove("hack/dockerfile/install/containerd.installer");
    moby.remove("hack/dockerfile/install/runc.installer");
    moby.write("Dockerfile", &dockerfile("1.26.5", "v2.3.3", "v1.4.3"));
    moby.commit("29.7.0-rc.1");
    moby.tag("docker-v29.7.0-rc.1", true);
    moby.write("NOTES", "29.7.2\n");
    moby.commit("29.7.2");
    moby.tag("docker-v29.7.2", true);
    // Go module tags of moby/moby/v2 and the api module are not releases.
    moby.tag("v2.0.0-beta.1", false);
    moby.tag("api/v1.52.0", true);

    let mut repos = Vec::new();
    for (upstream, tags) in [
        (
            Upstream::Cli,
            vec![("v28.5.2", true), ("v29.7.2", true), ("v29.7.0-rc.1", true)],
        ),
        (
            Upstream::Containerd,
            vec![("v1.7.28", true), ("v2.3.3", false)],
        ),
        (Upstream::Runc, vec![("v1.3.3", true), ("v1.4.3", true)]),
        (Upstream::Tini, vec![("v0.19.0", false)]),
        (
            Upstream::Rootlesskit,
            vec![("v2.3.4", true), ("v3.0.2", true)],
        ),
        (
            Upstream::Buildx,
            vec![("v0.28.0", true), ("v0.34.1", true), ("v0.36.0", true)],
        ),
        (
            Upstream::Compose,
            vec![("v2.39.4", true), ("v5.4.0", true), ("v5.5.0", true)],
        ),
    ] {
        let mut repo = FixtureRepo::create(&root.join(upstream.name()), &[("README", "0\n")]);
        for (tag, annotated) in tags {
            repo.write("README", &format!("{tag}\n"));
            repo.commit(tag);
            repo.tag(tag, annotated);
        }
        repos.push((upstream, repo));
    }
    World {
        _dir: dir,
        packaging: packaging(&root),
        root,
        moby,
        repos,
    }
}

impl World {
    fn mirrors(&self) -> Vec<(Upstream, Mirror)> {
        let mut mirrors = vec![
            (Upstream::Moby, Mirror::Path(self.moby.path.clone())),
            (
                Upstream::Packaging,
                Mirror::Path(self.packaging.path.clone()),
            ),
        ];
        for (u, r) in &self.repos {
            mirrors.push((*u, Mirror::Path(r.path.clone())));
        }
        mirrors
    }

    fn cache(&self) -> SourceCache {
        SourceCache::new(self.root.join("cache")).unwrap()
    }

    fn derive(&self, version: &str, pre: bool) -> Result<release::ReleaseSet, ReleaseError> {
        derive(
            &self.cache(),
            &self.mirrors(),
            &DockerVersion::parse(version).unwrap(),
            pre,
            &[],
            &Silent,
        )
    }

    /// The commit a tag of `upstream` peels to, read back with git2.
    fn tagged(&self, upstream: Upstream, tag: &str) -> String {
        let path = if upstream == Upstream::Moby {
            &self.moby.path
        } else {
            &self
                .repos
                .iter()
                .find(|(u, _)| *u == upstream)
                .unwrap()
                .1
                .path
        };
        let repo = git2::Repository::open(path).unwrap();
        let reference = repo.find_reference(&format!("refs/tags/{tag}")).unwrap();
        reference.peel_to_commit().unwrap().id().to_string()
    }
}

#[test]
fn a_29_release_comes_from_its_dockerfile_with_every_tag_peeled() {
    let w = world();
    let set = w.derive("29.7.2", false).unwrap();
    let pins = Pins::parse("pins.lock".into(), &set.pins_lock()).unwrap();
    assert_eq!(pins.go, "1.26.5");
    for (upstream, tag, version) in [
        (Upstream::Moby, "docker-v29.7.2", "29.7.2"),
        // The release's own number, never the Dockerfile's DOCKERCLI_VERSION (v29.7.1).
        (Upstream::Cli, "v29.7.2", "29.7.2"),
        (Upstream::Containerd, "v2.3.3", "2.3.3"),
        (Upstream::Runc, "v1.4.3", "1.4.3"),
        (Upstream::Tini, "v0.19.0", "0.19.0"),
        (Upstream::Rootlesskit, "v3.0.2", "3.0.2"),
        // docker-ce-packaging's, as master was when moby's release was made: not the
        // Dockerfile's development versions, and not the bump that came after.
        (Upstream::Buildx, "v0.34.1", "0.34.1"),
        (Upstream::Compose, "v5.4.0", "5.4.0"),
    ] {
        let pin = pins.get(upstream).unwrap();
        assert_eq!((pin.tag.as_str(), pin.version.as_str()), (tag, version));
        assert_eq!(
            pin.commit.as_str(),
            w.tagged(upstream, tag),
            "{upstream} {tag}"
        );
    }
    let text = set.pins_lock();
    assert!(
        text.contains("# moby docker-v29.7.2 Dockerfile: RUNC_VERSION=v1.4.3\n[runc]"),
        "{text}"
    );
    assert!(
        text.contains("# docker-ce-packaging master at ")
            && text.contains("common.mk: DOCKER_COMPOSE_REF=v5.4.0\n[compose]"),
        "{text}"
    );
    let tables: Vec<&str> = text.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(
        tables,
        [
            "[buildx]",
            "[cli]",
            "[compose]",
            "[containerd]",
            "[moby]",
            "[rootlesskit]",
            "[runc]",
            "[tini]"
        ]
    );
    assert!(set.left_out.is_empty(), "{:?}", set.left_out);
}

#[test]
fn a_28_release_takes_its_plugins_from_the_28_x_packaging_branch() {
    let w = world();
    let set = w.derive("28.5.2", false).unwrap();
    let pins = Pins::parse("pins.lock".into(), &set.pins_lock()).unwrap();
    assert_eq!(pins.get(Upstream::Buildx).unwrap().tag, "v0.28.0");
    assert_eq!(pins.get(Upstream::Compose).unwrap().version, "2.39.4");
    assert_eq!(pins.get(Upstream::Rootlesskit).unwrap().version, "2.3.4");
    assert!(set.pins_lock().contains("# docker-ce-packaging 28.x at "));
}

#[test]
fn without_docker_ce_packaging_the_plugins_are_left_out_saying_why() {
    let w = world();
    let mirrors: Vec<(Upstream, Mirror)> = w
        .mirrors()
        .into_iter()
        .filter(|(u, _)| *u != Upstream::Packaging)
        .collect();
    let set = derive(
        &w.cache(),
        &mirrors,
        &DockerVersion::parse("29.7.2").unwrap(),
        false,
        &[],
        &Silent,
    )
    .unwrap();
    let left: Vec<Upstream> = set.left_out.iter().map(|(u, _)| *u).collect();
    assert_eq!(left, [Upstream::Buildx, Upstream::Compose]);
    assert!(
        set.left_out[0].1.contains("DOCKER_BUILDX_REF"),
        "{:?}",
        set.left_out
    );
    let pins = Pins::parse("pins.lock".into(), &set.pins_lock()).unwrap();
    assert!(pins.get(Upstream::Buildx).is_none());
    assert!(pins.get(Upstream::Rootlesskit).is_some());
}

#[test]
fn a_28_release_reads_vn_tags_and_its_installers_which_agree() {
    let w = world();
    let pins = Pins::parse(
        "pins.lock".into(),
        &w.derive("28.5.2", false).unwrap().pins_lock(),
    )
    .unwrap();
    assert_eq!(pins.go, "1.24.9");
    assert_eq!(pins.get(Upstream::Moby).unwrap().tag, "v28.5.2");
    assert_eq!(pins.get(Upstream::Containerd).unwrap().tag, "v1.7.28");
    assert_eq!(pins.get(Upstream::Runc).unwrap().version, "1.3.3");
}

#[test]
fn a_dockerfile_and_installer_that_disagree_are_refused_naming_both() {
    let mut w = world();
    w.moby
        .write("Dockerfile", &dockerfile("1.24.9", "v1.7.28", "v1.3.3"));
    w.moby.write(
        "hack/dockerfile/install/runc.installer",
        &installer("RUNC_VERSION", "v1.3.2"),
    );
    w.moby.commit("28.5.1");
    w.moby.tag("v28.5.1", true);
    let err = w.derive("28.5.1", false).unwrap_err().to_string();
    assert!(
        err.contains("RUNC_VERSION=v1.3.3") && err.contains("runc.installer says v1.3.2"),
        "{err}"
    );
}

#[test]
fn an_installer_alone_is_enough() {
    let mut w = world();
    w.moby.write(
        "Dockerfile",
        "ARG GO_VERSION=1.24.9\nARG CONTAINERD_VERSION=v1.7.28\nARG TINI_VERSION=v0.19.0\nARG ROOTLESSKIT_VERSION=v2.3.4\n",
    );
    w.moby.write(
        "hack/dockerfile/install/runc.installer",
        &installer("RUNC_VERSION", "v1.3.3"),
    );
    w.moby.commit("28.5.3");
    w.moby.tag("v28.5.3", true);
    w.repos[0].1.commit("cli 28.5.3");
    w.repos[0].1.tag("v28.5.3", true);
    let set = w.derive("28.5.3", false).unwrap();
    let runc = set
        .pins
        .iter()
        .find(|p| p.pin.upstream == Upstream::Runc)
        .unwrap();
    assert_eq!(runc.pin.tag, "v1.3.3");
    assert!(
        runc.from.contains("runc.installer: RUNC_VERSION=v1.3.3"),
        "{}",
        runc.from
    );
}

#[test]
fn release_candidates_need_asking_for() {
    let w = world();
    let err = w.derive("29.7.0-rc.1", false).unwrap_err();
    assert!(matches!(err, ReleaseError::PreRelease { .. }), "{err}");
    let set = w.derive("29.7.0-rc.1", true).unwrap();
    let moby = &set
        .pins
        .iter()
        .find(|p| p.pin.upstream == Upstream::Moby)
        .unwrap()
        .pin;
    assert_eq!(moby.tag, "docker-v29.7.0-rc.1");
}

#[test]
fn an_unknown_release_lists_the_nearest_ones() {
    let w = world();
    let err = w.derive("29.7.3", false).unwrap_err().to_string();
    assert!(
        err.contains("docker-v29.7.3") && err.contains("28.5.2, 29.7.2") && !err.contains("rc"),
        "{err}"
    );
    let err = w.derive("26.1.4", false).unwrap_err().to_string();
    assert!(err.contains("27.x to 29.x"), "{err}");
}

#[test]
fn a_component_tag_that_does_not_exist_is_named_with_who_named_it() {
    let mut w = world();
    w.moby
        .write("Dockerfile", &dockerfile("1.26.5", "v2.3.4", "v1.4.3"));
    w.moby.commit("29.7.4");
    w.moby.tag("docker-v29.7.4", true);
    w.repos[0].1.commit("cli 29.7.4");
    w.repos[0].1.tag("v29.7.4", true);
    let err = w.derive("29.7.4", false).unwrap_err().to_string();
    assert!(
        err.contains("containerd has no tag v2.3.4") && err.contains("CONTAINERD_VERSION"),
        "{err}"
    );
}

#[test]
fn check_reports_each_field_that_differs() {
    let w = world();
    let derived = Pins::parse(
        "pins.lock".into(),
        &w.derive("29.7.2", false).unwrap().pins_lock(),
    )
    .unwrap();
    let older = Pins::parse(
        "pins.lock".into(),
        &w.derive("28.5.2", false).unwrap().pins_lock(),
    )
    .unwrap();
    assert!(differences(&derived, &derived).is_empty());
    let diff = differences(&older, &derived);
    assert!(diff.contains(&"go: 1.24.9 → 1.26.5".to_owned()), "{diff:?}");
    assert!(
        diff.iter().any(|d| d.starts_with("runc.commit: ")),
        "{diff:?}"
    );
    assert!(!diff.iter().any(|d| d.starts_with("tini.")), "{diff:?}");
}

#[test]
fn offline_without_a_mirror_or_a_remembered_listing_fails_naming_the_remote() {
    let w = world();
    let err = derive(
        &w.cache().offline(true),
        &[],
        &DockerVersion::parse("29.7.2").unwrap(),
        false,
        &[],
        &Silent,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ReleaseError::Source(SourceError::TagsNotCachedOffline {
                upstream: Upstream::Moby,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn a_tag_given_by_hand_replaces_the_release_s_and_says_so() {
    let w = world();
    let overrides: Vec<PinOverride> = ["rootlesskit=v2.3.4", "buildx=v0.36.0"]
        .iter()
        .map(|o| o.parse().unwrap())
        .collect();
    // Without docker-ce-packaging: buildx given by hand, compose still left out.
    let mirrors: Vec<(Upstream, Mirror)> = w
        .mirrors()
        .into_iter()
        .filter(|(u, _)| *u != Upstream::Packaging)
        .collect();
    let version = DockerVersion::parse("29.7.2").unwrap();
    let set = derive(&w.cache(), &mirrors, &version, false, &overrides, &Silent).unwrap();
    let text = set.pins_lock();
    assert!(
        text.contains("# v2.3.4 given by hand, instead of v3.0.2 (moby docker-v29.7.2 Dockerfile: ROOTLESSKIT_VERSION=v3.0.2)\n[rootlesskit]"),
        "{text}"
    );
    assert!(text.contains("# v0.36.0 given by hand\n[buildx]"), "{text}");
    let pins = Pins::parse("pins.lock".into(), &text).unwrap();
    assert_eq!(
        pins.get(Upstream::Rootlesskit).unwrap().commit.as_str(),
        w.tagged(Upstream::Rootlesskit, "v2.3.4")
    );
    let left: Vec<Upstream> = set.left_out.iter().map(|(u, _)| *u).collect();
    assert_eq!(left, [Upstream::Compose]);

    let moby = ["moby=docker-v29.7.1".parse::<PinOverride>().unwrap()];
    assert!("rootlesskit".parse::<PinOverride>().is_err());
    assert!(
        "nosuch=v1"
            .parse::<PinOverride>()
            .unwrap_err()
            .contains("valid names")
    );
    let err = derive(&w.cache(), &mirrors, &version, false, &moby, &Silent).unwrap_err();
    assert!(matches!(err, ReleaseError::NotOverridable { .. }), "{err}");
}
