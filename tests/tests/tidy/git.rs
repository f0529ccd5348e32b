//! git is the sources' business: only `sources` links git2, so one crate holds every way a tree
//! is fetched, checked out and committed, and every other crate asks it.

use super::*;

/// Who else may declare git2, and why.
const ALSO_GIT2: [(&str, DependencyKind, &str); 2] = [
    (
        "test-fixtures",
        DependencyKind::Normal,
        "the fixture upstreams are git repositories, and only tests link this crate",
    ),
    (
        "release",
        DependencyKind::Development,
        "its tests branch a fixture repository and read its tags back",
    ),
];

#[test]
fn only_sources_declares_git2() {
    let meta = metadata();
    let mut found = Vec::new();
    for package in meta.workspace_packages() {
        for dependency in package.dependencies.iter().filter(|d| d.name == "git2") {
            let allowed = package.name.as_str() == "sources"
                || ALSO_GIT2
                    .iter()
                    .any(|(p, kind, _)| *p == package.name.as_str() && *kind == dependency.kind);
            if !allowed {
                found.push(format!("{} ({:?})", package.name, dependency.kind));
            }
        }
    }
    assert!(
        found.is_empty(),
        "crates that declare git2 (ask `sources` instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn test_fixtures_is_a_normal_dependency_only_behind_a_feature() {
    // So the git2 it links reaches a build only through tests.
    let meta = metadata();
    for package in meta.workspace_packages() {
        for dependency in &package.dependencies {
            if dependency.name == "test-fixtures" && dependency.kind == DependencyKind::Normal {
                assert!(
                    dependency.optional,
                    "{} depends on test-fixtures outside its tests",
                    package.name
                );
            }
        }
    }
}

#[test]
fn only_sources_code_names_git2() {
    let mut dirs: Vec<Utf8PathBuf> = crates()
        .iter()
        .filter(|c| !["sources", "test-fixtures"].contains(&c.as_str()))
        .map(|c| root().join("crates").join(c).join("src"))
        .collect();
    dirs.push(root().join("xtask/src"));
    let mut found = Vec::new();
    for file in dirs.iter().flat_map(|d| rust_files(d)) {
        if names_git2(&code_of(&file)) {
            found.push(file.to_string());
        }
    }
    assert!(
        found.is_empty(),
        "files that use git2 (ask `sources` instead):\n{}",
        found.join("\n")
    );
}

fn names_git2(code: &str) -> bool {
    dependencies::names_crate(code, "git2")
}

#[test]
fn git2_is_found_by_path_and_by_use_and_not_in_comments() {
    assert!(names_git2("let repo = git2::Repository::init(&tree)?;"));
    assert!(names_git2("use git2;"));
    assert!(!names_git2("let libgit2 = 1; my_git2::x();"));
    assert!(!names_git2(&code::code_of_text(
        "// git2::Time, as the sources read it\nfn f() {}"
    )));
}
