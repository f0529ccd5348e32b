//! `plan`: the jobs a team's CI runs to build bundles side by side.

use build_core::{Component, Target};
use camino::Utf8PathBuf;
use clap::Args;

use super::{GoFlag, LinkageFlag, SourceArgs, absolute_path, parse_component};

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub linkage: LinkageFlag,

    /// Plan for PLATFORM (as `bundle --target`); repeatable. [default: the host's]
    #[arg(long = "target", value_name = "PLATFORM", value_parser = Target::parse)]
    pub targets: Vec<Target>,

    /// Plan only these components. [default: all nine]
    #[arg(long, value_name = "COMPONENT", num_args = 1.., value_delimiter = ',', value_parser = parse_component)]
    pub only: Vec<&'static Component>,

    /// Which Go builds (as `bundle --go`).
    #[arg(long, value_name = "WHICH", value_enum, default_value_t = GoFlag::Pinned)]
    pub go: GoFlag,

    /// The team's component cache (HOST[:PORT]/REPOSITORY): a job whose component it already
    /// holds is left out. The CI files' jobs push there and their assembler pulls from there.
    /// [default: the first of dockyard.toml's `[cache] from`]
    #[arg(long = "cache-from", value_name = "REF")]
    pub cache_from: Option<String>,

    /// Go's shared build cache for the jobs (as `bundle --go-cache`). [default: dockyard.toml's
    /// `[cache] go`]
    #[arg(long = "go-cache", value_name = "REF")]
    pub go_cache: Option<String>,

    /// In the CI files: the assembler pushes the bundles to REF (HOST[:PORT]/REPOSITORY:TAG).
    #[arg(long, value_name = "REF")]
    pub push: Option<String>,

    /// In the CI files: the assembler packages the host's bundle as FORMAT (deb, rpm);
    /// repeatable.
    #[arg(long = "package", value_name = "FORMAT", value_parser = ["deb", "rpm"])]
    pub packages: Vec<String>,

    /// What to write: `json` (every job, with its key and whether the cache holds it),
    /// `github` (a GitHub Actions workflow) or `gitlab` (a .gitlab-ci.yml): a matrix job per
    /// component and target still to build, then one assembler job that builds nothing.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE", value_parser = absolute_path)]
    pub output: Option<Utf8PathBuf>,
}

/// `plan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Every job as JSON.
    Json,
    /// A GitHub Actions workflow.
    Github,
    /// A GitLab CI pipeline.
    Gitlab,
}
