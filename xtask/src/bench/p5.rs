//! P5, edit → running engine: `up --watch` over a moby working tree, from a line added to
//! dockerd's `main` until the new dockerd answers, against moby's own `hack/make.sh binary`
//! after the same edit (upstream has no engine to restart, so its side is the build alone).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use build_core::Upstream;
use build_core::process::{LoggedCommand, Running, tail_of_file};
use build_core::progress::Progress;
use build_core::source::{READY_MARKER, Source};
use camino::{Utf8Path, Utf8PathBuf};

use super::Bench;
use ::bench::edits::add_to_dockerd_main;
use ::bench::entry::EntryPoint;
use ::bench::report::{Spread, spread};

/// dockyard's and upstream's times; `gocaches` are dockyard's and upstream's.
pub(super) fn measure(
    bench: &Bench,
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
    let watching = Watching {
        up: &handle,
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
            .map_err(anyhow::Error::from)
            .and_then(|()| watching.reloaded(i, &marker));
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

/// The `up --watch` being measured, read through its log.
struct Watching<'a> {
    up: &'a Running,
    log: &'a Utf8Path,
    dockerd_log: Utf8PathBuf,
}

impl Watching<'_> {
    /// Waits for the end of round `round` (its first is 0), which must have restarted a
    /// dockerd that prints `marker`.
    fn reloaded(&self, round: usize, marker: &str) -> Result<String> {
        let ends = |text: &str| {
            text.lines()
                .map(str::trim_start)
                .filter(|l| {
                    ["Reloaded", "Kept", "Failed"]
                        .iter()
                        .any(|e| l.starts_with(e))
                })
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let text = self.wait(|text| ends(text).len() > round, 900)?;
        let last = ends(&text).pop().unwrap_or_default();
        if !last.contains("restarted dockerd") {
            bail!(
                "P5: the edit did not restart dockerd: {last} (log: {})",
                self.log
            );
        }
        if !std::fs::read_to_string(&self.dockerd_log).is_ok_and(|l| l.contains(marker)) {
            bail!(
                "P5: the restarted dockerd is not the edited one ({})",
                self.dockerd_log
            );
        }
        Ok(text)
    }

    /// Polls the log until `done`; fails when `up` exits first or after `seconds`.
    fn wait(&self, done: impl Fn(&str) -> bool, seconds: u64) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let text = std::fs::read_to_string(self.log).unwrap_or_default();
            if done(&text.replace('\r', "\n")) {
                return Ok(text);
            }
            if self.up.try_wait()?.is_some() || Instant::now() > deadline {
                let tail = tail_of_file(self.log, 15);
                bail!("P5: up --watch stopped or stalled; {}:\n{tail}", self.log);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
