//! The components as plain data (`component_specs`, re-exported), and what they say about a
//! full bundle: which archive ships each binary and shipped file, and where it is.

pub use component_specs::{
    Archive, BinarySpec, COMPONENTS, ComponentSpec, Layout, MAN_FOLDER, MAX_MAN_PAGE_BYTES,
    ManPages, PACKAGING_FOLDER, PLUGIN_METADATA, Packing, ReleaseLine, SourceFile, Stamps,
    VersionProbe, man_page_path, section_of,
};

/// Every binary `archive` holds in a full bundle (Linux's download tree) of Docker `release`,
/// sorted as its tarballs list them.
pub fn binaries_in(archive: Archive, release: ReleaseLine) -> Vec<&'static str> {
    Layout::Linux.binaries_in(archive, release)
}

/// Every file `archive` holds in a full bundle of Docker `release`, binaries and shipped
/// files, sorted as its tarball lists them.
pub fn contents_of(archive: Archive, release: ReleaseLine) -> Vec<&'static str> {
    Layout::Linux.contents_of(archive, release)
}

/// The archive that ships `name`, a binary (of any release) or a shipped file.
pub fn archive_of(name: &str) -> Option<Archive> {
    COMPONENTS.iter().find_map(|c| {
        if c.every_binary().any(|b| b == name) {
            return Some(c.archive);
        }
        c.files
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.archive)
    })
}

/// A binary's or shipped file's path in a bundle folder, from the archive that ships it (a file
/// only packages install: in the packaging folder).
pub fn path_of(name: &str) -> Option<String> {
    let file = COMPONENTS
        .iter()
        .flat_map(|c| c.files.iter())
        .find(|f| f.name == name);
    match file {
        Some(file) => Some(file.bundle_path()),
        None => archive_of(name).map(|a| a.path_of(name)),
    }
}

/// The component that builds `binary` (in any release).
pub fn building(binary: &str) -> Option<&'static ComponentSpec> {
    COMPONENTS
        .into_iter()
        .find(|c| c.every_binary().any(|b| b == binary))
}

#[cfg(test)]
mod tests {
    use super::{Archive, ReleaseLine};

    const DOCKER_29: ReleaseLine = ReleaseLine::new(29, 7);

    #[test]
    fn a_full_bundle_has_docker_s_eight_binaries_its_two_plugins_and_the_rootless_extras() {
        assert_eq!(
            super::contents_of(Archive::RootlessExtras, DOCKER_29),
            [
                "dockerd-rootless-setuptool.sh",
                "dockerd-rootless.sh",
                "rootlesskit"
            ]
        );
        assert_eq!(
            super::path_of("dockerd-rootless.sh").as_deref(),
            Some("docker-rootless-extras/dockerd-rootless.sh")
        );
        assert_eq!(
            super::contents_of(Archive::Static, DOCKER_29),
            super::binaries_in(Archive::Static, DOCKER_29)
        );
        assert_eq!(
            super::binaries_in(Archive::Plugin, DOCKER_29),
            ["docker-buildx", "docker-compose"]
        );
        assert_eq!(
            super::path_of("docker-buildx").as_deref(),
            Some("cli-plugins/docker-buildx")
        );
        assert_eq!(super::path_of("runc").as_deref(), Some("docker/runc"));
        assert_eq!(
            super::binaries_in(Archive::Static, DOCKER_29),
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
    fn docker_27_s_rootless_extras_also_hold_rootlesskit_docker_proxy() {
        let docker_27 = ReleaseLine::new(27, 0);
        assert_eq!(
            super::contents_of(Archive::RootlessExtras, docker_27),
            [
                "dockerd-rootless-setuptool.sh",
                "dockerd-rootless.sh",
                "rootlesskit",
                "rootlesskit-docker-proxy"
            ]
        );
        assert_eq!(
            super::path_of("rootlesskit-docker-proxy").as_deref(),
            Some("docker-rootless-extras/rootlesskit-docker-proxy")
        );
        // The other archives are the same in every release.
        for archive in [Archive::Static, Archive::Plugin] {
            assert_eq!(
                super::contents_of(archive, docker_27),
                super::contents_of(archive, DOCKER_29)
            );
        }
    }
}
