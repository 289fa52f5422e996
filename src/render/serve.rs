//! `serve` → `apps/v1 Deployment` + `v1 Service`; `deploy` → `apps/v1 Deployment`.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{metadata, pod};
use crate::plan::{Plan, ServicePlan};

/// The Deployment of a `serve` or `deploy` Task. Its selector uses only the stable labels,
/// so changing the Task's `labels` never orphans running pods.
pub(super) fn deployment(plan: &Plan, replicas: i32) -> Deployment {
    Deployment {
        metadata: metadata(plan, &plan.name),
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(plan.selector.clone()),
                match_expressions: None,
            },
            template: pod::template(plan, None),
            ..DeploymentSpec::default()
        },
        status: None,
    }
}

pub(super) fn service(plan: &Plan, service: &ServicePlan) -> Service {
    Service {
        metadata: metadata(plan, service.name.as_deref().unwrap_or(&plan.name)),
        spec: Some(ServiceSpec {
            type_: Some(service.type_.as_str().to_owned()),
            selector: Some(plan.selector.clone()),
            ports: Some(
                service
                    .ports
                    .iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: p.port,
                        target_port: Some(IntOrString::Int(p.target_port)),
                        protocol: Some(p.protocol.as_str().to_owned()),
                        node_port: p.node_port,
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}
