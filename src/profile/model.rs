//! The profile as written (after its template is rendered): the source of
//! `schemas/profile.schema.json`, like the Task model is of the Task schema.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::task::{IMAGE_REF, PROFILE_NAME};

/// A profile: platform defaults and policy for the Tasks that name it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "taskrender profile", extend("$id" = "https://taskrender.dev/schemas/profile.schema.json"))]
pub(crate) struct ProfileSpec {
    /// One line saying what the profile is for (shown by `taskrender profiles list`).
    #[schemars(length(min = 1))]
    pub(crate) description: String,
    /// Another profile merged first; this one's settings win over it. Default: `default`
    /// (every profile but `default` itself builds on it).
    #[schemars(regex(pattern = PROFILE_NAME), extend("x-expected" = "a profile name: letters, digits, `-`, `_` and `.`, starting with a letter or digit"))]
    pub(crate) extends: Option<String>,
    /// Task parameters used where the Task does not set them (merged key by key).
    #[serde(default)]
    #[schemars(schema_with = "task_parameters")]
    pub(crate) defaults: Map<String, Value>,
    /// Task parameters that override the Task: platform policy.
    #[serde(default)]
    #[schemars(schema_with = "task_parameters")]
    pub(crate) enforce: Map<String, Value>,
    /// Partial Kubernetes objects merged into every rendered object of that kind.
    #[serde(default)]
    pub(crate) patches: Patches,
    /// Registry prefix of default build images, such as `registry.example.com/team`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"), extend("x-expected" = "a registry host with an optional port and path, such as `registry.example.com:5000/team`"))]
    pub(crate) registry: Option<String>,
    /// Kaniko executor image of build Jobs (default: the last upstream release).
    #[schemars(regex(pattern = IMAGE_REF), extend("x-format" = "image-ref", "x-expected" = "an image reference such as `gcr.io/kaniko-project/executor:v1.24.0`"))]
    pub(crate) builder_image: Option<String>,
    /// Requests and limits of the builder container of build Jobs, where the Task's own
    /// `resources` do not set them (default: requests `cpu: 500m, memory: 1Gi`, limits
    /// `cpu: "2", memory: 4Gi`). A profile's value replaces the one it extends as a whole.
    pub(crate) builder_resources: Option<crate::task::Resources>,
    /// Allow uid/gid 0 in Tasks and in patches (`run_as_user: 0` then also lifts
    /// `runAsNonRoot`); nothing else: privileges, capabilities and host access stay refused.
    pub(crate) allow_root: Option<bool>,
    /// Mount every container's root filesystem read-only (give the Task writable volumes).
    pub(crate) read_only_root_filesystem: Option<bool>,
    /// Settings of rendered Jobs.
    pub(crate) job: Option<JobSettings>,
    /// How Tasks written for the reference platform are rendered.
    pub(crate) platform: Option<PlatformSettings>,
}

/// How the reference platform's spellings are rendered (each setting has a default).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlatformSettings {
    /// Extended resource that `resources.gpu` requests (default `nvidia.com/gpu`), such as
    /// `amd.com/gpu`.
    #[schemars(regex(pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"), extend("x-expected" = "an extended resource name such as `nvidia.com/gpu` or `amd.com/gpu`"))]
    pub(crate) gpu_resource: Option<String>,
    /// Secret holding the project's secret store, whose keys `secrets: [HF_TOKEN]` name
    /// (default `proj-secrets-<project>`, the platform's name for it).
    #[schemars(regex(pattern = crate::task::DNS_SUBDOMAIN), length(max = 253), extend("x-expected" = "a Secret name: a DNS-1123 subdomain"))]
    pub(crate) secret_store: Option<String>,
    /// Size of a new `persistent_volume_claim` that gives neither `size` nor `claim_name`
    /// (default `2Gi`, the platform's).
    #[schemars(regex(pattern = crate::task::QUANTITY), extend("x-expected" = "a Kubernetes quantity such as `2Gi`"))]
    pub(crate) default_claim_size: Option<String>,
    /// Image of the init container that fetches a remote `function.source` into `/shared`:
    /// it needs `sh`, `git`, `curl`, `unzip`, the AWS CLI and the `hf` CLI (default: the
    /// platform's builder-tool image, pinned).
    #[schemars(regex(pattern = IMAGE_REF), extend("x-format" = "image-ref", "x-expected" = "an image reference such as `ghcr.io/acme/fetch:1.0`"))]
    pub(crate) fetch_image: Option<String>,
}

/// Settings of rendered Jobs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobSettings {
    /// Retries before the Job fails (default 0).
    #[schemars(range(min = 0, max = 1000))]
    pub(crate) backoff_limit: Option<i32>,
    /// Seconds a Job may run (default 259200, three days).
    #[schemars(range(min = 1))]
    pub(crate) active_deadline_seconds: Option<i64>,
    /// Seconds after which a finished Job is deleted (default: kept).
    #[schemars(range(min = 0, max = 2_147_483_647))]
    pub(crate) ttl_seconds_after_finished: Option<i32>,
}

/// Patches by object kind.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub(crate) struct Patches {
    /// Merged into every Job (including build Jobs).
    #[serde(default)]
    #[schemars(schema_with = "patch")]
    pub(crate) Job: Option<Map<String, Value>>,
    /// Merged into every Deployment.
    #[serde(default)]
    #[schemars(schema_with = "patch")]
    pub(crate) Deployment: Option<Map<String, Value>>,
    /// Merged into every Service.
    #[serde(default)]
    #[schemars(schema_with = "patch")]
    pub(crate) Service: Option<Map<String, Value>>,
    /// Merged into every `ConfigMap`.
    #[serde(default)]
    #[schemars(schema_with = "patch")]
    pub(crate) ConfigMap: Option<Map<String, Value>>,
    /// Merged into every `PersistentVolumeClaim`.
    #[serde(default)]
    #[schemars(schema_with = "patch")]
    pub(crate) PersistentVolumeClaim: Option<Map<String, Value>>,
}

impl Patches {
    /// `(kind, patch)` for every kind that has one.
    pub(crate) fn by_kind(&self) -> BTreeMap<&'static str, &Map<String, Value>> {
        [
            ("ConfigMap", &self.ConfigMap),
            ("Deployment", &self.Deployment),
            ("Job", &self.Job),
            ("PersistentVolumeClaim", &self.PersistentVolumeClaim),
            ("Service", &self.Service),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }
}

fn task_parameters(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"$ref": "#/$defs/TaskParameters"})
}

fn patch(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-expected": "a partial Kubernetes object",
    })
}
