//! The one reading of `/proc` that finds an engine's processes: by command lines naming its
//! state folder, never by pid files alone (pids are recycled), and whether each still runs.

use std::time::Duration;

use camino::Utf8Path;

/// A process, as `/proc` shows it.
#[derive(Clone, Debug)]
pub(crate) struct Process {
    pub(crate) pid: u32,
    /// Its command line.
    pub(crate) args: Vec<String>,
}

impl Process {
    /// The file name of the program it runs.
    pub(crate) fn program(&self) -> &str {
        self.args.first().map_or("", |a| file_name(a))
    }

    /// One of its arguments names the program `name`.
    pub(crate) fn runs(&self, name: &str) -> bool {
        self.args.iter().skip(1).any(|a| file_name(a) == name)
    }
}

/// Every running process, other than this one, whose command line names `root`.
pub(crate) fn naming(root: &Utf8Path) -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let args = cmdline(pid);
            (args.iter().any(|a| a.contains(root.as_str())) && running(pid))
                .then_some(Process { pid, args })
        })
        .collect()
}

/// Kills (SIGKILL) what is left of an engine: shims, docker-proxy, anything a killed daemon
/// left, all found by their command lines naming `root`.
pub(crate) fn kill_naming(root: &Utf8Path) {
    for process in naming(root) {
        // SAFETY: SIGKILL to a process whose command line names our state folder.
        unsafe { libc::kill(process.pid as i32, libc::SIGKILL) };
    }
}

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn file_name(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Not exited, and not a zombie waiting to be reaped.
pub(crate) fn running(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some(s) if s != "Z" && s != "X")
}

/// How long `pid` has run, from its start time in clock ticks since boot.
pub(crate) fn uptime(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let started_ticks: f64 = fields.get(19)?.parse().ok()?;
    let since_boot: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(Duration::from_secs_f64(
        (since_boot - started_ticks / ticks).max(0.0),
    ))
}
