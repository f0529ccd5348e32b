#![doc = include_str!("../README.md")]

mod apt;
mod dnf;
mod error;
mod files;
mod gpg;
mod incoming;

pub use error::RepoError;

use std::collections::BTreeSet;
use std::fmt;

use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};
use packages::Format;

use crate::files::{link_tree, same_bytes, write_new};
use crate::gpg::SigningKey;

/// A kind of package repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Debian's and Ubuntu's: `.deb` packages, indexed by `apt-ftparchive`, `InRelease` and
    /// `Release.gpg` signed.
    Apt,
    /// CentOS Stream's, RHEL's and Fedora's: `.rpm` packages, indexed by `createrepo_c`,
    /// `repomd.xml.asc` signed.
    Dnf,
}

impl Kind {
    /// `apt` or `dnf`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "apt" => Some(Kind::Apt),
            "dnf" => Some(Kind::Dnf),
            _ => None,
        }
    }

    /// The package format it serves.
    pub fn format(self) -> Format {
        match self {
            Kind::Apt => Format::Deb,
            Kind::Dnf => Format::Rpm,
        }
    }

    /// The programs it is made with, and the Debian package of each.
    fn tools(self) -> [(&'static str, &'static str); 5] {
        let (index, read) = match self {
            Kind::Apt => (("apt-ftparchive", "apt-utils"), ("dpkg-deb", "dpkg")),
            Kind::Dnf => (("createrepo_c", "createrepo-c"), ("rpm", "rpm")),
        };
        [
            index,
            read,
            ("gpg", "gpg"),
            ("gpg-agent", "gpg-agent"),
            ("gpgconf", "gpgconf"),
        ]
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Apt => "apt",
            Kind::Dnf => "dnf",
        })
    }
}

/// What to publish, where, signed with which key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RepoRequest {
    /// The kind of repository.
    pub kind: Kind,
    /// Folders of packages (what `packages::build` makes: `DIR/packages/debian-12/`), of any
    /// releases and architectures. Their files are checked by name and size before anything
    /// reads them, and must be Docker's packages named as their fields say.
    pub sets: Vec<Utf8PathBuf>,
    /// The repository's root, laid out as `download.docker.com`: `out/linux/debian/`, …
    pub out: Utf8PathBuf,
    /// An OpenPGP secret key file, or a gpg home folder, holding the one key that signs. It
    /// is copied into a gpg home of dockyard's own in the temporary folder (`TMPDIR`),
    /// removed when done: nothing is written where it was.
    pub key: Utf8PathBuf,
    /// A file whose first line is the key's passphrase, when it has one.
    pub passphrase_file: Option<Utf8PathBuf>,
}

impl RepoRequest {
    /// Publishes `sets` into the `kind` repository at `out`, signed with `key`.
    pub fn new(
        kind: Kind,
        sets: Vec<Utf8PathBuf>,
        out: Utf8PathBuf,
        key: Utf8PathBuf,
    ) -> RepoRequest {
        RepoRequest {
            kind,
            sets,
            out,
            key,
            passphrase_file: None,
        }
    }
}

/// What a run published.
#[derive(Debug)]
#[non_exhaustive]
pub struct Published {
    /// The signing key's fingerprint.
    pub fingerprint: String,
    /// Each distribution's tree the packages went to.
    pub trees: Vec<PublishedTree>,
}

impl Published {
    /// How many package files were added, in every tree.
    pub fn added(&self) -> usize {
        self.trees.iter().map(|t| t.added.len()).sum()
    }
}

/// `N packages added, signed by FINGERPRINT`.
impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} packages added, signed by {}",
            self.added(),
            self.fingerprint
        )
    }
}

/// One distribution's tree (`out/linux/debian/`).
#[derive(Debug)]
#[non_exhaustive]
pub struct PublishedTree {
    /// Its folder.
    pub dir: Utf8PathBuf,
    /// The package files added, sorted.
    pub added: Vec<String>,
    /// How many of the packages given it held already (the same bytes).
    pub present: usize,
    /// The suites (apt: `bookworm`) or repositories (dnf: `9/x86_64/stable`) indexed anew.
    pub indexed: Vec<String>,
}

/// Adds every package of `request.sets` to the repository at `request.out`, each to its
/// distribution's tree, and indexes and signs each suite or repository that changed from all
/// the packages it holds (what it held before stays listed, so stays installable). Each tree
/// is made beside the published one, from hard links to its files, and swapped in whole once
/// every tree is made: a failed run leaves the repository as it was. One run at a time per
/// repository (a kernel lock); a killed run's staging folder is removed by the next.
pub fn publish(request: &RepoRequest, progress: &dyn Progress) -> Result<Published, RepoError> {
    if request.sets.is_empty() {
        return Err(RepoError::NoSets);
    }
    for (tool, package) in request.kind.tools() {
        if which::which(tool).is_err() {
            return Err(RepoError::MissingTool { tool, package });
        }
    }
    let format = request.kind.format();
    let key = SigningKey::open(&request.key, request.passphrase_file.as_deref())?;
    progress.status("Signing", &format!("with the key {}", key.fingerprint));
    let out = &request.out;
    let linux = out.join("linux");
    std::fs::create_dir_all(&linux).map_err(RepoError::io("creating", &linux))?;
    let lock_path = out.join(".dockyard-repo.lock");
    let _lock =
        build_core::lock::FileLock::acquire(&lock_path, &format!("the repository {out}"), progress)
            .map_err(RepoError::io("locking", &lock_path))?;
    for entry in linux
        .read_dir_utf8()
        .map_err(RepoError::io("reading", &linux))?
        .flatten()
    {
        if entry.file_name().starts_with(".tmp-") {
            let _ = build_core::fs::remove_dir_all_if_exists(entry.path());
        }
    }
    let staging = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(&linux)
        .map_err(RepoError::io("creating a staging folder in", &linux))?;
    let staging_dir = build_core::fs::utf8(staging.path().to_owned())
        .map_err(RepoError::io("creating a staging folder in", &linux))?;
    let [incoming, work, trees] = ["incoming", "work", "trees"].map(|n| staging_dir.join(n));
    for dir in [&incoming, &work, &trees] {
        std::fs::create_dir(dir).map_err(RepoError::io("creating", dir))?;
    }
    let taken = incoming::take(&request.sets, format, &incoming)?;
    let mut ids: Vec<&'static str> = taken.iter().map(|p| p.distro.id).collect();
    ids.sort();
    ids.dedup();
    let mut made = Vec::new();
    for id in ids {
        let (tree, live) = (trees.join(id), linux.join(id));
        let ours = taken.iter().filter(|p| p.distro.id == id);
        let done = make_tree(ours, &live, &tree, (&key, &work), format, progress)?;
        made.push((tree, done));
    }
    let mut published = Vec::new();
    for (tree, done) in made {
        if done.added.is_empty() {
            progress.status(
                "Unchanged",
                &format!("{}: it holds every package given", done.dir),
            );
        } else {
            build_core::fs::swap_into_place(tree.as_std_path(), done.dir.as_std_path())
                .map_err(RepoError::io("swapping the new repository into", &done.dir))?;
            let line = format!("{} ({} packages added)", done.dir, done.added.len());
            progress.status("Published", &line);
        }
        published.push(done);
    }
    // `staging` (and with it each previous tree, swapped to where the new one was) goes now.
    drop(staging);
    Ok(Published {
        fingerprint: key.fingerprint.clone(),
        trees: published,
    })
}

/// Makes the new `tree` of the distribution published at `live`: what it held, `packages`
/// added, each changed suite or repository indexed and signed with `key` (`work` for the
/// indexers' files), the public key beside them, everything this run wrote readable by all.
fn make_tree<'a>(
    packages: impl Iterator<Item = &'a incoming::Incoming>,
    live: &Utf8Path,
    tree: &Utf8Path,
    (key, work): (&SigningKey, &Utf8Path),
    format: Format,
    progress: &dyn Progress,
) -> Result<PublishedTree, RepoError> {
    let mut published = PublishedTree {
        dir: live.to_owned(),
        added: Vec::new(),
        present: 0,
        indexed: Vec::new(),
    };
    stage_tree(live, tree, key)?;
    let mut changed = BTreeSet::new();
    for package in packages {
        let (path, part) = match format {
            Format::Deb => apt::place(package),
            Format::Rpm => dnf::place(package),
        };
        let dest = tree.join(&path);
        if std::fs::symlink_metadata(&dest).is_ok() {
            if !same_bytes(&dest, &package.file)? {
                return Err(RepoError::Republished {
                    file: package.given.clone(),
                    published: live.join(&path),
                });
            }
            published.present += 1;
            continue;
        }
        let folder = dest.parent().unwrap_or(tree);
        std::fs::create_dir_all(folder).map_err(RepoError::io("creating", folder))?;
        std::fs::rename(&package.file, &dest).map_err(RepoError::io("moving into place", &dest))?;
        let line = format!(
            "{} {} ({}) to {part} in {live}",
            package.package, package.version, package.arch
        );
        progress.status("Adding", &line);
        published.added.push(package.name.clone());
        changed.insert(part);
    }
    for part in &changed {
        let line = match format {
            Format::Deb => {
                let (archs, n) = apt::index(tree, part, key, (work, "../../work"))?;
                format!("{live}/dists/{part}: {n} packages for {}", archs.join(", "))
            }
            Format::Rpm => {
                let n = dnf::index(tree, part, key, work)?;
                format!("{live}/{part}: {n} packages")
            }
        };
        progress.status("Indexed", &line);
    }
    write_new(&tree.join("gpg"), &key.public_key()?)?;
    files::make_readable(tree)?;
    published.added.sort();
    published.indexed = changed.into_iter().collect();
    Ok(published)
}

/// Makes `tree` a copy of the published `live` (hard links), or an empty folder when there is
/// none yet; refuses a repository signed with another key than `key`.
fn stage_tree(live: &Utf8Path, tree: &Utf8Path, key: &SigningKey) -> Result<(), RepoError> {
    match std::fs::symlink_metadata(live) {
        Ok(meta) if meta.is_dir() => link_tree(live, tree)?,
        Ok(_) => {
            return Err(RepoError::NotRegular {
                path: live.to_owned(),
            });
        }
        Err(_) => return std::fs::create_dir(tree).map_err(RepoError::io("creating", tree)),
    }
    let public = tree.join("gpg");
    if std::fs::symlink_metadata(&public).is_ok() {
        let published = key.fingerprints_in(&public)?;
        if !published.contains(&key.fingerprint) {
            return Err(RepoError::KeyChanged {
                tree: live.to_owned(),
                published: published.join(", "),
                given: key.fingerprint.clone(),
            });
        }
    }
    Ok(())
}
