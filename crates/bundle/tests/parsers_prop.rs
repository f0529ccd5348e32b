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
use test_fixtures::mutations::{self, TOML_SYNTAX, config};

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

/// TOML that means something to a reader of `dockyard.toml`, and text that does not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment(&[
        TOML_SYNTAX,
        &[
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
        ],
    ])
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
                    let line = mutations::line_named(&shown)?;
                    mutations::assert_a_line_of(bytes, line, &shown)?;
                }
                // Not UTF-8: refused as it is read.
                BundleError::Io(io) => {
                    prop_assert_eq!(&io.path, &path);
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
        edits in mutations::edits(fragment())
    ) {
        let bytes = mutations::apply(SEED.as_bytes(), &edits);
        let (_tmp, dir) = folder(&bytes);
        check(&dir, &bytes)?;
    }

    #[test]
    fn an_arbitrary_dockyard_toml_is_refused_naming_the_file_and_line_never_panics(
        bytes in prop_oneof![
            // Arbitrary bytes, fragments run together, and any UTF-8 text: a third each.
            2 => mutations::arbitrary_bytes(fragment()),
            1 => any::<String>().prop_map(String::into_bytes),
        ]
    ) {
        let (_tmp, dir) = folder(&bytes);
        check(&dir, &bytes)?;
    }
}
