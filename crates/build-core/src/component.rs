//! A component described once: what each recipe crate exports, and what every verb reads.

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions};
use crate::toolchain::Tool;
use crate::upstream::Upstream;

/// One buildable component: a recipe crate's whole public face, as data.
#[derive(Debug)]
pub struct Component {
    /// The name people type (`--only proxy`) and logs use.
    pub name: &'static str,
    /// The pinned repository it builds from.
    pub upstream: Upstream,
    /// The binaries it produces, by installed name.
    pub binaries: &'static [&'static str],
    /// Bumped whenever the recipe changes what it produces (part of every cache key).
    pub recipe_version: u32,
    /// What its build needs on the machine.
    pub tools: &'static [Tool],
    /// How each binary shows its version and commit.
    pub version_probes: &'static [VersionProbe],
    /// Builds the binaries into `opts.out_dir`.
    pub build: fn(&BuildOptions) -> Result<Artifacts, BuildError>,
}

impl Component {
    /// Whether its build runs Go.
    pub fn uses_go(&self) -> bool {
        self.tools.contains(&Tool::Go)
    }
}

/// How one binary reports its stamps: run it with `args`, and its output must contain each of
/// `shows`, with `{version}` and `{commit}` (or `{commit:N}`, the first N digits) filled in.
#[derive(Debug)]
pub struct VersionProbe {
    /// The installed name.
    pub binary: &'static str,
    /// What makes it print its version.
    pub args: &'static [&'static str],
    /// Lines or fragments its output must contain.
    pub shows: &'static [&'static str],
}

/// What a binary was stamped with, to fill a [`VersionProbe`]'s templates.
#[derive(Debug, Clone, Copy)]
pub struct Stamps<'a> {
    /// The version as stamped, without `-dirty` (`29.7.2`).
    pub version: &'a str,
    /// The full commit.
    pub commit: &'a str,
}

impl VersionProbe {
    /// The fragments the output must contain for these stamps.
    pub fn expected(&self, stamps: Stamps<'_>) -> Vec<String> {
        self.shows.iter().map(|t| fill(t, stamps)).collect()
    }

    /// The expected fragments missing from `output` (empty when it shows them all). A dirty
    /// build's `-dirty` suffixes are accepted.
    pub fn missing(&self, stamps: Stamps<'_>, output: &str) -> Vec<String> {
        let output = output.replace("-dirty", "");
        self.expected(stamps)
            .into_iter()
            .filter(|want| !output.contains(want.as_str()))
            .collect()
    }
}

fn fill(template: &str, stamps: Stamps<'_>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let field = &rest[open + 1..open + close];
        match field.split_once(':') {
            None if field == "version" => out.push_str(stamps.version),
            None if field == "commit" => out.push_str(stamps.commit),
            Some(("commit", n)) => {
                let n = n.parse().unwrap_or(stamps.commit.len());
                out.push_str(&stamps.commit[..n.min(stamps.commit.len())]);
            }
            _ => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNC: VersionProbe = VersionProbe {
        binary: "runc",
        args: &["--version"],
        shows: &[
            "runc version {version}",
            "commit: {commit}",
            "build {commit:7}",
        ],
    };

    #[test]
    fn templates_fill_version_and_commit() {
        let stamps = Stamps {
            version: "1.4.3",
            commit: "bb14dabeb7185bb72c8c86735d090dcb20f36587",
        };
        assert_eq!(
            RUNC.expected(stamps),
            [
                "runc version 1.4.3",
                "commit: bb14dabeb7185bb72c8c86735d090dcb20f36587",
                "build bb14dab"
            ]
        );
        let output = "runc version 1.4.3-dirty\ncommit: bb14dabeb7185bb72c8c86735d090dcb20f36587-dirty\nbuild bb14dab\n";
        assert!(RUNC.missing(stamps, output).is_empty());
        assert_eq!(
            RUNC.missing(stamps, "runc version 1.4.3\ncommit: \n"),
            [
                "commit: bb14dabeb7185bb72c8c86735d090dcb20f36587",
                "build bb14dab"
            ]
        );
    }
}
