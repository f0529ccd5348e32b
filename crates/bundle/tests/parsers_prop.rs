//! Property tests of `dockyard.toml` (`SharedCacheSettings::read`): for arbitrary and mutated
//! files, reading never panics, a refusal names the file and (for TOML it cannot take) the
//! line, and accepted keys are made absolute against the file's folder.
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use bundle::BundleError;
use bundle::shared::{CONFIG_FILE, SharedCacheSettings};
use camino::{Utf8Path, Utf8PathBuf};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;

/// A team's settings using every key.
const SEED: &str = r#"# The team's cache: components and Go's build cache in our registry.
[cache]
from = ["registry.example.com/team/components", "ghcr.io/team/components"]
to = ["registry.example.com/team/components"]
verify = "keys/team.pub"
sign = "/etc/dockyard/team.key"
required = true
go = "registry.example.com/team/go-cache"
"#;

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

/// One edit of a file; positions are taken modulo its length when applied.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceLine(Index, String),
    Truncate(Index),
    Insert(Index, Vec<u8>),
}

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
            "#",
            "\\",
            "\\u",
            "\n",
            "\r\n",
            "\t",
            "\0",
            "\u{feff}",
            "é",
            "\"\"\"",
            "'''",
            "true",
            "1",
            "-1",
            "1e999",
            "[]",
            "[cache]\n",
            "[[cache]]\n",
            "[cache.go]\n",
            "[other]\n",
            "form = []\n",
            "required = \"yes\"\n",
            "from = \"x\"\n",
            "verify = 1\n",
            "go = []\n",
            "verify = \"\"\n",
            "sign = \"../../k\"\n",
            "cache = 1\n",
            "\"\" = 1\n",
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
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s.into_bytes())),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
    ]
}

fn mutate(seed: &str, edits: &[Edit]) -> Vec<u8> {
    let mut text = seed.as_bytes().to_vec();
    for edit in edits {
        let mut lines: Vec<Vec<u8>> = text
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
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
                lines[i] = format!("{s}\n").into_bytes();
            }
            Edit::Truncate(i) => {
                text.truncate(i.index(text.len() + 1));
                continue;
            }
            Edit::Insert(i, bytes) => {
                let at = i.index(text.len() + 1);
                text.splice(at..at, bytes.iter().copied());
                continue;
            }
            _ => continue,
        }
        text = lines.concat();
    }
    text
}

/// A folder holding `dockyard.toml` with `bytes`.
fn folder(bytes: &[u8]) -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().join("checkout")).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(CONFIG_FILE), bytes).unwrap();
    (tmp, dir)
}

/// Reads `dir`'s `dockyard.toml` and checks the answer either way.
fn check(dir: &Utf8Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = dir.join(CONFIG_FILE);
    match SharedCacheSettings::read(dir) {
        Ok(settings) => {
            for key in [&settings.verify, &settings.sign].into_iter().flatten() {
                // A relative key is the file's folder's: never the working directory's.
                prop_assert!(key.is_absolute(), "{} is not absolute", key);
            }
        }
        Err(err) => {
            let shown = err.to_string();
            prop_assert!(
                shown.contains(path.as_str()),
                "does not name {}: {}",
                path,
                shown
            );
            match &err {
                BundleError::Config { path: named, .. } => {
                    prop_assert_eq!(named, &path);
                    // TOML it cannot take, or a key or value it refuses: at a line of the file.
                    let line: usize = shown
                        .split("line ")
                        .nth(1)
                        .and_then(|at| at.split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| TestCaseError::fail(format!("names no line: {shown}")))?;
                    let lines = bytes.split(|&b| b == b'\n').count();
                    prop_assert!(
                        (1..=lines).contains(&line),
                        "line {} of {}: {}",
                        line,
                        lines,
                        shown
                    );
                }
                // Not UTF-8: refused as it is read.
                BundleError::Io { path: named, .. } => {
                    prop_assert_eq!(named, &path);
                    prop_assert!(std::str::from_utf8(bytes).is_err(), "{}", shown);
                }
                other => prop_assert!(false, "reading dockyard.toml gave {}", other),
            }
        }
    }
    Ok(())
}

#[test]
fn the_seed_dockyard_toml_is_read() {
    let (_tmp, dir) = folder(SEED.as_bytes());
    let settings = SharedCacheSettings::read(&dir).unwrap();
    assert_eq!(settings.from.len(), 2);
    assert_eq!(settings.verify, Some(dir.join("keys/team.pub")));
    assert!(settings.required);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_dockyard_toml_is_refused_naming_the_file_and_line_never_panics(
        edits in prop::collection::vec(edit(), 1..5)
    ) {
        let bytes = mutate(SEED, &edits);
        let (_tmp, dir) = folder(&bytes);
        check(&dir, &bytes)?;
    }

    #[test]
    fn an_arbitrary_dockyard_toml_is_refused_naming_the_file_and_line_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(fragment(), 0..24).prop_map(|p| p.concat().into_bytes()),
        ]
    ) {
        let (_tmp, dir) = folder(&bytes);
        check(&dir, &bytes)?;
    }
}
