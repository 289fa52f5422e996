//! The `taskrender` binary: parse arguments, run, print, exit.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use taskrender::{Terminal, cli::Cli, run, streams};

/// mimalloc instead of the C library's allocator: a render allocates and frees small
/// values all the time (a quarter of its instructions went to glibc's malloc and free),
/// and the release binaries link musl statically, whose allocator is slower still. Built
/// without asking for transparent huge pages (Cargo.toml): they doubled a small run's memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
