//! The `service-type`, `service-port`, `endpoints` and `readiness` layers,
//! and the pod-to-pod path that has none of them.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Service, ServicePort};

use super::text::{
    at, close_matches, code, count, declared_ports, kubectl_pods, labels_text, pod_id, ports_list,
};
use super::{exposure_steps, policy_layers, snat_layers};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Via, Walk};
use crate::dns;
use crate::endpoints::{service_endpoints, EndpointExclusion, EndpointSource, PortEndpoint, PortEndpoints};
use crate::model::{Cluster, Object, PodId, Readiness};
use crate::ports::Protocol;
use crate::service::{
    cluster_ips, external_ips, external_name, external_traffic_policy, find_node_port, find_service_port,
    internal_traffic_policy, node_port, port_name, port_protocol, publishes_not_ready_addresses,
    resolve_target_port, selector, service_kind, service_ports, target_port, NodePortState, PortRef,
    ServiceKind, ServiceRef, TrafficPolicy,
};
use crate::shell::quote;

/// What a Service leads to after its `service-type` layer.
enum Target<'c> {
    /// This Service (or the in-cluster Service an `ExternalName` aliases).
    Service(&'c Object<Service>),
    /// An `ExternalName` outside the cluster.
    Outside(String),
}

/// A connection to a Service: `service-type`, `service-port`, `endpoints`,
/// `readiness`, then the policy layers on the endpoints.
pub(super) fn service_path<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    client: Client,
    service: &'c Object<Service>,
    port: &PortRef,
    via: Via,
) -> Flow<()> {
    let service = match service_type_step(ctx, walk, client, service, &via)? {
        Target::Service(service) => service,
        Target::Outside(name) => {
            let reason = "an `ExternalName` Service has no ports, endpoints or proxying";
            for layer in [Layer::ServicePort, Layer::Endpoints, Layer::Readiness] {
                walk.skip(layer, reason);
            }
            return policy_layers::outside_path(ctx, walk, client, &name, None, port);
        }
    };
    if service_kind(&service.value) == Some(ServiceKind::Headless) {
        return headless_path(ctx, walk, client, service, port, &via);
    }
    let outside = matches!(client, Client::External(_));
    let (service_port, endpoints) = service_port_step(ctx, walk, service, port, &via, outside)?;
    endpoints_step(ctx, walk, service, &endpoints)?;
    let backends = readiness_step(ctx, walk, client, service, endpoints, &via)?;
    let hop = Hop { service: Some(&service.value), service_port: Some(service_port.port) };
    let nodes = exposure_steps::snat_sources(ctx.cluster, client, &service.value, &via);
    if !nodes.is_empty() {
        return snat_layers::policy_path(ctx, walk, &nodes, &backends, hop);
    }
    ctx.snat_hidden = exposure_steps::snat_hides_nodes(ctx.cluster, client, &service.value, &via);
    let (client, _) = exposure_steps::client_at_pods(ctx.cluster, client, &service.value, &via);
    policy_layers::policy_path(ctx, walk, client, &backends, hop)
}

/// Pod to pod: no Service; the readiness of the pods and the policies on them.
#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
pub(super) fn pod_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    pods: &[PodId],
    port: &PortRef,
) -> Flow<()> {
    let cluster = ctx.cluster;
    if matches!(client, Client::External(_)) {
        let step = Step::new(
            Layer::ServiceType,
            Status::Warn,
            "no Service: pod addresses are reachable from outside the cluster only where the network routes them (a flat cloud network); usually they are not",
        )
        .fix("expose the pods with a `NodePort` or `LoadBalancer` Service, or an Ingress");
        walk.add(step)?;
    } else {
        walk.skip(Layer::ServiceType, "pod to pod: no Service, no NAT");
    }
    walk.skip(Layer::ServicePort, "pod to pod: the port is the container port");
    walk.skip(Layer::Endpoints, "pod to pod: no Service endpoints");

    let first = cluster.pod(pods[0]);
    let mut evidence = Vec::new();
    let mut alive = Vec::new();
    let mut not_ready = 0;
    for &id in pods {
        let pod = cluster.pod(id);
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if let Some(phase @ ("Succeeded" | "Failed")) = phase {
            evidence.push(format!("{} has finished ({phase})", code(pod_id(pod))));
            continue;
        }
        match pod.readiness() {
            Readiness::NotReady => {
                not_ready += ctx.replicas(id);
                evidence.push(format!(
                    "{} is not ready: Services send it nothing, direct connections still arrive",
                    code(pod_id(pod))
                ));
            }
            Readiness::Unknown => {
                evidence.push(format!("{} has no status in the input: assumed running", code(pod_id(pod))))
            }
            Readiness::Ready => {}
        }
        alive.push(id);
    }
    let total: u32 = pods.iter().map(|id| ctx.replicas(*id)).sum();
    let kubectl = match ctx.replica(pods[0]) {
        Some(replica) => {
            let name = replica.name.rsplit('/').next().unwrap_or_default();
            format!("kubectl get pod -n {} {name} -o wide", first.namespace)
        }
        None => kubectl_pods(cluster, first),
    };
    if alive.is_empty() {
        let step = Step::new(Layer::Readiness, Status::Fail, "the destination pods have all finished")
            .evidence(evidence)
            .fix("trace to a running pod")
            .kubectl(kubectl);
        return walk.block(step);
    }
    let status = if not_ready > 0 { Status::Warn } else { Status::Pass };
    let running: u32 = alive.iter().map(|id| ctx.replicas(*id)).sum();
    let unknown = alive.iter().all(|id| cluster.pod(*id).readiness() == Readiness::Unknown);
    let summary = if unknown {
        evidence.clear();
        format!("{} (assumed running: the input has no pod status)", count(total, "pod"))
    } else {
        format!("{} of {} running, {} ready", running, count(total, "pod"), running - not_ready)
    };
    walk.add(Step::new(Layer::Readiness, status, summary).evidence(evidence).kubectl(kubectl))?;

    let protocol = ctx.protocol;
    let mut backends = Vec::new();
    for &id in &alive {
        let pod = cluster.pod(id);
        let number = match port {
            PortRef::Number(number) => Some(*number),
            PortRef::Name(name) => pod.named_port(name, protocol.as_str()),
        };
        if let Some(number) = number {
            backends.push(pod_backend(ctx, id, number));
        }
    }
    if backends.is_empty() {
        for layer in [Layer::NetworkPolicyEgress, Layer::NetworkPolicyIngress, Layer::Cni] {
            walk.skip(layer, format!("not checked: no port number for {}", code(port)));
        }
        let step = Step::new(
            Layer::Destination,
            Status::Fail,
            format!("no container port named {} ({protocol}) on {}", code(port), code(pod_id(first))),
        )
        .evidence(declared_ports(cluster, alive[0]))
        .fix("use a port number, or a port name the pod declares")
        .kubectl(kubectl_pods(cluster, first));
        walk.add(step)?;
    }
    policy_layers::policy_path(ctx, walk, client, &backends, Hop { service: None, service_port: None })
}

/// A node's address without a Service on that port.
pub(super) fn node_without_service(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    node: &str,
    address: &str,
    port: &PortRef,
) -> Flow<()> {
    let mut evidence = Vec::new();
    for service in ctx.cluster.services() {
        for service_port in service_ports(&service.value) {
            if let NodePortState::Assigned { node_port } = node_port(&service.value, service_port) {
                evidence.push(format!(
                    "{} has node port {node_port} ({})",
                    code(ServiceRef::of(&service.value).id()),
                    port_protocol(service_port)
                ));
            }
        }
    }
    let step = Step::new(
        Layer::ServiceType,
        Status::Fail,
        format!(
            "{} is node {}, and no `NodePort` or `LoadBalancer` Service uses node port {}",
            code(address),
            code(node),
            code(port)
        ),
    )
    .evidence(evidence)
    .fix("connect to a node port of a Service, or give the Service `type: NodePort`")
    .kubectl("kubectl get services -A -o wide");
    walk.block(step)
}

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
fn service_type_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    client: Client,
    service: &'c Object<Service>,
    via: &Via,
) -> Flow<Target<'c>> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let id = code(reference.id());
    let kubectl =
        format!("kubectl get service -n {} {} -o wide", quote(&reference.namespace), quote(&reference.name));
    let defined = at(&service.origin.field_location("spec.type"));
    let outside = matches!(client, Client::External(_)) && !via.proxied();
    let Some(kind) = service_kind(value) else {
        let type_ = value.spec.as_ref().and_then(|s| s.type_.clone()).unwrap_or_default();
        let step =
            Step::new(Layer::ServiceType, Status::Fail, format!("{id} has an unknown type {}", code(type_)))
                .evidence([format!("type{defined}")])
                .fix("use `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`")
                .kubectl(kubectl);
        return walk.block(step);
    };
    let expose = format!(
        "expose it with an Ingress whose backend is {}, or make it `type: LoadBalancer` (with a load-balancer provisioner) or `type: NodePort`",
        id
    );
    let step = match kind {
        ServiceKind::ExternalName => {
            let Some(target) = external_name(value) else {
                let step = Step::new(Layer::ServiceType, Status::Fail, format!("{id} is `ExternalName` without `externalName`"))
                    .fix("set `spec.externalName` to the DNS name the Service stands for")
                    .kubectl(kubectl);
                return walk.block(step);
            };
            let target = target.trim_end_matches('.').to_ascii_lowercase();
            let summary = format!(
                "{id} is `ExternalName`: a DNS CNAME to {}; no proxying, no ports, no NetworkPolicy on the Service",
                code(&target)
            );
            if outside {
                let step = Step::new(
                    Layer::ServiceType,
                    Status::Fail,
                    format!("{id} is `ExternalName`: a CNAME in cluster DNS, with nothing to connect to from outside the cluster"),
                )
                .fix(format!("connect to {} directly", code(&target)))
                .kubectl(kubectl);
                return walk.block(step);
            }
            let status = if via.proxied() { Status::Warn } else { Status::Pass };
            let mut step = Step::new(Layer::ServiceType, status, summary).kubectl(kubectl);
            if *via == Via::Ingress {
                step.evidence.push(
                    "the controller proxies to the name: ingress-nginx does, not every controller does".to_owned(),
                );
            } else if *via == Via::Gateway {
                step.evidence.push(
                    "whether the Gateway proxies to the name depends on its implementation: the Gateway API leaves `ExternalName` backends implementation-specific".to_owned(),
                );
            }
            let zone = cluster.cluster_domain();
            if target == zone || target.ends_with(&format!(".{zone}")) {
                let answer = dns::lookup(cluster, &target, dns::QueryType::A);
                let inner = answer
                    .records()
                    .into_iter()
                    .filter(|r| matches!(r.data, dns::RecordData::A { .. }))
                    .find_map(|r| r.service.as_ref())
                    .and_then(|s| cluster.service(&s.namespace, &s.name));
                let Some(inner) = inner else {
                    step.status = Status::Fail;
                    step.summary = format!("{id} is a CNAME to {}, which does not resolve in the cluster", code(&target));
                    step.fix = format!("point `externalName` of {id} at an existing Service");
                    return walk.block(step);
                };
                let inner_id = ServiceRef::of(&inner.value).id();
                step.evidence.push(format!("{} is Service {}", code(&target), code(&inner_id)));
                walk.add(step)?;
                return Ok(Target::Service(inner));
            }
            walk.add(step)?;
            return Ok(Target::Outside(target));
        }
        ServiceKind::Headless if outside => Step::new(
            Layer::ServiceType,
            Status::Fail,
            format!("{id} is headless (`clusterIP: None`): it has no address, and its pods' addresses are not reachable from outside the cluster"),
        )
        .fix(expose),
        ServiceKind::Headless => Step::new(
            Layer::ServiceType,
            Status::Pass,
            format!("{id} is headless (`clusterIP: None`): no virtual IP, clients connect to the ready pods directly"),
        ),
        _ => match via {
            Via::ClusterIp | Via::Named if outside => {
                let externals = external_ips(value);
                if via == &Via::Named && (kind.has_node_ports() || !externals.is_empty()) {
                    let step = exposed_step(cluster, value, kind, &id, &externals);
                    if kind == ServiceKind::LoadBalancer {
                        exposure_steps::apply_source_ranges(step, value, client)
                    } else {
                        step
                    }
                } else {
                    Step::new(
                        Layer::ServiceType,
                        Status::Fail,
                        format!("{id} is `ClusterIP`: reachable only from inside the cluster, by design"),
                    )
                    .evidence([format!("type `{}`{defined}", kind.as_str())])
                    .fix(expose)
                }
            }
            Via::ClusterIp | Via::Named => {
                let ips = cluster_ips(value);
                let address = match ips.first() {
                    Some(ip) => format!("cluster IP {}", code(ip)),
                    None => "a cluster IP assigned at creation".to_owned(),
                };
                Step::new(Layer::ServiceType, Status::Pass, format!("{id} is `{}`, with {address}", kind.as_str()))
            }
            Via::Ingress | Via::Gateway => Step::new(
                Layer::ServiceType,
                Status::Pass,
                format!("{id} is `{}`: {} to its endpoints", kind.as_str(), via.proxy_sends()),
            ),
            Via::NodePort { node, address } => {
                let mut step = Step::new(
                    Layer::ServiceType,
                    Status::Pass,
                    format!("{id} is `{}`: every node listens on its node ports", kind.as_str()),
                );
                step.evidence.push(match node {
                    Some(node) => format!("{} is node {}", code(address), code(node)),
                    None => format!("{} is not a node of the input: assumed to be one", code(address)),
                });
                step
            }
            Via::LoadBalancer { address } => exposure_steps::apply_source_ranges(
                Step::new(
                    Layer::ServiceType,
                    Status::Pass,
                    format!("{id} is `LoadBalancer`, provisioned at {}", code(address)),
                ),
                value,
                client,
            ),
            Via::ExternalIp { address } => Step::new(
                Layer::ServiceType,
                Status::Pass,
                format!("{id} lists {} in `externalIPs`: nodes receiving traffic for it forward it", code(address)),
            ),
        },
    };
    walk.add(step.kubectl(kubectl))?;
    Ok(Target::Service(service))
}

/// A `NodePort` or `LoadBalancer` Service (or one with `externalIPs`)
/// reached from outside by name.
fn exposed_step(
    cluster: &Cluster,
    value: &Service,
    kind: ServiceKind,
    id: &str,
    externals: &[String],
) -> Step {
    if kind == ServiceKind::LoadBalancer {
        return exposure_steps::load_balancer_step(cluster, value, id);
    }
    if kind == ServiceKind::NodePort {
        return Step::new(
            Layer::ServiceType,
            Status::Pass,
            format!("{id} is `NodePort`: every node listens on its node ports"),
        );
    }
    Step::new(
        Layer::ServiceType,
        Status::Pass,
        format!(
            "{id} is `ClusterIP` with `externalIPs` {}",
            externals.iter().map(code).collect::<Vec<_>>().join(", ")
        ),
    )
}

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
fn service_port_step<'c>(
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
    let id = code(reference.id());
    let protocol = ctx.protocol;
    let kubectl = format!(
        "kubectl get service -n {} {} -o jsonpath='{{.spec.ports}}'",
        quote(&reference.namespace),
        quote(&reference.name)
    );
    let by_node_port = matches!(via, Via::NodePort { .. });
    let found = match (by_node_port, asked) {
        (true, PortRef::Number(number)) => find_node_port(value, *number, protocol),
        (true, PortRef::Name(_)) => None,
        (false, _) => find_service_port(value, asked, protocol),
    };
    let Some(port) = found else {
        let (evidence, fix) = port_hints(cluster, value, asked, protocol, by_node_port);
        let what = if by_node_port { "node port" } else { "port" };
        let step = Step::new(
            Layer::ServicePort,
            Status::Fail,
            format!("{id} has no {protocol} {what} {}", code(asked)),
        )
        .evidence(evidence)
        .fix(fix)
        .kubectl(kubectl);
        return walk.block(step);
    };
    let index = service_ports(value).iter().position(|p| std::ptr::eq(p, port)).unwrap_or(0);
    let location = at(&service.origin.field_location(&format!("spec.ports[{index}]")));
    let mut evidence = Vec::new();
    let mut status = Status::Pass;
    let mut fix = String::new();
    if outside && matches!(via, Via::Named) {
        match node_port(value, port) {
            NodePortState::Assigned { node_port } => {
                evidence.push(format!("node port {node_port} on every node"))
            }
            NodePortState::Unallocated => {
                evidence.push("node port assigned at creation (not in the input)".to_owned())
            }
            NodePortState::OutOfRange { node_port } => {
                status = Status::Fail;
                evidence.push(format!(
                    "node port {node_port} is outside 30000–32767: the API server rejects the Service"
                ));
                fix = "use a node port within 30000–32767, or leave it out to get one assigned".to_owned();
            }
            NodePortState::None => {}
        }
    }
    let endpoints = crate::endpoints::port_endpoints(cluster, value, port);
    let target = target_port(port);
    let resolved: BTreeSet<i32> = endpoints.endpoints.iter().filter_map(|e| e.port).collect();
    let missing: Vec<&PortEndpoint> = endpoints
        .endpoints
        .iter()
        .filter(|e| matches!(e.exclusion, Some(EndpointExclusion::TargetPortNotFound { .. })))
        .collect();
    let target_text = match (&target, resolved.len()) {
        (PortRef::Name(name), 1..) => format!(
            "targetPort {} = {} on the pods",
            code(name),
            resolved.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        ),
        (PortRef::Name(name), 0) => format!("targetPort {}", code(name)),
        (PortRef::Number(number), _) => format!("targetPort {number}"),
    };
    let name = port_name(port).map(|n| format!("{}, ", code(n))).unwrap_or_default();
    let mut summary = format!("port {} ({name}{}) → {target_text}", port.port, port_protocol(port));
    if let (Via::NodePort { .. }, Some(node_port)) = (via, port.node_port) {
        summary = format!("node port {node_port} → {summary}");
    }
    if !missing.is_empty() {
        let missing_pods: u32 = missing.iter().map(|e| e.replicas).sum();
        let resolving: u32 =
            endpoints.endpoints.iter().filter(|e| e.port.is_some()).map(|e| e.replicas).sum();
        for endpoint in &missing {
            if let Some(pod) = endpoint.pod {
                evidence.push(format!(
                    "{} declares {}",
                    code(pod_id(cluster.pod(pod))),
                    ports_list(cluster, pod)
                ));
            }
        }
        let target_location = at(&service.origin.field_location(&format!("spec.ports[{index}].targetPort")));
        if resolving == 0 {
            status = Status::Fail;
            summary = format!(
                "targetPort {} of {id} port {} is not a {protocol} container port of the selected pods",
                code(&target),
                port.port
            );
            let declared: BTreeSet<String> = missing
                .iter()
                .filter_map(|e| e.pod)
                .flat_map(|pod| {
                    cluster
                        .pod(pod)
                        .container_ports()
                        .filter(|p| p.protocol == protocol.as_str())
                        .collect::<Vec<_>>()
                })
                .map(|p| match p.name {
                    Some(name) => format!("{} ({})", code(name), p.port),
                    None => p.port.to_string(),
                })
                .collect();
            fix = if declared.is_empty() {
                format!(
                    "set `targetPort` of port {}{target_location} to the port the pods listen on, or declare a container port named {}",
                    port.port,
                    code(&target)
                )
            } else {
                format!(
                    "set `targetPort` of port {}{target_location} to a port the pods declare ({}), or name their container port {}",
                    port.port,
                    declared.into_iter().collect::<Vec<_>>().join(", "),
                    code(&target)
                )
            };
        } else {
            status = Status::Warn;
            summary = format!(
                "{summary}; it resolves on {} of {}: the others get no traffic",
                resolving,
                count(resolving + missing_pods, "pod")
            );
        }
    }
    evidence.insert(0, format!("port {}{location}", port.port));
    let step = Step::new(Layer::ServicePort, status, summary).evidence(evidence).fix(fix).kubectl(kubectl);
    walk.add(step)?;
    Ok((port, endpoints))
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

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
fn endpoints_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    service: &Object<Service>,
    endpoints: &PortEndpoints,
) -> Flow<()> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let id = code(reference.id());
    let kubectl = format!(
        "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
        quote(&reference.namespace),
        quote(&reference.name)
    );
    let counts = endpoints.counts();
    let source = match &endpoints.source {
        EndpointSource::EndpointSlices { names } => {
            format!(
                "from EndpointSlice{} {}",
                if names.len() == 1 { "" } else { "s" },
                names.iter().map(code).collect::<Vec<_>>().join(", ")
            )
        }
        EndpointSource::Endpoints { name } => format!("from Endpoints {}", code(name)),
        EndpointSource::ComputedWithEndpointSlices { names } => format!(
            "computed from the selector {}, plus custom EndpointSlice{} {}",
            code(selector(value).map(labels_text).unwrap_or_default()),
            if names.len() == 1 { "" } else { "s" },
            names.iter().map(code).collect::<Vec<_>>().join(", ")
        ),
        EndpointSource::Computed => match selector(value) {
            Some(selector) => format!("computed from the selector {}", code(labels_text(selector))),
            None => "computed".to_owned(),
        },
        EndpointSource::None => String::new(),
    };
    let fail = |summary: String, evidence: Vec<String>, fix: String| {
        Step::new(Layer::Endpoints, Status::Fail, summary)
            .evidence(evidence)
            .fix(fix)
            .kubectl(kubectl.clone())
    };
    if endpoints.source == EndpointSource::None {
        walk.add(fail(
            format!("{id} has no selector, and the input has no EndpointSlices for it: nothing receives its traffic"),
            Vec::new(),
            format!("add a `selector` to {id}, or EndpointSlices labelled `kubernetes.io/service-name: {}`", reference.name),
        ))?;
    }
    if endpoints.endpoints.is_empty() {
        let Some(wanted) = selector(value) else {
            return walk.block(fail(
                format!("the endpoint objects of {id} list no endpoints"),
                Vec::new(),
                "check the endpoints' controller".to_owned(),
            ));
        };
        let (evidence, fix) = near_misses(cluster, service, wanted);
        walk.add(fail(
            format!(
                "the selector {} of {id} selects no pods in {}",
                code(labels_text(wanted)),
                code(&reference.namespace)
            ),
            evidence,
            fix,
        ))?;
    }
    if counts.published == 0 {
        let evidence: Vec<String> = endpoints
            .endpoints
            .iter()
            .map(|e| format!("{}: {}", backend_name(cluster, e), exclusion_text(e.exclusion.as_ref())))
            .collect();
        let total = counts.total;
        walk.add(fail(
            format!("none of the {} selected by {id} is an endpoint of the port", count(total, "pod")),
            evidence,
            "see why each pod is left out above".to_owned(),
        ))?;
    }
    let mut evidence: Vec<String> = endpoints
        .endpoints
        .iter()
        .take(8)
        .map(|e| match (&e.exclusion, e.port) {
            (None, Some(port))
            | (Some(EndpointExclusion::NotReady | EndpointExclusion::Terminating), Some(port)) => {
                format!("{} → port {port}", backend_name(cluster, e))
            }
            (exclusion, _) => format!("{}: {}", backend_name(cluster, e), exclusion_text(exclusion.as_ref())),
        })
        .collect();
    if endpoints.endpoints.len() > 8 {
        evidence.push(format!("… and {} more", endpoints.endpoints.len() - 8));
    }
    let summary = format!("{} {source}", count(counts.published, "endpoint"));
    walk.add(Step::new(Layer::Endpoints, Status::Pass, summary).evidence(evidence).kubectl(kubectl))
}

/// Pods of the Service's namespace that almost match its selector.
fn near_misses(
    cluster: &Cluster,
    service: &Object<Service>,
    wanted: &std::collections::BTreeMap<String, String>,
) -> (Vec<String>, String) {
    let reference = ServiceRef::of(&service.value);
    let id = code(reference.id());
    let location = at(&service.origin.field_location("spec.selector"));
    let mut evidence = Vec::new();
    let mut seen = BTreeSet::new();
    let mut fixes = Vec::new();
    for &pod_id_ in cluster.pods_in(&reference.namespace) {
        let pod = cluster.pod(pod_id_);
        let workload = cluster.workload_ref(pod);
        if !seen.insert(workload.clone()) {
            continue;
        }
        let differing: Vec<(&String, &String, Option<&String>)> = wanted
            .iter()
            .filter(|(k, v)| pod.labels.get(*k) != Some(*v))
            .map(|(k, v)| (k, v, pod.labels.get(k)))
            .collect();
        let near = |wanted: &str, actual: &str| {
            wanted.contains(actual)
                || actual.contains(wanted)
                || close_matches(wanted, [actual.to_owned()]).len() == 1
        };
        let missing = differing.iter().filter(|(_, _, actual)| actual.is_none()).count();
        let close = differing.iter().all(|(_, wanted, actual)| actual.is_none_or(|a| near(wanted, a)))
            && (missing == 0 || (missing == 1 && differing.len() == 1 && wanted.len() > 1));
        if differing.is_empty() || !close || differing.len() > 2 {
            continue;
        }
        let name = if workload.kind == "Pod" {
            format!("pod {}", code(workload.id()))
        } else {
            format!("{} {}", workload.kind, code(workload.id()))
        };
        for (key, value, actual) in &differing {
            evidence.push(match actual {
                Some(actual) => format!(
                    "{name} has {}, not {}",
                    code(format!("{key}={actual}")),
                    code(format!("{key}={value}"))
                ),
                None => format!("{name} has no label {}", code(key)),
            });
        }
        if differing.iter().all(|(_, _, actual)| actual.is_some()) {
            let mut fixed = wanted.clone();
            for (key, _, actual) in &differing {
                fixed.insert((*key).clone(), (*actual).cloned().unwrap_or_default());
            }
            fixes.push(fixed);
        }
    }
    if evidence.is_empty() {
        evidence.push(format!(
            "no pod in {} has the labels {}",
            code(&reference.namespace),
            code(labels_text(wanted))
        ));
    }
    let fix = match fixes.as_slice() {
        [fixed] => format!(
            "set the selector of {id}{location} to {}, or label the pods {}",
            code(labels_text(fixed)),
            code(labels_text(wanted))
        ),
        _ => format!("change the selector of {id}{location} to the labels of the pods it is for"),
    };
    (evidence, fix)
}

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
fn readiness_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    service: &Object<Service>,
    endpoints: PortEndpoints,
    via: &Via,
) -> Flow<Vec<Backend>> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let mut endpoints = endpoints;
    let mut evidence = Vec::new();
    let mut status = Status::Pass;
    let mut fix = String::new();
    let kubectl = match selector(value) {
        Some(selector) => format!(
            "kubectl get pods -n {} -l {} -o wide",
            quote(&ServiceRef::of(value).namespace),
            quote(&labels_text(selector))
        ),
        None => format!(
            "kubectl get endpointslices -n {} -l kubernetes.io/service-name={} -o wide",
            quote(&ServiceRef::of(value).namespace),
            quote(&ServiceRef::of(value).name)
        ),
    };
    if publishes_not_ready_addresses(value) {
        evidence.push("`publishNotReadyAddresses: true`: every endpoint counts as ready".to_owned());
    }
    let mut local_node = None;
    match (client, via) {
        (_, Via::Ingress | Via::Gateway) => {
            let proxy = if *via == Via::Gateway { "the Gateway's proxies send" } else { "the controller sends" };
            evidence.push(format!("{proxy} to the endpoints directly, not through the Service's virtual IP"));
        }
        (Client::Pod(id), _) if internal_traffic_policy(value) == TrafficPolicy::Local => {
            match cluster.pod(id).spec.node_name.as_deref().filter(|n| !n.is_empty()) {
                Some(node) => {
                    evidence.push(format!("`internalTrafficPolicy: Local`: only endpoints on node {} (the client's) receive its traffic", code(node)));
                    endpoints = endpoints.on_node(node);
                    local_node = Some(node.to_owned());
                }
                None => {
                    status = Status::Warn;
                    evidence.push("`internalTrafficPolicy: Local`: only endpoints on the client's node receive its traffic, and the input does not say which node that is".to_owned());
                }
            }
        }
        (Client::External(_), Via::NodePort { .. } | Via::LoadBalancer { .. } | Via::ExternalIp { .. } | Via::Named)
            if external_traffic_policy(value) == TrafficPolicy::Cluster =>
        {
            evidence.extend(exposure_steps::client_at_pods(cluster, client, value, via).1);
        }
        (Client::External(_), _) if external_traffic_policy(value) == TrafficPolicy::Local => match via {
            Via::NodePort { node: Some(node), .. } => {
                evidence.push(format!("`externalTrafficPolicy: Local`: node {} forwards only to its own endpoints", code(node)));
                endpoints = endpoints.on_node(node);
                local_node = Some(node.clone());
            }
            Via::LoadBalancer { .. } => evidence.push(
                "`externalTrafficPolicy: Local`: the load balancer's health checks send only to nodes with a ready endpoint; the client's address is kept".to_owned(),
            ),
            _ => {
                let nodes: BTreeSet<String> = endpoints.receiving().filter_map(|e| e.node_name.clone()).collect();
                status = Status::Warn;
                let nodes = if nodes.is_empty() {
                    "the input does not say which".to_owned()
                } else {
                    nodes.iter().map(code).collect::<Vec<_>>().join(", ")
                };
                evidence.push(format!("`externalTrafficPolicy: Local`: nodes without a ready endpoint drop the traffic; nodes with one: {nodes}"));
            }
        },
        _ => {}
    }
    let counts = endpoints.counts();
    let receiving: Vec<&PortEndpoint> = endpoints.receiving().collect();
    for endpoint in endpoints.endpoints.iter().filter(|e| e.port.is_some() && e.conditions.is_some()) {
        if let Some(exclusion) = &endpoint.exclusion {
            evidence.push(format!(
                "{}: {}",
                backend_name(cluster, endpoint),
                exclusion_text(Some(exclusion))
            ));
        }
    }
    if receiving.is_empty() {
        let not_local = endpoints.endpoints.iter().any(|e| {
            matches!(e.exclusion, Some(EndpointExclusion::NotLocal { .. } | EndpointExclusion::NodeUnknown))
        });
        let summary = match &local_node {
            Some(node) if not_local => format!(
                "no ready endpoint on node {}: the `Local` traffic policy drops the traffic",
                code(node)
            ),
            _ => format!("0 of {} ready: nothing receives the traffic", count(counts.published, "endpoint")),
        };
        let fix = if local_node.is_some() && not_local {
            "run an endpoint on every node that sends traffic (a DaemonSet), or use the `Cluster` traffic policy".to_owned()
        } else {
            "find why the pods are not ready (`kubectl describe pod`: failing readiness probes, crash loops, unscheduled pods)".to_owned()
        };
        let step =
            Step::new(Layer::Readiness, Status::Fail, summary).evidence(evidence).fix(fix).kubectl(kubectl);
        return walk.block(step);
    }
    let mut summary =
        format!("{} of {} ready", counts.ready.min(counts.published), count(counts.published, "endpoint"));
    if receiving.iter().all(|e| e.conditions.is_some_and(|c| !c.ready && c.terminating)) {
        status = Status::Warn;
        summary = format!(
            "no endpoint is ready: traffic goes to {} still serving",
            count(counts.receiving, "terminating endpoint")
        );
        fix = "the pods are shutting down: check the rollout".to_owned();
    } else if counts.assumed > 0 {
        summary = format!("{summary} (assumed: the input has no pod status)");
    }
    if local_node.is_some() {
        summary = format!("{summary}; {} on the node", count(counts.receiving, "receives"));
        summary = summary.replace("receivess", "receive");
    }
    let backends = receiving
        .iter()
        .map(|e| Backend {
            pod: e.pod,
            address: e.addresses.first().and_then(|a| a.parse::<IpAddr>().ok()),
            port: e.port.expect("receiving endpoints serve the port"),
            replicas: e.replicas,
            name: backend_name(cluster, e),
        })
        .collect();
    walk.add(Step::new(Layer::Readiness, status, summary).evidence(evidence).fix(fix).kubectl(kubectl))?;
    Ok(backends)
}

/// A headless Service: no port translation, the ready endpoints straight.
#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
fn headless_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    service: &Object<Service>,
    asked: &PortRef,
    via: &Via,
) -> Flow<()> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let id = code(reference.id());
    let protocol = ctx.protocol;
    // Named directly (`svc/…:PORT`) or by an Ingress backend, the port is a
    // Service port, resolved to its targetPort on each pod; reached by DNS,
    // the client connects to the pods on the port it asked for.
    let by_service_port = matches!(via, Via::Named) || via.proxied() || matches!(asked, PortRef::Name(_));
    let found = by_service_port.then(|| find_service_port(value, asked, protocol));
    let named = match found {
        Some(found) => match found {
            Some(port) => Some(port),
            None => {
                let (evidence, fix) = port_hints(cluster, value, asked, protocol, false);
                let step = Step::new(
                    Layer::ServicePort,
                    Status::Fail,
                    format!("{id} has no {protocol} port {}", code(asked)),
                )
                .evidence(evidence)
                .fix(fix);
                return walk.block(step);
            }
        },
        None => None,
    };
    let summary = match (asked, named) {
        (_, Some(port)) => format!(
            "headless: port {} stands for targetPort {} on each pod",
            code(asked),
            code(target_port(port))
        ),
        (PortRef::Number(number), None) => {
            format!("headless: no port translation, the client connects to port {number} on each pod")
        }
        (PortRef::Name(_), None) => unreachable!("a named port was found above"),
    };
    walk.add(Step::new(Layer::ServicePort, Status::Pass, summary))?;

    let all = service_endpoints(cluster, value);
    let kubectl = format!(
        "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
        quote(&reference.namespace),
        quote(&reference.name)
    );
    if all.endpoints.is_empty() {
        let (evidence, fix) = match selector(value) {
            Some(wanted) if all.excluded.is_empty() => near_misses(cluster, service, wanted),
            _ => (
                all.excluded
                    .iter()
                    .map(|e| {
                        format!("{}: {}", code(pod_id(cluster.pod(e.pod))), exclusion_text(Some(&e.reason)))
                    })
                    .collect(),
                format!("give {id} pods to select"),
            ),
        };
        let step = Step::new(Layer::Endpoints, Status::Fail, format!("{id} has no endpoints"))
            .evidence(evidence)
            .fix(fix)
            .kubectl(kubectl);
        return walk.block(step);
    }
    let total: u32 = all.endpoints.iter().map(|e| e.replicas).sum();
    walk.add(Step::new(Layer::Endpoints, Status::Pass, count(total, "endpoint")).kubectl(kubectl.clone()))?;
    let ready: Vec<_> = all.ready().collect();
    let ready_count: u32 = ready.iter().map(|e| e.replicas).sum();
    if ready.is_empty() {
        let step = Step::new(
            Layer::Readiness,
            Status::Fail,
            format!("0 of {} ready: DNS for {id} has no records", count(total, "endpoint")),
        )
        .fix("find why the pods are not ready (`kubectl describe pod`)")
        .kubectl(kubectl);
        return walk.block(step);
    }
    let assumed =
        if ready.iter().any(|e| e.assumed_ready) { " (assumed: the input has no pod status)" } else { "" };
    walk.add(
        Step::new(
            Layer::Readiness,
            Status::Pass,
            format!("{ready_count} of {} ready{assumed}", count(total, "endpoint")),
        )
        .kubectl(kubectl),
    )?;
    let backends: Vec<Backend> = ready
        .iter()
        .filter_map(|e| {
            let port = match (named, asked, e.pod) {
                (Some(port), _, Some(pod)) => resolve_target_port(port, cluster.pod(pod)).ok()?,
                (None, PortRef::Number(number), _) => *number,
                _ => return None,
            };
            Some(Backend {
                pod: e.pod,
                address: e.addresses.first().and_then(|a| a.parse().ok()),
                port,
                replicas: e.replicas,
                name: match e.pod {
                    Some(pod) => pod_name_with_replicas(cluster, pod),
                    None => e.addresses.first().map(code).unwrap_or_default(),
                },
            })
        })
        .collect();
    policy_layers::policy_path(ctx, walk, client, &backends, Hop { service: Some(value), service_port: None })
}

fn pod_backend(ctx: &Ctx<'_, '_>, id: PodId, port: i32) -> Backend {
    let pod = ctx.cluster.pod(id);
    Backend {
        pod: Some(id),
        address: pod.ips().first().and_then(|a| a.parse().ok()),
        port,
        replicas: ctx.replicas(id),
        name: ctx.pod_name(id),
    }
}

/// `` `ns/name` `` and, for a representative pod, its replicas.
pub(super) fn pod_name_with_replicas(cluster: &Cluster, id: PodId) -> String {
    let pod = cluster.pod(id);
    if pod.is_representative() {
        format!("{} ({})", code(pod_id(pod)), count(pod.replicas, "replica"))
    } else {
        code(pod_id(pod))
    }
}

fn backend_name(cluster: &Cluster, endpoint: &PortEndpoint) -> String {
    match (endpoint.pod, endpoint.addresses.first(), &endpoint.target) {
        (Some(pod), _, _) => pod_name_with_replicas(cluster, pod),
        (None, Some(address), Some(target)) => format!(
            "{} ({} {})",
            code(address),
            target.kind,
            code(format!("{}/{}", target.namespace, target.name))
        ),
        (None, Some(address), None) => code(address),
        (None, None, Some(target)) => code(format!("{}/{}", target.namespace, target.name)),
        (None, None, None) => "an endpoint".to_owned(),
    }
}

fn exclusion_text(exclusion: Option<&EndpointExclusion>) -> String {
    match exclusion {
        None => "receives traffic".to_owned(),
        Some(EndpointExclusion::NotReady) => "not ready (its `Ready` condition is not `True`)".to_owned(),
        Some(EndpointExclusion::Terminating) => "terminating".to_owned(),
        Some(EndpointExclusion::TargetPortNotFound { name, protocol }) => {
            format!("declares no {protocol} container port named {}", code(name))
        }
        Some(EndpointExclusion::PortNotPublished) => "published without this port".to_owned(),
        Some(EndpointExclusion::Terminal { phase }) => format!("has finished ({phase})"),
        Some(EndpointExclusion::NoAddress) => "has no IP address yet".to_owned(),
        Some(EndpointExclusion::NoReplicas) => "its workload has 0 replicas".to_owned(),
        Some(EndpointExclusion::NotInEndpointObjects) => {
            "selected, but missing from the EndpointSlices of the input (stale, or a newer pod)".to_owned()
        }
        Some(EndpointExclusion::NotLocal { node }) => format!("on node {}, not the local one", code(node)),
        Some(EndpointExclusion::NodeUnknown) => "on a node the input does not show".to_owned(),
    }
}
