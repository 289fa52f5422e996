//! `taskrender explain FIELD`: what a Task parameter is, from the Task schema (its
//! descriptions come from the doc comments of the typed model).

use std::fmt::Write as _;

use serde_json::Value;

use crate::diagnostic::did_you_mean;
use crate::outcome::{EXIT_USAGE, Outcome};
use crate::schema;

/// `taskrender explain FIELD`.
pub(crate) fn run(field: &str) -> Outcome {
    let schema: Value =
        serde_json::from_str(schema::TASK_SCHEMA).expect("checked-in schema is JSON");
    match explain(&schema, field) {
        Ok(text) => Outcome {
            stdout: text.into_bytes(),
            ..Outcome::default()
        },
        Err(message) => Outcome {
            stderr: format!("error: {message}\n"),
            code: EXIT_USAGE,
            ..Outcome::default()
        },
    }
}

/// One place a dotted path leads to in the schema.
struct Found<'a> {
    node: &'a Value,
    /// The condition under which this definition applies (`volume_type: empty_dir`).
    when: Option<String>,
    /// The actions the parameter belongs to, when restricted.
    actions: Option<String>,
}

/// Explains `path` (`volumes.spec.size_limit`), or lists the top-level parameters when
/// `path` is empty. `Err` carries the message for an unknown field.
fn explain(schema: &Value, path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Ok(list(
            schema,
            schema,
            "Task parameters (`taskrender explain NAME` for one):",
        ));
    }
    let mut found = vec![Found {
        node: schema,
        when: None,
        actions: None,
    }];
    let mut walked = Vec::new();
    for seg in path.split('.') {
        let mut next = Vec::new();
        let mut siblings = Vec::new();
        for f in &found {
            let node = container(schema, f.node);
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                siblings.extend(props.keys().cloned());
                if let Some(p) = props.get(seg) {
                    next.push(Found {
                        node: p,
                        when: f.when.clone(),
                        actions: actions(p).or_else(|| f.actions.clone()),
                    });
                }
            }
            // Conditional definitions, such as a volume's `spec` by `volume_type` (not the
            // root's action rules, which only forbid parameters).
            if !std::ptr::eq(node, schema) {
                for rule in node
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(p) = rule.pointer(&format!("/then/properties/{seg}")) else {
                        continue;
                    };
                    let when = rule["if"]["properties"].as_object().and_then(|c| {
                        c.iter().find_map(|(k, v)| {
                            v.get("const")
                                .map(|c| format!("{k}: {}", c.as_str().unwrap_or_default()))
                        })
                    });
                    next.push(Found {
                        node: p,
                        when,
                        actions: f.actions.clone(),
                    });
                }
            }
        }
        walked.push(seg);
        if next.is_empty() {
            siblings.sort();
            siblings.dedup();
            let mut message = format!("no field `{}`", walked.join("."));
            if let Some(s) = did_you_mean(seg, siblings.iter().map(String::as_str)) {
                let _ = write!(
                    message,
                    "; did you mean `{}`?",
                    walked[..walked.len() - 1]
                        .iter()
                        .copied()
                        .chain([s])
                        .collect::<Vec<_>>()
                        .join(".")
                );
            } else if !siblings.is_empty() {
                let _ = write!(message, "; expected one of: {}", siblings.join(", "));
            }
            return Err(message);
        }
        found = next;
    }
    let mut out = String::new();
    for f in found {
        describe(schema, path, &f, &mut out);
    }
    if let Some(examples) = examples(path) {
        out.push_str(examples);
    }
    Ok(out.trim_end().to_owned() + "\n")
}

/// Worked examples of the parameters that take several shapes.
fn examples(path: &str) -> Option<&'static str> {
    match path {
        "resources" => Some(
            "Examples (one shape per Task; the same meaning renders the same objects):

  # Kubernetes
  resources:
    requests: {cpu: \"6\", memory: 64Gi, nvidia.com/gpu: 1}
    limits: {nvidia.com/gpu: 1}

  # the platform's scalar shape (SDK 0.14+): requests; gpu also its limit;
  # disk: a scratch volume at /shared
  resources: {cpu: \"6\", mem: 64Gi, gpu: \"1\", disk: 10Gi}

  # the platform's per-resource shape (SDK 0.13)
  resources:
    cpu: {requests: \"1\", limits: \"2\"}
    mem: {requests: 1Gi}
    gpu: {limits: \"1\"}

  `gpu` is the profile's `platform.gpu_resource` (default `nvidia.com/gpu`). Extended
  resources (any `domain/name`, such as GPUs) need a limit, a request equal to it,
  and whole numbers, in every shape.
",
        ),
        "secrets" => Some(
            "Examples:

  secrets:
    - db-credentials   # a Secret: each of its keys becomes a variable (envFrom)
    - HF_TOKEN         # a key of the project's secret store: variable HF_TOKEN from
                       # Secret `proj-secrets-<project>` (profile: platform.secret_store)
    - {key: my-token}  # a store key whatever its spelling (the platform's lower-case keys)
",
        ),
        "function.source" => Some(
            "Examples:

  source: git+https://github.com/acme/app#main      # cloned into /shared
  source: zip+s3://bucket/app.zip                   # unzipped into /shared
  source: {source: main.py, base64: cHJpbnQoMSkK}   # the file /shared/main.py
  source: {source: launch.sh, code: \"echo hi\"}      # the same, as text

  Remote refs: git+https, http(s), zip+http(s), s3 (a file, or a prefix ending in /),
  zip+s3, hf. On build, git://, s3:// and gs:// are Kaniko contexts.
",
        ),
        _ => None,
    }
}

/// One definition a path leads to: its type, constraints, description and fields.
fn describe(schema: &Value, path: &str, f: &Found<'_>, out: &mut String) {
    let node = deref(schema, f.node);
    let _ = writeln!(out, "FIELD:   {path}");
    if let Some(when) = &f.when {
        let _ = writeln!(out, "WHEN:    {when}");
    }
    let _ = writeln!(out, "ACTIONS: {}", f.actions.as_deref().unwrap_or("all"));
    let _ = writeln!(out, "TYPE:    {}", type_of(schema, node));
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(out, "VALUES:  {}", values.join(", "));
    }
    if let Some(expected) = node.get("x-expected").and_then(Value::as_str) {
        let _ = writeln!(out, "FORMAT:  {expected}");
    }
    for (key, word) in [("minimum", "MINIMUM"), ("maximum", "MAXIMUM")] {
        if let Some(v) = node.get(key) {
            let _ = writeln!(out, "{word}: {v}");
        }
    }
    let description = f
        .node
        .get("description")
        .or_else(|| node.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let _ = writeln!(out, "\n{}\n", indent(description));
    let inner = container(schema, node);
    if inner.get("properties").is_some() {
        out.push_str(&list(schema, inner, "Fields:"));
        out.push('\n');
    }
}

fn indent(text: &str) -> String {
    text.split('\n')
        .map(|l| format!("  {}", l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn deref<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(pointer) => deref(schema, schema.pointer(pointer).unwrap_or(&Value::Null)),
        None => node,
    }
}

/// The object whose fields a path continues into: through `$ref`s and list items.
fn container<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    let node = deref(schema, node);
    match node.get("items") {
        Some(items) if node.get("properties").is_none() => deref(schema, items),
        _ => node,
    }
}

fn actions(node: &Value) -> Option<String> {
    let list: Vec<&str> = node
        .get("x-actions")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(list.join(", "))
}

fn type_of(schema: &Value, node: &Value) -> String {
    let one = |t: &str| {
        t.replace("integer", "whole number")
            .replace("object", "mapping")
            .replace("array", "list")
    };
    let base = match node.get("type") {
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if node.get("enum").is_some() => "string".into(),
        _ => "mapping".into(),
    };
    match node.get("items") {
        Some(items) => format!("{base} of {}", type_of(schema, deref(schema, items))),
        None => base,
    }
}

/// `name  first line of description` for every field of `node`.
fn list(schema: &Value, node: &Value, title: &str) -> String {
    let node = container(schema, node);
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    let width = props.keys().map(String::len).max().unwrap_or(0);
    let mut out = format!("{title}\n");
    for (name, p) in props {
        let description = p
            .get("description")
            .or_else(|| deref(schema, p).get("description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let first = description
            .split(". ")
            .next()
            .unwrap_or("")
            .replace('\n', " ");
        let _ = writeln!(out, "  {name:width$}  {}", first.trim_end_matches('.'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        serde_json::from_str(crate::schema::TASK_SCHEMA).unwrap()
    }

    #[test]
    fn explains_nested_and_conditional_fields() {
        let s = schema();
        let text = explain(&s, "volumes.spec.size_limit").unwrap();
        assert!(text.contains("WHEN:    volume_type: empty_dir"), "{text}");
        assert!(text.contains("TYPE:    string or number"), "{text}");
        let size = explain(&s, "volumes.spec.size").unwrap();
        assert_eq!(
            size.matches("FIELD:").count(),
            2,
            "persistent_volume_claim and ephemeral: {size}"
        );
        let replicas = explain(&s, "replicas").unwrap();
        assert!(
            replicas.contains("ACTIONS: serve, deploy") && replicas.contains("MINIMUM: 0"),
            "{replicas}"
        );
        let policy = explain(&s, "function.image_pull_policy").unwrap();
        assert!(
            policy.contains("VALUES:  Always, IfNotPresent, Never"),
            "{policy}"
        );
    }

    #[test]
    fn unknown_fields_suggest() {
        let s = schema();
        assert_eq!(
            explain(&s, "volumes.spec.sise").unwrap_err(),
            "no field `volumes.spec.sise`; did you mean `volumes.spec.size`?"
        );
        assert!(explain(&s, "").unwrap().contains("service_ports"));
    }
}
