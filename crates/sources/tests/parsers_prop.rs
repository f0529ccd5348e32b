//! Property tests of every parser of outside input in `sources`: `pins.lock`, commit ids,
//! repository URLs, mirrors, and patch series and files. For arbitrary input and for mutations
//! of valid input, each parser never panics, and when it refuses, its error names the file
//! (and, for `pins.lock` and a series, the line).
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use sources::pins::{CommitId, Pins, PinsError};
use sources::source::{Mirror, Patch, PatchError, SERIES};
use sources::url::RepoUrl;

/// The repository's own `pins.lock`: every mutation starts from it.
const SEED: &str = include_str!("../../../pins.lock");
/// Where the mutated file pretends to live: every error must name it.
const PINS_PATH: &str = "/srv/team/dockyard/pins.lock";
const UPSTREAMS: [&str; 8] = [
    "buildx",
    "cli",
    "compose",
    "containerd",
    "moby",
    "rootlesskit",
    "runc",
    "tini",
];
const PIN_FIELDS: [&str; 4] = ["repository", "tag", "commit", "version"];

/// 256 cases from a fixed seed; `PROPTEST_CASES` (and `PROPTEST_RNG_SEED`) override them.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            256
        },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            default.rng_seed
        } else {
            RngSeed::Fixed(0x5eed)
        },
        failure_persistence: None,
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid text.

/// One edit of a text; positions are taken modulo its length when applied.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceLine(Index, String),
    Truncate(Index),
    Insert(Index, String),
}

/// Text that is likely to mean something to a TOML, JSON or diff reader, and text that is not.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
        "[\\x00-\\x7f]{1,6}",
        prop::sample::select(vec![
            "\"",
            "'",
            "[",
            "]",
            "[[",
            "]]",
            "=",
            "{",
            "}",
            ",",
            ":",
            "#",
            "\\",
            "\\u",
            "\n",
            "\r\n",
            "\t",
            "\0",
            "\u{feff}",
            "é",
            "😀",
            "\"\"\"",
            "'''",
            "..",
            "/",
            "-",
            "+",
            "@@ ",
            "--- ",
            "+++ ",
            "diff --git ",
            "null",
            "true",
            "1e999",
            "-1",
            "99999999999999999999",
            "[moby]\n",
            "go = \"1\"\n",
            "commit = 1\n",
            "=\"\"\n",
            "\"\" = 1\n",
            "[a.b]\n",
            "[[moby]]\n",
        ])
        .prop_map(str::to_owned),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::ReplaceLine(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..5)
}

/// The largest char boundary of `s` at or before `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_owned();
    for edit in edits {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
        match edit {
            Edit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i.index(lines.len()));
            }
            Edit::DuplicateLine(i) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines.insert(i, lines[i].clone());
            }
            Edit::SwapLines(a, b) if !lines.is_empty() => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
            }
            Edit::ReplaceLine(i, s) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines[i] = format!("{s}\n");
            }
            Edit::Truncate(i) => {
                let at = boundary(&text, i.index(text.len() + 1));
                text.truncate(at);
                continue;
            }
            Edit::Insert(i, s) => {
                let at = boundary(&text, i.index(text.len() + 1));
                text.insert_str(at, s);
                continue;
            }
            _ => continue,
        }
        text = lines.concat();
    }
    text
}

// ---------------------------------------------------------------------------------------------
// pins.lock

/// Every key a TOML text defines: table headers' names and the keys before `=` (dotted keys
/// split), quotes removed.
fn keys_in(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        let key = if let Some(header) = line.strip_prefix('[') {
            header
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
        } else if let Some((key, _)) = line.split_once('=') {
            key
        } else {
            continue;
        };
        for part in key.split('.') {
            keys.insert(part.trim().trim_matches(['"', '\'']).to_owned());
        }
    }
    keys
}

/// Checks a refusal of `text`: `PATH:LINE: FIELD: message`, with a line of the file and a
/// field that is `-` (TOML itself is broken), a known name, or a key the file defines.
fn assert_names_file_line_and_field(text: &str, err: &PinsError) {
    let PinsError::Invalid {
        path, line, field, ..
    } = err
    else {
        panic!("parsing text gave another error than Invalid: {err}");
    };
    assert_eq!(path, PINS_PATH, "{err}");
    let lines = text.lines().count().max(1);
    assert!(
        (1..=lines + 1).contains(line),
        "line {line} is not a line of the {lines}-line file: {err}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{PINS_PATH}:{line}: {field}: ")),
        "not `file:line: field: message`: {shown}"
    );
    let known = field == "-"
        || field == "go"
        || UPSTREAMS.contains(&field.as_str())
        || PIN_FIELDS.contains(&field.as_str())
        || field
            .split_once('.')
            .is_some_and(|(upstream, f)| UPSTREAMS.contains(&upstream) && PIN_FIELDS.contains(&f))
        || keys_in(text).contains(field.as_str());
    assert!(
        known && !field.is_empty(),
        "the field `{field}` is neither `-`, a pin's field nor a key of the file: {shown}"
    );
}

fn parse_pins(text: &str) -> Result<Pins, PinsError> {
    Pins::parse(Utf8Path::new(PINS_PATH), text)
}

/// What an accepted file must hold, whatever it looked like.
fn assert_accepted_pins_are_valid(pins: &Pins) {
    let go: Vec<&str> = pins.go.split('.').collect();
    assert!((2..=3).contains(&go.len()), "go = {}", pins.go);
    for pin in pins.iter() {
        assert!(CommitId::parse(pin.commit.as_str()).is_ok(), "{pin:?}");
        assert!(RepoUrl::parse(pin.repository.as_str()).is_ok(), "{pin:?}");
        assert!(
            !pin.version.is_empty() && !pin.version.starts_with('v') && !pin.version.contains('/'),
            "{pin:?}"
        );
        assert!(!pin.tag.is_empty() && !pin.tag.contains(".."), "{pin:?}");
    }
}

/// The 1-based line of `field = ` in `[table]` of the seed.
fn seed_line_of(table: &str, field: &str) -> usize {
    let header = format!("[{table}]");
    let start = SEED
        .lines()
        .position(|l| l.trim() == header)
        .expect("table in the seed");
    let offset = SEED
        .lines()
        .skip(start)
        .position(|l| l.starts_with(&format!("{field} = ")))
        .expect("field in the table");
    start + offset + 1
}

/// A value that the named field must refuse (no `"` or `\`, so it quotes as it is).
fn bad_value(field: &'static str) -> BoxedStrategy<String> {
    match field {
        "commit" => prop_oneof![
            "[0-9a-f]{0,39}",
            "[0-9a-f]{41,64}",
            "[0-9a-f]{0,39}[A-Zg-z.~^ -][0-9a-f]{0,39}",
            "v[0-9]\\.[0-9]{1,2}\\.[0-9]",
        ]
        .prop_filter("a valid commit id", |s| CommitId::parse(s).is_err())
        .boxed(),
        "repository" => prop_oneof![
            "https://[a-z]{1,8}(:[a-z0-9]{1,8})?@github\\.com/[a-z]{1,8}/[a-z]{1,8}",
            "ssh://[a-z]{1,8}:[a-z0-9]{1,8}@github\\.com/[a-z]{1,8}",
            "[a-z]{1,8}:[a-z0-9]{4,8}@github\\.com:[a-z]{1,8}",
            "https://github\\.com/[a-z]{1,8}\\?token=[a-z0-9]{1,8}",
            "(http|git|file|ftp)://[a-z]{1,8}/[a-z]{1,8}",
            "(ext|fd)::[a-z0-9/%@:]{0,12}",
            "-[a-z]{0,8}",
            "/[a-z/]{0,12}",
            "ssh://-o[A-Za-z]{1,12}/x",
        ]
        .boxed(),
        "version" => prop_oneof![
            Just(String::new()),
            "v[0-9]\\.[0-9]\\.[0-9]",
            "[0-9]{1,2}/[0-9]{1,2}",
            "\\.\\./[a-z]{1,8}",
            "[0-9]{1,2}[ !$*;|&<>(){}][0-9]{1,2}",
        ]
        .boxed(),
        _ => prop_oneof![
            Just(String::new()),
            "-[a-z0-9.]{0,8}",
            "/[a-z0-9.]{0,8}",
            "[a-z]{0,4}\\.\\.[a-z]{0,4}",
            "[a-z]{1,4}[ !$*;|&<>(){}][a-z]{1,4}",
        ]
        .boxed(),
    }
}

/// `[table]` and `field` of the seed, and a value that field refuses.
fn one_bad_value() -> impl Strategy<Value = (&'static str, &'static str, String)> {
    (
        prop::sample::select(&UPSTREAMS[..]),
        prop::sample::select(&PIN_FIELDS[..]),
    )
        .prop_flat_map(|(table, field)| (Just(table), Just(field), bad_value(field)))
}

fn with_value(table: &str, field: &str, value: &str) -> String {
    let n = seed_line_of(table, field);
    SEED.lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n {
                format!("{field} = \"{value}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

#[test]
fn the_seed_pins_lock_parses() {
    let pins = parse_pins(SEED).unwrap();
    assert_eq!(pins.iter().count(), UPSTREAMS.len());
    assert_eq!(seed_line_of("runc", "commit"), {
        let at = SEED.find("[runc]").unwrap();
        SEED[..at].lines().count() + 4
    });
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_pins_lock_is_refused_naming_the_file_and_line_never_panics(edits in edits()) {
        let text = apply(SEED, &edits);
        match parse_pins(&text) {
            Ok(pins) => assert_accepted_pins_are_valid(&pins),
            Err(err) => assert_names_file_line_and_field(&text, &err),
        }
    }

    #[test]
    fn an_arbitrary_pins_lock_is_refused_naming_the_file_and_line_never_panics(
        text in prop_oneof![
            any::<String>(),
            prop::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat()),
        ]
    ) {
        match parse_pins(&text) {
            Ok(pins) => assert_accepted_pins_are_valid(&pins),
            Err(err) => assert_names_file_line_and_field(&text, &err),
        }
    }

    #[test]
    fn a_pins_lock_with_one_bad_value_is_refused_at_that_line_and_field(
        (table, field, value) in one_bad_value()
    ) {
        let text = with_value(table, field, &value);
        let err = parse_pins(&text).expect_err(&format!("{table}.{field} = {value:?} was accepted"));
        assert_names_file_line_and_field(&text, &err);
        let PinsError::Invalid { line, field: named, .. } = &err else { unreachable!() };
        prop_assert_eq!(*line, seed_line_of(table, field), "{}", err);
        prop_assert_eq!(named, &format!("{table}.{field}"), "{}", err);
        if field == "repository" {
            // A secret in a refused URL is never echoed.
            if let Some(password) = password(&value) {
                prop_assert!(!err.to_string().contains(&format!(":{password}@")), "{}", err);
            }
            if let Some((_, query)) = value.split_once('?') {
                prop_assert!(!err.to_string().contains(query), "{}", err);
            }
        }
    }

    #[test]
    fn a_pins_lock_whose_commit_changed_to_any_text_parses_only_a_full_commit_id(
        table in prop::sample::select(&UPSTREAMS[..]),
        commit in prop_oneof!["[0-9a-f]{40}", "[0-9a-fA-Z]{36,44}", "[ -~&&[^\"\\\\]]{0,44}"],
    ) {
        let text = with_value(table, "commit", &commit);
        match parse_pins(&text) {
            Ok(pins) => {
                let pinned = pins.iter().find(|p| p.upstream.name() == table).unwrap();
                prop_assert_eq!(pinned.commit.as_str(), commit.as_str());
                prop_assert!(commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            }
            Err(err) => {
                assert_names_file_line_and_field(&text, &err);
                prop_assert!(CommitId::parse(&commit).is_err(), "{}", err);
                prop_assert!(err.to_string().starts_with(&format!("{PINS_PATH}:{}: {table}.commit: ", seed_line_of(table, "commit"))), "{}", err);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Commit ids, repository URLs, mirrors

/// Strings shaped like what people write for a repository: a scheme (or a transport helper,
/// or none), maybe a user and a password, a host, a port, a path, a query.
fn url_like() -> impl Strategy<Value = String> {
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
fn is_transport_helper(s: &str) -> bool {
    let scheme_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    s[scheme_len..].starts_with("::")
}

/// The userinfo of a URL (`https://USER@host`, `ssh://USER@host`, scp-like `USER@host:path`).
fn userinfo(s: &str) -> Option<&str> {
    let rest = s.split_once("://").map_or(s, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').map(|(user, _)| user)
}

/// The password of `user:password@` in a URL, when it is plainly one (4 or more letters and
/// digits, so a refusal that shows it is not a coincidence).
fn password(s: &str) -> Option<&str> {
    let (_, password) = userinfo(s)?.split_once(':')?;
    (password.len() >= 4 && password.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(password)
}

/// What every accepted repository URL must be: https, ssh or scp-like `user@host:path`, with
/// no password, token or query, no transport helper, no host that reads as an option.
fn assert_plain_repository_url(s: &str) {
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

// ---------------------------------------------------------------------------------------------
// Patch series and patch files

const SERIES_SEED: &str = "\
# applied in order onto the pinned commit
0001-fix-build.patch
0002-more.patch -p1

0003-plain.diff -p0   # a plain `diff -u` made inside the tree
sub/0004-in-a-folder.patch
";

const PATCH_FILES: [&str; 4] = [
    "0001-fix-build.patch",
    "0002-more.patch",
    "0003-plain.diff",
    "sub/0004-in-a-folder.patch",
];

/// A patches folder holding the seed's patch files and `series` as given.
fn patches_dir(series: &[u8]) -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().join("patches/runc")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for name in PATCH_FILES {
        std::fs::write(
            dir.join(name),
            format!("--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join(SERIES), series).unwrap();
    (tmp, dir)
}

/// Checks `read_series` of `dir`: accepted patches lie inside it; a refusal names the series
/// (with a line of it) or the listed patch it could not read.
fn check_series(dir: &Utf8Path, series_text: &[u8]) -> Result<(), TestCaseError> {
    let series_path = dir.join(SERIES);
    match Patch::read_series(dir) {
        Ok(patches) => {
            for patch in &patches {
                prop_assert!(
                    patch.path.starts_with(dir),
                    "{} is outside {}",
                    patch.path,
                    dir
                );
                prop_assert!(!patch.name.split('/').any(|p| p == ".."), "{}", patch.name);
                let on_disk = std::fs::read(&patch.path).unwrap();
                prop_assert_eq!(patch.bytes(), on_disk.as_slice());
            }
        }
        Err(err @ PatchError::BadSeries { .. }) => {
            let PatchError::BadSeries { series, line, .. } = &err else {
                unreachable!()
            };
            prop_assert_eq!(series, &series_path);
            let lines = String::from_utf8_lossy(series_text).lines().count();
            prop_assert!(
                (1..=lines).contains(line),
                "line {} of {}: {}",
                line,
                lines,
                err
            );
            prop_assert!(
                err.to_string()
                    .starts_with(&format!("{series_path}:{line}: ")),
                "{}",
                err
            );
        }
        Err(err @ PatchError::Unreadable { .. }) => {
            let PatchError::Unreadable { path, .. } = &err else {
                unreachable!()
            };
            prop_assert!(
                *path == series_path || path.starts_with(dir),
                "names neither the series nor a patch in it: {}",
                err
            );
            prop_assert!(err.to_string().contains(path.as_str()), "{}", err);
        }
        Err(err) => prop_assert!(false, "reading a series gave {}", err),
    }
    Ok(())
}

#[test]
fn the_seed_series_reads_every_patch_in_order() {
    let (_tmp, dir) = patches_dir(SERIES_SEED.as_bytes());
    let patches = Patch::read_series(&dir).unwrap();
    let names: Vec<&str> = patches.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, PATCH_FILES);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_series_reads_only_patches_inside_its_folder_or_is_refused_naming_the_file_and_line(
        edits in edits(),
        outside in prop::option::of(prop::sample::select(vec![
            "../0001-fix-build.patch", "/etc/passwd", "sub/../../x", ".git/config", "..",
            ".", "sub", "a\0b", "0001-fix-build.patch -p2", "0001-fix-build.patch -p1 -p0",
        ])),
        at in any::<Index>(),
    ) {
        let mut text = apply(SERIES_SEED, &edits);
        if let Some(outside) = outside {
            let at = boundary(&text, at.index(text.len() + 1));
            text.insert_str(at, &format!("\n{outside}\n"));
        }
        let (_tmp, dir) = patches_dir(text.as_bytes());
        check_series(&dir, text.as_bytes())?;
    }

    #[test]
    fn an_arbitrary_series_never_panics_and_a_refusal_names_the_file(
        series in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            prop::collection::vec(fragment(), 0..16).prop_map(|p| p.concat().into_bytes()),
        ]
    ) {
        let (_tmp, dir) = patches_dir(&series);
        check_series(&dir, &series)?;
    }

    #[test]
    fn any_patch_file_is_read_as_its_bytes_and_a_missing_one_is_named(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        name in "[a-zA-Z0-9._-]{1,20}",
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let path = dir.join(&name);
        let missing = Patch::read(&path).unwrap_err();
        prop_assert!(missing.to_string().contains(path.as_str()), "{}", missing);
        if std::fs::write(&path, &bytes).is_ok() {
            let patch = Patch::read(&path).unwrap();
            prop_assert_eq!(patch.bytes(), bytes.as_slice());
            prop_assert_eq!(patch.name, path.file_name().unwrap());
            prop_assert_eq!(patch.sha256.len(), 64);
        }
    }
}
