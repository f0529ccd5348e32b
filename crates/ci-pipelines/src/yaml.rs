//! A small YAML writer: block style, every string a double-quoted scalar with its escapes, so no
//! value can become YAML syntax. Keys are ours (`&'static str`); a key YAML 1.1 would read as a
//! boolean or null (`on`, `yes`, …) is quoted too.

use std::fmt::Write;

/// A YAML node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Yaml {
    Str(String),
    Bool(bool),
    Seq(Vec<Yaml>),
    Map(Vec<Entry>),
}

/// One key of a mapping, with comment lines written above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) comment: &'static str,
    pub(crate) key: &'static str,
    pub(crate) value: Yaml,
}

/// A mapping's entry without a comment.
pub(crate) fn entry(key: &'static str, value: impl Into<Yaml>) -> Entry {
    Entry {
        comment: "",
        key,
        value: value.into(),
    }
}

/// A mapping's entry with comment lines (`\n`-separated) above it.
pub(crate) fn commented(comment: &'static str, key: &'static str, value: impl Into<Yaml>) -> Entry {
    Entry {
        comment,
        key,
        value: value.into(),
    }
}

impl From<&str> for Yaml {
    fn from(s: &str) -> Self {
        Yaml::Str(s.to_owned())
    }
}

impl From<String> for Yaml {
    fn from(s: String) -> Self {
        Yaml::Str(s)
    }
}

impl From<bool> for Yaml {
    fn from(b: bool) -> Self {
        Yaml::Bool(b)
    }
}

impl From<Vec<Entry>> for Yaml {
    fn from(entries: Vec<Entry>) -> Self {
        Yaml::Map(entries)
    }
}

impl From<Vec<Yaml>> for Yaml {
    fn from(items: Vec<Yaml>) -> Self {
        Yaml::Seq(items)
    }
}

/// A document: `header` as comment lines and a blank line, then the mapping `top`, a blank line
/// before each of its commented entries.
pub(crate) fn document(header: &str, top: &[Entry]) -> String {
    let mut out = String::new();
    write_comment(&mut out, "", header);
    if !header.is_empty() {
        out.push('\n');
    }
    write_map(&mut out, 0, top);
    out
}

fn write_comment(out: &mut String, indent: &str, comment: &str) {
    for line in comment.lines() {
        match line.is_empty() {
            true => writeln!(out, "{indent}#"),
            false => writeln!(out, "{indent}# {line}"),
        }
        .expect("writing to a String");
    }
}

fn write_map(out: &mut String, indent: usize, entries: &[Entry]) {
    let pad = " ".repeat(indent);
    for (i, e) in entries.iter().enumerate() {
        if indent == 0 && i > 0 && !e.comment.is_empty() {
            out.push('\n');
        }
        write_comment(out, &pad, e.comment);
        out.push_str(&pad);
        out.push_str(&key(e.key));
        out.push(':');
        write_value(out, indent, &e.value);
    }
}

fn write_seq(out: &mut String, indent: usize, items: &[Yaml]) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            // A nested block's first line goes after the dash: `- key: value`.
            Yaml::Map(m) if !m.is_empty() && m[0].comment.is_empty() => {
                let mut inner = String::new();
                write_map(&mut inner, indent + 2, m);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&inner[indent + 2..]);
            }
            Yaml::Seq(s) if !s.is_empty() => {
                let mut inner = String::new();
                write_seq(&mut inner, indent + 2, s);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&inner[indent + 2..]);
            }
            _ => {
                out.push_str(&pad);
                out.push('-');
                write_value(out, indent, item);
            }
        }
    }
}

/// Writes what follows `key:` or `-`: ` scalar` on the line, or a block below it.
fn write_value(out: &mut String, indent: usize, value: &Yaml) {
    match value {
        Yaml::Str(s) => {
            out.push(' ');
            out.push_str(&quoted(s));
            out.push('\n');
        }
        Yaml::Bool(b) => out.push_str(if *b { " true\n" } else { " false\n" }),
        Yaml::Seq(s) if s.is_empty() => out.push_str(" []\n"),
        Yaml::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Yaml::Seq(s) => {
            out.push('\n');
            write_seq(out, indent + 2, s);
        }
        Yaml::Map(m) => {
            out.push('\n');
            write_map(out, indent + 2, m);
        }
    }
}

/// A key as written: plain when it is a plain word YAML 1.1 and 1.2 both read as that string.
fn key(k: &str) -> String {
    const SPECIAL: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !SPECIAL.contains(&k.to_ascii_lowercase().as_str());
    match plain {
        true => k.to_owned(),
        false => quoted(k),
    }
}

/// `s` as a YAML double-quoted scalar: `"` and `\` escaped, and every character YAML does not
/// allow as it is (controls, line and paragraph separators, the byte order mark, surrogates'
/// neighbours) written as `\uXXXX`. The result is also a valid JSON string.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' | '\u{A0}'..='\u{2027}' | '\u{202A}'..='\u{D7FF}' => out.push(c),
            '\u{E000}'..='\u{FFFD}' if c != '\u{FEFF}' => out.push(c),
            '\u{10000}'.. => out.push(c),
            _ => write!(out, "\\u{:04X}", u32::from(c)).expect("writing to a String"),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_double_quoted_with_their_escapes() {
        assert_eq!(quoted("plain"), r#""plain""#);
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quoted("it's: #x"), r#""it's: #x""#);
        assert_eq!(
            quoted("a\nb\0\u{7f}\u{85}\u{2028}\u{feff}"),
            r#""a\u000Ab\u0000\u007F\u0085\u2028\uFEFF""#
        );
        assert_eq!(quoted("é ✓ 🦀"), "\"é ✓ 🦀\"");
    }

    #[test]
    fn keys_that_yaml_reads_otherwise_are_quoted() {
        assert_eq!(key("runs-on"), "runs-on");
        assert_eq!(key("on"), r#""on""#);
        assert_eq!(key("Yes"), r#""Yes""#);
        assert_eq!(key("a b"), r#""a b""#);
        assert_eq!(key("1x"), r#""1x""#);
    }

    #[test]
    fn blocks_nest_and_sequences_of_maps_start_on_the_dash() {
        let doc = document(
            "head\n\nlines",
            &[
                entry("name", "x"),
                commented("why", "on", vec![Yaml::from("push")]),
                entry(
                    "list",
                    vec![
                        Yaml::Map(vec![entry("a", "1"), entry("b", vec![Yaml::from("c")])]),
                        Yaml::Seq(vec![Yaml::from("d"), Yaml::from("e")]),
                        Yaml::Seq(vec![]),
                        Yaml::Map(vec![]),
                    ],
                ),
                entry("flag", false),
            ],
        );
        let expected = "# head\n#\n# lines\n\nname: \"x\"\n\n# why\n\"on\":\n  - \"push\"\nlist:\n  - a: \"1\"\n    b:\n      - \"c\"\n  - - \"d\"\n    - \"e\"\n  - []\n  - {}\nflag: false\n";
        assert_eq!(doc, expected);
    }
}
