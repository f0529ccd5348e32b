//! A dnf repository as Docker's (`download.docker.com/linux/centos`): per distribution
//! (`linux/centos/`, `linux/fedora/`) a repository per release and architecture, its
//! metadata made by `createrepo_c` from every package it holds, `repomd.xml` signed by `gpg`:
//!
//! ```text
//! linux/centos/gpg                                   the public key, armoured
//! linux/centos/9/x86_64/stable/Packages/docker-ce-29.7.2-1.el9.x86_64.rpm
//! linux/centos/9/x86_64/stable/repodata/{repomd.xml,repomd.xml.asc,…}
//! ```
//!
//! A `.repo` file's `baseurl` is `…/linux/centos/$releasever/$basearch/stable`, as Docker's.

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};

use crate::RepoError;
use crate::files::{package_files, remove, write_new};
use crate::gpg::SigningKey;
use crate::incoming::Incoming;

/// The channel, as Docker's repositories name it.
const CHANNEL: &str = "stable";

/// Where `package` goes in its distribution's tree, and the repository (a folder of the tree)
/// it changes.
pub(crate) fn place(package: &Incoming) -> (Utf8PathBuf, String) {
    let repository = format!("{}/{}/{CHANNEL}", package.distro.version_id, package.arch);
    let path = Utf8PathBuf::from(format!("{repository}/Packages/{}", package.name));
    (path, repository)
}

/// Makes and signs the metadata of the repository `repository` of the distribution tree
/// `tree` from every package it holds, with `work` for the package list. Returns how many
/// packages it lists.
pub(crate) fn index(
    tree: &Utf8Path,
    repository: &str,
    key: &SigningKey,
    work: &Utf8Path,
) -> Result<usize, RepoError> {
    let dir = tree.join(repository);
    let files = package_files(&dir.join("Packages"), ".rpm", false)?;
    let list: String = files
        .iter()
        .map(|(name, _)| format!("Packages/{name}\n"))
        .collect();
    let list_file = work.join(format!("{}.list", repository.replace('/', "-")));
    write_new(&list_file, &list)?;
    // The metadata is made anew, never written through a link to the published one.
    let repodata = dir.join("repodata");
    remove(&repodata)?;
    LoggedCommand::new("createrepo_c")
        .args(["--quiet", "--no-database", "--general-compress-type", "gz"])
        .args(["--pkglist", list_file.as_str(), dir.as_str()])
        .env("LC_ALL", "C")
        .read()?;
    let repomd = repodata.join("repomd.xml");
    key.sign(&repomd, &repodata.join("repomd.xml.asc"), false)?;
    Ok(files.len())
}
