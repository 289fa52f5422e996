//! `GitOps` lints of `check`: a valid, resolved Task ([`Document`] + [`Plan`]) → warnings
//! about what will surprise a cluster or a `GitOps` tool later. Never errors: `check
//! --strict` makes them fail.

use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::plan::{Plan, VolumeSource, Workload};
use crate::yaml::Document;

mod dockerfile;

/// Every lint of one Task, in the order of the Task's parameters.
pub(crate) fn lint(doc: &Document, plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    substitutions(doc, &mut out);
    let is_build = matches!(plan.workload, Workload::Build { .. });
    if !is_build {
        mutable_image(doc, &plan.pod.image, &mut out);
        if plan.pod.run_as_user.is_none() {
            out.push(
                Diagnostic::new(ErrorKind::NoRunAsUser {
                    name: plan.name.clone(),
                })
                .at(&doc.file, doc.spans.key("/name"), "no `run_as_user` here or in its profile")
                .with_help(
                    "add `run_as_user: 1000` (any non-zero uid): pods run with `runAsNonRoot`, so an image whose user is root fails to start",
                )
                .warning(),
            );
        }
    }
    shared_claims(doc, plan, &mut out);
    if let Workload::Build { build, .. } = &plan.workload {
        dockerfile::lint(doc, &build.dockerfile, &mut out);
    }
    if let Workload::Build { build, .. } = &plan.workload
        && !has_registry(&build.destination)
    {
        let span = doc
            .spans
            .get("/image")
            .map_or_else(|| doc.spans.key("/name"), |s| s.value.clone());
        out.push(
            Diagnostic::new(ErrorKind::NoRegistry {
                destination: build.destination.clone(),
            })
            .at(&doc.file, span, "Kaniko would push this to Docker Hub (`docker.io/library/…`)")
            .with_help("name the registry: `image: registry.example.com/team/app:1.0`, or a profile's `registry`")
            .warning(),
        );
    }
    out
}

/// `${VAR}` in `function.command`, `function.args` and `envs[*].value`.
fn substitutions(doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut check = |pointer: String, field: String, value: &Value| {
        let Some(text) = value.as_str() else {
            return;
        };
        if let Some(variable) = variable(text) {
            out.push(
                Diagnostic::new(ErrorKind::Substitution {
                    field,
                    variable: variable.to_owned(),
                })
                .at(&doc.file, doc.spans.value(&pointer), "Flux `postBuild.substitute` replaces this")
                .with_help(
                    "write `$${VAR}` (or `$(VAR)` for Kubernetes' own expansion from `envs`) if the container should see it",
                )
                .warning(),
            );
        }
    };
    match doc.value.pointer("/function/command") {
        Some(Value::Array(words)) => {
            for (i, w) in words.iter().enumerate() {
                check(
                    format!("/function/command/{i}"),
                    format!("function.command[{i}]"),
                    w,
                );
            }
        }
        Some(line) => check("/function/command".into(), "function.command".into(), line),
        None => {}
    }
    for (i, a) in array(&doc.value, "/function/args").iter().enumerate() {
        check(
            format!("/function/args/{i}"),
            format!("function.args[{i}]"),
            a,
        );
    }
    for (i, e) in array(&doc.value, "/envs").iter().enumerate() {
        if let Some(v) = e.get("value") {
            check(format!("/envs/{i}/value"), format!("envs[{i}].value"), v);
        }
    }
}

fn array<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The first `${NAME}` in `text` (not `$${NAME}`, Flux's escape).
fn variable(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("${").map(|i| i + from) {
        let escaped = i > 0 && bytes[i - 1] == b'$';
        if let Some(end) = text[i..].find('}').map(|e| e + i) {
            let name = &text[i + 2..end];
            let ok = !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '=' || c == '-'
                });
            if ok && !escaped {
                return Some(&text[i..=end]);
            }
        }
        from = i + 2;
    }
    None
}

/// An image without a tag or digest, or tagged `latest`.
fn mutable_image(doc: &Document, image: &str, out: &mut Vec<Diagnostic>) {
    if image.contains('@') {
        return;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let problem = match last.split_once(':') {
        None => "has no tag: `latest` is pulled, whatever it is that day",
        Some((_, "latest")) => "is tagged `latest`, which moves without a commit",
        Some(_) => return,
    };
    let Some(span) = doc.spans.get("/function/image") else {
        return; // set by a profile: the profile's author owns it
    };
    out.push(
        Diagnostic::new(ErrorKind::MutableImage {
            image: image.to_owned(),
            problem: problem.to_owned(),
        })
        .at(
            &doc.file,
            span.value.clone(),
            "a rendered manifest should say what runs",
        )
        .with_help("pin a version (`busybox:1.36`) or a digest (`busybox@sha256:…`)")
        .warning(),
    );
}

/// A `deploy`/`serve` Task with more than one replica and a claim it renders itself.
fn shared_claims(doc: &Document, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let (Workload::Deploy { replicas } | Workload::Serve { replicas, .. }) = plan.workload else {
        return;
    };
    if replicas <= 1 {
        return;
    }
    for claim in &plan.claims {
        let Some(volume) = plan.pod.volumes.iter().find(
            |v| matches!(&v.source, VolumeSource::Claim { claim_name } if *claim_name == claim.name),
        ) else {
            continue;
        };
        let index = array(&doc.value, "/volumes")
            .iter()
            .position(|v| v.get("name").and_then(Value::as_str) == Some(volume.name.as_str()));
        let span = index.map_or_else(
            || doc.spans.key("/volumes"),
            |i| doc.spans.value(&format!("/volumes/{i}/name")),
        );
        let mut d = Diagnostic::new(ErrorKind::SharedClaim {
            volume: volume.name.clone(),
            replicas,
        })
        .at(&doc.file, span, "a new `ReadWriteOnce` claim");
        if let Some(r) = doc.spans.get("/replicas") {
            d = d.also(r.value.clone(), format!("{replicas} replicas"));
        }
        out.push(
            d.with_help(
                "pods on different nodes cannot mount it: use one replica, an existing `ReadWriteMany` claim (`claim_name`), or an `ephemeral` volume per pod",
            )
            .warning(),
        );
    }
}

/// Whether the first component of an image reference is a registry host (`a.b`, `host:port`,
/// `localhost`), as container tools decide.
fn has_registry(image: &str) -> bool {
    match image.split_once('/') {
        Some((first, _)) => first.contains(['.', ':']) || first == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_found_unless_escaped() {
        assert_eq!(variable("echo ${HOME}"), Some("${HOME}"));
        assert_eq!(variable("a $${HOME} b ${X:=1}"), Some("${X:=1}"));
        assert_eq!(variable("$${HOME}"), None);
        assert_eq!(variable("$(HOME) $HOME ${} ${1x}"), None);
    }

    #[test]
    fn registries_are_hosts() {
        assert!(has_registry("ghcr.io/a/b:1"));
        assert!(has_registry("localhost:5000/b"));
        assert!(has_registry("localhost/b"));
        assert!(!has_registry("team/app:1"));
        assert!(!has_registry("app:1"));
    }
}
