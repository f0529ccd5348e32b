//! An apt repository as Docker's (`download.docker.com/linux/debian`): per distribution
//! (`linux/debian/`, `linux/ubuntu/`) a suite per release codename, one component, `stable`,
//! and the packages under the suite's own pool:
//!
//! ```text
//! linux/debian/gpg                                         the public key, armoured
//! linux/debian/dists/bookworm/{InRelease,Release,Release.gpg}
//! linux/debian/dists/bookworm/stable/binary-amd64/Packages{,.gz,.xz}
//! linux/debian/dists/bookworm/pool/stable/amd64/docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb
//! ```
//!
//! Indexes are made by Debian's `apt-ftparchive` from every package in the pool (old releases
//! stay listed, so stay installable), the `Release` file signed by `gpg`.

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};
use packages::Format;

use crate::RepoError;
use crate::files::{folders, package_files, remove, write_new};
use crate::gpg::SigningKey;
use crate::incoming::Incoming;

/// The one component.
pub(crate) const COMPONENT: &str = "stable";

/// Where `package` goes in its distribution's tree, and the suite it changes.
pub(crate) fn place(package: &Incoming) -> (Utf8PathBuf, String) {
    let suite = package.distro.suite;
    let path = Utf8PathBuf::from(format!(
        "dists/{suite}/pool/{COMPONENT}/{}/{}",
        package.arch, package.name
    ));
    (path, suite.to_owned())
}

/// Indexes and signs the suite `suite` of the distribution tree `tree` from every package in
/// its pool, with `work` for apt-ftparchive's configuration and file lists (`work_from_tree`:
/// the same folder relative to `tree`, so no path of the caller's is written into the
/// configuration). Returns its architectures and how many packages it lists.
pub(crate) fn index(
    tree: &Utf8Path,
    suite: &str,
    key: &SigningKey,
    (work, work_from_tree): (&Utf8Path, &str),
) -> Result<(Vec<String>, usize), RepoError> {
    let dists = tree.join("dists").join(suite);
    let pool = dists.join("pool").join(COMPONENT);
    let known = Format::Deb.architectures();
    let architectures = folders(&pool, |name| known.contains(&name))?;
    let mut listed = 0;
    for arch in &architectures {
        let files = package_files(&pool.join(arch), ".deb", false)?;
        listed += files.len();
        let list: String = files
            .iter()
            .map(|(name, _)| format!("dists/{suite}/pool/{COMPONENT}/{arch}/{name}\n"))
            .collect();
        write_new(&work.join(format!("{suite}-{arch}.list")), &list)?;
        let binary = dists.join(COMPONENT).join(format!("binary-{arch}"));
        std::fs::create_dir_all(&binary).map_err(RepoError::io("creating", &binary))?;
        // Every index is written anew, never through a link to the published one.
        for name in ["Packages", "Packages.gz", "Packages.xz", "Release"] {
            remove(&binary.join(name))?;
        }
    }
    for name in ["Release", "InRelease", "Release.gpg"] {
        remove(&dists.join(name))?;
    }
    let archs = architectures.join(" ");
    let config = work.join(format!("{suite}.conf"));
    // The repository is the working directory; every path is relative to it. The cache of
    // packages' fields goes to the work folder (without `CacheDir` it is written to `/`, and
    // trusted for a file of the same name in another repository).
    write_new(
        &config,
        &format!(
            "Dir {{ ArchiveDir \".\"; CacheDir \"{work_from_tree}\"; }};\n\
             Default {{ Packages::Compress \". gzip xz\"; FileMode 0644; }};\n\
             Tree \"dists/{suite}\" {{ Sections \"{COMPONENT}\"; Architectures \"{archs}\"; \
             FileList \"{work_from_tree}/{suite}-$(ARCH).list\"; }};\n"
        ),
    )?;
    let generated = LoggedCommand::new("apt-ftparchive")
        .args(["--no-contents", "-q=2", "generate", config.as_str()])
        .cwd(tree)
        .env("LC_ALL", "C")
        .output()?;
    // apt-ftparchive says what went wrong and exits 0: its words decide.
    let complained = generated
        .stderr
        .lines()
        .any(|l| l.starts_with("E:") || l.starts_with("W:"));
    let missing = architectures.iter().find(|a| {
        !dists
            .join(COMPONENT)
            .join(format!("binary-{a}/Packages"))
            .is_file()
    });
    if !generated.status.success() || complained || missing.is_some() {
        return Err(RepoError::Index {
            tool: "apt-ftparchive",
            dir: dists,
            said: generated.stderr.trim().to_owned(),
        });
    }
    let release = LoggedCommand::new("apt-ftparchive")
        .arg("-q=2")
        .args(
            release_fields(suite, &archs)
                .map(|(k, v)| format!("-oAPT::FTPArchive::Release::{k}={v}")),
        )
        .args(["release", &format!("dists/{suite}")])
        .cwd(tree)
        .env("LC_ALL", "C")
        .read()?;
    let release_file = dists.join("Release");
    write_new(&release_file, &(release + "\n"))?;
    key.sign(&release_file, &dists.join("InRelease"), true)?;
    key.sign(&release_file, &dists.join("Release.gpg"), false)?;
    Ok((architectures, listed))
}

/// The `Release` file's own fields, as Docker's repository has them.
fn release_fields<'a>(suite: &'a str, archs: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("Origin", "dockyard"),
        ("Label", "Docker CE (dockyard)"),
        ("Suite", suite),
        ("Codename", suite),
        ("Architectures", archs),
        ("Components", COMPONENT),
        (
            "Description",
            "Docker's packages, built from source by dockyard",
        ),
    ]
}
