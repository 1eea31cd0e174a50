//! The `service-port` layer: the port asked for is a port of the Service
//! (by number or name, or a node port, for the protocol), and its
//! `targetPort` resolves to a container port on the endpoint pods
//! (<https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service>).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Service, ServicePort};

use super::text::{at, code, count, pod_id, ports_list};
use super::{Ctx, Flow, Layer, Status, Step, Via, Walk};
use crate::endpoints::{EndpointExclusion, PortEndpoint, PortEndpoints};
use crate::model::{Cluster, Object};
use crate::ports::Protocol;
use crate::service::{
    find_node_port, find_service_port, node_port, port_name, port_protocol, resolve_target_port,
    service_ports, target_port, NodePortState, PortRef, ServiceRef,
};
use crate::shell::quote;

/// The `service-port` layer of a Service with a virtual IP: blocks when the
/// port is not the Service's, or its `targetPort` resolves on no pod;
/// returns the port and its endpoints. `outside`: the client is outside
/// the cluster.
pub(super) fn service_port_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    service: &'c Object<Service>,
    asked: &PortRef,
    via: &Via,
    outside: bool,
) -> Flow<(&'c ServicePort, PortEndpoints)> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let kubectl = format!(
        "kubectl get service -n {} {} -o jsonpath='{{.spec.ports}}'",
        quote(&reference.namespace),
        quote(&reference.name)
    );
    let by_node_port = matches!(via, Via::NodePort { .. });
    let found = match (by_node_port, asked) {
        (true, PortRef::Number(number)) => find_node_port(value, *number, ctx.protocol),
        (true, PortRef::Name(_)) => None,
        (false, _) => find_service_port(value, asked, ctx.protocol),
    };
    let Some(port) = found else {
        let step = unknown_port_step(cluster, value, asked, ctx.protocol, by_node_port);
        return walk.block(step.kubectl(kubectl));
    };
    let index = service_ports(value).iter().position(|p| std::ptr::eq(p, port)).unwrap_or(0);
    let location = at(&service.origin.field_location(&format!("spec.ports[{index}]")));
    let endpoints = crate::endpoints::port_endpoints(cluster, value, port);
    let mut step = Step::new(Layer::ServicePort, Status::Pass, port_summary(port, &endpoints, via))
        .evidence([format!("port {}{location}", port.port)])
        .kubectl(kubectl);
    if outside && matches!(via, Via::Named) {
        step = with_node_port(step, value, port);
    }
    let target = TargetPort { service, index, port, protocol: ctx.protocol };
    let step = with_target_port_coverage(step, cluster, &target, &endpoints);
    walk.add(step)?;
    Ok((port, endpoints))
}

/// The failing step when `asked` is not a port (or node port) of the
/// Service for `protocol`, with what was likely meant.
pub(super) fn unknown_port_step(
    cluster: &Cluster,
    service: &Service,
    asked: &PortRef,
    protocol: Protocol,
    by_node_port: bool,
) -> Step {
    let id = code(ServiceRef::of(service).id());
    let (evidence, fix) = port_hints(cluster, service, asked, protocol, by_node_port);
    let what = if by_node_port { "node port" } else { "port" };
    Step::new(Layer::ServicePort, Status::Fail, format!("{id} has no {protocol} {what} {}", code(asked)))
        .evidence(evidence)
        .fix(fix)
}

/// `port 80 (`http`, TCP) → targetPort `web` = 8080 on the pods`, with the
/// node port first when the connection arrives on it.
fn port_summary(port: &ServicePort, endpoints: &PortEndpoints, via: &Via) -> String {
    let resolved: BTreeSet<i32> = endpoints.endpoints.iter().filter_map(|e| e.port).collect();
    let target_text = match (&target_port(port), resolved.len()) {
        (PortRef::Name(name), 1..) => format!(
            "targetPort {} = {} on the pods",
            code(name),
            resolved.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        ),
        (PortRef::Name(name), 0) => format!("targetPort {}", code(name)),
        (PortRef::Number(number), _) => format!("targetPort {number}"),
    };
    let name = port_name(port).map(|n| format!("{}, ", code(n))).unwrap_or_default();
    let summary = format!("port {} ({name}{}) → {target_text}", port.port, port_protocol(port));
    match (via, port.node_port) {
        (Via::NodePort { .. }, Some(node_port)) => format!("node port {node_port} → {summary}"),
        _ => summary,
    }
}

/// From outside by name, the node port that carries the Service port: one
/// outside 30000–32767 is a Service the API server rejects.
fn with_node_port(mut step: Step, service: &Service, port: &ServicePort) -> Step {
    match node_port(service, port) {
        NodePortState::Assigned { node_port } => {
            step.evidence.push(format!("node port {node_port} on every node"))
        }
        NodePortState::Unallocated => {
            step.evidence.push("node port assigned at creation (not in the input)".to_owned())
        }
        NodePortState::OutOfRange { node_port } => {
            step.status = Status::Fail;
            step.evidence.push(format!(
                "node port {node_port} is outside 30000–32767: the API server rejects the Service"
            ));
            step.fix = "use a node port within 30000–32767, or leave it out to get one assigned".to_owned();
        }
        NodePortState::None => {}
    }
    step
}

/// The Service port whose `targetPort` is resolved on the pods.
struct TargetPort<'a> {
    service: &'a Object<Service>,
    /// Its index in `spec.ports`, for locations.
    index: usize,
    port: &'a ServicePort,
    protocol: Protocol,
}

/// A named `targetPort` resolves per pod: pods without a container port of
/// that name get no traffic (a warning), and when no pod has one the port
/// leads nowhere (a failure).
fn with_target_port_coverage(
    mut step: Step,
    cluster: &Cluster,
    target: &TargetPort<'_>,
    endpoints: &PortEndpoints,
) -> Step {
    let missing: Vec<&PortEndpoint> = endpoints
        .endpoints
        .iter()
        .filter(|e| matches!(e.exclusion, Some(EndpointExclusion::TargetPortNotFound { .. })))
        .collect();
    if missing.is_empty() {
        return step;
    }
    let missing_pods: u32 = missing.iter().map(|e| e.replicas).sum();
    let resolving: u32 = endpoints.endpoints.iter().filter(|e| e.port.is_some()).map(|e| e.replicas).sum();
    for pod in missing.iter().filter_map(|e| e.pod) {
        step.evidence.push(format!(
            "{} declares {}",
            code(pod_id(cluster.pod(pod))),
            ports_list(cluster, pod)
        ));
    }
    if resolving > 0 {
        step.status = Status::Warn;
        step.summary = format!(
            "{}; it resolves on {} of {}: the others get no traffic",
            step.summary,
            resolving,
            count(resolving + missing_pods, "pod")
        );
        return step;
    }
    let id = code(ServiceRef::of(&target.service.value).id());
    step.status = Status::Fail;
    step.summary = format!(
        "targetPort {} of {id} port {} is not a {} container port of the selected pods",
        code(target_port(target.port)),
        target.port.port,
        target.protocol
    );
    step.fix = unresolved_target_port_fix(cluster, target, &missing);
    step
}

/// Point `targetPort` at a port the pods declare, or name their port.
fn unresolved_target_port_fix(
    cluster: &Cluster,
    target: &TargetPort<'_>,
    missing: &[&PortEndpoint],
) -> String {
    let location =
        at(&target.service.origin.field_location(&format!("spec.ports[{}].targetPort", target.index)));
    let declared: BTreeSet<String> = missing
        .iter()
        .filter_map(|e| e.pod)
        .flat_map(|pod| {
            cluster
                .pod(pod)
                .container_ports()
                .filter(|p| p.protocol == target.protocol.as_str())
                .collect::<Vec<_>>()
        })
        .map(|p| match p.name {
            Some(name) => format!("{} ({})", code(name), p.port),
            None => p.port.to_string(),
        })
        .collect();
    let number = target.port.port;
    let name = code(target_port(target.port));
    if declared.is_empty() {
        format!(
            "set `targetPort` of port {number}{location} to the port the pods listen on, or declare a container port named {name}"
        )
    } else {
        format!(
            "set `targetPort` of port {number}{location} to a port the pods declare ({}), or name their container port {name}",
            declared.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// Why a port is not a port of the Service, and what was likely meant.
fn port_hints(
    cluster: &Cluster,
    service: &Service,
    asked: &PortRef,
    protocol: Protocol,
    by_node_port: bool,
) -> (Vec<String>, String) {
    let id = code(ServiceRef::of(service).id());
    let mut evidence = Vec::new();
    let ports = service_ports(service);
    for port in ports {
        let name = port_name(port).map(|n| format!(" ({})", code(n))).unwrap_or_default();
        let node = match node_port(service, port) {
            NodePortState::Assigned { node_port } => format!(", node port {node_port}"),
            _ => String::new(),
        };
        evidence.push(format!(
            "{id} port {} {}{name} → targetPort {}{node}",
            port_protocol(port),
            port.port,
            code(target_port(port))
        ));
    }
    if ports.is_empty() {
        evidence.push(format!("{id} has no ports"));
        return (evidence, format!("add a port to {id}"));
    }
    if by_node_port {
        return (evidence, "connect to one of the node ports above".to_owned());
    }
    let other = Protocol::ALL
        .into_iter()
        .filter(|p| *p != protocol)
        .find(|p| find_service_port(service, asked, *p).is_some());
    if let Some(other) = other {
        return (
            evidence,
            format!(
                "{} is a {other} port: trace with `--protocol {}`",
                code(asked),
                other.as_str().to_ascii_lowercase()
            ),
        );
    }
    if let PortRef::Number(number) = asked {
        let pods = cluster.pods_selected_by_service(service);
        let behind = ports.iter().find(|port| {
            port_protocol(port) == protocol
                && pods.iter().any(|id| resolve_target_port(port, cluster.pod(*id)) == Ok(*number))
        });
        if let Some(port) = behind {
            let name = port_name(port).map(|n| format!(" ({})", code(n))).unwrap_or_default();
            evidence.push(format!("{number} is the container port behind Service port {}{name}", port.port));
            return (
                evidence,
                format!("connect to the Service port, {}{name}, not to the container port", port.port),
            );
        }
    }
    let offered: Vec<String> =
        ports.iter().filter(|p| port_protocol(p) == protocol).map(|p| p.port.to_string()).collect();
    if offered.is_empty() {
        return (evidence, format!("add a {protocol} port {} to {id}", code(asked)));
    }
    (evidence, format!("use port {}, or add port {} to {id}", offered.join(" or "), code(asked)))
}
