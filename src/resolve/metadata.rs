//! Limits of object metadata the schema's patterns cannot express: the parts of label,
//! annotation and node selector keys (`ValidateLabelName`: a prefix of at most 253
//! characters, a name of at most 63) and the total size of the annotations
//! (`ValidateAnnotationsSize`: 256 KiB).

use super::{Checker, k8s_names};
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::task::TaskSpec;
use crate::yaml::Pointer;

/// Most bytes of all annotation keys and values together (`TotalAnnotationSizeLimitB`).
pub(crate) const ANNOTATIONS_MAX: usize = 256 * 1024;

pub(super) fn check(ck: &mut Checker<'_>, task: &TaskSpec) {
    for (map, keys) in [("labels", &task.labels), ("annotations", &task.annotations)] {
        for key in keys.keys() {
            key_length(ck, &Pointer::join(&format!("/{map}"), key), map, key, true);
        }
    }
    for (i, entry) in task.node_selector.iter().enumerate() {
        key_length(
            ck,
            &format!("/node_selector/{i}/key"),
            &format!("node_selector[{i}].key"),
            &entry.key,
            false,
        );
    }
    let size: usize = task
        .annotations
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if size > ANNOTATIONS_MAX {
        // The key, not the (long) mapping.
        let (file, span) = ck.locate_key("/annotations");
        ck.errors.push(
            Diagnostic::new(ErrorKind::AnnotationsTooLarge { size })
                .at(&file, span, "too large")
                .with_help("keep large data out of annotations: put it in a ConfigMap or a volume"),
        );
    }
}

fn key_length(ck: &mut Checker<'_>, at: &str, field: &str, key: &str, map_key: bool) {
    let Some(k8s_names::Problem::TooLong(problem)) = k8s_names::qualified_name(key) else {
        // A malformed key is the schema's to report.
        return;
    };
    let (file, span) = if map_key {
        ck.locate_key(at)
    } else {
        ck.locate(at)
    };
    ck.errors.push(
        Diagnostic::new(ErrorKind::KeyTooLong {
            field: field.to_owned(),
            problem,
        })
        .at(&file, span, "too long")
        .with_help(format!(
            "Kubernetes allows a prefix of at most {} characters before `/` and a name of at most {} after it",
            k8s_names::PREFIX_MAX,
            k8s_names::NAME_MAX
        )),
    );
}
