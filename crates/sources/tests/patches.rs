//! Patches onto a pinned tree: applied in order into a checkout of their own, refused or
//! reported precisely when they do not fit, and never leaving anything behind.

mod common;

use camino::{Utf8Path, Utf8PathBuf};
use common::{World, read, world};
use sources::progress::Silent;
use sources::source::{Patch, PatchError, SourceError, SourceRequest};

/// A format-patch of one commit on top of the mirror that says "patched runc".
fn say_patched(w: &mut World, dir: &Utf8Path) -> Utf8PathBuf {
    let main = read(&w.repo.path.join("main.go"));
    w.repo.write(
        "main.go",
        &main.replace("\"fixture runc\"", "\"patched runc\""),
    );
    w.repo.commit("Say patched");
    let path = dir.join("0001-say-patched.patch");
    std::fs::write(&path, w.repo.format_patch()).unwrap();
    path
}

fn patched(w: &World, patches: Vec<Patch>) -> SourceRequest {
    let SourceRequest::Pinned { pin, mirror } = w.pinned_via_mirror() else {
        unreachable!()
    };
    SourceRequest::Patched {
        pin,
        mirror,
        patches,
    }
}

fn patches_dir(w: &World) -> Utf8PathBuf {
    let dir = w.root.join("patches/runc");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_series_applies_in_order_into_a_checkout_of_its_own() {
    let mut w = world();
    let dir = patches_dir(&w);
    say_patched(&mut w, &dir);
    // A plain `diff -u` of the patched tree against a copy, paths as `patch -p1` reads them.
    std::fs::write(
        dir.join("0002-notes.diff"),
        "diff -uN runc.orig/NOTES runc/NOTES\n--- runc.orig/NOTES\t1970-01-01 00:00:00.000000000 +0000\n+++ runc/NOTES\t2026-12-01 10:00:00.000000000 +0000\n@@ -0,0 +1 @@\n+carried by dockyard's tests\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("series"),
        "# applied in this order\n0001-say-patched.patch\n0002-notes.diff -p1\n",
    )
    .unwrap();
    let patches = Patch::read_series(&dir).unwrap();
    let names: Vec<&str> = patches.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["0001-say-patched.patch", "0002-notes.diff"]);

    let cache = w.cache();
    let source = cache
        .prepare(&patched(&w, patches.clone()), &Silent)
        .unwrap();
    assert!(read(&source.dir.join("main.go")).contains("\"patched runc\""));
    assert_eq!(
        read(&source.dir.join("NOTES")),
        "carried by dockyard's tests\n"
    );
    assert_eq!(
        read(&source.dir.join("VERSION")),
        "1.4.3\n",
        "the pinned commit, not the mirror's head"
    );
    let marker = source.patch_marker().unwrap();
    assert_eq!(marker.len(), "+patches.".len() + 8, "{marker}");
    assert!(
        source.content_id.starts_with(w.pin.commit.as_str())
            && source.content_id.contains("+patches.")
    );
    assert_eq!(source.patches, patches);

    // The pinned checkout is another folder, untouched.
    let pinned = cache.prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    assert_ne!(pinned.dir, source.dir);
    assert!(read(&pinned.dir.join("main.go")).contains("\"fixture runc\""));
    assert!(!pinned.dir.join("NOTES").exists());

    // Prepared again, the patched checkout is trusted as it is; edited, it is written again.
    let again = cache
        .prepare(&patched(&w, patches.clone()), &Silent)
        .unwrap();
    assert_eq!(again.dir, source.dir);
    std::fs::write(source.dir.join("NOTES"), "tampered\n").unwrap();
    let repaired = cache.prepare(&patched(&w, patches), &Silent).unwrap();
    assert_eq!(
        read(&repaired.dir.join("NOTES")),
        "carried by dockyard's tests\n"
    );
}

#[test]
fn a_patch_that_does_not_apply_names_the_patch_the_file_and_the_hunk_and_leaves_nothing() {
    let w = world();
    let dir = patches_dir(&w);
    let stale = dir.join("stale.patch");
    std::fs::write(
        &stale,
        "diff --git a/main.go b/main.go\n--- a/main.go\n+++ b/main.go\n@@ -40,3 +40,3 @@ func main() {\n \t}\n-\tfmt.Println(\"some other runc\")\n+\tfmt.Println(\"patched runc\")\n }\n",
    )
    .unwrap();
    let cache = w.cache();
    let err = cache
        .prepare(&patched(&w, vec![Patch::read(&stale).unwrap()]), &Silent)
        .unwrap_err();
    let SourceError::Patch(PatchError::DoesNotApply {
        patch, file, hunk, ..
    }) = &err
    else {
        panic!("expected a patch that does not apply, got {err}")
    };
    assert_eq!((patch, file.as_str()), (&stale, "main.go"));
    assert_eq!(hunk.as_deref(), Some("@@ -40,3 +40,3 @@ func main() {"));
    let message = err.to_string();
    assert!(
        message.contains(stale.as_str())
            && message.contains("main.go")
            && message.contains("@@ -40,3"),
        "{message}"
    );
    let left: Vec<String> = std::fs::read_dir(cache.root().join("checkouts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.is_empty(),
        "nothing is left in the checkouts: {left:?}"
    );
}

#[test]
fn a_patch_reaching_outside_the_tree_is_refused_before_anything_is_written() {
    let w = world();
    let dir = patches_dir(&w);
    for (name, text) in [
        (
            "escape.patch",
            "diff --git a/../../etc/cron.d/x b/../../etc/cron.d/x\nnew file mode 100644\n--- /dev/null\n+++ b/../../etc/cron.d/x\n@@ -0,0 +1 @@\n+boom\n",
        ),
        (
            "absolute.diff",
            "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-root\n+toor\n",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = w
            .cache()
            .prepare(&patched(&w, vec![Patch::read(&path).unwrap()]), &Silent)
            .unwrap_err();
        assert!(
            matches!(&err, SourceError::Patch(PatchError::OutsideTree { patch, .. }) if *patch == path),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("outside the source tree"), "{err}");
    }
    assert!(!w.root.join("etc").exists());
}

#[test]
fn a_series_naming_a_file_outside_its_folder_is_refused() {
    let w = world();
    let dir = patches_dir(&w);
    std::fs::write(dir.join("series"), "ok.patch\n../../secret.patch\n").unwrap();
    std::fs::write(dir.join("ok.patch"), "").unwrap();
    let err = Patch::read_series(&dir).unwrap_err();
    assert!(
        matches!(&err, PatchError::BadSeries { line: 2, .. }),
        "{err}"
    );
}
