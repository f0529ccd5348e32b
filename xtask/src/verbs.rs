//! Each verb: flags in, a few library calls, status lines out.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use build_core::Target;
use build_core::Upstream;
use build_core::error::with_causes;
use build_core::pins::Pins;
use build_core::progress::Progress;
use build_core::source::{Mirror, SourceCache};
use build_core::toolchain::GoToolchain;
use bundle::{BundleRequest, GoChoice, Outcome, SourcePlan};
use camino::Utf8PathBuf;

use crate::flags::{
    BundleArgs, ConformanceArgs, DoctorArgs, FetchArgs, GoFlag, InstallArgs, PackageArgs, PinsArgs,
    RepoArgs, RepositoryArgs, SmokeArgs, SourceArgs, VerifyArgs,
};
use crate::render::StatusLines;

/// `--cache`, else `$DOCKYARD_CACHE` or `~/.cache/dockyard`.
pub(crate) fn cache(given: Option<&Utf8PathBuf>) -> Result<build_core::cache::CacheLayout> {
    match given {
        Some(dir) => Ok(build_core::cache::CacheLayout::new(dir.clone())),
        None => SourceCache::default_root()
            .map(build_core::cache::CacheLayout::new)
            .context("cannot find a cache folder: set DOCKYARD_CACHE or pass --cache DIR"),
    }
}

/// The cache and mirrors, checked.
fn repositories(args: &RepositoryArgs) -> Result<(SourceCache, Vec<(Upstream, Mirror)>)> {
    let cache =
        SourceCache::new(cache(args.cache.as_ref())?.root().to_owned())?.offline(args.offline);
    let mirrors = args
        .mirrors
        .iter()
        .map(|m| (m.upstream, m.mirror.clone()))
        .collect();
    Ok((cache, mirrors))
}

/// Pins, mirrors and replacements, checked before anything is fetched or written.
pub(crate) fn source_plan(args: &SourceArgs) -> Result<SourcePlan> {
    let pins = Pins::load(&args.pins)?;
    let mirrored = args.repositories.mirrors.iter().map(|m| m.upstream);
    for (flag, mut upstreams) in [
        ("--mirror", mirrored.collect::<Vec<_>>()),
        (
            "--source",
            args.sources.iter().map(|s| s.upstream).collect(),
        ),
    ] {
        upstreams.sort();
        if let Some(twice) = upstreams.windows(2).find(|w| w[0] == w[1]) {
            bail!(
                "{flag} names {} twice; give one value per component",
                twice[0]
            );
        }
    }
    let (cache, mirrors) = repositories(&args.repositories)?;
    let replacements: Vec<_> = args
        .sources
        .iter()
        .map(|s| (s.upstream, s.replacement.clone()))
        .collect();
    let patches_dir = args
        .pins
        .parent()
        .map_or("patches".into(), |d| d.join("patches"));
    let patches = bundle::patches::collect(&patches_dir, &args.patches)?;
    let plan = SourcePlan::new(pins, cache, &mirrors, &replacements)?;
    Ok(plan.with_patches(patches, &StatusLines::default()))
}

/// The bundle folder given, or the newest under `target/dockyard`.
pub(crate) fn bundle_dir(given: Option<&Utf8PathBuf>) -> Result<Utf8PathBuf> {
    match given {
        Some(dir) => Ok(dir.clone()),
        None => Ok(bundle::newest_bundle(
            &crate::project_root().join("target/dockyard"),
        )?),
    }
}

pub(crate) fn fetch(args: &FetchArgs) -> Result<()> {
    let started = Instant::now();
    let progress = StatusLines::default();
    let plan = source_plan(&args.sources)?;
    for source in plan.prepare_all(&progress)? {
        let dirty = if source.dirty { " (dirty)" } else { "" };
        progress.status(
            "Ready",
            &format!(
                "{} {}{dirty} from {} at {}",
                source.upstream, source.commit, source.origin, source.dir
            ),
        );
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

pub(crate) fn bundle(args: &BundleArgs) -> Result<()> {
    built_bundle(args).map(|_| ())
}

/// Builds (incrementally) and publishes for each target; the last bundle folder, unless
/// `--only` published none.
pub(crate) fn built_bundle(args: &BundleArgs) -> Result<Option<Utf8PathBuf>> {
    let plan = source_plan(&args.sources)?;
    let publish = args.only.is_empty();
    let published = |outcome| match outcome {
        Outcome::Published(published) => Some(published.dir),
        Outcome::Built(_) => None,
    };
    if args.targets.is_empty() {
        return Ok(published(build(
            args,
            &plan,
            &Target::host(),
            args.out.clone(),
            publish,
        )?));
    }
    let mut last = None;
    for target in &args.targets {
        let folder = target
            .download_folder()
            .context("not a platform dockyard builds")?;
        last = published(build(args, &plan, target, args.out.join(folder), publish)?);
    }
    Ok(last)
}

/// The host's binaries, built into the cache and not published.
pub(crate) fn built_binaries(args: &BundleArgs) -> Result<Vec<engine::Binary>> {
    let plan = source_plan(&args.sources)?;
    let Outcome::Built(built) = build(args, &plan, &Target::host(), args.out.clone(), false)?
    else {
        bail!("a bundle was published where only binaries were asked for");
    };
    let artifacts = built.iter().flat_map(|b| &b.artifacts.binaries);
    Ok(artifacts.map(engine::Binary::from).collect())
}

fn build(
    args: &BundleArgs,
    plan: &SourcePlan,
    target: &Target,
    out: Utf8PathBuf,
    publish: bool,
) -> Result<Outcome> {
    let started = Instant::now();
    let status = Arc::new(StatusLines::default());
    let mut request = BundleRequest::new(plan, bundle::selected(&args.only, target), out);
    if !publish {
        request = request.unpublished();
    }
    (request.shared, request.go_cache) =
        crate::registry::shared_cache(args, plan.cache.layout().go_cache())?;
    request.linkage = args.linkage.0;
    request.target = target.clone();
    request.jobs = args.jobs.map_or(request.jobs, usize::from);
    request.provenance = args.provenance.clone().map(provenance::Signing::from);
    request.go = match args.go {
        GoFlag::Pinned => GoChoice::Pinned,
        GoFlag::Local => GoChoice::Local,
    };
    request.debug = args.debug;
    let outcome = bundle::build_bundle(&request, status.clone());
    // The spinner goes before an error is printed.
    status.finish();
    let seconds = started.elapsed().as_secs_f64();
    let outcome = outcome?;
    match &outcome {
        Outcome::Published(published) => {
            status.status("Finished", &format!("{} in {seconds:.1}s", published.dir))
        }
        Outcome::Built(built) if !args.only.is_empty() => {
            let names: Vec<&str> = built.iter().map(|b| b.component.name()).collect();
            let names = names.join(", ");
            let message = format!("{names} in {seconds:.1}s (--only: no bundle published)");
            status.status("Finished", &message);
        }
        Outcome::Built(_) => status.status("Built", &format!("the binaries in {seconds:.1}s")),
    }
    Ok(outcome)
}

pub(crate) fn doctor(args: &DoctorArgs) -> Result<()> {
    let progress = StatusLines::default();
    let build = bundle::requirements::check_tools(
        args.linkage.0,
        &args.target,
        &bundle::for_target(&args.target),
    );
    let build = build.iter().map(|c| (c.found.is_ok(), c.to_string()));
    // And what `up` and `smoke` run from the host.
    let engine = engine::engine_tools().into_iter();
    let mut failed = 0;
    for (found, line) in build.chain(engine.map(|t| (t.found.is_some(), t.to_string()))) {
        failed += usize::from(!found);
        progress.status(if found { "Found" } else { "Missing" }, &line);
    }
    // The Go bundles build with by default: exactly pins.lock's release.
    match Pins::load(&args.pins) {
        Ok(pins) if GoToolchain::release_is_cached(&pins.go) => progress.status(
            "Found",
            &format!("go {} (pinned in {}): ready in Go's toolchain cache", pins.go, args.pins),
        ),
        Ok(pins) => progress.status(
            "Note",
            &format!(
                "go {} (pinned in {}) is not downloaded yet: the first bundle has Go fetch it through its module proxy (or build with --go local)",
                pins.go, args.pins
            ),
        ),
        Err(e) => progress.status("Note", &format!("no pinned Go checked: {}", with_causes(&e))),
    }
    // Only `up --dlv` needs it, so its absence is a note, not a failure.
    match engine::find_delve() {
        Ok(dlv) => progress.status("Found", &format!("dlv (Delve, for up --dlv) at {dlv}")),
        Err(e) => progress.status("Note", &format!("Delve, for up --dlv: {}", with_causes(&e))),
    }
    if failed > 0 {
        bail!("{failed} requirement(s) missing; install them and run `cargo xtask doctor` again");
    }
    progress.status("Ready", "everything a bundle needs is here");
    Ok(())
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<()> {
    let dir = bundle_dir(args.bundle.as_ref())?;
    let checked = bundle::verify(&dir)?;
    let progress = StatusLines::default();
    let matched = "files match SHA256SUMS, manifest.json and the SBOM";
    progress.status("Verified", &format!("{dir}: {checked} {matched}"));
    if let Some(key) = &args.provenance {
        let (folder, made_from) =
            (args.packages.as_ref()).map_or((&dir, None), |p| (p, Some(&*dir)));
        let checked = provenance::verify_with_key_file(folder, key, made_from)?;
        progress.status("Verified", &checked.to_string());
    }
    Ok(())
}

pub(crate) fn install(args: &InstallArgs) -> Result<()> {
    let dir = bundle_dir(args.bundle.as_ref())?;
    let progress = StatusLines::default();
    let mut to = bundle::Destinations::choose(args.user, args.prefix.as_deref())?;
    to.units = args.systemd.clone();
    bundle::install(&dir, &to, &progress)?;
    if args.systemd.is_some() {
        progress.status(
            "Next",
            "systemctl daemon-reload && systemctl enable --now containerd docker.socket docker",
        );
    }
    Ok(())
}

pub(crate) fn package(args: &PackageArgs) -> Result<()> {
    let mut request = packages::PackageRequest::new(
        bundle_dir(args.bundle.as_ref())?,
        packages::Distro::choose(args.distro.as_deref(), args.format)?,
        args.out.join("packages"),
        (args.maintainer.clone()).unwrap_or_else(packages::default_maintainer),
    );
    request.provenance = args.provenance.clone().map(provenance::Signing::from);
    let progress = StatusLines::default();
    let built = packages::build(&request, &progress)?;
    let count = built.packages.len();
    progress.status("Finished", &format!("{count} packages in {}", built.dir));
    Ok(())
}

pub(crate) fn repo(args: &RepoArgs) -> Result<()> {
    let (sets, out, key) = (args.sets.clone(), args.out.clone(), args.key.clone());
    let mut request = package_repo::RepoRequest::new(args.kind, sets, out, key);
    request.passphrase_file = args.passphrase_file.clone();
    let progress = StatusLines::default();
    let done = package_repo::publish(&request, &progress)?;
    progress.status("Finished", &format!("{}: {done}", args.out));
    Ok(())
}

pub(crate) fn smoke(args: &SmokeArgs) -> Result<()> {
    let bundle = bundle_dir(args.bundle.as_ref())?;
    let progress = StatusLines::default();
    let interrupted = crate::render::interrupted_by_ctrl_c()?;
    let mut options = engine::SmokeOptions::default();
    options.port_proxy = port_proxy();
    let report = engine::smoke(&bundle, &options, &progress, &interrupted)
        .context("the bundle cannot be smoked; rebuild it")?;
    if !report.passed() {
        bail!("smoke: {} of {} checks failed", report.failed, report.total);
    }
    let how = if report.emulated { " under qemu" } else { "" };
    let passed = format!("{bundle} works: {} checks passed{how}", report.total);
    progress.status("Finished", &passed);
    Ok(())
}

pub(crate) fn conformance(args: &ConformanceArgs) -> Result<()> {
    let bundle = bundle_dir(args.bundle.as_ref())?;
    let suites = conformance::select_suites(&args.suites)?;
    let progress = StatusLines::default();
    let interrupted = crate::render::interrupted_by_ctrl_c()?;
    let plan = source_plan(&args.sources)?;
    let images = cache(args.sources.repositories.cache.as_ref())?.test_images();
    let mut options = conformance::ConformanceOptions::new(args.dir.clone(), images);
    options.filter = args.filter.clone();
    options.against_upstream = args.against.is_some();
    options.packages = suites.packages.clone();
    let command = "cargo xtask conformance";
    let text = conformance::run_suites(
        command,
        &plan,
        &bundle,
        &suites,
        &options,
        &progress,
        &interrupted,
    )?;
    // A selection of tests is no report of a suite: it is shown, and docs/conformance.md kept.
    if args.filter.is_some() {
        print!("{text}");
        return Ok(());
    }
    // The suites that ran replace their sections; the others' stay.
    let doc = crate::project_root().join("docs/conformance.md");
    conformance::report::update(&doc, &text)?;
    progress.status("Wrote", &format!("{doc} (logs in {})", args.dir));
    Ok(())
}

/// This program: a private engine's userland proxy when started as `dockyard-proxy` (`main`).
pub(crate) fn port_proxy() -> Option<Utf8PathBuf> {
    Utf8PathBuf::from_path_buf(std::env::current_exe().ok()?).ok()
}

pub(crate) fn pins(args: &PinsArgs) -> Result<()> {
    let started = Instant::now();
    let progress = StatusLines::default();
    let (cache, mirrors) = repositories(&args.repositories)?;
    let set = release::derive(
        &cache,
        &mirrors,
        &args.release,
        args.pre,
        &args.overrides,
        &progress,
    )?;
    let text = set.pins_lock();
    let derived = Pins::parse(&args.pins, &text)?;
    for (upstream, why) in &set.left_out {
        let fix =
            "add --mirror packaging=PATH, a clone of https://github.com/docker/docker-ce-packaging";
        progress.status("Left out", &format!("{upstream}: {why}; {fix}"));
    }
    let file = &args.pins;
    if args.check {
        let current = Pins::load(file)?;
        let differences = release::differences(&current, &derived);
        if !differences.is_empty() {
            for difference in &differences {
                progress.status("Differs", difference);
            }
            bail!(
                "{file} is not the Docker {} set: {} difference(s); run `cargo xtask pins {}` to write it",
                args.release,
                differences.len(),
                args.release
            );
        }
        progress.status(
            "Matches",
            &format!("{file} is the Docker {} set", args.release),
        );
        return Ok(());
    }
    build_core::fs::write_atomic(file, text.as_bytes())
        .with_context(|| format!("cannot write {file}"))?;
    for p in derived.iter() {
        let line = format!("{} {} ({}) at {}", p.upstream, p.version, p.tag, p.commit);
        progress.status("Pinned", &line);
    }
    progress.status(
        "Wrote",
        &format!(
            "{file}: the Docker {} set, Go {}, in {:.1}s",
            args.release,
            derived.go,
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
