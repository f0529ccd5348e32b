//! containerd's client integration suite (`integration/client` of the pinned tree), run as
//! `make integration` runs it, against a folder holding containerd, its runc shim and runc.
//!
//! How the suite finds what it runs (read in containerd 2.3.3's `integration/client`):
//! `TestMain` runs nothing unless the binary gets `-test.root`; with it, it starts `containerd`
//! from `PATH` with the fixed `--root /var/lib/containerd-test --state /run/containerd-test`,
//! and the shim and `runc` come from `PATH` too (`TEST_RUNTIME=io.containerd.runc.v2`, as
//! upstream's CI sets it). So each attempt runs in new mount, network and PID namespaces with
//! `/run` and `/var/lib` bound to folders of the work folder, as moby's suite does here.
//!
//! The images: the tests read their references (`integration/images/image_list.go`) into
//! package variables before `flag.Parse`, so its `-image-list` flag never takes effect in
//! this package. The test binary is instead compiled with `go test -overlay` replacing that
//! one file by a copy, written here into the work folder, whose references name a
//! `docker-registry` on the namespace's loopback (`127.0.0.1:5000`); its storage is filled
//! once with the images [`crate::served`] makes. References written in the tests themselves
//! (`registry.k8s.io/e2e-test-images/busybox:1.29-2`, the Windows images) are not redirected:
//! those tests fail offline whichever build runs them.
//!
//! A test that hangs is one failure, not a stuck run ([`crate::attempt`]): a watchdog reads the
//! test events as they come and stops the attempt when a test has run for five minutes (not
//! counting its wait for its turn), that test is reported as timed out, and the next attempt
//! skips every test that ended or hung. Go's `-test.timeout` stays as a backstop.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::Images;
use crate::attempt::{Watch, read_attempt, skip_pattern, top_level};
use crate::error::{ConformanceError, require};
use crate::marked::{MARKER, append, kill_marked};
use crate::report::{Counts, SuiteRun};
use crate::tap::TestResult;

/// The package, as upstream's Makefile runs it.
pub const CLIENT_PACKAGE: &str = "integration/client";
/// The registry the overlay's references name, inside the namespace.
const REGISTRY: &str = "127.0.0.1:5000";
/// One attempt, in the namespace.
const RUN_CLIENT: &str = include_str!("run-client.sh");
/// At most this many attempts: each skips what the ones before ran.
const ATTEMPTS: usize = 6;
/// How long one test may run (not counting its wait for its turn): upstream's `make
/// integration` gives the whole package `go test`'s default ten minutes.
const TEST_LIMIT: Duration = Duration::from_secs(5 * 60);
/// Go's own timeout for an attempt, should the watchdog not stop it.
const ATTEMPT_LIMIT: &str = "90m";

/// Which of [`crate::served`]'s images stands in for each reference of upstream's list.
const IMAGE_KEYS: &[(&str, &str)] = &[
    ("BusyBox", "busybox"),
    ("BusyBoxByDigest", "busybox"),
    ("VolumeCopyUp", "volume-copy-up"),
    ("VolumeOwnership", "volume-ownership"),
    ("Whiteout", "whiteout-test"),
    ("Pause", "pause"),
];

/// The suite, ready to run: its test binary, `runc-fp`, a copy of `integration/`, and the
/// registry's filled storage.
#[derive(Debug)]
pub struct ContainerdSuite {
    work: Utf8PathBuf,
    go: Utf8PathBuf,
    gotoolchain: String,
    binary: Utf8PathBuf,
    tools: Utf8PathBuf,
    registry: std::path::PathBuf,
    test_limit: Duration,
}

/// `image_list.go`'s text with each reference [`IMAGE_KEYS`] names pointing at the loopback
/// registry, and what the registry must serve (repository, tag, recipe); the digest reference
/// is written once the images are made (`{digest:busybox}` stands for it meanwhile).
fn redirected(list: &str) -> (String, Vec<(String, String, &'static str)>) {
    let mut wanted = Vec::new();
    let mut out = String::with_capacity(list.len());
    for line in list.lines() {
        let parsed = line.trim().split_once(':').and_then(|(key, rest)| {
            let reference = rest.trim().strip_suffix(',')?.trim_matches('"');
            let (_, recipe) = IMAGE_KEYS.iter().find(|(k, _)| *k == key.trim())?;
            let (_, path) = reference.split_once('/')?;
            Some((key.trim(), *recipe, path.to_owned()))
        });
        let Some((key, recipe, path)) = parsed else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let indent = &line[..line.len() - line.trim_start().len()];
        let (repo, reference) = match path.split_once('@') {
            Some((repo, _)) => (repo.to_owned(), format!("{repo}@{{digest:{recipe}}}")),
            None => {
                let (repo, tag) = path.rsplit_once(':').unwrap_or((path.as_str(), "latest"));
                wanted.push((repo.to_owned(), tag.to_owned(), recipe));
                (repo.to_owned(), path.clone())
            }
        };
        if path.contains('@') {
            // Served under a tag of its own, so its repository links the blobs.
            wanted.push((repo, "by-digest".to_owned(), recipe));
        }
        out.push_str(&format!("{indent}{key}: \"{REGISTRY}/{reference}\",\n"));
    }
    (out, wanted)
}

impl ContainerdSuite {
    /// Makes the images into a registry storage in `work`, compiles `integration/client` of
    /// `tree` with `go test -c` (offline, from `vendor/`) over the redirected image list, and
    /// builds `runc-fp` (the failpoint runc its tests name) as its Makefile's `bin/runc-fp`.
    pub fn prepare(
        tree: &Utf8Path,
        go: &GoToolchain,
        gocache: &Utf8Path,
        work: &Utf8Path,
        images: &Images,
        progress: &dyn Progress,
    ) -> Result<ContainerdSuite, ConformanceError> {
        for (program, package) in [("unshare", "util-linux"), ("ip", "iproute2")] {
            require(program, package, "containerd's client tests")?;
        }
        let registry = require(
            "docker-registry",
            "docker-registry",
            "containerd's client tests",
        )?;
        let list_file = tree.join("integration/images/image_list.go");
        if !tree.join(CLIENT_PACKAGE).is_dir() || !list_file.is_file() {
            return Err(ConformanceError::NotASuite {
                tree: tree.to_owned(),
                what: "integration/client and integration/images/image_list.go",
            });
        }
        // containerd 1.7's integration/client is a module of its own, not vendored: its
        // dependencies would come from Go's module proxy, which this harness does not use.
        if tree.join(CLIENT_PACKAGE).join("go.mod").is_file() || !tree.join("vendor").is_dir() {
            return Err(ConformanceError::NotASuite {
                tree: tree.to_owned(),
                what: "integration/client built from the root's vendor/ (containerd 2.x; 1.7's is a module of its own)",
            });
        }
        crate::run::copy_suite_into(tree, work)?;
        let list = std::fs::read_to_string(&list_file)
            .map_err(ConformanceError::io("reading", &list_file))?;
        let (mut text, wanted) = redirected(&list);
        if wanted.is_empty() {
            return Err(ConformanceError::NotASuite {
                tree: tree.to_owned(),
                what: "image references dockyard knows in integration/images/image_list.go",
            });
        }
        let served = crate::served::fill(&work.join("registry"), images, &wanted, progress)?;
        for ((repo, tag), digest) in &served {
            let recipe = wanted
                .iter()
                .find(|(r, t, _)| r == repo && t == tag)
                .map_or("", |w| w.2);
            text = text.replace(&format!("{{digest:{recipe}}}"), digest);
        }
        let overlay = work.join("overlay");
        std::fs::create_dir_all(&overlay).map_err(ConformanceError::io("creating", &overlay))?;
        let replaced = overlay.join("image_list.go");
        std::fs::write(&replaced, &text).map_err(ConformanceError::io("writing", &replaced))?;
        let overlay_json = overlay.join("overlay.json");
        let json = serde_json::json!({"Replace": {list_file.as_str(): replaced.as_str()}});
        std::fs::write(&overlay_json, json.to_string())
            .map_err(ConformanceError::io("writing", &overlay_json))?;
        let config = work.join("registry.yml");
        let storage = work.join("registry");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {storage}\n\
                 http:\n  addr: {REGISTRY}\n"
            ),
        )
        .map_err(ConformanceError::io("writing", &config))?;
        let tools = work.join("tools");
        std::fs::create_dir_all(&tools).map_err(ConformanceError::io("creating", &tools))?;
        let binary = work.join("client.test");
        let go_command = |args: &[&str]| {
            LoggedCommand::new(go.go.as_str())
                .args(args.iter().copied())
                .cwd(tree)
                .env("GOTOOLCHAIN", &go.gotoolchain)
                .env("GOFLAGS", "-mod=vendor")
                .env("GOPROXY", "off")
                .env("GOCACHE", gocache.as_str())
        };
        progress.status("Compiling", "containerd's integration/client tests");
        go_command(&["test", "-c", "-o", binary.as_str()])
            .arg(format!("-overlay={overlay_json}"))
            .arg(format!("./{CLIENT_PACKAGE}"))
            .read()?;
        progress.status(
            "Compiling",
            "containerd's runc-fp (its Makefile's bin/runc-fp)",
        );
        let runc_fp = tools.join("runc-fp");
        go_command(&["build", "-o", runc_fp.as_str()])
            .arg("./integration/failpoint/cmd/runc-fp")
            .read()?;
        Ok(ContainerdSuite {
            work: work.to_owned(),
            go: go.go.clone(),
            gotoolchain: go.gotoolchain.clone(),
            binary,
            tools,
            registry,
            test_limit: TEST_LIMIT,
        })
    }

    /// The same suite with each test allowed `limit` (five minutes unless set).
    pub fn with_test_limit(mut self, limit: Duration) -> ContainerdSuite {
        self.test_limit = limit;
        self
    }

    /// Runs the tests (those matching `filter`, when given) against the binaries in `bin`
    /// (containerd, containerd-shim-runc-v2, ctr, runc, first on `PATH`); `side` names them in
    /// the report, the raw test2json output goes to `log`. Stops, and cleans up, at
    /// `interrupted`. A run in which no test ran is an error.
    pub fn run(
        &self,
        bin: &Utf8Path,
        side: &str,
        filter: Option<&str>,
        log: &Utf8Path,
        progress: &dyn Progress,
        interrupted: &AtomicBool,
    ) -> Result<SuiteRun, ConformanceError> {
        let started = Instant::now();
        let _ = std::fs::remove_file(log);
        let script = self.work.join("run-client.sh");
        std::fs::write(&script, RUN_CLIENT).map_err(ConformanceError::io("writing", &script))?;
        let path = format!(
            "{bin}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.tools
        );
        let mut results: Vec<TestResult> = Vec::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        for attempt in 1..=ATTEMPTS {
            if interrupted.load(Ordering::SeqCst) {
                break;
            }
            let root = self.work.join(side).join(format!("attempt-{attempt}"));
            build_core::fs::remove_dir_all_if_exists(&root)
                .map_err(ConformanceError::io("removing", &root))?;
            for folder in ["run", "varlib", "home"] {
                std::fs::create_dir_all(root.join(folder))
                    .map_err(ConformanceError::io("creating", root.join(folder)))?;
            }
            let json = root.join("test.json");
            let skip = skip_pattern(&done);
            progress.status(
                "Running",
                &format!(
                    "containerd suite ({side}), attempt {attempt}{}",
                    if done.is_empty() {
                        String::new()
                    } else {
                        format!(", skipping the {} tests that ran", done.len())
                    }
                ),
            );
            let namespace = LoggedCommand::new("unshare")
                .args(["--mount", "--net", "--pid", "--fork", "--mount-proc"])
                .args([
                    "--propagation",
                    "private",
                    "--kill-child",
                    "bash",
                    script.as_str(),
                ])
                .env("PATH", &path)
                .env("DY_ROOT", root.as_str())
                .env("DY_REGISTRY", self.registry.to_string_lossy().as_ref())
                .env(
                    "DY_REGISTRY_CONFIG",
                    self.work.join("registry.yml").as_str(),
                )
                .env("DY_PACKAGE", CLIENT_PACKAGE)
                .env("DY_PACKAGE_DIR", self.work.join(CLIENT_PACKAGE).as_str())
                .env("DY_TEST_BINARY", self.binary.as_str())
                .env("DY_JSON", json.as_str())
                .env("DY_GO", self.go.as_str())
                .env("GOTOOLCHAIN", &self.gotoolchain)
                .env("DY_TIMEOUT", ATTEMPT_LIMIT)
                .env("DY_FILTER", filter.unwrap_or(""))
                .env("DY_SKIP", &skip)
                .env("MARKER_NAME", MARKER)
                .env("MARKER_VALUE", self.work.as_str())
                .env(MARKER, self.work.as_str());
            let namespace_log = root.join("namespace.log");
            let running = namespace.spawn_logged(&namespace_log)?;
            // The watchdog: test2json's events, read as they come, name a test running too long.
            let mut watch = Watch::new();
            let hung =
                build_core::wait::until(build_core::wait::FOREVER, Duration::from_secs(1), || {
                    let hung = watch.hung(&json, self.test_limit);
                    let ended = !matches!(running.try_wait(), Ok(None));
                    (ended || interrupted.load(Ordering::SeqCst) || !hung.is_empty())
                        .then_some(hung)
                })
                .unwrap_or_default();
            let _ = running.stop(build_core::process::Signal::Kill, Duration::ZERO);
            kill_marked(&self.work);
            if interrupted.load(Ordering::SeqCst) {
                break;
            }
            let events = std::fs::read_to_string(&json).unwrap_or_default();
            append(log, &format!("=== attempt {attempt} ({side})\n{events}\n"))?;
            let limit = match self.test_limit.as_secs() {
                s if s % 60 == 0 => format!("{}m", s / 60),
                s => format!("{s}s"),
            };
            let attempt_results = read_attempt(CLIENT_PACKAGE, &events, &hung, &limit);
            let before = done.len();
            for r in &attempt_results.results {
                done.insert(top_level(&r.name).to_owned());
            }
            results.extend(attempt_results.results);
            progress.status(
                "Ran",
                &format!(
                    "containerd suite ({side}) attempt {attempt}: so far {}",
                    Counts::of(&results)
                ),
            );
            for folder in ["run", "varlib"] {
                let _ = build_core::fs::remove_dir_all_if_exists(&root.join(folder));
            }
            if !attempt_results.stopped || done.len() == before {
                break;
            }
        }
        // A package that failed before any test (its TestMain, a flag) ran nothing either.
        let nothing_ran = results.iter().all(|r| r.name == "(package)");
        if nothing_ran && !interrupted.load(Ordering::SeqCst) {
            let namespace_log = self.work.join(side).join("attempt-1/namespace.log");
            return Err(ConformanceError::NothingRan {
                tail: build_core::process::tail_of_file(&namespace_log, 5),
                log: namespace_log,
            });
        }
        Ok(SuiteRun {
            suite: "containerd",
            side: side.to_owned(),
            results,
            log: log.to_owned(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_the_loopback_registry_and_what_it_must_serve() {
        let list = "\timageList = ImageList{\n\
            \t\tAlpine:           \"ghcr.io/containerd/alpine:3.14.0\",\n\
            \t\tBusyBox:          \"ghcr.io/containerd/busybox:1.36\",\n\
            \t\tBusyBoxByDigest:  \"ghcr.io/containerd/busybox@sha256:7b3c\",\n\
            \t\tPause:            \"registry.k8s.io/pause:3.10.2\",\n\t}\n";
        let (text, wanted) = redirected(list);
        assert!(text.contains("\t\tAlpine:           \"ghcr.io/containerd/alpine:3.14.0\",\n"));
        assert!(text.contains("\t\tBusyBox: \"127.0.0.1:5000/containerd/busybox:1.36\",\n"));
        assert!(text.contains(
            "\t\tBusyBoxByDigest: \"127.0.0.1:5000/containerd/busybox@{digest:busybox}\",\n"
        ));
        assert!(text.contains("\t\tPause: \"127.0.0.1:5000/pause:3.10.2\",\n"));
        let wanted: Vec<(&str, &str, &str)> = wanted
            .iter()
            .map(|(r, t, k)| (r.as_str(), t.as_str(), *k))
            .collect();
        assert_eq!(
            wanted,
            [
                ("containerd/busybox", "1.36", "busybox"),
                ("containerd/busybox", "by-digest", "busybox"),
                ("pause", "3.10.2", "pause")
            ]
        );
    }
}
