//! Shared by the source tests: a runc-shaped upstream and a cache beside it.
#![allow(dead_code, unreachable_pub)]

use camino::{Utf8Path, Utf8PathBuf};
use sources::Upstream;
use sources::pins::{Pin, Pins};
use sources::source::{Mirror, SourceCache, SourceRequest};
use test_fixtures::{FixtureRepo, Kind};

pub struct World {
    pub _dir: tempfile::TempDir,
    pub root: Utf8PathBuf,
    pub repo: FixtureRepo,
    pub pin: Pin,
}

/// A runc-shaped upstream with two commits; the pin names the first one.
pub fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let mut repo = Kind::Runc.create(&root.join("upstream"));
    let pins = Pins::parse(
        "pins.lock".into(),
        &test_fixtures::pins_lock(&[(Kind::Runc, &repo)]),
    )
    .unwrap();
    let pin = pins.get(Upstream::Runc).unwrap().clone();
    // The mirror moves on after the pin: the pin must still get the first commit.
    repo.write("VERSION", "1.5.0-dev\n");
    repo.commit("moved on");
    World {
        _dir: dir,
        root,
        repo,
        pin,
    }
}

impl World {
    pub fn cache(&self) -> SourceCache {
        SourceCache::new(self.root.join("cache")).unwrap()
    }
    pub fn pinned_via_mirror(&self) -> SourceRequest {
        SourceRequest::Pinned {
            pin: self.pin.clone(),
            mirror: Some(Mirror::Path(self.repo.path.clone())),
        }
    }
}

pub fn read(path: &Utf8Path) -> String {
    std::fs::read_to_string(path).unwrap()
}
