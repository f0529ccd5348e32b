//! The one place dockyard runs CMake.
//!
//! The source is copied into the work dir first: some projects' `configure_file` writes into
//! the source tree (tini's writes `README.md`), and a pinned checkout or a developer's working tree
//! must never change under a build. Then configure in a fresh build folder, set the configured
//! header values the project would have taken from `.git`, and build one target.

use camino::Utf8Path;

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions, Built, collect_artifacts};
use crate::component::{Component, verify_stamps};
use crate::fs::remove_dir_all_if_exists;
use crate::process::LoggedCommand;
use crate::source::READY_MARKER;
use crate::toolchain::Tool;

/// One CMake target and the name its output is installed under.
#[derive(Clone, Debug)]
pub struct CmakeTarget {
    /// The target to build (`tini-static`).
    pub target: &'static str,
    /// The installed name (`docker-init`).
    pub name: &'static str,
    /// `-D` cache entries.
    pub defines: Vec<(&'static str, String)>,
    /// `#define NAME VALUE` lines to set in a header that configuring generated in the build
    /// folder: `(header, macro, C string value)`. For values a project reads from `.git`, which
    /// a pinned tree does not have.
    pub header_strings: Vec<(&'static str, &'static str, String)>,
}

/// Builds `target` from `opts.source` and describes the result.
pub fn build(
    opts: &BuildOptions,
    descriptor: &Component,
    target: &CmakeTarget,
) -> Result<Artifacts, BuildError> {
    let component = descriptor.name();
    descriptor.check_version(&opts.version)?;
    let log = opts.prepare_dirs(component)?;
    let cmake = which::which("cmake").map_err(|_| BuildError::Toolchain {
        component: component.to_owned(),
        source: Tool::CMake.missing("`cmake` is not on PATH"),
    })?;
    let cmake = cmake.to_string_lossy().into_owned();
    let src = opts.work_dir.join(format!("{component}-src"));
    let build_dir = opts.work_dir.join(format!("{component}-build"));
    for dir in [&src, &build_dir] {
        remove_dir_all_if_exists(dir).map_err(BuildError::io(component, "removing", dir))?;
    }
    // Never `.git` (the build must not read it) nor the ready marker (a copy is not a checkout).
    crate::fs::copy_tree(&opts.source.dir, &src, &[".git", READY_MARKER])
        .map_err(BuildError::io(component, "copying the source to", &src))?;

    // Map both trees away so the binary does not depend on where it was built.
    let cflags = format!("-ffile-prefix-map={src}=. -ffile-prefix-map={build_dir}=.");
    let mut configure = LoggedCommand::new(&cmake)
        .arg("-S")
        .arg(src.as_str())
        .arg("-B")
        .arg(build_dir.as_str())
        .arg("-DCMAKE_BUILD_TYPE=Release")
        // Old `cmake_minimum_required` lines are refused by CMake 4 without this.
        .arg("-DCMAKE_POLICY_VERSION_MINIMUM=3.5")
        .arg(format!("-DCMAKE_C_FLAGS={cflags}"));
    for (k, v) in &target.defines {
        configure = configure.arg(format!("-D{k}={v}"));
    }
    // Another architecture: the target's cross compiler, through a toolchain file.
    if !opts.target.is_host()
        && let Some(arch) = opts.target.architecture()
    {
        let file = opts
            .work_dir
            .join(format!("{component}-{}.cmake", arch.debian));
        let processor = arch.triplet.split('-').next().unwrap_or(arch.triplet);
        let text = format!(
            "set(CMAKE_SYSTEM_NAME Linux)\nset(CMAKE_SYSTEM_PROCESSOR {processor})\n\
             set(CMAKE_C_COMPILER {}-gcc)\n",
            arch.triplet
        );
        std::fs::write(&file, text).map_err(BuildError::io(component, "writing", &file))?;
        configure = configure.arg(format!("-DCMAKE_TOOLCHAIN_FILE={file}"));
    }
    let env = |c: LoggedCommand| {
        c.env("SOURCE_DATE_EPOCH", opts.source_date_epoch.to_string())
            .env("LC_ALL", "C")
    };
    let fail = |source| BuildError::Command {
        component: component.to_owned(),
        source: Box::new(source),
    };
    opts.progress
        .status("Configuring", &format!("{component} (cmake)"));
    env(configure).run_logged(&log).map_err(fail)?;
    for (header, name, value) in &target.header_strings {
        let path = build_dir.join(header);
        let text =
            std::fs::read_to_string(&path).map_err(BuildError::io(component, "reading", &path))?;
        std::fs::write(&path, set_define(&text, name, value))
            .map_err(BuildError::io(component, "writing", &path))?;
    }
    opts.progress.status(
        "Compiling",
        &format!("{} ({component}, {})", target.name, target.target),
    );
    env(LoggedCommand::new(&cmake)
        .arg("--build")
        .arg(build_dir.as_str())
        // `-t`: CMake's `--target`, since 3.15.
        .args(["-t", target.target, "--parallel", &opts.jobs.to_string()]))
    .run_logged(&log)
    .map_err(fail)?;
    let built = build_dir.join(target.target);
    let out = opts.out_dir.join(target.name);
    copy_output(component, &built, &out)?;
    let built = Built {
        name: target.name,
        path: out,
        toolchain: "cmake".into(),
        tags: Vec::new(),
        c_libraries: crate::clib::linked(
            &opts.target,
            opts.sysroot.as_ref(),
            &descriptor.c_libraries(),
        ),
    };
    let artifacts = collect_artifacts(opts, component, [built])?;
    let defines = target.header_strings.iter();
    let stamped = vec![(
        target.name,
        defines
            .map(|(_, name, value)| (*name, value.as_str()))
            .collect(),
    )];
    verify_stamps(descriptor, opts, &artifacts, &stamped)?;
    descriptor.check_produced(opts, &artifacts)?;
    Ok(artifacts)
}

/// Replaces (or appends) `#define name "value"` in a C header.
fn set_define(text: &str, name: &str, value: &str) -> String {
    let line = format!(
        "#define {name} \"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            let mut words = l.split_whitespace();
            if words.next() == Some("#define") && words.next() == Some(name) {
                found = true;
                line.clone()
            } else {
                l.to_owned()
            }
        })
        .collect();
    if !found {
        out.push(line);
    }
    out.join("\n") + "\n"
}

/// `built` copied to `out`: a binary the build did not make is `MissingOutput`; one that cannot
/// be copied (a full disk) is the I/O error it is.
fn copy_output(component: &str, built: &Utf8Path, out: &Utf8Path) -> Result<(), BuildError> {
    if !built.is_file() {
        return Err(BuildError::MissingOutput {
            component: component.to_owned(),
            path: built.to_owned(),
        });
    }
    std::fs::copy(built, out).map(drop).map_err(BuildError::io(
        component,
        "copying the binary to",
        out,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_define_replaces_the_macro_and_escapes_the_value() {
        let header = "#define TINI_VERSION \"0.19.0\"\n#define TINI_GIT     \"\"\n";
        let out = super::set_define(header, "TINI_GIT", " - git.de40ad0");
        assert_eq!(
            out,
            "#define TINI_VERSION \"0.19.0\"\n#define TINI_GIT \" - git.de40ad0\"\n"
        );
        assert!(super::set_define("", "X", "a\"b").contains(r#"#define X "a\"b""#));
    }

    #[test]
    fn a_full_disk_is_not_a_missing_binary() {
        let dir = tempfile::tempdir().unwrap();
        let built = Utf8Path::from_path(dir.path()).unwrap().join("tini");
        let missing = copy_output("tini", &built, Utf8Path::new("/tmp/never")).unwrap_err();
        assert!(
            matches!(missing, BuildError::MissingOutput { .. }),
            "{missing}"
        );
        std::fs::write(&built, b"\x7fELF").unwrap();
        // /dev/full: every write fails as on a full disk.
        let full = copy_output("tini", &built, Utf8Path::new("/dev/full")).unwrap_err();
        assert!(
            matches!(&full, BuildError::Io { source, .. } if source.source.kind() == std::io::ErrorKind::StorageFull),
            "{full}"
        );
    }
}
