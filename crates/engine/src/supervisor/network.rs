//! The engine's own network namespace, kept alive by a bind mount of it in the state folder,
//! so that every daemon started (or restarted, from any process) joins the same one; and the
//! programs the development engine runs besides the bundle's.

use std::os::fd::AsRawFd;

use camino::Utf8PathBuf;

use super::Network;
use super::daemon::Layout;
use crate::EngineError;

/// Moves this thread into the engine's network: for [`Network::Private`], the namespace the
/// state folder keeps, created (with loopback up) when there is none yet. Everything this
/// thread starts afterwards lives in it.
pub(crate) fn enter(layout: &Layout, network: Network) -> Result<(), EngineError> {
    if network == Network::Host {
        return Ok(());
    }
    let kept = layout.netns();
    if let Ok(file) = std::fs::File::open(&kept) {
        // SAFETY: setns on a descriptor we own; it moves only this thread.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } == 0 {
            return Ok(());
        }
        // Not a namespace any more (the mount went with a reboot): make a new one.
        std::fs::remove_file(&kept).map_err(EngineError::io("removing", &kept))?;
    }
    crate::isolation::check_machine()?;
    // SAFETY: unshare has no memory-safety preconditions; it moves only this thread.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(EngineError::Namespace(std::io::Error::last_os_error()));
    }
    std::fs::write(&kept, b"").map_err(EngineError::io("creating", &kept))?;
    let source = c"/proc/thread-self/ns/net";
    let target = std::ffi::CString::new(kept.as_str()).map_err(|_| {
        EngineError::io("mounting the network namespace on", &kept)(std::io::Error::other(
            "the path holds a NUL byte",
        ))
    })?;
    // SAFETY: two valid NUL-terminated paths; a plain bind mount.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(EngineError::Namespace(std::io::Error::last_os_error()));
    }
    crate::isolation::loopback_up()
}

/// Delve's `dlv`: on `PATH`, else where `go install` puts it.
pub fn find_delve() -> Result<Utf8PathBuf, EngineError> {
    let installed = std::env::var("GOBIN")
        .ok()
        .map(Utf8PathBuf::from)
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .map(|h| Utf8PathBuf::from(h).join("go/bin"))
        })
        .map(|dir| dir.join("dlv"));
    which::which("dlv")
        .ok()
        .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
        .or(installed.filter(|p| p.is_file()))
        .ok_or(EngineError::MissingProgram {
            program: "dlv",
            fix: "go install github.com/go-delve/delve/cmd/dlv@latest (Debian's delve is too old for current Go)",
        })
}

/// How to reach a Delve server on `port` from the host: through the engine's namespace when
/// it has one.
pub(crate) fn connect_command(
    layout_root: &camino::Utf8Path,
    network: Network,
    port: u16,
) -> String {
    match network {
        Network::Private => {
            format!("nsenter --net={layout_root}/netns dlv connect 127.0.0.1:{port}")
        }
        Network::Host => format!("dlv connect 127.0.0.1:{port}"),
    }
}
