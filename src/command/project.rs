//! Environments of the project file: `--env NAME` / `--all-envs` → one pipeline request
//! and output folder per environment; `render` writes each.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cli::{InputArgs, ProjectArgs, RenderArgs};
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::emit;
use crate::outcome::{Outcome, Terminal};
use crate::pipeline::{self, Request};
use crate::project;
use crate::report;
use crate::source;

/// One environment, ready to run.
pub(crate) struct Env {
    pub(crate) name: String,
    pub(crate) request: Request,
    /// The environment's `output`, relative to the working directory.
    pub(crate) output: PathBuf,
}

/// The environments `project` selects, with the command line's options applied over each
/// (`--profiles` searched first, `--set` and `--namespace` win); or the diagnostic that
/// stops the run.
pub(crate) fn environments(
    args: &ProjectArgs,
    input: &InputArgs,
    stdin: &mut dyn Read,
) -> Result<Vec<Env>, Diagnostic> {
    let (files, mut errors) = source::load(std::slice::from_ref(&args.file), stdin);
    if !errors.is_empty() {
        return Err(errors.remove(0));
    }
    let Some(file) = files.first() else {
        return Err(Diagnostic::new(ErrorKind::Read {
            path: args.file.display().to_string(),
            reason: "not a file".into(),
        }));
    };
    let parsed = project::parse(file)?;
    let base = args.file.parent().unwrap_or(Path::new("")).to_path_buf();
    let names: Vec<&String> = match &args.env {
        Some(name) => {
            if !parsed.environments.contains_key(name) {
                let known: Vec<String> = parsed
                    .environments
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect();
                return Err(Diagnostic::new(ErrorKind::UnknownEnvironment {
                    name: name.clone(),
                    known: if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    },
                }));
            }
            vec![name]
        }
        None => parsed.environments.keys().collect(),
    };
    Ok(names
        .into_iter()
        .map(|name| {
            let env = &parsed.environments[name];
            let mut request = super::request(input, false);
            request.paths = env.tasks.iter().map(|t| base.join(t)).collect();
            request.profile_dirs = input
                .profiles
                .iter()
                .cloned()
                .chain(env.profiles.iter().map(|p| base.join(p)))
                .collect();
            request.vars = env.set.clone();
            request.vars.extend(input.set.iter().cloned());
            request.namespace = input.namespace.clone().or_else(|| env.namespace.clone());
            Env {
                name: name.clone(),
                request,
                output: base.join(&env.output),
            }
        })
        .collect())
}

/// `render --env NAME` / `--all-envs`: each environment into its output folder (`-o` wins
/// for one environment). Nothing is written for an environment with an error.
pub(crate) fn render(args: &RenderArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = terminal.color(args.input.color);
    let format = args.input.format.into();
    let envs = match environments(&args.project, &args.input, stdin) {
        Ok(envs) => envs,
        Err(d) => return failure(&d, format, color),
    };
    let mut total = Outcome::default();
    for env in envs {
        let dir = args.output.clone().unwrap_or(env.output);
        let result = pipeline::run(&env.request, stdin);
        let out = super::finish(
            result,
            format,
            color,
            |outputs, out| {
                let report = emit::write_files(&dir, &emit::files(outputs), args.prune)?;
                for path in report.pruned {
                    let _ = writeln!(out.stderr, "pruned {}", dir.join(path).display());
                }
                for (path, why) in report.kept {
                    let _ = writeln!(out.stderr, "not pruned {}: {why}", dir.join(path).display());
                }
                Ok(())
            },
            true,
        );
        total.stderr.push_str(&out.stderr);
        total.code = total.code.max(out.code);
    }
    total
}

/// A run stopped before any environment: the one diagnostic, exit 1.
pub(crate) fn failure(d: &Diagnostic, format: report::Format, color: bool) -> Outcome {
    Outcome {
        stderr: report::report(std::slice::from_ref(d), format, color, false),
        code: crate::outcome::EXIT_INVALID,
        ..Outcome::default()
    }
}
