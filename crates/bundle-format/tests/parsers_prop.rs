//! Property tests of what `bundle-format` reads from a bundle folder: `manifest.json`
//! (`Manifest::read`) and `SHA256SUMS` (through `verify`, which parses it). For arbitrary and
//! mutated files, nothing panics, and a refusal names the file (and, for `manifest.json` and
//! `SHA256SUMS`, the line).
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use build_core::elf::LinkKind;
use build_core::{Linkage, Target, Upstream};
use bundle_format::manifest::{MANIFEST, ManifestComponent, ManifestFile, SourceKind};
use bundle_format::{FormatError, Manifest, verify};
use camino::{Utf8Path, Utf8PathBuf};
use proptest::prelude::*;
use test_fixtures::mutations::{self, JSON_SYNTAX, config};

const SUMS: &str = "SHA256SUMS";
/// The files a bundle's records name; a refusal of a bundle names one of them or a listed file.
const RECORDS: [&str; 3] = [MANIFEST, SUMS, "sbom.spdx.json"];

/// A small bundle that verifies: two binaries in `docker/`, its manifest and `SHA256SUMS`
/// (format 3: before the SBOM).
fn bundle() -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().join("docker-29.7.2")).unwrap();
    std::fs::create_dir_all(dir.join("docker")).unwrap();
    let mut files = Vec::new();
    for (name, bytes) in [
        ("containerd", "\x7fELF containerd"),
        ("runc", "\x7fELF runc"),
    ] {
        let path = format!("docker/{name}");
        std::fs::write(dir.join(&path), bytes).unwrap();
        files.push(ManifestFile {
            sha256: build_core::digest::sha256_file(&dir.join(&path)).unwrap(),
            size: bytes.len() as u64,
            link: Some(LinkKind::Static),
            path,
        });
    }
    let manifest = Manifest {
        format: 3,
        version: "29.7.2".into(),
        linkage: Linkage::Static,
        target: Target {
            os: "linux".into(),
            arch: "arm".into(),
            variant: Some("v7".into()),
        },
        source_date_epoch: 1_767_225_600,
        debug: false,
        bundle_key: "0123456789abcdef".into(),
        components: vec![ManifestComponent {
            name: "runc".into(),
            upstream: Upstream::Runc,
            source: SourceKind::Pin,
            repository: Some("https://github.com/opencontainers/runc".into()),
            content_id: None,
            tag: Some("v1.4.3".into()),
            version: "1.4.3".into(),
            patches: Vec::new(),
            commit: "bb14dabeb7185bb72c8c86735d090dcb20f36587".into(),
            dirty: false,
            go: Some("1.26.5".into()),
            c_compiler: Some("gcc (Debian 12.2.0-14) 12.2.0".into()),
            tags: vec!["seccomp".into()],
            binaries: vec!["runc".into()],
        }],
        files,
    };
    manifest.write(&dir).unwrap();
    std::fs::write(dir.join(SUMS), manifest.sha256sums()).unwrap();
    (tmp, dir)
}

fn read(dir: &Utf8Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid file.

/// JSON and `SHA256SUMS` lines that mean something to a reader of a bundle's records, and text
/// that does not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment_or_matching(
        "[0-9a-f]{64}  [a-z/.]{1,16}",
        &[
            JSON_SYNTAX,
            &[
                "4294967296",
                "18446744073709551616",
                "-9223372036854775809",
                "\"format\": 99,",
                "\"debug\": 1,",
                "\"link\": {\"kind\": \"dynamic\"},",
                "\"source\": \"fork\",",
                "\"upstream\": \"x\",",
                "  ",
                "   ",
                "\t",
                "\n",
                "\r\n",
                "\0",
                "\u{feff}",
                "../../etc/passwd",
                "/etc/passwd",
                "docker/",
                "docker/../x",
                "\\u0000",
                "\\ud800",
                "\"\\",
            ],
        ],
    )
}

/// Edits of a valid file, and flips of a digit of its digests and sizes.
fn edits() -> impl Strategy<Value = Vec<mutations::Edit>> {
    mutations::several(mutations::edit_or_flip(fragment()))
}

// ---------------------------------------------------------------------------------------------
// Checks

/// `PATH/manifest.json is not a dockyard manifest: … at line N column M`.
fn assert_manifest_refusal_names_file_and_line(
    dir: &Utf8Path,
    bytes: &[u8],
    err: &FormatError,
) -> Result<(), TestCaseError> {
    let shown = err.to_string();
    prop_assert!(
        matches!(err, FormatError::Manifest { path, .. } if *path == dir.join(MANIFEST)),
        "{}",
        shown
    );
    prop_assert!(
        shown.starts_with(&format!("{}", dir.join(MANIFEST))),
        "{}",
        shown
    );
    let line: usize = shown
        .rsplit_once(" at line ")
        .and_then(|(_, at)| at.split(' ').next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| TestCaseError::fail(format!("names no line: {shown}")))?;
    mutations::assert_a_line_of(bytes, line, &shown)
}

/// A refusal of a whole bundle names one of its records or a file its records list.
fn assert_bundle_refusal_names_a_file(
    dir: &Utf8Path,
    err: &FormatError,
) -> Result<(), TestCaseError> {
    let shown = err.to_string();
    let named = match err {
        FormatError::Damaged { path, .. } => {
            RECORDS.contains(&path.as_str())
                || (!path.is_empty() && shown.starts_with(&format!("{path}: ")))
        }
        FormatError::Manifest { path, .. } | FormatError::Io(build_core::IoError { path, .. }) => {
            path.starts_with(dir) && shown.contains(path.as_str())
        }
        _ => false,
    };
    prop_assert!(named, "names no file of the bundle: {}", shown);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_seed_bundle_verifies() {
    let (_tmp, dir) = bundle();
    assert_eq!(verify(&dir).unwrap(), 2);
    assert_eq!(Manifest::read(&dir).unwrap().files.len(), 2);
}

#[test]
fn a_sha256sums_disagreeing_with_the_manifest_names_the_first_line_that_differs() {
    let (_tmp, dir) = bundle();
    let sums = String::from_utf8(read(&dir, SUMS)).unwrap();
    let (first, second) = sums.split_once('\n').unwrap();
    std::fs::write(
        dir.join(SUMS),
        format!("{first}\n{}", second.replacen('a', "b", 1)),
    )
    .unwrap();
    let err = verify(&dir).unwrap_err().to_string();
    assert!(
        err.starts_with("SHA256SUMS: ") && err.contains("line 2"),
        "{err}"
    );
    std::fs::write(dir.join(SUMS), format!("{first}\n")).unwrap();
    let err = verify(&dir).unwrap_err().to_string();
    assert!(err.contains("line 2"), "{err}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_manifest_json_is_refused_naming_the_file_and_line_never_panics(edits in edits()) {
        let (_tmp, dir) = bundle();
        let bytes = mutations::apply(&read(&dir, MANIFEST), &edits);
        std::fs::write(dir.join(MANIFEST), &bytes).unwrap();
        match Manifest::read(&dir) {
            Ok(manifest) => {
                // Whatever it says, checking the bundle against it never panics.
                let _ = manifest.sha256sums();
                if let Err(err) = verify(&dir) {
                    assert_bundle_refusal_names_a_file(&dir, &err)?;
                }
            }
            Err(err) => {
                assert_manifest_refusal_names_file_and_line(&dir, &bytes, &err)?;
                let err = verify(&dir).expect_err("verified a bundle without a manifest");
                assert_manifest_refusal_names_file_and_line(&dir, &bytes, &err)?;
            }
        }
    }

    #[test]
    fn an_arbitrary_manifest_json_is_refused_naming_the_file_and_line_never_panics(
        bytes in mutations::arbitrary_bytes(fragment())
    ) {
        let (_tmp, dir) = bundle();
        std::fs::write(dir.join(MANIFEST), &bytes).unwrap();
        match Manifest::read(&dir) {
            Ok(_) => {
                if let Err(err) = verify(&dir) {
                    assert_bundle_refusal_names_a_file(&dir, &err)?;
                }
            }
            Err(err) => assert_manifest_refusal_names_file_and_line(&dir, &bytes, &err)?,
        }
    }

    #[test]
    fn a_mutated_sha256sums_is_refused_naming_the_file_and_line_never_panics(edits in edits()) {
        let (_tmp, dir) = bundle();
        let seed = read(&dir, SUMS);
        let bytes = mutations::apply(&seed, &edits);
        std::fs::write(dir.join(SUMS), &bytes).unwrap();
        let unchanged = String::from_utf8(bytes.clone())
            .is_ok_and(|text| text.lines().eq(String::from_utf8_lossy(&seed).lines()));
        match verify(&dir) {
            Ok(n) => {
                prop_assert!(unchanged, "verified with a changed SHA256SUMS:\n{}", String::from_utf8_lossy(&bytes));
                prop_assert_eq!(n, 2);
            }
            Err(err) => {
                prop_assert!(!unchanged, "refused the bundle's own SHA256SUMS: {}", err);
                let shown = err.to_string();
                prop_assert!(shown.contains(SUMS), "{}", shown);
                if let FormatError::Damaged { .. } = err {
                    let line = mutations::line_named(&shown)?;
                    let lines = String::from_utf8_lossy(&bytes).lines().count();
                    prop_assert!((1..=lines.max(2) + 1).contains(&line), "line {} of {}: {}", line, lines, shown);
                }
            }
        }
    }

    #[test]
    fn an_arbitrary_sha256sums_is_refused_naming_the_file_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            prop::collection::vec(fragment(), 0..12).prop_map(|p| p.join("\n").into_bytes()),
        ]
    ) {
        let (_tmp, dir) = bundle();
        std::fs::write(dir.join(SUMS), &bytes).unwrap();
        let err = verify(&dir).expect_err("verified with an arbitrary SHA256SUMS");
        prop_assert!(err.to_string().contains(SUMS), "{}", err);
    }
}
