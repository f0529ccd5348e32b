#![doc = include_str!("../README.md")]

mod commands;
mod error;
mod github;
mod gitlab;
mod yaml;

pub use error::Error;

/// The most jobs one GitLab `parallel: matrix` may make; [`gitlab`] refuses more.
pub const GITLAB_MATRIX_LIMIT: usize = 200;

/// What a team's CI runs: the component jobs still to run, then one job that assembles the
/// bundles from the shared cache, pushes and packages them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pipeline {
    /// The jobs still to run (the cache lacks their component), in order.
    pub jobs: Vec<Job>,
    /// Every target the assembler builds (`linux/amd64`, …), even those no job is left for.
    pub targets: Vec<String>,
    /// The arguments every bundle command of the pipeline takes, already split into words
    /// (the pin file, the linkage, patches, …).
    pub build_args: Vec<String>,
    /// The team's component cache, `HOST[:PORT]/REPOSITORY`: jobs push to it, the assembler
    /// reads only from it.
    pub cache: String,
    /// Go's shared build cache for the jobs (a registry repository or a shared folder).
    pub go_cache: Option<String>,
    /// Where the assembler pushes the bundles, `HOST[:PORT]/REPOSITORY:TAG`.
    pub push: Option<String>,
    /// Package formats (`deb`, `rpm`) the assembler makes of the runner's (`linux/amd64`)
    /// bundle.
    pub packages: Vec<String>,
}

impl Pipeline {
    /// A pipeline with no jobs, arguments, Go cache, push or packages: the assembler alone,
    /// building `targets` from `cache`.
    pub fn new<T: Into<String>>(
        cache: impl Into<String>,
        targets: impl IntoIterator<Item = T>,
    ) -> Self {
        Pipeline {
            jobs: Vec::new(),
            targets: targets.into_iter().map(Into::into).collect(),
            build_args: Vec::new(),
            cache: cache.into(),
            go_cache: None,
            push: None,
            packages: Vec::new(),
        }
    }
}

/// One component built for one target, into the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The component's name (`runc`, `moby`, …).
    pub component: String,
    /// The target platform (`linux/arm64`, …).
    pub target: String,
    /// The component's cache key: shown in the job's name, never used by the job.
    pub key: String,
}

impl Job {
    /// A job building `component` for `target`, whose cache key is `key`.
    pub fn new(
        component: impl Into<String>,
        target: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Job {
            component: component.into(),
            target: target.into(),
            key: key.into(),
        }
    }
}

/// A GitHub Actions workflow (`.github/workflows/dockyard.yml`) running `p`.
///
/// # Errors
/// A value that could break out of its quoting or run a GitHub expression (a control
/// character such as a newline or NUL, or `${{`), an empty cache or target list, an unknown
/// package format, or packages without a `linux/amd64` target.
pub fn github(p: &Pipeline) -> Result<String, Error> {
    p.check()?;
    Ok(github::render(p))
}

/// A `.gitlab-ci.yml` running `p`.
///
/// # Errors
/// As [`github`], and more jobs than one matrix may make ([`GITLAB_MATRIX_LIMIT`]).
pub fn gitlab(p: &Pipeline) -> Result<String, Error> {
    p.check()?;
    if p.jobs.len() > GITLAB_MATRIX_LIMIT {
        return Err(Error::TooManyJobs {
            jobs: p.jobs.len(),
            limit: GITLAB_MATRIX_LIMIT,
        });
    }
    Ok(gitlab::render(p))
}

/// The host's target, in either spelling: the runners' architecture, whose bundle is packaged.
const HOST: [&str; 2] = ["linux/amd64", "x86_64"];
/// Docker's download-tree name for [`HOST`]: the folder its bundle is published in.
const HOST_DIR: &str = "x86_64";
/// The package formats the assembler can make.
const FORMATS: [&str; 2] = ["deb", "rpm"];

impl Pipeline {
    /// Every value checked before anything is rendered.
    fn check(&self) -> Result<(), Error> {
        if self.cache.is_empty() {
            return Err(Error::Empty {
                field: "cache".into(),
            });
        }
        if self.targets.is_empty() {
            return Err(Error::Empty {
                field: "targets".into(),
            });
        }
        for (field, value) in self.values() {
            if value.is_empty() && !field.starts_with("build_args") {
                return Err(Error::Empty { field });
            }
            safe(field, value)?;
        }
        if let Some(format) = self
            .packages
            .iter()
            .find(|f| !FORMATS.contains(&f.as_str()))
        {
            return Err(Error::UnknownPackageFormat {
                format: format.clone(),
            });
        }
        if !self.packages.is_empty() && !self.targets.iter().any(|t| HOST.contains(&t.as_str())) {
            return Err(Error::NoHostTarget);
        }
        Ok(())
    }

    /// Every value a person or a plan gave, named as an error names it.
    fn values(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = vec![("cache".into(), &self.cache)];
        out.extend(list("targets", &self.targets));
        out.extend(list("build_args", &self.build_args));
        out.extend(list("packages", &self.packages));
        out.extend(self.go_cache.as_deref().map(|v| ("go_cache".into(), v)));
        out.extend(self.push.as_deref().map(|v| ("push".into(), v)));
        for (i, job) in self.jobs.iter().enumerate() {
            out.push((format!("jobs[{i}].component"), &job.component));
            out.push((format!("jobs[{i}].target"), &job.target));
            out.push((format!("jobs[{i}].key"), &job.key));
        }
        out
    }
}

/// Refuses a value that could leave its line (a control character: a newline, NUL, …) or that
/// GitHub would evaluate (`${{`).
fn safe(field: String, value: &str) -> Result<(), Error> {
    if value
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(Error::ControlCharacter {
            field,
            value: value.to_owned(),
        });
    }
    if value.contains("${{") {
        return Err(Error::Expression {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// `values`, each named `name[i]`.
fn list<'a>(name: &str, values: &'a [String]) -> Vec<(String, &'a str)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{name}[{i}]"), v.as_str()))
        .collect()
}

#[cfg(test)]
mod tests;
