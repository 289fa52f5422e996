//! Stage 3, validate: a [`Document`] against `schemas/task.schema.json` → every problem, as
//! diagnostics that point at the offending key or value.
//!
//! The schema is generated from the typed model ([`crate::spec::model`]) and checked in; it
//! is compiled once per process. Its `x-actions` annotations (the actions a parameter
//! belongs to) become `if`/`then` rules here, so editors reject `replicas` on a `job` too.

use std::fmt::Write as _;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, ErrorKind, did_you_mean};
use crate::profile::model::ProfileSpec;
use crate::spec::model::{Action, TaskSpec};
use crate::spec::parse::{Document, escape_segment};

/// The checked-in profile schema, as `taskrender schema profile` prints it.
pub const PROFILE_SCHEMA: &str = include_str!("../schemas/profile.schema.json");

/// The checked-in Task schema, as `taskrender schema task` prints it.
pub const TASK_SCHEMA: &str = include_str!("../schemas/task.schema.json");

/// Kubernetes definitions embedded in the Task schema (see `scripts/vendor_k8s_defs.py`).
const K8S_DEFS: &str = include_str!("../schemas/k8s-defs.json");

struct Compiled {
    /// What the root of a document is called in messages.
    root: &'static str,
    schema: Value,
    validator: Validator,
}

static PROFILE: LazyLock<Compiled> = LazyLock::new(|| compile("the profile", PROFILE_SCHEMA));
static TASK: LazyLock<Compiled> = LazyLock::new(|| compile("the Task", TASK_SCHEMA));

fn compile(root: &'static str, text: &str) -> Compiled {
    let schema: Value = serde_json::from_str(text).expect("checked-in schemas are JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("checked-in schemas compile");
    Compiled {
        root,
        schema,
        validator,
    }
}

/// Generates the Task schema from the typed model: what `schemas/task.schema.json` must hold.
pub fn generate_task_schema() -> Value {
    let settings = SchemaSettings::draft2020_12().with_transform(NoNull);
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<TaskSpec>()
        .to_value();
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
pub fn generate_profile_schema() -> Value {
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
    for key in ["name", "action", "profile"] {
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

/// Called by schemars on the root schema: nothing to do there yet (the action rules need
/// the finished `$defs`, see [`add_action_rules`]).
pub(crate) fn task_transform(schema: &mut Schema) {
    schema.insert("$comment".into(), json!("generated from src/spec/model.rs; run `UPDATE_SCHEMA=1 cargo test schema` after changing it"));
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
            .filter(|(_, p)| {
                p.get("x-actions")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.iter().any(|x| x == action))
            })
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
            then["properties"]["function"]["required"] = json!(["image"]);
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

/// Validates one document; returns every problem, in source order.
pub fn validate(doc: &Document) -> Vec<Diagnostic> {
    validate_against(&TASK, doc)
}

/// Validates a rendered profile document against `schemas/profile.schema.json`.
pub fn validate_profile(doc: &Document) -> Vec<Diagnostic> {
    validate_against(&PROFILE, doc)
}

fn validate_against(c: &Compiled, doc: &Document) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = c
        .validator
        .iter_errors(&doc.value)
        .flat_map(|e| diagnose(c, doc, &e))
        .collect();
    out.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.kind.to_string().cmp(&b.kind.to_string()))
    });
    out.dedup_by(|a, b| a.kind == b.kind && a.labels == b.labels);
    out
}

/// `/volumes/0/spec/size` → `volumes[0].spec.size`, as a user would name it.
pub fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            out.push('[');
            out.push_str(&seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

fn parent_name(c: &Compiled, pointer: &str) -> String {
    if pointer.is_empty() {
        c.root.into()
    } else {
        format!("`{}`", field_name(pointer))
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn type_phrase(schema_type: &Value) -> String {
    let one = |t: &str| match t {
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        "array" => "a list",
        "object" => "a mapping",
        _ => "null",
    };
    match schema_type {
        Value::String(t) => one(t).into(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "another type".into(),
    }
}

/// The subschema holding the failing keyword, and the one above it.
fn keyword_parent(schema_path: &str) -> &str {
    schema_path.rfind('/').map_or("", |i| &schema_path[..i])
}

/// The human phrasing of a pattern, from `x-expected` on the subschema or on the array
/// schema around it.
fn expected_phrase(c: &Compiled, subschema_ptr: &str) -> Option<String> {
    let mut ptr = subschema_ptr;
    for _ in 0..3 {
        if let Some(e) = c
            .schema
            .pointer(ptr)
            .and_then(|s| s.get("x-expected"))
            .and_then(Value::as_str)
        {
            return Some(e.to_owned());
        }
        ptr = keyword_parent(ptr);
    }
    None
}

fn last_segment(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace("~1", "/")
        .replace("~0", "~")
}

/// A DNS-1123 label close to `value`, to offer as a fix.
fn dns_label_like(value: &str) -> Option<String> {
    let mut s: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-');
    let s: String = s.chars().take(63).collect();
    let s = s.trim_end_matches('-').to_owned();
    (!s.is_empty() && s != value).then_some(s)
}

/// Turns one schema error into diagnostics: one arm per JSON Schema keyword, each saying
/// in the user's terms what is wrong and, where it can, what to write instead.
#[allow(clippy::too_many_lines)] // one flat match is easier to audit than arms scattered over helpers
fn diagnose(c: &Compiled, doc: &Document, err: &ValidationError<'_>) -> Vec<Diagnostic> {
    let file = &doc.file;
    let pointer = err.instance_path().as_str();
    let schema_path = err.schema_path().as_str();
    let sub_ptr = keyword_parent(schema_path);
    let sub = c.schema.pointer(sub_ptr).unwrap_or(&Value::Null);
    let instance = err.instance();
    let field = field_name(pointer);
    let value_span = doc.spans.value(pointer);
    let key_span = doc.spans.key(pointer);
    let invalid = |problem: String| ErrorKind::InvalidValue {
        field: field.clone(),
        problem,
    };

    let diagnostic = match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = sub
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return unexpected
                .iter()
                .map(|key| unknown_key(c, doc, pointer, key, &known))
                .collect();
        }
        ValidationErrorKind::FalseSchema => {
            let name = last_segment(pointer);
            let action = doc
                .value
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let owner = if pointer.starts_with("/function/") {
                &c.schema["$defs"]["Function"]
            } else {
                &c.schema
            };
            let accepted: Vec<&str> = owner["properties"][&name]["x-actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut help = format!("`{name}` applies to: {}", accepted.join(", "));
            if !pointer.starts_with("/function/")
                && c.schema["$defs"]["Function"]["properties"]
                    .get(&name)
                    .is_some()
            {
                let _ = write!(help, "; did you mean `function.{name}`?");
            }
            Diagnostic::new(ErrorKind::WrongAction {
                field: field.clone(),
                action: action.clone(),
            })
            .at(file, key_span, format!("not a parameter of `{action}`"))
            .with_help(help)
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let mut d = Diagnostic::new(ErrorKind::MissingField {
                field: name.to_owned(),
                parent: parent_name(c, pointer),
            });
            d = if pointer.is_empty() {
                let start = doc.spans.value("").start;
                d.at(file, start..start, format!("this Task has no `{name}`"))
            } else {
                d.at(file, key_span, format!("`{name}` is missing here"))
            };
            match (pointer, name) {
                ("", "function") | ("/function", "image") => {
                    let action = doc
                        .value
                        .get("action")
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    d.with_help(format!(
                        "action `{action}` runs an image: add `function: {{image: <image>}}`"
                    ))
                }
                _ => d,
            }
        }
        ValidationErrorKind::Type { .. } => {
            let expected = type_phrase(sub.get("type").unwrap_or(&Value::Null));
            let d = Diagnostic::new(ErrorKind::WrongType {
                field: field.clone(),
                expected: expected.clone(),
                found: describe(instance),
            })
            .at(file, value_span, format!("expected {expected}"));
            match instance.as_ref() {
                Value::Number(_) | Value::Bool(_) if expected.starts_with("a string") => {
                    d.with_help(format!("quote it to make it a string: `\"{instance}\"`"))
                }
                Value::Null => d.with_help("give a value, or remove the key"),
                Value::String(s) if expected == "a list" => {
                    d.with_help(format!("write a list: `[{s}]`"))
                }
                _ => d,
            }
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let shown = instance
                .as_str()
                .map_or_else(|| instance.to_string(), str::to_owned);
            let d = Diagnostic::new(invalid(format!(
                "`{shown}` is not one of {}",
                options.join(", ")
            )))
            .at(file, value_span, "not allowed here");
            if pointer == "/service_type" && instance.as_str() == Some("ExternalName") {
                return vec![d.with_help(
                    "an ExternalName Service is a DNS alias that selects no pods, so it cannot expose a serve Task; \
                     use ClusterIP, NodePort or LoadBalancer, and write an ExternalName Service by hand if you need one",
                )];
            }
            match instance
                .as_str()
                .and_then(|s| did_you_mean(s, options.iter().copied()))
            {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("expected one of: {}", options.join(", "))),
            }
        }
        ValidationErrorKind::Constant { expected_value } => Diagnostic::new(invalid(format!(
            "expected `{expected_value}`"
        )))
        .at(file, value_span, "not allowed here"),
        ValidationErrorKind::Pattern { .. } => {
            let text = instance.as_str().unwrap_or_default();
            let expected =
                expected_phrase(c, sub_ptr).unwrap_or_else(|| "in the expected format".into());
            let d = Diagnostic::new(invalid(format!("`{text}` is not {expected}"))).at(
                file,
                value_span,
                "does not match",
            );
            match dns_label_like(text) {
                Some(fix) if expected.contains("DNS-1123 label") => {
                    d.with_help(format!("try `{fix}`"))
                }
                _ if expected.contains("image reference")
                    && text.chars().any(|c| c.is_ascii_uppercase()) =>
                {
                    d.with_help("repository names are lowercase (only a tag may have capitals)")
                }
                _ if expected.contains("image reference") && text.ends_with([':', '@']) => d
                    .with_help(
                        "give the tag after `:` (or the digest after `@`), or leave both out",
                    ),
                _ => d,
            }
        }
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_str().unwrap_or_default().to_owned();
            let key_ptr = format!("{pointer}/{}", escape_segment(&key));
            let inner_sub = keyword_parent(error.schema_path().as_str());
            let expected = expected_phrase(c, &format!("{sub_ptr}/propertyNames"))
                .or_else(|| expected_phrase(c, inner_sub))
                .unwrap_or_else(|| "a valid key".into());
            Diagnostic::new(ErrorKind::InvalidValue {
                field: field_name(&key_ptr),
                problem: format!("the key `{key}` is not {expected}"),
            })
            .at(file, doc.spans.key(&key_ptr), "invalid key")
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => Diagnostic::new(invalid(format!(
            "{instance} is below the minimum {limit}"
        )))
        .at(file, value_span, format!("must be at least {limit}")),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => Diagnostic::new(invalid(format!(
            "{instance} is above the maximum {limit}"
        )))
        .at(file, value_span, format!("must be at most {limit}")),
        ValidationErrorKind::MinLength { limit: 1 } => {
            Diagnostic::new(invalid("must not be empty".into())).at(file, value_span, "empty")
        }
        ValidationErrorKind::MinLength { limit } => Diagnostic::new(invalid(format!(
            "shorter than {limit} characters"
        )))
        .at(file, value_span, "too short"),
        ValidationErrorKind::MaxLength { limit } => {
            let len = instance.as_str().map_or(0, |s| s.chars().count());
            Diagnostic::new(invalid(format!(
                "{len} characters, more than the {limit} allowed"
            )))
            .at(file, value_span, "too long")
        }
        ValidationErrorKind::MinItems { limit: 1 } => Diagnostic::new(invalid(
            "the list must not be empty".into(),
        ))
        .at(file, value_span, "empty list"),
        _ => Diagnostic::new(invalid(err.to_string())).at(file, value_span, "here"),
    };
    vec![diagnostic]
}

fn unknown_key(
    c: &Compiled,
    doc: &Document,
    pointer: &str,
    key: &str,
    known: &[&str],
) -> Diagnostic {
    let key_ptr = format!("{pointer}/{}", escape_segment(key));
    let d = Diagnostic::new(ErrorKind::UnknownField {
        field: key.to_owned(),
        parent: parent_name(c, pointer),
    })
    .at(&doc.file, doc.spans.key(&key_ptr), "unknown key");
    if let Some(s) = did_you_mean(key, known.iter().copied()) {
        // A parameter of other actions is no fix on its own: say so.
        let owner = c.schema.pointer(&format!(
            "{}/properties/{s}",
            if pointer.is_empty() {
                ""
            } else {
                "/$defs/Function"
            }
        ));
        let action = doc.value.get("action").and_then(Value::as_str);
        let accepted: Vec<&str> = owner
            .and_then(|p| p.get("x-actions"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if (pointer.is_empty() || pointer == "/function")
            && let Some(action) = action
            && !accepted.is_empty()
            && !accepted.contains(&action)
        {
            return d.with_help(format!(
                "did you mean `{s}`? (it applies to {}, not to `{action}`)",
                accepted.join(", ")
            ));
        }
        return d.with_help(format!("did you mean `{s}`?"));
    }
    // A `function` key written at the top level, or the other way round.
    let function_keys = c.schema["$defs"]["Function"]["properties"].as_object();
    if pointer.is_empty() && function_keys.is_some_and(|f| f.contains_key(key)) {
        return d.with_help(format!("`{key}` belongs under `function:`"));
    }
    if pointer == "/function" && c.schema["properties"].get(key).is_some() {
        return d.with_help(format!(
            "`{key}` is a Task parameter: move it out of `function:`"
        ));
    }
    if known.len() <= 12 && !known.is_empty() {
        return d.with_help(format!("expected one of: {}", known.join(", ")));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::spec::parse::parse;

    fn check(text: &str) -> Vec<Diagnostic> {
        let docs = parse(&SourceFile::new("t.yaml", text)).unwrap();
        validate(&docs[0])
    }

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
        for schema in [&TASK.schema, &PROFILE.schema] {
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

    #[test]
    fn a_minimal_job_is_valid() {
        assert!(check("name: a\naction: job\nfunction: {image: busybox}\n").is_empty());
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let d = check("name: a\naction: serve\nfunction: {image: x}\nreplica: 2\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind.code(), "spec::unknown_field");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `replicas`?"));
        assert_eq!(d[0].line_col(), Some((4, 1)));
    }

    #[test]
    fn suggestions_say_when_the_fix_belongs_to_another_action() {
        let d = check("name: a\naction: job\nfunction: {image: x}\nreplica: 2\n");
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean `replicas`? (it applies to serve, deploy, not to `job`)")
        );
    }

    #[test]
    fn action_specific_fields_name_their_actions() {
        let d = check("name: a\naction: job\nfunction: {image: x}\nreplicas: 2\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind.code(), "spec::wrong_action");
        assert_eq!(
            d[0].help.as_deref(),
            Some("`replicas` applies to: serve, deploy")
        );
    }

    #[test]
    fn all_errors_are_reported() {
        let d = check(
            "name: Bad_Name\naction: job\nfunction: {image: x, image_pull_policy: Sometimes}\nenvs: [{name: A, value: 1}]\nvolumes: [{volume_type: empty_dir, name: s, mount_path: rel}]\n",
        );
        let codes: Vec<_> = d.iter().map(|d| d.kind.code()).collect();
        assert_eq!(
            codes,
            [
                "spec::invalid_value",
                "spec::invalid_value",
                "spec::type",
                "spec::invalid_value"
            ],
            "{d:#?}"
        );
        assert_eq!(d[0].help.as_deref(), Some("try `bad-name`"));
        assert_eq!(
            d[1].help.as_deref(),
            Some("expected one of: Always, IfNotPresent, Never")
        );
        assert_eq!(
            d[2].help.as_deref(),
            Some("quote it to make it a string: `\"1\"`")
        );
    }

    #[test]
    fn kubernetes_objects_are_checked_strictly() {
        let d = check(
            "name: a\naction: job\nfunction: {image: x}\ntolerations: [{key: k, operater: Exists}]\naffinity: {nodeAffinity: {required: {}}}\n",
        );
        let codes: Vec<_> = d.iter().map(|d| (d.kind.code(), d.help.clone())).collect();
        assert_eq!(
            codes[0],
            (
                "spec::unknown_field",
                Some("did you mean `operator`?".into())
            )
        );
        assert_eq!(codes[1].0, "spec::unknown_field");
    }

    #[test]
    fn image_is_required_for_running_actions() {
        let d = check("name: a\naction: deploy\n");
        assert_eq!(
            d[0].kind,
            ErrorKind::MissingField {
                field: "function".into(),
                parent: "the Task".into()
            }
        );
        assert!(check("name: a\naction: build\nbase_image: python:3.12\n").is_empty());
    }

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let check_image = |image: &str| {
            check(&format!(
                "name: a\naction: job\nfunction: {{image: \"{image}\"}}\n"
            ))
        };
        for good in [
            "busybox",
            "busybox:1.36",
            "ghcr.io/acme/train:1.4.2",
            "localhost:5000/team/app:v1-RC_2",
            "nvcr.io/nvidia/pytorch:24.05-py3",
            "my_org/my__app",
            "registry.example.com/a/b@sha256:52926082b7c334fd52168872c1854847b6e3576de483fbcd7de30f049c1bc98b",
        ] {
            assert!(check_image(good).is_empty(), "{good} should be valid");
        }
        for bad in [
            "Busybox",
            "ghcr.io/Acme/x:1",
            "x:",
            "x@sha256:zz",
            "a b",
            "-x",
            "x:-tag",
            "x//y",
        ] {
            assert_eq!(check_image(bad).len(), 1, "{bad} should be invalid");
        }
    }

    #[test]
    fn dns_label_fixes() {
        assert_eq!(dns_label_like("My_Task"), Some("my-task".into()));
        assert_eq!(dns_label_like("ok"), None);
        assert_eq!(dns_label_like("__"), None);
    }
}
