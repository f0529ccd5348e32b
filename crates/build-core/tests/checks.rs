//! Checks on what a build produced.

use build_core::build::{BuildError, Built, collect_artifact};
use build_core::elf::LinkKind;
use build_core::pins::CommitId;
use build_core::source::{Origin, Source};
use build_core::{BuildOptions, Linkage, Upstream};
use camino::Utf8PathBuf;

fn options(linkage: Linkage) -> BuildOptions {
    let source = Source {
        upstream: Upstream::Runc,
        dir: "/nonexistent".into(),
        commit: CommitId::parse(&"a".repeat(40)).unwrap(),
        version: "1.4.3".into(),
        dirty: false,
        content_id: "x".into(),
        commit_time: 0,
        origin: Origin::Cache,
        patches: Vec::new(),
    };
    let mut opts = BuildOptions::new(
        source,
        build_core::ReleaseLine::new(29, 7),
        "/nonexistent/out".into(),
        "/nonexistent/work".into(),
    );
    opts.linkage = linkage;
    opts
}

fn dynamic_binary() -> Utf8PathBuf {
    // Any dynamically linked program on the machine will do.
    let path = which::which("git").unwrap();
    Utf8PathBuf::from_path_buf(std::fs::canonicalize(path).unwrap()).unwrap()
}

#[test]
fn a_binary_that_should_be_static_but_is_not_is_named_with_what_it_links() {
    let built = Built {
        name: "git",
        path: dynamic_binary(),
        toolchain: "test".into(),
        tags: vec![],
        c_libraries: vec![],
    };
    let err = collect_artifact(&options(Linkage::Static), "runc", &built).unwrap_err();
    let BuildError::NotStatic {
        component,
        binary,
        link,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((component.as_str(), binary.as_str()), ("runc", "git"));
    let LinkKind::Dynamic {
        interpreter,
        needed,
    } = link
    else {
        panic!("{link}")
    };
    assert!(
        interpreter
            .as_deref()
            .is_some_and(|i| i.contains("ld-linux")),
        "{interpreter:?}"
    );
    assert!(
        needed.iter().any(|n| n.starts_with("libc.so")),
        "{needed:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("git should be static") && message.contains("libc.so"),
        "{message}"
    );
}

#[test]
fn a_dynamic_build_accepts_it_and_records_its_checksum() {
    let path = dynamic_binary();
    let built = Built {
        name: "git",
        path: path.clone(),
        toolchain: "test".into(),
        tags: vec![],
        c_libraries: vec![],
    };
    let artifact = collect_artifact(&options(Linkage::Dynamic), "runc", &built).unwrap();
    assert_eq!(
        artifact.sha256,
        build_core::digest::sha256_file(&path).unwrap()
    );
    assert!(!artifact.link.is_static());
}

#[test]
fn a_missing_output_is_an_error_not_a_gap() {
    let built = Built {
        name: "runc",
        path: "/nonexistent/runc".into(),
        toolchain: "go".into(),
        tags: vec![],
        c_libraries: vec![],
    };
    let err = collect_artifact(&options(Linkage::Static), "runc", &built).unwrap_err();
    assert!(matches!(err, BuildError::MissingOutput { .. }), "{err}");
}

#[test]
fn a_planted_symlink_lock_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    std::fs::write(root.join("victim"), "keep").unwrap();
    std::os::unix::fs::symlink(root.join("victim"), root.join("x.lock")).unwrap();
    assert!(
        build_core::lock::FileLock::acquire(
            &root.join("x.lock"),
            "test",
            &build_core::progress::Silent
        )
        .is_err()
    );
    assert_eq!(
        std::fs::read_to_string(root.join("victim")).unwrap(),
        "keep"
    );
}

#[test]
fn a_binary_for_another_machine_than_the_target_is_named_with_its_machine() {
    let built = Built {
        name: "git",
        path: dynamic_binary(),
        toolchain: "test".into(),
        tags: vec![],
        c_libraries: vec![],
    };
    let mut opts = options(Linkage::Dynamic);
    opts.target = build_core::Target::parse("linux/arm64").unwrap();
    let err = collect_artifact(&opts, "runc", &built).unwrap_err();
    let BuildError::WrongMachine {
        binary,
        target,
        found,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((binary.as_str(), target.as_str()), ("git", "linux/arm64"));
    assert_eq!(
        *found,
        build_core::executable::ExecutableFormat::Elf {
            machine: 62,
            elf64: true
        },
        "the host's x86-64 binary"
    );
    assert!(err.to_string().contains("not for linux/arm64"), "{err}");
}
