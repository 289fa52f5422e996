//! Dispatch: one command line ([`Cli`]) → the command that runs it → [`Outcome`], what to
//! print and how to exit. Only this module and `command/` read clap's types.

use std::io::Read;

use crate::cli::{Cli, Command, Format};
use crate::command;
use crate::outcome::{Outcome, Terminal};

/// Runs one command line.
pub fn run(cli: Cli, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let input = match &cli.command {
        Command::Render(a) if !a.project.active() => Some(&a.input),
        Command::Diff(a) if !a.project.active() => Some(&a.input),
        Command::Check(a) => Some(&a.input),
        _ => None,
    };
    // Reading Tasks from a terminal would only wait for typing that never comes.
    if terminal.stdin_is_tty && input.is_some_and(|i| i.paths.iter().any(|p| p.as_os_str() == "-"))
    {
        return Outcome::usage(
            "no Task files given, and standard input is a terminal",
            Some(
                "name files or folders (`taskrender render tasks/`), or pipe Tasks in (`cat t.yaml | taskrender render -`)",
            ),
        );
    }
    let format = match &cli.command {
        Command::Render(a) => Some(a.input.format),
        Command::Check(a) => Some(a.input.format),
        _ => None,
    };
    if format == Some(Format::Markdown) {
        return Outcome::usage(
            "`--format markdown` is a report of `diff`",
            Some("use `--format human`, `json` or `github` for diagnostics"),
        );
    }
    match cli.command {
        Command::Render(args) => command::render::run(&args, stdin, terminal),
        Command::Diff(args) => command::diff::run(&args, stdin, terminal),
        Command::Check(args) => command::check::run(&args, stdin, terminal),
        Command::Profiles { command } => command::profiles::run(command, stdin, terminal),
        Command::Explain { field } => command::explain::run(&field),
        Command::Schema { kind } => command::misc::schema(kind),
        Command::Import {
            paths,
            output,
            force,
        } => command::import::run(&paths, output.as_deref(), force, stdin, terminal),
        Command::Man { path } => command::misc::man(&path),
        Command::Version { format } => command::misc::version(format),
        Command::Completions { shell } => command::misc::completions(shell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{EXIT_OK, EXIT_USAGE};
    use clap::Parser;

    #[test]
    fn no_input_from_a_terminal_is_a_usage_error() {
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
        assert_eq!(
            out.stderr,
            "error: no Task files given, and standard input is a terminal\n\
             help: name files or folders (`taskrender render tasks/`), or pipe Tasks in (`cat t.yaml | taskrender render -`)\n"
        );
        // a pipe, or named files, are fine
        let piped = run(
            Cli::parse_from(["taskrender", "check"]),
            &mut "name: a\naction: job\nfunction: {image: x}\n".as_bytes(),
            Terminal::default(),
        );
        assert_eq!(piped.code, EXIT_OK, "{}", piped.stderr);
    }
}
