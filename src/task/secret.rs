//! An entry of `secrets`: a string, told apart by its spelling (a Secret name or a store
//! key), or `{key: NAME}`, a key of the project's secret store whatever its spelling.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

use super::SECRET_ENTRY;

/// A key of the project's secret store: the platform's `secret://([\w-]+)` that is also an
/// environment variable name Kubernetes accepts.
pub(crate) const STORE_KEY: &str = "^[-_A-Za-z][-_A-Za-z0-9]*$";

/// One entry of `secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum SecretEntry {
    /// `db-credentials` (a Secret, `envFrom`) or `HF_TOKEN` (a store key).
    Name(String),
    /// `{key: my-token}`: a store key, even when it reads as a Secret name.
    Key(StoreKey),
}

/// `{key: NAME}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreKey {
    pub(crate) key: String,
}

impl SecretEntry {
    /// The name or key as written.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Name(s) | Self::Key(StoreKey { key: s }) => s,
        }
    }
}

impl JsonSchema for SecretEntry {
    fn schema_name() -> Cow<'static, str> {
        "SecretEntry".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Secret name (`db-credentials`: all its keys become variables), a secret-store key (`HF_TOKEN`: that one variable), or `{key: NAME}`: a secret-store key whatever its spelling (`{key: my-token}`).",
            "type": ["string", "object"],
            "minLength": 1,
            "maxLength": 253,
            "pattern": SECRET_ENTRY,
            "x-expected": "a Secret name (a DNS-1123 subdomain such as `db-credentials`, whose keys all become variables), a secret-store key (an environment variable name such as `HF_TOKEN`), or `{key: NAME}`",
            "additionalProperties": false,
            "required": ["key"],
            "properties": {
                "key": {
                    "description": "A key of the project's secret store (the platform's `secret://<key>`), which becomes the variable of that name.",
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 253,
                    "pattern": STORE_KEY,
                    "x-expected": "a secret-store key: letters, digits, `_` and `-`, not starting with a digit (such as `my-token` or `HF_TOKEN`)",
                },
            },
        })
    }
}
