//! Golden tests of `check` (`GitOps` lints, `--strict`, Task headers, Kubernetes objects):
//! every `fixtures/check/<case>/` runs `taskrender check input.yaml [args...]` (extra
//! arguments, one per line, in an optional `args` file) in the case's folder and compares
//! stderr with `expected/stderr` and the exit code with `expected/exit`, whole. stdout must
//! stay empty.
//!
//! Bless: `UPDATE_GOLDEN=1 cargo test --test it check_cases`, then review the diff in git.

use std::path::{Path, PathBuf};

use crate::taskrender;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    cases.sort();
    cases
}

#[test]
fn check_cases() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = cases();
    assert!(cases.len() >= 9, "found {} check cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut args = vec!["check".to_owned(), "input.yaml".to_owned()];
        args.extend(
            std::fs::read_to_string(case.join("args"))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = taskrender(case, &argv, b"");
        if !out.stdout.is_empty() {
            failures.push(format!("{name}: wrote to stdout"));
        }
        let actual = [
            ("stderr", String::from_utf8(out.stderr).unwrap()),
            ("exit", format!("{}\n", out.status.code().unwrap_or(-1))),
        ];
        for (file, actual) in actual {
            let path = case.join("expected").join(file);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != actual {
                let diff = similar::TextDiff::from_lines(&expected, &actual)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("expected/{file}"), &format!("actual/{file}"))
                    .to_string();
                failures.push(format!("{name}:\n{diff}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} check cases failed (bless with UPDATE_GOLDEN=1 after review):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
