//! `taskrender diff`: what rendering now would change in a folder written by `render -o`,
//! as a per-object summary and unified diffs; or, with `--format markdown|json`, as a
//! review report (resources, exposure) for a pull request.

mod envs;
mod markdown;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use std::io::Read;

use crate::cli::{DiffArgs, Format};
use crate::emit::{self, FileOut};
use crate::outcome::{EXIT_INVALID, EXIT_OK, Outcome, Terminal};
use crate::{pipeline, source};

pub(crate) fn run(args: &DiffArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    if args.project.active() {
        if let Some(usage) = super::paths_beside_env(&args.input) {
            return usage;
        }
        return envs::run(args, stdin, terminal);
    }
    // clap requires --against without --env / --all-envs
    let against = args.against.clone().unwrap_or_default();
    let color = terminal.color(args.input.color);
    // The diff goes to stdout: colour it when stdout is a terminal.
    let diff_color = terminal.stdout_color(args.input.color);
    let mut result = pipeline::run(&super::request(&args.input, false), stdin);
    let old = source::read_output_dir(&against).unwrap_or_else(|e| {
        result.diagnostics.push(e);
        std::collections::BTreeMap::new()
    });
    let mut outcome = super::finish(
        result,
        args.input.format.into(),
        color,
        |outputs, out| {
            let new = emit::files(outputs);
            let drift = match args.input.format {
                Format::Human | Format::Github => {
                    let d = diff(&new, &old, diff_color);
                    out.stdout = d.text.into_bytes();
                    d.drift
                }
                Format::Json | Format::Markdown => {
                    let title = format!("taskrender diff: `{}`", against.display());
                    let (text, drift) = review(&new, &old, args.input.format, &title);
                    out.stdout = text.into_bytes();
                    drift
                }
            };
            if drift {
                out.code = EXIT_INVALID;
            }
            Ok(())
        },
        false,
    );
    if outcome.stdout.is_empty() && outcome.code == EXIT_OK && args.input.format == Format::Human {
        let _ = writeln!(
            outcome.stderr,
            "no drift: `{}` matches the Tasks",
            against.display()
        );
    }
    outcome
}

/// The review report as Markdown or JSON (one object, pretty-printed), and whether
/// anything differs.
fn review(
    new: &[FileOut],
    old: &BTreeMap<String, String>,
    format: Format,
    title: &str,
) -> (String, bool) {
    let report = report::compute(new, old);
    let text = if format == Format::Markdown {
        markdown::render(&report, title, markdown::GITHUB_LIMIT)
    } else {
        let mut json = serde_json::to_string_pretty(&report).expect("a report serializes");
        json.push('\n');
        json
    };
    (text, report.drift)
}

/// The comparison: text for stdout, and whether anything differs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Drift {
    text: String,
    drift: bool,
}

/// Compares the files a render would write with the files taskrender owns in the folder.
/// First a line per file that differs (`+ added Job/train`, `- removed Service/web`,
/// `~ changed Deployment/api`), then their unified diffs; colour when `color`.
fn diff(new: &[FileOut], old: &BTreeMap<String, String>, color: bool) -> Drift {
    let new_by_path: BTreeMap<&str, &FileOut> = new.iter().map(|f| (f.path.as_str(), f)).collect();
    let paths: BTreeSet<&str> = new_by_path
        .keys()
        .copied()
        .chain(old.keys().map(String::as_str))
        .collect();
    let paint = |code: &str, s: &str| {
        if color {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_owned()
        }
    };
    let mut summary = String::new();
    let mut diffs = String::new();
    for path in paths {
        let before = old.get(path).map(String::as_str);
        let after = new_by_path.get(path).map(|f| f.text.as_str());
        let (mark, verb, code, label) = match (before, after) {
            (None, Some(_)) => ('+', "added", "32", new_by_path[path].label.clone()),
            (Some(text), None) => ('-', "removed", "31", label_of(path, text)),
            (Some(b), Some(a)) if b != a => ('~', "changed", "33", new_by_path[path].label.clone()),
            _ => continue,
        };
        let _ = writeln!(
            summary,
            "{}",
            paint(code, &format!("{mark} {verb} {label} ({path})"))
        );
        let text = similar::TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""));
        let old_name = if before.is_some() {
            format!("a/{path}")
        } else {
            "/dev/null".into()
        };
        let new_name = if after.is_some() {
            format!("b/{path}")
        } else {
            "/dev/null".into()
        };
        let unified = text
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string();
        for line in unified.lines() {
            let code = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => Some("32"),
                Some(b'-') if !line.starts_with("---") => Some("31"),
                Some(b'@') => Some("36"),
                _ => None,
            };
            let _ = writeln!(
                diffs,
                "{}",
                code.map_or_else(|| line.to_owned(), |c| paint(c, line))
            );
        }
    }
    if summary.is_empty() {
        return Drift::default();
    }
    Drift {
        text: format!("{summary}\n{diffs}"),
        drift: true,
    }
}

/// `Kind/name` of a file that is no longer rendered, read from its text.
fn label_of(path: &str, text: &str) -> String {
    if path == "kustomization.yaml" {
        return "Kustomization".into();
    }
    if path.ends_with("/Dockerfile") {
        return format!("Dockerfile/{}", path.trim_end_matches("/Dockerfile"));
    }
    let field = |key: &str, indent: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(indent)
                .and_then(|l| l.strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_owned())
        })
    };
    match (field("kind:", ""), field("name:", "  ")) {
        (Some(kind), Some(name)) => format!("{kind}/{name}"),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str, label: &str) -> FileOut {
        FileOut {
            path: path.into(),
            text: text.into(),
            label: label.into(),
        }
    }

    #[test]
    fn colour_when_asked() {
        let d = diff(
            &[file("a/Job.yaml", "x\n", "Job/a")],
            &BTreeMap::new(),
            true,
        );
        assert!(
            d.text
                .starts_with("\u{1b}[32m+ added Job/a (a/Job.yaml)\u{1b}[0m\n"),
            "{:?}",
            d.text
        );
        assert!(d.text.contains("\u{1b}[32m+x\u{1b}[0m\n"), "{:?}", d.text);
    }

    #[test]
    fn identical_folders_have_no_drift() {
        let new = [file("a/Job.yaml", "x\n", "Job/a")];
        let old = BTreeMap::from([("a/Job.yaml".to_owned(), "x\n".to_owned())]);
        assert_eq!(diff(&new, &old, false), Drift::default());
    }

    #[test]
    fn summary_then_unified_diffs() {
        let new = [
            file("a/Job.yaml", "kind: Job\nspec: 2\n", "Job/a"),
            file("b/Job.yaml", "n\n", "Job/b"),
        ];
        let old = BTreeMap::from([
            ("a/Job.yaml".to_owned(), "kind: Job\nspec: 1\n".to_owned()),
            (
                "c/Service.yaml".to_owned(),
                "---\nkind: Service\nmetadata:\n  name: c\n".to_owned(),
            ),
        ]);
        let d = diff(&new, &old, false);
        assert!(d.drift);
        assert_eq!(
            d.text,
            "~ changed Job/a (a/Job.yaml)\n+ added Job/b (b/Job.yaml)\n- removed Service/c (c/Service.yaml)\n\n\
             --- a/a/Job.yaml\n+++ b/a/Job.yaml\n@@ -1,2 +1,2 @@\n kind: Job\n-spec: 1\n+spec: 2\n\
             --- /dev/null\n+++ b/b/Job.yaml\n@@ -0,0 +1 @@\n+n\n\
             --- a/c/Service.yaml\n+++ /dev/null\n@@ -1,4 +0,0 @@\n----\n-kind: Service\n-metadata:\n-  name: c\n"
        );
    }
}
