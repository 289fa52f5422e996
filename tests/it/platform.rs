//! The reference platform's Task specs as users publish them (`fixtures/platform-specs/`,
//! each headed by its source): every one passes `check` and renders. The rendered trees
//! go through the third-party referees in `scripts/referee-platform.sh`.
//! Also: one meaning, three resource shapes, one output; and `taskrender import`.

use std::path::{Path, PathBuf};

use crate::taskrender;

fn specs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/platform-specs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_platform_spec_checks_and_renders() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/platform-specs");
    let files = specs();
    assert!(files.len() >= 25, "{} platform specs", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        // One file at a time: the platform's examples reuse function names.
        let check = taskrender(&dir, &["check", "--profiles", "profiles", name], b"");
        if !check.status.success() {
            failures.push(format!(
                "check {name}:\n{}",
                String::from_utf8_lossy(&check.stderr)
            ));
            continue;
        }
        let out = tempfile::tempdir().unwrap();
        let target = out.path().display().to_string();
        let render = taskrender(
            &dir,
            &["render", "--profiles", "profiles", name, "-o", &target],
            b"",
        );
        if !render.status.success() {
            failures.push(format!(
                "render {name}:\n{}",
                String::from_utf8_lossy(&render.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn render_stdout(task: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["render", "-"], task.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn one_meaning_renders_the_same_in_every_resource_shape() {
    let head = "name: t\naction: job\nfunction: {image: busybox:1.36}\n";
    let kubernetes = render_stdout(&format!(
        "{head}resources:\n  requests: {{cpu: \"2\", memory: 4Gi, nvidia.com/gpu: \"1\"}}\n  limits: {{cpu: \"4\", nvidia.com/gpu: \"1\"}}\n"
    ));
    let per_resource = render_stdout(&format!(
        "{head}resources:\n  cpu: {{requests: \"2\", limits: \"4\"}}\n  mem: {{requests: 4Gi}}\n  gpu: {{limits: \"1\"}}\n"
    ));
    assert_eq!(kubernetes, per_resource);
    let k8s_requests = render_stdout(&format!(
        "{head}resources:\n  requests: {{cpu: \"2\", memory: 4Gi, nvidia.com/gpu: \"1\"}}\n  limits: {{nvidia.com/gpu: \"1\"}}\n"
    ));
    let scalar = render_stdout(&format!(
        "{head}resources: {{cpu: \"2\", mem: 4Gi, gpu: \"1\"}}\n"
    ));
    assert_eq!(k8s_requests, scalar);
    assert!(scalar.contains("nvidia.com/gpu"));
}

fn import(dir: &Path, files: &[&str]) -> (bool, String, String) {
    let mut args = vec!["import"];
    args.extend_from_slice(files);
    let out = taskrender(dir, &args, b"");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Golden cases of `import`: `fixtures/import/<case>/` holds the entity files, `expected`
/// (the Task stream) and `expected.stderr` when something is reported; every imported
/// stream must also render. Bless with `UPDATE_GOLDEN=1`.
#[test]
fn import_golden_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for case in cases {
        let mut inputs: Vec<String> = std::fs::read_dir(&case)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| {
                Path::new(n)
                    .extension()
                    .is_some_and(|e| e == "json" || e == "yaml")
            })
            .collect();
        inputs.sort();
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let (ok, stdout, stderr) = import(&case, &refs);
        let expected = case.join("expected");
        let expected_err = case.join("expected.stderr");
        if update {
            std::fs::write(&expected, &stdout).unwrap();
            if stderr.is_empty() {
                let _ = std::fs::remove_file(&expected_err);
            } else {
                std::fs::write(&expected_err, &stderr).unwrap();
            }
        }
        let name = case.display();
        assert_eq!(
            stdout,
            std::fs::read_to_string(&expected).unwrap_or_default(),
            "{name}"
        );
        assert_eq!(
            stderr,
            std::fs::read_to_string(&expected_err).unwrap_or_default(),
            "{name}"
        );
        let error_case = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("error-");
        assert_eq!(ok, !error_case, "{name}: {stderr}");
        if ok {
            let dir = tempfile::tempdir().unwrap();
            let render = taskrender(dir.path(), &["check", "-"], stdout.as_bytes());
            assert!(
                render.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&render.stderr)
            );
        }
    }
}

#[test]
fn explain_shows_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["explain", "resources"], b"");
    let text = String::from_utf8(out.stdout).unwrap();
    for shape in ["requests: {cpu", "mem: 64Gi, gpu", "cpu: {requests"] {
        assert!(text.contains(shape), "{shape} in:\n{text}");
    }
    let out = taskrender(dir.path(), &["explain", "secrets"], b"");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("proj-secrets-<project>") && text.contains("envFrom"),
        "{text}"
    );
}
