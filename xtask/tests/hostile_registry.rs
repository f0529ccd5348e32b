//! A hostile team cache: Debian's `docker-registry` on the loopback holding content this test
//! crafts from an honest push (records whose names leave the cache, lie about the key or are
//! not JSON, files the component does not declare, an index where a manifest belongs, a gzip
//! bomb for a tar member). For every case a machine pulling from it must refuse, naming the
//! component and the reason; a canary folder beside its cache keeps its digests and modes;
//! its memory stays under a stated bound; and the run fails with `--cache-required` or builds
//! the component itself without it. A record naming a binary the run's Docker release does
//! not ship (Docker 27's rootlesskit-docker-proxy, offered to a 28 run) is refused the same way.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use camino::Utf8Path;
use common::{World, snapshot, stderr, world, xtask};
use engine::Registry;
use oci_store::{RegistryOptions, Repository, limits, sha256_digest};
use serde_json::{Value, json};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// What a refused pull may cost in memory, summed over every process of the run (the
/// uncompressed gzip bomb alone is 1 GiB).
const PEAK_MIB: f64 = 256.0;

fn registry() -> Registry {
    Registry::start(None).expect("Debian's docker-registry must be installed (.ci/run installs it)")
}

fn open(reference: &str) -> Repository {
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    Repository::open(reference, &options).unwrap()
}

/// `bundle --static` as a machine of its own (its own cache and Docker config).
fn bundle_on(w: &World, machine: &str, extra: &[&str]) -> Command {
    let home = w.root.join(machine);
    std::fs::create_dir_all(home.join("docker")).unwrap();
    let mut cmd = xtask();
    cmd.arg("bundle")
        .args(["--static", "--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", home.join("cache").as_str()])
        .args(["--out", home.join("out").as_str()])
        .env("DOCKER_CONFIG", home.join("docker"));
    for (kind, repo) in &w.repos {
        cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    cmd.args(extra);
    cmd
}

/// Runs `cmd`, sampling the peak memory of every process it starts.
fn measured(mut cmd: Command) -> (Output, f64) {
    let sampler = bench::memory::PeakSampler::start();
    let output = cmd.output().unwrap();
    (output, sampler.stop())
}

/// The honest artifact a first machine pushed: its tag, record and layers (descriptor, bytes).
struct Honest {
    tag: String,
    record: Value,
    layers: Vec<(Value, Vec<u8>)>,
}

fn honest(reference: &str, tag: &str) -> Honest {
    let repo = open(reference);
    let (bytes, _) = repo.manifest(tag).unwrap().expect("the honest push");
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    let blob = |d: &Value| {
        repo.blob_bytes(
            d["digest"].as_str().unwrap(),
            d["size"].as_u64().unwrap(),
            limits::FILE,
        )
        .unwrap()
    };
    let record = serde_json::from_slice(&blob(&manifest["config"])).unwrap();
    let layers = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l.clone(), blob(l)))
        .collect();
    Honest {
        tag: tag.to_owned(),
        record,
        layers,
    }
}

/// Pushes `config` and `layers` under the honest tag of repository `reference`, described as
/// they are (digests and sizes recomputed unless a layer's descriptor says otherwise).
fn push_crafted(reference: &str, tag: &str, config: Vec<u8>, layers: Vec<(Value, Vec<u8>)>) {
    let repo = open(reference);
    let mut descriptors = Vec::new();
    for (mut descriptor, bytes) in layers {
        let digest = repo.push_blob(bytes.clone()).unwrap();
        if descriptor.get("keep_size").is_none() {
            descriptor["size"] = json!(bytes.len());
        }
        descriptor.as_object_mut().unwrap().remove("keep_size");
        descriptor["digest"] = json!(digest);
        descriptors.push(descriptor);
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": "application/vnd.dockyard.component.v1",
        "config": {
            "mediaType": "application/vnd.dockyard.component.record.v1+json",
            "digest": repo.push_blob(config.clone()).unwrap(),
            "size": config.len(),
        },
        "layers": descriptors,
    });
    repo.push_manifest(tag, serde_json::to_vec(&manifest).unwrap(), MANIFEST)
        .unwrap();
}

/// Every file under `dir` with its mode and bytes.
fn canary_state(dir: &Utf8Path) -> Vec<(String, u32, Vec<u8>)> {
    snapshot(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let mode = std::fs::metadata(dir.join(&name))
                .unwrap()
                .permissions()
                .mode();
            (name, mode, bytes)
        })
        .collect()
}

/// A gzip member that inflates to `size` zero bytes.
fn gzip_bomb(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size / zeros.len() {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

fn title(layer: &Value) -> &str {
    layer["annotations"]["org.opencontainers.image.title"]
        .as_str()
        .unwrap()
}

#[test]
fn a_hostile_team_cache_is_refused_and_touches_nothing_outside_the_cache() {
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());

    // An honest machine builds moby (the component that ships files of its tree) and pushes.
    let first = bundle_on(&w, "a", &["--only", "moby", "--cache-to", &team])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let folder = std::fs::read_dir(w.root.join("a/cache/artifacts"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("moby-"))
        .expect("moby's artifact folder");
    let record: Value = serde_json::from_slice(&common::read(
        &w.root
            .join("a/cache/artifacts")
            .join(folder)
            .join("artifacts.json"),
    ))
    .unwrap();
    let key = record["key"].as_str().unwrap();
    let honest = honest(&team, &format!("moby-{key}"));
    let record_bytes = |record: &Value| serde_json::to_vec(record).unwrap();

    // The canary: a folder beside the pulling machine's cache, which the record's `..` names
    // reach from the folder a pull is written into (cache/artifacts/.tmp-moby-…/).
    let canary = w.root.join("b/canary");
    std::fs::create_dir_all(&canary).unwrap();
    let secret = canary.join("secret");
    std::fs::write(&secret, b"a user's file").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let secret_sha = sha256_digest(b"a user's file")
        .trim_start_matches("sha256:")
        .to_owned();

    let record_naming = |name: &str| {
        let mut record = honest.record.clone();
        record["artifacts"]["files"][0]["name"] = json!(name);
        record["artifacts"]["files"][0]["sha256"] = json!(secret_sha);
        record["artifacts"]["files"][0]["size"] = json!(13);
        record
    };
    let member = honest
        .layers
        .iter()
        .position(|(l, _)| title(l).starts_with("tgz/"))
        .expect("a tar member layer");
    let with_layer = |i: usize, layer: (Value, Vec<u8>)| {
        let mut layers = honest.layers.clone();
        layers[i] = layer;
        layers
    };
    let mut extra = honest.layers.clone();
    extra.push((
        json!({"mediaType": "application/vnd.dockyard.file.v1",
               "annotations": {"org.opencontainers.image.title": "not-a-moby-binary"}}),
        b"#!/bin/sh\n".to_vec(),
    ));
    // moby's one man page, and records and layers naming others.
    let page = (honest.layers.iter())
        .position(|(l, _)| title(l) == "man/dockerd.8")
        .expect("dockerd.8's layer");
    let mut page_outside = honest.record.clone();
    page_outside["artifacts"]["man_pages"][0]["name"] = json!("../../../canary/secret.8");
    let page_layer = |name: &str, bytes: Vec<u8>| {
        let mut layer = honest.layers[page].0.clone();
        layer["annotations"]["org.opencontainers.image.title"] = json!(name);
        with_layer(page, (layer, bytes))
    };
    let undeclared_section = page_layer("man/dockerd.1", honest.layers[page].1.clone());
    let huge_page = page_layer("man/dockerd.8", vec![b'x'; (1 << 20) + 1]);
    let mut lying_key = honest.record.clone();
    lying_key["key"] = json!("0".repeat(64));

    type Case = (&'static str, Box<dyn Fn(&str)>, &'static str);
    let same_layers = |config: Vec<u8>| {
        let layers = honest.layers.clone();
        let tag = honest.tag.clone();
        Box::new(move |r: &str| push_crafted(r, &tag, config.clone(), layers.clone()))
            as Box<dyn Fn(&str)>
    };
    let tag = honest.tag.clone();
    let cases: Vec<Case> = vec![
        (
            "dotdot",
            same_layers(record_bytes(&record_naming("../../../canary/secret"))),
            "its record lists",
        ),
        (
            "absolute",
            same_layers(record_bytes(&record_naming(secret.as_str()))),
            "its record lists",
        ),
        (
            "nul",
            same_layers(record_bytes(&record_naming("dockerd-rootless.sh\0"))),
            "its record lists",
        ),
        (
            "man-page-outside",
            same_layers(record_bytes(&page_outside)),
            "its record lists",
        ),
        (
            "man-page-section",
            {
                let (tag, config) = (tag.clone(), record_bytes(&honest.record));
                Box::new(move |r: &str| {
                    push_crafted(r, &tag, config.clone(), undeclared_section.clone())
                })
            },
            "holds a file named `man/dockerd.1`",
        ),
        (
            "man-page-huge",
            {
                let (tag, config) = (tag.clone(), record_bytes(&honest.record));
                Box::new(move |r: &str| push_crafted(r, &tag, config.clone(), huge_page.clone()))
            },
            "holds a file named `man/dockerd.8`",
        ),
        (
            "key",
            same_layers(record_bytes(&lying_key)),
            "its record is for key 0000",
        ),
        (
            "not-json",
            same_layers(b"{not json".to_vec()),
            "its record is not one",
        ),
        (
            "undeclared",
            {
                let (tag, config) = (tag.clone(), record_bytes(&honest.record));
                Box::new(move |r: &str| push_crafted(r, &tag, config.clone(), extra.clone()))
            },
            "holds a file named `not-a-moby-binary`",
        ),
        (
            "gzip-bomb",
            {
                let (tag, config) = (tag.clone(), record_bytes(&honest.record));
                let layers = with_layer(
                    member,
                    (honest.layers[member].0.clone(), gzip_bomb(1 << 30)),
                );
                Box::new(move |r: &str| push_crafted(r, &tag, config.clone(), layers.clone()))
            },
            "is not the tar member of",
        ),
        (
            "huge-size",
            {
                let (tag, config) = (tag.clone(), record_bytes(&honest.record));
                let mut layer = honest.layers[0].clone();
                layer.0["size"] = json!(1u64 << 62);
                layer.0["keep_size"] = json!(true);
                let layers = with_layer(0, layer);
                Box::new(move |r: &str| push_crafted(r, &tag, config.clone(), layers.clone()))
            },
            "is declared as 4611686018427387904 bytes",
        ),
        (
            "index",
            {
                let tag = tag.clone();
                Box::new(move |r: &str| {
                    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": []});
                    open(r)
                        .push_manifest(&tag, serde_json::to_vec(&index).unwrap(), INDEX)
                        .unwrap();
                })
            },
            "is not an image manifest",
        ),
    ];

    let before = canary_state(&canary);
    for (name, craft, reason) in &cases {
        let reference = format!("{}/hostile/{name}", registry.address());
        craft(&reference);
        let (output, peak) = measured(bundle_on(
            &w,
            "b",
            &[
                "--only",
                "moby",
                "--cache-from",
                &reference,
                "--cache-required",
            ],
        ));
        let text = stderr(&output);
        assert!(!output.status.success(), "{name}: accepted:\n{text}");
        assert!(
            text.contains("the team's cache is required, and it cannot give what the bundle for linux/amd64 needs: moby (moby-")
                && text.contains(reason),
            "{name}: expected a refusal naming moby and `{reason}`:\n{text}"
        );
        assert_eq!(canary_state(&canary), before, "{name} changed the canary");
        assert!(peak < PEAK_MIB, "{name}: the run peaked at {peak:.0} MiB");
    }

    // Without --cache-required the run goes on: moby is refused, built here, and the bundle is
    // the honest machine's.
    let (output, _) = measured(bundle_on(
        &w,
        "b",
        &[
            "--only",
            "moby",
            "--cache-from",
            &format!("{}/hostile/dotdot", registry.address()),
        ],
    ));
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("Refused moby from the team's cache") && text.contains("Building moby"),
        "{text}"
    );
    assert_eq!(canary_state(&canary), before);
    let file_of = |machine: &str| {
        let dir = w.root.join(machine).join("out/docker-29.7.2");
        snapshot(&dir)
            .into_iter()
            .find(|(n, _)| n == "docker/dockerd")
            .map(|(_, b)| b)
    };
    assert_eq!(file_of("b"), file_of("a"));
}

/// The key a component's cache record holds on `machine`.
fn key_on(w: &World, machine: &str, component: &str) -> String {
    let artifacts = w.root.join(machine).join("cache/artifacts");
    let folder = std::fs::read_dir(&artifacts)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with(&format!("{component}-")))
        .unwrap_or_else(|| panic!("no {component} in {artifacts}"));
    let record: Value = serde_json::from_slice(&common::read(
        &artifacts.join(folder).join("artifacts.json"),
    ))
    .unwrap();
    record["key"].as_str().unwrap().to_owned()
}

#[test]
fn docker_27_s_proxy_crosses_the_team_cache_and_a_later_release_refuses_it() {
    let w = common::docker_27_world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let run = |machine: &str, extra: &[&str]| {
        let output = bundle_on(&w, machine, extra).output().unwrap();
        (output.status.success(), stderr(&output))
    };

    // Docker 27: rootlesskit goes to the team with its proxy, and a machine that never built
    // it takes both, checked as a build here is.
    let (pushed, text) = run("a", &["--only", "rootlesskit", "--cache-to", &team]);
    assert!(pushed, "{text}");
    let only_required = [
        "--only",
        "rootlesskit",
        "--cache-from",
        &team,
        "--cache-required",
    ];
    let (pulled, text) = run("b", &only_required);
    assert!(pulled, "{text}");
    assert!(
        text.contains("Pulled rootlesskit (rootlesskit, rootlesskit-docker-proxy)"),
        "{text}"
    );

    // The same rootlesskit pin for Docker 28 is another build: another key, rootlesskit alone.
    let key_27 = key_on(&w, "a", "rootlesskit");
    w.set_docker_release("27.5.1", "28.5.2");
    let (built, text) = run("c", &["--only", "rootlesskit"]);
    assert!(
        built && text.contains("Built rootlesskit (rootlesskit) in"),
        "{text}"
    );
    let key_28 = key_on(&w, "c", "rootlesskit");
    assert_ne!(key_28, key_27);

    // Docker 27's artifact offered under 28's key is refused before any file is written: 28
    // declares rootlesskit alone.
    let honest = honest(&team, &format!("rootlesskit-{key_27}"));
    let mut record = honest.record.clone();
    record["key"] = json!(key_28);
    let hostile = format!("{}/hostile/proxy", registry.address());
    push_crafted(
        &hostile,
        &format!("rootlesskit-{key_28}"),
        serde_json::to_vec(&record).unwrap(),
        honest.layers,
    );
    let (pulled, text) = run(
        "d",
        &[
            "--only",
            "rootlesskit",
            "--cache-from",
            &hostile,
            "--cache-required",
        ],
    );
    assert!(!pulled, "accepted:\n{text}");
    assert!(
        text.contains(
            "cannot give what the bundle for linux/amd64 needs: rootlesskit (rootlesskit-"
        ) && text.contains("holds a file named `rootlesskit-docker-proxy`"),
        "{text}"
    );
    let written: Vec<String> = snapshot(&w.root.join("d/cache"))
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.ends_with("rootlesskit-docker-proxy"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}
