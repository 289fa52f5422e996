//! Stage 6, render: [`Plan`] → [`Artifact`]s, built as typed `k8s-openapi` objects (never
//! YAML text) and normalised into the output's key order.

mod bound;
mod build;
mod direct;
mod job;
mod patch;
mod pod;
mod serve;
pub(crate) mod yaml;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ByteString, Metadata};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diagnostic::Diagnostic;
use serde_json::{Map, Value};

use crate::plan::{ClaimPlan, ConfigMapPlan, Plan, Workload};
use crate::profile::{Profile, policy};

/// One rendered output, serialised: a Kubernetes object as a YAML document, or a build's
/// Dockerfile. Serialising is the last step of render (on the pipeline's workers), so
/// emit only places bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Artifact {
    /// Name of the Task it came from (the output folder in `-o DIR` mode).
    pub(crate) task: String,
    /// Path under `-o DIR`, `/`-separated: `<task>/<Kind>.yaml`, `<task>/Dockerfile`.
    pub(crate) path: String,
    /// What it holds, for summaries: `Job/train`, `Dockerfile/train`.
    pub(crate) label: String,
    /// Empty for an object within the API server's limit rendered with [`Text::IfLarge`].
    pub(crate) text: String,
    /// A Dockerfile rather than a Kubernetes object.
    pub(crate) dockerfile: bool,
}

/// What [`render`] makes of each object's YAML.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Text {
    /// Written: the artifacts are output.
    #[default]
    Written,
    /// Written only when the object may be over [`MAX_OBJECT_BYTES`] (an upper bound of
    /// its size, [`bound::yaml_size`], reaches it), else left empty: for `check`, which
    /// keeps no output but must find the objects too large.
    IfLarge,
}

/// Most bytes of one object the API server accepts in a request (its default
/// `--max-request-body-bytes`, 3 MiB), measured on the YAML taskrender writes (about the
/// size of the JSON `kubectl` sends: the bulk of such an object is one long string).
pub(crate) const MAX_OBJECT_BYTES: usize = 3 * 1024 * 1024;

/// Renders every object of one Task, in the action's object order (SPEC section 2), with
/// the profile's patches applied. Errors are patch fields the object types do not have.
pub(crate) fn render(
    plan: &Plan,
    profile: &Profile,
    text: Text,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let mut r = Renderer {
        plan,
        profile,
        text,
        out: Vec::new(),
        errors: Vec::new(),
    };
    for c in &plan.claims {
        r.push("PersistentVolumeClaim", true, &claim(plan, c));
    }
    for c in &plan.config_maps {
        r.push("ConfigMap", true, &config_map(plan, c));
    }
    match &plan.workload {
        Workload::Job(settings) => r.push("Job", false, &job::job(plan, settings)),
        Workload::Deploy { replicas } => {
            r.push("Deployment", false, &serve::deployment(plan, *replicas));
        }
        Workload::Serve { replicas, service } => {
            r.push("Deployment", false, &serve::deployment(plan, *replicas));
            if let Some(service) = service {
                r.push("Service", false, &serve::service(plan, service));
            }
        }
        Workload::Build { build, job } => {
            r.out.push(Artifact {
                task: plan.name.clone(),
                path: format!("{}/Dockerfile", plan.name),
                label: format!("Dockerfile/{}", plan.name),
                text: build.dockerfile.clone(),
                dockerfile: true,
            });
            r.push("ConfigMap", false, &build::config_map(plan, build));
            r.push("Job", false, &build::job(plan, build, job));
        }
    }
    if r.errors.is_empty() {
        Ok(r.out)
    } else {
        Err(r.errors)
    }
}

struct Renderer<'a> {
    plan: &'a Plan,
    profile: &'a Profile,
    text: Text,
    out: Vec<Artifact>,
    errors: Vec<Diagnostic>,
}

impl Renderer<'_> {
    /// Serializes `object`, applies the profile's patch for `kind`, and adds the artifact.
    fn push<T>(&mut self, kind: &'static str, several: bool, object: &T)
    where
        T: Serialize + DeserializeOwned + Metadata<Ty = ObjectMeta>,
    {
        let Some(patch) = self.profile.patches.get(kind) else {
            let name = object.metadata().name.clone().unwrap_or_default();
            let text = self.yaml(object);
            self.out
                .push(artifact(self.plan, kind, several, &name, text));
            return;
        };
        let mut value = serde_json::to_value(object).expect("Kubernetes objects serialize to JSON");
        let before = value.clone();
        if let Err(problem) = patch::apply::<T>(&mut value, patch) {
            self.errors
                .push(patch::diagnostic(self.profile, kind, problem));
            return;
        }
        // What the patch changed, against the policy (README, "Patch policy").
        let build = matches!(self.plan.workload, Workload::Build { .. });
        let refused = policy::check_patched(self.profile, kind, patch, &before, &value, build);
        if !refused.is_empty() {
            self.errors.extend(refused);
            return;
        }
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let text = self.yaml(&value);
        self.out
            .push(artifact(self.plan, kind, several, &name, text));
    }

    /// The object's YAML, or nothing when it is not wanted ([`Text`]).
    fn yaml<T: Serialize>(&self, object: &T) -> String {
        match self.text {
            Text::IfLarge if bound::yaml_size(object) <= MAX_OBJECT_BYTES => String::new(),
            Text::Written | Text::IfLarge => object_yaml(object),
        }
    }
}

/// The YAML document of an object in output order: written directly, or through
/// [`normalize`] and [`yaml::to_yaml`] for the shapes the direct writer leaves to them
/// (both write the same bytes: tested).
fn object_yaml<T: Serialize>(object: &T) -> String {
    direct::to_yaml(object).unwrap_or_else(|| {
        let value = serde_json::to_value(object).expect("Kubernetes objects serialize to JSON");
        yaml::to_yaml(&normalize(value, Position::Top))
    })
}

/// Object metadata every rendered object shares.
fn metadata(plan: &Plan, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: plan.namespace.clone(),
        labels: Some(plan.labels.clone()),
        annotations: non_empty(plan.annotations.clone()),
        ..ObjectMeta::default()
    }
}

/// A `ConfigMap` of source files.
fn config_map(plan: &Plan, c: &ConfigMapPlan) -> ConfigMap {
    ConfigMap {
        metadata: metadata(plan, &c.name),
        data: non_empty(c.data.clone()),
        binary_data: non_empty(
            c.binary_data
                .iter()
                .map(|(k, v)| (k.clone(), ByteString(v.clone())))
                .collect(),
        ),
        ..ConfigMap::default()
    }
}

fn non_empty<K, V>(map: BTreeMap<K, V>) -> Option<BTreeMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

fn quantities(map: &BTreeMap<String, String>) -> Option<BTreeMap<String, Quantity>> {
    non_empty(
        map.iter()
            .map(|(k, v)| (k.clone(), Quantity(v.clone())))
            .collect(),
    )
}

fn claim(plan: &Plan, c: &ClaimPlan) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: metadata(plan, &c.name),
        spec: Some(claim_spec(&c.size, c.storage_class.as_ref())),
        status: None,
    }
}

/// A `ReadWriteOnce` claim of `size` (shared by PVCs and generic ephemeral volumes).
fn claim_spec(size: &str, storage_class: Option<&String>) -> PersistentVolumeClaimSpec {
    PersistentVolumeClaimSpec {
        access_modes: Some(vec!["ReadWriteOnce".into()]),
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_owned(),
                Quantity(size.to_owned()),
            )])),
            limits: None,
        }),
        storage_class_name: storage_class.cloned(),
        ..PersistentVolumeClaimSpec::default()
    }
}

fn artifact(plan: &Plan, kind: &'static str, several: bool, name: &str, text: String) -> Artifact {
    let file_name = if several {
        format!("{kind}-{name}.yaml")
    } else {
        format!("{kind}.yaml")
    };
    Artifact {
        task: plan.name.clone(),
        path: format!("{}/{file_name}", plan.name),
        label: format!("{kind}/{name}"),
        text,
        dockerfile: false,
    }
}

/// Keys of Kubernetes label selectors, kept when empty: `{}` selects everything, while an
/// absent selector selects nothing (`labelSelector`) or the pod's own namespace
/// (`namespaceSelector`). The renderer sets neither, so an empty one was written.
pub(super) const SELECTOR_KEYS: [&str; 2] = ["labelSelector", "namespaceSelector"];

/// Output key order (SPEC section 5): `apiVersion`, `kind`, `metadata`, then the other
/// fields alphabetically (the typed serializer's order, enforced here so that no serializer
/// quirk can change it); `name` first in list items that have one. Empty maps and lists
/// are dropped, except `emptyDir: {}`, which is how an emptyDir without settings is written,
/// and an empty selector (`namespaceSelector: {}`, [`SELECTOR_KEYS`]), which means "all".
pub(super) fn normalize(value: Value, position: Position) -> Value {
    match value {
        Value::Object(mut map) => {
            let first: &[&str] = match position {
                Position::Top => &["apiVersion", "kind", "metadata"],
                Position::ListItem => &["name"],
                Position::Field => &[],
            };
            let mut out = Map::with_capacity(map.len());
            for key in first {
                if let Some(v) = map.remove(*key) {
                    out.insert((*key).to_owned(), normalize(v, Position::Field));
                }
            }
            let mut rest: Vec<(String, Value)> = map.into_iter().collect();
            rest.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in rest {
                let v = normalize(v, Position::Field);
                let keep_empty =
                    k == "emptyDir" || (v.is_object() && SELECTOR_KEYS.contains(&k.as_str()));
                let empty = match &v {
                    Value::Object(m) => m.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    Value::Null => true,
                    _ => false,
                };
                if !empty || keep_empty {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| normalize(v, Position::ListItem))
                .collect(),
        ),
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    Top,
    ListItem,
    Field,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalize_orders_and_prunes() {
        let v = normalize(
            json!({"kind": "Job", "apiVersion": "batch/v1", "data": {}, "metadata": {"namespace": "n", "name": "x", "labels": {}},
                   "spec": {"containers": [{"image": "i", "name": "c", "env": []}], "volumes": [{"emptyDir": {}, "name": "v"}]}}),
            Position::Top,
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"x","namespace":"n"},"spec":{"containers":[{"name":"c","image":"i"}],"volumes":[{"name":"v","emptyDir":{}}]}}"#
        );
    }

    #[test]
    fn normalize_keeps_written_empty_selectors_only() {
        // `{}` selects everything, an absent selector nothing (or the pod's own namespace).
        let v = normalize(
            json!({"term": {"labelSelector": {}, "namespaceSelector": {"matchLabels": {}}, "namespaces": [], "topologyKey": "k"},
                   "other": {"labelSelector": null, "namespaceSelector": [], "selector": {}}}),
            Position::Field,
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"term":{"labelSelector":{},"namespaceSelector":{},"topologyKey":"k"}}"#
        );
    }
}
