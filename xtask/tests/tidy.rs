//! Checks on the repository itself (rust-analyzer's idea): cheap, and they keep the map true.

use camino::{Utf8Path, Utf8PathBuf};

fn root() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn pins_lock_is_valid_and_sorted() {
    let text = std::fs::read_to_string(root().join("pins.lock")).unwrap();
    build_core::pins::Pins::parse("pins.lock".into(), &text).unwrap();
    let tables: Vec<&str> = text.lines().filter(|l| l.starts_with('[')).collect();
    let mut sorted = tables.clone();
    sorted.sort_unstable();
    assert_eq!(tables, sorted, "keep pins.lock's tables sorted by name");
}

#[test]
fn every_crate_starts_with_a_doc_paragraph() {
    for name in crates() {
        let lib = root().join("crates").join(&name).join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        assert!(
            text.starts_with("//!"),
            "{lib} must start with a //! paragraph saying what the crate is for"
        );
    }
    assert!(
        std::fs::read_to_string(root().join("xtask/src/main.rs"))
            .unwrap()
            .starts_with("//!")
    );
}

#[test]
fn architecture_md_names_every_crate() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for name in crates() {
        let mentioned = text.contains(&format!("crates/{name}"))
            || (name.ends_with("-build")
                && text.contains("crates/{runc,containerd,moby,proxy,cli,tini}-build"));
        assert!(mentioned, "ARCHITECTURE.md does not describe crates/{name}");
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(readme.contains("cargo test --workspace") && ci.contains("\ncargo test --workspace"));
}
