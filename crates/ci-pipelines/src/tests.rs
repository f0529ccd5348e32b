use super::*;

fn small() -> Pipeline {
    let mut p = Pipeline::new(
        "registry.example.com:5000/team/components",
        ["linux/amd64", "linux/arm64"],
    );
    p.jobs = vec![
        Job::new("runc", "linux/amd64", "0a1b2c"),
        Job::new("runc", "linux/arm64", "3d4e5f"),
        Job::new("moby", "linux/arm64", "6a7b8c"),
    ];
    p.build_args = ["--static", "--pins", "pins.lock"]
        .map(String::from)
        .to_vec();
    p.go_cache = Some("registry.example.com:5000/team/go".into());
    p.push = Some("registry.example.com:5000/team/docker:nightly".into());
    p.packages = vec!["deb".into(), "rpm".into()];
    p
}

#[test]
fn a_newline_nul_or_other_control_character_is_refused_wherever_it_is() {
    for bad in ["a\nb", "a\0b", "a\rb", "a\u{7f}", "a\u{2028}"] {
        let mut p = small();
        p.build_args.push(bad.into());
        let want = Error::ControlCharacter {
            field: "build_args[3]".into(),
            value: bad.into(),
        };
        assert_eq!(github(&p), Err(want.clone()));
        assert_eq!(gitlab(&p), Err(want));
        let mut p = small();
        p.jobs[1].target = bad.into();
        assert!(
            matches!(github(&p), Err(Error::ControlCharacter { field, .. }) if field == "jobs[1].target")
        );
        let mut p = small();
        p.push = Some(bad.into());
        assert!(
            matches!(gitlab(&p), Err(Error::ControlCharacter { field, .. }) if field == "push")
        );
    }
}

#[test]
fn a_github_expression_is_refused_in_either_file() {
    let mut p = small();
    p.cache = "host/${{ secrets.TOKEN }}".into();
    let want = Error::Expression {
        field: "cache".into(),
        value: p.cache.clone(),
    };
    assert_eq!(github(&p), Err(want.clone()));
    assert_eq!(gitlab(&p), Err(want));
    let mut p = small();
    p.jobs[0].component = "${{github.event.head_commit.message}}".into();
    assert!(matches!(github(&p), Err(Error::Expression { .. })));
    // `$` alone is only text: the shell never sees it unquoted.
    let mut p = small();
    p.build_args = vec!["--patch".into(), "runc=$HOME/x.patch".into()];
    // In a YAML string, the shell word "runc=\$HOME/x.patch" reads `\"runc=\\$HOME/x.patch\"`.
    let gh = github(&p).unwrap();
    assert!(gh.contains(r#" --patch \"runc=\\$HOME/x.patch\" "#), "{gh}");
}

#[test]
fn missing_or_unknown_values_are_refused() {
    let mut p = small();
    p.targets.clear();
    assert_eq!(
        github(&p),
        Err(Error::Empty {
            field: "targets".into()
        })
    );
    let mut p = small();
    p.cache.clear();
    assert_eq!(
        gitlab(&p),
        Err(Error::Empty {
            field: "cache".into()
        })
    );
    let mut p = small();
    p.push = Some(String::new());
    assert_eq!(
        github(&p),
        Err(Error::Empty {
            field: "push".into()
        })
    );
    let mut p = small();
    p.packages.push("apk".into());
    assert_eq!(
        github(&p),
        Err(Error::UnknownPackageFormat {
            format: "apk".into()
        })
    );
    let mut p = small();
    p.targets = vec!["linux/arm64".into()];
    assert_eq!(gitlab(&p), Err(Error::NoHostTarget));
    p.packages.clear();
    assert!(gitlab(&p).is_ok());
}

#[test]
fn gitlab_refuses_more_jobs_than_one_matrix_makes_and_github_does_not() {
    let mut p = small();
    p.jobs = (0..=GITLAB_MATRIX_LIMIT)
        .map(|i| Job::new("runc", "linux/amd64", i.to_string()))
        .collect();
    assert_eq!(
        gitlab(&p),
        Err(Error::TooManyJobs {
            jobs: 201,
            limit: 200
        })
    );
    assert!(github(&p).is_ok());
    p.jobs.pop();
    assert!(gitlab(&p).is_ok());
}

#[test]
fn a_ref_with_a_space_and_quotes_is_one_shell_word_in_one_yaml_string() {
    let mut p = small();
    p.push = Some(r#"host/it's "a" ref:tag"#.into());
    p.build_args = vec!["--patch".into(), r"runc=patches/a b\c.patch".into()];
    let gh = github(&p).unwrap();
    // Shell: 'host/it'\''s "a" ref:tag'; YAML: `"` and `\` escaped inside a double-quoted line.
    let push = r#"run: "cargo xtask push 'host/it'\\''s \"a\" ref:tag' dist/*/docker-*/""#;
    assert!(gh.contains(push), "{gh}");
    let patch = r#"--patch 'runc=patches/a b\\c.patch' --only \"$COMPONENT\""#;
    assert!(gh.contains(patch), "{gh}");
    let gl = gitlab(&p).unwrap();
    assert!(gl.contains(&format!("    - {}", &push[5..])), "{gl}");
    assert_eq!(commands::shell_word(""), "''");
    assert_eq!(commands::shell_word("~/x"), "'~/x'");
    assert_eq!(commands::shell_word("linux/arm/v7"), "linux/arm/v7");
    assert_eq!(commands::shell_word("a;rm -rf /"), "'a;rm -rf /'");
    assert_eq!(
        commands::shell_word(r#"$(x) `y` "z" \"#),
        r#""\$(x) \`y\` \"z\" \\""#
    );
}

#[test]
fn github_runs_the_matrix_through_the_environment_and_the_assembler_after_it() {
    let gh = github(&small()).unwrap();
    for line in [
        "\"on\":\n  - \"push\"\n  - \"workflow_dispatch\"\n",
        "      fail-fast: false\n      matrix:\n        include:\n          - component: \"runc\"\n            target: \"linux/amd64\"\n            key: \"0a1b2c\"\n",
        "          COMPONENT: \"${{ matrix.component }}\"\n",
        "run: \"cargo xtask bundle --static --pins pins.lock --only \\\"$COMPONENT\\\" --target \\\"$TARGET\\\" --cache-to registry.example.com:5000/team/components --go-cache registry.example.com:5000/team/go\"\n",
        "    needs:\n      - \"component\"\n",
        "run: \"cargo xtask bundle --static --pins pins.lock --target linux/amd64 --target linux/arm64 --cache-from registry.example.com:5000/team/components --cache-required --out dist\"\n",
        "run: \"cargo xtask package rpm --out dist dist/x86_64/docker-*/\"\n",
        "- uses: \"actions/upload-artifact@v4\"\n",
    ] {
        assert!(gh.contains(line), "no {line:?} in\n{gh}");
    }
    // The assembler's command has no Go cache: it builds nothing.
    assert_eq!(gh.matches("--go-cache").count(), 1);
}

#[test]
fn with_no_job_left_neither_file_has_a_component_job_or_needs() {
    let mut p = small();
    p.jobs.clear();
    for text in [github(&p).unwrap(), gitlab(&p).unwrap()] {
        assert!(
            !text.contains("component:") && !text.contains("needs:"),
            "{text}"
        );
        assert!(text.contains("--cache-required"), "{text}");
    }
}

#[test]
fn gitlab_has_one_matrix_entry_per_job_and_its_artifacts() {
    let gl = gitlab(&small()).unwrap();
    assert!(
        gl.contains("stages:\n  - \"build\"\n  - \"assemble\"\n"),
        "{gl}"
    );
    assert_eq!(gl.matches("      - COMPONENT: ").count(), 3, "{gl}");
    assert!(
        gl.contains("        TARGET: \"linux/arm64\"\n        KEY: \"6a7b8c\"\n"),
        "{gl}"
    );
    assert!(gl.contains("  needs:\n    - \"component\"\n"), "{gl}");
    assert!(
        gl.contains("  artifacts:\n    paths:\n      - \"dist/\"\n"),
        "{gl}"
    );
}

#[test]
fn errors_say_which_field_and_what_is_wrong() {
    let e = Error::ControlCharacter {
        field: "push".into(),
        value: "a\nb".into(),
    };
    assert_eq!(
        e.to_string(),
        "push holds a control character (a newline, NUL, …), which a CI file cannot carry safely: \"a\\nb\""
    );
    let e = Error::Expression {
        field: "cache".into(),
        value: "${{ x }}".into(),
    };
    assert_eq!(
        e.to_string(),
        "cache holds `${{`, which GitHub would evaluate as an expression: \"${{ x }}\""
    );
}
