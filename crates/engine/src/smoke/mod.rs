//! `smoke`: a list of checks run on the engine supervisor with a state folder that is thrown
//! away afterwards, proving a bundle is the whole engine Docker gives people: it starts, its
//! binaries show the manifest's versions and commits, containers run (exit codes, `--init`,
//! `exec`, volumes, restart policies, health checks, memory limits, stop timeouts, seccomp), and
//! its network works (names on a user-defined network, the host's loopback through the uplink,
//! a published port on the host, a push to and pull from a registry on the host), its CLI
//! plugins work (a BuildKit build, a compose project) and its rootless extras run dockerd as an
//! unprivileged user. Each check is
//! one line with its time. Everything started is stopped and removed at the end, also on
//! failure or interruption.

mod checks;
mod http;
mod network;
mod plugins;
mod rootless;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::error::with_causes;
use build_core::progress::Progress;
use bundle_format::Manifest;
use camino::{Utf8Path, Utf8PathBuf};

pub use checks::checks;

use crate::{Engine, EngineError, Network, Registry, RegistryAuth, UpOptions};

/// What a check runs: `Ok` carries what it saw.
type CheckFn<'a> = Box<dyn Fn(&Smoke<'_>) -> Result<String, EngineError> + 'a>;

/// One named check against the running engine.
pub struct Check<'a> {
    /// What it proves, as a person reads it.
    pub name: &'static str,
    run: CheckFn<'a>,
}

impl<'a> Check<'a> {
    fn new(
        name: &'static str,
        run: impl Fn(&Smoke<'_>) -> Result<String, EngineError> + 'a,
    ) -> Check<'a> {
        Check {
            name,
            run: Box::new(run),
        }
    }
}

/// How `smoke` runs the engine: [`Default`], then the fields wanted.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SmokeOptions {
    /// The program that publishes ports on the host (see [`UpOptions::port_proxy`]); the
    /// published-port check fails without one.
    pub port_proxy: Option<Utf8PathBuf>,
}

/// What the checks work with: the engine, and what smoke started beside it.
pub(crate) struct Smoke<'a> {
    /// The engine under test.
    pub(crate) engine: Engine,
    /// What the bundle says it holds.
    pub(crate) manifest: &'a Manifest,
    options: &'a SmokeOptions,
    busybox: &'a Utf8Path,
    /// A registry on the host's loopback, or why there is none.
    registry: Result<Registry, String>,
    /// One behind htpasswd, with the user it accepts.
    auth_registry: Result<(Registry, RegistryAuth), String>,
}

/// How a smoke run went.
#[derive(Debug)]
#[non_exhaustive]
pub struct SmokeReport {
    /// Checks run.
    pub total: usize,
    /// Checks that failed or were skipped.
    pub failed: usize,
    /// Whether everything started was stopped and removed.
    pub cleanup: Result<(), String>,
    /// The bundle is for another architecture: its binaries were checked under qemu.
    pub emulated: bool,
}

impl SmokeReport {
    /// Every check passed and cleanup left nothing.
    pub fn passed(&self) -> bool {
        self.failed == 0 && self.cleanup.is_ok()
    }
}

/// Verifies `bundle`, starts its engine in a temporary state folder and runs every check,
/// reporting each as `Passed` or `Failed` (or `Skipped`, counted as failed, once the engine is
/// down or the run was interrupted); then stops and removes everything. Another
/// architecture's engine cannot start here: its binaries are checked under qemu instead
/// ([`crate::smoke_emulated`]).
pub fn smoke(
    bundle: &Utf8Path,
    options: &SmokeOptions,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<SmokeReport, EngineError> {
    bundle_format::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    if let Some(layout) = (manifest.target.layout()).filter(|l| *l != bundle_format::Layout::Linux)
    {
        return Err(EngineError::Check(format!(
            "{bundle} is Docker's {} download, whose binaries do not run an engine here; its binaries were checked when built (Wine, or the stamps in their symbols), and `verify` checks the bundle",
            layout.name()
        )));
    }
    if !manifest.target.is_host() {
        return crate::smoke_emulated(bundle, progress);
    }
    crate::check_machine()?;
    let busybox = find_static_busybox()?;
    // Short: the daemons' unix sockets live under it, and their paths are limited.
    let state = tempfile::Builder::new()
        .prefix("dys-")
        .tempdir_in("/tmp")
        .map_err(EngineError::io("creating a state folder in", "/tmp"))?;
    let root = build_core::fs::utf8(state.path().to_owned())
        .map_err(EngineError::io("creating a state folder in", "/tmp"))?;
    // A check that needs it fails saying why; it is never skipped.
    let registry = Registry::start(None).map_err(|e| with_causes(&e));
    let auth = RegistryAuth {
        user: "smoke".into(),
        password: random_password(),
    };
    let auth_registry = Registry::start(Some(&auth))
        .map(|r| (r, auth))
        .map_err(|e| with_causes(&e));
    let run = Smoke {
        engine: Engine::at(root),
        manifest: &manifest,
        options,
        busybox: &busybox,
        registry,
        auth_registry,
    };
    let checks = checks(bundle);
    let mut failed = 0;
    let mut engine_up = true;
    for check in &checks {
        let name = check.name;
        if interrupted.load(Ordering::SeqCst) {
            failed += 1;
            progress.status("Skipped", &format!("{name}: interrupted"));
            continue;
        }
        if !engine_up {
            failed += 1;
            progress.status("Skipped", &format!("{name}: dockerd is not running"));
            continue;
        }
        let started = Instant::now();
        let seconds = || started.elapsed().as_secs_f64();
        match (check.run)(&run) {
            Ok(detail) if detail.is_empty() => {
                progress.status("Passed", &format!("{name} ({:.1}s)", seconds()))
            }
            Ok(detail) => {
                progress.status("Passed", &format!("{name} ({:.1}s): {detail}", seconds()))
            }
            Err(e) => {
                failed += 1;
                engine_up = run.engine.daemon_running();
                progress.status(
                    "Failed",
                    &format!("{name} ({:.1}s): {}", seconds(), with_causes(&e)),
                );
            }
        }
    }
    let cleanup = run
        .engine
        .down(true, &build_core::progress::Silent)
        .map_err(|e| with_causes(&e))
        .and_then(|()| leftovers(run.engine.root()));
    drop(state);
    match &cleanup {
        Ok(()) => progress.status(
            "Cleaned",
            "stopped the engine and its uplink, unmounted and removed its state folder",
        ),
        Err(e) => progress.status("Failed", e),
    }
    Ok(SmokeReport {
        total: checks.len(),
        failed,
        cleanup,
        emulated: false,
    })
}

impl Smoke<'_> {
    fn up(&self, bundle: &Utf8Path) -> Result<String, EngineError> {
        let mut options = UpOptions::new(Network::Private);
        options.timeout = Duration::from_secs(60);
        options.port_proxy = self.options.port_proxy.clone();
        let status = self
            .engine
            .up(bundle, &options, &build_core::progress::Silent)?;
        Ok(format!("socket {}", status.socket))
    }
}

/// What `down` must not leave: a process or a mount naming the state folder.
fn leftovers(root: &Utf8Path) -> Result<(), String> {
    let processes = crate::procs::naming(root);
    if !processes.is_empty() {
        let pids: Vec<String> = processes.iter().map(|p| p.pid.to_string()).collect();
        return Err(format!("processes left running: {}", pids.join(", ")));
    }
    crate::mounts::unmount_under(root).map_err(|e| with_causes(&e))
}

/// A password no file could hold by chance: 16 bytes of the kernel's randomness, in hex.
fn random_password() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    build_core::digest::hex(&bytes)
}

/// Debian's busybox-static, checked to be static so it runs in an empty image.
pub fn find_static_busybox() -> Result<Utf8PathBuf, EngineError> {
    for candidate in ["/bin/busybox", "/usr/bin/busybox"] {
        let path = Utf8Path::new(candidate);
        if let Ok(kind) = build_core::elf::link_kind(path)
            && kind.is_static()
        {
            return Ok(path.to_owned());
        }
    }
    Err(EngineError::MissingProgram {
        program: "busybox (static)",
        fix: "apt-get install busybox-static (it makes the test image)",
    })
}
