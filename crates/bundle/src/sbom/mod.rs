//! `sbom.spdx.json`: the bundle's bill of materials, in SPDX 2.3 JSON (the model is
//! `serde-spdx`, generated from SPDX's own schema).
//!
//! One package per upstream source (repository, tag, commit; the patches applied are files
//! related to it by `PATCH_APPLIED`), one per binary (SHA-256, Go release, tags), one per Go
//! module any binary links and per Go standard library (read from the build information Go
//! embeds in each published binary), and one per C library (glibc, libseccomp, with the Debian
//! package that provided it). The document describes the tarball and the sources; the tarball
//! contains the binaries, each `GENERATED_FROM` its source and `STATIC_LINK`ed (or `DYNAMIC_LINK`ed) to
//! its libraries. Every time in it is `SOURCE_DATE_EPOCH`, so equal bundles have equal SBOMs.

mod ids;
mod parts;

use std::collections::BTreeMap;

use build_core::Artifact;
use build_core::buildinfo::GoBuildInfo;
use build_core::toolchain::GoToolchain;
use bundle_format::Archive;
use camino::{Utf8Path, Utf8PathBuf};
use serde_spdx::spdx::v_2_3::{
    Spdx, SpdxCreationInfo, SpdxItemFiles, SpdxItemPackages, SpdxItemRelationships,
};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::manifest::{ManifestComponent, ManifestFile};
use crate::publish::{Bundle, Tarball};
use ids::Ids;

/// The file name, in the bundle folder.
pub use bundle_format::sbom::SBOM;

/// The document being assembled: each element once, related by SPDX IDs.
struct Document {
    ids: Ids,
    packages: Vec<SpdxItemPackages>,
    files: Vec<SpdxItemFiles>,
    relationships: Vec<SpdxItemRelationships>,
    /// Sources, Go modules and libraries that several binaries share: one package (or source)
    /// each, many relationships.
    shared: BTreeMap<String, String>,
}

impl Document {
    fn relate(&mut self, from: &str, kind: &str, to: &str) {
        self.relationships.push(SpdxItemRelationships {
            comment: None,
            spdx_element_id: from.to_owned(),
            relationship_type: kind.to_owned(),
            related_spdx_element: to.to_owned(),
        });
    }

    /// The ID of the shared package `key`, added by `make` the first time.
    fn shared(&mut self, key: String, make: impl FnOnce(&mut Ids) -> SpdxItemPackages) -> String {
        if let Some(id) = self.shared.get(&key) {
            return id.clone();
        }
        let package = make(&mut self.ids);
        let id = package.spdxid.clone();
        self.packages.push(package);
        self.shared.insert(key, id.clone());
        id
    }
}

/// Writes `dir/sbom.spdx.json` for `bundle`, whose binaries are already in their folders of
/// `dir` and whose archives are `tarballs` (the static tgz or zip first); returns its entry for the
/// manifest.
pub(crate) fn write(
    dir: &Utf8Path,
    bundle: &Bundle,
    components: &[ManifestComponent],
    tarballs: &[Tarball],
    key: &str,
) -> Result<ManifestFile, BundleError> {
    let go = go_reader(bundle)?;
    let created = build_core::build::rfc3339(bundle.source_date_epoch);
    let mut doc = Document {
        ids: Ids::default(),
        packages: Vec::new(),
        files: Vec::new(),
        relationships: Vec::new(),
        shared: BTreeMap::new(),
    };
    // The static tgz is the root; the rootless extras' and each plugin's tarball are
    // described beside it.
    let mut containers: Vec<(String, &Tarball)> = Vec::new();
    for tarball in tarballs {
        let package = match tarball.archive {
            Archive::Static => parts::bundle_package(&mut doc.ids, bundle, &tarball.file),
            Archive::RootlessExtras => parts::extras_package(&mut doc.ids, bundle, tarball),
            Archive::Plugin => parts::plugin_package(&mut doc.ids, bundle, components, tarball),
        };
        let id = package.spdxid.clone();
        doc.packages.push(package);
        doc.relate("SPDXRef-DOCUMENT", "DESCRIBES", &id);
        containers.push((id, tarball));
    }

    // Each binary with its component and the ID of the source it was built from.
    let mut binaries: Vec<(&Artifact, &ManifestComponent, String)> = Vec::new();
    for (built, component) in bundle.components.iter().zip(components) {
        // moby's dockerd and docker-proxy come from one tree: one source package.
        let tree = source_key(component);
        if !doc.shared.contains_key(&tree) {
            let source = parts::source_package(&mut doc.ids, component);
            let source_id = source.spdxid.clone();
            doc.packages.push(source);
            // The document describes the sources too: they are what the bundle was built from.
            doc.relate("SPDXRef-DOCUMENT", "DESCRIBES", &source_id);
            for (n, patch) in built.source.patches.iter().enumerate() {
                let file = parts::patch_file(&mut doc.ids, component, n, patch);
                doc.relate(&file.spdxid, "PATCH_APPLIED", &source_id);
                doc.files.push(file);
            }
            doc.shared.insert(tree.clone(), source_id);
        }
        for artifact in &built.artifacts.binaries {
            binaries.push((artifact, component, doc.shared[&tree].clone()));
        }
        // A shipped file is part of its source, and of the tarball that holds it.
        for shipped in &built.artifacts.files {
            let path = bundle.path_of(&shipped.name).unwrap_or_default();
            let file = parts::shipped_file(
                &mut doc.ids,
                bundle,
                component,
                &path,
                &shipped.sha256,
                "shipped as it is from",
            );
            let id = file.spdxid.clone();
            doc.packages.push(file);
            doc.relate(&doc.shared[&tree].clone(), "CONTAINS", &id);
            if let Some((container, _)) = containers
                .iter()
                .find(|(_, t)| t.files.contains(&shipped.name))
            {
                doc.relate(container, "CONTAINS", &id);
            }
        }
        // A man page is made from its source's Markdown by its programs: the source generates it.
        let layout_has_pages = bundle.layout().is_ok_and(|l| l.has_packaging());
        for page in built
            .artifacts
            .man_pages
            .iter()
            .filter(|_| layout_has_pages)
        {
            let path = bundle_format::man_page_path(&page.name).unwrap_or_default();
            let file = parts::shipped_file(
                &mut doc.ids,
                bundle,
                component,
                &path,
                &page.sha256,
                "generated from",
            );
            let id = file.spdxid.clone();
            doc.packages.push(file);
            doc.relate(&doc.shared[&tree].clone(), "GENERATES", &id);
            // A file of the bundle itself, as its tarballs are.
            doc.relate("SPDXRef-DOCUMENT", "DESCRIBES", &id);
        }
    }
    binaries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let go_binaries: Vec<&Artifact> = match &go {
        Some(_) => binaries
            .iter()
            .map(|b| b.0)
            .filter(|a| a.toolchain.starts_with("go"))
            .collect(),
        None => Vec::new(),
    };
    let mut infos: BTreeMap<&str, GoBuildInfo> = match &go {
        Some(go) if !go_binaries.is_empty() => {
            let paths: Vec<Utf8PathBuf> = go_binaries
                .iter()
                .map(|a| dir.join(bundle.path_of(&a.name).unwrap_or_default()))
                .collect();
            let read = GoBuildInfo::read_all(go, &paths).map_err(|source| BundleError::Sbom {
                binary: go_binaries
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                source,
            })?;
            go_binaries
                .iter()
                .map(|a| a.name.as_str())
                .zip(read)
                .collect()
        }
        _ => BTreeMap::new(),
    };
    for (artifact, component, source_id) in binaries {
        let info = infos.remove(artifact.name.as_str());
        let binary =
            parts::binary_package(&mut doc.ids, bundle, artifact, component, info.as_ref());
        let id = binary.spdxid.clone();
        doc.packages.push(binary);
        if let Some((container, _)) = containers
            .iter()
            .find(|(_, t)| t.binaries.contains(&artifact.name))
        {
            doc.relate(container, "CONTAINS", &id);
        }
        doc.relate(&id, "GENERATED_FROM", &source_id);
        if let Some(info) = &info {
            link_go(&mut doc, &id, info);
        }
        let kind = if artifact.link.is_static() {
            "STATIC_LINK"
        } else {
            "DYNAMIC_LINK"
        };
        for library in &artifact.c_libraries {
            let key = format!("c {} {:?}", library.package, library.package_version);
            let lib = doc.shared(key, |ids| parts::c_library(ids, library));
            doc.relate(&id, kind, &lib);
        }
    }

    let spdx = Spdx {
        spdxid: "SPDXRef-DOCUMENT".into(),
        annotations: None,
        comment: Some(format!(
            "Docker Engine {} for {}, built from pinned upstream sources by dockyard.",
            bundle.version, bundle.target
        )),
        creation_info: SpdxCreationInfo {
            comment: None,
            created,
            creators: vec![format!("Tool: dockyard-{}", env!("CARGO_PKG_VERSION"))],
            license_list_version: None,
        },
        data_license: "CC0-1.0".into(),
        document_describes: None,
        // Unique per bundle content, and stable across rebuilds of the same bundle.
        document_namespace: format!("https://dockyard.invalid/spdx/{}/{key}", bundle.name()),
        external_document_refs: None,
        files: Some(doc.files).filter(|f| !f.is_empty()),
        has_extracted_licensing_infos: None,
        name: bundle.name(),
        packages: Some(doc.packages),
        relationships: Some(doc.relationships),
        revieweds: None,
        snippets: None,
        spdx_version: "SPDX-2.3".into(),
    };
    let path = dir.join(SBOM);
    let mut bytes = serde_json::to_vec_pretty(&spdx)
        .map_err(|e| BundleError::io("writing", &path)(std::io::Error::other(e)))?;
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).map_err(BundleError::io("writing", &path))?;
    Ok(ManifestFile {
        path: SBOM.to_owned(),
        sha256: build_core::digest::hex(&Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        link: None,
    })
}

/// What makes two components' trees one source: upstream, commit and what changed it.
fn source_key(c: &ManifestComponent) -> String {
    let patches: Vec<&str> = c.patches.iter().map(|p| p.sha256.as_str()).collect();
    format!(
        "source {} {} {:?} {} {}",
        c.upstream,
        c.commit,
        c.content_id,
        c.dirty,
        patches.join(",")
    )
}

/// The Go that reads build information, when any binary is Go's.
fn go_reader(bundle: &Bundle) -> Result<Option<GoToolchain>, BundleError> {
    let Some(first) = bundle
        .components
        .iter()
        .flat_map(|c| &c.artifacts.binaries)
        .find(|a| a.toolchain.starts_with("go"))
    else {
        return Ok(None);
    };
    GoToolchain::find()
        .map(Some)
        .map_err(|source| BundleError::Sbom {
            binary: first.name.clone(),
            source,
        })
}

/// The Go standard library and every module `info` lists, linked into `binary`.
fn link_go(doc: &mut Document, binary: &str, info: &GoBuildInfo) {
    let go = info.go_version.clone();
    let stdlib = doc.shared(format!("go {go}"), |ids| parts::go_stdlib(ids, &go));
    doc.relate(binary, "STATIC_LINK", &stdlib);
    for module in &info.deps {
        let linked = module.linked();
        let key = format!("module {} {}", linked.path, linked.version);
        let id = doc.shared(key, |ids| parts::go_module(ids, module));
        doc.relate(binary, "STATIC_LINK", &id);
    }
}
