//! `up`, `down`, `status`, `logs`: the development engine, over `engine::Engine`, and the
//! edit → rebuild → restart loop of `up --watch`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use build_core::progress::Progress;
use bundle::Replacement;
use camino::Utf8PathBuf;
use engine::{Daemon, Engine, Network, TreeWatcher, UpOptions};

use crate::flags::{DownArgs, EngineArgs, LogsArgs, NetworkFlag, StatusArgs, UpArgs};
use crate::render::{StatusLines, print_error};
use crate::verbs::cache;

/// How long a daemon may take to answer after a start.
const READY: Duration = Duration::from_secs(60);

/// The engine of `--state`, else the one `up` started under the cache.
fn engine_of(args: &EngineArgs) -> Result<Engine> {
    match &args.state {
        Some(state) => Ok(Engine::at(state.clone())),
        None => Ok(Engine::find(&cache(args.cache.as_ref())?.engines())?),
    }
}

pub(crate) fn up(mut args: UpArgs) -> Result<()> {
    if !args.dlv.is_empty() {
        args.bundle.debug = true;
    }
    if !args.bundle.only.is_empty() {
        bail!("up runs a whole bundle: drop --only");
    }
    if args.bundle.targets.iter().any(|t| !t.is_host()) {
        bail!("up runs the engine here, for this machine: drop --target");
    }
    let trees = watched_trees(&args)?;
    // Before a build that would be for nothing.
    engine::check_machine()?;
    let bundle = crate::verbs::built_bundle(&args.bundle)?.context("no bundle was published")?;
    let engine = match &args.state {
        Some(state) => Engine::at(state.clone()),
        None => Engine::for_bundle(
            &cache(args.bundle.sources.repositories.cache.as_ref())?.engines(),
            &bundle,
        ),
    };
    let progress = StatusLines::default();
    let mut options = UpOptions::new(match args.network {
        NetworkFlag::Private => Network::Private,
        NetworkFlag::Host => Network::Host,
    });
    options.debuggers = args.dlv.clone();
    options.timeout = READY;
    options.port_proxy = crate::verbs::port_proxy();
    options.client_config = engine::user_client_config();
    let started = Instant::now();
    let status = engine.up(&bundle, &options, &progress)?;
    progress.status(
        "Running",
        &format!(
            "{bundle} at {} (answering after {:.1}s)",
            status.socket,
            started.elapsed().as_secs_f64()
        ),
    );
    for daemon in Daemon::ALL {
        if let Some(command) = engine.debugger_command(daemon) {
            progress.status("Debug", &format!("{daemon}: {command}"));
        }
    }
    print!("{}", engine.shell_client().exports(&status.socket));
    if trees.is_empty() {
        return Ok(());
    }
    watch(&args, &engine, trees, &progress)
}

/// The working trees `--watch` follows: every `--source` given as a path.
fn watched_trees(args: &UpArgs) -> Result<Vec<(build_core::Upstream, Utf8PathBuf)>> {
    if !args.watch {
        return Ok(Vec::new());
    }
    let trees: Vec<_> = args
        .bundle
        .sources
        .sources
        .iter()
        .filter_map(|s| match &s.replacement {
            Replacement::WorkingTree(path) => Some((s.upstream, path.clone())),
            Replacement::Fork { .. } => None,
        })
        .collect();
    if trees.is_empty() {
        bail!("--watch follows working trees: add --source COMPONENT=PATH (moby=~/src/moby)");
    }
    Ok(trees)
}

/// Rebuilds on every change until Ctrl-C; a failed build keeps the engine as it runs.
fn watch(
    args: &UpArgs,
    engine: &Engine,
    trees: Vec<(build_core::Upstream, Utf8PathBuf)>,
    progress: &StatusLines,
) -> Result<()> {
    let interrupted = crate::render::interrupted_by_ctrl_c()?;
    let names: Vec<String> = trees.iter().map(|(u, p)| format!("{u} ({p})")).collect();
    let watcher = TreeWatcher::new(trees, Duration::from_millis(100))?;
    progress.status("Watching", &format!("{}; Ctrl-C to stop", names.join(", ")));
    // The binaries first, put in place and restarted; the bundle is published after.
    let mut build = || {
        crate::verbs::built_binaries(&args.bundle)
            .inspect_err(print_error)
            .ok()
    };
    let mut publish = || {
        let _ = crate::verbs::built_bundle(&args.bundle).inspect_err(print_error);
    };
    let stop = &interrupted;
    engine::develop(
        engine,
        &watcher,
        &mut build,
        &mut publish,
        stop,
        READY,
        progress,
    )?;
    if args.down_on_exit {
        engine.down(false, progress)?;
        let stopped = format!("{} (its data root kept)", engine.root());
        progress.status("Stopped", &stopped);
    } else {
        progress.status("Left", &format!("the engine running: {}", engine.socket()));
    }
    Ok(())
}

pub(crate) fn down(args: &DownArgs) -> Result<()> {
    let engine = engine_of(&args.engine)?;
    let progress = StatusLines::default();
    engine.down(args.purge, &progress)?;
    let kept = if args.purge {
        "removed"
    } else {
        "its data root kept"
    };
    progress.status("Stopped", &format!("{} ({kept})", engine.root()));
    Ok(())
}

pub(crate) fn status(args: &StatusArgs) -> Result<()> {
    print!("{}", engine_of(&args.engine)?.status());
    Ok(())
}

pub(crate) fn logs(args: &LogsArgs) -> Result<()> {
    let engine = engine_of(&args.engine)?;
    let stdout = &mut std::io::stdout().lock();
    Ok(engine.copy_log(args.daemon.into(), stdout, args.follow)?)
}
