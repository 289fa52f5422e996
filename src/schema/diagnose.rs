//! Schema errors → diagnostics in the user's terms: one function per JSON Schema keyword,
//! each saying what is wrong and, where it can, what to write instead.

use std::fmt::Write as _;

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::Schema;
use super::annotations::{self, Format};
use crate::diagnostic::{Diagnostic, ErrorKind, did_you_mean};
use crate::yaml::{Document, Pointer};

fn parent_name(c: &Schema, pointer: &str) -> String {
    if pointer.is_empty() {
        c.root.into()
    } else {
        format!("`{}`", Pointer::field(pointer))
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

/// Help for a string where a list belongs: the list to write, one item per word for
/// `args` (each item is one argument), items quoted where YAML would read a number.
fn list_help(field: &str, s: &str) -> String {
    if !field.ends_with("args") {
        return format!("write a list: `[{}]`", yaml_item(s));
    }
    let words =
        shlex::split(s).unwrap_or_else(|| s.split_whitespace().map(str::to_owned).collect());
    let items: Vec<String> = words.iter().map(|w| yaml_item(w)).collect();
    format!(
        "write one item per argument: `[{}]` (unlike `command`, which may be one string split into words, `args` are passed as written)",
        items.join(", ")
    )
}

/// A flow-sequence item that YAML reads back as the string `s`.
fn yaml_item(s: &str) -> String {
    let plain_safe = !s.is_empty()
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "~"
        )
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) && s.len() == 1)
        && !s.contains([',', '[', ']', '{', '}', '#', '"', '\''])
        && !s.contains(": ")
        && !s.starts_with(['&', '*', '!', '|', '>', '%', '@', '`', '\'', '"', '[', '{']);
    if plain_safe {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// `512MB`, `1gb`, `2GiB` → the Kubernetes spellings: `512M` (decimal) or `512Mi` (binary).
fn quantity_fix(text: &str) -> Option<String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    if number.is_empty() {
        return None;
    }
    let prefix = unit.strip_suffix('b').unwrap_or(&unit);
    let (letter, binary_only) = match prefix.strip_suffix('i') {
        Some(l) => (l, true),
        None => (prefix, false),
    };
    let decimal = match letter {
        "k" => "k",
        "m" => "M",
        "g" => "G",
        "t" => "T",
        "p" => "P",
        "e" => "E",
        _ => return None,
    };
    let binary = format!("{}i", decimal.to_ascii_uppercase());
    Some(if binary_only {
        format!("write `{number}{binary}`")
    } else {
        format!(
            "write `{number}{binary}` (binary units, as memory is usually given) or `{number}{decimal}` (decimal units)"
        )
    })
}

/// A number as the user wrote it (`18446744073709551616`, not `1.8446744073709552e+19`).
fn as_written(text: &str, span: &std::ops::Range<usize>, value: &Value) -> String {
    text.get(span.clone())
        .filter(|t| !t.is_empty() && t.parse::<f64>().is_ok())
        .map_or_else(|| value.to_string(), str::to_owned)
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

fn expected_phrase(c: &Schema, subschema_ptr: &str) -> Option<String> {
    annotations::expected(&c.json, subschema_ptr).map(str::to_owned)
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
pub(super) fn diagnose(c: &Schema, doc: &Document, err: &ValidationError<'_>) -> Vec<Diagnostic> {
    let file = &doc.file;
    let pointer = err.instance_path().as_str();
    let schema_path = err.schema_path().as_str();
    let sub_ptr = annotations::parent(schema_path);
    let sub = c.json.pointer(sub_ptr).unwrap_or(&Value::Null);
    let instance = err.instance();
    let field = Pointer::field(pointer);
    let value_span = doc.spans.value(pointer);
    let key_span = doc.spans.key(pointer);
    let invalid = |problem: String| ErrorKind::InvalidValue {
        field: field.clone(),
        problem,
    };
    let not_one_of = |problem: String| ErrorKind::NotOneOf {
        field: field.clone(),
        problem,
    };
    let pattern = |problem: String| ErrorKind::Pattern {
        field: field.clone(),
        problem,
    };
    let out_of_range = |problem: String| ErrorKind::OutOfRange {
        field: field.clone(),
        problem,
    };
    let length = |problem: String| ErrorKind::Length {
        field: field.clone(),
        problem,
    };

    // A key that breaks `propertyNames` (its pattern, its length; inline or through a
    // `$ref`) is reported at the map, with the key as the instance: the one way a string
    // can be the instance of an error at a mapping.
    let key = instance.as_str().filter(|key| {
        doc.value
            .pointer(pointer)
            .and_then(Value::as_object)
            .is_some_and(|map| map.contains_key(*key))
    });
    if let Some(key) = key {
        let key_ptr = format!("{pointer}/{}", Pointer::escape(key));
        let expected = expected_phrase(c, sub_ptr).unwrap_or_else(|| "a valid key".into());
        return vec![
            Diagnostic::new(ErrorKind::InvalidKey {
                field: Pointer::field(&key_ptr),
                problem: format!("the key `{key}` is not {expected}"),
            })
            .at(file, doc.spans.key(&key_ptr), "invalid key"),
        ];
    }

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
            let name = Pointer::last(pointer).into_owned();
            let action = doc
                .value
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let owner = if pointer.starts_with("/function/") {
                &c.json["$defs"]["Function"]
            } else {
                &c.json
            };
            let accepted = annotations::actions(&owner["properties"][&name]).unwrap_or_default();
            let mut help = format!("`{name}` applies to: {}", accepted.join(", "));
            if !pointer.starts_with("/function/")
                && c.json["$defs"]["Function"]["properties"]
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
                let this = c.root.replacen("the ", "this ", 1);
                d.at(file, start..start, format!("{this} has no `{name}`"))
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
            // Messages and help quote what the user wrote (`3.10`, `0x1F`), not the parsed
            // value (`3.1`, `31`).
            let written = file
                .text
                .get(value_span.clone())
                .filter(|t| !t.is_empty() && !t.contains('\n'))
                .map_or_else(|| instance.to_string(), str::to_owned);
            let found = match instance.as_ref() {
                Value::Number(_) => format!("number `{written}`"),
                other => describe(other),
            };
            let d = Diagnostic::new(ErrorKind::WrongType {
                field: field.clone(),
                expected: expected.clone(),
                found,
            })
            .at(file, value_span.clone(), format!("expected {expected}"));
            match instance.as_ref() {
                Value::Number(_) | Value::Bool(_) if expected.starts_with("a string") => {
                    d.with_help(format!("quote it to make it a string: `\"{written}\"`"))
                }
                Value::Null => d.with_help("give a value, or remove the key"),
                Value::String(s) if expected == "a list" => d.with_help(list_help(&field, s)),
                Value::String(s)
                    if expected.contains("number") && s.trim().parse::<f64>().is_ok() =>
                {
                    d.with_help(format!("remove the quotes: `{}`", s.trim()))
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
            let d = Diagnostic::new(not_one_of(format!(
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
        ValidationErrorKind::Constant { expected_value } => Diagnostic::new(not_one_of(format!(
            "expected `{expected_value}`"
        )))
        .at(file, value_span, "not allowed here"),
        ValidationErrorKind::Pattern { .. } => {
            let text = instance.as_str().unwrap_or_default();
            let expected =
                expected_phrase(c, sub_ptr).unwrap_or_else(|| "in the expected format".into());
            let d = Diagnostic::new(pattern(format!("`{text}` is not {expected}"))).at(
                file,
                value_span,
                "does not match",
            );
            match annotations::format(&c.json, sub_ptr) {
                Some(Format::DnsLabel) => match dns_label_like(text) {
                    Some(fix) => d.with_help(format!("try `{fix}`")),
                    None => d,
                },
                Some(Format::ImageRef) if text.chars().any(|c| c.is_ascii_uppercase()) => {
                    d.with_help("repository names are lowercase (only a tag may have capitals)")
                }
                Some(Format::ImageRef) if text.ends_with([':', '@']) => d.with_help(
                    "give the tag after `:` (or the digest after `@`), or leave both out",
                ),
                _ if expected.contains("quantity") => match quantity_fix(text) {
                    Some(help) => d.with_help(help),
                    None => d,
                },
                _ => d,
            }
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            Diagnostic::new(out_of_range(format!(
                "{} is below the minimum {limit}",
                as_written(&file.text, &value_span, instance)
            )))
            .at(file, value_span, format!("must be at least {limit}"))
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            Diagnostic::new(out_of_range(format!(
                "{} is above the maximum {limit}",
                as_written(&file.text, &value_span, instance)
            )))
            .at(file, value_span, format!("must be at most {limit}"))
        }
        ValidationErrorKind::MinLength { limit: 1 } => {
            Diagnostic::new(length("must not be empty".into())).at(file, value_span, "empty")
        }
        ValidationErrorKind::MinLength { limit } => Diagnostic::new(length(format!(
            "shorter than {limit} characters"
        )))
        .at(file, value_span, "too short"),
        ValidationErrorKind::MaxLength { limit } => {
            let len = instance.as_str().map_or(0, |s| s.chars().count());
            Diagnostic::new(length(format!(
                "{len} characters, more than the {limit} allowed"
            )))
            .at(file, value_span, "too long")
        }
        ValidationErrorKind::MinItems { limit: 1 } => Diagnostic::new(length(
            "the list must not be empty".into(),
        ))
        .at(file, value_span, "empty list"),
        _ => Diagnostic::new(invalid(err.to_string())).at(file, value_span, "here"),
    };
    vec![diagnostic]
}

/// Words people write for a parameter that the edit distance cannot reach
/// (`enviroment` → `envs`), folded like [`did_you_mean`] folds (case, `_`, `-`).
const ALIASES: [(&str, &str); 16] = [
    ("environment", "envs"),
    ("enviroment", "envs"),
    ("envvars", "envs"),
    ("environmentvariables", "envs"),
    ("variables", "envs"),
    ("imagename", "image"),
    ("ports", "service_ports"),
    ("portmappings", "service_ports"),
    ("servicetype", "service_type"),
    ("mounts", "volumes"),
    ("volumemounts", "volumes"),
    ("cmd", "command"),
    ("entrypoint", "command"),
    ("arguments", "args"),
    ("tolerance", "tolerations"),
    ("nodeselectors", "node_selector"),
];

fn alias<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let folded: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let (_, target) = ALIASES.iter().find(|(word, _)| *word == folded)?;
    known.iter().copied().find(|k| k == target)
}

fn unknown_key(c: &Schema, doc: &Document, pointer: &str, key: &str, known: &[&str]) -> Diagnostic {
    let key_ptr = format!("{pointer}/{}", Pointer::escape(key));
    let d = Diagnostic::new(ErrorKind::UnknownField {
        field: key.to_owned(),
        parent: parent_name(c, pointer),
    })
    .at(&doc.file, doc.spans.key(&key_ptr), "unknown key");
    if let Some(s) = alias(key, known).or_else(|| did_you_mean(key, known.iter().copied())) {
        // A parameter of other actions is no fix on its own: say so.
        let owner = c.json.pointer(&format!(
            "{}/properties/{s}",
            if pointer.is_empty() {
                ""
            } else {
                "/$defs/Function"
            }
        ));
        let action = doc.value.get("action").and_then(Value::as_str);
        let accepted = owner.and_then(annotations::actions).unwrap_or_default();
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
    let function_keys = c.json["$defs"]["Function"]["properties"].as_object();
    if pointer.is_empty() && function_keys.is_some_and(|f| f.contains_key(key)) {
        return d.with_help(format!("`{key}` belongs under `function:`"));
    }
    if pointer == "/function" && c.json["properties"].get(key).is_some() {
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
    use crate::text::SourceFile;
    use crate::yaml::parse;

    fn check(text: &str) -> Vec<Diagnostic> {
        let docs = parse(&SourceFile::new("t.yaml", text)).unwrap();
        crate::schema::validate(&docs[0])
    }

    #[test]
    fn a_minimal_job_is_valid() {
        assert!(check("name: a\naction: job\nfunction: {image: busybox}\n").is_empty());
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let d = check("name: a\naction: serve\nfunction: {image: x}\nreplica: 2\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind.code(), "schema::unknown_field");
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
        assert_eq!(d[0].kind.code(), "schema::wrong_action");
        assert_eq!(
            d[0].help.as_deref(),
            Some("`replicas` applies to: serve, deploy")
        );
    }

    #[test]
    fn all_errors_are_reported() {
        let d = check(
            "name: Bad Name\naction: job\nfunction: {image: x, image_pull_policy: Sometimes}\nenvs: [{name: A, value: 1}]\nvolumes: [{volume_type: empty_dir, name: s, mount_path: rel}]\n",
        );
        let codes: Vec<_> = d.iter().map(|d| d.kind.code()).collect();
        assert_eq!(
            codes,
            [
                "schema::pattern",
                "schema::enum",
                "schema::type",
                "schema::pattern"
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

    /// A key that breaks `propertyNames` is one `schema::invalid_key` at the key itself,
    /// worded from the map's `x-expected`, however the key is spelled.
    #[test]
    fn invalid_keys_are_reported_at_the_key() {
        let long = "k".repeat(318);
        for (map, key, expected) in [
            ("labels", "-bad-", "a label key"),
            ("labels", "a~b/c d", "a label key"),
            ("labels", long.as_str(), "a label key"),
            ("annotations", "bad key", "an annotation key"),
            ("resources: {limits", "bad key", "a resource name"),
        ] {
            let close = if map.contains('{') { "}}" } else { "}" };
            let text = format!(
                "name: a\naction: job\nfunction: {{image: x}}\n{map}: {{\"{key}\": \"1\"{close}\n"
            );
            let d = check(&text);
            assert_eq!(d.len(), 1, "{text}: {d:?}");
            assert_eq!(d[0].kind.code(), "schema::invalid_key", "{text}");
            let problem = d[0].kind.to_string();
            assert!(
                problem.contains(&format!("the key `{key}` is not {expected}")),
                "{problem}"
            );
            let span = d[0].labels[0].span.clone();
            assert_eq!(&text[span], format!("\"{key}\""), "{text}");
        }
    }

    /// A value of the wrong type where the schema lists the allowed strings is one error,
    /// the list, not also "must be a string".
    #[test]
    fn a_non_string_outside_an_enum_is_one_error() {
        for text in [
            "name: a\naction: {a: 1}\nfunction: {image: x}\n",
            "name: a\naction: job\nfunction: {image: x, image_pull_policy: 5}\n",
        ] {
            let codes: Vec<_> = check(text).iter().map(|d| d.kind.code()).collect();
            assert_eq!(codes, ["schema::enum"], "{text}");
        }
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
                "schema::unknown_field",
                Some("did you mean `operator`?".into())
            )
        );
        assert_eq!(codes[1].0, "schema::unknown_field");
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
