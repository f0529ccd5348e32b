//! Fixture daemons for the engine's tests: one tiny Go program, built by the test as
//! `containerd`, `dockerd` and `docker-proxy`. As a daemon it listens on the socket the real one
//! would, answers dockerd's `/_ping` and `/version`, and exits on SIGTERM; as dockerd it also
//! publishes a port the way dockerd does (through its userland proxy, with the status pipe and
//! listening socket on fds 3 and 4) and makes outbound requests from its network; as
//! docker-proxy it serves the socket it is handed.

#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use engine::{Daemon, Engine, Network, UpOptions};

const FIXTURE_DAEMON: &str = r#"package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

var build = "1"

func flag(name string) string {
	for i, a := range os.Args[1:] {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+2 < len(os.Args) {
			return os.Args[i+2]
		}
	}
	return ""
}

// As dockerd's userland proxy: the listening socket on fd 4, the status pipe on fd 3.
func dockerProxy() {
	status := os.NewFile(3, "status")
	l, err := net.FileListener(os.NewFile(4, "listener"))
	if err != nil {
		fmt.Fprintf(status, "1\n%s", err)
		os.Exit(1)
	}
	fmt.Fprint(status, "0\n")
	status.Close()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() { <-stop; os.Exit(0) }()
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "fixture docker-proxy for %s:%s", flag("-host-ip"), flag("-host-port"))
	}))
}

var proxies sync.Map

// What dockerd does for `docker run -p IP:PORT:…`: bind the port in its own network, hand it
// to the userland proxy with a status pipe, and report what the proxy says.
func publish(w http.ResponseWriter, ip, port string) {
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, port))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	sock, _ := l.(*net.TCPListener).File()
	l.Close()
	r, pipe, _ := os.Pipe()
	cmd := exec.Command(flag("--userland-proxy-path"), "-proto", "tcp", "-host-ip", ip,
		"-host-port", port, "-container-ip", "127.0.0.1", "-container-port", "1", "-use-listen-fd")
	cmd.ExtraFiles = []*os.File{pipe, sock}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	pipe.Close()
	sock.Close()
	said, _ := io.ReadAll(r)
	if !strings.HasPrefix(string(said), "0\n") {
		cmd.Wait()
		http.Error(w, strings.TrimPrefix(string(said), "1\n"), 500)
		return
	}
	proxies.Store(port, cmd)
	w.Write([]byte("published"))
}

func main() {
	self := filepath.Base(os.Args[0])
	if self == "docker-proxy" {
		dockerProxy()
		return
	}
	if build == "broken" && self == "dockerd" {
		fmt.Println("fixture dockerd: cannot start (as this test asks)")
		os.Exit(3)
	}
	var socket string
	if self == "containerd" {
		socket = flag("--address")
	} else {
		socket = strings.TrimPrefix(flag("--host"), "unix://")
		if c, err := net.Dial("unix", flag("--containerd")); err != nil {
			fmt.Println("fixture dockerd: containerd does not answer:", err)
			os.Exit(1)
		} else {
			c.Close()
		}
		os.WriteFile(flag("--pidfile"), []byte(fmt.Sprint(os.Getpid())), 0o644)
	}
	os.MkdirAll(filepath.Dir(socket), 0o700)
	l, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() {
		<-stop
		l.Close()
		fmt.Println("fixture", self, "build", build, ": stopped")
		os.Exit(0)
	}()
	fmt.Println("fixture", self, "build", build, ": listening on", socket)
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_ping":
			w.Write([]byte("OK"))
		case "/version":
			fmt.Fprintf(w, `{"Version":"fixture-%s"}`, build)
		case "/publish":
			publish(w, r.URL.Query().Get("ip"), r.URL.Query().Get("port"))
		case "/unpublish":
			if cmd, ok := proxies.LoadAndDelete(r.URL.Query().Get("port")); ok {
				cmd.(*exec.Cmd).Process.Signal(os.Interrupt)
				cmd.(*exec.Cmd).Wait()
			}
		case "/fetch":
			// An outbound request from the daemon's network, as a pull is.
			resp, err := http.Get(r.URL.Query().Get("url"))
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			io.Copy(w, resp.Body)
			resp.Body.Close()
		case "/udp":
			c, err := net.Dial("udp", r.URL.Query().Get("addr"))
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			c.Write([]byte("ping"))
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, err := c.Read(buf)
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			w.Write(buf[:n])
		}
	}))
}
"#;

/// The fixture daemon, built once per test run for each `build` stamp.
pub fn fixture_daemon(build: &str) -> Utf8PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("go.mod"),
            "module fixture/daemon\n\ngo 1.22\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("main.go"), FIXTURE_DAEMON).unwrap();
        dir
    });
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap();
    let src = Utf8Path::from_path(dir.path()).unwrap();
    let out = src.join(format!("daemon-{build}"));
    if !out.exists() {
        let status = std::process::Command::new("go")
            .args(["build", "-ldflags"])
            .arg(format!("-X main.build={build}"))
            .arg("-o")
            .arg(out.as_str())
            .arg(".")
            .current_dir(src)
            .env("GOTOOLCHAIN", "local")
            .env("GOCACHE", test_fixtures::go_cache())
            .env("GOFLAGS", "-mod=mod")
            .env("CGO_ENABLED", "0")
            .status()
            .unwrap();
        assert!(status.success(), "the fixture daemon builds");
    }
    out
}

/// A bundle folder `name/docker/` whose containerd and dockerd are the fixture, stamped `build`.
pub fn bundle(root: &Utf8Path, name: &str, build: &str) -> Utf8PathBuf {
    let bundle = root.join(name);
    std::fs::create_dir_all(bundle.join("docker")).unwrap();
    for daemon in ["containerd", "dockerd", "docker-proxy"] {
        install(&bundle, daemon, build);
    }
    bundle
}

/// Replaces one binary of the bundle, as a republish does (a new file, not a rewrite, and a
/// manifest listing every binary's checksum).
pub fn install(bundle: &Utf8Path, daemon: &str, build: &str) {
    let dest = bundle.join("docker").join(daemon);
    let staged = bundle.join("docker").join(format!(".{daemon}.new"));
    std::fs::copy(fixture_daemon(build), &staged).unwrap();
    std::fs::rename(&staged, &dest).unwrap();
    write_manifest(bundle);
}

/// Puts a shell script into the bundle as `path` (`docker/docker`, `cli-plugins/docker-buildx`)
/// the way a republish does.
pub fn install_script(bundle: &Utf8Path, path: &str, script: &str) {
    let dest = bundle.join(path);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let staged = dest.with_file_name(".new");
    std::fs::write(&staged, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&staged, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::rename(&staged, &dest).unwrap();
    write_manifest(bundle);
}

/// A manifest listing every binary of the bundle with its checksum.
fn write_manifest(bundle: &Utf8Path) {
    let mut files: Vec<serde_json::Value> = Vec::new();
    for folder in ["docker", "cli-plugins"] {
        let Ok(entries) = bundle.join(folder).read_dir_utf8() else {
            continue;
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        for name in names {
            let path = bundle.join(folder).join(&name);
            files.push(serde_json::json!({
                "path": format!("{folder}/{name}"),
                "sha256": build_core::digest::sha256_file(&path).unwrap(),
                "size": std::fs::metadata(&path).unwrap().len(),
            }));
        }
    }
    let manifest = serde_json::json!({
        "format": bundle_format::manifest::FORMAT,
        "version": "29.7.2",
        "linkage": "static",
        "target": build_core::Target::host(),
        "source_date_epoch": 0,
        "bundle_key": "fixture",
        "components": [],
        "files": files,
    });
    std::fs::write(bundle.join("manifest.json"), manifest.to_string()).unwrap();
}

pub fn state() -> (tempfile::TempDir, Utf8PathBuf) {
    // Short: the daemons' sockets live under it.
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    (dir, root)
}

/// The engine as `up` runs it, in a private network. That needs root: without it a test fails
/// saying so, never falls back to the host's network and passes (CI runs as root).
pub fn options() -> UpOptions {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "an engine's private network needs root: run the tests as root (.ci/run does)"
    );
    let mut options = UpOptions::new(Network::Private);
    options.timeout = Duration::from_secs(30);
    options.port_proxy = Some(env!("CARGO_BIN_EXE_dockyard-proxy").into());
    options
}

pub fn mounts_under(root: &Utf8Path) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| p.starts_with(root.as_str()))
        .map(str::to_owned)
        .collect()
}

pub fn mode(path: &Utf8Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub fn pid_of(engine: &Engine, daemon: Daemon) -> Option<u32> {
    engine.status().daemon(daemon).and_then(|d| d.pid)
}

pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit_once(')').unwrap().1.trim_start().starts_with('Z'))
}
