//! Stage 7, emit: [`Artifact`]s → a YAML stream (for stdout) or files under `-o DIR`.
//! The only module that writes files (under `-o DIR` through `outdir`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::outdir;
use crate::render::{Artifact, Content};

/// YAML of one object: `---`, block style, two-space indent with lists flush under their
/// key (kubectl's style), and every string that a YAML 1.1 reader would take for
/// something else (`yes`, `on`, `0755`, `1e3`, `12:30`) quoted.
pub(crate) fn to_yaml(value: &Value) -> String {
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
pub(crate) struct Output {
    /// Name of the Task it belongs to.
    pub(crate) task: String,
    pub(crate) path: PathBuf,
    pub(crate) text: String,
    /// A Dockerfile rather than a Kubernetes object.
    pub(crate) dockerfile: bool,
    /// `Kind/name` (`Dockerfile/<task>` for a Dockerfile), for summaries.
    pub(crate) label: String,
}

/// Formats one artifact.
pub(crate) fn prepare(artifact: &Artifact) -> Output {
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
pub(crate) fn stream(outputs: &[Output], dockerfiles: bool) -> String {
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
pub(crate) fn dockerfile_note(outputs: &[Output]) -> String {
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

pub(crate) use crate::outdir::FileOut;

/// The files `-o DIR` mode writes, in path order, with the `kustomization.yaml` that lists
/// every object (Dockerfiles are not Kubernetes resources).
pub(crate) fn files(outputs: &[Output]) -> Vec<FileOut> {
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

/// Writes `files` under `dir` (see [`outdir::write_files`] for the guarantees).
pub(crate) fn write_files(
    dir: &Path,
    files: &[FileOut],
    prune: bool,
) -> Result<outdir::WriteReport, Diagnostic> {
    outdir::write_files(dir, files, prune)
}
