//! The C libraries that cgo and C builds link, and the Debian packages that provided them:
//! what a bill of materials must name and a cache key must cover (a newer `libseccomp-dev`
//! changes runc's bytes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::platform::Target;
use crate::process::LoggedCommand;
use crate::sysroot::Sysroot;

/// One C library linked into a binary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CLibrary {
    /// `glibc`, `libseccomp`.
    pub name: String,
    /// The library's own release (`2.36`), read off its package's version; none when no
    /// package is known (not a Debian machine).
    pub version: Option<String>,
    /// The package that provided its headers and library (`libc6-dev`, `libseccomp-dev:arm64`).
    pub package: String,
    /// That package's version (`2.36-9+deb12u14`).
    pub package_version: Option<String>,
    /// The SHA-256 of the package's `.deb`, when dockyard downloaded it (another
    /// architecture's, into its sysroot); none for the host's installed packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_sha256: Option<String>,
}

/// A C library a recipe links besides libc, as Debian packages it: declared by the recipe
/// (runc's libseccomp), so build-core knows no particular upstream's libraries.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CLibrarySpec {
    /// What a person calls it: `libseccomp`.
    pub name: &'static str,
    /// What a person calls its static form: `libseccomp (static)`.
    pub static_name: &'static str,
    /// Its pkg-config module: `libseccomp`.
    pub pkg_config: &'static str,
    /// The archive a static build links: `libseccomp.a`.
    pub archive: &'static str,
    /// Debian's development package: `libseccomp-dev`.
    pub dev_package: &'static str,
    /// The runtime package holding the shared library the development package's link names:
    /// `libseccomp2`.
    pub runtime_package: &'static str,
    /// Why it is needed, for the fix a person reads: `runc links it for seccomp support`.
    pub why: &'static str,
}

/// The C libraries a build for `target` links: glibc always, and each of `libraries`. The
/// host's come from its installed packages; another architecture's from the sysroot dockyard
/// unpacked.
pub fn linked(
    target: &Target,
    sysroot: Option<&Sysroot>,
    libraries: &[&CLibrarySpec],
) -> Vec<CLibrary> {
    let cross = target.architecture().filter(|_| !target.is_host());
    let glibc = match cross {
        Some(arch) => format!("libc6-dev-{}-cross", arch.debian),
        None => "libc6-dev".to_owned(),
    };
    // The host's packages asked in one `dpkg-query`: it is on the path of every rebuild.
    let mut host_packages = vec![glibc.clone()];
    if cross.is_none() || sysroot.is_none() {
        host_packages.extend(libraries.iter().map(|l| l.dev_package.to_owned()));
    }
    let mut installed = installed_versions(&host_packages);
    let mut linked = vec![library("glibc", glibc.clone(), installed.remove(&glibc))];
    for spec in libraries {
        linked.push(match (cross, sysroot) {
            (Some(arch), Some(sysroot)) => {
                let version = sysroot
                    .packages
                    .iter()
                    .find_map(|p| p.strip_prefix(&format!("{}=", spec.dev_package)))
                    .map(str::to_owned);
                let mut lib = library(
                    spec.name,
                    format!("{}:{}", spec.dev_package, arch.debian),
                    version,
                );
                lib.package_sha256 = sysroot.debs.get(spec.dev_package).cloned();
                lib
            }
            _ => library(
                spec.name,
                spec.dev_package.into(),
                installed.remove(spec.dev_package),
            ),
        });
    }
    linked
}

fn library(name: &str, package: String, package_version: Option<String>) -> CLibrary {
    CLibrary {
        name: name.to_owned(),
        version: package_version.as_deref().map(upstream_version),
        package,
        package_version,
        package_sha256: None,
    }
}

/// The installed versions of `packages`, as dpkg knows them; a package not installed (or no
/// dpkg at all) is left out.
fn installed_versions(packages: &[String]) -> BTreeMap<String, String> {
    if which::which("dpkg-query").is_err() {
        return BTreeMap::new();
    }
    // dpkg-query exits 1 when one of them is missing but still prints the others.
    let output = LoggedCommand::new("dpkg-query")
        .args(["-W", "-f=${Package}\\t${Version}\\n"])
        .args(packages.iter().cloned())
        .output();
    let Ok(output) = output else {
        return BTreeMap::new();
    };
    output
        .stdout
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(package, version)| packages.iter().any(|p| p == package) && !version.is_empty())
        .map(|(package, version)| (package.to_owned(), version.to_owned()))
        .collect()
}

/// The upstream release inside a Debian version: no epoch, no Debian revision
/// (`1:2.5.4-1+deb12u1` → `2.5.4`; `2.36-8cross1` → `2.36`).
pub(crate) fn upstream_version(debian: &str) -> String {
    let no_epoch = debian.split_once(':').map_or(debian, |(_, v)| v);
    no_epoch
        .rsplit_once('-')
        .map_or(no_epoch, |(v, _)| v)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_release_is_the_debian_version_without_epoch_or_revision() {
        assert_eq!(upstream_version("2.36-9+deb12u14"), "2.36");
        assert_eq!(upstream_version("1:2.5.4-1+deb12u1"), "2.5.4");
        assert_eq!(upstream_version("2.36-8cross1"), "2.36");
        assert_eq!(upstream_version("2.5.4"), "2.5.4");
    }

    const LIBSECCOMP: CLibrarySpec = CLibrarySpec {
        name: "libseccomp",
        static_name: "libseccomp (static)",
        pkg_config: "libseccomp",
        archive: "libseccomp.a",
        dev_package: "libseccomp-dev",
        runtime_package: "libseccomp2",
        why: "runc links it for seccomp support",
    };

    #[test]
    fn another_architecture_s_libseccomp_is_the_sysroot_s_package() {
        let sysroot = Sysroot {
            dir: "/cache/sysroots/arm64".into(),
            packages: vec![
                "libseccomp-dev=2.5.4-1+deb12u1".into(),
                "libseccomp2=2.5.4-1+deb12u1".into(),
            ],
            debs: BTreeMap::from([("libseccomp-dev".into(), "ab".repeat(32))]),
        };
        let target = Target::parse("linux/arm64").unwrap();
        let libraries = linked(&target, Some(&sysroot), &[&LIBSECCOMP]);
        assert_eq!(libraries[0].name, "glibc");
        assert_eq!(libraries[0].package, "libc6-dev-arm64-cross");
        assert_eq!(libraries[1].package, "libseccomp-dev:arm64");
        assert_eq!(libraries[1].version.as_deref(), Some("2.5.4"));
        // The .deb dockyard downloaded is named by its digest; the host's cross glibc is not.
        assert_eq!(libraries[1].package_sha256, Some("ab".repeat(32)));
        assert_eq!(libraries[0].package_sha256, None);
        assert_eq!(linked(&target, Some(&sysroot), &[]).len(), 1);
    }
}
