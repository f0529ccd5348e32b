//! The command lines the CI file runs, each one shell line: every given value single-quoted
//! unless it is a plain word, so none can expand, split or start a command of its own.

use crate::{HOST_DIR, Pipeline};

/// The folder the assembler publishes into and uploads.
pub(crate) const OUT: &str = "dist";

/// The environment variables a component job's command reads its component and target from.
pub(crate) const COMPONENT: &str = "COMPONENT";
pub(crate) const TARGET: &str = "TARGET";

/// `arg` as one shell word: as it is when every character is plain, else in single quotes
/// (a quote inside written `'\''`); one holding `$` or a backquote goes in double quotes with
/// `\`, `"`, `$` and the backquote escaped, the same word to the shell, and one shellcheck (which
/// actionlint runs) does not take for an expansion someone forgot.
pub(crate) fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        return arg.to_owned();
    }
    if !arg.contains(['$', '`']) {
        return format!("'{}'", arg.replace('\'', r"'\''"));
    }
    let mut out = String::from('"');
    for c in arg.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn line(words: &[&str], args: &[String]) -> String {
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    out.extend(args.iter().map(|a| shell_word(a)));
    out.join(" ")
}

/// A component job: one component for one target, pushed to the cache.
pub(crate) fn component(p: &Pipeline) -> String {
    let mut l = line(&["cargo", "xtask", "bundle"], &p.build_args);
    l.push_str(&format!(
        " --only \"${COMPONENT}\" --target \"${TARGET}\" --cache-to {}",
        shell_word(&p.cache)
    ));
    if let Some(go) = &p.go_cache {
        l.push_str(&format!(" --go-cache {}", shell_word(go)));
    }
    l
}

/// The assembler: every target's bundle from the cache alone, into [`OUT`].
pub(crate) fn assemble(p: &Pipeline) -> String {
    let mut l = line(&["cargo", "xtask", "bundle"], &p.build_args);
    for target in &p.targets {
        l.push_str(&format!(" --target {}", shell_word(target)));
    }
    l.push_str(&format!(
        " --cache-from {} --cache-required --out {OUT}",
        shell_word(&p.cache)
    ));
    l
}

/// Every bundle folder the assembler published, DIR/ARCH/docker-VERSION/ (the version is the
/// pins', unknown here, so a glob).
fn bundles(arch: &str) -> String {
    format!("{OUT}/{arch}/docker-*/")
}

/// Pushes every target's bundle, as one image index.
pub(crate) fn push(reference: &str) -> String {
    format!(
        "cargo xtask push {} {}",
        shell_word(reference),
        bundles("*")
    )
}

/// Packages the runners' own bundle into OUT/packages/DISTRO/.
pub(crate) fn package(format: &str) -> String {
    format!(
        "cargo xtask package {} --out {OUT} {}",
        shell_word(format),
        bundles(HOST_DIR)
    )
}
