//! `taskrender check`: every stage but emit; a one-line summary when all is well.

use std::fmt::Write as _;
use std::io::Read;

use crate::cli::{CheckArgs, Format};
use crate::outcome::{EXIT_OK, Outcome, Terminal};
use crate::pipeline;

pub(crate) fn run(args: &CheckArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = terminal.color(args.input.color);
    let request = pipeline::Request {
        validate_only: true,
        ..super::request(&args.input, args.strict)
    };
    let result = pipeline::run(&request, stdin);
    let (tasks, files) = (result.tasks, result.files);
    let mut outcome = super::finish(
        result,
        args.input.format.into(),
        color,
        |_, _| Ok(()),
        false,
    );
    if outcome.code == EXIT_OK && args.input.format == Format::Human {
        let _ = writeln!(
            outcome.stderr,
            "ok: {tasks} Task{} in {files} file{}",
            super::plural(tasks),
            super::plural(files)
        );
    }
    outcome
}
