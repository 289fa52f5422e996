//! Profile templates with `--set` values. Input: NUL-separated parts: a profile (written as
//! `fz.yaml` in a `--profiles` folder), a Task (empty: a job using profile `fz`), then
//! `--set` values (`KEY=VALUE`).
#![no_main]

use std::ffi::OsStr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const DEFAULT_TASK: &[u8] =
    b"name: fz\naction: job\nprofile: fz\nfunction: {image: busybox:1.36}\n";

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d =
            std::env::temp_dir().join(format!("taskrender-fuzz-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let profile = parts.next().unwrap_or_default();
    let task = match parts.next() {
        Some(t) if !t.is_empty() => t,
        _ => DEFAULT_TASK,
    };
    let sets: Vec<String> = parts
        .take(8)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    std::fs::write(dir().join("fz.yaml"), profile).unwrap();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("render"),
        OsStr::new("--profiles"),
        dir().as_os_str(),
    ];
    for s in &sets {
        args.push(OsStr::new("--set"));
        args.push(OsStr::new(s.as_str()));
    }
    args.push(OsStr::new("-"));
    // clap may refuse a `--set` value (no `=`): that is a usage error, not a finding.
    let _ = common::run(&args, task);
});
