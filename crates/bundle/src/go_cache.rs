//! Go's build cache shared with the team: each Go build's `GOCACHEPROG` command line, and a
//! component's pack (`oci_store::GoPacks`) fetched into the local tier before its build and
//! pushed after it, beside the rest of the run. The pack only changes where Go finds
//! outputs: every one is checked against its ID, and anything refused is a miss, asked of the
//! team per action as before.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use build_core::Component;
use camino::{Utf8Path, Utf8PathBuf};
use go_cache::{ActionId, LocalCache, PackCount};
use oci_store::{GoPacks, RegistryOptions};

use crate::BundleError;
use crate::artifacts::BuildEnv;

/// Go's build cache shared with the team, for [`crate::BundleRequest::go_cache`]: this
/// machine's tier, the team's (a registry repository, or a folder the team shares), and the
/// program Go starts as `GOCACHEPROG`. With a registry, each component's Go build also fetches
/// the pack of what its last build used before it starts (one request, not one per action),
/// and pushes its own after it; a shared folder is asked per action only.
#[derive(Clone, Debug)]
pub struct GoCacheSharing {
    local: Utf8PathBuf,
    remote: String,
    options: RegistryOptions,
    command: Vec<String>,
    journal_option: Option<String>,
    packed_option: Option<String>,
}

impl GoCacheSharing {
    /// Shares Go's cache kept in `local` through `remote` (opened with `options`); `command`
    /// is the program Go starts, as words (unquoted: they are quoted as Go splits
    /// `GOCACHEPROG`). Without [`GoCacheSharing::with_journal_option`], no packs are made.
    pub fn new(
        local: Utf8PathBuf,
        remote: String,
        options: RegistryOptions,
        command: Vec<String>,
    ) -> GoCacheSharing {
        GoCacheSharing {
            local,
            remote,
            options,
            command,
            journal_option: None,
            packed_option: None,
        }
    }

    /// Packs, for a registry: each build's command gets two more words, `option` and a file
    /// to which the program appends every action it answers a hit for or stores, one hex ID
    /// a line (`go_cache::LocalCache::with_journal`): what that build's pack holds.
    pub fn with_journal_option(mut self, option: &str) -> GoCacheSharing {
        self.journal_option = Some(option.to_owned());
        self
    }

    /// A build whose pack was fetched gets one more word, `option`: the program then asks the
    /// team nothing and stores nothing there, one action at a time. What Go misses after a
    /// pack is nearly all new to the team too (and Go's module index, which names this
    /// machine's paths), and what the build adds goes up in its own pack after it.
    pub fn with_packed_option(mut self, option: &str) -> GoCacheSharing {
        self.packed_option = Some(option.to_owned());
        self
    }

    /// This machine's tier.
    pub fn local(&self) -> &Utf8Path {
        &self.local
    }

    /// The team's tier.
    pub fn remote(&self) -> &str {
        &self.remote
    }
}

/// Go's shared cache for one run: the packs' repository when the team's tier has packs and
/// it opened.
pub(crate) struct GoCache {
    sharing: GoCacheSharing,
    packs: Option<(GoPacks, LocalCache)>,
}

impl GoCache {
    /// Opens the packs' repository and the local tier; a failure is reported, and Go's
    /// builds then ask the team per action.
    pub(crate) fn open(
        sharing: GoCacheSharing,
        progress: &dyn build_core::progress::Progress,
    ) -> GoCache {
        let packs = (sharing.journal_option.as_ref())
            .map_or(Ok(None), |_| {
                GoPacks::for_remote(&sharing.remote, &sharing.options)
            })
            .map_err(|e| build_core::error::with_causes(&e))
            .and_then(|packs| {
                let local = LocalCache::open(&sharing.local).map_err(|e| e.with_cause())?;
                Ok(packs.map(|p| (p, local)))
            });
        let packs = packs.unwrap_or_else(|why| {
            progress.status(
                "Warning",
                &format!("Go's cache packs are off ({why}); Go asks the team per package"),
            );
            None
        });
        GoCache { sharing, packs }
    }

    /// Whether builds fetch and push packs.
    pub(crate) fn has_packs(&self) -> bool {
        self.packs.is_some()
    }
}

/// One component's Go build with the shared cache: its command line and journal.
pub(crate) struct GoBuild {
    /// `GOCACHEPROG`.
    pub(crate) program: String,
    journal: Option<tempfile::TempPath>,
    tag: String,
}

/// What a build used, to push as its pack: handed to the pusher with the built component.
#[derive(Debug)]
pub(crate) struct PackPush {
    tag: String,
    actions: BTreeSet<ActionId>,
}

/// The tag of `component`'s pack for this run's platform, linkage and debug setting: each
/// build overwrites it, since the next change hits nearly all of the last build's entries.
fn tag(env: &BuildEnv, component: &Component) -> String {
    let target = &env.target;
    let mut tag = format!("gopack-{}-{}-{}", component.name(), target.os, target.arch);
    if let Some(variant) = &target.variant {
        tag = format!("{tag}-{variant}");
    }
    tag.push_str(match env.linkage {
        build_core::Linkage::Static => "-static",
        build_core::Linkage::Dynamic => "-dynamic",
    });
    if env.debug {
        tag.push_str("-debug");
    }
    tag
}

/// Before `component`'s Go build: its journal and command line, and its pack fetched into
/// the local tier (reported; a failure is only a warning).
pub(crate) fn before_build(
    env: &BuildEnv,
    go: &GoCache,
    component: &Component,
) -> Result<GoBuild, BundleError> {
    let tag = tag(env, component);
    let journal = match &go.packs {
        Some(_) => {
            let dir = env.cache.work(component.name());
            std::fs::create_dir_all(&dir).map_err(BundleError::io("creating", &dir))?;
            let file = tempfile::Builder::new()
                .prefix(".go-journal-")
                .tempfile_in(&dir)
                .map_err(BundleError::io("creating a file in", &dir))?;
            Some(file.into_temp_path())
        }
        None => None,
    };
    let path = journal
        .as_ref()
        .map(|p| build_core::fs::utf8(p.to_path_buf()))
        .transpose()
        .map_err(BundleError::io(
            "creating a file in",
            env.cache.work(component.name()),
        ))?;
    let fetched = match &go.packs {
        Some((packs, local)) => fetch(env, packs, local, component, &tag),
        None => false,
    };
    let mut words = go.sharing.command.clone();
    if let (Some(option), Some(path)) = (&go.sharing.journal_option, path) {
        words.extend([option.clone(), path.into_string()]);
    }
    if let (true, Some(option)) = (fetched, &go.sharing.packed_option) {
        words.push(option.clone());
    }
    let program = command_line(&words)?;
    Ok(GoBuild {
        program,
        journal,
        tag,
    })
}

/// Fetches `component`'s pack into the local tier: whether there was one to use.
fn fetch(
    env: &BuildEnv,
    packs: &GoPacks,
    local: &LocalCache,
    component: &Component,
    tag: &str,
) -> bool {
    let name = component.name();
    let started = Instant::now();
    match packs.pull(tag, local) {
        Ok(Some(count)) => {
            env.progress.status(
                "Fetched",
                &format!(
                    "Go's cache pack for {name} ({}) in {:.1} s",
                    counted(&count),
                    started.elapsed().as_secs_f64()
                ),
            );
            count.entries > 0
        }
        Ok(None) => false,
        Err(e) => {
            env.progress.status(
                "Warning",
                &format!(
                    "Go's cache pack for {name} was not used ({}); Go asks the team per package",
                    build_core::error::with_causes(&e)
                ),
            );
            false
        }
    }
}

/// After a successful build: what it used, for the pusher (`None` without packs).
pub(crate) fn after_build(build: GoBuild) -> Option<Arc<PackPush>> {
    let journal = build.journal?;
    let path = build_core::fs::utf8(journal.to_path_buf()).ok()?;
    // An unreadable journal costs the pack, never the build.
    let actions = go_cache::read_journal(&path).ok()?;
    (!actions.is_empty()).then(|| {
        Arc::new(PackPush {
            tag: build.tag,
            actions,
        })
    })
}

/// Pushes a built component's pack, reported; a failure is a warning.
pub(crate) fn push(env: &BuildEnv, go: &GoCache, component: &Component, pack: &PackPush) {
    let Some((packs, local)) = &go.packs else {
        return;
    };
    let name = component.name();
    match packs.push(&pack.tag, local, pack.actions.iter().copied()) {
        Ok(count) => env.progress.status(
            "Pushed",
            &format!(
                "Go's cache pack for {name} ({}) to {}",
                counted(&count),
                packs.name()
            ),
        ),
        Err(e) => env.progress.status(
            "Warning",
            &format!(
                "Go's cache pack for {name} was not pushed to {} ({}); the build is intact",
                packs.name(),
                build_core::error::with_causes(&e)
            ),
        ),
    }
}

fn counted(count: &PackCount) -> String {
    format!(
        "{} entries, {} MB",
        count.entries,
        count.bytes.div_ceil(1_000_000)
    )
}

/// `words` as Go splits `GOCACHEPROG`: each quoted with `'` or `"`, which Go does not escape.
fn command_line(words: &[String]) -> Result<String, BundleError> {
    let quoted = words.iter().map(|word| {
        ['\'', '"']
            .into_iter()
            .find(|q| !word.contains(*q))
            .map(|q| format!("{q}{word}{q}"))
            .ok_or_else(|| BundleError::GoCacheProgram { word: word.clone() })
    });
    Ok(quoted.collect::<Result<Vec<_>, _>>()?.join(" "))
}

impl std::fmt::Debug for GoCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoCache")
            .field("sharing", &self.sharing)
            .field("packs", &self.packs.as_ref().map(|(p, _)| p))
            .finish()
    }
}
