//! An engine's processes: found by command lines naming its state folder, never by pid files
//! alone (pids are recycled), through build-core's one reading of `/proc`.

use std::time::Duration;

use build_core::process::{Signal, stop};
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
    build_core::process::processes()
        .into_iter()
        .filter(|p| p.args.iter().any(|a| a.contains(root.as_str())))
        .map(|p| Process {
            pid: p.pid,
            args: p.args,
        })
        .collect()
}

/// Kills (SIGKILL) what is left of an engine: shims, docker-proxy, anything a killed daemon
/// left, all found by their command lines naming `root`; returns once they are gone.
pub(crate) fn kill_naming(root: &Utf8Path) {
    let pids: Vec<u32> = naming(root).iter().map(|p| p.pid).collect();
    stop(&pids, Signal::Kill, Duration::ZERO);
}

fn file_name(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}
