//! Shared by the fuzz targets: one command line through the library's public entry point,
//! as `src/main.rs` runs it, with no terminal.

use clap::Parser;
use taskrender::{Cli, Terminal};

pub const NO_TERMINAL: Terminal = Terminal {
    stderr_is_tty: false,
    stdout_is_tty: false,
    stdin_is_tty: false,
    no_color: true,
};

/// What a run printed, as the binary prints it (`streams::deliver`: a large rendered
/// stream is spooled, and only delivery puts all of it on stdout). Each target reads the
/// fields it checks.
#[allow(dead_code)]
pub struct Ran {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: u8,
}

/// Runs `taskrender ARGS` with `stdin`; `None` when clap refuses the command line.
pub fn run(args: &[&std::ffi::OsStr], stdin: &[u8]) -> Option<Ran> {
    let cli = Cli::try_parse_from(
        std::iter::once(std::ffi::OsStr::new("taskrender")).chain(args.iter().copied()),
    )
    .ok()?;
    let outcome = taskrender::run(cli, &mut &stdin[..], NO_TERMINAL);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = taskrender::streams::deliver(&outcome, &mut stdout, &mut stderr);
    let stderr = String::from_utf8(stderr).expect("stderr is UTF-8");
    // Exit statuses are 0 (fine), 1 (invalid Tasks or I/O) and 2 (usage): never anything else.
    assert!(code <= 2, "exit status {code}: {stderr}");
    Some(Ran {
        stdout,
        stderr,
        code,
    })
}
