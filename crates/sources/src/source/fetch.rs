//! Getting a commit into the cache: from a path mirror (read in place), a URL mirror or the
//! pin's repository (fetched, shallow where the transport allows), or a fork's ref.

use std::time::Duration;

use git2::{ErrorCode, Oid, Repository};

use super::error::{git_err, io_err};
use super::{Mirror, Origin, Source, SourceCache, SourceError};
use crate::fs::{remove_dir_all_if_exists, utf8};
use crate::lock::FileLock;
use crate::pins::{CommitId, Pin};
use crate::progress::Progress;
use crate::upstream::Upstream;
use crate::url::{RepoUrl, redact, redact_url};
use camino::Utf8Path;

impl SourceCache {
    /// Resolves `reference` in `url` to a commit by fetching it, then prepares that commit like a
    /// pin of its own.
    pub(super) fn prepare_fork(
        &self,
        pin: &Pin,
        url: &str,
        reference: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        let upstream = pin.upstream;
        let reference = reference.unwrap_or("HEAD");
        if !is_valid_reference(reference) {
            return Err(SourceError::BadMirror {
                given: format!("{}@{reference}", redact_url(url)),
                why: "not a branch, tag or full commit name".into(),
            });
        }
        let repository = if url.starts_with("file://") {
            RepoUrl::local(url)
        } else {
            RepoUrl::parse(url).map_err(|e| SourceError::BadMirror {
                given: redact_url(url),
                why: e.to_string(),
            })?
        };
        let repo_dir = self.repository_dir(url);
        let lock_path = self
            .layout
            .lock(repo_dir.file_name().unwrap_or("repository"));
        let commit = {
            let _lock = FileLock::acquire(
                &lock_path,
                &format!("the {upstream} repository cache"),
                progress,
            )
            .map_err(io_err("cannot lock", &lock_path))?;
            let repo = open_or_init(&repo_dir, upstream)?;
            let local = format!(
                "refs/dockyard/remote/{}",
                reference.trim_start_matches("refs/")
            );
            if self.offline {
                if repo.find_reference(&local).is_err() {
                    return Err(SourceError::NotCachedOffline {
                        upstream,
                        commit: pin.commit.clone(),
                        url: format!("{}@{reference}", redact(url)),
                    });
                }
            } else {
                progress.status(
                    "Fetching",
                    &format!("{upstream} {reference} from {}", redact(url)),
                );
                self.fetch_refspec(
                    &repo,
                    upstream,
                    &pin.commit,
                    url,
                    &format!("+{reference}:{local}"),
                    false,
                    progress,
                )?;
            }
            let id = repo
                .find_reference(&local)
                .and_then(|r| r.peel_to_commit())
                .map_err(|e| git_err(upstream, &format!("resolving {reference}"), e))?
                .id();
            CommitId::parse(&id.to_string()).map_err(|e| SourceError::Git {
                upstream,
                action: "resolving a ref".into(),
                message: e.to_string(),
                hint: None,
            })?
        };
        let resolved = Pin {
            upstream,
            repository,
            tag: reference.to_owned(),
            commit,
            version: pin.version.clone(),
        };
        let mut source = self.prepare_pinned(&resolved, None, progress)?;
        source.origin = Origin::Remote {
            url: format!("{}@{reference}", redact(url)),
        };
        Ok(source)
    }
    /// A repository handle in which `pin.commit` resolves, fetching it if needed.
    pub(super) fn repository_with_commit(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<(Repository, Origin), SourceError> {
        let upstream = pin.upstream;
        let commit = &pin.commit;
        let oid =
            Oid::from_str(commit.as_str()).map_err(|e| git_err(upstream, "reading the pin", e))?;
        let repo_dir = self.repository_dir(pin.repository.as_str());
        let repo = open_or_init(&repo_dir, upstream)?;
        if has_commit(&repo, oid) {
            return Ok((repo, Origin::Cache));
        }
        // Fetched before, yet unreadable now: the repository is damaged, and a fetch would find
        // nothing to download. Callers repair this by starting the repository afresh.
        if repo
            .find_reference(&format!("refs/dockyard/{commit}"))
            .is_ok()
        {
            return Err(SourceError::Git {
                upstream,
                action: "reading the cached repository".into(),
                message: format!("commit {commit} was fetched but cannot be read"),
                hint: Some(format!("delete {repo_dir} and retry")),
            });
        }
        let url = match mirror {
            Some(Mirror::Path(path)) => {
                let mirror_repo =
                    Repository::open(path).map_err(|e| SourceError::MirrorNotARepository {
                        upstream,
                        path: path.clone(),
                        message: redact(e.message()),
                    })?;
                // Read the mirror's objects in place: no copy, and a mirror whose old history
                // was pruned still serves the pinned tree.
                let objects =
                    utf8(mirror_repo.path().join("objects")).map_err(io_err("bad path", path))?;
                repo.odb()
                    .and_then(|odb| odb.add_disk_alternate(objects.as_str()))
                    .map_err(|e| git_err(upstream, "reading the mirror", e))?;
                progress.status(
                    "Reading",
                    &format!("{upstream} {commit} from mirror {path}"),
                );
                if !has_commit(&repo, oid) {
                    return Err(SourceError::MirrorLacksCommit {
                        upstream,
                        commit: commit.clone(),
                        mirror: path.to_string(),
                    });
                }
                return Ok((
                    repo,
                    Origin::Mirror {
                        path: path.to_string(),
                    },
                ));
            }
            Some(Mirror::Url(url)) => url.clone(),
            None => pin.repository.as_str().to_owned(),
        };
        if self.offline {
            return Err(SourceError::NotCachedOffline {
                upstream,
                commit: commit.clone(),
                url: redact(&url),
            });
        }
        progress.status(
            "Fetching",
            &format!("{upstream} {commit} from {}", redact(&url)),
        );
        self.fetch_commit(&repo, upstream, commit, &url, progress)?;
        if !has_commit(&repo, oid) {
            return Err(SourceError::CommitNotInRemote {
                upstream,
                commit: commit.clone(),
                url: redact(&url),
            });
        }
        Ok((repo, Origin::Remote { url: redact(&url) }))
    }

    fn fetch_commit(
        &self,
        repo: &Repository,
        upstream: Upstream,
        commit: &CommitId,
        url: &str,
        progress: &dyn Progress,
    ) -> Result<(), SourceError> {
        let refspec = format!("+{commit}:refs/dockyard/{commit}");
        self.fetch_refspec(repo, upstream, commit, url, &refspec, true, progress)
    }

    /// Fetches `refspec` with bounded retries; `shallow` where the transport can.
    #[allow(clippy::too_many_arguments)]
    fn fetch_refspec(
        &self,
        repo: &Repository,
        upstream: Upstream,
        commit: &CommitId,
        url: &str,
        refspec: &str,
        shallow: bool,
        progress: &dyn Progress,
    ) -> Result<(), SourceError> {
        let mut last = None;
        // libgit2's local transport cannot negotiate depth; smart transports can.
        let mut shallow = shallow && !url.starts_with("file://");
        let mut attempt = 0;
        while attempt < self.fetch_attempts {
            attempt += 1;
            let mut remote = repo
                .remote_anonymous(url)
                .map_err(|e| git_err(upstream, "setting up the remote", e))?;
            let mut options = git2::FetchOptions::new();
            if shallow {
                options.depth(1);
            }
            options.download_tags(git2::AutotagOption::None);
            options.remote_callbacks(credential_callbacks(repo));
            match remote.fetch(&[refspec], Some(&mut options), None) {
                Ok(()) => return Ok(()),
                // The server answered that it has no such object: retrying cannot help.
                Err(e) if is_missing_object(&e) => {
                    return Err(SourceError::CommitNotInRemote {
                        upstream,
                        commit: commit.clone(),
                        url: redact(url),
                    });
                }
                // `url.<base>.insteadOf` can turn an https pin into a local path: fetch it whole,
                // without spending an attempt.
                Err(e) if shallow && e.message().contains("shallow fetch is not supported") => {
                    shallow = false;
                    attempt -= 1;
                }
                Err(e) => {
                    let message = redact(e.message());
                    if attempt < self.fetch_attempts {
                        progress.status(
                            "Retrying",
                            &format!(
                                "{upstream} fetch ({attempt}/{}): {message}",
                                self.fetch_attempts
                            ),
                        );
                        std::thread::sleep(Duration::from_millis(250 * u64::from(attempt)));
                    }
                    last = Some(message);
                }
            }
        }
        Err(SourceError::Fetch {
            upstream,
            commit: commit.clone(),
            url: redact(url),
            attempts: self.fetch_attempts,
            message: last.unwrap_or_default(),
        })
    }
}

/// Credentials the way git finds them: ssh-agent for ssh, the configured credential helper for
/// https. libgit2 asks again after each refusal, so the number of tries is bounded.
pub(super) fn credential_callbacks(repo: &Repository) -> git2::RemoteCallbacks<'static> {
    let config = repo.config().ok();
    let mut tries = 0;
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(move |url, username, allowed| {
        tries += 1;
        if tries > 3 {
            return Err(git2::Error::from_str(
                "authentication failed (tried ssh-agent and git's credential helper)",
            ));
        }
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return git2::Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && let Some(config) = &config
        {
            return git2::Cred::credential_helper(config, url, username);
        }
        git2::Cred::default()
    });
    callbacks
}

fn is_missing_object(e: &git2::Error) -> bool {
    let m = e.message().to_ascii_lowercase();
    e.code() == ErrorCode::NotFound
        || m.contains("not our ref")
        || m.contains("no such")
        || m.contains("not found")
        || m.contains("couldn't find remote ref")
}

/// The cache repository at `dir`, created (or re-created, if unreadable) as needed.
pub(super) fn open_or_init(dir: &Utf8Path, upstream: Upstream) -> Result<Repository, SourceError> {
    match Repository::open_bare(dir) {
        Ok(repo) => Ok(repo),
        Err(_) => {
            remove_dir_all_if_exists(dir).map_err(io_err("cannot remove", dir))?;
            Repository::init_bare(dir)
                .map_err(|e| git_err(upstream, &format!("creating the cache repository {dir}"), e))
        }
    }
}

/// A branch, tag, `HEAD` or full commit that is safe inside a refspec.
fn is_valid_reference(r: &str) -> bool {
    if r == "HEAD" || CommitId::parse(r).is_ok() {
        return true;
    }
    !r.starts_with(['-', '+', '/'])
        && !r.contains([':', '*', '^', '~', '?', '[', '\\', ' ', '\0'])
        && git2::Reference::is_valid_name(&format!(
            "refs/heads/{}",
            r.trim_start_matches("refs/heads/")
        ))
}

fn has_commit(repo: &Repository, oid: Oid) -> bool {
    repo.find_commit(oid).and_then(|c| c.tree()).is_ok()
}
