//! P5, edit → running engine: `up --watch` over a moby working tree, from a line added to
//! dockerd's `main` until the new dockerd answers, against moby's own `hack/make.sh binary`
//! after the same edit (upstream has no engine to restart, so its side is the build alone).

use std::time::{Duration, Instant};

use build_core::Upstream;
use build_core::process::{Running, Signal};
use build_core::source::{READY_MARKER, Source};
use camino::{Utf8Path, Utf8PathBuf};

use crate::edits::add_to_dockerd_main;
use crate::entry::EntryPoint;
use crate::report::{Spread, spread};
use crate::runner::{BenchError, LogWatch, Result, Runner};

/// dockyard's and upstream's times; `gocaches` are dockyard's and upstream's.
pub(crate) fn measure(
    bench: &Runner,
    sources: &[Source],
    points: &[EntryPoint],
    gocaches: (&Utf8Path, &Utf8Path),
    runs: usize,
) -> Result<(Spread, Spread)> {
    let moby = sources.iter().find(|s| s.upstream == Upstream::Moby);
    let point = points.iter().find(|p| p.upstream == Upstream::Moby);
    let (Some(moby), Some(point)) = (moby, point) else {
        return Err(BenchError("P5 needs the moby source".into()));
    };
    let tree = bench.working_tree(sources, Upstream::Moby)?;
    let scratch = bench.scratch(Upstream::Moby);
    if !scratch.exists() {
        build_core::fs::copy_tree(&moby.dir, &scratch, &[READY_MARKER])
            .map_err(BenchError::from)?;
    }
    bench.progress.status(
        "Measuring",
        "P5 warm-up: upstream, then `up` watching the moby tree",
    );
    bench.upstream_one(point, gocaches.1, "p5-upstream-warmup")?;

    let state = bench.root.join("engine");
    let log = bench.log("p5-dockyard-up");
    let up = bench
        .dockyard
        .up_watch(&tree, &state)
        .env("GOCACHE", gocaches.0.as_str());
    // From here on, every way out stops `up --watch` and its engine.
    let up = UpWatch {
        bench,
        running: up.spawn_logged(&log).map_err(BenchError::from)?,
        state: state.clone(),
    };
    let watching = LogWatch {
        up: &up.running,
        log: &log,
        dockerd_log: state.join("dockerd.log"),
    };
    let (mut dy, mut upstream) = (Vec::new(), Vec::new());
    let mut result = watching.wait(|text| text.contains("Watching"), 1800);
    for i in 0..runs {
        let Ok(_) = result else { break };
        let marker = format!("dockyard bench P5 edit {i}");
        let started = Instant::now();
        result = add_to_dockerd_main(&tree, &marker)
            .map_err(BenchError::from)
            .and_then(|()| watching.reloaded(i, &marker));
        dy.push(started.elapsed().as_secs_f64());
        add_to_dockerd_main(&scratch, &marker).map_err(BenchError::from)?;
        upstream.push(bench.upstream_one(point, gocaches.1, &format!("p5-upstream-{i}"))?);
    }
    drop(up);
    result.map(|_| (spread(dy), spread(upstream)))
}

/// The `up --watch` being measured, with its engine: stopped when dropped, on every way out.
struct UpWatch<'a> {
    bench: &'a Runner,
    running: Running,
    state: Utf8PathBuf,
}

/// How long `up --watch` may take to stop its engine after Ctrl-C before it is killed (its
/// engine then goes with `down`).
const UP_STOPS_WITHIN: Duration = Duration::from_secs(120);

impl Drop for UpWatch<'_> {
    fn drop(&mut self) {
        // Ctrl-C, as a person would: the engine goes too; `down` takes whatever did not.
        let _ = self.running.stop(Signal::Interrupt, UP_STOPS_WITHIN);
        let _ = self
            .bench
            .dockyard
            .down(&self.state)
            .run_logged(&self.bench.log("p5-dockyard-down"));
    }
}
