//! What a profile patch may never do: undo the pod security taskrender renders, or change
//! what it renders from the Task (README, "Patch policy").
//!
//! One set of rules, read two ways:
//! - on the profile's patches themselves ([`check_profile`], when the profile is loaded, so
//!   `check` refuses them whatever the Task): every field a patch *sets* is judged;
//! - on each patched object ([`check_patched`], when it is rendered): the *result* is
//!   judged, so a patch that removes a setting (`securityContext: null`), replaces a list
//!   (`containers: [{…}]`) or adds a container without the restricted settings is caught
//!   too. Whatever taskrender itself rendered is not the patch's doing (the build Job's
//!   Kaniko container runs as root by design), so only what the patch changed is an error.
//!
//! Every error points at the profile line of the patch key that caused it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Profile;
use super::merge::is_empty;
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::yaml::Pointer;

/// The rule a field breaks; each has its own error code and advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// uid/gid 0, `runAsNonRoot` false or removed: allowed by the profile's `allow_root`.
    Root,
    /// `privileged`, privilege escalation, capabilities, `procMount`.
    Privilege,
    /// Host namespaces and ports, `hostPath` (and non-restricted) volumes, unsafe sysctls,
    /// Windows host processes.
    Host,
    /// seccomp, `AppArmor` and `SELinux` confinement.
    Confinement,
    /// `status`, which the cluster writes.
    Status,
    /// What taskrender renders from the Task: `ConfigMap` data (the build's Dockerfile, source
    /// files) and the build Job's Kaniko invocation.
    Generated,
}

/// One field of a patch, or of a patched object, that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    /// Where, in the checked value.
    pointer: String,
    /// What makes two findings the same one (to tell what the patch changed).
    key: String,
    class: Class,
    /// The field and value, for the message: "`privileged: true`".
    what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A patch: only the fields it sets.
    Patch,
    /// A patched object: required settings must be there too.
    Result,
}

/// Capabilities a patch may add (the restricted Pod Security Standard's only one).
const ADDABLE_CAPABILITY: &str = "NET_BIND_SERVICE";

/// Volume types of the restricted Pod Security Standard.
const VOLUME_TYPES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Sysctls of the baseline Pod Security Standard (namespaced, isolated from the node).
const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_syncookies",
];

/// `SELinux` types of the baseline Pod Security Standard.
const SELINUX_TYPES: [&str; 4] = [
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Seccomp profile types that confine.
const SECCOMP_TYPES: [&str; 2] = ["RuntimeDefault", "Localhost"];

/// Container lists of a pod spec.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// The profile's patches against the policy: every field a patch sets that it may not.
pub(crate) fn check_profile(profile: &Profile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (kind, patch) in &profile.patches {
        for f in findings(kind, patch, Mode::Patch) {
            if profile.allow_root && f.class == Class::Root {
                continue;
            }
            let pointer = f.pointer.clone();
            out.push(diagnostic(profile, kind, &f, &pointer, true));
        }
    }
    in_file_order(out)
}

/// Diagnostics in the order of the lines they point at (stable).
fn in_file_order(mut out: Vec<Diagnostic>) -> Vec<Diagnostic> {
    out.sort_by_key(|d| {
        (
            d.file.as_ref().map(|f| f.name.clone()),
            d.primary_span().map(|s| s.start),
        )
    });
    out
}

/// A patched object against the policy: everything the patch (`patch`, merged into
/// `before`, giving `after`) changed that it may not. `build` marks the build Job, whose
/// Kaniko invocation is taskrender's.
pub(crate) fn check_patched(
    profile: &Profile,
    kind: &str,
    patch: &Value,
    before: &Value,
    after: &Value,
    build: bool,
) -> Vec<Diagnostic> {
    let rendered: BTreeSet<String> = findings(kind, before, Mode::Result)
        .into_iter()
        .map(|f| f.key)
        .collect();
    let mut found: Vec<Finding> = findings(kind, after, Mode::Result)
        .into_iter()
        .filter(|f| !rendered.contains(&f.key))
        .collect();
    match kind {
        "ConfigMap" => {
            for field in ["data", "binaryData"] {
                changed_entries(before, after, field, &mut found);
            }
        }
        "Job" if build => builder_changes(before, after, &mut found),
        _ => {}
    }
    let refused = found
        .iter()
        .filter(|f| !(profile.allow_root && f.class == Class::Root))
        .map(|f| {
            let (pointer, exact) = cause(before, after, patch, &f.pointer);
            diagnostic(profile, kind, f, &pointer, exact)
        })
        .collect();
    in_file_order(refused)
}

/// Every finding in `value`, an object of `kind` (or a patch for one).
fn findings(kind: &str, value: &Value, mode: Mode) -> Vec<Finding> {
    let mut w = Walk {
        mode,
        out: Vec::new(),
    };
    if let Some(status) = value.get("status")
        && (mode == Mode::Patch || !is_empty(status))
    {
        w.push("/status", Class::Status, "`status`".into());
    }
    match kind {
        "Job" | "Deployment" => {
            let pod = value.pointer("/spec/template/spec");
            if pod.is_some() || mode == Mode::Result {
                w.pod(pod.unwrap_or(&Value::Null), "/spec/template/spec");
            }
        }
        "ConfigMap" if mode == Mode::Patch => {
            for field in ["data", "binaryData"] {
                match value.get(field) {
                    Some(Value::Object(entries)) => {
                        for key in entries.keys() {
                            w.push(
                                &Pointer::join(&format!("/{field}"), key),
                                Class::Generated,
                                format!("`{field}.{key}`"),
                            );
                        }
                    }
                    Some(_) => w.push(&format!("/{field}"), Class::Generated, format!("`{field}`")),
                    None => {}
                }
            }
        }
        _ => {}
    }
    w.out
}

struct Walk {
    mode: Mode,
    out: Vec<Finding>,
}

impl Walk {
    fn push(&mut self, pointer: &str, class: Class, what: String) {
        self.push_keyed(pointer, format!("{pointer} {what}"), class, what);
    }

    fn push_keyed(&mut self, pointer: &str, key: String, class: Class, what: String) {
        self.out.push(Finding {
            pointer: pointer.to_owned(),
            key,
            class,
            what,
        });
    }

    fn pod(&mut self, pod: &Value, at: &str) {
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod.get(field) == Some(&Value::Bool(true)) {
                self.push(
                    &format!("{at}/{field}"),
                    Class::Host,
                    format!("`{field}: true`"),
                );
            }
        }
        let sc_at = format!("{at}/securityContext");
        let sc = pod.get("securityContext").unwrap_or(&Value::Null);
        self.security_context(sc, &sc_at, None);
        let containers: Vec<&Value> = CONTAINER_LISTS
            .iter()
            .filter_map(|l| pod.get(*l).and_then(Value::as_array))
            .flatten()
            .collect();
        let in_every_container = |test: &dyn Fn(&Value) -> bool| {
            !containers.is_empty()
                && containers
                    .iter()
                    .all(|c| c.get("securityContext").is_some_and(test))
        };
        if self.mode == Mode::Result {
            let non_root = |sc: &Value| sc.get("runAsNonRoot") == Some(&Value::Bool(true));
            if !non_root(sc) && !in_every_container(&non_root) {
                self.push(
                    &format!("{sc_at}/runAsNonRoot"),
                    Class::Root,
                    "no `runAsNonRoot: true`".into(),
                );
            }
            let confined = |sc: &Value| {
                sc.pointer("/seccompProfile/type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| SECCOMP_TYPES.contains(&t))
            };
            if !confined(sc) && !in_every_container(&confined) {
                self.push(
                    &format!("{sc_at}/seccompProfile"),
                    Class::Confinement,
                    "no `RuntimeDefault` or `Localhost` seccomp profile".into(),
                );
            }
        }
        if let Some(volumes) = pod.get("volumes").and_then(Value::as_array) {
            for (i, volume) in volumes.iter().enumerate() {
                let Some(volume) = volume.as_object() else {
                    continue;
                };
                for (source, value) in volume {
                    if source == "name"
                        || value.is_null()
                        || VOLUME_TYPES.contains(&source.as_str())
                    {
                        continue;
                    }
                    let what = if source == "hostPath" {
                        "a `hostPath` volume".to_owned()
                    } else {
                        format!(
                            "a `{source}` volume (volumes may be {})",
                            VOLUME_TYPES.join(", ")
                        )
                    };
                    self.push(
                        &format!("{at}/volumes/{i}/{}", Pointer::escape(source)),
                        Class::Host,
                        what,
                    );
                }
            }
        }
        for list in CONTAINER_LISTS {
            let Some(items) = pod.get(list).and_then(Value::as_array) else {
                continue;
            };
            for (i, c) in items.iter().enumerate() {
                self.container(c, &format!("{at}/{list}/{i}"));
            }
        }
    }

    fn container(&mut self, c: &Value, at: &str) {
        let name = c.get("name").and_then(Value::as_str).map_or_else(
            || "an unnamed container".to_owned(),
            |n| format!("container `{n}`"),
        );
        if let Some(ports) = c.get("ports").and_then(Value::as_array) {
            for (i, port) in ports.iter().enumerate() {
                if let Some(p) = port.get("hostPort").filter(|p| p.as_i64() != Some(0))
                    && !p.is_null()
                {
                    self.push(
                        &format!("{at}/ports/{i}/hostPort"),
                        Class::Host,
                        format!("`hostPort: {p}`"),
                    );
                }
            }
        }
        let sc = c.get("securityContext").unwrap_or(&Value::Null);
        self.security_context(sc, &format!("{at}/securityContext"), Some(&name));
    }

    /// A pod's (`container` None) or a container's security context (`container` names
    /// it: "container `train`", "an unnamed container").
    fn security_context(&mut self, sc: &Value, at: &str, container: Option<&str>) {
        self.root(sc, at);
        self.confinement(sc, at);
        self.node_settings(sc, at);
        self.privileges(sc, at, container);
    }

    /// uid and gid 0, `runAsNonRoot: false`.
    fn root(&mut self, sc: &Value, at: &str) {
        let get = |path: &str| set(sc, path);
        for field in ["runAsUser", "runAsGroup", "fsGroup"] {
            if get(&format!("/{field}")).and_then(Value::as_i64) == Some(0) {
                self.push(
                    &format!("{at}/{field}"),
                    Class::Root,
                    format!("`{field}: 0`"),
                );
            }
        }
        if get("/runAsNonRoot") == Some(&Value::Bool(false)) {
            self.push(
                &format!("{at}/runAsNonRoot"),
                Class::Root,
                "`runAsNonRoot: false`".into(),
            );
        }
        if let Some(groups) = get("/supplementalGroups").and_then(Value::as_array) {
            for (i, g) in groups.iter().enumerate() {
                if g.as_i64() == Some(0) {
                    self.push(
                        &format!("{at}/supplementalGroups/{i}"),
                        Class::Root,
                        "`supplementalGroups: [0]`".into(),
                    );
                }
            }
        }
    }

    /// seccomp, `AppArmor` and `SELinux`.
    fn confinement(&mut self, sc: &Value, at: &str) {
        let get = |path: &str| set(sc, path);
        if let Some(t) = get("/seccompProfile/type")
            && !t.as_str().is_some_and(|t| SECCOMP_TYPES.contains(&t))
        {
            self.push(
                &format!("{at}/seccompProfile/type"),
                Class::Confinement,
                format!("`seccompProfile.type: {}`", plain(t)),
            );
        }
        if let Some(t) = get("/appArmorProfile/type")
            && t.as_str() == Some("Unconfined")
        {
            self.push(
                &format!("{at}/appArmorProfile/type"),
                Class::Confinement,
                "`appArmorProfile.type: Unconfined`".into(),
            );
        }
        for field in ["user", "role"] {
            if let Some(v) = get(&format!("/seLinuxOptions/{field}")) {
                self.push(
                    &format!("{at}/seLinuxOptions/{field}"),
                    Class::Confinement,
                    format!("`seLinuxOptions.{field}: {}`", plain(v)),
                );
            }
        }
        if let Some(t) = get("/seLinuxOptions/type")
            && !t.as_str().is_some_and(|t| SELINUX_TYPES.contains(&t))
        {
            self.push(
                &format!("{at}/seLinuxOptions/type"),
                Class::Confinement,
                format!("`seLinuxOptions.type: {}`", plain(t)),
            );
        }
    }

    /// Windows host processes and sysctls.
    fn node_settings(&mut self, sc: &Value, at: &str) {
        let get = |path: &str| set(sc, path);
        if get("/windowsOptions/hostProcess") == Some(&Value::Bool(true)) {
            self.push(
                &format!("{at}/windowsOptions/hostProcess"),
                Class::Host,
                "`windowsOptions.hostProcess: true`".into(),
            );
        }
        if let Some(sysctls) = get("/sysctls").and_then(Value::as_array) {
            for (i, s) in sysctls.iter().enumerate() {
                let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
                if !SAFE_SYSCTLS.contains(&name) {
                    self.push(
                        &format!("{at}/sysctls/{i}/name"),
                        Class::Host,
                        format!("sysctl `{name}`"),
                    );
                }
            }
        }
    }

    /// `privileged`, `procMount`, capabilities and, for a container (named by
    /// `container`), privilege escalation.
    fn privileges(&mut self, sc: &Value, at: &str, container: Option<&str>) {
        let result = self.mode == Mode::Result;
        let get = |path: &str| set(sc, path);
        if get("/privileged") == Some(&Value::Bool(true)) {
            self.push(
                &format!("{at}/privileged"),
                Class::Privilege,
                "`privileged: true`".into(),
            );
        }
        if let Some(m) = get("/procMount")
            && m.as_str() != Some("Default")
        {
            self.push(
                &format!("{at}/procMount"),
                Class::Privilege,
                format!("`procMount: {}`", plain(m)),
            );
        }
        if let Some(adds) = get("/capabilities/add").and_then(Value::as_array) {
            for (i, cap) in adds.iter().enumerate() {
                let cap = plain(cap);
                if cap != ADDABLE_CAPABILITY {
                    // The same capability wherever it stands in the list.
                    self.push_keyed(
                        &format!("{at}/capabilities/add/{i}"),
                        format!("{at}/capabilities/add {cap}"),
                        Class::Privilege,
                        format!("`capabilities.add: [{cap}]`"),
                    );
                }
            }
        }
        let Some(name) = container else {
            return;
        };
        match get("/allowPrivilegeEscalation") {
            Some(Value::Bool(false)) => {}
            Some(v) => self.push(
                &format!("{at}/allowPrivilegeEscalation"),
                Class::Privilege,
                format!("`allowPrivilegeEscalation: {}`", plain(v)),
            ),
            None if result => self.push(
                &format!("{at}/allowPrivilegeEscalation"),
                Class::Privilege,
                format!("no `allowPrivilegeEscalation: false` in {name}"),
            ),
            None => {}
        }
        let drops_all = |drop: &Value| {
            drop.as_array()
                .is_some_and(|d| d.iter().any(|c| c.as_str() == Some("ALL")))
        };
        match get("/capabilities/drop") {
            Some(drop) if drops_all(drop) => {}
            Some(_) => self.push(
                &format!("{at}/capabilities/drop"),
                Class::Privilege,
                "`capabilities.drop` without `ALL`".into(),
            ),
            None if result => self.push(
                &format!("{at}/capabilities/drop"),
                Class::Privilege,
                format!("no `capabilities.drop: [ALL]` in {name}"),
            ),
            None => {}
        }
    }
}

/// Entries of the mapping `field` (`data`) that differ between `before` and `after`.
fn changed_entries(before: &Value, after: &Value, field: &str, out: &mut Vec<Finding>) {
    let empty = serde_json::Map::new();
    let entries = |v: &Value| v.get(field).and_then(Value::as_object).cloned();
    let (b, a) = (entries(before), entries(after));
    let (b, a) = (b.as_ref().unwrap_or(&empty), a.as_ref().unwrap_or(&empty));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for key in keys {
        if b.get(key) != a.get(key) {
            let pointer = Pointer::join(&format!("/{field}"), key);
            out.push(Finding {
                key: pointer.clone(),
                pointer,
                class: Class::Generated,
                what: format!("`{field}.{key}`"),
            });
        }
    }
}

/// What a patch changed in the build Job's Kaniko invocation: each rendered container's
/// image, command, arguments and working directory, the volumes and mounts taskrender
/// rendered, and any new mount under theirs.
fn builder_changes(before: &Value, after: &Value, out: &mut Vec<Finding>) {
    let at = "/spec/template/spec";
    let pod = |v: &'_ Value| v.pointer(at).cloned().unwrap_or(Value::Null);
    let (b, a) = (pod(before), pod(after));
    let mut push = |pointer: String, what: String| {
        out.push(Finding {
            key: pointer.clone(),
            pointer,
            class: Class::Generated,
            what,
        });
    };
    let after_volumes = list(&a, "volumes").unwrap_or_default();
    for volume in list(&b, "volumes").unwrap_or_default() {
        let name = volume.get("name").cloned().unwrap_or(Value::Null);
        match by_name(&after_volumes, &name) {
            Some((_, v)) if v == volume => {}
            Some((i, v)) => {
                // The first field that differs, so the error points at it.
                let field = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .chain(volume.as_object().into_iter().flatten())
                    .map(|(k, _)| k)
                    .find(|k| v.get(k.as_str()) != volume.get(k.as_str()))
                    .map(|k| format!("/{}", Pointer::escape(k)))
                    .unwrap_or_default();
                push(
                    format!("{at}/volumes/{i}{field}"),
                    format!("the `{}` volume", plain(&name)),
                );
            }
            None => push(
                format!("{at}/volumes"),
                format!("the `{}` volume", plain(&name)),
            ),
        }
    }
    kaniko_changes(&b, &a, out);
}

/// [`builder_changes`] of the containers: image, command, arguments, working directory and
/// mounts of each container taskrender rendered.
fn kaniko_changes(b: &Value, a: &Value, out: &mut Vec<Finding>) {
    let at = "/spec/template/spec";
    let mut push = |pointer: String, what: String| {
        out.push(Finding {
            key: pointer.clone(),
            pointer,
            class: Class::Generated,
            what,
        });
    };
    let after_containers = list(a, "containers").unwrap_or_default();
    for (i, container) in list(b, "containers").unwrap_or_default().iter().enumerate() {
        let container_name = plain(container.get("name").unwrap_or(&Value::Null));
        let Some(now) = after_containers.get(i) else {
            push(
                format!("{at}/containers"),
                format!("the `{container_name}` container"),
            );
            continue;
        };
        for field in ["image", "command", "args", "workingDir"] {
            if container.get(field) != now.get(field) {
                push(
                    format!("{at}/containers/{i}/{field}"),
                    format!("`{field}` of the `{container_name}` container"),
                );
            }
        }
        let mounts = list(container, "volumeMounts").unwrap_or_default();
        let now_mounts = list(now, "volumeMounts").unwrap_or_default();
        for (j, mount) in now_mounts.iter().enumerate() {
            let name = mount.get("name").cloned().unwrap_or(Value::Null);
            let path = mount.get("mountPath").and_then(Value::as_str).unwrap_or("");
            let changed = match by_name(&mounts, &name) {
                Some((_, m)) => m != *mount,
                // A new mount may not go where the builder reads its inputs.
                None => mounts.iter().any(|m| {
                    m.get("mountPath")
                        .and_then(Value::as_str)
                        .is_some_and(|p| path.starts_with(p) || p.starts_with(path))
                }),
            };
            if changed {
                push(
                    format!("{at}/containers/{i}/volumeMounts/{j}"),
                    format!(
                        "the `{}` mount of the `{container_name}` container",
                        plain(&name)
                    ),
                );
            }
        }
        for mount in &mounts {
            let name = mount.get("name").cloned().unwrap_or(Value::Null);
            if by_name(&now_mounts, &name).is_none() {
                push(
                    format!("{at}/containers/{i}/volumeMounts"),
                    format!(
                        "the `{}` mount of the `{container_name}` container",
                        plain(&name)
                    ),
                );
            }
        }
    }
}

/// The pointer in `patch` of what made the patched object's value at `pointer`, and
/// whether the patch wrote that very field (else it replaced or removed an enclosing
/// one, or added the item that lacks it). Follows [`super::merge::merge_patch`]: named
/// list items by name, other lists replaced whole.
fn cause(before: &Value, after: &Value, patch: &Value, pointer: &str) -> (String, bool) {
    let mut out = String::new();
    let (mut base, mut merged, mut part) = (Some(before), Some(after), patch);
    // Whether `part` is a list item.
    let mut in_list = false;
    for segment in Pointer::segments(pointer) {
        match part {
            Value::Object(map) => {
                let Some(next) = map.get(segment.as_ref()) else {
                    // A list item the patch added: point at its name.
                    if in_list && map.contains_key("name") {
                        out.push_str("/name");
                    }
                    return (out, false);
                };
                out.push('/');
                out.push_str(&Pointer::escape(&segment));
                part = next;
                in_list = false;
                base = base.and_then(|b| b.get(segment.as_ref()));
                merged = merged.and_then(|a| a.get(segment.as_ref()));
            }
            Value::Array(items) => {
                let Ok(index) = segment.parse::<usize>() else {
                    return (out, false);
                };
                let named = base.and_then(Value::as_array).is_some_and(|t| {
                    items
                        .iter()
                        .chain(t)
                        .all(|x| x.get("name").is_some_and(Value::is_string))
                });
                let item = merged.and_then(|a| a.get(index));
                let at = if named {
                    let name = item.and_then(|x| x.get("name"));
                    let Some(at) = items.iter().position(|x| x.get("name") == name) else {
                        return (out, false);
                    };
                    base = base
                        .and_then(Value::as_array)
                        .and_then(|t| t.iter().find(|x| x.get("name") == name));
                    at
                } else {
                    if index >= items.len() {
                        return (out, false);
                    }
                    // The list was replaced: nothing of the rendered one is left.
                    base = None;
                    index
                };
                out.push('/');
                out.push_str(&at.to_string());
                part = &items[at];
                in_list = true;
                merged = item;
            }
            _ => return (out, false),
        }
    }
    (out, true)
}

fn diagnostic(
    profile: &Profile,
    kind: &str,
    f: &Finding,
    pointer: &str,
    exact: bool,
) -> Diagnostic {
    let (kind_owned, what) = (kind.to_owned(), f.what.clone());
    let (error, help) = match f.class {
        Class::Root => (
            ErrorKind::PatchRoot {
                kind: kind_owned,
                what,
            },
            "set `allow_root: true` in the profile if the image must run as root (it lets Tasks and patches use uid and gid 0), or remove it",
        ),
        Class::Privilege => (
            ErrorKind::PatchPrivilege {
                kind: kind_owned,
                what,
            },
            "remove it; taskrender never renders privileged pods: every container keeps `privileged: false`, `allowPrivilegeEscalation: false` and `capabilities.drop: [ALL]` (a patch may add only `NET_BIND_SERVICE`)",
        ),
        Class::Host => (
            ErrorKind::PatchHost {
                kind: kind_owned,
                what,
            },
            "remove it; rendered pods never share the node's namespaces, ports, files or kernel settings: give the Task a `persistent_volume_claim` or `empty_dir` volume instead of a node path",
        ),
        Class::Confinement => (
            ErrorKind::PatchConfinement {
                kind: kind_owned,
                what,
            },
            "remove it; rendered pods keep the `RuntimeDefault` seccomp profile (a patch may choose a `Localhost` one) and the runtime's AppArmor and SELinux confinement",
        ),
        Class::Status => (
            ErrorKind::PatchStatus { kind: kind_owned },
            "remove it; `status` is written by the cluster, never by a manifest",
        ),
        Class::Generated => (
            ErrorKind::PatchGenerated {
                kind: kind_owned,
                what,
            },
            "change the Task instead (`base_image`, `instructions`, `context`, `destination`, its files), or the profile's `builder_image` and `registry`",
        ),
    };
    let d = Diagnostic::new(error).with_help(help);
    let label = if exact {
        "refused in a patch"
    } else {
        "comes from this part of the patch"
    };
    // The deepest part of the path the profile itself wrote.
    let mut at = format!("/patches/{kind}{pointer}");
    loop {
        if let Some((file, span)) = profile.locate(&at) {
            break d.at(file, span, label);
        }
        match at.rfind('/') {
            Some(i) if i > "/patches".len() => at.truncate(i),
            _ => break d,
        }
    }
}

/// The list `field` of `value` (a copy).
fn list(value: &Value, field: &str) -> Option<Vec<Value>> {
    value.get(field).and_then(Value::as_array).cloned()
}

/// The index and a copy of the item of `items` named `name`.
fn by_name(items: &[Value], name: &Value) -> Option<(usize, Value)> {
    items
        .iter()
        .position(|x| x.get("name") == Some(name))
        .map(|i| (i, items[i].clone()))
}

/// The value at `path` of `value`, unless absent or null.
fn set<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    value.pointer(path).filter(|v| !v.is_null())
}

/// A scalar as written in a message (strings without quotes).
fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::merge::merge_patch;
    use serde_json::json;

    /// A Job as taskrender renders it: one restricted container `app`.
    fn job() -> Value {
        json!({"spec": {"template": {"spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "image": "busybox:1.36", "securityContext": {
                "allowPrivilegeEscalation": false, "privileged": false,
                "capabilities": {"drop": ["ALL"]}}}],
        }}}})
    }

    /// A build Job as taskrender renders it: Kaniko as root with its capabilities.
    fn build_job() -> Value {
        json!({"spec": {"template": {"spec": {
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [{"name": "dockerfile", "configMap": {"name": "b-build"}}],
            "containers": [{"name": "kaniko", "image": "gcr.io/kaniko-project/executor:v1.24.0",
                "args": ["--dockerfile=/kaniko/dockerfile/Dockerfile"],
                "volumeMounts": [{"name": "dockerfile", "mountPath": "/kaniko/dockerfile"}],
                "securityContext": {"runAsUser": 0, "runAsNonRoot": false,
                "allowPrivilegeEscalation": false, "privileged": false,
                "capabilities": {"drop": ["ALL"], "add": ["CHOWN", "SETUID"]}}}],
        }}}})
    }

    /// The codes `patch` is refused with, on `object` (by [`check_patched`]).
    fn refused(object: &Value, patch: &Value, allow_root: bool, build: bool) -> Vec<&'static str> {
        let profile = Profile {
            allow_root,
            ..Profile::default()
        };
        let mut after = object.clone();
        merge_patch(&mut after, patch);
        check_patched(&profile, "Job", patch, object, &after, build)
            .iter()
            .map(|d| d.kind.code())
            .collect()
    }

    fn pod(spec: &Value) -> Value {
        json!({"spec": {"template": {"spec": spec}}})
    }

    #[test]
    fn the_rendered_objects_pass() {
        assert!(findings("Job", &job(), Mode::Result).is_empty());
        assert!(refused(&job(), &json!({}), false, false).is_empty());
        assert!(refused(&build_job(), &json!({}), false, true).is_empty());
    }

    #[test]
    fn a_patch_is_judged_by_what_it_sets() {
        // Nothing required is missing from a patch: it only adds.
        assert!(
            findings(
                "Job",
                &pod(&json!({"priorityClassName": "low"})),
                Mode::Patch
            )
            .is_empty()
        );
        let codes = |patch: &Value| -> Vec<Class> {
            findings("Job", patch, Mode::Patch)
                .into_iter()
                .map(|f| f.class)
                .collect()
        };
        assert_eq!(
            codes(&pod(
                &json!({"containers": [{"name": "x", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}]})
            )),
            [Class::Privilege],
            "a drop list without ALL replaces the rendered one"
        );
        assert_eq!(
            codes(&pod(
                &json!({"containers": [{"name": "x", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "readOnlyRootFilesystem": true}}]})
            )),
            []
        );
        assert_eq!(
            codes(&json!({"status": {}})),
            [Class::Status],
            "even an empty status"
        );
        assert_eq!(
            codes(&pod(
                &json!({"volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}]})
            )),
            [Class::Host]
        );
    }

    #[test]
    fn the_result_catches_removals_replacements_and_additions() {
        let sc_null = pod(&json!({"securityContext": null}));
        assert_eq!(
            refused(&job(), &sc_null, false, false),
            ["profile::patch_root", "profile::patch_confinement"]
        );
        // under allow_root, losing runAsNonRoot is allowed; losing seccomp is not
        assert_eq!(
            refused(&job(), &sc_null, true, false),
            ["profile::patch_confinement"]
        );
        let sidecar = pod(&json!({"containers": [{"name": "proxy", "image": "p"}]}));
        assert_eq!(
            refused(&job(), &sidecar, false, false),
            ["profile::patch_privilege", "profile::patch_privilege"]
        );
        let restricted_sidecar = pod(
            &json!({"containers": [{"name": "proxy", "image": "p", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}),
        );
        assert!(refused(&job(), &restricted_sidecar, false, false).is_empty());
    }

    #[test]
    fn what_taskrender_rendered_is_not_the_patchs_doing() {
        // The build Job runs Kaniko as root: a patch that leaves it so passes…
        let resources = pod(
            &json!({"containers": [{"name": "kaniko", "resources": {"limits": {"memory": "2Gi"}}}]}),
        );
        assert!(refused(&build_job(), &resources, false, true).is_empty());
        // …reordering its capabilities too, but not widening them…
        let reordered = pod(
            &json!({"containers": [{"name": "kaniko", "securityContext": {"capabilities": {"add": ["SETUID", "CHOWN"]}}}]}),
        );
        assert!(refused(&build_job(), &reordered, false, true).is_empty());
        let widened = pod(
            &json!({"containers": [{"name": "kaniko", "securityContext": {"capabilities": {"add": ["CHOWN", "SETUID", "SYS_ADMIN"]}}}]}),
        );
        assert_eq!(
            refused(&build_job(), &widened, false, true),
            ["profile::patch_privilege"]
        );
        // …and its inputs are taskrender's.
        let args = pod(&json!({"containers": [{"name": "kaniko", "args": ["--dockerfile=/x"]}]}));
        assert_eq!(
            refused(&build_job(), &args, false, true),
            ["profile::patch_generated"]
        );
        let mount = pod(
            &json!({"containers": [{"name": "kaniko", "volumeMounts": [{"name": "other", "mountPath": "/kaniko/dockerfile/Dockerfile"}]}]}),
        );
        assert_eq!(
            refused(&build_job(), &mount, false, true),
            ["profile::patch_generated"]
        );
        let volume =
            pod(&json!({"volumes": [{"name": "dockerfile", "configMap": {"name": "other"}}]}));
        assert_eq!(
            refused(&build_job(), &volume, false, true),
            ["profile::patch_generated"]
        );
    }

    #[test]
    fn causes_follow_the_merge_rules() {
        let before = job();
        let check = |patch: Value, pointer: &str| {
            let mut after = before.clone();
            merge_patch(&mut after, &patch);
            cause(&before, &after, &patch, pointer)
        };
        let sc = "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation";
        // a named item merged by name, at its own index in the patch
        assert_eq!(
            check(
                pod(
                    &json!({"containers": [{"name": "other"}, {"name": "app", "securityContext": {"allowPrivilegeEscalation": true}}]})
                ),
                sc
            ),
            (
                "/spec/template/spec/containers/1/securityContext/allowPrivilegeEscalation".into(),
                true
            )
        );
        // a replaced list: the item that replaced it
        assert_eq!(
            check(pod(&json!({"containers": [{"image": "x"}]})), sc),
            ("/spec/template/spec/containers/0".into(), false)
        );
        // a removed mapping: the key that removed it
        assert_eq!(
            check(
                pod(&json!({"securityContext": null})),
                "/spec/template/spec/securityContext/runAsNonRoot"
            ),
            ("/spec/template/spec/securityContext".into(), false)
        );
        // an added named item: its name
        assert_eq!(
            check(
                pod(&json!({"containers": [{"name": "proxy"}]})),
                "/spec/template/spec/containers/1/securityContext/allowPrivilegeEscalation"
            ),
            ("/spec/template/spec/containers/0/name".into(), false)
        );
    }
}
