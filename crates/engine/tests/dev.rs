//! The engine supervisor, against fixture daemons (see `common`): start order, readiness,
//! restarts of just what changed, stale state, and what `down` leaves.

mod common;

use std::time::Duration;

use build_core::progress::Recorded;
use common::*;
use engine::{Daemon, Engine, EngineError, Network};

#[test]
fn up_returns_once_both_daemons_answer_and_down_leaves_nothing_but_the_data() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let state = root.join("state");
    let engine = Engine::at(state.clone());
    let progress = Recorded::default();
    let status = engine.up(&bundle, &options(), &progress).unwrap();
    assert!(status.running(), "{status:?}");
    assert_eq!(status.socket, format!("unix://{state}/docker.sock"));
    assert_eq!(status.bundle.as_deref(), Some(bundle.as_path()));
    let containerd = status.daemon(Daemon::Containerd).unwrap().pid.unwrap();
    let dockerd = status.daemon(Daemon::Dockerd).unwrap().pid.unwrap();
    assert_ne!(
        containerd, dockerd,
        "containerd runs as a daemon of its own"
    );
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("docker.sock")), 0o600);
    assert_eq!(mode(&engine.log(Daemon::Dockerd)), 0o600);
    assert!(
        std::fs::read_to_string(engine.log(Daemon::Containerd))
            .unwrap()
            .contains("fixture containerd build 1 : listening"),
        "each daemon has its own log"
    );
    if options().network == Network::Private {
        assert!(
            mounts_under(&state).iter().any(|m| m.ends_with("/netns")),
            "the network namespace is kept by a mount"
        );
    }

    // A second `up` says it runs, and where, and starts nothing.
    let again = Recorded::default();
    engine.up(&bundle, &options(), &again).unwrap();
    assert!(
        again
            .lines()
            .iter()
            .any(|(verb, line)| verb == "Running" && line.contains("docker.sock")),
        "{:?}",
        again.lines()
    );
    assert_eq!(pid_of(&engine, Daemon::Dockerd), Some(dockerd));
    assert_eq!(pid_of(&engine, Daemon::Containerd), Some(containerd));

    std::fs::write(state.join("data/image"), "kept").unwrap();
    engine.down(false, &progress).unwrap();
    assert!(
        !alive(dockerd) && !alive(containerd),
        "both daemons stopped"
    );
    assert!(!engine.status().running());
    for gone in [
        "docker.sock",
        "dockerd.pid",
        "containerd.pid",
        "netns",
        "run",
    ] {
        assert!(!state.join(gone).exists(), "{gone} survives down");
    }
    assert_eq!(
        mounts_under(&state),
        Vec::<String>::new(),
        "no mount survives down"
    );
    assert_eq!(
        std::fs::read_to_string(state.join("data/image")).unwrap(),
        "kept"
    );

    engine.down(true, &progress).unwrap();
    assert!(!state.exists(), "purge removes the state folder");
}

#[test]
fn a_new_binary_restarts_only_its_daemon_and_the_same_one_restarts_nothing() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let engine = Engine::at(root.join("state"));
    let progress = Recorded::default();
    engine.up(&bundle, &options(), &progress).unwrap();
    let dockerd = pid_of(&engine, Daemon::Dockerd).unwrap();
    let containerd = pid_of(&engine, Daemon::Containerd).unwrap();

    install(&bundle, "containerd", "2");
    let path = bundle.join("docker/containerd");
    let new = [engine::Binary {
        name: "containerd".into(),
        sha256: build_core::digest::sha256_file(&path).unwrap(),
        path,
    }];
    let reload = engine
        .apply(&new, Duration::from_secs(30), &progress)
        .unwrap();
    assert_eq!(reload.changed, ["containerd"]);
    assert_eq!(reload.restarted.len(), 1);
    assert_eq!(reload.restarted[0].0, Daemon::Containerd);
    let status = engine.status();
    assert!(status.running(), "{status:?}");
    assert_ne!(pid_of(&engine, Daemon::Containerd), Some(containerd));
    assert_eq!(
        pid_of(&engine, Daemon::Dockerd),
        Some(dockerd),
        "dockerd kept running"
    );
    assert!(
        build_core::process::tail_of_file(&engine.log(Daemon::Containerd), 3)
            .contains("fixture containerd build 2 : listening"),
        "the restarted containerd is the new build"
    );

    // The same binaries again: nothing changed, nothing restarts.
    let again = engine
        .apply(&new, Duration::from_secs(30), &progress)
        .unwrap();
    assert!(
        again.changed.is_empty() && again.restarted.is_empty(),
        "{again:?}"
    );

    engine
        .restart(Daemon::Dockerd, Duration::from_secs(30), &progress)
        .unwrap();
    assert!(engine.status().running());
    assert_ne!(pid_of(&engine, Daemon::Dockerd), Some(dockerd));
    engine.down(true, &progress).unwrap();
}

#[test]
fn a_dead_daemon_shows_in_status_and_the_next_up_starts_afresh() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let engine = Engine::at(root.join("state"));
    let progress = Recorded::default();
    engine.up(&bundle, &options(), &progress).unwrap();
    let dockerd = pid_of(&engine, Daemon::Dockerd).unwrap();
    // dockerd dies hard, as after a crash: its pid file and socket stay behind.
    // SAFETY: killing the fixture daemon this test started.
    unsafe { libc::kill(dockerd as i32, libc::SIGKILL) };
    // Its end, as its pidfd tells it, is what status is read after.
    assert!(
        build_core::process::wait_gone(&[dockerd], Duration::from_secs(10)),
        "a SIGKILLed dockerd is gone within 10 s"
    );
    let status = engine.status();
    assert!(!status.running(), "{status:?}");
    assert_eq!(status.daemon(Daemon::Dockerd).unwrap().pid, None);
    assert!(status.daemon(Daemon::Containerd).unwrap().answering);
    assert!(
        build_core::process::tail_of_file(&engine.log(Daemon::Dockerd), 5).contains("listening"),
        "the log tells what it did"
    );

    let status = engine.up(&bundle, &options(), &progress).unwrap();
    assert!(status.running(), "{status:?}");
    assert_ne!(status.daemon(Daemon::Dockerd).unwrap().pid, Some(dockerd));
    engine.down(true, &progress).unwrap();
}

#[test]
fn down_after_a_killed_up_or_a_reboot_cleans_stale_state_and_signals_nobody_else() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let state = root.join("state");
    let engine = Engine::at(state.clone());
    // What a reboot leaves: pid files naming pids that now belong to someone else (here, a
    // process of this test), a dead socket, and a namespace file that is no longer mounted.
    let mut bystander = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::create_dir_all(state.join("run/containerd")).unwrap();
    for pid_file in ["dockerd.pid", "containerd.pid"] {
        std::fs::write(state.join(pid_file), bystander.id().to_string()).unwrap();
    }
    drop(std::os::unix::net::UnixListener::bind(state.join("docker.sock")).unwrap());
    std::fs::write(state.join("netns"), "").unwrap();
    std::fs::write(
        state.join("up.json"),
        format!(r#"{{"bundle":"{bundle}","network":"host","debuggers":[]}}"#),
    )
    .unwrap();
    assert!(engine.exists() && !engine.status().running());

    engine.down(false, &Recorded::default()).unwrap();
    assert!(alive(bystander.id()), "a recycled pid is not ours to kill");
    assert!(!state.join("docker.sock").exists() && !state.join("netns").exists());

    // And `up` over such leftovers works too.
    std::fs::write(state.join("netns"), "").unwrap();
    std::fs::write(state.join("dockerd.pid"), bystander.id().to_string()).unwrap();
    let status = engine
        .up(&bundle, &options(), &Recorded::default())
        .unwrap();
    assert!(status.running(), "{status:?}");
    assert!(alive(bystander.id()));
    engine.down(true, &Recorded::default()).unwrap();
    bystander.kill().unwrap();
    let _ = bystander.wait();
}

#[test]
fn a_daemon_that_exits_at_start_is_named_with_its_log() {
    let (_dir, root) = state();
    let broken = bundle(&root, "broken", "1");
    install(&broken, "dockerd", "broken");
    let engine = Engine::at(root.join("state"));
    let err = engine
        .up(&broken, &options(), &Recorded::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::DaemonExited {
                daemon: "dockerd",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("cannot start (as this test asks)"),
        "{err}"
    );
    engine.down(true, &Recorded::default()).unwrap();
    assert_eq!(mounts_under(&root), Vec::<String>::new());
    assert!(
        engine.status().daemons.iter().all(|d| d.pid.is_none()),
        "the containerd it started is stopped too"
    );
}

#[test]
fn a_state_folder_too_deep_for_unix_sockets_is_refused_before_anything_starts() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let deep = root.join("d".repeat(90));
    let err = Engine::at(deep.clone())
        .up(&bundle, &options(), &Recorded::default())
        .unwrap_err();
    assert!(matches!(err, EngineError::StateTooDeep { .. }), "{err}");
    assert!(!deep.exists(), "nothing was created");
}

#[test]
fn up_again_after_a_republish_restarts_only_the_daemon_whose_binary_changed() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let engine = Engine::at(root.join("state"));
    let progress = Recorded::default();
    engine.up(&bundle, &options(), &progress).unwrap();
    let dockerd = pid_of(&engine, Daemon::Dockerd).unwrap();
    let containerd = pid_of(&engine, Daemon::Containerd).unwrap();

    install(&bundle, "dockerd", "2");
    let status = engine.up(&bundle, &options(), &progress).unwrap();
    assert!(status.running(), "{status:?}");
    assert_ne!(
        pid_of(&engine, Daemon::Dockerd),
        Some(dockerd),
        "the new dockerd runs"
    );
    assert_eq!(pid_of(&engine, Daemon::Containerd), Some(containerd));
    engine.down(true, &progress).unwrap();
}

/// Runs one of the shell client's programs as a person's shell would after `eval "$(up)"`.
fn run_in_shell(client: &engine::ShellClient, program: &str) -> String {
    let out = std::process::Command::new(program)
        .env("PATH", format!("{}:/usr/bin:/bin", client.bin))
        .env("DOCKER_CONFIG", client.docker_config.as_str())
        .output()
        .unwrap();
    assert!(out.status.success(), "{program}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_shell_client_is_the_bundles_docker_with_its_plugins_and_the_persons_own_logins() {
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    install_script(&bundle, "docker/docker", "echo bundle docker 1");
    install_script(&bundle, "cli-plugins/docker-buildx", "echo buildx 1");
    let home = root.join("home/.docker");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("config.json"), r#"{"auths":{"r.example":{}}}"#).unwrap();
    let engine = Engine::at(root.join("state"));
    let mut options = options();
    options.client_config = Some(home.join("config.json"));
    let progress = Recorded::default();
    engine.up(&bundle, &options, &progress).unwrap();

    let client = engine.shell_client();
    assert_eq!(run_in_shell(&client, "docker"), "bundle docker 1\n");
    let plugin = client.docker_config.join("cli-plugins/docker-buildx");
    assert_eq!(run_in_shell(&client, plugin.as_str()), "buildx 1\n");
    assert_eq!(client.shares, Some(home.join("config.json")));
    assert_eq!(
        std::fs::read_link(client.docker_config.join("config.json")).unwrap(),
        home.join("config.json"),
        "the CLI writes logins through the link, into the person's own configuration"
    );

    // A rebuilt plugin is the one the shell runs next, and no daemon restarts for it.
    let dockerd = pid_of(&engine, Daemon::Dockerd);
    install_script(&bundle, "cli-plugins/docker-buildx", "echo buildx 2");
    engine.up(&bundle, &options, &progress).unwrap();
    assert_eq!(run_in_shell(&client, plugin.as_str()), "buildx 2\n");
    assert_eq!(pid_of(&engine, Daemon::Dockerd), dockerd);

    // `up` again from a shell that already uses the client keeps the person's configuration.
    options.client_config = Some(client.docker_config.join("config.json"));
    engine.up(&bundle, &options, &progress).unwrap();
    assert_eq!(engine.shell_client().shares, Some(home.join("config.json")));

    engine.down(true, &progress).unwrap();
}
