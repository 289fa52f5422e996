//! `-o DIR` output-tree handling: the manifest a previous run left (`.taskrender-manifest`,
//! taken from the input) and the files it names, then `render -o DIR --prune` and
//! `diff --against DIR`. Lines of the input are manifest lines; a line `L path` instead
//! makes `path` a symbolic link to a folder outside DIR. Whatever the manifest says,
//! taskrender never deletes or follows anything outside DIR, never deletes a file the
//! manifest does not name, and the rendered tree is complete afterwards.
#![no_main]

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const TASK: &str =
    "name: fz\naction: serve\nfunction: {image: busybox:1.36}\nservice_ports: [{port: 80}]\n";

fn root() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("taskrender-fuzz-out-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("task.yaml"), TASK).unwrap();
        d
    })
}

/// A relative path of plain names (what the fuzz input may create inside DIR).
fn plain(p: &str) -> Option<&Path> {
    let path = Path::new(p);
    (!p.is_empty()
        && p.len() < 200
        && !p.contains('\0')
        && path.components().all(|c| matches!(c, Component::Normal(_))))
    .then_some(path)
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    let out = root.join("out");
    let outside = root.join("outside");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&outside);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep"), "not taskrender's").unwrap();
    std::fs::write(out.join("unlisted.txt"), "not taskrender's").unwrap();

    let manifest = String::from_utf8_lossy(data);
    let mut made = 0;
    for line in manifest.lines() {
        if made >= 16 {
            break;
        }
        let (link, p) = match line.strip_prefix("L ") {
            Some(p) => (true, p),
            None => (false, line),
        };
        let Some(rel) = plain(p.trim_end_matches('/')) else {
            continue;
        };
        if rel == Path::new("unlisted.txt") {
            continue;
        }
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            if std::fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        made += 1;
        if link {
            let _ = std::os::unix::fs::symlink(&outside, &path);
        } else if !p.ends_with('/') {
            let _ = std::fs::write(&path, "kind: ConfigMap\n");
        }
    }
    let _ = std::fs::write(out.join(".taskrender-manifest"), data);

    let task = root.join("task.yaml");
    let args = [
        OsStr::new("render"),
        task.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--prune"),
    ];
    let rendered = common::run(&args, b"").expect("a valid command line");
    let args = [
        OsStr::new("diff"),
        task.as_os_str(),
        OsStr::new("--against"),
        out.as_os_str(),
    ];
    let diffed = common::run(&args, b"").expect("a valid command line");

    assert!(
        outside.join("keep").is_file(),
        "a file outside DIR was deleted"
    );
    let listed = manifest.lines().any(|l| l.trim() == "unlisted.txt");
    if !listed {
        assert!(
            out.join("unlisted.txt").is_file(),
            "a file the manifest does not name was deleted"
        );
    }
    if rendered.code == 0 {
        for f in [
            "fz/Deployment.yaml",
            "fz/Service.yaml",
            "kustomization.yaml",
            ".taskrender-manifest",
        ] {
            assert!(
                out.join(f).is_file(),
                "render -o succeeded without writing {f}"
            );
        }
        // Right after a successful render, the tree is what the Task renders.
        assert_eq!(diffed.code, 0, "diff after render: {}", diffed.stderr);
    }
});
