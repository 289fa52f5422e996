//! Stage 3, validate: a [`Document`] against `schemas/task.schema.json` → every problem, as
//! diagnostics that point at the offending key or value.
//!
//! The schema is generated from the typed model ([`crate::task`]) and checked in; it
//! is compiled once per process. Its `x-actions` annotations (the actions a parameter
//! belongs to) become `if`/`then` rules here, so editors reject `replicas` on a `job` too.

pub(crate) mod annotations;
mod diagnose;

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::yaml::Document;

/// The checked-in profile schema, as `taskrender schema profile` prints it.
pub(crate) const PROFILE_SCHEMA: &str = include_str!("../../schemas/profile.schema.json");

/// The checked-in Task schema, as `taskrender schema task` prints it.
pub(crate) const TASK_SCHEMA: &str = include_str!("../../schemas/task.schema.json");

pub(crate) struct Compiled {
    /// What the root of a document is called in messages.
    pub(crate) root: &'static str,
    pub(crate) schema: Value,
    validator: Validator,
}

static PROFILE: LazyLock<Compiled> = LazyLock::new(|| compile("the profile", PROFILE_SCHEMA));
static TASK: LazyLock<Compiled> = LazyLock::new(|| compile("the Task", TASK_SCHEMA));

/// Regular expressions compiled once for both schemas: the profile schema repeats most of
/// the Task schema's `pattern`s (its `defaults` and `enforce` take Task parameters).
static PATTERNS: LazyLock<jsonschema::PatternCache> = LazyLock::new(jsonschema::PatternCache::new);

fn compile(root: &'static str, text: &str) -> Compiled {
    let schema: Value = serde_json::from_str(text).expect("checked-in schemas are JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_pattern_cache(PATTERNS.clone())
        .build(&schema)
        .expect("checked-in schemas compile");
    Compiled {
        root,
        schema,
        validator,
    }
}

/// Validates one document; returns every problem, in source order.
pub(crate) fn validate(doc: &Document) -> Vec<Diagnostic> {
    validate_against(&TASK, doc)
}

/// Validates a rendered profile document against `schemas/profile.schema.json`.
pub(crate) fn validate_profile(doc: &Document) -> Vec<Diagnostic> {
    validate_against(&PROFILE, doc)
}

fn validate_against(c: &Compiled, doc: &Document) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = c
        .validator
        .iter_errors(&doc.value)
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
