//! The target's C libraries for cross builds, the ones the recipes declare: Debian's own
//! packages for that architecture (`libseccomp-dev:arm64`), downloaded with apt and unpacked into a folder of the cache, so the
//! host's dpkg is never changed (no `dpkg --add-architecture`). cgo finds them through
//! `PKG_CONFIG_LIBDIR`, `CGO_CFLAGS` and `CGO_LDFLAGS`. An architecture whose table entry
//! names a Debian release ([`Architecture::debian_suite`]: riscv64, from Debian 13) is fetched
//! from that release's archive instead of the host's sources, signatures checked all the same.

use std::collections::BTreeMap;

use crate::cache::CacheLayout;
use crate::clib::CLibrarySpec;
use crate::error::with_causes;
use camino::{Utf8Path, Utf8PathBuf};

use crate::platform::{Architecture, Target};
use crate::process::LoggedCommand;
use crate::progress::Progress;
use crate::toolchain::ToolchainError;

/// What a ready sysroot holds: each package's `name=version`, one a line.
const READY: &str = ".dockyard-sysroot";

/// Debian's archive, for an architecture whose packages are in another release than the
/// host's ([`Architecture::debian_suite`]).
const DEBIAN_ARCHIVE: &str = "http://deb.debian.org/debian";

/// The keys apt checks that archive's `InRelease` with: Debian's own keyring
/// (`debian-archive-keyring`; Debian 12's already holds Debian 13's keys).
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// An unpacked sysroot of a target's libraries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sysroot {
    /// The folder (`usr/lib/<triplet>/…` below it).
    pub dir: Utf8PathBuf,
    /// The packages it holds, `name=version`, for cache keys and the manifest.
    pub packages: Vec<String>,
    /// The SHA-256 of each package's `.deb` as it was downloaded, by package name (none for a
    /// sysroot an older dockyard made).
    pub debs: BTreeMap<String, String>,
}

impl Sysroot {
    /// The environment that makes cgo find the target's libraries here. The folder goes into
    /// `CGO_CFLAGS`/`CGO_LDFLAGS`, which Go's build cache keys on (pkg-config's output is not,
    /// so it must not name the folder), and is mapped out of debug information.
    pub(crate) fn cgo_env(&self, target: &Target) -> Vec<(String, String)> {
        let triplet = target.architecture().map_or("", |a| a.triplet);
        let dir = &self.dir;
        vec![
            (
                "PKG_CONFIG_LIBDIR".into(),
                format!("{dir}/usr/lib/{triplet}/pkgconfig:{dir}/usr/share/pkgconfig"),
            ),
            (
                "CGO_CFLAGS".into(),
                format!("-O2 -g -I{dir}/usr/include -ffile-prefix-map={dir}=/sysroot"),
            ),
            (
                "CGO_LDFLAGS".into(),
                format!("-O2 -g -L{dir}/usr/lib/{triplet}"),
            ),
        ]
    }
}

/// The sysroot of `target` with `libraries` (each development package and the runtime package
/// holding the shared library its link names) under the cache's `sysroots/`, downloaded and
/// unpacked the first time (`apt-get download` with package lists of its own for that
/// architecture), and again when it lacks one of them.
pub fn prepare(
    cache: &CacheLayout,
    target: &Target,
    libraries: &[&CLibrarySpec],
    progress: &dyn Progress,
) -> Result<Sysroot, ToolchainError> {
    let wanted: Vec<&str> = libraries
        .iter()
        .flat_map(|l| [l.dev_package, l.runtime_package])
        .collect();
    let arch = target.architecture().ok_or_else(|| ToolchainError {
        problem: format!("no Debian architecture is known for {target}"),
        fix: "build for one of the platforms dockyard builds".into(),
    })?;
    let root = cache.sysroots();
    let dir = root.join(arch.debian);
    if let Ok(ready) = std::fs::read_to_string(dir.join(READY)) {
        let sysroot = Sysroot::recorded(dir.clone(), &ready);
        let has = |p: &str| (sysroot.packages.iter()).any(|l| l.split('=').next() == Some(p));
        if wanted.iter().all(|p| has(p)) {
            return Ok(sysroot);
        }
    }
    let fix = match arch.debian_suite {
        Some(suite) => format!(
            "check that apt can reach Debian's archive ({DEBIAN_ARCHIVE}, {suite}) and that \
             {DEBIAN_KEYRING} (debian-archive-keyring) holds {suite}'s keys"
        ),
        None => format!(
            "check that apt can reach Debian's archive, or install {} and try again",
            wanted
                .iter()
                .map(|p| format!("{p}:{}", arch.debian))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    let failed = |what: &str, e: &dyn std::fmt::Display| ToolchainError {
        problem: format!("cannot {what} for {target}: {e}"),
        fix: fix.clone(),
    };
    progress.status(
        "Fetching",
        &format!(
            "{} for {target} (Debian's {} packages)",
            wanted.join(", "),
            arch.debian
        ),
    );
    let io = |e: std::io::Error| failed("prepare the sysroot", &e);
    std::fs::create_dir_all(&root).map_err(io)?;
    let work = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", arch.debian))
        .tempdir_in(&root)
        .map_err(io)?;
    let work = crate::fs::utf8(work.keep()).map_err(io)?;
    let result = fetch_into(&root, &work, arch, &wanted, &failed);
    let packages = match result {
        Ok(packages) => packages,
        Err(e) => {
            let _ = crate::fs::remove_dir_all_if_exists(&work);
            return Err(e);
        }
    };
    let unpacked = work.join("root");
    let ready = packages.join("\n");
    std::fs::write(unpacked.join(READY), &ready).map_err(io)?;
    crate::fs::remove_dir_all_if_exists(&dir).map_err(io)?;
    std::fs::rename(&unpacked, &dir).map_err(io)?;
    let _ = crate::fs::remove_dir_all_if_exists(&work);
    Ok(Sysroot::recorded(dir, &ready))
}

impl Sysroot {
    /// The sysroot in `dir` whose ready file says `ready`: a line per package,
    /// `name=version sha256:HEX` (an older dockyard's lines have no digest).
    fn recorded(dir: Utf8PathBuf, ready: &str) -> Sysroot {
        let mut packages = Vec::new();
        let mut debs = BTreeMap::new();
        for line in ready.lines() {
            let (package, digest) = line.split_once(' ').unwrap_or((line, ""));
            if let (Some((name, _)), Some(hex)) =
                (package.split_once('='), digest.strip_prefix("sha256:"))
            {
                debs.insert(name.to_owned(), hex.to_owned());
            }
            packages.push(package.to_owned());
        }
        Sysroot {
            dir,
            packages,
            debs,
        }
    }
}

/// How apt is told where `arch`'s packages are, under the sysroots' folder `root`.
#[derive(Debug, PartialEq, Eq)]
struct AptSources {
    /// Package lists of their own, so the host's are never changed.
    lists: Utf8PathBuf,
    /// For a suite of its own: a sources list naming that suite alone (the file and its text)
    /// and the empty folder that stands for `sources.list.d`, so none of the host's sources
    /// is read.
    suite: Option<(Utf8PathBuf, String, Utf8PathBuf)>,
    /// apt's options: the architecture, the lists and the sources.
    options: Vec<String>,
}

impl AptSources {
    fn of(root: &Utf8Path, arch: &Architecture) -> AptSources {
        let debian = arch.debian;
        let Some(suite) = arch.debian_suite else {
            // The host's sources with the target's architecture added.
            let lists = root.join("apt-lists");
            return AptSources {
                options: vec![
                    format!("APT::Architectures::={debian}"),
                    format!("Dir::State::Lists={lists}"),
                ],
                lists,
                suite: None,
            };
        };
        // Lists per suite: `apt-get update` removes every list its sources do not name.
        let lists = root.join(format!("apt-lists-{suite}"));
        let folder = root.join(format!("apt-sources-{suite}"));
        let (list, parts) = (folder.join("sources.list"), folder.join("sources.list.d"));
        // Only the target's architecture: the host's own is never installed from here.
        let text = format!(
            "deb [arch={debian} signed-by={DEBIAN_KEYRING}] {DEBIAN_ARCHIVE} {suite} main\n"
        );
        AptSources {
            options: vec![
                format!("APT::Architectures::={debian}"),
                format!("Dir::State::Lists={lists}"),
                format!("Dir::Etc::SourceList={list}"),
                format!("Dir::Etc::SourceParts={parts}"),
            ],
            lists,
            suite: Some((list, text, parts)),
        }
    }

    /// Makes the folders apt needs and writes the sources list.
    fn write(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.lists.join("partial"))?;
        if let Some((list, text, parts)) = &self.suite {
            std::fs::create_dir_all(parts)?;
            crate::fs::write_atomic(list, text.as_bytes())?;
        }
        Ok(())
    }
}

fn fetch_into(
    root: &Utf8Path,
    work: &Utf8Path,
    arch: &Architecture,
    wanted: &[&str],
    failed: &dyn Fn(&str, &dyn std::fmt::Display) -> ToolchainError,
) -> Result<Vec<String>, ToolchainError> {
    let debian = arch.debian;
    let sources = AptSources::of(root, arch);
    sources.write().map_err(|e| failed("prepare apt", &e))?;
    let apt = |verb: &str| {
        LoggedCommand::new("apt-get")
            .arg("-q")
            .args(
                sources
                    .options
                    .iter()
                    .flat_map(|o| ["-o".to_owned(), o.clone()]),
            )
            .arg(verb)
            .cwd(work.to_owned())
    };
    let log = work.join("apt.log");
    apt("update")
        .run_logged(&log)
        .map_err(|e| failed("update apt's package lists", &with_causes(&e)))?;
    apt("download")
        .args(wanted.iter().map(|p| format!("{p}:{debian}")))
        .run_logged(&log)
        .map_err(|e| failed("download the packages", &with_causes(&e)))?;
    let mut packages = Vec::new();
    let mut debs: Vec<Utf8PathBuf> = std::fs::read_dir(work)
        .map_err(|e| failed("read the downloads", &e))?
        .flatten()
        .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
        .filter(|p| p.extension() == Some("deb"))
        .collect();
    debs.sort();
    for deb in &debs {
        let field = |name: &str| {
            LoggedCommand::new("dpkg-deb")
                .args(["-f", deb.as_str(), name])
                .read()
                .map_err(|e| failed("read a package", &e))
        };
        let digest = crate::digest::sha256_file(deb).map_err(|e| failed("read a package", &e))?;
        packages.push(format!(
            "{}={} sha256:{digest}",
            field("Package")?,
            field("Version")?
        ));
        LoggedCommand::new("dpkg-deb")
            .args(["-x", deb.as_str(), work.join("root").as_str()])
            .run_logged(&log)
            .map_err(|e| failed("unpack a package", &e))?;
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::ARCHITECTURES;

    #[test]
    fn the_ready_file_names_each_package_s_version_and_its_deb_s_digest() {
        let hex = "0f".repeat(32);
        let ready =
            format!("libseccomp-dev=2.5.4-1+deb12u1 sha256:{hex}\nlibseccomp2=2.5.4-1+deb12u1");
        let sysroot = Sysroot::recorded("/s".into(), &ready);
        assert_eq!(
            sysroot.packages,
            [
                "libseccomp-dev=2.5.4-1+deb12u1",
                "libseccomp2=2.5.4-1+deb12u1"
            ]
        );
        // An older dockyard's line has no digest: the package is there, its digest unknown.
        assert_eq!(
            sysroot.debs,
            BTreeMap::from([("libseccomp-dev".into(), hex)])
        );
    }

    #[test]
    fn riscv64_comes_from_debian_13_s_archive_and_the_rest_from_the_host_s_sources() {
        let root = Utf8Path::new("/cache/sysroots");
        for arch in &ARCHITECTURES {
            let sources = AptSources::of(root, arch);
            assert!(
                sources
                    .options
                    .contains(&format!("APT::Architectures::={}", arch.debian)),
                "{}",
                arch.debian
            );
            match arch.debian {
                "riscv64" => {
                    let (list, text, parts) = sources.suite.expect("a suite of its own");
                    assert_eq!(
                        text,
                        "deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] \
                         http://deb.debian.org/debian trixie main\n"
                    );
                    assert_eq!(sources.lists, "/cache/sysroots/apt-lists-trixie");
                    for option in [
                        format!("Dir::Etc::SourceList={list}"),
                        format!("Dir::Etc::SourceParts={parts}"),
                    ] {
                        assert!(sources.options.contains(&option), "{option}");
                    }
                }
                other => {
                    assert_eq!(sources.suite, None, "{other}");
                    assert_eq!(sources.lists, "/cache/sysroots/apt-lists");
                    assert!(
                        !sources.options.iter().any(|o| o.starts_with("Dir::Etc")),
                        "{other} reads the host's sources"
                    );
                }
            }
        }
    }
}
