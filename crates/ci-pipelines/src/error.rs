//! Why a pipeline is not rendered.

use std::fmt;

/// A pipeline that cannot be rendered safely, or that CI would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A value holds a control character (a newline, NUL, …) that could end its line and
    /// start YAML or shell of its own.
    ControlCharacter {
        /// The pipeline's field (`build_args[2]`, `jobs[0].target`, …).
        field: String,
        /// The value refused.
        value: String,
    },
    /// A value holds `${{`, which GitHub evaluates as an expression wherever it appears.
    Expression {
        /// The pipeline's field.
        field: String,
        /// The value refused.
        value: String,
    },
    /// A value that must be given is empty.
    Empty {
        /// The pipeline's field.
        field: String,
    },
    /// A package format other than `deb` or `rpm`.
    UnknownPackageFormat {
        /// The format asked for.
        format: String,
    },
    /// Packages asked for, but no `linux/amd64` target: the runners' own bundle is the one
    /// packaged.
    NoHostTarget,
    /// More jobs than one GitLab matrix may make.
    TooManyJobs {
        /// How many jobs the pipeline has.
        jobs: usize,
        /// How many one matrix may make.
        limit: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ControlCharacter { field, value } => write!(
                f,
                "{field} holds a control character (a newline, NUL, …), which a CI file cannot \
                 carry safely: {value:?}"
            ),
            Error::Expression { field, value } => write!(
                f,
                "{field} holds `${{{{`, which GitHub would evaluate as an expression: {value:?}"
            ),
            Error::Empty { field } => write!(f, "{field} is empty"),
            Error::UnknownPackageFormat { format } => {
                write!(f, "unknown package format {format:?}: deb or rpm")
            }
            Error::NoHostTarget => write!(
                f,
                "packages are made of the runners' linux/amd64 bundle, and the targets leave it out"
            ),
            Error::TooManyJobs { jobs, limit } => write!(
                f,
                "{jobs} jobs: a GitLab matrix makes at most {limit}; split the pipeline"
            ),
        }
    }
}

impl std::error::Error for Error {}
