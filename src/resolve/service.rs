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
                continue;
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
            continue;
        }
        ports.push((
            i,
            PortPlan {
                name: p.name.clone().unwrap_or_else(|| format!("port-{}", p.port)),
                port: i32::from(p.port),
                target_port: i32::from(target),
                protocol: p.protocol.unwrap_or(Protocol::TCP),
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

/// Ports must be unique per protocol, and port names unique.
fn check_unique(ck: &mut Checker<'_>, task: &TaskSpec, ports: &[(usize, PortPlan)]) {
    // A port may repeat with another protocol (DNS: 53/TCP and 53/UDP), not with the same.
    let keyed: Vec<(String, String)> = ports
        .iter()
        .map(|(i, p)| {
            (
                format!("/service_ports/{i}/port"),
                format!("{}/{}", p.port, p.protocol.as_str()),
            )
        })
        .collect();
    let before = ck.errors.len();
    ck.unique(
        "service port",
        keyed.iter().map(|(ptr, v)| (ptr.clone(), v.as_str())),
    );
    if ck.errors.len() == before {
        // Names are checked only among distinct ports: a repeated port repeats its default
        // name too, which would only say the same thing twice. A default name points at
        // the port it comes from.
        let named: Vec<(String, String)> = ports
            .iter()
            .map(|(i, p)| {
                let field = if task.service_ports[*i].name.is_some() {
                    "name"
                } else {
                    "port"
                };
                (format!("/service_ports/{i}/{field}"), p.name.clone())
            })
            .collect();
        ck.unique(
            "service port name",
            named.iter().map(|(ptr, v)| (ptr.clone(), v.as_str())),
        );
    }
}
