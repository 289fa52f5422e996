//! Volumes: claims to render, existing claims, empty dirs, ephemeral volumes.

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::{ClaimPlan, VolumePlan, VolumeSource};
use crate::task::{EmptyDirMedium, TaskSpec, VolumeSpec};

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
        let spec_ptr = format!("/volumes/{i}/spec");
        let source = match &v.source {
            VolumeSpec::PersistentVolumeClaim(s) => match (&s.claim_name, &s.size) {
                (Some(claim_name), None) if s.storage_class.is_none() => VolumeSource::Claim {
                    claim_name: claim_name.clone(),
                },
                (Some(_), _) => {
                    let field = if s.size.is_some() {
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
                        size: size.0.clone(),
                        storage_class: s.storage_class.clone(),
                    });
                    VolumeSource::Claim { claim_name }
                }
                (None, None) => {
                    // The platform's default claim size (profile setting).
                    let claim_name = format!("{}-{}", task.name, v.name);
                    claims.push(ClaimPlan {
                        name: claim_name.clone(),
                        size: super::platform::default_claim_size(ck.profile),
                        storage_class: s.storage_class.clone(),
                    });
                    VolumeSource::Claim { claim_name }
                }
            },
            VolumeSpec::EmptyDir(s) => VolumeSource::EmptyDir {
                size_limit: s.size_limit.as_ref().map(|q| q.0.clone()),
                memory: s.medium == Some(EmptyDirMedium::Memory),
            },
            VolumeSpec::Ephemeral(s) => VolumeSource::Ephemeral {
                size: s.size.0.clone(),
                storage_class: s.storage_class.clone(),
            },
            VolumeSpec::SharedVolume(s) => VolumeSource::Claim {
                claim_name: s.claim_name.clone().unwrap_or_else(|| v.name.clone()),
            },
        };
        volumes.push(VolumePlan {
            name: v.name.clone(),
            mount_path: v.mount_path.clone(),
            source,
        });
    }
    (volumes, claims)
}
