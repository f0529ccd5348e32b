//! `cargo xtask install`: a verified bundle's binaries and units put in place.

mod common;

use common::{read, stderr, world, xtask};

#[test]
fn install_puts_binaries_and_units_under_the_prefix() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let bundle = out.join("docker-29.7.2");
    let prefix = w.root.join("prefix");
    let units = w.root.join("units");
    let output = xtask()
        .args([
            "install",
            bundle.as_str(),
            "--prefix",
            prefix.as_str(),
            "--systemd",
            units.as_str(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    for name in [
        "docker",
        "dockerd",
        "containerd",
        "runc",
        "docker-init",
        "docker-proxy",
        "ctr",
        "containerd-shim-runc-v2",
    ] {
        assert_eq!(
            read(&prefix.join("bin").join(name)),
            read(&bundle.join("docker").join(name)),
            "{name}"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(prefix.join("bin").join(name))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o755, "{name}");
    }
    // The rootless extras beside dockerd, as Docker's packages put them in /usr/bin; the
    // plugins where the CLI looks.
    for (installed, shipped) in [
        ("bin/rootlesskit", "docker-rootless-extras/rootlesskit"),
        (
            "bin/dockerd-rootless.sh",
            "docker-rootless-extras/dockerd-rootless.sh",
        ),
        (
            "libexec/docker/cli-plugins/docker-buildx",
            "cli-plugins/docker-buildx",
        ),
        (
            "libexec/docker/cli-plugins/docker-compose",
            "cli-plugins/docker-compose",
        ),
    ] {
        assert_eq!(
            read(&prefix.join(installed)),
            read(&bundle.join(shipped)),
            "{installed}"
        );
    }
    let service = String::from_utf8(read(&units.join("docker.service"))).unwrap();
    assert!(
        service.contains(&format!("ExecStart={}/bin/dockerd", prefix)),
        "{service}"
    );
    let containerd = String::from_utf8(read(&units.join("containerd.service"))).unwrap();
    assert!(
        containerd.contains(&format!("ExecStart={}/bin/containerd", prefix)),
        "{containerd}"
    );
}

#[test]
fn install_user_puts_the_plugins_where_the_cli_looks_for_this_user() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let bundle = out.join("docker-29.7.2");
    let home = w.root.join("home");
    let config = w.root.join("docker-config");
    let installed = |env: &[(&str, &camino::Utf8Path)]| {
        let mut command = xtask();
        command.args(["install", bundle.as_str(), "--user"]);
        command.env_remove("DOCKER_CONFIG").env("HOME", &home);
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    };
    installed(&[]);
    assert_eq!(
        read(&home.join(".docker/cli-plugins/docker-buildx")),
        read(&bundle.join("cli-plugins/docker-buildx"))
    );
    assert_eq!(
        read(&home.join(".local/bin/docker")),
        read(&bundle.join("docker/docker"))
    );
    // DOCKER_CONFIG moves the CLI's folder, and the plugins with it.
    installed(&[("DOCKER_CONFIG", &config)]);
    assert_eq!(
        read(&config.join("cli-plugins/docker-compose")),
        read(&bundle.join("cli-plugins/docker-compose"))
    );
}

#[test]
fn install_refuses_a_damaged_bundle() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let bundle = out.join("docker-29.7.2");
    std::fs::write(bundle.join("docker/runc"), b"not runc").unwrap();
    let prefix = w.root.join("prefix");
    let output = xtask()
        .args(["install", bundle.as_str(), "--prefix", prefix.as_str()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("docker/runc"),
        "{}",
        stderr(&output)
    );
    assert!(
        !prefix.join("bin/runc").exists(),
        "nothing installed from a damaged bundle"
    );
}
