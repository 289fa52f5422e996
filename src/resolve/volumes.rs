//! Volumes: claims to render, existing claims, empty dirs, ephemeral volumes.

use serde_json::Value;

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::{ClaimPlan, VolumePlan, VolumeSource};
use crate::task::{
    EmptyDirMedium, EmptyDirSpec, EphemeralSpec, PvcSpec, SharedVolumeSpec, TaskSpec, VolumeType,
};

pub(super) fn volumes(ck: &mut Checker<'_>, task: &TaskSpec) -> (Vec<VolumePlan>, Vec<ClaimPlan>) {
    let mut volumes = Vec::new();
    let mut claims = Vec::new();
    for (i, v) in task.volumes.iter().enumerate() {
        if v.mount_path.split('/').any(|segment| segment == "..") {
            ck.error(
                ErrorKind::MountPathParent {
                    field: format!("volumes[{i}].mount_path"),
                    path: v.mount_path.clone(),
                },
                &format!("/volumes/{i}/mount_path"),
                "`..` segment",
            )
            .help = Some("write the path without `..`, such as `/etc` for `/data/../etc`".into());
        }
        let spec = Value::Object(v.spec.clone());
        let spec_ptr = format!("/volumes/{i}/spec");
        let source = match v.volume_type {
            VolumeType::PersistentVolumeClaim => {
                let s: PvcSpec = serde_json::from_value(spec).unwrap_or_default();
                match (s.claim_name, s.size) {
                    (Some(claim_name), None) if s.storage_class.is_none() => {
                        VolumeSource::Claim { claim_name }
                    }
                    (Some(_), _) => {
                        let field = if v.spec.contains_key("size") {
                            "size"
                        } else {
                            "storage_class"
                        };
                        ck.error(
                            ErrorKind::ClaimConflict { field: format!("volumes[{i}].spec.{field}"), problem: "has no effect with `claim_name`: the existing claim is mounted as it is".into() },
                            &format!("{spec_ptr}/{field}"),
                            "ignored with claim_name",
                        )
                        .help = Some(format!("remove `{field}`, or remove `claim_name` to render a new claim"));
                        continue;
                    }
                    (None, Some(size)) => {
                        let claim_name = format!("{}-{}", task.name, v.name);
                        claims.push(ClaimPlan {
                            name: claim_name.clone(),
                            size: size.0,
                            storage_class: s.storage_class,
                        });
                        VolumeSource::Claim { claim_name }
                    }
                    (None, None) => {
                        let pointer = if v.spec.is_empty() {
                            format!("/volumes/{i}/volume_type")
                        } else {
                            spec_ptr.clone()
                        };
                        ck.error(
                            ErrorKind::ClaimWithoutSize { field: "size".into(), parent: format!("`volumes[{i}].spec`") },
                            &pointer,
                            "needs `spec.size`",
                        )
                        .help = Some("give `spec: {size: 10Gi}` to render a new claim, or `spec: {claim_name: <claim>}` to mount an existing one".into());
                        continue;
                    }
                }
            }
            VolumeType::EmptyDir => {
                let s: EmptyDirSpec = serde_json::from_value(spec).unwrap_or_default();
                VolumeSource::EmptyDir {
                    size_limit: s.size_limit.map(|q| q.0),
                    memory: s.medium == Some(EmptyDirMedium::Memory),
                }
            }
            VolumeType::Ephemeral => {
                let s: EphemeralSpec = serde_json::from_value(spec).unwrap_or_default();
                VolumeSource::Ephemeral {
                    size: s.size.0,
                    storage_class: s.storage_class,
                }
            }
            VolumeType::SharedVolume => {
                let s: SharedVolumeSpec = serde_json::from_value(spec).unwrap_or_default();
                VolumeSource::Claim {
                    claim_name: s.claim_name.unwrap_or_else(|| v.name.clone()),
                }
            }
        };
        volumes.push(VolumePlan {
            name: v.name.clone(),
            mount_path: v.mount_path.clone(),
            source,
        });
    }
    (volumes, claims)
}
