//! One integration-test binary (one link step on a 2-core machine): golden fixtures and
//! command-line behaviour.
#![allow(clippy::unwrap_used, clippy::similar_names)] // test code: a panic is a failure report

mod architecture;
mod argocd;
mod cli;
mod commands;
mod diff_report;
mod docs;
mod envs;
mod golden;
mod platform;
mod safety;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built binary in `dir` with `args`, standard input from `stdin`.
pub fn taskrender(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_taskrender"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn taskrender");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}
