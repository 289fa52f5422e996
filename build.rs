//! Records the target triple for `taskrender version --format json`; the commit comes from
//! `TASKRENDER_COMMIT` when the release build sets it.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=TASKRENDER_TARGET={target}");
    println!("cargo:rerun-if-env-changed=TASKRENDER_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
}
