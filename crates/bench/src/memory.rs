//! Peak memory of a process tree: the sum of the resident sets of every descendant, sampled.
//! (`getrusage` reports only the largest single process, and mixes both sides of a bench.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use build_core::wait;

/// The peak summed resident set of this process's descendants, sampled every 100 ms until
/// stopped (what a bench reports as a build's memory).
#[derive(Debug)]
pub struct PeakSampler {
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    /// Starts sampling on a thread of its own.
    pub fn start() -> PeakSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, peak_kib) = (stop.clone(), peak_kib.clone());
            std::thread::spawn(move || {
                let _ = wait::until(wait::FOREVER, Duration::from_millis(100), || {
                    peak_kib.fetch_max(descendants_rss_kib(std::process::id()), Ordering::SeqCst);
                    stop.load(Ordering::SeqCst).then_some(())
                });
            })
        };
        PeakSampler {
            stop,
            peak_kib,
            thread: Some(thread),
        }
    }

    /// The peak in MiB.
    pub fn stop(mut self) -> f64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak_kib.load(Ordering::SeqCst) as f64 / 1024.0
    }
}

/// The summed RSS of every process below `root`.
fn descendants_rss_kib(root: u32) -> u64 {
    build_core::process::descendants(root)
        .iter()
        .map(|p| p.rss_kib)
        .sum()
}
