//! Each component of a Docker Engine bundle described once, as plain data: the name people
//! type, its binaries and the Docker releases that ship each ([`BinarySpec`]), the [`Archive`]
//! that ships them, how each binary shows its version and
//! commit ([`VersionProbe`]), which daemon must restart to use a new build of a binary, and the
//! files of its source tree shipped as they are ([`SourceFile`]) and the man pages its build
//! generates ([`ManPages`]); and which of them each of
//! Docker's download trees holds, and how it packs them ([`Layout`]: Linux's static tgz,
//! Windows' zip, macOS's client tgz). Nothing here knows how a component is built.
//!
//! Both sides read the same table: a recipe's `build_core::Component` points at its spec, and
//! the readers of bundles (`bundle_format`, the engine) take [`COMPONENTS`] through
//! `bundle_format`. The crate depends on nothing, so a reader of bundles links no recipe and a
//! recipe no reader.
//!
//! ```
//! use component_specs::{Archive, COMPONENTS, COMPOSE, Stamps};
//!
//! assert_eq!(COMPONENTS.last().map(|c| c.name), Some("compose"));
//! assert_eq!(COMPOSE.archive.path_of("docker-compose"), "cli-plugins/docker-compose");
//! let stamps = Stamps { version: "2.40.3", commit: "0123456789abcdef" };
//! assert_eq!(
//!     COMPOSE.version_probes[0].expected(stamps),
//!     ["Docker Compose version v2.40.3"]
//! );
//! assert_eq!(COMPOSE.archive, Archive::Plugin);
//! ```

mod binary;
mod layout;
mod man;
mod probe;
mod specs;

pub use binary::{BinarySpec, ReleaseLine};
pub use layout::{Layout, Packing};
pub use man::{MAN_FOLDER, MAX_MAN_PAGE_BYTES, ManPages, man_page_path, section_of};
pub use probe::{DEBUG_MARKER, Stamps, VersionProbe};
pub use specs::{
    BUILDX, CLI, COMPONENTS, COMPOSE, CONTAINERD, MOBY, PLUGIN_METADATA, PROXY, ROOTLESSKIT, RUNC,
    TINI,
};

/// One component: everything about it that is not its recipe.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentSpec {
    /// The name people type (`--only proxy`) and logs use.
    pub name: &'static str,
    /// The binaries it produces, and the Docker releases that ship each: ask
    /// [`ComponentSpec::binaries_for`] which a release has.
    pub binaries: &'static [BinarySpec],
    /// The download that ships its binaries.
    pub archive: Archive,
    /// How each binary shows its version and commit.
    pub version_probes: &'static [VersionProbe],
    /// `(binary, daemon)`: the long-running daemon that must restart to use a new build of
    /// the binary (`dockerd` runs docker-proxy, `containerd` starts each shim). Binaries not
    /// listed are exec'd per use (runc, docker-init, the clients) and restart nothing.
    pub restarts: &'static [(&'static str, &'static str)],
    /// Files of its source tree shipped as they are, beside the binaries (moby's rootless
    /// scripts).
    pub files: &'static [SourceFile],
    /// The man pages its build generates, if any ([`ManPages`]: a pattern, as their names
    /// follow the release's commands).
    pub man_pages: Option<ManPages>,
}

impl ComponentSpec {
    /// A component of `binaries` shipped in `archive`, with no version probes, restarts or
    /// shipped files yet (add them with the `with_` functions): how a tool describes a component
    /// of its own, or a test a faulty one.
    pub const fn new(
        name: &'static str,
        binaries: &'static [BinarySpec],
        archive: Archive,
    ) -> ComponentSpec {
        ComponentSpec {
            name,
            binaries,
            archive,
            version_probes: &[],
            restarts: &[],
            files: &[],
            man_pages: None,
        }
    }

    /// The same, with these version probes.
    pub const fn with_version_probes(mut self, probes: &'static [VersionProbe]) -> ComponentSpec {
        self.version_probes = probes;
        self
    }

    /// The same, with these `(binary, daemon)` restarts.
    pub const fn with_restarts(
        mut self,
        restarts: &'static [(&'static str, &'static str)],
    ) -> ComponentSpec {
        self.restarts = restarts;
        self
    }

    /// The same, generating these man pages.
    pub const fn with_man_pages(mut self, man_pages: ManPages) -> ComponentSpec {
        self.man_pages = Some(man_pages);
        self
    }

    /// The same, with these shipped files.
    pub const fn with_files(mut self, files: &'static [SourceFile]) -> ComponentSpec {
        self.files = files;
        self
    }

    /// The binaries Docker `release` ships, in declared order: what a build for that release
    /// makes and what a bundle of it holds. The one answer the recipes, the bundle's contents
    /// checks, the team cache's check, the SBOM and the packages ask.
    pub fn binaries_for(&self, release: ReleaseLine) -> Vec<&'static str> {
        (self.binaries.iter())
            .filter(|b| b.shipped_by(release))
            .map(|b| b.name)
            .collect()
    }

    /// Every binary some Docker release ships: the names that can be this component's.
    pub fn every_binary(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.binaries.iter().map(|b| b.name)
    }

    /// The version probes of the binaries Docker `release` ships.
    pub fn probes_for(&self, release: ReleaseLine) -> impl Iterator<Item = &'static VersionProbe> {
        let shipped = self.binaries_for(release);
        (self.version_probes.iter()).filter(move |p| shipped.contains(&p.binary))
    }
}

/// A file of a component's source tree that Docker ships as it is.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceFile {
    /// Where it is in the tree (`contrib/dockerd-rootless.sh`).
    pub path: &'static str,
    /// The name it is shipped under (`dockerd-rootless.sh`).
    pub name: &'static str,
    /// The download that ships it (not always its component's: moby's scripts go with the
    /// rootless extras, not with dockerd), or none: a file only Docker's packages install
    /// (moby's SysV init script), kept in the bundle's [`PACKAGING_FOLDER`].
    pub archive: Option<Archive>,
}

/// The bundle folder of the shipped files no download holds, only packages.
pub const PACKAGING_FOLDER: &str = "packaging";

impl SourceFile {
    /// Its path in a bundle folder (`docker-rootless-extras/dockerd-rootless.sh`,
    /// `packaging/docker.init`).
    pub fn bundle_path(&self) -> String {
        match self.archive {
            Some(archive) => archive.path_of(self.name),
            None => format!("{PACKAGING_FOLDER}/{}", self.name),
        }
    }
}

/// Which of Docker's downloads holds a component's binaries, and so where they are in a
/// bundle folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archive {
    /// `docker-VERSION.tgz`, folder `docker/`: the engine, its runtime and the client.
    Static,
    /// A CLI plugin, tarred alone as `NAME-plugin-VERSION.tgz` (buildx's download; compose's
    /// the same way); in a bundle folder, `cli-plugins/`.
    Plugin,
    /// `docker-rootless-extras-VERSION.tgz`, folder `docker-rootless-extras/`: rootlesskit and
    /// moby's two scripts that run dockerd without root.
    RootlessExtras,
}

impl Archive {
    /// Every archive, in the order a bundle lists its tarballs.
    pub const ALL: [Archive; 3] = [Archive::Static, Archive::RootlessExtras, Archive::Plugin];

    /// The folder of the bundle (and, for the static tgz, of the archive) holding its binaries.
    pub fn folder(self) -> &'static str {
        match self {
            Archive::Static => "docker",
            Archive::Plugin => "cli-plugins",
            Archive::RootlessExtras => "docker-rootless-extras",
        }
    }

    /// A binary's path in a bundle folder (`docker/runc`, `cli-plugins/docker-buildx`).
    pub fn path_of(self, binary: &str) -> String {
        format!("{}/{binary}", self.folder())
    }
}

// The README's example runs as a doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
