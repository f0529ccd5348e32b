//! `cargo xtask fetch`: materialise every pinned source.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use build_core::Upstream;
use build_core::pins::Pins;
use build_core::progress::Progress;
use build_core::source::{Mirror, Source, SourceCache, SourceRequest};
use camino::Utf8PathBuf;

use crate::flags::{FetchArgs, SourceArgs};
use crate::status::StatusLines;

pub(crate) fn run(args: &FetchArgs) -> Result<()> {
    let started = Instant::now();
    let progress = StatusLines::default();
    let plan = SourcePlan::from_args(&args.sources)?;
    for request in &plan.requests {
        let source = plan.cache.prepare(request, &progress)?;
        report(&progress, &source);
    }
    progress.status(
        "Finished",
        &format!(
            "{} sources in {:.1}s",
            plan.requests.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

fn report(progress: &dyn Progress, source: &Source) {
    let dirty = if source.dirty { " (dirty)" } else { "" };
    progress.status(
        "Ready",
        &format!(
            "{} {}{dirty} from {} at {}",
            source.upstream, source.commit, source.origin, source.dir
        ),
    );
}

/// Pins, mirrors and overrides, checked before anything is fetched or written.
pub(crate) struct SourcePlan {
    pub(crate) pins: Pins,
    pub(crate) cache: SourceCache,
    pub(crate) requests: Vec<SourceRequest>,
}

impl SourcePlan {
    pub(crate) fn from_args(args: &SourceArgs) -> Result<SourcePlan> {
        let pins = Pins::load(&args.pins)?;
        let mirrors = parse_assignments(&args.mirrors, "--mirror")?;
        let overrides = parse_assignments(&args.sources, "--source")?;
        let mut requests = Vec::new();
        for pin in pins.iter() {
            let upstream = pin.upstream;
            if let Some((_, value)) = overrides.iter().find(|(u, _)| *u == upstream) {
                requests.push(match split_remote(value) {
                    Some((url, reference)) => SourceRequest::Remote {
                        upstream,
                        url: url.to_owned(),
                        reference: reference.map(str::to_owned),
                        pin: pin.clone(),
                    },
                    None => SourceRequest::Override {
                        upstream,
                        path: absolute(value)?,
                    },
                });
                continue;
            }
            let mirror = match mirrors.iter().find(|(u, _)| *u == upstream) {
                Some((_, value)) => Some(match Mirror::parse(value)? {
                    Mirror::Path(p) => Mirror::Path(absolute(p.as_str())?),
                    url => url,
                }),
                None => None,
            };
            requests.push(SourceRequest::Pinned {
                pin: pin.clone(),
                mirror,
            });
        }
        let root = match &args.cache {
            Some(dir) => absolute(dir.as_str())?,
            None => SourceCache::default_root()
                .context("cannot find a cache folder: set DOCKYARD_CACHE or pass --cache DIR")?,
        };
        let cache = SourceCache::new(root)?.offline(args.offline);
        Ok(SourcePlan {
            pins,
            cache,
            requests,
        })
    }
}

/// `runc=/src/runc` pairs, each name checked against the known components.
fn parse_assignments(values: &[String], flag: &str) -> Result<Vec<(Upstream, String)>> {
    let mut out: Vec<(Upstream, String)> = Vec::new();
    for value in values {
        let Some((name, rest)) = value.split_once('=') else {
            bail!(
                "{flag} {value}: expected COMPONENT=VALUE, where COMPONENT is one of {}",
                Upstream::valid_names()
            );
        };
        let upstream: Upstream = name.parse().with_context(|| format!("{flag} {value}"))?;
        if rest.is_empty() || rest.contains('\0') {
            bail!("{flag} {value}: the value after `=` is empty or holds a NUL");
        }
        if out.iter().any(|(u, _)| *u == upstream) {
            bail!("{flag} names {upstream} twice; give one value per component");
        }
        out.push((upstream, rest.to_owned()));
    }
    Ok(out)
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
pub(crate) fn absolute(path: &str) -> Result<Utf8PathBuf> {
    let path = Utf8PathBuf::from(path);
    if path.is_absolute() {
        return Ok(path);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let cwd = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|p| anyhow::anyhow!("the current directory is not UTF-8: {}", p.display()))?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests {
    use super::split_remote;

    #[test]
    fn a_source_is_a_path_or_a_url_with_an_optional_ref() {
        assert_eq!(split_remote("/home/me/runc"), None);
        assert_eq!(split_remote("../runc"), None);
        assert_eq!(
            split_remote("https://github.com/me/runc"),
            Some(("https://github.com/me/runc", None))
        );
        assert_eq!(
            split_remote("https://github.com/me/runc@fix-1"),
            Some(("https://github.com/me/runc", Some("fix-1")))
        );
        assert_eq!(
            split_remote("git@github.com:me/runc"),
            Some(("git@github.com:me/runc", None))
        );
        assert_eq!(
            split_remote("git@github.com:me/runc@v1.4.3"),
            Some(("git@github.com:me/runc", Some("v1.4.3")))
        );
        assert_eq!(
            split_remote("file:///srv/runc@main"),
            Some(("file:///srv/runc", Some("main")))
        );
    }
}
