//! The driver: a [`Request`] (plain data, not clap's) → loaded sources → for each document,
//! in parallel: parse → validate → profile → resolve → render; then the rules across Tasks.
//! The result keeps input order whatever the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::plan::Origin;
use crate::profile::{self, Catalog};
use crate::render::Artifact;
use crate::source;
use crate::text::SourceFile;
use crate::{render, resolve, schema, yaml};

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

/// Runs the stages over every input of `request`.
pub(crate) fn run(request: &Request, stdin: &mut dyn Read) -> Rendered {
    let (files, mut diagnostics) = source::load(&request.paths, stdin);
    let (profile_files, profile_errors) = source::load_profile_dirs(&request.profile_dirs);
    diagnostics.extend(profile_errors);
    let catalog = Catalog::new(&profile_files);
    let ctx = Context {
        catalog: &catalog,
        request,
    };
    let threads = request.threads.max(1);
    let per_file = par_map(&files, threads, |file| resolve_file(file, ctx));
    let mut result = Rendered {
        files: files.len(),
        ..Rendered::default()
    };
    // Builds are resolved before the Tasks that run their images (`function.image_from`).
    let builds = builds(&per_file);
    let mut ids = Vec::new();
    let mut per_file_diagnostics = Vec::with_capacity(per_file.len());
    let mut stages = Vec::new();
    for file in per_file {
        let mut diags = file.diagnostics;
        for mut stage in file.stages {
            match link(&mut stage, &builds) {
                Ok(()) => stages.push((ids.len(), stage)),
                Err(d) => diags.push(d),
            }
        }
        ids.extend(file.ids);
        per_file_diagnostics.push((ids.len(), diags));
        result.tasks += file.tasks;
    }
    let rendered = par_map(&stages, threads, |(_, stage)| {
        let artifacts = render::render(&stage.resolved.plan, &stage.profile)?;
        match too_large(&artifacts, &stage.resolved.origin) {
            Some(d) => Err(vec![d]),
            None => Ok(artifacts),
        }
    });
    // Diagnostics keep file order: each file's, then its render errors.
    let mut rendered = stages.iter().map(|(at, _)| *at).zip(rendered).peekable();
    for (end, diags) in per_file_diagnostics {
        diagnostics.extend(diags);
        while let Some((_, artifacts)) = rendered.next_if(|(at, _)| *at < end) {
            match artifacts {
                Ok(artifacts) => result.outputs.extend(artifacts),
                Err(errors) => diagnostics.extend(errors),
            }
        }
    }
    diagnostics.extend(collisions(&ids));
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
    result.diagnostics = diagnostics;
    result
}

/// What every worker shares.
#[derive(Clone, Copy)]
struct Context<'a> {
    catalog: &'a Catalog,
    request: &'a Request,
}

/// What identifies a rendered Task across files: enough to detect collisions.
#[derive(Debug)]
struct TaskId {
    name: String,
    namespace: Option<String>,
    origin: Origin,
}

/// A resolved Task waiting to be rendered.
struct Stage {
    resolved: resolve::Resolved,
    profile: Arc<profile::Profile>,
}

/// One file, resolved: the Tasks to render, in document order.
#[derive(Default)]
struct FileResult {
    ids: Vec<TaskId>,
    stages: Vec<Stage>,
    diagnostics: Vec<Diagnostic>,
    tasks: usize,
    /// Names of `build` Tasks that did not resolve (their errors are reported already).
    failed_builds: Vec<String>,
}

/// Every `build` Task of the run: its image, or `None` when it failed; and the names of
/// the other Tasks with their action.
struct Builds {
    images: BTreeMap<String, Option<String>>,
    others: BTreeMap<String, &'static str>,
}

fn builds(files: &[FileResult]) -> Builds {
    let mut images = BTreeMap::new();
    let mut others = BTreeMap::new();
    for file in files {
        for name in &file.failed_builds {
            images.entry(name.clone()).or_insert(None);
        }
        for stage in &file.stages {
            let plan = &stage.resolved.plan;
            match &plan.workload {
                crate::plan::Workload::Build { build, .. } => {
                    images
                        .entry(plan.name.clone())
                        .or_insert_with(|| Some(build.destination.clone()));
                }
                crate::plan::Workload::Job(_) => {
                    others.insert(plan.name.clone(), "job");
                }
                crate::plan::Workload::Serve { .. } => {
                    others.insert(plan.name.clone(), "serve");
                }
                crate::plan::Workload::Deploy { .. } => {
                    others.insert(plan.name.clone(), "deploy");
                }
            }
        }
    }
    Builds { images, others }
}

/// Fills in the image of a Task that runs a build's (`function.image_from`).
fn link(stage: &mut Stage, builds: &Builds) -> Result<(), Diagnostic> {
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
        None => match builds.others.get(&from.build) {
            Some(action) => format!("`{}` is a `{action}` Task, not a `build`", from.build),
            None => "no `build` Task of that name in this run".to_owned(),
        },
    };
    let mut names: Vec<&str> = builds.images.keys().map(String::as_str).collect();
    names.dedup();
    let help = if builds.others.contains_key(&from.build) {
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

fn resolve_file(file: &Arc<SourceFile>, ctx: Context<'_>) -> FileResult {
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
                ids.push(TaskId {
                    name: resolved.plan.name.clone(),
                    namespace: resolved.plan.namespace.clone(),
                    origin: resolved.origin.clone(),
                });
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
    FileResult {
        ids,
        stages,
        diagnostics,
        tasks,
        failed_builds,
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

/// Most bytes of one object the API server accepts in a request (its default
/// `--max-request-body-bytes`, 3 MiB), measured on the YAML taskrender writes (about the
/// size of the JSON `kubectl` sends: the bulk of such an object is one long string).
const MAX_OBJECT_BYTES: usize = 3 * 1024 * 1024;

/// The first object of a Task too large for the API server, as an error at the Task's name.
fn too_large(artifacts: &[render::Artifact], origin: &Origin) -> Option<Diagnostic> {
    artifacts
        .iter()
        .filter(|a| !a.dockerfile && a.text.len() > MAX_OBJECT_BYTES)
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
/// share an output folder).
fn collisions(plans: &[TaskId]) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<&str, &TaskId> = BTreeMap::new();
    let mut out = Vec::new();
    for plan in plans {
        if let Some(first) = seen.get(plan.name.as_str()) {
            let (line, col) = first.origin.file.line_col(first.origin.name_span.start);
            let same_ns = first.namespace == plan.namespace;
            let help = if same_ns {
                "their objects would replace each other: rename one".to_owned()
            } else {
                "their output folders would collide: rename one".to_owned()
            };
            out.push(
                Diagnostic::new(ErrorKind::DuplicateTask {
                    name: plan.name.clone(),
                })
                .at(
                    &plan.origin.file,
                    plan.origin.name_span.clone(),
                    format!("first named at {}:{line}:{col}", first.origin.file.name),
                )
                .with_help(help),
            );
        } else {
            seen.insert(&plan.name, plan);
        }
    }
    out
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
        };
        let diagnostics = resolve_file(&file, ctx).diagnostics;
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
    fn par_map_keeps_order_for_any_thread_count() {
        let items: Vec<usize> = (0..1000).collect();
        let sequential: Vec<usize> = items.iter().map(|i| i * 2).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(par_map(&items, threads, |i| i * 2), sequential);
        }
    }
}
