//! runc's own integration suite (`tests/integration/*.bats` of the pinned tree), run with
//! Debian's `bats` against a given `runc`, as runc's `make localintegration` runs it.
//!
//! How the suite finds what it runs (read in `tests/integration/helpers.bash`): `$RUNC` (else
//! the tree's own `./runc`), helper programs in `tests/cmd/_bin` (the Makefile's `TESTBINS`,
//! built here with the pinned Go), and images `get-images.sh` downloads unless
//! `testdata/NAME-ARCH.tar.xz` exists, which [`Images`] makes locally. Some tests need a
//! terminal: like runc's CI, each file runs under `script`. The suite runs in a copy of
//! `tests/` (it writes into its tree), with `TMPDIR` inside the work folder, so cleanup finds
//! every container state, process and mount it left.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{ConformanceError, require};
use crate::images::Images;
use crate::marked::{MARKER, append, kill_marked, wait_or_stop};
use crate::report::{Counts, SuiteRun};
use crate::tap::{self, TestResult};

/// The suite, ready to run: its copy of `tests/`, helpers built, images in place.
#[derive(Debug)]
pub struct RuncSuite {
    work: Utf8PathBuf,
    files: Vec<Utf8PathBuf>,
}

impl RuncSuite {
    /// Copies `tree`'s `tests/` into `work`, builds the Makefile's `TESTBINS` from `tree` with
    /// `go` (into `gocache`) and puts the images `get-images.sh` names in place.
    pub fn prepare(
        tree: &Utf8Path,
        go: &GoToolchain,
        gocache: &Utf8Path,
        work: &Utf8Path,
        images: &Images,
        progress: &dyn Progress,
    ) -> Result<RuncSuite, ConformanceError> {
        for (program, package) in [
            ("bats", "bats"),
            ("script", "bsdutils"),
            ("jq", "jq"),
            ("gawk", "gawk"),
        ] {
            require(program, package, "runc's integration suite")?;
        }
        let integration = tree.join("tests/integration");
        let makefile = std::fs::read_to_string(tree.join("Makefile"))
            .map_err(ConformanceError::io("reading", tree.join("Makefile")))?;
        let get_images =
            std::fs::read_to_string(integration.join("get-images.sh")).map_err(|_| {
                ConformanceError::NotASuite {
                    tree: tree.to_owned(),
                    what: "tests/integration/get-images.sh",
                }
            })?;
        build_core::fs::remove_dir_all_if_exists(work)
            .map_err(ConformanceError::io("removing", work))?;
        build_core::fs::copy_tree(&tree.join("tests"), &work.join("tests"), &[])
            .map_err(ConformanceError::io("copying the suite to", work))?;
        // Tests read the module file beside the suite (the spec validator's runtime-spec version).
        for file in ["go.mod", "go.sum"] {
            if tree.join(file).is_file() {
                std::fs::copy(tree.join(file), work.join(file))
                    .map_err(ConformanceError::io("copying", tree.join(file)))?;
            }
        }
        let bin = work.join("tests/cmd/_bin");
        std::fs::create_dir_all(&bin).map_err(ConformanceError::io("creating", &bin))?;
        // As the Makefile's GO_BUILD builds them: with its BUILDTAGS (seccompagent needs seccomp).
        let tags = build_tags(&makefile);
        for helper in test_binaries(&makefile) {
            progress.status("Building", &format!("runc's test helper {helper}"));
            LoggedCommand::new(go.go.as_str())
                .args(["build", "-trimpath", "-tags", &tags, "-o"])
                .arg(bin.join(&helper).as_str())
                .arg(format!("./tests/cmd/{helper}"))
                .cwd(tree)
                .env("GOTOOLCHAIN", &go.gotoolchain)
                .env("GOFLAGS", "-mod=vendor")
                .env("GOPROXY", "off")
                .env("GOCACHE", gocache.as_str())
                .read()?;
        }
        let testdata = work.join("tests/integration/testdata");
        for name in images_named(&get_images) {
            let image = images.provide(&name, go_arch(), progress)?;
            let dest = testdata.join(format!("{name}-{}.tar.xz", go_arch()));
            std::fs::copy(&image, &dest).map_err(ConformanceError::io("copying", &image))?;
        }
        let mut files: Vec<Utf8PathBuf> = std::fs::read_dir(work.join("tests/integration"))
            .map_err(ConformanceError::io(
                "reading",
                work.join("tests/integration"),
            ))?
            .flatten()
            .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
            .filter(|p| p.extension() == Some("bats"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ConformanceError::NotASuite {
                tree: tree.to_owned(),
                what: "tests/integration/*.bats",
            });
        }
        Ok(RuncSuite {
            work: work.to_owned(),
            files,
        })
    }

    /// Runs every file (the tests whose names match `filter`, when given) against `runc`,
    /// reporting each file's counts as it ends; `side` names the binary in the report. Raw
    /// output goes to `log`. Stops, and cleans up, at `interrupted`.
    pub fn run(
        &self,
        runc: &Utf8Path,
        side: &str,
        filter: Option<&str>,
        log: &Utf8Path,
        progress: &dyn Progress,
        interrupted: &AtomicBool,
    ) -> Result<SuiteRun, ConformanceError> {
        let started = Instant::now();
        let tmp = self.work.join("tmp");
        let tap_file = self.work.join("file.tap");
        let _ = std::fs::remove_file(log);
        let mut results: Vec<TestResult> = Vec::new();
        for (i, file) in self.files.iter().enumerate() {
            if interrupted.load(Ordering::SeqCst) {
                break;
            }
            let group = file.file_name().unwrap_or("").to_owned();
            std::fs::create_dir_all(&tmp).map_err(ConformanceError::io("creating", &tmp))?;
            let _ = std::fs::remove_file(&tap_file);
            // Paths and the filter reach the shell as variables, never as its words.
            let command =
                "bats --tap ${DY_FILTER:+--filter \"$DY_FILTER\"} \"$DY_FILE\" > \"$DY_TAP\" 2>&1";
            let bats = LoggedCommand::new("script")
                .args(["-q", "-e", "-c", command, "/dev/null"])
                .cwd(&self.work)
                .env("RUNC", runc.as_str())
                .env("TMPDIR", tmp.as_str())
                .env("DY_FILE", file.as_str())
                .env("DY_TAP", tap_file.as_str())
                .env("DY_FILTER", filter.unwrap_or(""))
                .env(MARKER, self.work.as_str());
            wait_or_stop(
                bats.spawn_logged(&self.work.join("script.log"))?,
                interrupted,
            );
            self.clean_up(runc)?;
            let tap = std::fs::read_to_string(&tap_file).unwrap_or_default();
            append(log, &format!("=== {group} ({side})\n{tap}\n"))?;
            let ran = tap::parse(&group, &tap);
            let file_counts = Counts::of(&ran);
            results.extend(ran);
            let so_far = Counts::of(&results);
            progress.status(
                "Ran",
                &format!(
                    "runc suite ({side}) {}/{} {group}: {file_counts}; so far {so_far}",
                    i + 1,
                    self.files.len()
                ),
            );
        }
        Ok(SuiteRun {
            suite: "runc",
            side: side.to_owned(),
            results,
            log: log.to_owned(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// What a file (or an interrupted one) left: containers in any runc state folder under the
    /// work folder's `tmp/`, every process carrying the marker, and mounts there.
    fn clean_up(&self, runc: &Utf8Path) -> Result<(), ConformanceError> {
        kill_marked(&self.work);
        let tmp = self.work.join("tmp");
        for state in state_roots(&tmp) {
            let listed = LoggedCommand::new(runc.as_str())
                .args(["--root", state.as_str(), "list", "-q"])
                .output()?;
            for id in listed.stdout.lines().filter(|l| !l.is_empty()) {
                let _ = LoggedCommand::new(runc.as_str())
                    .args(["--root", state.as_str(), "delete", "-f", id])
                    .output();
            }
        }
        engine::unmount_under(&tmp)?;
        build_core::fs::remove_dir_all_if_exists(&tmp)
            .map_err(ConformanceError::io("removing", tmp))
    }
}

/// The Makefile's `TESTBINS := a b c`.
fn test_binaries(makefile: &str) -> Vec<String> {
    makefile
        .lines()
        .find_map(|l| l.strip_prefix("TESTBINS :="))
        .map(|names| names.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The Makefile's `BUILDTAGS := …`, space-separated as `go build -tags` takes them.
fn build_tags(makefile: &str) -> String {
    makefile
        .lines()
        .find_map(|l| l.strip_prefix("BUILDTAGS :="))
        .map(|tags| tags.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The images `get-images.sh` fetches: each `$TESTDATA/NAME-${arch}.tar.xz`.
fn images_named(script: &str) -> Vec<String> {
    let mut names: Vec<String> = script
        .match_indices("\"$TESTDATA/")
        .filter_map(|(i, m)| {
            let rest = &script[i + m.len()..];
            let name = rest.split_once("-${arch}.tar.xz\"")?.0;
            (!name.is_empty() && !name.contains(['/', '"', ' '])).then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Go's name for this machine's architecture.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// Folders named `state` under `dir` (the suite's `runc --root "$ROOT/state"`).
fn state_roots(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(path) = Utf8PathBuf::from_path_buf(entry.path()) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if path.file_name() == Some("state") {
                found.push(path);
            } else {
                found.extend(state_roots(&path));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_helpers_and_images_the_suite_uses() {
        let makefile = "TESTBINDIR := tests/cmd/_bin\nTESTBINS := recvtty sd-helper key_label\n";
        assert_eq!(
            test_binaries(makefile),
            ["recvtty", "sd-helper", "key_label"]
        );
        let script = "rootfs=\"$TESTDATA/busybox-${arch}.tar.xz\"\nget \"$rootfs\" \"$url\"\n\
                      rootfs=\"$TESTDATA/debian-${arch}.tar.xz\"\n";
        assert_eq!(images_named(script), ["busybox", "debian"]);
    }
}
