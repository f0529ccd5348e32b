//! Which of Docker's download trees a bundle is laid out as: what each operating system's
//! download holds, written once.

use crate::{Archive, CLI, COMPONENTS, ComponentSpec, MOBY, ReleaseLine};

/// One of Docker's static download trees: `linux/static/stable/ARCH/`, `win/static/stable/ARCH/`
/// or `mac/static/stable/ARCH/`. Everything that differs between them is here, as data, so no
/// reader or writer of a bundle asks which operating system it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The static tgz of the whole engine, the rootless extras and the CLI plugins.
    Linux,
    /// `docker-VERSION.zip`: `docker/docker.exe` and `docker/dockerd.exe` (docker-ce-packaging's
    /// `static/Makefile`, `cross-win`).
    Windows,
    /// `docker-VERSION.tgz` with the client alone, `docker/docker` (`cross-mac`).
    Mac,
}

/// How the archive of the binaries in `docker/` is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// A gzip-compressed tar (`docker-VERSION.tgz`).
    Tgz,
    /// A zip (`docker-VERSION.zip`), as Docker ships Windows' download.
    Zip,
}

impl Packing {
    /// The file extension (`tgz`, `zip`).
    pub fn extension(self) -> &'static str {
        match self {
            Packing::Tgz => "tgz",
            Packing::Zip => "zip",
        }
    }
}

impl Layout {
    /// The tree Docker ships Go's `GOOS` in, if it ships one.
    pub fn for_os(goos: &str) -> Option<Layout> {
        match goos {
            "linux" => Some(Layout::Linux),
            "windows" => Some(Layout::Windows),
            "darwin" => Some(Layout::Mac),
            _ => None,
        }
    }

    /// Docker's name for the tree, the first folder of its download URL (`linux`, `win`, `mac`).
    pub fn name(self) -> &'static str {
        match self {
            Layout::Linux => "linux",
            Layout::Windows => "win",
            Layout::Mac => "mac",
        }
    }

    /// The components whose binaries the download holds, in build order: on Windows the
    /// client and dockerd (no containerd, runc, proxy or init there), on macOS the client.
    pub fn components(self) -> &'static [&'static ComponentSpec] {
        match self {
            Layout::Linux => &COMPONENTS,
            Layout::Windows => &[&CLI, &MOBY],
            Layout::Mac => &[&CLI],
        }
    }

    /// Whether it holds `component`.
    pub fn holds(self, component: &ComponentSpec) -> bool {
        self.components().contains(&component)
    }

    /// The archives it has, in the order a bundle lists them: the rootless extras and the
    /// plugins are Linux's alone.
    pub fn archives(self) -> &'static [Archive] {
        match self {
            Layout::Linux => &Archive::ALL,
            Layout::Windows | Layout::Mac => &[Archive::Static],
        }
    }

    /// How the static archive is packed.
    pub fn packing(self) -> Packing {
        match self {
            Layout::Windows => Packing::Zip,
            Layout::Linux | Layout::Mac => Packing::Tgz,
        }
    }

    /// What an executable's file name ends with (`.exe` on Windows).
    pub fn executable_suffix(self) -> &'static str {
        match self {
            Layout::Windows => ".exe",
            Layout::Linux | Layout::Mac => "",
        }
    }

    /// The file name of `binary` in the download (`docker.exe`).
    pub fn file_name(self, binary: &str) -> String {
        format!("{binary}{}", self.executable_suffix())
    }

    /// The binary a file name in the download is (`docker.exe` → `docker`), when it is one of
    /// this tree's executables' names.
    pub fn binary_of(self, file: &str) -> Option<&str> {
        file.strip_suffix(self.executable_suffix())
    }

    /// Whether the bundle carries systemd's units for its engine (Linux only).
    pub fn has_units(self) -> bool {
        self == Layout::Linux
    }

    /// Whether the bundle carries the files only Docker's Linux packages install, in its
    /// packaging folder (moby's SysV init script; Linux only).
    pub fn has_packaging(self) -> bool {
        self == Layout::Linux
    }

    /// Every binary `archive` holds in this tree for Docker `release`, sorted as its archive
    /// lists them.
    pub fn binaries_in(self, archive: Archive, release: ReleaseLine) -> Vec<&'static str> {
        let mut all: Vec<&str> = self
            .components()
            .iter()
            .filter(|c| c.archive == archive)
            .flat_map(|c| c.binaries_for(release))
            .collect();
        all.sort_unstable();
        all
    }

    /// Every file `archive` holds in this tree for Docker `release`, binaries and shipped
    /// files, by the names the components give them (without `.exe`), sorted as its archive
    /// lists them.
    pub fn contents_of(self, archive: Archive, release: ReleaseLine) -> Vec<&'static str> {
        let mut all = self.binaries_in(archive, release);
        if self.ships(archive) {
            all.extend(
                self.components()
                    .iter()
                    .flat_map(|c| c.files.iter())
                    .filter(|f| f.archive == Some(archive))
                    .map(|f| f.name),
            );
        }
        all.sort_unstable();
        all
    }

    /// Whether the tree has `archive`, so the files a component ships in it are shipped.
    pub fn ships(self, archive: Archive) -> bool {
        self.archives().contains(&archive)
    }

    /// A binary's or shipped file's path in a bundle folder (`docker/dockerd.exe`).
    pub fn path_of(self, archive: Archive, name: &str) -> String {
        let is_binary = (self.components().iter()).any(|c| c.every_binary().any(|b| b == name));
        match is_binary {
            true => archive.path_of(&self.file_name(name)),
            false => archive.path_of(name),
        }
    }

    /// Every tree, Linux first.
    pub const ALL: [Layout; 3] = [Layout::Linux, Layout::Windows, Layout::Mac];
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_29: ReleaseLine = ReleaseLine::new(29, 7);

    #[test]
    fn windows_ships_the_client_and_dockerd_zipped_and_macos_the_client() {
        assert_eq!(Layout::for_os("windows"), Some(Layout::Windows));
        assert_eq!(Layout::for_os("darwin"), Some(Layout::Mac));
        assert_eq!(Layout::for_os("freebsd"), None);
        assert_eq!(
            Layout::Windows.contents_of(Archive::Static, DOCKER_29),
            ["docker", "dockerd"]
        );
        assert_eq!(
            Layout::Windows.path_of(Archive::Static, "dockerd"),
            "docker/dockerd.exe"
        );
        assert_eq!(Layout::Windows.binary_of("docker.exe"), Some("docker"));
        assert_eq!(Layout::Windows.packing().extension(), "zip");
        assert_eq!(
            Layout::Mac.contents_of(Archive::Static, DOCKER_29),
            ["docker"]
        );
        assert_eq!(
            Layout::Mac.path_of(Archive::Static, "docker"),
            "docker/docker"
        );
        // moby's rootless scripts go with the rootless extras, which only Linux has.
        assert!(
            Layout::Windows
                .contents_of(Archive::RootlessExtras, ReleaseLine::new(27, 0))
                .is_empty()
        );
        assert!(Layout::Mac.archives() == [Archive::Static] && !Layout::Mac.has_units());
        assert_eq!(Layout::Linux.components(), COMPONENTS);
    }

    #[test]
    fn every_tree_holds_components_of_the_full_table_in_its_order() {
        for layout in Layout::ALL {
            let order: Vec<usize> = layout
                .components()
                .iter()
                .map(|c| COMPONENTS.iter().position(|full| full == c).unwrap())
                .collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{layout:?}");
        }
    }
}
