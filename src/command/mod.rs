//! One module per subcommand: each turns its clap arguments into a pipeline [`Request`],
//! runs it, and decides what to print.

pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod import;
pub(crate) mod misc;
pub(crate) mod profiles;
pub(crate) mod project;
pub(crate) mod render;

use crate::cli::{Format as CliFormat, InputArgs};
use crate::diagnostic::{Diagnostic, Severity};
use crate::outcome::{EXIT_INVALID, Outcome};
use crate::pipeline::{Rendered, Request};
use crate::render::Artifact;
use crate::report::{self, Format};

impl From<CliFormat> for Format {
    fn from(f: CliFormat) -> Self {
        match f {
            CliFormat::Human | CliFormat::Markdown => Self::Human,
            CliFormat::Json => Self::Json,
            CliFormat::Github => Self::Github,
        }
    }
}

/// The pipeline request of the input arguments every Task command shares.
fn request(input: &InputArgs, strict: bool) -> Request {
    Request {
        paths: input.paths.clone(),
        profile_dirs: input.profiles.clone(),
        vars: input.set.iter().cloned().collect(),
        namespace: input.namespace.clone(),
        threads: input.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            std::num::NonZero::get,
        ),
        strict,
        lint: false,
    }
}

/// Reports the diagnostics of a run; calls `emit` only if there is no error at all (so
/// invalid input never writes anything). `renders` adds "nothing was written" to a failure.
fn finish(
    result: Rendered,
    format: Format,
    color: bool,
    emit: impl FnOnce(&[Artifact], &mut Outcome) -> Result<(), Diagnostic>,
    renders: bool,
) -> Outcome {
    let mut out = Outcome::default();
    let mut diagnostics = result.diagnostics;
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    if !has_errors && let Err(e) = emit(&result.outputs, &mut out) {
        diagnostics.push(e);
    }
    out.stderr.push_str(&report::report(
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

/// `--env` / `--all-envs` take their Task paths from the project file; paths given too
/// would be ignored, so they are a usage error rather than silently dropped.
fn paths_beside_env(input: &InputArgs) -> Option<Outcome> {
    let only_default = input.paths.len() == 1 && input.paths[0].as_os_str() == "-";
    (!only_default).then(|| {
        Outcome::usage(
            "`--env` and `--all-envs` read the Task paths from the project file, not from the command line",
            Some("remove the paths, or drop `--env`/`--all-envs` to use the paths given"),
        )
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
