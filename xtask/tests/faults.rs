//! Bad input and faults lose nothing: one message naming the component, the problem and the
//! fix; nothing half-written; the previous bundle byte-identical; the next run succeeds.

mod common;

use camino::Utf8Path;
use common::{World, published, read, snapshot, stderr, world, xtask};
use test_fixtures::Kind;

/// Runs a bundle that must fail; checks the previous bundle is untouched; returns stderr.
fn fails_leaving_bundle(
    w: &World,
    out: &Utf8Path,
    before: &[(String, Vec<u8>)],
    extra: &[&str],
) -> String {
    let output = w.bundle(out, extra);
    assert!(!output.status.success(), "expected a failure");
    assert_eq!(snapshot(out), before, "the previous bundle changed");
    let text = stderr(&output);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "one message: {text}"
    );
    text
}

// 1. Malformed pins.lock: named with file:line:field, before any fetch or write.
#[test]
fn malformed_pins_are_named_before_anything_is_written() {
    let (w, out, before) = published();
    let pins = w.root.join("pins.lock");
    let good = String::from_utf8(read(&pins)).unwrap();
    let cases = [
        (
            good.replace("tag = \"v1.4.3\"", "tag = v1.4.3"),
            "pins.lock:",
            "-",
        ),
        (format!("{good}\n[runc]\ntag = \"x\"\n"), "duplicate", ""),
        (
            good.replace("version = \"1.4.3\"\n", ""),
            "missing field",
            "version",
        ),
        (
            good.replace("tag = \"v1.4.3\"", "tag = \"v1.4.3\"\nbranch = \"x\""),
            "unknown field",
            "branch",
        ),
    ];
    let cache = w.root.join("cache");
    let cache_before = snapshot(&cache.join("checkouts")).len();
    for (text, says, field) in cases {
        std::fs::write(&pins, &text).unwrap();
        let err = fails_leaving_bundle(&w, &out, &before, &[]);
        assert!(
            err.contains(pins.as_str()) && err.contains(says) && err.contains(field),
            "{err}"
        );
        assert!(
            !err.contains("Reading") && !err.contains("Fetching"),
            "nothing fetched: {err}"
        );
    }
    assert_eq!(
        snapshot(&cache.join("checkouts")).len(),
        cache_before,
        "nothing written to the cache"
    );
}

// 2. Unknown component in a flag: the valid names are listed.
#[test]
fn an_unknown_component_lists_the_valid_names() {
    let (w, out, before) = published();
    for flags in [
        vec!["--source", "contianerd=/tmp"],
        vec!["--mirror", "rnuc=/tmp"],
        vec!["--only", "dockerd"],
    ] {
        let err = fails_leaving_bundle(&w, &out, &before, &flags);
        assert!(
            err.contains("containerd") && err.contains("runc") && err.contains("valid"),
            "{err}"
        );
    }
}

// 5 and 22. Transports and names that could escape are refused before git sees them.
#[test]
fn dangerous_urls_names_and_paths_are_refused() {
    let (w, out, before) = published();
    for (flags, reason) in [
        (
            ["--mirror", "runc=ext::sh -c touch% /tmp/pwned"],
            "git transport helpers (`ext::`, `fd::`) are never used",
        ),
        (
            ["--mirror", "runc=-oProxyCommand=x"],
            "refused: empty, or starts with `-`",
        ),
        (
            ["--mirror", "runc=ssh://-oProxyCommand=x/y"],
            "is not a plain repository URL (it has a leading `-`",
        ),
        (
            ["--mirror", "runc=https://user:hunter2@example.invalid/runc"],
            "`https://***@example.invalid/runc` carries credentials",
        ),
        (["--source", "../runc=/tmp"], "unknown component `../runc`"),
    ] {
        let err = fails_leaving_bundle(&w, &out, &before, &flags);
        assert!(
            err.contains(reason),
            "{flags:?} refused for another reason: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
    assert!(!Utf8Path::new("/tmp/pwned").exists());
    // The output folder is `bundle`'s own flag: given alone.
    let escape = xtask()
        .arg("bundle")
        .args(["--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", w.root.join("cache").as_str()])
        .args(["--out", &format!("{}/../escape", w.root)])
        .output()
        .unwrap();
    let err = stderr(&escape);
    assert!(
        !escape.status.success() && err.contains("give a path without `..`"),
        "{err}"
    );
    assert!(!w.root.parent().unwrap().join("escape").exists());
}

// 6. A working tree that is missing or not a git working tree.
#[test]
fn a_bad_working_tree_path_is_named() {
    let (w, out, before) = published();
    let missing = format!("runc={}", w.root.join("nope"));
    let err = fails_leaving_bundle(&w, &out, &before, &["--source", &missing]);
    assert!(
        err.contains("runc") && err.contains("does not exist"),
        "{err}"
    );
    std::fs::create_dir_all(w.root.join("plain")).unwrap();
    let plain = format!("runc={}", w.root.join("plain"));
    let err = fails_leaving_bundle(&w, &out, &before, &["--source", &plain]);
    assert!(
        err.contains("runc") && err.contains("not a git working tree"),
        "{err}"
    );
}

// 7. An output folder that is a file, unwritable, or inside a source tree.
#[test]
fn a_bad_output_folder_is_named() {
    let w = world();
    let file = w.root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = stderr(&w.bundle(&file, &[]));
    assert!(err.contains("is not a folder"), "{err}");
    assert_eq!(read(&file), b"x");

    let err = stderr(&w.bundle(Utf8Path::new("/proc/dockyard-out"), &[]));
    assert!(err.contains("cannot write"), "{err}");

    let inside = w.repo(Kind::Runc).path.join("out");
    let source = format!("runc={}", w.repo(Kind::Runc).path);
    let err = stderr(&w.bundle(&inside, &["--source", &source]));
    assert!(
        err.contains("inside") && err.contains("source tree"),
        "{err}"
    );
    assert!(!inside.exists());
}

// 11. A C build that fails names the component, its last lines and the log.
#[test]
fn a_failing_c_build_is_named_with_its_log() {
    let (w, out, before) = published();
    let tini = w.repo(Kind::Tini).path.clone();
    std::fs::write(tini.join("src/tini.c"), "int main( { return 0; }\n").unwrap();
    let source = format!("tini={tini}");
    let err = fails_leaving_bundle(&w, &out, &before, &["--source", &source]);
    assert!(
        err.contains("tini: build failed") && err.contains("tini.c") && err.contains("tini.log"),
        "{err}"
    );
}

// 12. Missing toolchain pieces are caught before any fetch, with what to install.
#[test]
fn missing_tools_are_caught_before_any_fetch() {
    let (w, out, before) = published();
    // A PATH with the C tools but no go and no cmake.
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["gcc", "cc", "pkg-config", "make", "ld", "as"] {
        if let Ok(path) = which::which(tool) {
            std::os::unix::fs::symlink(path, bin.join(tool)).unwrap();
        }
    }
    let output = w
        .bundle_command(&out, &[])
        .env("PATH", bin.as_str())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("go: `go` is not on PATH") && err.contains("install Go"),
        "{err}"
    );
    assert!(
        err.contains("cmake") && err.contains("apt-get install cmake"),
        "{err}"
    );
    assert!(
        !err.contains("Reading") && !err.contains("Fetching"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before);
}

// 12. A Go older than a go.mod requires: both versions named, before anything is built.
#[test]
fn a_go_older_than_go_mod_requires_names_both_versions() {
    let (w, out, before) = published();
    let runc = w.repo(Kind::Runc).path.clone();
    std::fs::write(
        runc.join("go.mod"),
        "module github.com/opencontainers/runc\n\ngo 1.99.0\n",
    )
    .unwrap();
    let source = format!("runc={runc}");
    let err = fails_leaving_bundle(&w, &out, &before, &["--source", &source]);
    assert!(
        err.contains("runc") && err.contains("1.99.0") && err.contains("older than"),
        "{err}"
    );
    assert!(!err.contains("Building"), "nothing was built: {err}");
}

// 13. --offline: warm cache works; Go is told never to reach the network.
#[test]
fn offline_with_a_warm_cache_succeeds_and_go_stays_offline() {
    let (w, out, _) = published();
    let warm = w.bundle(&out, &["--offline"]);
    assert!(warm.status.success(), "{}", stderr(&warm));
    let log = read(&w.root.join("cache/work/runc/runc.log"));
    let log = String::from_utf8_lossy(&log);
    assert!(
        log.contains("env: GOPROXY=off") && log.contains("-mod=vendor"),
        "{log}"
    );
}

#[test]
fn offline_with_a_cold_cache_fails_fast_naming_the_commit() {
    let w = world();
    let out = w.root.join("out");
    let output = w.xtask_offline_without_mirrors(&out);
    assert!(!output.status.success());
    let err = stderr(&output);
    // The first upstream pins.lock lists is the first found missing.
    assert!(
        err.contains("--offline") && err.contains(&w.repo(Kind::ALL[0]).head),
        "{err}"
    );
    // Fast, because it stops before building anything.
    assert!(!err.contains("Building"), "{err}");
    assert!(!out.join("docker-29.7.2").exists());
}

// 20. Different working dirs, caches, umask and TZ: identical SHA256SUMS and tgz (also the
// determinism check of the bundle itself).
#[test]
fn bundles_ignore_working_dir_umask_and_time_zone() {
    use std::os::unix::process::CommandExt;
    let (a, b) = (world(), world());
    let (out_a, out_b) = (a.root.join("x/out"), b.root.join("y/z/out"));
    // Each with a Go build cache of its own: the second reuses nothing the first compiled.
    let built_a = a
        .bundle_command(&out_a, &[])
        .env("GOCACHE", a.root.join("gocache"))
        .output()
        .unwrap();
    assert!(built_a.status.success(), "{}", stderr(&built_a));
    let mut cmd = b.bundle_command(&out_b, &[]);
    cmd.env("GOCACHE", b.root.join("gocache"));
    cmd.env("TZ", "Pacific/Kiritimati").current_dir(&b.root);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    for file in ["SHA256SUMS", "docker-29.7.2.tgz"] {
        assert!(
            read(&out_a.join("docker-29.7.2").join(file))
                == read(&out_b.join("docker-29.7.2").join(file)),
            "{file}"
        );
    }
}

// 21. Credentials in the environment never reach output, logs, manifest or tarball.
#[test]
fn credentials_in_the_environment_never_leak() {
    let w = world();
    let out = w.root.join("out");
    let output = w
        .bundle_command(&out, &[])
        .env("GIT_PASSWORD", "hunter2-secret")
        .env("https_proxy", "http://user:hunter2-secret@127.0.0.1:9")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut seen = stderr(&output) + &String::from_utf8_lossy(&output.stdout);
    for (_, bytes) in snapshot(&out)
        .into_iter()
        .chain(snapshot(&w.root.join("cache/work")))
    {
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    let tgz = read(&out.join("docker-29.7.2/docker-29.7.2.tgz"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&tgz[..]), &mut plain)
        .unwrap();
    seen.push_str(&String::from_utf8_lossy(&plain));
    assert!(!seen.contains("hunter2-secret"));
}

// 23. Symlinks are never followed when writing.
#[test]
fn a_planted_symlink_at_the_lock_is_not_followed() {
    let (w, out, before) = published();
    let target = w.root.join("victim");
    std::fs::write(&target, "keep me").unwrap();
    std::fs::remove_file(out.join(".dockyard.lock")).unwrap();
    std::os::unix::fs::symlink(&target, out.join(".dockyard.lock")).unwrap();
    let output = w.bundle(&out, &[]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("locking the output folder") && err.contains(".dockyard.lock"),
        "{err}"
    );
    assert_eq!(read(&target), b"keep me");
    let mut before = before;
    before.retain(|(p, _)| p != ".dockyard.lock");
    let mut now = snapshot(&out);
    now.retain(|(p, _)| p != ".dockyard.lock");
    assert_eq!(now, before);
}
