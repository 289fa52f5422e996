//! `taskrender render`: the whole pipeline, to stdout or `-o DIR`.
//!
//! The artifacts go, file by file as they are rendered, to a spool (stdout) or a staging
//! folder inside `DIR`, so that memory stays bounded; they are published (printed, or
//! moved into place) only when no input has an error.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::cli::{Format, RenderArgs};
use crate::diagnostic::Diagnostic;
use crate::emit;
use crate::outcome::{Outcome, Terminal};
use crate::outdir::{KUSTOMIZATION, StagedFile, Staging};
use crate::pipeline::{self, Prepare, Rendered, Sink};
use crate::render::Artifact;
use crate::spool::Spool;

pub(crate) fn run(args: &RenderArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    if args.project.active() {
        if let Some(usage) = super::paths_beside_env(&args.input) {
            return usage;
        }
        return super::project::render(args, stdin, terminal);
    }
    if args.prune && args.output.is_none() {
        return Outcome::usage("`--prune` needs `-o DIR` (or `--env NAME`)", None);
    }
    let color = terminal.color(args.input.color);
    let request = super::request(&args.input, false);
    match &args.output {
        None => {
            let mut sink = ToStdout::default();
            let prepare = ToStream {
                dockerfiles: args.dockerfile,
            };
            let summary = pipeline::run_into(&request, stdin, &prepare, &mut sink);
            super::finish(
                rendered(summary),
                args.input.format.into(),
                color,
                |_, out| {
                    if let Some(e) = sink.spool.error() {
                        return Err(spool_error(e));
                    }
                    if sink.spool.spilled() {
                        out.spool = Some(std::mem::take(&mut sink.spool));
                    } else {
                        sink.spool
                            .copy_to(&mut out.stdout)
                            .map_err(|e| spool_error(&e))?;
                    }
                    if !args.dockerfile && args.input.format == Format::Human {
                        out.stderr.push_str(&emit::dockerfile_note(&sink.builds));
                    }
                    Ok(())
                },
                true,
            )
        }
        Some(dir) => {
            let stager = Stager::new(dir.clone());
            let mut sink = ToDir::default();
            let summary = pipeline::run_into(&request, stdin, &stager, &mut sink);
            super::finish(
                rendered(summary),
                args.input.format.into(),
                color,
                |_, out| {
                    let report = stager.publish(sink, args.prune)?;
                    for path in report.pruned {
                        let _ = writeln!(out.stderr, "pruned {path}");
                    }
                    for (path, why) in report.kept {
                        let _ = writeln!(out.stderr, "not pruned {path}: {why}");
                    }
                    Ok(())
                },
                true,
            )
        }
    }
}

fn rendered(summary: pipeline::Summary) -> Rendered {
    Rendered {
        outputs: Vec::new(),
        diagnostics: summary.diagnostics,
        tasks: summary.tasks,
        files: summary.files,
    }
}

fn spool_error(e: &std::io::Error) -> Diagnostic {
    Diagnostic::new(crate::diagnostic::ErrorKind::Write {
        path: "<stdout spool>".to_owned(),
        reason: e.to_string(),
    })
}

/// Each Task's part of the stdout stream, written by the worker that rendered it.
struct ToStream {
    dockerfiles: bool,
}

/// A Task's part of the stream, and its Dockerfiles left out of it (Task names only).
struct Streamed {
    text: String,
    builds: Vec<String>,
}

impl Prepare for ToStream {
    type Item = Streamed;
    fn prepare(&self, artifacts: Vec<Artifact>) -> Streamed {
        Streamed {
            text: emit::stream(&artifacts, self.dockerfiles),
            builds: if self.dockerfiles {
                Vec::new()
            } else {
                dockerfile_tasks(artifacts).collect()
            },
        }
    }
}

/// The YAML stream for stdout, spooled; and the Dockerfiles left out of it, for the note.
#[derive(Default)]
struct ToStdout {
    spool: Spool,
    /// The build Tasks whose Dockerfile was left out, in input order (names only).
    builds: Vec<String>,
    /// Per mark: the spool's length and the number of `builds` then.
    marks: Vec<(u64, usize)>,
    /// Dockerfile artifacts `fill` inserted so far.
    filled: usize,
}

impl Sink<Streamed> for ToStdout {
    fn push(&mut self, task: Streamed) {
        self.spool.write(task.text.as_bytes());
        self.builds.extend(task.builds);
    }
    fn mark(&mut self) -> usize {
        self.marks.push((self.spool.len(), self.builds.len()));
        self.marks.len() - 1
    }
    fn fill(&mut self, mark: usize, tasks: Vec<Streamed>) {
        let (at, builds_at) = self.marks[mark];
        let mut text = Vec::new();
        let mut builds = Vec::new();
        for task in tasks {
            text.extend_from_slice(task.text.as_bytes());
            builds.extend(task.builds);
        }
        self.spool.insert(at, text);
        let at = builds_at + self.filled;
        self.filled += builds.len();
        self.builds.splice(at..at, builds);
    }
}

/// The Tasks of the Dockerfiles among `artifacts`.
fn dockerfile_tasks(artifacts: Vec<Artifact>) -> impl Iterator<Item = String> {
    artifacts
        .into_iter()
        .filter(|a| a.dockerfile)
        .map(|a| a.task)
}

/// The files for `-o DIR`, staged inside `DIR` by the workers as they are rendered (the
/// folder is opened with the first of them; a failure is reported only if the input is
/// valid).
struct Stager {
    dir: PathBuf,
    staging: OnceLock<Result<Staging, Diagnostic>>,
    /// The first file that could not be staged; nothing more is staged after it.
    failed: Mutex<Option<Diagnostic>>,
}

/// A staged file, and whether it is an object (listed in `kustomization.yaml`).
struct Staged {
    file: StagedFile,
    object: bool,
}

impl Stager {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            staging: OnceLock::new(),
            failed: Mutex::new(None),
        }
    }

    fn failed(&self) -> std::sync::MutexGuard<'_, Option<Diagnostic>> {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stages `kustomization.yaml` and moves every staged file into place.
    fn publish(self, sink: ToDir, prune: bool) -> Result<crate::outdir::WriteReport, Diagnostic> {
        if let Some(e) = self.failed().take() {
            return Err(e);
        }
        let objects: BTreeSet<&str> = sink
            .files
            .iter()
            .filter(|s| s.object)
            .map(|s| s.file.rel.as_str())
            .collect();
        let kustomization = emit::kustomization(objects);
        let staging = match self.staging.into_inner() {
            Some(staging) => staging?,
            None => Staging::open(&self.dir)?,
        };
        let mut files: Vec<StagedFile> = sink.files.into_iter().map(|s| s.file).collect();
        files.push(staging.stage(KUSTOMIZATION, kustomization.as_bytes())?);
        staging.publish(files, prune)
    }
}

impl Prepare for Stager {
    type Item = Vec<Staged>;
    fn prepare(&self, artifacts: Vec<Artifact>) -> Vec<Staged> {
        let Ok(staging) = self.staging.get_or_init(|| Staging::open(&self.dir)) else {
            return Vec::new();
        };
        let mut staged = Vec::with_capacity(artifacts.len());
        for a in artifacts {
            if self.failed().is_some() {
                break;
            }
            match staging.stage(&a.path, a.text.as_bytes()) {
                Ok(file) => staged.push(Staged {
                    file,
                    object: !a.dockerfile,
                }),
                Err(e) => {
                    self.failed().get_or_insert(e);
                }
            }
        }
        staged
    }
}

/// The staged files of `-o DIR`, in output order.
#[derive(Default)]
struct ToDir {
    files: Vec<Staged>,
}

impl Sink<Vec<Staged>> for ToDir {
    fn push(&mut self, files: Vec<Staged>) {
        self.files.extend(files);
    }
    fn mark(&mut self) -> usize {
        0
    }
    fn fill(&mut self, _: usize, files: Vec<Vec<Staged>>) {
        self.files.extend(files.into_iter().flatten());
    }
}
