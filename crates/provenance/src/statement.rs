//! Making a statement from what a bundle records (its manifest and SBOM), the files it
//! describes, and the run's details.

use std::collections::BTreeMap;

use bundle_format::Manifest;
use bundle_format::manifest::{MANIFEST, SourceKind};
use bundle_format::sbom::SBOM;
use camino::Utf8Path;
use serde_json::json;

use crate::model::{
    BuildDefinition, BuildMetadata, Builder, PREDICATE_TYPE, Provenance, ResourceDescriptor,
    RunDetails, STATEMENT_TYPE, Statement, Subject,
};
/// The files of a bundle the manifest does not list: itself and `SHA256SUMS`.
pub(crate) const RECORDS: [&str; 2] = ["SHA256SUMS", MANIFEST];

use crate::{BUNDLE_BUILD_TYPE, PACKAGES_BUILD_TYPE, ProvenanceError, Run};

/// The statement for the published bundle in `dir` (verified first): every file it ships,
/// `SHA256SUMS` and `manifest.json` too, as a subject.
pub fn bundle_statement(dir: &Utf8Path, run: &Run) -> Result<Statement, ProvenanceError> {
    bundle_format::verify(dir)?;
    let manifest = Manifest::read(dir)?;
    let mut subject: Vec<Subject> = manifest
        .files
        .iter()
        .map(|f| subject(&f.path, &f.sha256))
        .collect();
    for record in RECORDS {
        subject.push(subject_of(dir, record)?);
    }
    let (external, internal) = parameters(&manifest);
    let mut dependencies = source_dependencies(&manifest);
    dependencies.extend(toolchains(dir, &manifest)?);
    dependencies.push(run.dockyard.descriptor());
    Ok(statement(
        subject,
        BUNDLE_BUILD_TYPE,
        external,
        internal,
        dependencies,
        run,
        vec![byproduct(dir, SBOM, "application/spdx+json")?],
    ))
}

/// The statement for the packages in `dir` (every `.deb` and `.rpm`) made from the bundle in
/// `bundle` for `distro`: each package file as a subject, the bundle's manifest and everything
/// it was built from as resolved dependencies.
pub fn packages_statement(
    dir: &Utf8Path,
    bundle: &Utf8Path,
    distro: &str,
    run: &Run,
) -> Result<Statement, ProvenanceError> {
    bundle_format::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    let subject = crate::verify::package_files(dir)?
        .iter()
        .map(|name| subject_of(dir, name))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut external, internal) = parameters(&manifest);
    external["distro"] = json!(distro);
    let mut dependencies = vec![bundle_manifest(bundle)?];
    dependencies.extend(source_dependencies(&manifest));
    dependencies.extend(toolchains(bundle, &manifest)?);
    dependencies.push(run.dockyard.descriptor());
    Ok(statement(
        subject,
        PACKAGES_BUILD_TYPE,
        external,
        internal,
        dependencies,
        run,
        Vec::new(),
    ))
}

/// The resolved dependency naming a bundle's manifest (which names every file of it).
pub(crate) fn bundle_manifest(bundle: &Utf8Path) -> Result<ResourceDescriptor, ProvenanceError> {
    let name = bundle.file_name().unwrap_or("bundle");
    let mut d = ResourceDescriptor::named(
        format!("{name}/{MANIFEST}"),
        "sha256",
        &sha256(&bundle.join(MANIFEST))?,
    );
    d.media_type = Some("application/json".into());
    Ok(d)
}

fn statement(
    subject: Vec<Subject>,
    build_type: &str,
    external: serde_json::Value,
    internal: serde_json::Value,
    resolved_dependencies: Vec<ResourceDescriptor>,
    run: &Run,
    byproducts: Vec<ResourceDescriptor>,
) -> Statement {
    Statement {
        type_: STATEMENT_TYPE.into(),
        subject,
        predicate_type: PREDICATE_TYPE.into(),
        predicate: Provenance {
            build_definition: BuildDefinition {
                build_type: build_type.into(),
                external_parameters: external,
                internal_parameters: internal,
                resolved_dependencies,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: run.builder_id.clone(),
                    version: BTreeMap::from([("dockyard".into(), run.dockyard.version.clone())]),
                },
                metadata: Some(BuildMetadata {
                    invocation_id: run.invocation_id.clone(),
                    finished_on: Some(build_core::build::rfc3339(run.finished_on)),
                }),
                byproducts,
            },
        },
    }
}

/// What the person chose (release, target, linkage, each component's source, ref and
/// patches) and what dockyard chose (epoch, Go, tags).
fn parameters(manifest: &Manifest) -> (serde_json::Value, serde_json::Value) {
    let chosen: Vec<_> = manifest
        .components
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "source": c.source,
                "repository": c.repository,
                "ref": c.tag,
                "patches": c.patches.iter().map(|p| &p.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let built: Vec<_> = manifest
        .components
        .iter()
        .map(|c| {
            let mut built =
                json!({"name": c.name, "go": c.go, "tags": c.tags, "binaries": c.binaries});
            if let Some(cc) = &c.c_compiler {
                built["cCompiler"] = json!(cc);
            }
            built
        })
        .collect();
    (
        json!({
            "release": manifest.version,
            "target": manifest.target.to_string(),
            "linkage": manifest.linkage,
            "debug": manifest.debug,
            "components": chosen,
        }),
        json!({
            "bundleFormat": manifest.format,
            "bundleKey": manifest.bundle_key,
            "sourceDateEpoch": manifest.source_date_epoch,
            "components": built,
        }),
    )
}

/// Each upstream commit (`git+URL@ref`, `gitCommit`) and each patch (`sha256`), once, as the
/// manifest records them: what `verify` checks a statement against.
pub(crate) fn source_dependencies(manifest: &Manifest) -> Vec<ResourceDescriptor> {
    let mut out: Vec<ResourceDescriptor> = Vec::new();
    for c in &manifest.components {
        let mut d = ResourceDescriptor::named(c.upstream.name(), "gitCommit", &c.commit);
        d.uri = c.repository.as_ref().map(|repo| match &c.tag {
            Some(tag) if c.source == SourceKind::Pin => format!("git+{repo}@refs/tags/{tag}"),
            Some(r) => format!("git+{repo}@{r}"),
            None => format!("git+{repo}"),
        });
        if c.source == SourceKind::WorkingTree {
            d.annotations.insert("dirty".into(), json!(c.dirty));
            if let Some(id) = &c.content_id {
                d.annotations.insert("contentId".into(), json!(id));
            }
        }
        if !out.contains(&d) {
            out.push(d);
        }
        for p in &c.patches {
            let d = ResourceDescriptor::named(
                patch_name(c.upstream.name(), &p.name),
                "sha256",
                &p.sha256,
            );
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// How a patch is named among the resolved dependencies: where it lives beside `pins.lock`.
pub(crate) fn patch_name(upstream: &str, patch: &str) -> String {
    format!("patches/{upstream}/{patch}")
}

/// Each Go release the manifest names, and each C library the SBOM records (Debian's package
/// and version, as a purl).
fn toolchains(
    dir: &Utf8Path,
    manifest: &Manifest,
) -> Result<Vec<ResourceDescriptor>, ProvenanceError> {
    let mut out: Vec<ResourceDescriptor> = Vec::new();
    for go in manifest.components.iter().filter_map(|c| c.go.as_ref()) {
        let d = ResourceDescriptor {
            name: Some("go".into()),
            uri: Some(format!("https://go.dev/dl/go{go}.src.tar.gz")),
            annotations: BTreeMap::from([("version".into(), json!(go))]),
            ..ResourceDescriptor::default()
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    let path = dir.join(SBOM);
    let refused = |problem: String| ProvenanceError::Sbom {
        path: path.clone(),
        problem,
    };
    let text = std::fs::read(&path).map_err(ProvenanceError::io("reading", &path))?;
    let sbom: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| refused(e.to_string()))?;
    let packages = sbom["packages"]
        .as_array()
        .ok_or_else(|| refused("it has no packages".into()))?;
    for p in packages {
        let id = p["SPDXID"].as_str().unwrap_or_default();
        if !id.starts_with("SPDXRef-CLibrary-") {
            continue;
        }
        let purl = p["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["referenceType"] == "purl")
            .and_then(|r| r["referenceLocator"].as_str());
        // The .deb's digest, where dockyard downloaded it (another architecture's).
        let deb = (p["checksums"].as_array().into_iter().flatten())
            .find(|c| c["algorithm"] == "SHA256")
            .and_then(|c| c["checksumValue"].as_str())
            .filter(|sha| {
                sha.len() == 64
                    && sha
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            });
        let d = ResourceDescriptor {
            name: p["name"].as_str().map(str::to_owned),
            // No Debian package known (not a Debian machine): the SBOM's ID still names it.
            uri: Some(purl.unwrap_or(id).to_owned()),
            digest: deb
                .map(|sha| BTreeMap::from([("sha256".to_owned(), sha.to_owned())]))
                .unwrap_or_default(),
            annotations: BTreeMap::from([("version".into(), p["versionInfo"].clone())]),
            ..ResourceDescriptor::default()
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn byproduct(
    dir: &Utf8Path,
    name: &str,
    media_type: &str,
) -> Result<ResourceDescriptor, ProvenanceError> {
    let mut d = ResourceDescriptor::named(name, "sha256", &sha256(&dir.join(name))?);
    d.media_type = Some(media_type.into());
    Ok(d)
}

fn subject(name: &str, sha256: &str) -> Subject {
    Subject {
        name: name.to_owned(),
        digest: BTreeMap::from([("sha256".to_owned(), sha256.to_owned())]),
        media_type: None,
    }
}

fn subject_of(dir: &Utf8Path, name: &str) -> Result<Subject, ProvenanceError> {
    Ok(subject(name, &sha256(&dir.join(name))?))
}

pub(crate) fn sha256(path: &Utf8Path) -> Result<String, ProvenanceError> {
    build_core::digest::sha256_file(path).map_err(ProvenanceError::io("reading", path))
}
