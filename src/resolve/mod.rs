//! Stage 5, resolve: a schema-valid [`Document`] + its profile → [`Plan`], the Task with
//! every default applied and every cross-field rule checked. The renderer reads a `Plan`
//! and never has to guess.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::profile::{self, Catalog, Profile, TemplateContext};
use crate::quantity;
use crate::source::SourceFile;
use crate::spec::model::{
    Action, Command, EmptyDirMedium, EmptyDirSpec, EphemeralSpec, PullPolicy, PvcSpec,
    SharedVolumeSpec, TaskSpec, VolumeType,
};
use crate::spec::parse::Document;

/// Labels taskrender sets itself; a Task may not override them.
pub mod build;
mod service;

pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";

/// A Job's defaults (SPEC section 2).
pub const JOB_BACKOFF_LIMIT: i32 = 0;
pub const JOB_ACTIVE_DEADLINE_SECONDS: i64 = 259_200;

/// Where a Task came from, for diagnostics that span several Tasks.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub name_span: Range<usize>,
}

/// A Task, resolved: what the renderer turns into objects.
#[derive(Debug, Clone)]
pub struct Plan {
    pub origin: Origin,
    pub name: String,
    pub namespace: Option<String>,
    pub action: Action,

    /// Every object's labels: the standard ones, then the Task's.
    pub labels: BTreeMap<String, String>,
    /// The stable subset used in selectors.
    pub selector: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub pod: PodPlan,
    /// `PersistentVolumeClaim`s to render, in volume order.
    pub claims: Vec<ClaimPlan>,
    pub job: JobPlan,
    /// Deployment replicas (`serve`, `deploy`).
    pub replicas: i32,
    /// The Service of a `serve` Task with ports.
    pub service: Option<ServicePlan>,
    /// The Dockerfile and builder of a `build` Task.
    pub build: Option<BuildPlan>,
    /// Problems that do not stop rendering.
    pub warnings: Vec<Diagnostic>,
    /// The Task's profile, for its patches.
    pub profile: Arc<Profile>,
}

/// What a `build` Task builds, and how.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    /// The generated Dockerfile, ending in one newline.
    pub dockerfile: String,
    /// Image reference to push.
    pub destination: String,
    /// Kaniko `--context`: the Task's `function.source`, else the mounted Dockerfile folder.
    pub context: String,
    pub registry_secret: Option<String>,
    pub builder_image: String,
}

/// A Service to render.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub type_: &'static str,
    pub ports: Vec<PortPlan>,
}

/// One Service port, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlan {
    pub name: String,
    pub port: i32,
    pub target_port: i32,
    pub protocol: &'static str,
    pub node_port: Option<i32>,
}

/// The pod every action runs.
#[derive(Debug, Clone)]
pub struct PodPlan {
    pub container_name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub pull_policy: Option<PullPolicy>,
    /// `(containerPort, protocol)`: every Service target port, once.
    pub ports: Vec<(i32, &'static str)>,
    pub env: Vec<(String, String)>,
    pub secrets: Vec<String>,
    pub limits: BTreeMap<String, String>,
    pub requests: BTreeMap<String, String>,
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Affinity>,
    pub tolerations: Vec<Toleration>,
    pub volumes: Vec<VolumePlan>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    /// Mount the container's root filesystem read-only (profile setting).
    pub read_only_root_filesystem: bool,
}

/// One mounted volume.
#[derive(Debug, Clone)]
pub struct VolumePlan {
    pub name: String,
    pub mount_path: String,
    pub source: VolumeSource,
}

#[derive(Debug, Clone)]
pub enum VolumeSource {
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
}

/// A `PersistentVolumeClaim` to render.
#[derive(Debug, Clone)]
pub struct ClaimPlan {
    pub name: String,
    pub size: String,
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone)]
pub struct JobPlan {
    pub backoff_limit: i32,
    pub active_deadline_seconds: i64,
    pub ttl_seconds_after_finished: Option<i32>,
}

/// Collects the diagnostics of one Task.
pub(crate) struct Checker<'a> {
    doc: &'a Document,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, kind: ErrorKind, pointer: &str, label: &str) -> &mut Diagnostic {
        let span = self.doc.spans.value(pointer);
        self.errors
            .push(Diagnostic::new(kind).at(&self.doc.file, span, label));
        self.errors.last_mut().expect("just pushed")
    }

    /// Reports every repeat of a value that must be unique, pointing at the repeat and
    /// at its first occurrence.
    fn unique<'v>(&mut self, what: &str, items: impl IntoIterator<Item = (String, &'v str)>) {
        let mut seen: BTreeMap<&str, String> = BTreeMap::new();
        for (pointer, value) in items {
            if let Some(first) = seen.get(value) {
                let first_span = self.doc.spans.value(first);
                let d = self.error(
                    ErrorKind::Duplicate {
                        what: what.into(),
                        value: value.into(),
                    },
                    &pointer,
                    "repeated here",
                );
                *d = d
                    .clone()
                    .also(first_span, "first here")
                    .with_help(format!("each {what} must be unique; remove or rename one"));
            } else {
                seen.insert(value, pointer);
            }
        }
    }
}

/// What resolution needs besides the Task: command-line overrides and the profiles.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// `--namespace`.
    pub namespace: Option<&'a str>,
    pub catalog: &'a Catalog,
    /// `--set key=value`, the profile templates' `vars`.
    pub vars: &'a BTreeMap<String, String>,
    /// `check --strict`: warn where `enforce` overrides the Task.
    pub strict: bool,
}

/// Label on objects rendered with a profile other than `default`.
pub const LABEL_PROFILE: &str = "taskrender.io/profile";

/// Resolves one validated document. All problems are returned, not only the first.
pub fn resolve(doc: &Document, opts: Options<'_>) -> Result<Plan, Vec<Diagnostic>> {
    let mut ck = Checker {
        doc,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let task_map = doc.value.as_object().cloned().unwrap_or_default();
    let profile = load_profile(doc, opts)?;
    if opts.strict {
        enforced(&mut ck, &profile);
    }
    let merged = Value::Object(profile::apply(&profile, &task_map));
    let task: TaskSpec = match serde_json::from_value(merged) {
        Ok(t) => t,
        Err(e) => {
            // The Task passed the schema, so the profile's contribution is at fault.
            let d = Diagnostic::new(ErrorKind::InvalidProfile {
                name: profile.name.clone(),
                problem: e.to_string(),
            });
            return Err(vec![d]);
        }
    };

    check_labels(&mut ck, &task);
    ck.unique(
        "env name",
        task.envs
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("/envs/{i}/name"), e.name.as_str())),
    );
    ck.unique(
        "volume name",
        task.volumes
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/volumes/{i}/name"), v.name.as_str())),
    );
    ck.unique(
        "mount path",
        task.volumes.iter().enumerate().map(|(i, v)| {
            (
                format!("/volumes/{i}/mount_path"),
                v.mount_path.trim_end_matches('/'),
            )
        }),
    );
    ck.unique(
        "node selector key",
        task.node_selector
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("/node_selector/{i}/key"), n.key.as_str())),
    );
    check_ids(&mut ck, &task, &profile);
    let (limits, requests) = resources(&mut ck, &task, doc);
    let (volumes, claims) = volumes(&mut ck, &task);
    let command = command(&mut ck, &task);
    let service = service::service(&mut ck, &task);
    let build = build::build(&mut ck, &task, &profile);

    if !ck.errors.is_empty() {
        return Err(ck.errors);
    }

    let (mut labels, selector) = labels(&task);
    if profile.name != profile::DEFAULT {
        labels.insert(LABEL_PROFILE.to_owned(), profile.name.clone());
    }
    Ok(Plan {
        origin: Origin {
            file: Arc::clone(&doc.file),
            name_span: doc.spans.value("/name"),
        },
        namespace: opts.namespace.map(str::to_owned).or(task.namespace.clone()),
        action: task.action,
        labels,
        selector,
        annotations: task.annotations.clone(),
        pod: PodPlan {
            ports: service
                .as_ref()
                .map(service::container_ports)
                .unwrap_or_default(),
            read_only_root_filesystem: profile.read_only_root_filesystem,
            ..pod_plan(&task, command, (limits, requests), volumes)
        },
        replicas: task.replicas.unwrap_or(1),
        service,
        build,
        warnings: ck.warnings,
        claims,
        job: JobPlan {
            backoff_limit: profile.job.backoff_limit.unwrap_or(JOB_BACKOFF_LIMIT),
            active_deadline_seconds: profile
                .job
                .active_deadline_seconds
                .unwrap_or(JOB_ACTIVE_DEADLINE_SECONDS),
            ttl_seconds_after_finished: profile.job.ttl_seconds_after_finished,
        },
        name: task.name,
        profile,
    })
}

/// Every object's labels (the standard ones, then the Task's) and the stable selector subset.
fn labels(task: &TaskSpec) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut labels = BTreeMap::from([
        (LABEL_NAME.to_owned(), task.name.clone()),
        (LABEL_COMPONENT.to_owned(), task.action.as_str().to_owned()),
        (LABEL_MANAGED_BY.to_owned(), "taskrender".to_owned()),
    ]);
    let mut selector = BTreeMap::from([(LABEL_NAME.to_owned(), task.name.clone())]);
    if let Some(project) = &task.project {
        labels.insert(LABEL_PART_OF.to_owned(), project.clone());
        selector.insert(LABEL_PART_OF.to_owned(), project.clone());
    }
    labels.extend(task.labels.clone());
    (labels, selector)
}

type ResourceMaps = (BTreeMap<String, String>, BTreeMap<String, String>);

fn pod_plan(
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
        secrets: task.secrets.clone(),
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
    }
}

/// The Task's profile, rendered for it.
fn load_profile(doc: &Document, opts: Options<'_>) -> Result<Arc<Profile>, Vec<Diagnostic>> {
    let profile_name = doc
        .value
        .get("profile")
        .and_then(Value::as_str)
        .unwrap_or(profile::DEFAULT);
    let ctx = TemplateContext {
        task: &doc.value,
        vars: opts.vars,
    };
    opts.catalog
        .load(profile_name, ctx)
        .map(Arc::new)
        .map_err(|errors| {
            // An unknown name is the Task's mistake: point at its `profile:`. Errors inside a
            // profile point into the profile, and are reported once however many Tasks use it.
            let span = doc.spans.value("/profile");
            errors
                .into_iter()
                .map(|e| {
                    if e.file.is_none() {
                        e.at(&doc.file, span.clone(), "no such profile")
                    } else {
                        e
                    }
                })
                .collect()
        })
}

/// `check --strict`: a warning for every value the Task sets that the profile's `enforce`
/// replaces, naming both places.
fn enforced(ck: &mut Checker<'_>, profile: &Profile) {
    let mut found = Vec::new();
    conflicts(
        &Value::Object(profile.enforce.clone()),
        &ck.doc.value,
        &mut String::new(),
        &mut String::new(),
        &mut found,
    );
    for (task_ptr, enforce_ptr) in found {
        let span = ck.doc.spans.value(&task_ptr);
        let place = profile
            .locate(&format!("/enforce{enforce_ptr}"))
            .map(|(file, span)| {
                let (line, col) = file.line_col(span.start);
                format!("{}:{line}:{col}", file.name)
            });
        let field = crate::schema::field_name(&task_ptr);
        let mut d = Diagnostic::new(ErrorKind::Enforced {
            field,
            profile: profile.name.clone(),
        })
        .at(&ck.doc.file, span, "the Task's value")
        .warning();
        d.help = Some(match place {
            Some(place) => format!(
                "the profile's value (set at {place}) is used; remove this one or ask for a policy change"
            ),
            None => {
                "the profile's value is used; remove this one or ask for a policy change".into()
            }
        });
        ck.warnings.push(d);
    }
}

/// Pairs of `(Task pointer, enforce pointer)` where `enforce` replaces a different Task
/// value, following the merge rules (keyed lists item by item).
fn conflicts(
    enforce: &Value,
    task: &Value,
    task_ptr: &mut String,
    enforce_ptr: &mut String,
    out: &mut Vec<(String, String)>,
) {
    match (enforce, task) {
        (Value::Object(e), Value::Object(t)) => {
            for (key, ev) in e {
                let Some(tv) = t.get(key) else { continue };
                let (tl, el) = (task_ptr.len(), enforce_ptr.len());
                let seg = crate::spec::parse::escape_segment(key);
                task_ptr.push('/');
                task_ptr.push_str(&seg);
                enforce_ptr.push('/');
                enforce_ptr.push_str(&seg);
                match (profile::list_key(key), ev, tv) {
                    (Some(id), Value::Array(es), Value::Array(ts)) if tl == 0 => {
                        for (ei, item) in es.iter().enumerate() {
                            let Some(ti) = ts
                                .iter()
                                .position(|x| x.get(id).is_some() && x.get(id) == item.get(id))
                            else {
                                continue;
                            };
                            let (tl2, el2) = (task_ptr.len(), enforce_ptr.len());
                            let _ = write!(task_ptr, "/{ti}");
                            let _ = write!(enforce_ptr, "/{ei}");
                            conflicts(item, &ts[ti], task_ptr, enforce_ptr, out);
                            task_ptr.truncate(tl2);
                            enforce_ptr.truncate(el2);
                        }
                    }
                    _ => conflicts(ev, tv, task_ptr, enforce_ptr, out),
                }
                task_ptr.truncate(tl);
                enforce_ptr.truncate(el);
            }
        }
        (e, t) if e != t => out.push((task_ptr.clone(), enforce_ptr.clone())),
        _ => {}
    }
}

fn check_labels(ck: &mut Checker<'_>, task: &TaskSpec) {
    for key in task.labels.keys() {
        if [LABEL_NAME, LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_PART_OF].contains(&key.as_str()) {
            let pointer = format!("/labels/{}", crate::spec::parse::escape_segment(key));
            let span = ck.doc.spans.key(&pointer);
            let help = if key == LABEL_PART_OF {
                "set `project:` instead"
            } else {
                "remove it: taskrender sets this label from the Task"
            };
            ck.errors.push(
                Diagnostic::new(ErrorKind::InvalidValue {
                    field: format!("labels.{key}"),
                    problem: "this label is set by taskrender".into(),
                })
                .at(&ck.doc.file, span, "reserved label")
                .with_help(help),
            );
        }
    }
}

fn check_ids(ck: &mut Checker<'_>, task: &TaskSpec, profile: &Profile) {
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

fn resources(
    ck: &mut Checker<'_>,
    task: &TaskSpec,
    doc: &Document,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
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
        let escaped = crate::spec::parse::escape_segment(name);
        let request_ptr = format!("/resources/requests/{escaped}");
        if doc.spans.get(&request_ptr).is_none() {
            // A request from the profile's defaults never exceeds the Task's own limit:
            // like Kubernetes, lower it to the limit.
            request.clone_from(limit);
            continue;
        }
        let limit_span = doc
            .spans
            .get(&format!("/resources/limits/{escaped}"))
            .map(|s| s.value.clone());
        let d = ck.error(
            ErrorKind::RequestAboveLimit {
                resource: name.clone(),
                request: request.clone(),
                limit: limit.clone(),
            },
            &request_ptr,
            "request",
        );
        let mut updated = d.clone().with_help(format!(
            "lower the request to at most `{limit}`, or raise the limit"
        ));
        if let Some(span) = limit_span {
            updated = updated.also(span, "limit");
        }
        *d = updated;
    }
    (limits, requests)
}

fn volumes(ck: &mut Checker<'_>, task: &TaskSpec) -> (Vec<VolumePlan>, Vec<ClaimPlan>) {
    let mut volumes = Vec::new();
    let mut claims = Vec::new();
    for (i, v) in task.volumes.iter().enumerate() {
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
                            ErrorKind::InvalidValue { field: format!("volumes[{i}].spec.{field}"), problem: "has no effect with `claim_name`: the existing claim is mounted as it is".into() },
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
                            ErrorKind::MissingField { field: "size".into(), parent: format!("`volumes[{i}].spec`") },
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

fn command(ck: &mut Checker<'_>, task: &TaskSpec) -> Vec<String> {
    match task.function.as_ref().and_then(|f| f.command.as_ref()) {
        None => Vec::new(),
        Some(Command::Words(words)) => words.clone(),
        Some(Command::Line(line)) => {
            if let Some(words) = shlex::split(line).filter(|w| !w.is_empty()) {
                words
            } else {
                ck.error(
                    ErrorKind::InvalidValue {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse::parse;

    fn resolve_str(text: &str) -> Result<Plan, Vec<Diagnostic>> {
        let docs = parse(&SourceFile::new("t.yaml", text)).unwrap();
        assert!(
            crate::schema::validate(&docs[0]).is_empty(),
            "schema errors"
        );
        let catalog = Catalog::new(&[]);
        let vars = BTreeMap::new();
        resolve(
            &docs[0],
            Options {
                namespace: None,
                catalog: &catalog,
                vars: &vars,
                strict: false,
            },
        )
    }

    const BASE: &str = "name: t\naction: job\nfunction: {image: busybox}\n";

    fn codes(r: Result<Plan, Vec<Diagnostic>>) -> Vec<&'static str> {
        r.unwrap_err().iter().map(|d| d.kind.code()).collect()
    }

    #[test]
    fn duplicates_point_at_both_occurrences() {
        let errs = resolve_str(&format!(
            "{BASE}envs: [{{name: A, value: '1'}}, {{name: A, value: '2'}}]\n"
        ))
        .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].kind,
            ErrorKind::Duplicate {
                what: "env name".into(),
                value: "A".into()
            }
        );
        assert_eq!(errs[0].labels.len(), 2);
        assert!(errs[0].labels[0].span.start > errs[0].labels[1].span.start);
    }

    #[test]
    fn duplicate_mount_paths_and_keys() {
        let vols = "volumes: [{volume_type: empty_dir, name: a, mount_path: /x}, {volume_type: empty_dir, name: b, mount_path: /x/}]\n";
        assert_eq!(
            codes(resolve_str(&format!("{BASE}{vols}"))),
            ["spec::duplicate"]
        );
        let ns = "node_selector: [{key: a, value: b}, {key: a, value: c}]\n";
        assert_eq!(
            codes(resolve_str(&format!("{BASE}{ns}"))),
            ["spec::duplicate"]
        );
    }

    #[test]
    fn request_above_limit() {
        let r = "resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}\n";
        assert_eq!(
            codes(resolve_str(&format!("{BASE}{r}"))),
            ["spec::request_above_limit"]
        );
        let ok = "resources: {requests: {memory: 1024Mi}, limits: {memory: 1Gi}}\n";
        assert!(resolve_str(&format!("{BASE}{ok}")).is_ok());
    }

    #[test]
    fn profile_requests_never_exceed_task_limits() {
        // the default profile requests memory 128Mi; the Task limits it to 64Mi
        let plan =
            resolve_str(&format!("{BASE}resources: {{limits: {{memory: 64Mi}}}}\n")).unwrap();
        assert_eq!(plan.pod.requests["memory"], "64Mi");
        assert_eq!(plan.pod.requests["cpu"], "100m");
    }

    #[test]
    fn root_ids_are_refused() {
        assert_eq!(
            codes(resolve_str(&format!("{BASE}run_as_user: 0\nfs_group: 0\n"))),
            ["spec::root_id", "spec::root_id"]
        );
    }

    #[test]
    fn reserved_labels() {
        assert_eq!(
            codes(resolve_str(&format!(
                "{BASE}labels: {{app.kubernetes.io/name: x}}\n"
            ))),
            ["spec::invalid_value"]
        );
    }

    #[test]
    fn pvc_rules() {
        let v = |spec: &str| {
            format!(
                "{BASE}volumes: [{{volume_type: persistent_volume_claim, name: d, mount_path: /d{spec}}}]\n"
            )
        };
        assert_eq!(codes(resolve_str(&v(""))), ["spec::missing_field"]);
        assert_eq!(
            codes(resolve_str(&v(", spec: {claim_name: c, size: 1Gi}"))),
            ["spec::invalid_value"]
        );
        let plan = resolve_str(&v(", spec: {size: 1Gi}")).unwrap();
        assert_eq!(plan.claims[0].name, "t-d");
        let plan = resolve_str(&v(", spec: {claim_name: existing}")).unwrap();
        assert!(plan.claims.is_empty());
    }

    #[test]
    fn command_strings_are_split_like_a_shell() {
        let plan = resolve_str(
            "name: t\naction: job\nfunction: {image: x, command: \"python -c 'print(1)'\"}\n",
        )
        .unwrap();
        assert_eq!(plan.pod.command, ["python", "-c", "print(1)"]);
        assert_eq!(
            codes(resolve_str(
                "name: t\naction: job\nfunction: {image: x, command: \"sh -c 'oops\"}\n"
            )),
            ["spec::invalid_value"]
        );
    }

    #[test]
    fn labels_and_selectors() {
        let plan = resolve_str(&format!("{BASE}project: demo\nlabels: {{team: ml}}\n")).unwrap();
        assert_eq!(plan.selector.len(), 2);
        assert_eq!(plan.labels["team"], "ml");
        assert_eq!(plan.labels[LABEL_PART_OF], "demo");
    }
}
