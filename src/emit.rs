//! Stage 7, emit: [`Artifact`]s → a YAML stream (for stdout) or files under `-o DIR`.
//! The only module that writes files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind};
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

/// The file `-o DIR` mode keeps of what it wrote, so that `--prune` and `diff` know which
/// files are taskrender's (and never touch the others).
pub(crate) const MANIFEST: &str = ".taskrender-manifest";

/// A file of `-o DIR` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileOut {
    /// Relative to `DIR`, `/`-separated.
    pub(crate) path: String,
    pub(crate) text: String,
    /// What it holds, for summaries: `Job/train`, `Dockerfile/train`, `Kustomization`.
    pub(crate) label: String,
}

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

/// What `write_files` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct WriteReport {
    pub(crate) written: usize,
    pub(crate) pruned: Vec<String>,
}

/// Writes `files` under `dir`, each atomically (a temporary file in the same folder, then a
/// rename), leaving a file whose content is already right untouched, and records them in
/// `DIR/.taskrender-manifest`. With `prune`, files the previous manifest lists that this run
/// did not render are deleted; files taskrender never wrote are never touched. Without it,
/// such stale files stay listed, so a later `--prune` still finds them.
pub(crate) fn write_files(
    dir: &Path,
    files: &[FileOut],
    prune: bool,
) -> Result<WriteReport, Diagnostic> {
    if dir.exists() && !dir.is_dir() {
        return Err(Diagnostic::new(ErrorKind::Write {
            path: dir.display().to_string(),
            reason: "it is a file, and `-o` takes a folder".into(),
        })
        .with_help("give a folder to write into (it is created when missing), or leave out `-o` to print the objects"));
    }
    let mut report = WriteReport::default();
    let previous = read_manifest(dir);
    for f in files {
        if write_atomic(dir, &f.path, &f.text)? {
            report.written += 1;
        }
    }
    let current: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut owned: BTreeSet<String> = current.iter().map(|p| (*p).to_owned()).collect();
    for old in previous.iter().filter(|p| !current.contains(p.as_str())) {
        let path = dir.join(old);
        if !path.is_file() {
            continue;
        }
        if prune {
            std::fs::remove_file(&path).map_err(|e| write_error(&path, &e))?;
            // Remove the Task's folder too once it is empty (never a folder with other files).
            if let Some(parent) = path.parent().filter(|p| *p != dir) {
                let _ = std::fs::remove_dir(parent);
            }
            report.pruned.push(old.clone());
        } else {
            owned.insert(old.clone());
        }
    }
    let mut manifest = String::from(
        "# Files written by `taskrender render -o`; `--prune` deletes those it no longer renders.\n",
    );
    for p in &owned {
        manifest.push_str(p);
        manifest.push('\n');
    }
    write_atomic(dir, MANIFEST, &manifest)?;
    Ok(report)
}

/// The paths a previous `render -o` recorded in `dir` (empty when there is no manifest).
/// Only plain relative paths are believed: never `..`, never absolute.
pub(crate) fn read_manifest(dir: &Path) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with('/') && !l.split('/').any(|seg| seg == ".." || seg.is_empty()))
        .map(str::to_owned)
        .collect()
}

/// The files of `dir` that are taskrender's: those its manifest lists, or, for a folder
/// written before manifests existed, those named like its output (`kustomization.yaml`,
/// `<task>/<Kind>.yaml`, `<task>/Dockerfile`).
pub(crate) fn read_owned(dir: &Path) -> BTreeMap<String, String> {
    let mut paths = read_manifest(dir);
    if paths.is_empty() {
        paths.insert("kustomization.yaml".into());
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            for file in std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let file_name = file.file_name().to_string_lossy().into_owned();
                let looks_ours = file_name == "Dockerfile"
                    || (Path::new(&file_name)
                        .extension()
                        .is_some_and(|e| e == "yaml")
                        && file_name.starts_with(|c: char| c.is_ascii_uppercase()));
                if looks_ours {
                    paths.insert(format!("{name}/{file_name}"));
                }
            }
        }
    }
    paths
        .into_iter()
        .filter_map(|p| {
            std::fs::read_to_string(dir.join(&p))
                .ok()
                .map(|text| (p, text))
        })
        .collect()
}

fn write_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::new(ErrorKind::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Writes one file atomically unless it already holds `content`; `true` if written.
fn write_atomic(dir: &Path, rel: &str, content: &str) -> Result<bool, Diagnostic> {
    let path = dir.join(rel);
    if std::fs::read(&path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(false);
    }
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| write_error(&path, &e))?;
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
        return Err(write_error(&path, &e));
    }
    Ok(true)
}
