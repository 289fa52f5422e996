//! Golden tests: every `fixtures/<group>/<case>/` is rendered with
//! `taskrender render task.yaml -o OUT [args...]` (extra arguments, one per line, in an
//! optional `args` file) and compared byte for byte with `expected/`: the exact files
//! written, plus `expected/stderr` when the run printed anything (warnings). A case named
//! `error-*` must fail: exit 1, nothing written, and only `expected/stderr`.
//! Each case is rendered twice and both runs must agree (determinism).
//!
//! Bless: `UPDATE_GOLDEN=1 cargo test --test it golden`, then review the diff in git.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::taskrender;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for group in std::fs::read_dir(&root).expect("fixtures/ exists") {
        let group = group.unwrap().path();
        // `commands/` holds command fixtures (tests/it/commands.rs), not render cases.
        if !group.is_dir() || group.ends_with("commands") {
            continue;
        }
        for case in std::fs::read_dir(&group).unwrap() {
            let case = case.unwrap().path();
            if case.join("task.yaml").exists() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    cases
}

/// Every file under `dir`, by relative path.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What one run of a case produced: the files written, or `stderr` when it failed.
/// What one run of a case produced, and whether it failed (exit 1).
fn run_case(case: &Path) -> Result<(bool, BTreeMap<String, Vec<u8>>), String> {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let mut args = vec![
        "render".to_owned(),
        "task.yaml".to_owned(),
        "-o".to_owned(),
        out_dir.display().to_string(),
    ];
    args.extend(case_args(case));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = taskrender(case, &argv, b"");
    let mut written = read_tree(&out_dir);
    match output.status.code() {
        Some(0) => {
            if !output.stderr.is_empty() {
                written.insert("stderr".to_owned(), output.stderr);
            }
            Ok((false, written))
        }
        Some(1) => {
            if !written.is_empty() {
                return Err(format!(
                    "exit 1 but wrote {:?}",
                    written.keys().collect::<Vec<_>>()
                ));
            }
            if !output.stdout.is_empty() {
                return Err("exit 1 but wrote to stdout".into());
            }
            Ok((true, BTreeMap::from([("stderr".to_owned(), output.stderr)])))
        }
        other => Err(format!(
            "exit {other:?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

pub(crate) fn diff(name: &str, expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let text = similar::TextDiff::from_lines(e.as_ref(), a.as_ref());
    format!(
        "--- expected/{name}\n+++ actual/{name}\n{}",
        text.unified_diff().context_radius(3)
    )
}

#[test]
fn golden() {
    check_cases("golden", &fixtures(), 30, |case, name, update, failures| {
        let is_error_case = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("error-");
        let (failed, actual) = match run_case(case) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                return;
            }
        };
        match run_case(case) {
            Ok((_, again)) if again == actual => {}
            _ => failures.push(format!("{name}: a second run gave different output")),
        }
        if is_error_case != failed {
            let what = if is_error_case {
                "error- case rendered successfully"
            } else {
                "case failed"
            };
            let detail = actual
                .get("stderr")
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            failures.push(format!("{name}: {what}\n{detail}"));
            return;
        }
        match_expected(name, &case.join("expected"), &actual, update, failures);
    });
}

/// The case's extra arguments (the `args` file, one per line).
fn case_args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("args"))
        .map(|extra| {
            extra
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `check` measures objects instead of writing them (their YAML only when it may be too
/// large for the API server): it must still report exactly what `render` reports, plus
/// its lints.
#[test]
fn check_reports_what_render_reports() {
    fn diagnostics(case: &Path, command: &str) -> Vec<String> {
        let mut argv = vec![command.to_owned(), "task.yaml".to_owned()];
        argv.extend(case_args(case));
        argv.extend(["--format".to_owned(), "json".to_owned()]);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let output = taskrender(case, &argv, b"");
        String::from_utf8(output.stderr)
            .unwrap()
            .lines()
            .filter(|l| !l.contains(r#""code":"lint::"#))
            .map(str::to_owned)
            .collect()
    }
    check_cases("check", &fixtures(), 30, |case, name, _, failures| {
        let rendered = diagnostics(case, "render");
        let checked = diagnostics(case, "check");
        if rendered != checked {
            failures.push(format!(
                "{name}: render reported\n{}\ncheck reported\n{}",
                rendered.join("\n"),
                checked.join("\n")
            ));
        }
    });
}

/// Runs `check` on every case (there must be at least `min`) with the case's name in the
/// repository, whether to bless (`UPDATE_GOLDEN`) and the list of failures to add to; then
/// reports all failures at once.
pub(crate) fn check_cases(
    what: &str,
    cases: &[PathBuf],
    min: usize,
    mut check: impl FnMut(&Path, &str, bool, &mut Vec<String>),
) {
    assert!(
        cases.len() >= min,
        "expected at least {min} {what} cases, found {}",
        cases.len()
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let name = case
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .display()
            .to_string();
        check(case, &name, update, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} {what} cases failed (bless with UPDATE_GOLDEN=1 after review):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Compares `actual` with the files under `expected_dir`, whole (missing and extra files
/// fail), adding a diff per difference to `failures`; or, with `update`, writes `actual`
/// there instead.
pub(crate) fn match_expected(
    name: &str,
    expected_dir: &Path,
    actual: &BTreeMap<String, Vec<u8>>,
    update: bool,
    failures: &mut Vec<String>,
) {
    if update {
        let _ = std::fs::remove_dir_all(expected_dir);
        for (rel, bytes) in actual {
            let path = expected_dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let expected = read_tree(expected_dir);
    for (rel, bytes) in actual {
        match expected.get(rel) {
            None => failures.push(format!(
                "{name}: unexpected file {rel}\n{}",
                diff(rel, b"", bytes)
            )),
            Some(e) if e != bytes => failures.push(format!("{name}:\n{}", diff(rel, e, bytes))),
            Some(_) => {}
        }
    }
    for (rel, bytes) in expected.iter().filter(|(r, _)| !actual.contains_key(*r)) {
        failures.push(format!(
            "{name}: missing file {rel}\n{}",
            diff(rel, bytes, b"")
        ));
    }
}
