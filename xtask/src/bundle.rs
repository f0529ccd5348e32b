//! `cargo xtask bundle`: pins → sources → component builds → one published bundle.
//!
//! Everything is checked before anything is written (pins, flags, output folder, toolchain).
//! Each component's binaries are cached under a key of everything they depend on; the bundle
//! folder is assembled aside and swapped into place last.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use build_core::go::GoToolchain;
use build_core::lock::FileLock;
use build_core::progress::Progress;
use build_core::source::Source;
use build_core::{Artifacts, BuildOptions, Linkage, Target, Upstream};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::components::{Component, select};
use crate::fetch::{SourcePlan, absolute};
use crate::flags::BundleArgs;
use crate::publish::{self, Bundle, BundleComponent};
use crate::status::StatusLines;

/// Bumped when the bundle's layout or a cache format changes.
pub(crate) const FORMAT: u32 = 2;

pub(crate) fn run(args: &BundleArgs) -> Result<()> {
    let status = Arc::new(StatusLines::default());
    let result = bundle(args, status.clone());
    // The spinner goes before an error is printed.
    status.finish();
    result
}

fn bundle(args: &BundleArgs, status: Arc<StatusLines>) -> Result<()> {
    let started = Instant::now();
    let progress: Arc<dyn Progress> = status;
    let linkage = if args.dynamic {
        Linkage::Dynamic
    } else {
        Linkage::Static
    };

    // Everything a person can get wrong is checked before anything is fetched or written.
    let plan = SourcePlan::from_args(&args.sources)?;
    let components = select(&args.only)?;
    let out = absolute(args.out.as_str())?;
    check_output_dir(&out, &plan)?;
    crate::doctor::preflight(linkage, &components)?;
    let go = GoToolchain::find("go").map_err(|e| anyhow!(e))?;
    let cc = crate::doctor::cc_version();
    let version = plan
        .pins
        .get(Upstream::Moby)
        .map(|p| p.version.clone())
        .context("pins.lock has no [moby] table: the bundle is named for moby's version")?;

    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {out}"))?;
    let _out_lock = FileLock::acquire(
        &out.join(".dockyard.lock"),
        &format!("the output folder {out}"),
        progress.as_ref(),
    )
    .with_context(|| format!("cannot lock the output folder {out}"))?;

    // Sources: each upstream once (moby serves dockerd and docker-proxy).
    let mut sources: BTreeMap<Upstream, Source> = BTreeMap::new();
    for request in &plan.requests {
        let upstream = request.upstream();
        if components.iter().any(|c| c.upstream == upstream) {
            let source = plan.cache.prepare(request, progress.as_ref())?;
            sources.insert(upstream, source);
        }
    }

    // A Go too old for any module fails here, before anything is built.
    for component in &components {
        if component.upstream != Upstream::Tini {
            go.check_tree(component.name, &sources[&component.upstream].dir)?;
        }
    }

    let env = BuildEnv {
        linkage,
        target: Target::host(),
        go,
        cc,
        cache_root: plan.cache.root().to_owned(),
        // One epoch for every embedded time: the newest commit among the sources.
        source_date_epoch: sources.values().map(|s| s.commit_time).max().unwrap_or(0),
        progress: progress.clone(),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)))
        .max(1);
    let built = build_all(&env, &components, &sources, &plan, jobs)?;

    if !args.only.is_empty() {
        progress.status(
            "Finished",
            &format!(
                "{} in {:.1}s (--only: no bundle published)",
                names(&components),
                started.elapsed().as_secs_f64()
            ),
        );
        return Ok(());
    }
    let bundle = Bundle {
        version,
        linkage,
        target: env.target.clone(),
        source_date_epoch: env.source_date_epoch,
        components: built,
    };
    let dir = publish::publish(
        &out,
        &bundle,
        &plan.cache.root().join("tgz"),
        progress.as_ref(),
    )?;
    progress.status(
        "Finished",
        &format!("{dir} in {:.1}s", started.elapsed().as_secs_f64()),
    );
    Ok(())
}

fn names(components: &[&Component]) -> String {
    components
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What every component build shares.
pub(crate) struct BuildEnv {
    pub(crate) linkage: Linkage,
    pub(crate) target: Target,
    pub(crate) go: GoToolchain,
    pub(crate) cc: String,
    pub(crate) cache_root: Utf8PathBuf,
    pub(crate) source_date_epoch: i64,
    pub(crate) progress: Arc<dyn Progress>,
}

fn build_all(
    env: &BuildEnv,
    components: &[&'static Component],
    sources: &BTreeMap<Upstream, Source>,
    plan: &SourcePlan,
    jobs: usize,
) -> Result<Vec<BundleComponent>> {
    let queue = Mutex::new(components.iter().enumerate().collect::<Vec<_>>());
    let results: Mutex<Vec<(usize, Result<BundleComponent>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(components.len()) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| {
                        if q.is_empty() {
                            None
                        } else {
                            Some(q.remove(0))
                        }
                    });
                    let Some((index, component)) = next else {
                        break;
                    };
                    let result = build_one(env, component, &sources[&component.upstream], plan);
                    let failed = result.is_err();
                    if let Ok(mut r) = results.lock() {
                        r.push((index, result));
                    }
                    // A failure stops the queue: the run fails anyway, so don't make people wait.
                    if failed && let Ok(mut q) = queue.lock() {
                        q.clear();
                    }
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .map_err(|_| anyhow!("a build thread panicked"))?;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Everything a component's output depends on. Equal keys mean equal binaries.
#[derive(Serialize)]
struct ComponentKey<'a> {
    format: u32,
    component: &'a str,
    recipe_version: u32,
    content: &'a str,
    commit: &'a str,
    dirty: bool,
    version: &'a str,
    linkage: Linkage,
    target: &'a Target,
    go: &'a str,
    gotoolchain: &'a str,
    cc: &'a str,
    source_date_epoch: i64,
}

#[derive(Serialize, Deserialize)]
struct CachedArtifacts {
    key: String,
    artifacts: Artifacts,
}

fn build_one(
    env: &BuildEnv,
    component: &Component,
    source: &Source,
    plan: &SourcePlan,
) -> Result<BundleComponent> {
    let started = Instant::now();
    let pin = plan
        .pins
        .get(component.upstream)
        .with_context(|| format!("pins.lock has no [{}] table", component.upstream))?;
    let key_json = serde_json::to_vec(&ComponentKey {
        format: FORMAT,
        component: component.name,
        recipe_version: component.recipe_version,
        content: &source.content_id,
        commit: source.commit.as_str(),
        dirty: source.dirty,
        version: &pin.version,
        linkage: env.linkage,
        target: &env.target,
        go: &env.go.version,
        gotoolchain: &env.go.gotoolchain,
        cc: &env.cc,
        source_date_epoch: env.source_date_epoch,
    })?;
    let key = build_core::digest::hex(&Sha256::digest(&key_json));
    let short = &key[..16];
    let root = env.cache_root.join("artifacts");
    let dir = root.join(format!("{}-{short}", component.name));
    let describe = |artifacts: Artifacts| BundleComponent {
        name: component.name,
        upstream: component.upstream,
        pin: pin.clone(),
        source: source.clone(),
        key: key.clone(),
        artifacts,
    };

    let lock_path = env
        .cache_root
        .join("locks")
        .join(format!("artifacts-{}-{short}.lock", component.name));
    let _lock = FileLock::acquire(
        &lock_path,
        &format!("the {} build", component.name),
        env.progress.as_ref(),
    )?;
    if let Some(artifacts) = load_cached(&dir, &key) {
        env.progress.status(
            "Cached",
            &format!("{} ({})", component.name, list(&artifacts)),
        );
        return Ok(describe(artifacts));
    }
    std::fs::create_dir_all(&root)?;
    remove_stale(&root, &format!(".tmp-{}-", component.name))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", component.name))
        .tempdir_in(&root)
        .with_context(|| format!("cannot create a build folder in {root}"))?;
    let tmp_dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned())
        .map_err(|p| anyhow!("not UTF-8: {}", p.display()))?;
    let mut opts = BuildOptions::new(
        source.clone(),
        pin.version.clone(),
        tmp_dir.clone(),
        env.cache_root.join("work").join(component.name),
    );
    opts.linkage = env.linkage;
    opts.target = env.target.clone();
    opts.source_date_epoch = env.source_date_epoch;
    opts.go = Some(env.go.clone());
    opts.progress = env.progress.clone();
    let dirty = if source.dirty { "-dirty" } else { "" };
    env.progress.status(
        "Building",
        &format!(
            "{} {} ({}{dirty}, {})",
            component.name,
            pin.version,
            source.commit.short(12),
            source.origin
        ),
    );
    let artifacts = (component.build)(&opts)?;
    for name in component.binaries {
        if artifacts.get(name).is_none() {
            bail!("{}: the recipe did not produce {name}", component.name);
        }
    }
    let record = CachedArtifacts {
        key: key.clone(),
        artifacts,
    };
    build_core::fs::write_atomic(
        &tmp_dir.join("artifacts.json"),
        &serde_json::to_vec_pretty(&record)?,
    )?;
    build_core::fs::remove_dir_all_if_exists(&dir)?;
    let kept = tmp.keep();
    std::fs::rename(&kept, &dir).with_context(|| format!("cannot move the build into {dir}"))?;
    let artifacts =
        load_cached(&dir, &key).with_context(|| format!("{dir} vanished after it was written"))?;
    env.progress.status(
        "Built",
        &format!(
            "{} ({}) in {:.1}s",
            component.name,
            list(&artifacts),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(describe(artifacts))
}

fn list(artifacts: &Artifacts) -> String {
    artifacts
        .binaries
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cached build is used when its record has our key and every binary is there at its size.
fn load_cached(dir: &Utf8Path, key: &str) -> Option<Artifacts> {
    let record: CachedArtifacts =
        serde_json::from_slice(&std::fs::read(dir.join("artifacts.json")).ok()?).ok()?;
    if record.key != key {
        return None;
    }
    let mut artifacts = record.artifacts;
    for a in &mut artifacts.binaries {
        a.path = dir.join(&a.name);
        let meta = std::fs::symlink_metadata(&a.path).ok()?;
        if !meta.is_file() || meta.len() != a.size {
            return None;
        }
    }
    Some(artifacts)
}

/// Leftovers of killed runs. Safe: callers hold the lock that covers them.
pub(crate) fn remove_stale(dir: &Utf8Path, prefix: &str) -> Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(prefix))
        {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// The output folder must be a folder we may write, and never inside a source tree (a build
/// must not change what it builds from).
fn check_output_dir(out: &Utf8Path, plan: &SourcePlan) -> Result<()> {
    if out.as_str().contains('\0') || out.components().any(|c| c.as_str() == "..") {
        bail!("--out {out}: give a path without `..`");
    }
    if let Ok(meta) = std::fs::symlink_metadata(out)
        && !meta.is_dir()
    {
        bail!(
            "--out {out}: it exists and is not a folder; pass a folder path (it is created if missing)"
        );
    }
    let mut trees: Vec<Utf8PathBuf> = vec![plan.cache.root().to_owned()];
    for request in &plan.requests {
        match request {
            build_core::source::SourceRequest::Override { path, .. } => trees.push(path.clone()),
            build_core::source::SourceRequest::Pinned {
                mirror: Some(build_core::source::Mirror::Path(p)),
                ..
            } => trees.push(p.clone()),
            _ => {}
        }
    }
    for tree in trees {
        let tree = tree.canonicalize_utf8().unwrap_or(tree);
        let resolved = resolve_existing_prefix(out);
        if resolved.starts_with(&tree) {
            bail!(
                "--out {out} is inside {tree}, a source tree or the cache; choose a folder outside it"
            );
        }
    }
    // Find the nearest existing ancestor and check we can write there.
    let mut probe = out.to_owned();
    while !probe.exists() {
        match probe.parent() {
            Some(p) => probe = p.to_owned(),
            None => break,
        }
    }
    let test = tempfile::Builder::new()
        .prefix(".dockyard-write-test-")
        .tempfile_in(&probe);
    if test.is_err() {
        bail!("--out {out}: cannot write in {probe}; choose a folder you can write to");
    }
    Ok(())
}

/// `out` with its existing ancestors' symlinks resolved (the rest appended as given).
fn resolve_existing_prefix(out: &Utf8Path) -> Utf8PathBuf {
    let mut rest = Vec::new();
    let mut cur = out.to_owned();
    loop {
        if let Ok(real) = cur.canonicalize_utf8() {
            let mut real = real;
            for part in rest.iter().rev() {
                real.push(part);
            }
            return real;
        }
        match (cur.file_name().map(str::to_owned), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                cur = parent.to_owned();
            }
            _ => return out.to_owned(),
        }
    }
}
