//! The API server's rules for a container's final `limits` and `requests`
//! (`ValidateResourceRequirements` in `k8s.io/kubernetes/pkg/apis/core/validation`) that
//! the schema cannot see: resource names and huge pages (a limit, request equal to limit,
//! whole pages, beside `cpu` or `memory`). Extended resources (`nvidia.com/gpu`) have their
//! own rules in `resources::check_extended`, which knows where each of the platform's
//! resource shapes wrote them; both use [`is_extended`].
//!
//! [`check`] takes the maps as they will be rendered. A request above its limit is reported
//! by the caller (`task::request_above_limit`), not here.

use std::collections::BTreeMap;

use super::{Checker, k8s_names};
use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::quantity;
use crate::yaml::Pointer;

/// Which map a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Limits,
    Requests,
}

impl Side {
    /// The Kubernetes key of the map.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Side::Limits => "limits",
            Side::Requests => "requests",
        }
    }
}

/// One problem: what, and where (the entry `name` of the `side` map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) kind: ErrorKind,
    pub(crate) side: Side,
    pub(crate) name: String,
    pub(crate) label: &'static str,
    pub(crate) help: String,
}

/// Resources a container may name without a domain.
const STANDARD: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];
const HUGEPAGES: &str = "hugepages-";

fn is_hugepages(name: &str) -> bool {
    name.starts_with(HUGEPAGES)
}

/// Native: no domain, or a `kubernetes.io/` one (`IsNativeResource`).
fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Extended: domain-qualified outside `kubernetes.io` (`IsExtendedResourceName`).
pub(super) fn is_extended(name: &str) -> bool {
    !is_native(name) && !name.starts_with("requests.")
}

/// Every problem of the final `limits` and `requests`, limits first, each map in key order.
pub(crate) fn check(
    limits: &BTreeMap<String, String>,
    requests: &BTreeMap<String, String>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let one = quantity::parse("1").expect("1 is a quantity");
    for (side, map) in [(Side::Limits, limits), (Side::Requests, requests)] {
        for (name, value) in map {
            let problem = |kind, label, help: String| Problem {
                kind,
                side,
                name: name.clone(),
                label,
                help,
            };
            if let Some(problem_text) = name_problem(name) {
                out.push(problem(
                    ErrorKind::ResourceName {
                        field: format!("resources.{}.{name}", side.key()),
                        problem: problem_text,
                    },
                    "not a resource name",
                    "use `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`, or a domain-qualified name such as `nvidia.com/gpu`".into(),
                ));
                continue;
            }
            let Some(q) = quantity::parse(value) else {
                continue;
            };
            if is_hugepages(name) {
                let page = quantity::parse(&name[HUGEPAGES.len()..]);
                if !page.is_some_and(|page| page.is_multiple_of(one) && q.is_multiple_of(page)) {
                    let help = if page.is_some() {
                        format!(
                            "write a multiple of the page size `{}`",
                            &name[HUGEPAGES.len()..]
                        )
                    } else {
                        "name huge pages by their page size, such as `hugepages-2Mi` or `hugepages-1Gi`".into()
                    };
                    out.push(problem(
                        ErrorKind::HugePagesSize {
                            resource: name.clone(),
                            value: value.clone(),
                        },
                        "not whole pages",
                        help,
                    ));
                }
            }
            if side == Side::Requests && is_hugepages(name) {
                match limits.get(name) {
                    None => out.push(problem(
                        ErrorKind::LimitRequired {
                            resource: name.clone(),
                        },
                        "request without a limit",
                        format!("set `limits: {{{name}: {value}}}` as well (a limit alone is enough: the request defaults to it)"),
                    )),
                    Some(limit) if quantity::compare(value, limit) == Some(std::cmp::Ordering::Less) => {
                        out.push(problem(
                            ErrorKind::RequestNotLimit {
                                resource: name.clone(),
                                request: value.clone(),
                                limit: limit.clone(),
                            },
                            "request below its limit",
                            format!("`{name}` cannot be overcommitted: request `{limit}`, or drop the request (it defaults to the limit)"),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    out.extend(hugepages_alone(limits, requests));
    out
}

/// Huge pages need `cpu` or `memory` beside them, in either map.
fn hugepages_alone(
    limits: &BTreeMap<String, String>,
    requests: &BTreeMap<String, String>,
) -> Option<Problem> {
    let has_cpu_or_memory = ["cpu", "memory"]
        .iter()
        .any(|r| limits.contains_key(*r) || requests.contains_key(*r));
    if has_cpu_or_memory {
        return None;
    }
    let (side, name) = limits
        .keys()
        .map(|k| (Side::Limits, k))
        .chain(requests.keys().map(|k| (Side::Requests, k)))
        .find(|(_, k)| is_hugepages(k))?;
    Some(Problem {
        kind: ErrorKind::HugePagesAlone {
            resource: name.clone(),
        },
        side,
        name: name.clone(),
        label: "huge pages alone",
        help: "add a `memory` limit (huge pages are accounted beside the container's memory)"
            .into(),
    })
}

/// Reports [`check`]'s problems of the maps found at `at` (`/resources` for the
/// Kubernetes shape): a name problem at the key, the others at the value, each in the
/// file that set it (the Task's, or the profile's).
pub(super) fn report(
    ck: &mut Checker<'_>,
    at: &str,
    limits: &BTreeMap<String, String>,
    requests: &BTreeMap<String, String>,
) {
    let mut found = Vec::new();
    for p in check(limits, requests) {
        let pointer = Pointer::join(&format!("{at}/{}", p.side.key()), &p.name);
        let (file, span) = if matches!(p.kind, ErrorKind::ResourceName { .. }) {
            ck.locate_key(&pointer)
        } else {
            ck.locate(&pointer)
        };
        found.push(
            Diagnostic::new(p.kind)
                .at(&file, span, p.label)
                .with_help(p.help),
        );
    }
    // In the order of the file, whichever map comes first.
    found.sort_by_key(|d| d.primary_span().map(|s| s.start));
    ck.errors.append(&mut found);
}

/// What is wrong with a container resource name (`validateContainerResourceName`).
fn name_problem(name: &str) -> Option<String> {
    if let Some(problem) = k8s_names::qualified_name(name) {
        return Some(problem.text().to_owned());
    }
    if !name.contains('/') {
        return (!STANDARD.contains(&name) && !is_hugepages(name)).then(|| {
            format!(
                "`{name}` is not a standard container resource (`cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`)"
            )
        });
    }
    if !is_native(name) && !is_extended(name) {
        return Some(format!(
            "`{name}` is not an extended resource name (`requests.` is reserved for quotas)"
        ));
    }
    if let Some(problem) = k8s_names::qualified_name(&format!("requests.{name}"))
        && !is_native(name)
    {
        return Some(problem.text().to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn codes(limits: &[(&str, &str)], requests: &[(&str, &str)]) -> Vec<&'static str> {
        check(&map(limits), &map(requests))
            .iter()
            .map(|p| p.kind.code())
            .collect()
    }

    #[test]
    fn standard_and_qualified_names() {
        assert!(
            codes(
                &[
                    ("cpu", "1"),
                    ("memory", "1Gi"),
                    ("ephemeral-storage", "1Gi")
                ],
                &[]
            )
            .is_empty()
        );
        assert!(codes(&[("nvidia.com/gpu", "1")], &[]).is_empty());
        assert_eq!(codes(&[("gpu", "1")], &[]), ["resources::name"]);
        assert_eq!(codes(&[], &[("requests.x.io/a", "1")]), ["resources::name"]);
    }

    #[test]
    fn extended_resources_are_left_to_check_extended() {
        // resources::check_extended owns their rules (it knows every shape's locations)
        assert!(codes(&[], &[("nvidia.com/gpu", "1")]).is_empty());
        assert!(codes(&[("nvidia.com/gpu", "500m")], &[]).is_empty());
        assert!(is_extended("nvidia.com/gpu"));
        assert!(!is_extended("cpu"));
        assert!(!is_extended("example.kubernetes.io/thing"));
        // overcommitable resources may request less than their limit
        assert!(codes(&[("cpu", "2")], &[("cpu", "1")]).is_empty());
    }

    #[test]
    fn huge_pages() {
        assert!(codes(&[("hugepages-2Mi", "4Mi"), ("memory", "1Gi")], &[]).is_empty());
        assert_eq!(
            codes(&[("hugepages-2Mi", "3Mi"), ("memory", "1Gi")], &[]),
            ["resources::hugepages_size"]
        );
        assert_eq!(
            codes(&[("hugepages-2Mi", "4Mi")], &[]),
            ["resources::hugepages_alone"]
        );
        assert_eq!(
            codes(&[("memory", "1Gi")], &[("hugepages-2Mi", "4Mi")]),
            ["resources::limit_required"]
        );
        assert_eq!(
            codes(
                &[("memory", "1Gi"), ("hugepages-2Mi", "8Mi")],
                &[("hugepages-2Mi", "4Mi")]
            ),
            ["resources::request_not_limit"]
        );
    }
}
