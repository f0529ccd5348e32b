//! `smoke`: a list of checks over a running [`Engine`] proving a bundle runs containers: its
//! daemon starts, every binary and `docker version` show the manifest's versions and commits,
//! an image is imported and runs, exit codes come back, `--init` runs docker-init as PID 1, a
//! published port answers through docker-proxy, and seccomp is on. Everything started is
//! stopped and removed at the end, also on failure or interruption.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::progress::Progress;
use bundle::Manifest;
use camino::{Utf8Path, Utf8PathBuf};

use crate::versions::{binaries_show_stamps, check_versions};
use crate::{Engine, EngineError};

const IMAGE: &str = "dockyard-smoke:1";
const PAGE: &str = "dockyard smoke: served through docker-proxy\n";

/// What a check runs: `Ok` carries what it saw.
type CheckFn<'a> = Box<dyn Fn(&mut Engine) -> Result<String, EngineError> + 'a>;

/// One named check against the running engine.
pub struct Check<'a> {
    /// What it proves, as a person reads it.
    pub name: &'static str,
    run: CheckFn<'a>,
}

impl<'a> Check<'a> {
    fn new(
        name: &'static str,
        run: impl Fn(&mut Engine) -> Result<String, EngineError> + 'a,
    ) -> Check<'a> {
        Check {
            name,
            run: Box::new(run),
        }
    }
}

/// How a smoke run went.
#[derive(Debug)]
pub struct SmokeReport {
    /// Checks run.
    pub total: usize,
    /// Checks that failed or were skipped.
    pub failed: usize,
    /// Whether everything started was stopped and removed.
    pub cleanup: Result<(), String>,
}

impl SmokeReport {
    /// Every check passed and cleanup left nothing.
    pub fn passed(&self) -> bool {
        self.failed == 0 && self.cleanup.is_ok()
    }
}

/// The checks, in order, for the bundle described by `manifest`.
pub fn checks<'a>(manifest: &'a Manifest, busybox: &'a Utf8Path) -> Vec<Check<'a>> {
    vec![
        Check::new("start dockerd", |e| {
            e.start(Duration::from_secs(60))?;
            Ok(format!("socket {}", e.socket()))
        }),
        Check::new("every binary shows its version and commit", |e| {
            let run = |binary: &str, args: &[&str]| {
                Ok(e.command(binary).args(args.iter().copied()).output()?)
            };
            binaries_show_stamps(&run, manifest)
        }),
        Check::new("docker version matches the manifest", |e| {
            check_versions(e, manifest)
        }),
        Check::new("import a busybox image", move |e| import_image(e, busybox)),
        Check::new("docker run prints and exits 0", run_echo),
        Check::new("docker run returns a non-zero exit code", |e| {
            run_exit_code(e, 3)
        }),
        Check::new("docker run --init has docker-init as PID 1", run_init),
        Check::new(
            "-p 127.0.0.1:PORT answers HTTP through docker-proxy",
            publish_port,
        ),
        Check::new("seccomp is enabled (runc features, docker info)", seccomp),
    ]
}

/// Verifies `bundle`, starts its engine and runs every check, reporting each as `Passed`,
/// `Failed` or `Skipped`; then stops and removes everything. Call it from inside a private
/// network namespace ([`crate::enter_private_network`]).
pub fn smoke(
    bundle: &Utf8Path,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<SmokeReport, EngineError> {
    bundle::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    let busybox = find_static_busybox()?;
    let mut engine = Engine::temporary(bundle)?;
    let checks = checks(&manifest, &busybox);
    let mut failed = 0;
    let mut daemon_up = true;
    for check in &checks {
        let name = check.name;
        if interrupted.load(Ordering::SeqCst) {
            failed += 1;
            progress.status("Skipped", &format!("{name}: interrupted"));
            continue;
        }
        if !daemon_up {
            failed += 1;
            progress.status("Skipped", &format!("{name}: dockerd is not running"));
            continue;
        }
        let started = Instant::now();
        let seconds = || started.elapsed().as_secs_f64();
        match (check.run)(&mut engine) {
            Ok(detail) if detail.is_empty() => {
                progress.status("Passed", &format!("{name} ({:.1}s)", seconds()))
            }
            Ok(detail) => {
                progress.status("Passed", &format!("{name} ({:.1}s): {detail}", seconds()))
            }
            Err(e) => {
                failed += 1;
                daemon_up = engine.daemon_running();
                progress.status("Failed", &format!("{name} ({:.1}s): {e}", seconds()));
            }
        }
    }
    let cleanup = engine.stop().map_err(|e| e.to_string());
    match &cleanup {
        Ok(()) => progress.status(
            "Cleaned",
            "stopped dockerd, unmounted and removed the temporary folder",
        ),
        Err(e) => progress.status("Failed", e),
    }
    Ok(SmokeReport {
        total: checks.len(),
        failed,
        cleanup,
    })
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

fn import_image(e: &mut Engine, busybox: &Utf8Path) -> Result<String, EngineError> {
    let tar = e.root().join("rootfs.tar");
    let bytes = std::fs::read(busybox)
        .and_then(|b| rootfs_tar(&b, PAGE))
        .map_err(EngineError::io("making an image from", busybox))?;
    std::fs::write(&tar, bytes).map_err(EngineError::io("writing", &tar))?;
    e.docker_ok(&["import", tar.as_str(), IMAGE])?;
    Ok(format!("{IMAGE} from {busybox}"))
}

fn run_echo(e: &mut Engine) -> Result<String, EngineError> {
    let out = e.docker_ok(&[
        "run",
        "--rm",
        IMAGE,
        "/bin/busybox",
        "echo",
        "hello from dockyard",
    ])?;
    if out != "hello from dockyard\n" {
        return Err(EngineError::Check(format!("printed {out:?}")));
    }
    Ok("hello from dockyard".into())
}

fn run_exit_code(e: &mut Engine, code: i32) -> Result<String, EngineError> {
    let out = e.docker(&[
        "run",
        "--rm",
        IMAGE,
        "/bin/busybox",
        "sh",
        "-c",
        &format!("exit {code}"),
    ])?;
    if out.code != Some(code) {
        return Err(EngineError::Check(format!(
            "expected exit code {code}, got {:?}: {}",
            out.code,
            out.stderr.trim()
        )));
    }
    Ok(format!("exit code {code}"))
}

fn run_init(e: &mut Engine) -> Result<String, EngineError> {
    let out = e.docker_ok(&[
        "run",
        "--rm",
        "--init",
        IMAGE,
        "/bin/busybox",
        "cat",
        "/proc/1/comm",
    ])?;
    if out.trim() != "docker-init" {
        return Err(EngineError::Check(format!("PID 1 is {:?}", out.trim())));
    }
    Ok("PID 1 is docker-init".into())
}

fn publish_port(e: &mut Engine) -> Result<String, EngineError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(EngineError::io("finding a free port on", "127.0.0.1"))?
        .port();
    let publish = format!("127.0.0.1:{port}:80");
    e.docker_ok(&[
        "run",
        "-d",
        "--name",
        "dys-http",
        "-p",
        &publish,
        IMAGE,
        "/bin/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])?;
    let result = http_get_until(port, Duration::from_secs(20));
    let _ = e.docker(&["rm", "-f", "dys-http"]);
    let body = result?;
    if !body.contains(PAGE.trim()) {
        return Err(EngineError::Check(format!(
            "127.0.0.1:{port} answered {body:?}"
        )));
    }
    Ok(format!("GET http://127.0.0.1:{port}/ answered"))
}

fn seccomp(e: &mut Engine) -> Result<String, EngineError> {
    let features = e.command("runc").arg("features").read()?;
    let features: serde_json::Value = serde_json::from_str(&features)
        .map_err(|_| EngineError::Check("runc features printed no JSON".into()))?;
    if features["linux"]["seccomp"]["enabled"] != true {
        return Err(EngineError::Check(
            "runc features: seccomp is not enabled".into(),
        ));
    }
    let options = e.docker_ok(&["info", "--format", "{{json .SecurityOptions}}"])?;
    if !options.contains("name=seccomp") {
        return Err(EngineError::Check(format!(
            "docker info security options lack seccomp: {}",
            options.trim()
        )));
    }
    Ok("runc and dockerd report seccomp".into())
}

/// A root file system with a static busybox and a page for its httpd.
fn rootfs_tar(busybox: &[u8], page: &str) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, bytes: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_mode(mode);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, bytes)?;
        Ok(())
    };
    add("bin/busybox", 0o755, busybox)?;
    add("www/index.html", 0o644, page.as_bytes())?;
    builder.into_inner()
}

/// GET / on 127.0.0.1:port, retried until it answers or `timeout` passes.
fn http_get_until(port: u16, timeout: Duration) -> Result<String, EngineError> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port).into(),
            Duration::from_secs(2),
        ) {
            Ok(mut stream) => {
                let sent = stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .and_then(|()| stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
                if let Err(e) = sent {
                    last = e.to_string();
                    continue;
                }
                let mut response = String::new();
                let _ = stream.read_to_string(&mut response);
                if response.starts_with("HTTP/1.") && response.contains("200") {
                    return Ok(response);
                }
                last = response;
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(EngineError::Check(format!(
        "127.0.0.1:{port} did not answer within {}s ({last})",
        timeout.as_secs()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rootfs_holds_busybox_and_the_page() {
        let tar = rootfs_tar(b"ELF...", PAGE).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let names: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("bin/busybox".to_owned(), 0o755),
                ("www/index.html".to_owned(), 0o644)
            ]
        );
    }
}
