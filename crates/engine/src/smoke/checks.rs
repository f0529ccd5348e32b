//! The checks, in order. Each removes the containers it made: dockerd waits for running
//! containers when it stops.

use std::time::{Duration, Instant};

use camino::Utf8Path;

use super::network::{login, network_names, publish_port, push_pull, reach_host};
use super::plugins::{buildx_build, compose_up, plugin_versions};
use super::rootless::rootless;
use super::{Check, Smoke};
use crate::EngineError;
use crate::versions::{binaries_show_stamps, check_versions};

pub(super) const IMAGE: &str = "dockyard-smoke:1";
pub(super) const PAGE: &str = "dockyard smoke: served from a container\n";

/// The checks, in order, for the bundle in `bundle`.
pub fn checks(bundle: &Utf8Path) -> Vec<Check<'_>> {
    vec![
        Check::new("start the engine (uplink, containerd, dockerd)", |s| {
            s.up(bundle)
        }),
        Check::new("every binary shows its version and commit", |s| {
            let run = |binary: &str, args: &[&str]| {
                Ok(s.engine
                    .command(binary)
                    .args(args.iter().copied())
                    .output()?)
            };
            binaries_show_stamps(&run, s.manifest)
        }),
        Check::new("docker version matches the manifest", |s| {
            check_versions(&s.engine, s.manifest)
        }),
        Check::new(
            "docker runs buildx and compose as its CLI plugins",
            plugin_versions,
        ),
        Check::new("import a busybox image", import_image),
        Check::new("docker run prints and exits 0", run_echo),
        Check::new(
            "docker buildx build (BuildKit): RUN with a cache mount, and the image runs",
            buildx_build,
        ),
        Check::new(
            "docker compose up -d: two services reach each other by name; down removes them",
            compose_up,
        ),
        Check::new("docker run returns a non-zero exit code", run_exit_code),
        Check::new("docker run --init has docker-init as PID 1", run_init),
        Check::new("seccomp is enabled (runc features, docker info)", seccomp),
        Check::new("docker exec runs in a running container", exec),
        Check::new("a named volume survives its container", volume),
        Check::new(
            "containers on a user-defined network resolve each other by name",
            network_names,
        ),
        Check::new(
            "a container reaches a server on the host's loopback through the uplink",
            reach_host,
        ),
        Check::new(
            "-p 127.0.0.1:PORT answers on the host's loopback",
            publish_port,
        ),
        Check::new(
            "docker push to a registry on the host's loopback, rmi, pull back",
            push_pull,
        ),
        Check::new(
            "docker login to a registry with htpasswd; the password stays out of output, logs and state",
            login,
        ),
        Check::new("--restart on-failure restarts the container", restart),
        Check::new("a health check becomes healthy", health),
        Check::new("--memory is enforced and an excess is OOMKilled", memory),
        Check::new("docker stop -t honours its timeout", stop_timeout),
        Check::new(
            "rootless: dockerd-rootless.sh as an unprivileged user runs a container and publishes a port",
            |s| rootless(s, bundle),
        ),
    ]
}

pub(super) fn check(ok: bool, problem: impl FnOnce() -> String) -> Result<(), EngineError> {
    if ok {
        Ok(())
    } else {
        Err(EngineError::Check(problem()))
    }
}

/// Runs `body` with the containers in `names` removed afterwards, whatever happened.
pub(super) fn with_containers(
    s: &Smoke<'_>,
    names: &[&str],
    body: impl FnOnce() -> Result<String, EngineError>,
) -> Result<String, EngineError> {
    let result = body();
    let mut rm = vec!["rm", "-f", "-v"];
    rm.extend_from_slice(names);
    let _ = s.engine.docker(&rm);
    result
}

/// Polls `docker inspect -f FORMAT NAME` until `done` says so or `timeout` passes.
fn inspect_until(
    s: &Smoke<'_>,
    name: &str,
    format: &str,
    timeout: Duration,
    done: impl Fn(&str) -> bool,
) -> Result<String, EngineError> {
    let mut last = String::new();
    // A container's state, as dockerd reports it, is polled: the smoke client has no event.
    let found = build_core::wait::until(timeout, Duration::from_millis(100), || {
        match s.engine.docker_ok(&["inspect", "-f", format, name]) {
            Ok(value) if done(value.trim()) => Some(Ok(value.trim().to_owned())),
            Ok(value) => {
                last = value.trim().to_owned();
                None
            }
            Err(e) => Some(Err(e)),
        }
    });
    found.unwrap_or_else(|_| {
        Err(EngineError::Check(format!(
            "{name}: {format} is {last:?} after {}s",
            timeout.as_secs()
        )))
    })
}

fn import_image(s: &Smoke<'_>) -> Result<String, EngineError> {
    let tar = s.engine.root().join("rootfs.tar");
    let bytes = std::fs::read(s.busybox)
        .and_then(|b| rootfs_tar(&b, PAGE))
        .map_err(EngineError::io("making an image from", s.busybox))?;
    std::fs::write(&tar, bytes).map_err(EngineError::io("writing", &tar))?;
    s.engine.docker_ok(&["import", tar.as_str(), IMAGE])?;
    Ok(format!("{IMAGE} from {}", s.busybox))
}

fn run_echo(s: &Smoke<'_>) -> Result<String, EngineError> {
    let out = s
        .engine
        .docker_ok(&["run", "--rm", IMAGE, "echo", "hello from dockyard"])?;
    check(out == "hello from dockyard\n", || {
        format!("printed {out:?}")
    })?;
    Ok("hello from dockyard".into())
}

fn run_exit_code(s: &Smoke<'_>) -> Result<String, EngineError> {
    let out = s
        .engine
        .docker(&["run", "--rm", IMAGE, "sh", "-c", "exit 3"])?;
    check(out.code == Some(3), || {
        format!(
            "expected exit code 3, got {:?}: {}",
            out.code,
            out.stderr.trim()
        )
    })?;
    Ok("exit code 3".into())
}

fn run_init(s: &Smoke<'_>) -> Result<String, EngineError> {
    let out = s
        .engine
        .docker_ok(&["run", "--rm", "--init", IMAGE, "cat", "/proc/1/comm"])?;
    check(out.trim() == "docker-init", || {
        format!("PID 1 is {:?}", out.trim())
    })?;
    Ok("PID 1 is docker-init".into())
}

fn seccomp(s: &Smoke<'_>) -> Result<String, EngineError> {
    let features = s.engine.command("runc").arg("features").read()?;
    let features: serde_json::Value = serde_json::from_str(&features)
        .map_err(|_| EngineError::Check("runc features printed no JSON".into()))?;
    check(features["linux"]["seccomp"]["enabled"] == true, || {
        "runc features: seccomp is not enabled".into()
    })?;
    let options = s
        .engine
        .docker_ok(&["info", "--format", "{{json .SecurityOptions}}"])?;
    check(options.contains("name=seccomp"), || {
        format!(
            "docker info security options lack seccomp: {}",
            options.trim()
        )
    })?;
    Ok("runc and dockerd report seccomp".into())
}

fn exec(s: &Smoke<'_>) -> Result<String, EngineError> {
    with_containers(s, &["dys-exec"], || {
        s.engine
            .docker_ok(&["run", "-d", "--name", "dys-exec", IMAGE, "sleep", "60"])?;
        let out =
            s.engine
                .docker_ok(&["exec", "dys-exec", "sh", "-c", "echo exec in $(hostname)"])?;
        check(out.starts_with("exec in "), || format!("printed {out:?}"))?;
        Ok(out.trim().to_owned())
    })
}

fn volume(s: &Smoke<'_>) -> Result<String, EngineError> {
    let mount = "dys-volume:/data";
    let written = s.engine.docker(&[
        "run",
        "--rm",
        "-v",
        mount,
        IMAGE,
        "sh",
        "-c",
        "echo kept > /data/file",
    ]);
    let read = written.and_then(|_| {
        s.engine
            .docker_ok(&["run", "--rm", "-v", mount, IMAGE, "cat", "/data/file"])
    });
    let _ = s.engine.docker(&["volume", "rm", "dys-volume"]);
    let read = read?;
    check(read == "kept\n", || {
        format!("the second container read {read:?}")
    })?;
    Ok("written by one container, read by the next".into())
}

fn restart(s: &Smoke<'_>) -> Result<String, EngineError> {
    with_containers(s, &["dys-restart"], || {
        s.engine.docker_ok(&[
            "run",
            "-d",
            "--name",
            "dys-restart",
            "--restart",
            "on-failure:5",
            IMAGE,
            "sh",
            "-c",
            "exit 1",
        ])?;
        let count = inspect_until(
            s,
            "dys-restart",
            "{{.RestartCount}}",
            Duration::from_secs(10),
            |c| c.parse::<u32>().is_ok_and(|n| n >= 1),
        )?;
        Ok(format!("restarted {count} time(s) after exiting 1"))
    })
}

fn health(s: &Smoke<'_>) -> Result<String, EngineError> {
    with_containers(s, &["dys-health"], || {
        s.engine.docker_ok(&[
            "run",
            "-d",
            "--name",
            "dys-health",
            "--health-cmd",
            "test -f /www/index.html",
            "--health-interval",
            "200ms",
            "--health-start-period",
            "0s",
            IMAGE,
            "sleep",
            "60",
        ])?;
        inspect_until(
            s,
            "dys-health",
            "{{.State.Health.Status}}",
            Duration::from_secs(10),
            |h| h == "healthy" || h == "unhealthy",
        )
        .and_then(|status| {
            check(status == "healthy", || {
                format!("the health check says {status}")
            })?;
            Ok("healthy".into())
        })
    })
}

fn memory(s: &Smoke<'_>) -> Result<String, EngineError> {
    with_containers(s, &["dys-oom"], || {
        // cgroup v2's memory.max, or v1's limit where the machine still mounts v1 controllers.
        let limit = s.engine.docker_ok(&[
            "run",
            "--rm",
            "--memory",
            "32m",
            "--memory-swap",
            "32m",
            IMAGE,
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory.max 2>/dev/null && echo v2 || \
             { cat /sys/fs/cgroup/memory/memory.limit_in_bytes && echo v1; }",
        ])?;
        let (limit, cgroup) = limit.trim().split_once('\n').unwrap_or((limit.trim(), "?"));
        check(limit.trim() == (32 << 20).to_string(), || {
            format!(
                "the container's cgroup ({cgroup}) limits memory to {:?}",
                limit.trim()
            )
        })?;
        // dd fills a buffer of its block size: 128 MiB of it exceeds the limit.
        let out = s.engine.docker(&[
            "run",
            "--name",
            "dys-oom",
            "--memory",
            "32m",
            "--memory-swap",
            "32m",
            IMAGE,
            "sh",
            "-c",
            "dd if=/dev/zero of=/dev/null bs=128M count=1",
        ])?;
        let killed = s
            .engine
            .docker_ok(&["inspect", "-f", "{{.State.OOMKilled}}", "dys-oom"])?;
        check(killed.trim() == "true", || {
            format!("exit code {:?}, OOMKilled {}", out.code, killed.trim())
        })?;
        Ok(format!(
            "limited to 32 MiB (cgroup {}); OOMKilled, exit code {:?}",
            cgroup.trim(),
            out.code
        ))
    })
}

fn stop_timeout(s: &Smoke<'_>) -> Result<String, EngineError> {
    with_containers(s, &["dys-stop"], || {
        // PID 1 with no handler ignores SIGTERM, so only the SIGKILL after the timeout ends it.
        s.engine.docker_ok(&[
            "run",
            "-d",
            "--name",
            "dys-stop",
            IMAGE,
            "sh",
            "-c",
            "trap '' TERM; while :; do sleep 1; done",
        ])?;
        let started = Instant::now();
        s.engine.docker_ok(&["stop", "-t", "2", "dys-stop"])?;
        let took = started.elapsed();
        let code = s
            .engine
            .docker_ok(&["inspect", "-f", "{{.State.ExitCode}}", "dys-stop"])?;
        check(
            took >= Duration::from_secs(2) && took < Duration::from_secs(8),
            || format!("docker stop -t 2 took {:.1}s", took.as_secs_f64()),
        )?;
        check(code.trim() == "137", || {
            format!("exit code {}", code.trim())
        })?;
        Ok(format!(
            "killed after {:.1}s, exit code 137",
            took.as_secs_f64()
        ))
    })
}

/// A root file system with a static busybox, its applets linked under `/bin`, and a page for
/// its httpd.
pub(super) fn rootfs_tar(busybox: &[u8], page: &str) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let header = |mode: u32, size: usize, kind: tar::EntryType| {
        let mut header = tar::Header::new_ustar();
        header.set_mode(mode);
        header.set_size(size as u64);
        header.set_entry_type(kind);
        header
    };
    builder.append_data(
        &mut header(0o755, busybox.len(), tar::EntryType::Regular),
        "bin/busybox",
        busybox,
    )?;
    for applet in [
        "sh", "echo", "cat", "sleep", "wget", "httpd", "dd", "test", "hostname",
    ] {
        let mut link = header(0o777, 0, tar::EntryType::Symlink);
        builder.append_link(&mut link, format!("bin/{applet}"), "busybox")?;
    }
    builder.append_data(
        &mut header(0o644, page.len(), tar::EntryType::Regular),
        "www/index.html",
        page.as_bytes(),
    )?;
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rootfs_holds_busybox_its_applets_and_the_page() {
        let tar = rootfs_tar(b"ELF...", PAGE).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let entries: Vec<(String, u32)> = archive
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
        assert_eq!(entries[0], ("bin/busybox".to_owned(), 0o755));
        assert!(entries.contains(&("bin/sh".to_owned(), 0o777)));
        assert_eq!(
            entries.last().unwrap(),
            &("www/index.html".to_owned(), 0o644)
        );
    }
}
