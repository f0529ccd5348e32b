//! The six components, as one table: every verb reads their descriptors from here.

use build_core::Component;

/// Build order: quick ones first, so a broken toolchain shows early.
pub const COMPONENTS: [&Component; 6] = [
    &tini_build::COMPONENT,
    &runc_build::COMPONENT,
    &proxy_build::COMPONENT,
    &containerd_build::COMPONENT,
    &cli_build::COMPONENT,
    &moby_build::COMPONENT,
];

/// The component people call `name` (`proxy`, `moby`).
pub fn find(name: &str) -> Option<&'static Component> {
    COMPONENTS.into_iter().find(|c| c.name == name)
}

/// The names people type, for error messages.
pub fn names() -> String {
    COMPONENTS.map(|c| c.name).join(", ")
}

/// Every binary of a full bundle, sorted as the tarball lists them.
pub fn all_binaries() -> Vec<&'static str> {
    let mut all: Vec<&str> = COMPONENTS
        .iter()
        .flat_map(|c| c.binaries.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// The component that builds `binary`.
pub fn building(binary: &str) -> Option<&'static Component> {
    COMPONENTS
        .into_iter()
        .find(|c| c.binaries.contains(&binary))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_full_bundle_has_docker_s_eight_binaries() {
        assert_eq!(
            super::all_binaries(),
            [
                "containerd",
                "containerd-shim-runc-v2",
                "ctr",
                "docker",
                "docker-init",
                "docker-proxy",
                "dockerd",
                "runc"
            ]
        );
    }

    #[test]
    fn every_binary_has_a_version_probe_and_names_are_unique() {
        for c in super::COMPONENTS {
            for b in c.binaries {
                assert!(
                    c.version_probes.iter().any(|p| p.binary == *b),
                    "{}: no version probe for {b}",
                    c.name
                );
            }
            assert_eq!(super::find(c.name).map(|f| f.name), Some(c.name));
        }
    }
}
