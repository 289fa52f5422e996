//! Command-line behaviour that cannot be a command fixture (`fixtures/commands/`, see
//! `commands.rs`): file-system conditions git cannot hold (an empty folder, a sparse 100 MB
//! file, a dangling symlink, no permission), outputs equal to another checked-in file,
//! determinism across thread counts, properties across runs, and the CI recipe in a scratch
//! git repository. Every run is compared whole with [`Expect`].

use std::path::Path;

use crate::golden::diff;
use crate::taskrender;

const JOB: &str = "name: NAME\naction: job\nfunction: {image: busybox:1.36}\n";

fn job(name: &str) -> String {
    JOB.replace("NAME", name)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// One run of the binary, compared whole: stdout and stderr default to empty and the exit
/// code to 0, and all three are always checked.
#[must_use]
struct Expect {
    args: Vec<String>,
    stdout: Vec<u8>,
    stderr: String,
    code: i32,
}

impl Expect {
    fn new(args: &[&str]) -> Self {
        Self {
            args: args.iter().map(|&a| a.to_owned()).collect(),
            stdout: Vec::new(),
            stderr: String::new(),
            code: 0,
        }
    }

    fn stdout(mut self, stdout: impl Into<Vec<u8>>) -> Self {
        self.stdout = stdout.into();
        self
    }

    fn stderr(mut self, stderr: &str) -> Self {
        stderr.clone_into(&mut self.stderr);
        self
    }

    fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    /// Runs in `dir` and panics with every difference; returns stdout.
    #[track_caller]
    fn run(self, dir: &Path) -> Vec<u8> {
        let argv: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let out = taskrender(dir, &argv, b"");
        let mut problems = Vec::new();
        if out.status.code() != Some(self.code) {
            problems.push(format!(
                "exit {:?}, expected {}",
                out.status.code(),
                self.code
            ));
        }
        if out.stdout != self.stdout {
            problems.push(diff("stdout", &self.stdout, &out.stdout));
        }
        if out.stderr != self.stderr.as_bytes() {
            problems.push(diff("stderr", self.stderr.as_bytes(), &out.stderr));
        }
        assert!(
            problems.is_empty(),
            "taskrender {}\n{}",
            self.args.join(" "),
            problems.join("\n")
        );
        out.stdout
    }
}

#[test]
fn empty_directory_and_missing_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    Expect::new(&["check", "empty", "missing.yaml"])
        .stderr(
            "io::no_task_files\n\n  × no Task files (`*.yaml`, `*.yml`) in directory `empty`\n\n\
             io::read\n\n  × cannot read `missing.yaml`: no such file or directory\n\n\
             error: 2 errors\n",
        )
        .code(1)
        .run(dir.path());
}

#[test]
fn oversized_input_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap(); // sparse: 100 MB of NULs
    Expect::new(&["check", "huge.yaml"])
        .stderr(
            "io::too_large\n\n  × `huge.yaml` is larger than 8 MiB, the largest Task file \
             accepted\n\nerror: 1 error\n",
        )
        .code(1)
        .run(dir.path());
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported() {
    // A dangling symlink cannot be read, even by root (CI runs as root, where file
    // permissions would not stop a read).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tasks/good.yaml",
        &format!("{}run_as_user: 1000\n", job("good")),
    );
    std::os::unix::fs::symlink("missing-target.yaml", dir.path().join("tasks/broken.yaml"))
        .unwrap();
    Expect::new(&["check", "tasks"])
        .stderr(
            "io::read\n\n  × cannot read `tasks/broken.yaml`: no such file or directory\n\n\
             error: 1 error\n",
        )
        .code(1)
        .run(dir.path());
}

#[cfg(unix)]
#[test]
fn permission_denied_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "secret.yaml",
        &format!("{}run_as_user: 1000\n", job("s")),
    );
    std::fs::set_permissions(
        dir.path().join("secret.yaml"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let check = Expect::new(&["check", "secret.yaml"]);
    if std::fs::read(dir.path().join("secret.yaml")).is_ok() {
        // Root reads it anyway: then it must simply be checked.
        check.stderr("ok: 1 Task in 1 file\n").run(dir.path());
    } else {
        check
            .stderr(
                "io::read\n\n  × cannot read `secret.yaml`: permission denied\n\n\
                 error: 1 error\n",
            )
            .code(1)
            .run(dir.path());
    }
}

#[test]
fn output_directory_is_written_and_foreign_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", &job("web"));
    write(dir.path(), "out/README.md", "mine");
    let out = taskrender(dir.path(), &["render", "t.yaml", "-o", "out"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let job_file = std::fs::read_to_string(dir.path().join("out/web/Job.yaml")).unwrap();
    assert!(job_file.starts_with("---\napiVersion: batch/v1\nkind: Job\nmetadata:\n"));
    let kustomization = std::fs::read_to_string(dir.path().join("out/kustomization.yaml")).unwrap();
    assert!(
        kustomization.ends_with("resources:\n- web/Job.yaml\n"),
        "{kustomization}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/README.md")).unwrap(),
        "mine"
    );
    // no temporary files are left behind
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out/web"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["Job.yaml"]);
}

/// Runs a command that must succeed with exactly `stderr`; returns its stdout.
#[track_caller]
fn stdout_of(dir: &Path, args: &[&str], expected_stderr: &str) -> String {
    let out = taskrender(dir, args, b"");
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), expected_stderr),
        "taskrender {}",
        args.join(" ")
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn schema_commands_print_the_checked_in_schemas() {
    // Compared with `schemas/` itself (kept fresh by `generate`), not with a copy.
    let dir = tempfile::tempdir().unwrap();
    for kind in ["task", "profile"] {
        let file = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{kind}.schema.json")),
        )
        .unwrap();
        let stdout = Expect::new(&["schema", kind]).stdout(file).run(dir.path());
        let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(
            stdout_of(dir.path(), &["completions", shell], "").contains("render"),
            "{shell}"
        );
    }
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let extra = if i % 3 == 0 {
            "volumes: [{volume_type: persistent_volume_claim, name: d, mount_path: /d, spec: {size: 1Gi}}]\n"
        } else {
            ""
        };
        write(
            dir.path(),
            &format!("tasks/t{i:04}.yaml"),
            &format!("{}{extra}", job(&format!("task-{i}"))),
        );
    }
    let one = stdout_of(dir.path(), &["render", "tasks", "-j", "1"], "");
    assert!(one.contains("name: task-299\n"));
    Expect::new(&["render", "tasks", "-j", "4"])
        .stdout(one.clone())
        .run(dir.path());
    Expect::new(&["render", "tasks"])
        .stdout(one)
        .run(dir.path());
}

const BUILD: &str = "name: img\naction: build\nbase_image: python:3.12-slim\ninstructions: [\"apt-get update && apt-get install -y git\"]\n";

#[test]
fn default_image_tag_follows_the_dockerfile() {
    // A property across runs; the whole output of one run is the command fixture
    // `render-build-leaves-the-dockerfile-off-stdout`.
    const NOTE: &str = "note: the Dockerfile of build Task `img` is not on stdout (it carries \
        Kubernetes objects only): use `-o DIR` to write it, or `--dockerfile` to print it\n";
    let dir = tempfile::tempdir().unwrap();
    let destination = |task: &str| {
        write(dir.path(), "b.yaml", task);
        stdout_of(dir.path(), &["render", "b.yaml"], NOTE)
            .lines()
            .find_map(|l| l.trim().strip_prefix("- --destination="))
            .unwrap()
            .to_owned()
    };
    let first = destination(BUILD);
    assert_eq!(first, destination(BUILD), "same Dockerfile, same tag");
    let (repo, tag) = first.split_once(':').unwrap();
    assert_eq!(repo, "img");
    assert!(
        tag.len() == 12 && tag.chars().all(|c| c.is_ascii_hexdigit()),
        "{tag}"
    );
    let changed = destination(&BUILD.replace("git", "curl"));
    assert_ne!(first, changed, "another Dockerfile, another tag");
    let with_project = destination(&format!("project: shop\n{BUILD}"));
    assert!(with_project.starts_with("shop-img:"), "{with_project}");
}

fn serve(name: &str, port: u16) -> String {
    format!(
        "name: {name}\naction: serve\nfunction: {{image: nginx:1.27}}\nservice_ports: [{{port: {port}}}]\n"
    )
}

#[test]
fn prune_deletes_only_files_taskrender_wrote() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tasks/a.yaml", &job("a"));
    write(dir.path(), "tasks/b.yaml", &job("b"));
    assert_eq!(
        taskrender(dir.path(), &["render", "tasks", "-o", "out"], b"")
            .status
            .code(),
        Some(0)
    );
    // Foreign files, including one where a rendered file could be.
    write(dir.path(), "out/README.md", "mine");
    write(dir.path(), "out/b/notes.txt", "mine too");
    write(dir.path(), "out/c/Job.yaml", "not written by taskrender");
    std::fs::remove_file(dir.path().join("tasks/b.yaml")).unwrap();

    // Without --prune the stale file stays (and stays owned).
    assert_eq!(
        taskrender(dir.path(), &["render", "tasks", "-o", "out"], b"")
            .status
            .code(),
        Some(0)
    );
    assert!(dir.path().join("out/b/Job.yaml").exists());
    let manifest = || std::fs::read_to_string(dir.path().join("out/.taskrender-manifest")).unwrap();
    assert!(
        manifest().ends_with("\na/Job.yaml\nb/Job.yaml\nkustomization.yaml\n"),
        "{}",
        manifest()
    );

    let out = taskrender(
        dir.path(),
        &["render", "tasks", "-o", "out", "--prune"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "pruned b/Job.yaml\n");
    assert!(!dir.path().join("out/b/Job.yaml").exists());
    for foreign in ["out/README.md", "out/b/notes.txt", "out/c/Job.yaml"] {
        assert!(dir.path().join(foreign).exists(), "{foreign} must survive");
    }
    assert!(
        manifest().ends_with("\na/Job.yaml\nkustomization.yaml\n"),
        "{}",
        manifest()
    );
}

/// Without `--prune`, a stale manifest entry stays listed only while it is a file: one
/// that is gone, or that a folder took the place of, leaves the manifest.
#[test]
fn a_stale_entry_that_is_no_file_leaves_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c", "d"] {
        write(dir.path(), &format!("tasks/{name}.yaml"), &job(name));
    }
    let render = || taskrender(dir.path(), &["render", "tasks", "-o", "out"], b"");
    assert_eq!(render().status.code(), Some(0));
    for name in ["b", "c", "d"] {
        std::fs::remove_file(dir.path().join(format!("tasks/{name}.yaml"))).unwrap();
    }
    std::fs::remove_file(dir.path().join("out/b/Job.yaml")).unwrap();
    std::fs::remove_file(dir.path().join("out/c/Job.yaml")).unwrap();
    std::fs::create_dir(dir.path().join("out/c/Job.yaml")).unwrap();
    let out = render();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/.taskrender-manifest")).unwrap(),
        "# Files written by `taskrender render -o`; `--prune` deletes those it no longer renders.\n\
         a/Job.yaml\nd/Job.yaml\nkustomization.yaml\n"
    );
}

#[test]
fn manifest_paths_cannot_escape_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", &job("a"));
    write(dir.path(), "precious.txt", "keep");
    write(
        dir.path(),
        "out/.taskrender-manifest",
        "../precious.txt\n/etc/passwd\na//b\n",
    );
    let out = taskrender(
        dir.path(),
        &["render", "t.yaml", "-o", "out", "--prune"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("precious.txt").exists());
}

/// The README's CI recipe, as written, in a scratch git repository.
#[test]
fn ci_recipe_fails_on_a_stale_output_and_passes_after_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    if git(&["init", "-q"]).status.code() != Some(0) {
        return; // no git on this machine
    }
    git(&["config", "user.email", "ci@example.com"]);
    git(&["config", "user.name", "ci"]);
    write(dir.path(), "tasks/web.yaml", &serve("web", 80));
    let render = || Expect::new(&["render", "tasks/", "-o", "deploy/", "--prune"]);
    let diff = || Expect::new(&["diff", "tasks/", "--against", "deploy/"]);
    Expect::new(&["render", "tasks/", "-o", "deploy/"]).run(dir.path());
    git(&["add", "-A"]);
    git(&["commit", "-qm", "render"]);

    // Someone edits a Task but forgets to re-render.
    write(dir.path(), "tasks/web.yaml", &serve("web", 8080));
    diff()
        .stdout(
            "~ changed Deployment/web (web/Deployment.yaml)
~ changed Service/web (web/Service.yaml)

--- a/web/Deployment.yaml
+++ b/web/Deployment.yaml
@@ -24,7 +24,7 @@
       - name: web
         image: nginx:1.27
         ports:
-        - containerPort: 80
+        - containerPort: 8080
           protocol: TCP
         resources:
           requests:
--- a/web/Service.yaml
+++ b/web/Service.yaml
@@ -9,10 +9,10 @@
   name: web
 spec:
   ports:
-  - name: port-80
-    port: 80
+  - name: port-8080
+    port: 8080
     protocol: TCP
-    targetPort: 80
+    targetPort: 8080
   selector:
     app.kubernetes.io/name: web
   type: ClusterIP
",
        )
        .code(1)
        .run(dir.path());
    render().run(dir.path());
    assert_eq!(
        git(&["diff", "--exit-code", "--quiet"]).status.code(),
        Some(1),
        "the re-render shows as a change"
    );
    git(&["commit", "-qam", "re-render"]);
    diff()
        .stderr("no drift: `deploy/` matches the Tasks\n")
        .run(dir.path());
    render().run(dir.path());
    assert_eq!(
        git(&["status", "--porcelain"]).stdout,
        b"",
        "rendering again changes nothing"
    );
}

#[test]
fn usage_errors_are_clear_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &job("one"));
    let out = taskrender(dir.path(), &["render", "a.yaml", "-j", "0"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("at least 1 worker thread is needed"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("non-zero type"));

    let out = taskrender(dir.path(), &["profiles", "show", "nope"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown profile `nope`"));
}

#[test]
fn output_folder_that_is_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &job("one"));
    write(dir.path(), "out", "not a folder\n");
    let out = taskrender(dir.path(), &["render", "a.yaml", "-o", "out"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot write `out`: it is a file, and `-o` takes a folder"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out")).unwrap(),
        "not a folder\n"
    );
}

#[test]
fn cr_only_line_endings_give_one_place_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cr.yaml",
        "name: t\raction: job\rfunction: {image: busybox}\rfs_group: -1\r",
    );
    let human = taskrender(dir.path(), &["check", "cr.yaml"], b"");
    assert!(
        stderr(&human).contains("[cr.yaml:4:11]"),
        "{}",
        stderr(&human)
    );
    let json = taskrender(dir.path(), &["check", "cr.yaml", "--format", "json"], b"");
    assert!(
        stderr(&json).contains("\"line\":4,\"column\":11"),
        "{}",
        stderr(&json)
    );
    let github = taskrender(dir.path(), &["check", "cr.yaml", "--format", "github"], b"");
    assert!(
        stderr(&github).contains("line=4,col=11"),
        "{}",
        stderr(&github)
    );
}
