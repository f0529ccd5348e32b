//! Which way dependencies point: the rules the arrows of ARCHITECTURE.md follow, so that
//! redrawing the map cannot quietly change them.

use super::*;

#[test]
fn build_core_depends_on_no_component_or_composer() {
    let meta = metadata();
    let deps = normal_dependencies(&meta, "build-core");
    for forbidden in recipes()
        .iter()
        .map(String::as_str)
        .chain(["bundle", "engine", "xtask"])
    {
        assert!(
            !deps.contains(forbidden),
            "build-core depends on {forbidden}"
        );
    }
}

#[test]
fn sources_are_below_the_builds() {
    let meta = metadata();
    let crates = crates();
    let ours = |package: &str| -> BTreeSet<String> {
        normal_dependencies(&meta, package)
            .into_iter()
            .filter(|d| crates.contains(d))
            .collect()
    };
    assert_eq!(
        ours("sources"),
        BTreeSet::new(),
        "sources depends on no crate of ours"
    );
    // test-fixtures only with the `testing` feature, for the recipes' tests.
    assert_eq!(
        ours("build-core"),
        BTreeSet::from([
            "component-specs".to_owned(),
            "sources".to_owned(),
            "test-fixtures".to_owned()
        ]),
        "build-core builds from sources, the components' data, and nothing else of ours"
    );
}

#[test]
fn the_engine_reads_bundles_through_their_format_not_their_builder() {
    let meta = metadata();
    let crates = crates();
    let ours: BTreeSet<String> = normal_dependencies(&meta, "engine")
        .into_iter()
        .filter(|d| crates.contains(d))
        .collect();
    assert_eq!(
        ours,
        BTreeSet::from(["build-core".to_owned(), "bundle-format".to_owned()]),
        "the engine needs what a bundle is (bundle-format), never the recipes or the builder"
    );
    let format: BTreeSet<String> = normal_dependencies(&meta, "bundle-format")
        .into_iter()
        .filter(|d| crates.contains(d))
        .collect();
    assert_eq!(
        format,
        BTreeSet::from(["build-core".to_owned(), "component-specs".to_owned()])
    );
}

#[test]
fn the_components_data_depends_on_nothing() {
    // Both the recipes and the readers of bundles link it: whatever it depended on, both
    // would, and a reader of bundles would link the builder's dependencies.
    let deps = normal_dependencies(&metadata(), "component-specs");
    assert_eq!(
        deps,
        BTreeSet::new(),
        "component-specs is plain data, std only"
    );
}

#[test]
fn the_bench_and_release_libraries_depend_on_build_core_only() {
    let meta = metadata();
    for library in ["bench", "release"] {
        let crates = crates();
        let ours: BTreeSet<String> = normal_dependencies(&meta, library)
            .into_iter()
            .filter(|d| crates.contains(d))
            .collect();
        assert_eq!(
            ours,
            BTreeSet::from(["build-core".to_owned()]),
            "{library} must depend on no crate of ours but build-core"
        );
    }
}

#[test]
fn recipes_depend_on_build_core_only() {
    let meta = metadata();
    for recipe in recipes() {
        let deps = normal_dependencies(&meta, &recipe);
        assert_eq!(
            deps,
            BTreeSet::from(["build-core".to_owned()]),
            "{recipe} must depend on build-core alone, so another tool can use it alone"
        );
    }
}

#[test]
fn libraries_never_depend_on_the_command_line() {
    let meta = metadata();
    for library in libraries() {
        let deps = normal_dependencies(&meta, &library);
        for forbidden in ["xtask", "clap", "indicatif", "anyhow", "ctrlc"] {
            assert!(
                !deps.contains(forbidden),
                "{library} depends on {forbidden}: only xtask talks to people"
            );
        }
    }
}
