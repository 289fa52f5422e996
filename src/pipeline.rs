//! The driver: a [`Request`] (plain data, not clap's) → loaded sources → for each document,
//! in parallel: parse → validate → profile → resolve → render; then the rules across Tasks.
//! The result keeps input order whatever the thread count.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::plan::Origin;
use crate::profile::{self, Catalog};
use crate::render::Artifact;
use crate::source;
use crate::text::SourceFile;
use crate::{render, resolve, schema, yaml};

mod names;
use names::{FirstNamed, Names};

/// What to run the stages on, and how.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Task files and folders; `-` is standard input.
    pub(crate) paths: Vec<PathBuf>,
    /// `--profiles` folders, searched in order before the built-in profiles.
    pub(crate) profile_dirs: Vec<PathBuf>,
    /// `--set key=value`: the profile templates' `vars`.
    pub(crate) vars: BTreeMap<String, String>,
    /// `--namespace`: overrides every Task's.
    pub(crate) namespace: Option<String>,
    /// Worker threads (at least 1).
    pub(crate) threads: usize,
    /// `check --strict`: warn where a profile's `enforce` overrides the Task.
    pub(crate) strict: bool,
    /// `check`: run the `GitOps` lints (warnings) on every resolved Task.
    pub(crate) lint: bool,
}

/// Everything the stages produced for a set of inputs.
#[derive(Debug, Default)]
pub(crate) struct Rendered {
    pub(crate) outputs: Vec<Artifact>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) tasks: usize,
    pub(crate) files: usize,
}

/// Runs the stages over every input of `request`, keeping every artifact in memory.
pub(crate) fn run(request: &Request, stdin: &mut dyn Read) -> Rendered {
    let mut outputs = Outputs::default();
    let summary = run_into(request, stdin, &mut outputs);
    Rendered {
        outputs: outputs.artifacts,
        diagnostics: summary.diagnostics,
        tasks: summary.tasks,
        files: summary.files,
    }
}

/// Runs the stages over every input of `request` for their diagnostics only: the
/// artifacts are dropped as they come (`check`), so memory stays bounded.
pub(crate) fn run_unkept(request: &Request, stdin: &mut dyn Read) -> Rendered {
    struct Drop;
    impl Sink for Drop {
        fn push(&mut self, _: Vec<Artifact>) {}
        fn mark(&mut self) -> usize {
            0
        }
        fn fill(&mut self, _: usize, _: Vec<Artifact>) {}
        fn text(&self) -> crate::render::Text {
            crate::render::Text::IfLarge
        }
    }
    let summary = run_into(request, stdin, &mut Drop);
    Rendered {
        outputs: Vec::new(),
        diagnostics: summary.diagnostics,
        tasks: summary.tasks,
        files: summary.files,
    }
}

/// What [`run_into`] reports besides the artifacts it gave its [`Sink`].
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) tasks: usize,
    pub(crate) files: usize,
}

/// Where [`run_into`] puts the artifacts, in input order, file by file: memory stays
/// bounded when the sink does not keep them (it spools them, or drops them for `check`).
/// The caller publishes them only when no diagnostic is an error.
pub(crate) trait Sink {
    /// The artifacts of the next Tasks, in input order.
    fn push(&mut self, artifacts: Vec<Artifact>);
    /// The current place, for artifacts given later to [`Sink::fill`] (the Tasks of a file
    /// that run a build's image wait for every build of the run).
    fn mark(&mut self) -> usize;
    /// The artifacts of the place `mark` returned; called in increasing order of marks,
    /// after every `push`.
    fn fill(&mut self, mark: usize, artifacts: Vec<Artifact>);
    /// What the sink needs of the objects' YAML: a sink that drops the artifacts needs it
    /// only to find the objects too large for the API server ([`render::Text::IfLarge`]).
    fn text(&self) -> render::Text {
        render::Text::Written
    }
}

/// A [`Sink`] that keeps every artifact.
#[derive(Default)]
pub(crate) struct Outputs {
    pub(crate) artifacts: Vec<Artifact>,
    /// How many artifacts `fill` inserted so far (marks are positions before any fill).
    filled: usize,
}

impl Sink for Outputs {
    fn push(&mut self, artifacts: Vec<Artifact>) {
        self.artifacts.extend(artifacts);
    }
    fn mark(&mut self) -> usize {
        self.artifacts.len()
    }
    fn fill(&mut self, mark: usize, artifacts: Vec<Artifact>) {
        let at = mark + self.filled;
        self.filled += artifacts.len();
        self.artifacts.splice(at..at, artifacts);
    }
}

/// Files the workers may be ahead of the calling thread, which takes their results in
/// input order: what bounds memory (each result is one file's rendered artifacts, given to
/// the sink as soon as it is its turn), with room enough to keep every worker busy.
const WINDOW: usize = 256;

/// Runs the stages over every input of `request`, giving the artifacts to `sink` in input
/// order. Each file is read, parsed, resolved and rendered by a worker; the calling thread
/// takes the files in input order, as they are done, for what crosses files (Task names,
/// builds) and for the sink. Diagnostics (and their order) are those of a run over all
/// files at once, whatever the thread count.
pub(crate) fn run_into(request: &Request, stdin: &mut dyn Read, sink: &mut dyn Sink) -> Summary {
    let inputs = source::discover(&request.paths, stdin);
    let (profile_files, profile_errors) = source::load_profile_dirs(&request.profile_dirs);
    let catalog = Catalog::new(&profile_files);
    let ctx = Context {
        catalog: &catalog,
        request,
        text: sink.text(),
    };
    let threads = request.threads.max(1);
    let mut load_errors = Vec::new();
    let mut run = Across::default();
    let mut summary = Summary::default();
    in_order(
        inputs,
        threads,
        |input| {
            let file = source::read(input)?;
            Ok(process_file(&file, ctx))
        },
        |done: Result<FileResult, Diagnostic>| match done {
            Ok(file) => {
                summary.files += 1;
                run.take(file, sink);
            }
            Err(e) => load_errors.push(e),
        },
    );
    let mut diagnostics = load_errors;
    diagnostics.extend(profile_errors);
    summary.tasks = run.tasks;
    diagnostics.extend(run.finish(threads, sink));
    // A broken profile is reported once, however many Tasks use it.
    let mut seen = BTreeSet::new();
    diagnostics.retain(|d| {
        seen.insert((
            d.kind.to_string(),
            d.kind.code(),
            d.file.as_ref().map(|f| f.name.clone()),
            d.labels
                .iter()
                .map(|l| (l.span.start, l.span.end))
                .collect::<Vec<_>>(),
        ))
    });
    summary.diagnostics = diagnostics;
    summary
}

/// What a run keeps across files: enough to link builds, find colliding names and
/// order the diagnostics, but no Task and no artifact.
#[derive(Default)]
struct Across {
    builds: Builds,
    /// Every Task name so far: where it was first named, for [`collision`].
    names: Names,
    /// Diagnostics in file order, but for the files waiting in `waiting`.
    diagnostics: Vec<Diagnostic>,
    /// Tasks named twice, reported after every file's diagnostics.
    collisions: Vec<Diagnostic>,
    /// Files with a Task that runs a build's image: linked and rendered once every build
    /// is known.
    waiting: Vec<Waiting>,
    tasks: usize,
}

/// A file whose rendering waits for the end of the run.
struct Waiting {
    /// Its place among the diagnostics, and among the artifacts.
    diagnostics_at: usize,
    mark: usize,
    diagnostics: Vec<Diagnostic>,
    stages: Vec<Stage>,
}

impl Across {
    /// Takes the next file, in input order: its names and builds, its diagnostics, and its
    /// artifacts for the sink (or keeps it for [`Across::finish`] when it waits for builds).
    fn take(&mut self, file: FileResult, sink: &mut dyn Sink) {
        self.builds.add(&file);
        self.tasks += file.tasks;
        for id in &file.ids {
            self.name(id);
        }
        match file.work {
            Work::Rendered(rendered) => {
                self.diagnostics.extend(file.diagnostics);
                for artifacts in rendered {
                    match artifacts {
                        Ok(artifacts) => sink.push(artifacts),
                        Err(errors) => self.diagnostics.extend(errors),
                    }
                }
            }
            Work::Waiting(stages) => self.waiting.push(Waiting {
                diagnostics_at: self.diagnostics.len(),
                mark: sink.mark(),
                diagnostics: file.diagnostics,
                stages,
            }),
        }
    }

    /// Checks a Task's name against those seen before.
    fn name(&mut self, id: &TaskId) {
        let (line, col) = id.origin.file.line_col(id.origin.name_span.start);
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let here = FirstNamed {
            action: id.action,
            file: &id.origin.file.name,
            line: small(line),
            col: small(col),
            namespace: id.namespace.as_deref(),
        };
        if let Some(first) = self.names.first_or_insert(&id.name, here) {
            self.collisions.push(collision(id, first));
        }
    }

    /// Links and renders the waiting files; returns every diagnostic in file order.
    fn finish(mut self, threads: usize, sink: &mut dyn Sink) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::with_capacity(self.diagnostics.len());
        let mut rest = std::mem::take(&mut self.diagnostics).into_iter();
        let mut taken = 0;
        for waiting in std::mem::take(&mut self.waiting) {
            diagnostics.extend(rest.by_ref().take(waiting.diagnostics_at - taken));
            taken = waiting.diagnostics_at;
            let mut diags = waiting.diagnostics;
            let mut stages = Vec::new();
            for mut stage in waiting.stages {
                match link(&mut stage, &self.builds, &self.names) {
                    Ok(()) => stages.push(stage),
                    Err(d) => diags.push(d),
                }
            }
            let text = sink.text();
            let rendered = par_map(&stages, threads, |stage| render_stage(stage, text));
            let mut artifacts = Vec::new();
            for result in rendered {
                match result {
                    Ok(a) => artifacts.extend(a),
                    Err(errors) => diags.extend(errors),
                }
            }
            sink.fill(waiting.mark, artifacts);
            diagnostics.extend(diags);
        }
        diagnostics.extend(rest);
        diagnostics.extend(self.collisions);
        diagnostics
    }
}

/// What every worker shares.
#[derive(Clone, Copy)]
struct Context<'a> {
    catalog: &'a Catalog,
    request: &'a Request,
    /// What the sink needs of the objects' YAML.
    text: render::Text,
}

/// What identifies a rendered Task across files: enough to detect collisions.
#[derive(Debug)]
struct TaskId {
    name: String,
    action: &'static str,
    namespace: Option<String>,
    origin: Origin,
}

impl TaskId {
    fn of(resolved: &resolve::Resolved) -> Self {
        Self {
            name: resolved.plan.name.clone(),
            action: match resolved.plan.workload {
                crate::plan::Workload::Build { .. } => "build",
                crate::plan::Workload::Job(_) => "job",
                crate::plan::Workload::Serve { .. } => "serve",
                crate::plan::Workload::Deploy { .. } => "deploy",
            },
            namespace: resolved.plan.namespace.clone(),
            origin: resolved.origin.clone(),
        }
    }
}

/// A resolved Task waiting to be rendered.
struct Stage {
    resolved: resolve::Resolved,
    profile: Arc<profile::Profile>,
}

/// One file, done by a worker: its Tasks' names, diagnostics and artifacts.
#[derive(Default)]
struct FileResult {
    ids: Vec<TaskId>,
    diagnostics: Vec<Diagnostic>,
    tasks: usize,
    /// Names of `build` Tasks that did not resolve (their errors are reported already).
    failed_builds: Vec<String>,
    /// The `build` Tasks that resolved: name and image.
    builds: Vec<(String, String)>,
    work: Work,
}

/// What a worker could do with a file's resolved Tasks.
enum Work {
    /// Rendered: each Task's artifacts, or its errors, in document order.
    Rendered(Vec<Result<Vec<Artifact>, Vec<Diagnostic>>>),
    /// A Task of the file runs a build's image (`function.image_from`): the file is
    /// linked and rendered once every build of the run is known.
    Waiting(Vec<Stage>),
}

impl Default for Work {
    fn default() -> Self {
        Self::Rendered(Vec::new())
    }
}

/// Every `build` Task of the run: its image, or `None` when it failed (the other Tasks'
/// names and actions are in [`Across::names`]).
#[derive(Default)]
struct Builds {
    images: BTreeMap<String, Option<String>>,
}

impl Builds {
    /// Adds the build Tasks of the next file.
    fn add(&mut self, file: &FileResult) {
        for name in &file.failed_builds {
            self.images.entry(name.clone()).or_insert(None);
        }
        for (name, image) in &file.builds {
            self.images
                .entry(name.clone())
                .or_insert_with(|| Some(image.clone()));
        }
    }
}

/// Fills in the image of a Task that runs a build's (`function.image_from`).
fn link(stage: &mut Stage, builds: &Builds, tasks: &Names) -> Result<(), Diagnostic> {
    let Some(from) = &stage.resolved.image_from else {
        return Ok(());
    };
    let problem = match builds.images.get(&from.build) {
        Some(Some(image)) => {
            stage.resolved.plan.pod.image.clone_from(image);
            return Ok(());
        }
        Some(None) => {
            return Err(Diagnostic::new(ErrorKind::ImageFrom {
                name: from.build.clone(),
                problem: "that build Task has errors".into(),
            })
            .at(
                &stage.resolved.origin.file,
                from.span.clone(),
                "its image is unknown",
            )
            .with_help("fix the build Task's errors above"));
        }
        None => match tasks.get(&from.build) {
            Some(first) => format!(
                "`{}` is a `{}` Task, not a `build`",
                from.build, first.action
            ),
            None => "no `build` Task of that name in this run".to_owned(),
        },
    };
    let mut names: Vec<&str> = builds.images.keys().map(String::as_str).collect();
    names.dedup();
    let help = if tasks.get(&from.build).is_some() {
        "name a `build` Task of this run, or give the image itself as `function.image`".to_owned()
    } else if names.is_empty() {
        "render the build Task in the same command, such as `taskrender render build.yaml run.yaml`"
            .to_owned()
    } else {
        format!("build Tasks of this run: {}", names.join(", "))
    };
    Err(Diagnostic::new(ErrorKind::ImageFrom {
        name: from.build.clone(),
        problem,
    })
    .at(
        &stage.resolved.origin.file,
        from.span.clone(),
        "unknown build",
    )
    .with_help(help))
}

/// Parses, validates, resolves and renders the Tasks of one file (the worker's part).
fn process_file(file: &Arc<SourceFile>, ctx: Context<'_>) -> FileResult {
    let documents = match yaml::parse(file) {
        Ok(d) => d,
        Err(e) => {
            return FileResult {
                diagnostics: vec![e],
                ..FileResult::default()
            };
        }
    };
    let mut ids = Vec::new();
    let mut stages = Vec::new();
    let mut failed_builds = Vec::new();
    let mut diagnostics = Vec::new();
    let tasks = documents.len();
    for doc in &documents {
        if !doc.value.is_object() {
            let span = doc.spans.value("");
            let found = match &doc.value {
                serde_json::Value::Array(_) => "a list".to_owned(),
                other => format!("`{other}`"),
            };
            diagnostics.push(
                Diagnostic::new(ErrorKind::NotAMapping { found })
                    .at(file, span, "expected `name: …`, `action: …` and the other parameters")
                    .with_help("a Task is a mapping such as `{name: train, action: job, function: {image: busybox}}`"),
            );
            continue;
        }
        if let Some(d) = kubernetes_object(doc) {
            diagnostics.push(d);
            continue;
        }
        let errors = schema::validate(doc);
        if !errors.is_empty() {
            diagnostics.extend(errors);
            continue;
        }
        let profile = match profile::for_task(doc, ctx.catalog, &ctx.request.vars) {
            Ok(p) => p,
            Err(errors) => {
                diagnostics.extend(errors);
                continue;
            }
        };
        let options = resolve::Options {
            namespace: ctx.request.namespace.as_deref(),
            strict: ctx.request.strict,
        };
        match resolve::resolve(doc, &profile, options) {
            Ok(mut resolved) => {
                diagnostics.append(&mut resolved.warnings);
                if ctx.request.lint {
                    diagnostics.extend(crate::lint::lint(doc, &resolved.plan));
                }
                ids.push(TaskId::of(&resolved));
                stages.push(Stage { resolved, profile });
            }
            Err(errors) => {
                diagnostics.extend(errors);
                if doc.value.get("action").and_then(serde_json::Value::as_str) == Some("build")
                    && let Some(name) = doc.value.get("name").and_then(serde_json::Value::as_str)
                {
                    failed_builds.push(resolve::dns_label(name, 63));
                }
            }
        }
    }
    let builds = stages
        .iter()
        .filter_map(|stage| match &stage.resolved.plan.workload {
            crate::plan::Workload::Build { build, .. } => {
                Some((stage.resolved.plan.name.clone(), build.destination.clone()))
            }
            _ => None,
        })
        .collect();
    let work = if stages.iter().any(|s| s.resolved.image_from.is_some()) {
        Work::Waiting(stages)
    } else {
        Work::Rendered(
            stages
                .iter()
                .map(|stage| render_stage(stage, ctx.text))
                .collect(),
        )
    };
    FileResult {
        ids,
        diagnostics,
        tasks,
        failed_builds,
        builds,
        work,
    }
}

/// A document with an `apiVersion` other than a Task's and a `kind`: a Kubernetes object
/// (often a rendered one read back), reported once instead of as unknown keys.
fn kubernetes_object(doc: &yaml::Document) -> Option<Diagnostic> {
    let api_version = doc.value.get("apiVersion")?.as_str()?;
    let kind = doc.value.get("kind")?.as_str()?;
    if api_version.starts_with("taskrender.io/") {
        return None;
    }
    Some(
        Diagnostic::new(ErrorKind::KubernetesObject {
            kind: kind.to_owned(),
            api_version: api_version.to_owned(),
        })
        .at(&doc.file, doc.spans.value("/kind"), "a Kubernetes object")
        .with_help(
            "is the output folder inside the input folder? Give taskrender the Task files only; a Task may say `apiVersion: taskrender.io/v1alpha1` and `kind: Task`",
        ),
    )
}

/// Renders a linked Task; an object too large for the API server is an error.
fn render_stage(stage: &Stage, text: render::Text) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let artifacts = render::render(&stage.resolved.plan, &stage.profile, text)?;
    match too_large(&artifacts, &stage.resolved.origin) {
        Some(d) => Err(vec![d]),
        None => Ok(artifacts),
    }
}

/// The first object of a Task too large for the API server, as an error at the Task's name.
fn too_large(artifacts: &[render::Artifact], origin: &Origin) -> Option<Diagnostic> {
    artifacts
        .iter()
        .filter(|a| !a.dockerfile && a.text.len() > render::MAX_OBJECT_BYTES)
        .map(|a| {
            let (kind, name) = a.label.split_once('/').unwrap_or((&a.label, &a.task));
            Diagnostic::new(ErrorKind::ObjectTooLarge {
                kind: kind.to_owned(),
                name: name.to_owned(),
                size: a.text.len(),
            })
            .at(&origin.file, origin.name_span.clone(), "this Task")
            .with_help("keep large data out of the Task (env values, args, annotations): mount it from a ConfigMap or a volume")
        })
        .next()
}

/// Two Tasks with the same name and namespace would overwrite each other's objects (and
/// share an output folder): the diagnostic for the second, `id`.
fn collision(id: &TaskId, first: FirstNamed<'_>) -> Diagnostic {
    let same_ns = first.namespace == id.namespace.as_deref();
    let help = if same_ns {
        "their objects would replace each other: rename one"
    } else {
        "their output folders would collide: rename one"
    };
    Diagnostic::new(ErrorKind::DuplicateTask {
        name: id.name.clone(),
    })
    .at(
        &id.origin.file,
        id.origin.name_span.clone(),
        format!("first named at {}:{}:{}", first.file, first.line, first.col),
    )
    .with_help(help)
}

/// Maps `f` over `items` on up to `threads` workers, keeping input order. Workers get
/// a generous stack: the YAML deserializer recurses per nesting level.
fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_WORKER: usize = 32;
    let workers = threads.min(items.len().div_ceil(MIN_PER_WORKER)).max(1);
    let chunk = items.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                std::thread::Builder::new()
                    .stack_size(16 << 20)
                    .spawn_scoped(scope, move || part.iter().map(f).collect::<Vec<R>>())
                    .expect("spawn a worker thread")
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Items a worker takes at a time: fewer wake-ups of the calling thread (one message per
/// chunk), still small enough that the workers share the items evenly.
const CHUNK: usize = 4;

/// Runs `work` on every item on `threads` workers and gives the results to `take` on the
/// calling thread, in item order, as soon as each is its turn. The workers take a few
/// items at a time ([`CHUNK`]; a slow item does not hold up the others) and are never more
/// than [`WINDOW`] items ahead of `take`, so memory stays bounded however many items there
/// are. A panic in `work` or `take` reaches the caller, as in a scope.
fn in_order<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
    mut take: impl FnMut(R),
) {
    /// The items not started yet, and how far `take` is.
    struct Queue<T> {
        items: std::iter::Enumerate<std::vec::IntoIter<T>>,
        started: usize,
        taken: usize,
        /// Workers waiting for room (notified only then: a wake-up is a system call).
        waiting: usize,
        stop: bool,
    }
    /// Stops every worker when dropped while panicking (in `take` or in a worker), so that
    /// no worker waits for room that will never come and the panic reaches the caller.
    struct StopOnPanic<'a, T>(&'a Mutex<Queue<T>>, &'a Condvar);
    impl<T> Drop for StopOnPanic<'_, T> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                lock(self.0).stop = true;
                self.1.notify_all();
            }
        }
    }
    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(PoisonError::into_inner)
    }

    let workers = threads.clamp(1, items.len().max(1));
    let queue = Mutex::new(Queue {
        items: items.into_iter().enumerate(),
        started: 0,
        taken: 0,
        waiting: 0,
        stop: false,
    });
    let room = Condvar::new();
    let (sender, results) = mpsc::channel::<Vec<(usize, R)>>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (sender, queue, room, work) = (sender.clone(), &queue, &room, &work);
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn_scoped(scope, move || {
                    let _stop_all_if_this_panics = StopOnPanic(queue, room);
                    loop {
                        let chunk: Vec<(usize, T)> = {
                            let mut q = lock(queue);
                            while !q.stop && q.started >= q.taken + WINDOW {
                                q.waiting += 1;
                                q = room.wait(q).unwrap_or_else(PoisonError::into_inner);
                                q.waiting -= 1;
                            }
                            if q.stop {
                                return;
                            }
                            let room_left = q.taken + WINDOW - q.started;
                            let chunk: Vec<(usize, T)> =
                                q.items.by_ref().take(CHUNK.min(room_left)).collect();
                            q.started += chunk.len();
                            chunk
                        };
                        if chunk.is_empty() {
                            return;
                        }
                        let done = chunk.into_iter().map(|(i, item)| (i, work(item)));
                        if sender.send(done.collect()).is_err() {
                            return;
                        }
                    }
                })
                .expect("spawn a worker thread");
        }
        drop(sender);
        let _stop_all_if_take_panics = StopOnPanic(&queue, &room);
        // `ahead[k]`: the result of item `taken + k`, when it is done.
        let mut ahead: VecDeque<Option<R>> = VecDeque::new();
        let mut taken = 0;
        for (index, result) in results.into_iter().flatten() {
            let k = index - taken;
            if ahead.len() <= k {
                ahead.resize_with(k + 1, || None);
            }
            ahead[k] = Some(result);
            let before = taken;
            while let Some(Some(_)) = ahead.front() {
                if let Some(Some(result)) = ahead.pop_front() {
                    take(result);
                    taken += 1;
                }
            }
            if taken != before {
                let mut q = lock(&queue);
                q.taken = taken;
                if q.waiting > 0 {
                    room.notify_all();
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    /// Keys a Task (and its nested objects) has, plus near misses, so that generated
    /// documents reach deep into validation and resolution, not only the first error.
    const KEYS: &[&str] = &[
        "name",
        "action",
        "function",
        "image",
        "command",
        "args",
        "image_pull_policy",
        "envs",
        "value",
        "volumes",
        "volume_type",
        "mount_path",
        "spec",
        "size",
        "claim_name",
        "size_limit",
        "medium",
        "resources",
        "limits",
        "requests",
        "cpu",
        "memory",
        "node_selector",
        "key",
        "secrets",
        "tolerations",
        "operator",
        "effect",
        "affinity",
        "labels",
        "annotations",
        "run_as_user",
        "fs_group",
        "replicas",
        "project",
        "namespace",
        "profile",
        "replica",
        "imagePullPolicy",
    ];
    const STRINGS: &[&str] = &[
        "job",
        "serve",
        "build",
        "deploy",
        "busybox",
        "train",
        "yes",
        "on",
        "0755",
        "1e3",
        "12:30",
        "",
        "-",
        "a: b",
        "*x",
        "&y",
        "{",
        "'",
        "1Gi",
        "500m",
        "-1",
        "persistent_volume_claim",
        "empty_dir",
        "ephemeral",
        "shared_volume",
        "/data",
        "data",
        "Exists",
        "Memory",
        "default",
        "app.kubernetes.io/name",
        "ä€😀",
        "sh -c 'x",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop_oneof![Just(0i64), Just(1), Just(-1), any::<i64>()].prop_map(Value::from),
            prop::sample::select(STRINGS).prop_map(Value::from),
            "[a-z_]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                    Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }),
            ]
        })
    }

    /// A Task-shaped document: mostly the right top-level keys, with random values.
    fn task() -> impl Strategy<Value = String> {
        (
            prop::collection::vec((prop::sample::select(KEYS), value()), 0..10),
            any::<u16>(),
            0usize..3,
        )
            .prop_map(|(kv, cut, damage)| {
                let map: Map<String, Value> =
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                let mut text = crate::render::yaml::to_yaml(&Value::Object(map));
                // Sometimes damage the text, to exercise YAML errors too.
                if damage == 1 && !text.is_empty() {
                    let at = usize::from(cut) % text.len();
                    let at = (0..=at)
                        .rev()
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(0);
                    text.insert_str(at, ": [\n  - {");
                }
                text
            })
    }

    fn assert_sound(text: &str) {
        let file = SourceFile::new("p.yaml", text);
        let catalog = Catalog::new(&[]);
        let request = Request {
            strict: true,
            ..Request::default()
        };
        let ctx = Context {
            catalog: &catalog,
            request: &request,
            text: render::Text::Written,
        };
        let diagnostics = process_file(&file, ctx).diagnostics;
        // `check`'s render stage (objects measured, not written) finds the same.
        let checked = process_file(
            &file,
            Context {
                text: render::Text::IfLarge,
                ..ctx
            },
        );
        assert_eq!(
            format!("{diagnostics:?}"),
            format!("{:?}", checked.diagnostics)
        );
        for d in &diagnostics {
            for label in &d.labels {
                assert!(
                    label.span.start <= label.span.end && label.span.end <= text.len(),
                    "{d:?}"
                );
                assert!(
                    text.is_char_boundary(label.span.start)
                        && text.is_char_boundary(label.span.end),
                    "{d:?}"
                );
            }
        }
        let _ = crate::report::report(&diagnostics, crate::report::Format::Human, false, false);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn task_shaped_yaml_never_panics(text in task()) {
            assert_sound(&text);
        }

        /// A valid job plus random parameters: reaches resolve and render.
        #[test]
        fn valid_job_with_random_parameters_never_panics(extra in prop::collection::vec((prop::sample::select(KEYS), value()), 0..4)) {
            let mut map = serde_json::json!({"name": "t", "action": "job", "function": {"image": "busybox"}});
            for (k, v) in extra {
                map[k] = v;
            }
            assert_sound(&crate::render::yaml::to_yaml(&map));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            assert_sound(&text);
        }
    }

    #[test]
    fn in_order_takes_every_result_in_order_within_the_window() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for threads in [1, 2, 3, 8] {
            let n = 3 * WINDOW + 7;
            let taken = AtomicUsize::new(0);
            let mut order = Vec::new();
            in_order(
                (0..n).collect(),
                threads,
                |i: usize| {
                    // No worker starts an item more than the window ahead of `take`.
                    assert!(
                        i < taken.load(Ordering::SeqCst) + WINDOW,
                        "item {i} started too early"
                    );
                    // Uneven work, so that results arrive out of order.
                    let spins = (i * 7919) % 5000;
                    (i, (0..spins).fold(0u64, |a, x| a.wrapping_add(x as u64)))
                },
                |(i, _)| {
                    order.push(i);
                    taken.fetch_add(1, Ordering::SeqCst);
                },
            );
            assert_eq!(order, (0..n).collect::<Vec<_>>(), "{threads} threads");
        }
        let mut none = Vec::new();
        in_order(Vec::<u8>::new(), 2, |x| x, |x| none.push(x));
        assert!(none.is_empty());
    }

    #[test]
    fn in_order_passes_a_panic_on_instead_of_waiting_forever() {
        let work = std::panic::catch_unwind(|| {
            in_order(
                (0..4 * WINDOW).collect(),
                2,
                |i: usize| assert_ne!(i, 5, "work panics"),
                |()| {},
            );
        });
        assert!(work.is_err());
        let take = std::panic::catch_unwind(|| {
            in_order(
                (0..4 * WINDOW).collect(),
                2,
                |i: usize| i,
                |i| assert_ne!(i, 5),
            );
        });
        assert!(take.is_err());
    }

    #[test]
    fn par_map_keeps_order_for_any_thread_count() {
        let items: Vec<usize> = (0..1000).collect();
        let sequential: Vec<usize> = items.iter().map(|i| i * 2).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(par_map(&items, threads, |i| i * 2), sequential);
        }
    }
}
