//! `docs/argocd.md`'s Config Management Plugin, run as Argo CD's plugin server runs it:
//! `generate` through `sh` in the Application's source path, with the server's variables
//! only, and stdout parsed as the objects Argo CD would apply.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The `plugin.yaml` of the recipe: the first YAML block of `docs/argocd.md`.
fn plugin() -> Value {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/argocd.md")).unwrap();
    let start = doc.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    serde_saphyr::from_str(&doc[start..end]).unwrap()
}

fn words(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
}

/// Runs `command` + `args` as the plugin server does: in `dir`, with only its variables.
fn run(command: &[String], dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_taskrender"))
        .parent()
        .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("ARGOCD_APP_NAME", "ml-jobs")
        .env("ARGOCD_APP_NAMESPACE", "ml")
        .env("ARGOCD_APP_SOURCE_PATH", "tasks")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("KUBE_VERSION", "1.33.0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn generate_prints_only_kubernetes_objects() {
    let plugin = plugin();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let spec = &plugin["spec"];
    let mut generate = words(&spec["generate"]["command"]);
    generate.extend(words(&spec["generate"]["args"]));
    let discover = words(&spec["discover"]["find"]["command"]);

    let repo = tempfile::tempdir().unwrap();
    let source = repo.path().join("tasks");
    write(
        &source,
        "train.yaml",
        "apiVersion: taskrender.io/v1alpha1\nkind: Task\nname: train\naction: job\nfunction: {image: busybox:1.36}\nrun_as_user: 1000\n",
    );
    write(
        &source,
        "web/web.yaml",
        "name: web\naction: serve\nprofile: team\nfunction: {image: nginx:1.27}\nservice_ports: [{port: 80}]\n",
    );
    write(
        repo.path(),
        "profiles/team.yaml",
        "description: team\ndefaults: {run_as_user: 101}\n",
    );

    let found = run(&discover, &source, &[]);
    assert!(found.status.success());
    assert_eq!(String::from_utf8_lossy(&found.stdout), "./train.yaml\n");

    let env = [("ARGOCD_ENV_PROFILES", "../profiles")];
    let out = run(&generate, &source, &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&stdout).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Job", "Deployment", "Service"], "{stdout}");
    for d in &docs {
        assert!(
            d["apiVersion"].is_string() && d["metadata"]["name"].is_string(),
            "{d}"
        );
        assert_eq!(d["metadata"]["namespace"], "ml", "{d}");
    }

    // a rendered folder inside the source path (committed output) is not read back
    let again = crate::taskrender(
        &source,
        &["render", ".", "-o", "out", "--profiles", "../profiles"],
        b"",
    );
    assert!(again.status.success());
    let out = run(&generate, &source, &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), stdout);

    // NAMESPACE wins over the destination namespace
    let out = run(
        &generate,
        &source,
        &[
            ("ARGOCD_ENV_PROFILES", "../profiles"),
            ("ARGOCD_ENV_NAMESPACE", "ml-staging"),
        ],
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("namespace: ml-staging\n")
    );

    // an invalid Task fails the sync with nothing to apply
    write(&source, "broken.yaml", "name: broken\naction: jbo\n");
    let out = run(&generate, &source, &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));
}
