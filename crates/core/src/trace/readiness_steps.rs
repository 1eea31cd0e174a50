//! The `readiness` layer of a Service port: which of its endpoints receive
//! the connection. Ready ones, or serving terminating ones when none is
//! ready, narrowed to the client's node by a `Local` traffic policy
//! (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies>).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::endpoints_steps::{backend_name, endpoint_slices_kubectl, exclusion_text};
use super::exposure_steps;
use super::text::{code, count, count_with, labels_text};
use super::{Backend, Client, Ctx, Flow, Layer, Status, Step, Via, Walk};
use crate::endpoints::{EndpointExclusion, PortEndpoint, PortEndpoints};
use crate::model::{Cluster, Object};
use crate::service::{
    external_traffic_policy, internal_traffic_policy, publishes_not_ready_addresses, selector, ServiceRef,
    TrafficPolicy,
};
use crate::shell::quote;

/// The `readiness` layer: blocks when no endpoint receives the connection;
/// returns the endpoints that do, as backends for the policy layers.
pub(super) fn readiness_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    service: &Object<Service>,
    endpoints: PortEndpoints,
    via: &Via,
) -> Flow<Vec<Backend>> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let kubectl = readiness_kubectl(value);
    let mut evidence = Vec::new();
    if publishes_not_ready_addresses(value) {
        evidence.push("`publishNotReadyAddresses: true`: every endpoint counts as ready".to_owned());
    }
    let scope = traffic_scope(cluster, client, value, via, endpoints);
    evidence.extend(scope.evidence);
    let endpoints = scope.endpoints;
    for endpoint in endpoints.endpoints.iter().filter(|e| e.port.is_some() && e.conditions.is_some()) {
        if let Some(exclusion) = &endpoint.exclusion {
            evidence.push(format!(
                "{}: {}",
                backend_name(cluster, endpoint),
                exclusion_text(Some(exclusion))
            ));
        }
    }
    let receiving: Vec<&PortEndpoint> = endpoints.receiving().collect();
    if receiving.is_empty() {
        let step = none_receiving_step(&endpoints, scope.node.as_deref());
        return walk.block(step.evidence(evidence).kubectl(kubectl));
    }
    let mut step = receiving_step(&endpoints, &receiving, scope.node.is_some());
    if scope.uncertain {
        step.status = Status::Warn;
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
    walk.add(step.evidence(evidence).kubectl(kubectl))?;
    Ok(backends)
}

/// `kubectl get pods` for the pods the Service selects, else its
/// EndpointSlices.
fn readiness_kubectl(service: &Service) -> String {
    match selector(service) {
        Some(selector) => format!(
            "kubectl get pods -n {} -l {} -o wide",
            quote(&ServiceRef::of(service).namespace),
            quote(&labels_text(selector))
        ),
        None => format!("{} -o wide", endpoint_slices_kubectl(service)),
    }
}

/// The endpoints the Service's traffic policy leaves to this client, and
/// what the policy did.
struct TrafficScope {
    endpoints: PortEndpoints,
    evidence: Vec<String>,
    /// The input leaves open which endpoints receive the connection.
    uncertain: bool,
    /// Under a `Local` policy, the node whose endpoints alone receive it.
    node: Option<String>,
}

impl TrafficScope {
    /// Keeps only the endpoints on `node`.
    fn on_node(&mut self, node: &str) {
        self.endpoints = self.endpoints.on_node(node);
        self.node = Some(node.to_owned());
    }
}

/// What the Service's traffic policies do to this connection: a proxy
/// sends to the endpoints directly; `internalTrafficPolicy: Local` keeps a
/// client pod's traffic on its node; `externalTrafficPolicy` decides, for
/// traffic from outside, between SNAT to any endpoint (`Cluster`) and the
/// receiving node's own endpoints (`Local`).
fn traffic_scope(
    cluster: &Cluster,
    client: Client,
    service: &Service,
    via: &Via,
    endpoints: PortEndpoints,
) -> TrafficScope {
    let mut scope = TrafficScope { endpoints, evidence: Vec::new(), uncertain: false, node: None };
    match (client, via) {
        (_, Via::Ingress | Via::Gateway) => {
            let proxy =
                if *via == Via::Gateway { "the Gateway's proxies send" } else { "the controller sends" };
            scope
                .evidence
                .push(format!("{proxy} to the endpoints directly, not through the Service's virtual IP"));
        }
        (Client::Pod(id), _) if internal_traffic_policy(service) == TrafficPolicy::Local => {
            match cluster.pod(id).spec.node_name.as_deref().filter(|n| !n.is_empty()) {
                Some(node) => {
                    scope.evidence.push(format!("`internalTrafficPolicy: Local`: only endpoints on node {} (the client's) receive its traffic", code(node)));
                    scope.on_node(node);
                }
                None => {
                    scope.uncertain = true;
                    scope.evidence.push("`internalTrafficPolicy: Local`: only endpoints on the client's node receive its traffic, and the input does not say which node that is".to_owned());
                }
            }
        }
        (
            Client::External(_),
            Via::NodePort { .. } | Via::LoadBalancer { .. } | Via::ExternalIp { .. } | Via::Named,
        ) if external_traffic_policy(service) == TrafficPolicy::Cluster => {
            scope.evidence.extend(exposure_steps::client_at_pods(cluster, client, service, via).1);
        }
        (Client::External(_), _) if external_traffic_policy(service) == TrafficPolicy::Local => {
            external_local(&mut scope, via);
        }
        _ => {}
    }
    scope
}

/// `externalTrafficPolicy: Local`: a node forwards only to its own
/// endpoints, so which node receives the connection decides.
fn external_local(scope: &mut TrafficScope, via: &Via) {
    match via {
        Via::NodePort { node: Some(node), .. } => {
            scope.evidence.push(format!("`externalTrafficPolicy: Local`: node {} forwards only to its own endpoints", code(node)));
            scope.on_node(node);
        }
        Via::LoadBalancer { .. } => scope.evidence.push(
            "`externalTrafficPolicy: Local`: the load balancer's health checks send only to nodes with a ready endpoint; the client's address is kept".to_owned(),
        ),
        _ => {
            let nodes: BTreeSet<String> = scope.endpoints.receiving().filter_map(|e| e.node_name.clone()).collect();
            scope.uncertain = true;
            let nodes = if nodes.is_empty() {
                "the input does not say which".to_owned()
            } else {
                nodes.iter().map(code).collect::<Vec<_>>().join(", ")
            };
            scope.evidence.push(format!("`externalTrafficPolicy: Local`: nodes without a ready endpoint drop the traffic; nodes with one: {nodes}"));
        }
    }
}

/// The failing step when no endpoint receives the connection: none is
/// ready, or none is on the `node` a `Local` policy keeps the traffic on.
fn none_receiving_step(endpoints: &PortEndpoints, node: Option<&str>) -> Step {
    let not_local = endpoints.endpoints.iter().any(|e| {
        matches!(e.exclusion, Some(EndpointExclusion::NotLocal { .. } | EndpointExclusion::NodeUnknown))
    });
    let (summary, fix) = match node {
        Some(node) if not_local => (
            format!("no ready endpoint on node {}: the `Local` traffic policy drops the traffic", code(node)),
            "run an endpoint on every node that sends traffic (a DaemonSet), or use the `Cluster` traffic policy",
        ),
        _ => (
            format!("0 of {} ready: nothing receives the traffic", count(endpoints.counts().published, "endpoint")),
            "find why the pods are not ready (`kubectl describe pod`: failing readiness probes, crash loops, unscheduled pods)",
        ),
    };
    Step::new(Layer::Readiness, Status::Fail, summary).fix(fix)
}

/// The passing step: how many endpoints are ready, and how many receive
/// the connection on the node when a `Local` policy applies. When none is
/// ready, terminating endpoints that still serve receive it (a warning).
fn receiving_step(endpoints: &PortEndpoints, receiving: &[&PortEndpoint], on_node: bool) -> Step {
    let counts = endpoints.counts();
    let mut step = Step::new(
        Layer::Readiness,
        Status::Pass,
        format!("{} of {} ready", counts.ready.min(counts.published), count(counts.published, "endpoint")),
    );
    if receiving.iter().all(|e| e.conditions.is_some_and(|c| !c.ready && c.terminating)) {
        step.status = Status::Warn;
        step.summary = format!(
            "no endpoint is ready: traffic goes to {} still serving",
            count(counts.receiving, "terminating endpoint")
        );
        step.fix = "the pods are shutting down: check the rollout".to_owned();
    } else if counts.assumed > 0 {
        step.summary.push_str(" (assumed: the input has no pod status)");
    }
    if on_node {
        step.summary =
            format!("{}; {} on the node", step.summary, count_with(counts.receiving, "receives", "receive"));
    }
    step
}
