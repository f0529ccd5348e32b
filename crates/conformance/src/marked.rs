//! What a suite run starts carries a marker in its environment, so cleanup finds all of it;
//! one way to wait for a suite's process that an interrupt can stop; the raw logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use build_core::process::Running;
use camino::Utf8Path;

use crate::error::ConformanceError;

/// Marks every process a suite run starts (its environment), so cleanup finds them all.
pub(crate) const MARKER: &str = "DOCKYARD_CONFORMANCE";

/// Waits for `running` to end, killing it at `interrupted`.
pub(crate) fn wait_or_stop(running: &Running, interrupted: &AtomicBool) {
    while running.try_wait().ok().flatten().is_none() {
        if interrupted.load(Ordering::SeqCst) {
            let _ = running.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = running.wait();
}

/// SIGKILL to every process whose environment carries the marker for `work`, and the wait
/// until they are gone (a killed process still holds its mounts and sockets while it exits).
pub(crate) fn kill_marked(work: &Utf8Path) {
    let wanted = format!("{MARKER}={work}");
    let me = std::process::id();
    let marked = || -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| *pid != me)
            .filter(|pid| {
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes())
            })
            .collect()
    };
    for _ in 0..100 {
        // A zombie has no environment left to read: only the living are found.
        let living = marked();
        if living.is_empty() {
            return;
        }
        for pid in living {
            // SAFETY: SIGKILL to a process this suite run started (it carries our marker).
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
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
