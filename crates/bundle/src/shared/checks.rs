//! What a component pulled from the team's cache passes before it is used, and why one is
//! refused: every name compared with what the component declares before a path is made of it,
//! then each file as a build here is checked.

use build_core::{Artifacts, BuildOptions, Component, IoError};
use camino::Utf8Path;

use super::MEMBERS;
use crate::artifacts::{BuildEnv, CachedArtifacts};
use crate::tgz::{TarFile, member_file, member_holds};

/// Why one registry's copy of a component was not used. One of several in
/// [`BundleError::SharedCacheRequired`](crate::BundleError::SharedCacheRequired)'s message, so
/// its message is whole: the reason and its causes (no source: they would show twice).
#[derive(Debug, thiserror::Error)]
#[error("{}", match .reason {
    // A registry's own error already names it.
    Refused::Store(_) => String::new(),
    _ => format!("{}: ", .registry),
} + &build_core::error::with_causes(.reason))]
#[non_exhaustive]
pub struct Refusal {
    /// `host[:port]/repository`.
    pub registry: String,
    /// What was wrong with it.
    pub reason: Refused,
}

impl Refusal {
    /// The file-system error behind the refusal, if one is (a full disk during a pull).
    pub fn io_error(&self) -> Option<&std::io::Error> {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&self.reason);
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                return Some(io);
            }
            cause = e.source();
        }
        None
    }
}

/// What was wrong with a component pulled from the team's cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// The registry failed, or what it sent is not what its manifest describes.
    #[error(transparent)]
    Store(oci_store::StoreError),
    /// The artifact's config is not a component record.
    #[error("its record is not one: {message}")]
    Record {
        /// What the JSON parser said.
        message: String,
    },
    /// The record is another build's.
    #[error("its record is for key {found}, not {expected}")]
    Key {
        /// The record's key.
        found: String,
        /// The key this run computed.
        expected: String,
    },
    /// The record lists other binaries or shipped files than the component declares.
    #[error("its record lists {found}, where {component} makes {expected}")]
    Undeclared {
        /// The component.
        component: &'static str,
        /// What the record lists.
        found: String,
        /// What the component declares.
        expected: String,
    },
    /// A file is not the one its record describes.
    #[error("{name} is not the file its record describes")]
    NotAsRecorded {
        /// The file's name.
        name: String,
    },
    /// A tar member does not hold the file its name claims.
    #[error("{member} is not the tar member of {file}")]
    Member {
        /// The member's name in the artifact.
        member: String,
        /// The file it claims to hold.
        file: String,
    },
    /// A binary fails the checks a build here passes (ELF machine, linkage, stamps).
    #[error(transparent)]
    Build(build_core::BuildError),
    /// A local file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
}

fn io(action: &'static str, path: &Utf8Path) -> impl FnOnce(std::io::Error) -> Refused {
    let io = IoError::new(action, path);
    move |e| Refused::Io(io(e))
}

/// A tar member's name inside the artifact's `tgz/` folder.
pub(super) fn member_name(name: &str) -> Option<&str> {
    name.strip_prefix(MEMBERS)?.strip_prefix('/')
}

/// The page a man page's layer holds (`man/docker-run.1` → `docker-run.1`).
pub(super) fn man_page_layer(name: &str) -> Option<&str> {
    name.strip_prefix(build_core::MAN_DIR)?.strip_prefix('/')
}

/// A tar member's file name: its content id in hex, and `.gz`.
pub(super) fn is_member_file(name: &str) -> bool {
    name.strip_suffix(".gz")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The checks a pulled component passes before it is used; its tar members are moved into the
/// member cache. Returns its artifacts in `dir`. Every name is compared with what the
/// component declares before any path is made of it.
pub(super) fn checked(
    env: &BuildEnv,
    component: &'static Component,
    key: &str,
    opts: &BuildOptions,
    dir: &Utf8Path,
    pulled: &oci_store::PulledArtifact,
) -> Result<Artifacts, Refused> {
    let record: CachedArtifacts =
        serde_json::from_slice(&pulled.config).map_err(|e| Refused::Record {
            message: e.to_string(),
        })?;
    if record.key != key {
        return Err(Refused::Key {
            found: record.key,
            expected: key.to_owned(),
        });
    }
    let mut artifacts = record.artifacts;
    let names = |binaries: Vec<&str>, files: Vec<&str>| {
        binaries
            .into_iter()
            .chain(files)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = names(
        artifacts.binaries.iter().map(|a| a.name.as_str()).collect(),
        artifacts.files.iter().map(|f| f.name.as_str()).collect(),
    );
    // What a build here makes for the run's Docker release and target.
    let binaries = component.binaries_for(opts.docker_release);
    let files = component.files_for(&opts.target);
    let expected = names(binaries.clone(), files.iter().map(|f| f.name).collect());
    // Exactly the declared names, in order: nothing of the record reaches a path otherwise.
    let declared = artifacts.binaries.len() == binaries.len()
        && artifacts.files.len() == files.len()
        && (artifacts.binaries.iter().map(|a| a.name.as_str())).eq(binaries.iter().copied())
        && (artifacts.files.iter().map(|f| f.name.as_str())).eq(files.iter().map(|f| f.name));
    if !declared {
        return Err(Refused::Undeclared {
            component: component.name(),
            found,
            expected,
        });
    }
    for artifact in &mut artifacts.binaries {
        artifact.path = dir.join(&artifact.name);
        let built = build_core::build::Built {
            name: &artifact.name,
            path: artifact.path.clone(),
            toolchain: artifact.toolchain.clone(),
            tags: artifact.tags.clone(),
            c_libraries: artifact.c_libraries.clone(),
        };
        let found = build_core::build::collect_artifact(opts, component.name(), &built)
            .map_err(Refused::Build)?;
        if found.sha256 != artifact.sha256
            || found.size != artifact.size
            || found.link != artifact.link
        {
            return Err(Refused::NotAsRecorded {
                name: artifact.name.clone(),
            });
        }
        set_executable(&artifact.path)?;
    }
    for file in &mut artifacts.files {
        file.path = dir.join(&file.name);
        let sha256 =
            build_core::digest::sha256_file(&file.path).map_err(io("hashing", &file.path))?;
        if sha256 != file.sha256 {
            return Err(Refused::NotAsRecorded {
                name: file.name.clone(),
            });
        }
        set_executable(&file.path)?;
    }
    check_man_pages(component, opts, dir, &mut artifacts)?;
    // The binaries show the pinned version and commit, as a build here must.
    build_core::component::verify_stamps(component, opts, &artifacts, &[])
        .map_err(Refused::Build)?;
    let mtime = u64::try_from(env.source_date_epoch).unwrap_or(0);
    let members = env.cache.tgz_members();
    std::fs::create_dir_all(&members).map_err(io("creating", &members))?;
    let tar_files: Vec<TarFile<'_>> = artifacts
        .binaries
        .iter()
        .map(TarFile::from)
        .chain(artifacts.files.iter().map(TarFile::from))
        .collect();
    for file in &pulled.files {
        let Some(member) = member_name(&file.name) else {
            continue;
        };
        // A component's key holds its own commit time, not the set's: members made for a set
        // whose newest commit differs (another time in their headers) are of no use here, and
        // are dropped unread.
        let Some(tar_file) = tar_files.iter().find(|t| member_file(**t, mtime) == member) else {
            std::fs::remove_file(&file.path).map_err(io("removing", &file.path))?;
            continue;
        };
        if !member_holds(*tar_file, mtime, &file.path).map_err(io("reading", &file.path))? {
            return Err(Refused::Member {
                member: file.name.clone(),
                file: tar_file.name.to_owned(),
            });
        }
        let into = members.join(member);
        std::fs::rename(&file.path, &into).map_err(io("moving a tar member to", &into))?;
    }
    let _ = std::fs::remove_dir(dir.join(MEMBERS));
    Ok(artifacts)
}

/// The record's man pages: names of the component's pattern, sorted and each once, no more
/// than it declares, each pulled (the layer `man/NAME`, which the pull accepted only so
/// named and at most [`bundle_format::MAX_MAN_PAGE_BYTES`]) with the bytes recorded.
fn check_man_pages(
    component: &Component,
    opts: &BuildOptions,
    dir: &Utf8Path,
    artifacts: &mut Artifacts,
) -> Result<(), Refused> {
    let names: Vec<&str> = artifacts
        .man_pages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let declared = component.man_pages_for(&opts.target);
    let fits = match declared {
        None => names.is_empty(),
        Some(pages) => {
            names.len() <= pages.max_pages
                && names.iter().all(|n| pages.accepts(n))
                && names.windows(2).all(|w| w[0] < w[1])
        }
    };
    if !fits {
        let expected = match declared {
            None => "no man pages".to_owned(),
            Some(pages) => format!(
                "at most {} man pages of section {:?}, each once",
                pages.max_pages, pages.sections
            ),
        };
        return Err(Refused::Undeclared {
            component: component.name(),
            found: format!("{} man pages ({})", names.len(), names.join(", ")),
            expected,
        });
    }
    for page in &mut artifacts.man_pages {
        page.path = dir.join(build_core::MAN_DIR).join(&page.name);
        let sha256 =
            build_core::digest::sha256_file(&page.path).map_err(io("hashing", &page.path))?;
        let size = std::fs::symlink_metadata(&page.path).map_err(io("reading", &page.path))?;
        if sha256 != page.sha256 || size.len() != page.size {
            return Err(Refused::NotAsRecorded {
                name: page.name.clone(),
            });
        }
    }
    Ok(())
}

fn set_executable(path: &Utf8Path) -> Result<(), Refused> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io("setting the mode of", path))
}
