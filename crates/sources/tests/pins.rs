//! `pins.lock` parsing: every mistake is named with file, line and field before anything runs.

use sources::Upstream;
use sources::pins::{Pins, PinsError};

const GOOD: &str = r#"go = "1.26.5"

[moby]
repository = "https://github.com/moby/moby"
tag = "docker-v29.7.2"
commit = "6a43e3d5afddf4111da0f864bbc7cae5d7e95001"
version = "29.7.2"

[runc]
repository = "https://github.com/opencontainers/runc"
tag = "v1.4.3"
commit = "bb14dabeb7185bb72c8c86735d090dcb20f36587"
version = "1.4.3"
"#;

fn parse(text: &str) -> Result<Pins, PinsError> {
    Pins::parse("pins.lock".into(), text)
}

/// The error's `file:line: field` prefix and message.
fn error(text: &str) -> (usize, String, String) {
    match parse(text).unwrap_err() {
        PinsError::Invalid {
            path,
            line,
            field,
            message,
        } => {
            assert_eq!(path, "pins.lock");
            (line, field, message)
        }
        other => panic!("{other}"),
    }
}

#[test]
fn the_docker_29_7_2_set_parses() {
    let pins = Pins::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../pins.lock").into()).unwrap();
    assert_eq!(pins.go, "1.26.5");
    let moby = pins.get(Upstream::Moby).unwrap();
    assert_eq!(
        moby.commit.as_str(),
        "6a43e3d5afddf4111da0f864bbc7cae5d7e95001"
    );
    assert_eq!(moby.version, "29.7.2");
    let pinned: Vec<&str> = pins.iter().map(|p| p.upstream.name()).collect();
    assert_eq!(
        pinned,
        [
            "buildx",
            "cli",
            "compose",
            "containerd",
            "moby",
            "rootlesskit",
            "runc",
            "tini"
        ]
    );
}

#[test]
fn a_good_file_round_trips_its_fields() {
    let pins = parse(GOOD).unwrap();
    let runc = pins.get(Upstream::Runc).unwrap();
    assert_eq!(runc.tag, "v1.4.3");
    assert_eq!(
        runc.repository.as_str(),
        "https://github.com/opencontainers/runc"
    );
    assert!(pins.get(Upstream::Cli).is_none());
}

#[test]
fn syntax_errors_name_the_line() {
    let (line, field, _) = error(&GOOD.replace("tag = \"v1.4.3\"", "tag = v1.4.3"));
    assert_eq!((line, field.as_str()), (11, "-"));
}

#[test]
fn a_duplicate_component_is_refused_at_its_second_table() {
    let text = format!("{GOOD}\n[runc]\nrepository = \"https://x.example/r\"\n");
    let (line, _, message) = error(&text);
    assert_eq!(line, 15, "{message}");
    assert!(
        message.contains("duplicate") || message.contains("runc"),
        "{message}"
    );
}

#[test]
fn a_missing_field_is_named() {
    let (line, field, message) = error(&GOOD.replace("version = \"1.4.3\"\n", ""));
    assert_eq!(field, "version", "{message}");
    assert!(message.contains("missing field"), "{message}");
    assert!(
        (9..=12).contains(&line),
        "points into the [runc] table: {line}"
    );
}

#[test]
fn an_unknown_field_or_component_is_named_with_the_valid_choices() {
    let (line, field, message) =
        error(&GOOD.replace("tag = \"v1.4.3\"", "tag = \"v1.4.3\"\nbranch = \"main\""));
    assert_eq!((line, field.as_str()), (12, "branch"), "{message}");
    let (line, field, message) = error(&GOOD.replace("[runc]", "[contianerd]"));
    assert_eq!((line, field.as_str()), (9, "contianerd"), "{message}");
    assert!(
        message.contains("containerd"),
        "lists the valid names: {message}"
    );
}

#[test]
fn commits_must_be_forty_lowercase_hex_digits() {
    let good = "bb14dabeb7185bb72c8c86735d090dcb20f36587";
    for bad in [
        "bb14dab",                                  // short: a prefix is never resolved
        "BB14DABEB7185BB72C8C86735D090DCB20F36587", // uppercase
        "zz14dabeb7185bb72c8c86735d090dcb20f36587", // not hex
        "v1.4.3",                                   // a tag
        "bb14dabeb7185bb72c8c86735d090dcb20f36587bb14dabeb7185bb72c8c8673", // 64 hex: SHA-256 ids
    ] {
        let (line, field, message) = error(&GOOD.replace(good, bad));
        assert_eq!(
            (line, field.as_str()),
            (12, "runc.commit"),
            "{bad}: {message}"
        );
        assert!(message.contains("40 lowercase hex"), "{message}");
    }
}

#[test]
fn only_https_and_ssh_urls_without_credentials() {
    let url = "https://github.com/opencontainers/runc";
    for bad in [
        "http://github.com/opencontainers/runc",
        "file:///srv/runc",
        "/srv/runc",
        "ext::sh -c evil",
        "fd::3",
        "-uhttps://x/y",
        "ssh://-oProxyCommand=evil/runc",
    ] {
        let (line, field, message) = error(&GOOD.replace(url, bad));
        assert_eq!(
            (line, field.as_str()),
            (10, "runc.repository"),
            "{bad}: {message}"
        );
    }
    let (_, _, message) =
        error(&GOOD.replace(url, "https://me:hunter2@github.com/opencontainers/runc"));
    assert!(message.contains("credentials"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the secret is never echoed: {message}"
    );
}

#[test]
fn versions_and_tags_cannot_carry_paths() {
    let (_, field, _) = error(&GOOD.replace("version = \"1.4.3\"", "version = \"../../etc\""));
    assert_eq!(field, "runc.version");
    let (_, field, _) = error(&GOOD.replace("version = \"1.4.3\"", "version = \"1.4/3\""));
    assert_eq!(field, "runc.version");
    let (_, field, _) = error(&GOOD.replace("tag = \"v1.4.3\"", "tag = \"/abs\""));
    assert_eq!(field, "runc.tag");
    let (_, field, _) = error(&GOOD.replace("version = \"1.4.3\"", "version = \"1.4\\u0000\""));
    assert_eq!(field, "runc.version");
}

#[test]
fn the_go_release_is_required() {
    let (_, field, _) = error(&GOOD.replace("go = \"1.26.5\"\n", ""));
    assert_eq!(field, "go");
}

#[test]
fn a_missing_file_is_named() {
    let err = Pins::load("/nonexistent/pins.lock".into()).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/pins.lock"), "{err}");
}
