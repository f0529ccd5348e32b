//! `plan`: each component × target as a job of its own, with its key, as JSON or as a team's
//! CI file (GitHub Actions, GitLab CI) whose assembler compiles nothing.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use build_core::progress::Progress;
use build_core::{Linkage, Target};
use bundle::shared::SharedCacheSettings;
use bundle::{BundleRequest, GoChoice, PlannedJob, Replacement};
use camino::Utf8Path;

use crate::flags::{GoFlag, PlanArgs, PlanFormat};
use crate::render::StatusLines;

pub(crate) fn plan(args: &PlanArgs) -> Result<()> {
    let status = Arc::new(StatusLines::default());
    let pins_dir = args.sources.pins.parent().unwrap_or(Utf8Path::new("."));
    let settings = SharedCacheSettings::read(pins_dir)?;
    let cache = args.cache_from.clone().or(settings.from.first().cloned());
    let go_cache = args.go_cache.clone().or(settings.go.clone());
    if args.format != PlanFormat::Json {
        // What a CI runner cannot have, refused before anything is fetched.
        cache.as_ref().context(
            "a CI file needs the team's cache: pass --cache-from REF (the repository the jobs \
             push to and the assembler pulls from)",
        )?;
        if let Some(tree) = args.sources.sources.iter().find(|s| !is_fork(s)) {
            bail!(
                "--source {}=PATH is a working tree on this machine; a CI runner cannot see it \
                 (push it and pass --source {}=URL@REF)",
                tree.upstream,
                tree.upstream
            );
        }
    }
    let plan = crate::verbs::source_plan(&args.sources)?;
    let shared = match &cache {
        Some(reference) => {
            let mut from = SharedCacheSettings::default();
            from.from = vec![reference.clone()];
            Some(Arc::new(from.open(&crate::registry::options())?))
        }
        None => None,
    };
    let targets = if args.targets.is_empty() {
        vec![Target::host()]
    } else {
        args.targets.clone()
    };
    let mut jobs: Vec<PlannedJob> = Vec::new();
    for target in &targets {
        let out = crate::project_root().join("target/dockyard");
        let components = bundle::selected(&args.only, target);
        let mut request = BundleRequest::new(&plan, components, out);
        request.linkage = args.linkage.0;
        request.target = target.clone();
        request.shared = shared.clone();
        request.go = match args.go {
            GoFlag::Pinned => GoChoice::Pinned,
            GoFlag::Local => GoChoice::Local,
        };
        jobs.extend(bundle::plan(&request, status.clone())?);
    }
    status.finish();
    let held = jobs.iter().filter(|j| j.held_by.is_some()).count();
    let text = match args.format {
        PlanFormat::Json => json(&jobs)?,
        format => {
            let cache = cache.clone().unwrap_or_default();
            let targets = targets.iter().map(ToString::to_string);
            let mut pipeline = ci_pipelines::Pipeline::new(cache, targets);
            pipeline.jobs = jobs
                .iter()
                .filter(|j| j.held_by.is_none())
                .map(|j| ci_pipelines::Job::new(j.component.name(), j.target.to_string(), &j.key))
                .collect();
            pipeline.build_args = build_args(args, &jobs)?;
            pipeline.go_cache = go_cache;
            pipeline.push = args.push.clone();
            pipeline.packages = args.packages.clone();
            match format {
                PlanFormat::Github => ci_pipelines::github(&pipeline)?,
                _ => ci_pipelines::gitlab(&pipeline)?,
            }
        }
    };
    match &args.output {
        Some(path) => build_core::fs::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {path}"))?,
        None => print!("{text}"),
    }
    status.status(
        "Planned",
        &format!(
            "{} jobs for {} targets ({held} already in the team's cache)",
            jobs.len() - held,
            targets.len()
        ),
    );
    Ok(())
}

/// Every job, as the JSON `--format json` prints.
fn json(jobs: &[PlannedJob]) -> Result<String> {
    let jobs: Vec<serde_json::Value> = jobs
        .iter()
        .map(|j| {
            serde_json::json!({
                "component": j.component.name(),
                "target": j.target.to_string(),
                "key": j.key,
                "commit": j.commit,
                "held_by": j.held_by,
            })
        })
        .collect();
    Ok(serde_json::to_string_pretty(&serde_json::json!({ "jobs": jobs }))? + "\n")
}

/// The flags every `bundle` of the CI file takes, so its keys are the plan's: a fork at the
/// commit planned, paths relative to the current folder (the checkout's root, where the CI's
/// steps run). A working tree or a mirror exists on this machine only.
fn build_args(args: &PlanArgs, jobs: &[PlannedJob]) -> Result<Vec<String>> {
    let here = std::env::current_dir().context("cannot read the current folder")?;
    let in_checkout = |path: &Utf8Path, what: &str| -> Result<String> {
        if path.is_relative() {
            return Ok(path.to_string());
        }
        path.as_std_path()
            .strip_prefix(&here)
            .ok()
            .and_then(|p| p.to_str())
            .map(str::to_owned)
            .with_context(|| {
                format!(
                    "{what} {path} is outside the current folder; run plan from the root of \
                     the repository the CI checks out"
                )
            })
    };
    let mut words = vec![match args.linkage.0 {
        Linkage::Static => "--static".to_owned(),
        Linkage::Dynamic => "--dynamic".to_owned(),
    }];
    words.extend([
        "--pins".to_owned(),
        in_checkout(&args.sources.pins, "the pin file")?,
    ]);
    for (upstream, file) in &args.sources.patches {
        words.extend([
            "--patch".into(),
            format!("{upstream}={}", in_checkout(file, "the patch")?),
        ]);
    }
    for source in &args.sources.sources {
        let Replacement::Fork { url, .. } = &source.replacement else {
            continue;
        };
        let commit = jobs
            .iter()
            .find(|j| j.component.upstream == source.upstream)
            .map(|j| j.commit.clone());
        let at = commit.map(|c| format!("@{c}")).unwrap_or_default();
        words.extend(["--source".into(), format!("{}={url}{at}", source.upstream)]);
    }
    if args.go == GoFlag::Local {
        words.extend(["--go".into(), "local".into()]);
    }
    Ok(words)
}

fn is_fork(source: &crate::flags::SourceFlag) -> bool {
    matches!(source.replacement, Replacement::Fork { .. })
}
