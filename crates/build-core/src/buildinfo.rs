//! The build information Go embeds in every binary it links (`go version -m`): the Go release,
//! the main module, every module whose code was linked, and the build settings. An SBOM reads
//! it from the binary itself, so it names what is in the bytes, not what a source tree lists.

use camino::Utf8PathBuf;
use serde::Deserialize;

use crate::process::LoggedCommand;
use crate::toolchain::{GoToolchain, ToolchainError};

/// What `go version -m -json` prints for one binary.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoBuildInfo {
    /// The release that built it (`go1.26.5`).
    pub go_version: String,
    /// The main package's import path.
    pub path: String,
    /// The main module.
    pub main: GoModule,
    /// Every other module linked in, sorted by path.
    #[serde(default)]
    pub deps: Vec<GoModule>,
    /// Build settings (`-tags`, `CGO_ENABLED`, `GOARCH`…).
    #[serde(default)]
    pub settings: Vec<GoSetting>,
}

/// One module of a binary.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoModule {
    /// Its module path.
    pub path: String,
    /// Its version (`v1.2.3`; `(devel)` for a main module built from a tree).
    #[serde(default)]
    pub version: String,
    /// Its `go.sum` hash (`h1:…`). Go records none for modules built from `vendor/`.
    #[serde(default)]
    pub sum: Option<String>,
    /// The module a `replace` directive put in its place: what was really linked.
    #[serde(default)]
    pub replace: Option<Box<GoModule>>,
}

/// One build setting.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoSetting {
    /// `-tags`, `CGO_ENABLED`.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl GoModule {
    /// The module whose code is in the binary: the replacement when there is one.
    pub fn linked(&self) -> &GoModule {
        self.replace.as_deref().unwrap_or(self)
    }
}

impl GoBuildInfo {
    /// The value of build setting `key`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }

    /// Whether cgo was on, so the binary links a C library.
    pub fn cgo(&self) -> bool {
        self.setting("CGO_ENABLED") == Some("1")
    }

    /// The build tags.
    pub fn tags(&self) -> Vec<&str> {
        self.setting("-tags")
            .map(|t| t.split(',').filter(|t| !t.is_empty()).collect())
            .unwrap_or_default()
    }
}

impl GoBuildInfo {
    /// Reads the build information embedded in each of `binaries` with `go`, in their order.
    /// One `go version` reads them all (it prints one JSON object per file), as it is on the
    /// path of every rebuild. Any Go since 1.18 reads any binary, whatever its architecture,
    /// so the Go on `PATH` serves.
    pub fn read_all(
        go: &GoToolchain,
        binaries: &[Utf8PathBuf],
    ) -> Result<Vec<GoBuildInfo>, ToolchainError> {
        if binaries.is_empty() {
            return Ok(Vec::new());
        }
        let failed = |problem: String| ToolchainError {
            problem: format!(
                "cannot read the Go build information of {}: {problem}",
                binaries
                    .iter()
                    .map(|b| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: "check that each is a Go binary and that `go version -m` reads it".into(),
        };
        let json = LoggedCommand::new(go.go.as_str())
            .args(["version", "-m", "-json"])
            .args(binaries.iter().map(|b| b.to_string()))
            // The release on PATH reads it; never switch toolchains for a query.
            .env("GOTOOLCHAIN", "local")
            .read()
            .map_err(|e| failed(crate::error::with_causes(&e)))?;
        let infos = GoBuildInfo::parse_all(&json).map_err(|e| failed(e.to_string()))?;
        if infos.len() != binaries.len() {
            return Err(failed(format!(
                "`go version` described {} of the {} files",
                infos.len(),
                binaries.len()
            )));
        }
        Ok(infos)
    }

    /// Parses the JSON objects `go version -m -json` prints, one after another.
    fn parse_all(json: &str) -> Result<Vec<GoBuildInfo>, serde_json::Error> {
        serde_json::Deserializer::from_str(json)
            .into_iter::<GoBuildInfo>()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_go_version_describes_several_binaries_in_order() {
        let infos = GoBuildInfo::parse_all(
            r#"{"GoVersion":"go1.26.5","Path":"example.com/a","Main":{"Path":"example.com/a"}}
{"GoVersion":"go1.26.5","Path":"example.com/b","Main":{"Path":"example.com/b"}}"#,
        )
        .unwrap();
        let paths: Vec<&str> = infos.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["example.com/a", "example.com/b"]);
    }

    #[test]
    fn build_information_names_modules_replacements_and_settings() {
        let info = GoBuildInfo::parse_all(
            r#"{"GoVersion":"go1.26.5","Path":"example.com/app","Main":{"Path":"example.com/app","Version":"(devel)"},
            "Deps":[{"Path":"a.io/x","Version":"v1.0.0","Sum":"h1:abc="},
                    {"Path":"b.io/y","Version":"v0.1.0","Replace":{"Path":"c.io/y","Version":"v0.2.0"}}],
            "Settings":[{"Key":"-tags","Value":"seccomp,netgo"},{"Key":"CGO_ENABLED","Value":"1"}]}"#,
        )
        .unwrap()
        .remove(0);
        assert_eq!(info.go_version, "go1.26.5");
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:abc="));
        assert_eq!(info.deps[0].linked().path, "a.io/x");
        assert_eq!(info.deps[1].linked().path, "c.io/y");
        assert_eq!(info.deps[1].linked().version, "v0.2.0");
        assert_eq!(info.tags(), ["seccomp", "netgo"]);
        assert!(info.cgo());
    }
}
