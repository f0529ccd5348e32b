//! What `verify` checks of a bundle's SPDX 2.3 SBOM (`sbom.spdx.json`); the bundle writes it.

use camino::Utf8Path;
use serde_spdx::spdx::v_2_3::Spdx;

use crate::FormatError;

/// The SBOM's file name in a bundle.
pub const SBOM: &str = "sbom.spdx.json";

/// Checks that every package of `dir`'s SBOM that names a bundle file carries the SHA-256
/// that `listed` (SHA256SUMS, already checked against the bytes) gives it, and that every binary
/// and tarball has a package (and every shipped script).
pub(crate) fn check(dir: &Utf8Path, listed: &[(String, String)]) -> Result<(), FormatError> {
    let damaged = |problem: String| FormatError::Damaged {
        path: SBOM.to_owned(),
        problem,
    };
    let path = dir.join(SBOM);
    let text = std::fs::read_to_string(&path).map_err(|_| damaged("missing".into()))?;
    let spdx: Spdx =
        serde_json::from_str(&text).map_err(|e| damaged(format!("not SPDX 2.3 JSON: {e}")))?;
    let mut described = Vec::new();
    for package in spdx.packages.iter().flatten() {
        let Some(file) = &package.package_file_name else {
            continue;
        };
        let sha = package
            .checksums
            .iter()
            .flatten()
            .find(|c| c.algorithm == "SHA256")
            .map(|c| c.checksum_value.as_str());
        let Some((actual, _)) = listed.iter().find(|(_, p)| p == file) else {
            return Err(damaged(format!(
                "it names {file}, which the bundle does not hold"
            )));
        };
        if sha != Some(actual.as_str()) {
            return Err(damaged(format!(
                "its SHA-256 of {file} is {}, the file's is {actual}",
                sha.unwrap_or("missing")
            )));
        }
        described.push(file.as_str());
    }
    let undescribed = listed
        .iter()
        .map(|(_, p)| p.as_str())
        .filter(|p| {
            crate::Archive::ALL
                .iter()
                .any(|a| p.starts_with(&format!("{}/", a.folder())))
                || p.ends_with(".tgz")
                || p.ends_with(".zip")
        })
        .find(|p| !described.contains(p));
    match undescribed {
        Some(p) => Err(damaged(format!("it has no package for {p}"))),
        None => Ok(()),
    }
}
