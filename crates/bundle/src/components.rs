//! The components, as one table: every verb that builds reads their descriptors from here;
//! readers of bundles read `bundle_format::COMPONENTS`, the same data without the recipes.

use build_core::Component;

/// Build order: quick ones first, so a broken toolchain shows early; the CLI plugins last.
pub const COMPONENTS: [&Component; 9] = [
    &tini_build::COMPONENT,
    &runc_build::COMPONENT,
    &proxy_build::COMPONENT,
    &containerd_build::COMPONENT,
    &cli_build::COMPONENT,
    &moby_build::COMPONENT,
    &rootlesskit_build::COMPONENT,
    &buildx_build::COMPONENT,
    &compose_build::COMPONENT,
];

/// The component people call `name` (`proxy`, `moby`).
pub fn find(name: &str) -> Option<&'static Component> {
    COMPONENTS.into_iter().find(|c| c.name == name)
}

/// The names people type, for error messages.
pub fn names() -> String {
    COMPONENTS.map(|c| c.name).join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_recipes_and_the_bundle_format_describe_the_same_components() {
        assert_eq!(super::COMPONENTS.len(), bundle_format::COMPONENTS.len());
        for (recipe, spec) in super::COMPONENTS.iter().zip(bundle_format::COMPONENTS) {
            let files: Vec<&str> = recipe.files.iter().map(|f| f.name).collect();
            let spec_files: Vec<&str> = spec.files.iter().map(|(name, _)| *name).collect();
            assert_eq!(
                (
                    recipe.name,
                    recipe.binaries,
                    recipe.version_probes,
                    recipe.restarts,
                    files
                ),
                (
                    spec.name,
                    spec.binaries,
                    spec.version_probes,
                    spec.restarts,
                    spec_files
                ),
                "{}: the recipe's descriptor and bundle_format::COMPONENTS differ",
                recipe.name
            );
        }
    }

    #[test]
    fn names_are_unique() {
        for c in super::COMPONENTS {
            assert_eq!(super::find(c.name).map(|f| f.name), Some(c.name));
        }
    }
}
