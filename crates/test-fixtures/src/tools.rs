//! The real tools tests run, found where `.ci/run` installs them; a missing one fails the test,
//! saying how to install it. And the signing keys they use, made as the docs make them.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

/// `program` on `PATH`.
pub fn on_path(program: &str) -> Option<Utf8PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
}

/// A program `go install` puts in place (`cosign`, `actionlint`): on `PATH`, else in
/// `$(go env GOPATH)/bin`. Missing, the test fails, saying how to install it (`package`, as
/// `go install` takes it).
pub fn go_installed(program: &str, package: &str) -> Utf8PathBuf {
    let gopath = || {
        let out = Command::new("go")
            .args(["env", "GOPATH"])
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let dir = Utf8PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        Some(dir.join("bin").join(program)).filter(|p| p.is_file())
    };
    on_path(program).or_else(gopath).unwrap_or_else(|| {
        panic!(
            "{program} is not on PATH nor in $(go env GOPATH)/bin: install it with \
             `go install {package}` (.ci/run does)"
        )
    })
}

/// check-jsonschema: on `PATH`, else the module of the python3 that pip installed it for.
pub fn check_jsonschema() -> Command {
    if let Some(found) = on_path("check-jsonschema") {
        return Command::new(found);
    }
    let module = Command::new("python3")
        .args(["-c", "import check_jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        module,
        "check-jsonschema is not installed: install it with \
         `python3 -m pip install check-jsonschema` (.ci/run does)"
    );
    let mut c = Command::new("python3");
    c.args(["-m", "check_jsonschema"]);
    c
}

/// A P-256 key pair in `dir` as the docs make one with openssl, which cosign and dockyard's
/// signing read: `(NAME.key, NAME.pub)`.
pub fn signing_key_pair(dir: &Utf8Path, name: &str) -> (Utf8PathBuf, Utf8PathBuf) {
    let private = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .status()
            .expect("openssl is not installed (apt-get install openssl)");
        assert!(status.success(), "openssl {args:?}");
    };
    let curve = "ec_paramgen_curve:P-256";
    run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        curve,
        "-out",
        private.as_str(),
    ]);
    run(&[
        "pkey",
        "-in",
        private.as_str(),
        "-pubout",
        "-out",
        public.as_str(),
    ]);
    (private, public)
}
