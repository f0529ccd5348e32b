//! No dependency is declared that nothing uses.

use super::*;

#[test]
fn every_dependency_is_used() {
    // A dependency is used when the package's code (its `src/`, `build.rs` and, for a dev
    // dependency, its tests, examples and benches) names it as a path (`name::`) or in a
    // `use`; one that nothing names only costs every clean build its compile.
    let meta = metadata();
    let mut unused = Vec::new();
    for package in meta.workspace_packages() {
        let dir = package.manifest_path.parent().unwrap();
        let read = |dirs: &[&str]| -> String {
            let mut code = String::new();
            for d in dirs {
                let path = dir.join(d);
                if path.is_dir() {
                    for file in rust_files(&path) {
                        code.push_str(&std::fs::read_to_string(file).unwrap());
                    }
                } else if path.is_file() {
                    code.push_str(&std::fs::read_to_string(path).unwrap());
                }
            }
            code
        };
        let normal = read(&["src", "build.rs"]);
        let all = normal.clone() + &read(&["tests", "examples", "benches"]);
        for dependency in &package.dependencies {
            // Its library's name: the rename, or the package's with `-` as `_` (or dropped,
            // as `md-5`'s `md5`).
            let names = match &dependency.rename {
                Some(rename) => vec![rename.clone()],
                None => vec![
                    dependency.name.replace('-', "_"),
                    dependency.name.replace('-', ""),
                ],
            };
            let code = match dependency.kind {
                DependencyKind::Normal => &normal,
                _ => &all,
            };
            let named = names.iter().any(|name| names_crate(code, name));
            if !named {
                unused.push(format!(
                    "{} ({:?}): {}",
                    package.name, dependency.kind, dependency.name
                ));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "dependencies nothing uses:\n{}",
        unused.join("\n")
    );
}

/// Whether `code` names the crate `name`: `name::…`, `use name;` or `extern crate name`, not
/// as the tail of another name (`serde_json::` does not name `serde`).
pub(super) fn names_crate(code: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = &code[at + name.len()..];
        !before.is_some_and(ident)
            && (after.starts_with("::")
                || (code[..at].ends_with("use ") || code[..at].ends_with("extern crate "))
                    && !after.starts_with(ident))
    })
}
