//! Each kind of SPDX element the bundle's SBOM holds, as the NTIA minimum elements want them:
//! a name, a version, a supplier and an identifier for every package.

use build_core::buildinfo::{GoBuildInfo, GoModule};
use build_core::clib::CLibrary;
use build_core::source::Patch;
use build_core::{Artifact, Upstream};
use serde_spdx::spdx::v_2_3::{
    SpdxItemFiles, SpdxItemFilesBuilder, SpdxItemFilesItemChecksums, SpdxItemPackages,
    SpdxItemPackagesBuilder, SpdxItemPackagesItemChecksums, SpdxItemPackagesItemExternalRefs,
};
use sha1::Sha1;
use sha2::Digest;

use super::ids::Ids;
use crate::manifest::{ManifestComponent, ManifestFile, SourceKind};
use crate::publish::Bundle;

const NOASSERTION: &str = "NOASSERTION";

/// Who publishes each upstream, and the licence its repository declares.
fn publisher(upstream: Upstream) -> (&'static str, &'static str) {
    match upstream {
        Upstream::Buildx | Upstream::Cli | Upstream::Compose | Upstream::Packaging => {
            ("Organization: Docker, Inc.", "Apache-2.0")
        }
        Upstream::Containerd => ("Organization: The containerd project", "Apache-2.0"),
        Upstream::Moby => ("Organization: The Moby Project", "Apache-2.0"),
        Upstream::Rootlesskit => (
            "Organization: The Rootless Containers project",
            "Apache-2.0",
        ),
        Upstream::Runc => ("Organization: Open Container Initiative", "Apache-2.0"),
        Upstream::Tini => ("Person: Thomas Orozco", "MIT"),
    }
}

/// One file of the bundle as a package: what it is, and its path, checksum and purpose
/// (`ARCHIVE`, `FILE`), built at the bundle's time under its upstream's licence.
struct BundleFile<'a> {
    kind: &'a str,
    name: &'a str,
    version: &'a str,
    upstream: Upstream,
    path: &'a str,
    sha256: &'a str,
    purpose: &'a str,
    summary: String,
}

impl BundleFile<'_> {
    fn package(self, ids: &mut Ids, bundle: &Bundle) -> SpdxItemPackages {
        let (supplier, licence) = publisher(self.upstream);
        let mut p = package(
            ids.new_id(&[self.kind, self.name, self.version]),
            self.name,
            self.version,
            supplier,
        );
        p.package_file_name = Some(self.path.to_owned());
        p.checksums = sha256(self.sha256);
        p.primary_package_purpose = Some(self.purpose.into());
        p.built_date = Some(build_core::build::rfc3339(bundle.source_date_epoch));
        p.license_declared = Some(licence.into());
        p.summary = Some(self.summary);
        p
    }
}

/// The rootless extras' tarball, described beside the static tgz: it contains rootlesskit and
/// moby's two scripts, and is named for the release as Docker names it.
pub(super) fn extras_package(
    ids: &mut Ids,
    bundle: &Bundle,
    tarball: &crate::publish::Tarball,
) -> SpdxItemPackages {
    BundleFile {
        kind: "Extras",
        name: "docker-rootless-extras",
        version: &bundle.version,
        upstream: Upstream::Moby,
        path: &tarball.file.path,
        sha256: &tarball.file.sha256,
        purpose: "ARCHIVE",
        summary: format!(
            "Rootless mode for Docker Engine {} (rootlesskit, dockerd-rootless.sh) for {}",
            bundle.version, bundle.target
        ),
    }
    .package(ids, bundle)
}

/// A file of a source tree shipped as it is (`dockerd-rootless.sh`), at `path` in the bundle
/// with checksum `sha`: a package of its own (SPDX lets a package whose files were not
/// analysed contain packages, not files), versioned as its source.
pub(super) fn shipped_file(
    ids: &mut Ids,
    bundle: &Bundle,
    c: &ManifestComponent,
    path: &str,
    sha: &str,
    made: &str,
) -> SpdxItemPackages {
    let name = path.rsplit('/').next().unwrap_or(path);
    BundleFile {
        kind: "File",
        name,
        version: &c.stamped_version(),
        upstream: c.upstream,
        path,
        sha256: sha,
        purpose: "FILE",
        summary: format!("{name}, {made} {}'s tree at {}", c.name, c.commit),
    }
    .package(ids, bundle)
}

/// A CLI plugin's tarball, described beside the static tgz; it contains the plugin.
pub(super) fn plugin_package(
    ids: &mut Ids,
    bundle: &Bundle,
    components: &[ManifestComponent],
    tarball: &crate::publish::Tarball,
) -> SpdxItemPackages {
    let plugin = tarball.binaries.first().map_or("", String::as_str);
    let component = components
        .iter()
        .find(|c| c.binaries.iter().any(|b| b == plugin));
    BundleFile {
        kind: "Plugin",
        name: &format!("{plugin}-plugin"),
        version: &component.map_or_else(String::new, ManifestComponent::stamped_version),
        upstream: component.map_or(Upstream::Cli, |c| c.upstream),
        path: &tarball.file.path,
        sha256: &tarball.file.sha256,
        purpose: "ARCHIVE",
        summary: format!("The {plugin} Docker CLI plugin for {}", bundle.target),
    }
    .package(ids, bundle)
}

/// A package with the fields every one has. Nothing in it is a file SPDX analysed, so
/// `filesAnalyzed` is false (and no verification code is owed).
fn package(id: String, name: &str, version: &str, supplier: &str) -> SpdxItemPackages {
    SpdxItemPackagesBuilder::default()
        .spdxid(id)
        .name(name)
        .version_info(version)
        .supplier(supplier)
        .download_location(NOASSERTION)
        .files_analyzed(false)
        .build()
        .expect("every required field of a package is set above")
}

fn sha256(value: &str) -> Option<Vec<SpdxItemPackagesItemChecksums>> {
    Some(vec![SpdxItemPackagesItemChecksums {
        algorithm: "SHA256".into(),
        checksum_value: value.to_owned(),
    }])
}

fn purl(locator: String) -> Option<Vec<SpdxItemPackagesItemExternalRefs>> {
    Some(vec![SpdxItemPackagesItemExternalRefs {
        comment: None,
        reference_category: "PACKAGE-MANAGER".into(),
        reference_type: "purl".into(),
        reference_locator: locator,
    }])
}

/// The version as a purl carries it (`+` is a separator there).
fn purl_version(version: &str) -> String {
    version.replace('%', "%25").replace('+', "%2B")
}

/// The static archive (a tgz, Windows' zip): the package the document describes, which
/// contains every binary.
pub(super) fn bundle_package(
    ids: &mut Ids,
    bundle: &Bundle,
    tgz: &ManifestFile,
) -> SpdxItemPackages {
    let (supplier, licence) = publisher(Upstream::Moby);
    let mut p = package(
        ids.new_id(&["Bundle", &bundle.name()]),
        "docker",
        &bundle.version,
        supplier,
    );
    p.package_file_name = Some(tgz.path.clone());
    p.checksums = sha256(&tgz.sha256);
    p.primary_package_purpose = Some("ARCHIVE".into());
    p.built_date = Some(build_core::build::rfc3339(bundle.source_date_epoch));
    p.license_declared = Some(licence.into());
    let what = match bundle.target.layout() {
        Some(bundle_format::Layout::Mac) => "Docker client",
        _ => "Docker Engine",
    };
    p.summary = Some(format!(
        "{what} {} ({}, {} binaries) for {}",
        bundle.version,
        if bundle.debug { "debug" } else { "release" },
        match bundle.linkage {
            build_core::Linkage::Static => "static",
            build_core::Linkage::Dynamic => "dynamic",
        },
        bundle.target
    ));
    p
}

/// One upstream source: where, which tag and commit, and whether patched.
pub(super) fn source_package(ids: &mut Ids, c: &ManifestComponent) -> SpdxItemPackages {
    let (supplier, licence) = publisher(c.upstream);
    let upstream = c.upstream.name();
    let mut p = package(
        ids.new_id(&["Source", upstream]),
        upstream,
        &c.stamped_version(),
        supplier,
    );
    p.originator = Some(supplier.into());
    p.primary_package_purpose = Some("SOURCE".into());
    p.license_declared = Some(licence.into());
    if let Some(repo) = c.repository.as_ref().filter(|r| r.starts_with("https://")) {
        p.download_location = format!("git+{repo}@{}", c.commit);
        if let Some(path) = repo.strip_prefix("https://github.com/") {
            p.external_refs = purl(format!("pkg:github/{path}@{}", c.commit));
        }
    }
    let mut info = match c.source {
        SourceKind::Pin => format!("the pinned commit {}", c.commit),
        SourceKind::Fork => format!("a fork, at commit {}", c.commit),
        SourceKind::WorkingTree => format!(
            "a developer's working tree at {}{}",
            c.commit,
            if c.dirty {
                ", with uncommitted changes"
            } else {
                ""
            }
        ),
    };
    if let Some(tag) = &c.tag {
        info.push_str(&format!(" (ref {tag})"));
    }
    for patch in &c.patches {
        info.push_str(&format!(
            "; patched with {} (SHA-256 {})",
            patch.name, patch.sha256
        ));
    }
    p.source_info = Some(format!("Built from {info}."));
    p
}

/// A patch applied onto a source: a file of the bundle's input, not of the bundle.
pub(super) fn patch_file(
    ids: &mut Ids,
    c: &ManifestComponent,
    n: usize,
    patch: &Patch,
) -> SpdxItemFiles {
    let checksum = |algorithm: &str, value: String| SpdxItemFilesItemChecksums {
        algorithm: algorithm.into(),
        checksum_value: value,
    };
    SpdxItemFilesBuilder::default()
        .spdxid(ids.new_id(&["Patch", &c.name, &(n + 1).to_string()]))
        .file_name(format!("./patches/{}/{}", c.upstream, patch.name))
        .file_types(vec!["SOURCE".to_owned()])
        .checksums(vec![
            checksum(
                "SHA1",
                build_core::digest::hex(&Sha1::digest(patch.bytes())),
            ),
            checksum("SHA256", patch.sha256.clone()),
        ])
        .comment(format!(
            "Patch {} of {}'s series, applied in order.",
            n + 1,
            c.name
        ))
        .build()
        .expect("every required field of a file is set above")
}

/// A binary of the bundle, described from its Go build information when it is a Go binary.
pub(super) fn binary_package(
    ids: &mut Ids,
    bundle: &Bundle,
    artifact: &Artifact,
    c: &ManifestComponent,
    info: Option<&GoBuildInfo>,
) -> SpdxItemPackages {
    let (supplier, licence) = publisher(c.upstream);
    let mut version = c.stamped_version();
    if c.dirty {
        version.push_str("-dirty");
    }
    if bundle.debug && info.is_some() {
        version.push_str("+debug");
    }
    let mut p = package(
        ids.new_id(&["Binary", &artifact.name]),
        &artifact.name,
        &version,
        supplier,
    );
    p.package_file_name = bundle.path_of(&artifact.name);
    p.checksums = sha256(&artifact.sha256);
    p.primary_package_purpose = Some("APPLICATION".into());
    p.built_date = Some(build_core::build::rfc3339(bundle.source_date_epoch));
    p.license_declared = Some(licence.into());
    p.comment = Some(match info {
        Some(info) => format!(
            "Go {}; main module {}; tags {}; cgo {}; {} Go modules; {}.",
            info.go_version,
            info.main.path,
            Some(info.tags().join(","))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "none".into()),
            if info.cgo() { "on" } else { "off" },
            info.deps.len(),
            artifact.link
        ),
        None => format!("C, built with {}; {}.", artifact.toolchain, artifact.link),
    });
    p
}

/// The Go standard library of one Go release.
pub(super) fn go_stdlib(ids: &mut Ids, go_version: &str) -> SpdxItemPackages {
    let release = go_version.trim_start_matches("go");
    let mut p = package(
        ids.new_id(&["GoStdlib", release]),
        "stdlib",
        go_version,
        "Organization: The Go project",
    );
    p.primary_package_purpose = Some("LIBRARY".into());
    p.license_declared = Some("BSD-3-Clause".into());
    p.download_location = format!("https://go.dev/dl/{go_version}.src.tar.gz");
    p.external_refs = purl(format!("pkg:golang/stdlib@{}", purl_version(release)));
    p
}

/// Who publishes a Go module, as its path says (`github.com/moby`, `golang.org`): the best
/// the build information allows, and what NTIA asks of every component.
fn module_supplier(path: &str) -> String {
    let mut parts = path.split('/');
    let host = parts.next().unwrap_or(path);
    match (host, parts.next()) {
        ("github.com" | "gitlab.com" | "bitbucket.org", Some(owner)) => {
            format!("Organization: {host}/{owner}")
        }
        _ => format!("Organization: {host}"),
    }
}

/// A Go module, as linked: a replacement in the place of what it replaced.
pub(super) fn go_module(ids: &mut Ids, module: &GoModule) -> SpdxItemPackages {
    let linked = module.linked();
    let version = Some(linked.version.as_str())
        .filter(|v| !v.is_empty())
        .unwrap_or(NOASSERTION);
    let mut p = package(
        ids.new_id(&["GoModule", &linked.path, version]),
        &linked.path,
        version,
        &module_supplier(&linked.path),
    );
    p.primary_package_purpose = Some("LIBRARY".into());
    if version != NOASSERTION {
        p.external_refs = purl(format!(
            "pkg:golang/{}@{}",
            linked.path,
            purl_version(version)
        ));
    }
    // go.sum's h1: hash is the SHA-256 of the module's file list (Go records none for vendored builds).
    if let Some(hex) = linked.sum.as_deref().and_then(h1_hex) {
        p.checksums = sha256(&hex);
    }
    if !std::ptr::eq(linked, module) {
        p.comment = Some(format!("Replaces {} {}.", module.path, module.version));
    }
    p
}

/// The hex digest inside a go.sum `h1:` hash.
fn h1_hex(sum: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sum.strip_prefix("h1:")?)
        .ok()?;
    (raw.len() == 32).then(|| build_core::digest::hex(&raw))
}

/// A C library, as the Debian package that provided it.
pub(super) fn c_library(ids: &mut Ids, lib: &CLibrary) -> SpdxItemPackages {
    let package_version = lib.package_version.as_deref().unwrap_or(NOASSERTION);
    let mut p = package(
        ids.new_id(&["CLibrary", &lib.name, package_version]),
        &lib.name,
        lib.version.as_deref().unwrap_or(NOASSERTION),
        "Organization: Debian",
    );
    let (originator, licence) = match lib.name.as_str() {
        "glibc" => (
            "Organization: The GNU C Library project",
            "LGPL-2.1-or-later",
        ),
        _ => ("Organization: The libseccomp project", "LGPL-2.1-only"),
    };
    p.originator = Some(originator.into());
    p.license_declared = Some(licence.into());
    p.primary_package_purpose = Some("LIBRARY".into());
    p.source_info = Some(format!(
        "From Debian's package {} {package_version}.",
        lib.package
    ));
    if let Some(v) = &lib.package_version {
        let (name, arch) = lib.package.split_once(':').unwrap_or((&lib.package, ""));
        let arch = if arch.is_empty() {
            String::new()
        } else {
            format!("?arch={arch}")
        };
        p.external_refs = purl(format!("pkg:deb/debian/{name}@{}{arch}", purl_version(v)));
    }
    // The .deb dockyard downloaded (another architecture's), as it was.
    if let Some(sha) = &lib.package_sha256 {
        p.checksums = sha256(sha);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_s_supplier_is_its_host_and_owner() {
        assert_eq!(
            module_supplier("github.com/moby/sys/user"),
            "Organization: github.com/moby"
        );
        assert_eq!(
            module_supplier("golang.org/x/sys"),
            "Organization: golang.org"
        );
        assert_eq!(
            module_supplier("go.etcd.io/bbolt"),
            "Organization: go.etcd.io"
        );
    }

    #[test]
    fn a_go_sum_hash_becomes_a_sha256_and_a_replacement_names_what_it_replaced() {
        let module = GoModule {
            path: "a.io/x".into(),
            version: "v1.0.0".into(),
            sum: None,
            replace: Some(Box::new(GoModule {
                path: "b.io/x".into(),
                version: "v1.0.1+incompatible".into(),
                sum: Some("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
                replace: None,
            })),
        };
        let p = go_module(&mut Ids::default(), &module);
        assert_eq!(p.name, "b.io/x");
        assert_eq!(p.version_info.as_deref(), Some("v1.0.1+incompatible"));
        assert_eq!(
            p.checksums.unwrap()[0].checksum_value,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            p.external_refs.unwrap()[0].reference_locator,
            "pkg:golang/b.io/x@v1.0.1%2Bincompatible"
        );
        assert_eq!(p.comment.as_deref(), Some("Replaces a.io/x v1.0.0."));
    }
}
