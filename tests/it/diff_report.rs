//! The review report of `diff --format markdown|json` beyond its command fixtures
//! (`fixtures/commands/diff-format-*`): the size limit of a pull-request comment.

use std::path::Path;

use crate::taskrender;

/// A change too large for one comment: the Markdown stays under GitHub's limit by leaving
/// diffs out (and says so); the JSON keeps every diff.
#[test]
fn truncated_report_fits_a_comment() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/commands/diff-format-markdown-truncation");
    let md = std::fs::read_to_string(case.join("expected/stdout")).unwrap();
    assert!(md.chars().count() <= 65_536, "{}", md.len());
    assert!(md.contains("diffs are left out"), "{md}");
    assert!(
        md.contains("| ✏️ changed | `Job/t04` | `t04/Job.yaml` |"),
        "{md}"
    );
    // diff reads only: run it in the fixture itself
    let out = taskrender(
        &case,
        &["diff", "after.yaml", "--against", "out", "--format", "json"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diffs: usize = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["diff"].as_str().unwrap().len())
        .sum();
    assert!(diffs > 65_536, "{diffs}");
    assert_eq!(json["files"].as_array().unwrap().len(), 5);
}
