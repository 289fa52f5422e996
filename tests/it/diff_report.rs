//! Golden tests of the review report: every `fixtures/diff/<case>/` renders `before.yaml`
//! with `render -o out` (none: an empty folder), then runs
//! `diff after.yaml --against out --format markdown` and `--format json` (extra arguments,
//! one per line, in an optional `args` file, for both commands), and compares stdout with
//! `expected/report.md` and `expected/report.json`. `diff` must exit 1 when the report
//! shows a change and 0 when it does not.
//!
//! Bless: `UPDATE_GOLDEN=1 cargo test --test it diff_report`, then review the diff in git.

use std::path::{Path, PathBuf};

use crate::taskrender;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("after.yaml").is_file())
        .collect();
    cases.sort();
    cases
}

/// Copies the case's inputs (not `expected/`) into `dir`.
fn copy_inputs(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if name == "expected" {
            continue;
        }
        if path.is_dir() {
            std::fs::create_dir_all(to.join(name)).unwrap();
            copy_inputs(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn run_case(case: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let tmp = tempfile::tempdir().unwrap();
    copy_inputs(case, tmp.path());
    let extra: Vec<String> = std::fs::read_to_string(case.join("args"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|s| (*s).to_owned())
            .chain(extra.iter().cloned())
            .collect()
    };
    if case.join("before.yaml").is_file() {
        let args = with(&["render", "before.yaml", "-o", "out"]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = taskrender(tmp.path(), &argv, b"");
        if out.status.code() != Some(0) {
            return Err(format!(
                "render before.yaml failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let mut outputs = Vec::new();
    for (format, file) in [("markdown", "report.md"), ("json", "report.json")] {
        let args = with(&["diff", "after.yaml", "--against", "out", "--format", format]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = taskrender(tmp.path(), &argv, b"");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let changed = !stdout.contains("No changes") && !stdout.contains("\"drift\": false");
        let expected_code = i32::from(changed);
        if out.status.code() != Some(expected_code) {
            return Err(format!(
                "--format {format}: exit {:?}, expected {expected_code}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        outputs.push((file, stdout));
    }
    Ok(outputs)
}

#[test]
fn diff_report() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = cases();
    assert!(cases.len() >= 4, "found {} diff cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let outputs = match run_case(case) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        for (file, actual) in outputs {
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
        "{} diff report cases failed (bless with UPDATE_GOLDEN=1 after review):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The report of a change too large for one comment stays under GitHub's limit.
#[test]
fn truncated_report_fits_a_comment() {
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/truncation/expected/report.md"),
    )
    .unwrap();
    assert!(md.chars().count() <= 65_536, "{}", md.len());
    assert!(md.contains("diffs are left out"), "{md}");
    let json = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff/truncation/expected/report.json"),
    )
    .unwrap();
    assert!(json.len() > 65_536, "the JSON keeps every diff");
}
