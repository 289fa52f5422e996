//! The typed Task, decoded from a schema-valid [`Document`](crate::yaml::Document).
//!
//! These types are the source of `schemas/task.schema.json`: doc comments become the
//! schema's descriptions (shown by `taskrender explain` and editors), `x-actions` names the
//! actions a parameter belongs to, `x-expected` phrases a pattern for humans and `x-format`
//! names it for the diagnostics that offer a fix. A test
//! keeps the checked-in schema equal to what these types generate.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

mod secret;
pub(crate) use secret::{SecretEntry, StoreKey};

/// DNS-1123 label: what Kubernetes requires of most object names.
pub(crate) const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// DNS-1123 subdomain: `Secret` and `ConfigMap` names.
pub(crate) const DNS_SUBDOMAIN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// Label or annotation key: an optional DNS subdomain prefix and `/`, then a name.
pub(crate) const QUALIFIED_NAME: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";
/// Label value: empty, or alphanumerics with `-`, `_`, `.` inside; at most 63 characters.
pub(crate) const LABEL_VALUE: &str = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/// Kubernetes quantity: a non-negative decimal with an optional binary (`Ki`…`Ei`),
/// decimal (`n`, `u`, `m`, `k`, `M`…`E`) or exponent (`e3`) suffix.
pub(crate) const QUANTITY: &str =
    r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][-+]?[0-9]+)?$";
/// Image reference, after the OCI distribution grammar (`distribution/reference`):
/// `[host[:port]/]path[:tag][@algorithm:hex]`, path components lowercase.
pub(crate) const IMAGE_REF: &str = r"^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$";
/// DNS-1035 label: Service names.
pub(crate) const DNS_1035_LABEL: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
/// A reference-platform function name (core's slug pattern).
pub(crate) const PLATFORM_NAME: &str = "^[A-Za-z0-9._+-]+$";
/// A profile name: safe as a file name, and allows the platform's template ids (`1xV100`).
pub(crate) const PROFILE_NAME: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
/// An entry of `secrets`: a Secret name (DNS-1123 subdomain) or a secret-store key (an
/// environment variable name).
pub(crate) const SECRET_ENTRY: &str =
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|[A-Za-z_][A-Za-z0-9_]*)$";
/// Environment variable name, as Kubernetes validates it.
pub(crate) const ENV_NAME: &str = "^[-._a-zA-Z][-._a-zA-Z0-9]*$";
/// Absolute path inside the container, without `..` segments.
pub(crate) const ABSOLUTE_PATH: &str = r"^/([^/\x00]+(/[^/\x00]+)*)?/?$";

/// A Task: what to run (`function`) and how (`action`), with the parameters of the
/// reference platform's `function.run`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "taskrender Task", extend("$id" = "https://taskrender.dev/schemas/task.schema.json"))]
pub(crate) struct TaskSpec {
    /// Optional header that says this document is a Task: `taskrender.io/v1alpha1`.
    #[serde(rename = "apiVersion")]
    #[allow(dead_code)] // checked by the schema; identifies the document to tools
    pub(crate) api_version: Option<ApiVersion>,
    /// Optional header that says this document is a Task: `Task`.
    #[allow(dead_code)] // checked by the schema; identifies the document to tools
    pub(crate) kind: Option<TaskKind>,
    /// Name of the Task: a DNS-1123 label (lowercase letters, digits and `-`). Every
    /// rendered object's name derives from it. A reference-platform function name
    /// (`download_images_s2`: letters, digits, `_`, `.`, `+`, `-`) is normalised to one
    /// (`download-images-s2`) with a warning.
    #[schemars(regex(pattern = PLATFORM_NAME), length(min = 1, max = 253), extend("x-format" = "dns-label", "x-expected" = "a DNS-1123 label (lowercase letters, digits and `-`, at most 63 characters), or a platform function name of letters, digits, `_`, `.`, `+` and `-`"))]
    pub(crate) name: String,
    /// Project the Task belongs to: the `app.kubernetes.io/part-of` label.
    #[schemars(regex(pattern = LABEL_VALUE), length(min = 1, max = 63), extend("x-expected" = "a label value: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, at most 63 characters"))]
    pub(crate) project: Option<String>,
    /// Namespace of every rendered object (`--namespace` on the command line wins).
    #[schemars(with = "Option<formats::DnsLabel>")]
    pub(crate) namespace: Option<String>,
    /// What to render: `job` (a batch Job), `serve` (a Deployment and a Service),
    /// `deploy` (a Deployment) or `build` (a Dockerfile and a Job that builds and pushes it).
    pub(crate) action: Action,
    /// Name of the profile that supplies platform defaults and policy (default: `default`).
    #[schemars(regex(pattern = PROFILE_NAME), length(min = 1, max = 63), extend("x-expected" = "a profile name: letters, digits, `-`, `_` and `.`, starting with a letter or digit, such as `gpu-a100` or `1xV100`"))]
    #[allow(dead_code)] // read from the document before decoding, to load the profile
    pub(crate) profile: Option<String>,
    /// Extra labels on every rendered object and pod.
    #[serde(default)]
    #[schemars(schema_with = "label_map")]
    pub(crate) labels: BTreeMap<String, String>,
    /// Extra annotations on every rendered object.
    #[serde(default)]
    #[schemars(schema_with = "annotation_map")]
    pub(crate) annotations: BTreeMap<String, String>,
    /// What runs: the container image, command and arguments.
    pub(crate) function: Option<Function>,
    /// Node labels the pod must be scheduled on (the pod's `nodeSelector`).
    #[serde(default)]
    pub(crate) node_selector: Vec<NodeSelectorEntry>,
    /// Volumes mounted into the container.
    #[serde(default)]
    pub(crate) volumes: Vec<Volume>,
    /// Compute resources of the container: the Kubernetes shape `{requests, limits}`, the
    /// platform's scalar shape `{cpu, mem, gpu, disk}` (requests) or its per-resource shape
    /// `{cpu: {requests, limits}, mem: …, gpu: …}` — one shape per Task.
    pub(crate) resources: Option<Resources>,
    /// A Kubernetes `Affinity` (nodeAffinity, podAffinity, podAntiAffinity) for the pod.
    #[serde(default)]
    #[schemars(schema_with = "k8s_affinity")]
    pub(crate) affinity: Option<Affinity>,
    /// Kubernetes `Toleration`s of the pod.
    #[serde(default)]
    #[schemars(schema_with = "k8s_tolerations")]
    pub(crate) tolerations: Vec<Toleration>,
    /// Environment variables of the container, in order.
    #[serde(default)]
    pub(crate) envs: Vec<EnvVar>,
    /// Secrets whose values become environment variables. A DNS-1123 name (`db-credentials`)
    /// is an existing Secret whose keys all become variables (`envFrom`); an environment
    /// variable name (`HF_TOKEN`) is a key of the project's secret store and becomes that one
    /// variable (`secretKeyRef`; the store is the profile's `secret_store`, default
    /// `proj-secrets-<project>`). Secret values never appear in a Task.
    /// `{key: NAME}` is a store key whatever its spelling (`{key: my-token}`).
    /// Each Secret and each store key is named once: a repeat is an error.
    #[serde(default)]
    pub(crate) secrets: Vec<SecretEntry>,
    /// Group id that owns mounted volumes (pod `securityContext.fsGroup`). Ids may be
    /// written as digit strings (`"8877"`), as the reference platform accepts.
    #[serde(default, deserialize_with = "digits::opt_i64")]
    #[schemars(with = "Option<digits::Int>", range(min = 0, max = 2_147_483_647), extend("x-actions" = ["job", "serve", "deploy"]))]
    pub(crate) fs_group: Option<i64>,
    /// User id the container runs as (pod `securityContext.runAsUser`); 0 (root) only
    /// where the profile allows it.
    #[serde(default, deserialize_with = "digits::opt_i64")]
    #[schemars(with = "Option<digits::Int>", range(min = 0, max = 2_147_483_647), extend("x-actions" = ["job", "serve", "deploy"]))]
    pub(crate) run_as_user: Option<i64>,
    /// Group id the container runs as (pod `securityContext.runAsGroup`); 0 only where
    /// the profile allows it.
    #[serde(default, deserialize_with = "digits::opt_i64")]
    #[schemars(with = "Option<digits::Int>", range(min = 0, max = 2_147_483_647), extend("x-actions" = ["job", "serve", "deploy"]))]
    pub(crate) run_as_group: Option<i64>,
    /// Number of pods of the Deployment (default 1; `serve` allows 0, `deploy` needs at least 1).
    #[serde(default, deserialize_with = "digits::opt_i32")]
    #[schemars(with = "Option<digits::Int>", range(min = 0, max = 2_147_483_647), extend("x-actions" = ["serve", "deploy"]))]
    pub(crate) replicas: Option<i32>,
    /// Ports of the Service: `port`, `targetPort` (or `target_port`), and optional `name`,
    /// `protocol` and `nodePort`.
    #[serde(default)]
    #[schemars(extend("x-actions" = ["serve"]))]
    pub(crate) service_ports: Vec<ServicePort>,
    /// Type of the Service: `ClusterIP` (default), `NodePort` or `LoadBalancer`.
    #[schemars(extend("x-actions" = ["serve"]))]
    pub(crate) service_type: Option<ServiceType>,
    /// Name of the Service (default: the Task's name): a DNS-1035 label, the stable DNS
    /// name clients use.
    #[schemars(regex(pattern = DNS_1035_LABEL), length(min = 1, max = 63), extend("x-actions" = ["serve"], "x-expected" = "a Service name: a DNS-1035 label (lowercase letters, digits and `-`, starting with a letter, at most 63 characters)"))]
    pub(crate) service_name: Option<String>,
    /// Dockerfile lines after `FROM`, `WORKDIR /shared` and `COPY . /shared`: a plain
    /// command becomes `RUN <command>`, a line starting with a Dockerfile keyword is kept.
    #[serde(default)]
    #[schemars(inner(length(min = 1)), extend("x-actions" = ["build"]))]
    pub(crate) instructions: Vec<String>,
    /// Image of the Dockerfile's `FROM` (else `function.base_image`, else `function.image`).
    #[schemars(with = "Option<formats::ImageRef>", extend("x-actions" = ["build"]))]
    pub(crate) base_image: Option<String>,
    /// Image to build and push, `name:tag` (default: `<project>-<name>` tagged with a hash
    /// of the Dockerfile).
    #[schemars(with = "Option<formats::ImageRef>", extend("x-actions" = ["build"]))]
    pub(crate) image: Option<String>,
    /// A `kubernetes.io/dockerconfigjson` Secret the builder uses to push the image.
    #[schemars(regex(pattern = DNS_SUBDOMAIN), length(min = 1, max = 253), extend("x-actions" = ["build"], "x-expected" = "a Secret name: a DNS-1123 subdomain"))]
    pub(crate) registry_secret: Option<String>,
}

/// The only version of the Task format.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum ApiVersion {
    #[serde(rename = "taskrender.io/v1alpha1")]
    V1alpha1,
}

/// The `kind` of a self-identifying Task.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum TaskKind {
    Task,
}

/// The four actions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Job,
    Serve,
    Deploy,
    Build,
}

impl Action {
    #[cfg(test)] // the schema generator's per-action rules
    pub(crate) const ALL: [Action; 4] = [Action::Job, Action::Serve, Action::Deploy, Action::Build];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Job => "job",
            Action::Serve => "serve",
            Action::Deploy => "deploy",
            Action::Build => "build",
        }
    }
}

/// What runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Function {
    /// Container image, `[registry/]name[:tag][@digest]` (required for job, serve, deploy).
    #[schemars(with = "Option<formats::ImageRef>")]
    pub(crate) image: Option<String>,
    /// Command (the container's entrypoint): a list of strings, or one string split like a
    /// POSIX shell would (quotes respected, nothing expanded). On `build`, it belongs to
    /// the image's later runs (a warning says the build ignores it).
    pub(crate) command: Option<Command>,
    /// Arguments to the command (on `build`: for later runs, ignored with a warning).
    #[serde(default)]
    pub(crate) args: Vec<String>,
    /// When the kubelet pulls the image: `Always`, `IfNotPresent` or `Never` (on `build`:
    /// for later runs, ignored with a warning).
    pub(crate) image_pull_policy: Option<PullPolicy>,
    /// Base image of a build (see `base_image`); on job, serve and deploy it is ignored with
    /// a warning (the platform keeps it on the function for its builds).
    #[schemars(with = "Option<formats::ImageRef>")]
    pub(crate) base_image: Option<String>,
    /// The name of a `build` Task rendered in the same run whose image this Task runs
    /// (its destination, including the content-addressed tag), instead of `image`.
    #[schemars(regex(pattern = DNS_LABEL), length(min = 1, max = 63), extend("x-actions" = ["job", "serve", "deploy"], "x-expected" = "the name of a `build` Task: a DNS-1123 label"))]
    pub(crate) image_from: Option<String>,
    /// Code the platform puts into `/shared` before the container starts: a remote ref
    /// (`git+https://host/repo[#branch]`, `https://…/file`, `zip+https://…`, `s3://bucket/key`,
    /// `zip+s3://…`, `hf://owner/repo`) fetched by an init container, or an inline file
    /// `{source: main.py, base64: …}` / `{source: main.py, code: …}` mounted from a
    /// `ConfigMap`. On `build` it is the build context (`git://`, `s3://` and `gs://` stay
    /// Kaniko contexts).
    pub(crate) source: Option<Source>,
}

/// `function.source`: a URL, or an inline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Source {
    Ref(String),
    Inline(InlineSource),
}

/// An inline source file, in the platform's shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InlineSource {
    pub(crate) source: Option<String>,
    pub(crate) base64: Option<String>,
    pub(crate) code: Option<String>,
    #[allow(dead_code)] // informational on the platform too
    pub(crate) handler: Option<String>,
    pub(crate) lang: Option<String>,
}

/// A remote source ref: a URL scheme, `://`, no spaces.
pub(crate) const SOURCE_REF: &str = r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$";

impl JsonSchema for Source {
    fn schema_name() -> Cow<'static, str> {
        "Source".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A remote ref such as `git+https://github.com/acme/app#main`, or an inline file `{source: main.py, base64: …}`.",
            "type": ["string", "object"],
            "pattern": SOURCE_REF,
            "x-expected": "a URL such as `git+https://github.com/acme/app`, `https://host/file.py`, `zip+s3://bucket/app.zip` or `hf://owner/repo`, without spaces",
            "additionalProperties": false,
            "properties": {
                "source": {"description": "Path of the file under `/shared`, such as `main.py` or `src/launch.sh`.", "type": "string", "minLength": 1, "pattern": r"^[^/\x00][^\x00]*$", "x-expected": "a relative file path such as `main.py`"},
                "base64": {"description": "The file's content, base64-encoded.", "type": "string"},
                "code": {"description": "The file's content as text (instead of `base64`).", "type": "string"},
                "handler": {"description": "The platform's entry-point hint (informational; nothing reads it in a container).", "type": "string"},
                "lang": {"description": "Language of the file (informational; `dockerfile` on a build is refused: write `instructions`).", "type": "string"},
            },
        })
    }
}

/// A command: one string (split into words) or a list of words.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Command {
    Line(String),
    Words(Vec<String>),
}

impl JsonSchema for Command {
    fn schema_name() -> Cow<'static, str> {
        "Command".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "array"],
            "items": {"type": "string"},
            "minItems": 1,
            "minLength": 1,
        })
    }
}

/// Image pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub(crate) enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

/// One node label the pod requires.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeSelectorEntry {
    /// Node label key, such as `disktype` or `topology.kubernetes.io/zone`.
    #[schemars(regex(pattern = QUALIFIED_NAME), length(min = 1, max = 317), extend("x-expected" = "a label key: an optional DNS prefix and `/`, then letters, digits, `-`, `_` and `.`"))]
    pub(crate) key: String,
    /// Required value of the node label.
    #[schemars(regex(pattern = LABEL_VALUE), length(max = 63), extend("x-expected" = "a label value: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, at most 63 characters"))]
    pub(crate) value: String,
}

/// One environment variable.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnvVar {
    /// Variable name.
    #[schemars(regex(pattern = ENV_NAME), length(min = 1), extend("x-expected" = "an environment variable name: letters, digits, `_`, `-` and `.`, not starting with a digit"))]
    pub(crate) name: String,
    /// Variable value: always a string (quote numbers and booleans).
    pub(crate) value: String,
}

/// Container resources, in any of three shapes (one per Task): `requests`/`limits`
/// (Kubernetes), scalar `cpu`/`mem`/`gpu`/`disk` (the platform's requests) or per-resource
/// `cpu: {requests, limits}` (the platform's SDK ≤ 0.13).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resources {
    /// CPU: a request such as `"2"` or `500m`, or `{requests, limits}`.
    pub(crate) cpu: Option<PlatformResource>,
    /// Memory: a request such as `64Gi`, or `{requests, limits}`.
    pub(crate) mem: Option<PlatformResource>,
    /// GPUs: a whole number, or `{requests, limits}`; the extended resource the profile's
    /// `platform.gpu_resource` names (default `nvidia.com/gpu`), with limit = request.
    pub(crate) gpu: Option<PlatformResource>,
    /// Scratch disk, such as `10Gi`: an ephemeral volume mounted at `/shared`.
    pub(crate) disk: Option<Quantity>,
    /// Most of each resource the container may use, such as `cpu: "2"`, `memory: 4Gi`,
    /// `nvidia.com/gpu: 1`.
    #[serde(default)]
    #[schemars(schema_with = "quantity_map")]
    pub(crate) limits: BTreeMap<String, Quantity>,
    /// Resources the scheduler reserves for the container; each at most its limit.
    #[serde(default)]
    #[schemars(schema_with = "quantity_map")]
    pub(crate) requests: BTreeMap<String, Quantity>,
}

/// One resource in the platform's shapes: a quantity (the request), or per side.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum PlatformResource {
    /// A request, such as `"2"`.
    Scalar(Quantity),
    /// The SDK ≤ 0.13 shape.
    Sides(ResourceSides),
}

/// `{requests, limits}` of one resource.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceSides {
    pub(crate) requests: Option<Quantity>,
    pub(crate) limits: Option<Quantity>,
}

impl JsonSchema for PlatformResource {
    fn schema_name() -> Cow<'static, str> {
        "PlatformResource".into()
    }
    // One schema for both shapes (no `anyOf`), so that errors point at the exact key.
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A quantity (the request, such as `\"2\"` or `8Gi`), or `{requests, limits}`.",
            "type": ["string", "number", "object"],
            "pattern": QUANTITY,
            "minimum": 0,
            "x-expected": "a Kubernetes quantity such as `500m`, `2`, `512Mi` or `10Gi`",
            "additionalProperties": false,
            "properties": {
                "requests": g.subschema_for::<Quantity>(),
                "limits": g.subschema_for::<Quantity>(),
            },
        })
    }
}

/// A Kubernetes quantity, written as a string (`500m`, `1Gi`) or a number (`2`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Quantity(s)),
            serde_json::Value::Number(n) => Ok(Quantity(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a quantity, found {other}"
            ))),
        }
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity, such as `500m`, `2`, `1.5`, `512Mi` or `10Gi`.",
            "type": ["string", "number"],
            "pattern": QUANTITY,
            "minimum": 0,
            "x-expected": "a Kubernetes quantity such as `500m`, `2`, `512Mi` or `10Gi`",
        })
    }
}

/// One volume mounted into the container. `spec` depends on `volume_type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawVolume")]
pub(crate) struct Volume {
    pub(crate) name: String,
    pub(crate) mount_path: String,
    /// The volume's type with its `spec`, decoded.
    pub(crate) source: VolumeSpec,
}

/// A volume's `spec`, typed by its `volume_type`.
#[derive(Debug, Clone)]
pub(crate) enum VolumeSpec {
    PersistentVolumeClaim(PvcSpec),
    EmptyDir(EmptyDirSpec),
    Ephemeral(EphemeralSpec),
    SharedVolume(SharedVolumeSpec),
}

/// A volume as written: `spec` is read by `volume_type`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names)] // `volume_type` is the reference platform's key
struct RawVolume {
    volume_type: VolumeType,
    name: String,
    mount_path: String,
    #[serde(default)]
    spec: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<RawVolume> for Volume {
    type Error = serde_json::Error;

    fn try_from(raw: RawVolume) -> Result<Self, Self::Error> {
        let spec = serde_json::Value::Object(raw.spec);
        let source = match raw.volume_type {
            VolumeType::PersistentVolumeClaim => {
                VolumeSpec::PersistentVolumeClaim(serde_json::from_value(spec)?)
            }
            VolumeType::EmptyDir => VolumeSpec::EmptyDir(serde_json::from_value(spec)?),
            VolumeType::Ephemeral => VolumeSpec::Ephemeral(serde_json::from_value(spec)?),
            VolumeType::SharedVolume => VolumeSpec::SharedVolume(serde_json::from_value(spec)?),
        };
        Ok(Self {
            name: raw.name,
            mount_path: raw.mount_path,
            source,
        })
    }
}

/// Kind of volume: `persistent_volume_claim` (a new claim `<task>-<volume>`, or an
/// existing `claim_name`), `empty_dir` (scratch space that lives as long as the pod),
/// `ephemeral` (a claim created and deleted with the pod) or `shared_volume` (an existing
/// claim shared between Tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VolumeType {
    PersistentVolumeClaim,
    EmptyDir,
    Ephemeral,
    SharedVolume,
}

/// `spec` of a `persistent_volume_claim` volume.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PvcSpec {
    /// Requested storage, such as `10Gi` (required unless `claim_name` is given).
    pub(crate) size: Option<Quantity>,
    /// `StorageClass` of the new claim (default: the cluster's default class).
    #[schemars(regex(pattern = DNS_SUBDOMAIN), extend("x-expected" = "a StorageClass name: a DNS-1123 subdomain"))]
    pub(crate) storage_class: Option<String>,
    /// An existing claim to mount instead of rendering a new one.
    #[schemars(regex(pattern = DNS_SUBDOMAIN), extend("x-expected" = "a claim name: a DNS-1123 subdomain"))]
    pub(crate) claim_name: Option<String>,
}

/// `spec` of an `empty_dir` volume.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmptyDirSpec {
    /// Most storage the volume may use, such as `1Gi`.
    pub(crate) size_limit: Option<Quantity>,
    /// `Memory` for a tmpfs; empty (default) for the node's disk.
    pub(crate) medium: Option<EmptyDirMedium>,
}

/// Storage medium of an emptyDir.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub(crate) enum EmptyDirMedium {
    Memory,
}

/// `spec` of an `ephemeral` volume.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EphemeralSpec {
    /// Requested storage, such as `5Gi`.
    pub(crate) size: Quantity,
    /// `StorageClass` of the claim (default: the cluster's default class).
    #[schemars(regex(pattern = DNS_SUBDOMAIN), extend("x-expected" = "a StorageClass name: a DNS-1123 subdomain"))]
    pub(crate) storage_class: Option<String>,
}

/// `spec` of a `shared_volume` volume.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SharedVolumeSpec {
    /// The existing claim (default: the volume's name).
    #[schemars(regex(pattern = DNS_SUBDOMAIN), extend("x-expected" = "a claim name: a DNS-1123 subdomain"))]
    pub(crate) claim_name: Option<String>,
}

impl JsonSchema for Volume {
    fn schema_name() -> Cow<'static, str> {
        "Volume".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let volume_type = g.subschema_for::<VolumeType>();
        let specs = [
            (
                "persistent_volume_claim",
                g.subschema_for::<PvcSpec>(),
                false,
            ),
            ("empty_dir", g.subschema_for::<EmptyDirSpec>(), false),
            ("ephemeral", g.subschema_for::<EphemeralSpec>(), true),
            (
                "shared_volume",
                g.subschema_for::<SharedVolumeSpec>(),
                false,
            ),
        ];
        let rules: Vec<serde_json::Value> = specs
            .into_iter()
            .map(|(kind, spec, spec_required)| {
                let mut then = serde_json::json!({"properties": {"spec": spec}});
                if spec_required {
                    then["required"] = serde_json::json!(["spec"]);
                }
                serde_json::json!({
                    "if": {"properties": {"volume_type": {"const": kind}}, "required": ["volume_type"]},
                    "then": then,
                })
            })
            .collect();
        json_schema!({
            "description": "A volume: `volume_type`, `name`, `mount_path` and a `spec` that depends on the type.",
            "type": "object",
            "additionalProperties": false,
            "required": ["volume_type", "name", "mount_path"],
            "properties": {
                "volume_type": volume_type,
                "name": {
                    "description": "Volume name, unique in the Task: a DNS-1123 label.",
                    "type": "string",
                    "pattern": DNS_LABEL,
                    "maxLength": 63,
                    "x-format": "dns-label",
                    "x-expected": "a DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters",
                },
                "mount_path": {
                    "description": "Absolute path where the volume is mounted, unique in the Task.",
                    "type": "string",
                    "pattern": ABSOLUTE_PATH,
                    "x-expected": "an absolute path such as `/data`",
                },
                "spec": {
                    "description": "Settings of the volume type: see the `*Spec` definitions.",
                    "type": "object",
                },
            },
            "allOf": rules,
        })
    }
}

/// One Service port.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServicePort {
    /// Port the Service listens on.
    #[serde(deserialize_with = "digits::u16")]
    #[schemars(with = "digits::Int", range(min = 1, max = 65535))]
    pub(crate) port: u16,
    /// Port of the container the Service forwards to (default: `port`).
    #[serde(rename = "targetPort")]
    #[serde(default, deserialize_with = "digits::opt_u16")]
    #[schemars(with = "Option<digits::Int>", range(min = 1, max = 65535))]
    pub(crate) target_port_camel: Option<u16>,
    /// The reference SDK's spelling of `targetPort`; give one or the other.
    #[serde(rename = "target_port")]
    #[serde(default, deserialize_with = "digits::opt_u16")]
    #[schemars(with = "Option<digits::Int>", range(min = 1, max = 65535))]
    pub(crate) target_port_snake: Option<u16>,
    /// Port name (default `port-<port>`): a DNS-1123 label of at most 15 characters.
    #[schemars(regex(pattern = DNS_LABEL), length(min = 1, max = 15), extend("x-expected" = "a port name: lowercase letters, digits and `-`, at most 15 characters"))]
    pub(crate) name: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    pub(crate) protocol: Option<Protocol>,
    /// Port on every node (`NodePort` and `LoadBalancer` Services only).
    #[serde(rename = "nodePort")]
    #[serde(default, deserialize_with = "digits::opt_u16")]
    #[schemars(with = "Option<digits::Int>", range(min = 1, max = 65535))]
    pub(crate) node_port: Option<u16>,
}

/// Service port protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum Protocol {
    TCP,
    UDP,
    SCTP,
}

/// Service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub(crate) enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl Protocol {
    /// The Kubernetes spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::TCP => "TCP",
            Self::UDP => "UDP",
            Self::SCTP => "SCTP",
        }
    }
}

impl ServiceType {
    /// The Kubernetes spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// The string formats that recur in the Task, each with its schema written once. Fields
/// keep `String` and borrow the schema with `#[schemars(with = "formats::…")]`.
pub(crate) mod formats {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{DNS_LABEL, IMAGE_REF};

    /// A DNS-1123 label: what Kubernetes requires of most object names.
    pub(crate) struct DnsLabel;

    impl JsonSchema for DnsLabel {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "DnsLabel".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "pattern": DNS_LABEL,
                "minLength": 1,
                "maxLength": 63,
                "x-format": "dns-label",
                "x-expected": "a DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters",
            })
        }
    }

    /// An OCI image reference.
    pub(crate) struct ImageRef;

    impl JsonSchema for ImageRef {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "ImageRef".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "pattern": IMAGE_REF,
                "minLength": 1,
                "maxLength": 512,
                "x-format": "image-ref",
                "x-expected": "an image reference `[registry[:port]/]name[:tag][@digest]` with a lowercase name, such as `ghcr.io/acme/train:1.4.2`",
            })
        }
    }
}

fn label_map(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": {"pattern": QUALIFIED_NAME, "maxLength": 317, "x-expected": "a label key: an optional DNS prefix and `/`, then letters, digits, `-`, `_` and `.`"},
        "additionalProperties": {"type": "string", "pattern": LABEL_VALUE, "maxLength": 63, "x-expected": "a label value: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, at most 63 characters"},
    })
}

fn annotation_map(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": {"pattern": QUALIFIED_NAME, "maxLength": 317, "x-expected": "an annotation key: an optional DNS prefix and `/`, then letters, digits, `-`, `_` and `.`"},
        "additionalProperties": {"type": "string"},
    })
}

fn quantity_map(g: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": {"pattern": QUALIFIED_NAME, "x-expected": "a resource name such as `cpu`, `memory` or `nvidia.com/gpu`"},
        "additionalProperties": g.subschema_for::<Quantity>(),
    })
}

fn k8s_affinity(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"$ref": "#/$defs/io.k8s.api.core.v1.Affinity"})
}

fn k8s_tolerations(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array", "items": {"$ref": "#/$defs/io.k8s.api.core.v1.Toleration"}})
}

/// Whole numbers that the platform also accepts as digit strings (`"8877"`).
pub(crate) mod digits {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use serde::{Deserialize, Deserializer, de::Error as _};

    /// The schema of such a number: an integer, or a string of digits.
    pub(crate) struct Int;

    impl JsonSchema for Int {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "Int".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": ["integer", "string"],
                "pattern": "^[0-9]{1,10}$",
                "x-expected": "a whole number, such as `8877` (a string of digits such as `\"8877\"` is accepted too)",
            })
        }
    }

    fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| D::Error::custom("expected a whole number")),
            serde_json::Value::String(s)
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().map_err(D::Error::custom)
            }
            other => Err(D::Error::custom(format!(
                "expected a whole number, found {other}"
            ))),
        }
    }

    pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        number(d).map(Some)
    }

    pub(crate) fn opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        let n = number(d)?;
        i32::try_from(n).map(Some).map_err(D::Error::custom)
    }

    pub(crate) fn u16<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let n = number(d)?;
        u16::try_from(n).map_err(D::Error::custom)
    }

    pub(crate) fn opt_u16<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
        u16(d).map(Some)
    }
}
