//! Windows resources (version information, icon, manifest, message table) compiled into a
//! `.syso` object that Go links into a Windows executable, as upstream's builds do with
//! `go generate` before `go build`.
//!
//! The resource compiler is a Go program at the version upstream pins, built here by the Go
//! that builds the component, from Go's module proxy: its module's `go.sum` hash is checked
//! before it is built, and its dependencies against its own `go.sum` (and Go's checksum
//! database) by Go. It runs in a scratch folder holding its input, written by the recipe, and
//! copies of the tree's files it reads; the tree is never written. Go only links a `.syso` of
//! the package's own folder (and reads it past `-overlay`), so the build runs in a view of the
//! tree: a scratch folder of symbolic links to the tree's files, with real folders only on the
//! way to the package, where the `.syso` is put. `-trimpath` makes the binary the same as one
//! built in the tree itself.

use camino::{Utf8Path, Utf8PathBuf};

use crate::build::{BuildError, BuildOptions};
use crate::process::LoggedCommand;
use crate::toolchain::GoToolchain;

/// A Go program a build runs but never ships, at a pinned version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoTool {
    /// The program (`go-winres`).
    pub name: &'static str,
    /// Its module (`github.com/tc-hib/go-winres`).
    pub module: &'static str,
    /// The version upstream pins (`v0.3.1`).
    pub version: &'static str,
    /// Its module's `go.sum` hash (`h1:…`): what Go downloads must be it.
    pub sum: &'static str,
    /// The package that is the program, relative to the module (`.`, `cmd/goversioninfo`).
    pub package: &'static str,
}

/// Windows resources for one binary: the compiler, what it reads, how it is run and what it
/// writes. Every path is relative (to the tree, or to the scratch folder it runs in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowsResources {
    /// The resource compiler.
    pub tool: GoTool,
    /// Files of the tree it reads, copied into its folder under their own names (the icon,
    /// the manifest).
    pub files: Vec<&'static str>,
    /// The input upstream's script writes, as the recipe writes it: its name and text.
    pub input: (&'static str, String),
    /// Its arguments, run in the folder holding the input and the files.
    pub args: Vec<String>,
    /// The object it writes there (`resource_windows_amd64.syso`).
    pub output: &'static str,
    /// The package folder of the tree that object belongs in (`cmd/dockerd`).
    pub package_dir: &'static str,
}

/// The four numbers of a Windows version (`29.7.2-rc.1` → `29.7.2.0`), as both upstream
/// scripts make them: the leading digits and dots, padded with zeros.
pub fn version_quad(version: &str) -> [u32; 4] {
    let numbers: &str = version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("");
    let mut quad = [0; 4];
    for (slot, part) in quad.iter_mut().zip(numbers.split('.')) {
        *slot = part.parse().unwrap_or(0);
    }
    quad
}

/// `text` as a JSON string, quotes included.
pub fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

impl GoTool {
    /// Builds the tool with `go` (for this machine, cgo off, reproducibly) into the tools
    /// folder, once per version and Go release; returns the program.
    pub(crate) fn install(
        &self,
        opts: &BuildOptions,
        go: &GoToolchain,
        component: &str,
        log: &Utf8Path,
    ) -> Result<Utf8PathBuf, BuildError> {
        let tools = opts.tools_dir();
        let dir = tools
            .join("go")
            .join(format!("{}-{}-go{}", self.name, self.version, go.version));
        let program = dir.join(self.name);
        if program.is_file() {
            return Ok(program);
        }
        std::fs::create_dir_all(&tools).map_err(BuildError::io(component, "creating", &tools))?;
        opts.progress.status(
            "Building",
            &format!(
                "{} {} ({component}'s Windows resources)",
                self.name, self.version
            ),
        );
        let failed = |source| BuildError::Command {
            component: component.to_owned(),
            source: Box::new(source),
        };
        let download = self
            .go_command(opts, go, &tools)
            .args(["mod", "download", "-json"])
            .arg(format!("{}@{}", self.module, self.version))
            .read()
            .map_err(failed)?;
        let found = serde_json::from_str::<serde_json::Value>(&download)
            .ok()
            .and_then(|v| v.get("Sum")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        if found != self.sum {
            return Err(BuildError::ToolSum {
                component: component.to_owned(),
                tool: format!("{}@{}", self.module, self.version),
                expected: self.sum.to_owned(),
                found,
            });
        }
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{}-", self.name))
            .tempdir_in(&tools)
            .map_err(BuildError::io(component, "creating a folder in", &tools))?;
        let tmp_dir = crate::fs::utf8(tmp.path().to_owned()).map_err(BuildError::io(
            component,
            "creating a folder in",
            &tools,
        ))?;
        let package = match self.package {
            "." => self.module.to_owned(),
            package => format!("{}/{package}", self.module),
        };
        self.go_command(opts, go, &tools)
            .args(["install", "-trimpath", "-ldflags=-buildid="])
            .arg(format!("{package}@{}", self.version))
            .env("GOBIN", tmp_dir.as_str())
            .env("CGO_ENABLED", "0")
            .run_logged(log)
            .map_err(failed)?;
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(BuildError::io(component, "creating", parent))?;
        }
        // Another run may have put the same build there meanwhile.
        if std::fs::rename(&tmp_dir, &dir).is_err() && !program.is_file() {
            return Err(BuildError::MissingOutput {
                component: component.to_owned(),
                path: program,
            });
        }
        Ok(program)
    }

    /// `go` outside any module, for this machine, with the modules of the Go proxy (none
    /// offline) and no user flags that would change what is built.
    fn go_command(&self, opts: &BuildOptions, go: &GoToolchain, cwd: &Utf8Path) -> LoggedCommand {
        let host = crate::platform::Target::host();
        let mut cmd = LoggedCommand::new(go.go.as_str())
            .cwd(cwd)
            .env("GOTOOLCHAIN", &go.gotoolchain)
            .env("GOWORK", "off")
            .env("GOFLAGS", "")
            .env("GO111MODULE", "on")
            .env("GOOS", &host.os)
            .env("GOARCH", &host.arch);
        if opts.offline {
            cmd = cmd.env("GOPROXY", "off");
        }
        cmd
    }
}

impl WindowsResources {
    /// Compiles the resources in a fresh `scratch` folder and returns the object it wrote.
    pub(crate) fn compile(
        &self,
        opts: &BuildOptions,
        go: &GoToolchain,
        component: &str,
        scratch: &Utf8Path,
        log: &Utf8Path,
    ) -> Result<Utf8PathBuf, BuildError> {
        let tool = self.tool.install(opts, go, component, log)?;
        crate::fs::remove_dir_all_if_exists(scratch)
            .map_err(BuildError::io(component, "clearing", scratch))?;
        std::fs::create_dir_all(scratch).map_err(BuildError::io(component, "creating", scratch))?;
        for file in &self.files {
            let from = opts.source.dir.join(file);
            let to = scratch.join(Utf8Path::new(file).file_name().unwrap_or(file));
            std::fs::copy(&from, &to).map_err(BuildError::io(component, "copying", &from))?;
        }
        let (name, text) = &self.input;
        let input = scratch.join(name);
        std::fs::write(&input, text).map_err(BuildError::io(component, "writing", &input))?;
        opts.progress.status(
            "Compiling",
            &format!("Windows resources ({component}, {})", self.tool.name),
        );
        LoggedCommand::new(tool.as_str())
            .args(self.args.iter().cloned())
            .cwd(scratch)
            .run_logged(log)
            .map_err(|source| BuildError::Command {
                component: component.to_owned(),
                source: Box::new(source),
            })?;
        let output = scratch.join(self.output);
        match output.is_file() {
            true => Ok(output),
            false => Err(BuildError::MissingOutput {
                component: component.to_owned(),
                path: output,
            }),
        }
    }
}

/// Makes `view` a view of the tree `src` in which the folder `package_dir` also holds `extra`
/// (copied under its own name): symbolic links to everything else, real folders only on the
/// way down to `package_dir`.
pub(crate) fn tree_view(
    src: &Utf8Path,
    view: &Utf8Path,
    package_dir: &str,
    extra: &Utf8Path,
) -> std::io::Result<()> {
    crate::fs::remove_dir_all_if_exists(view)?;
    std::fs::create_dir_all(view)?;
    let extra_name = extra.file_name().unwrap_or_default();
    let (mut from, mut to) = (src.to_owned(), view.to_owned());
    let mut below = package_dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".");
    loop {
        let next = below.next();
        for entry in std::fs::read_dir(&from)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if Some(name.as_ref()) == next || (next.is_none() && name == extra_name) {
                continue;
            }
            std::os::unix::fs::symlink(from.join(name.as_ref()), to.join(name.as_ref()))?;
        }
        match next {
            Some(folder) => {
                (from, to) = (from.join(folder), to.join(folder));
                std::fs::create_dir(&to)?;
            }
            None => break,
        }
    }
    std::fs::copy(extra, to.join(extra_name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_become_four_numbers() {
        assert_eq!(version_quad("29.7.2"), [29, 7, 2, 0]);
        assert_eq!(version_quad("29.7.2-rc.1"), [29, 7, 2, 0]);
        assert_eq!(version_quad("28.5"), [28, 5, 0, 0]);
        assert_eq!(version_quad("29.7.2+patches.1a2b3c4d"), [29, 7, 2, 0]);
        assert_eq!(json_string("a \"b\""), "\"a \\\"b\\\"\"");
    }

    #[test]
    fn a_view_links_the_tree_and_adds_the_object_to_its_package_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let src = root.join("src");
        for file in [
            "go.mod",
            "cmd/dockerd/main.go",
            "cmd/docker/main.go",
            "vendor/x/x.go",
        ] {
            std::fs::create_dir_all(src.join(file).parent().unwrap()).unwrap();
            std::fs::write(src.join(file), file).unwrap();
        }
        let object = root.join("resource_windows_amd64.syso");
        std::fs::write(&object, "object").unwrap();
        let view = root.join("view");
        tree_view(&src, &view, "cmd/dockerd", &object).unwrap();
        let read = |p: &str| std::fs::read_to_string(view.join(p)).unwrap();
        assert_eq!(read("cmd/dockerd/main.go"), "cmd/dockerd/main.go");
        assert_eq!(read("vendor/x/x.go"), "vendor/x/x.go");
        assert_eq!(read("cmd/dockerd/resource_windows_amd64.syso"), "object");
        assert!(view.join("go.mod").symlink_metadata().unwrap().is_symlink());
        assert!(!view.join("cmd").symlink_metadata().unwrap().is_symlink());
        assert!(
            view.join("cmd/docker")
                .symlink_metadata()
                .unwrap()
                .is_symlink()
        );
        // The tree itself is as it was.
        assert!(!src.join("cmd/dockerd/resource_windows_amd64.syso").exists());
        // Made again from scratch.
        tree_view(&src, &view, "cmd/dockerd", &object).unwrap();
    }
}
