//! Data flows one way: source → manifest → backup → photos → plan → export → cli. A module may
//! use the shared utilities and any module of its own or an earlier stage, never a later one.
//! This test reads every file of `src/` and fails on an import against the flow, and on a new
//! top-level module that has not been given a stage here.
//!
//! The index formats (`manifest`) come before the `backup` facade because the facade hands out
//! their entries; `photos`, `info` and `verify` read a backup through it.

use std::collections::BTreeMap;
use std::path::Path;

/// Every top-level module of the library and its stage. Stage 0 are utilities with no notion of
/// a backup (errors, times, formats and crypto primitives); they use nothing above them either.
const STAGES: &[(&str, u8)] = &[
    ("error", 0),
    ("time", 0),
    ("media", 0),
    ("safepath", 0),
    ("hashing", 0),
    ("bytes", 0),
    ("secret", 0),
    ("bplist", 0),
    ("plists", 0),
    ("sqlite", 0),
    ("crypto", 0),
    ("keybag", 0),
    ("kdf", 0),
    ("convert", 0),
    ("realdata", 0),
    ("source", 1),
    ("manifest", 2),
    ("select", 2),
    ("backup", 3),
    ("discover", 3),
    ("photos", 4),
    ("info", 4),
    ("verify", 4),
    ("plan", 5),
    ("records", 5),
    ("export", 6),
    ("recover", 6),
    ("serve", 6),
    ("cli", 7),
];

/// Test support, compiled only for tests and with the `builder` feature: it may build anything.
const EXEMPT: &[&str] = &["builder"];

/// The `crate::NAME` paths a file uses, outside its unit tests (which may use anything).
fn crate_imports(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        // `use crate::{a::{B, C}, d}`: the first segment of each path at the outer level.
        let mut depth = 0usize;
        let mut at_start = true;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => at_start = true,
                c if at_start && !c.is_whitespace() => {
                    out.push(ident(&group[k..]));
                    at_start = false;
                }
                _ => {}
            }
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_imports_from_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let stage: BTreeMap<&str, u8> = STAGES.iter().copied().collect();
    // The crate root's re-exports (`Backup`, `Entry`, `Error`…) name the module they come from.
    let aliases: BTreeMap<&str, &str> = [
        ("Backup", "backup"),
        ("Entry", "manifest"),
        ("EntryKind", "manifest"),
        ("Error", "error"),
        ("Exit", "error"),
        ("Result", "error"),
    ]
    .into_iter()
    .collect();
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if ["lib", "main"].contains(&top.as_str()) || EXEMPT.contains(&top.as_str()) {
            continue;
        }
        let Some(&mine) = stage.get(top.as_str()) else {
            wrong.push(format!(
                "{}: module `{top}` has no stage in tests/layering.rs",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for name in crate_imports(&text) {
            let name = aliases.get(name.as_str()).copied().unwrap_or(name.as_str());
            if name == top || EXEMPT.contains(&name) {
                continue;
            }
            match stage.get(name) {
                Some(&theirs) if theirs > mine => wrong.push(format!(
                    "{}: `{top}` (stage {mine}) uses `crate::{name}` (stage {theirs})",
                    rel.display()
                )),
                Some(_) => {}
                None => wrong.push(format!("{}: `crate::{name}` has no stage", rel.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the data flow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_module_of_the_crate_root_has_a_stage() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let staged: Vec<&str> = STAGES
        .iter()
        .map(|(n, _)| *n)
        .chain(EXEMPT.iter().copied())
        .collect();
    for line in lib.lines() {
        if let Some(m) = line
            .trim()
            .strip_prefix("pub mod ")
            .or_else(|| line.trim().strip_prefix("mod "))
        {
            let m = m.trim_end_matches(';');
            assert!(
                staged.contains(&m),
                "module `{m}` has no stage in tests/layering.rs"
            );
        }
    }
}

#[test]
fn the_scanner_reads_grouped_and_nested_imports() {
    assert_eq!(
        crate_imports(
            "use crate::{backup::{Backup, X}, plan::Job};\nfn f() { crate::export::run(); }"
        ),
        ["backup", "plan", "export"]
    );
}
