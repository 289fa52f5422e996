//! The `taskrender` binary: parse arguments, run, print, exit.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use taskrender::{Terminal, cli::Cli, run, streams};

fn main() -> ExitCode {
    let terminal = Terminal {
        stderr_is_tty: std::io::stderr().is_terminal(),
        stdout_is_tty: std::io::stdout().is_terminal(),
        stdin_is_tty: std::io::stdin().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let outcome = match Cli::try_parse() {
        Ok(cli) => run(cli, &mut std::io::stdin().lock(), terminal),
        // Usage errors, --help and --version: printed like any output (checked).
        Err(e) => streams::clap_outcome(&e, terminal),
    };
    ExitCode::from(streams::deliver(
        &outcome,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ))
}
