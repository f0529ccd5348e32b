//! What a repository says without a checkout: its release tags, peeled to commits, and single
//! files at a commit. `pins` derives a release's set from these.

use git2::{Direction, Oid, Repository};

use super::error::git_err;
use super::{Mirror, SourceCache, SourceError};
use crate::pins::{CommitId, Pin};
use crate::progress::Progress;
use crate::upstream::Upstream;
use crate::url::redact;

/// A tag and the commit it names (annotated tags peeled).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tag {
    /// The name without `refs/tags/`.
    pub name: String,
    /// The commit it points at.
    pub commit: CommitId,
}

/// Where the cache repository remembers a remote's last tag listing (a blob of
/// `commit name` lines), for offline runs.
const TAG_LIST: &str = "refs/dockyard/tag-list";

impl SourceCache {
    /// Every tag of `url` (or of `mirror`, which wins), peeled to commits, sorted by name.
    pub fn tags(
        &self,
        upstream: Upstream,
        url: &str,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<Vec<Tag>, SourceError> {
        let mut tags = match mirror {
            Some(Mirror::Path(path)) => {
                let repo =
                    Repository::open(path).map_err(|e| SourceError::MirrorNotARepository {
                        upstream,
                        path: path.clone(),
                        message: redact(e.message()),
                    })?;
                local_tags(&repo, upstream)?
            }
            Some(Mirror::Url(url)) => self.remote_tags(upstream, url, progress)?,
            None => self.remote_tags(upstream, url, progress)?,
        };
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tags)
    }

    /// Lists a remote's tags (no objects are downloaded) and remembers them in the cache
    /// repository for offline use; offline, only what was remembered.
    fn remote_tags(
        &self,
        upstream: Upstream,
        url: &str,
        progress: &dyn Progress,
    ) -> Result<Vec<Tag>, SourceError> {
        let repo_dir = self.repository_dir(url);
        let repo = super::fetch::open_or_init(&repo_dir, upstream)?;
        if self.offline {
            let tags = remembered_tags(&repo, upstream)?;
            if tags.is_empty() {
                return Err(SourceError::TagsNotCachedOffline {
                    upstream,
                    url: redact(url),
                });
            }
            return Ok(tags);
        }
        progress.status("Listing", &format!("{upstream} tags at {}", redact(url)));
        let mut remote = repo
            .remote_anonymous(url)
            .map_err(|e| git_err(upstream, "setting up the remote", e))?;
        let connection = remote
            .connect_auth(
                Direction::Fetch,
                Some(super::fetch::credential_callbacks(&repo)),
                None,
            )
            .map_err(|e| git_err(upstream, &format!("listing the tags of {}", redact(url)), e))?;
        let heads = connection
            .list()
            .map_err(|e| git_err(upstream, "listing tags", e))?;
        // An annotated tag is listed twice: the tag object, then `^{}` with its commit.
        let mut peeled: std::collections::BTreeMap<String, Oid> = Default::default();
        for head in heads {
            let Some(name) = head.name().strip_prefix("refs/tags/") else {
                continue;
            };
            match name.strip_suffix("^{}") {
                Some(base) => {
                    peeled.insert(base.to_owned(), head.oid());
                }
                None => {
                    peeled.entry(name.to_owned()).or_insert(head.oid());
                }
            }
        }
        let mut tags = Vec::new();
        for (name, oid) in peeled {
            let Ok(commit) = CommitId::parse(&oid.to_string()) else {
                continue;
            };
            tags.push(Tag { name, commit });
        }
        remember(&repo, &tags);
        Ok(tags)
    }

    /// What `tag` names, if that can be known without the network: from a path mirror's own
    /// tags, or a listing of the remote remembered in the cache.
    pub fn local_tag(
        &self,
        upstream: Upstream,
        url: &str,
        mirror: Option<&Mirror>,
        tag: &str,
    ) -> Option<CommitId> {
        match mirror {
            // One ref, peeled: a mirror may hold thousands of tags.
            Some(Mirror::Path(path)) => {
                let repo = Repository::open(path).ok()?;
                let reference = repo.find_reference(&format!("refs/tags/{tag}")).ok()?;
                let commit = reference.peel_to_commit().ok()?;
                CommitId::parse(&commit.id().to_string()).ok()
            }
            _ => {
                let repo = Repository::open_bare(self.repository_dir(url)).ok()?;
                let tags = remembered_tags(&repo, upstream).ok()?;
                tags.into_iter().find(|t| t.name == tag).map(|t| t.commit)
            }
        }
    }

    /// The bytes of each of `paths` at `pin.commit` (`None` where the commit has no such
    /// file), getting the commit as a checkout would (cache, mirror or fetch) but writing no tree.
    pub fn read_files(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        paths: &[&str],
        progress: &dyn Progress,
    ) -> Result<Vec<Option<Vec<u8>>>, SourceError> {
        let (repo, _) = self.repository_with_commit(pin, mirror, progress)?;
        let oid = Oid::from_str(pin.commit.as_str())
            .map_err(|e| git_err(pin.upstream, "reading the pin", e))?;
        let tree = repo
            .find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(|e| git_err(pin.upstream, "reading the commit", e))?;
        let mut files = Vec::new();
        for path in paths {
            let Ok(entry) = tree.get_path(std::path::Path::new(path)) else {
                files.push(None);
                continue;
            };
            let blob = repo
                .find_blob(entry.id())
                .map_err(|e| git_err(pin.upstream, &format!("reading {path}"), e))?;
            files.push(Some(blob.content().to_vec()));
        }
        Ok(files)
    }

    /// When `pin.commit` was committed (seconds since the epoch), getting the commit as
    /// [`SourceCache::read_files`] does.
    pub fn commit_time(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<i64, SourceError> {
        let (repo, _) = self.repository_with_commit(pin, mirror, progress)?;
        let oid = Oid::from_str(pin.commit.as_str())
            .map_err(|e| git_err(pin.upstream, "reading the pin", e))?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| git_err(pin.upstream, "reading the commit", e))?;
        Ok(commit.time().seconds())
    }

    /// The first of `branches` a repository at `path` has, and on it the newest commit made
    /// at or before `time`, following first parents: what that branch was when a release
    /// was tagged. `None` when it has none of them, or nothing that old.
    pub fn branch_at(
        upstream: Upstream,
        path: &camino::Utf8Path,
        branches: &[String],
        time: i64,
    ) -> Result<Option<(String, CommitId)>, SourceError> {
        let repo = Repository::open(path).map_err(|e| SourceError::MirrorNotARepository {
            upstream,
            path: path.to_owned(),
            message: redact(e.message()),
        })?;
        let Some((branch, head)) = branches.iter().find_map(|b| {
            let commit = repo
                .find_reference(&format!("refs/heads/{b}"))
                .ok()?
                .peel_to_commit()
                .ok()?;
            Some((b.clone(), commit))
        }) else {
            return Ok(None);
        };
        let mut commit = head;
        while commit.time().seconds() > time {
            let Ok(parent) = commit.parent(0) else {
                return Ok(None);
            };
            commit = parent;
        }
        let id = CommitId::parse(&commit.id().to_string()).map_err(|e| {
            git_err(
                upstream,
                "reading a branch",
                git2::Error::from_str(&e.to_string()),
            )
        })?;
        Ok(Some((branch, id)))
    }

    /// Whether `pin.commit` can be had (cache, mirror or fetch): a pin must name a real commit.
    pub fn ensure_commit(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<(), SourceError> {
        self.repository_with_commit(pin, mirror, progress)
            .map(|_| ())
    }
}

/// Stores listed tags as a small text blob under a ref, so offline runs can read them.
fn remember(repo: &Repository, tags: &[Tag]) {
    let text: String = tags
        .iter()
        .map(|t| format!("{} {}\n", t.commit, t.name))
        .collect();
    if let Ok(blob) = repo.blob(text.as_bytes()) {
        let _ = repo.reference(TAG_LIST, blob, true, "remember listed tags");
    }
}

/// The tag list a previous online listing remembered.
fn remembered_tags(repo: &Repository, upstream: Upstream) -> Result<Vec<Tag>, SourceError> {
    let Ok(reference) = repo.find_reference(TAG_LIST) else {
        return Ok(Vec::new());
    };
    let blob = reference
        .peel_to_blob()
        .map_err(|e| git_err(upstream, "reading remembered tags", e))?;
    let text = String::from_utf8_lossy(blob.content()).into_owned();
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(c, n)| {
            Some(Tag {
                name: n.to_owned(),
                commit: CommitId::parse(c).ok()?,
            })
        })
        .collect())
}

/// The tags of a local repository.
fn local_tags(repo: &Repository, upstream: Upstream) -> Result<Vec<Tag>, SourceError> {
    let refs = repo
        .references_glob("refs/tags/*")
        .map_err(|e| git_err(upstream, "listing tags", e))?;
    let mut tags = Vec::new();
    for reference in refs.flatten() {
        let Some(name) = reference
            .name()
            .ok()
            .and_then(|n| n.strip_prefix("refs/tags/"))
        else {
            continue;
        };
        let name = name.to_owned();
        // Annotated or lightweight, a tag is peeled to the commit it names.
        let Ok(commit) = reference.peel_to_commit() else {
            continue;
        };
        if let Ok(commit) = CommitId::parse(&commit.id().to_string()) {
            tags.push(Tag { name, commit });
        }
    }
    Ok(tags)
}
