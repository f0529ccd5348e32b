//! The CLI plugins at work: the docker CLI finds and runs each, a BuildKit build through
//! buildx, and a compose project whose services reach each other by name.

use bundle_format::{Archive, ComponentSpec, PLUGIN_METADATA, Stamps, VersionProbe};

use super::Smoke;
use super::checks::{IMAGE, PAGE, check};
use crate::EngineError;

const BUILT: &str = "dockyard-smoke-built:1";

/// Each plugin's version probes run as `docker PLUGIN ARGS` (`docker compose version`): the
/// CLI must find the plugin and pass on what it prints, the manifest's version and commit.
pub(super) fn plugin_versions(s: &Smoke<'_>) -> Result<String, EngineError> {
    let mut shown = Vec::new();
    for (component, probe, args) in through_the_cli() {
        let recorded = s
            .manifest
            .component(component.name)
            .ok_or_else(|| EngineError::Check(format!("the manifest has no {}", component.name)))?;
        let version = recorded.stamped_version();
        let stamps = Stamps {
            version: &version,
            commit: &recorded.commit,
        };
        let out = s.engine.docker_ok(&args)?;
        let missing = probe.missing(stamps, &out);
        check(missing.is_empty(), || {
            format!(
                "docker {} printed {out:?}, without {}",
                args.join(" "),
                missing.join(", ")
            )
        })?;
        shown.push(out.trim().to_owned());
    }
    Ok(shown.join("; "))
}

/// The plugins' version probes as `docker` arguments: a plugin binary `docker-NAME` is the
/// CLI's `NAME`. The metadata probe is the CLI's handshake with the plugin, not a command a
/// person runs, so only the binary check runs it.
fn through_the_cli() -> Vec<(
    &'static ComponentSpec,
    &'static VersionProbe,
    Vec<&'static str>,
)> {
    bundle_format::COMPONENTS
        .into_iter()
        .filter(|c| c.archive == Archive::Plugin)
        .flat_map(|c| c.version_probes.iter().map(move |p| (c, p)))
        .filter(|(_, p)| p.args != [PLUGIN_METADATA])
        .filter_map(|(c, p)| {
            let name = p.binary.strip_prefix("docker-")?;
            let args = std::iter::once(name).chain(p.args.iter().copied());
            Some((c, p, args.collect()))
        })
        .collect()
}

/// `docker buildx build` of a Dockerfile with `RUN` and a cache mount, on the engine's own
/// BuildKit (buildx's `docker` driver); the image it loads runs.
pub(super) fn buildx_build(s: &Smoke<'_>) -> Result<String, EngineError> {
    let context = s.engine.root().join("build-context");
    std::fs::create_dir_all(&context).map_err(EngineError::io("creating", &context))?;
    let dockerfile = context.join("Dockerfile");
    let text = format!(
        "FROM {IMAGE}\n\
         RUN --mount=type=cache,target=/cache sh -c 'echo built with a cache mount >> /cache/log && cat /cache/log > /built'\n\
         CMD [\"cat\", \"/built\"]\n"
    );
    std::fs::write(&dockerfile, text).map_err(EngineError::io("writing", &dockerfile))?;
    let built = s.engine.docker(&[
        "buildx",
        "build",
        "--progress",
        "plain",
        "--tag",
        BUILT,
        context.as_str(),
    ])?;
    check(built.code == Some(0), || {
        format!(
            "docker buildx build failed: {}",
            build_core::process::tail(&built.stderr, 8)
        )
    })?;
    // BuildKit, not the legacy builder: its plain progress names each step with `#N`.
    check(built.stderr.contains("#1 "), || {
        format!(
            "the build did not go through BuildKit: {}",
            built.stderr.trim()
        )
    })?;
    let out = s.engine.docker_ok(&["run", "--rm", BUILT])?;
    let _ = s.engine.docker(&["rmi", BUILT]);
    check(out.trim() == "built with a cache mount", || {
        format!("the built image printed {out:?}")
    })?;
    Ok("BuildKit built FROM the imported image, RUN with a cache mount; the image runs".into())
}

/// `docker compose up -d` of two services, one fetching the other's page by its service name;
/// then `down` removes them and the project's network.
pub(super) fn compose_up(s: &Smoke<'_>) -> Result<String, EngineError> {
    let dir = s.engine.root().join("compose");
    std::fs::create_dir_all(&dir).map_err(EngineError::io("creating", &dir))?;
    let file = dir.join("compose.yaml");
    let text = format!(
        "services:\n\
         \x20 web:\n\
         \x20   image: {IMAGE}\n\
         \x20   command: [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n\
         \x20 probe:\n\
         \x20   image: {IMAGE}\n\
         \x20   depends_on: [web]\n\
         \x20   command: [\"sh\", \"-c\", \"for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ > /page && exec sleep 600; sleep 0.3; done; exit 1\"]\n"
    );
    std::fs::write(&file, text).map_err(EngineError::io("writing", &file))?;
    let compose = |args: &[&str]| {
        let mut all = vec!["compose", "-f", file.as_str(), "-p", "dys-compose"];
        all.extend_from_slice(args);
        s.engine.docker(&all)
    };
    let result = (|| -> Result<String, EngineError> {
        let up = compose(&["up", "-d", "--wait"])?;
        check(up.code == Some(0), || {
            format!(
                "docker compose up failed: {}",
                build_core::process::tail(&up.stderr, 8)
            )
        })?;
        let page = compose(&["exec", "-T", "probe", "cat", "/page"])?;
        check(page.stdout.contains(PAGE.trim()), || {
            format!(
                "the probe service did not fetch http://web/: {} {}",
                page.stdout.trim(),
                page.stderr.trim()
            )
        })?;
        Ok("probe fetched http://web/ by its service name".to_owned())
    })();
    // The probe's shell ignores SIGTERM as PID 1: no grace period to wait out.
    let down = compose(&["down", "-v", "--remove-orphans", "--timeout", "0"])?;
    let result = result?;
    check(down.code == Some(0), || {
        format!("docker compose down failed: {}", down.stderr.trim())
    })?;
    let left = s.engine.docker_ok(&[
        "ps",
        "-aq",
        "--filter",
        "label=com.docker.compose.project=dys-compose",
    ])?;
    check(left.trim().is_empty(), || {
        format!("containers left after down: {left}")
    })?;
    Ok(format!("{result}; down removed both"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_plugin_s_version_runs_through_the_cli() {
        let stamps = super::Stamps {
            version: "1.2.3",
            commit: "abcdef0123456789",
        };
        let commands: Vec<(&str, Vec<&str>, Vec<String>)> = super::through_the_cli()
            .into_iter()
            .map(|(c, probe, args)| (c.name, args, probe.expected(stamps)))
            .collect();
        assert_eq!(
            commands,
            [
                (
                    "buildx",
                    vec!["buildx", "version"],
                    vec!["github.com/docker/buildx v1.2.3 abcdef0".to_owned()]
                ),
                (
                    "compose",
                    vec!["compose", "version"],
                    vec!["Docker Compose version v1.2.3".to_owned()]
                )
            ]
        );
    }
}
