//! Issue 10: the output folder (`-o DIR`, `--prune`, `diff --against`) and the streams
//! cannot be turned against the user. Real links, FIFOs, `/dev/full` and killed runs in a
//! temporary folder; everything that could hang runs under a timeout and a memory limit.

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_taskrender");

fn job(name: &str) -> String {
    format!("name: {name}\naction: job\nfunction: {{image: busybox}}\n")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

/// What a run printed and how it ended (`code: None` when killed by a signal).
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `taskrender args` in `dir` under a 2 GB address-space limit (so a read that never
/// ends fails fast instead of taking the machine), stdin empty, outputs to files.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 2000000; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    c
}

/// Waits for `child` at most `limit`; kills it and panics with `what` when it hangs.
fn wait(mut child: Child, limit: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("out"), logs.path().join("err"));
    let mut c = command(dir, args);
    c.envs(env.iter().copied())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap());
    let status = wait(c.spawn().unwrap(), Duration::from_secs(60), &args.join(" "));
    Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&fs::read(out).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(err).unwrap()).into_owned(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Ran {
    run_env(dir, args, &[])
}

/// A temporary folder with `t.yaml` (Task `t`) and `victim/important`, which no run may
/// touch.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", &job("t"));
    write(dir.path(), "victim/important", "precious\n");
    dir
}

fn victim_intact(dir: &Path) {
    assert_eq!(read(&dir.join("victim/important")), "precious\n");
    let names: Vec<_> = fs::read_dir(dir.join("victim"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["important"], "files appeared in victim/");
}

fn is_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Every file under `out` (one folder deep), relative, sorted.
fn files_under(out: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(out).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            for inner in fs::read_dir(entry.path()).unwrap().flatten() {
                found.push(format!("{name}/{}", inner.file_name().to_string_lossy()));
            }
        } else {
            found.push(name);
        }
    }
    found.sort();
    found
}

fn manifest(out: &Path) -> Vec<String> {
    fs::read_to_string(out.join(".taskrender-manifest"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The invariants an interrupted or failed run must leave: every rendered file is in the
/// manifest, and `kustomization.yaml`, when present, lists only files that exist. (A
/// killed run's staging folder is a temporary, removed by the next run: not output.)
fn consistent(out: &Path) {
    let listed = manifest(out);
    let staged = |f: &str| f.starts_with(".taskrender-staging-");
    for f in files_under(out).into_iter().filter(|f| !staged(f)) {
        let rendered = Path::new(&f).extension().is_some_and(|e| e == "yaml");
        assert!(
            !rendered || listed.contains(&f),
            "`{f}` is not in the manifest {listed:?}"
        );
    }
    if let Ok(k) = fs::read_to_string(out.join("kustomization.yaml")) {
        for r in k.lines().filter_map(|l| l.strip_prefix("- ")) {
            assert!(
                out.join(r).is_file(),
                "kustomization.yaml lists missing `{r}`"
            );
        }
    }
}

/// Item 1: no temporary file has a predictable name, and none is created through a link.
#[test]
fn temporaries_are_unpredictable_and_never_follow_links() {
    let dir = setup();
    let d = dir.path();
    fs::create_dir_all(d.join("out/t")).unwrap();
    // The old names were `.<file>.taskrender-<pid>.tmp`: plant links for the next pids.
    let base: u32 = fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(std::process::id);
    for pid in base..base + 3000 {
        for (folder, file) in [
            ("out/t", "Job.yaml"),
            ("out", "kustomization.yaml"),
            ("out", ".taskrender-manifest"),
        ] {
            let link = d.join(format!("{folder}/.{file}.taskrender-{pid}.tmp"));
            let depth = folder.matches('/').count() + 1;
            symlink(format!("{}victim/important", "../".repeat(depth)), link).unwrap();
        }
    }
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    victim_intact(d);
    assert!(is_file(&d.join("out/t/Job.yaml")));
    assert!(read(&d.join("out/t/Job.yaml")).contains("kind: Job"));
}

/// Item 2: a Task folder that is a link is refused, and nothing is written.
#[test]
fn a_linked_task_folder_is_refused() {
    let dir = setup();
    let d = dir.path();
    fs::create_dir(d.join("out")).unwrap();
    symlink("../victim", d.join("out/t")).unwrap();
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(
        ran.stderr.contains("out/t`") && ran.stderr.contains("symbolic link"),
        "{}",
        ran.stderr
    );
    victim_intact(d);
    assert!(!d.join("out/kustomization.yaml").exists());
}

/// `-o DIR` where DIR itself is a link: refused (a committed `deploy -> /elsewhere`
/// would otherwise redirect every write).
#[test]
fn an_output_folder_that_is_a_link_is_refused() {
    let dir = setup();
    let d = dir.path();
    symlink("victim", d.join("out")).unwrap();
    for args in [
        &["render", "t.yaml", "-o", "out"][..],
        &["render", "t.yaml", "-o", "out/"],
        &["diff", "t.yaml", "--against", "out"],
    ] {
        let ran = run(d, args);
        assert_eq!(ran.code, Some(1), "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
    }
    victim_intact(d);
}

/// Item 3: `--prune` deletes only files that are taskrender's output: never through a
/// linked folder, never a foreign file a tampered manifest names.
#[test]
fn prune_deletes_only_taskrenders_own_files() {
    let dir = setup();
    let d = dir.path();
    write(d, "tasks/a.yaml", &job("a"));
    write(d, "tasks/b.yaml", &job("b"));
    let ran = run(d, &["render", "tasks", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let rendered_job = read(&d.join("out/b/Job.yaml"));
    // A Job that looks like taskrender's, behind a link; foreign files inside DIR.
    write(d, "victim/Job.yaml", &rendered_job);
    symlink("../victim", d.join("out/link")).unwrap();
    write(d, "out/notes.md", "team notes\n");
    write(
        d,
        "out/other/Job.yaml",
        "---\nkind: Job\nmetadata: {name: other}\n",
    );
    let mut m = read(&d.join("out/.taskrender-manifest"));
    m.push_str("link/important\nlink/Job.yaml\nnotes.md\nother/Job.yaml\n../victim/important\n");
    fs::write(d.join("out/.taskrender-manifest"), m).unwrap();

    fs::remove_file(d.join("tasks/b.yaml")).unwrap();
    let ran = run(d, &["render", "tasks", "-o", "out", "--prune"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    // the real stale file goes …
    assert!(!d.join("out/b").exists(), "{}", ran.stderr);
    assert!(ran.stderr.contains("pruned b/Job.yaml"), "{}", ran.stderr);
    // … nothing else does
    assert_eq!(read(&d.join("victim/important")), "precious\n");
    assert_eq!(read(&d.join("victim/Job.yaml")), rendered_job);
    assert_eq!(read(&d.join("out/notes.md")), "team notes\n");
    assert!(d.join("out/other/Job.yaml").is_file());
    assert!(
        ran.stderr.contains("not pruned other/Job.yaml"),
        "{}",
        ran.stderr
    );
    // and the manifest no longer claims them
    assert_eq!(
        manifest(&d.join("out")),
        ["a/Job.yaml", "kustomization.yaml"]
    );
}

/// Item 4: `diff --against` never reads through a link (here: the environment of the CI
/// job, with its tokens).
#[test]
fn diff_never_reads_through_a_link() {
    let dir = setup();
    let d = dir.path();
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let mut m = read(&d.join("out/.taskrender-manifest"));
    m.push_str("env.yaml\n");
    fs::write(d.join("out/.taskrender-manifest"), m).unwrap();
    symlink("/proc/self/environ", d.join("out/env.yaml")).unwrap();
    let secret = ("TASKRENDER_TEST_TOKEN", "hunter2-do-not-print");
    // an unlisted-shape entry is ignored: no drift, nothing read
    let ran = run_env(d, &["diff", "t.yaml", "--against", "out"], &[secret]);
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert!(!ran.stdout.contains(secret.1) && !ran.stderr.contains(secret.1));
    // a rendered file replaced by a link: refused, not read
    fs::remove_file(d.join("out/t/Job.yaml")).unwrap();
    symlink("/proc/self/environ", d.join("out/t/Job.yaml")).unwrap();
    let ran = run_env(d, &["diff", "t.yaml", "--against", "out"], &[secret]);
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(!ran.stdout.contains(secret.1) && !ran.stderr.contains(secret.1));
    assert!(
        ran.stderr.contains("out/t/Job.yaml") && ran.stderr.contains("symbolic link"),
        "{}",
        ran.stderr
    );
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Item 5: a FIFO or a link to `/dev/zero` where a rendered file is neither hangs the run
/// nor exhausts memory, in render and in diff; nor does a huge file.
#[test]
fn special_files_neither_hang_nor_exhaust_memory() {
    for (what, make) in [
        ("a FIFO", mkfifo as fn(&Path)),
        ("a link to /dev/zero", |p: &Path| {
            symlink("/dev/zero", p).unwrap();
        }),
    ] {
        let dir = setup();
        let d = dir.path();
        let ran = run(d, &["render", "t.yaml", "-o", "out"]);
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        fs::remove_file(d.join("out/t/Job.yaml")).unwrap();
        make(&d.join("out/t/Job.yaml"));
        for args in [
            &["render", "t.yaml", "-o", "out"][..],
            &["diff", "t.yaml", "--against", "out"],
        ] {
            let ran = run(d, args);
            assert_eq!(ran.code, Some(1), "{what}, {args:?}: {ran:?}");
            assert!(
                ran.stderr.contains("out/t/Job.yaml"),
                "{what}: {}",
                ran.stderr
            );
        }
    }
    // A regular file larger than taskrender writes is not read in full.
    let dir = setup();
    let d = dir.path();
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let f = fs::File::create(d.join("out/t/Job.yaml")).unwrap();
    f.set_len(65 << 20).unwrap(); // sparse
    let ran = run(d, &["diff", "t.yaml", "--against", "out"]);
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("larger than 64 MiB"), "{}", ran.stderr);
    // render replaces it (it reads no more than the new content's length)
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(read(&d.join("out/t/Job.yaml")).contains("kind: Job"));
}

/// Item 6: a write error on stdout is an error, not a silent exit 0.
#[test]
fn a_failed_stdout_write_is_an_error() {
    let dir = setup();
    let d = dir.path();
    let err = d.join("err");
    let status = command(d, &["render", "t.yaml"])
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .stderr(fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let text = read(&err);
    assert!(text.contains("error: cannot write to stdout"), "{text}");
    // clap's own output too
    let status = command(d, &["--help"])
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .stderr(fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(read(&err).contains("error: cannot write to stdout"));
}

/// 300 Tasks with an error each: far more than a pipe holds.
fn many_errors(dir: &Path) {
    let text = (0..300).fold(String::new(), |mut text, i| {
        let _ = write!(text, "name: t{i}\naction: jbo\n---\n");
        text
    });
    write(dir, "bad.yaml", &text);
}

/// Item 7: write errors on stderr never panic: a full stderr fails the run (1, not 101),
/// a closed pipe ends it quietly with its own status; a closed stdout too.
#[test]
fn stream_failures_never_panic() {
    let dir = setup();
    let d = dir.path();
    many_errors(d);
    let status = command(d, &["check", "bad.yaml"])
        .stdout(Stdio::null())
        .stderr(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));

    // `check bad.yaml 2>&1 | head -1`: the reader goes away
    let mut child = command(d, &["check", "bad.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stderr.take());
    let status = wait(child, Duration::from_secs(60), "check | head");
    assert_eq!(status.code(), Some(1));

    // `render tasks | head -1`: exit 0, nothing said
    let text: String = (0..400).map(|i| job(&format!("t{i}")) + "---\n").collect();
    write(d, "many.yaml", &text);
    let mut child = command(d, &["render", "many.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = wait(child, Duration::from_secs(60), "render | head");
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "");
}

/// Item 8: a run that fails on a stray file where a Task folder goes writes nothing, and
/// leaves no rendered file the manifest does not list.
#[test]
fn a_failed_run_leaves_no_unlisted_file() {
    let dir = setup();
    let d = dir.path();
    for name in ["a", "b", "c"] {
        write(d, &format!("tasks/{name}.yaml"), &job(name));
    }
    write(d, "out/b", "a stray file\n");
    let ran = run(d, &["render", "tasks", "-o", "out"]);
    assert_eq!(ran.code, Some(1), "{ran:?}");
    consistent(&d.join("out"));
    assert_eq!(files_under(&d.join("out")), ["b"]);
    assert!(ran.stderr.contains("out/b`"), "{}", ran.stderr);
}

/// An invalid input after valid ones: `-o` leaves no trace, not even the folders of `DIR`'s
/// path it had to create, and the folders that were there stay.
#[test]
fn a_failed_run_creates_no_folder() {
    let dir = setup();
    let d = dir.path();
    write(d, "tasks/a.yaml", &job("a"));
    write(d, "tasks/b.yaml", "name: b\naction: job\n");
    fs::create_dir(d.join("x")).unwrap();
    let ran = run(d, &["render", "tasks", "-o", "x/y/z/out"]);
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(d.join("x").is_dir());
    assert!(!d.join("x/y").exists(), "{}", ran.stderr);
}

/// Items 8 and 10: a run killed at any point leaves every rendered file in the manifest
/// and a `kustomization.yaml` (if any) listing only files that exist; the next run
/// removes the killed run's temporary files.
#[test]
fn a_killed_run_leaves_a_consistent_folder() {
    let dir = setup();
    let d = dir.path();
    let text: String = (0..600)
        .map(|i| job(&format!("t{i:04}")) + "---\n")
        .collect();
    write(d, "many.yaml", &text);
    let mut child = command(d, &["render", "many.yaml", "-o", "out"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as the first Task folder appears (mid-publish).
    let start = Instant::now();
    while !d.join("out/t0000").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        d.join("out/t0000").exists(),
        "the run never started writing"
    );
    consistent(&d.join("out"));

    let ran = run(d, &["render", "many.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    consistent(&d.join("out"));
    let files = files_under(&d.join("out"));
    assert!(
        files.iter().all(|f| !f.contains(".taskrender-tmp-")),
        "temporaries left"
    );
    assert_eq!(files.len(), 600 + 2);
}

/// Item 10: temporaries of killed runs (regular files only) are removed by the next run.
#[test]
fn stale_temporaries_are_removed() {
    let dir = setup();
    let d = dir.path();
    for stale in [
        "out/t/.taskrender-tmp-0123456789abcdef",
        "out/t/.Job.yaml.taskrender-4242.tmp",
        "out/.kustomization.yaml.taskrender-4242.tmp",
        "out/.taskrender-tmp-fedcba9876543210",
    ] {
        write(d, stale, "half a file");
    }
    symlink(
        "../../victim/important",
        d.join("out/t/.taskrender-tmp-link"),
    )
    .unwrap();
    write(d, "out/t/keep.txt", "not ours");
    let ran = run(d, &["render", "t.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        files_under(&d.join("out")),
        [
            ".taskrender-manifest",
            "kustomization.yaml",
            "t/.taskrender-tmp-link",
            "t/Job.yaml",
            "t/keep.txt",
        ]
    );
    victim_intact(d);
}

/// Item 9: a run holds a lock on DIR: a second render (and a diff) waits for it.
#[test]
fn runs_on_one_folder_take_turns() {
    let dir = setup();
    let d = dir.path();
    fs::create_dir(d.join("out")).unwrap();
    // Another writer holds the folder.
    let holder = fs::File::open(d.join("out")).unwrap();
    holder.lock().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let spawn = |args: &[&str], name: &str| -> Child {
        command(d, args)
            .stdout(fs::File::create(logs.path().join(format!("{name}.out"))).unwrap())
            .stderr(fs::File::create(logs.path().join(format!("{name}.err"))).unwrap())
            .spawn()
            .unwrap()
    };
    let mut render = spawn(&["render", "t.yaml", "-o", "out"], "render");
    let mut diff = spawn(&["diff", "t.yaml", "--against", "out"], "diff");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(render.try_wait().unwrap().is_none(), "render did not wait");
    assert!(diff.try_wait().unwrap().is_none(), "diff did not wait");
    assert!(!d.join("out/t").exists());
    holder.unlock().unwrap();
    let status = wait(render, Duration::from_secs(60), "render");
    assert_eq!(status.code(), Some(0));
    assert!(d.join("out/t/Job.yaml").is_file());
    let status = wait(diff, Duration::from_secs(60), "diff");
    // It read the folder either before or after the render: never half of it.
    assert!(matches!(status.code(), Some(0 | 1)));
}

/// Item 9: two renders of different Task sets into one folder at once leave it as one of
/// them wrote it, whole.
#[test]
fn concurrent_renders_leave_a_whole_folder() {
    let dir = setup();
    let d = dir.path();
    let set = |prefix: &str| -> String {
        (0..150)
            .map(|i| job(&format!("{prefix}{i:03}")) + "---\n")
            .collect()
    };
    write(d, "x.yaml", &set("x"));
    write(d, "y.yaml", &set("y"));
    let ran = run(d, &["render", "x.yaml", "-o", "out"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for _ in 0..3 {
        let spawn = |file: &str| {
            command(d, &["render", file, "-o", "out", "--prune"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("y.yaml"), spawn("x.yaml"));
        let (a, b) = (
            wait(a, Duration::from_secs(120), "render y"),
            wait(b, Duration::from_secs(120), "render x"),
        );
        assert_eq!((a.code(), b.code()), (Some(0), Some(0)));
        consistent(&d.join("out"));
        let files = files_under(&d.join("out"));
        let xs = files.iter().filter(|f| f.starts_with('x')).count();
        let ys = files.iter().filter(|f| f.starts_with('y')).count();
        assert!(
            (xs, ys) == (150, 0) || (xs, ys) == (0, 150),
            "a mix: {xs} x, {ys} y"
        );
        assert_eq!(manifest(&d.join("out")).len(), 151);
    }
}

/// Item 17: a string starting with a tab and holding a newline comes out as YAML that a
/// YAML 1.1 reader (libyaml, as kubectl's) accepts and reads back unchanged.
#[test]
fn tab_led_multi_line_values_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let value = "\techo hi\n";
    write(
        d,
        "t.yaml",
        "name: t\naction: job\nfunction: {image: busybox}\nenvs: [{name: SCRIPT, value: \"\\techo hi\\n\"}]\n",
    );
    let ran = run(d, &["render", "t.yaml"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let job: serde_json::Value = serde_yaml_ng::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("libyaml refuses the output: {e}\n{}", ran.stdout));
    let env = &job["spec"]["template"]["spec"]["containers"][0]["env"][0];
    assert_eq!(env["value"], value, "{}", ran.stdout);
}

/// Runs `args` and measures the CPU time it takes (user + system, from the shell's
/// `times`), which the machine's load barely changes, unlike the wall clock.
fn timed(dir: &Path, args: &[&str]) -> (Ran, f64) {
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("out"), logs.path().join("err"));
    let output = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" \"$@\" >\"$OUT\" 2>\"$ERR\"; s=$?; times; exit $s")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env("OUT", &out)
        .env("ERR", &err)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // `times`: the shell's user and system time, then its children's (`0m1.50s 0m0.02s`).
    let times = String::from_utf8(output.stdout).unwrap();
    let children = times.lines().nth(1).unwrap_or_default();
    let seconds: f64 = children
        .split_whitespace()
        .map(|t| {
            let (m, s) = t.trim_end_matches('s').split_once('m').unwrap();
            m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
        })
        .sum();
    let ran = Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&fs::read(out).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(err).unwrap()).into_owned(),
    };
    (ran, seconds)
}

/// Item 20: reporting is linear: 16,000 errors in a 400 KB file are reported in seconds of
/// CPU time in a debug build (over a minute before, growing with errors × file size).
#[test]
fn many_errors_in_a_big_file_report_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = job("t");
    text.push_str("envs:\n");
    for _ in 0..16_000 {
        text.push_str("  - {name: SAME, value: x}\n");
    }
    write(d, "t.yaml", &text);
    let (ran, took) = timed(d, &["check", "t.yaml"]);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("15999 errors"),
        "{}",
        &ran.stderr[ran.stderr.len().saturating_sub(300)..]
    );
    assert!(took > 0.0 && took < 20.0, "took {took} s of CPU");
    let (ran, took) = timed(d, &["check", "t.yaml", "--format", "json"]);
    assert_eq!(ran.stderr.lines().count(), 15_999);
    assert!(took > 0.0 && took < 20.0, "json took {took} s of CPU");
}

/// Item 20: a huge line next to an error is not printed (the report stays small).
#[test]
fn a_huge_neighbouring_line_is_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 5 MB before the error's line, 2 MB after it (the input cap is 8 MiB)
    let (before, after) = ("x".repeat(5 << 20), "y".repeat(2 << 20));
    write(
        d,
        "t.yaml",
        &format!("# {before}\nname: t\naction: jbo\n# {after}\nfunction: {{image: busybox}}\n"),
    );
    let ran = run(d, &["check", "t.yaml"]);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("jbo"),
        "{}",
        &ran.stderr[..ran.stderr.len().min(2000)]
    );
    assert!(
        ran.stderr.len() < 4000,
        "{} bytes of report",
        ran.stderr.len()
    );
}
