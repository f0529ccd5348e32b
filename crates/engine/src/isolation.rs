//! What an isolated engine needs from the machine, and the private network namespace it runs in.

use build_core::process::LoggedCommand;
use camino::Utf8Path;

use crate::EngineError;

/// Root, a cgroup file system and network namespaces: checked before anything starts.
pub fn check_machine() -> Result<(), EngineError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(EngineError::NotRoot);
    }
    for (path, what) in [
        ("/sys/fs/cgroup", "a cgroup file system"),
        ("/proc/self/ns/net", "network namespaces"),
    ] {
        if !Utf8Path::new(path).exists() {
            return Err(EngineError::MachineLacks { what, path });
        }
    }
    Ok(())
}

/// Moves this process into a new network namespace with loopback up, so the daemon's bridge,
/// its containers and every address they use exist only there.
///
/// Call it while the process has one thread: it changes only the calling thread's namespace,
/// which every process and socket started afterwards inherits.
pub fn enter_private_network() -> Result<(), EngineError> {
    check_machine()?;
    // SAFETY: unshare has no memory-safety preconditions; see the single-thread note above.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(EngineError::Namespace(std::io::Error::last_os_error()));
    }
    loopback_up()
}

/// Brings up loopback in the calling thread's network namespace (a new one has it down).
pub(crate) fn loopback_up() -> Result<(), EngineError> {
    let ip = which::which("ip").map_err(|_| EngineError::MissingProgram {
        program: "ip",
        fix: "apt-get install iproute2",
    })?;
    LoggedCommand::new(ip.to_string_lossy())
        .args(["link", "set", "lo", "up"])
        .read()?;
    Ok(())
}
