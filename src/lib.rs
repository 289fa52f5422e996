//! taskrender renders container Tasks into Kubernetes objects, offline:
//!
//! ```text
//! load (source) → parse (spec::parse) → validate (schema) → decode + resolve (resolve)
//!               → render (render) → emit (emit)
//! ```
//! Only `source` reads and only `emit` writes (and `outdir` for both under `-o DIR`); every
//! stage between is a pure function.
//! [`run`] drives the stages for one command line and returns what to print.

pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod explain;
mod lines;
pub mod outdir;
pub mod profile;
pub mod quantity;
pub mod render;
pub mod resolve;
mod scalar_style;
pub mod schema;
pub mod source;
pub mod spec;
pub mod streams;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::sync::Arc;

use clap::CommandFactory;

use crate::cli::{Cli, Color, Command, InputArgs};
use crate::diagnostic::{Diagnostic, ErrorKind, Severity};
use crate::emit::Output;
use crate::resolve::Origin;
use crate::source::SourceFile;

/// Exit codes (SPEC section 4).
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// What a run prints, and how it exits.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: u8,
}

/// Where the process's streams go, as far as the output depends on it.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts about the process, not a state machine
pub struct Terminal {
    pub stderr_is_tty: bool,
    pub stdout_is_tty: bool,
    pub stdin_is_tty: bool,
    pub no_color: bool,
}

/// Runs one command line.
pub fn run(cli: Cli, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let input = match &cli.command {
        Command::Render(a) => Some(&a.input),
        Command::Diff(a) => Some(&a.input),
        Command::Check(a) => Some(&a.input),
        _ => None,
    };
    // Reading Tasks from a terminal would only wait for typing that never comes.
    if terminal.stdin_is_tty && input.is_some_and(|i| i.paths.iter().any(|p| p.as_os_str() == "-"))
    {
        return Outcome {
            stderr: "error: no Task files given, and standard input is a terminal\n\
                     help: name files or folders (`taskrender render tasks/`), or pipe Tasks in (`cat t.yaml | taskrender render -`)\n"
                .into(),
            code: EXIT_USAGE,
            ..Outcome::default()
        };
    }
    match cli.command {
        Command::Render(args) => render_command(&args, stdin, terminal),
        Command::Diff(args) => diff_command(&args, stdin, terminal),
        Command::Check(args) => {
            let color = use_color(args.input.color, terminal);
            let result = pipeline(&args.input, args.strict, stdin);
            let tasks = result.tasks;
            let files = result.files;
            let mut outcome = finish(result, args.input.format, color, |_, _| Ok(()), false);
            if outcome.code == EXIT_OK && args.input.format == cli::Format::Human {
                let _ = writeln!(
                    outcome.stderr,
                    "ok: {tasks} Task{} in {files} file{}",
                    plural(tasks),
                    plural(files)
                );
            }
            outcome
        }
        Command::Schema { kind } => Outcome {
            stdout: match kind {
                cli::SchemaKind::Task => schema::TASK_SCHEMA,
                cli::SchemaKind::Profile => schema::PROFILE_SCHEMA,
            }
            .as_bytes()
            .to_vec(),
            ..Outcome::default()
        },
        Command::Profiles { command } => {
            profiles_command(command, stdin, use_color(Color::Auto, terminal))
        }
        Command::Explain { field } => {
            let schema: serde_json::Value =
                serde_json::from_str(schema::TASK_SCHEMA).expect("checked-in schema is JSON");
            match explain::explain(&schema, &field) {
                Ok(text) => Outcome {
                    stdout: text.into_bytes(),
                    ..Outcome::default()
                },
                Err(message) => Outcome {
                    stderr: format!("error: {message}\n"),
                    code: EXIT_USAGE,
                    ..Outcome::default()
                },
            }
        }
        Command::Man => {
            let mut stdout = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut stdout)
                .expect("writing to memory cannot fail");
            Outcome {
                stdout,
                ..Outcome::default()
            }
        }
        Command::Completions { shell } => {
            let mut stdout = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "taskrender", &mut stdout);
            Outcome {
                stdout,
                ..Outcome::default()
            }
        }
    }
}

/// `taskrender render`.
fn render_command(args: &cli::RenderArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = use_color(args.input.color, terminal);
    let result = pipeline(&args.input, false, stdin);
    finish(
        result,
        args.input.format,
        color,
        |outputs, out| match &args.output {
            None => {
                out.stdout = emit::stream(outputs, args.dockerfile).into_bytes();
                if !args.dockerfile && args.input.format == cli::Format::Human {
                    out.stderr.push_str(&emit::dockerfile_note(outputs));
                }
                Ok(())
            }
            Some(dir) => {
                let report = outdir::write_files(dir, &emit::files(outputs), args.prune)?;
                for path in report.pruned {
                    let _ = writeln!(out.stderr, "pruned {path}");
                }
                for (path, why) in report.kept {
                    let _ = writeln!(out.stderr, "not pruned {path}: {why}");
                }
                Ok(())
            }
        },
        true,
    )
}

/// `taskrender diff`.
fn diff_command(args: &cli::DiffArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = use_color(args.input.color, terminal);
    // The diff goes to stdout: colour it when stdout is a terminal.
    let diff_color = use_color(
        args.input.color,
        Terminal {
            stderr_is_tty: terminal.stdout_is_tty,
            ..terminal
        },
    );
    let mut result = pipeline(&args.input, false, stdin);
    let old = outdir::read_owned(&args.against).unwrap_or_else(|e| {
        result.diagnostics.push(e);
        BTreeMap::new()
    });
    let mut outcome = finish(
        result,
        args.input.format,
        color,
        |outputs, out| {
            let d = diff::diff(&emit::files(outputs), &old, diff_color);
            out.stdout = d.text.into_bytes();
            if d.drift {
                out.code = EXIT_INVALID;
            }
            Ok(())
        },
        false,
    );
    if outcome.stdout.is_empty()
        && outcome.code == EXIT_OK
        && args.input.format == cli::Format::Human
    {
        let _ = writeln!(
            outcome.stderr,
            "no drift: `{}` matches the Tasks",
            args.against.display()
        );
    }
    outcome
}

/// `taskrender profiles list | show`.
fn profiles_command(command: cli::ProfilesCommand, stdin: &mut dyn Read, color: bool) -> Outcome {
    let (args, show) = match command {
        cli::ProfilesCommand::List(args) => (args, None),
        cli::ProfilesCommand::Show {
            name,
            task,
            profiles,
        } => (profiles, Some((name, task))),
    };
    let (files, mut diagnostics) = source::load_profile_dirs(&args.profiles);
    let catalog = profile::Catalog::new(&files);
    let vars: BTreeMap<String, String> = args.set.into_iter().collect();
    let mut out = Outcome::default();
    match show {
        None => {
            let listed = catalog.list();
            let width = listed.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            let mut text = String::new();
            for (name, description) in listed {
                match description {
                    Ok(d) => {
                        let _ = writeln!(text, "{name:width$}  {d}");
                    }
                    Err(errors) => {
                        let _ = writeln!(text, "{name:width$}  (invalid: see below)");
                        diagnostics.extend(errors);
                    }
                }
            }
            out.stdout = text.into_bytes();
        }
        Some((name, task_path)) => {
            let mut task = serde_json::json!({"name": "example", "action": "job"});
            if let Some(path) = task_path {
                let (tasks, errors) = source::load(&[path], stdin);
                diagnostics.extend(errors);
                if let Some(file) = tasks.first() {
                    match spec::parse::parse(file) {
                        Ok(docs) => task = docs[0].value.clone(),
                        Err(e) => diagnostics.push(e),
                    }
                }
            }
            if diagnostics.is_empty() {
                match catalog.render(
                    &name,
                    profile::TemplateContext {
                        task: &task,
                        vars: &vars,
                    },
                ) {
                    Ok(mut text) => {
                        if !text.ends_with('\n') {
                            text.push('\n');
                        }
                        // Check it too: `show` is how people debug their profiles.
                        if let Err(errors) = catalog.load(
                            &name,
                            profile::TemplateContext {
                                task: &task,
                                vars: &vars,
                            },
                        ) {
                            diagnostics.extend(errors);
                        }
                        out.stdout = text.into_bytes();
                    }
                    Err(errors) => diagnostics.extend(errors),
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        out.stderr.push_str(&emit::report(
            &diagnostics,
            cli::Format::Human,
            color,
            false,
        ));
        out.code = EXIT_INVALID;
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn use_color(choice: Color, terminal: Terminal) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal.stderr_is_tty && !terminal.no_color,
    }
}

/// Everything the stages produced for a set of inputs.
#[derive(Debug, Default)]
pub struct PipelineResult {
    pub outputs: Vec<Output>,
    pub diagnostics: Vec<Diagnostic>,
    pub tasks: usize,
    pub files: usize,
}

/// Reports diagnostics; emits only if there is no error at all.
fn finish(
    result: PipelineResult,
    format: cli::Format,
    color: bool,
    emit: impl FnOnce(&[Output], &mut Outcome) -> Result<(), Diagnostic>,
    renders: bool,
) -> Outcome {
    let mut out = Outcome::default();
    let mut diagnostics = result.diagnostics;
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    if !has_errors && let Err(e) = emit(&result.outputs, &mut out) {
        diagnostics.push(e);
    }
    out.stderr.push_str(&emit::report(
        &diagnostics,
        format,
        color,
        has_errors && renders,
    ));
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        out.code = EXIT_INVALID;
    }
    out
}

/// Load, then parse → validate → resolve → render each file (in parallel; the result is
/// in input order whatever the thread count), then the checks across Tasks.
pub fn pipeline(input: &InputArgs, strict: bool, stdin: &mut dyn Read) -> PipelineResult {
    let (files, mut diagnostics) = source::load(&input.paths, stdin);
    let (profile_files, profile_errors) = source::load_profile_dirs(&input.profiles);
    diagnostics.extend(profile_errors);
    let catalog = profile::Catalog::new(&profile_files);
    let vars: BTreeMap<String, String> = input.set.iter().cloned().collect();
    let opts = resolve::Options {
        namespace: input.namespace.as_deref(),
        catalog: &catalog,
        vars: &vars,
        strict,
    };
    let threads = input.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        std::num::NonZero::get,
    );
    let per_file = par_map(&files, threads, |file| process_file(file, opts));
    let mut result = PipelineResult {
        files: files.len(),
        ..PipelineResult::default()
    };
    let mut ids = Vec::new();
    for (file_ids, outputs, diags, tasks) in per_file {
        ids.extend(file_ids);
        result.outputs.extend(outputs);
        diagnostics.extend(diags);
        result.tasks += tasks;
    }
    diagnostics.extend(collisions(&ids));
    // A broken profile is reported once, however many Tasks use it.
    let mut seen = std::collections::BTreeSet::new();
    diagnostics.retain(|d| {
        seen.insert((
            d.kind.to_string(),
            d.kind.code(),
            d.file.as_ref().map(|f| f.name.clone()),
            d.labels
                .iter()
                .map(|l| l.span.clone())
                .map(|r| (r.start, r.end))
                .collect::<Vec<_>>(),
        ))
    });
    result.diagnostics = diagnostics;
    result
}

/// What identifies a rendered Task across files: enough to detect collisions.
#[derive(Debug)]
struct TaskId {
    name: String,
    namespace: Option<String>,
    origin: Origin,
}

type FileResult = (Vec<TaskId>, Vec<Output>, Vec<Diagnostic>, usize);

fn process_file(file: &Arc<SourceFile>, opts: resolve::Options<'_>) -> FileResult {
    let documents = match spec::parse::parse(file) {
        Ok(d) => d,
        Err(e) => return (Vec::new(), Vec::new(), vec![e], 0),
    };
    let mut ids = Vec::new();
    let mut outputs = Vec::new();
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
        let errors = schema::validate(doc);
        if !errors.is_empty() {
            diagnostics.extend(errors);
            continue;
        }
        match resolve::resolve(doc, opts) {
            Ok(mut plan) => {
                diagnostics.append(&mut plan.warnings);
                match render::render(&plan) {
                    Ok(artifacts) => outputs.extend(artifacts.iter().map(emit::prepare)),
                    Err(errors) => diagnostics.extend(errors),
                }
                ids.push(TaskId {
                    name: plan.name,
                    namespace: plan.namespace,
                    origin: plan.origin,
                });
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    (ids, outputs, diagnostics, tasks)
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
                let mut text = emit::to_yaml(&Value::Object(map));
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
        let catalog = profile::Catalog::new(&[]);
        let vars = BTreeMap::new();
        let opts = resolve::Options {
            namespace: None,
            catalog: &catalog,
            vars: &vars,
            strict: true,
        };
        let (_, _, diagnostics, _) = process_file(&file, opts);
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
        let _ = emit::human_report(&diagnostics, false);
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
            assert_sound(&emit::to_yaml(&map));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            assert_sound(&text);
        }
    }

    #[test]
    fn no_input_from_a_terminal_is_a_usage_error() {
        use clap::Parser;
        let tty = Terminal {
            stdin_is_tty: true,
            ..Terminal::default()
        };
        let out = run(
            Cli::parse_from(["taskrender", "render"]),
            &mut std::io::empty(),
            tty,
        );
        assert_eq!(out.code, EXIT_USAGE);
        assert!(out.stderr.starts_with("error: no Task files given"));
        // a pipe, or named files, are fine
        let piped = run(
            Cli::parse_from(["taskrender", "check"]),
            &mut "name: a\naction: job\nfunction: {image: x}\n".as_bytes(),
            Terminal::default(),
        );
        assert_eq!(piped.code, EXIT_OK, "{}", piped.stderr);
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
