//! Shared by the xtask integration tests: fixture upstreams, a pins.lock, and ways to run xtask.
#![allow(dead_code, unreachable_pub)]

use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};
use test_fixtures::{FixtureRepo, Kind};

/// The Docker release of the fixtures' bundle (moby's 29.7.2), which decides the binaries only
/// some releases ship.
pub const FIXTURES_RELEASE: bundle::ReleaseLine = bundle::ReleaseLine::new(29, 7);

pub mod repo;

pub struct World {
    pub _dir: tempfile::TempDir,
    pub root: Utf8PathBuf,
    pub repos: Vec<(Kind, FixtureRepo)>,
}

pub fn world() -> World {
    world_of(&Kind::ALL)
}

/// Fixture upstreams of the given kinds (one per upstream) and a pins.lock for them.
pub fn world_of(kinds: &[Kind]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let repos: Vec<(Kind, FixtureRepo)> = kinds
        .iter()
        .map(|k| (*k, k.create(&root.join("upstream"))))
        .collect();
    let refs: Vec<(Kind, &FixtureRepo)> = repos.iter().map(|(k, r)| (*k, r)).collect();
    std::fs::write(root.join("pins.lock"), test_fixtures::pins_lock(&refs)).unwrap();
    World {
        _dir: dir,
        root,
        repos,
    }
}

/// The fixtures of Docker's 28 line (containerd 1.7, runc 1.2, compose 2, rootlesskit 2).
pub fn world_28() -> World {
    world_of(&[
        Kind::Buildx,
        Kind::Cli,
        Kind::Compose2,
        Kind::Containerd17,
        Kind::Moby28,
        Kind::Rootlesskit2,
        Kind::Runc12,
        Kind::Tini,
    ])
}

/// The 28 line's fixtures pinned as Docker 27.5.1 (moby's and the other recipes' lines are
/// the same; the CLI keeps its own version), which ships rootlesskit-docker-proxy.
pub fn docker_27_world() -> World {
    let w = world_28();
    w.set_docker_release("28.5.2", "27.5.1");
    w
}

impl World {
    /// Pins moby (and whatever else is pinned at `from`) at the Docker release `to`.
    pub fn set_docker_release(&self, from: &str, to: &str) {
        let pins = self.root.join("pins.lock");
        let text = std::fs::read_to_string(&pins).unwrap();
        std::fs::write(&pins, text.replace(from, to)).unwrap();
    }

    pub fn repo(&self, kind: Kind) -> &FixtureRepo {
        &self.repos.iter().find(|(k, _)| *k == kind).unwrap().1
    }

    /// Commits to `kind`'s fixture a day after every other fixture's commit and pins it there:
    /// the set's newest time (the tarballs') becomes that commit's.
    pub fn pin_a_later_commit(&self, kind: Kind) {
        let mut repo = FixtureRepo {
            path: self.repo(kind).path.clone(),
            head: self.repo(kind).head.clone(),
        };
        let old = repo.head.clone();
        repo.write("NEWS", "later\n");
        let newer = repo.commit_at("later", test_fixtures::COMMIT_TIME + 86_400);
        let pins = self.root.join("pins.lock");
        let text = std::fs::read_to_string(&pins)
            .unwrap()
            .replace(&old, &newer);
        std::fs::write(&pins, text).unwrap();
    }

    /// `xtask bundle` with every fixture as a mirror, plus `extra` flags.
    pub fn bundle(&self, out: &Utf8Path, extra: &[&str]) -> Output {
        self.bundle_command(out, extra).output().unwrap()
    }

    /// `xtask bundle --offline` with no mirrors and a fresh cache.
    pub fn xtask_offline_without_mirrors(&self, out: &Utf8Path) -> Output {
        xtask()
            .arg("bundle")
            .args(["--pins", self.root.join("pins.lock").as_str()])
            .args(["--cache", self.root.join("cold-cache").as_str()])
            .args(["--out", out.as_str(), "--offline"])
            .output()
            .unwrap()
    }

    /// The command `bundle` runs, to adjust (environment, spawn) before running it.
    pub fn bundle_command(&self, out: &Utf8Path, extra: &[&str]) -> Command {
        let mut cmd = xtask();
        cmd.arg("bundle")
            .args(["--pins", self.root.join("pins.lock").as_str()])
            .args(["--cache", self.root.join("cache").as_str()])
            .args(["--out", out.as_str()]);
        for (kind, repo) in &self.repos {
            cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
        }
        cmd.args(extra);
        cmd
    }

    pub fn bundle_ok(&self, out: &Utf8Path, extra: &[&str]) -> String {
        let output = self.bundle(out, extra);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "bundle failed:\n{stderr}");
        stderr
    }
}

pub fn read(path: &Utf8Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

pub fn tgz_entries(path: &Utf8Path) -> Vec<(String, u32, u64, u64)> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path().unwrap().display().to_string(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.mtime().unwrap(),
            )
        })
        .collect()
}

/// The xtask binary under test.
pub fn xtask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.env("GOCACHE", test_fixtures::go_cache());
    cmd
}

/// stderr of a finished command, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The bytes of one file inside a tgz.
pub fn tgz_file(path: &Utf8Path, name: &str) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(name) {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            return bytes;
        }
    }
    panic!("{name} is not in {path}");
}

/// Every file under `dir` with its bytes (empty when `dir` does not exist).
pub fn snapshot(dir: &Utf8Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = Utf8PathBuf::from_path_buf(e.unwrap().path()).unwrap();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_string(), read(&p)));
            }
        }
    }
    out.sort();
    out
}

/// A bundle's manifest.
pub fn manifest(dir: &Utf8Path) -> serde_json::Value {
    serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap()
}

/// One component's entry in a manifest.
pub fn component(manifest: &serde_json::Value, name: &str) -> serde_json::Value {
    manifest["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in the manifest"))
        .clone()
}

/// A world with its bundle published into `out`, and a snapshot of that bundle.
pub fn published() -> (World, Utf8PathBuf, Vec<(String, Vec<u8>)>) {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let before = snapshot(&out);
    (w, out, before)
}
