//! An interrupted suite run leaves nothing running and no temporary folder behind. (A file of
//! its own: it sets the fixture's `FIXTURE_WAIT` for this whole process.)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::progress::Recorded;
use common::*;

/// Processes whose environment carries `FIXTURE_WAIT` (what the suite run started).
fn waiting_processes() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            !zombie && env.split(|b| *b == 0).any(|v| v == b"FIXTURE_WAIT=1")
        })
        .collect()
}

#[test]
fn an_interrupted_run_stops_at_once_and_leaves_no_process_or_temporary_folder() {
    // SAFETY: set before this test starts any thread of its own, in a test binary of its own.
    unsafe { std::env::set_var("FIXTURE_WAIT", "1") };
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let runc = fake_runc(&root, "runc-fake", true);
    let stop = AtomicBool::new(false);
    let finished = std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            suite
                .run(
                    &runc,
                    "dockyard",
                    Some("waits"),
                    &root.join("log"),
                    &Recorded::default(),
                    &stop,
                )
                .map(|run| run.results.len())
                .map_err(|e| e.to_string())
        });
        // The test is sleeping (it would for two minutes) when the interrupt comes.
        let deadline = Instant::now() + Duration::from_secs(30);
        while waiting_processes().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!waiting_processes().is_empty(), "the waiting test runs");
        stop.store(true, Ordering::SeqCst);
        running.join().unwrap().unwrap()
    });
    // Run to its end, the test would have slept its two minutes and passed.
    assert_eq!(finished, 0, "the test was stopped, not finished");
    assert_eq!(
        waiting_processes(),
        Vec::<u32>::new(),
        "nothing it started runs on"
    );
    assert!(
        !root.join("work/tmp").exists(),
        "its temporary folder is gone"
    );
}
