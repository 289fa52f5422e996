//! Command-line behaviour beyond the golden fixtures: inputs (directories, stdin, limits),
//! exit codes, output modes and determinism across thread counts.

use std::path::Path;

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

#[test]
fn stdout_is_a_multi_document_stream() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        &format!("{}---\n{}", job("one"), job("two")),
    );
    let out = taskrender(dir.path(), &["render", "a.yaml"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("\n---\n").count() + usize::from(text.starts_with("---\n")),
        2
    );
    assert!(text.contains("name: one") && text.contains("name: two"));
    assert!(out.stderr.is_empty());
}

#[test]
fn stdin_is_read_for_dash() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["render", "-"], job("piped").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("name: piped")
    );
    // no path at all also means stdin
    let out = taskrender(dir.path(), &["check"], job("piped").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // errors in stdin name `<stdin>`
    let out = taskrender(dir.path(), &["check", "-"], b"name: x\naction: jbo\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("<stdin>:2:9"), "{}", stderr(&out));
}

#[test]
fn directories_are_walked_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tasks/b.yaml", &job("b"));
    write(dir.path(), "tasks/a/z.yml", &job("az"));
    write(dir.path(), "tasks/c.yaml", &job("c"));
    write(dir.path(), "tasks/.hidden.yaml", "not: [valid");
    write(dir.path(), "tasks/notes.txt", "ignored");
    let out = taskrender(dir.path(), &["render", "tasks"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let order: Vec<usize> = ["name: az", "name: b\n", "name: c\n"]
        .iter()
        .map(|n| text.find(n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn empty_directory_and_missing_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let out = taskrender(dir.path(), &["check", "empty", "missing.yaml"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("io::no_task_files"), "{err}");
    assert!(
        err.contains("cannot read `missing.yaml`: no such file or directory"),
        "{err}"
    );
    assert!(err.ends_with("error: 2 errors\n"), "{err}");
}

#[test]
fn oversized_input_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap(); // sparse: 100 MB of NULs
    let out = taskrender(dir.path(), &["check", "huge.yaml"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`huge.yaml` is larger than 8 MiB"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported() {
    // A dangling symlink cannot be read, even by root (CI runs as root, where file
    // permissions would not stop a read).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tasks/good.yaml", &job("good"));
    std::os::unix::fs::symlink("missing-target.yaml", dir.path().join("tasks/broken.yaml"))
        .unwrap();
    let out = taskrender(dir.path(), &["check", "tasks"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read `tasks/broken.yaml`: no such file or directory"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn permission_denied_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secret.yaml", &job("s"));
    std::fs::set_permissions(
        dir.path().join("secret.yaml"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let out = taskrender(dir.path(), &["check", "secret.yaml"], b"");
    if std::fs::read(dir.path().join("secret.yaml")).is_ok() {
        // Root reads it anyway: then it must simply be checked.
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    } else {
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("permission denied"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn errors_of_all_files_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        "name: a\naction: job\nfunction: {image: x}\nreplica: 1\n",
    );
    write(dir.path(), "b.yaml", &job("fine"));
    write(
        dir.path(),
        "c.yaml",
        "name: c\naction: job\nfunction: {image: x}\nenvs: [{name: A, value: 1}]\n",
    );
    let out = taskrender(
        dir.path(),
        &["render", "a.yaml", "b.yaml", "c.yaml", "-o", "out"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("a.yaml:4:1") && err.contains("c.yaml:4:25"),
        "{err}"
    );
    assert!(
        err.ends_with("error: 2 errors in 2 files; nothing was written\n"),
        "{err}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing may be written when any input is invalid"
    );
    assert!(out.stdout.is_empty());
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

#[test]
fn check_validates_without_output() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!("{}---\n{}", job("x"), job("y")),
    );
    let out = taskrender(dir.path(), &["check", "t.yaml"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out), "ok: 2 Tasks in 1 file\n");
}

#[test]
fn namespace_flag_overrides_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!("{}namespace: dev\n", job("x")),
    );
    let out = taskrender(
        dir.path(),
        &["render", "t.yaml", "--namespace", "prod"],
        b"",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("namespace: prod") && !text.contains("namespace: dev"));
    let out = taskrender(
        dir.path(),
        &["render", "t.yaml", "--namespace", "Prod_1"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        taskrender(dir.path(), &["render", "--bogus"], b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        taskrender(dir.path(), &["frobnicate"], b"").status.code(),
        Some(2)
    );
}

#[test]
fn schema_command_prints_the_checked_in_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["schema", "task"], b"");
    assert_eq!(out.status.code(), Some(0));
    let file =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/task.schema.json"))
            .unwrap();
    assert_eq!(out.stdout, file);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = taskrender(dir.path(), &["completions", shell], b"");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("render"),
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
    let one = taskrender(dir.path(), &["render", "tasks", "-j", "1"], b"");
    let four = taskrender(dir.path(), &["render", "tasks", "-j", "4"], b"");
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(one.stdout, four.stdout);
    let dflt = taskrender(dir.path(), &["render", "tasks"], b"");
    assert_eq!(one.stdout, dflt.stdout);
}

const BUILD: &str = "name: img\naction: build\nbase_image: python:3.12-slim\ninstructions: [\"apt-get update && apt-get install -y git\"]\n";

#[test]
fn reference_build_instruction_renders_verbatim() {
    // The reference platform's example, exactly as users write it there.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", BUILD);
    let out = taskrender(dir.path(), &["render", "b.yaml", "-o", "out"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dockerfile = std::fs::read_to_string(dir.path().join("out/img/Dockerfile")).unwrap();
    assert_eq!(
        dockerfile,
        "FROM python:3.12-slim\nWORKDIR /shared\nCOPY . /shared\nRUN apt-get update && apt-get install -y git\n"
    );
    let kustomization = std::fs::read_to_string(dir.path().join("out/kustomization.yaml")).unwrap();
    assert!(
        !kustomization.contains("Dockerfile"),
        "a Dockerfile is not a Kubernetes resource"
    );
}

#[test]
fn dockerfiles_on_stdout_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", BUILD);
    let out = taskrender(dir.path(), &["render", "b.yaml"], b"");
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        yaml.contains("kind: ConfigMap") && yaml.contains("kind: Job") && !yaml.contains("\nFROM ")
    );
    assert!(
        stderr(&out).starts_with("note: the Dockerfile of build Task `img` is not on stdout"),
        "{}",
        stderr(&out)
    );

    let out = taskrender(dir.path(), &["render", "b.yaml", "--dockerfile"], b"");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# taskrender: Dockerfile of Task img\nFROM python:3.12-slim\n"),
        "{text}"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn default_image_tag_follows_the_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    let destination = |task: &str| {
        write(dir.path(), "b.yaml", task);
        let out = taskrender(dir.path(), &["render", "b.yaml"], b"");
        let yaml = String::from_utf8(out.stdout).unwrap();
        yaml.lines()
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

#[test]
fn profiles_list_names_every_profile_with_its_description() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/team.yaml", "description: Team shop\n");
    let out = taskrender(dir.path(), &["profiles", "list", "--profiles", "team"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["default", "gpu-a100", "hardened", "high-memory", "team"]
    );
    assert!(text.contains("team         Team shop\n"), "{text}");
}

#[test]
fn profiles_show_renders_for_a_task() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", &job("trainer"));
    let out = taskrender(
        dir.path(),
        &[
            "profiles", "show", "gpu-a100", "--task", "t.yaml", "--set", "gpus=4",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("nvidia.com/gpu: \"4\""), "{text}");
    let out = taskrender(dir.path(), &["profiles", "show", "gpu-a10"], b"");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown profile is a usage error"
    );
    assert!(
        stderr(&out).contains("did you mean `gpu-a100`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schema_profile_is_the_checked_in_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["schema", "profile"], b"");
    let file =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/profile.schema.json"))
            .unwrap();
    assert_eq!(out.stdout, file);
}

#[test]
fn missing_profile_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", &job("x"));
    let out = taskrender(dir.path(), &["check", "t.yaml", "--profiles", "nope"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read profile folder `nope`: no such directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_profile_is_reported_once_for_all_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p/bad.yaml",
        "description: bad\ndefaults: {replica: 1}\n",
    );
    let tasks = "name: tNUM\naction: job\nprofile: bad\nfunction: {image: busybox}\n---\n";
    let tasks: String = (0..5)
        .map(|i| tasks.replace("NUM", &i.to_string()))
        .collect();
    write(dir.path(), "t.yaml", &tasks);
    let out = taskrender(dir.path(), &["check", "t.yaml", "--profiles", "p"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).matches("unknown key `replica`").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[test]
fn strict_check_warns_where_enforce_overrides_the_task() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "name: gpu\naction: job\nprofile: gpu-a100\nfunction: {image: busybox}\nnode_selector: [{key: accelerator, value: h100}, {key: zone, value: a}]\n",
    );
    let plain = taskrender(dir.path(), &["check", "t.yaml"], b"");
    assert_eq!(
        stderr(&plain),
        "ok: 1 Task in 1 file\n",
        "enforce wins silently without --strict"
    );
    let strict = taskrender(dir.path(), &["check", "--strict", "t.yaml"], b"");
    assert_eq!(strict.status.code(), Some(0), "a warning, not an error");
    let err = stderr(&strict);
    assert!(
        err.contains("`node_selector[0].value` is overridden by profile `gpu-a100`"),
        "{err}"
    );
    assert!(
        err.contains("t.yaml:5:43"),
        "points at the Task's value: {err}"
    );
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("(set at <built-in>/profiles/gpu-a100.yaml (rendered):15:26)"),
        "names the profile's line: {err}"
    );
    assert_eq!(
        err.matches("is overridden").count(),
        1,
        "a key enforce does not set is no conflict: {err}"
    );
}

fn serve(name: &str, port: u16) -> String {
    format!(
        "name: {name}\naction: serve\nfunction: {{image: nginx:1.27}}\nservice_ports: [{{port: {port}}}]\n"
    )
}

#[test]
fn diff_reports_added_removed_and_changed_objects() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tasks/api.yaml", &serve("api", 80));
    write(dir.path(), "tasks/web.yaml", &serve("web", 80));
    let out = taskrender(dir.path(), &["render", "tasks", "-o", "deploy"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let same = taskrender(dir.path(), &["diff", "tasks", "--against", "deploy"], b"");
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert!(same.stdout.is_empty());
    assert_eq!(stderr(&same), "no drift: `deploy` matches the Tasks\n");

    write(dir.path(), "tasks/api.yaml", &serve("api", 8080));
    std::fs::remove_file(dir.path().join("tasks/web.yaml")).unwrap();
    write(dir.path(), "tasks/train.yaml", &job("train"));
    let drift = taskrender(dir.path(), &["diff", "tasks", "--against", "deploy"], b"");
    assert_eq!(drift.status.code(), Some(1));
    let text = String::from_utf8(drift.stdout).unwrap();
    let summary: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        summary,
        [
            "~ changed Deployment/api (api/Deployment.yaml)",
            "~ changed Service/api (api/Service.yaml)",
            "~ changed Kustomization (kustomization.yaml)",
            "+ added Job/train (train/Job.yaml)",
            "- removed Deployment/web (web/Deployment.yaml)",
            "- removed Service/web (web/Service.yaml)",
        ]
    );
    assert!(
        text.contains("--- a/api/Service.yaml\n+++ b/api/Service.yaml\n"),
        "{text}"
    );
    assert!(
        text.contains("-  - name: port-80\n-    port: 80\n"),
        "{text}"
    );
    assert!(
        text.contains("+  - name: port-8080\n+    port: 8080\n"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn diff_reads_stdin_and_treats_a_missing_folder_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(
        dir.path(),
        &["diff", "-", "--against", "nowhere"],
        job("x").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "+ added Kustomization (kustomization.yaml)\n+ added Job/x (x/Job.yaml)\n"
        ),
        "{text}"
    );
    let usage = taskrender(dir.path(), &["diff", "-"], b"");
    assert_eq!(usage.status.code(), Some(2), "--against is required");
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
    let manifest = std::fs::read_to_string(dir.path().join("out/.taskrender-manifest")).unwrap();
    assert!(
        manifest.ends_with("\na/Job.yaml\nkustomization.yaml\n"),
        "{manifest}"
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

#[test]
fn json_diagnostics_have_stable_fields() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "name: x\naction: job\nfunction: {image: busybox}\nreplica: 2\n",
    );
    let out = taskrender(dir.path(), &["check", "t.yaml", "--format", "json"], b"");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "one object per diagnostic and nothing else");
    let d = &lines[0];
    assert_eq!(d["code"], "schema::unknown_field");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unknown key `replica` in the Task");
    assert_eq!(d["file"], "t.yaml");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 1);
    assert_eq!(d["end"], serde_json::json!({"line": 4, "column": 8}));
    assert_eq!(
        d["help"],
        "did you mean `replicas`? (it applies to serve, deploy, not to `job`)"
    );
    // success prints nothing in JSON mode
    write(dir.path(), "ok.yaml", &job("ok"));
    let ok = taskrender(dir.path(), &["check", "ok.yaml", "--format", "json"], b"");
    assert_eq!((ok.status.code(), ok.stderr.len()), (Some(0), 0));
}

#[test]
fn github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "name: x\naction: job\nfunction: {image: busybox}\nenvs: [{name: A, value: 1}]\n",
    );
    let out = taskrender(dir.path(), &["render", "t.yaml", "--format", "github"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "::error file=t.yaml,line=4,col=25,endLine=4,endColumn=26,title=schema%3A%3Atype::`envs[0].value` must be a string, found number `1`%0Ahelp: quote it to make it a string: `\"1\"`\n"
    );
}

#[test]
fn explain_and_man() {
    let dir = tempfile::tempdir().unwrap();
    let out = taskrender(dir.path(), &["explain", "volumes.spec.size_limit"], b"");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("FIELD:   volumes.spec.size_limit\nWHEN:    volume_type: empty_dir\n"),
        "{text}"
    );
    let bad = taskrender(dir.path(), &["explain", "replica"], b"");
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        stderr(&bad),
        "error: no field `replica`; did you mean `replicas`?\n"
    );
    let man = taskrender(dir.path(), &["man"], b"");
    assert!(
        String::from_utf8(man.stdout)
            .unwrap()
            .contains(".TH taskrender 1")
    );
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
    assert_eq!(
        taskrender(dir.path(), &["render", "tasks/", "-o", "deploy/"], b"")
            .status
            .code(),
        Some(0)
    );
    git(&["add", "-A"]);
    git(&["commit", "-qm", "render"]);

    // Someone edits a Task but forgets to re-render.
    write(dir.path(), "tasks/web.yaml", &serve("web", 8080));
    assert_eq!(
        taskrender(dir.path(), &["diff", "tasks/", "--against", "deploy/"], b"")
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        taskrender(
            dir.path(),
            &["render", "tasks/", "-o", "deploy/", "--prune"],
            b""
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        git(&["diff", "--exit-code", "--quiet"]).status.code(),
        Some(1),
        "the re-render shows as a change"
    );
    git(&["commit", "-qam", "re-render"]);
    assert_eq!(
        taskrender(dir.path(), &["diff", "tasks/", "--against", "deploy/"], b"")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        taskrender(
            dir.path(),
            &["render", "tasks/", "-o", "deploy/", "--prune"],
            b""
        )
        .status
        .code(),
        Some(0)
    );
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
