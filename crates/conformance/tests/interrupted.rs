//! An interrupted suite run leaves nothing running and no temporary folder behind. (A file of
//! its own: it sets the fixture's `FIXTURE_WAIT` for this whole process.)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use build_core::progress::Recorded;
use common::*;

/// Processes whose environment carries `FIXTURE_WAIT` (what the suite run started).
fn waiting_processes() -> Vec<u32> {
    build_core::process::processes()
        .into_iter()
        .map(|p| p.pid)
        .filter(|pid| {
            build_core::process::environment_value(*pid, "FIXTURE_WAIT").as_deref() == Some("1")
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
        // The test is sleeping (it would for two minutes) when the interrupt comes. (A process
        // starting elsewhere is no event to block on: this polls.)
        build_core::wait::until(Duration::from_secs(30), Duration::from_millis(100), || {
            (!waiting_processes().is_empty()).then_some(())
        })
        .expect("the waiting test runs");
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
