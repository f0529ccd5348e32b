//! `cargo xtask smoke`: start the bundle's own engine, run containers with it, clean up.
//!
//! Isolation: the whole run lives in a network namespace of its own (made first thing, so the
//! daemon's bridge, its containers and every address they use exist only there), with its own
//! data root, exec root, socket, pid file and daemon config under a temporary folder, and `PATH`
//! limited to the bundle. Nothing is shared with an engine already on the machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use build_core::process::{Captured, LoggedCommand};
use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};

use crate::flags::SmokeArgs;
use crate::publish::{Manifest, read_manifest};
use crate::status::StatusLines;

const IMAGE: &str = "dockyard-smoke:1";
const PAGE: &str = "dockyard smoke: served through docker-proxy\n";

pub(crate) fn run(args: &SmokeArgs) -> Result<()> {
    // Before any thread exists: a private network namespace for everything this run starts.
    enter_private_network()?;
    let bundle = match &args.bundle {
        Some(dir) => crate::fetch::absolute(dir.as_str())?,
        None => crate::verify::newest_bundle(&crate::project_root().join("target/dockyard"))?,
    };
    crate::verify::verify(&bundle)
        .context("the bundle does not verify; rebuild it before smoking it")?;
    let manifest = read_manifest(&bundle)?;
    let busybox = find_static_busybox()?;

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("cannot handle Ctrl-C")?;
    }
    let progress = StatusLines::default();
    let mut engine = Engine::new(&bundle)?;
    let steps: Vec<Step<'_>> = vec![
        (
            "start dockerd",
            Box::new(|e: &mut Engine| e.start(Duration::from_secs(60))),
        ),
        (
            "docker version matches the manifest",
            Box::new(|e: &mut Engine| e.check_versions(&manifest)),
        ),
        (
            "import a busybox image",
            Box::new(move |e: &mut Engine| e.import_image(&busybox)),
        ),
        (
            "docker run prints and exits 0",
            Box::new(|e: &mut Engine| e.run_echo()),
        ),
        (
            "docker run returns a non-zero exit code",
            Box::new(|e: &mut Engine| e.run_exit_code(3)),
        ),
        (
            "docker run --init has docker-init as PID 1",
            Box::new(|e: &mut Engine| e.run_init()),
        ),
        (
            "-p 127.0.0.1:PORT answers HTTP through docker-proxy",
            Box::new(|e: &mut Engine| e.publish_port()),
        ),
        (
            "seccomp is enabled (runc features, docker info)",
            Box::new(|e: &mut Engine| e.seccomp()),
        ),
    ];
    let mut failed = 0;
    let mut daemon_up = true;
    for (name, step) in &steps {
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
        match step(&mut engine) {
            Ok(detail) => progress.status(
                "Passed",
                &format!(
                    "{name} ({:.1}s){}",
                    started.elapsed().as_secs_f64(),
                    suffix(&detail)
                ),
            ),
            Err(e) => {
                failed += 1;
                daemon_up = engine.daemon_running();
                progress.status(
                    "Failed",
                    &format!("{name} ({:.1}s): {e:#}", started.elapsed().as_secs_f64()),
                );
            }
        }
    }
    let cleanup = engine.stop();
    match &cleanup {
        Ok(()) => progress.status(
            "Cleaned",
            "stopped dockerd, unmounted and removed the temporary folder",
        ),
        Err(e) => progress.status("Failed", &format!("cleanup: {e:#}")),
    }
    if failed > 0 || cleanup.is_err() {
        bail!("smoke: {failed} of {} steps failed", steps.len());
    }
    progress.status(
        "Finished",
        &format!("{} works: {} steps passed", bundle, steps.len()),
    );
    Ok(())
}

/// A named check against the running engine; `Ok` carries what it saw.
type Step<'a> = (
    &'static str,
    Box<dyn Fn(&mut Engine) -> Result<String> + 'a>,
);

fn suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// Moves this process into a new network namespace with loopback up.
fn enter_private_network() -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("smoke starts dockerd, which needs root: run it as root (sudo -E cargo xtask smoke)");
    }
    for (path, what) in [
        ("/sys/fs/cgroup", "a cgroup file system"),
        ("/proc/self/ns/net", "network namespaces"),
    ] {
        if !Utf8Path::new(path).exists() {
            bail!("this machine lacks {what} ({path}), which containers need");
        }
    }
    // SAFETY: called while the process has one thread; it changes only this thread's namespace,
    // which every process and socket started afterwards inherits.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error()).context(
            "cannot create a network namespace (is this a container without CAP_SYS_ADMIN?)",
        );
    }
    let ip = which::which("ip").context("`ip` is not on PATH: apt-get install iproute2")?;
    LoggedCommand::new(ip.to_string_lossy())
        .args(["link", "set", "lo", "up"])
        .read()
        .context("cannot bring up loopback in the smoke's network namespace")?;
    Ok(())
}

/// Debian's busybox-static, checked to be static so it runs in an empty image.
fn find_static_busybox() -> Result<Utf8PathBuf> {
    for candidate in ["/bin/busybox", "/usr/bin/busybox"] {
        let path = Utf8Path::new(candidate);
        if let Ok(kind) = build_core::elf::link_kind(path)
            && kind.is_static()
        {
            return Ok(path.to_owned());
        }
    }
    bail!("no static busybox found to make the test image: apt-get install busybox-static")
}

/// The bundle's engine, running from a temporary folder.
struct Engine {
    bin: Utf8PathBuf,
    tmp: Option<tempfile::TempDir>,
    root: Utf8PathBuf,
    daemon: Option<duct::Handle>,
}

impl Engine {
    fn new(bundle: &Utf8Path) -> Result<Engine> {
        // Short: the daemon's unix sockets live under it, and socket paths are limited to 108 bytes.
        let tmp = tempfile::Builder::new().prefix("dys-").tempdir_in("/tmp")?;
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_owned())
            .map_err(|p| anyhow::anyhow!("not UTF-8: {}", p.display()))?;
        std::fs::write(root.join("daemon.json"), "{}\n")?;
        Ok(Engine {
            bin: bundle.join("docker"),
            tmp: Some(tmp),
            root,
            daemon: None,
        })
    }

    fn socket(&self) -> String {
        format!("unix://{}/docker.sock", self.root)
    }

    fn command(&self, program: &str) -> LoggedCommand {
        LoggedCommand::new(self.bin.join(program).as_str())
            .env("PATH", self.bin.as_str())
            .env("HOME", self.root.as_str())
            .env("DOCKER_CONFIG", self.root.join("client").as_str())
    }

    fn docker(&self, args: &[&str]) -> Result<Captured> {
        let captured = self
            .command("docker")
            .arg("-H")
            .arg(self.socket())
            .args(args.iter().copied())
            .output()?;
        Ok(captured)
    }

    fn docker_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.docker(args)?;
        if out.code != Some(0) {
            bail!(
                "docker {} exited with {:?}: {}",
                args.join(" "),
                out.code,
                out.stderr.trim()
            );
        }
        Ok(out.stdout)
    }

    fn log(&self) -> Utf8PathBuf {
        self.root.join("dockerd.log")
    }

    fn daemon_running(&self) -> bool {
        self.daemon
            .as_ref()
            .is_some_and(|h| h.try_wait().ok().flatten().is_none())
    }

    fn start(&mut self, timeout: Duration) -> Result<String> {
        let r = &self.root;
        let dockerd = self
            .command("dockerd")
            .arg(format!("--host={}", self.socket()))
            .arg(format!("--data-root={r}/data"))
            .arg(format!("--exec-root={r}/exec"))
            .arg(format!("--pidfile={r}/dockerd.pid"))
            .arg(format!("--config-file={r}/daemon.json"))
            .arg(format!(
                "--userland-proxy-path={}",
                self.bin.join("docker-proxy")
            ))
            // Inside our own network namespace; leave the host's firewall and sysctls alone.
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--ip-forward=false",
                "--ip-masq=false",
            ]);
        self.daemon = Some(dockerd.spawn_logged(&self.log())?);
        let deadline = Instant::now() + timeout;
        loop {
            if !self.daemon_running() {
                bail!(
                    "dockerd exited; the last lines of {}:\n{}",
                    self.log(),
                    build_core::process::tail_of_file(&self.log(), 20)
                );
            }
            if self
                .docker(&["version", "--format", "{{.Server.Version}}"])
                .is_ok_and(|o| o.code == Some(0))
            {
                return Ok(format!("socket {}", self.socket()));
            }
            if Instant::now() > deadline {
                bail!(
                    "dockerd did not answer within {}s; the last lines of {}:\n{}",
                    timeout.as_secs(),
                    self.log(),
                    build_core::process::tail_of_file(&self.log(), 20)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn check_versions(&self, manifest: &Manifest) -> Result<String> {
        let json = self.docker_ok(&["version", "--format", "{{json .}}"])?;
        let report: serde_json::Value =
            serde_json::from_str(&json).context("docker version printed no JSON")?;
        let problems = version_mismatches(&report, manifest);
        if !problems.is_empty() {
            bail!("{}", problems.join("; "));
        }
        Ok(format!(
            "client and engine {}, containerd, runc and docker-init as built",
            manifest.version
        ))
    }

    fn import_image(&self, busybox: &Utf8Path) -> Result<String> {
        let tar = self.root.join("rootfs.tar");
        std::fs::write(&tar, rootfs_tar(&std::fs::read(busybox)?, PAGE)?)?;
        self.docker_ok(&["import", tar.as_str(), IMAGE])?;
        Ok(format!("{IMAGE} from {busybox}"))
    }

    fn run_echo(&self) -> Result<String> {
        let out = self.docker_ok(&[
            "run",
            "--rm",
            IMAGE,
            "/bin/busybox",
            "echo",
            "hello from dockyard",
        ])?;
        if out != "hello from dockyard\n" {
            bail!("printed {out:?}");
        }
        Ok("hello from dockyard".into())
    }

    fn run_exit_code(&self, code: i32) -> Result<String> {
        let out = self.docker(&[
            "run",
            "--rm",
            IMAGE,
            "/bin/busybox",
            "sh",
            "-c",
            &format!("exit {code}"),
        ])?;
        if out.code != Some(code) {
            bail!(
                "expected exit code {code}, got {:?}: {}",
                out.code,
                out.stderr.trim()
            );
        }
        Ok(format!("exit code {code}"))
    }

    fn run_init(&self) -> Result<String> {
        let out = self.docker_ok(&[
            "run",
            "--rm",
            "--init",
            IMAGE,
            "/bin/busybox",
            "cat",
            "/proc/1/comm",
        ])?;
        if out.trim() != "docker-init" {
            bail!("PID 1 is {:?}", out.trim());
        }
        Ok("PID 1 is docker-init".into())
    }

    fn publish_port(&self) -> Result<String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let publish = format!("127.0.0.1:{port}:80");
        self.docker_ok(&[
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
        let _ = self.docker(&["rm", "-f", "dys-http"]);
        let body = result?;
        if !body.contains(PAGE.trim()) {
            bail!("127.0.0.1:{port} answered {body:?}");
        }
        Ok(format!("GET http://127.0.0.1:{port}/ answered"))
    }

    fn seccomp(&self) -> Result<String> {
        let features = self.command("runc").arg("features").read()?;
        let features: serde_json::Value =
            serde_json::from_str(&features).context("runc features printed no JSON")?;
        if features["linux"]["seccomp"]["enabled"] != true {
            bail!("runc features: seccomp is not enabled");
        }
        let options = self.docker_ok(&["info", "--format", "{{json .SecurityOptions}}"])?;
        if !options.contains("name=seccomp") {
            bail!(
                "docker info security options lack seccomp: {}",
                options.trim()
            );
        }
        Ok("runc and dockerd report seccomp".into())
    }

    /// Stops what we started (by pid), unmounts what is mounted under our folder, removes it.
    fn stop(&mut self) -> Result<()> {
        if let Some(daemon) = self.daemon.take() {
            for pid in daemon.pids() {
                // SAFETY: signalling a child we started.
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            while daemon.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        kill_processes_mentioning(&self.root);
        unmount_under(&self.root)?;
        if let Some(tmp) = self.tmp.take() {
            tmp.close()
                .with_context(|| format!("cannot remove {}", self.root))?;
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.tmp.is_some() {
            let _ = self.stop();
        }
    }
}

/// What `docker version` says that the manifest does not.
fn version_mismatches(report: &serde_json::Value, manifest: &Manifest) -> Vec<String> {
    let component = |name: &str| manifest.components.iter().find(|c| c.name == name);
    let short = |name: &str| {
        component(name)
            .map(|c| c.commit[..7].to_owned())
            .unwrap_or_default()
    };
    let full = |name: &str| {
        component(name)
            .map(|c| c.commit.clone())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    let mut expect = |what: &str, got: &serde_json::Value, want: &str| {
        let got = got.as_str().unwrap_or("(missing)");
        if got.trim_end_matches("-dirty") != want {
            problems.push(format!("{what} is {got}, the manifest says {want}"));
        }
    };
    expect(
        "client version",
        &report["Client"]["Version"],
        &manifest.version,
    );
    expect(
        "client commit",
        &report["Client"]["GitCommit"],
        &short("cli"),
    );
    expect(
        "engine version",
        &report["Server"]["Version"],
        &manifest.version,
    );
    expect(
        "engine commit",
        &report["Server"]["GitCommit"],
        &short("moby"),
    );
    let components = report["Server"]["Components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let find = |name: &str| {
        components
            .iter()
            .find(|c| c["Name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    let version_of = |name: &str| {
        component(name)
            .map(|c| c.version.clone())
            .unwrap_or_default()
    };
    expect(
        "containerd version",
        &find("containerd")["Version"],
        &format!("v{}", version_of("containerd")),
    );
    expect(
        "containerd commit",
        &find("containerd")["Details"]["GitCommit"],
        &full("containerd"),
    );
    expect(
        "runc version",
        &find("runc")["Version"],
        &version_of("runc"),
    );
    expect(
        "runc commit",
        &find("runc")["Details"]["GitCommit"],
        &full("runc"),
    );
    expect(
        "docker-init version",
        &find("docker-init")["Version"],
        &version_of("tini"),
    );
    expect(
        "docker-init commit",
        &find("docker-init")["Details"]["GitCommit"],
        &short("tini"),
    );
    problems
}

/// A root file system with a static busybox and a page for its httpd.
fn rootfs_tar(busybox: &[u8], page: &str) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, bytes: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_mode(mode);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, bytes)?;
        Ok(())
    };
    add("bin/busybox", 0o755, busybox)?;
    add("www/index.html", 0o644, page.as_bytes())?;
    Ok(builder.into_inner()?)
}

/// GET / on 127.0.0.1:port, retried until it answers or `timeout` passes.
fn http_get_until(port: u16, timeout: Duration) -> Result<String> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port).into(),
            Duration::from_secs(2),
        ) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
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
    bail!(
        "127.0.0.1:{port} did not answer within {}s ({last})",
        timeout.as_secs()
    )
}

/// Kills leftovers (shims, containerd) whose command line names our folder.
fn kill_processes_mentioning(root: &Utf8Path) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(root.as_str()) {
            // SAFETY: SIGKILL to a process that names our temporary folder: one we started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

/// Mount points at or under `root`, deepest first, from `/proc/self/mountinfo` text.
fn mounts_under(mountinfo: &str, root: &Utf8Path) -> Vec<String> {
    let mut points: Vec<String> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|p| Utf8Path::new(p).starts_with(root))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    points.dedup();
    points
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(field: &str) -> String {
    let mut out = Vec::new();
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = u8::from_str_radix(&field[i + 1..i + 4], 8).unwrap_or(b'?');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unmount_under(root: &Utf8Path) -> Result<()> {
    for _ in 0..3 {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let points = mounts_under(&mountinfo, root);
        if points.is_empty() {
            return Ok(());
        }
        for point in points {
            let c = std::ffi::CString::new(point.as_bytes())?;
            // SAFETY: a valid path; MNT_DETACH never blocks on busy mounts.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let left = mounts_under(
        &std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
        root,
    );
    if left.is_empty() {
        Ok(())
    } else {
        bail!("still mounted: {}", left.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
300 22 0:50 / /tmp/dys-ab12/data/overlay2/x/merged rw - overlay overlay rw
301 22 0:51 / /tmp/dys-ab12/exec/netns/default rw - nsfs nsfs rw
302 22 0:52 / /tmp/dys-ab12/with\\040space rw - tmpfs tmpfs rw
303 22 0:53 / /tmp/dys-other rw - tmpfs tmpfs rw
";

    #[test]
    fn finds_only_our_mounts_deepest_first_and_unescaped() {
        let points = mounts_under(MOUNTINFO, Utf8Path::new("/tmp/dys-ab12"));
        assert_eq!(
            points,
            [
                "/tmp/dys-ab12/data/overlay2/x/merged",
                "/tmp/dys-ab12/exec/netns/default",
                "/tmp/dys-ab12/with space"
            ]
        );
    }

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

    fn manifest() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "format": 1, "version": "29.7.2", "linkage": "static",
            "target": {"os": "linux", "arch": "amd64"}, "source_date_epoch": 0, "bundle_key": "k",
            "files": [],
            "components": [
                comp("cli", "cli", "29.7.2", "a7dcaa6fdb6ed04aacbfdc76357fdae01605609e"),
                comp("moby", "moby", "29.7.2", "6a43e3d5afddf4111da0f864bbc7cae5d7e95001"),
                comp("containerd", "containerd", "2.3.3", "aad11006b869517fcd3009450b6f82da282e1a9b"),
                comp("runc", "runc", "1.4.3", "bb14dabeb7185bb72c8c86735d090dcb20f36587"),
                comp("tini", "tini", "0.19.0", "de40ad007797e0dcd8b7126f27bb87401d224240"),
            ]
        }))
        .unwrap()
    }

    fn comp(name: &str, upstream: &str, version: &str, commit: &str) -> serde_json::Value {
        serde_json::json!({"name": name, "upstream": upstream, "repository": "", "ref": "", "version": version,
            "commit": commit, "dirty": false, "go": null, "tags": [], "binaries": []})
    }

    fn report() -> serde_json::Value {
        serde_json::json!({
            "Client": {"Version": "29.7.2", "GitCommit": "a7dcaa6"},
            "Server": {"Version": "29.7.2", "GitCommit": "6a43e3d", "Components": [
                {"Name": "Engine", "Version": "29.7.2", "Details": {"GitCommit": "6a43e3d"}},
                {"Name": "containerd", "Version": "v2.3.3", "Details": {"GitCommit": "aad11006b869517fcd3009450b6f82da282e1a9b"}},
                {"Name": "runc", "Version": "1.4.3", "Details": {"GitCommit": "bb14dabeb7185bb72c8c86735d090dcb20f36587"}},
                {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": "de40ad0"}}
            ]}
        })
    }

    #[test]
    fn a_matching_docker_version_has_no_mismatches() {
        assert_eq!(
            version_mismatches(&report(), &manifest()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_wrong_or_missing_field_is_named() {
        let mut r = report();
        r["Server"]["Components"][2]["Details"]["GitCommit"] = "v1.4.3-0-gbb14dab".into();
        r["Client"]["Version"] = "28.0.0".into();
        r["Server"]["Components"].as_array_mut().unwrap().remove(3);
        let problems = version_mismatches(&r, &manifest());
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("client version is 28.0.0"),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("runc commit is v1.4.3-0-gbb14dab"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("docker-init version is (missing)"))
        );
    }
}
