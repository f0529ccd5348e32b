//! Property tests of the patch parser and of applying patches (private to `patch`).
use git2::{ObjectType, TreeWalkMode, TreeWalkResult};
use proptest::prelude::*;
use test_fixtures::mutations::{self, config};

use super::*;

/// Where the patch pretends to be: every refusal must name it.
const PATCH_PATH: &str = "/srv/team/patches/upstream/0001-say-patched.patch";

const MAIN_GO: &str = "package main\n\nfunc main() {\n\tprintln(\"fixture upstream\")\n}\n";
const UTIL_GO: &str = "package pkg\n\nconst Name = \"upstream\"\n";

/// `git format-patch` output changing both files.
const GIT_SEED: &str = "\
From 5d3f1c2e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d Mon Sep 17 00:00:00 2001
From: Dev <dev@example.com>
Subject: [PATCH] Say patched

---
 main.go     | 2 +-
 pkg/util.go | 2 +-
 2 files changed, 2 insertions(+), 2 deletions(-)

diff --git a/main.go b/main.go
--- a/main.go
+++ b/main.go
@@ -1,5 +1,5 @@
 package main
 
 func main() {
-\tprintln(\"fixture upstream\")
+\tprintln(\"patched upstream\")
 }
diff --git a/pkg/util.go b/pkg/util.go
--- a/pkg/util.go
+++ b/pkg/util.go
@@ -1,3 +1,3 @@
 package pkg
 
-const Name = \"upstream\"
+const Name = \"patched\"
-- 
2.43.0
";

/// `diff -Nru` output (applied with -p1): a change, a new file and a removed one.
const PLAIN_SEED: &str = "\
diff -Nru upstream.orig/main.go upstream/main.go
--- upstream.orig/main.go\t2026-01-01 00:00:00.000000000 +0000
+++ upstream/main.go\t2026-01-02 00:00:00.000000000 +0000
@@ -1,5 +1,5 @@
 package main
 
 func main() {
-\tprintln(\"fixture upstream\")
+\tprintln(\"patched upstream\")
 }
diff -Nru upstream.orig/NEWS upstream/NEWS
--- upstream.orig/NEWS\t1970-01-01 00:00:00.000000000 +0000
+++ upstream/NEWS\t2026-01-02 00:00:00.000000000 +0000
@@ -0,0 +1 @@
+patched
diff -Nru upstream.orig/pkg/util.go upstream/pkg/util.go
--- upstream.orig/pkg/util.go\t2026-01-01 00:00:00.000000000 +0000
+++ upstream/pkg/util.go\t1970-01-01 00:00:00.000000000 +0000
@@ -1,3 +0,0 @@
-package pkg
-
-const Name = \"upstream\"
";

fn patch(text: &[u8], strip: usize) -> Patch {
    Patch {
        name: "0001-say-patched.patch".into(),
        path: PATCH_PATH.into(),
        sha256: hex(&Sha256::digest(text)),
        text: text.to_vec(),
        strip,
    }
}

thread_local! {
    /// A bare repository holding the fixture tree, made once per test thread.
    static FIXTURE: (tempfile::TempDir, Oid) = {
        let (dir, _repo, tree) = repo();
        (dir, tree)
    };
}

/// A bare repository holding `main.go` and `pkg/util.go`, and that tree.
fn repo() -> (tempfile::TempDir, Repository, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let main = repo.blob(MAIN_GO.as_bytes()).unwrap();
    let util = repo.blob(UTIL_GO.as_bytes()).unwrap();
    let tree = {
        let mut pkg = repo.treebuilder(None).unwrap();
        pkg.insert("util.go", util, 0o100644).unwrap();
        let pkg = pkg.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("main.go", main, 0o100644).unwrap();
        root.insert("pkg", pkg, 0o040000).unwrap();
        root.write().unwrap()
    };
    (dir, repo, tree)
}

/// Applies `text` to the fixture tree: the patched tree's paths, or the refusal.
fn apply_text(text: &[u8], strip: usize) -> Result<Vec<String>, PatchError> {
    // Opened afresh (cheap, unlike making one) so that each `apply` adds its mempack to an
    // object database of its own, as a run does.
    let (repo, tree) =
        FIXTURE.with(|(dir, tree)| (Repository::open_bare(dir.path()).unwrap(), *tree));
    let tree = apply(&repo, Upstream::ALL[0], tree, &[patch(text, strip)])?;
    let mut paths = Vec::new();
    repo.find_tree(tree)
        .unwrap()
        .walk(TreeWalkMode::PreOrder, |root, entry| {
            let name = entry.name().unwrap_or("<not UTF-8>");
            let kind = if entry.kind() == Some(ObjectType::Tree) {
                "/"
            } else {
                ""
            };
            paths.push(format!("{root}{name}{kind}"));
            TreeWalkResult::Ok
        })
        .unwrap();
    Ok(paths)
}

/// Nothing but plain names inside the tree, and no `.git`.
fn assert_inside(paths: &[String]) -> Result<(), TestCaseError> {
    for path in paths {
        for name in path.trim_end_matches('/').split('/') {
            prop_assert!(
                !name.is_empty()
                    && name != "."
                    && name != ".."
                    && !name.eq_ignore_ascii_case(".git"),
                "the patched tree holds {:?}",
                path
            );
        }
    }
    Ok(())
}

fn assert_names_the_patch(err: &PatchError) -> Result<(), TestCaseError> {
    prop_assert!(err.to_string().contains(PATCH_PATH), "{}", err);
    Ok(())
}

/// Lines and words that mean something to a reader of patches, and text that does not.
fn fragment() -> BoxedStrategy<String> {
    let hunk = "@@ -[0-9]{1,3}(,[0-9]{1,3})? \\+[0-9]{1,3}(,[0-9]{1,3})? @@";
    mutations::fragment_or_matching(hunk, &[PATCH_WORDS])
}

/// Headers, hunk headers and line markers of a patch, and paths as headers write them.
const PATCH_WORDS: &[&str] = &[
    "@@ ",
    "@@ -0,0 +0,0 @@",
    "@@ -1 +1 @@",
    "@@ -99999999999999999999,1 +1 @@",
    "--- ",
    "+++ ",
    "--- /dev/null",
    "+++ /dev/null",
    "diff --git ",
    "diff --git a/ b/",
    "new file mode 100644",
    "deleted file mode 100644",
    "new file mode 120000",
    "old mode 100644",
    "new mode 100755",
    "rename from main.go",
    "rename to pkg/main.go",
    "copy from main.go",
    "copy to x.go",
    "similarity index 100%",
    "index 0000000..1111111 100644",
    "GIT binary patch",
    "literal 5",
    "\\ No newline at end of file",
    "-",
    "+",
    " ",
    "\t",
    "\r",
    "\0",
    "\"a/\\303\\251\"",
    "a/",
    "b/",
    "/dev/null",
];

/// Paths that leave the tree or reach into `.git`, as a header may write them.
fn outside() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "../../etc/passwd",
        "pkg/../../x",
        "./../x",
        ".git/config",
        ".GIT/hooks/pre-commit",
        "pkg/.git/config",
        "/etc/passwd",
        "//etc/passwd",
        "\"\\056\\056/etc/passwd\"",
        "\"\\056git/config\"",
        "\"pkg/\\056\\056/\\056\\056/x\"",
    ])
}

#[test]
fn a_c_quoted_header_path_is_read_as_libgit2_reads_it() {
    assert_eq!(unquote("\"a/\\056\\056/x\""), "a/../x");
    assert_eq!(
        unquote("\"b/caf\\303\\251 \\\"q\\\"\\t\""),
        "b/café \"q\"\t"
    );
    assert_eq!(unquote("a/plain"), "a/plain");
    assert_eq!(unquote("\"a/half"), "a/half");
    assert_eq!(unquote("\"\\\""), "\\");
    assert_eq!(unquote("\""), "");
}

#[test]
fn the_seed_patches_apply() {
    let paths = apply_text(GIT_SEED.as_bytes(), 1).unwrap();
    assert!(paths.contains(&"pkg/util.go".to_owned()), "{paths:?}");
    let paths = apply_text(PLAIN_SEED.as_bytes(), 1).unwrap();
    assert!(paths.contains(&"NEWS".to_owned()), "{paths:?}");
    assert!(!paths.contains(&"pkg/util.go".to_owned()), "{paths:?}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_patch_applies_inside_the_tree_or_is_refused_naming_the_patch_file(
        plain in any::<bool>(),
        strip in 0usize..3,
        edits in mutations::edits(fragment()),
    ) {
        let seed = if plain { PLAIN_SEED } else { GIT_SEED };
        let text = mutations::apply(seed.as_bytes(), &edits);
        match apply_text(&text, strip) {
            Ok(paths) => assert_inside(&paths)?,
            Err(err) => assert_names_the_patch(&err)?,
        }
    }

    #[test]
    fn an_arbitrary_patch_never_panics_and_a_refusal_names_the_patch_file(
        text in mutations::arbitrary_lines(fragment()),
        strip in 0usize..2,
    ) {
        match apply_text(&text, strip) {
            Ok(paths) => assert_inside(&paths)?,
            Err(err) => assert_names_the_patch(&err)?,
        }
    }

    #[test]
    fn a_patch_naming_a_path_outside_the_tree_is_refused(
        plain in any::<bool>(),
        which in prop::sample::select(vec!["main.go", "pkg/util.go", "NEWS"]),
        to in outside(),
        headers in prop::sample::select(vec!["all", "diff", "old", "new"]),
    ) {
        // `diff -u` never quotes a path (it writes `..` as it is); git does, with C escapes.
        let quoted = to.starts_with('"') && !plain;
        let unquoted = unquote(to);
        let to = if plain { unquoted.as_str() } else { to.trim_matches('"') };
        let q = |side: &str| {
            if quoted {
                format!("\"{side}{to}\"")
            } else {
                format!("{side}{to}")
            }
        };
        let seed = if plain { PLAIN_SEED } else { GIT_SEED };
        let text: String = seed
            .split_inclusive('\n')
            .map(|line| {
                let diff = format!("diff --git a/{which} b/{which}\n");
                if line == diff && matches!(headers, "all" | "diff") {
                    return format!("diff --git {} {}\n", q("a/"), q("b/"));
                }
                let (old, new) = if plain {
                    (format!("--- upstream.orig/{which}\t"), format!("+++ upstream/{which}\t"))
                } else {
                    (format!("--- a/{which}\n"), format!("+++ b/{which}\n"))
                };
                let tail = if plain { "\t" } else { "\n" };
                if let Some(rest) = line.strip_prefix(old.as_str()).filter(|_| matches!(headers, "all" | "old")) {
                    let side = if plain { "upstream.orig/" } else { "a/" };
                    return format!("--- {}{tail}{rest}", q(side));
                }
                if let Some(rest) = line.strip_prefix(new.as_str()).filter(|_| matches!(headers, "all" | "new")) {
                    let side = if plain { "upstream/" } else { "b/" };
                    return format!("+++ {}{tail}{rest}", q(side));
                }
                line.to_owned()
            })
            .collect();
        let changed = text != seed;
        match apply_text(text.as_bytes(), 1) {
            Ok(paths) => {
                assert_inside(&paths)?;
                prop_assert!(!changed, "applied a patch naming {}:\n{}\n{:?}", to, text, paths);
            }
            Err(err) => {
                assert_names_the_patch(&err)?;
                // Refused by dockyard's own check, before libgit2 reads a path.
                prop_assert!(
                    matches!(err, PatchError::OutsideTree { .. }),
                    "{} was refused, but not as outside the tree: {}\n{}", to, err, text
                );
            }
        }
    }
}
