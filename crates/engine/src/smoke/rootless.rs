//! Rootless Docker from the bundle's rootless extras: `dockerd-rootless.sh` started as an
//! unprivileged user runs dockerd inside rootlesskit's user namespace (subordinate ids mapped
//! by `newuidmap`, the network through slirp4netns), a container runs there, and a port it
//! publishes answers on the host's loopback.

use std::os::unix::fs::{PermissionsExt, chown};
use std::time::Duration;

use build_core::process::{LoggedCommand, Signal};
use build_core::wait;
use camino::Utf8Path;

use super::Smoke;
use super::checks::{IMAGE, PAGE, check, rootfs_tar};
use super::http::get_until;
use crate::EngineError;

/// The unprivileged user smoke runs rootless dockerd as, made on first use like a service
/// account: `useradd` gives it subordinate ids (`/etc/subuid`, `/etc/subgid`).
pub(crate) const ROOTLESS_USER: &str = "dockyard-rootless";

pub(super) fn rootless(s: &Smoke<'_>, bundle: &Utf8Path) -> Result<String, EngineError> {
    for (program, fix) in [
        (
            "newuidmap",
            "apt-get install uidmap (rootlesskit maps subordinate ids with it)",
        ),
        (
            "slirp4netns",
            "apt-get install slirp4netns (rootless dockerd's network)",
        ),
        ("runuser", "apt-get install util-linux"),
    ] {
        if which::which(program).is_err() {
            return Err(EngineError::MissingProgram { program, fix });
        }
    }
    let tun = std::fs::metadata("/dev/net/tun").map(|m| m.permissions().mode() & 0o006);
    check(matches!(tun, Ok(0o006)), || {
        "rootless networking opens /dev/net/tun as the user, and this machine allows only root \
         (Debian's udev makes it 0666): chmod 0666 /dev/net/tun"
            .into()
    })?;
    let (uid, gid) = user()?;
    // Beside the engine's state folder, so a failed run's leftovers are found and removed with it.
    let dir = s.engine.root().join("rootless");
    let (bin, xdg) = (dir.join("bin"), dir.join("xdg"));
    for folder in [&dir, &bin, &xdg] {
        std::fs::create_dir_all(folder).map_err(EngineError::io("creating", folder))?;
    }
    // The user passes through the engine's state folder (root's only) to reach its own.
    let root = s.engine.root();
    set_mode(root, 0o711)?;
    set_mode(&dir, 0o755)?;
    for folder in ["docker", "docker-rootless-extras"] {
        let from = bundle.join(folder);
        for entry in from
            .read_dir_utf8()
            .map_err(EngineError::io("reading", &from))?
        {
            let entry = entry.map_err(EngineError::io("reading", &from))?;
            let to = bin.join(entry.file_name());
            std::fs::copy(entry.path(), &to).map_err(EngineError::io("copying to", &to))?;
        }
    }
    chown(&xdg, Some(uid), Some(gid)).map_err(EngineError::io("handing over", &xdg))?;
    set_mode(&xdg, 0o700)?;
    let tar = xdg.join("rootfs.tar");
    let bytes = std::fs::read(s.busybox)
        .and_then(|b| rootfs_tar(&b, PAGE))
        .map_err(EngineError::io("making an image from", s.busybox))?;
    std::fs::write(&tar, bytes).map_err(EngineError::io("writing", &tar))?;

    let path = format!("{bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let log = dir.join("dockerd-rootless.log");
    let daemon = LoggedCommand::new("runuser")
        .args(["-u", ROOTLESS_USER, "--", "env", "-i"])
        .arg(format!("PATH={path}"))
        .arg(format!("HOME={xdg}"))
        .arg(format!("XDG_RUNTIME_DIR={xdg}"))
        .arg(bin.join("dockerd-rootless.sh").as_str())
        .args(["--data-root", xdg.join("data").as_str()])
        .spawn_logged(&log)?;
    let socket = format!("unix://{xdg}/docker.sock");
    let docker = |args: &[&str]| {
        LoggedCommand::new(bin.join("docker").as_str())
            .args(["-H", socket.as_str()])
            .args(args.iter().copied())
            .env("DOCKER_CONFIG", xdg.join("client").as_str())
            .output()
    };
    let result = (|| -> Result<String, EngineError> {
        // A daemon that starts to answer is no event to block on: this polls.
        let answered = wait::until(Duration::from_secs(60), Duration::from_millis(200), || {
            if docker(&["version"]).is_ok_and(|o| o.status.success()) {
                Some(true)
            } else {
                (!matches!(daemon.try_wait(), Ok(None))).then_some(false)
            }
        });
        if answered != Ok(true) {
            return Err(EngineError::Check(format!(
                "rootless dockerd did not answer: {}",
                build_core::process::tail_of_file(&log, 8)
            )));
        }
        let info = docker(&["info", "--format", "{{json .SecurityOptions}}"])?;
        check(info.stdout.contains("name=rootless"), || {
            format!("docker info does not say rootless: {}", info.stdout.trim())
        })?;
        let imported = docker(&["import", tar.as_str(), IMAGE])?;
        check(imported.status.success(), || {
            format!("docker import failed: {}", imported.stderr.trim())
        })?;
        let ran = docker(&["run", "--rm", IMAGE, "cat", "/proc/self/uid_map"])?;
        // Root in the container is the unprivileged user outside it.
        let first: Vec<&str> = ran.stdout.split_whitespace().take(3).collect();
        check(first == ["0", uid.to_string().as_str(), "1"], || {
            format!(
                "the container's uid map is not the user's: {} {}",
                ran.stdout.trim(),
                ran.stderr.trim()
            )
        })?;
        // A published port is forwarded from the host by rootlesskit's port driver, which
        // Docker 27's dockerd reaches through rootlesskit-docker-proxy (28 on, by itself).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(EngineError::io("finding a free port on", "127.0.0.1"))?
            .port();
        let publish = format!("127.0.0.1:{port}:80");
        let served = docker(&[
            "run", "-d", "-p", &publish, IMAGE, "httpd", "-f", "-p", "80", "-h", "/www",
        ])?;
        check(served.status.success(), || {
            format!("docker run -p {publish} failed: {}", served.stderr.trim())
        })?;
        let body = get_until(port, Duration::from_secs(10));
        // httpd, PID 1 there, ignores SIGTERM: removed now, dockerd's stop does not wait on it.
        let _ = docker(&["rm", "-f", served.stdout.trim()]);
        let body = body?;
        check(body.contains(PAGE.trim()), || {
            format!("127.0.0.1:{port} answered {body:?}")
        })?;
        Ok(format!(
            "dockerd-rootless.sh as {ROOTLESS_USER} (uid {uid}); a container's root is uid {uid} outside; -p {publish} answered on the host"
        ))
    })();
    stop(&dir);
    // runuser, whose rootlesskit is gone by now.
    let _ = daemon.stop(Signal::Kill, Duration::ZERO);
    // Only once nothing is mounted under it.
    if crate::mounts::unmount_under(&dir).is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    set_mode(root, 0o700)?;
    result
}

/// Stops what runs from `dir`: SIGTERM to rootlesskit, which passes it on to dockerd (and
/// dockerd stops its containerd) and exits once they have, SIGKILL after 15 s; then SIGKILL to
/// whatever still names `dir`. Returns when they are gone.
fn stop(dir: &Utf8Path) {
    let rootlesskit: Vec<u32> = crate::procs::naming(dir)
        .iter()
        .filter(|p| p.program() == "rootlesskit")
        .map(|p| p.pid)
        .collect();
    build_core::process::stop(&rootlesskit, Signal::Terminate, Duration::from_secs(15));
    crate::procs::kill_naming(dir);
}

/// The rootless user's uid and gid, made first if it does not exist.
fn user() -> Result<(u32, u32), EngineError> {
    let id = |flag: &str| {
        LoggedCommand::new("id")
            .args([flag, ROOTLESS_USER])
            .read()
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
    };
    if id("-u").is_none() {
        LoggedCommand::new("useradd")
            .args(["--create-home", "--shell", "/usr/sbin/nologin"])
            .args(["--comment", "dockyard smoke, rootless dockerd"])
            .arg(ROOTLESS_USER)
            .read()?;
    }
    let (Some(uid), Some(gid)) = (id("-u"), id("-g")) else {
        return Err(EngineError::Check(format!("no user {ROOTLESS_USER}")));
    };
    for file in ["/etc/subuid", "/etc/subgid"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        check(
            text.lines()
                .any(|l| l.starts_with(&format!("{ROOTLESS_USER}:"))),
            || {
                format!(
                    "{ROOTLESS_USER} has no subordinate ids in {file}: usermod --add-subuids 200000-265535 --add-subgids 200000-265535 {ROOTLESS_USER}"
                )
            },
        )?;
    }
    Ok((uid, gid))
}

fn set_mode(path: &Utf8Path, mode: u32) -> Result<(), EngineError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(EngineError::io("setting the mode of", path.to_owned()))
}
