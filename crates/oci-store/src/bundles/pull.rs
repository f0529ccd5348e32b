//! Pulling published bundles: each platform's manifest found in the index (and, with a key,
//! its signature checked), its files and referrers fetched into a staging folder beside the
//! destination, checked as `verify` checks, and swapped in only once every platform is staged.

use super::*;

/// One platform's bundle, resolved in the registry before anything is written.
struct Wanted {
    target: Target,
    /// The folder its `docker-VERSION/` goes into.
    parent: Utf8PathBuf,
    digest: String,
    manifest: OciImageManifest,
}

/// Pulls the bundles of `platforms` from the index `reference` (a tag or digest) names: with
/// no platforms, the host's into `dest/docker-VERSION/`; otherwise each into
/// `dest/<Docker's folder for it>/docker-VERSION/` (`dest/aarch64/docker-29.7.2`), as
/// `cargo xtask bundle --target` lays them out. With `check`, the index and each platform's
/// manifest must be signed by its key, and with `attestations` too, an attestation attached to
/// a manifest must hold (one signed by the key, naming the manifest, describing the bundle:
/// kept beside it); a bundle without any is pulled and said to be. Each bundle is staged
/// beside its destination and verified; only when all are is each swapped into place.
/// Returns the bundle folders.
pub fn pull_bundles(
    repo: &Repository,
    reference: &str,
    platforms: &[Target],
    dest: &Utf8Path,
    check: Option<&SignatureCheck>,
    attestations: Option<&dyn Attestations>,
    progress: &dyn Progress,
) -> Result<Vec<Utf8PathBuf>, StoreError> {
    let named = if reference.starts_with("sha256:") {
        format!("{}@{reference}", repo.name())
    } else {
        format!("{}:{reference}", repo.name())
    };
    let (bytes, index_digest) = repo
        .manifest(reference)?
        .ok_or_else(|| StoreError::NotFound {
            reference: named.clone(),
        })?;
    let index = serde_json::from_slice::<OciImageIndex>(&bytes)
        .ok()
        .filter(|i| i.artifact_type.as_deref() == Some(BUNDLE_ARTIFACT_TYPE))
        .ok_or_else(|| repo.tampered(format!("{named} is not an index of bundles")))?;
    if let Some(check) = check {
        check.check(repo, &index_digest)?;
    }
    let version = index.annotations.as_ref().and_then(|a| a.get(VERSION));
    let wanted = resolve(repo, &named, &index, platforms, dest, check)?;
    let mut staged = Vec::with_capacity(wanted.len());
    for want in &wanted {
        let platform = want.target.to_string();
        let underway = Underway::start(progress, &platform);
        let (staging, folder) = stage(repo, want, version.map(String::as_str))?;
        let attested = match (check, attestations) {
            (Some(check), Some(attestations)) => {
                check_attested(repo, want, &staging, &folder, check, attestations)?
            }
            _ => None,
        };
        drop(underway);
        let attested_too = match attested {
            Some(_) => ", its provenance too",
            None if attestations.is_some() && check.is_some() => ", no provenance attached",
            None => "",
        };
        progress.status("Fetched", &format!("{platform}, verified{attested_too}"));
        staged.push((staging, folder, attested));
    }
    let mut folders = Vec::with_capacity(staged.len());
    for (staging, folder, attested) in staged {
        let path = staging.path();
        build_core::fs::swap_into_place(path, folder.as_std_path())
            .map_err(StoreError::io("swapping the pulled bundle into", &folder))?;
        // Dropping `staging` removes what the swap left there: the previous bundle, if any.
        drop(staging);
        if let (Some(envelope), Some(attestations)) = (attested, attestations) {
            attestations
                .keep(&folder, &envelope)
                .map_err(|why| StoreError::Attestation {
                    bundle: folder.clone(),
                    why,
                })?;
        }
        folders.push(folder);
    }
    Ok(folders)
}

/// The attestation attached to `want`'s manifest that holds for the bundle staged in
/// `staging`: none when none is attached; an error naming each one's fault when none holds.
fn check_attested(
    repo: &Repository,
    want: &Wanted,
    staging: &tempfile::TempDir,
    folder: &Utf8Path,
    check: &SignatureCheck,
    attestations: &dyn Attestations,
) -> Result<Option<Vec<u8>>, StoreError> {
    let dir = build_core::fs::utf8(staging.path().to_owned())
        .map_err(StoreError::io("reading", folder))?;
    let envelopes =
        crate::attestation::attached(repo, &want.digest, attestations.predicate_type())?;
    let subjects = [crate::attestation::PushedSubject {
        repository: repo.name(),
        digest: want.digest.clone(),
        media_type: (want.manifest.media_type.clone())
            .unwrap_or_else(|| oci_client::manifest::OCI_IMAGE_MEDIA_TYPE.into()),
    }];
    let mut faults = Vec::new();
    for envelope in envelopes {
        match attestations.check(&dir, &envelope, &subjects, check) {
            Ok(()) => return Ok(Some(envelope)),
            Err(why) => faults.push(why),
        }
    }
    if faults.is_empty() {
        return Ok(None);
    }
    Err(StoreError::Attestation {
        bundle: folder.to_owned(),
        why: format!(
            "none attached to {}@{} holds: {}",
            repo.name(),
            want.digest,
            faults.join("; ")
        ),
    })
}

/// Finds each platform's manifest in the index, fetched and (with `check`) its signature
/// checked.
fn resolve(
    repo: &Repository,
    named: &str,
    index: &OciImageIndex,
    platforms: &[Target],
    dest: &Utf8Path,
    check: Option<&SignatureCheck>,
) -> Result<Vec<Wanted>, StoreError> {
    let mut targets: Vec<(Target, Option<Utf8PathBuf>)> = Vec::new();
    if platforms.is_empty() {
        targets.push((Target::host(), Some(dest.to_owned())));
    }
    for target in platforms {
        if !targets.iter().any(|(t, _)| t == target) {
            let folder = target.download_folder().map(|docker| dest.join(docker));
            targets.push((target.clone(), folder));
        }
    }
    let available = || {
        let all: Vec<String> = (index.manifests.iter())
            .filter_map(|e| e.platform.as_ref())
            .map(|p| match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            })
            .collect();
        Some(all.join(", "))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "none".into())
    };
    let mut wanted = Vec::with_capacity(targets.len());
    for (target, parent) in targets {
        let no_platform = |platform: String| StoreError::NoPlatform {
            reference: named.to_owned(),
            platform,
            available: available(),
        };
        // The download tree has a folder only for the platforms dockyard builds.
        let parent = parent
            .ok_or_else(|| no_platform(format!("{target} (not a platform dockyard builds)")))?;
        let entry = index
            .manifests
            .iter()
            .find(|e| is_platform(e.platform.as_ref(), &target))
            .ok_or_else(|| no_platform(target.to_string()))?;
        let (bytes, digest) =
            repo.manifest(&entry.digest)?
                .ok_or_else(|| StoreError::NotFound {
                    reference: format!("{}@{} ({target} of {named})", repo.name(), entry.digest),
                })?;
        let manifest = serde_json::from_slice::<OciImageManifest>(&bytes)
            .ok()
            .filter(|m| m.artifact_type.as_deref() == Some(BUNDLE_ARTIFACT_TYPE))
            .ok_or_else(|| repo.tampered(format!("{digest} ({target}) is not a bundle")))?;
        if let Some(check) = check {
            check.check(repo, &digest)?;
        }
        wanted.push(Wanted {
            target,
            parent,
            digest,
            manifest,
        });
    }
    Ok(wanted)
}

/// Pulls one bundle into a staging folder beside its destination, with its referrers and its
/// files' modes, and verifies it. Returns the staging folder and where it goes.
fn stage(
    repo: &Repository,
    want: &Wanted,
    version: Option<&str>,
) -> Result<(tempfile::TempDir, Utf8PathBuf), StoreError> {
    let parent = &want.parent;
    std::fs::create_dir_all(parent).map_err(StoreError::io("creating", parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".tmp-docker-pull-")
        .tempdir_in(parent)
        .map_err(StoreError::io("creating a staging folder in", parent))?;
    let dir = build_core::fs::utf8(staging.path().to_owned())
        .map_err(StoreError::io("creating a staging folder in", parent))?;
    artifact::pull_manifest_files(repo, &want.manifest, &want.digest, &dir, &|_, _| true)?;
    let annotations = want.manifest.annotations.clone().unwrap_or_default();
    for (artifact_type, name, annotation) in REFERRED {
        let blob = annotations
            .get(annotation)
            .ok_or_else(|| repo.tampered(format!("{} does not name its {name}", want.digest)))?;
        pull_referrer(repo, &want.digest, artifact_type, name, blob, &dir)?;
    }
    set_modes(&dir, &dir)?;
    bundle_format::verify(&dir)?;
    let manifest = Manifest::read(&dir)?;
    if manifest.target != want.target || version.is_some_and(|v| v != manifest.version) {
        return Err(repo.tampered(format!(
            "{} holds Docker {} for {}, where the index gives Docker {} for {}",
            want.digest,
            manifest.version,
            manifest.target,
            version.unwrap_or(&manifest.version),
            want.target
        )));
    }
    let debug = if manifest.debug { "-debug" } else { "" };
    let folder = parent.join(format!("docker-{}{debug}", manifest.version));
    Ok((staging, folder))
}

/// Pulls into `dir` the referrer of `subject` of `artifact_type` whose one layer is the file
/// `name` with the digest `blob`.
fn pull_referrer(
    repo: &Repository,
    subject: &str,
    artifact_type: &str,
    name: &str,
    blob: &str,
    dir: &Utf8Path,
) -> Result<(), StoreError> {
    for entry in repo.referrers(subject, Some(artifact_type))? {
        let Some((bytes, digest)) = repo.manifest(&entry.digest)? else {
            continue;
        };
        let Ok(manifest) = serde_json::from_slice::<OciImageManifest>(&bytes) else {
            continue;
        };
        let [layer] = manifest.layers.as_slice() else {
            continue;
        };
        let title = layer.annotations.as_ref().and_then(|a| a.get(TITLE));
        let about = manifest.subject.as_ref().map(|s| s.digest.as_str());
        if about == Some(subject)
            && manifest.artifact_type.as_deref() == Some(artifact_type)
            && (layer.digest.as_str(), title.map(String::as_str)) == (blob, Some(name))
        {
            artifact::pull_manifest_files(repo, &manifest, &digest, dir, &|n, _| n == name)?;
            return Ok(());
        }
    }
    Err(StoreError::NotFound {
        reference: format!(
            "{}@{subject}'s {name} (a {artifact_type} referrer holding {blob})",
            repo.name()
        ),
    })
}

/// The modes a published bundle has: folders, the binaries (and scripts) of the archive
/// folders and the packaging folder's files 0755, every other file 0644.
fn set_modes(root: &Utf8Path, dir: &Utf8Path) -> Result<(), StoreError> {
    let mode = |path: &Utf8Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(StoreError::io("setting the mode of", path))
    };
    mode(dir, 0o755)?;
    let entries = dir
        .read_dir_utf8()
        .map_err(StoreError::io("reading", dir))?;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("reading", dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(StoreError::io("reading", path))?;
        if kind.is_dir() {
            set_modes(root, path)?;
        } else if kind.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(path).as_str();
            // The packaging folder's files are shipped as the components' trees have them,
            // as the rootless scripts are.
            let binary = (Archive::ALL.iter().map(|a| a.folder()))
                .chain([bundle_format::PACKAGING_FOLDER])
                .any(|folder| relative.starts_with(&format!("{folder}/")));
            mode(path, if binary { 0o755 } else { 0o644 })?;
        }
    }
    Ok(())
}
