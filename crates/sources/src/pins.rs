//! `pins.lock`: which commit of each upstream dockyard builds.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use toml::Spanned;

use crate::upstream::Upstream;
use crate::url::{RepoUrl, UrlError};

/// A full git commit id: exactly 40 lowercase hex digits.
///
/// Never a prefix, never a tag: a pin names one commit and nothing can move it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct CommitId(String);

impl CommitId {
    /// Checks that `s` is 40 lowercase hex digits.
    pub fn parse(s: &str) -> Result<CommitId, CommitIdError> {
        if s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(CommitId(s.to_owned()))
        } else {
            Err(CommitIdError {
                given: s.to_owned(),
            })
        }
    }

    /// The 40 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first `n` digits, as upstream version strings show them.
    pub fn short(&self, n: usize) -> &str {
        &self.0[..n.min(40)]
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitId({})", self.0)
    }
}

/// A commit id that is not 40 lowercase hex digits.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "`{given}` is not a full commit id: write all 40 lowercase hex digits (a prefix, a tag or a SHA-256 id is never resolved)"
)]
#[non_exhaustive]
pub struct CommitIdError {
    /// What was given.
    pub given: String,
}

/// One upstream's pin.
#[derive(Clone, Debug)]
pub struct Pin {
    /// Which upstream.
    pub upstream: Upstream,
    /// Where it is fetched from by default.
    pub repository: RepoUrl,
    /// The tag the commit was taken from (documentation; never resolved).
    pub tag: String,
    /// The commit that is built.
    pub commit: CommitId,
    /// The version stamped into the binaries (`29.7.2`, no leading `v`).
    pub version: String,
}

/// The parsed `pins.lock`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Pins {
    /// The Go version the upstream release builds with (informational; see `GoToolchain`).
    pub go: String,
    pins: BTreeMap<Upstream, Pin>,
}

/// What is wrong with a pin file, with the place it is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The pin file.
        path: Utf8PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid, at a known place.
    #[error("{path}:{line}: {field}: {message}")]
    Invalid {
        /// The pin file.
        path: Utf8PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// The table or `table.field` concerned (`-` where TOML itself is broken).
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    go: Option<Spanned<String>>,
    buildx: Option<Spanned<RawPin>>,
    cli: Option<Spanned<RawPin>>,
    compose: Option<Spanned<RawPin>>,
    containerd: Option<Spanned<RawPin>>,
    moby: Option<Spanned<RawPin>>,
    rootlesskit: Option<Spanned<RawPin>>,
    runc: Option<Spanned<RawPin>>,
    tini: Option<Spanned<RawPin>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    repository: Spanned<String>,
    tag: Spanned<String>,
    commit: Spanned<String>,
    version: Spanned<String>,
}

impl Pins {
    /// Reads and validates a pin file.
    pub fn load(path: &Utf8Path) -> Result<Pins, PinsError> {
        let text = std::fs::read_to_string(path).map_err(|source| PinsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Pins::parse(path, &text)
    }

    /// Validates pin file text; `path` is only used in messages.
    pub fn parse(path: &Utf8Path, text: &str) -> Result<Pins, PinsError> {
        let invalid =
            |span: Option<Range<usize>>, field: &str, message: String| PinsError::Invalid {
                path: path.to_owned(),
                line: span.map_or(1, |s| line_of(text, s.start)),
                field: field.to_owned(),
                message,
            };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            let field = toml_error_field(text, &message, e.span());
            invalid(e.span(), &field, message)
        })?;
        let go = raw.go.ok_or_else(|| {
            invalid(
                None,
                "go",
                "missing: add `go = \"1.26.5\"` (the Go release upstream builds with)".into(),
            )
        })?;
        if !is_go_version(go.get_ref()) {
            return Err(invalid(
                Some(go.span()),
                "go",
                format!("`{}` must be a Go release such as \"1.26.5\"", go.get_ref()),
            ));
        }

        let mut pins = BTreeMap::new();
        let tables = [
            (Upstream::Buildx, raw.buildx),
            (Upstream::Cli, raw.cli),
            (Upstream::Compose, raw.compose),
            (Upstream::Containerd, raw.containerd),
            (Upstream::Moby, raw.moby),
            (Upstream::Rootlesskit, raw.rootlesskit),
            (Upstream::Runc, raw.runc),
            (Upstream::Tini, raw.tini),
        ];
        for (upstream, table) in tables {
            let Some(table) = table else { continue };
            let table = table.into_inner();
            let field = |f: &str| format!("{upstream}.{f}");
            let repository =
                RepoUrl::parse(table.repository.get_ref()).map_err(|e: UrlError| {
                    invalid(
                        Some(table.repository.span()),
                        &field("repository"),
                        e.to_string(),
                    )
                })?;
            let commit = CommitId::parse(table.commit.get_ref())
                .map_err(|e| invalid(Some(table.commit.span()), &field("commit"), e.to_string()))?;
            let version = table.version.get_ref();
            // The version names files and folders (`docker-29.7.2.tgz`): no `/` at all.
            if version.is_empty()
                || version.starts_with('v')
                || version.contains('/')
                || !is_safe_token(version)
            {
                return Err(invalid(
                    Some(table.version.span()),
                    &field("version"),
                    format!(
                        "`{version}` must be a plain version such as \"29.7.2\" (no leading v)"
                    ),
                ));
            }
            let tag = table.tag.get_ref();
            if tag.is_empty() || !is_safe_token(tag) {
                return Err(invalid(
                    Some(table.tag.span()),
                    &field("tag"),
                    format!("`{tag}` is not a plain tag name"),
                ));
            }
            pins.insert(
                upstream,
                Pin {
                    upstream,
                    repository,
                    tag: tag.clone(),
                    commit,
                    version: version.clone(),
                },
            );
        }
        Ok(Pins {
            go: go.into_inner(),
            pins,
        })
    }

    /// The pin of one upstream, if the file has it.
    pub fn get(&self, upstream: Upstream) -> Option<&Pin> {
        self.pins.get(&upstream)
    }

    /// All pins, sorted by upstream name.
    pub fn iter(&self) -> impl Iterator<Item = &Pin> {
        self.pins.values()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    // Bytes, not a `str` slice: an offset inside a character must not panic.
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The field a TOML error concerns: `-` where TOML itself is broken (its messages quote tokens
/// such as `=` between backticks, never a field); for an unknown, missing or duplicate field
/// the key serde names between backticks; else the `table.key` written where the error is.
fn toml_error_field(text: &str, message: &str, span: Option<Range<usize>>) -> String {
    if text.parse::<toml::Table>().is_err() {
        return "-".into();
    }
    let names_a_field = ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|p| message.starts_with(p));
    if let Some(name) = message
        .split('`')
        .nth(1)
        .filter(|name| names_a_field && !name.is_empty())
    {
        return name.to_owned();
    }
    span.and_then(|s| key_at(text, s.start))
        .unwrap_or_else(|| "-".into())
}

/// `table.key` (or `key` before any table) of the `key = value` line holding `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line = line_of(text, offset);
    let key = text.lines().nth(line - 1)?.split_once('=')?.0;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text
        .lines()
        .take(line - 1)
        .filter_map(|l| l.trim().strip_prefix('['))
        .last()
        .map(|header| {
            header
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
        })
        .map(|t| t.trim().trim_matches(['"', '\'']));
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_owned(),
    })
}

fn is_go_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Tags and versions end up in file names and ldflags: keep them to a safe alphabet.
fn is_safe_token(s: &str) -> bool {
    !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+' | b'/'))
        && !s.starts_with(['-', '/'])
}
