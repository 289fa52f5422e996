//! The review report of `diff --format markdown|json`: from the files a render would write
//! and the files of the folder, what changed, what it costs (resources per namespace) and
//! what it exposes. Pure: text in, [`Report`] out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::emit::FileOut;
use crate::quantity::{self, Nanos};
use crate::source::SourceFile;
use crate::yaml;

/// Everything a reviewer needs, in the order the Markdown shows it.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// Whether anything differs (the exit code of `diff`).
    pub(crate) drift: bool,
    pub(crate) summary: Summary,
    /// Every file that differs, in path order.
    pub(crate) files: Vec<FileChange>,
    /// Totals that differ, per namespace and resource.
    pub(crate) resources: Vec<ResourceDelta>,
    /// Changes that open the workload up, in path order.
    pub(crate) exposure: Vec<Exposure>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) added: usize,
    pub(crate) removed: usize,
    pub(crate) changed: usize,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Change {
    Added,
    Removed,
    Changed,
}

/// One file that differs.
#[derive(Debug, Serialize)]
pub(crate) struct FileChange {
    /// Relative to the folder, `/`-separated.
    pub(crate) path: String,
    /// `Kind/name` (`Dockerfile/<task>`, `Kustomization`).
    pub(crate) object: String,
    pub(crate) change: Change,
    /// The unified diff (`--- a/…`, `+++ b/…`, hunks).
    pub(crate) diff: String,
}

/// The total of one resource in one namespace, before and after.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct ResourceDelta {
    /// `null` for objects without a namespace (they go to the namespace of the context).
    pub(crate) namespace: Option<String>,
    /// `requests.cpu`, `limits.nvidia.com/gpu`, …; `requests.storage` totals claims.
    pub(crate) resource: String,
    pub(crate) before: String,
    pub(crate) after: String,
    /// `after − before`, signed (`+4`, `-512Mi`).
    pub(crate) difference: String,
}

/// One way a change opens the workload up.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Exposure {
    pub(crate) path: String,
    pub(crate) object: String,
    /// A stable name for scripts: `service_type`, `service_port`, `capabilities`,
    /// `run_as_non_root`, `root_user`, `root_group`, `privileged`, `host_network`.
    pub(crate) kind: &'static str,
    /// The change in words, Markdown code spans for values.
    pub(crate) message: String,
}

/// Compares the files a render would write (`new`) with the folder's (`old`).
pub(crate) fn compute(new: &[FileOut], old: &BTreeMap<String, String>) -> Report {
    let new_by_path: BTreeMap<&str, &FileOut> = new.iter().map(|f| (f.path.as_str(), f)).collect();
    let paths: BTreeSet<&str> = new_by_path
        .keys()
        .copied()
        .chain(old.keys().map(String::as_str))
        .collect();
    let mut summary = Summary::default();
    let mut files = Vec::new();
    let mut exposure = Vec::new();
    let mut before_totals = Totals::new();
    let mut after_totals = Totals::new();
    for path in paths {
        let before = old.get(path).map(String::as_str);
        let after = new_by_path.get(path).map(|f| f.text.as_str());
        let before_objects = before.map(|t| objects(path, t)).unwrap_or_default();
        let after_objects = after.map(|t| objects(path, t)).unwrap_or_default();
        for o in &before_objects {
            add_resources(&mut before_totals, o);
        }
        for o in &after_objects {
            add_resources(&mut after_totals, o);
        }
        let change = match (before, after) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(b), Some(a)) if b != a => Change::Changed,
            _ => continue,
        };
        match change {
            Change::Added => summary.added += 1,
            Change::Removed => summary.removed += 1,
            Change::Changed => summary.changed += 1,
        }
        let object = new_by_path.get(path).map_or_else(
            || super::label_of(path, before.unwrap_or_default()),
            |f| f.label.clone(),
        );
        for a in &after_objects {
            let b = before_objects
                .iter()
                .find(|b| b.get("kind") == a.get("kind") && name(b) == name(a));
            exposure.extend(exposures(b, a).into_iter().map(|(kind, message)| Exposure {
                path: path.to_owned(),
                object: object_label(a).unwrap_or_else(|| object.clone()),
                kind,
                message,
            }));
        }
        files.push(FileChange {
            path: path.to_owned(),
            object,
            change,
            diff: unified(path, before, after),
        });
    }
    Report {
        drift: !files.is_empty(),
        summary,
        files,
        resources: deltas(&before_totals, &after_totals),
        exposure,
    }
}

/// The unified diff of one file, as `diff` prints it without colour.
fn unified(path: &str, before: Option<&str>, after: Option<&str>) -> String {
    let text = similar::TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""));
    let old_name = before.map_or_else(|| "/dev/null".to_owned(), |_| format!("a/{path}"));
    let new_name = after.map_or_else(|| "/dev/null".to_owned(), |_| format!("b/{path}"));
    let mut out = text
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string();
    // A file without a final newline leaves the last line open.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The Kubernetes objects of a file; nothing for a Dockerfile, the kustomization, or text
/// that does not parse (a hand-edited file: the diff still shows it).
fn objects(path: &str, text: &str) -> Vec<Value> {
    let yaml = std::path::Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if !yaml || path == "kustomization.yaml" {
        return Vec::new();
    }
    yaml::parse(&SourceFile::new(path, text)).map_or_else(
        |_| Vec::new(),
        |docs| {
            docs.into_iter()
                .map(|d| d.value)
                .filter(Value::is_object)
                .collect()
        },
    )
}

fn name(object: &Value) -> Option<&str> {
    object.pointer("/metadata/name").and_then(Value::as_str)
}

fn object_label(object: &Value) -> Option<String> {
    Some(format!(
        "{}/{}",
        object.get("kind").and_then(Value::as_str)?,
        name(object)?
    ))
}

fn namespace(object: &Value) -> Option<String> {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The pod spec of a workload and how many pods run it at once: `replicas` for
/// `Deployment`s, `StatefulSet`s and `ReplicaSet`s, `parallelism` for Jobs (and a
/// `CronJob`'s Jobs), one for a Pod and for each node of a `DaemonSet` (counted once).
fn pod_spec(object: &Value) -> Option<(&Value, u64)> {
    let count = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(1);
    match object.get("kind")?.as_str()? {
        "Deployment" | "StatefulSet" | "ReplicaSet" => Some((
            object.pointer("/spec/template/spec")?,
            count(object.pointer("/spec/replicas")),
        )),
        "DaemonSet" => Some((object.pointer("/spec/template/spec")?, 1)),
        "Job" => Some((
            object.pointer("/spec/template/spec")?,
            count(object.pointer("/spec/parallelism")),
        )),
        "CronJob" => Some((
            object.pointer("/spec/jobTemplate/spec/template/spec")?,
            count(object.pointer("/spec/jobTemplate/spec/parallelism")),
        )),
        "Pod" => Some((object.get("spec")?, 1)),
        _ => None,
    }
}

/// `(namespace, "requests.cpu")` → total.
type Totals = BTreeMap<(Option<String>, String), Nanos>;

fn add_resources(totals: &mut Totals, object: &Value) {
    let ns = namespace(object);
    let mut add = |kind: &str, map: Option<&Value>, times: u64| {
        for (resource, amount) in map.and_then(Value::as_object).into_iter().flatten() {
            let text = match amount {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            let Some(q) = quantity::parse(&text) else {
                continue;
            };
            let total = totals
                .entry((ns.clone(), format!("{kind}.{resource}")))
                .or_insert(Nanos::ZERO);
            *total = total.plus(q.times(times));
        }
    };
    if object.get("kind").and_then(Value::as_str) == Some("PersistentVolumeClaim") {
        add("requests", object.pointer("/spec/resources/requests"), 1);
        return;
    }
    let Some((spec, times)) = pod_spec(object) else {
        return;
    };
    for container in containers(spec) {
        add("requests", container.pointer("/resources/requests"), times);
        add("limits", container.pointer("/resources/limits"), times);
    }
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    spec.get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Resources measured in bytes print with binary suffixes.
fn is_bytes(resource: &str) -> bool {
    let name = resource.split_once('.').map_or(resource, |(_, r)| r);
    matches!(name, "memory" | "ephemeral-storage" | "storage") || name.starts_with("hugepages-")
}

fn deltas(before: &Totals, after: &Totals) -> Vec<ResourceDelta> {
    let keys: BTreeSet<&(Option<String>, String)> = before.keys().chain(after.keys()).collect();
    let mut out: Vec<ResourceDelta> = keys
        .into_iter()
        .filter_map(|key| {
            let b = before.get(key).copied().unwrap_or(Nanos::ZERO);
            let a = after.get(key).copied().unwrap_or(Nanos::ZERO);
            if a == b {
                return None;
            }
            let bytes = is_bytes(&key.1);
            Some(ResourceDelta {
                namespace: key.0.clone(),
                resource: key.1.clone(),
                before: b.format(bytes),
                after: a.format(bytes),
                difference: Nanos::difference(b, a, bytes),
            })
        })
        .collect();
    // requests before limits, then by resource, within each namespace
    out.sort_by(|x, y| {
        (
            &x.namespace,
            !x.resource.starts_with("requests."),
            &x.resource,
        )
            .cmp(&(
                &y.namespace,
                !y.resource.starts_with("requests."),
                &y.resource,
            ))
    });
    out
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn strings(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// What `after` opens up compared with `before` (`None`: a new object).
fn exposures(before: Option<&Value>, after: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if after.get("kind").and_then(Value::as_str) == Some("Service") {
        service(before, after, &mut out);
    }
    if let Some((spec, _)) = pod_spec(after) {
        let profile = after
            .pointer("/metadata/labels/taskrender.io~1profile")
            .and_then(Value::as_str);
        pod(
            before.and_then(pod_spec).map(|(s, _)| s),
            spec,
            profile,
            &mut out,
        );
    }
    out
}

fn service(before: Option<&Value>, after: &Value, out: &mut Vec<(&'static str, String)>) {
    let type_of = |s: &Value| {
        s.pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_owned()
    };
    let new_type = type_of(after);
    let old_type = before.map(type_of);
    if matches!(new_type.as_str(), "NodePort" | "LoadBalancer")
        && old_type.as_deref() != Some(new_type.as_str())
    {
        out.push((
            "service_type",
            match old_type {
                Some(old) => format!("type {} → {}", code(&old), code(&new_type)),
                None => format!("new Service of type {}", code(&new_type)),
            },
        ));
    }
    let ports = |s: &Value| -> BTreeSet<String> {
        s.pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                let port = p.get("port").map(ToString::to_string).unwrap_or_default();
                let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                match p.get("nodePort") {
                    Some(n) => format!("{port}/{protocol} (nodePort {n})"),
                    None => format!("{port}/{protocol}"),
                }
            })
            .collect()
    };
    let old_ports = before.map(ports).unwrap_or_default();
    let new_ports: Vec<String> = ports(after)
        .into_iter()
        .filter(|p| !old_ports.contains(p))
        .map(|p| code(&p))
        .collect();
    if !new_ports.is_empty() {
        let s = if new_ports.len() == 1 { "" } else { "s" };
        out.push((
            "service_port",
            format!("new port{s} {}", new_ports.join(", ")),
        ));
    }
}

/// The effective security settings of one container: the container's own, else the pod's.
fn effective<'a>(pod: &'a Value, container: &'a Value, key: &str) -> Option<&'a Value> {
    container
        .pointer(&format!("/securityContext/{key}"))
        .or_else(|| pod.pointer(&format!("/securityContext/{key}")))
}

fn pod(
    before: Option<&Value>,
    after: &Value,
    profile: Option<&str>,
    out: &mut Vec<(&'static str, String)>,
) {
    let by = profile.map_or_else(String::new, |p| format!(" (profile {})", code(p)));
    if after.get("hostNetwork") == Some(&Value::Bool(true))
        && before.and_then(|b| b.get("hostNetwork")) != Some(&Value::Bool(true))
    {
        out.push((
            "host_network",
            "uses the node's network (`hostNetwork: true`)".into(),
        ));
    }
    for c in containers(after) {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let old = before.and_then(|b| {
            containers(b).find(|o| o.get("name").and_then(Value::as_str) == Some(cname))
        });
        let old_pod = before.unwrap_or(&Value::Null);
        let added: Vec<String> = strings(c.pointer("/securityContext/capabilities/add"))
            .into_iter()
            .filter(|cap| {
                !old.is_some_and(|o| {
                    strings(o.pointer("/securityContext/capabilities/add")).contains(cap)
                })
            })
            .map(|cap| code(&cap))
            .collect();
        if !added.is_empty() {
            out.push((
                "capabilities",
                format!(
                    "container {} adds capabilities {}",
                    code(cname),
                    added.join(", ")
                ),
            ));
        }
        let is_true = |v: Option<&Value>| v == Some(&Value::Bool(true));
        let is_zero = |v: Option<&Value>| v.and_then(Value::as_i64) == Some(0);
        if is_true(effective(after, c, "privileged"))
            && !old.is_some_and(|o| is_true(effective(old_pod, o, "privileged")))
        {
            out.push((
                "privileged",
                format!("container {} is privileged", code(cname)),
            ));
        }
        if !is_true(effective(after, c, "runAsNonRoot")) {
            match old {
                Some(o) if is_true(effective(old_pod, o, "runAsNonRoot")) => out.push((
                    "run_as_non_root",
                    format!("container {} loses `runAsNonRoot: true`{by}", code(cname)),
                )),
                None => out.push((
                    "run_as_non_root",
                    format!(
                        "container {} runs without `runAsNonRoot: true`{by}",
                        code(cname)
                    ),
                )),
                Some(_) => {}
            }
        }
        for (key, kind, what) in [
            ("runAsUser", "root_user", "runs as root"),
            ("runAsGroup", "root_group", "runs with the root group"),
        ] {
            if is_zero(effective(after, c, key))
                && !old.is_some_and(|o| is_zero(effective(old_pod, o, key)))
            {
                out.push((
                    kind,
                    format!("container {} {what} (`{key}: 0`){by}", code(cname)),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> FileOut {
        FileOut {
            path: path.into(),
            text: text.into(),
            label: format!("X/{path}"),
        }
    }

    const DEPLOY: &str = "kind: Deployment\nmetadata: {name: api, namespace: ml}\nspec:\n  replicas: REPLICAS\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true}\n      containers:\n      - name: api\n        resources:\n          requests: {cpu: 500m, memory: 1Gi}\n          limits: {nvidia.com/gpu: 1}\n";

    #[test]
    fn resources_multiply_by_replicas_and_parallelism() {
        let old = BTreeMap::from([(
            "api/Deployment.yaml".to_owned(),
            DEPLOY.replace("REPLICAS", "2"),
        )]);
        let new = [
            file("api/Deployment.yaml", &DEPLOY.replace("REPLICAS", "4")),
            file(
                "train/Job.yaml",
                "kind: Job\nmetadata: {name: train}\nspec:\n  parallelism: 3\n  template:\n    spec:\n      containers:\n      - name: t\n        resources: {requests: {cpu: 2}}\n",
            ),
        ];
        let r = compute(&new, &old);
        let rows: Vec<(Option<&str>, &str, &str, &str, &str)> = r
            .resources
            .iter()
            .map(|d| {
                (
                    d.namespace.as_deref(),
                    d.resource.as_str(),
                    d.before.as_str(),
                    d.after.as_str(),
                    d.difference.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (None, "requests.cpu", "0", "6", "+6"),
                (Some("ml"), "requests.cpu", "1", "2", "+1"),
                (Some("ml"), "requests.memory", "2Gi", "4Gi", "+2Gi"),
                (Some("ml"), "limits.nvidia.com/gpu", "2", "4", "+2"),
            ]
        );
        assert_eq!(
            r.summary,
            Summary {
                added: 1,
                removed: 0,
                changed: 1
            }
        );
        // the new Job runs without runAsNonRoot; the Deployment keeps it
        assert_eq!(r.exposure.len(), 1);
        assert_eq!(r.exposure[0].object, "Job/train");
        assert_eq!(r.exposure[0].kind, "run_as_non_root");
    }

    #[test]
    fn exposure_of_services_and_pods() {
        let svc = |t: &str, ports: &str| {
            format!(
                "kind: Service\nmetadata: {{name: web}}\nspec:\n  type: {t}\n  ports: [{ports}]\n"
            )
        };
        let old = BTreeMap::from([
            (
                "web/Service.yaml".to_owned(),
                svc("ClusterIP", "{port: 80}"),
            ),
            (
                "api/Deployment.yaml".to_owned(),
                DEPLOY.replace("REPLICAS", "1"),
            ),
        ]);
        let loosened = DEPLOY
            .replace("REPLICAS", "1")
            .replace("{runAsNonRoot: true}", "{runAsUser: 0}")
            .replace(
                "      - name: api\n",
                "      - name: api\n        securityContext: {capabilities: {add: [NET_ADMIN]}}\n",
            );
        let new = [
            file(
                "web/Service.yaml",
                &svc("LoadBalancer", "{port: 80}, {port: 443, protocol: TCP}"),
            ),
            file("api/Deployment.yaml", &loosened),
        ];
        let r = compute(&new, &old);
        let got: Vec<(&str, &str)> = r
            .exposure
            .iter()
            .map(|e| (e.kind, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "capabilities",
                    "container `api` adds capabilities `NET_ADMIN`"
                ),
                (
                    "run_as_non_root",
                    "container `api` loses `runAsNonRoot: true`"
                ),
                ("root_user", "container `api` runs as root (`runAsUser: 0`)"),
                ("service_type", "type `ClusterIP` → `LoadBalancer`"),
                ("service_port", "new port `443/TCP`"),
            ]
        );
        assert!(r.resources.is_empty(), "{:?}", r.resources);
    }

    #[test]
    fn identical_folders_report_nothing() {
        let old = BTreeMap::from([("a/Job.yaml".to_owned(), "kind: Job\n".to_owned())]);
        let r = compute(&[file("a/Job.yaml", "kind: Job\n")], &old);
        assert!(!r.drift);
        assert!(r.files.is_empty() && r.exposure.is_empty() && r.resources.is_empty());
    }
}
