//! For the repository tests: signing keys, package sets of two fixture releases, a loopback
//! HTTP server, and the real tools they run.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use camino::{Utf8Path, Utf8PathBuf};

use super::{World, stderr, world, world_28, xtask};

/// Runs a real tool the check needs and returns its stdout; CI installs them all (`.ci/run`),
/// and a missing one fails the test naming it.
pub fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed ({e}): .ci/run installs it"));
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    said
}

/// A signing key made for the test in a gpg home of its own; its agent is stopped on drop.
pub struct TestKey {
    pub home: Utf8PathBuf,
    /// The exported secret key, armoured.
    pub secret: Utf8PathBuf,
    /// The public key, armoured.
    pub public: Utf8PathBuf,
    pub fingerprint: String,
}

impl TestKey {
    /// A new ed25519 key called `name`, without a passphrase, under `dir`.
    pub fn new(dir: &Utf8Path, name: &str) -> TestKey {
        let home = dir.join(name);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let gpg = |args: &[&str]| {
            let mut all = vec!["--batch", "--homedir", home.as_str()];
            all.extend(args);
            tool("gpg", &all)
        };
        let uid = format!("{name} <{name}@dockyard.invalid>");
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            &uid,
            "ed25519",
            "sign",
            "never",
        ]);
        let listing = gpg(&["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .unwrap()
            .trim_end_matches(':')
            .to_owned();
        let key = TestKey {
            secret: dir.join(format!("{name}.secret.asc")),
            public: dir.join(format!("{name}.asc")),
            home: home.clone(),
            fingerprint,
        };
        std::fs::write(&key.secret, gpg(&["--armor", "--export-secret-keys"])).unwrap();
        std::fs::write(&key.public, gpg(&["--armor", "--export"])).unwrap();
        key
    }
}

impl Drop for TestKey {
    fn drop(&mut self) {
        stop_agent(&self.home);
    }
}

/// Stops the gpg agent a gpg home started (gpg, dnf's librepo), if any, and removes the
/// folder of its sockets under /run/user/UID.
pub fn stop_agent(home: &Utf8Path) {
    for args in [["--kill", "gpg-agent"].as_slice(), &["--remove-socketdir"]] {
        let _ = Command::new("gpgconf")
            .args(["--homedir", home.as_str()])
            .args(args)
            .output();
    }
}

/// Package sets of two releases, each made by `package` from a fixture bundle: 29.7.2 (the
/// fixtures' set) and 28.5.2 (the 28 line's: containerd 1.7, runc 1.2, compose 2, and buildx
/// pinned at 0.28.0 as Docker 28.5.2's is, so no two releases share a package version).
pub struct Releases {
    pub worlds: [World; 2],
    /// `[29.7.2, 28.5.2]`.
    pub sets: [Utf8PathBuf; 2],
}

pub fn two_releases(format: &str, distro: &str) -> Releases {
    let newer = world();
    let older = world_28();
    let pins = older.root.join("pins.lock");
    let text = std::fs::read_to_string(&pins).unwrap();
    std::fs::write(
        &pins,
        text.replace("version = \"0.34.1\"", "version = \"0.28.0\""),
    )
    .unwrap();
    let sets = [&newer, &older].map(|w| {
        let out = w.root.join("out");
        w.bundle_ok(&out, &["--static"]);
        let bundle = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| Utf8PathBuf::from_path_buf(e.unwrap().path()).unwrap())
            .find(|p| p.file_name().is_some_and(|n| n.starts_with("docker-")))
            .unwrap();
        let output = xtask()
            .args([
                "package",
                format,
                bundle.as_str(),
                "--distro",
                distro,
                "--out",
            ])
            .arg(w.root.join("p").as_str())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        w.root.join("p/packages").join(distro)
    });
    Releases {
        worlds: [newer, older],
        sets,
    }
}

/// `xtask repo KIND SETS… --key KEY --out OUT`, which must succeed.
pub fn repo_ok(kind: &str, sets: &[&Utf8Path], key: &Utf8Path, out: &Utf8Path) -> String {
    let output = repo(kind, sets, key, out);
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output)
}

/// `xtask repo KIND SETS… --key KEY --out OUT`.
pub fn repo(
    kind: &str,
    sets: &[&Utf8Path],
    key: &Utf8Path,
    out: &Utf8Path,
) -> std::process::Output {
    xtask()
        .args(["repo", kind])
        .args(sets.iter().map(|s| s.as_str()))
        .args(["--key", key.as_str(), "--out", out.as_str()])
        .output()
        .unwrap()
}

/// Python's HTTP server on the loopback, serving a folder; stopped on drop.
pub struct Served {
    child: Child,
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Served {
    /// Serves `dir` on a free port: ready once it has said where (it listens before it says).
    pub fn start(dir: &Utf8Path) -> Served {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir.as_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 is needed ({e}): .ci/run installs it"));
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("http.server said: {line}"))
            .to_owned();
        Served {
            child,
            _stdout: stdout,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `said` that start with `prefix`, counted (`Package: ` in a Packages file).
pub fn count(said: &str, prefix: &str) -> usize {
    said.lines().filter(|l| l.starts_with(prefix)).count()
}
