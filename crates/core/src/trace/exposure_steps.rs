//! The trace's view of [`crate::exposure`]: a `LoadBalancer` without an
//! address, its source ranges, the client's address after the node's SNAT,
//! ports bound on a node (`hostPort`, `hostNetwork`), and the ports an
//! ingress controller is reachable on.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::pod_layers;
use super::text::{code, pod_id};
use super::{Client, Ctx, Flow, Layer, Status, Step, Via, Walk};
use crate::exposure::{
    check_source_range, load_balancer_reach, node_bindings, pods_exposure, source_at_pods, Arrival, Binding,
    LoadBalancerReach, SourceAtPods, SourceRangeCheck,
};
use crate::ingress::ControllerInfo;
use crate::model::{Cluster, PodId};
use crate::service::{
    node_port, port_protocol, selector, service_kind, service_ports, LoadBalancerProvisioner, NodePortState,
    PortRef, ServiceKind, ServiceRef,
};

/// The `service-type` step of a `LoadBalancer` Service `id` that a client
/// outside the cluster reaches by name: through only if it has (or, from a
/// manifest, a detected provisioner will give it) an address.
pub(super) fn load_balancer_step(cluster: &Cluster, value: &Service, id: &str) -> Step {
    let Some(reach) = load_balancer_reach(cluster, value) else {
        return Step::new(Layer::ServiceType, Status::Pass, format!("{id} is `LoadBalancer`"));
    };
    match reach {
        LoadBalancerReach::Provisioned { addresses } => {
            let shown: Vec<String> = addresses
                .iter()
                .filter_map(|a| a.ip.clone().or_else(|| a.hostname.clone()))
                .map(code)
                .collect();
            Step::new(
                Layer::ServiceType,
                Status::Pass,
                format!("{id} is `LoadBalancer`, provisioned at {}", shown.join(", ")),
            )
        }
        LoadBalancerReach::AtCreation { provisioners } => Step::new(
            Layer::ServiceType,
            Status::Pass,
            format!(
                "{id} is `LoadBalancer`: {} gives it an address at creation (the input has no status)",
                provisioner_names(&provisioners)
            ),
        ),
        LoadBalancerReach::Pending { has_status, provisioners, node_ports } => {
            let why = if has_status {
                "no provisioner has published an address (`status.loadBalancer` is empty)".to_owned()
            } else {
                "the input shows no load-balancer provisioner (no cloud `providerID` on its Nodes, no MetalLB, kube-vip, cloud-provider-kind, …), so nothing gives it an address".to_owned()
            };
            let mut evidence = Vec::new();
            if !provisioners.is_empty() {
                evidence.push(format!("provisioners in the input: {}", provisioner_names(&provisioners)));
            }
            let mut working = Vec::new();
            for (port, state) in &node_ports {
                evidence.push(match state {
                    NodePortState::Assigned { node_port } => {
                        working.push(node_port.to_string());
                        format!("port {port}: node port {node_port} still works on every node")
                    }
                    NodePortState::Unallocated => {
                        working.push(format!("the node port of port {port}"));
                        format!("port {port}: its node port (assigned at creation) still works on every node")
                    }
                    NodePortState::None => {
                        format!("port {port}: no node port (`allocateLoadBalancerNodePorts: false`)")
                    }
                    NodePortState::OutOfRange { node_port } => {
                        format!("port {port}: node port {node_port} is outside 30000–32767")
                    }
                });
            }
            let provisioner =
                "install a load-balancer provisioner (the cloud's controller manager, MetalLB, kube-vip, …)";
            let fix = match working.as_slice() {
                [] => format!("{provisioner}, or expose the Service with node ports or an Ingress"),
                ports => format!("connect to a node's address on {}, or {provisioner}", ports.join(", ")),
            };
            Step::new(Layer::ServiceType, Status::Fail, format!("{id} is `LoadBalancer`, pending: {why}"))
                .evidence(evidence)
                .fix(fix)
        }
    }
}

fn provisioner_names(provisioners: &[LoadBalancerProvisioner]) -> String {
    let names: Vec<String> = provisioners
        .iter()
        .map(|p| match p {
            LoadBalancerProvisioner::Cloud { provider } => format!("the {} cloud provider", code(provider)),
            LoadBalancerProvisioner::InCluster { name } => code(name),
        })
        .collect();
    names.join(", ")
}

/// `step` (the `service-type` step of a connection to a load balancer's
/// address), with the Service's `loadBalancerSourceRanges` applied to `client`.
pub(super) fn apply_source_ranges(step: Step, value: &Service, client: Client) -> Step {
    if step.status == Status::Fail {
        return step;
    }
    let address = match client {
        Client::External(address) => address,
        _ => return step,
    };
    let mut step = step;
    match check_source_range(value, address) {
        SourceRangeCheck::Unrestricted => {}
        SourceRangeCheck::Admitted { range } => {
            step.evidence.push(format!("the client is within {} of `loadBalancerSourceRanges`", code(range)))
        }
        SourceRangeCheck::Restricted { ranges } => {
            step.status = Status::Warn;
            step.evidence.push(format!(
                "only clients within `loadBalancerSourceRanges` {} get through the load balancer: trace `external:IP` to check a client",
                ranges.iter().map(code).collect::<Vec<_>>().join(", ")
            ));
        }
        SourceRangeCheck::Dropped { ranges } => {
            let client = address.map(code).unwrap_or_default();
            step.status = Status::Fail;
            step.summary = format!(
                "{client} is outside the `loadBalancerSourceRanges` of {}: the load balancer drops it",
                code(ServiceRef::of(value).id())
            );
            step.evidence.push(format!(
                "`loadBalancerSourceRanges`: {}",
                ranges.iter().map(code).collect::<Vec<_>>().join(", ")
            ));
            step.fix = format!(
                "add the client's range to `spec.loadBalancerSourceRanges`, or connect from {}",
                ranges.iter().map(code).collect::<Vec<_>>().join(", ")
            );
        }
    }
    step
}

/// The client the backend pods see after the Service: behind
/// `externalTrafficPolicy: Cluster`, a node's address instead of the
/// client's; with the evidence that says so. Unchanged for other paths.
/// When several nodes may receive the connection, the first stands for
/// them here, and [`snat_sources`] gives them all to judge.
pub(super) fn client_at_pods(
    cluster: &Cluster,
    client: Client,
    value: &Service,
    via: &Via,
) -> (Client, Option<String>) {
    if !matches!(client, Client::External(_)) {
        return (client, None);
    }
    let Some(arrival) = arrival(value, via) else { return (client, None) };
    match source_at_pods(cluster, value, arrival) {
        SourceAtPods::Client => {
            (client, Some("`externalTrafficPolicy: Local`: the pods see the client's own address".to_owned()))
        }
        SourceAtPods::Node { addresses } => {
            let Some((node, address)) = addresses.first() else {
                return (
                    Client::External(None),
                    Some("`externalTrafficPolicy: Cluster`: nodes forward to endpoints anywhere and SNAT the client's address to their own, and the input does not show the nodes' addresses: policies are judged for any address outside the cluster".to_owned()),
                );
            };
            let seen = if addresses.len() > 1 {
                format!(
                    "the address of the node that receives the connection, each judged: {}",
                    node_addresses_text(&addresses)
                )
            } else {
                format!("{} (node {})", code(address), code(node))
            };
            let evidence = format!(
                "`externalTrafficPolicy: Cluster`: nodes forward to endpoints anywhere and SNAT the client's address to their own, so policies on the pods see {seen}, not the client's address"
            );
            (Client::External(Some(*address)), Some(evidence))
        }
    }
}

/// Behind `externalTrafficPolicy: Cluster`, the nodes (name, address)
/// that may receive a connection from outside and SNAT it to their own
/// address, when more than one may (a load balancer's or an external
/// IP's traffic, or a node port at a node not named): which one is not
/// the client's choice, so the policies on the pods are judged for each.
/// Empty otherwise.
pub(super) fn snat_sources(
    cluster: &Cluster,
    client: Client,
    value: &Service,
    via: &Via,
) -> Vec<(String, IpAddr)> {
    if !matches!(client, Client::External(_)) {
        return Vec::new();
    }
    let Some(arrival) = arrival(value, via) else { return Vec::new() };
    match source_at_pods(cluster, value, arrival) {
        SourceAtPods::Node { addresses } if addresses.len() > 1 => addresses,
        SourceAtPods::Node { .. } | SourceAtPods::Client => Vec::new(),
    }
}

/// Whether, behind `externalTrafficPolicy: Cluster`, a node SNATs the
/// connection to an address the input does not show (no Node addresses):
/// then only an `ipBlock` of the nodes' addresses admits it, never one of
/// the client's.
pub(super) fn snat_hides_nodes(cluster: &Cluster, client: Client, value: &Service, via: &Via) -> bool {
    if !matches!(client, Client::External(_)) {
        return false;
    }
    let Some(arrival) = arrival(value, via) else { return false };
    matches!(source_at_pods(cluster, value, arrival), SourceAtPods::Node { addresses } if addresses.is_empty())
}

/// How a connection from outside arrives at the Service, for a path
/// through the Service's proxying (`None` through a proxy or a cluster IP).
fn arrival<'v>(value: &Service, via: &'v Via) -> Option<Arrival<'v>> {
    Some(match via {
        Via::NodePort { node, .. } => Arrival::NodePort { node: node.as_deref() },
        Via::LoadBalancer { .. } => Arrival::LoadBalancer,
        Via::ExternalIp { .. } => Arrival::ExternalIp,
        Via::Named if service_kind(value) == Some(ServiceKind::LoadBalancer) => Arrival::LoadBalancer,
        Via::Named => Arrival::NodePort { node: None },
        Via::ClusterIp | Via::Ingress | Via::Gateway => return None,
    })
}

/// `` `192.168.0.11` (node `n1`), `192.168.0.12` (node `n2`) ``, at most
/// four, then how many more.
pub(super) fn node_addresses_text(addresses: &[(String, IpAddr)]) -> String {
    let shown: Vec<String> =
        addresses.iter().take(4).map(|(node, a)| format!("{} (node {})", code(a), code(node))).collect();
    let more =
        if addresses.len() > 4 { format!(", … {} more", addresses.len() - 4) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// A node's address without a Service on that node port: a `hostPort`
/// (or a `hostNetwork` pod) bound there, else blocked.
pub(super) fn node_address_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    node: &str,
    address: &str,
    port: &PortRef,
) -> Flow<()> {
    let bindings = match port {
        PortRef::Number(number) => node_bindings(ctx.cluster, Some(node), *number, ctx.protocol),
        PortRef::Name(_) => Vec::new(),
    };
    let Some(first) = bindings.first() else {
        return node_without_service(ctx, walk, node, address, port);
    };
    let container_port = first.container_port;
    let pods: Vec<PodId> =
        bindings.iter().filter(|b| b.container_port == container_port).map(|b| b.pod).collect();
    let names: Vec<String> = pods.iter().map(|id| code(pod_id(ctx.cluster.pod(*id)))).collect();
    let summary = match first.how {
        Binding::HostPort => format!(
            "{} is node {}: {} {} binds `hostPort` {} (the CNI `portmap` plugin forwards it to container port {container_port})",
            code(address),
            code(node),
            if pods.len() == 1 { "pod" } else { "pods" },
            names.join(", "),
            code(port)
        ),
        Binding::HostNetwork => format!(
            "{} is node {}: `hostNetwork` {} {} listen on the node's port {container_port}",
            code(address),
            code(node),
            if pods.len() == 1 { "pod" } else { "pods" },
            names.join(", ")
        ),
    };
    walk.add(Step::new(Layer::ServiceType, Status::Pass, summary))?;
    walk.skip(Layer::ServicePort, "no Service: the node forwards the port to the pod");
    walk.skip(Layer::Endpoints, "no Service endpoints");
    pod_layers::pod_path(ctx, walk, client, &pods, &PortRef::Number(container_port))
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

/// Whether the ingress controller is reachable from outside on `port`:
/// `Ok` with the evidence, or the failing `ingress-class` step's summary,
/// evidence and fix.
pub(super) fn controller_port(
    cluster: &Cluster,
    controller: &ControllerInfo,
    port: u16,
) -> Result<Vec<String>, (String, Vec<String>, String)> {
    if controller.in_cluster == Some(false) {
        return Ok(Vec::new());
    }
    let exposure = pods_exposure(cluster, &controller.pods);
    if controller.pods.is_empty() || exposure.is_unknown() {
        return Ok(vec![format!(
            "no Service or `hostPort` of the input exposes the controller: port {port} is not checked"
        )]);
    }
    let mut evidence: Vec<String> = exposure
        .services
        .iter()
        .map(|exposing| {
            let shown: Vec<String> = exposing
                .ports
                .iter()
                .map(|(port, node_port)| match node_port {
                    Some(node_port) => format!("{port} (node port {node_port})"),
                    None => port.to_string(),
                })
                .collect();
            format!(
                "`{}` {} exposes TCP {}",
                exposing.kind.as_str(),
                code(exposing.service.id()),
                shown.join(", ")
            )
        })
        .collect();
    if !exposure.node_ports.is_empty() {
        let ports: Vec<String> = exposure.node_ports.iter().map(i32::to_string).collect();
        evidence.push(format!("the controller's pods bind the nodes' TCP {}", ports.join(", ")));
    }
    if exposure.accepts(i32::from(port)) {
        return Ok(Vec::new());
    }
    let open: Vec<String> = exposure.ports().iter().map(i32::to_string).collect();
    let summary = format!(
        "the ingress controller listens outside the cluster on TCP {} only, not on {port}",
        open.join(", ")
    );
    // A `NodePort` Service's own ports are on its cluster IP only: a port
    // added there is not reached from outside either.
    let outside = exposure.services.iter().find(|s| s.kind == ServiceKind::LoadBalancer || s.external_ips);
    let change = match (outside, exposure.services.first()) {
        (Some(s), _) => format!("add port {port} to {}", code(s.service.id())),
        (None, Some(s)) => {
            format!("give {} `type: LoadBalancer` (or `externalIPs`) with port {port}", code(s.service.id()))
        }
        (None, None) => format!("add port {port}"),
    };
    let fix = format!("connect on port {}, or {change}", open.join(" or "));
    Err((summary, evidence, fix))
}

/// The `LoadBalancer` and `NodePort` Services that select any of `pods`,
/// worded with `subject` ("the controller is") and `owner` ("the controller's").
pub(super) fn exposed_by(
    cluster: &Cluster,
    pods: &BTreeSet<PodId>,
    subject: &str,
    owner: &str,
) -> Vec<String> {
    let mut evidence = Vec::new();
    for service in cluster.services() {
        let Some(kind) = service_kind(&service.value) else { continue };
        if !kind.has_node_ports() || selector(&service.value).is_none() {
            continue;
        }
        if !cluster.pods_selected_by_service(&service.value).iter().any(|id| pods.contains(id)) {
            continue;
        }
        let id = code(ServiceRef::of(&service.value).id());
        evidence.push(match load_balancer_reach(cluster, &service.value) {
            Some(LoadBalancerReach::Provisioned { addresses }) => format!(
                "{subject} exposed by `LoadBalancer` {id} at {}",
                addresses
                    .iter()
                    .filter_map(|a| a.ip.clone().or_else(|| a.hostname.clone()))
                    .map(code)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(LoadBalancerReach::Pending { has_status: true, .. }) => {
                format!("{owner} `LoadBalancer` {id} is pending: no address yet, only its node ports work")
            }
            Some(LoadBalancerReach::Pending { has_status: false, .. }) => format!(
                "{owner} `LoadBalancer` {id} gets no address: the input shows no load-balancer provisioner, so only its node ports work"
            ),
            Some(LoadBalancerReach::AtCreation { .. }) => {
                format!("{subject} exposed by `LoadBalancer` {id} (its address is given at creation)")
            }
            None => format!("{subject} exposed by `NodePort` {id}"),
        });
    }
    evidence
}
