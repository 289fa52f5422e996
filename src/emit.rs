//! Stage 7, emit: [`Artifact`]s → a YAML stream (for stdout) or files under `-o DIR`, and
//! diagnostics → text. Files under `-o DIR` are written through `outdir`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde_json::Value;

use crate::cli::Format;
use crate::diagnostic::{Diagnostic, Severity};
use crate::render::{Artifact, Content};

/// YAML of one object: `---`, block style, two-space indent with lists flush under their
/// key (kubectl's style), and every string that a YAML 1.1 reader would take for
/// something else (`yes`, `on`, `0755`, `1e3`, `12:30`) quoted.
pub fn to_yaml(value: &Value) -> String {
    let options = serde_saphyr::ser_options! {
        // Never fold long lines: a folded scalar reads back with different whitespace
        // in some readers, and reviewers should see the value as written.
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
    };
    let body = serde_saphyr::to_string_with_options(&crate::scalar_style::Styled(value), options)
        .expect("JSON values serialize to YAML");
    let mut out = String::with_capacity(body.len() + 4);
    out.push_str("---\n");
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// An artifact formatted for output: its path under `-o DIR` and its bytes. Formatting
/// happens on the pipeline's workers, so only this light form is kept until emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Name of the Task it belongs to.
    pub task: String,
    pub path: PathBuf,
    pub text: String,
    /// A Dockerfile rather than a Kubernetes object.
    pub dockerfile: bool,
    /// `Kind/name` (`Dockerfile/<task>` for a Dockerfile), for summaries.
    pub label: String,
}

/// Formats one artifact.
pub fn prepare(artifact: &Artifact) -> Output {
    let (text, dockerfile) = match &artifact.content {
        Content::Object(object) => (to_yaml(object), false),
        Content::Dockerfile(text) => (text.clone(), true),
    };
    Output {
        label: format!("{}/{}", artifact.kind, artifact.name),
        task: artifact.task.clone(),
        path: Path::new(&artifact.task).join(&artifact.file_name),
        text,
        dockerfile,
    }
}

/// Every object as one multi-document stream, for `kubectl apply -f -`; or, with
/// `dockerfiles`, every Dockerfile instead, each after a comment naming its Task.
pub fn stream(outputs: &[Output], dockerfiles: bool) -> String {
    let mut out = String::with_capacity(outputs.iter().map(|o| o.text.len()).sum());
    for o in outputs.iter().filter(|o| o.dockerfile == dockerfiles) {
        if dockerfiles {
            let _ = writeln!(out, "# taskrender: Dockerfile of Task {}", o.task);
        }
        out.push_str(&o.text);
    }
    out
}

/// What stdout mode says on stderr when it leaves Dockerfiles out (empty when none).
pub fn dockerfile_note(outputs: &[Output]) -> String {
    let tasks: Vec<&str> = outputs
        .iter()
        .filter(|o| o.dockerfile)
        .map(|o| o.task.as_str())
        .collect();
    if tasks.is_empty() {
        return String::new();
    }
    format!(
        "note: the Dockerfile of build Task{} `{}` is not on stdout (it carries Kubernetes objects only): \
         use `-o DIR` to write it, or `--dockerfile` to print it\n",
        if tasks.len() == 1 { "" } else { "s" },
        tasks.join("`, `")
    )
}

/// A file of `-o DIR` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOut {
    /// Relative to `DIR`, `/`-separated.
    pub path: String,
    pub text: String,
    /// What it holds, for summaries: `Job/train`, `Dockerfile/train`, `Kustomization`.
    pub label: String,
}

/// The files `-o DIR` mode writes, in path order, with the `kustomization.yaml` that lists
/// every object (Dockerfiles are not Kubernetes resources).
pub fn files(outputs: &[Output]) -> Vec<FileOut> {
    let mut out: Vec<FileOut> = outputs
        .iter()
        .map(|o| FileOut {
            path: slash(&o.path),
            text: o.text.clone(),
            label: o.label.clone(),
        })
        .collect();
    let resources: BTreeSet<String> = outputs
        .iter()
        .filter(|o| !o.dockerfile)
        .map(|o| slash(&o.path))
        .collect();
    let mut kustomization = String::from(
        "---\n# Written by taskrender: every object it rendered, for `kubectl apply -k`.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for r in &resources {
        let _ = writeln!(kustomization, "- {r}");
    }
    out.push(FileOut {
        path: "kustomization.yaml".into(),
        text: kustomization,
        label: "Kustomization".into(),
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Renders diagnostics as miette's graphical reports (80 columns, no links), in colour
/// only when asked to.
pub fn human_report(diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(80)
        .with_links(false);
    let mut out = String::new();
    for d in diagnostics {
        let d = &without_huge_snippet(d);
        // Rendering into a String cannot fail.
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    out
}

/// Longest source line shown in a report; a longer one (minified or generated YAML)
/// would flood the terminal, so the report names the place instead (and leaves it out
/// of the context lines around another line's problem).
pub const MAX_SHOWN_LINE: usize = 300;

fn without_huge_snippet(d: &Diagnostic) -> Diagnostic {
    let (Some(file), Some(span), Some((line, col))) = (&d.file, d.primary_span(), d.line_col())
    else {
        return d.clone();
    };
    let lines = file.lines();
    let range = lines.line_range(&file.text, lines.line_of(span.start.min(file.text.len())));
    let (start, end) = (range.start, range.end);
    if end - start <= MAX_SHOWN_LINE {
        return d.clone();
    }
    let mut short = d.clone();
    short.file = None;
    short.labels.clear();
    let place = format!(
        "at {}:{line}:{col} (a line of {} characters, not shown)",
        file.name,
        end - start
    );
    short.help = Some(match &d.help {
        Some(h) => format!("{place}\n{h}"),
        None => place,
    });
    short
}

/// Diagnostics in the chosen format: the text for stderr. `wrote_nothing` adds "nothing
/// was written" to the human summary of a failed render.
pub fn report(
    diagnostics: &[Diagnostic],
    format: Format,
    color: bool,
    wrote_nothing: bool,
) -> String {
    match format {
        Format::Human if diagnostics.is_empty() => String::new(),
        Format::Human => human_report(diagnostics, color) + &summary(diagnostics, wrote_nothing),
        Format::Json => diagnostics.iter().map(|d| json_line(d) + "\n").collect(),
        Format::Github => diagnostics.iter().map(|d| github_line(d) + "\n").collect(),
    }
}

/// `(line, column)`, 1-based.
type LineCol = (usize, usize);

/// Where a diagnostic is: file name, start and end `(line, column)`, 1-based.
fn place(d: &Diagnostic) -> Option<(&str, LineCol, LineCol)> {
    let file = d.file.as_ref()?;
    let span = d.primary_span()?;
    Some((
        file.name.as_str(),
        file.line_col(span.start),
        file.line_col(span.end),
    ))
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic as a JSON object (the `--format json` contract; fields never removed).
pub fn json_line(d: &Diagnostic) -> String {
    let place = place(d);
    serde_json::json!({
        "code": d.kind.code(),
        "severity": severity(d),
        "message": d.kind.to_string(),
        "file": place.map(|p| p.0),
        "line": place.map(|p| p.1.0),
        "column": place.map(|p| p.1.1),
        "end": place.map(|p| serde_json::json!({"line": p.2.0, "column": p.2.1})),
        "label": d.labels.first().map(|l| l.text.as_str()).filter(|t| !t.is_empty()),
        "help": d.help,
    })
    .to_string()
}

/// One diagnostic as a GitHub Actions workflow command (an annotation on the file).
pub fn github_line(d: &Diagnostic) -> String {
    // Workflow-command escaping: data escapes %, CR, LF; properties also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut props = Vec::new();
    if let Some((file, (line, col), (end_line, end_col))) = place(d) {
        props.push(format!("file={}", prop(file)));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
        props.push(format!("endLine={end_line}"));
        if end_line == line {
            props.push(format!("endColumn={end_col}"));
        }
    }
    props.push(format!("title={}", prop(d.kind.code())));
    let mut message = d.kind.to_string();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{} {}::{}", severity(d), props.join(","), data(&message))
}

/// The closing line of a run with problems, like cargo's.
pub fn summary(diagnostics: &[Diagnostic], wrote_nothing: bool) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let files: BTreeSet<&str> = diagnostics
        .iter()
        .filter_map(|d| d.file.as_ref().map(|f| f.name.as_str()))
        .collect();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = String::from(if errors > 0 { "error: " } else { "warning: " });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    line.push_str(&parts.join(", "));
    if !files.is_empty() {
        let _ = write!(line, " in {}", plural(files.len(), "file"));
    }
    if errors > 0 && wrote_nothing {
        line.push_str("; nothing was written");
    }
    line.push('\n');
    line
}
