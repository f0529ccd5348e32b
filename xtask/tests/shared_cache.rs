//! The team's cache: components pushed to a real registry (Debian's `docker-registry` on the
//! loopback) and pulled by a machine that never built them, checked before use; and bundles
//! pushed and pulled as an image index with referrers.

mod common;

use std::process::Output;

use base64::Engine;
use camino::{Utf8Path, Utf8PathBuf};
use common::{World, read, snapshot, stderr, world, xtask};
use engine::{Registry, RegistryAuth};

const COMPONENTS: [&str; 9] = [
    "runc",
    "containerd",
    "moby",
    "proxy",
    "cli",
    "tini",
    "buildx",
    "compose",
    "rootlesskit",
];

fn registry(auth: Option<&RegistryAuth>) -> Registry {
    Registry::start(auth).expect("Debian's docker-registry must be installed (.ci/run installs it)")
}

/// `bundle --static` as a machine of its own: its own dockyard cache and Docker config.
fn bundle_on(w: &World, machine: &str, extra: &[&str]) -> (Output, Utf8PathBuf) {
    let home = w.root.join(machine);
    std::fs::create_dir_all(home.join("docker")).unwrap();
    let out = home.join("out");
    let mut cmd = xtask();
    cmd.arg("bundle")
        .args(["--static", "--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", home.join("cache").as_str()])
        .args(["--out", out.as_str()])
        .env("DOCKER_CONFIG", home.join("docker"));
    for (kind, repo) in &w.repos {
        cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    (cmd.args(extra).output().unwrap(), out.join("docker-29.7.2"))
}

fn lines_with<'a>(text: &'a str, verb: &str) -> Vec<&'a str> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(verb))
        .collect()
}

/// Where distribution keeps a blob's bytes.
fn blob_data(registry: &Registry, sha256: &str) -> Utf8PathBuf {
    registry.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{sha256}/data",
        &sha256[..2]
    ))
}

fn sums(dir: &Utf8Path) -> Vec<(String, String)> {
    String::from_utf8(read(&dir.join("SHA256SUMS")))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(sum, name)| (name.to_owned(), sum.to_owned()))
        .collect()
}

#[test]
fn a_fresh_machine_pulls_every_component_and_refuses_a_tampered_one() {
    let w = world();
    let registry = registry(None);
    let cache = format!("{}/team/dockyard", registry.address());

    // The first machine builds and pushes.
    let (first, bundle_a) = bundle_on(&w, "a", &["--cache-to", &cache]);
    let text = stderr(&first);
    assert!(first.status.success(), "{text}");
    let pushed = lines_with(&text, "Pushed");
    for name in COMPONENTS {
        assert!(
            pushed
                .iter()
                .any(|l| l.starts_with(&format!("Pushed {name} to {cache}"))),
            "{name} was not pushed:\n{text}"
        );
    }

    // A second machine, nothing built yet: every component comes from the registry, nothing
    // is compiled, and the bundle is the first one byte for byte.
    let (second, bundle_b) = bundle_on(&w, "b", &["--cache-from", &cache]);
    let text = stderr(&second);
    assert!(second.status.success(), "{text}");
    assert_eq!(
        lines_with(&text, "Pulled").len(),
        COMPONENTS.len(),
        "{text}"
    );
    assert!(lines_with(&text, "Building").is_empty(), "{text}");
    assert!(lines_with(&text, "Compiling").is_empty(), "{text}");
    // Nor is any source tree written: a pin is described by its commit.
    assert!(lines_with(&text, "Checking out").is_empty(), "{text}");
    assert_eq!(snapshot(&bundle_b), snapshot(&bundle_a));

    // Someone swaps runc's bytes in the registry's storage (same length, so only its digest
    // can tell): a third machine refuses it, says why, builds runc itself, and gets the same
    // bundle all the same.
    let runc = sums(&bundle_a)
        .into_iter()
        .find(|(name, _)| name == "docker/runc")
        .unwrap()
        .1;
    let blob = blob_data(&registry, &runc);
    let mut bytes = read(&blob);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let (third, bundle_c) = bundle_on(&w, "c", &["--cache-from", &cache]);
    let text = stderr(&third);
    assert!(third.status.success(), "{text}");
    let refused = lines_with(&text, "Refused");
    assert_eq!(refused.len(), 1, "{text}");
    assert!(
        refused[0].starts_with("Refused runc from the team's cache"),
        "{text}"
    );
    assert!(refused[0].contains(&format!("sha256:{runc}")), "{text}");
    assert!(text.contains("Building runc"), "{text}");
    // Only the tree built from is checked out.
    assert_eq!(lines_with(&text, "Checking out").len(), 1, "{text}");
    assert_eq!(
        lines_with(&text, "Pulled").len(),
        COMPONENTS.len() - 1,
        "{text}"
    );
    assert_eq!(snapshot(&bundle_c), snapshot(&bundle_a));

    // With --cache-required, the same refusal fails the run and names the component.
    let (fourth, _) = bundle_on(&w, "d", &["--cache-from", &cache, "--cache-required"]);
    let text = stderr(&fourth);
    assert!(!fourth.status.success(), "{text}");
    assert!(
        text.contains("the team's cache is required, and it cannot give what the bundle for linux/amd64 needs: runc (runc-"),
        "{text}"
    );
}

#[test]
fn a_registry_that_refuses_pushes_costs_a_warning_not_the_bundle() {
    let w = world();
    // Nothing listens there: every push fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = format!("127.0.0.1:{port}/team/dockyard");
    let (run, bundle) = bundle_on(&w, "a", &["--cache-to", &cache]);
    let text = stderr(&run);
    assert!(run.status.success(), "{text}");
    let warnings = lines_with(&text, "Warning");
    assert_eq!(warnings.len(), COMPONENTS.len(), "{text}");
    assert!(
        warnings
            .iter()
            .all(|w| w.contains(&format!("was not pushed to {cache}"))),
        "{text}"
    );
    assert!(bundle.join("manifest.json").is_file());
    xtask()
        .arg("verify")
        .arg(&bundle)
        .status()
        .unwrap()
        .success()
        .then_some(())
        .unwrap();
}

#[test]
fn wrong_credentials_name_the_registry_and_docker_login() {
    let w = world();
    let account = RegistryAuth {
        user: "ci".into(),
        password: "right-password".into(),
    };
    let registry = registry(Some(&account));
    let address = registry.address();
    let home = w.root.join("a");
    std::fs::create_dir_all(home.join("docker")).unwrap();
    // `docker login` with the wrong password, as config.json keeps it.
    let auth = base64::engine::general_purpose::STANDARD.encode("ci:wrong-password");
    std::fs::write(
        home.join("docker/config.json"),
        format!(r#"{{"auths":{{"{address}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let cache = format!("{address}/team/dockyard");
    let (run, _) = bundle_on(&w, "a", &["--cache-from", &cache, "--cache-required"]);
    let text = stderr(&run);
    assert!(!run.status.success(), "{text}");
    assert!(
        text.contains(&format!("run `docker login {address}`")),
        "{text}"
    );
    assert!(!text.contains("wrong-password"), "{text}");
}

#[test]
fn push_and_pull_round_trip_a_bundle_with_its_referrers() {
    let w = world();
    let registry = registry(None);
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let bundle = out.join("docker-29.7.2");
    let reference = format!("{}/team/docker:29.7.2", registry.address());
    let push = xtask()
        .args(["push", &reference, bundle.as_str()])
        .output()
        .unwrap();
    assert!(push.status.success(), "{}", stderr(&push));
    let pulled = w.root.join("pulled");
    let pull = xtask()
        .args(["pull", &reference, pulled.as_str()])
        .output()
        .unwrap();
    assert!(pull.status.success(), "{}", stderr(&pull));
    assert_eq!(snapshot(&pulled.join("docker-29.7.2")), snapshot(&bundle));
    assert!(stderr(&pull).contains("(verified)"), "{}", stderr(&pull));
}

/// A key holds exactly what decides that component's bytes (its own C libraries, nothing of
/// what else was asked for), so `--only` runs and the full bundle share every build.
#[test]
fn only_computes_the_keys_of_the_full_bundle() {
    let w = world();
    let registry = registry(None);
    let team = format!("{}/team/dockyard", registry.address());
    // Each component alone, pushed.
    for name in COMPONENTS {
        let (output, _) = bundle_on(&w, "a", &["--only", name, "--cache-to", &team]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
    }
    // The full bundle on the same machine builds nothing.
    let (output, _) = bundle_on(&w, "a", &[]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        !text.contains("Building"),
        "the full bundle rebuilt:\n{text}"
    );
    // And the `--only` pushes serve a fresh machine's full bundle, every component.
    let (output, _) = bundle_on(&w, "b", &["--cache-from", &team, "--cache-required"]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let pulled = text
        .lines()
        .filter(|l| l.trim_start().starts_with("Pulled"))
        .count();
    assert_eq!(pulled, COMPONENTS.len(), "{text}");
    let out = |m: &str| w.root.join(m).join("out/docker-29.7.2");
    assert_eq!(snapshot(&out("b")), snapshot(&out("a")));
}

/// Each component's times are its own commit's: a new commit of one component misses the
/// team's cache for that component alone, and every other binary is the same bytes.
#[test]
fn a_new_commit_of_one_component_misses_the_teams_cache_for_it_alone() {
    let w = world();
    let registry = registry(None);
    let team = format!("{}/team/dockyard", registry.address());
    let (first, bundle_a) = bundle_on(&w, "a", &["--cache-to", &team]);
    assert!(first.status.success(), "{}", stderr(&first));

    // moby gets a commit newer than every other source, and is pinned at it: the set's newest
    // time (the tarballs') moves, no other component's.
    w.pin_a_later_commit(test_fixtures::Kind::Moby);

    let (second, bundle_b) = bundle_on(&w, "b", &["--cache-from", &team]);
    let text = stderr(&second);
    assert!(second.status.success(), "{text}");
    // moby's tree builds dockerd and docker-proxy.
    let built: Vec<&str> = lines_with(&text, "Building");
    assert_eq!(built.len(), 2, "{text}");
    assert!(
        built.iter().any(|l| l.starts_with("Building moby")),
        "{text}"
    );
    assert!(
        built.iter().any(|l| l.starts_with("Building proxy")),
        "{text}"
    );
    assert_eq!(
        lines_with(&text, "Pulled").len(),
        COMPONENTS.len() - 2,
        "{text}"
    );
    // Only moby's binaries changed (its new commit is stamped in them), and the archives and
    // records that hold them.
    let (a, b) = (sums(&bundle_a), sums(&bundle_b));
    let changed: Vec<&str> = a
        .iter()
        .filter(|(name, sum)| !b.contains(&(name.clone(), sum.clone())))
        .map(|(name, _)| name.as_str())
        .filter(|name| !name.ends_with(".tgz") && !name.ends_with(".json"))
        .collect();
    assert_eq!(changed, ["docker/docker-proxy", "docker/dockerd"]);
}
