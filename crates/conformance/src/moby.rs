//! moby's API integration suite (the `integration/<area>` Go test packages of the pinned
//! tree), run as `hack/make/test-integration` runs it, against a folder of engine binaries.
//!
//! How the suite finds what it runs (read in `hack/make/.integration-test-helpers`,
//! `.integration-daemon-start` and `internal/testutil/daemon`): each package is compiled with
//! `go test -c` and run from its own folder with `-test.v`, in an environment `env -i` builds;
//! the tests talk to a running dockerd at `DOCKER_HOST` and start daemons of their own with
//! `dockerd` from `PATH`, under `DEST`, connected to the first daemon's containerd at
//! `/var/run/docker/containerd/containerd.sock`. Upstream runs all this in its dev container;
//! here each package runs in new mount, network and PID namespaces (util-linux `unshare`)
//! with `/run` and `/var/lib` bound to folders of the work folder (and `TMPDIR` in that
//! `/run`, short enough for sockets), so the daemons' default paths are the run's own, nothing reaches the host's, and when the namespace's first
//! process ends the kernel ends every process, mount and network the package left.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{ConformanceError, require};
use crate::marked::{MARKER, append, kill_marked, wait_or_stop};
use crate::report::{Counts, SuiteRun};
use crate::tap::TestResult;

/// The packages run when none are named: what fits in about half an hour on two cores.
pub const DEFAULT_PACKAGES: &[&str] = &[
    "integration/container",
    "integration/image",
    "integration/network",
    "integration/volume",
    "integration/system",
];

/// One package, as the namespace runs it: the daemon, the images, then the tests.
const RUN_PACKAGE: &str = include_str!("run-package.sh");
/// The suite, ready to run: a test binary per package, and a copy of `integration/`.
#[derive(Debug)]
pub struct MobySuite {
    work: Utf8PathBuf,
    go: Utf8PathBuf,
    gotoolchain: String,
    packages: Vec<(String, Utf8PathBuf)>,
}

impl MobySuite {
    /// Compiles each of `packages` (`integration/volume`) of `tree` with `go test -c` (into
    /// `gocache`) and copies `integration/` into `work`, where the tests run.
    pub fn prepare(
        tree: &Utf8Path,
        packages: &[String],
        go: &GoToolchain,
        gocache: &Utf8Path,
        work: &Utf8Path,
        progress: &dyn Progress,
    ) -> Result<MobySuite, ConformanceError> {
        for (program, package) in [("unshare", "util-linux"), ("ip", "iproute2")] {
            require(program, package, "moby's integration suite")?;
        }
        if !tree.join("go.mod").is_file() || !tree.join("integration").is_dir() {
            return Err(ConformanceError::NotASuite {
                tree: tree.to_owned(),
                what: "go.mod and integration/ (the suite runs from moby 29 on)",
            });
        }
        crate::run::copy_suite_into(tree, work)?;
        let bin = work.join("bin");
        std::fs::create_dir_all(&bin).map_err(ConformanceError::io("creating", &bin))?;
        let mut built = Vec::new();
        for (i, package) in packages.iter().enumerate() {
            if !tree.join(package).is_dir() {
                return Err(ConformanceError::NoPackage {
                    tree: tree.to_owned(),
                    package: package.clone(),
                });
            }
            progress.status(
                "Compiling",
                &format!("moby's {package} tests ({}/{})", i + 1, packages.len()),
            );
            let binary = bin.join(format!("{}.test", package.replace('/', "-")));
            LoggedCommand::new(go.go.as_str())
                .args(["test", "-c", "-o", binary.as_str()])
                .arg(format!("./{package}"))
                .cwd(tree)
                .env("GOTOOLCHAIN", &go.gotoolchain)
                .env("GOFLAGS", "-mod=vendor")
                .env("GOPROXY", "off")
                .env("GOCACHE", gocache.as_str())
                .read()?;
            built.push((package.clone(), binary));
        }
        Ok(MobySuite {
            work: work.to_owned(),
            go: go.go.clone(),
            gotoolchain: go.gotoolchain.clone(),
            packages: built,
        })
    }

    /// The programs upstream's dev container puts on `PATH` for the tests, under the names the
    /// tests call: `registry` (`internal/testutil/registry` runs `registry serve CONFIG`) is
    /// Debian's `docker-registry`, distribution 2.8 where upstream's Dockerfile copies 3.1's;
    /// `ping` (upstream's has inetutils-ping) must be on `PATH` already.
    fn test_tools(&self) -> Result<Utf8PathBuf, ConformanceError> {
        let registry = require(
            "docker-registry",
            "docker-registry",
            "moby's registry tests",
        )?;
        // Run on the host side by the network tests (TestStatsNetworkStats), as upstream's dev
        // container has it.
        require("ping", "inetutils-ping", "moby's network tests")?;
        let tools = self.work.join("tools");
        build_core::fs::remove_dir_all_if_exists(&tools)
            .map_err(ConformanceError::io("removing", &tools))?;
        std::fs::create_dir_all(&tools).map_err(ConformanceError::io("creating", &tools))?;
        std::os::unix::fs::symlink(registry, tools.join("registry"))
            .map_err(ConformanceError::io("linking", tools.join("registry")))?;
        Ok(tools)
    }

    /// Runs every package (the tests matching `filter`, when given) against the binaries in
    /// `bin` (dockerd, containerd, runc, docker…, first on `PATH`), with the `docker save`
    /// archive `frozen` loaded into each package's first daemon; `side` names the binaries in the report. Each package's raw
    /// output goes to `log`. Stops, and cleans up, at `interrupted`.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        bin: &Utf8Path,
        side: &str,
        frozen: &Utf8Path,
        filter: Option<&str>,
        log: &Utf8Path,
        progress: &dyn Progress,
        interrupted: &AtomicBool,
    ) -> Result<SuiteRun, ConformanceError> {
        let started = Instant::now();
        let _ = std::fs::remove_file(log);
        let script = self.work.join("run-package.sh");
        std::fs::write(&script, RUN_PACKAGE).map_err(ConformanceError::io("writing", &script))?;
        let script = script.as_str();
        let tools = self.test_tools()?;
        let path =
            format!("{bin}:{tools}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        let mut results: Vec<TestResult> = Vec::new();
        for (i, (package, binary)) in self.packages.iter().enumerate() {
            if interrupted.load(Ordering::SeqCst) {
                break;
            }
            let root = self.work.join(side).join(package.replace('/', "-"));
            build_core::fs::remove_dir_all_if_exists(&root)
                .map_err(ConformanceError::io("removing", &root))?;
            for folder in ["run", "varlib", "dest", "home"] {
                std::fs::create_dir_all(root.join(folder))
                    .map_err(ConformanceError::io("creating", root.join(folder)))?;
            }
            let json = root.join("test.json");
            progress.status(
                "Running",
                &format!(
                    "moby suite ({side}) {}/{} {package}",
                    i + 1,
                    self.packages.len()
                ),
            );
            let namespace = LoggedCommand::new("unshare")
                .args(["--mount", "--net", "--pid", "--fork", "--mount-proc"])
                .args(["--propagation", "private", "--kill-child", "bash", script])
                .env("PATH", &path)
                .env("DY_ROOT", root.as_str())
                .env("DY_FROZEN", frozen.as_str())
                .env("DY_PACKAGE", package.as_str())
                .env("DY_PACKAGE_DIR", self.work.join(package).as_str())
                .env("DY_TEST_BINARY", binary.as_str())
                .env("DY_JSON", json.as_str())
                .env("DY_GO", self.go.as_str())
                .env("GOTOOLCHAIN", &self.gotoolchain)
                .env("DY_TIMEOUT", "60m")
                .env("DY_FILTER", filter.unwrap_or(""))
                .env("MARKER_NAME", MARKER)
                .env("MARKER_VALUE", self.work.as_str())
                .env(MARKER, self.work.as_str());
            let namespace_log = root.join("namespace.log");
            wait_or_stop(namespace.spawn_logged(&namespace_log)?, interrupted);
            // The namespace's first process took the rest with it; a killed run's stragglers
            // (anything that still carries the marker) go now.
            kill_marked(&self.work);
            if interrupted.load(Ordering::SeqCst) {
                break;
            }
            let events = std::fs::read_to_string(&json).unwrap_or_default();
            if events.trim().is_empty() {
                return Err(ConformanceError::DidNotStart {
                    package: package.clone(),
                    log: namespace_log.clone(),
                    tail: build_core::process::tail_of_file(&namespace_log, 5),
                });
            }
            append(log, &format!("=== {package} ({side})\n{events}\n"))?;
            let ran = crate::gotest::parse(package, &events);
            let package_counts = Counts::of(&ran);
            results.extend(ran);
            progress.status(
                "Ran",
                &format!(
                    "moby suite ({side}) {}/{} {package}: {package_counts}; so far {}",
                    i + 1,
                    self.packages.len(),
                    Counts::of(&results)
                ),
            );
            // The daemons' roots are large; their logs stay under dest/ until the next run.
            for folder in ["run", "varlib"] {
                let _ = build_core::fs::remove_dir_all_if_exists(&root.join(folder));
            }
        }
        Ok(SuiteRun {
            suite: "moby",
            side: side.to_owned(),
            results,
            log: log.to_owned(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
