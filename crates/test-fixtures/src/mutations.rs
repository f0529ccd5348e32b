//! Mutations of a valid text, for the property tests of every parser of outside input.
//!
//! Each parser's property tests (`pins.lock`, patch series and patches, `dockyard.toml`, a
//! bundle's `manifest.json` and `SHA256SUMS`, the component record, OCI manifests and indexes,
//! Go's `GOCACHEPROG` stream) start from a valid text and edit it: delete, duplicate or swap
//! lines, replace one, cut the text short, insert a fragment or a few bytes. One machinery
//! serves them all, so that a fix or a new kind of edit reaches every parser, and the seeded
//! configuration (256 cases, a fixed seed, `PROPTEST_CASES` and `PROPTEST_RNG_SEED` to override
//! them) is the same everywhere. The words of JSON's and TOML's syntax ([`JSON_SYNTAX`],
//! [`TOML_SYNTAX`]) and the check that a refusal names a line of the text ([`line_named`],
//! [`assert_a_line_of`]) are shared too. What stays in each test is what belongs to its format:
//! its seed text, its own words (for [`fragment`]) and its checks.
//!
//! Behind the `proptest` feature, so that the crates that use the fixtures without property
//! tests do not build proptest.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;

/// 256 cases from a fixed seed (`0x5eed`), no failure persistence; `PROPTEST_CASES` (and
/// `PROPTEST_RNG_SEED`) override them, so `PROPTEST_CASES=10000` runs longer by hand.
pub fn config() -> ProptestConfig {
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

/// One edit of a text; positions are taken modulo its length (or its number of lines) when
/// applied, and an edit of lines leaves a text without lines as it is.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Removes a line.
    DeleteLine(Index),
    /// Writes a line twice.
    DuplicateLine(Index),
    /// Swaps two lines (maybe the same one).
    SwapLines(Index, Index),
    /// Replaces a line with this one (and a `\n`).
    ReplaceLine(Index, String),
    /// Cuts the text short at a position (maybe its end).
    Truncate(Index),
    /// Inserts bytes at a position (maybe the end).
    Insert(Index, Vec<u8>),
    /// Changes one byte that is a hex digit (of a digest, or a number) into another hex digit,
    /// a space or a `g` (chosen by the byte's value).
    Flip(Index, u8),
}

impl Edit {
    /// Applies this edit to `text`.
    pub fn apply_to(&self, text: &mut Vec<u8>) {
        edit_text(text, self, false);
    }
}

/// Applies `edits` to `text`, in order.
pub fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut text = text.to_vec();
    for edit in edits {
        edit_text(&mut text, edit, false);
    }
    text
}

/// [`apply`] to a UTF-8 text, keeping it UTF-8: a cut or an insertion moves back to the char
/// boundary at or before its position, and inserted bytes are read as UTF-8 (lossily).
pub fn apply_str(text: &str, edits: &[Edit]) -> String {
    let mut text = text.as_bytes().to_vec();
    for edit in edits {
        edit_text(&mut text, edit, true);
    }
    String::from_utf8(text).expect("edits of a UTF-8 text keep it UTF-8")
}

/// The largest char boundary of `s` at or before `at`.
pub fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The lines of `text`, each with its `\n` (the last one maybe without).
pub fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Applies `edit` to `text`; with `utf8`, as [`apply_str`] does.
fn edit_text(text: &mut Vec<u8>, edit: &Edit, utf8: bool) {
    // A position in the text, or at its end.
    let at = |text: &[u8], i: &Index| {
        let at = i.index(text.len() + 1);
        if utf8 {
            boundary(std::str::from_utf8(text).expect("a UTF-8 text"), at)
        } else {
            at
        }
    };
    match edit {
        Edit::DeleteLine(i) => edit_lines(text, |lines| {
            lines.remove(i.index(lines.len()));
        }),
        Edit::DuplicateLine(i) => edit_lines(text, |lines| {
            let i = i.index(lines.len());
            lines.insert(i, lines[i].clone());
        }),
        Edit::SwapLines(a, b) => edit_lines(text, |lines| {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
        }),
        Edit::ReplaceLine(i, s) => edit_lines(text, |lines| {
            let i = i.index(lines.len());
            lines[i] = format!("{s}\n").into_bytes();
        }),
        Edit::Truncate(i) => {
            let at = at(text, i);
            text.truncate(at);
        }
        Edit::Insert(i, bytes) => {
            let at = at(text, i);
            if utf8 {
                let s = String::from_utf8_lossy(bytes);
                text.splice(at..at, s.bytes());
            } else {
                text.splice(at..at, bytes.iter().copied());
            }
        }
        Edit::Flip(i, b) => {
            let digits: Vec<usize> = (0..text.len())
                .filter(|&n| text[n].is_ascii_hexdigit())
                .collect();
            if !digits.is_empty() {
                let n = digits[i.index(digits.len())];
                text[n] = b"0123456789abcdefABCDEF g"[usize::from(*b) % 24];
            }
        }
    }
}

/// Changes the lines of `text`, if it has any.
fn edit_lines(text: &mut Vec<u8>, change: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines = lines(text);
    if !lines.is_empty() {
        change(&mut lines);
        *text = lines.concat();
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// JSON's syntax, as every JSON reader meets it: punctuation, literals, numbers.
pub const JSON_SYNTAX: &[&str] = &[
    "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-1", "1e999",
];

/// With [`JSON_SYNTAX`], JSON that means something to a reader of records of digests and sizes
/// (a component record, an OCI manifest): numbers no integer type holds, broken escapes, odd
/// whitespace, and keys and values of the wrong type.
pub const JSON_RECORDS: &[&str] = &[
    "false",
    "0",
    "1.5",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\",
    "\t",
    "\n",
    "\r\n",
    "\0",
    "\u{feff}",
    "é",
    "{}",
    "[]",
    "\"\": 1,",
    "\"a\": {},",
    "sha256:",
    "\"sha256:\"",
    "\"size\": -1,",
    "\"size\": 1.5,",
    "\"size\": \"1\",",
];

/// TOML's syntax, as every TOML reader meets it: punctuation, quotes, escapes and odd
/// whitespace.
pub const TOML_SYNTAX: &[&str] = &[
    "\"", "'", "[", "]", "[[", "]]", "=", "{", "}", ",", "#", "\\", "\\u", "\n", "\r\n", "\t",
    "\0", "\u{feff}", "é", "\"\"\"", "'''",
];

/// Text that is likely to mean something to a reader of a format (one of the words of `words`,
/// all equally likely), and text that is not (up to 8 arbitrary chars, or 1 to 6 ASCII
/// characters), equally often.
pub fn fragment(words: &[&[&'static str]]) -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
        "[\\x00-\\x7f]{1,6}",
        prop::sample::select(words.concat()).prop_map(str::to_owned),
    ]
    .boxed()
}

/// [`fragment`], and as often as each of its kinds, text matching the regular expression
/// `pattern` (a digest and a path, a hunk header).
pub fn fragment_or_matching(
    pattern: &'static str,
    words: &[&[&'static str]],
) -> BoxedStrategy<String> {
    prop_oneof![3 => fragment(words), 1 => pattern].boxed()
}

/// The edits that keep a UTF-8 text UTF-8, equally often: delete, duplicate, swap or replace
/// (with a `fragment`) lines, cut the text short, insert a `fragment`.
pub fn text_edit(fragment: BoxedStrategy<String>) -> BoxedStrategy<Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<Index>(), fragment.clone()).prop_map(|(i, s)| Edit::ReplaceLine(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), fragment).prop_map(|(i, s)| Edit::Insert(i, s.into_bytes())),
    ]
    .boxed()
}

/// [`text_edit`]'s six edits and, as often as each, inserting 1 to 3 arbitrary bytes.
pub fn edit(fragment: BoxedStrategy<String>) -> BoxedStrategy<Edit> {
    prop_oneof![
        6 => text_edit(fragment),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
    ]
    .boxed()
}

/// [`edit`]'s seven edits and, as often as each, an [`Edit::Flip`] of a hex digit: for texts
/// made of digests and sizes.
pub fn edit_or_flip(fragment: BoxedStrategy<String>) -> BoxedStrategy<Edit> {
    prop_oneof![
        7 => edit(fragment),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
    ]
    .boxed()
}

/// One to four edits made by `edit`, to apply in order.
pub fn several<E: Clone + std::fmt::Debug>(
    edit: impl Strategy<Value = E>,
) -> impl Strategy<Value = Vec<E>> {
    prop::collection::vec(edit, 1..5)
}

/// One to four [`edit`]s: what mutates a valid text.
pub fn edits(fragment: BoxedStrategy<String>) -> impl Strategy<Value = Vec<Edit>> {
    several(edit(fragment))
}

/// One to four [`text_edit`]s: what mutates a valid text and keeps it UTF-8 (with
/// [`apply_str`]).
pub fn text_edits(fragment: BoxedStrategy<String>) -> impl Strategy<Value = Vec<Edit>> {
    several(text_edit(fragment))
}

/// Arbitrary bytes (up to 256), or up to 24 fragments run together, equally often.
pub fn arbitrary_bytes(fragment: BoxedStrategy<String>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        prop::collection::vec(fragment, 0..24).prop_map(|p| p.concat().into_bytes()),
    ]
    .boxed()
}

/// Arbitrary bytes (up to 256), or up to 24 fragments a line each, equally often.
pub fn arbitrary_lines(fragment: BoxedStrategy<String>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        prop::collection::vec(fragment, 0..24).prop_map(|p| p.join("\n").into_bytes()),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Checks of a refusal

/// The line a refusal (as `shown`) names: the number after its first `line `.
pub fn line_named(shown: &str) -> Result<usize, TestCaseError> {
    shown
        .split("line ")
        .nth(1)
        .and_then(|at| at.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| TestCaseError::fail(format!("names no line: {shown}")))
}

/// Fails unless `line`, named by a refusal (as `shown`), is a line of `text`: 1 to its number
/// of `\n`s and one.
pub fn assert_a_line_of(text: &[u8], line: usize, shown: &str) -> Result<(), TestCaseError> {
    let lines = text.split(|&b| b == b'\n').count();
    prop_assert!(
        (1..=lines).contains(&line),
        "line {} of {}: {}",
        line,
        lines,
        shown
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "one\ntwo é\nthree\n";

    fn line_count(text: &[u8]) -> usize {
        lines(text).len()
    }

    #[test]
    fn the_config_is_seeded_and_bounded_unless_the_environment_says_otherwise() {
        let config = config();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            assert_eq!(config.cases, 256);
        }
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            assert_eq!(config.rng_seed, RngSeed::Fixed(0x5eed));
        }
        assert!(config.failure_persistence.is_none());
    }

    #[test]
    fn the_lines_of_a_text_keep_their_newlines() {
        assert_eq!(lines(b"a\nb"), [b"a\n".to_vec(), b"b".to_vec()]);
        assert!(lines(b"").is_empty());
        assert_eq!(boundary("é", 1), 0);
        assert_eq!(boundary("é", 9), 2);
    }

    #[test]
    fn a_refusal_names_a_line_of_the_text() {
        let shown = "x.toml: TOML parse error at line 2, column 3";
        assert_eq!(line_named(shown).unwrap(), 2);
        assert!(line_named("x.toml: no number").is_err());
        assert!(assert_a_line_of(b"a\nb", 2, shown).is_ok());
        assert!(assert_a_line_of(b"a\nb", 3, shown).is_err());
        assert!(assert_a_line_of(b"", 0, shown).is_err());
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn each_edit_changes_the_text_as_it_says(
            edit in edit_or_flip(fragment(&[JSON_SYNTAX, JSON_RECORDS])),
        ) {
            let text = apply(TEXT.as_bytes(), std::slice::from_ref(&edit));
            let (before, after) = (line_count(TEXT.as_bytes()), line_count(&text));
            match &edit {
                Edit::DeleteLine(_) => prop_assert_eq!(after, before - 1),
                Edit::DuplicateLine(_) => prop_assert_eq!(after, before + 1),
                Edit::SwapLines(..) => prop_assert_eq!(text.len(), TEXT.len()),
                Edit::Truncate(_) => prop_assert!(TEXT.as_bytes().starts_with(&text)),
                Edit::Insert(_, bytes) => prop_assert_eq!(text.len(), TEXT.len() + bytes.len()),
                Edit::Flip(..) => {
                    prop_assert_eq!(text.len(), TEXT.len());
                    let changed = text.iter().zip(TEXT.bytes()).filter(|(a, b)| **a != *b).count();
                    prop_assert!(changed <= 1);
                }
                Edit::ReplaceLine(..) => {}
            }
        }

        #[test]
        fn edits_of_a_utf8_text_keep_it_utf8_and_edits_of_no_text_never_panic(
            edits in edits(fragment(&[JSON_SYNTAX, JSON_RECORDS])),
            flips in several(edit_or_flip(fragment_or_matching("[0-9a-f]{4}", &[TOML_SYNTAX]))),
        ) {
            let text = apply_str(TEXT, &edits);
            let _ = apply_str(&text, &flips);
            let _ = apply(b"", &edits);
            let mut bytes = Vec::new();
            for edit in &flips {
                edit.apply_to(&mut bytes);
            }
        }
    }
}
