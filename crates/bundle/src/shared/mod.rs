//! The team's cache: each built component as an OCI artifact in registries the team already
//! runs, tagged `COMPONENT-KEY`, so a machine that has never built it pulls it instead. What
//! comes from a registry is checked as hard as what was built here before it is used (every
//! blob's digest, the record's key, each binary's ELF machine, linkage, checksum and shown
//! version, each tar member's bytes, the signature when one is required); anything refused is
//! built here instead.

use std::collections::BTreeMap;

use build_core::{Artifacts, BuildOptions, Component};
use camino::{Utf8Path, Utf8PathBuf};
use oci_store::{
    ArtifactFile, ArtifactSigner, NewArtifact, RegistryOptions, Repository, SignatureCheck,
    push_artifact,
};
use serde::Deserialize;

mod checks;

pub use checks::{Refusal, Refused};
use checks::{checked, is_member_file, man_page_layer, member_name};

use crate::BundleError;
use crate::artifacts::{BuildEnv, CachedArtifacts};
use crate::tgz::{TarFile, cached_member, member_file};

/// The artifact type of a component in the team's cache.
pub const COMPONENT_ARTIFACT_TYPE: &str = "application/vnd.dockyard.component.v1";
const RECORD_MEDIA_TYPE: &str = "application/vnd.dockyard.component.record.v1+json";
const BINARY_MEDIA_TYPE: &str = "application/vnd.dockyard.file.v1";
const MEMBER_MEDIA_TYPE: &str = "application/vnd.dockyard.tgz-member.v1+gzip";
const MAN_PAGE_MEDIA_TYPE: &str = "application/vnd.dockyard.man-page.v1";
/// Pulled tar members' folder inside an artifact.
const MEMBERS: &str = "tgz";

/// The settings a team writes once, in `dockyard.toml` beside `pins.lock` (`[cache]`), and a
/// run may add to. Nothing is shared by [`Default`]; set the fields wanted on that.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SharedCacheSettings {
    /// Registries' repositories components are pulled from, tried in order.
    #[serde(default)]
    pub from: Vec<String>,
    /// Repositories each component is pushed to once built.
    #[serde(default)]
    pub to: Vec<String>,
    /// A public key: only components signed with it are used.
    pub verify: Option<Utf8PathBuf>,
    /// A private key pushed components are signed with.
    pub sign: Option<Utf8PathBuf>,
    /// Fail the run, rather than build here, when a component cannot be pulled.
    #[serde(default)]
    pub required: bool,
    /// Go's shared build cache: a repository, or a folder the team shares.
    pub go: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    cache: SharedCacheSettings,
}

/// The team configuration file's name, beside `pins.lock`.
pub const CONFIG_FILE: &str = "dockyard.toml";

impl SharedCacheSettings {
    /// Reads `dir/dockyard.toml`'s `[cache]` (nothing set when the file does not exist); a
    /// key file named there is relative to `dir`.
    pub fn read(dir: &Utf8Path) -> Result<SharedCacheSettings, BundleError> {
        let path = dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(BundleError::io("reading", &path)(e)),
        };
        let mut settings = toml::from_str::<ConfigFile>(&text)
            .map_err(|e| BundleError::Config {
                path: path.clone(),
                message: e.to_string(),
            })?
            .cache;
        for key in [&mut settings.verify, &mut settings.sign]
            .into_iter()
            .flatten()
        {
            if key.is_relative() {
                *key = dir.join(&*key);
            }
        }
        Ok(settings)
    }

    /// Whether anything is shared at all.
    pub fn is_empty(&self) -> bool {
        self.from.is_empty() && self.to.is_empty()
    }

    /// Opens the repositories and reads the keys.
    pub fn open(&self, options: &RegistryOptions) -> Result<SharedCache, BundleError> {
        let open = |refs: &[String]| -> Result<Vec<Repository>, BundleError> {
            refs.iter()
                .map(|r| Repository::open(r, options).map_err(BundleError::from))
                .collect()
        };
        Ok(SharedCache {
            pulls: open(&self.from)?,
            pushes: open(&self.to)?,
            check: self
                .verify
                .as_deref()
                .map(SignatureCheck::from_pem_file)
                .transpose()?,
            signer: self
                .sign
                .as_deref()
                .map(ArtifactSigner::from_pem_file)
                .transpose()?,
            required: self.required,
        })
    }
}

/// The team's registries, open.
pub struct SharedCache {
    pulls: Vec<Repository>,
    pushes: Vec<Repository>,
    check: Option<SignatureCheck>,
    signer: Option<ArtifactSigner>,
    required: bool,
}

impl std::fmt::Debug for SharedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCache")
            .field("pulls", &self.pulls)
            .field("pushes", &self.pushes)
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

/// A component the team's cache could not give, and why.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unavailable {
    /// The component's name.
    pub component: String,
    /// Its key: the job that makes it pushes `COMPONENT-KEY`.
    pub key: String,
    /// Why each registry that had it was refused; none when no registry has it.
    pub refusals: Vec<Refusal>,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}-{}: ",
            self.component,
            self.component,
            &self.key[..16.min(self.key.len())]
        )?;
        if self.refusals.is_empty() {
            return write!(f, "no registry has it)");
        }
        let reasons: Vec<String> = self.refusals.iter().map(ToString::to_string).collect();
        write!(f, "{})", reasons.join("; "))
    }
}

fn tag(component: &Component, key: &str) -> String {
    format!("{}-{key}", component.name())
}

impl SharedCache {
    /// Whether components are pushed anywhere.
    pub(crate) fn pushes(&self) -> bool {
        !self.pushes.is_empty()
    }

    /// Whether a component that cannot be pulled fails the run.
    pub(crate) fn required(&self) -> bool {
        self.required
    }

    /// The first registry pulled from that has a manifest tagged `COMPONENT-KEY` (not
    /// pulled, so not yet checked: a pull checks it).
    pub(crate) fn holder(
        &self,
        component: &Component,
        key: &str,
    ) -> Result<Option<String>, BundleError> {
        for repo in &self.pulls {
            if repo.manifest(&tag(component, key))?.is_some() {
                return Ok(Some(repo.name()));
            }
        }
        Ok(None)
    }

    /// Pulls `component`'s artifact for `key` into `dir` (a fresh folder) from the first
    /// registry that has one that passes every check, and returns its artifacts there.
    /// `Ok(None)`: no registry has it. `Err`: every one that had it was refused, and why.
    pub(crate) fn pull(
        &self,
        env: &BuildEnv,
        component: &'static Component,
        key: &str,
        opts: &BuildOptions,
        dir: &Utf8Path,
    ) -> Result<Option<Artifacts>, Vec<Refusal>> {
        let mut refusals = Vec::new();
        // Only the names the component declares for the run's Docker release (binaries,
        // shipped files, man pages of its pattern), and tar members' content names, are ever
        // written: a record or a layer naming anything else is refused before any file is.
        let binaries = component.binaries_for(opts.docker_release);
        let pages = component.man_pages_for(&opts.target);
        let accepts = |name: &str, size: u64| {
            binaries.contains(&name)
                || component.files().iter().any(|f| f.name == name)
                || member_name(name).is_some_and(is_member_file)
                || man_page_layer(name).is_some_and(|page| {
                    pages.is_some_and(|p| p.accepts(page))
                        && size <= bundle_format::MAX_MAN_PAGE_BYTES
                })
        };
        for repo in &self.pulls {
            let pulled = oci_store::pull_artifact_accepting(
                repo,
                &tag(component, key),
                COMPONENT_ARTIFACT_TYPE,
                dir,
                self.check.as_ref(),
                &accepts,
            );
            let refused = match pulled {
                Ok(None) => continue,
                Ok(Some(artifact)) => match checked(env, component, key, opts, dir, &artifact) {
                    Ok(artifacts) => return Ok(Some(artifacts)),
                    Err(reason) => reason,
                },
                Err(e) => Refused::Store(e),
            };
            refusals.push(Refusal {
                registry: repo.name(),
                reason: refused,
            });
            // Nothing of a refused artifact is kept.
            let _ = build_core::fs::remove_dir_all_if_exists(dir);
            let _ = std::fs::create_dir_all(dir);
        }
        if refusals.is_empty() {
            Ok(None)
        } else {
            Err(refusals)
        }
    }

    /// Pushes `component`'s artifact (binaries, shipped files, their record, their compressed
    /// tar members) to every registry that lacks it; the tag goes last. Returns, per registry,
    /// what went wrong.
    pub(crate) fn push(
        &self,
        env: &BuildEnv,
        component: &'static Component,
        key: &str,
        artifacts: &Artifacts,
    ) -> Vec<(String, Result<bool, BundleError>)> {
        let tag = tag(component, key);
        let mut outcomes = Vec::new();
        let mut prepared: Option<Contents> = None;
        for repo in &self.pushes {
            let mut outcome = || -> Result<bool, BundleError> {
                if repo.manifest(&tag)?.is_some() {
                    return Ok(false);
                }
                let (record, files) = match &prepared {
                    Some(contents) => contents.clone(),
                    None => prepared.insert(contents(env, key, artifacts)?).clone(),
                };
                let new = NewArtifact {
                    artifact_type: COMPONENT_ARTIFACT_TYPE,
                    config: Some((RECORD_MEDIA_TYPE, record)),
                    files,
                    annotations: BTreeMap::from([(
                        "org.opencontainers.image.title".to_owned(),
                        component.name().to_owned(),
                    )]),
                };
                push_artifact(repo, &new, Some(&tag), self.signer.as_ref())?;
                Ok(true)
            };
            let outcome = outcome();
            outcomes.push((repo.name(), outcome));
        }
        outcomes
    }
}

/// A component artifact's record and files.
type Contents = (Vec<u8>, Vec<ArtifactFile>);

/// The record (paths made bare names: nothing of this machine's layout leaves it) and the
/// files of a component's artifact.
fn contents(env: &BuildEnv, key: &str, artifacts: &Artifacts) -> Result<Contents, BundleError> {
    let mtime = u64::try_from(env.source_date_epoch).unwrap_or(0);
    let members = env.cache.tgz_members();
    let mut files = Vec::new();
    let mut record = artifacts.clone();
    let tar_files = artifacts
        .binaries
        .iter()
        .map(TarFile::from)
        .chain(artifacts.files.iter().map(TarFile::from));
    for file in tar_files {
        files.push(ArtifactFile {
            name: file.name.to_owned(),
            path: file.path.to_owned(),
            media_type: BINARY_MEDIA_TYPE.into(),
        });
        std::fs::create_dir_all(&members).map_err(BundleError::io("creating", &members))?;
        let member = cached_member(file, mtime, &members)?;
        files.push(ArtifactFile {
            name: format!("{MEMBERS}/{}", member_file(file, mtime)),
            path: member,
            media_type: MEMBER_MEDIA_TYPE.into(),
        });
    }
    for page in &artifacts.man_pages {
        files.push(ArtifactFile {
            name: format!("{}/{}", build_core::MAN_DIR, page.name),
            path: page.path.clone(),
            media_type: MAN_PAGE_MEDIA_TYPE.into(),
        });
    }
    for a in &mut record.binaries {
        a.path = a.name.clone().into();
    }
    for page in &mut record.man_pages {
        page.path = format!("{}/{}", build_core::MAN_DIR, page.name).into();
    }
    for f in &mut record.files {
        f.path = f.name.clone().into();
    }
    let bytes = serde_json::to_vec_pretty(&CachedArtifacts {
        key: key.to_owned(),
        artifacts: record,
    })
    .map_err(|e| BundleError::Encode {
        what: "a component's record".into(),
        message: e.to_string(),
    })?;
    Ok((bytes, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_s_settings_are_read_beside_pins_lock_and_keys_are_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        assert_eq!(
            SharedCacheSettings::read(&dir).unwrap(),
            SharedCacheSettings::default()
        );
        std::fs::write(
            dir.join(CONFIG_FILE),
            "[cache]\nfrom = [\"r.example/team/c\"]\nverify = \"keys/team.pub\"\ngo = \"/mnt/go\"\n",
        )
        .unwrap();
        let settings = SharedCacheSettings::read(&dir).unwrap();
        assert_eq!(settings.from, ["r.example/team/c"]);
        assert_eq!(settings.verify, Some(dir.join("keys/team.pub")));
        assert_eq!(settings.go.as_deref(), Some("/mnt/go"));
        assert!(!settings.required && settings.to.is_empty());
    }

    #[test]
    fn a_misspelt_setting_is_an_error_naming_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        std::fs::write(dir.join(CONFIG_FILE), "[cache]\nform = [\"r.example/c\"]\n").unwrap();
        let err = SharedCacheSettings::read(&dir).unwrap_err().to_string();
        assert!(
            err.contains("dockyard.toml") && err.contains("form"),
            "{err}"
        );
    }
}
