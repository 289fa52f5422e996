//! The last step of a run: its [`Outcome`] → the process's stdout and stderr. Every write
//! is checked. A reader that went away (a closed pipe, `taskrender render | head`) ends
//! the output quietly with the run's own status, as ripgrep does; any other failure (a
//! full disk, `/dev/full`) is an error naming the stream, exit 1.

use std::io::{self, Write};

use crate::outcome::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Outcome, Terminal};

/// Writes `outcome`'s stdout, then its stderr; returns the exit code.
pub fn deliver(outcome: &Outcome, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let mut code = outcome.code;
    let failed = |code: &mut u8| {
        if *code == EXIT_OK {
            *code = EXIT_INVALID;
        }
    };
    let stdout_error = match write_flushed(stdout, &outcome.stdout) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            failed(&mut code);
            Some(format!("error: cannot write to stdout: {e}\n"))
        }
        _ => None,
    };
    let written = write_flushed(stderr, outcome.stderr.as_bytes()).and_then(|()| {
        stdout_error
            .as_ref()
            .map_or(Ok(()), |m| write_flushed(stderr, m.as_bytes()))
    });
    if written.is_err_and(|e| e.kind() != io::ErrorKind::BrokenPipe) {
        // Nowhere left to say it: the status is the only report.
        failed(&mut code);
    }
    code
}

fn write_flushed(stream: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return stream.flush();
    }
    stream.write_all(bytes)?;
    stream.flush()
}

/// What clap has to say when it does not parse the command line (a usage error, or
/// `--help` and `--version`), as an outcome, so that it is delivered like any other.
pub fn clap_outcome(error: &clap::Error, terminal: Terminal) -> Outcome {
    let to_stderr = error.use_stderr();
    let tty = if to_stderr {
        terminal.stderr_is_tty
    } else {
        terminal.stdout_is_tty
    };
    let styled = error.render();
    let text = if tty && !terminal.no_color {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let code = u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE);
    if to_stderr {
        Outcome {
            stderr: text,
            code,
            ..Outcome::default()
        }
    } else {
        Outcome {
            stdout: text.into_bytes(),
            code,
            ..Outcome::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that fails every write with `kind`.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn outcome(code: u8) -> Outcome {
        Outcome {
            stdout: b"---\nkind: Job\n".to_vec(),
            stderr: "warning: x\n".into(),
            code,
        }
    }

    #[test]
    fn a_failed_stdout_is_an_error_on_stderr() {
        let mut err = Vec::new();
        let code = deliver(
            &outcome(EXIT_OK),
            &mut Failing(io::ErrorKind::StorageFull),
            &mut err,
        );
        assert_eq!(code, EXIT_INVALID);
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with("warning: x\nerror: cannot write to stdout: "),
            "{err}"
        );
    }

    #[test]
    fn a_closed_pipe_ends_quietly_with_the_runs_status() {
        for code in [EXIT_OK, EXIT_INVALID] {
            let mut err = Vec::new();
            let got = deliver(
                &outcome(code),
                &mut Failing(io::ErrorKind::BrokenPipe),
                &mut err,
            );
            assert_eq!(got, code);
            assert_eq!(err, b"warning: x\n");
            let mut out = Vec::new();
            let got = deliver(
                &outcome(code),
                &mut out,
                &mut Failing(io::ErrorKind::BrokenPipe),
            );
            assert_eq!(got, code);
        }
    }

    #[test]
    fn a_failed_stderr_fails_the_run() {
        let mut out = Vec::new();
        let code = deliver(
            &outcome(EXIT_OK),
            &mut out,
            &mut Failing(io::ErrorKind::StorageFull),
        );
        assert_eq!(code, EXIT_INVALID);
        assert_eq!(out, b"---\nkind: Job\n");
        // a usage error keeps its own status
        assert_eq!(
            deliver(
                &outcome(EXIT_USAGE),
                &mut Vec::new(),
                &mut Failing(io::ErrorKind::StorageFull)
            ),
            EXIT_USAGE
        );
    }
}
