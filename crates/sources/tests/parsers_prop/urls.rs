//! Commit ids, repository URLs, mirrors.

use super::*;
use crate::pins::{parse_pins, seed_line_of, with_value};

// ---------------------------------------------------------------------------------------------
// Commit ids, repository URLs, mirrors

/// Strings shaped like what people write for a repository: a scheme (or a transport helper,
/// or none), maybe a user and a password, a host, a port, a path, a query.
pub(crate) fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https://",
        "ssh://",
        "",
        "",
        "ext::",
        "fd::",
        "http://",
        "file://",
        "git://",
        "-",
        "git+ssh://",
        "HTTPS://",
        "ssh::",
        "/",
    ]);
    let user = prop_oneof![
        Just(String::new()),
        "[a-z]{1,6}@",
        "[a-z]{1,6}:[a-z0-9]{1,8}@",
        ":[a-z0-9]{1,8}@",
        "[a-z%:@]{1,6}@",
    ];
    let host = prop_oneof![
        Just("github.com".to_owned()),
        Just(String::new()),
        "-o[A-Za-z]{1,12}(=[a-z%]{1,8})?",
        "\\[[0-9a-f:]{1,8}\\]",
        "[a-z0-9.:@/-]{1,10}",
    ];
    let rest = "[a-z0-9/:@?#=.%_~ -]{0,16}";
    prop_oneof![
        3 => (scheme, user, host, rest).prop_map(|(s, u, h, r)| format!("{s}{u}{h}{r}")),
        // A transport helper's command, in any order of the characters that make a URL.
        1 => "(ext|fd|[a-z]{1,4})::[a-z0-9/:@.%-]{0,16}",
    ]
}

/// Whether `s` names a git transport helper (`ext::`, `fd::`, any `<scheme>::`), as git reads
/// URLs: scheme characters from the start, then `::`.
pub(crate) fn is_transport_helper(s: &str) -> bool {
    let scheme_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    s[scheme_len..].starts_with("::")
}

/// The userinfo of a URL (`https://USER@host`, `ssh://USER@host`, scp-like `USER@host:path`).
pub(crate) fn userinfo(s: &str) -> Option<&str> {
    let rest = s.split_once("://").map_or(s, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').map(|(user, _)| user)
}

/// The password of `user:password@` in a URL, when it is plainly one (4 or more letters and
/// digits, so a refusal that shows it is not a coincidence).
pub(crate) fn password(s: &str) -> Option<&str> {
    let (_, password) = userinfo(s)?.split_once(':')?;
    (password.len() >= 4 && password.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(password)
}

/// What every accepted repository URL must be: https, ssh or scp-like `user@host:path`, with
/// no password, token or query, no transport helper, no host that reads as an option.
pub(crate) fn assert_plain_repository_url(s: &str) {
    assert!(!is_transport_helper(s), "{s:?}: a transport helper");
    assert!(!s.contains('?'), "{s:?}: a query");
    assert!(!s.starts_with('-'), "{s:?}: an option");
    assert!(
        !s.chars().any(|c| c.is_whitespace() || c == '\0'),
        "{s:?}: whitespace"
    );
    if s.starts_with("https://") || s.starts_with("ssh://") {
        assert!(
            s.starts_with("ssh://") || userinfo(s).is_none(),
            "{s:?}: a user in an https URL"
        );
        assert!(
            !userinfo(s).is_some_and(|u| u.contains(':')),
            "{s:?}: a password"
        );
        let rest = s.split_once("://").map_or("", |(_, rest)| rest);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host.split(':').next().unwrap_or("");
        assert!(
            !host.is_empty() && !host.starts_with('-'),
            "{s:?}: no host, or one that reads as an option"
        );
    } else {
        // scp-like: `user@host:` before the first `:`, nothing else.
        let (head, _) = s.split_once(':').expect("scp-like has a `:`");
        let (user, host) = head
            .split_once('@')
            .unwrap_or_else(|| panic!("{s:?}: neither https, ssh nor scp-like user@host:path"));
        assert!(
            !user.contains('/') && !host.is_empty() && !host.contains('/'),
            "{s:?}: not user@host:path"
        );
        assert!(
            !host.starts_with('-'),
            "{s:?}: a host that reads as an option"
        );
    }
}

#[test]
fn a_type_error_names_its_table_and_key_and_a_syntax_error_no_field() {
    let text = with_value("runc", "commit", "x").replace("commit = \"x\"", "commit = 1");
    let err = parse_pins(&text).unwrap_err().to_string();
    let line = seed_line_of("runc", "commit");
    assert!(
        err.starts_with(&format!("{PINS_PATH}:{line}: runc.commit: invalid type")),
        "{err}"
    );
    let err = parse_pins("0").unwrap_err().to_string();
    assert!(err.starts_with(&format!("{PINS_PATH}:1: -: ")), "{err}");
}

#[test]
fn a_transport_helper_hidden_behind_a_path_and_an_at_is_refused() {
    // Was accepted as scp-like: the text before the first `/` ("ext::sh") looked like a host.
    for bad in [
        "ext::sh/x@h:y",
        "ext::/tmp/evil@host:path",
        "fd::3/x@h:y",
        "./a:b@c",
    ] {
        assert!(RepoUrl::parse(bad).is_err(), "{bad} was accepted");
        assert!(
            Mirror::parse(bad).is_err() || matches!(Mirror::parse(bad), Ok(Mirror::Path(_))),
            "{bad} was accepted as a mirror URL"
        );
    }
    for good in ["git@github.com:moby/moby.git", "git@github.com:moby/ext::x"] {
        RepoUrl::parse(good).unwrap();
    }
}

#[test]
fn a_file_mirror_with_credentials_is_refused_without_echoing_them() {
    let err = Mirror::parse("file://me:s3cret@host/srv/moby").unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    for good in ["file:///srv/mirrors/moby", "file:///srv/a@b/moby"] {
        assert!(matches!(Mirror::parse(good), Ok(Mirror::Url(_))), "{good}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_commit_id_is_accepted_exactly_when_it_is_forty_lowercase_hex_digits(
        s in prop_oneof![any::<String>(), "[0-9a-fA-F]{38,42}", "[0-9a-f]{40}"],
        n in 0usize..64,
    ) {
        let full = s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match CommitId::parse(&s) {
            Ok(id) => {
                prop_assert!(full, "{:?} was accepted", s);
                prop_assert_eq!(id.as_str(), s.as_str());
                prop_assert_eq!(id.short(n), &s[..n.min(40)]);
            }
            Err(err) => {
                prop_assert!(!full, "{:?} was refused: {}", s, err);
                prop_assert!(err.to_string().contains("40 lowercase hex"), "{}", err);
            }
        }
    }

    #[test]
    fn an_accepted_repository_url_is_https_or_ssh_without_credentials_or_transport_helpers(
        s in prop_oneof![any::<String>(), url_like(), url_like(), url_like()]
    ) {
        match RepoUrl::parse(&s) {
            Ok(url) => {
                assert_plain_repository_url(url.as_str());
                // Showing it never panics and never shows a user's secret.
                let _ = (url.canonical(), url.to_string(), format!("{url:?}"));
            }
            Err(err) => {
                // A refusal never echoes a password.
                if let Some(password) = password(&s) {
                    prop_assert!(!err.to_string().contains(&format!(":{password}@")), "{}", err);
                }
            }
        }
    }

    #[test]
    fn an_accepted_mirror_url_carries_no_credentials_or_transport_helpers(
        s in prop_oneof![any::<String>(), url_like(), url_like(), url_like()]
    ) {
        match Mirror::parse(&s) {
            Ok(Mirror::Url(u)) => {
                prop_assert_eq!(&u, &s);
                prop_assert!(!is_transport_helper(&u), "{:?}", u);
                if u.starts_with("file://") {
                    prop_assert!(userinfo(&u).is_none(), "{:?}: a user in a file URL", u);
                } else {
                    assert_plain_repository_url(&u);
                }
            }
            Ok(Mirror::Path(p)) => {
                prop_assert!(!p.as_str().is_empty() && !p.as_str().starts_with('-'));
                prop_assert!(!p.as_str().contains("::") && !p.as_str().contains("://"), "{}", p);
            }
            Err(err) => {
                if let Some(password) = password(&s) {
                    prop_assert!(!err.to_string().contains(&format!(":{password}@")), "{}", err);
                }
            }
        }
    }
}
