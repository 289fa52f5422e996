//! Scheduling rules the API server applies to `tolerations` and `affinity`
//! (`validateTolerations`, `validateAffinity` in `k8s.io/kubernetes/pkg/apis/core/validation`)
//! that the vendored Kubernetes schema cannot express.

use k8s_openapi::api::core::v1::{NodeSelectorTerm, PodAffinityTerm, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Checker, k8s_names};
use crate::diagnostic::ErrorKind;
use crate::task::TaskSpec;
use crate::yaml::Pointer;

pub(super) fn check(ck: &mut Checker<'_>, task: &TaskSpec) {
    for (i, t) in task.tolerations.iter().enumerate() {
        toleration(
            ck,
            &format!("/tolerations/{i}"),
            &format!("tolerations[{i}]"),
            t,
        );
    }
    let Some(affinity) = &task.affinity else {
        return;
    };
    if let Some(node) = &affinity.node_affinity {
        let at = "/affinity/nodeAffinity";
        let field = "affinity.nodeAffinity";
        if let Some(required) = &node.required_during_scheduling_ignored_during_execution {
            let at = format!("{at}/requiredDuringSchedulingIgnoredDuringExecution");
            let field = format!("{field}.requiredDuringSchedulingIgnoredDuringExecution");
            if required.node_selector_terms.is_empty() {
                ck.error(
                    ErrorKind::NoTerms {
                        field: format!("{field}.nodeSelectorTerms"),
                    },
                    &format!("{at}/nodeSelectorTerms"),
                    "no term",
                )
                .help = Some("give at least one term, such as `[{matchExpressions: [{key: disktype, operator: In, values: [ssd]}]}]`, or remove `requiredDuringSchedulingIgnoredDuringExecution`".into());
            }
            for (i, term) in required.node_selector_terms.iter().enumerate() {
                node_term(
                    ck,
                    &format!("{at}/nodeSelectorTerms/{i}"),
                    &format!("{field}.nodeSelectorTerms[{i}]"),
                    term,
                );
            }
        }
        for (i, p) in node
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{at}/preferredDuringSchedulingIgnoredDuringExecution/{i}");
            let field = format!("{field}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            weight(ck, &at, &field, p.weight);
            node_term(
                ck,
                &format!("{at}/preference"),
                &format!("{field}.preference"),
                &p.preference,
            );
        }
    }
    let pod_affinity = affinity.pod_affinity.as_ref().map(|a| {
        (
            &a.required_during_scheduling_ignored_during_execution,
            &a.preferred_during_scheduling_ignored_during_execution,
        )
    });
    let pod_anti_affinity = affinity.pod_anti_affinity.as_ref().map(|a| {
        (
            &a.required_during_scheduling_ignored_during_execution,
            &a.preferred_during_scheduling_ignored_during_execution,
        )
    });
    for (key, pod) in [
        ("podAffinity", pod_affinity),
        ("podAntiAffinity", pod_anti_affinity),
    ] {
        let Some((required, preferred)) = pod else {
            continue;
        };
        let at = format!("/affinity/{key}");
        let field = format!("affinity.{key}");
        for (i, term) in required.iter().flatten().enumerate() {
            pod_term(
                ck,
                &format!("{at}/requiredDuringSchedulingIgnoredDuringExecution/{i}"),
                &format!("{field}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
                term,
            );
        }
        for (i, w) in preferred.iter().flatten().enumerate() {
            let at = format!("{at}/preferredDuringSchedulingIgnoredDuringExecution/{i}");
            let field = format!("{field}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            weight(ck, &at, &field, w.weight);
            pod_term(
                ck,
                &format!("{at}/podAffinityTerm"),
                &format!("{field}.podAffinityTerm"),
                &w.pod_affinity_term,
            );
        }
    }
}

fn toleration(ck: &mut Checker<'_>, at: &str, field: &str, t: &Toleration) {
    let key = t.key.as_deref().unwrap_or_default();
    let operator = t.operator.as_deref().unwrap_or("Equal");
    let value = t.value.as_deref().unwrap_or_default();
    if !key.is_empty() {
        label_key(
            ck,
            &format!("{at}/key"),
            &format!("{field}.key"),
            key,
            false,
        );
    } else if operator != "Exists" {
        let pointer = if t.operator.is_some() {
            format!("{at}/operator")
        } else {
            at.to_owned()
        };
        ck.error(
            ErrorKind::TolerationOperator {
                field: format!("{field}.operator"),
                problem: format!(
                    "a toleration without a `key` must use `Exists`, not `{operator}`"
                ),
            },
            &pointer,
            "needs a key",
        )
        .help =
            Some("give the taint's `key`, or `operator: Exists` to tolerate every taint".into());
    }
    if operator == "Exists" && !value.is_empty() {
        ck.error(
            ErrorKind::TolerationOperator {
                field: format!("{field}.value"),
                problem: "`Exists` matches any value, so `value` must be empty".into(),
            },
            &format!("{at}/value"),
            "value with Exists",
        )
        .help = Some("remove `value`, or use `operator: Equal` to match this value".into());
    } else if operator == "Equal"
        && let Some(problem) = k8s_names::label_value(value)
    {
        ck.error(
            ErrorKind::ScheduleLabelValue {
                field: format!("{field}.value"),
                problem,
            },
            &format!("{at}/value"),
            "not a label value",
        );
    }
    if t.toleration_seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
        ck.error(
            ErrorKind::TolerationSeconds {
                field: format!("{field}.tolerationSeconds"),
            },
            &format!("{at}/tolerationSeconds"),
            "needs effect NoExecute",
        )
        .help = Some(
            "set `effect: NoExecute`, or remove `tolerationSeconds` (other effects never evict)"
                .into(),
        );
    }
}

fn weight(ck: &mut Checker<'_>, at: &str, field: &str, weight: i32) {
    if !(1..=100).contains(&weight) {
        ck.error(
            ErrorKind::Weight {
                field: format!("{field}.weight"),
                weight,
            },
            &format!("{at}/weight"),
            "between 1 and 100",
        )
        .help = Some("a preference's weight is 1 to 100; a higher weight counts more".into());
    }
}

fn node_term(ck: &mut Checker<'_>, at: &str, field: &str, term: &NodeSelectorTerm) {
    for (list, items) in [
        ("matchExpressions", &term.match_expressions),
        ("matchFields", &term.match_fields),
    ] {
        for (i, r) in items.iter().flatten().enumerate() {
            let at = format!("{at}/{list}/{i}");
            let field = format!("{field}.{list}[{i}]");
            if list == "matchExpressions" {
                label_key(
                    ck,
                    &format!("{at}/key"),
                    &format!("{field}.key"),
                    &r.key,
                    false,
                );
            }
            values(
                ck,
                &at,
                &field,
                &r.operator,
                r.values.as_deref().unwrap_or_default(),
                true,
            );
        }
    }
}

fn pod_term(ck: &mut Checker<'_>, at: &str, field: &str, term: &PodAffinityTerm) {
    // Without `labelSelector` a term matches no pod (the API server warns; a required term
    // then means nothing). An empty one (`{}`) matches every pod, and is rendered as written.
    if term.label_selector.is_none() {
        ck.error(
            ErrorKind::NoLabelSelector {
                field: field.into(),
            },
            at,
            "no `labelSelector`",
        )
        .help = Some(
            "select the pods the term is about, such as `labelSelector: {matchLabels: {app: web}}`"
                .into(),
        );
    }
    if term.topology_key.is_empty() {
        ck.error(
            ErrorKind::TopologyKey {
                field: format!("{field}.topologyKey"),
            },
            &format!("{at}/topologyKey"),
            "empty",
        )
        .help = Some("name the node label that groups nodes, such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`".into());
    } else {
        label_key(
            ck,
            &format!("{at}/topologyKey"),
            &format!("{field}.topologyKey"),
            &term.topology_key,
            false,
        );
    }
    for (key, selector) in [
        ("labelSelector", &term.label_selector),
        ("namespaceSelector", &term.namespace_selector),
    ] {
        if let Some(selector) = selector {
            label_selector(
                ck,
                &format!("{at}/{key}"),
                &format!("{field}.{key}"),
                selector,
            );
        }
    }
}

fn label_selector(ck: &mut Checker<'_>, at: &str, field: &str, s: &LabelSelector) {
    for (k, v) in s.match_labels.iter().flatten() {
        let at = Pointer::join(&format!("{at}/matchLabels"), k);
        label_key(ck, &at, &format!("{field}.matchLabels.{k}"), k, true);
        if let Some(problem) = k8s_names::label_value(v) {
            ck.error(
                ErrorKind::ScheduleLabelValue {
                    field: format!("{field}.matchLabels.{k}"),
                    problem,
                },
                &at,
                "not a label value",
            );
        }
    }
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let at = format!("{at}/matchExpressions/{i}");
        let field = format!("{field}.matchExpressions[{i}]");
        label_key(
            ck,
            &format!("{at}/key"),
            &format!("{field}.key"),
            &r.key,
            false,
        );
        values(
            ck,
            &at,
            &field,
            &r.operator,
            r.values.as_deref().unwrap_or_default(),
            false,
        );
    }
}

/// The values an operator needs: `In`/`NotIn` at least one, `Exists`/`DoesNotExist`
/// none, `Gt`/`Lt` (node selectors only) exactly one integer.
fn values(
    ck: &mut Checker<'_>,
    at: &str,
    field: &str,
    operator: &str,
    values: &[String],
    node: bool,
) {
    let problem = match operator {
        "In" | "NotIn" if values.is_empty() => Some((
            format!("`{operator}` needs at least one value"),
            "give the values to match, such as `values: [ssd]`, or use `Exists`",
        )),
        "Exists" | "DoesNotExist" if !values.is_empty() => Some((
            format!("`{operator}` takes no values"),
            "remove `values`, or use `In` to match them",
        )),
        "Gt" | "Lt" if node && (values.len() != 1 || values[0].parse::<i64>().is_err()) => Some((
            format!("`{operator}` needs exactly one integer value"),
            "write one whole number, such as `values: [\"4\"]`",
        )),
        _ => None,
    };
    if let Some((problem, help)) = problem {
        let pointer = if values.is_empty() {
            format!("{at}/operator")
        } else {
            format!("{at}/values")
        };
        ck.error(
            ErrorKind::SelectorValues {
                field: format!("{field}.values"),
                problem,
            },
            &pointer,
            "values do not fit the operator",
        )
        .help = Some(help.into());
    }
}

/// A key that must be a label key; `map_key` underlines the key of a mapping entry.
fn label_key(ck: &mut Checker<'_>, at: &str, field: &str, key: &str, map_key: bool) {
    let Some(problem) = k8s_names::qualified_name(key) else {
        return;
    };
    let (file, span) = if map_key {
        ck.locate_key(at)
    } else {
        ck.locate(at)
    };
    ck.errors.push(
        crate::diagnostic::Diagnostic::new(ErrorKind::ScheduleKey {
            field: field.to_owned(),
            problem: problem.text().to_owned(),
        })
        .at(&file, span, "not a label key")
        .with_help("a label key is an optional DNS prefix and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.`, such as `example.com/team`"),
    );
}
