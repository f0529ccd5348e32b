//! Repository URLs: which ones are allowed, and how they are shown.

use std::fmt;

/// A remote repository URL that dockyard will hand to git.
///
/// Only `https://` and `ssh://` (and scp-like `user@host:path`) are accepted, and never with a
/// password: pins are shared files, and libgit2 must never see transport tricks such as `ext::`,
/// `fd::` or an argument-looking `-o…` host.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RepoUrl(String);

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not https or ssh.
    #[error(
        "`{0}` is not an https:// or ssh:// URL (a local path can be a mirror or a working tree, not a pin)"
    )]
    Scheme(String),
    /// A password or token in the URL.
    #[error("`{0}` carries credentials; use a git credential helper or ssh keys instead")]
    Credentials(String),
    /// Anything that could be parsed as an option or escapes a path.
    #[error(
        "`{0}` is not a plain repository URL (it has a leading `-`, whitespace, a NUL or no host)"
    )]
    Malformed(String),
}

impl RepoUrl {
    /// Checks `s` and wraps it.
    pub fn parse(s: &str) -> Result<RepoUrl, UrlError> {
        let shown = redact_url(s);
        if s.starts_with('-') || s.chars().any(|c| c.is_whitespace() || c == '\0') {
            return Err(UrlError::Malformed(shown));
        }
        let https = s.starts_with("https://");
        let rest = if let Some(rest) = s.strip_prefix("https://") {
            rest
        } else if let Some(rest) = s.strip_prefix("ssh://") {
            rest
        } else if !s.contains("://") && s.contains('@') && s.contains(':') {
            // scp-like `git@github.com:owner/repo`: `user@host` before the first `:`, as git
            // reads it; anything else (`ext::cmd/x@h:p`, `./a:b@c`) is a transport helper or a
            // path to git.
            let head = s.split(':').next().unwrap_or("");
            if !head.contains('@') || head.contains('/') {
                return Err(UrlError::Scheme(shown));
            }
            s
        } else {
            return Err(UrlError::Scheme(shown));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        // ssh names a user (`git@`) and authenticates with keys; a user in an https URL is a
        // token more often than not.
        if userinfo.is_some_and(|u| https || u.contains(':')) || s.contains('?') {
            return Err(UrlError::Credentials(shown));
        }
        let host = host.split(':').next().unwrap_or("");
        if host.is_empty() || host.starts_with('-') {
            return Err(UrlError::Malformed(shown));
        }
        Ok(RepoUrl(s.to_owned()))
    }

    /// A `file://` URL to a local repository: allowed where a person passed it on the command
    /// line (`--source`, `--mirror`), never in a pin file.
    pub(crate) fn local(s: &str) -> RepoUrl {
        RepoUrl(s.to_owned())
    }

    /// The URL as given, for git.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identity of the repository: lowercase host, no user, no trailing `.git` or `/`, so
    /// `https://github.com/Moby/moby.git` and `https://github.com/moby/moby` share a cache entry
    /// only where git hosts treat them as one.
    pub fn canonical(&self) -> String {
        let s = self.0.as_str();
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme, rest)) => (scheme, rest),
            None => ("ssh", s),
        };
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (host, path) = rest.split_once(['/', ':']).unwrap_or((rest, ""));
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let _ = scheme;
        format!(
            "{}/{}",
            host.to_ascii_lowercase(),
            path.trim_start_matches('/')
        )
    }
}

impl fmt::Display for RepoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Debug for RepoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepoUrl({})", redact(&self.0))
    }
}

/// [`redact`] of one URL as given, which also hides the user part of one without a scheme
/// (scp-like `user:password@host:path`), where `redact` sees no URL.
pub(crate) fn redact_url(s: &str) -> String {
    if s.contains("://") {
        return redact(s);
    }
    let authority = &s[..s.find('/').unwrap_or(s.len())];
    match authority.rsplit_once('@') {
        Some((user, _)) => redact(&format!("***{}", &s[user.len()..])),
        None => redact(s),
    }
}

/// Hides credentials in anything URL-shaped before it is shown or written:
/// `https://user:token@host/x` becomes `https://***@host/x`, and query strings become `?***`.
pub fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`')
            .unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        let authority_end = url.find('/').unwrap_or(url.len());
        let (authority, path) = url.split_at(authority_end);
        match authority.rsplit_once('@') {
            Some((_, host)) => {
                out.push_str("***@");
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        match path.split_once('?') {
            Some((p, _)) => {
                out.push_str(p);
                out.push_str("?***");
            }
            None => out.push_str(path),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_ssh() {
        for ok in [
            "https://github.com/moby/moby",
            "ssh://git@github.com/moby/moby.git",
            "git@github.com:moby/moby.git",
        ] {
            RepoUrl::parse(ok).unwrap();
        }
    }

    #[test]
    fn refuses_other_schemes_and_tricks() {
        for bad in [
            "http://github.com/moby/moby",
            "file:///srv/moby",
            "/srv/moby",
            "ext::sh -c touch% /tmp/pwned",
            "fd::17",
            "-uhttps://x/y",
            "ssh://-oProxyCommand=touch%20x/moby",
            "git@-oProxyCommand=x:moby",
            "https://",
        ] {
            assert!(RepoUrl::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn refuses_credentials_without_echoing_them() {
        let err = RepoUrl::parse("https://me:s3cret@example.com/x").unwrap_err();
        assert!(matches!(err, UrlError::Credentials(_)));
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = RepoUrl::parse("https://ghp_s3cret@example.com/x").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = RepoUrl::parse("https://example.com/x?token=s3cret").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn redact_hides_userinfo_and_queries_anywhere_in_text() {
        assert_eq!(
            redact("fetch https://me:tok@host/a.git?x=1 failed; ssh://git@h/r"),
            "fetch https://***@host/a.git?*** failed; ssh://***@h/r"
        );
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn canonical_form_ignores_user_case_of_host_and_git_suffix() {
        let a = RepoUrl::parse("https://GitHub.com/moby/moby.git/").unwrap();
        let b = RepoUrl::parse("git@github.com:moby/moby").unwrap();
        assert_eq!(a.canonical(), "github.com/moby/moby");
        assert_eq!(b.canonical(), "github.com/moby/moby");
    }
}
