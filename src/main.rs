//! The `taskrender` binary: parse arguments, run, print, exit.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use taskrender::{Terminal, cli::Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let terminal = Terminal {
        stderr_is_tty: std::io::stderr().is_terminal(),
        stdout_is_tty: std::io::stdout().is_terminal(),
        stdin_is_tty: std::io::stdin().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let outcome = run(cli, &mut std::io::stdin().lock(), terminal);
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`taskrender render | head`) is not an error worth reporting.
    let _ = stdout
        .write_all(&outcome.stdout)
        .and_then(|()| stdout.flush());
    #[allow(clippy::print_stderr)]
    {
        eprint!("{}", outcome.stderr);
    }
    ExitCode::from(outcome.code)
}
