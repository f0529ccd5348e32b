//! `pins.lock`.

use super::*;
use crate::urls::password;

// ---------------------------------------------------------------------------------------------
// pins.lock

/// Every key a TOML text defines: table headers' names and the keys before `=` (dotted keys
/// split), quotes removed.
pub(crate) fn keys_in(text: &str) -> BTreeSet<String> {
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
pub(crate) fn assert_names_file_line_and_field(text: &str, err: &PinsError) {
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

pub(crate) fn parse_pins(text: &str) -> Result<Pins, PinsError> {
    Pins::parse(Utf8Path::new(PINS_PATH), text)
}

/// What an accepted file must hold, whatever it looked like.
pub(crate) fn assert_accepted_pins_are_valid(pins: &Pins) {
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
pub(crate) fn seed_line_of(table: &str, field: &str) -> usize {
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
pub(crate) fn bad_value(field: &'static str) -> BoxedStrategy<String> {
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
pub(crate) fn one_bad_value() -> impl Strategy<Value = (&'static str, &'static str, String)> {
    (
        prop::sample::select(&UPSTREAMS[..]),
        prop::sample::select(&PIN_FIELDS[..]),
    )
        .prop_flat_map(|(table, field)| (Just(table), Just(field), bad_value(field)))
}

pub(crate) fn with_value(table: &str, field: &str, value: &str) -> String {
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
        let text = apply_str(SEED, &edits);
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
