//! The reference platform's spellings, normalised into the one model taskrender renders
//! (README, "Reference platform specs"): names, ids as digit strings, resources, secrets,
//! `function.source`, and one function for build and run.

use std::ops::Range;

use serde_json::{Map, Value};

use super::Checker;
use super::{resources, secrets, source};
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::plan::SecretKeyEnv;
use crate::profile::Profile;
use crate::task::{Action, TaskSpec};
use crate::yaml::Document;

/// The platform's default size of a new claim (`K8S_RESOURCE_PVC_DEFAULT`).
pub(crate) const DEFAULT_CLAIM_SIZE: &str = "2Gi";

/// What normalising adds to the Task.
#[derive(Debug, Default)]
pub(super) struct Extras {
    pub(super) written: resources::Written,
    pub(super) secret_env: Vec<SecretKeyEnv>,
    pub(super) source: source::SourcePlan,
    pub(super) image_from: Option<ImageFrom>,
}

/// A run Task's `function.image_from`: the pipeline fills in the build's image.
#[derive(Debug, Clone)]
pub(crate) struct ImageFrom {
    pub(crate) build: String,
    pub(crate) span: Range<usize>,
}

pub(super) fn default_claim_size(profile: &Profile) -> String {
    profile
        .platform
        .default_claim_size
        .clone()
        .unwrap_or_else(|| DEFAULT_CLAIM_SIZE.to_owned())
}

/// A DNS-1123 label made from a platform name: lower case, `_`, `.` and `+` → `-`, runs of
/// `-` collapsed, trimmed, at most `max` characters. Empty when nothing is left.
pub(crate) fn dns_label(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && dns_label(name, 63) == name
}

/// Ids, counts and ports written as digit strings: within the range of their field (the
/// schema checks the range of numbers only).
pub(super) fn digit_strings(doc: &Document, merged: &Map<String, Value>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut check = |pointer: String, field: String, value: Option<&Value>, min: u32, max: u32| {
        let Some(Value::String(s)) = value else {
            return;
        };
        if s.parse::<u64>()
            .is_ok_and(|n| n >= u64::from(min) && n <= u64::from(max))
        {
            return;
        }
        out.push(
            Diagnostic::new(ErrorKind::DigitsRange {
                field,
                value: s.clone(),
                min,
                max,
            })
            .at(&doc.file, doc.spans.value(&pointer), "out of range")
            .with_help(format!("write a whole number from {min} to {max}")),
        );
    };
    for field in ["run_as_user", "run_as_group", "fs_group", "replicas"] {
        check(
            format!("/{field}"),
            field.into(),
            merged.get(field),
            0,
            2_147_483_647,
        );
    }
    let ports = merged.get("service_ports").and_then(Value::as_array);
    for (i, port) in ports.into_iter().flatten().enumerate() {
        for key in ["port", "targetPort", "target_port", "nodePort"] {
            check(
                format!("/service_ports/{i}/{key}"),
                format!("service_ports[{i}].{key}"),
                port.get(key),
                1,
                65535,
            );
        }
    }
    out
}

/// Normalises the platform's spellings in `task`, in place.
pub(super) fn normalise(ck: &mut Checker<'_>, task: &mut TaskSpec) -> Extras {
    name(ck, task);
    one_function(ck, task);
    let written = resources::normalise(ck, task);
    let secret_env = secrets::split(ck, task);
    let source = source::source(ck, task);
    let image_from = image_from(ck, task);
    Extras {
        written,
        secret_env,
        source,
        image_from,
    }
}

fn name(ck: &mut Checker<'_>, task: &mut TaskSpec) {
    if is_dns_label(&task.name) {
        return;
    }
    let max = if task.action == Action::Build {
        super::build::MAX_BUILD_NAME
    } else {
        63
    };
    let used = dns_label(&task.name, max);
    if used.is_empty() {
        ck.error(
            ErrorKind::NameUnusable {
                original: task.name.clone(),
            },
            "/name",
            "no letter or digit",
        )
        .help =
            Some("name the Task with lowercase letters, digits and `-`, such as `train`".into());
        return;
    }
    ck.warning(
        ErrorKind::NameNormalised {
            original: task.name.clone(),
            used: used.clone(),
        },
        "/name",
        "normalised",
    )
    .help = Some(format!(
        "objects are named after `{used}`; write `name: {used}` to silence this warning"
    ));
    task.name = used;
}

/// One function for build and run: what belongs to the other side is kept by the platform
/// on the function; here it is ignored, with a warning that names it.
fn one_function(ck: &mut Checker<'_>, task: &TaskSpec) {
    let Some(function) = task.function.as_ref() else {
        return;
    };
    if task.action == Action::Build {
        for (field, set) in [
            ("command", function.command.is_some()),
            ("args", !function.args.is_empty()),
            ("image_pull_policy", function.image_pull_policy.is_some()),
        ] {
            if set {
                ck.warning(
                    ErrorKind::RunParameterOnBuild {
                        field: format!("function.{field}"),
                    },
                    &format!("/function/{field}"),
                    "for later runs",
                )
                .help = Some(format!(
                    "give it to the Task that runs the image (`function.image_from: {}`), and remove it here",
                    task.name
                ));
            }
        }
    } else if function.base_image.is_some() {
        ck.warning(
            ErrorKind::BaseImageIgnored {
                action: task.action.as_str().into(),
            },
            "/function/base_image",
            "ignored",
        )
        .help = Some(
            "the container runs `function.image`; build an image from a base with a `build` Task and run it with `function.image_from`"
                .into(),
        );
    }
}

fn image_from(ck: &mut Checker<'_>, task: &TaskSpec) -> Option<ImageFrom> {
    let function = task.function.as_ref()?;
    let build = function.image_from.clone()?;
    if function.image.is_some() {
        ck.error(
            ErrorKind::ImageFrom {
                name: build,
                problem: "beside `function.image`".into(),
            },
            "/function/image_from",
            "one or the other",
        )
        .help = Some("give `image` (an image you name) or `image_from` (the image a build Task of this run pushes), not both".into());
        return None;
    }
    let (_, span) = ck.locate("/function/image_from");
    Some(ImageFrom { build, span })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_label("download_images_s2", 63), "download-images-s2");
        assert_eq!(dns_label("My__Function.v1+x", 63), "my-function-v1-x");
        assert_eq!(dns_label("_a_", 63), "a");
        assert_eq!(dns_label("___", 63), "");
        assert_eq!(dns_label(&"a_".repeat(40), 57).len(), 57);
        assert!(!dns_label(&"a_".repeat(40), 56).ends_with('-'));
        assert!(is_dns_label("train-2"));
        assert!(!is_dns_label("Train"));
    }
}
