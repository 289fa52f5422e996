//! The pod every action runs: image, command, ids, resources.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::{PodPlan, VolumePlan};
use crate::profile::Profile;
use crate::profile::merge::Layer;
use crate::quantity;
use crate::task::{Command, TaskSpec};
use crate::yaml::Pointer;

pub(super) type ResourceMaps = (BTreeMap<String, String>, BTreeMap<String, String>);

pub(super) fn pod_plan(
    task: &TaskSpec,
    command: Vec<String>,
    (limits, requests): ResourceMaps,
    volumes: Vec<VolumePlan>,
) -> PodPlan {
    let function = task.function.as_ref();
    PodPlan {
        container_name: task.name.clone(),
        image: function.and_then(|f| f.image.clone()).unwrap_or_default(),
        command,
        args: function.map(|f| f.args.clone()).unwrap_or_default(),
        pull_policy: function.and_then(|f| f.image_pull_policy),
        ports: Vec::new(),
        env: task
            .envs
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect(),
        secrets: task.secrets.iter().map(|s| s.as_str().to_owned()).collect(),
        limits,
        requests,
        node_selector: task
            .node_selector
            .iter()
            .map(|n| (n.key.clone(), n.value.clone()))
            .collect(),
        affinity: task.affinity.clone(),
        tolerations: task.tolerations.clone(),
        volumes,
        run_as_user: task.run_as_user,
        run_as_group: task.run_as_group,
        fs_group: task.fs_group,
        read_only_root_filesystem: false,
        ..PodPlan::default()
    }
}

pub(super) fn check_ids(ck: &mut Checker<'_>, task: &TaskSpec, profile: &Profile) {
    if profile.allow_root {
        return;
    }
    for (field, value) in [
        ("run_as_user", task.run_as_user),
        ("run_as_group", task.run_as_group),
        ("fs_group", task.fs_group),
    ] {
        if value == Some(0) {
            ck.error(ErrorKind::RootId { field: field.into() }, &format!("/{field}"), "root")
                .help = Some("use an unprivileged id (1 or above; 10000 and above avoids clashes with host users), or a profile with `allow_root: true`".into());
        }
    }
}

/// The Task's limits and requests. A request above its limit is the Task's mistake when
/// the Task wrote it, and the policy's when `enforce` did (an error naming both places); a
/// request from the profile's `defaults` is lowered to the limit, as Kubernetes would.
pub(super) fn resources(ck: &mut Checker<'_>, task: &TaskSpec) -> ResourceMaps {
    let Some(res) = &task.resources else {
        return Default::default();
    };
    let limits: BTreeMap<String, String> = res
        .limits
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    let mut requests: BTreeMap<String, String> = res
        .requests
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    for (name, request) in &mut requests {
        let Some(limit) = limits.get(name) else {
            continue;
        };
        if quantity::compare(request, limit) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        let request_ptr = Pointer::join("/resources/requests", name);
        let limit_ptr = Pointer::join("/resources/limits", name);
        let kind = ErrorKind::RequestAboveLimit {
            resource: name.clone(),
            request: request.clone(),
            limit: limit.clone(),
        };
        match ck.provenance.origin(&request_ptr).0 {
            Layer::Defaults => request.clone_from(limit),
            Layer::Task => {
                let (limit_file, limit_span) = ck.locate(&limit_ptr);
                let limit_place = ck.place(&limit_ptr);
                let help = format!("lower the request to at most `{limit}`, or raise the limit");
                let d = ck.error(kind, &request_ptr, "request");
                *d = if d.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, &limit_file)) {
                    d.clone().also(limit_span, "limit").with_help(help)
                } else {
                    d.clone()
                        .with_help(format!("the limit is set at {limit_place}; {help}"))
                };
            }
            Layer::Enforce => {
                let request_place = ck.place(&request_ptr);
                let profile = ck.profile.name.clone();
                ck.error(kind, &limit_ptr, "limit").help = Some(format!(
                    "profile `{profile}` enforces `requests.{name}: {request}` (at {request_place}): raise this limit to at least `{request}`"
                ));
            }
        }
    }
    (limits, requests)
}

pub(super) fn command(ck: &mut Checker<'_>, task: &TaskSpec) -> Vec<String> {
    match task.function.as_ref().and_then(|f| f.command.as_ref()) {
        None => Vec::new(),
        Some(Command::Words(words)) => words.clone(),
        Some(Command::Line(line)) => {
            if let Some(words) = shlex::split(line).filter(|w| !w.is_empty()) {
                words
            } else {
                ck.error(
                    ErrorKind::CommandSyntax {
                        field: "function.command".into(),
                        problem: "cannot split into words: a quote is not closed".into(),
                    },
                    "/function/command",
                    "unbalanced quotes",
                )
                .help = Some(
                    "close the quote, or write the command as a list: `[python, train.py]`".into(),
                );
                Vec::new()
            }
        }
    }
}
