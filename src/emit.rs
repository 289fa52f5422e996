//! Stage 7, emit: [`Artifact`]s → a YAML stream (for stdout) or files under `-o DIR`, and
//! diagnostics → text. The only module that writes files.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind, Severity};
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
    let body = serde_saphyr::to_string_with_options(value, options)
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
}

/// Formats one artifact.
pub fn prepare(artifact: &Artifact) -> Output {
    let (text, dockerfile) = match &artifact.content {
        Content::Object(object) => (to_yaml(object), false),
        Content::Dockerfile(text) => (text.clone(), true),
    };
    Output {
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

/// The files `-o DIR` mode writes: `(path relative to DIR, content)`, in path order, with
/// the `kustomization.yaml` that lists all objects.
pub fn files(outputs: &[Output]) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = outputs
        .iter()
        .map(|o| (o.path.clone(), o.text.clone()))
        .collect();
    let resources: BTreeSet<String> = outputs
        .iter()
        .filter(|o| !o.dockerfile)
        .map(|o| o.path.to_string_lossy().replace('\\', "/"))
        .collect();
    let mut kustomization = String::from(
        "---\n# Written by taskrender: every object it rendered, for `kubectl apply -k`.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for r in &resources {
        let _ = writeln!(kustomization, "- {r}");
    }
    out.push((PathBuf::from("kustomization.yaml"), kustomization));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Writes `files` under `dir`, each atomically (a temporary file in the same folder, then a
/// rename), leaving a file whose content is already right untouched. Returns the number of
/// files changed.
pub fn write_files(dir: &Path, files: &[(PathBuf, String)]) -> Result<usize, Diagnostic> {
    let mut changed = 0;
    for (rel, content) in files {
        let path = dir.join(rel);
        let fail = |e: &std::io::Error| {
            Diagnostic::new(ErrorKind::Write {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        if std::fs::read(&path).is_ok_and(|old| old == content.as_bytes()) {
            continue;
        }
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(|e| fail(&e))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(
            ".{file_name}.taskrender-{}.tmp",
            std::process::id()
        ));
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                f.write_all(content.as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(&e));
        }
        changed += 1;
    }
    Ok(changed)
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
/// would flood the terminal, so the report names the place instead.
const MAX_SHOWN_LINE: usize = 300;

fn without_huge_snippet(d: &Diagnostic) -> Diagnostic {
    let (Some(file), Some(span), Some((line, col))) = (&d.file, d.primary_span(), d.line_col())
    else {
        return d.clone();
    };
    let start = file.text[..span.start.min(file.text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
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
