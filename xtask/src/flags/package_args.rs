//! The flags of `package`, `repo`, `install` and `verify`: putting a bundle on a machine, as
//! packages (loose or from a signed repository) or files, and checking one first.

use camino::Utf8PathBuf;
use clap::Args;

use super::absolute_path;

/// `package`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The package format: deb (Debian, Ubuntu) or rpm (CentOS Stream, RHEL, Fedora).
    #[arg(value_parser = package_format)]
    pub format: packages::Format,

    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    #[arg(value_parser = absolute_path)]
    pub bundle: Option<Utf8PathBuf>,

    /// The distribution release the packages are for (debian-12, ubuntu-24.04, centos-9,
    /// fedora-43, …): it names their versions and where the units go. [default: this
    /// machine's, if it is one of them; else debian-12 or centos-9]
    #[arg(long, value_name = "DISTRO")]
    pub distro: Option<String>,

    /// Packages go to DIR/packages/DISTRO/.
    #[arg(long, value_name = "DIR", default_value = "target/dockyard", value_parser = absolute_path)]
    pub out: Utf8PathBuf,

    /// "Name <address>" for the packages' Maintainer (deb) or Packager (rpm). [default:
    /// DEBFULLNAME <DEBEMAIL>, else dockyard's own address]
    #[arg(long, value_name = "WHO")]
    pub maintainer: Option<String>,

    /// Write the packages' SLSA provenance beside their folder
    /// (DIR/packages/DISTRO.provenance.intoto.jsonl), signed with the private key KEY
    /// (unencrypted PEM, P-256); unsigned without KEY.
    #[arg(long, value_name = "KEY", num_args = 0..=1, value_parser = absolute_path)]
    pub provenance: Option<Option<Utf8PathBuf>>,
}

fn package_format(s: &str) -> Result<packages::Format, String> {
    packages::Format::parse(s).ok_or_else(|| "deb or rpm".to_owned())
}

/// `repo`.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The repository: apt (Debian, Ubuntu) or dnf (CentOS Stream, RHEL, Fedora).
    #[arg(value_name = "apt|dnf", value_parser = |s: &str| package_repo::Kind::parse(s).ok_or("apt or dnf"))]
    pub kind: package_repo::Kind,

    /// Folders of packages as `package` makes them (DIR/packages/debian-12/), of any releases
    /// and architectures: each package goes to its distribution, release and architecture.
    #[arg(value_name = "PACKAGES", required = true, value_parser = absolute_path)]
    pub sets: Vec<Utf8PathBuf>,

    /// The signing key: an OpenPGP secret key file, as gpg exports one (armoured or not), or
    /// a gpg home folder, holding one key that signs. It is copied into a temporary gpg
    /// home; nothing is written where it is (nor into ~/.gnupg). A repository keeps its key:
    /// another one is refused.
    #[arg(long, value_name = "FILE|DIR", value_parser = absolute_path)]
    pub key: Utf8PathBuf,

    /// A file whose first line is the key's passphrase, when it has one.
    #[arg(long, value_name = "FILE", value_parser = absolute_path)]
    pub passphrase_file: Option<Utf8PathBuf>,

    /// The repository's root: DIR/linux/debian/, DIR/linux/centos/, … as download.docker.com
    /// lays them out. Serve DIR over HTTPS.
    #[arg(long, value_name = "DIR", default_value = "target/dockyard/repo", value_parser = absolute_path)]
    pub out: Utf8PathBuf,
}

/// `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    #[arg(value_parser = absolute_path)]
    pub bundle: Option<Utf8PathBuf>,

    /// Binaries and the rootless extras go to PREFIX/bin, CLI plugins to
    /// PREFIX/libexec/docker/cli-plugins (where the docker CLI looks). [default: /usr/local, or
    /// ~/.local with --user]
    #[arg(long, value_name = "PREFIX", value_parser = absolute_path)]
    pub prefix: Option<Utf8PathBuf>,

    /// Install for yourself, without root: the CLI plugins go to $DOCKER_CONFIG/cli-plugins
    /// (~/.docker/cli-plugins), the binaries to ~/.local/bin (or PREFIX/bin).
    #[arg(long, conflicts_with = "systemd")]
    pub user: bool,

    /// Also write docker.service, docker.socket and containerd.service into this folder.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "/etc/systemd/system", value_parser = absolute_path)]
    pub systemd: Option<Utf8PathBuf>,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    #[arg(value_parser = absolute_path)]
    pub bundle: Option<Utf8PathBuf>,

    /// Also check the bundle's provenance beside it with the public key KEY (PEM, P-256:
    /// cosign.pub): its signature, every file's SHA-256, and the manifest's commits and patches.
    #[arg(long, value_name = "KEY", value_parser = absolute_path)]
    pub provenance: Option<Utf8PathBuf>,

    /// With --provenance: check the provenance of the packages `package` made from the bundle
    /// (DIR/packages/debian-12) instead of the bundle's: its signature, every package's SHA-256,
    /// and that it names this bundle's manifest, whose commits and patches it must name.
    #[arg(long, value_name = "DIR", requires = "provenance", value_parser = absolute_path)]
    pub packages: Option<Utf8PathBuf>,
}
