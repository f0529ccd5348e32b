//! No library prints or exits: a library reports through `Progress` and returns its errors, so
//! the program using it (`xtask`, or another tool) decides what people see and when it ends.

use super::*;

/// The ways out: to the terminal, or out of the process.
const WAYS_OUT: [&str; 6] = [
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
    "process::exit",
];

#[test]
fn no_library_prints_or_exits() {
    let mut found = Vec::new();
    for library in libraries() {
        for file in library_files(&root().join("crates").join(&library).join("src")) {
            for way in ways_out(&code_of(&file)) {
                found.push(format!("{file}: {way}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "libraries that print or exit (report through Progress, return an error):\n{}",
        found.join("\n")
    );
}

/// The ways out `code` takes, each named whole (`eprint!` is not `print!`, `my_dbg!` not
/// `dbg!`).
fn ways_out(code: &str) -> Vec<&'static str> {
    WAYS_OUT
        .into_iter()
        .filter(|way| {
            code.match_indices(way).any(|(at, _)| {
                !code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        })
        .collect()
}

#[test]
fn each_way_out_is_found_and_tests_and_comments_are_not() {
    for (line, way) in [
        ("println!(\"{x}\");", "println!"),
        ("eprintln!(\"x\")", "eprintln!"),
        ("std::print!(\"x\")", "print!"),
        ("if bad { eprint!(\"x\") }", "eprint!"),
        ("let y = dbg!(x);", "dbg!"),
        ("std::process::exit(1)", "process::exit"),
    ] {
        assert_eq!(ways_out(line), [way], "{line}");
    }
    let quiet = "/// println!(\"in a doc example\")\nfn f(out: &mut String) { writeln!(out, \"x\"); my_dbg!(1); }\n#[cfg(test)]\nmod tests {\n    fn g() { println!(\"x\"); }\n}\n";
    assert!(ways_out(&code::code_of_text(quiet)).is_empty());
}
