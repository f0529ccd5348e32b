//! moby's "frozen images", made here instead of downloaded. moby's Dockerfile downloads them
//! into `/docker-frozen-images` (its `frozen-images` stage) and every integration package's
//! `TestMain` loads them, pulling what is missing; with each one already in the daemon nothing
//! is pulled. The list is `frozenImages` in `internal/testutil/environment/protect.go`:
//!
//! - `busybox:latest`: the `busybox` image of [`Images`] (Debian's `busybox-static`).
//! - `busybox:glibc`: the same file system with the host's glibc (`ld-linux`, `libc.so.6` and
//!   the libraries beside it that busybox's applets load) under `/lib`; upstream's binary is
//!   linked to glibc, this one is the static busybox next to a glibc.
//! - `debian:trixie-slim`: `mmdebstrap --variant=minbase trixie` from Debian's archive.
//! - `hello-world:frozen`, `hello-world:amd64`, `hello-world:arm64`: `/hello`, a static Go
//!   program built with the pinned Go that prints Docker's greeting, for amd64 and arm64.
//!
//! Each root file system is cached by name beside the other test images, and all six go into one
//! `docker save` archive ([`crate::save`]) with the architecture and `CMD` upstream's image has;
//! each package's run loads it with `docker load`, as upstream's `TestMain` loads its
//! `/docker-frozen-images`.

use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::Images;
use crate::error::{ConformanceError, require};
use crate::images::archive;
use crate::save::{SavedImage, write_save_archive};

const GREETING: &str = "\nHello from Docker!\n\
This message shows that your installation appears to be working correctly.\n";

/// The `docker save` archive of every frozen image of moby's suite, made once into `images`'
/// folder.
pub fn frozen_images(
    images: &Images,
    go: &GoToolchain,
    gocache: &Utf8Path,
    progress: &dyn Progress,
) -> Result<Utf8PathBuf, ConformanceError> {
    let busybox = images.provide("busybox", "amd64", progress)?;
    let glibc = images.made("busybox-glibc-amd64.tar.xz", |out| {
        busybox_glibc(&busybox, out)
    })?;
    let debian = images.made("debian-trixie-amd64.tar.xz", |out| {
        progress.status(
            "Making",
            "the debian:trixie-slim image (mmdebstrap minbase; once)",
        );
        require("mmdebstrap", "mmdebstrap", "moby's frozen images")?;
        LoggedCommand::new("mmdebstrap")
            .args(["--variant=minbase", "--quiet", "trixie", out.as_str()])
            .read()?;
        Ok(())
    })?;
    let hello = |arch: &'static str| {
        images.made(&format!("hello-world-{arch}.tar.xz"), |out| {
            hello_world(go, gocache, arch, out)
        })
    };
    let (amd64, arm64) = (hello("amd64")?, hello("arm64")?);
    let image = |rootfs: &Utf8PathBuf, tags, architecture, cmd| SavedImage {
        rootfs: rootfs.clone(),
        tags,
        architecture,
        cmd,
    };
    let all = [
        image(&busybox, vec!["busybox:latest"], "amd64", &["sh"]),
        image(&glibc, vec!["busybox:glibc"], "amd64", &["sh"]),
        image(&debian, vec!["debian:trixie-slim"], "amd64", &["bash"]),
        image(
            &amd64,
            vec!["hello-world:frozen", "hello-world:amd64"],
            "amd64",
            &["/hello"],
        ),
        image(&arm64, vec!["hello-world:arm64"], "arm64", &["/hello"]),
    ];
    images.made("frozen-images.tar", |out| {
        progress.status("Making", "the frozen images' docker save archive (once)");
        write_save_archive(&all, out)
    })
}

/// busybox's file system with the host's glibc added.
fn busybox_glibc(busybox: &Utf8Path, out: &Utf8Path) -> Result<(), ConformanceError> {
    let dir = tempfile::tempdir().map_err(ConformanceError::io("creating a folder in", "/tmp"))?;
    let root = Utf8Path::from_path(dir.path()).unwrap_or(Utf8Path::new("/tmp"));
    LoggedCommand::new("tar")
        .args(["-xJf", busybox.as_str(), "-C", root.as_str()])
        .read()?;
    let lib = root.join("lib");
    std::fs::create_dir_all(root.join("lib64")).map_err(ConformanceError::io("creating", &lib))?;
    std::fs::create_dir_all(&lib).map_err(ConformanceError::io("creating", &lib))?;
    for (from, to) in [
        ("/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"),
        ("/lib/x86_64-linux-gnu/libc.so.6", "lib/libc.so.6"),
        ("/lib/x86_64-linux-gnu/libm.so.6", "lib/libm.so.6"),
        ("/lib/x86_64-linux-gnu/libresolv.so.2", "lib/libresolv.so.2"),
        (
            "/lib/x86_64-linux-gnu/libnss_files.so.2",
            "lib/libnss_files.so.2",
        ),
    ] {
        // Followed, not linked: the image holds the library itself.
        std::fs::copy(from, root.join(to)).map_err(ConformanceError::io("copying", from))?;
    }
    archive(root, out)
}

/// `/hello` for `arch`, built with `go`.
fn hello_world(
    go: &GoToolchain,
    gocache: &Utf8Path,
    arch: &str,
    out: &Utf8Path,
) -> Result<(), ConformanceError> {
    let dir = tempfile::tempdir().map_err(ConformanceError::io("creating a folder in", "/tmp"))?;
    let root = Utf8Path::from_path(dir.path()).unwrap_or(Utf8Path::new("/tmp"));
    let source = root.join("hello.go");
    let program = format!(
        "package main\n\nimport \"os\"\n\nfunc main() {{ os.Stdout.WriteString({GREETING:?}) }}\n"
    );
    std::fs::write(&source, program).map_err(ConformanceError::io("writing", &source))?;
    let image = root.join("image");
    std::fs::create_dir_all(&image).map_err(ConformanceError::io("creating", &image))?;
    LoggedCommand::new(go.go.as_str())
        .args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
        .arg(image.join("hello").as_str())
        .arg(source.as_str())
        .cwd(root)
        .env("GOTOOLCHAIN", &go.gotoolchain)
        .env("GOCACHE", gocache.as_str())
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GO111MODULE", "off")
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", arch)
        .read()?;
    archive(&image, out)
}
