//! The command line: every verb and flag, with the help a newcomer reads. Values are parsed
//! here, once, into typed values (clap value parsers); nothing downstream splits strings.

use build_core::source::Mirror;
use build_core::{Component, Linkage, Target, Upstream};
use bundle::Replacement;
use camino::Utf8PathBuf;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use release::DockerVersion;

mod bench_args;
mod engine_args;
mod package_args;
mod plan_args;
mod registry_args;
pub(crate) use bench_args::{BenchArgs, MeasureFlag};
pub(crate) use engine_args::{DownArgs, EngineArgs, LogsArgs, NetworkFlag, StatusArgs, UpArgs};
pub(crate) use package_args::{InstallArgs, PackageArgs, RepoArgs, VerifyArgs};
pub(crate) use plan_args::{PlanArgs, PlanFormat};
pub(crate) use registry_args::{GoCacheProgramArgs, PullArgs, PushArgs, SharedCacheFlags};

/// Build the Docker Engine stack from upstream source, natively, at pinned commits.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    propagate_version = true
)]
pub struct Cli {
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// Every verb.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure dockyard against upstream's own build entry points and write docs/benchmarks.md.
    ///
    /// Needs all five real sources as --mirror and about a quarter hour on two cores: cold
    /// builds (empty caches), no-op rebuilds, a one-line runc change, tgz sizes and peak memory.
    Bench(BenchArgs),
    /// Build the eight engine binaries and publish them as a verified, reproducible bundle.
    ///
    /// Output: DIR/docker-VERSION/ with docker/ (the binaries), docker-VERSION.tgz (install it as
    /// Docker documents: tar xzf, then cp docker/* /usr/bin/), SHA256SUMS, manifest.json, an SPDX
    /// SBOM (sbom.spdx.json) and systemd units. The folder is built aside and swapped in: a failed
    /// or killed run leaves the previous bundle as it was. Unchanged components are reused from the
    /// cache, so a second run with nothing changed does almost nothing.
    Bundle(BundleArgs),
    /// Check the tools a build needs (go, gcc, cmake, make, pkg-config, static libseccomp and
    /// libc) and those `up` and `smoke` run (iptables, nftables, slirp4netns, iproute2,
    /// docker-registry, busybox-static), and say what to install for each one missing.
    Doctor(DoctorArgs),
    /// Bring every pinned source to disk, verified, and say where each came from.
    Fetch(FetchArgs),
    /// Stop the development engine that `up` started; keep its data root unless --purge.
    Down(DownArgs),
    /// Put a bundle's binaries (and, with --systemd, its units) in place.
    Install(InstallArgs),
    /// Make Debian or RPM packages of a bundle, as Docker's own packages are made.
    ///
    /// docker-ce (dockerd, docker-proxy, docker-init, docker.service and docker.socket,
    /// dockerd.8), docker-ce-cli (docker, its bash, zsh and fish completions and man pages),
    /// containerd.io (containerd, its shim, ctr, runc, containerd.service),
    /// docker-ce-rootless-extras,
    /// docker-buildx-plugin and docker-compose-plugin, with the names, paths, relations and
    /// version strings of Docker's packaging (5:29.7.2-1~debian.12~bookworm; 3:29.7.2-1.el9)
    /// and maintainer scripts that create the docker group and enable the units. Built from the
    /// verified bundle with dpkg-deb or rpmbuild, reproducibly, into DIR/packages/DISTRO/,
    /// which is replaced whole only when every package was made.
    Package(PackageArgs),
    /// Make or update a signed apt or dnf repository of packages, laid out as Docker's own.
    ///
    /// apt: DIR/linux/debian/dists/CODENAME/ (InRelease and Release.gpg signed, component
    /// stable, packages in its pool/stable/ARCH/), by apt-ftparchive; dnf:
    /// DIR/linux/centos/RELEASE/ARCH/stable/ (repodata/repomd.xml.asc signed), by createrepo_c;
    /// the public key as DIR/linux/DISTRIBUTION/gpg. What it held stays listed, so every
    /// release stays installable; each distribution's folder is made aside and swapped in.
    Repo(RepoArgs),
    /// Print a development engine daemon's log (dockerd's unless named).
    Logs(LogsArgs),
    /// Derive a Docker release's pinned set from the sources and write it to pins.lock.
    ///
    /// Reads moby's release tag (docker-vN from 29.0.0, vN before), the versions its Dockerfile
    /// (and, before 29, its hack/dockerfile/install/*.installer scripts) declares for Go,
    /// containerd, runc, tini and rootlesskit, the cli's vN tag, and, with --mirror
    /// packaging=PATH (docker-ce-packaging), the buildx and compose its common.mk ships; peels
    /// every tag to its commit and checks the commit exists. Mirrors and --offline work as for
    /// bundle.
    Pins(PinsArgs),
    /// Plan a bundle's builds as jobs for a team's CI: one per component and target.
    ///
    /// Each job has the key its build will have (the toolchains, sources and C libraries are
    /// found as `bundle` finds them; nothing is built) and says whether the team's cache
    /// (--cache-from) already holds it. As JSON, or as a ready CI file: `--format github`, a
    /// GitHub Actions workflow, or `--format gitlab`, a .gitlab-ci.yml, whose matrix runs
    /// `bundle --only COMPONENT --target TARGET --cache-to REF` for each job still to run,
    /// then one assembler job that runs `bundle --cache-from REF --cache-required` for every
    /// target (it compiles nothing, and fails naming any component missing), and pushes and
    /// packages the bundles. A rerun after one change plans only what changed.
    Plan(PlanArgs),
    /// Publish bundles to an OCI registry as one image index: a manifest per architecture (its
    /// files as layers), the SBOM and manifest.json attached as referrers. Each bundle is
    /// verified first; the tag is pushed last, so nobody pulls half of it. Credentials are
    /// Docker's (docker login; DOCKER_CONFIG); a registry's CA is read from
    /// /etc/docker/certs.d/HOST:PORT/*.crt, as Docker reads it.
    Push(PushArgs),
    /// Fetch bundles a push published, verify them as `verify` does, and lay each out as a
    /// bundle folder (swapped in whole: a failed pull leaves what was there).
    Pull(PullArgs),
    /// Go's GOCACHEPROG for a build (started by `go`, speaking its protocol on stdin/stdout).
    #[command(hide = true)]
    GoCacheProgram(GoCacheProgramArgs),
    /// Run upstream's own test suites against the bundle, side by side with upstream's build.
    ///
    /// runc's integration suite (the pinned tree's tests/integration/*.bats) runs with Debian's
    /// bats under a terminal, against the bundle's runc; with --against upstream also against
    /// the runc that runc's own `make static` builds from the same commit. The images the suite
    /// downloads are made here instead (busybox from busybox-static, debian with mmdebstrap).
    /// Writes docs/conformance.md; each suite's raw output goes to a log. Needs root.
    Conformance(ConformanceArgs),
    /// Start the bundle's own engine in isolation and prove it is the whole engine (needs root).
    ///
    /// The engine runs as `up` runs it, in a temporary state folder, beside two registries on
    /// the host's loopback (one behind htpasswd). One line per check with its time: versions,
    /// the CLI plugins, runs, a BuildKit build with a cache mount, a two-service compose
    /// project, exit codes, docker-init, seccomp, exec, volumes, names on a user-defined
    /// network, the host's loopback, a published port, push and pull, login, restart, health,
    /// memory, stop timeouts, and rootless dockerd (dockerd-rootless.sh as the unprivileged
    /// user dockyard-rootless, made on first use). All is stopped and removed at the end, also
    /// on failure or Ctrl-C.
    Smoke(SmokeArgs),
    /// Say whether the development engine runs: socket, daemons, bundle and working trees.
    Status(StatusArgs),
    /// Build the bundle incrementally and run its engine for development, until `down`.
    ///
    /// containerd and dockerd from the bundle (with its runc, shim, docker-init and
    /// docker-proxy) run in isolation: their own data root, exec root, sockets, pid files and
    /// logs in a state folder (one per bundle under the cache's engines/, or --state), their
    /// own network namespace unless --network host; never the host's /var/run/docker.sock,
    /// /var/lib/docker or /run/containerd state. Returns once the engine answers, printing the
    /// exports that make a shell's `docker` the bundle's, with the bundle's CLI plugins
    /// (buildx, compose) and your own logins: `eval "$(cargo xtask up)"`. With --watch it
    /// stays, rebuilding each --source working tree as you edit it and restarting only the
    /// daemon that runs what changed (nothing for a plugin). Needs root.
    Up(UpArgs),
    /// Re-check a bundle against its SHA256SUMS, manifest.json and SBOM, offline.
    Verify(VerifyArgs),
}

/// `--mirror COMPONENT=PATH|URL`, parsed.
#[derive(Debug, Clone)]
pub struct MirrorFlag {
    /// Which upstream.
    pub upstream: Upstream,
    /// Where its pinned commit comes from (paths made absolute).
    pub mirror: Mirror,
}

/// `--source COMPONENT=PATH|URL[@REF]`, parsed.
#[derive(Debug, Clone)]
pub struct SourceFlag {
    /// Which upstream.
    pub upstream: Upstream,
    /// What replaces its pin.
    pub replacement: Replacement,
}

/// Where repositories come from: shared by every verb that reads them.
#[derive(Debug, Args)]
pub struct RepositoryArgs {
    /// Cache of repositories and checkouts [default: $DOCKYARD_CACHE, else ~/.cache/dockyard].
    #[arg(long, value_name = "DIR", env = "DOCKYARD_CACHE", hide_env_values = true, value_parser = absolute_path)]
    pub cache: Option<Utf8PathBuf>,

    /// Get COMPONENT's pinned commit from a local clone (bare or not) or another URL instead of
    /// its pinned repository. The commit is still verified: a mirror cannot change what is
    /// built. COMPONENT is one of buildx, cli, compose, containerd, moby, rootlesskit, runc,
    /// tini (and packaging, docker-ce-packaging, for pins); repeat the flag for several.
    #[arg(long = "mirror", value_name = "COMPONENT=PATH|URL", value_parser = parse_mirror)]
    pub mirrors: Vec<MirrorFlag>,

    /// Use only the cache and mirrors; fail, naming the commit, rather than touch the network.
    #[arg(long)]
    pub offline: bool,
}

/// Where sources come from: shared by every verb that builds or fetches.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The pin file.
    #[arg(long, value_name = "FILE", default_value_t = crate::project_root().join("pins.lock"))]
    pub pins: Utf8PathBuf,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub repositories: RepositoryArgs,

    /// Build COMPONENT from your own working tree as it is (dirty or not) instead of the pin;
    /// binaries are stamped with its HEAD commit, and `-dirty` when it has changes. Or from a
    /// fork: URL@REF (a branch, tag or commit; the remote's HEAD without @REF), resolved to a
    /// commit when fetched.
    #[arg(long = "source", value_name = "COMPONENT=PATH|URL[@REF]", value_parser = parse_source)]
    pub sources: Vec<SourceFlag>,

    /// Apply a patch (git format-patch output, or a unified diff read like `patch -p1`) onto
    /// COMPONENT's pinned commit, after those that patches/COMPONENT/series lists beside the
    /// pin file. Patched binaries show +patches.<hash> after their version.
    #[arg(long = "patch", value_name = "COMPONENT=FILE", value_parser = parse_patch)]
    pub patches: Vec<(Upstream, Utf8PathBuf)>,
}

/// `pins`.
#[derive(Debug, Args)]
pub struct PinsArgs {
    #[arg(value_name = "VERSION", value_parser = parse_release,
        help = format!("The Docker release (29.7.2; {} are supported)", release::supported_range()))]
    pub release: DockerVersion,

    /// The pin file to write (or, with --check, to compare).
    #[arg(long, value_name = "FILE", default_value_t = crate::project_root().join("pins.lock"))]
    pub pins: Utf8PathBuf,

    /// Write nothing: compare the pin file with the release's set and print each difference
    /// (fails when they differ).
    #[arg(long)]
    pub check: bool,

    /// Allow a release candidate (29.7.0-rc.1).
    #[arg(long)]
    pub pre: bool,

    /// Pin UPSTREAM at TAG instead of what the release names (buildx=v0.34.0): a plugin
    /// released later, or a tag your mirror lacks. Repeatable; the pin's comment says so.
    #[arg(long = "pin", value_name = "UPSTREAM=TAG")]
    pub overrides: Vec<release::PinOverride>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub repositories: RepositoryArgs,
}

/// `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
}

/// `bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub linkage: LinkageFlag,

    /// Where bundles are published: DIR/docker-VERSION/.
    #[arg(long, value_name = "DIR", default_value_t = crate::project_root().join("target/dockyard"), value_parser = absolute_path)]
    pub out: Utf8PathBuf,

    /// How many components build at once. Go already compiles on every core, so more than 1
    /// helps only on larger machines. [default: half the cores, at least 1; every core, at
    /// least 2, for `up --watch`'s rebuilds]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Which Go builds: `pinned` runs exactly the release pins.lock names through Go's own
    /// GOTOOLCHAIN (Go downloads it once through its module proxy); `local` uses the go on
    /// PATH as it is (honouring your GOTOOLCHAIN).
    #[arg(long, value_name = "WHICH", value_enum, default_value_t = GoFlag::Pinned)]
    pub go: GoFlag,

    /// Build only these components (into the cache) and publish no bundle: a bundle always has
    /// all eight binaries. Names: tini, runc, proxy, containerd, cli, moby.
    #[arg(long, value_name = "COMPONENT", num_args = 1.., value_delimiter = ',', value_parser = parse_component)]
    pub only: Vec<&'static Component>,

    /// Build the Go binaries for a debugger (Delve): unoptimised and not inlined
    /// (-gcflags=all=-N -l), DWARF kept, versions marked +debug. Cached apart from release
    /// builds and published as DIR/docker-VERSION-debug/, beside the release bundle.
    #[arg(long)]
    pub debug: bool,

    /// Write SLSA provenance beside the bundle (DIR/docker-VERSION.provenance.intoto.jsonl), signed
    /// with the private key KEY (P-256 PEM, as push --sign), unsigned without; builder: $DOCKYARD_BUILDER.
    #[arg(long, value_name = "KEY", num_args = 0..=1, value_parser = absolute_path)]
    pub provenance: Option<Option<Utf8PathBuf>>,

    /// Build for PLATFORM: linux/arm64, linux/arm/v7, linux/arm/v6, linux/ppc64le, linux/s390x,
    /// linux/riscv64 or linux/amd64 (Docker's names aarch64, armhf, armel, ppc64le, s390x,
    /// riscv64, x86_64 too), or Docker's Windows and macOS downloads: windows/amd64 (the client
    /// and dockerd, zipped), darwin/amd64, darwin/arm64 (the client) (win/x86_64, mac/x86_64,
    /// mac/aarch64). Repeat for several: they share sources and the Go cache. Each goes to
    /// DIR/ARCH/docker-VERSION/, ARCH as Docker's download tree names it; without --target, the
    /// host's, in DIR/docker-VERSION/. Another architecture's binaries are checked under qemu,
    /// Windows' under Wine.
    #[arg(long = "target", value_name = "PLATFORM", value_parser = Target::parse)]
    pub targets: Vec<Target>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub shared: SharedCacheFlags,
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The pin file whose Go release is checked too.
    #[arg(long, value_name = "FILE", default_value_t = crate::project_root().join("pins.lock"))]
    pub pins: Utf8PathBuf,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub linkage: LinkageFlag,

    /// Check what building for PLATFORM needs (its cross compiler, libc, libseccomp, qemu).
    #[arg(long, value_name = "PLATFORM", value_parser = Target::parse, default_value_t = Target::host())]
    pub target: Target,
}

/// `conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    #[arg(value_parser = absolute_path)]
    pub bundle: Option<Utf8PathBuf>,
    /// Only the tests whose names match this regular expression (bats filters by it); the
    /// results are printed, and docs/conformance.md is left as it is.
    #[arg(long = "run", value_name = "REGEX")]
    pub filter: Option<String>,
    /// Also run every suite against upstream's own build of the same commits.
    #[arg(long, value_name = "WHOSE", value_parser = ["upstream"])]
    pub against: Option<String>,
    /// The suites: `runc` (runc's bats suite), `containerd` (containerd's integration/client,
    /// from 2.0), `moby` (moby's API integration packages, by default container, image,
    /// network, volume and system), or a moby package (`moby:integration/build`). Repeat it
    /// for several; their sections of docs/conformance.md are replaced, the others kept.
    /// [default: runc and moby]
    #[arg(long = "suite", value_name = "SUITE")]
    pub suites: Vec<String>,
    /// The work folder: the suites' copies, scratch trees, logs.
    #[arg(long, value_name = "DIR", value_parser = absolute_path, default_value = "target/dockyard/conformance")]
    pub dir: Utf8PathBuf,
}

/// `smoke`.
#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    #[arg(value_parser = absolute_path)]
    pub bundle: Option<Utf8PathBuf>,
}

/// `--go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GoFlag {
    /// The release pins.lock names.
    Pinned,
    /// The go on PATH.
    Local,
}

/// `--static` or `--dynamic`, as one [`Linkage`] (static when neither is given).
#[derive(Debug, Clone, Copy)]
pub struct LinkageFlag(pub Linkage);

impl FromArgMatches for LinkageFlag {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(LinkageFlag(if matches.get_flag("dynamic") {
            Linkage::Dynamic
        } else {
            Linkage::Static
        }))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for LinkageFlag {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("static")
                .long("static")
                .action(ArgAction::SetTrue)
                .conflicts_with("dynamic")
                .help("Static binaries, as Docker's own static tgz ships them (the default)"),
        )
        .arg(
            Arg::new("dynamic")
                .long("dynamic")
                .action(ArgAction::SetTrue)
                .help("Dynamically linked binaries (they need libseccomp and libc at run time)"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `NAME=VALUE`, NAME an upstream.
fn assignment(s: &str) -> Result<(Upstream, &str), String> {
    let Some((name, value)) = s.split_once('=') else {
        return Err(format!(
            "expected COMPONENT=VALUE, where COMPONENT is one of {}",
            Upstream::valid_names()
        ));
    };
    let upstream: Upstream = name.parse().map_err(|e| format!("{e}"))?;
    if value.is_empty() || value.contains('\0') {
        return Err("the value after `=` is empty or holds a NUL".into());
    }
    Ok((upstream, value))
}

fn parse_mirror(s: &str) -> Result<MirrorFlag, String> {
    let (upstream, value) = assignment(s)?;
    let mirror = match Mirror::parse(value).map_err(|e| e.to_string())? {
        Mirror::Path(p) => Mirror::Path(absolute_path(p.as_str())?),
        url => url,
    };
    Ok(MirrorFlag { upstream, mirror })
}

fn parse_source(s: &str) -> Result<SourceFlag, String> {
    let (upstream, value) = assignment(s)?;
    let replacement = match split_remote(value) {
        Some((url, reference)) => Replacement::Fork {
            url: url.to_owned(),
            reference: reference.map(str::to_owned),
        },
        None => Replacement::WorkingTree(absolute_path(value)?),
    };
    Ok(SourceFlag {
        upstream,
        replacement,
    })
}

fn parse_patch(s: &str) -> Result<(Upstream, Utf8PathBuf), String> {
    assignment(s).and_then(|(upstream, file)| Ok((upstream, absolute_path(file)?)))
}

fn parse_release(s: &str) -> Result<DockerVersion, String> {
    DockerVersion::parse(s).ok_or_else(|| {
        format!("`{s}` is not a Docker release number such as 29.7.2 or 29.7.0-rc.1")
    })
}

pub(crate) fn parse_component(s: &str) -> Result<&'static Component, String> {
    bundle::find(s).ok_or_else(|| {
        format!(
            "unknown component `{s}`: valid names are {}",
            bundle::names()
        )
    })
}

/// `URL[@REF]` for a `--source` that names a repository rather than a working tree: the ref is
/// what follows the last `@` after the last `/`.
fn split_remote(value: &str) -> Option<(&str, Option<&str>)> {
    let is_url = value.contains("://")
        || (value.contains('@') && value.contains(':') && !value.starts_with('/'));
    if !is_url {
        return None;
    }
    let last_slash = value.rfind('/').unwrap_or(0);
    match value.rfind('@') {
        Some(at) if at > last_slash => Some((&value[..at], Some(&value[at + 1..]))),
        _ => Some((value, None)),
    }
}

/// Relative paths are taken from the current directory, as a person typing them expects.
pub(crate) fn absolute_path(path: &str) -> Result<Utf8PathBuf, String> {
    let path = Utf8PathBuf::from(path);
    if path.is_absolute() {
        return Ok(path);
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let cwd = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|p| format!("the current directory is not UTF-8: {}", p.display()))?;
    Ok(cwd.join(path))
}
