//! The project file: environments rendered and compared in one run, exact outputs.

use std::path::Path;

use crate::taskrender;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PROJECT: &str = "\
environments:
  staging:
    tasks: [tasks/]
    profiles: [profiles/]
    set: {replicas: '1'}
    namespace: ml-staging
    output: deploy/staging
  prod:
    tasks: [tasks/]
    profiles: [profiles/]
    set: {replicas: '3'}
    namespace: ml
    output: deploy/prod
";

fn project(dir: &Path) {
    write(dir, "taskrender.yaml", PROJECT);
    write(
        dir,
        "profiles/team.yaml",
        "description: team\ndefaults: {replicas: {{ vars.replicas | int }}, run_as_user: 1000}\n",
    );
    write(
        dir,
        "tasks/api.yaml",
        "name: api\naction: deploy\nprofile: team\nfunction: {image: ghcr.io/acme/api:1.0.0}\nresources: {requests: {cpu: 500m}}\n",
    );
}

#[test]
fn environments_render_and_diff_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let out = taskrender(dir.path(), &["render", "--all-envs"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let staging =
        std::fs::read_to_string(dir.path().join("deploy/staging/api/Deployment.yaml")).unwrap();
    let prod = std::fs::read_to_string(dir.path().join("deploy/prod/api/Deployment.yaml")).unwrap();
    assert!(
        staging.contains("namespace: ml-staging\n") && staging.contains("replicas: 1\n"),
        "{staging}"
    );
    assert!(
        prod.contains("namespace: ml\n") && prod.contains("replicas: 3\n"),
        "{prod}"
    );

    let clean = taskrender(dir.path(), &["diff", "--all-envs"], b"");
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert_eq!(
        text(&clean.stderr),
        "no drift: `deploy/prod` matches the Tasks of environment `prod`\n\
         no drift: `deploy/staging` matches the Tasks of environment `staging`\n"
    );

    // prod goes stale: one report, exit 1
    write(
        dir.path(),
        "taskrender.yaml",
        &PROJECT.replace("'3'", "'4'"),
    );
    let stale = taskrender(dir.path(), &["diff", "--all-envs", "--color", "never"], b"");
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale.stderr));
    assert_eq!(
        text(&stale.stdout),
        "== environment `prod` (`deploy/prod`)\n\
         ~ changed Deployment/api (api/Deployment.yaml)\n\n\
         --- a/api/Deployment.yaml\n+++ b/api/Deployment.yaml\n\
         @@ -10,7 +10,7 @@\n   name: api\n   namespace: ml\n spec:\n\
         -  replicas: 3\n+  replicas: 4\n   selector:\n     matchLabels:\n       app.kubernetes.io/name: api\n"
    );
    assert_eq!(
        text(&stale.stderr),
        "no drift: `deploy/staging` matches the Tasks of environment `staging`\n"
    );
    let md = taskrender(
        dir.path(),
        &["diff", "--all-envs", "--format", "markdown"],
        b"",
    );
    assert_eq!(md.status.code(), Some(1));
    let md = text(&md.stdout);
    assert!(
        md.starts_with(
            "<!-- taskrender diff -->\n### taskrender diff: environment `prod` (`deploy/prod`)\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("| `ml` | `requests.cpu` | 1500m | 2 | **+500m** |"),
        "{md}"
    );
    assert!(
        md.contains("### taskrender diff: environment `staging` (`deploy/staging`)\n\nNo changes"),
        "{md}"
    );
    assert_eq!(md.matches("<!-- taskrender diff -->").count(), 1);
    let json = taskrender(dir.path(), &["diff", "--all-envs", "--format", "json"], b"");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["drift"], true);
    assert_eq!(v["environments"]["prod"]["summary"]["changed"], 1);
    assert_eq!(v["environments"]["staging"]["drift"], false);

    // one environment, and command-line options win
    let one = taskrender(
        dir.path(),
        &["render", "--env", "prod", "--namespace", "ml-canary"],
        b"",
    );
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let prod = std::fs::read_to_string(dir.path().join("deploy/prod/api/Deployment.yaml")).unwrap();
    assert!(
        prod.contains("namespace: ml-canary\n") && prod.contains("replicas: 4\n"),
        "{prod}"
    );
}

#[test]
fn project_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let out = taskrender(
        dir.path(),
        &["render", "--env", "qa", "--color", "never"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "project::unknown_env\n\n  × no environment `qa` in the project file (it has `prod`, `staging`)\n\nerror: 1 error\n"
    );
    write(
        dir.path(),
        "taskrender.yaml",
        "environments:\n  prod: {tasks: [t/], output: out, namespcae: x}\n",
    );
    let out = taskrender(dir.path(), &["diff", "--all-envs", "--format", "json"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("\"code\":\"project::invalid\""),
        "{}",
        text(&out.stderr)
    );
    // no project file: the usual read error
    let empty = tempfile::tempdir().unwrap();
    let out = taskrender(empty.path(), &["render", "--all-envs"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("taskrender.yaml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn output_inside_the_input_folder_is_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tasks/a.yaml",
        "name: a\naction: job\nfunction: {image: busybox:1.36}\n",
    );
    for _ in 0..2 {
        let out = taskrender(dir.path(), &["render", "tasks", "-o", "tasks/out"], b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    // a folder without the manifest (written by hand, or by an old version) is named
    std::fs::remove_file(dir.path().join("tasks/out/.taskrender-manifest")).unwrap();
    let out = taskrender(dir.path(), &["check", "tasks", "--color", "never"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // the Job and the kustomization.yaml
    assert_eq!(err.matches("task::kubernetes_object").count(), 2, "{err}");
    assert!(
        err.contains("a Kubernetes `Job` (`batch/v1`), not a Task"),
        "{err}"
    );
    assert!(!err.contains("unknown key"), "{err}");
}
