//! The network checks: names on a user-defined network, the host's loopback from a container,
//! a published port from the host, and a registry on the host's loopback, open and behind
//! htpasswd.

use std::time::Duration;

use camino::Utf8Path;

use super::Smoke;
use super::checks::{IMAGE, PAGE, check, with_containers};
use super::http::{HostServer, get_until};
use crate::EngineError;
use crate::uplink;

const HOST_PAGE: &str = "dockyard smoke: served on the host's loopback\n";

pub(super) fn network_names(s: &Smoke<'_>) -> Result<String, EngineError> {
    s.engine.docker_ok(&["network", "create", "dys-net"])?;
    let result = with_containers(s, &["dys-server"], || {
        s.engine.docker_ok(&[
            "run",
            "-d",
            "--name",
            "dys-server",
            "--net",
            "dys-net",
            IMAGE,
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/www",
        ])?;
        let out = s.engine.docker(&[
            "run", "--rm", "--net", "dys-net", IMAGE, "sh", "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://dys-server/ && exit 0; sleep 0.2; done; exit 1",
        ])?;
        check(out.stdout.contains(PAGE.trim()), || {
            format!(
                "wget http://dys-server/ from a second container: {}",
                format!("{} {}", out.stdout, out.stderr).trim()
            )
        })?;
        Ok("wget http://dys-server/ answered through the embedded DNS".into())
    });
    let _ = s.engine.docker(&["network", "rm", "dys-net"]);
    result
}

pub(super) fn reach_host(s: &Smoke<'_>) -> Result<String, EngineError> {
    let server = HostServer::start(HOST_PAGE)?;
    let url = format!("http://{}:{}/", uplink::HOST, server.port());
    let out = s
        .engine
        .docker(&["run", "--rm", IMAGE, "wget", "-qO-", &url])?;
    check(out.stdout == HOST_PAGE, || {
        format!(
            "wget {url}: {}",
            format!("{} {}", out.stdout, out.stderr).trim()
        )
    })?;
    Ok(format!(
        "wget {url} (the host's 127.0.0.1:{})",
        server.port()
    ))
}

pub(super) fn publish_port(s: &Smoke<'_>) -> Result<String, EngineError> {
    if s.options.port_proxy.is_none() {
        return Err(EngineError::Check(
            "no port proxy was given, so ports are published only inside the engine's network"
                .into(),
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(EngineError::io("finding a free port on", "127.0.0.1"))?
        .port();
    let publish = format!("127.0.0.1:{port}:80");
    with_containers(s, &["dys-http"], || {
        s.engine.docker_ok(&[
            "run", "-d", "--name", "dys-http", "-p", &publish, IMAGE, "httpd", "-f", "-p", "80",
            "-h", "/www",
        ])?;
        let body = get_until(port, Duration::from_secs(10))?;
        check(body.contains(PAGE.trim()), || {
            format!("127.0.0.1:{port} answered {body:?}")
        })?;
        Ok(format!("GET http://127.0.0.1:{port}/ on the host answered"))
    })
}

pub(super) fn push_pull(s: &Smoke<'_>) -> Result<String, EngineError> {
    let registry = s
        .registry
        .as_ref()
        .map_err(|e| EngineError::Check(format!("no registry on the host's loopback: {e}")))?;
    // The host's 127.0.0.1:PORT, as the engine reaches it.
    let remote = format!("{}:{}/dockyard-smoke:1", uplink::HOST, registry.port());
    s.engine.docker_ok(&["tag", IMAGE, &remote])?;
    s.engine.docker_ok(&["push", &remote])?;
    s.engine.docker_ok(&["rmi", &remote])?;
    s.engine.docker_ok(&["pull", &remote])?;
    let out = s
        .engine
        .docker_ok(&["run", "--rm", &remote, "echo", "pulled"])?;
    check(out == "pulled\n", || {
        format!("the pulled image printed {out:?}")
    })?;
    let _ = s.engine.docker(&["rmi", &remote]);
    Ok(format!(
        "{remote} (the registry on the host's {})",
        registry.address()
    ))
}

pub(super) fn login(s: &Smoke<'_>) -> Result<String, EngineError> {
    let (registry, auth) = s.auth_registry.as_ref().map_err(|e| {
        EngineError::Check(format!(
            "no registry with htpasswd on the host's loopback: {e}"
        ))
    })?;
    let server = format!("{}:{}", uplink::HOST, registry.port());
    let out = s
        .engine
        .command("docker")
        .args([
            "login",
            "--username",
            &auth.user,
            "--password-stdin",
            &server,
        ])
        .input(auth.password.as_bytes())
        .output()?;
    let said = format!("{}{}", out.stdout, out.stderr);
    check(out.status.success(), || {
        format!("docker login {server}: {}", said.trim())
    })?;
    let remote = format!("{server}/dockyard-smoke:1");
    s.engine.docker_ok(&["tag", IMAGE, &remote])?;
    let pushed = s.engine.docker(&["push", &remote])?;
    let _ = s.engine.docker(&["rmi", &remote]);
    check(pushed.status.success(), || {
        format!("docker push {remote} after login: {}", pushed.stderr.trim())
    })?;
    let password = auth.password.as_bytes();
    check(
        !said.contains(&auth.password) && !pushed.stderr.contains(&auth.password),
        || "docker printed the password".into(),
    )?;
    // Everything but bin/: hard links of the bundle's binaries, written before any login.
    let holders: Vec<String> = std::fs::read_dir(s.engine.root())
        .map_err(EngineError::io("reading", s.engine.root()))?
        .flatten()
        .filter(|e| e.file_name() != "bin")
        .filter_map(|e| camino::Utf8PathBuf::from_path_buf(e.path()).ok())
        .flat_map(|path| match path.is_dir() {
            true => files_containing(&path, password),
            false => files_containing_one(&path, password).into_iter().collect(),
        })
        .collect();
    check(holders.is_empty(), || {
        format!("the password is written in {}", holders.join(", "))
    })?;
    Ok(format!(
        "logged in to {server} and pushed; no file of the engine holds the password"
    ))
}

/// The files under `dir` whose bytes contain `needle` (symlinks and special files skipped).
fn files_containing(dir: &Utf8Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let Ok(path) = camino::Utf8PathBuf::from_path_buf(entry.path()) else {
            continue;
        };
        if kind.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if kind.is_file() {
            found.extend(files_containing_one(&path, needle));
        }
    }
    found
}

/// `path`, if its bytes contain `needle`.
fn files_containing_one(path: &Utf8Path, needle: &[u8]) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    bytes
        .windows(needle.len())
        .any(|w| w == needle)
        .then(|| path.to_string())
}
