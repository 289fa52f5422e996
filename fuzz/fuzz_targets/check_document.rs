//! The whole pipeline on one document: `render -` (load, parse, schema, profile, resolve,
//! render, emit to stdout). A refusal must be a report, never a panic; an accepted
//! document renders the same output twice (rendering is deterministic).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let args = ["render", "--format", "json", "-"].map(std::ffi::OsStr::new);
    let first = common::run(&args, data).expect("a valid command line");
    if first.code == 0 {
        let again = common::run(&args, data).expect("a valid command line");
        assert_eq!(first.stdout, again.stdout, "render is not deterministic");
        assert!(!first.stdout.is_empty(), "accepted, but nothing rendered");
    }
});
