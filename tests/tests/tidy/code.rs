//! Reading Rust roughly: enough to tell code from comments, strings and tests, without a parser.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

/// Every `.rs` file under `dir`.
pub(super) fn rust_files(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = Utf8PathBuf::from_path_buf(e.unwrap().path()).unwrap();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension() == Some("rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The files under a crate's `src` that build its library: not its binaries (`src/bin/`,
/// `src/main.rs`) and not the files of its `#[cfg(test)]` modules.
pub(super) fn library_files(src: &Utf8Path) -> Vec<Utf8PathBuf> {
    let files = rust_files(src);
    let tests: BTreeSet<Utf8PathBuf> = files.iter().flat_map(|f| test_module_files(f)).collect();
    files
        .into_iter()
        .filter(|f| !f.starts_with(src.join("bin")) && *f != src.join("main.rs"))
        .filter(|f| !tests.contains(f))
        .collect()
}

/// A file's code with comments and `#[cfg(test)]` items left out.
pub(super) fn code_of(path: &Utf8Path) -> String {
    code_of_text(&std::fs::read_to_string(path).unwrap())
}

/// `text`'s code with comments and `#[cfg(test)]` items left out.
pub(super) fn code_of_text(text: &str) -> String {
    without_test_items(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

const CFG_TEST: &str = "#[cfg(test)]";

/// Where `text` has a `#[cfg(test)]` attribute: first on its line, so not one a comment or
/// a string names.
fn cfg_test_attributes(text: &str) -> impl Iterator<Item = usize> {
    text.match_indices(CFG_TEST)
        .map(|(at, _)| at)
        .filter(|&at| {
            let line = text[..at].rsplit('\n').next().unwrap_or_default();
            line.trim().is_empty()
        })
}

/// `text` without the items marked `#[cfg(test)]`: a module whole, brace to brace, or an
/// item up to its `;`.
fn without_test_items(text: &str) -> String {
    let mut out = String::new();
    let mut kept_to = 0;
    for at in cfg_test_attributes(text) {
        if at < kept_to {
            continue;
        }
        out.push_str(&text[kept_to..at]);
        let item = &text[at..];
        kept_to = at
            + match item.find([';', '{']) {
                Some(i) if item.as_bytes()[i] == b'{' => block_end(item, i),
                Some(i) => i + 1,
                None => item.len(),
            };
    }
    out.push_str(&text[kept_to..]);
    out
}

/// Where the block opened at `open` ends (just past its `}`), not counting braces in strings,
/// character literals or comments.
fn block_end(code: &str, open: usize) -> usize {
    let b = code.as_bytes();
    let ident = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let find = |from: usize, what: &str| code[from..].find(what).map_or(b.len(), |i| from + i);
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => i = find(i, "\n"),
            b'/' if b.get(i + 1) == Some(&b'*') => i = find(i, "*/") + 1,
            b'r' if !ident(i) && matches!(b.get(i + 1), Some(b'#' | b'"')) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    i = find(i + 2 + hashes, &close) + hashes;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            // A character literal (`'{'`, `'\''`), not a lifetime (`'a`).
            b'\'' if b.get(i + 1) == Some(&b'\\') => i = find(i + 3, "'"),
            b'\'' if b.get(i + 2) == Some(&b'\'') => i += 2,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The files of the `#[cfg(test)] mod name;` modules `file` declares (`#[path]` or not).
fn test_module_files(file: &Utf8Path) -> Vec<Utf8PathBuf> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = file.parent().unwrap();
    // A module of `lib.rs`, `main.rs` or `mod.rs` lives beside it; of `foo.rs`, in `foo/`.
    let owns_dir = ["lib.rs", "main.rs", "mod.rs"].contains(&file.file_name().unwrap());
    let mut out = Vec::new();
    for at in cfg_test_attributes(&text) {
        let item = &text[at + CFG_TEST.len()..];
        let Some(end) = item
            .find([';', '{'])
            .filter(|&i| item.as_bytes()[i] == b';')
        else {
            continue;
        };
        let item = &item[..end];
        let Some(name) = item.rsplit_once("mod ").map(|(_, name)| name.trim()) else {
            continue;
        };
        let path = item
            .split_once("#[path = \"")
            .and_then(|(_, p)| p.split_once('"'))
            .map(|(p, _)| dir.join(p));
        out.push(path.unwrap_or_else(|| {
            match owns_dir {
                true => dir.join(format!("{name}.rs")),
                false => dir
                    .join(file.file_stem().unwrap())
                    .join(format!("{name}.rs")),
            }
        }));
    }
    out
}

/// String literals in `code`, roughly: the text between unescaped double quotes.
pub(super) fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for c in code.chars() {
        match (&mut current, c) {
            (Some(s), _) if escaped => {
                s.push(c);
                escaped = false;
            }
            (Some(_), '\\') => escaped = true,
            (Some(s), '"') => {
                out.push(std::mem::take(s));
                current = None;
            }
            (Some(s), _) => s.push(c),
            (None, '"') => current = Some(String::new()),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn a_test_module_is_left_out_whole_and_the_code_after_it_kept() {
    let text = "fn a() {}\n// a `#[cfg(test)]` in a comment\n#[cfg(test)]\nmod tests {\n    fn b() { let _ = ('{', \"}\", r#\"}\"#); }\n    // }\n}\nfn c() {}\n";
    assert_eq!(code_of_text(text), "fn a() {}\n\nfn c() {}");
}

#[test]
fn a_file_declared_as_a_test_module_is_not_library_code() {
    let dir = tempfile::tempdir().unwrap();
    let src = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::create_dir_all(src.join("bin")).unwrap();
    let lib = "mod one;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\n#[path = \"one_props.rs\"]\nmod props;\n";
    for (file, text) in [
        ("lib.rs", lib),
        ("one.rs", ""),
        ("tests.rs", ""),
        ("one_props.rs", ""),
        ("bin/tool.rs", ""),
    ] {
        std::fs::write(src.join(file), text).unwrap();
    }
    let names: Vec<String> = library_files(src)
        .iter()
        .map(|f| f.strip_prefix(src).unwrap().to_string())
        .collect();
    assert_eq!(names, ["lib.rs", "one.rs"]);
}
