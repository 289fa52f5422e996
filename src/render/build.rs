//! `build` → the Dockerfile, a `v1 ConfigMap` `<name>-build` holding it, and a
//! `batch/v1 Job` `<name>-build` that runs Kaniko to build and push the image.
//!
//! The builder pod is the Task's pod (scheduling, volumes, env, secrets, resources) with
//! the Kaniko container in place of the workload. Kaniko unpacks images into its own root
//! filesystem, so it runs as uid 0 with the capabilities that needs; every other hardening
//! stays (no privilege escalation, not privileged, seccomp, no service-account token), and
//! the checkov checks this Job fails by design are skipped on this object only, with reasons.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, KeyToPath, PodSecurityContext, SeccompProfile,
    SecretVolumeSource, SecurityContext, Volume, VolumeMount,
};

use super::{metadata, pod};
use crate::plan::kaniko::{
    CREDENTIALS_VOLUME, DOCKER_CONFIG_DIR, DOCKERFILE_DIR, DOCKERFILE_VOLUME,
};
use crate::plan::{BuildPlan, JobPlan, Plan};

/// Capabilities Kaniko needs to unpack layers and set file ownership.
const KANIKO_CAPABILITIES: [&str; 8] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "SETUID",
    "SETGID",
    "SETFCAP",
    "KILL",
];

/// checkov checks the builder fails by design, with the reason (checkov reads
/// `checkov.io/skipN: ID=reason` annotations).
const CHECKOV_SKIPS: [&str; 4] = [
    "CKV_K8S_23=kaniko executor runs as uid 0 by design",
    "CKV_K8S_40=kaniko executor runs as uid 0 by design",
    "CKV_K8S_22=kaniko unpacks the base image into its own root filesystem",
    "CKV_K8S_25=kaniko needs CHOWN DAC_OVERRIDE FOWNER FSETID SETUID SETGID SETFCAP KILL",
];

fn build_name(plan: &Plan) -> String {
    format!("{}-build", plan.name)
}

pub(super) fn config_map(plan: &Plan, build: &BuildPlan) -> ConfigMap {
    ConfigMap {
        metadata: metadata(plan, &build_name(plan)),
        data: Some(BTreeMap::from([(
            "Dockerfile".to_owned(),
            build.dockerfile.clone(),
        )])),
        ..ConfigMap::default()
    }
}

pub(super) fn job(plan: &Plan, build: &BuildPlan, settings: &JobPlan) -> Job {
    let mut template = pod::template(plan, Some("Never"));
    let spec = template.spec.as_mut().expect("pod templates have a spec");
    // Root is required: the pod may not demand non-root, and the Task's ids do not apply.
    spec.security_context = Some(PodSecurityContext {
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..PodSecurityContext::default()
    });
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    volumes.push(Volume {
        name: DOCKERFILE_VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: build_name(plan),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    });
    if let Some(secret) = &build.registry_secret {
        volumes.push(Volume {
            name: CREDENTIALS_VOLUME.into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.clone()),
                items: Some(vec![KeyToPath {
                    key: ".dockerconfigjson".into(),
                    path: "config.json".into(),
                    ..KeyToPath::default()
                }]),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    let container = &mut spec.containers[0];
    container.name = "kaniko".into();
    container.image = Some(build.builder_image.clone());
    container.image_pull_policy = None;
    container.command = None;
    container.args = Some(vec![
        format!("--dockerfile={DOCKERFILE_DIR}/Dockerfile"),
        format!("--context={}", build.context),
        format!("--destination={}", build.destination),
        // The pushed digest becomes the pod's termination message.
        "--digest-file=/dev/termination-log".into(),
    ]);
    container.ports = None;
    container.security_context = Some(SecurityContext {
        run_as_user: Some(0),
        run_as_group: Some(0),
        run_as_non_root: Some(false),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: Some(
                KANIKO_CAPABILITIES
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
            ),
        }),
        ..SecurityContext::default()
    });
    let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
    mounts.push(VolumeMount {
        name: DOCKERFILE_VOLUME.into(),
        mount_path: DOCKERFILE_DIR.into(),
        read_only: Some(true),
        ..VolumeMount::default()
    });
    if build.registry_secret.is_some() {
        mounts.push(VolumeMount {
            name: CREDENTIALS_VOLUME.into(),
            mount_path: DOCKER_CONFIG_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }

    let mut meta = metadata(plan, &build_name(plan));
    let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
    for (i, skip) in CHECKOV_SKIPS.iter().enumerate() {
        annotations.insert(format!("checkov.io/skip{}", i + 1), (*skip).to_owned());
    }
    Job {
        metadata: meta,
        spec: Some(JobSpec {
            backoff_limit: Some(settings.backoff_limit),
            active_deadline_seconds: Some(settings.active_deadline_seconds),
            ttl_seconds_after_finished: settings.ttl_seconds_after_finished,
            template,
            ..JobSpec::default()
        }),
        status: None,
    }
}
