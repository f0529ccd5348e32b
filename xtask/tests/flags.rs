//! The command line: flags become typed values at the edge, and bad ones name the choices.

use build_core::source::Mirror;
use build_core::{Linkage, Target, Upstream};
use bundle::Replacement;
use clap::{CommandFactory, Parser};
use xtask::{Cli, Command};

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(["cargo xtask"].iter().chain(args)).unwrap()
}

fn error(args: &[&str]) -> String {
    Cli::try_parse_from(["cargo xtask"].iter().chain(args))
        .unwrap_err()
        .to_string()
}

#[test]
fn the_command_line_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn a_source_is_a_path_or_a_url_with_an_optional_ref() {
    let replacement = |value: &str| {
        let Command::Bundle(args) =
            parse(&["bundle", "--source", &format!("runc={value}")]).command
        else {
            panic!("not bundle")
        };
        args.sources.sources[0].replacement.clone()
    };
    let fork = |url: &str, reference: Option<&str>| Replacement::Fork {
        url: url.into(),
        reference: reference.map(str::to_owned),
    };
    assert!(
        matches!(replacement("/home/me/runc"), Replacement::WorkingTree(p) if p == "/home/me/runc")
    );
    assert!(
        matches!(replacement("../runc"), Replacement::WorkingTree(p) if p.ends_with("runc") && p.is_absolute())
    );
    for (value, url, reference) in [
        (
            "https://github.com/me/runc",
            "https://github.com/me/runc",
            None,
        ),
        (
            "https://github.com/me/runc@fix-1",
            "https://github.com/me/runc",
            Some("fix-1"),
        ),
        ("git@github.com:me/runc", "git@github.com:me/runc", None),
        (
            "git@github.com:me/runc@v1.4.3",
            "git@github.com:me/runc",
            Some("v1.4.3"),
        ),
        ("file:///srv/runc@main", "file:///srv/runc", Some("main")),
    ] {
        assert_eq!(replacement(value), fork(url, reference), "{value}");
    }
}

#[test]
fn flags_become_typed_values() {
    let Command::Bundle(args) = parse(&[
        "bundle",
        "--dynamic",
        "--mirror",
        "runc=/srv/runc",
        "--source",
        "moby=https://example.invalid/moby@fix",
        "--only",
        "proxy,moby",
        "--target",
        "linux/arm64",
        "--target",
        "armhf",
    ])
    .command
    else {
        panic!("not bundle")
    };
    assert_eq!(args.linkage.0, Linkage::Dynamic);
    let mirror = &args.sources.repositories.mirrors[0];
    assert_eq!(mirror.upstream, Upstream::Runc);
    assert!(matches!(&mirror.mirror, Mirror::Path(p) if p == "/srv/runc"));
    assert_eq!(
        args.sources.sources[0].replacement,
        Replacement::Fork {
            url: "https://example.invalid/moby".into(),
            reference: Some("fix".into())
        }
    );
    let only: Vec<&str> = args.only.iter().map(|c| c.name()).collect();
    assert_eq!(only, ["proxy", "moby"]);
    assert_eq!(
        args.targets,
        [
            Target::parse("linux/arm64").unwrap(),
            Target::parse("linux/arm/v7").unwrap()
        ]
    );
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let err = error(&["bundle", "--only", "contianerd"]);
    assert!(
        err.contains("contianerd") && err.contains("containerd, cli"),
        "{err}"
    );
    let err = error(&["bundle", "--static", "--dynamic"]);
    assert!(
        err.contains("--dynamic") && err.contains("cannot be used"),
        "{err}"
    );
    let err = error(&["bundle", "--target", "linux/mips"]);
    assert!(
        err.contains("linux/arm/v7")
            && err.contains("linux/s390x")
            && err.contains("linux/riscv64"),
        "{err}"
    );
}
