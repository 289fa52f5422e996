//! What a run hands back to `main`: the bytes for stdout, the text for stderr and the exit
//! code ([`Outcome`]), and the facts about the terminal that output depends on ([`Terminal`]).

use crate::cli::Color;

/// Exit codes: 0 ok, 1 invalid input (or drift, for `diff`), 2 usage.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// What a run prints, and how it exits.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The start of stdout; a large rendered stream continues in `spool`. Only
    /// [`crate::streams::deliver`] writes all of it.
    pub stdout: Vec<u8>,
    /// More bytes for stdout, after `stdout`: a large rendered stream, spooled.
    pub(crate) spool: Option<crate::spool::Spool>,
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
