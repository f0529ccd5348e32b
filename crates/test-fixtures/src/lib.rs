#![doc = include_str!("../README.md")]

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use git2::{Repository, Signature, Time};

mod cli;
mod containerd;
mod man;
mod moby;
use moby::moby_files;
#[cfg(feature = "proptest")]
pub mod mutations;
mod plugins;
mod runc;
mod tools;
mod winres;
use cli::cli_files;
pub use containerd::CONTAINERD_SUITE;
pub use moby::{MOBY_ENGINE, MOBY_SUITE};
pub use runc::RUNC_SUITE;
use runc::{RUNC, RUNC_12};
pub use tools::{check_jsonschema, go_installed, on_path, signing_key_pair};
pub use winres::ICON;

/// A fixture repository on disk.
#[derive(Debug)]
pub struct FixtureRepo {
    /// Its working tree (with `.git`).
    pub path: Utf8PathBuf,
    /// Its HEAD commit.
    pub head: String,
}

/// The commit time of every fixture commit (fixed, so builds are reproducible).
pub const COMMIT_TIME: i64 = 1_700_000_000;

impl FixtureRepo {
    /// Creates a repository at `path` with `files` and commits them.
    pub fn create(path: &Utf8Path, files: &[(&str, &str)]) -> FixtureRepo {
        std::fs::create_dir_all(path).expect("create fixture dir");
        Repository::init(path).expect("git init");
        let mut repo = FixtureRepo {
            path: path.to_owned(),
            head: String::new(),
        };
        for (name, text) in files {
            repo.write(name, text);
        }
        repo.commit("initial");
        repo
    }

    /// Writes a file (creating folders).
    pub fn write(&self, name: &str, text: &str) {
        let file = self.path.join(name);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, text).expect("write fixture file");
    }

    /// Removes a file from the working tree (the next commit drops it).
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.path.join(name)).expect("remove fixture file");
    }

    /// HEAD as `git format-patch` writes it (mail header, message, diffstat, diff).
    pub fn format_patch(&self) -> String {
        let repo = Repository::open(&self.path).expect("open fixture");
        let head = repo.head().and_then(|h| h.peel_to_commit()).expect("HEAD");
        let email = git2::Email::from_commit(&head, &mut git2::EmailCreateOptions::new())
            .expect("format-patch");
        String::from_utf8(email.as_slice().to_vec()).expect("utf-8 patch")
    }

    /// Commits everything in the working tree and returns the new HEAD.
    pub fn commit(&mut self, message: &str) -> String {
        self.commit_at(message, COMMIT_TIME)
    }

    /// [`FixtureRepo::commit`] with another commit time (seconds since the epoch).
    pub fn commit_at(&mut self, message: &str, time: i64) -> String {
        let repo = Repository::open(&self.path).expect("open fixture");
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        // Files removed from the working tree leave the commit too.
        index.update_all(["*"].iter(), None).expect("update");
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let sig = Signature::new("Fixture", "fixture@example.invalid", &Time::new(time, 0))
            .expect("signature");
        let parents: Vec<git2::Commit<'_>> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .expect("commit");
        self.head = id.to_string();
        self.head.clone()
    }
}

impl FixtureRepo {
    /// Tags HEAD as `name`: an annotated tag (as most upstream releases are) or a lightweight
    /// one (as tini's v0.19.0 is).
    pub fn tag(&self, name: &str, annotated: bool) {
        let repo = Repository::open(&self.path).expect("open fixture");
        let head = repo
            .head()
            .and_then(|h| h.peel(git2::ObjectType::Commit))
            .expect("HEAD");
        if annotated {
            let sig = Signature::new(
                "Fixture",
                "fixture@example.invalid",
                &Time::new(COMMIT_TIME, 0),
            )
            .expect("signature");
            repo.tag(name, &head, &sig, name, false)
                .expect("annotated tag");
        } else {
            repo.tag_lightweight(name, &head, false)
                .expect("lightweight tag");
        }
    }
}

/// Which fixture upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// docker/buildx-shaped (the `docker-buildx` plugin).
    Buildx,
    /// docker/cli-shaped.
    Cli,
    /// docker/compose-shaped (v5: module `github.com/docker/compose/v5`).
    Compose,
    /// containerd-shaped.
    Containerd,
    /// moby-shaped (dockerd and docker-proxy).
    Moby,
    /// rootlesskit-shaped (v3).
    Rootlesskit,
    /// runc-shaped.
    Runc,
    /// tini-shaped.
    Tini,
    /// compose 2 (Docker 27 and 28): module `github.com/docker/compose/v2`.
    Compose2,
    /// rootlesskit 2.3 (Docker up to 29.4): module `…/rootlesskit/v2`.
    Rootlesskit2,
    /// moby as of 27.x and 28.x: `vendor.mod` declaring `github.com/docker/docker`, no `go.mod`.
    Moby28,
    /// containerd 1.7: module `github.com/containerd/containerd` (no `/v2`).
    Containerd17,
    /// runc 1.2: `main.version` is stamped by the Makefile, not embedded from `VERSION`.
    Runc12,
    /// runc 1.1 (Docker 27.0 to 27.3): as 1.2, with urfave/cli 1.22.1, which has no
    /// `urfave_cli_no_docs` tag.
    Runc11,
}

impl Kind {
    /// Every kind, in `pins.lock` order.
    pub const ALL: [Kind; 8] = [
        Kind::Buildx,
        Kind::Cli,
        Kind::Compose,
        Kind::Containerd,
        Kind::Moby,
        Kind::Rootlesskit,
        Kind::Runc,
        Kind::Tini,
    ];

    /// The name in `pins.lock`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Buildx => "buildx",
            Kind::Cli => "cli",
            Kind::Compose | Kind::Compose2 => "compose",
            Kind::Rootlesskit | Kind::Rootlesskit2 => "rootlesskit",
            Kind::Containerd | Kind::Containerd17 => "containerd",
            Kind::Moby | Kind::Moby28 => "moby",
            Kind::Runc | Kind::Runc12 | Kind::Runc11 => "runc",
            Kind::Tini => "tini",
        }
    }

    /// The version a fixture pin carries.
    pub fn version(self) -> &'static str {
        match self {
            Kind::Cli | Kind::Moby => "29.7.2",
            Kind::Buildx => "0.34.1",
            Kind::Compose => "5.4.0",
            Kind::Compose2 => "2.39.4",
            Kind::Rootlesskit => "3.0.2",
            Kind::Rootlesskit2 => "2.3.6",
            Kind::Containerd => "2.3.3",
            Kind::Runc => "1.4.3",
            Kind::Tini => "0.19.0",
            Kind::Moby28 => "28.5.2",
            Kind::Containerd17 => "1.7.28",
            Kind::Runc12 => "1.2.4",
            Kind::Runc11 => "1.1.13",
        }
    }

    /// Creates this fixture upstream under `root/<name>`.
    pub fn create(self, root: &Utf8Path) -> FixtureRepo {
        let path = root.join(self.name());
        match self {
            Kind::Cli => create_owned(&path, &cli_files()),
            Kind::Containerd => FixtureRepo::create(&path, CONTAINERD),
            Kind::Moby => create_owned(&path, &moby_files("github.com/moby/moby/v2", "go.mod")),
            Kind::Runc => FixtureRepo::create(&path, RUNC),
            Kind::Tini => FixtureRepo::create(&path, TINI),
            Kind::Moby28 => {
                let files = moby_files("github.com/docker/docker", "vendor.mod");
                let files: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_str()))
                    .collect();
                FixtureRepo::create(&path, &files)
            }
            Kind::Containerd17 => {
                let files = containerd_files("github.com/containerd/containerd", "1.7.28");
                let files: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(n, t)| (n.as_str(), t.as_str()))
                    .collect();
                FixtureRepo::create(&path, &files)
            }
            Kind::Runc12 => FixtureRepo::create(&path, RUNC_12),
            Kind::Runc11 => {
                let mut files = RUNC_12.to_vec();
                files[0].1 = "module github.com/opencontainers/runc\n\ngo 1.18\n";
                files[1].1 = "1.1.13\n";
                FixtureRepo::create(&path, &files)
            }
            Kind::Buildx => create_owned(&path, &plugins::buildx()),
            Kind::Compose => create_owned(&path, &plugins::compose(5)),
            Kind::Compose2 => create_owned(&path, &plugins::compose(2)),
            Kind::Rootlesskit | Kind::Rootlesskit2 => {
                create_owned(&path, &plugins::rootlesskit(self.version()))
            }
        }
    }
}

/// [`FixtureRepo::create`] from owned names and texts.
fn create_owned(path: &Utf8Path, files: &[(String, String)]) -> FixtureRepo {
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    FixtureRepo::create(path, &files)
}

/// The Go build cache the tests share (compiled standard packages are reused from one test to
/// the next), in the temporary folder: tests never write into the user's own.
pub fn go_cache() -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(std::env::temp_dir().join("dockyard-tests-gocache"))
        .expect("a UTF-8 temporary folder")
}

/// The release of the `go` on `PATH` (`1.26.8`), as `GOTOOLCHAIN=local` runs it.
pub fn local_go() -> String {
    let out = std::process::Command::new("go")
        .args(["env", "GOVERSION"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("go on PATH");
    let version = String::from_utf8_lossy(&out.stdout);
    let first = version.split_whitespace().next().unwrap_or("");
    first.trim_start_matches("go").to_owned()
}

/// A `pins.lock` pinning each given fixture at its HEAD, with an unreachable https URL (tests
/// pass the fixture as a `--mirror`).
/// The pinned Go is the Go on `PATH`, so building with the pinned Go downloads nothing.
pub fn pins_lock(repos: &[(Kind, &FixtureRepo)]) -> String {
    let mut text = format!("go = \"{}\"\n", local_go());
    for (kind, repo) in repos {
        let _ = write!(
            text,
            "\n[{name}]\nrepository = \"https://example.test/{name}\"\ntag = \"v{version}\"\ncommit = \"{commit}\"\nversion = \"{version}\"\n",
            name = kind.name(),
            version = kind.version(),
            commit = repo.head,
        );
    }
    text
}

const CONTAINERD: &[(&str, &str)] = &[
    (
        "go.mod",
        "module github.com/containerd/containerd/v2\n\ngo 1.24.0\n",
    ),
    (
        "version/version.go",
        "package version\n\nvar (\n\tPackage  = \"github.com/containerd/containerd/v2\"\n\tVersion  = \"2.3.3+unknown\"\n\tRevision = \"\"\n)\n",
    ),
    ("cmd/containerd/main.go", CONTAINERD_MAIN),
    ("cmd/ctr/main.go", CONTAINERD_MAIN),
    ("cmd/containerd-shim-runc-v2/main.go", CONTAINERD_MAIN),
];

const CONTAINERD_MAIN: &str = r#"package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/version"
)

func main() {
	// containerd prints "containerd PACKAGE VERSION REVISION"; ctr and the shim print similar.
	fmt.Println(filepath.Base(os.Args[0]), version.Package, version.Version, version.Revision)
}
"#;

const TINI: &[(&str, &str)] = &[
    (
        "CMakeLists.txt",
        r#"cmake_minimum_required(VERSION 3.5)
project(tini C)
set(tini_VERSION_MAJOR 0)
set(tini_VERSION_MINOR 19)
set(tini_VERSION_PATCH 0)
# Like tini: the git suffix comes from .git, which a pinned tree lacks.
execute_process(COMMAND git --git-dir "${PROJECT_SOURCE_DIR}/.git" log -n 1 --pretty=format:%h
  RESULT_VARIABLE git_ret OUTPUT_VARIABLE tini_VERSION_GIT ERROR_QUIET)
if("${git_ret}" EQUAL 0)
  set(tini_VERSION_GIT " - git.${tini_VERSION_GIT}")
else()
  set(tini_VERSION_GIT "")
endif()
configure_file("${PROJECT_SOURCE_DIR}/src/tiniConfig.h.in" "${PROJECT_BINARY_DIR}/tiniConfig.h" @ONLY)
# Like tini: configuring writes into the source tree.
configure_file("${PROJECT_SOURCE_DIR}/tpl/README.md.in" "${PROJECT_SOURCE_DIR}/README.md" @ONLY)
include_directories("${PROJECT_BINARY_DIR}")
add_executable(tini src/tini.c)
add_executable(tini-static src/tini.c)
set_target_properties(tini-static PROPERTIES LINK_FLAGS "-static")
"#,
    ),
    (
        "src/tiniConfig.h.in",
        "#define TINI_VERSION \"@tini_VERSION_MAJOR@.@tini_VERSION_MINOR@.@tini_VERSION_PATCH@\"\n#define TINI_GIT     \"@tini_VERSION_GIT@\"\n",
    ),
    (
        "tpl/README.md.in",
        "fixture tini @tini_VERSION_MAJOR@.@tini_VERSION_MINOR@ (configured)\n",
    ),
    ("README.md", "fixture tini, as committed\n"),
    (
        "src/tini.c",
        r#"#include <stdio.h>
#include <string.h>
#include "tiniConfig.h"

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("tini version %s%s\n", TINI_VERSION, TINI_GIT);
		return 0;
	}
	printf("fixture tini\n");
	return 0;
}
"#,
    ),
];

/// The containerd fixture as module `module` at `version`.
fn containerd_files(module: &str, version: &str) -> Vec<(String, String)> {
    CONTAINERD
        .iter()
        .map(|(name, text)| {
            let text = text
                .replace("github.com/containerd/containerd/v2", module)
                .replace("2.3.3+unknown", &format!("{version}+unknown"));
            ((*name).to_owned(), text)
        })
        .collect()
}
