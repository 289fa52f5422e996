//! Stage 7, emit: [`Artifact`]s → a YAML stream (for stdout) or files under `-o DIR`.
//! The only module that writes files (under `-o DIR` through `outdir`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::outdir;
use crate::render::Artifact;

/// Every object as one multi-document stream, for `kubectl apply -f -`; or, with
/// `dockerfiles`, every Dockerfile instead, each after a comment naming its Task.
pub(crate) fn stream(outputs: &[Artifact], dockerfiles: bool) -> String {
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
pub(crate) fn dockerfile_note(tasks: &[String]) -> String {
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
pub(crate) fn files(outputs: &[Artifact]) -> Vec<FileOut> {
    let mut out: Vec<FileOut> = outputs
        .iter()
        .map(|o| FileOut {
            path: o.path.clone(),
            text: o.text.clone(),
            label: o.label.clone(),
        })
        .collect();
    let resources: BTreeSet<String> = outputs
        .iter()
        .filter(|o| !o.dockerfile)
        .map(|o| o.path.clone())
        .collect();
    out.push(FileOut {
        path: "kustomization.yaml".into(),
        text: kustomization(resources.iter().map(String::as_str)),
        label: "Kustomization".into(),
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The `kustomization.yaml` of `-o DIR` mode: every object's path, in the order given
/// (callers give them sorted, each once).
pub(crate) fn kustomization<'a>(resources: impl IntoIterator<Item = &'a str>) -> String {
    let mut kustomization = String::from(
        "---\n# Written by taskrender: every object it rendered, for `kubectl apply -k`.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for r in resources {
        let _ = writeln!(kustomization, "- {r}");
    }
    kustomization
}

/// Writes `files` under `dir` (see [`outdir::write_files`] for the guarantees).
pub(crate) fn write_files(
    dir: &Path,
    files: &[FileOut],
    prune: bool,
) -> Result<outdir::WriteReport, Diagnostic> {
    outdir::write_files(dir, files, prune)
}

/// Writes imported Task files into `dir` (see [`outdir::write_task_files`]).
pub(crate) fn write_task_files(
    dir: &Path,
    files: &[FileOut],
    overwrite: bool,
) -> Result<usize, Diagnostic> {
    outdir::write_task_files(dir, files, overwrite)
}
