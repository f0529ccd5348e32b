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
use sources::pins::{CommitId, Pins, PinsError};
use sources::source::{Mirror, Patch, PatchError, SERIES};
use sources::url::RepoUrl;
use test_fixtures::mutations::{self, Edit, TOML_SYNTAX, apply_str, boundary, config};

/// The repository's own `pins.lock`: every mutation starts from it.
const SEED: &str = include_str!("../../../../pins.lock");
/// Where the mutated file pretends to live: every error must name it.
const PINS_PATH: &str = "/srv/team/dockyard/pins.lock";
/// The tables of the seed, in its order: the fixtures' upstreams.
static UPSTREAMS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    test_fixtures::Kind::ALL
        .map(test_fixtures::Kind::name)
        .to_vec()
});
const PIN_FIELDS: [&str; 4] = ["repository", "tag", "commit", "version"];

// ---------------------------------------------------------------------------------------------
// Mutations of a valid text.

/// Text that is likely to mean something to a TOML, JSON or diff reader, and text that is not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment(&[
        TOML_SYNTAX,
        &[
            ":",
            "😀",
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
        ],
    ])
}

/// One to four edits of a valid text that keep it UTF-8 (for [`apply_str`]).
fn edits() -> impl Strategy<Value = Vec<Edit>> {
    mutations::text_edits(fragment())
}

mod patches;
mod pins;
mod urls;
