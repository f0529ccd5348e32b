//! Snapshots of what people read: every `--help`, and the main error messages as `xtask`
//! renders them (library message plus command-line advice). A change here is reviewed.

use std::os::unix::process::ExitStatusExt;

use build_core::build::StampMismatch;
use build_core::elf::LinkKind;
use build_core::pins::{CommitId, Pins};
use build_core::process::{CommandError, Failure};
use build_core::source::SourceError;
use build_core::toolchain::{Tool, ToolchainError};
use build_core::{BuildError, IoError, Linkage, Upstream};
use bundle::BundleError;
use bundle::requirements::ToolCheck;
use clap::{CommandFactory, Parser};
use engine::EngineError;
use xtask::render::error_text;

/// The command line as people get it, every subcommand built.
fn command_line() -> clap::Command {
    let mut cmd = xtask::Cli::command().term_width(100);
    cmd.build();
    cmd
}

/// Every verb and nested verb, by its path (`["bundle"]`), read from the command tree so none
/// is left out; clap's own `help` verb is clap's. Hidden verbs too: their help is what a person
/// who finds one reads.
fn verbs(cmd: &clap::Command) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        out.push(vec![sub.get_name().to_owned()]);
        for mut nested in verbs(sub) {
            nested.insert(0, sub.get_name().to_owned());
            out.push(nested);
        }
    }
    out
}

/// `--help` of the verb at `path` (the whole command line for none), with this checkout's
/// path made neutral.
fn help(path: &[String]) -> String {
    let mut cmd = command_line();
    for name in path {
        cmd = cmd.find_subcommand(name).unwrap().clone();
    }
    let root = env!("CARGO_MANIFEST_DIR").trim_end_matches("/tests");
    cmd.render_long_help()
        .to_string()
        .replace(root, "<workspace>")
}

/// The snapshot of a verb's `--help`: `help-bundle`, `help-VERB-NESTED`.
fn help_snapshot(path: &[String]) -> String {
    format!("help-{}", path.join("-"))
}

#[test]
fn help_of_the_command_line_and_of_every_verb() {
    insta::assert_snapshot!("help", help(&[]));
    for path in verbs(&command_line()) {
        insta::assert_snapshot!(help_snapshot(&path), help(&path));
    }
}

#[test]
fn every_help_snapshot_is_of_a_verb_and_every_verb_has_one() {
    // Whatever insta is told to do with a new snapshot, a verb without one fails here, and
    // one left from a removed verb too.
    let expected: std::collections::BTreeSet<String> = verbs(&command_line())
        .iter()
        .map(|path| format!("messages__{}.snap", help_snapshot(path)))
        .chain(["messages__help.snap".to_owned()])
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let found: std::collections::BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("messages__help") && name.ends_with(".snap"))
        .collect();
    assert_eq!(found, expected, "one help snapshot per verb, accepted");
}

fn rendered(e: impl Into<anyhow::Error>) -> String {
    error_text(&e.into())
}

fn commit() -> CommitId {
    CommitId::parse("bb14dabeb7185bb72c8c86735d090dcb20f36587").unwrap()
}

#[test]
fn a_bad_pin_names_file_line_and_field() {
    let err = Pins::parse(
        "pins.lock".into(),
        "go = \"1.26.5\"\n\n[runc]\nrepository = \"https://github.com/opencontainers/runc\"\ntag = \"v1.4.3\"\ncommit = \"bb14dab\"\nversion = \"1.4.3\"\n",
    )
    .unwrap_err();
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_source_for_an_unpinned_upstream_is_refused_not_ignored() {
    let pins = Pins::parse(
        "pins.lock".into(),
        "go = \"1.26.5\"\n\n[runc]\nrepository = \"https://github.com/opencontainers/runc\"\ntag = \"v1.4.3\"\ncommit = \"bb14dabeb7185bb72c8c86735d090dcb20f36587\"\nversion = \"1.4.3\"\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = build_core::source::SourceCache::new(
        camino::Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap(),
    )
    .unwrap();
    let tree = bundle::Replacement::WorkingTree("/src/buildx".into());
    let err = bundle::SourcePlan::new(pins, cache, &[], &[(Upstream::Buildx, tree)]).unwrap_err();
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn an_unknown_component_lists_the_valid_names() {
    use clap::Parser;
    let err = xtask::Cli::try_parse_from(["cargo xtask", "bundle", "--only", "dockerd"])
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!(err);
}

#[test]
fn offline_without_the_commit_says_how_to_get_it() {
    let err = BundleError::Source(SourceError::NotCachedOffline {
        upstream: Upstream::Runc,
        commit: commit(),
        url: "https://github.com/opencontainers/runc".into(),
    });
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn missing_tools_say_what_to_install() {
    let err = BundleError::MissingTools {
        missing: vec![
            ToolCheck {
                name: "go",
                found: Err(Tool::Go.missing("`go` is not on PATH")),
            },
            ToolCheck {
                name: Tool::CLibrary(&runc_build::LIBSECCOMP).name(Linkage::Static),
                found: Err(Tool::CLibrary(&runc_build::LIBSECCOMP)
                    .missing("libseccomp.a not found by gcc")),
            },
        ],
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_tool_the_whole_build_needs_says_what_it_is_for_not_a_component() {
    let err = BundleError::Toolchain {
        what: "the C compiler (part of every build's cache key)",
        source: Tool::CCompiler.missing("`gcc` is not on PATH"),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_go_too_old_names_both_versions() {
    let err = BuildError::Toolchain {
        component: "runc".into(),
        source: ToolchainError {
            problem: "go 1.22.1 is older than go 1.24.0, which /src/runc/go.mod requires".into(),
            fix: "install Go 1.24.0 or newer, or set GOTOOLCHAIN=go1.24.0 to let Go select it"
                .into(),
        },
    };
    insta::assert_snapshot!(rendered(err));
}

/// runc's `go build` in the cache's checkout, logged, failing as `failure` with `tail` last.
fn failed_go_build(failure: Failure, tail: &str) -> BuildError {
    BuildError::Command {
        component: "runc".into(),
        source: Box::new(CommandError {
            command: "go build -o /cache/runc .".into(),
            cwd: Some("/cache/checkouts/runc".into()),
            failure,
            log: Some("/cache/work/runc/runc.log".into()),
            tail: tail.into(),
        }),
    }
}

#[test]
fn a_failed_build_names_the_command_its_folder_status_and_log() {
    let err = failed_go_build(
        Failure::Exited(std::process::ExitStatus::from_raw(1 << 8)),
        "./main.go:3:1: syntax error: non-declaration statement outside function body",
    );
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_dynamic_binary_in_a_static_build_points_at_doctor() {
    let err = BuildError::NotStatic {
        component: "runc".into(),
        binary: "runc".into(),
        link: LinkKind::Dynamic {
            interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
            needed: vec!["libseccomp.so.2".into(), "libc.so.6".into()],
        },
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_damaged_bundle_says_to_build_it_again() {
    let err = bundle::FormatError::Damaged {
        path: "docker/runc".into(),
        problem: "checksum mismatch (expected 091c7ee1, found 5d41402a)".into(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_bad_output_folder_names_the_flag() {
    let err = BundleError::OutputDir {
        path: "/src/runc/out".into(),
        problem: "it is inside /src/runc, a source tree or the cache; choose a folder outside it"
            .into(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn an_unknown_release_lists_the_nearest_ones() {
    let err = release::ReleaseError::NotARelease {
        tag: "docker-v29.7.3".into(),
        nearest: vec!["29.7.0".into(), "29.7.1".into(), "29.7.2".into()],
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_release_candidate_needs_pre() {
    let err = release::ReleaseError::PreRelease {
        version: release::DockerVersion::parse("29.7.0-rc.1").unwrap(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_stamp_that_did_not_take_names_the_binary_and_variable() {
    let err = BuildError::StampNotShown(Box::new(StampMismatch {
        component: "containerd".into(),
        binary: "containerd".into(),
        command: "containerd --version".into(),
        expected: vec!["v1.7.28 b98a3aace656320842a23f4a392a33f46af97866".into()],
        variables: vec!["github.com/containerd/containerd/v2/version.Version=v1.7.28".into()],
        shows: "containerd github.com/containerd/containerd 1.7.28+unknown".into(),
    }));
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn an_unsupported_version_names_the_supported_lines() {
    let err = BuildError::Unsupported {
        component: "containerd",
        version: "1.6.9".into(),
        lines: "1.7.x, 2.x".into(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn offline_without_the_pinned_go_offers_the_local_one() {
    let err = BundleError::PinnedGo {
        release: "1.24.9".into(),
        source: ToolchainError {
            problem: "Go 1.24.9 is not in Go's toolchain cache, and offline it may not be downloaded (go: download go1.24.9 for linux/amd64: toolchain not available)".into(),
            fix: "run once online (Go downloads it through its module proxy), or run `GOTOOLCHAIN=go1.24.9 go version` where the proxy is reachable".into(),
        },
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_state_folder_too_deep_for_sockets_says_to_choose_another() {
    let err = EngineError::StateTooDeep {
        root: "/home/someone/a/very/deep/cache/dockyard/engines/docker-29.7.2-debug-1656e43a"
            .into(),
        length: 118,
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn status_without_an_engine_says_how_to_start_one() {
    let err = EngineError::NoEngine {
        engines: "/root/.cache/dockyard/engines".into(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_bad_dlv_value_names_the_choices() {
    let err = xtask::Cli::try_parse_from(["cargo xtask", "up", "--dlv", "runc:2345"]).unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn watch_without_a_working_tree_says_what_to_add() {
    let cli = xtask::Cli::try_parse_from(["cargo xtask", "up", "--watch"]).unwrap();
    insta::assert_snapshot!(error_text(&xtask::run(cli).unwrap_err()));
}

#[test]
fn smoke_without_root_says_how_to_run_it() {
    insta::assert_snapshot!(rendered(EngineError::NotRoot));
}

fn full_disk() -> std::io::Error {
    std::io::Error::from_raw_os_error(28)
}

#[test]
fn a_full_disk_while_writing_says_to_free_space() {
    let err = BundleError::Io(IoError::new("writing the tgz", "/out/docker-29.7.2.tgz")(
        full_disk(),
    ));
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_full_disk_under_a_checkout_says_to_free_space() {
    let io = IoError::new("checking out", "/cache/checkouts/runc")(full_disk());
    insta::assert_snapshot!(rendered(BundleError::Source(SourceError::Io(io))));
}

#[test]
fn a_full_disk_while_building_names_the_component_and_step() {
    let err = BuildError::Io {
        component: "runc".into(),
        source: IoError::new("starting the log", "/cache/work/runc.log")(full_disk()),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_log_a_full_disk_refuses_says_to_free_space() {
    let err = failed_go_build(Failure::NoLog(full_disk()), "");
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_program_that_cannot_start_says_why_once() {
    let err = BuildError::Command {
        component: "runc".into(),
        source: Box::new(CommandError {
            command: "gcc -v".into(),
            cwd: None,
            failure: Failure::NotStarted(std::io::Error::from_raw_os_error(2)),
            log: None,
            tail: String::new(),
        }),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_panicked_build_thread_says_what_it_said() {
    let panic =
        std::thread::spawn(|| panic!("index out of bounds: the len is 0 but the index is 0"))
            .join()
            .unwrap_err();
    let err = BundleError::Panicked {
        message: build_core::error::panic_message(panic),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_build_its_output_says_ran_out_of_space_says_to_free_space() {
    let err = failed_go_build(
        Failure::Exited(std::process::ExitStatus::from_raw(1 << 8)),
        "go: writing /cache/go-build/4f/4f3a-d: write /cache/go-build/4f/4f3a-d: no space left on device",
    );
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_fetch_git_says_ran_out_of_space_says_to_free_space() {
    let err = SourceError::Fetch {
        upstream: Upstream::Runc,
        commit: commit(),
        url: "https://github.com/opencontainers/runc".into(),
        attempts: 3,
        message: "failed to write object: No space left on device".into(),
    };
    insta::assert_snapshot!(rendered(BundleError::Source(err)));
}

#[test]
fn a_locked_signing_key_says_to_pass_its_passphrase() {
    let err = package_repo::RepoError::Passphrase {
        fingerprint: "3162120CB465AF25061B91EBC89E4CE86BD4F064".into(),
        given: false,
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_published_package_with_other_bytes_is_refused() {
    let err = package_repo::RepoError::Republished {
        file: "/build/packages/debian-12/docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb".into(),
        published: "/srv/repo/linux/debian/dists/bookworm/pool/stable/amd64/docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb".into(),
    };
    insta::assert_snapshot!(rendered(err));
}

#[test]
fn a_repository_signed_by_another_key_is_refused() {
    let err = package_repo::RepoError::KeyChanged {
        tree: "/srv/repo/linux/debian".into(),
        published: "3162120CB465AF25061B91EBC89E4CE86BD4F064".into(),
        given: "01B2C3ADB14FF98D6FE45EAF5A745688018852A4".into(),
    };
    insta::assert_snapshot!(rendered(err));
}
