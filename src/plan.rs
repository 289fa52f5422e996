//! The contract between resolve and render: a [`Plan`] is a Task with every default
//! applied and every rule checked, in the terms of the objects it becomes.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Affinity, Toleration};

use crate::task::{Protocol, PullPolicy, ServiceType};
use crate::text::SourceFile;

/// Where a Task came from, for diagnostics that span several Tasks.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) file: Arc<SourceFile>,
    pub(crate) name_span: Range<usize>,
}

/// A Task, resolved: what the renderer turns into objects. Nothing in it is left for the
/// renderer to guess: what exists for one action only lives in that action's [`Workload`].
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,

    /// Every object's labels: the standard ones, then the Task's.
    pub(crate) labels: BTreeMap<String, String>,
    /// The stable subset used in selectors.
    pub(crate) selector: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) pod: PodPlan,
    /// `PersistentVolumeClaim`s to render, in volume order.
    pub(crate) claims: Vec<ClaimPlan>,
    /// `ConfigMap`s that carry inline source files (`<name>-source`).
    pub(crate) config_maps: Vec<ConfigMapPlan>,
    pub(crate) workload: Workload,
}

/// A `ConfigMap` to render: text files in `data`, other bytes in `binaryData`.
#[derive(Debug, Clone)]
pub(crate) struct ConfigMapPlan {
    pub(crate) name: String,
    pub(crate) data: BTreeMap<String, String>,
    pub(crate) binary_data: BTreeMap<String, Vec<u8>>,
}

/// An init container that fetches the function's source into a volume before the
/// container starts; it shares the container's env, secrets, resources and security.
#[derive(Debug, Clone)]
pub(crate) struct InitPlan {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) command: Vec<String>,
    /// The volume it fills, and where it mounts it.
    pub(crate) volume: String,
    pub(crate) mount_path: String,
}

/// An environment variable read from one key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretKeyEnv {
    pub(crate) name: String,
    pub(crate) secret: String,
    pub(crate) key: String,
}

/// What an action renders besides the pod and its claims.
#[derive(Debug, Clone)]
pub(crate) enum Workload {
    /// `job`: a Job.
    Job(JobPlan),
    /// `deploy`: a Deployment.
    Deploy { replicas: i32 },
    /// `serve`: a Deployment, and a Service when the Task has ports.
    Serve {
        replicas: i32,
        service: Option<ServicePlan>,
    },
    /// `build`: a Dockerfile, the `ConfigMap` that carries it, and the builder's Job.
    Build { build: BuildPlan, job: JobPlan },
}

/// What a `build` Task builds, and how.
#[derive(Debug, Clone)]
pub(crate) struct BuildPlan {
    /// The generated Dockerfile, ending in one newline.
    pub(crate) dockerfile: String,
    /// Image reference to push.
    pub(crate) destination: String,
    /// Kaniko `--context`: the Task's `function.source`, else the mounted Dockerfile folder.
    pub(crate) context: String,
    pub(crate) registry_secret: Option<String>,
    pub(crate) builder_image: String,
}

/// A Service to render.
#[derive(Debug, Clone)]
pub(crate) struct ServicePlan {
    /// The Service's name, when not the Task's (`service_name`).
    pub(crate) name: Option<String>,
    pub(crate) type_: ServiceType,
    pub(crate) ports: Vec<PortPlan>,
}

/// One Service port, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortPlan {
    pub(crate) name: String,
    pub(crate) port: i32,
    pub(crate) target_port: i32,
    pub(crate) protocol: Protocol,
    pub(crate) node_port: Option<i32>,
}

/// The pod every action runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct PodPlan {
    pub(crate) container_name: String,
    pub(crate) image: String,
    pub(crate) command: Vec<String>,
    pub(crate) args: Vec<String>,
    pub(crate) pull_policy: Option<PullPolicy>,
    /// `(containerPort, protocol)`: every Service target port, once.
    pub(crate) ports: Vec<(i32, Protocol)>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) secrets: Vec<String>,
    /// Variables from single keys of a Secret (the secret store), after `env`.
    pub(crate) secret_env: Vec<SecretKeyEnv>,
    /// Fetches the source before the container starts.
    pub(crate) init: Option<InitPlan>,
    pub(crate) limits: BTreeMap<String, String>,
    pub(crate) requests: BTreeMap<String, String>,
    pub(crate) node_selector: BTreeMap<String, String>,
    pub(crate) affinity: Option<Affinity>,
    pub(crate) tolerations: Vec<Toleration>,
    pub(crate) volumes: Vec<VolumePlan>,
    pub(crate) run_as_user: Option<i64>,
    pub(crate) run_as_group: Option<i64>,
    pub(crate) fs_group: Option<i64>,
    /// Mount the container's root filesystem read-only (profile setting).
    pub(crate) read_only_root_filesystem: bool,
}

/// One mounted volume.
#[derive(Debug, Clone)]
pub(crate) struct VolumePlan {
    pub(crate) name: String,
    pub(crate) mount_path: String,
    pub(crate) source: VolumeSource,
}

#[derive(Debug, Clone)]
pub(crate) enum VolumeSource {
    Claim {
        claim_name: String,
    },
    EmptyDir {
        size_limit: Option<String>,
        memory: bool,
    },
    Ephemeral {
        size: String,
        storage_class: Option<String>,
    },
    /// One key of a `ConfigMap`, mounted read-only as the file at `mount_path`.
    ConfigMapFile {
        config_map: String,
        key: String,
    },
}

/// A `PersistentVolumeClaim` to render.
#[derive(Debug, Clone)]
pub(crate) struct ClaimPlan {
    pub(crate) name: String,
    pub(crate) size: String,
    pub(crate) storage_class: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct JobPlan {
    pub(crate) backoff_limit: i32,
    pub(crate) active_deadline_seconds: i64,
    pub(crate) ttl_seconds_after_finished: Option<i32>,
}

/// Facts about the builder that resolve checks Tasks against and render builds with.
pub(crate) mod kaniko {
    /// The builder: the last release of upstream Kaniko. Upstream was archived in June 2025;
    /// maintained forks (Chainguard's) publish compatible executors, and a profile's
    /// `builder_image` will select one (profiles issue).
    pub(crate) const KANIKO_IMAGE: &str = "gcr.io/kaniko-project/executor:v1.24.0";

    /// Where the builder pod mounts the generated Dockerfile (the `ConfigMap`).
    pub(crate) const DOCKERFILE_DIR: &str = "/kaniko/dockerfile";

    /// Where Kaniko reads registry credentials (`config.json`).
    pub(crate) const DOCKER_CONFIG_DIR: &str = "/kaniko/.docker";

    /// Volume names the builder pod uses itself.
    pub(crate) const RESERVED_VOLUMES: [&str; 2] = [DOCKERFILE_VOLUME, CREDENTIALS_VOLUME];

    /// The volume that carries the generated Dockerfile.
    pub(crate) const DOCKERFILE_VOLUME: &str = "dockerfile";

    /// The volume that carries the registry credentials.
    pub(crate) const CREDENTIALS_VOLUME: &str = "registry-credentials";
}
