//! A release set as `pins.lock` text, and how two pin sets differ.

use std::fmt::Write as _;

use build_core::Upstream;
use build_core::pins::Pins;

use crate::ReleaseSet;

impl ReleaseSet {
    /// `pins.lock`: tables sorted by name, each commented with where its version came from.
    pub fn pins_lock(&self) -> String {
        let mut text = format!(
            "# The Docker {version} set, derived from the sources: moby's release tag names Go and the\n\
             # other components in its Dockerfile (and, before 29, its installer scripts); the CLI is\n\
             # released with the same number; the CLI plugins are docker-ce-packaging's, as its release\n\
             # branch was when moby's release commit was made. Tags are peeled to commits and every\n\
             # commit was fetched.\n\
             #\n\
             # Each table is one upstream repository. `commit` is authoritative: `tag` documents where it\n\
             # came from and is never resolved. Tables are sorted by name (a tidy test checks it).\n\n\
             # {go_from}\n\
             go = \"{go}\"\n",
            version = self.version,
            go_from = self.go_from,
            go = self.go,
        );
        for derived in &self.pins {
            let pin = &derived.pin;
            let _ = write!(
                text,
                "\n# {from}\n[{name}]\nrepository = \"{repository}\"\ntag = \"{tag}\"\ncommit = \"{commit}\"\nversion = \"{version}\"\n",
                from = derived.from,
                name = pin.upstream,
                repository = pin.repository.as_str(),
                tag = pin.tag,
                commit = pin.commit,
                version = pin.version,
            );
        }
        text
    }
}

/// Field by field, what `derived` says that `current` does not (empty when they agree).
pub fn differences(current: &Pins, derived: &Pins) -> Vec<String> {
    let mut out = Vec::new();
    if current.go != derived.go {
        out.push(format!("go: {} → {}", current.go, derived.go));
    }
    for upstream in Upstream::ALL {
        match (current.get(upstream), derived.get(upstream)) {
            (None, None) => {}
            (Some(_), None) => out.push(format!("[{upstream}]: not part of the release")),
            (None, Some(d)) => {
                out.push(format!("[{upstream}]: missing; the release has {}", d.tag))
            }
            (Some(c), Some(d)) => {
                for (field, have, want) in [
                    ("repository", c.repository.as_str(), d.repository.as_str()),
                    ("tag", c.tag.as_str(), d.tag.as_str()),
                    ("commit", c.commit.as_str(), d.commit.as_str()),
                    ("version", c.version.as_str(), d.version.as_str()),
                ] {
                    if have != want {
                        out.push(format!("{upstream}.{field}: {have} → {want}"));
                    }
                }
            }
        }
    }
    out
}
