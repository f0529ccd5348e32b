//! The flags that share builds through OCI registries: the team's component cache and Go
//! cache (on `bundle`), and `push` and `pull` of published bundles.

use build_core::Target;
use camino::Utf8PathBuf;
use clap::Args;

use super::absolute_path;

/// The team's cache, on `bundle`. Each adds to `[cache]` in dockyard.toml beside pins.lock.
#[derive(Debug, Args, Default)]
pub struct SharedCacheFlags {
    /// Before building a component, pull it from REF (HOST[:PORT]/REPOSITORY, an OCI registry
    /// repository), tagged COMPONENT-KEY. Repeatable: tried in order. A pulled component is
    /// checked as a build here is (every digest, its key, ELF, static, shown version, tar
    /// members); one that fails is refused with the reason and built here.
    #[arg(long = "cache-from", value_name = "REF")]
    pub cache_from: Vec<String>,

    /// Push each component to REF once it is built (or found in the local cache and missing
    /// there), beside the rest of the run: blobs first, the tag last. A registry that is down
    /// or refuses gives a warning; the bundle is published all the same. Repeatable.
    #[arg(long = "cache-to", value_name = "REF")]
    pub cache_to: Vec<String>,

    /// Use only components signed with this public key (PEM, P-256: cosign's cosign.pub
    /// works); an unsigned one is built here.
    #[arg(long = "cache-verify", value_name = "KEY", value_parser = absolute_path)]
    pub cache_verify: Option<Utf8PathBuf>,

    /// Sign what is pushed with this private key (unencrypted PEM, P-256), cosign's way: a
    /// signature referrer `cosign verify --key` reads.
    #[arg(long = "cache-sign", value_name = "KEY", value_parser = absolute_path)]
    pub cache_sign: Option<Utf8PathBuf>,

    /// Fail, naming the component and why, rather than build anything here.
    #[arg(long = "cache-required")]
    pub cache_required: bool,

    /// Share Go's build cache through REF (a registry repository) or DIR (a folder the team
    /// shares, such as an NFS mount), as Go's GOCACHEPROG: a rebuild compiles only packages
    /// nobody has compiled. A miss or an error is only a miss; the bytes built are the same.
    #[arg(long = "go-cache", value_name = "REF|DIR")]
    pub go_cache: Option<String>,
}

/// `push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where to: HOST[:PORT]/REPOSITORY:TAG.
    #[arg(value_name = "REF")]
    pub reference: String,

    /// The bundle folders to push, one per architecture. [default: every docker-VERSION of
    /// the newest version under target/dockyard, the host's and each --target's]
    #[arg(value_parser = absolute_path)]
    pub bundles: Vec<Utf8PathBuf>,

    /// Sign the index and each architecture's manifest with this private key (unencrypted
    /// PEM, P-256), and attach each bundle's provenance (DIR/docker-VERSION.provenance.intoto.jsonl,
    /// from `bundle --provenance`) to its manifest and the index, signed with it and naming
    /// them, where `cosign verify-attestation --type slsaprovenance1` finds it.
    #[arg(long, value_name = "KEY", value_parser = absolute_path)]
    pub sign: Option<Utf8PathBuf>,
}

/// `pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: HOST[:PORT]/REPOSITORY:TAG or @sha256:DIGEST.
    #[arg(value_name = "REF")]
    pub reference: String,

    /// Where bundles go: DIR/docker-VERSION/ for the host's; DIR/ARCH/docker-VERSION/ for each
    /// --platform.
    #[arg(value_name = "DIR", value_parser = absolute_path)]
    pub dir: Utf8PathBuf,

    /// Pull this platform's bundle (linux/arm64, …); repeatable. [default: the host's]
    #[arg(long = "platform", value_name = "PLATFORM", value_parser = Target::parse)]
    pub platforms: Vec<Target>,

    /// Only if signed with this public key (PEM, P-256: cosign's cosign.pub works); a
    /// bundle's attached provenance must be signed by it too, name its manifest and match
    /// its files, and is kept beside it (docker-VERSION.provenance.intoto.jsonl).
    #[arg(long, value_name = "KEY", value_parser = absolute_path)]
    pub verify: Option<Utf8PathBuf>,
}

/// `go-cache-program` (Go starts it as GOCACHEPROG; people never do).
#[derive(Debug, Args)]
pub struct GoCacheProgramArgs {
    /// This machine's tier: a folder.
    #[arg(long, value_name = "DIR")]
    pub local: Utf8PathBuf,

    /// The team's tier: a registry repository or a shared folder.
    #[arg(long, value_name = "REF|DIR")]
    pub remote: Option<String>,

    /// Append each action answered or stored to FILE (one hex ID a line): the build's pack.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<Utf8PathBuf>,

    /// The build's pack was fetched: ask the team's tier nothing and store nothing there (the
    /// pack pushed after the build carries what it adds).
    #[arg(long)]
    pub packed: bool,
}
