//! `unback completions SHELL` and `unback man` cover every command, because both are generated
//! from the same clap definitions as `--help`. The names come from those definitions, so a new
//! command is checked without editing this file; the fixed list guards the generator itself.

mod common;

use clap::CommandFactory;
use common::*;

/// Every visible command below `unback`, as its path of names (`["photos", "export"]`).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            walk(sub, &path, out);
            out.push(path);
        }
    }
    let mut out = Vec::new();
    walk(&unback::cli::Cli::command(), &[], &mut out);
    out
}

fn top_level() -> Vec<String> {
    let names: Vec<String> = command_paths()
        .into_iter()
        .filter(|p| p.len() == 1)
        .map(|p| p[0].clone())
        .collect();
    for known in [
        "backups",
        "info",
        "domains",
        "ls",
        "photos",
        "verify",
        "recover",
        "password",
        "key",
        "hash",
        "decrypt",
        "extract",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == known),
            "{known} missing: {names:?}"
        );
    }
    names
}

#[test]
fn bash_completion_offers_every_command() {
    let a = unback().args(["completions", "bash"]).assert().success();
    let script = stdout(&a);
    assert!(script.contains("complete -F _unback"), "{script}");
    for name in top_level() {
        // The bash generator's case labels: `unback,NAME)`.
        assert!(script.contains(&format!("unback,{name})")), "{name}");
    }
    // Nested commands and their options are completed too.
    assert!(script.contains("unback__subcmd__photos,export)"));
    assert!(script.contains("--skip-existing"));
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let a = unback().args(["completions", shell]).assert().success();
        let script = stdout(&a);
        assert!(script.contains("unback"), "{shell}");
        assert!(script.contains("photos"), "{shell}");
    }
    unback().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff_and_names_every_command() {
    let a = unback().arg("man").assert().success();
    let page = stdout(&a);
    assert!(page.contains("\n.TH unback 1 "), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"));
    for name in top_level() {
        // roff writes '-' as '\-'.
        assert!(page.contains(&format!("unback\\-{name}(1)")), "{name}");
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    unback()
        .arg("man")
        .arg("--dir")
        .arg(&pages)
        .assert()
        .success();
    let mut expected = vec!["unback.1".to_string()];
    expected.extend(
        command_paths()
            .iter()
            .map(|p| format!("unback-{}.1", p.join("-"))),
    );
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, expected);
    let export = std::fs::read_to_string(pages.join("unback-photos-export.1")).unwrap();
    assert!(
        export.contains("\n.TH unback-photos-export 1  \"unback "),
        "{export}"
    );
    assert!(export.contains("\\-\\-layout"), "{export}");
}
