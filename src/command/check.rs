//! `taskrender check`: every stage but emit, plus the `GitOps` lints (warnings); a one-line
//! summary when all is well. `--strict` makes warnings fail.

use std::fmt::Write as _;
use std::io::Read;

use crate::cli::{CheckArgs, Format};
use crate::diagnostic::Severity;
use crate::outcome::{EXIT_INVALID, EXIT_OK, Outcome, Terminal};
use crate::pipeline;

pub(crate) fn run(args: &CheckArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = terminal.color(args.input.color);
    let mut request = super::request(&args.input, args.strict);
    request.lint = true;
    let result = pipeline::run(&request, stdin);
    let (tasks, files) = (result.tasks, result.files);
    let warnings = result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let mut outcome = super::finish(
        result,
        args.input.format.into(),
        color,
        |_, _| Ok(()),
        false,
    );
    if outcome.code == EXIT_OK && args.strict && warnings > 0 {
        outcome.code = EXIT_INVALID;
        if args.input.format == Format::Human {
            let _ = writeln!(
                outcome.stderr,
                "error: `--strict` fails on {warnings} warning{}",
                super::plural(warnings)
            );
        }
    } else if outcome.code == EXIT_OK && args.input.format == Format::Human {
        let _ = writeln!(
            outcome.stderr,
            "ok: {tasks} Task{} in {files} file{}",
            super::plural(tasks),
            super::plural(files)
        );
    }
    outcome
}
