//! Labels and annotations: the standard labels taskrender sets, the Task's own, and the
//! reserved keys a Task may not set.

use std::collections::BTreeMap;

use super::Checker;
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::profile::{self, Profile};
use crate::task::TaskSpec;
use crate::yaml::Pointer;

pub(crate) const LABEL_NAME: &str = "app.kubernetes.io/name";
pub(crate) const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
pub(crate) const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub(crate) const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";
/// Label on objects rendered with a profile other than `default`.
pub(crate) const LABEL_PROFILE: &str = "taskrender.io/profile";

/// Every object's labels (the standard ones, then the Task's) and the stable selector subset.
pub(super) fn labels(
    task: &TaskSpec,
    profile: &Profile,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
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
    if profile.name != profile::DEFAULT {
        labels.insert(LABEL_PROFILE.to_owned(), profile.name.clone());
    }
    (labels, selector)
}

/// Labels taskrender sets itself; a Task (or a profile's `defaults`) may not set them.
const RESERVED: [&str; 5] = [
    LABEL_NAME,
    LABEL_COMPONENT,
    LABEL_MANAGED_BY,
    LABEL_PART_OF,
    LABEL_PROFILE,
];

pub(super) fn check(ck: &mut Checker<'_>, task: &TaskSpec) {
    for key in task
        .labels
        .keys()
        .filter(|k| RESERVED.contains(&k.as_str()))
    {
        let help = match key.as_str() {
            LABEL_PART_OF => "set `project:` instead",
            LABEL_PROFILE => "set `profile:` instead",
            _ => "remove it: taskrender sets this label from the Task",
        };
        let (file, span) = ck.locate_key(&Pointer::join("/labels", key));
        ck.errors.push(
            Diagnostic::new(ErrorKind::ReservedLabel {
                field: format!("labels.{key}"),
                problem: "this label is set by taskrender".into(),
            })
            .at(&file, span, "reserved label")
            .with_help(help),
        );
    }
}
