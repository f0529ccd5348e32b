//! Unit tests of `patch`.
use super::*;

fn patch(text: &str, strip: usize) -> Patch {
    Patch {
        name: "p.diff".into(),
        path: "p.diff".into(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        text: text.as_bytes().to_vec(),
        strip,
    }
}

#[test]
fn a_plain_unified_diff_gets_git_headers_and_keeps_removed_dash_lines() {
    let plain = "diff -u upstream.orig/main.go upstream/main.go\n--- upstream.orig/main.go\t2026-01-01 00:00:00\n+++ upstream/main.go\t2026-01-02 00:00:00\n@@ -1,3 +1,3 @@\n a\n--- b\n+++ c\n d\n";
    let git = as_git_diff(&patch(plain, 1)).unwrap();
    assert_eq!(
        git,
        "diff --git a/main.go b/main.go\n--- a/main.go\n+++ b/main.go\n@@ -1,3 +1,3 @@\n a\n--- b\n+++ c\n d\n"
    );
}

#[test]
fn paths_leaving_the_tree_are_refused() {
    for bad in ["a/../../etc/passwd", "/etc/passwd", "a/.git/config"] {
        let text = format!("diff --git a/x {bad}\n--- a/x\n+++ {bad}\n@@ -1 +1 @@\n-a\n+b\n");
        let err = refuse_outside_paths(&patch(&text, 1), &text).unwrap_err();
        assert!(
            matches!(err, PatchError::OutsideTree { .. }),
            "{bad}: {err}"
        );
    }
    let good = "diff --git a/x b/y/z\n--- a/x\n+++ b/y/z\n";
    refuse_outside_paths(&patch(good, 1), good).unwrap();
}

#[test]
fn the_marker_follows_content_and_order_not_names() {
    let (a, b) = (patch("one\n", 1), patch("two\n", 1));
    let mut renamed = a.clone();
    renamed.name = "other.patch".into();
    assert_eq!(
        marker(&[a.clone(), b.clone()]),
        marker(&[renamed, b.clone()])
    );
    assert_ne!(marker(&[a.clone(), b.clone()]), marker(&[b, a]));
    assert_eq!(marker(&[]), None);
    assert!(marker(&[patch("x", 1)]).unwrap().starts_with("+patches."));
}
