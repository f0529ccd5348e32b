//! The one place dockyard runs CMake: configure out of the source tree, build one target.

use camino::Utf8PathBuf;

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions, collect_artifacts};
use crate::process::LoggedCommand;

/// One CMake target and the name its output is installed under.
#[derive(Clone, Debug)]
pub struct CmakeTarget {
    /// The target to build (`tini-static`).
    pub target: &'static str,
    /// The file the target produces in the build folder (`tini-static`).
    pub output: &'static str,
    /// The installed name (`docker-init`).
    pub name: &'static str,
    /// `-D` cache entries.
    pub defines: Vec<(&'static str, String)>,
}

/// Configures the source in a fresh build folder under the work dir and builds the target.
pub fn build(
    opts: &BuildOptions,
    component: &str,
    target: &CmakeTarget,
) -> Result<Artifacts, BuildError> {
    let log = opts.prepare_dirs(component)?;
    let cmake = which::which("cmake").map_err(|_| BuildError::Toolchain {
        component: component.to_owned(),
        problem: "`cmake` is not on PATH".into(),
        fix: "install cmake (Debian: apt-get install cmake)".into(),
    })?;
    let cmake = cmake.to_string_lossy().into_owned();
    let build_dir: Utf8PathBuf = opts.work_dir.join(format!("{component}-cmake"));
    crate::fs::remove_dir_all_if_exists(&build_dir).map_err(|source| BuildError::Io {
        component: component.to_owned(),
        path: build_dir.clone(),
        source,
    })?;
    let src = &opts.source.dir;
    // Map both trees away so the binary does not depend on where it was built.
    let cflags = format!("-ffile-prefix-map={src}=. -ffile-prefix-map={build_dir}=.");
    let mut configure = LoggedCommand::new(&cmake)
        .arg("-S")
        .arg(src.as_str())
        .arg("-B")
        .arg(build_dir.as_str())
        .arg("-DCMAKE_BUILD_TYPE=Release")
        .arg(format!("-DCMAKE_C_FLAGS={cflags}"));
    for (k, v) in &target.defines {
        configure = configure.arg(format!("-D{k}={v}"));
    }
    let env = |c: LoggedCommand| {
        c.env("SOURCE_DATE_EPOCH", opts.source_date_epoch.to_string())
            .env("LC_ALL", "C")
    };
    let fail = |source| BuildError::Command {
        component: component.to_owned(),
        source,
    };
    opts.progress
        .status("Configuring", &format!("{component} (cmake)"));
    env(configure).run_logged(&log).map_err(fail)?;
    opts.progress.status(
        "Compiling",
        &format!("{} ({component}, {})", target.name, target.target),
    );
    env(LoggedCommand::new(&cmake)
        .arg("--build")
        .arg(build_dir.as_str())
        .args([
            "--target",
            target.target,
            "--parallel",
            &opts.jobs.to_string(),
        ]))
    .run_logged(&log)
    .map_err(fail)?;
    let built = build_dir.join(target.output);
    let out = opts.out_dir.join(target.name);
    std::fs::copy(&built, &out).map_err(|_| BuildError::MissingOutput {
        component: component.to_owned(),
        path: built.clone(),
    })?;
    collect_artifacts(opts, component, [(target.name, out)])
}
