//! Which patches each upstream gets: `patches/<upstream>/series` beside `pins.lock`, then
//! files given one by one, in order.

use build_core::Upstream;
use build_core::source::{Patch, SERIES};
use camino::{Utf8Path, Utf8PathBuf};

use crate::BundleError;

/// Each upstream's patches, in the order they apply: its series in `dir` (`patches/runc/series`)
/// first, then `given`. Upstreams without patches are left out. A folder in `dir` that names no
/// upstream, or holds patches but no series, is refused rather than silently skipped.
pub fn collect(
    dir: &Utf8Path,
    given: &[(Upstream, Utf8PathBuf)],
) -> Result<Vec<(Upstream, Vec<Patch>)>, BundleError> {
    let refuse = |path: Utf8PathBuf, problem: String| BundleError::Patches { path, problem };
    if let Ok(entries) = dir.read_dir_utf8() {
        for entry in entries.flatten() {
            let path = entry.path().to_owned();
            if !path.is_dir() {
                continue;
            }
            match entry.file_name().parse::<Upstream>() {
                Err(_) => {
                    let owner = crate::find(entry.file_name()).map(|c| c.upstream);
                    return Err(refuse(
                        path,
                        match owner {
                            Some(upstream) => format!(
                                "{} is built from {upstream}'s source: put its patches in {}",
                                entry.file_name(),
                                dir.join(upstream.name())
                            ),
                            None => format!(
                                "not an upstream; patch folders are named {}",
                                Upstream::valid_names()
                            ),
                        },
                    ));
                }
                Ok(_) if !path.join(SERIES).is_file() => {
                    return Err(refuse(
                        path,
                        format!(
                            "no `{SERIES}` file lists its patches, one file name per line, in the order they apply"
                        ),
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    let mut all = Vec::new();
    for upstream in Upstream::ALL {
        let mut patches = Patch::read_series(&dir.join(upstream.name()))
            .map_err(build_core::source::SourceError::from)?;
        for (_, file) in given.iter().filter(|(u, _)| *u == upstream) {
            patches.push(Patch::read(file).map_err(build_core::source::SourceError::from)?);
        }
        if !patches.is_empty() {
            all.push((upstream, patches));
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        (dir, root)
    }

    #[test]
    fn the_series_comes_first_then_the_given_files_and_unpatched_upstreams_are_left_out() {
        let (_dir, root) = folder();
        std::fs::create_dir_all(root.join("runc")).unwrap();
        std::fs::write(root.join("runc/series"), "b.patch\na.patch\n").unwrap();
        for name in ["runc/b.patch", "runc/a.patch", "extra.diff"] {
            std::fs::write(root.join(name), name).unwrap();
        }
        let all = collect(&root, &[(Upstream::Runc, root.join("extra.diff"))]).unwrap();
        assert_eq!(all.len(), 1);
        let (upstream, patches) = &all[0];
        assert_eq!(*upstream, Upstream::Runc);
        let names: Vec<&str> = patches.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b.patch", "a.patch", "extra.diff"]);
        assert!(collect(&root.join("none"), &[]).unwrap().is_empty());
    }

    #[test]
    fn a_folder_for_a_component_built_from_another_source_names_that_source() {
        let (_dir, root) = folder();
        std::fs::create_dir_all(root.join("proxy")).unwrap();
        let err = collect(&root, &[]).unwrap_err().to_string();
        assert!(
            err.contains("proxy is built from moby's source")
                && err.contains(root.join("moby").as_str()),
            "{err}"
        );
    }

    #[test]
    fn a_patch_folder_without_a_series_is_refused_not_skipped() {
        let (_dir, root) = folder();
        std::fs::create_dir_all(root.join("runc")).unwrap();
        std::fs::write(root.join("runc/0001.patch"), "").unwrap();
        let err = collect(&root, &[]).unwrap_err().to_string();
        assert!(err.contains("no `series` file"), "{err}");
    }
}
