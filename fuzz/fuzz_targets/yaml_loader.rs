//! The YAML loader: any bytes as a Task file on stdin (`check -`), with every diagnostic
//! format (each computes lines and columns and quotes the source).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    for format in ["human", "json", "github"] {
        let args = ["check", "--format", format, "-"].map(std::ffi::OsStr::new);
        let outcome = common::run(&args, data).expect("a valid command line");
        if format == "json" {
            // One JSON object per line.
            for line in outcome.stderr.lines() {
                serde_json_line(line);
            }
        }
    }
});

/// Every `--format json` line is one JSON object.
fn serde_json_line(line: &str) {
    let t = line.trim();
    assert!(
        t.starts_with('{') && t.ends_with('}'),
        "not a JSON object line: {line:?}"
    );
}
