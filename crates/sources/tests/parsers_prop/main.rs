//! Property tests of every parser of outside input in `sources`: `pins.lock`, commit ids,
//! repository URLs, mirrors, and patch series and files. For arbitrary input and for mutations
//! of valid input, each parser never panics, and when it refuses, its error names the file
//! (and, for `pins.lock` and a series, the line).
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use sources::pins::{CommitId, Pins, PinsError};
use sources::source::{Mirror, Patch, PatchError, SERIES};
use sources::url::RepoUrl;

/// The repository's own `pins.lock`: every mutation starts from it.
const SEED: &str = include_str!("../../../../pins.lock");
/// Where the mutated file pretends to live: every error must name it.
const PINS_PATH: &str = "/srv/team/dockyard/pins.lock";
const UPSTREAMS: [&str; 8] = [
    "buildx",
    "cli",
    "compose",
    "containerd",
    "moby",
    "rootlesskit",
    "runc",
    "tini",
];
const PIN_FIELDS: [&str; 4] = ["repository", "tag", "commit", "version"];

/// 256 cases from a fixed seed; `PROPTEST_CASES` (and `PROPTEST_RNG_SEED`) override them.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            256
        },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            default.rng_seed
        } else {
            RngSeed::Fixed(0x5eed)
        },
        failure_persistence: None,
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid text.

/// One edit of a text; positions are taken modulo its length when applied.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceLine(Index, String),
    Truncate(Index),
    Insert(Index, String),
}

/// Text that is likely to mean something to a TOML, JSON or diff reader, and text that is not.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
        "[\\x00-\\x7f]{1,6}",
        prop::sample::select(vec![
            "\"",
            "'",
            "[",
            "]",
            "[[",
            "]]",
            "=",
            "{",
            "}",
            ",",
            ":",
            "#",
            "\\",
            "\\u",
            "\n",
            "\r\n",
            "\t",
            "\0",
            "\u{feff}",
            "é",
            "😀",
            "\"\"\"",
            "'''",
            "..",
            "/",
            "-",
            "+",
            "@@ ",
            "--- ",
            "+++ ",
            "diff --git ",
            "null",
            "true",
            "1e999",
            "-1",
            "99999999999999999999",
            "[moby]\n",
            "go = \"1\"\n",
            "commit = 1\n",
            "=\"\"\n",
            "\"\" = 1\n",
            "[a.b]\n",
            "[[moby]]\n",
        ])
        .prop_map(str::to_owned),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::ReplaceLine(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..5)
}

/// The largest char boundary of `s` at or before `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_owned();
    for edit in edits {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        match edit {
            Edit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i.index(lines.len()));
            }
            Edit::DuplicateLine(i) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines.insert(i, lines[i].clone());
            }
            Edit::SwapLines(a, b) if !lines.is_empty() => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
            }
            Edit::ReplaceLine(i, s) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines[i] = format!("{s}\n");
            }
            Edit::Truncate(i) => {
                let at = boundary(&text, i.index(text.len() + 1));
                text.truncate(at);
                continue;
            }
            Edit::Insert(i, s) => {
                let at = boundary(&text, i.index(text.len() + 1));
                text.insert_str(at, s);
                continue;
            }
            _ => continue,
        }
        text = lines.concat();
    }
    text
}

mod patches;
mod pins;
mod urls;
