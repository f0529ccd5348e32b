//! A component described once: what each recipe crate exports, and what every verb reads.

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions};
use crate::clib::CLibrarySpec;
use crate::toolchain::Tool;
use crate::upstream::Upstream;

mod stamps;
pub use stamps::{runnable, verify_stamps};

// The data moved to `component_specs`; the paths recipes and readers used keep working.
pub use component_specs::{
    BinarySpec, ComponentSpec, ReleaseLine, SourceFile, Stamps, VersionProbe,
};

/// One buildable component: a recipe crate's whole public face, as data. What it is (name,
/// binaries, version probes, restarts, shipped files) is its [`ComponentSpec`], shared with the
/// readers of bundles; the rest is how to build it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Component {
    /// What it produces and how each binary shows its version.
    pub spec: &'static ComponentSpec,
    /// The pinned repository it builds from.
    pub upstream: Upstream,
    /// Bumped whenever the recipe changes what it produces (part of every cache key).
    pub recipe_version: u32,
    /// What its build needs on the machine.
    pub tools: &'static [Tool],
    /// The release lines its recipe builds, as version prefixes (`["1.7.", "2."]`).
    pub supported: &'static [&'static str],
    /// How upstream itself builds these binaries, when it has an entry point of its own for
    /// them (`cargo xtask bench` compares against it).
    pub upstream_build: Option<UpstreamBuild>,
    /// Builds the binaries into `opts.out_dir`; the spec's `files` are copied there too, so
    /// they are cached and keyed with the binaries.
    pub build: fn(&BuildOptions) -> Result<Artifacts, BuildError>,
}

impl Component {
    /// The component `spec` describes, built by `build` from `upstream`'s source: recipe version
    /// 1, no tools, no supported release line and no upstream entry point until the `with_`
    /// functions add them (each `const`, so a recipe's `COMPONENT` stays a constant).
    pub const fn new(
        spec: &'static ComponentSpec,
        upstream: Upstream,
        build: fn(&BuildOptions) -> Result<Artifacts, BuildError>,
    ) -> Component {
        Component {
            spec,
            upstream,
            recipe_version: 1,
            tools: &[],
            supported: &[],
            upstream_build: None,
            build,
        }
    }

    /// The same, with this recipe version (bump it when the recipe changes its output).
    pub const fn with_recipe_version(mut self, recipe_version: u32) -> Component {
        self.recipe_version = recipe_version;
        self
    }

    /// The same, needing these tools.
    pub const fn with_tools(mut self, tools: &'static [Tool]) -> Component {
        self.tools = tools;
        self
    }

    /// The same, building these release lines (version prefixes).
    pub const fn with_supported(mut self, supported: &'static [&'static str]) -> Component {
        self.supported = supported;
        self
    }

    /// The same, with upstream's own entry point for these binaries.
    pub const fn with_upstream_build(mut self, upstream_build: UpstreamBuild) -> Component {
        self.upstream_build = Some(upstream_build);
        self
    }

    /// The name people type (`--only proxy`) and logs use.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The binaries a build of it for Docker `release` makes, by installed name (the spec's
    /// [`ComponentSpec::binaries_for`]; a build asks with [`BuildOptions::docker_release`]).
    pub fn binaries_for(&self, release: ReleaseLine) -> Vec<&'static str> {
        self.spec.binaries_for(release)
    }

    /// Files of its source tree shipped as they are, beside the binaries.
    pub fn files(&self) -> &'static [SourceFile] {
        self.spec.files
    }

    /// The files it ships for `target`: what its download tree or its packages have (moby's
    /// rootless scripts and SysV init script are Linux's).
    pub fn files_for(&self, target: &crate::Target) -> Vec<&'static SourceFile> {
        let layout = target.layout();
        self.spec
            .files
            .iter()
            .filter(|file| {
                layout.is_none_or(|l| match file.archive {
                    Some(archive) => l.ships(archive),
                    None => l.has_packaging(),
                })
            })
            .collect()
    }

    /// The man pages it makes for `target`: only where Docker's packages install them
    /// (Linux's download tree has packages; Windows' and macOS's do not).
    pub fn man_pages_for(&self, target: &crate::Target) -> Option<component_specs::ManPages> {
        let packaged = target.layout().is_none_or(|l| l.has_packaging());
        self.spec.man_pages.filter(|_| packaged)
    }

    /// Whether the recipe builds `version` (`1.7.28`).
    pub(crate) fn supports(&self, version: &str) -> bool {
        self.supported.iter().any(|line| version.starts_with(line))
    }

    /// Fails unless `version` parses and is on a line the recipe builds: every build checks
    /// this before it runs anything, so a build never silently follows another line's recipe.
    pub fn check_version(&self, version: &str) -> Result<(), BuildError> {
        if release_line(version).is_none() {
            return Err(BuildError::UnparsableVersion {
                component: self.name(),
                version: version.to_owned(),
            });
        }
        if !self.supports(version) {
            return Err(BuildError::Unsupported {
                component: self.name(),
                version: version.to_owned(),
                lines: self.supported_lines(),
            });
        }
        Ok(())
    }

    /// Fails unless `artifacts` holds exactly the binaries the component makes for the Docker
    /// release `opts` builds for.
    pub(crate) fn check_produced(
        &self,
        opts: &BuildOptions,
        artifacts: &Artifacts,
    ) -> Result<(), BuildError> {
        let expected = self.binaries_for(opts.docker_release);
        if let Some(binary) = expected.iter().find(|b| artifacts.get(b).is_none()) {
            return Err(BuildError::Incomplete {
                component: self.name(),
                binary,
                release: opts.docker_release,
            });
        }
        match (artifacts.binaries.iter()).find(|a| !expected.contains(&a.name.as_str())) {
            Some(extra) => Err(BuildError::NotShipped {
                component: self.name(),
                binary: extra.name.clone(),
                release: opts.docker_release,
            }),
            None => Ok(()),
        }
    }

    /// The supported lines as a person reads them (`1.7.x, 2.x`).
    pub(crate) fn supported_lines(&self) -> String {
        self.supported
            .iter()
            .map(|l| format!("{l}x"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The C libraries besides libc its build links.
    pub fn c_libraries(&self) -> Vec<&'static CLibrarySpec> {
        self.tools
            .iter()
            .filter_map(|t| match t {
                Tool::CLibrary(lib) => Some(*lib),
                _ => None,
            })
            .collect()
    }

    /// Whether its build runs Go.
    pub fn uses_go(&self) -> bool {
        self.tools.contains(&Tool::Go)
    }
}

/// Upstream's own build entry point, run in a copy of the tree. `command` and `env` values are
/// templates like a [`VersionProbe`]'s (`{version}`, `{commit}`, `{commit:7}`).
#[derive(Debug)]
pub struct UpstreamBuild {
    /// Program (relative: the tree's own script) and arguments.
    pub command: &'static [&'static str],
    /// What a tree without `.git` needs in the environment.
    pub env: &'static [(&'static str, &'static str)],
    /// What it produces: installed name and path in the tree.
    pub outputs: &'static [(&'static str, &'static str)],
}

impl UpstreamBuild {
    /// The command line for these stamps.
    pub(crate) fn command_for(&self, stamps: Stamps<'_>) -> Vec<String> {
        self.command.iter().map(|t| stamps.fill(t)).collect()
    }

    /// The environment for these stamps.
    pub(crate) fn env_for(&self, stamps: Stamps<'_>) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|(k, t)| ((*k).to_owned(), stamps.fill(t)))
            .collect()
    }

    /// The entry point run in `tree` (a scratch copy of the source: upstream's scripts write
    /// into their tree) for these stamps, offline and from `vendor/` as dockyard's builds are,
    /// with `gotoolchain` and the Go build cache `gocache`.
    pub fn command_in(
        &self,
        tree: &camino::Utf8Path,
        stamps: Stamps<'_>,
        gotoolchain: &str,
        gocache: &camino::Utf8Path,
    ) -> crate::process::LoggedCommand {
        let command = self.command_for(stamps);
        // A relative program (`hack/make.sh`) is the tree's own script.
        let program = match command[0].contains('/') {
            true => tree.join(&command[0]).to_string(),
            false => command[0].clone(),
        };
        let mut cmd = crate::process::LoggedCommand::new(program)
            .args(command[1..].iter().cloned())
            .cwd(tree)
            .env("GOCACHE", gocache.as_str())
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=vendor")
            .env("GOTOOLCHAIN", gotoolchain);
        for (k, v) in self.env_for(stamps) {
            cmd = cmd.env(k, v);
        }
        cmd
    }
}

/// `(major, minor)` of a version `MAJOR.MINOR[.PATCH][-suffix]` (`1.4.3`, `2.3.0-rc.1`);
/// `None` for anything else ([`ReleaseLine::parse`]).
pub(crate) fn release_line(version: &str) -> Option<(u32, u32)> {
    ReleaseLine::parse(version).map(|line| (line.major, line.minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_component() -> Component {
        Component {
            spec: &component_specs::RUNC,
            upstream: Upstream::Runc,
            recipe_version: 1,
            tools: &[],
            supported: &[],
            upstream_build: None,
            build: |_| Ok(Artifacts::default()),
        }
    }

    #[test]
    fn an_unparsable_version_is_refused_before_any_recipe_line_is_chosen() {
        let runc = Component {
            supported: &["1.2.", "1.3.", "1.4."],
            ..test_component()
        };
        assert!(matches!(
            runc.check_version("v1.4.3"),
            Err(BuildError::UnparsableVersion { .. })
        ));
        assert!(matches!(
            runc.check_version("1.1.9"),
            Err(BuildError::Unsupported { .. })
        ));
        runc.check_version("1.4.3").unwrap();
    }

    /// Options for a build for Docker `release` (nothing is built with them).
    fn options_for(release: ReleaseLine) -> BuildOptions {
        let source = crate::source::Source {
            upstream: Upstream::Rootlesskit,
            dir: "/nonexistent".into(),
            commit: crate::pins::CommitId::parse(&"a".repeat(40)).unwrap(),
            version: "2.3.2".into(),
            dirty: false,
            content_id: "x".into(),
            commit_time: 0,
            origin: crate::source::Origin::Cache,
            patches: Vec::new(),
        };
        BuildOptions::new(
            source,
            release,
            "/nonexistent".into(),
            "/nonexistent".into(),
        )
    }

    /// Artifacts holding binaries of these names.
    fn made(names: &[&str]) -> Artifacts {
        let binaries = names.iter().map(|name| crate::Artifact {
            name: (*name).to_owned(),
            path: "/nonexistent".into(),
            sha256: String::new(),
            size: 0,
            link: crate::elf::LinkKind::Static,
            toolchain: String::new(),
            tags: Vec::new(),
            c_libraries: Vec::new(),
        });
        Artifacts {
            binaries: binaries.collect(),
            ..Artifacts::default()
        }
    }

    #[test]
    fn a_build_makes_exactly_the_binaries_its_docker_release_ships() {
        const DROPPED_IN_28: ComponentSpec = ComponentSpec::new(
            "rootlesskit",
            &[
                BinarySpec::new("rootlesskit"),
                BinarySpec::new("rootlesskit-docker-proxy").dropped_in(28, 0),
            ],
            component_specs::Archive::RootlessExtras,
        );
        let rootlesskit = Component {
            spec: &DROPPED_IN_28,
            ..test_component()
        };
        let (docker_27, docker_28) = (ReleaseLine::new(27, 5), ReleaseLine::new(28, 0));
        let both = made(&["rootlesskit", "rootlesskit-docker-proxy"]);
        let alone = made(&["rootlesskit"]);
        rootlesskit
            .check_produced(&options_for(docker_27), &both)
            .unwrap();
        rootlesskit
            .check_produced(&options_for(docker_28), &alone)
            .unwrap();
        let err = (rootlesskit.check_produced(&options_for(docker_27), &alone)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rootlesskit: the recipe did not produce rootlesskit-docker-proxy, which Docker 27.5 ships"
        );
        let err = (rootlesskit.check_produced(&options_for(docker_28), &both)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rootlesskit: the recipe produced rootlesskit-docker-proxy, which Docker 28.0 does not ship"
        );
    }

    #[test]
    fn upstream_s_command_and_environment_are_filled_with_the_stamps() {
        let build = UpstreamBuild {
            command: &["make", "static", "COMMIT={commit}"],
            env: &[("VERSION", "v{version}"), ("GITCOMMIT", "{commit:7}")],
            outputs: &[],
        };
        let stamps = Stamps {
            version: "1.4.3",
            commit: "bb14dabeb7185bb72c8c86735d090dcb20f36587",
        };
        assert_eq!(
            build.command_for(stamps),
            [
                "make",
                "static",
                "COMMIT=bb14dabeb7185bb72c8c86735d090dcb20f36587"
            ]
        );
        assert_eq!(
            build.env_for(stamps),
            [
                ("VERSION".to_owned(), "v1.4.3".to_owned()),
                ("GITCOMMIT".to_owned(), "bb14dab".to_owned())
            ]
        );
    }
}
