//! A team's CI, simulated (issue #34): one job per component and target, each a fresh machine
//! of its own (its own dockyard cache, Go build cache and Docker config) that builds its one
//! component and pushes it to the team's registry (Debian's `docker-registry` on the loopback),
//! several at once; then an assembler that compiles nothing and makes the bundles a single
//! machine makes from scratch, byte for byte. Needs what `.ci/run` installs: docker-registry,
//! gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user-static.

mod common;

use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

use camino::Utf8PathBuf;
use common::{World, snapshot, stderr, world, xtask};
use engine::Registry;

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

/// The host (these tests run on amd64) and a cross target.
const TARGETS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// How many jobs run at once (CI runners have two cores; a job also waits on git, apt and the
/// registry).
const AT_ONCE: usize = 3;

fn registry() -> Registry {
    Registry::start(None).expect(
        "Debian's docker-registry must be installed: apt-get install docker-registry (as .ci/run does)",
    )
}

fn require_cross_tools() {
    for tool in ["aarch64-linux-gnu-gcc", "qemu-aarch64-static"] {
        assert!(
            which::which(tool).is_ok(),
            "{tool} is missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static (as .ci/run does)"
        );
    }
}

/// `bundle --static` on a fresh machine named `name`: its own dockyard cache, Go build cache
/// and module cache, and Docker config. Go's release is the one on PATH (pins.lock pins it)
/// and the fixtures need no module, so nothing is downloaded.
fn on_machine(w: &World, name: &str, extra: &[&str]) -> Command {
    let home = w.root.join("machines").join(name);
    for dir in ["docker", "gocache", "gomodcache"] {
        std::fs::create_dir_all(home.join(dir)).unwrap();
    }
    let mut cmd = xtask();
    cmd.arg("bundle")
        .args(["--static", "--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", home.join("cache").as_str()])
        .args(["--out", home.join("out").as_str()])
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("GOCACHE", home.join("gocache"))
        .env("GOMODCACHE", home.join("gomodcache"));
    for (kind, repo) in &w.repos {
        cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    cmd.args(extra);
    cmd
}

/// Where `name`'s bundle for `target` is published.
fn bundle_dir(w: &World, name: &str, target: &str) -> Utf8PathBuf {
    let arch = match target {
        "linux/amd64" => "x86_64",
        "linux/arm64" => "aarch64",
        other => panic!("no Docker folder known for {other}"),
    };
    w.root
        .join("machines")
        .join(name)
        .join("out")
        .join(arch)
        .join("docker-29.7.2")
}

/// Runs every command, `at_once` at a time (the first `at_once` spawned together, each next
/// one as soon as one ends), and gives each one's output in the order given.
fn run_pool(commands: Vec<(String, Command)>, at_once: usize) -> Vec<(String, Output)> {
    let count = commands.len();
    let mut queue: Vec<(usize, String, Command)> = commands
        .into_iter()
        .enumerate()
        .map(|(i, (name, cmd))| (i, name, cmd))
        .collect();
    queue.reverse();
    let queue = Mutex::new(queue);
    let done = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|s| {
        for _ in 0..at_once.min(count) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some((i, name, mut cmd)) = next else {
                        break;
                    };
                    let started = Instant::now();
                    let output = cmd.output().unwrap();
                    eprintln!(
                        "[scale_out] {name}: {} in {:.1}s",
                        if output.status.success() {
                            "ok"
                        } else {
                            "FAILED"
                        },
                        started.elapsed().as_secs_f64()
                    );
                    done.lock().unwrap().push((i, name, output));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, ..)| *i);
    done.into_iter().map(|(_, name, out)| (name, out)).collect()
}

fn lines_with<'a>(text: &'a str, verb: &str) -> Vec<&'a str> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(verb))
        .collect()
}

/// The component each of `verb`'s lines names: the word after it (`Pushed runc to …`), or
/// after `Go's cache pack for` (`Pushed Go's cache pack for runc (…) to …`: the Go cache
/// entries its build used, which a job pushes too).
fn named_after<'a>(text: &'a str, verb: &str) -> Vec<&'a str> {
    lines_with(text, verb)
        .into_iter()
        .filter_map(|l| {
            let rest = l[verb.len()..].trim_start();
            let rest = rest.strip_prefix("Go's cache pack for ").unwrap_or(rest);
            rest.split_whitespace().next()
        })
        .collect()
}

/// The tags of `team/REPO` as the registry stores them.
fn tags(registry: &Registry, repo: &str) -> Vec<String> {
    let dir = registry.storage().join(format!(
        "docker/registry/v2/repositories/team/{repo}/_manifests/tags"
    ));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut tags: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    tags.sort();
    tags
}

/// One job per component and target: `bundle --only C --target T --cache-to team --go-cache
/// go`, each on a machine of its own.
fn jobs(
    w: &World,
    components: &[&str],
    targets: &[&str],
    team: &str,
    go: &str,
) -> Vec<(String, Command)> {
    let mut jobs = Vec::new();
    for target in targets {
        for component in components {
            let name = format!("{component}@{}", target.replace('/', "-"));
            let cmd = on_machine(
                w,
                &format!("job-{name}"),
                &[
                    "--only",
                    component,
                    "--target",
                    target,
                    "--cache-to",
                    team,
                    "--go-cache",
                    go,
                ],
            );
            jobs.push((name, cmd));
        }
    }
    jobs
}

fn assert_each_pushed_its_own(done: &[(String, Output)], team: &str) {
    for (job, output) in done {
        let text = stderr(output);
        assert!(output.status.success(), "job {job} failed:\n{text}");
        let component = job.split('@').next().unwrap();
        // A fresh machine: it built its component (what the assembler must never print).
        assert_eq!(
            lines_with(&text, "Building"),
            lines_with(&text, &format!("Building {component} ")),
            "job {job} built something other than {component}:\n{text}"
        );
        assert_eq!(lines_with(&text, "Building").len(), 1, "job {job}:\n{text}");
        assert!(
            !lines_with(&text, "Compiling").is_empty(),
            "job {job}:\n{text}"
        );
        let pushed = lines_with(&text, "Pushed");
        assert!(
            pushed
                .iter()
                .any(|l| l.starts_with(&format!("Pushed {component} to {team}"))),
            "job {job} did not push {component}:\n{text}"
        );
        assert!(
            named_after(&text, "Pushed").iter().all(|n| *n == component),
            "job {job} pushed something other than {component}:\n{text}"
        );
    }
}

#[test]
fn a_simulated_ci_assembles_bundles_identical_to_one_machines_without_compiling() {
    require_cross_tools();
    let started = Instant::now();
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let go = format!("{}/team/go", registry.address());

    // The CI's jobs, and beside them (it needs no registry) the single machine that builds
    // both bundles from scratch. It shares the tests' Go build cache, which decides no byte.
    let mut pool = jobs(&w, &COMPONENTS, &TARGETS, &team, &go);
    let mut single = on_machine(
        &w,
        "single",
        &["--target", TARGETS[0], "--target", TARGETS[1]],
    );
    single.env("GOCACHE", test_fixtures::go_cache());
    pool.insert(0, ("single machine".into(), single));
    let mut done = run_pool(pool, AT_ONCE);
    let (_, single) = done.remove(0);
    eprintln!(
        "[scale_out] 18 jobs and the single machine: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(single.status.success(), "{}", stderr(&single));

    // Each job pushed its own component and nothing else: 18 tags, two per component (one for
    // each target), each COMPONENT-KEY.
    assert_each_pushed_its_own(&done, &team);
    let tags = tags(&registry, "dockyard");
    assert_eq!(tags.len(), COMPONENTS.len() * TARGETS.len(), "{tags:#?}");
    for component in COMPONENTS {
        let of_it = tags
            .iter()
            .filter(|t| t.split_once('-').map(|(c, _)| c) == Some(component))
            .count();
        assert_eq!(of_it, TARGETS.len(), "{component}: {tags:#?}");
    }
    // And they shared Go's build cache through the second repository: a tag an action, and
    // each Go job's pack (tini is C).
    let go_tags = self::tags(&registry, "go");
    let (packs, actions): (Vec<&String>, Vec<&String>) =
        go_tags.iter().partition(|t| t.starts_with("gopack-"));
    assert!(
        !actions.is_empty() && actions.iter().all(|t| t.starts_with("go-")),
        "the team's Go cache at {go}: {actions:?}"
    );
    let mut expected: Vec<String> = COMPONENTS
        .iter()
        .filter(|c| **c != "tini")
        .flat_map(|c| {
            TARGETS
                .iter()
                .map(move |t| format!("gopack-{c}-{}-static", t.replace('/', "-")))
        })
        .collect();
    expected.sort();
    let mut packs: Vec<String> = packs.into_iter().cloned().collect();
    packs.sort();
    assert_eq!(packs, expected, "the team's Go cache packs at {go}");

    // The assembler: a fresh machine that compiles nothing and pulls every component for
    // both targets.
    let assembling = Instant::now();
    let assembler = on_machine(
        &w,
        "assembler",
        &[
            "--target",
            TARGETS[0],
            "--target",
            TARGETS[1],
            "--cache-from",
            &team,
            "--cache-required",
        ],
    )
    .output()
    .unwrap();
    eprintln!(
        "[scale_out] the assembler: {:.1}s",
        assembling.elapsed().as_secs_f64()
    );
    let text = stderr(&assembler);
    assert!(assembler.status.success(), "{text}");
    assert!(lines_with(&text, "Building").is_empty(), "{text}");
    assert!(lines_with(&text, "Compiling").is_empty(), "{text}");
    let pulled = named_after(&text, "Pulled");
    assert_eq!(pulled.len(), COMPONENTS.len() * TARGETS.len(), "{text}");
    for component in COMPONENTS {
        assert_eq!(
            pulled.iter().filter(|n| **n == component).count(),
            TARGETS.len(),
            "{component} was not pulled for each target:\n{text}"
        );
    }

    // The same bundles as the single machine's, byte for byte.
    for target in TARGETS {
        let assembled = snapshot(&bundle_dir(&w, "assembler", target));
        assert!(!assembled.is_empty(), "no bundle for {target}:\n{text}");
        assert_eq!(
            assembled,
            snapshot(&bundle_dir(&w, "single", target)),
            "{target}"
        );
    }
    eprintln!(
        "[scale_out] a simulated CI: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn two_jobs_of_one_component_racing_to_push_leave_one_good_artifact() {
    let started = Instant::now();
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let go = format!("{}/team/go", registry.address());
    let job = ["--only", "runc", "--cache-to", &team, "--go-cache", &go];
    let racers = vec![
        ("runc on a".to_owned(), on_machine(&w, "a", &job)),
        ("runc on b".to_owned(), on_machine(&w, "b", &job)),
    ];
    let done = run_pool(racers, 2);
    let mut said_pushed = 0;
    for (job, output) in &done {
        let text = stderr(output);
        assert!(output.status.success(), "{job}:\n{text}");
        // Neither found it in the registry: both built it.
        assert_eq!(lines_with(&text, "Building").len(), 1, "{job}:\n{text}");
        assert!(text.contains("Building runc "), "{job}:\n{text}");
        assert!(
            named_after(&text, "Pushed").iter().all(|n| *n == "runc"),
            "{job}:\n{text}"
        );
        assert!(!text.contains("Warning"), "{job}:\n{text}");
        said_pushed += lines_with(&text, "Pushed runc").len();
    }
    assert!(said_pushed >= 1, "neither job pushed runc");
    // One key, so one tag, whoever won.
    let tags = tags(&registry, "dockyard");
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert!(tags[0].starts_with("runc-"), "{tags:?}");

    // A third machine pulls it and passes every check.
    let third = on_machine(
        &w,
        "c",
        &["--only", "runc", "--cache-from", &team, "--cache-required"],
    )
    .output()
    .unwrap();
    let text = stderr(&third);
    assert!(third.status.success(), "{text}");
    assert_eq!(named_after(&text, "Pulled"), ["runc"], "{text}");
    assert!(lines_with(&text, "Building").is_empty(), "{text}");
    assert!(lines_with(&text, "Refused").is_empty(), "{text}");
    eprintln!(
        "[scale_out] two racing jobs: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_assembler_names_the_missing_component_and_the_job_that_makes_it() {
    let started = Instant::now();
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let go = format!("{}/team/go", registry.address());
    let host = TARGETS[0];
    // Every job for the host ran but tini's.
    let all_but_tini: Vec<&str> = COMPONENTS.into_iter().filter(|c| *c != "tini").collect();
    let done = run_pool(jobs(&w, &all_but_tini, &[host], &team, &go), AT_ONCE);
    assert_each_pushed_its_own(&done, &team);
    assert_eq!(tags(&registry, "dockyard").len(), all_but_tini.len());

    let assembler = on_machine(
        &w,
        "assembler",
        &["--target", host, "--cache-from", &team, "--cache-required"],
    )
    .output()
    .unwrap();
    let text = stderr(&assembler);
    eprintln!(
        "[scale_out] a missing job: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(!assembler.status.success(), "{text}");
    assert!(lines_with(&text, "Building").is_empty(), "{text}");
    // The error, and any advice printed after it.
    let error = text
        .find("error:")
        .map(|at| &text[at..])
        .unwrap_or_else(|| panic!("no error printed:\n{text}"));
    eprintln!("[scale_out] the assembler said: {}", error.trim_end());
    assert!(error.contains("tini"), "{text}");
    assert!(
        error.contains(host),
        "the error does not name the target ({host}):\n{text}"
    );
    // What a user needs to fix it: the CI job that makes tini for that target
    // (`cargo xtask bundle --only tini --target linux/amd64 --cache-to …`).
    for part in ["--only tini", &format!("--target {host}"), "--cache-to"] {
        assert!(
            error.contains(part),
            "the error does not name the job that makes tini ({part}):\n{text}"
        );
    }
    // And no job for a component the team's cache has.
    for present in &all_but_tini {
        assert!(
            !error.contains(&format!("--only {present}")),
            "the error asks for {present}, which is in the team's cache:\n{text}"
        );
    }
}
