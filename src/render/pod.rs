//! The pod template every action shares: container, volumes, scheduling and the Pod
//! Security Standard *restricted* defaults.

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, EphemeralVolumeSource, KeyToPath,
    PersistentVolumeClaimTemplate, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SeccompProfile, SecretEnvSource, SecretKeySelector,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{claim_spec, non_empty, quantities};
use crate::plan::{InitPlan, Plan, VolumeSource};

/// The pod template of `plan`, with the pod-level `restart_policy` the action needs.
pub(crate) fn template(plan: &Plan, restart_policy: Option<&str>) -> PodTemplateSpec {
    let pod = &plan.pod;
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(plan.labels.clone()),
            annotations: non_empty(plan.annotations.clone()),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            affinity: pod.affinity.clone(),
            automount_service_account_token: Some(false),
            containers: vec![container(plan)],
            init_containers: pod
                .init
                .as_ref()
                .map(|init| vec![init_container(plan, init)]),
            node_selector: non_empty(pod.node_selector.clone()),
            restart_policy: restart_policy.map(str::to_owned),
            security_context: Some(PodSecurityContext {
                // Only a profile with `allow_root` lets a Task ask for uid 0; then the
                // pod cannot also demand a non-root user.
                run_as_non_root: (pod.run_as_user != Some(0)).then_some(true),
                run_as_user: pod.run_as_user,
                run_as_group: pod.run_as_group,
                fs_group: pod.fs_group,
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None,
                }),
                ..PodSecurityContext::default()
            }),
            tolerations: (!pod.tolerations.is_empty()).then(|| pod.tolerations.clone()),
            volumes: (!pod.volumes.is_empty()).then(|| {
                pod.volumes
                    .iter()
                    .map(|v| volume(&v.name, &v.source))
                    .collect()
            }),
            ..PodSpec::default()
        }),
    }
}

fn container(plan: &Plan) -> Container {
    let pod = &plan.pod;
    Container {
        name: pod.container_name.clone(),
        image: Some(pod.image.clone()),
        image_pull_policy: pod.pull_policy.map(|p| p.as_str().to_owned()),
        ports: (!pod.ports.is_empty()).then(|| {
            pod.ports
                .iter()
                .map(|(port, protocol)| ContainerPort {
                    container_port: *port,
                    protocol: Some(protocol.as_str().to_owned()),
                    ..ContainerPort::default()
                })
                .collect()
        }),
        command: (!pod.command.is_empty()).then(|| pod.command.clone()),
        args: (!pod.args.is_empty()).then(|| pod.args.clone()),
        env: (!pod.env.is_empty() || !pod.secret_env.is_empty()).then(|| {
            pod.env
                .iter()
                .map(|(name, value)| EnvVar {
                    name: name.clone(),
                    value: Some(value.clone()),
                    value_from: None,
                })
                .chain(pod.secret_env.iter().map(|e| EnvVar {
                    name: e.name.clone(),
                    value: None,
                    value_from: Some(EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: e.secret.clone(),
                            key: e.key.clone(),
                            optional: None,
                        }),
                        ..EnvVarSource::default()
                    }),
                }))
                .collect()
        }),
        env_from: (!pod.secrets.is_empty()).then(|| {
            pod.secrets
                .iter()
                .map(|name| EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: name.clone(),
                        optional: None,
                    }),
                    ..EnvFromSource::default()
                })
                .collect()
        }),
        resources: (!pod.limits.is_empty() || !pod.requests.is_empty()).then(|| {
            ResourceRequirements {
                limits: quantities(&pod.limits),
                requests: quantities(&pod.requests),
                ..ResourceRequirements::default()
            }
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            read_only_root_filesystem: pod.read_only_root_filesystem.then_some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: (!pod.volumes.is_empty()).then(|| {
            pod.volumes
                .iter()
                .map(|v| match &v.source {
                    VolumeSource::ConfigMapFile { key, .. } => VolumeMount {
                        name: v.name.clone(),
                        mount_path: v.mount_path.clone(),
                        sub_path: Some(key.clone()),
                        read_only: Some(true),
                        ..VolumeMount::default()
                    },
                    _ => VolumeMount {
                        name: v.name.clone(),
                        mount_path: v.mount_path.clone(),
                        ..VolumeMount::default()
                    },
                })
                .collect()
        }),
        ..Container::default()
    }
}

/// The init container: the main container's env, secrets, resources and security
/// context, with its own image and command, mounting only the volume it fills.
fn init_container(plan: &Plan, init: &InitPlan) -> Container {
    let main = container(plan);
    Container {
        name: init.name.clone(),
        image: Some(init.image.clone()),
        command: Some(init.command.clone()),
        env: main.env,
        env_from: main.env_from,
        resources: main.resources,
        security_context: main.security_context,
        volume_mounts: Some(vec![VolumeMount {
            name: init.volume.clone(),
            mount_path: init.mount_path.clone(),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    }
}

fn volume(name: &str, source: &VolumeSource) -> Volume {
    let mut v = Volume {
        name: name.to_owned(),
        ..Volume::default()
    };
    match source {
        VolumeSource::Claim { claim_name } => {
            v.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name.clone(),
                read_only: None,
            });
        }
        VolumeSource::EmptyDir { size_limit, memory } => {
            v.empty_dir = Some(EmptyDirVolumeSource {
                medium: memory.then(|| "Memory".to_owned()),
                size_limit: size_limit.clone().map(Quantity),
                ..EmptyDirVolumeSource::default()
            });
        }
        VolumeSource::Ephemeral {
            size,
            storage_class,
        } => {
            v.ephemeral = Some(EphemeralVolumeSource {
                volume_claim_template: Some(PersistentVolumeClaimTemplate {
                    metadata: None,
                    spec: claim_spec(size, storage_class.as_ref()),
                }),
            });
        }
        VolumeSource::ConfigMapFile { config_map, key } => {
            v.config_map = Some(ConfigMapVolumeSource {
                name: config_map.clone(),
                items: Some(vec![KeyToPath {
                    key: key.clone(),
                    path: key.clone(),
                    ..KeyToPath::default()
                }]),
                ..ConfigMapVolumeSource::default()
            });
        }
    }
    v
}
