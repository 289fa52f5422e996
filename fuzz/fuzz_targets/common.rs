//! Shared by the fuzz targets: one command line through the library's public entry point,
//! as `src/main.rs` runs it, with no terminal.

use clap::Parser;
use taskrender::{Cli, Outcome, Terminal};

pub const NO_TERMINAL: Terminal = Terminal {
    stderr_is_tty: false,
    stdout_is_tty: false,
    stdin_is_tty: false,
    no_color: true,
};

/// Runs `taskrender ARGS` with `stdin`; `None` when clap refuses the command line.
pub fn run(args: &[&std::ffi::OsStr], stdin: &[u8]) -> Option<Outcome> {
    let cli = Cli::try_parse_from(
        std::iter::once(std::ffi::OsStr::new("taskrender")).chain(args.iter().copied()),
    )
    .ok()?;
    let outcome = taskrender::run(cli, &mut &stdin[..], NO_TERMINAL);
    // Exit statuses are 0 (fine), 1 (invalid Tasks or I/O) and 2 (usage): never anything else.
    assert!(
        outcome.code <= 2,
        "exit status {}: {}",
        outcome.code,
        outcome.stderr
    );
    Some(outcome)
}
