//! ARCHITECTURE.md's arrows are the code's: the list under its drawings names every crate of
//! ours and all it depends on, so a dependency nobody drew, or an arrow nobody kept, fails.

use std::collections::BTreeMap;

use super::*;

/// Each crate and the crates of ours it depends on.
type Arrows = BTreeMap<String, BTreeSet<String>>;

/// The line that opens the list in ARCHITECTURE.md.
const LIST: &str = "Dependencies point one way.";

#[test]
fn architecture_md_draws_every_dependency_between_our_crates_and_no_other() {
    let meta = metadata();
    let ours: BTreeSet<String> = meta
        .workspace_packages()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let drawn = drawn_arrows(&text, &ours, &recipes()).unwrap_or_else(|e| panic!("{e}"));
    let real: Arrows = ours
        .iter()
        .map(|p| {
            let deps = normal_dependencies(&meta, p);
            (p.clone(), deps.intersection(&ours).cloned().collect())
        })
        .collect();
    let wrong = differences(&drawn, &real);
    assert!(
        wrong.is_empty(),
        "ARCHITECTURE.md's list of arrows is not the code's:\n{}",
        wrong.join("\n")
    );
}

/// The arrows the list draws: items `- LEFT → RIGHT[: why]`, each side crates in backticks or
/// "the N recipe crates", parentheses aside; "nothing of ours" is no arrow.
fn drawn_arrows(text: &str, ours: &BTreeSet<String>, recipes: &[String]) -> Result<Arrows, String> {
    let start = text
        .find(LIST)
        .ok_or_else(|| format!("ARCHITECTURE.md has no list opening with {LIST:?}"))?;
    let mut items: Vec<String> = Vec::new();
    for line in text[start..].lines().skip(1) {
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_owned());
        } else if let (Some(item), true) = (items.last_mut(), line.starts_with("  ")) {
            item.push(' ');
            item.push_str(line.trim());
        } else if line.trim().is_empty() && !items.is_empty() {
            break;
        }
    }
    let mut arrows = Arrows::new();
    for item in &items {
        let (left, right) = item
            .split_once('→')
            .ok_or_else(|| format!("no → in the item {item:?}"))?;
        let right = right.split(": ").next().unwrap_or_default();
        let uses = crates_named(right, ours, recipes)?;
        for from in crates_named(left, ours, recipes)? {
            if arrows.insert(from.clone(), uses.clone()).is_some() {
                return Err(format!("{from} has two items; give it one"));
            }
        }
    }
    Ok(arrows)
}

/// The crates `text` names: in backticks, or as "the N recipe crates"; what is in
/// parentheses is a remark.
fn crates_named(
    text: &str,
    ours: &BTreeSet<String>,
    recipes: &[String],
) -> Result<BTreeSet<String>, String> {
    let mut plain = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    for name in plain.split('`').skip(1).step_by(2) {
        if !ours.contains(name) {
            return Err(format!("`{name}` is no crate of the workspace"));
        }
        names.insert(name.to_owned());
    }
    if let Some((before, _)) = plain.split_once(" recipe crates") {
        let count = before.rsplit(' ').next().unwrap_or_default();
        if NUMBERS.iter().position(|n| *n == count).map(|i| i + 1) != Some(recipes.len()) {
            return Err(format!(
                "\"{count} recipe crates\": there are {} of them",
                recipes.len()
            ));
        }
        names.extend(recipes.iter().cloned());
    }
    Ok(names)
}

const NUMBERS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// What is drawn and not real, real and not drawn, and the crates the list leaves out.
fn differences(drawn: &Arrows, real: &Arrows) -> Vec<String> {
    let mut out = Vec::new();
    for (from, deps) in real {
        let Some(drawn) = drawn.get(from) else {
            out.push(format!("{from} is not in the list"));
            continue;
        };
        for to in deps.difference(drawn) {
            out.push(format!(
                "{from} → {to} is in Cargo.toml and not in the list"
            ));
        }
        for to in drawn.difference(deps) {
            out.push(format!(
                "{from} → {to} is in the list and not in Cargo.toml"
            ));
        }
    }
    out
}

fn example() -> (BTreeSet<String>, Vec<String>) {
    let recipes = vec!["runc-build".to_owned(), "tini-build".to_owned()];
    let mut ours: BTreeSet<String> = ["xtask", "bundle", "build-core", "sources"]
        .map(String::from)
        .into();
    ours.extend(recipes.iter().cloned());
    (ours, recipes)
}

#[test]
fn the_list_reads_crates_recipes_and_nothing_and_skips_remarks() {
    let (ours, recipes) = example();
    let text = "Intro.\n\nDependencies point one way. Every arrow:\n\
        - `xtask` → `bundle`, `build-core`: each verb\n  is `sources` said here, not drawn.\n\
        - `bundle` → the two recipe crates (not `sources`).\n\
        - the two recipe crates → `build-core` alone.\n\
        - `build-core` → `sources`.\n\
        - `sources` → nothing of ours.\n\nAfter: `xtask` → `sources`.\n";
    let arrows = drawn_arrows(text, &ours, &recipes).unwrap();
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(arrows["xtask"], set(&["bundle", "build-core"]));
    assert_eq!(arrows["bundle"], set(&["runc-build", "tini-build"]));
    assert_eq!(arrows["tini-build"], set(&["build-core"]));
    assert_eq!(arrows["sources"], set(&[]));
    assert_eq!(arrows.len(), 6);
}

#[test]
fn a_name_that_is_no_crate_or_a_wrong_count_of_recipes_is_refused() {
    let (ours, recipes) = example();
    let list = |item: &str| format!("{LIST}\n- {item}\n");
    for (item, problem) in [
        ("`xtask` → `bundel`", "`bundel` is no crate"),
        ("`bundle` → the nine recipe crates", "there are 2"),
        ("`bundle` `build-core`", "no →"),
    ] {
        let err = drawn_arrows(&list(item), &ours, &recipes).unwrap_err();
        assert!(err.contains(problem), "{item}: {err}");
    }
}

#[test]
fn an_arrow_missing_from_either_side_or_a_crate_left_out_is_reported() {
    let arrows = |pairs: &[(&str, &[&str])]| -> Arrows {
        pairs
            .iter()
            .map(|(from, to)| (from.to_string(), to.iter().map(|t| t.to_string()).collect()))
            .collect()
    };
    let drawn = arrows(&[("xtask", &["bundle", "engine"]), ("bundle", &[])]);
    let real = arrows(&[
        ("xtask", &["bundle", "sources"]),
        ("bundle", &[]),
        ("engine", &[]),
    ]);
    assert_eq!(
        differences(&drawn, &real),
        [
            "engine is not in the list",
            "xtask → sources is in Cargo.toml and not in the list",
            "xtask → engine is in the list and not in Cargo.toml",
        ]
    );
}
