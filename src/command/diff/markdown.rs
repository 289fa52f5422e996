//! `diff --format markdown`: a [`Report`] as a pull-request comment (or a job summary):
//! the summary table, the resource delta, the exposure changes, then the unified diffs in
//! collapsed `<details>`, all under GitHub's comment limit.

use std::fmt::Write as _;

use super::report::{Change, Report};

/// GitHub's limit on a comment's body, in characters.
pub(crate) const GITHUB_LIMIT: usize = 65_536;

/// The first line of every report: a CI step finds its earlier comment by it.
pub(crate) const MARKER: &str = "<!-- taskrender diff -->";

/// Room kept for the truncation notes.
const NOTE_ROOM: usize = 400;

/// The report as Markdown of at most `limit` bytes (so at most `limit` characters): the
/// diffs go first when it would be longer, then rows of the file table; the text says so.
pub(crate) fn render(report: &Report, title: &str, limit: usize) -> String {
    let mut out = format!("{MARKER}\n### {title}\n\n");
    if !report.drift {
        out.push_str("No changes: the folder matches the Tasks.\n");
        return out;
    }
    let s = &report.summary;
    let counts: Vec<String> = [
        (s.changed, "changed"),
        (s.added, "added"),
        (s.removed, "removed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let _ = writeln!(out, "**{}**\n", counts.join(", "));
    out.push_str("| | object | file |\n|---|---|---|\n");
    let rest = sections(report);
    // The file table, as many rows as fit with the rest and the notes.
    let budget = limit.saturating_sub(out.len() + rest.len() + NOTE_ROOM);
    let mut table = String::new();
    let mut shown = 0;
    for f in &report.files {
        let mark = match f.change {
            Change::Added => "➕ added",
            Change::Removed => "➖ removed",
            Change::Changed => "✏️ changed",
        };
        let row = format!("| {mark} | `{}` | `{}` |\n", f.object, f.path);
        if table.len() + row.len() > budget {
            break;
        }
        table.push_str(&row);
        shown += 1;
    }
    out.push_str(&table);
    if shown < report.files.len() {
        let _ = writeln!(
            out,
            "\n> **Note:** {} more files are left out of this table, and every diff, to stay \
             under GitHub's 65,536-character comment limit: run `taskrender diff` to see them.",
            report.files.len() - shown
        );
    }
    out.push_str(&rest);
    if shown < report.files.len() {
        return out;
    }
    out.push_str("\n#### Diffs\n\n");
    let budget = limit.saturating_sub(out.len() + NOTE_ROOM);
    let mut diffs = String::new();
    let mut dropped = 0;
    for f in &report.files {
        let fence = "`".repeat(longest_backtick_run(&f.diff).max(2) + 1);
        let block = format!(
            "<details><summary><code>{}</code> ({})</summary>\n\n{fence}diff\n{}{fence}\n\n</details>\n\n",
            f.path,
            match f.change {
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
            },
            f.diff
        );
        if dropped > 0 || diffs.len() + block.len() > budget {
            dropped += 1;
            continue;
        }
        diffs.push_str(&block);
    }
    out.push_str(&diffs);
    if dropped > 0 {
        let _ = writeln!(
            out,
            "> **Note:** {dropped} of {} diffs are left out to stay under GitHub's \
             65,536-character comment limit (the table above lists every file): run \
             `taskrender diff` to see them.",
            report.files.len()
        );
    }
    out
}

/// The resource delta and exposure sections (empty when there is nothing to say).
fn sections(report: &Report) -> String {
    let mut rest = String::new();
    if !report.resources.is_empty() {
        rest.push_str(
            "\n#### Resources\n\nTotals per namespace: per-pod values × `replicas` (Jobs: \
             `parallelism`); claims under `requests.storage`.\n\n\
             | namespace | resource | before | after | change |\n|---|---|--:|--:|--:|\n",
        );
        for d in &report.resources {
            let ns = d
                .namespace
                .as_deref()
                .map_or_else(|| "(none)".to_owned(), |n| format!("`{n}`"));
            let _ = writeln!(
                rest,
                "| {ns} | `{}` | {} | {} | **{}** |",
                d.resource, d.before, d.after, d.difference
            );
        }
    }
    if !report.exposure.is_empty() {
        rest.push_str("\n#### Exposure\n\n");
        for e in &report.exposure {
            let _ = writeln!(rest, "- `{}` (`{}`): {}", e.object, e.path, e.message);
        }
    }
    rest
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::report::compute;
    use super::*;
    use crate::emit::FileOut;
    use std::collections::BTreeMap;

    fn files(n: usize, width: usize) -> Vec<FileOut> {
        (0..n)
            .map(|i| FileOut {
                path: format!("t{i:03}/Job.yaml"),
                text: format!(
                    "kind: Job\nmetadata: {{name: t{i:03}}}\nx: {}\n",
                    "y".repeat(width)
                ),
                label: format!("Job/t{i:03}"),
            })
            .collect()
    }

    #[test]
    fn stays_under_the_limit_dropping_diffs_first() {
        let report = compute(&files(50, 200), &BTreeMap::new());
        let full = render(&report, "t", GITHUB_LIMIT);
        assert!(
            full.contains("<details>") && !full.contains("Note"),
            "{full}"
        );
        let limit = full.len() - 1;
        let short = render(&report, "t", limit);
        assert!(short.len() <= limit);
        assert!(short.contains("| ➕ added | `Job/t049` | `t049/Job.yaml` |"));
        assert!(short.contains("diffs are left out"), "{short}");
        // diffs are kept in order, whole
        assert!(short.matches("<details>").count() == short.matches("</details>").count());
        let tiny = render(&report, "t", 2_000);
        assert!(tiny.len() <= 2_000, "{}", tiny.len());
        assert!(tiny.contains("more files are left out") && !tiny.contains("<details>"));
    }

    #[test]
    fn fences_outgrow_backticks_in_the_diff() {
        assert_eq!(longest_backtick_run("a ```` b ` c"), 4);
        let mut f = files(1, 1);
        f[0].text.push_str("note: \"````\"\n");
        let md = render(&compute(&f, &BTreeMap::new()), "t", GITHUB_LIMIT);
        assert!(md.contains("`````diff\n"), "{md}");
    }
}
