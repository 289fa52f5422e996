//! Test-only: generates the checked-in JSON Schemas from the typed models ([`TaskSpec`],
//! [`ProfileSpec`]) and the vendored Kubernetes definitions, and fails when a checked-in
//! file is stale. Bless with `UPDATE_SCHEMA=1 cargo test schema`.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use serde_json::{Value, json};

use crate::profile::model::ProfileSpec;
use crate::schema::{PROFILE_SCHEMA, TASK_SCHEMA, annotations};
use crate::task::{Action, TaskSpec};

/// Kubernetes definitions embedded in the Task schema (see `scripts/vendor_k8s_defs.py`).
const K8S_DEFS: &str = include_str!("../schemas/k8s-defs.json");

/// Generates the Task schema from the typed model: what `schemas/task.schema.json` must hold.
fn generate_task_schema() -> Value {
    let settings = SchemaSettings::draft2020_12().with_transform(NoNull);
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<TaskSpec>()
        .to_value();
    value["$comment"] = json!(
        "generated from src/task/mod.rs; run `UPDATE_SCHEMA=1 cargo test schema` after changing it"
    );
    let k8s: Value =
        serde_json::from_str(K8S_DEFS).expect("vendored Kubernetes definitions are JSON");
    add_defs(
        &mut value,
        k8s["$defs"].as_object().expect("k8s-defs.json has $defs"),
    );
    add_action_rules(&mut value);
    ordered(value)
}

/// Generates the profile schema from [`ProfileSpec`]: what `schemas/profile.schema.json`
/// must hold. `defaults` and `enforce` take Task parameters (everything but `name`,
/// `action` and `profile`), checked by the same definitions as in the Task schema.
fn generate_profile_schema() -> Value {
    let settings = SchemaSettings::draft2020_12().with_transform(NoNull);
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<ProfileSpec>()
        .to_value();
    value["$comment"] = json!(
        "generated from src/profile/model.rs; run `UPDATE_SCHEMA=1 cargo test schema` after changing it"
    );
    let task = generate_task_schema();
    let mut params = task["properties"].as_object().cloned().unwrap_or_default();
    for key in ["name", "action", "profile", "apiVersion", "kind"] {
        params.remove(key);
    }
    let mut defs = task["$defs"].as_object().cloned().unwrap_or_default();
    defs.insert(
        "TaskParameters".into(),
        json!({
            "description": "Task parameters (all optional): what a Task may set, but `name`, `action` and `profile`.",
            "type": "object",
            "additionalProperties": false,
            "properties": params,
        }),
    );
    add_defs(&mut value, &defs);
    ordered(value)
}

fn add_defs(schema: &mut Value, extra: &serde_json::Map<String, Value>) {
    let defs = schema
        .as_object_mut()
        .expect("a root schema is an object")
        .entry("$defs")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("$defs is an object");
    for (name, def) in extra {
        defs.insert(name.clone(), def.clone());
    }
    let mut sorted: Vec<_> = std::mem::take(defs).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    *defs = sorted.into_iter().collect();
}

/// Header keywords first, `$defs` last: the order a reader of the file expects.
fn ordered(value: Value) -> Value {
    const ORDER: [&str; 11] = [
        "$schema",
        "$id",
        "title",
        "description",
        "$comment",
        "type",
        "required",
        "additionalProperties",
        "properties",
        "allOf",
        "$defs",
    ];
    let Value::Object(mut obj) = value else {
        unreachable!("a root schema is an object")
    };
    let mut ordered = serde_json::Map::new();
    for key in ORDER {
        if let Some(v) = obj.remove(key) {
            ordered.insert(key.into(), v);
        }
    }
    ordered.extend(obj);
    Value::Object(ordered)
}

/// `Option<T>` means "may be absent", not "may be null": schemars allows null for it,
/// which would make every error on an optional field an unreadable `anyOf`.
#[derive(Clone)]
struct NoNull;

impl Transform for NoNull {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Array(types)) = obj.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let single = types.remove(0);
                obj.insert("type".into(), single);
            }
        }
        if let Some(Value::Array(any)) = obj.get("anyOf") {
            let kept: Vec<Value> = any
                .iter()
                .filter(|s| s.get("type") != Some(&json!("null")))
                .cloned()
                .collect();
            if kept.len() == 1 && kept.len() < any.len() {
                obj.remove("anyOf");
                if let Value::Object(inner) = &kept[0] {
                    for (k, v) in inner {
                        obj.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
}

/// Adds, for each action, an `if action == A then {field: false}` rule for every parameter
/// whose `x-actions` leaves A out, and the per-action requirements (an image for the
/// actions that run one; `replicas >= 1` for `deploy`).
fn add_action_rules(schema: &mut Value) {
    let foreign = |props: &Value, action: &str| -> serde_json::Map<String, Value> {
        props
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, p)| annotations::actions(p).is_some_and(|a| !a.contains(&action)))
            .map(|(name, _)| (name.clone(), Value::Bool(false)))
            .collect()
    };
    let mut rules = Vec::new();
    for action in Action::ALL {
        let a = action.as_str();
        let mut then = json!({"properties": foreign(&schema["properties"], a)});
        let function_foreign = foreign(&schema["$defs"]["Function"]["properties"], a);
        if !function_foreign.is_empty() {
            then["properties"]["function"] = json!({"properties": function_foreign});
        }
        if action != Action::Build {
            then["required"] = json!(["function"]);
            // An image, or the build Task it comes from.
            then["properties"]["function"]["if"] = json!({"required": ["image_from"]});
            then["properties"]["function"]["else"] = json!({"required": ["image"]});
        }
        if action == Action::Deploy {
            then["properties"]["replicas"] = json!({"minimum": 1});
        }
        rules.push(json!({
            "if": {"properties": {"action": {"const": a}}, "required": ["action"]},
            "then": then,
        }));
    }
    schema["allOf"] = Value::Array(rules);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A checked-in schema is what the Rust types generate. Bless with `UPDATE_SCHEMA=1`.
    fn assert_fresh(file: &str, generated: &Value, checked_in: &str) {
        let generated = serde_json::to_string_pretty(generated).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(
                format!("{}/schemas/{file}", env!("CARGO_MANIFEST_DIR")),
                &generated,
            )
            .unwrap();
            return;
        }
        assert!(
            generated == checked_in,
            "schemas/{file} is stale: run `UPDATE_SCHEMA=1 cargo test schema_file_is_fresh`"
        );
    }

    #[test]
    fn schema_file_is_fresh() {
        assert_fresh("task.schema.json", &generate_task_schema(), TASK_SCHEMA);
    }

    #[test]
    fn profile_schema_file_is_fresh() {
        assert_fresh(
            "profile.schema.json",
            &generate_profile_schema(),
            PROFILE_SCHEMA,
        );
    }

    #[test]
    fn every_property_has_a_description() {
        fn walk(root: &Value, path: &str, v: &Value, missing: &mut Vec<String>) {
            if let Some(props) = v.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    let described = p.get("description").is_some()
                        || p.get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|r| root.pointer(&r[1..]))
                            .is_some_and(|t| t.get("description").is_some());
                    if !described {
                        missing.push(format!("{path}.{k}"));
                    }
                }
            }
        }
        let mut missing = Vec::new();
        let task: Value = serde_json::from_str(TASK_SCHEMA).unwrap();
        let profile: Value = serde_json::from_str(PROFILE_SCHEMA).unwrap();
        for schema in [&task, &profile] {
            walk(schema, "", schema, &mut missing);
            for (name, def) in schema["$defs"].as_object().unwrap() {
                walk(schema, name, def, &mut missing);
            }
        }
        assert!(
            missing.is_empty(),
            "properties without description: {missing:?}"
        );
    }
}
