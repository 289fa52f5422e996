//! `taskrender render`: the whole pipeline, to stdout or `-o DIR`.
//!
//! The artifacts go, file by file as they are rendered, to a spool (stdout) or a staging
//! folder inside `DIR`, so that memory stays bounded; they are published (printed, or
//! moved into place) only when no input has an error.

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;

use crate::cli::{Format, RenderArgs};
use crate::diagnostic::Diagnostic;
use crate::emit;
use crate::outcome::{Outcome, Terminal};
use crate::outdir::{KUSTOMIZATION, Staging};
use crate::pipeline::{self, Rendered, Sink};
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
            let mut sink = ToStdout {
                dockerfiles: args.dockerfile,
                ..ToStdout::default()
            };
            let summary = pipeline::run_into(&request, stdin, &mut sink);
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
            let mut sink = ToDir::new(dir.clone());
            let summary = pipeline::run_into(&request, stdin, &mut sink);
            super::finish(
                rendered(summary),
                args.input.format.into(),
                color,
                |_, out| {
                    let report = sink.publish(args.prune)?;
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

/// The YAML stream for stdout, spooled; and the Dockerfiles left out of it, for the note.
#[derive(Default)]
struct ToStdout {
    dockerfiles: bool,
    spool: Spool,
    /// The build Tasks whose Dockerfile was left out, in input order (names only).
    builds: Vec<String>,
    /// Per mark: the spool's length and the number of `builds` then.
    marks: Vec<(u64, usize)>,
    /// Dockerfile artifacts `fill` inserted so far.
    filled: usize,
}

impl Sink for ToStdout {
    fn push(&mut self, artifacts: Vec<Artifact>) {
        self.spool
            .write(emit::stream(&artifacts, self.dockerfiles).as_bytes());
        if !self.dockerfiles {
            self.builds.extend(dockerfile_tasks(artifacts));
        }
    }
    fn mark(&mut self) -> usize {
        self.marks.push((self.spool.len(), self.builds.len()));
        self.marks.len() - 1
    }
    fn fill(&mut self, mark: usize, artifacts: Vec<Artifact>) {
        let (at, builds_at) = self.marks[mark];
        self.spool
            .insert(at, emit::stream(&artifacts, self.dockerfiles).into_bytes());
        let builds: Vec<String> = if self.dockerfiles {
            Vec::new()
        } else {
            dockerfile_tasks(artifacts).collect()
        };
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

/// The files for `-o DIR`, staged inside `DIR` as they come (the folder is opened with
/// the first of them; a failure is reported only if the input is valid).
struct ToDir {
    dir: PathBuf,
    staging: Option<Result<Staging, Diagnostic>>,
    /// Per staged file, in the order staged: whether it is an object (listed in
    /// `kustomization.yaml`) rather than a Dockerfile. The paths are the staging's.
    objects: Vec<bool>,
}

impl ToDir {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            staging: None,
            objects: Vec::new(),
        }
    }

    fn stage(&mut self, artifacts: Vec<Artifact>) {
        let staging = self.staging.get_or_insert_with(|| Staging::open(&self.dir));
        let Ok(staging) = staging else { return };
        for a in artifacts {
            if let Err(e) = staging.stage(&a.path, a.text.as_bytes()) {
                self.staging = Some(Err(e));
                return;
            }
            self.objects.push(!a.dockerfile);
        }
    }

    fn publish(&mut self, prune: bool) -> Result<crate::outdir::WriteReport, Diagnostic> {
        let mut staging = self
            .staging
            .take()
            .unwrap_or_else(|| Staging::open(&self.dir))?;
        let kustomization = {
            let mut objects: Vec<&str> = staging
                .staged()
                .zip(&self.objects)
                .filter_map(|(path, &object)| object.then_some(path))
                .collect();
            objects.sort_unstable();
            objects.dedup();
            emit::kustomization(objects)
        };
        staging.stage(KUSTOMIZATION, kustomization.as_bytes())?;
        // Not kept while the files are moved into place.
        drop(kustomization);
        staging.publish(prune)
    }
}

impl Sink for ToDir {
    fn push(&mut self, artifacts: Vec<Artifact>) {
        self.stage(artifacts);
    }
    fn mark(&mut self) -> usize {
        0
    }
    fn fill(&mut self, _: usize, artifacts: Vec<Artifact>) {
        self.stage(artifacts);
    }
}
