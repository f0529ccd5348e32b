//! What a suite run starts carries a marker in its environment, so cleanup finds all of it;
//! one way to wait for a suite's process that an interrupt can stop; the raw logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use build_core::process::{Running, Signal};
use build_core::wait;
use camino::Utf8Path;

use crate::error::ConformanceError;

/// Marks every process a suite run starts (its environment), so cleanup finds them all.
pub(crate) const MARKER: &str = "DOCKYARD_CONFORMANCE";

/// Waits for `running` to end, killing it at `interrupted`.
pub(crate) fn wait_or_stop(running: Running, interrupted: &AtomicBool) {
    // An interrupt is a flag a signal handler sets, no event to block on: this polls.
    let _ = wait::until(wait::FOREVER, Duration::from_millis(100), || {
        let ended = !matches!(running.try_wait(), Ok(None));
        (ended || interrupted.load(Ordering::SeqCst)).then_some(())
    });
    let _ = running.stop(Signal::Kill, Duration::ZERO);
}

/// SIGKILL to every process whose environment carries the marker for `work`, and the wait
/// until they are gone (a killed process still holds its mounts and sockets while it exits).
/// Looked for again after each round, for what the killed forked meanwhile.
pub(crate) fn kill_marked(work: &Utf8Path) {
    let marked = || -> Vec<u32> {
        // A zombie has no environment left to read: only the living are found.
        build_core::process::processes()
            .into_iter()
            .map(|p| p.pid)
            .filter(|pid| {
                build_core::process::environment_value(*pid, MARKER).as_deref()
                    == Some(work.as_str())
            })
            .collect()
    };
    let _ = wait::until(Duration::from_secs(10), Duration::from_millis(100), || {
        let living = marked();
        build_core::process::stop(&living, Signal::Kill, Duration::ZERO);
        living.is_empty().then_some(())
    });
}

pub(crate) fn append(log: &Utf8Path, text: &str) -> Result<(), ConformanceError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(ConformanceError::io("writing", log))
}
