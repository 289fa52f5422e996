//! `taskrender render`: the whole pipeline, to stdout or `-o DIR`.

use std::fmt::Write as _;
use std::io::Read;

use crate::cli::{Format, RenderArgs};
use crate::outcome::{Outcome, Terminal};
use crate::{emit, pipeline};

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
    let result = pipeline::run(&super::request(&args.input, false), stdin);
    super::finish(
        result,
        args.input.format.into(),
        color,
        |outputs, out| match &args.output {
            None => {
                out.stdout = emit::stream(outputs, args.dockerfile).into_bytes();
                if !args.dockerfile && args.input.format == Format::Human {
                    out.stderr.push_str(&emit::dockerfile_note(outputs));
                }
                Ok(())
            }
            Some(dir) => {
                let report = emit::write_files(dir, &emit::files(outputs), args.prune)?;
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
