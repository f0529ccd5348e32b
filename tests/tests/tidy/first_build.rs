//! What keeps a newcomer's first `cargo build -p xtask` short (docs/benchmarks.md): crates that
//! cost it minutes on two cores stay out of the build, whatever a `cargo update` brings.

use std::collections::BTreeSet;

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

use super::root;

/// Each with why it is kept out: the system's OpenSSL does TLS (git2 links it already), and
/// `idna_adapter` 1.1 (held in `Cargo.lock`) does international names without ICU4X.
const KEPT_OUT: &[(&str, &str)] = &[
    (
        "rustls",
        "TLS is the system's OpenSSL (reqwest's native-tls)",
    ),
    ("ring", "TLS is the system's OpenSSL"),
    (
        "aws-lc-sys",
        "TLS is the system's OpenSSL; aws-lc is a CMake build",
    ),
    (
        "icu_normalizer",
        "idna_adapter 1.1 (unicode-rs), not ICU4X: `cargo update -p idna_adapter --precise 1.1.0`",
    ),
    ("icu_properties", "idna_adapter 1.1 (unicode-rs), not ICU4X"),
];

/// Every package `cargo build -p xtask` compiles: xtask's normal and build dependencies,
/// transitively.
fn compiled_for_xtask() -> BTreeSet<String> {
    let meta = MetadataCommand::new()
        .manifest_path(root().join("Cargo.toml"))
        .exec()
        .unwrap();
    let resolve = meta.resolve.as_ref().expect("a resolved graph");
    let xtask = meta
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == "xtask")
        .unwrap()
        .id
        .clone();
    let mut seen: BTreeSet<PackageId> = BTreeSet::new();
    let mut todo = vec![xtask];
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = resolve.nodes.iter().find(|n| n.id == id).unwrap();
        for dep in &node.deps {
            if dep
                .dep_kinds
                .iter()
                .any(|k| k.kind != DependencyKind::Development)
            {
                todo.push(dep.pkg.clone());
            }
        }
    }
    meta.packages
        .iter()
        .filter(|p| seen.contains(&p.id))
        .map(|p| p.name.to_string())
        .collect()
}

#[test]
fn the_first_build_compiles_none_of_the_crates_kept_out() {
    let compiled = compiled_for_xtask();
    // The walk is real: it reaches what xtask is known to need.
    assert!(
        compiled.contains("git2") && compiled.contains("reqwest"),
        "{compiled:?}"
    );
    for (name, why) in KEPT_OUT {
        assert!(
            !compiled.contains(*name),
            "`cargo build -p xtask` compiles {name}: {why}"
        );
    }
}
