//! Checks on the repository itself (rust-analyzer's idea): cheap, and they keep the map and the
//! architecture true as many hands change the code.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand};

mod arrows;
mod code;
mod dependencies;
mod first_build;
mod git;
mod layering;
mod output;

use code::{code_of, library_files, rust_files, string_literals};

fn root() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn metadata() -> Metadata {
    MetadataCommand::new()
        .manifest_path(root().join("Cargo.toml"))
        .no_deps()
        .exec()
        .unwrap()
}

/// Each workspace package's normal (non-dev) dependencies, by name.
fn normal_dependencies(meta: &Metadata, package: &str) -> BTreeSet<String> {
    let p = meta
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == package)
        .unwrap_or_else(|| panic!("no package {package}"));
    p.dependencies
        .iter()
        .filter(|d| d.kind == DependencyKind::Normal)
        .map(|d| d.name.clone())
        .collect()
}

fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The library crates: everything under `crates/` but the test-only helpers.
fn libraries() -> Vec<String> {
    crates()
        .into_iter()
        .filter(|c| c != "test-fixtures")
        .collect()
}

fn recipes() -> Vec<String> {
    crates()
        .into_iter()
        .filter(|c| c.ends_with("-build"))
        .collect()
}

#[test]
fn build_core_knows_no_particular_upstream_s_build() {
    // `upstream.rs` and `pins.rs` name the upstreams (the pins' tables); `testing.rs` builds
    // their fixtures.
    let mut files = rust_files(&root().join("crates/build-core/src"));
    files.extend(rust_files(&root().join("crates/sources/src")));
    for file in files {
        if ["upstream.rs", "pins.rs", "testing.rs"]
            .iter()
            .any(|f| file.ends_with(f))
        {
            continue;
        }
        let code = code_of(&file).to_lowercase();
        let words: BTreeSet<&str> = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .collect();
        for name in ["runc", "tini", "containerd", "dockerd", "docker-proxy"] {
            assert!(
                !words.contains(name),
                "{file} knows {name}: the recipe that needs it declares it"
            );
        }
        assert!(
            !code.contains("seccomp"),
            "{file} knows libseccomp: the recipe that links it declares it"
        );
    }
}

/// The source folders of what ships: every library crate's and xtask's.
fn shipped_sources() -> Vec<Utf8PathBuf> {
    let mut dirs: Vec<Utf8PathBuf> = libraries()
        .iter()
        .map(|c| root().join("crates").join(c).join("src"))
        .collect();
    dirs.push(root().join("xtask/src"));
    dirs
}

#[test]
fn only_the_cache_layout_names_folders_of_the_cache() {
    let allowed = root().join("crates/sources/src/cache.rs");
    let dirs = shipped_sources();
    for file in dirs.iter().flat_map(|d| rust_files(d)) {
        if file == allowed || file.ends_with("testing.rs") {
            continue;
        }
        let code = code_of(&file);
        for folder in [
            "git",
            "checkouts",
            "locks",
            "work",
            "work/tree-stats",
            "artifacts",
            "tgz",
            "sysroots",
            "engines",
            "conformance/images",
        ] {
            assert!(
                !code.contains(&format!(".join(\"{folder}\")")),
                "{file} names the cache's `{folder}` folder; use build_core::cache::CacheLayout"
            );
        }
    }
}

#[test]
fn only_the_process_module_spawns_processes() {
    let allowed = root().join("crates/build-core/src/process.rs");
    let dirs = shipped_sources();
    for dir in dirs {
        for file in rust_files(&dir) {
            if file == allowed {
                continue;
            }
            let code = code_of(&file);
            for spawn in [
                "std::process::Command",
                "process::Command::",
                "Command::new(",
                "duct::cmd",
                "libc::fork",
                "libc::exec",
            ] {
                // `LoggedCommand::new(` is the way; a bare `Command::new(` is not.
                let found = code.match_indices(spawn).any(|(i, _)| {
                    !code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                assert!(
                    !found,
                    "{file} spawns a process ({spawn}); use build_core::process::LoggedCommand"
                );
            }
        }
    }
}

/// Flags dockyard's own command line defines, read from the `--help` snapshots.
fn dockyard_flags() -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("tests/tests/snapshots")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().contains("help") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            // A flag is `--` and a name (`---` is a snapshot's header rule, not a flag).
            if let Some(flag) = word.strip_prefix("--")
                && flag.starts_with(|c: char| c.is_ascii_alphabetic())
                // `--format` is also Docker's own (`docker info --format`), which the engine runs;
                // `--passphrase-file` gpg's own, which package-repo signs with.
                && !["help", "version", "format", "passphrase-file"].contains(&flag)
            {
                flags.insert(format!("--{flag}"));
            }
        }
    }
    assert!(flags.contains("--mirror") && flags.contains("--offline"));
    flags
}

#[test]
fn library_messages_never_name_the_command_line() {
    let flags = dockyard_flags();
    // ci-pipelines' output is dockyard's command lines (a CI file's steps), not messages.
    for library in libraries().into_iter().filter(|l| l != "ci-pipelines") {
        for file in rust_files(&root().join("crates").join(&library).join("src")) {
            for literal in string_literals(&code_of(&file)) {
                assert!(
                    !literal.contains("cargo xtask"),
                    "{file}: {literal:?} names the command line; let xtask add that advice"
                );
                for flag in &flags {
                    let named = literal.match_indices(flag.as_str()).any(|(i, _)| {
                        !literal[i + flag.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                    });
                    assert!(
                        !named,
                        "{file}: {literal:?} names dockyard's {flag}; let xtask add that advice"
                    );
                }
            }
        }
    }
}

#[test]
fn no_source_file_has_two_jobs() {
    let mut dirs: Vec<Utf8PathBuf> = crates()
        .iter()
        .map(|c| root().join("crates").join(c))
        .collect();
    dirs.extend([root().join("xtask"), root().join("tests")]);
    for dir in dirs {
        for file in rust_files(&dir) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            assert!(
                lines <= 500,
                "{file} has {lines} lines: split it along its seams"
            );
        }
    }
}

#[test]
fn xtask_stays_a_thin_command_line() {
    // Doc comments are the help people read (`--help` is made of them), not mechanism.
    let lines: usize = rust_files(&root().join("xtask/src"))
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let code = |l: &&str| !l.trim_start().starts_with("///") && !l.trim().is_empty();
            text.lines().filter(code).count()
        })
        .sum();
    assert!(
        lines < 1800,
        "xtask/src has {lines} lines of code: move mechanism into a library crate"
    );
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
    let mut libs: Vec<Utf8PathBuf> = crates()
        .iter()
        .map(|c| root().join("crates").join(c).join("src/lib.rs"))
        .collect();
    libs.extend([
        root().join("xtask/src/lib.rs"),
        root().join("xtask/src/main.rs"),
    ]);
    libs.push(root().join("tests/src/lib.rs"));
    for lib in libs {
        let text = std::fs::read_to_string(&lib).unwrap();
        // A library crate's doc is its README (so the README's example is a doctest): a title,
        // then the paragraph.
        let readme = lib.parent().unwrap().join("../README.md");
        let doc = if text.starts_with("#![doc = include_str!(\"../README.md\")]") {
            let readme = std::fs::read_to_string(&readme).unwrap();
            let after_title = readme.split_once("\n\n").map(|(_, rest)| rest.to_owned());
            assert!(readme.starts_with("# "), "{readme} must start with a title");
            after_title.unwrap_or_default()
        } else {
            text
        };
        assert!(
            doc.starts_with("//!") || doc.chars().next().is_some_and(char::is_alphanumeric),
            "{lib} must start with a paragraph saying what the crate is for"
        );
    }
}

#[test]
fn architecture_md_names_every_crate() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    // The recipe crates share one heading: `crates/{runc,containerd,…}-build`.
    let recipes: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("### `crates/{")?.strip_suffix("}-build`"))
        .map(|names| names.split(',').collect())
        .unwrap_or_default();
    for name in crates() {
        let mentioned = text.contains(&format!("crates/{name}"))
            || name
                .strip_suffix("-build")
                .is_some_and(|stem| recipes.contains(&stem));
        assert!(mentioned, "ARCHITECTURE.md does not describe crates/{name}");
    }
    assert!(text.contains("`tests/`") && text.contains("`xtask`"));
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(readme.contains("cargo test --workspace") && ci.contains("\ncargo test --workspace"));
    for lint in [
        "\ncargo fmt --all -- --check",
        "\ncargo clippy --workspace --all-targets -- -D warnings",
    ] {
        assert!(ci.contains(lint), ".ci/run does not run{lint}");
    }
}
