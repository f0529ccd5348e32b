//! The busybox image the suites would download, made from Debian's busybox-static: every user
//! can run its applets, each is in /bin, and it is made once.

use build_core::progress::Silent;
use conformance::Images;

#[test]
fn the_busybox_image_is_runnable_by_any_user_and_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let images = Images::new(camino::Utf8Path::from_path(dir.path()).unwrap());
    let image = images.provide("busybox", "amd64", &Silent).unwrap();
    // Named with the recipes' revision: an image an older recipe made is not taken.
    assert!(
        image
            .file_name()
            .unwrap()
            .ends_with("-busybox-amd64.tar.xz"),
        "{image}"
    );
    let listing = std::process::Command::new("tar")
        .args(["-tJvf", image.as_str()])
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    let mode_of = |path: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {path}")) || l.contains(&format!(" {path} -> ")))
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{path} is not in the image:\n{listing}"))
    };
    assert_eq!(mode_of("./"), "drwxr-xr-x");
    assert_eq!(mode_of("./tmp/"), "drwxrwxrwt");
    assert_eq!(mode_of("./bin/busybox"), "-rwxr-xr-x");
    assert_eq!(mode_of("./bin/sh"), "lrwxrwxrwx");
    assert!(listing.contains("./etc/passwd"), "{listing}");
    // Every applet in /bin as in Docker Hub's image, also those Debian puts elsewhere.
    assert_eq!(mode_of("./bin/top"), "lrwxrwxrwx");
    assert_eq!(mode_of("./usr/bin/top"), "lrwxrwxrwx");

    let made = std::fs::metadata(&image).unwrap().modified().unwrap();
    let again = images.provide("busybox", "amd64", &Silent).unwrap();
    assert_eq!(
        std::fs::metadata(&again).unwrap().modified().unwrap(),
        made,
        "made once"
    );
}
