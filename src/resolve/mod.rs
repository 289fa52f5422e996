//! Stage 5, resolve: a schema-valid [`Document`] + its [`Profile`] → [`Resolved`]: the
//! [`Plan`] (the Task with every default applied and every cross-field rule checked), where
//! the Task came from, and the warnings. Pure: the profile was loaded before.
//!
//! One file per rule area: [`labels`], [`pod`] (image, command, ids, resources),
//! [`volumes`], [`service`], [`build`], and [`enforce`] (`check --strict`).

pub(crate) mod build;
mod enforce;
mod k8s_names;
mod labels;
mod metadata;
mod platform;
mod pod;
mod resources;
pub(crate) mod resources_rules;
mod schedule;
mod secrets;
mod service;
mod source;
mod volumes;

pub(crate) use platform::{ImageFrom, dns_label};
pub(crate) use secrets::is_secret_name;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::plan::{JobPlan, Origin, Plan, PodPlan, Workload};
use crate::profile::Profile;
use crate::profile::merge::{self, Layer, Provenance};
use crate::task::{Action, TaskSpec};
use crate::text::SourceFile;
use crate::yaml::Document;

/// A Job's defaults.
pub(crate) const JOB_BACKOFF_LIMIT: i32 = 0;
pub(crate) const JOB_ACTIVE_DEADLINE_SECONDS: i64 = 259_200;

/// What resolution needs besides the Task and its profile: command-line overrides.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options<'a> {
    /// `--namespace`.
    pub(crate) namespace: Option<&'a str>,
    /// `check --strict`: warn where `enforce` overrides the Task.
    pub(crate) strict: bool,
}

/// A resolved Task.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) plan: Plan,
    pub(crate) origin: Origin,
    /// Problems that do not stop rendering.
    pub(crate) warnings: Vec<Diagnostic>,
    /// `function.image_from`: the build Task whose image the pipeline fills in.
    pub(crate) image_from: Option<ImageFrom>,
}

/// Collects the diagnostics of one Task, and places them where the value came from: the
/// Task's line, or the profile's.
pub(crate) struct Checker<'a> {
    doc: &'a Document,
    profile: &'a Profile,
    provenance: &'a Provenance,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// The file and span of the merged value at `pointer`: in the Task when the Task set
    /// it (or nobody did), in the profile when a profile did.
    fn locate(&self, pointer: &str) -> (Arc<SourceFile>, Range<usize>) {
        let (layer, at) = self.provenance.origin(pointer);
        let section = match layer {
            Layer::Task => None,
            Layer::Defaults => Some("/defaults"),
            Layer::Enforce => Some("/enforce"),
        };
        if let Some(section) = section
            && let Some((file, span)) = self.profile.locate(&format!("{section}{at}"))
        {
            return (Arc::clone(file), span);
        }
        (Arc::clone(&self.doc.file), self.doc.spans.value(&at))
    }

    /// Like [`Self::locate`], for the key that names the value.
    fn locate_key(&self, pointer: &str) -> (Arc<SourceFile>, Range<usize>) {
        match self.provenance.origin(pointer) {
            (Layer::Task, at) => (Arc::clone(&self.doc.file), self.doc.spans.key(&at)),
            _ => self.locate(pointer),
        }
    }

    /// `file:line:col` of the merged value at `pointer`.
    fn place(&self, pointer: &str) -> String {
        let (file, span) = self.locate(pointer);
        let (line, col) = file.line_col(span.start);
        format!("{}:{line}:{col}", file.name)
    }

    fn error(&mut self, kind: ErrorKind, pointer: &str, label: &str) -> &mut Diagnostic {
        let (file, span) = self.locate(pointer);
        self.errors
            .push(Diagnostic::new(kind).at(&file, span, label));
        self.errors.last_mut().expect("just pushed")
    }

    fn warning(&mut self, kind: ErrorKind, pointer: &str, label: &str) -> &mut Diagnostic {
        let (file, span) = self.locate(pointer);
        self.warnings
            .push(Diagnostic::new(kind).at(&file, span, label).warning());
        self.warnings.last_mut().expect("just pushed")
    }

    /// Reports every repeat of a value that must be unique, pointing at the repeat and
    /// at its first occurrence (pointers into the merged Task).
    fn unique<'v>(&mut self, what: &str, items: impl IntoIterator<Item = (String, &'v str)>) {
        let mut seen: BTreeMap<&str, String> = BTreeMap::new();
        for (pointer, value) in items {
            let Some(first) = seen.get(value) else {
                seen.insert(value, pointer);
                continue;
            };
            let (first_file, first_span) = self.locate(first);
            let first_place = self.place(first);
            let help = format!("each {what} must be unique; remove or rename one");
            let kind = ErrorKind::Duplicate {
                what: what.into(),
                value: value.into(),
            };
            let d = self.error(kind, &pointer, "repeated here");
            *d = if d.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, &first_file)) {
                d.clone().also(first_span, "first here").with_help(help)
            } else {
                d.clone()
                    .with_help(format!("first at {first_place}; {help}"))
            };
        }
    }
}

/// Resolves one validated document under its profile. All problems are returned, not only
/// the first.
pub(crate) fn resolve(
    doc: &Document,
    profile: &Profile,
    opts: Options<'_>,
) -> Result<Resolved, Vec<Diagnostic>> {
    let empty = serde_json::Map::new();
    let task_map = doc.value.as_object().unwrap_or(&empty);
    // What the user wrote must be unique before merging: the merge keys lists by name, so
    // a repeat would silently replace the first.
    let mut errors = own_duplicates(doc);
    let merge::Merged { value, provenance } =
        merge::apply(&profile.defaults, task_map, &profile.enforce);
    let mut ck = Checker {
        doc,
        profile,
        provenance: &provenance,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    if opts.strict {
        enforce::warn_overrides(&mut ck);
    }
    let mut task = match decode(&ck, value) {
        Ok(task) => task,
        Err(mut decode_errors) => {
            errors.append(&mut decode_errors);
            return Err(errors);
        }
    };

    let extras = platform::normalise(&mut ck, &mut task);
    labels::check(&mut ck, &task);
    // Across the Task and its profile: two volumes may not share a mount path.
    ck.unique(
        "mount path",
        task.volumes.iter().enumerate().map(|(i, v)| {
            (
                format!("/volumes/{i}/mount_path"),
                v.mount_path.trim_end_matches('/'),
            )
        }),
    );
    pod::check_ids(&mut ck, &task, profile);
    metadata::check(&mut ck, &task);
    schedule::check(&mut ck, &task);
    let resources = pod::resources(&mut ck, &task);
    resources_rules::report(&mut ck, "/resources", &resources.0, &resources.1);
    resources::check_extended(&mut ck, &resources, &extras.written);
    let (mut volumes, claims) = volumes::volumes(&mut ck, &task);
    let source = extras.source;
    volumes.extend(source.volumes);
    let command = pod::command(&mut ck, &task);
    let service = service::service(&mut ck, &task);
    let build = build::build(&mut ck, &task, profile, source.context);

    errors.append(&mut ck.errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    // The builder runs with the Task's resources, completed by the profile's.
    let resources = if build.is_some() {
        build::builder_resources(&ck, profile, resources)
    } else {
        resources
    };
    let (labels, selector) = labels::labels(&task, profile);
    let pod = PodPlan {
        ports: service
            .as_ref()
            .map(service::container_ports)
            .unwrap_or_default(),
        read_only_root_filesystem: profile.read_only_root_filesystem,
        secret_env: extras.secret_env,
        init: source.init,
        ..pod::pod_plan(&task, command, resources, volumes)
    };
    let job = JobPlan {
        backoff_limit: profile.job.backoff_limit.unwrap_or(JOB_BACKOFF_LIMIT),
        active_deadline_seconds: profile
            .job
            .active_deadline_seconds
            .unwrap_or(JOB_ACTIVE_DEADLINE_SECONDS),
        ttl_seconds_after_finished: profile.job.ttl_seconds_after_finished,
    };
    let replicas = task.replicas.unwrap_or(1);
    let workload = match (task.action, build) {
        (Action::Job, _) => Workload::Job(job),
        (Action::Deploy, _) => Workload::Deploy { replicas },
        (Action::Serve, _) => Workload::Serve { replicas, service },
        (Action::Build, Some(build)) => Workload::Build { build, job },
        (Action::Build, None) => unreachable!("a build Task without errors has a build plan"),
    };
    Ok(Resolved {
        origin: Origin {
            file: Arc::clone(&doc.file),
            name_span: doc.spans.value("/name"),
        },
        warnings: ck.warnings,
        image_from: extras.image_from,
        plan: Plan {
            namespace: opts.namespace.map(str::to_owned).or(task.namespace.clone()),
            labels,
            selector,
            annotations: task.annotations.clone(),
            pod,
            claims,
            config_maps: source.config_map.into_iter().collect(),
            workload,
            name: task.name,
        },
    })
}

/// The merged Task as the typed model: digit strings (`"8877"`) checked first, then a
/// fraction in a whole-number field at its line; anything else the schema let through is
/// the profile's doing (the Task passed the schema on its own).
fn decode(
    ck: &Checker<'_>,
    merged: serde_json::Map<String, Value>,
) -> Result<TaskSpec, Vec<Diagnostic>> {
    let digit_errors = platform::digit_strings(ck.doc, &merged);
    if !digit_errors.is_empty() {
        return Err(digit_errors);
    }
    serde_path_to_error::deserialize(Value::Object(merged)).map_err(|e| {
        if is_fraction_error(&e.inner().to_string()) {
            vec![whole_number_error(ck, e.path())]
        } else {
            vec![Diagnostic::new(ErrorKind::InvalidProfile {
                name: ck.profile.name.clone(),
                problem: e.to_string(),
            })]
        }
    })
}

/// A deserialisation error of a whole-number field given a number with a fraction (`1.0`
/// passes the schema's `integer`): serde's message for plain integers, `task::digits`' for
/// those that also take digit strings.
fn is_fraction_error(message: &str) -> bool {
    message.contains("floating point") || message == "expected a whole number"
}

/// `fs_group: 1.0` passes the schema (JSON Schema counts 1.0 as an integer) but not a
/// whole-number field: say so at the value, wherever it was written.
fn whole_number_error(ck: &Checker<'_>, path: &serde_path_to_error::Path) -> Diagnostic {
    let mut pointer = String::new();
    let mut field = String::new();
    for seg in path {
        if let serde_path_to_error::Segment::Seq { index } = seg {
            let _ = write!(pointer, "/{index}");
            let _ = write!(field, "[{index}]");
        } else {
            let name = seg.to_string();
            pointer.push('/');
            pointer.push_str(&crate::yaml::Pointer::escape(&name));
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(&name);
        }
    }
    let (file, span) = ck.locate(&pointer);
    let written = file.text.get(span.clone()).unwrap_or_default().to_owned();
    let whole = written.split('.').next().unwrap_or_default().to_owned();
    Diagnostic::new(ErrorKind::WrongType {
        field,
        expected: "a whole number".into(),
        found: format!("`{written}`"),
    })
    .at(&file, span, "expected a whole number")
    .with_help(format!("write it without a fraction: `{whole}`"))
}

/// Repeats within the Task's own keyed lists (env names, volume names, node selector
/// keys), pointing at both occurrences.
fn own_duplicates(doc: &Document) -> Vec<Diagnostic> {
    let no_profile = Profile::default();
    let provenance = Provenance::default();
    let mut ck = Checker {
        doc,
        profile: &no_profile,
        provenance: &provenance,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for (list, key, what) in [
        ("envs", "name", "env name"),
        ("volumes", "name", "volume name"),
        ("node_selector", "key", "node selector key"),
    ] {
        let items = doc.value.get(list).and_then(Value::as_array);
        ck.unique(
            what,
            items
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, item)| {
                    let value = item.get(key)?.as_str()?;
                    Some((format!("/{list}/{i}/{key}"), value))
                }),
        );
    }
    debug_assert_eq!(merge::list_key("envs"), Some("name"));
    ck.errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{self, Catalog};
    use crate::resolve::labels::LABEL_PART_OF;
    use crate::yaml::parse;

    fn resolve_str(text: &str) -> Result<Plan, Vec<Diagnostic>> {
        let docs = parse(&SourceFile::new("t.yaml", text)).unwrap();
        assert!(
            crate::schema::validate(&docs[0]).is_empty(),
            "schema errors"
        );
        let catalog = Catalog::new(&[]);
        let profile = profile::for_task(&docs[0], &catalog, &BTreeMap::new()).unwrap();
        resolve(&docs[0], &profile, Options::default()).map(|r| r.plan)
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
            ["task::duplicate"]
        );
        let ns = "node_selector: [{key: a, value: b}, {key: a, value: c}]\n";
        assert_eq!(
            codes(resolve_str(&format!("{BASE}{ns}"))),
            ["task::duplicate"]
        );
    }

    #[test]
    fn a_secret_named_twice_is_one_error_at_the_repeat() {
        let errs = resolve_str(&format!("{BASE}secrets: [db-creds, s3, db-creds]\n")).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].kind,
            ErrorKind::Duplicate {
                what: "Secret".into(),
                value: "db-creds".into()
            }
        );
        // the repeat, then the first
        assert_eq!(errs[0].labels.len(), 2);
        assert!(errs[0].labels[0].span.start > errs[0].labels[1].span.start);
        let plan = resolve_str(&format!("{BASE}secrets: [db-creds, s3]\n")).unwrap();
        assert_eq!(plan.pod.secrets, ["db-creds", "s3"]);
    }

    #[test]
    fn request_above_limit() {
        let r = "resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}\n";
        assert_eq!(
            codes(resolve_str(&format!("{BASE}{r}"))),
            ["task::request_above_limit"]
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
            ["task::root_id", "task::root_id"]
        );
    }

    #[test]
    fn reserved_labels() {
        assert_eq!(
            codes(resolve_str(&format!(
                "{BASE}labels: {{app.kubernetes.io/name: x}}\n"
            ))),
            ["task::reserved_label"]
        );
    }

    #[test]
    fn pvc_rules() {
        let v = |spec: &str| {
            format!(
                "{BASE}volumes: [{{volume_type: persistent_volume_claim, name: d, mount_path: /d{spec}}}]\n"
            )
        };
        // the platform's default size (profile setting `platform.default_claim_size`)
        assert_eq!(resolve_str(&v("")).unwrap().claims[0].size, "2Gi");
        assert_eq!(
            codes(resolve_str(&v(", spec: {claim_name: c, size: 1Gi}"))),
            ["volume::claim_conflict"]
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
            ["task::command_syntax"]
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
