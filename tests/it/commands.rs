//! Command fixtures: every `fixtures/commands/<case>/` runs `taskrender` with the arguments
//! in `cmd` (one per line, blank lines skipped), standard input from `stdin` (empty when
//! absent), in a fresh temporary copy of the case folder without `cmd`, `stdin` and
//! `expected/` (so Task files, profile folders and an output folder for `diff --against`
//! are simply files of the case).
//!
//! Compared whole, always: `expected/stdout`, `expected/stderr` (a missing file means
//! empty), `expected/exit` (the exit code on one line; missing means 0), and
//! `expected/files/`, which mirrors every file the command created or changed (missing
//! means it wrote nothing). A file the command deleted is a failure.
//!
//! Bless: `UPDATE_GOLDEN=1 cargo test --test it commands`, then review the diff in git.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::golden::{check_cases, match_expected, read_tree};
use crate::taskrender;

/// The files of a case that drive the run instead of being copied into it.
const CONTROL: [&str; 3] = ["cmd", "stdin", "expected"];

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/commands");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/commands/ exists")
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    for case in &cases {
        assert!(
            case.join("cmd").is_file(),
            "{}: a command fixture needs a `cmd` file",
            case.display()
        );
    }
    cases
}

/// Runs one case; returns what it produced in the shape of `expected/`.
fn run_case(case: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let args: Vec<String> = std::fs::read_to_string(case.join("cmd"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let stdin = std::fs::read(case.join("stdin")).unwrap_or_default();

    let work = tempfile::tempdir().unwrap();
    let before: BTreeMap<String, Vec<u8>> = read_tree(case)
        .into_iter()
        .filter(|(rel, _)| !CONTROL.contains(&rel.split('/').next().unwrap()))
        .collect();
    for (rel, bytes) in &before {
        let path = work.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = taskrender(work.path(), &argv, &stdin);
    let Some(code) = output.status.code() else {
        return Err(format!("killed by a signal: {:?}", output.status));
    };

    let after = read_tree(work.path());
    let deleted: Vec<&String> = before.keys().filter(|r| !after.contains_key(*r)).collect();
    if !deleted.is_empty() {
        return Err(format!("the command deleted {deleted:?}"));
    }
    let mut actual: BTreeMap<String, Vec<u8>> = after
        .into_iter()
        .filter(|(rel, bytes)| before.get(rel) != Some(bytes))
        .map(|(rel, bytes)| (format!("files/{rel}"), bytes))
        .collect();
    for (name, bytes) in [("stdout", output.stdout), ("stderr", output.stderr)] {
        if !bytes.is_empty() {
            actual.insert(name.to_owned(), bytes);
        }
    }
    // The exit code as a number: an expected file that says the same in other bytes
    // (no newline, a written-out 0) matches.
    let written = std::fs::read(case.join("expected/exit")).ok();
    let same_code = written
        .as_ref()
        .is_some_and(|w| String::from_utf8_lossy(w).trim().parse::<i32>().ok() == Some(code));
    match written {
        Some(bytes) if same_code => {
            actual.insert("exit".to_owned(), bytes);
        }
        _ if code != 0 => {
            actual.insert("exit".to_owned(), format!("{code}\n").into_bytes());
        }
        _ => {}
    }
    Ok(actual)
}

#[test]
fn commands() {
    check_cases(
        "command",
        &cases(),
        30,
        |case, name, update, failures| match run_case(case) {
            Ok(actual) => match_expected(name, &case.join("expected"), &actual, update, failures),
            Err(e) => failures.push(format!("{name}: {e}")),
        },
    );
}
