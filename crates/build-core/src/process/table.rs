//! The process table, read through `procfs`: the one scan of `/proc` that finds processes by
//! what they are (their parent, command line, environment), and whether one still runs.

use std::time::Duration;

use procfs::process::Process;
use procfs::{Current, WithCurrentSystemInfo};

/// A process as `/proc` showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// Its process id.
    pub pid: u32,
    /// Its parent's.
    pub parent: u32,
    /// Its resident set, in KiB.
    pub rss_kib: u64,
    /// Its command line (empty for a kernel thread).
    pub args: Vec<String>,
}

/// Every running process but this one: not exited, and not a zombie waiting to be reaped.
pub fn processes() -> Vec<ProcessInfo> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    let me = std::process::id();
    all.flatten()
        .filter_map(|process| {
            let pid = u32::try_from(process.pid).ok()?;
            let stat = process.stat().ok()?;
            (pid != me && alive(stat.state)).then(|| ProcessInfo {
                pid,
                parent: u32::try_from(stat.ppid).unwrap_or(0),
                rss_kib: stat.rss_bytes().get() / 1024,
                args: process.cmdline().unwrap_or_default(),
            })
        })
        .collect()
}

/// Every running process below `root`: its children, theirs, and so on (not `root` itself).
pub fn descendants(root: u32) -> Vec<ProcessInfo> {
    let all = processes();
    let mut tree = vec![root];
    let mut found = Vec::new();
    while let Some(parent) = tree.pop() {
        for child in all.iter().filter(|p| p.parent == parent) {
            tree.push(child.pid);
            found.push(child.clone());
        }
    }
    found
}

/// The value of `name` in the environment `pid` started with; `None` when it has none, or
/// has exited (a zombie keeps no environment).
pub fn environment_value(pid: u32, name: &str) -> Option<String> {
    let process = Process::new(i32::try_from(pid).ok()?).ok()?;
    let environment = process.environ().ok()?;
    environment
        .get(std::ffi::OsStr::new(name))
        .map(|v| v.to_string_lossy().into_owned())
}

/// Whether `pid` runs: not exited, and not a zombie waiting to be reaped.
pub(crate) fn is_running(pid: u32) -> bool {
    let stat = i32::try_from(pid)
        .ok()
        .and_then(|pid| Process::new(pid).ok())
        .and_then(|p| p.stat().ok());
    stat.is_some_and(|s| alive(s.state))
}

/// How long `pid` has run.
pub fn uptime(pid: u32) -> Option<Duration> {
    let stat = Process::new(i32::try_from(pid).ok()?).ok()?.stat().ok()?;
    let since_boot = procfs::Uptime::current().ok()?.uptime;
    let started = stat.starttime as f64 / procfs::ticks_per_second() as f64;
    Some(Duration::from_secs_f64((since_boot - started).max(0.0)))
}

/// Not a zombie (`Z`) or dead (`X`, `x`).
fn alive(state: char) -> bool {
    !matches!(state, 'Z' | 'X' | 'x')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_with_its_environment_and_sees_it_go() {
        let child = crate::process::LoggedCommand::new("sleep")
            .arg("30")
            .env("DOCKYARD_TABLE_TEST", "marked")
            .spawn_inheriting()
            .unwrap();
        let pid = child.pid();
        let below = descendants(std::process::id());
        let found = below.iter().find(|p| p.pid == pid).expect("the child");
        assert_eq!(found.args, ["sleep", "30"]);
        assert!(found.rss_kib > 0);
        assert_eq!(
            environment_value(pid, "DOCKYARD_TABLE_TEST").as_deref(),
            Some("marked")
        );
        assert!(is_running(pid) && uptime(pid).is_some());
        child
            .stop(crate::process::Signal::Terminate, Duration::from_secs(5))
            .unwrap();
        assert!(!is_running(pid));
        assert!(!processes().iter().any(|p| p.pid == pid));
    }
}
