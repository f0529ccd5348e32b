//! Process lifetimes: a started command ([`Running`]) is stopped and reaped when dropped unless
//! detached, and one way to stop processes ([`stop`]): a signal, a grace period, SIGKILL, and
//! the wait until they are gone.

use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::table::is_running;
use crate::wait;

/// How a process is asked to stop before SIGKILL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, as Ctrl-C would: for programs that clean up on it.
    Interrupt,
    /// SIGTERM, the usual request.
    Terminate,
    /// SIGKILL at once: no request, as a crash would.
    Kill,
}

impl Signal {
    fn number(self) -> libc::c_int {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        }
    }
}

/// How long a dropped [`Running`] is given after SIGTERM.
const DROP_GRACE: Duration = Duration::from_secs(5);

/// How long SIGKILL may take to end a process (it still releases its mounts and sockets).
const KILLED_WITHIN: Duration = Duration::from_secs(10);

/// How often `/proc` is read where a pidfd cannot be had.
const POLL: Duration = Duration::from_millis(20);

/// Stops `pids`: `signal` to each, SIGKILL to those still running after `grace` (at once for
/// [`Signal::Kill`]), then waits until every one is gone ([`wait_gone`]). Gone is exited: a
/// zombie waiting for its parent to reap it is gone (a [`Running`] reaps its own). Returns
/// whether all went.
///
/// The one way dockyard stops a process. A process that is not our child is found by what it
/// is (its command line, its environment), never by a stored pid alone: pids are recycled.
pub fn stop(pids: &[u32], signal: Signal, grace: Duration) -> bool {
    let living = || -> Vec<u32> { pids.iter().copied().filter(|p| is_running(*p)).collect() };
    send(&living(), signal);
    if signal != Signal::Kill && wait_gone(&living(), grace) {
        return true;
    }
    send(&living(), Signal::Kill);
    wait_gone(&living(), KILLED_WITHIN)
}

/// Waits until every one of `pids` has exited (a zombie has), for at most `timeout`
/// ([`wait::FOREVER`] for no limit); returns whether they all did. Blocks on each one's pidfd,
/// the kernel's event for a process's end, ours or not; polls `/proc` only where a pidfd
/// cannot be had.
pub fn wait_gone(pids: &[u32], timeout: Duration) -> bool {
    let deadline = Instant::now().checked_add(timeout);
    let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
    pids.iter().all(|&pid| {
        let Some(fd) = pidfd(pid) else {
            // No pidfd (gone already, or a kernel without them): /proc tells.
            let gone = || (!is_running(pid)).then_some(());
            return wait::until(left().unwrap_or(wait::FOREVER), POLL, gone).is_ok();
        };
        loop {
            let ms = left().map_or(-1, |l| i32::try_from(l.as_millis()).unwrap_or(i32::MAX));
            let mut ready = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, ours, for the duration of the call.
            match unsafe { libc::poll(&mut ready, 1, ms) } {
                0 => return false,
                n if n > 0 => return true,
                _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
                _ => return !is_running(pid),
            }
        }
    })
}

/// A descriptor that becomes readable when `pid` exits; `None` when it has no process (or the
/// kernel has no pidfds).
fn pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).ok().filter(|p| *p > 0)?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: a descriptor the kernel just opened for us alone.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn send(pids: &[u32], signal: Signal) {
    for pid in pids {
        let Ok(pid) = libc::pid_t::try_from(*pid) else {
            continue;
        };
        if pid > 0 {
            // SAFETY: a signal to a process the caller found running and means to stop.
            unsafe { libc::kill(pid, signal.number()) };
        }
    }
}

/// A command started in the background ([`super::LoggedCommand::spawn_logged`] and its
/// kin): wait for it, poll it, stop it, or read its pid. Dropped while it runs, it is stopped
/// (SIGTERM, SIGKILL after a few seconds) and reaped, so no early return leaves it behind; a
/// daemon meant to outlive it is [`Running::detach`]ed.
#[derive(Debug)]
pub struct Running {
    /// Always there until `detach` takes it.
    handle: Option<duct::Handle>,
}

impl Running {
    pub(super) fn new(handle: duct::Handle) -> Running {
        Running {
            handle: Some(handle),
        }
    }

    fn handle(&self) -> &duct::Handle {
        self.handle
            .as_ref()
            .expect("a Running holds its process until detached")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.handle().pids().first().copied().unwrap_or(0)
    }

    /// How it ended, if it has (reaping it).
    pub fn try_wait(&self) -> std::io::Result<Option<ExitStatus>> {
        self.handle().try_wait().map(|done| done.map(|o| o.status))
    }

    /// Waits for it to end.
    pub fn wait(&self) -> std::io::Result<ExitStatus> {
        self.handle().wait().map(|o| o.status)
    }

    /// Stops it through [`stop`] (`signal`, SIGKILL after `grace`) and reaps it; how it ended.
    pub fn stop(&self, signal: Signal, grace: Duration) -> std::io::Result<ExitStatus> {
        if self.try_wait()?.is_none() {
            stop(&[self.pid()], signal, grace);
        }
        self.wait()
    }

    /// Lets it outlive this handle (a daemon the caller records, to find and stop later): it
    /// is no longer stopped on drop, and a thread reaps it when it exits, so it leaves no
    /// zombie behind while this process runs on. Returns its pid.
    pub fn detach(mut self) -> u32 {
        let pid = self.pid();
        if let Some(handle) = self.handle.take() {
            std::thread::spawn(move || handle.wait().map(|_| ()));
        }
        pid
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let running = self
            .handle
            .as_ref()
            .is_some_and(|h| matches!(h.try_wait(), Ok(None)));
        if running {
            let _ = self.stop(Signal::Terminate, DROP_GRACE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::LoggedCommand;

    fn start(script: &str) -> (tempfile::TempDir, Running) {
        let dir = tempfile::tempdir().unwrap();
        let log = camino::Utf8PathBuf::from_path_buf(dir.path().join("log")).unwrap();
        let running = LoggedCommand::new("sh")
            .args(["-c", script])
            .spawn_logged(&log)
            .unwrap();
        (dir, running)
    }

    #[test]
    fn a_dropped_process_is_stopped_and_a_detached_one_lives_on() {
        let (_dir, dropped) = start("sleep 30");
        let pid = dropped.pid();
        assert!(is_running(pid));
        drop(dropped);
        assert!(!is_running(pid), "dropping it stopped it");

        let (_dir, detached) = start("sleep 30");
        let pid = detached.detach();
        assert!(is_running(pid), "a detached process outlives its handle");
        assert!(!wait_gone(&[pid], Duration::from_millis(50)), "it runs on");
        assert!(stop(&[pid], Signal::Terminate, Duration::from_secs(5)));
        assert!(!is_running(pid));
    }

    #[test]
    fn one_that_ignores_the_request_is_killed_after_the_grace_period() {
        let (_dir, stubborn) = start("trap '' TERM; while :; do :; done");
        // Asked only once the shell ignores SIGTERM, as its signal mask in /proc shows (a mask
        // changing is no event to block on: this polls).
        let ignores_term = || {
            let status = procfs::process::Process::new(stubborn.pid() as i32)?.status()?;
            Ok::<_, procfs::ProcError>(status.sigign & (1 << (libc::SIGTERM - 1)) != 0)
        };
        wait::until(Duration::from_secs(10), POLL, || {
            ignores_term().unwrap_or(false).then_some(())
        })
        .expect("the shell sets its trap");
        let status = stubborn
            .stop(Signal::Terminate, Duration::from_millis(200))
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }
}
