//! `docs/tasks.md`, the Task format reference, is generated here from the Task schema
//! (`taskrender schema task`: the descriptions, `x-actions`, types and constraints) plus one
//! example per parameter, and compared with the checked-in file. Every example is checked
//! with `taskrender check` inside a minimal Task of an action it applies to.
//!
//! Regenerate: `UPDATE_DOCS=1 cargo test --test it docs`, then review the diff in git.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use crate::taskrender;

/// Where the generated reference lives, relative to the repository.
const DOC: &str = "docs/tasks.md";

/// The actions, in the order the schema's `Action` enum lists them.
const ACTIONS: [&str; 4] = ["job", "serve", "deploy", "build"];

/// One example per top-level parameter: the YAML a Task would contain. Each must pass
/// `taskrender check` (see `every_example_is_a_valid_task`).
const EXAMPLES: &[(&str, &str)] = &[
    ("apiVersion", "apiVersion: taskrender.io/v1alpha1"),
    ("kind", "kind: Task"),
    ("name", "name: train"),
    ("project", "project: demo"),
    ("namespace", "namespace: ml"),
    ("action", "action: serve"),
    ("profile", "profile: gpu-a100"),
    ("labels", "labels:\n  team: vision\n  cost-center: \"4711\""),
    (
        "annotations",
        "annotations:\n  example.com/owner: ml-team\n  prometheus.io/scrape: \"true\"",
    ),
    (
        "function",
        "function:\n  image: ghcr.io/acme/train:1.4.2\n  command: [python, train.py]\n  args: [--epochs, \"10\"]\n  image_pull_policy: IfNotPresent",
    ),
    (
        "node_selector",
        "node_selector:\n  - {key: disktype, value: ssd}\n  - {key: topology.kubernetes.io/zone, value: eu-west-1a}",
    ),
    (
        "volumes",
        "volumes:\n  - {volume_type: persistent_volume_claim, name: data, mount_path: /data, spec: {size: 10Gi}}\n  - {volume_type: persistent_volume_claim, name: models, mount_path: /models, spec: {claim_name: shared-models}}\n  - {volume_type: empty_dir, name: scratch, mount_path: /scratch, spec: {size_limit: 1Gi}}\n  - {volume_type: ephemeral, name: cache, mount_path: /cache, spec: {size: 5Gi, storage_class: fast}}\n  - {volume_type: shared_volume, name: datasets, mount_path: /datasets}",
    ),
    (
        "resources",
        "resources:\n  requests: {cpu: 250m, memory: 128Mi}\n  limits: {cpu: \"1\", memory: 512Mi, nvidia.com/gpu: 1}",
    ),
    (
        "affinity",
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - {key: kubernetes.io/arch, operator: In, values: [amd64]}",
    ),
    (
        "tolerations",
        "tolerations:\n  - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}",
    ),
    (
        "envs",
        "envs:\n  - {name: EPOCHS, value: \"10\"}\n  - {name: DEBUG, value: \"yes\"}",
    ),
    ("secrets", "secrets: [db-creds, s3-creds]"),
    ("fs_group", "fs_group: 1000"),
    ("run_as_user", "run_as_user: 1000"),
    ("run_as_group", "run_as_group: 1000"),
    ("replicas", "replicas: 2"),
    (
        "service_ports",
        "service_ports:\n  - {name: http, port: 80, targetPort: 8080}\n  - {port: 9090, protocol: UDP}",
    ),
    ("service_type", "service_type: LoadBalancer"),
    ("service_name", "service_name: api"),
    (
        "instructions",
        "instructions:\n  - pip install --no-cache-dir torch==2.4.1\n  - ENV PYTHONUNBUFFERED=1\n  - USER 10001",
    ),
    ("base_image", "base_image: python:3.12-slim"),
    ("image", "image: registry.example.com/ml/train:1.4.2"),
    ("registry_secret", "registry_secret: registry-push"),
];

fn example(param: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(p, _)| *p == param).map(|(_, e)| *e)
}

/// The Task schema as the binary prints it (the checked-in `schemas/task.schema.json`
/// is kept equal to it by the schema's own freshness test).
fn schema() -> Value {
    let out = taskrender(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["schema", "task"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "taskrender schema task failed");
    serde_json::from_slice(&out.stdout).expect("the Task schema is JSON")
}

fn props(node: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    node.get("properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn str_list(node: Option<&Value>) -> Vec<String> {
    node.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The definition a `$ref` names (only local `#/$defs/...` references occur).
fn def_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

fn deref<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match def_name(node) {
        Some(name) => deref(schema, &schema["$defs"][name]),
        None => node,
    }
}

/// A Kubernetes type vendored into the schema, by its short name (`Toleration`).
fn kubernetes_type(node: &Value) -> Option<&str> {
    let name = def_name(node)?;
    name.starts_with("io.k8s.")
        .then(|| name.rsplit('.').next().unwrap_or(name))
}

/// One line of prose: descriptions are wrapped in the source.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A Markdown table cell.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `node` is an object with fields and nothing else (no string form).
fn only_fields(schema: &Value, node: &Value) -> bool {
    let node = deref(schema, node);
    node.get("properties").is_some() && node.get("type") == Some(&Value::from("object"))
}

/// The type of `node`, with its format and constraints, in words.
fn type_text(schema: &Value, node: &Value) -> String {
    if let Some(k8s) = kubernetes_type(node) {
        return format!(
            "Kubernetes `{k8s}` (core/v1, checked against the vendored 1.37 definitions)"
        );
    }
    let node_ref = node;
    let node = deref(schema, node);
    if let Some(values) = node.get("enum") {
        let values: Vec<String> = values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        return format!("one of {}", code_list(&values));
    }
    let types: Vec<String> = match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let mut parts = Vec::new();
    for t in &types {
        parts.push(match t.as_str() {
            "array" => {
                let items = node.get("items").map_or_else(
                    || "values".to_owned(),
                    |i| {
                        let name = def_name(i).filter(|n| !n.starts_with("io.k8s."));
                        match name {
                            // Objects are described by their fields table (a string
                            // or an object, such as `SecretEntry`, is described here).
                            Some(n) if only_fields(schema, i) => {
                                format!("`{n}` mappings")
                            }
                            _ => type_text(schema, i),
                        }
                    },
                );
                let mut s = format!("list of {items}");
                if let Some(n) = node.get("minItems").and_then(Value::as_u64) {
                    let _ = write!(s, " (at least {n})");
                }
                s
            }
            "object"
                if node
                    .get("additionalProperties")
                    .is_some_and(Value::is_object) =>
            {
                let key = node
                    .pointer("/propertyNames/x-expected")
                    .and_then(Value::as_str)
                    .map_or_else(|| "string".to_owned(), str::to_owned);
                let value = type_text(schema, &node["additionalProperties"]);
                format!("mapping from {key} to {value}")
            }
            "object" => match def_name(node_ref) {
                Some(n) => format!("mapping (`{n}`)"),
                None => "mapping".to_owned(),
            },
            "string" if types.len() > 1 && node.get("items").is_some() => {
                // `Command`: a string or a list of strings, each non-empty.
                "string".to_owned()
            }
            other => other.to_owned(),
        });
    }
    let mut text = parts.join(" or ");
    if let Some(f) = node.get("format").and_then(Value::as_str) {
        let _ = write!(text, " ({f})");
    }
    let mut limits = Vec::new();
    match (node.get("minimum"), node.get("maximum")) {
        (Some(lo), Some(hi)) => limits.push(format!("{lo} to {hi}")),
        (Some(lo), None) => limits.push(format!("at least {lo}")),
        (None, Some(hi)) => limits.push(format!("at most {hi}")),
        (None, None) => {}
    }
    match (
        node.get("minLength").and_then(Value::as_u64),
        node.get("maxLength").and_then(Value::as_u64),
    ) {
        (Some(lo), Some(hi)) => limits.push(format!("{lo} to {hi} characters")),
        (Some(1), None) => limits.push("not empty".to_owned()),
        (Some(lo), None) => limits.push(format!("at least {lo} characters")),
        (None, Some(hi)) => limits.push(format!("at most {hi} characters")),
        (None, None) => {}
    }
    if !limits.is_empty() {
        let _ = write!(text, ", {}", limits.join(", "));
    }
    if let Some(expected) = node.get("x-expected").and_then(Value::as_str) {
        let _ = write!(text, ": {expected}");
    } else if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
        let _ = write!(text, " matching `{pattern}`");
    }
    text
}

/// The fields of an object (or of the objects a list holds), as table rows, including
/// the fields that depend on a discriminator (a volume's `spec` by `volume_type`).
fn field_rows(schema: &Value, node: &Value, prefix: &str, when: &str, out: &mut Vec<String>) {
    let node = deref(schema, node);
    let node = match node.get("items") {
        Some(items) if node.get("properties").is_none() => deref(schema, items),
        _ => node,
    };
    let required = str_list(node.get("required"));
    for (key, field) in props(node) {
        let path = format!("{prefix}{key}");
        let described = deref(schema, field);
        let description = field
            .get("description")
            .or_else(|| described.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let actions = str_list(field.get("x-actions"));
        let mut notes = Vec::new();
        if required.contains(key) {
            notes.push("required".to_owned());
        }
        if !actions.is_empty() {
            notes.push(format!("only {}", actions.join(", ")));
        }
        if !when.is_empty() {
            notes.push(format!("with `{when}`"));
        }
        out.push(format!(
            "| `{path}` | {} | {} | {} |",
            cell(&type_text(schema, field)),
            cell(&notes.join("; ")),
            cell(description)
        ));
    }
    for rule in node
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(cond) = rule.pointer("/if/properties").and_then(Value::as_object) else {
            continue;
        };
        let Some((disc, value)) = cond
            .iter()
            .find_map(|(k, v)| Some((k, v.get("const")?.as_str()?)))
        else {
            continue;
        };
        for (key, field) in props(&rule["then"]) {
            if deref(schema, field).get("properties").is_some() {
                field_rows(
                    schema,
                    field,
                    &format!("{prefix}{key}."),
                    &format!("{disc}: {value}"),
                    out,
                );
            }
        }
    }
}

/// For each action, what the root's action rules say about `param`: forbidden
/// (`false`), required, or neither.
fn action_rules(schema: &Value, param: &str) -> (Vec<String>, Vec<String>) {
    let mut forbidden = Vec::new();
    let mut required = Vec::new();
    for rule in schema["allOf"].as_array().expect("action rules") {
        let Some(action) = rule
            .pointer("/if/properties/action/const")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if rule.pointer(&format!("/then/properties/{param}")) == Some(&Value::Bool(false)) {
            forbidden.push(action.to_owned());
        }
        if str_list(rule.pointer("/then/required"))
            .iter()
            .any(|r| r == param)
        {
            required.push(action.to_owned());
        }
    }
    (forbidden, required)
}

/// The actions a parameter applies to, from its `x-actions` (all when absent).
fn actions_of(node: &Value) -> Vec<String> {
    let listed = str_list(node.get("x-actions"));
    if listed.is_empty() {
        ACTIONS.iter().map(|a| (*a).to_owned()).collect()
    } else {
        listed
    }
}

/// The whole reference.
fn generate(schema: &Value) -> String {
    let mut out = String::new();
    let root = props(schema);
    let required = str_list(schema.get("required"));
    let _ = writeln!(out, "# Task reference\n");
    let _ = writeln!(
        out,
        "<!-- Generated by tests/it/docs.rs from the Task schema; do not edit. Regenerate with\n     `UPDATE_DOCS=1 cargo test --test it docs`. -->\n"
    );
    let _ = writeln!(
        out,
        "{}\n",
        one_line(schema["description"].as_str().unwrap_or_default())
    );
    let _ = writeln!(
        out,
        "A Task is a YAML mapping; a file may hold several, separated by `---`. This page is\n\
         generated from the Task's JSON Schema ([`schemas/task.schema.json`](../schemas/task.schema.json),\n\
         also printed by `taskrender schema task`, `$id` `{}`), so it says what `taskrender check`\n\
         enforces; rules across fields (unique names, requests within limits, …) are described\n\
         in the [README](../README.md). `taskrender explain FIELD` prints the same text for one field.\n",
        schema["$id"].as_str().unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "A parameter of another action is an error, not ignored: `replicas` on a `job` fails.\n"
    );
    let _ = writeln!(out, "| parameter | actions | required |\n|---|---|---|");
    for (key, node) in root {
        let (_, required_by) = action_rules(schema, key);
        let req = if required.contains(key) {
            "yes".to_owned()
        } else if required_by.is_empty() {
            String::new()
        } else {
            required_by.join(", ")
        };
        let actions = actions_of(node);
        let actions = if actions.len() == ACTIONS.len() {
            "all".to_owned()
        } else {
            actions.join(", ")
        };
        let _ = writeln!(out, "| [`{key}`](#{key}) | {actions} | {req} |");
    }
    for (key, node) in root {
        section(schema, key, node, required.contains(key), &mut out);
    }
    out
}

/// The section of one top-level parameter.
fn section(schema: &Value, key: &str, node: &Value, required: bool, out: &mut String) {
    let _ = writeln!(out, "\n## `{key}`\n");
    let description = node
        .get("description")
        .or_else(|| deref(schema, node).get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let _ = writeln!(out, "{}\n", one_line(description));
    let actions = actions_of(node);
    let actions = if actions.len() == ACTIONS.len() {
        "all (`job`, `serve`, `deploy`, `build`)".to_owned()
    } else {
        code_list(&actions)
    };
    let _ = writeln!(out, "- **Actions**: {actions}");
    let _ = writeln!(out, "- **Type**: {}", one_line(&type_text(schema, node)));
    let (_, required_by) = action_rules(schema, key);
    if required {
        let _ = writeln!(out, "- **Required**: yes");
    } else if !required_by.is_empty() {
        let _ = writeln!(out, "- **Required**: for {}", code_list(&required_by));
    }
    if let Some(default) = node.get("default") {
        let trivial = default.is_null()
            || default.as_array().is_some_and(Vec::is_empty)
            || default.as_object().is_some_and(Map::is_empty);
        if !trivial {
            let _ = writeln!(out, "- **Default**: `{default}`");
        }
    }
    if kubernetes_type(node).is_none()
        && kubernetes_type(deref(schema, node).get("items").unwrap_or(&Value::Null)).is_none()
    {
        let mut rows = Vec::new();
        field_rows(schema, node, &format!("{key}."), "", &mut rows);
        if !rows.is_empty() {
            let _ = writeln!(
                out,
                "\n| field | type | when | description |\n|---|---|---|---|"
            );
            for row in rows {
                let _ = writeln!(out, "{row}");
            }
        }
    }
    let _ = writeln!(out, "\nExample:\n\n```yaml");
    let _ = writeln!(
        out,
        "{}",
        example(key).unwrap_or("# (no example: add one to tests/it/docs.rs)")
    );
    let _ = writeln!(out, "```");
}

#[test]
fn task_reference_is_fresh() {
    let text = generate(&schema());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != text {
        let diff = similar::TextDiff::from_lines(&current, &text);
        panic!(
            "{DOC} is stale: run `UPDATE_DOCS=1 cargo test --test it docs` and review\n{}",
            diff.unified_diff()
                .context_radius(2)
                .header(&format!("checked-in {DOC}"), "generated")
        );
    }
}

#[test]
fn reference_covers_every_parameter_and_field() {
    let schema = schema();
    let text = generate(&schema);
    for key in props(&schema).keys() {
        assert!(
            text.contains(&format!("\n## `{key}`\n")),
            "no section for `{key}`"
        );
    }
    // Nested fields, including the conditional ones of a volume's `spec`.
    for field in [
        "function.image",
        "function.source",
        "volumes.spec.size_limit",
        "volumes.spec.claim_name",
        "service_ports.targetPort",
        "resources.requests",
    ] {
        assert!(
            text.contains(&format!("| `{field}` |")),
            "no row for `{field}`"
        );
    }
    assert!(
        text.contains("| [`replicas`](#replicas) | serve, deploy |"),
        "actions of `replicas` missing from the summary"
    );
}

#[test]
fn x_actions_agree_with_the_action_rules() {
    let schema = schema();
    for (key, node) in props(&schema) {
        let (forbidden, _) = action_rules(&schema, key);
        let expected: Vec<String> = ACTIONS
            .iter()
            .filter(|a| !actions_of(node).iter().any(|x| x == *a))
            .map(|a| (*a).to_owned())
            .collect();
        assert_eq!(
            forbidden,
            expected,
            "`{key}`: x-actions {:?} but the action rules forbid it for {forbidden:?}",
            actions_of(node)
        );
    }
}

#[test]
fn every_example_is_a_valid_task() {
    let schema = schema();
    let root = props(&schema);
    for (param, _) in EXAMPLES {
        assert!(
            root.contains_key(*param),
            "example for unknown parameter `{param}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (key, node) in root {
        let Some(snippet) = example(key) else {
            failures.push(format!("`{key}` has no example"));
            continue;
        };
        // A minimal Task of the first action the parameter applies to, with the example's
        // keys replacing the base's.
        let action = if key == "action" {
            "serve".to_owned()
        } else {
            actions_of(node)[0].clone()
        };
        let base = [
            ("name", "name: example".to_owned()),
            ("action", format!("action: {action}")),
            (
                "function",
                "function: {image: ghcr.io/acme/app:1.0.0}".to_owned(),
            ),
            // `check` warns about a build pushed without a registry (`lint::no_registry`)
            // and a Task without a user (`lint::no_run_as_user`).
            (
                "image",
                if action == "build" {
                    "image: registry.example.com/team/example:1.0".to_owned()
                } else {
                    String::new()
                },
            ),
            (
                "run_as_user",
                if action == "build" {
                    String::new()
                } else {
                    "run_as_user: 1000".to_owned()
                },
            ),
            (
                "service_ports",
                if action == "serve" {
                    "service_ports: [{port: 80}]".to_owned()
                } else {
                    String::new()
                },
            ),
        ];
        let mut task = String::new();
        for (k, line) in &base {
            if !line.is_empty() && !snippet.lines().any(|l| l.starts_with(&format!("{k}:"))) {
                task.push_str(line);
                task.push('\n');
            }
        }
        task.push_str(snippet);
        task.push('\n');
        // With `--format json`, stderr carries diagnostics only: a warning fails too.
        let out = taskrender(
            dir.path(),
            &["check", "--strict", "--format", "json", "-"],
            task.as_bytes(),
        );
        if out.status.code() != Some(0) || !out.stderr.is_empty() {
            failures.push(format!(
                "example of `{key}` (exit {:?}):\n{task}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
