//! What a binary's version output must show, as templates of its stamps.

/// What a debug build's stamped version ends with (`29.7.2+debug`), so nobody ships one unawares.
pub const DEBUG_MARKER: &str = "+debug";

/// How one binary reports its stamps: run it with `args`, and its output must contain each of
/// `shows`, with `{version}` and `{commit}` (or `{commit:N}`, the first N digits) filled in.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionProbe {
    /// The installed name.
    pub binary: &'static str,
    /// What makes it print its version.
    pub args: &'static [&'static str],
    /// Lines or fragments its output must contain.
    pub shows: &'static [&'static str],
}

impl VersionProbe {
    /// The fragments the output must contain for these stamps.
    pub fn expected(&self, stamps: Stamps<'_>) -> Vec<String> {
        self.shows.iter().map(|t| stamps.fill(t)).collect()
    }

    /// The expected fragments missing from `output` (empty when it shows them all). A dirty
    /// build's `-dirty` suffixes and a debug build's marker are accepted.
    pub fn missing(&self, stamps: Stamps<'_>, output: &str) -> Vec<String> {
        let output = output.replace("-dirty", "").replace(DEBUG_MARKER, "");
        self.expected(stamps)
            .into_iter()
            .filter(|want| !output.contains(want.as_str()))
            .collect()
    }
}

/// What a binary was stamped with, to fill a [`VersionProbe`]'s templates.
#[derive(Debug, Clone, Copy)]
pub struct Stamps<'a> {
    /// The version as stamped, without `-dirty` (`29.7.2`).
    pub version: &'a str,
    /// The full commit.
    pub commit: &'a str,
}

impl Stamps<'_> {
    /// `template` with `{version}`, `{commit}` and `{commit:N}` (the first N digits) filled
    /// in; any other `{…}` is left as it is.
    pub fn fill(&self, template: &str) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                rest = &rest[open..];
                break;
            };
            let field = &rest[open + 1..open + close];
            match field.split_once(':') {
                None if field == "version" => out.push_str(self.version),
                None if field == "commit" => out.push_str(self.commit),
                Some(("commit", n)) => {
                    let n = n.parse().unwrap_or(self.commit.len());
                    out.push_str(&self.commit[..n.min(self.commit.len())]);
                }
                _ => out.push_str(&rest[open..=open + close]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }
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

    const STAMPS: Stamps<'static> = Stamps {
        version: "1.4.3",
        commit: "bb14dabeb7185bb72c8c86735d090dcb20f36587",
    };

    #[test]
    fn templates_fill_version_and_commit() {
        assert_eq!(
            RUNC.expected(STAMPS),
            [
                "runc version 1.4.3",
                "commit: bb14dabeb7185bb72c8c86735d090dcb20f36587",
                "build bb14dab"
            ]
        );
        let output = "runc version 1.4.3-dirty\ncommit: bb14dabeb7185bb72c8c86735d090dcb20f36587-dirty\nbuild bb14dab\n";
        assert!(RUNC.missing(STAMPS, output).is_empty());
        assert_eq!(
            RUNC.missing(STAMPS, "runc version 1.4.3\ncommit: \n"),
            [
                "commit: bb14dabeb7185bb72c8c86735d090dcb20f36587",
                "build bb14dab"
            ]
        );
    }

    #[test]
    fn a_debug_build_s_marker_is_accepted() {
        let output = "runc version 1.4.3+debug\ncommit: bb14dabeb7185bb72c8c86735d090dcb20f36587\nbuild bb14dab\n";
        assert!(RUNC.missing(STAMPS, output).is_empty());
    }

    #[test]
    fn unknown_fields_and_an_unclosed_brace_stay_as_they_are() {
        assert_eq!(STAMPS.fill("{os}/{commit:3}"), "{os}/bb1");
        assert_eq!(
            STAMPS.fill("v{version} {commit:99}"),
            format!("v1.4.3 {}", STAMPS.commit)
        );
        assert_eq!(STAMPS.fill("v{version"), "v{version");
    }
}
