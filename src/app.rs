//! Dispatch: one command line ([`Cli`]) → the command that runs it → [`Outcome`], what to
//! print and how to exit. The only module that reads clap's types besides `command/`.

use std::io::Read;

use crate::cli::{Cli, Color, Command, Format};
use crate::command;
use crate::report;

/// Exit codes: 0 ok, 1 invalid input (or drift, for `diff`), 2 usage.
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

impl Outcome {
    /// A usage error: `message` and `help` on stderr, exit 2.
    pub(crate) fn usage(message: &str, help: Option<&str>) -> Self {
        let mut stderr = format!("error: {message}\n");
        if let Some(help) = help {
            stderr.push_str("help: ");
            stderr.push_str(help);
            stderr.push('\n');
        }
        Self {
            stderr,
            code: EXIT_USAGE,
            ..Self::default()
        }
    }
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

impl Terminal {
    /// Whether to colour text for stderr.
    pub(crate) fn color(self, choice: Color) -> bool {
        match choice {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => self.stderr_is_tty && !self.no_color,
        }
    }

    /// Whether to colour text for stdout (`diff`).
    pub(crate) fn stdout_color(self, choice: Color) -> bool {
        Terminal {
            stderr_is_tty: self.stdout_is_tty,
            ..self
        }
        .color(choice)
    }
}

impl From<Format> for report::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Human => Self::Human,
            Format::Json => Self::Json,
            Format::Github => Self::Github,
        }
    }
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
        return Outcome::usage(
            "no Task files given, and standard input is a terminal",
            Some(
                "name files or folders (`taskrender render tasks/`), or pipe Tasks in (`cat t.yaml | taskrender render -`)",
            ),
        );
    }
    match cli.command {
        Command::Render(args) => command::render::run(&args, stdin, terminal),
        Command::Diff(args) => command::diff::run(&args, stdin, terminal),
        Command::Check(args) => command::check::run(&args, stdin, terminal),
        Command::Profiles { command } => command::profiles::run(command, stdin, terminal),
        Command::Explain { field } => command::explain::run(&field),
        Command::Schema { kind } => command::misc::schema(kind),
        Command::Man => command::misc::man(),
        Command::Completions { shell } => command::misc::completions(shell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
