//! The components, as one table: every verb that builds reads their descriptors from here.
//! Each descriptor points at its `component_specs` entry, the data readers of bundles read
//! through `bundle_format::COMPONENTS`; this table adds the recipes.

use build_core::Component;

/// Build order: the specs' (`bundle_format::COMPONENTS`), which a test keeps this equal to.
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
    COMPONENTS.into_iter().find(|c| c.name() == name)
}

/// Every component `target`'s download holds, in build order (its layout's table,
/// `component_specs::Layout::components`): all nine for Linux, the client and dockerd for
/// Windows, the client for macOS. None for a target Docker ships nothing for.
pub fn for_target(target: &build_core::Target) -> Vec<&'static Component> {
    let Some(layout) = target.layout() else {
        return Vec::new();
    };
    COMPONENTS
        .into_iter()
        .filter(|c| layout.holds(c.spec))
        .collect()
}

/// The components `only` names, in build order; when it names none, all that `target`'s
/// download holds ([`for_target`]). A component of another system's download may be named:
/// building it alone is allowed.
pub fn selected(
    only: &[&'static Component],
    target: &build_core::Target,
) -> Vec<&'static Component> {
    let all = match only.is_empty() {
        true => for_target(target),
        false => COMPONENTS.to_vec(),
    };
    all.into_iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| o.name() == c.name()))
        .collect()
}

/// The names people type, for error messages.
pub fn names() -> String {
    COMPONENTS.map(|c| c.name()).join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_recipes_are_the_specs_components_in_their_order() {
        let recipes = super::COMPONENTS.map(|c| c.spec);
        assert_eq!(recipes, bundle_format::COMPONENTS);
    }

    #[test]
    fn names_are_unique() {
        for c in super::COMPONENTS {
            assert_eq!(super::find(c.name()).map(|f| f.name()), Some(c.name()));
        }
    }
}
