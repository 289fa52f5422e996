//! Stage 3, validate: a [`Document`] against `schemas/task.schema.json` → every problem, as
//! diagnostics that point at the offending key or value.
//!
//! The schema is generated from the typed model ([`crate::task`]) and checked in; its
//! validator is generated from it when taskrender is compiled. Its `x-actions` annotations
//! (the actions a parameter belongs to) become `if`/`then` rules here, so editors reject
//! `replicas` on a `job` too.

pub(crate) mod annotations;
mod diagnose;

use std::sync::LazyLock;

use jsonschema::ErrorIterator;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::yaml::Document;

/// The checked-in profile schema, as `taskrender schema profile` prints it.
pub(crate) const PROFILE_SCHEMA: &str = include_str!("../../schemas/profile.schema.json");

/// The checked-in Task schema, as `taskrender schema task` prints it.
pub(crate) const TASK_SCHEMA: &str = include_str!("../../schemas/task.schema.json");

// Both validators are generated from the checked-in schemas when taskrender is compiled
// (jsonschema's `validator` macro), not compiled from the schema text at run time: that
// compile, the meta-schema check and the `pattern`s' regular expressions included, was two
// thirds of the instructions of a one-Task run. A schema that does not compile is a build
// error. The macro reads the files, not `TASK_SCHEMA`/`PROFILE_SCHEMA`, from the same paths.

#[jsonschema::validator(path = "schemas/task.schema.json", draft = Draft202012)]
struct TaskValidator;

#[jsonschema::validator(path = "schemas/profile.schema.json", draft = Draft202012)]
struct ProfileValidator;

/// What diagnosing a schema's errors needs: its name in messages and its parsed text (for
/// the expected types, formats and suggestions it names). Parsed on the first error only.
pub(crate) struct Schema {
    /// What the root of a document is called in messages.
    pub(crate) root: &'static str,
    pub(crate) json: Value,
}

static PROFILE: LazyLock<Schema> = LazyLock::new(|| parse("the profile", PROFILE_SCHEMA));
static TASK: LazyLock<Schema> = LazyLock::new(|| parse("the Task", TASK_SCHEMA));

fn parse(root: &'static str, text: &str) -> Schema {
    Schema {
        root,
        json: serde_json::from_str(text).expect("checked-in schemas are JSON"),
    }
}

/// Validates one document; returns every problem, in source order.
pub(crate) fn validate(doc: &Document) -> Vec<Diagnostic> {
    if TaskValidator::is_valid(&doc.value) {
        return Vec::new();
    }
    diagnose_all(&TASK, doc, TaskValidator::iter_errors(&doc.value))
}

/// Validates a rendered profile document against `schemas/profile.schema.json`.
pub(crate) fn validate_profile(doc: &Document) -> Vec<Diagnostic> {
    if ProfileValidator::is_valid(&doc.value) {
        return Vec::new();
    }
    diagnose_all(&PROFILE, doc, ProfileValidator::iter_errors(&doc.value))
}

fn diagnose_all(c: &Schema, doc: &Document, errors: ErrorIterator<'_>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = errors
        .flat_map(|e| diagnose::diagnose(c, doc, &e))
        .collect();
    out.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.kind.to_string().cmp(&b.kind.to_string()))
    });
    out.dedup_by(|a, b| a.kind == b.kind && a.labels == b.labels);
    out
}

#[cfg(test)]
mod tests {
    //! The generated validators against jsonschema's run-time compiled ones, the reference
    //! implementation of the same schemas: every document must get the same errors (the
    //! same keyword, place, schema location and value), since `diagnose` words each one
    //! from exactly those. Documents: every fixture, and fixtures with one node replaced.

    use std::path::Path;

    use jsonschema::error::ValidationErrorKind;
    use jsonschema::{ValidationError, Validator};
    use proptest::prelude::*;

    use super::*;

    fn compile(text: &str) -> Validator {
        let schema: Value = serde_json::from_str(text).unwrap();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .unwrap()
    }

    static RUNTIME_TASK: LazyLock<Validator> = LazyLock::new(|| compile(TASK_SCHEMA));
    static RUNTIME_PROFILE: LazyLock<Validator> = LazyLock::new(|| compile(PROFILE_SCHEMA));

    /// One error as `diagnose` reads it: keyword and its data, place, schema location,
    /// value.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Reported {
        /// The keyword with its data (`Enum { options: … }`).
        kind: String,
        keyword: String,
        at: String,
        schema_path: String,
        value: String,
    }

    /// The run-time validator wraps a key that breaks `propertyNames` in a `PropertyNames`
    /// error; the generated one reports the inner error at the map: both become the latter.
    fn describe(e: &ValidationError<'_>) -> Reported {
        let (kind, schema_path, instance) = match e.kind() {
            ValidationErrorKind::PropertyNames { error } => {
                (error.kind(), error.schema_path(), error.instance())
            }
            kind => (kind, e.schema_path(), e.instance()),
        };
        Reported {
            kind: format!("{kind:?}"),
            keyword: kind.keyword().to_owned(),
            at: e.instance_path().to_string(),
            schema_path: schema_path.to_string(),
            value: instance.to_string(),
        }
    }

    fn errors(it: jsonschema::ErrorIterator<'_>) -> Vec<Reported> {
        let mut v: Vec<_> = it.map(|e| describe(&e)).collect();
        v.sort();
        v
    }

    /// The run-time validator's errors less the one the generated validator leaves out on
    /// purpose: a wrong single `type` beside a failing `enum` (or `const`) of the same
    /// subschema, whose values are all of that type: the enum says all the type would
    /// (`action: {a: 1}` gets "not one of job, serve, …", not also "must be a string").
    fn without_type_beside_enum(schema: &Value, mut v: Vec<Reported>) -> Vec<Reported> {
        let type_of = |v: &Value| match v {
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Null => "null",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let implied = |sub: &Value| -> bool {
            let values = match (sub.get("enum"), sub.get("const")) {
                (_, Some(c)) => vec![c],
                (Some(Value::Array(e)), None) if !e.is_empty() => e.iter().collect(),
                _ => return false,
            };
            sub.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| values.iter().all(|v| type_of(v) == t))
        };
        let subschema = |r: &Reported| annotations::parent(&r.schema_path).to_owned();
        let failing: Vec<(String, String)> = v
            .iter()
            .filter(|r| r.keyword == "enum" || r.keyword == "const")
            .map(|r| (r.at.clone(), subschema(r)))
            .collect();
        v.retain(|r| {
            let sub = subschema(r);
            !(r.keyword == "type"
                && schema.pointer(&sub).is_some_and(implied)
                && failing.contains(&(r.at.clone(), sub)))
        });
        v
    }

    /// Both validators of one schema give the same verdict and the same errors.
    fn assert_same(is_profile: bool, value: &Value) {
        let (valid, generated, runtime) = if is_profile {
            (
                ProfileValidator::is_valid(value),
                errors(ProfileValidator::iter_errors(value)),
                errors(RUNTIME_PROFILE.iter_errors(value)),
            )
        } else {
            (
                TaskValidator::is_valid(value),
                errors(TaskValidator::iter_errors(value)),
                errors(RUNTIME_TASK.iter_errors(value)),
            )
        };
        let schema = if is_profile {
            &PROFILE.json
        } else {
            &TASK.json
        };
        assert_eq!(
            generated,
            without_type_beside_enum(schema, runtime.clone()),
            "{value}"
        );
        assert_eq!(valid, runtime.is_empty(), "{value}");
    }

    /// Every YAML document under `fixtures/` that parses, with whether it is a profile.
    fn fixture_documents() -> &'static [(bool, Value)] {
        static DOCS: LazyLock<Vec<(bool, Value)>> = LazyLock::new(|| {
            fn walk(dir: &Path, out: &mut Vec<(bool, Value)>) {
                let mut entries: Vec<_> = std::fs::read_dir(dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                entries.sort();
                for path in entries {
                    if path.is_dir() {
                        if path.file_name().is_some_and(|n| n != "expected") {
                            walk(&path, out);
                        }
                    } else if path.extension().is_some_and(|e| e == "yaml") {
                        // Some fixtures are not UTF-8 on purpose.
                        let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) else {
                            continue;
                        };
                        let file = crate::text::SourceFile::new(path.display().to_string(), text);
                        // A profile sits in a `profiles/` folder of its case (the cases
                        // under `fixtures/profiles/` are Tasks).
                        let is_profile = path
                            .parent()
                            .and_then(Path::file_name)
                            .is_some_and(|n| n == "profiles");
                        for doc in crate::yaml::parse(&file).unwrap_or_default() {
                            out.push((is_profile, doc.value));
                        }
                    }
                }
            }
            let mut out = Vec::new();
            walk(
                Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")),
                &mut out,
            );
            out
        });
        &DOCS
    }

    #[test]
    fn every_fixture_gets_the_same_errors_from_both_validators() {
        let docs = fixture_documents();
        assert!(docs.len() > 300, "{} documents", docs.len());
        assert!(
            docs.iter().any(|(p, _)| *p),
            "no profile among the fixtures"
        );
        let invalid = docs
            .iter()
            .filter(|(p, v)| {
                !(if *p {
                    RUNTIME_PROFILE.is_valid(v)
                } else {
                    RUNTIME_TASK.is_valid(v)
                })
            })
            .count();
        assert!(
            invalid > 50,
            "{invalid} invalid documents: too few to compare errors"
        );
        for (is_profile, value) in docs {
            assert_same(*is_profile, value);
        }
    }

    /// Every node of `value` (pre-order), as a JSON pointer.
    fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
        out.push(at.to_owned());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    pointers(
                        v,
                        &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    pointers(v, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    /// A map key: plain, with the characters a JSON pointer escapes or label keys allow,
    /// or just over a label key's 317 characters.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[A-Za-z0-9_./~-]{1,12}",
            1 => Just("k".repeat(318)),
        ]
    }

    fn replacement() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop_oneof![Just(0i64), Just(-1), Just(70_000), any::<i64>()].prop_map(Value::from),
            Just(Value::from(0.5)),
            prop::sample::select(
                &[
                    "",
                    "x",
                    "-bad-",
                    "Bad_Name",
                    "1Gi",
                    "100m",
                    "abc:",
                    "a/b",
                    "Always",
                    "nope",
                    "job",
                    "serve",
                    "nvidia.com/gpu",
                    "..",
                    "a very long value that is not a name at all",
                ][..]
            )
            .prop_map(Value::from),
            // Just over the lengths the schemas cap: a name (63), a label key (317).
            prop::sample::select(&[64usize, 318][..]).prop_map(|n| Value::from("k".repeat(n))),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..3)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// A fixture with one node (or a new key of one map) replaced by a random value.
        #[test]
        fn a_changed_fixture_gets_the_same_errors_from_both_validators(
            doc in any::<prop::sample::Index>(),
            node in any::<prop::sample::Index>(),
            new_key in prop::option::of(key()),
            value in replacement(),
        ) {
            let (is_profile, original) = doc.get(fixture_documents());
            let mut changed = original.clone();
            let mut all = Vec::new();
            pointers(&changed, "", &mut all);
            let target = node.get(&all);
            let slot = changed.pointer_mut(target).unwrap();
            match (new_key, slot) {
                (Some(key), Value::Object(map)) => {
                    map.insert(key, value);
                }
                (_, slot) => *slot = value,
            }
            assert_same(*is_profile, &changed);
        }
    }
}
