//! The images upstream suites download, made here from Debian instead: `busybox` from Debian's
//! `busybox-static` (the binary, a link for each applet it lists, `/etc/passwd` and `/etc/group`
//! with the accounts the suites use), and `debian` with `mmdebstrap --variant=minbase` from
//! Debian's archive. Both are root file systems as `.tar.xz`, cached by name and architecture.

use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{ConformanceError, require};

/// The Debian release the `debian` image is made from.
pub const DEBIAN_SUITE: &str = "bookworm";

/// The revision of the recipes below and in `frozen`, part of every cached image's name: bumped
/// when one changes, so no image an older recipe made is taken.
const RECIPES: u32 = 2;

/// The image cache.
#[derive(Clone, Debug)]
pub struct Images {
    dir: Utf8PathBuf,
}

impl Images {
    /// Images kept in `dir`.
    pub fn new(dir: impl Into<Utf8PathBuf>) -> Images {
        Images { dir: dir.into() }
    }

    /// `name` in the cache, made by `make` into a partial file the first time: a killed run
    /// leaves no half image to trust.
    pub(crate) fn made(
        &self,
        name: &str,
        make: impl FnOnce(&Utf8Path) -> Result<(), ConformanceError>,
    ) -> Result<Utf8PathBuf, ConformanceError> {
        let image = self.dir.join(format!("r{RECIPES}-{name}"));
        if image.is_file() {
            return Ok(image);
        }
        std::fs::create_dir_all(&self.dir).map_err(ConformanceError::io("creating", &self.dir))?;
        let partial = self.dir.join(format!(".partial-r{RECIPES}-{name}"));
        let _ = std::fs::remove_file(&partial);
        make(&partial)?;
        std::fs::rename(&partial, &image).map_err(ConformanceError::io("writing", &image))?;
        Ok(image)
    }

    /// `NAME-ARCH.tar.xz`, made once (`busybox` or `debian`), for Go's `arch` (`amd64`).
    pub fn provide(
        &self,
        name: &str,
        arch: &str,
        progress: &dyn Progress,
    ) -> Result<Utf8PathBuf, ConformanceError> {
        self.made(&format!("{name}-{arch}.tar.xz"), |partial| {
            match name {
                "busybox" => busybox(partial)?,
                "debian" => {
                    progress.status(
                        "Making",
                        &format!("the debian image ({DEBIAN_SUITE}, mmdebstrap minbase; once)"),
                    );
                    require("mmdebstrap", "mmdebstrap", "the debian test image")?;
                    LoggedCommand::new("mmdebstrap")
                        .args([
                            "--variant=minbase",
                            "--quiet",
                            DEBIAN_SUITE,
                            partial.as_str(),
                        ])
                        .read()?;
                }
                _ => {
                    return Err(ConformanceError::NotASuite {
                        tree: self.dir.clone(),
                        what: "recipe for this image (busybox and debian are made here)",
                    });
                }
            }
            Ok(())
        })
    }
}

/// busybox's root file system at `out`.
fn busybox(out: &Utf8Path) -> Result<(), ConformanceError> {
    let busybox = engine::find_static_busybox()?;
    let dir = tempfile::tempdir().map_err(ConformanceError::io("creating a folder in", "/tmp"))?;
    let root = Utf8Path::from_path(dir.path()).unwrap_or(Utf8Path::new("/tmp"));
    let write = |path: &str, text: &str| {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap_or(root))
            .and_then(|()| std::fs::write(&file, text))
            .map_err(ConformanceError::io("writing", file))
    };
    for folder in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "tmp", "var",
    ] {
        std::fs::create_dir_all(root.join(folder))
            .map_err(ConformanceError::io("creating", root.join(folder)))?;
    }
    std::fs::copy(&busybox, root.join("bin/busybox"))
        .map_err(ConformanceError::io("copying", &busybox))?;
    // Every user runs it (Debian installs it 0744); / and /tmp are as in an image (a temporary
    // folder is made 0700).
    use std::os::unix::fs::PermissionsExt;
    for (path, mode) in [("bin/busybox", 0o755), ("tmp", 0o1777), ("", 0o755)] {
        std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode))
            .map_err(ConformanceError::io("setting the mode of", root.join(path)))?;
    }
    let applets = LoggedCommand::new(busybox.as_str())
        .arg("--list-full")
        .read()?;
    // Where Debian's busybox puts each applet, and, as in Docker Hub's busybox image (which
    // moby's tests expect: `/bin/top`), every one of them in /bin too.
    for applet in applets.lines().map(str::trim).filter(|a| !a.is_empty()) {
        let name = applet.rsplit('/').next().unwrap_or(applet);
        for link in [root.join(applet), root.join("bin").join(name)] {
            if !link.exists() && !link.is_symlink() {
                std::os::unix::fs::symlink("/bin/busybox", &link)
                    .map_err(ConformanceError::io("linking", link))?;
            }
        }
    }
    write(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
         bin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\n\
         nobody:x:65534:65534:nobody:/home:/bin/false\n",
    )?;
    // The usual groups with their usual numbers (moby's tests add `wheel`, `audio` and `staff`
    // by name and check their ids).
    write(
        "etc/group",
        "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\n\
         lp:x:7:\nmail:x:8:\nkmem:x:9:\nwheel:x:10:root\ncdrom:x:11:\ndialout:x:18:\n\
         floppy:x:19:\nvideo:x:28:\naudio:x:29:\ntape:x:32:\nwww-data:x:33:\n\
         operator:x:37:\nutmp:x:43:\nplugdev:x:46:\nstaff:x:50:\nlock:x:54:\n\
         netdev:x:82:\nusers:x:100:\nnogroup:x:65534:\n",
    )?;
    require("tar", "tar", "the busybox test image")?;
    archive(root, out)
}

/// `root` as a `.tar.xz` owned by root.
pub(crate) fn archive(root: &Utf8Path, out: &Utf8Path) -> Result<(), ConformanceError> {
    require("xz", "xz-utils", "the test images")?;
    LoggedCommand::new("tar")
        .args([
            "--numeric-owner",
            "--owner=0",
            "--group=0",
            "-C",
            root.as_str(),
        ])
        .args(["-cJf", out.as_str(), "."])
        .read()?;
    Ok(())
}
