//! `check --strict`: a warning for every value the Task sets that the profile's `enforce`
//! replaces, naming both places.

use super::Checker;
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::yaml::Pointer;

pub(super) fn warn_overrides(ck: &mut Checker<'_>) {
    for (task_ptr, enforce_ptr) in ck.provenance.overridden() {
        let span = ck.doc.spans.value(task_ptr);
        let place = ck
            .profile
            .locate(&format!("/enforce{enforce_ptr}"))
            .map(|(file, span)| {
                let (line, col) = file.line_col(span.start);
                format!("{}:{line}:{col}", file.name)
            });
        let mut d = Diagnostic::new(ErrorKind::Enforced {
            field: Pointer::field(task_ptr),
            profile: ck.profile.name.clone(),
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
