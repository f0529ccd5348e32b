//! Patches applied onto a pinned tree: a quilt-style `series` or single files, git
//! format-patch output or plain unified diffs, applied in order by libgit2 to the commit's tree
//! in memory. Nothing reaches disk until every patch has applied; the result is a tree object
//! that the patched checkout is written from and hashed back against, as a pinned one is.

use std::cell::RefCell;
use std::path::{Component as PathPart, Path};

use camino::{Utf8Path, Utf8PathBuf};
use git2::{ApplyOptions, Diff, Oid, Repository};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::digest::hex;
use crate::upstream::Upstream;

/// The file listing a component's patches in order, in `patches/<upstream>/`.
pub const SERIES: &str = "series";

/// One patch file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Patch {
    /// As people name it: its entry in the series, or its file name.
    pub name: String,
    /// Where it was read from (never recorded in a bundle).
    #[serde(skip)]
    pub path: Utf8PathBuf,
    /// SHA-256 of its bytes.
    pub sha256: String,
    #[serde(skip)]
    text: Vec<u8>,
    #[serde(skip)]
    strip: usize,
}

/// Why patches could not be read or applied. Each names the patch file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// A patch or series file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: Utf8PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A series line that is not a patch name (and optional `-pN`).
    #[error("{series}:{line}: {why}")]
    BadSeries {
        /// The series file.
        series: Utf8PathBuf,
        /// 1-based.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A file that is not a diff libgit2 can read.
    #[error("{patch}: not a patch ({why}); write it with `git format-patch` or `diff -u`")]
    NotADiff {
        /// The patch file.
        patch: Utf8PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A patch naming a path outside the source tree.
    #[error("{patch}: refused: it names `{path}`, outside the source tree")]
    OutsideTree {
        /// The patch file.
        patch: Utf8PathBuf,
        /// The path as written.
        path: String,
    },
    /// A hunk whose context is not in the file (or a file that is not there).
    #[error(
        "{upstream}: patch {patch} does not apply to {file}{}: {why}; nothing was written (refresh the patch against the pinned commit)",
        hunk.as_ref().map(|h| format!(", hunk `{h}`")).unwrap_or_default()
    )]
    DoesNotApply {
        /// Which upstream.
        upstream: Upstream,
        /// The patch file.
        patch: Utf8PathBuf,
        /// The file it failed on.
        file: String,
        /// The failing hunk's header, when a hunk (not the file) failed.
        hunk: Option<String>,
        /// libgit2's words.
        why: String,
    },
}

impl Patch {
    /// Its bytes, as read.
    pub fn bytes(&self) -> &[u8] {
        &self.text
    }

    /// Reads one patch file (paths in it stripped of one leading component, like `patch -p1`).
    pub fn read(path: &Utf8Path) -> Result<Patch, PatchError> {
        let name = path.file_name().unwrap_or(path.as_str()).to_owned();
        Patch::read_named(path, name, 1)
    }

    fn read_named(path: &Utf8Path, name: String, strip: usize) -> Result<Patch, PatchError> {
        let text = std::fs::read(path).map_err(|source| PatchError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        Ok(Patch {
            name,
            path: path.to_owned(),
            sha256: hex(&Sha256::digest(&text)),
            text,
            strip,
        })
    }

    /// Reads `dir/series` and the patches it lists (quilt's format: a file name per line,
    /// optionally `-p0` or `-p1`; `#` comments). No series file: no patches.
    pub fn read_series(dir: &Utf8Path) -> Result<Vec<Patch>, PatchError> {
        let series = dir.join(SERIES);
        let text = match std::fs::read_to_string(&series) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(PatchError::Unreadable {
                    path: series,
                    source,
                });
            }
        };
        let mut patches = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: String| PatchError::BadSeries {
                series: series.clone(),
                line: n + 1,
                why,
            };
            let mut words = line.split_whitespace();
            let name = words.next().unwrap_or_default();
            let strip = match words.next() {
                None | Some("-p1") => 1,
                Some("-p0") => 0,
                Some(other) => return Err(bad(format!("`{other}`: only -p0 and -p1 are read"))),
            };
            if words.next().is_some() {
                return Err(bad(format!("`{line}`: one patch per line")));
            }
            if !is_inside(name) {
                return Err(bad(format!("`{name}` is not a file in {dir}")));
            }
            patches.push(Patch::read_named(&dir.join(name), name.to_owned(), strip)?);
        }
        Ok(patches)
    }
}

/// What identifies a patch set: the hash of its patches' contents in order (names do not
/// matter; order does).
pub fn patch_set_id(patches: &[Patch]) -> String {
    let mut hasher = Sha256::new();
    for p in patches {
        hasher.update(p.sha256.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// What patched binaries' versions end with: `+patches.` and 8 hex digits of the set's id.
/// None without patches.
pub fn marker(patches: &[Patch]) -> Option<String> {
    (!patches.is_empty()).then(|| format!("+patches.{}", &patch_set_id(patches)[..8]))
}

/// Applies `patches` in order to `tree` and returns the patched tree. The objects it makes
/// live in memory only (a mempack backend): a failed patch leaves nothing in the repository.
pub(super) fn apply(
    repo: &Repository,
    upstream: Upstream,
    tree: Oid,
    patches: &[Patch],
) -> Result<Oid, PatchError> {
    let git_failed = |patch: &Patch, why: String| PatchError::DoesNotApply {
        upstream,
        patch: patch.path.clone(),
        file: "(the tree)".into(),
        hunk: None,
        why,
    };
    let odb = repo
        .odb()
        .map_err(|e| git_failed(&patches[0], e.message().to_owned()))?;
    odb.add_new_mempack_backend(1000)
        .map_err(|e| git_failed(&patches[0], e.message().to_owned()))?;
    let mut tree = tree;
    for patch in patches {
        let text = as_git_diff(patch)?;
        refuse_outside_paths(patch, &text)?;
        let diff = Diff::from_buffer(text.as_bytes()).map_err(|e| PatchError::NotADiff {
            patch: patch.path.clone(),
            why: e.message().to_owned(),
        })?;
        if diff.deltas().len() == 0 {
            return Err(PatchError::NotADiff {
                patch: patch.path.clone(),
                why: "it changes no file".into(),
            });
        }
        // libgit2 announces each file and hunk before applying it: the last ones announced
        // are where it failed.
        let at: RefCell<(String, Option<String>)> = RefCell::default();
        let mut options = ApplyOptions::new();
        options.delta_callback(|delta| {
            let file = delta
                .and_then(|d| d.new_file().path().or(d.old_file().path()))
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            *at.borrow_mut() = (file, None);
            true
        });
        options.hunk_callback(|hunk| {
            at.borrow_mut().1 = hunk.map(|h| String::from_utf8_lossy(h.header()).trim().to_owned());
            true
        });
        let current = repo
            .find_tree(tree)
            .map_err(|e| git_failed(patch, e.message().to_owned()))?;
        let applied = repo.apply_to_tree(&current, &diff, Some(&mut options));
        drop(options);
        let mut index = applied.map_err(|e| {
            let (file, hunk) = at.take();
            PatchError::DoesNotApply {
                upstream,
                patch: patch.path.clone(),
                file,
                hunk,
                why: e.message().to_owned(),
            }
        })?;
        tree = index
            .write_tree_to(repo)
            .map_err(|e| git_failed(patch, e.message().to_owned()))?;
    }
    Ok(tree)
}

/// The patch as libgit2 reads it: git's own format as it is; a plain unified diff (`diff -u`)
/// rewritten with `diff --git` headers, its paths stripped of `strip` leading components.
fn as_git_diff(patch: &Patch) -> Result<String, PatchError> {
    let not_a_diff = |why: &str| PatchError::NotADiff {
        patch: patch.path.clone(),
        why: why.to_owned(),
    };
    let text = std::str::from_utf8(&patch.text).map_err(|_| not_a_diff("not UTF-8 text"))?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if lines.iter().any(|l| l.starts_with("diff --git ")) {
        if patch.strip != 1 {
            return Err(not_a_diff("a git diff is always applied with -p1"));
        }
        return Ok(text.to_owned());
    }
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let (old, new) = (lines[i], lines.get(i + 1).copied().unwrap_or(""));
        if !(old.starts_with("--- ") && new.starts_with("+++ ")) {
            i += 1; // `diff -u …`, `Only in …`, `Index:` and other commentary
            continue;
        }
        for raw in [&old[4..], &new[4..]] {
            let raw = raw.split('\t').next().unwrap_or(raw).trim_end();
            if raw.starts_with('/') && raw != "/dev/null" {
                return Err(PatchError::OutsideTree {
                    patch: patch.path.clone(),
                    path: raw.to_owned(),
                });
            }
        }
        let mut old = diff_path(&old[4..], patch.strip);
        let mut new = diff_path(&new[4..], patch.strip);
        // Checked as written, before `diff -N`'s empty side becomes /dev/null below.
        for path in [&old, &new] {
            if !path.is_empty() && path != "/dev/null" && !is_inside(path) {
                return Err(PatchError::OutsideTree {
                    patch: patch.path.clone(),
                    path: path.clone(),
                });
            }
        }
        // `diff -N` writes an added or removed file with an empty range, not /dev/null.
        if let Some(first) = lines.get(i + 2).filter(|l| l.starts_with("@@ ")) {
            if first.starts_with("@@ -0,0 ") {
                old = "/dev/null".into();
            } else if first.split_whitespace().nth(2) == Some("+0,0") {
                new = "/dev/null".into();
            }
        }
        let path = if new == "/dev/null" { &old } else { &new };
        out.push_str(&format!("diff --git a/{path} b/{path}\n"));
        if old == "/dev/null" {
            out.push_str("new file mode 100644\n");
        } else if new == "/dev/null" {
            out.push_str("deleted file mode 100644\n");
        }
        let side = |prefix: &str, p: &str| match p {
            "/dev/null" => "/dev/null".to_owned(),
            p => format!("{prefix}/{p}"),
        };
        out.push_str(&format!(
            "--- {}\n+++ {}\n",
            side("a", &old),
            side("b", &new)
        ));
        i += 2;
        // Hunks, each as long as its header says: a removed line may itself start with `--`.
        while let Some(header) = lines.get(i).filter(|l| l.starts_with("@@ ")) {
            let (mut old_left, mut new_left) =
                hunk_lengths(header).ok_or_else(|| not_a_diff("a hunk header is malformed"))?;
            out.push_str(header);
            i += 1;
            while (old_left > 0 || new_left > 0) && i < lines.len() {
                let line = lines[i];
                match line.as_bytes().first() {
                    Some(b' ') | Some(b'\n') => {
                        old_left = old_left.saturating_sub(1);
                        new_left = new_left.saturating_sub(1);
                    }
                    Some(b'-') => old_left = old_left.saturating_sub(1),
                    Some(b'+') => new_left = new_left.saturating_sub(1),
                    Some(b'\\') => {}
                    _ => return Err(not_a_diff("a hunk is shorter than its header says")),
                }
                out.push_str(line);
                i += 1;
            }
            if let Some(no_newline) = lines.get(i).filter(|l| l.starts_with('\\')) {
                out.push_str(no_newline);
                i += 1;
            }
        }
    }
    if out.is_empty() {
        return Err(not_a_diff("no `diff --git` or `---`/`+++` headers"));
    }
    Ok(out)
}

/// A `---`/`+++` path: up to a tab (where `diff -u` puts the time), stripped of `strip`
/// leading components.
fn diff_path(raw: &str, strip: usize) -> String {
    let raw = raw.trim_end_matches(['\n', '\r']);
    let raw = raw.split('\t').next().unwrap_or(raw).trim_end();
    if raw == "/dev/null" {
        return raw.to_owned();
    }
    raw.splitn(strip + 1, '/')
        .nth(strip)
        .unwrap_or(raw)
        .to_owned()
}

/// `@@ -a,b +c,d @@`: the old and new line counts (1 when left out).
fn hunk_lengths(header: &str) -> Option<(usize, usize)> {
    let mut parts = header.split_whitespace().skip(1);
    let count = |s: &str| -> Option<usize> {
        match s.split_once(',') {
            Some((_, n)) => n.parse().ok(),
            None => Some(1),
        }
    };
    let old = count(parts.next()?.strip_prefix('-')?)?;
    let new = count(parts.next()?.strip_prefix('+')?)?;
    Some((old, new))
}

/// Refuses any path a header names that would leave the tree (`..`, absolute) or reach into
/// `.git`, before libgit2 reads the patch.
fn refuse_outside_paths(patch: &Patch, text: &str) -> Result<(), PatchError> {
    for line in text.lines() {
        let paths: Vec<&str> = if let Some(rest) = line.strip_prefix("diff --git ") {
            rest.split(' ').collect()
        } else if let Some(rest) = [
            "--- ",
            "+++ ",
            "rename from ",
            "rename to ",
            "copy from ",
            "copy to ",
        ]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        {
            vec![rest.split('\t').next().unwrap_or(rest)]
        } else {
            continue;
        };
        for raw in paths {
            let path = unquote(raw.trim());
            let path = path.as_str();
            if path == "/dev/null" || path.is_empty() {
                continue;
            }
            let relative = ["a/", "b/"]
                .iter()
                .find_map(|p| path.strip_prefix(p))
                .unwrap_or(path);
            if !is_inside(relative) {
                return Err(PatchError::OutsideTree {
                    patch: patch.path.clone(),
                    path: raw.trim().to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// A header's path as libgit2 reads it: git C-quotes one with special bytes
/// (`"a/\303\251"`, and so `"a/\056\056/x"` is `a/../x`); anything else loses stray quotes.
fn unquote(raw: &str) -> String {
    let Some(inner) = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| raw.len() >= 2)
    else {
        return raw.trim_matches('"').to_owned();
    };
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'\\' || i == bytes.len() {
            out.push(b);
            continue;
        }
        let octal = bytes[i..]
            .iter()
            .take(3)
            .take_while(|d| matches!(d, b'0'..=b'7'))
            .count();
        if octal == 3 {
            let n = bytes[i..i + 3]
                .iter()
                .fold(0u32, |n, d| n * 8 + u32::from(d - b'0'));
            out.push(n as u8);
            i += 3;
            continue;
        }
        out.push(match bytes[i] {
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            other => other,
        });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A relative path of plain names: no root, no `..`, no `.git`.
fn is_inside(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path).components().all(|c| match c {
            PathPart::Normal(name) => !name.eq_ignore_ascii_case(".git"),
            PathPart::CurDir => true,
            _ => false,
        })
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;

/// Property tests of reading a patch's text (`as_git_diff`, `refuse_outside_paths`) and
/// applying it with libgit2 (`apply`): private, so here. For arbitrary and mutated patches,
/// nothing panics, a refusal names the patch file, and nothing applied ever names a path
/// outside the tree or in `.git`. 256 cases from a fixed seed; `PROPTEST_CASES` for longer.
#[cfg(test)]
#[path = "patch_props.rs"]
mod prop_tests;
