//! Resources in the reference platform's shapes, normalised into the Kubernetes one, and
//! the rules the API server enforces on extended resources (GPUs), for every shape.
//!
//! - scalar `{cpu, mem, gpu, disk}` (SDK ≥ 0.14): requests; `gpu` also its limit;
//! - per-resource `{cpu: {requests, limits}, …}` (SDK ≤ 0.13): each side as written, `gpu`
//!   with one side gets the other;
//! - `disk`: an ephemeral volume `shared` at `/shared` (the platform's scratch disk).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::profile::merge::Layer;
use crate::quantity;
use crate::task::{
    Action, EphemeralSpec, PlatformResource, Quantity, Resources, TaskSpec, Volume, VolumeSpec,
};
use crate::yaml::Pointer;

/// The extended resource `resources.gpu` requests unless the profile names another.
pub(crate) const DEFAULT_GPU_RESOURCE: &str = "nvidia.com/gpu";

/// Where `/shared` lives: the platform's scratch disk and fetched sources.
pub(crate) const SHARED_DIR: &str = "/shared";
/// The name of the volume mounted at `/shared` when taskrender adds it.
pub(crate) const SHARED_VOLUME: &str = "shared";

const PLATFORM_KEYS: [&str; 4] = ["cpu", "mem", "gpu", "disk"];
const K8S_KEYS: [&str; 2] = ["requests", "limits"];

/// Where each normalised resource was written, for the extended-resource rules:
/// resource name → (pointer of the request, pointer of the limit).
pub(super) type Written = BTreeMap<String, (String, String)>;

/// Rewrites the platform's shapes into `requests`/`limits` (and `disk` into a volume), in
/// place, so that every later rule sees one shape. Returns where each resource was written.
pub(super) fn normalise(ck: &mut Checker<'_>, task: &mut TaskSpec) -> Written {
    let mut written = Written::new();
    mixed_shapes(ck);
    let gpu_key = ck
        .profile
        .platform
        .gpu_resource
        .clone()
        .unwrap_or_else(|| DEFAULT_GPU_RESOURCE.to_owned());
    let Some(res) = task.resources.as_mut() else {
        return written;
    };
    for (key, name) in [("cpu", "cpu"), ("mem", "memory"), ("gpu", gpu_key.as_str())] {
        let value = match key {
            "cpu" => res.cpu.take(),
            "mem" => res.mem.take(),
            _ => res.gpu.take(),
        };
        let gpu = key == "gpu";
        let base = format!("/resources/{key}");
        let (request, limit, req_ptr, lim_ptr) = match value {
            None => continue,
            Some(PlatformResource::Scalar(q)) => {
                let limit = gpu.then(|| q.clone());
                (Some(q), limit, base.clone(), base.clone())
            }
            Some(PlatformResource::Sides(sides)) => {
                let (mut request, mut limit) = (sides.requests, sides.limits);
                if gpu {
                    request = request.or_else(|| limit.clone());
                    limit = limit.or_else(|| request.clone());
                }
                if let (Some(r), Some(l)) = (&request, &limit)
                    && !gpu
                    && quantity::compare(&r.0, &l.0) == Some(std::cmp::Ordering::Greater)
                {
                    let (limit_file, limit_span) = ck.locate(&format!("{base}/limits"));
                    let d = ck.error(
                        ErrorKind::RequestAboveLimit {
                            resource: name.to_owned(),
                            request: r.0.clone(),
                            limit: l.0.clone(),
                        },
                        &format!("{base}/requests"),
                        "request",
                    );
                    if d.file
                        .as_ref()
                        .is_some_and(|f| std::sync::Arc::ptr_eq(f, &limit_file))
                    {
                        *d = d.clone().also(limit_span, "limit");
                    }
                    d.help = Some(format!(
                        "lower the request to at most `{}`, or raise the limit",
                        l.0
                    ));
                }
                let req_ptr = if sides_has(ck, &base, "requests") {
                    format!("{base}/requests")
                } else {
                    base.clone()
                };
                let lim_ptr = if sides_has(ck, &base, "limits") {
                    format!("{base}/limits")
                } else {
                    base.clone()
                };
                (request, limit, req_ptr, lim_ptr)
            }
        };
        set(ck, res, "requests", name, request);
        set(ck, res, "limits", name, limit);
        written.insert(name.to_owned(), (req_ptr, lim_ptr));
    }
    if let Some(disk) = res.disk.take() {
        disk_volume(ck, task, disk);
    }
    written
}

fn sides_has(ck: &Checker<'_>, base: &str, side: &str) -> bool {
    ck.doc.value.pointer(&format!("{base}/{side}")).is_some()
}

/// Sets `side.name`, unless the profile's `enforce` set it (policy wins, as for the
/// Kubernetes shape).
fn set(ck: &Checker<'_>, res: &mut Resources, side: &str, name: &str, value: Option<Quantity>) {
    let Some(value) = value else { return };
    let pointer = Pointer::join(&format!("/resources/{side}"), name);
    let map = if side == "requests" {
        &mut res.requests
    } else {
        &mut res.limits
    };
    if map.contains_key(name) && ck.provenance.origin(&pointer).0 == Layer::Enforce {
        return;
    }
    map.insert(name.to_owned(), value);
}

/// One shape per Task, as the Task wrote it (a profile's `requests` beside a Task's `cpu`
/// is not a mix: the Task's value wins).
fn mixed_shapes(ck: &mut Checker<'_>) {
    let Some(own) = ck.doc.value.get("resources").and_then(Value::as_object) else {
        return;
    };
    let k8s = K8S_KEYS.iter().find(|k| own.contains_key(**k));
    let platform: Vec<&str> = PLATFORM_KEYS
        .iter()
        .copied()
        .filter(|k| own.contains_key(*k))
        .collect();
    if let (Some(first), Some(second)) = (k8s, platform.first()) {
        mix_error(
            ck,
            first,
            second,
            format!(
                "write every resource in one shape: `{second}` under `{first}` (Kubernetes names: `cpu`, `memory`, `nvidia.com/gpu`), or `{first}` as the platform's `cpu`/`mem`/`gpu`/`disk`"
            ),
        );
        return;
    }
    let scalar = platform
        .iter()
        .find(|k| **k != "disk" && !own[**k].is_object());
    let sides = platform.iter().find(|k| own[**k].is_object());
    if let (Some(first), Some(second)) = (scalar, sides) {
        mix_error(
            ck,
            first,
            second,
            format!(
                "write both as requests (`{second}: \"1\"`), or both per side (`{first}: {{requests: …, limits: …}}`)"
            ),
        );
    }
    if let Some(disk) = own.get("disk")
        && disk.is_object()
    {
        ck.error(
            ErrorKind::MixedShapes {
                first: "disk".into(),
                second: "disk.requests".into(),
            },
            "/resources/disk",
            "a size, not requests and limits",
        )
        .help = Some(
            "`disk` is the size of the scratch volume at `/shared`: write `disk: 10Gi`".into(),
        );
    }
}

fn mix_error(ck: &mut Checker<'_>, first: &str, second: &str, help: String) {
    // Both keys are the Task's own (the shapes are checked on what the Task wrote).
    let file = std::sync::Arc::clone(&ck.doc.file);
    let first_span = ck.doc.spans.key(&format!("/resources/{first}"));
    let d = ck.error(
        ErrorKind::MixedShapes {
            first: first.to_owned(),
            second: second.to_owned(),
        },
        &format!("/resources/{second}"),
        "this shape",
    );
    if d.file
        .as_ref()
        .is_some_and(|f| std::sync::Arc::ptr_eq(f, &file))
    {
        *d = d.clone().also(first_span, "and this one");
    }
    d.help = Some(help);
}

/// `disk: X`: the platform's scratch disk, an ephemeral volume at `/shared`.
fn disk_volume(ck: &mut Checker<'_>, task: &mut TaskSpec, size: Quantity) {
    if task.action == Action::Build {
        ck.warning(ErrorKind::DiskOnBuild, "/resources/disk", "ignored")
            .help = Some("remove `disk`, or give the builder a volume under `volumes`".into());
        return;
    }
    if let Some(i) = task
        .volumes
        .iter()
        .position(|v| v.mount_path.trim_end_matches('/') == SHARED_DIR || v.name == SHARED_VOLUME)
    {
        let field = if task.volumes[i].name == SHARED_VOLUME {
            "name"
        } else {
            "mount_path"
        };
        let place = ck.place(&format!("/volumes/{i}/{field}"));
        ck.error(
            ErrorKind::DiskConflict {
                field: format!("volumes[{i}].{field}"),
            },
            "/resources/disk",
            "scratch volume at /shared",
        )
        .help = Some(format!(
            "remove `disk` and size the volume at {place} instead, or move that volume elsewhere"
        ));
        return;
    }
    task.volumes.push(Volume {
        name: SHARED_VOLUME.into(),
        mount_path: SHARED_DIR.into(),
        source: VolumeSpec::Ephemeral(EphemeralSpec {
            size,
            storage_class: None,
        }),
    });
}

/// The API server's rules for extended resources: a limit, request = limit, whole numbers.
pub(super) fn check_extended(
    ck: &mut Checker<'_>,
    (limits, requests): &super::pod::ResourceMaps,
    written: &Written,
) {
    let first = ck.errors.len();
    let names: std::collections::BTreeSet<&String> = limits
        .keys()
        .chain(requests.keys())
        .filter(|n| super::resources_rules::is_extended(n))
        .collect();
    for name in names {
        let (req_ptr, lim_ptr) = written.get(name.as_str()).cloned().unwrap_or_else(|| {
            (
                Pointer::join("/resources/requests", name),
                Pointer::join("/resources/limits", name),
            )
        });
        let request = requests.get(name.as_str());
        let limit = limits.get(name.as_str());
        for (value, ptr) in [(request, &req_ptr), (limit, &lim_ptr)] {
            if let Some(value) = value
                && quantity::is_whole(value) == Some(false)
            {
                ck.error(
                    ErrorKind::ExtendedFraction {
                        resource: name.clone(),
                        value: value.clone(),
                    },
                    ptr,
                    "not a whole number",
                )
                .help = Some(format!(
                    "devices are counted whole: write `{name}: 1` (or 2, …)"
                ));
            }
        }
        match (request, limit) {
            (Some(request), None) => {
                ck.error(
                    ErrorKind::ExtendedNoLimit {
                        resource: name.clone(),
                    },
                    &req_ptr,
                    "request without a limit",
                )
                .help = Some(format!(
                    "add `limits: {{{name}: {request}}}` (the API server requires a limit equal to the request), or write `gpu: {request}`"
                ));
            }
            (Some(request), Some(limit))
                if quantity::compare(request, limit) != Some(std::cmp::Ordering::Equal) =>
            {
                ck.error(
                    ErrorKind::ExtendedUnequal {
                        resource: name.clone(),
                        request: request.clone(),
                        limit: limit.clone(),
                    },
                    &req_ptr,
                    "must equal the limit",
                )
                .help = Some(format!(
                    "extended resources cannot be overcommitted: make the request `{limit}`, or drop it (it defaults to the limit)"
                ));
            }
            _ => {}
        }
    }
    // In the order of the files, whichever map comes first.
    ck.errors[first..].sort_by_key(|d| d.primary_span().map(|s| s.start));
}
