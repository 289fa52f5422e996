//! Resolving a `build` Task: the Dockerfile (instructions checked one by one), the base
//! image, the image to push and the build context.

use std::cmp::Ordering;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::BuildPlan;
use crate::plan::kaniko::{DOCKERFILE_DIR, KANIKO_IMAGE, RESERVED_VOLUMES};
use crate::profile::Profile;
use crate::task::{Action, TaskSpec};

/// Instructions kept as written (SPEC section 1). Keywords are recognised in upper case
/// only, so a command such as `env | sort` stays a command.
const KEYWORDS: [&str; 15] = [
    "RUN",
    "ENV",
    "ARG",
    "COPY",
    "ADD",
    "WORKDIR",
    "USER",
    "EXPOSE",
    "LABEL",
    "CMD",
    "ENTRYPOINT",
    "HEALTHCHECK",
    "SHELL",
    "VOLUME",
    "STOPSIGNAL",
];

/// Most bytes of the Dockerfile: the `ConfigMap` that carries it holds 1 MiB of data
/// (`MaxSecretSize`, which `ValidateConfigMap` applies).
pub(crate) const DOCKERFILE_MAX: usize = 1024 * 1024;

/// Longest Task name for a build: `<name>-build` names the Job, whose name Kubernetes
/// copies into a label value (at most 63 characters).
pub(crate) const MAX_BUILD_NAME: usize = 63 - "-build".len();

/// `context`: Kaniko's `--context` for the Task's `function.source` (`source.rs`), if any.
pub(super) fn build(
    ck: &mut Checker<'_>,
    task: &TaskSpec,
    profile: &Profile,
    context: Option<String>,
) -> Option<BuildPlan> {
    if task.action != Action::Build {
        return None;
    }
    if task.name.len() > MAX_BUILD_NAME {
        ck.error(
            ErrorKind::BuildNameTooLong {
                field: "name".into(),
                problem: format!("a build Task's name has at most {MAX_BUILD_NAME} characters (its Job is `<name>-build`)"),
            },
            "/name",
            "too long for a build",
        );
    }
    check_volumes(ck, task);
    let function = task.function.as_ref();
    let base = task
        .base_image
        .clone()
        .or_else(|| function.and_then(|f| f.base_image.clone()))
        .or_else(|| function.and_then(|f| f.image.clone()));
    let Some(base) = base else {
        ck.error(
            ErrorKind::NoBaseImage {
                field: "base_image".into(),
                parent: "the Task".into(),
            },
            "/action",
            "a build needs a base image",
        )
        .help = Some(
            "give `base_image: python:3.12-slim` (or `function.base_image`, or `function.image`)"
                .into(),
        );
        return None;
    };
    let mut dockerfile = format!("FROM {base}\nWORKDIR /shared\nCOPY . /shared\n");
    for (i, line) in task.instructions.iter().enumerate() {
        match instruction(line) {
            Ok(text) => {
                dockerfile.push_str(&text);
                dockerfile.push('\n');
            }
            Err((problem, help)) => {
                ck.error(
                    ErrorKind::Instruction {
                        field: format!("instructions[{i}]"),
                        problem: problem.into(),
                    },
                    &format!("/instructions/{i}"),
                    "not a single instruction",
                )
                .help = Some(help.into());
            }
        }
    }
    if dockerfile.len() > DOCKERFILE_MAX {
        let (file, span) = ck.locate_key("/instructions");
        ck.errors.push(crate::diagnostic::Diagnostic::new(ErrorKind::DockerfileTooLarge {
                size: dockerfile.len(),
            }).at(&file, span, "too large for a ConfigMap")
        .with_help("move files into the build context (`function.source`) and `COPY` them, instead of writing them out in instructions"));
    }
    let destination = task.image.clone().unwrap_or_else(|| {
        let repository = default_repository(task.project.as_deref(), &task.name);
        let digest = Sha256::digest(dockerfile.as_bytes());
        let tag = digest
            .iter()
            .take(6)
            .fold(String::with_capacity(12), |mut tag, b| {
                let _ = write!(tag, "{b:02x}");
                tag
            });
        match &profile.registry {
            Some(registry) => format!("{registry}/{repository}:{tag}"),
            None => format!("{repository}:{tag}"),
        }
    });
    let context = context.unwrap_or_else(|| format!("dir://{DOCKERFILE_DIR}"));
    Some(BuildPlan {
        dockerfile,
        destination,
        context,
        registry_secret: task.registry_secret.clone(),
        builder_image: profile
            .builder_image
            .clone()
            .unwrap_or_else(|| KANIKO_IMAGE.to_owned()),
    })
}

/// The builder container's requests where neither the Task nor the profile's
/// `builder_resources` set them (checkov `CKV_K8S_10`/`12` and the scheduler want them).
pub(crate) const BUILDER_REQUESTS: [(&str, &str); 2] = [("cpu", "500m"), ("memory", "1Gi")];
/// The builder container's limits, likewise (checkov `CKV_K8S_11`/`13`: a build never runs unbounded).
pub(crate) const BUILDER_LIMITS: [(&str, &str); 2] = [("cpu", "2"), ("memory", "4Gi")];

/// The builder container's final `(limits, requests)`: the Task's own (and what the
/// profile's `enforce` sets), then the profile's `builder_resources` (else
/// [`BUILDER_LIMITS`] and [`BUILDER_REQUESTS`]) for the rest; they replace the profile's
/// generic `defaults`, which are meant for the Task's own container. A filled-in limit is
/// never below the request, nor a filled-in request above the limit, so a Task's own
/// values always stand.
pub(super) fn builder_resources(
    ck: &Checker<'_>,
    profile: &Profile,
    (mut limits, mut requests): super::pod::ResourceMaps,
) -> super::pod::ResourceMaps {
    for (side, map) in [("limits", &mut limits), ("requests", &mut requests)] {
        map.retain(|name, _| {
            let pointer = crate::yaml::Pointer::join(&format!("/resources/{side}"), name);
            ck.provenance.origin(&pointer).0 != crate::profile::merge::Layer::Defaults
        });
    }
    let own = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let (default_limits, default_requests) = match &profile.builder_resources {
        Some(r) => (
            r.limits
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
            r.requests
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
        ),
        None => (own(&BUILDER_LIMITS), own(&BUILDER_REQUESTS)),
    };
    let task_limits = limits.clone();
    for (name, limit) in default_limits {
        if limits.contains_key(&name) {
            continue;
        }
        let limit = match requests.get(&name) {
            Some(request)
                if crate::quantity::compare(request, &limit) == Some(Ordering::Greater) =>
            {
                request.clone()
            }
            _ => limit,
        };
        limits.insert(name, limit);
    }
    for (name, request) in default_requests {
        if requests.contains_key(&name) {
            continue;
        }
        let request = match task_limits.get(&name).or(limits.get(&name)) {
            Some(limit) if crate::quantity::compare(&request, limit) == Some(Ordering::Greater) => {
                limit.clone()
            }
            _ => request,
        };
        requests.insert(name, request);
    }
    (limits, requests)
}

/// The repository of the default destination, `<project>-<name>`, as an image repository
/// path component: lower case, and every run of characters other than letters and digits
/// (which a project, a label value, may have: `_`, `.`, `-`) made one `-`. So `Demo` →
/// `demo`, `my..proj` → `my-proj`, `a_-_b` → `a-b`.
fn default_repository(project: Option<&str>, name: &str) -> String {
    let Some(project) = project else {
        return name.to_owned();
    };
    let mut out = String::with_capacity(project.len() + name.len() + 1);
    for word in project
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_ascii_lowercase());
        out.push('-');
    }
    out.push_str(name);
    out
}

/// One Dockerfile line from one list item, or why it cannot be one.
fn instruction(line: &str) -> Result<String, (&'static str, &'static str)> {
    if line.contains(['\n', '\r']) {
        return Err((
            "contains a line break",
            "one list item is one Dockerfile line: split it into several items (a line break could smuggle in any instruction)",
        ));
    }
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Err(("is blank", "remove the item, or write a command"));
    }
    let keyword = trimmed.split_whitespace().next().unwrap_or_default();
    match keyword.to_ascii_uppercase().as_str() {
        "FROM" => {
            return Err((
                "is a second `FROM`",
                "a build has one stage: its base image is `base_image`; build other stages in their own Tasks",
            ));
        }
        "ONBUILD" => {
            return Err((
                "uses `ONBUILD`",
                "ONBUILD runs in other people's builds: write the instruction for this build instead",
            ));
        }
        "MAINTAINER" => {
            return Err((
                "uses the deprecated `MAINTAINER`",
                "write `LABEL org.opencontainers.image.authors=\"...\"` instead",
            ));
        }
        _ => {}
    }
    if trimmed.ends_with('\\') {
        return Err((
            "ends with `\\`, which would join the next item to it",
            "remove the trailing `\\`: each item is one whole line (join the commands of one `RUN` with `&&`)",
        ));
    }
    if has_heredoc(trimmed) {
        return Err((
            "starts a heredoc (`<<`), whose body would need the following lines",
            "one item is one line: write the file with `RUN printf '%s\\n' 'line 1' 'line 2' > file`, or copy it from the build context",
        ));
    }
    if KEYWORDS.contains(&keyword) && trimmed == keyword {
        return Err((
            "is a keyword with nothing after it",
            "give the instruction its arguments (`RUN pip install .`, `USER 10001`), or remove the item",
        ));
    }
    if KEYWORDS.contains(&keyword) {
        Ok(trimmed.to_owned())
    } else {
        Ok(format!("RUN {trimmed}"))
    }
}

/// Whether a line opens a Dockerfile heredoc (`<<EOF`, `<<-EOF`, `<<"EOF"`): `BuildKit` reads
/// one in any `RUN`, `COPY` or `ADD` line, and a plain command becomes a `RUN` line.
fn has_heredoc(line: &str) -> bool {
    line.match_indices("<<").any(|(i, _)| {
        let rest = line[i + 2..].trim_start_matches('-');
        let rest = rest.trim_start_matches(['"', '\'']);
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    })
}

/// The builder mounts its own volumes; a Task's volumes may not take their names or paths.
fn check_volumes(ck: &mut Checker<'_>, task: &TaskSpec) {
    for (i, v) in task.volumes.iter().enumerate() {
        if RESERVED_VOLUMES.contains(&v.name.as_str()) {
            ck.error(
                ErrorKind::ReservedVolume {
                    field: format!("volumes[{i}].name"),
                    problem: format!(
                        "`{}` is the name of a volume the builder mounts itself",
                        v.name
                    ),
                },
                &format!("/volumes/{i}/name"),
                "reserved in a build",
            )
            .help = Some("rename the volume".into());
        }
        if v.mount_path.starts_with("/kaniko") {
            ck.error(
                ErrorKind::ReservedVolume {
                    field: format!("volumes[{i}].mount_path"),
                    problem: "paths under `/kaniko` belong to the builder".into(),
                },
                &format!("/volumes/{i}/mount_path"),
                "reserved in a build",
            )
            .help = Some("mount the volume elsewhere, such as `/workspace`".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_become_dockerfile_lines() {
        assert_eq!(
            instruction("pip install flask").unwrap(),
            "RUN pip install flask"
        );
        assert_eq!(instruction("  ENV A=1 ").unwrap(), "ENV A=1");
        assert_eq!(instruction("env | sort").unwrap(), "RUN env | sort");
        assert_eq!(instruction("USER 10001").unwrap(), "USER 10001");
        assert!(instruction("RUN a\nFROM evil").is_err());
        assert!(instruction("RUN a\rb").is_err());
        assert!(instruction("   ").is_err());
        assert!(instruction("FROM alpine").is_err());
        assert!(instruction("from alpine").is_err());
        assert!(instruction("ONBUILD RUN x").is_err());
        assert!(instruction("MAINTAINER me").is_err());
        // a line that would take the next one with it, or that needs following lines
        assert!(instruction("RUN echo a \\").is_err());
        assert!(instruction("RUN <<EOF").is_err());
        assert!(instruction("COPY <<-'EOT' /app/conf").is_err());
        assert!(instruction("cat <<EOF > f").is_err());
        assert_eq!(
            instruction("echo $((1 << 2))").unwrap(),
            "RUN echo $((1 << 2))"
        );
        // a keyword alone
        assert!(instruction("RUN").is_err());
        assert!(instruction(" USER ").is_err());
    }

    #[test]
    fn default_repositories_are_valid_path_components() {
        assert_eq!(default_repository(None, "train"), "train");
        assert_eq!(default_repository(Some("demo"), "b"), "demo-b");
        assert_eq!(default_repository(Some("Demo"), "b"), "demo-b");
        assert_eq!(default_repository(Some("my..proj"), "b"), "my-proj-b");
        assert_eq!(default_repository(Some("a_-_b"), "c"), "a-b-c");
    }
}
