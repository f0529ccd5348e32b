//! P5, edit → running engine: `up --watch` over a moby working tree, from a line added to
//! dockerd's `main` until the new dockerd answers, against moby's own `hack/make.sh binary`
//! after the same edit (upstream has no engine to restart, so its side is the build alone).

use std::time::Instant;

use anyhow::{Result, bail};
use build_core::Upstream;
use build_core::process::LoggedCommand;
use build_core::source::{READY_MARKER, Source};
use camino::Utf8Path;

use ::bench::edits::add_to_dockerd_main;
use ::bench::entry::EntryPoint;
use ::bench::report::{Spread, spread};
use ::bench::runner::{LogWatch, Runner};

/// dockyard's and upstream's times; `gocaches` are dockyard's and upstream's.
pub(super) fn measure(
    bench: &Runner,
    sources: &[Source],
    points: &[EntryPoint],
    gocaches: (&Utf8Path, &Utf8Path),
    runs: usize,
) -> Result<(Spread, Spread)> {
    let moby = sources.iter().find(|s| s.upstream == Upstream::Moby);
    let point = points.iter().find(|p| p.upstream == Upstream::Moby);
    let (Some(moby), Some(point)) = (moby, point) else {
        bail!("P5 needs the moby source");
    };
    let tree = bench.working_tree(sources, Upstream::Moby)?;
    let scratch = bench.scratch(Upstream::Moby);
    if !scratch.exists() {
        build_core::fs::copy_tree(&moby.dir, &scratch, &[READY_MARKER])?;
    }
    bench
        .progress
        .status("Measuring", "P5 warm-up: upstream, then up --watch");
    bench.upstream_one(point, gocaches.1, "p5-upstream-warmup")?;

    let state = bench.root.join("engine");
    let log = bench.log("p5-dockyard-up");
    let up = bench
        .xtask("up", gocaches.0)
        .args(["--watch", "--down-on-exit"])
        .args([
            "--source".to_owned(),
            format!("moby={tree}"),
            "--state".into(),
            state.to_string(),
        ]);
    let handle = up.spawn_logged(&log)?;
    let watching = LogWatch {
        up: &handle,
        log: &log,
        dockerd_log: state.join("dockerd.log"),
    };
    let (mut dy, mut upstream) = (Vec::new(), Vec::new());
    let mut result = watching
        .wait(|text| text.contains("Watching"), 1800)
        .map_err(anyhow::Error::from);
    for i in 0..runs {
        let Ok(_) = result else { break };
        let marker = format!("dockyard bench P5 edit {i}");
        let started = Instant::now();
        result = add_to_dockerd_main(&tree, &marker)
            .map_err(anyhow::Error::from)
            .and_then(|()| Ok(watching.reloaded(i, &marker)?));
        dy.push(started.elapsed().as_secs_f64());
        add_to_dockerd_main(&scratch, &marker)?;
        upstream.push(bench.upstream_one(point, gocaches.1, &format!("p5-upstream-{i}"))?);
    }
    // Ctrl-C, as a person would: with --down-on-exit the engine goes too.
    // SAFETY: signalling the `up` this bench started.
    unsafe { libc::kill(handle.pid() as i32, libc::SIGINT) };
    let _ = handle.wait();
    let _ = LoggedCommand::new(bench.xtask.as_str())
        .args(["down", "--purge", "--state", state.as_str()])
        .run_logged(&bench.log("p5-dockyard-down"));
    result.map(|_| (spread(dy), spread(upstream)))
}
