//! Resolving a `serve` Task's Service: port rules, defaults and the container ports they imply.

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::{PortPlan, ServicePlan};
use crate::profile::merge::Layer;
use crate::task::{Action, Protocol, ServiceType, TaskSpec};

/// The Service of a `serve` Task: port rules (SPEC section 1) checked, defaults applied.
/// A `serve` Task without ports renders no Service, and says so.
pub(super) fn service(ck: &mut Checker<'_>, task: &TaskSpec) -> Option<ServicePlan> {
    if task.action != Action::Serve {
        return None;
    }
    let type_ = task.service_type.unwrap_or(ServiceType::ClusterIP);
    if task.service_ports.is_empty() {
        let pointer = if ck.provenance.origin("/service_ports").0 == Layer::Task
            && ck.doc.spans.get("/service_ports").is_some()
        {
            "/service_ports"
        } else {
            "/action"
        };
        ck.warning(
            ErrorKind::NoService { name: task.name.clone() },
            pointer,
            "no `service_ports`",
        )
        .help = Some("add `service_ports: [{port: 80, targetPort: 8080}]` to expose the pods, or use `action: deploy` for a Deployment alone".into());
        return None;
    }
    if !super::k8s_names::is_dns1035_label(&task.name) {
        ck.error(
            ErrorKind::ServiceName {
                name: task.name.clone(),
            },
            "/name",
            "starts with a digit",
        )
        .help =
            Some("a Service name is a DNS-1035 label: start the Task's name with a letter".into());
    }
    let mut ports = Vec::with_capacity(task.service_ports.len());
    for (i, p) in task.service_ports.iter().enumerate() {
        let at = |field: &str| format!("/service_ports/{i}/{field}");
        let target = match (p.target_port_camel, p.target_port_snake) {
            (Some(_), Some(_)) => {
                ck.error(
                    ErrorKind::TargetPortTwice {
                        field: format!("service_ports[{i}]"),
                        problem: "both `targetPort` and `target_port` are given".into(),
                    },
                    &at("target_port"),
                    "second spelling",
                )
                .help = Some(
                    "`target_port` is the reference SDK's spelling of `targetPort`: keep one"
                        .into(),
                );
                // Still checked for duplicates below, so every problem shows in one run.
                p.target_port_camel.unwrap_or(p.port)
            }
            (camel, snake) => camel.or(snake).unwrap_or(p.port),
        };
        if let Some(node_port) = p.node_port
            && type_ == ServiceType::ClusterIP
        {
            let d = ck.error(
                ErrorKind::NodePortType { field: format!("service_ports[{i}].nodePort"), problem: format!("`nodePort: {node_port}` needs a `NodePort` or `LoadBalancer` Service, not `ClusterIP`") },
                &at("nodePort"),
                "needs service_type NodePort or LoadBalancer",
            );
            d.help = Some("set `service_type: NodePort`, or remove `nodePort`".into());
        } else if let Some(node_port) = p.node_port
            && !NODE_PORTS.contains(&node_port)
        {
            ck.error(
                ErrorKind::NodePortRange { port: node_port },
                &at("nodePort"),
                "outside 30000-32767",
            )
            .help = Some("pick a port from 30000 to 32767 (the API server's default `--service-node-port-range`), or remove `nodePort` to let Kubernetes pick one".into());
        }
        let protocol = p.protocol.unwrap_or(Protocol::TCP);
        ports.push((
            i,
            PortPlan {
                name: p
                    .name
                    .clone()
                    .unwrap_or_else(|| default_name(p.port, protocol)),
                port: i32::from(p.port),
                target_port: i32::from(target),
                protocol,
                node_port: p.node_port.map(i32::from),
            },
        ));
    }
    check_unique(ck, task, &ports);
    Some(ServicePlan {
        name: task.service_name.clone(),
        type_,
        ports: ports.into_iter().map(|(_, p)| p).collect(),
    })
}

/// The node ports a Service may ask for: the API server's default range.
const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;

/// The name of an unnamed port: `port-<port>` for TCP, `port-<port>-udp` and
/// `port-<port>-sctp` otherwise, so `53/TCP` and `53/UDP` get distinct names (at most 15
/// characters: `port-65535-sctp`).
fn default_name(port: u16, protocol: Protocol) -> String {
    match protocol {
        Protocol::TCP => format!("port-{port}"),
        other => format!("port-{port}-{}", other.as_str().to_ascii_lowercase()),
    }
}

/// Every distinct target port of the Service, as a container port.
pub(super) fn container_ports(service: &ServicePlan) -> Vec<(i32, Protocol)> {
    let mut out: Vec<(i32, Protocol)> = Vec::new();
    for p in &service.ports {
        if !out.contains(&(p.target_port, p.protocol)) {
            out.push((p.target_port, p.protocol));
        }
    }
    out
}

/// Ports must be unique per protocol, node ports too, and port names unique. Every rule
/// is checked, whatever the others found.
fn check_unique(ck: &mut Checker<'_>, task: &TaskSpec, ports: &[(usize, PortPlan)]) {
    // A port may repeat with another protocol (DNS: 53/TCP and 53/UDP), not with the same.
    let key = |port: i32, p: &PortPlan| format!("{port}/{}", p.protocol.as_str());
    let keyed: Vec<(String, String)> = ports
        .iter()
        .map(|(i, p)| (format!("/service_ports/{i}/port"), key(p.port, p)))
        .collect();
    ck.unique(
        "service port",
        keyed.iter().map(|(ptr, v)| (ptr.clone(), v.as_str())),
    );
    let node_ports: Vec<(String, String)> = ports
        .iter()
        .filter_map(|(i, p)| Some((format!("/service_ports/{i}/nodePort"), key(p.node_port?, p))))
        .collect();
    ck.unique(
        "node port",
        node_ports.iter().map(|(ptr, v)| (ptr.clone(), v.as_str())),
    );
    // A repeated unnamed port repeats its default name too, which would only say the same
    // thing twice: default names count only for the first of a repeated port. A default
    // name points at the port it comes from.
    let mut seen = std::collections::BTreeSet::new();
    let named: Vec<(String, String)> = ports
        .iter()
        .zip(&keyed)
        .filter_map(|((i, p), (_, k))| {
            let first = seen.insert(k.clone());
            let explicit = task.service_ports[*i].name.is_some();
            let field = if explicit { "name" } else { "port" };
            (explicit || first).then(|| (format!("/service_ports/{i}/{field}"), p.name.clone()))
        })
        .collect();
    ck.unique(
        "service port name",
        named.iter().map(|(ptr, v)| (ptr.clone(), v.as_str())),
    );
}
