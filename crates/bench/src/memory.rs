//! Peak memory of a process tree: the sum of the resident sets of every descendant, sampled.
//! (`getrusage` reports only the largest single process, and mixes both sides of a bench.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

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
                while !stop.load(Ordering::SeqCst) {
                    peak_kib.fetch_max(descendants_rss_kib(std::process::id()), Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(100));
                }
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

/// The summed RSS of every process below `root`, from /proc.
fn descendants_rss_kib(root: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut parent_of = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name, which is in parentheses and may hold spaces.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ppid = fields
            .get(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        let rss_pages = fields
            .get(21)
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        parent_of.push((pid, ppid, rss_pages * 4));
    }
    let mut tree = vec![root];
    let mut total = 0;
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, rss) in &parent_of {
            if tree.contains(ppid) && !tree.contains(pid) {
                tree.push(*pid);
                total += rss;
                grew = true;
            }
        }
    }
    total
}
