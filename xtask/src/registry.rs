//! Builds shared through OCI registries: the team's caches for `bundle`, `push`, `pull`, and
//! the GOCACHEPROG program Go starts.

use std::sync::Arc;

use anyhow::{Context, Result};
use build_core::progress::Progress;
use bundle::GoCacheSharing;
use bundle::shared::{SharedCache, SharedCacheSettings};
use camino::Utf8PathBuf;
use oci_store::{ArtifactSigner, RegistryOptions, Repository, SignatureCheck};

use crate::flags::{BundleArgs, GoCacheProgramArgs, PullArgs, PushArgs};
use crate::render::StatusLines;

/// How registries are reached: Docker's defaults, `DOCKYARD_CERTS_D` for another `certs.d`.
pub(crate) fn options() -> RegistryOptions {
    RegistryOptions::from_environment()
}

/// The team's cache for a `bundle` run, from dockyard.toml beside pins.lock and the flags,
/// and Go's, when it is shared: each build's GOCACHEPROG is this program's go-cache-program.
pub(crate) fn shared_cache(
    args: &BundleArgs,
    go_cache: Utf8PathBuf,
) -> Result<(Option<Arc<SharedCache>>, Option<GoCacheSharing>)> {
    let dir = args
        .sources
        .pins
        .parent()
        .map(Utf8PathBuf::from)
        .unwrap_or_default();
    let mut settings = SharedCacheSettings::read(&dir)?;
    let flags = &args.shared;
    settings.from.extend(flags.cache_from.iter().cloned());
    settings.to.extend(flags.cache_to.iter().cloned());
    settings.verify = flags.cache_verify.clone().or(settings.verify);
    settings.sign = flags.cache_sign.clone().or(settings.sign);
    settings.required |= flags.cache_required;
    settings.go = flags.go_cache.clone().or(settings.go);
    let program = match &settings.go {
        Some(remote) => {
            let exe = std::env::current_exe().context("cannot find this program")?;
            let exe = exe.to_string_lossy();
            let words = [&*exe, "go-cache-program", "--local", go_cache.as_str()];
            let command = [&words[..], &["--remote", remote]].concat();
            let command = command.into_iter().map(String::from).collect();
            let sharing = GoCacheSharing::new(go_cache.clone(), remote.clone(), options(), command);
            let sharing = sharing.with_journal_option("--journal");
            Some(sharing.with_packed_option("--packed"))
        }
        None => None,
    };
    if settings.is_empty() {
        return Ok((None, program));
    }
    Ok((Some(Arc::new(settings.open(&options())?)), program))
}

/// `push`.
pub(crate) fn push(args: &PushArgs) -> Result<()> {
    let progress = StatusLines::default();
    let tag = oci_store::tag_to_push(&args.reference)?;
    let bundles = if args.bundles.is_empty() {
        bundle::newest_bundle_set(&crate::project_root().join("target/dockyard"))?
    } else {
        args.bundles.clone()
    };
    let repo = Repository::open(&args.reference, &options())?;
    let signer = args
        .sign
        .as_deref()
        .map(ArtifactSigner::from_pem_file)
        .transpose()?;
    let attestations = provenance::RegistryProvenance;
    let pushed = oci_store::push_bundles(
        &repo,
        &tag,
        &bundles,
        signer.as_ref(),
        Some(&attestations),
        &progress,
    )?;
    progress.status(
        "Pushed",
        &format!(
            "{}:{tag} ({} platforms) @{}",
            repo.name(),
            bundles.len(),
            pushed.index
        ),
    );
    Ok(())
}

/// `pull`.
pub(crate) fn pull(args: &PullArgs) -> Result<()> {
    let progress = StatusLines::default();
    let (_, given) = oci_store::split_reference(&args.reference)?;
    let reference = given.unwrap_or_else(|| "latest".into());
    let repo = Repository::open(&args.reference, &options())?;
    let check = args
        .verify
        .as_deref()
        .map(SignatureCheck::from_pem_file)
        .transpose()?;
    let dirs = oci_store::pull_bundles(
        &repo,
        &reference,
        &args.platforms,
        &args.dir,
        check.as_ref(),
        Some(&provenance::RegistryProvenance),
        &progress,
    )?;
    for dir in dirs {
        progress.status("Pulled", &format!("{dir} (verified)"));
    }
    Ok(())
}

/// `go-cache-program`: Go's cache protocol on stdin and stdout until Go closes it.
pub(crate) fn go_cache_program(args: &GoCacheProgramArgs) -> Result<()> {
    let mut local = go_cache::LocalCache::open(&args.local)?;
    if let Some(journal) = &args.journal {
        local = local.with_journal(journal)?;
    }
    // After a pack, the team is asked nothing one action at a time.
    let remote = (args.remote.as_deref())
        .filter(|_| !args.packed)
        .map(|r| oci_store::go_cache_remote(r, &options()));
    let remote = remote.transpose()?;
    let output = std::io::stdout();
    let summary = go_cache::serve(&local, remote.as_deref(), std::io::stdin().lock(), output)?;
    // Go copies this program's standard error into the build's log.
    eprintln!("dockyard go cache: {summary}");
    Ok(())
}
