//! `taskrender import FILE...`: the reference platform's exported entities (JSON or YAML:
//! `container` functions, `container+<action>` tasks, their runs, catalogue streams and
//! project documents) → Task files, one YAML stream on stdout.
//!
//! One Task per (function, task[, run]): `name` and `project` from the function, `action`
//! from the task's kind, `function` from the function's spec plus the run's (or the
//! catalogue template's) `args`, and every task parameter as written (resolved later like
//! any Task). A function with a build task and a run task becomes two Tasks,
//! `<fn>-build` and `<fn>` with `function.image_from: <fn>-build`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, ErrorKind, Severity};
use crate::emit::{self, FileOut};
use crate::outcome::{EXIT_INVALID, Outcome, Terminal};
use crate::report::{self, Format};
use crate::source::{self, SourceFile};
use crate::yaml;

/// Function spec fields that are Task `function` fields.
const FUNCTION_FIELDS: [&str; 5] = [
    "image",
    "base_image",
    "command",
    "image_pull_policy",
    "source",
];
/// Bookkeeping in task and run specs, dropped (README, "Import").
const SPEC_BOOKKEEPING: [&str; 5] = ["function", "task", "local_execution", "template", "args"];

/// One entity, where it was read.
struct Entity {
    value: Value,
    file: Arc<SourceFile>,
    span: std::ops::Range<usize>,
    pointer: String,
    spans: Arc<yaml::Document>,
}

impl Entity {
    fn kind(&self) -> &str {
        self.value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    fn str(&self, key: &str) -> Option<&str> {
        self.value.get(key).and_then(Value::as_str)
    }
    fn spec(&self) -> Map<String, Value> {
        self.value
            .get("spec")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }
    fn name(&self) -> Option<&str> {
        self.str("name")
            .or_else(|| self.value.pointer("/metadata/name").and_then(Value::as_str))
    }
    fn project(&self) -> Option<&str> {
        self.str("project").or_else(|| {
            self.value
                .pointer("/metadata/project")
                .and_then(Value::as_str)
        })
    }
    fn at(&self, key: &str) -> std::ops::Range<usize> {
        self.spans
            .spans
            .get(&format!("{}{key}", self.pointer))
            .map_or_else(
                || self.span.clone(),
                |s| s.key.clone().unwrap_or_else(|| s.value.clone()),
            )
    }
}

/// `taskrender import FILE...`.
pub(crate) fn run(
    paths: &[PathBuf],
    output: Option<&Path>,
    force: bool,
    stdin: &mut dyn Read,
    terminal: Terminal,
) -> Outcome {
    let (files, mut diagnostics) = source::load(paths, stdin);
    let mut entities = Vec::new();
    for file in &files {
        match yaml::parse(file) {
            Ok(docs) => {
                for doc in docs {
                    let doc = Arc::new(doc);
                    collect(&doc, &doc.value, String::new(), &mut entities);
                }
            }
            Err(e) => diagnostics.push(e),
        }
    }
    let tasks = tasks(&entities, &mut diagnostics);
    let mut out = Outcome::default();
    let mut failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    if !failed {
        let texts = tasks
            .iter()
            .map(|t| crate::render::yaml::to_yaml(&Value::Object(t.clone())));
        match output {
            None => out.stdout = texts.collect::<String>().into_bytes(),
            Some(dir) => {
                let files: Vec<FileOut> = tasks
                    .iter()
                    .zip(texts)
                    .map(|(t, text)| {
                        let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                        FileOut {
                            path: format!("{name}.yaml"),
                            text,
                            label: format!("Task/{name}"),
                        }
                    })
                    .collect();
                match emit::write_task_files(dir, &files, force) {
                    Ok(written) => {
                        let _ = writeln!(
                            out.stderr,
                            "imported {} Task{} into {} ({written} written, {} unchanged)",
                            files.len(),
                            if files.len() == 1 { "" } else { "s" },
                            dir.display(),
                            files.len() - written
                        );
                    }
                    Err(d) => {
                        diagnostics.push(d);
                        failed = true;
                    }
                }
            }
        }
    }
    let summary = std::mem::take(&mut out.stderr);
    out.stderr = report::report(
        &diagnostics,
        Format::Human,
        terminal.color(crate::cli::Color::Auto),
        false,
    );
    out.stderr.push_str(&summary);
    if failed {
        out.code = EXIT_INVALID;
    }
    out
}

/// Entities in a document: one, a list of them, or a project's `spec.functions`.
fn collect(doc: &Arc<yaml::Document>, value: &Value, pointer: String, out: &mut Vec<Entity>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(doc, item, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(map) if map.get("kind").and_then(Value::as_str) == Some("project") => {
            if let Some(functions) = value.pointer("/spec/functions") {
                collect(doc, functions, format!("{pointer}/spec/functions"), out);
            }
        }
        Value::Object(_) => out.push(Entity {
            value: value.clone(),
            file: Arc::clone(&doc.file),
            span: doc.spans.value(&pointer),
            pointer,
            spans: Arc::clone(doc),
        }),
        _ => {}
    }
}

/// `container://project/name:id` → (project, name).
fn function_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.split_once("://")?.1;
    let (project, name) = rest.split_once('/')?;
    Some((project, name.split(':').next().unwrap_or(name)))
}

fn tasks(entities: &[Entity], diagnostics: &mut Vec<Diagnostic>) -> Vec<Map<String, Value>> {
    let functions: Vec<(usize, &Entity)> = entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind() == "container")
        .collect();
    // function index → (task entities, run entities by task id)
    let mut actions = Actions::new();
    let runs: Vec<&Entity> = entities
        .iter()
        .filter(|e| e.kind().ends_with(":run") || e.kind() == "container+run")
        .collect();
    for (i, e) in entities.iter().enumerate() {
        let kind = e.kind();
        if kind == "container" || kind.ends_with(":run") || kind == "container+run" {
            continue;
        }
        if kind.strip_prefix("container+").is_none() {
            diagnostics.push(
                Diagnostic::new(ErrorKind::ImportNotEntity {
                    found: if kind.is_empty() { "no `kind`".into() } else { format!("kind `{kind}`") },
                })
                .at(&e.file, e.span.clone(), "not a container entity")
                .with_help("give `container` functions, `container+job|serve|deploy|build` tasks and their runs")
                .warning(),
            );
            continue;
        }
        let fkey = e
            .spec()
            .get("function")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let owner = fkey
            .as_deref()
            .and_then(function_key)
            .and_then(|(p, n)| {
                functions
                    .iter()
                    .find(|(_, f)| f.name() == Some(n) && f.project().is_none_or(|fp| fp == p))
            })
            // A catalogue stream: the function before the task.
            .or_else(|| functions.iter().rev().find(|(j, _)| *j < i))
            .map(|(j, _)| *j);
        let Some(owner) = owner else {
            diagnostics.push(
                Diagnostic::new(ErrorKind::ImportNoFunction {
                    task: fkey.unwrap_or_default(),
                })
                .at(&e.file, e.span.clone(), "no function for this task")
                .with_help("give the function entity too (`kind: container`)"),
            );
            continue;
        };
        let id = e.str("id");
        let run = runs.iter().copied().find(|r| {
            let task = r
                .spec()
                .get("task")
                .and_then(Value::as_str)
                .map(str::to_owned);
            id.is_some_and(|id| task.is_some_and(|t| t.ends_with(&format!("/{id}"))))
        });
        actions.entry(owner).or_default().push((e, run));
    }
    tasks_of(&functions, &actions, diagnostics)
}

type Actions<'a> = BTreeMap<usize, Vec<(&'a Entity, Option<&'a Entity>)>>;

/// The Task files of each function, from its tasks (and their runs).
fn tasks_of(
    functions: &[(usize, &Entity)],
    actions: &Actions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for (i, f) in functions {
        let Some(list) = actions.get(i) else {
            diagnostics.push(
                Diagnostic::new(ErrorKind::ImportNoTask {
                    function: f.name().unwrap_or_default().to_owned(),
                })
                .at(&f.file, f.span.clone(), "a function without a task")
                .with_help(
                    "a Task needs an action: give the task entity too (`kind: container+job`, …)",
                ),
            );
            continue;
        };
        // As resolve normalises it, leaving room for the `-build` suffix of a build Task.
        let name = crate::resolve::dns_label(f.name().unwrap_or("function"), 57);
        let has_build = list.iter().any(|(t, _)| t.kind() == "container+build");
        let has_run = list.iter().any(|(t, _)| t.kind() != "container+build");
        for (task, run) in list {
            let action = task.kind().trim_start_matches("container+");
            let build = action == "build";
            let task_name = if build && has_run {
                format!("{name}-build")
            } else {
                name.clone()
            };
            let mut t = Map::new();
            t.insert("name".into(), Value::String(task_name));
            if let Some(p) = f.project() {
                t.insert("project".into(), Value::String(p.to_owned()));
            }
            t.insert("action".into(), Value::String(action.to_owned()));
            let mut function = Map::new();
            for (k, v) in f.spec() {
                if FUNCTION_FIELDS.contains(&k.as_str()) {
                    function.insert(k, v);
                } else if k != "args" {
                    diagnostics.push(
                        Diagnostic::new(ErrorKind::ImportIgnored {
                            field: format!("spec.{k}"),
                        })
                        .at(
                            &f.file,
                            f.at(&format!("/spec/{k}")),
                            "not a container function field",
                        )
                        .with_help("the platform ignores it too; it is left out of the Task")
                        .warning(),
                    );
                }
            }
            if !build && has_build {
                // The run takes the build's image; the base image is the build's.
                function.remove("image");
                function.remove("base_image");
                function.insert("image_from".into(), Value::String(format!("{name}-build")));
            }
            if build && has_run {
                // What runs the image goes with the run Task.
                for key in ["command", "image_pull_policy"] {
                    function.remove(key);
                }
            }
            let spec = task.spec();
            let args = run
                .and_then(|r| r.spec().get("args").cloned())
                .or_else(|| spec.get("template").and_then(|t| t.get("args")).cloned());
            if let Some(args) = args
                && !build
            {
                function.insert("args".into(), args);
            }
            t.insert("function".into(), Value::Object(function));
            for (k, v) in spec {
                if k == "secrets" {
                    t.insert(k, store_keys(v));
                } else if !SPEC_BOOKKEEPING.contains(&k.as_str()) {
                    t.insert(k, v);
                }
            }
            out.push(t);
        }
    }
    out
}

/// The platform's `secrets` are always keys of the project's secret store: a key that a
/// Task would read as a Kubernetes Secret name (`my-token`) is written `{key: my-token}`.
/// A name with a `.` cannot be a store key (the platform's `secret://([\w-]+)`): it stays a
/// string, a Kubernetes Secret name.
fn store_keys(secrets: Value) -> Value {
    let Value::Array(entries) = secrets else {
        return secrets;
    };
    Value::Array(
        entries
            .into_iter()
            .map(|e| match e {
                Value::String(s) if crate::resolve::is_secret_name(&s) && !s.contains('.') => {
                    let mut key = Map::new();
                    key.insert("key".into(), Value::String(s));
                    Value::Object(key)
                }
                other => other,
            })
            .collect(),
    )
}
