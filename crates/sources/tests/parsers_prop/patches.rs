//! Patch series and patch files.

use super::*;

// ---------------------------------------------------------------------------------------------
// Patch series and patch files

pub(crate) const SERIES_SEED: &str = "\
# applied in order onto the pinned commit
0001-fix-build.patch
0002-more.patch -p1

0003-plain.diff -p0   # a plain `diff -u` made inside the tree
sub/0004-in-a-folder.patch
";

pub(crate) const PATCH_FILES: [&str; 4] = [
    "0001-fix-build.patch",
    "0002-more.patch",
    "0003-plain.diff",
    "sub/0004-in-a-folder.patch",
];

/// A patches folder holding the seed's patch files and `series` as given.
pub(crate) fn patches_dir(series: &[u8]) -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().join("patches/runc")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for name in PATCH_FILES {
        std::fs::write(
            dir.join(name),
            format!("--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join(SERIES), series).unwrap();
    (tmp, dir)
}

/// Checks `read_series` of `dir`: accepted patches lie inside it; a refusal names the series
/// (with a line of it) or the listed patch it could not read.
pub(crate) fn check_series(dir: &Utf8Path, series_text: &[u8]) -> Result<(), TestCaseError> {
    let series_path = dir.join(SERIES);
    match Patch::read_series(dir) {
        Ok(patches) => {
            for patch in &patches {
                prop_assert!(
                    patch.path.starts_with(dir),
                    "{} is outside {}",
                    patch.path,
                    dir
                );
                prop_assert!(!patch.name.split('/').any(|p| p == ".."), "{}", patch.name);
                let on_disk = std::fs::read(&patch.path).unwrap();
                prop_assert_eq!(patch.bytes(), on_disk.as_slice());
            }
        }
        Err(err @ PatchError::BadSeries { .. }) => {
            let PatchError::BadSeries { series, line, .. } = &err else {
                unreachable!()
            };
            prop_assert_eq!(series, &series_path);
            let lines = String::from_utf8_lossy(series_text).lines().count();
            prop_assert!(
                (1..=lines).contains(line),
                "line {} of {}: {}",
                line,
                lines,
                err
            );
            prop_assert!(
                err.to_string()
                    .starts_with(&format!("{series_path}:{line}: ")),
                "{}",
                err
            );
        }
        Err(err @ PatchError::Unreadable { .. }) => {
            let PatchError::Unreadable { path, .. } = &err else {
                unreachable!()
            };
            prop_assert!(
                *path == series_path || path.starts_with(dir),
                "names neither the series nor a patch in it: {}",
                err
            );
            prop_assert!(err.to_string().contains(path.as_str()), "{}", err);
        }
        Err(err) => prop_assert!(false, "reading a series gave {}", err),
    }
    Ok(())
}

#[test]
fn the_seed_series_reads_every_patch_in_order() {
    let (_tmp, dir) = patches_dir(SERIES_SEED.as_bytes());
    let patches = Patch::read_series(&dir).unwrap();
    let names: Vec<&str> = patches.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, PATCH_FILES);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_series_reads_only_patches_inside_its_folder_or_is_refused_naming_the_file_and_line(
        edits in edits(),
        outside in prop::option::of(prop::sample::select(vec![
            "../0001-fix-build.patch", "/etc/passwd", "sub/../../x", ".git/config", "..",
            ".", "sub", "a\0b", "0001-fix-build.patch -p2", "0001-fix-build.patch -p1 -p0",
        ])),
        at in any::<Index>(),
    ) {
        let mut text = apply_str(SERIES_SEED, &edits);
        if let Some(outside) = outside {
            let at = boundary(&text, at.index(text.len() + 1));
            text.insert_str(at, &format!("\n{outside}\n"));
        }
        let (_tmp, dir) = patches_dir(text.as_bytes());
        check_series(&dir, text.as_bytes())?;
    }

    #[test]
    fn an_arbitrary_series_never_panics_and_a_refusal_names_the_file(
        series in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            prop::collection::vec(fragment(), 0..16).prop_map(|p| p.concat().into_bytes()),
        ]
    ) {
        let (_tmp, dir) = patches_dir(&series);
        check_series(&dir, &series)?;
    }

    #[test]
    fn any_patch_file_is_read_as_its_bytes_and_a_missing_one_is_named(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        name in "[a-zA-Z0-9._-]{1,20}",
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let path = dir.join(&name);
        let missing = Patch::read(&path).unwrap_err();
        prop_assert!(missing.to_string().contains(path.as_str()), "{}", missing);
        if std::fs::write(&path, &bytes).is_ok() {
            let patch = Patch::read(&path).unwrap();
            prop_assert_eq!(patch.bytes(), bytes.as_slice());
            prop_assert_eq!(patch.name, path.file_name().unwrap());
            prop_assert_eq!(patch.sha256.len(), 64);
        }
    }
}
