//! Where a Gateway's data plane opens connections: the pods and ports
//! behind the backendRefs of the routes attached to it. `matrix` draws the
//! Gateway's peer from this (`{gateway:NAMESPACE/NAME}`).
//!
//! - A backendRef's `port` is the Service's port
//!   (<https://gateway-api.sigs.k8s.io/reference/spec/#backendref>); the
//!   proxies connect to the Service's endpoints on the container port its
//!   `targetPort` resolves to on each pod ([`resolve_target_port`]).
//! - The connection's protocol is the route's: UDP for a UDPRoute, TCP for
//!   the others (HTTP, gRPC, TLS and TCP all run over TCP).
//! - A backend that does not resolve (not a Service, no ReferenceGrant for
//!   another namespace, no such Service or port) or with `weight: 0`
//!   receives nothing (the `ResolvedRefs` condition; "if weight is set to
//!   0, no traffic should be forwarded for this entry").
//! - A Gateway whose GatewayClass is missing or not accepted has no data
//!   plane: no controller programs it.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServicePort;

use super::attach::attached_routes;
use super::backend::resolve_backend;
use super::class::{gateway_class, Acceptance};
use super::types::Gateway;
use super::AnyRoute;
use crate::model::{Cluster, Object, PodId};
use crate::ports::{ConnectionSet, PortSet, Protocol};
use crate::service::{port_protocol, resolve_target_port, service_ports};

/// Whether a controller programs `gateway`: its GatewayClass exists and is
/// not refused (`Accepted: False`).
pub fn is_programmed(cluster: &Cluster, gateway: &Gateway) -> bool {
    let resolution = gateway_class(cluster, gateway);
    resolution.class.is_some() && !matches!(resolution.acceptance, Some(Acceptance::Rejected { .. }))
}

/// The protocol a Gateway's proxies use toward the backends of a route of
/// `kind`.
pub fn backend_protocol(kind: &str) -> Protocol {
    if kind == "UDPRoute" {
        Protocol::Udp
    } else {
        Protocol::Tcp
    }
}

/// The Service port a backendRef of a route of `kind` names: the port
/// numbered `number` of the route's protocol.
pub fn backend_service_port<'s>(
    ports: &'s [ServicePort],
    number: i32,
    kind: &str,
) -> Option<&'s ServicePort> {
    let protocol = backend_protocol(kind);
    ports.iter().find(|p| p.port == number && port_protocol(p) == protocol)
}

/// The connections `gateway`'s proxies open to each pod: the container
/// ports (with their protocol) the valid backends of its attached routes
/// reach there. Empty when no controller programs the Gateway.
pub fn backend_ports(cluster: &Cluster, gateway: &Object<Gateway>) -> BTreeMap<PodId, ConnectionSet> {
    let mut reached: BTreeMap<PodId, ConnectionSet> = BTreeMap::new();
    if !is_programmed(cluster, &gateway.value) {
        return reached;
    }
    for route in routes_of(cluster, gateway) {
        for (_, _, backend) in route.backend_refs() {
            let resolved = resolve_backend(cluster, route.kind(), route.namespace(), backend);
            let (None, Some(service), Some(number)) = (&resolved.problem, resolved.service, backend.port)
            else {
                continue;
            };
            if resolved.weight <= 0 {
                continue;
            }
            let Some(port) = backend_service_port(service_ports(&service.value), number, route.kind()) else {
                continue;
            };
            let protocol = port_protocol(port);
            for pod in cluster.pods_selected_by_service(&service.value) {
                let Some(target) = resolve_target_port(port, cluster.pod(pod)).ok().filter(|p| *p > 0) else {
                    continue;
                };
                let set = ConnectionSet::from_ports(protocol, PortSet::single(i64::from(target)));
                let entry = reached.entry(pod).or_default();
                *entry = entry.union(&set);
            }
        }
    }
    reached
}

/// The routes attached to any listener of `gateway`, each once.
fn routes_of<'c>(cluster: &'c Cluster, gateway: &Object<Gateway>) -> Vec<AnyRoute<'c>> {
    let mut seen = BTreeSet::new();
    (0..gateway.value.spec.listeners.len())
        .flat_map(|listener| attached_routes(cluster, gateway, listener))
        .map(|(route, _)| route)
        .filter(|route| seen.insert((route.kind(), route.id())))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn objects(class_status: Value) -> Vec<Value> {
        vec![
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
                   "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}, "status": class_status}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                   "metadata": {"namespace": "infra", "name": "public"},
                   "spec": {"gatewayClassName": "eg", "listeners": [
                       {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
                       {"name": "dns", "port": 53, "protocol": "UDP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "shop", "name": "web", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "i", "ports": [
                       {"name": "http", "containerPort": 8080}, {"name": "dns", "containerPort": 5353, "protocol": "UDP"},
                       {"name": "dns-tcp", "containerPort": 5354}]}]}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
                   "spec": {"selector": {"app": "web"}, "ports": [
                       {"name": "www", "port": 80, "targetPort": "http"},
                       {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp"},
                       {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}]}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"namespace": "shop", "name": "web"},
                   "spec": {"parentRefs": [{"name": "public", "namespace": "infra", "sectionName": "http"}],
                            "rules": [{"backendRefs": [{"name": "web", "port": 80}, {"name": "web", "port": 81},
                                                        {"name": "web", "port": 53, "weight": 0}]}]}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "UDPRoute", "metadata": {"namespace": "shop", "name": "dns"},
                   "spec": {"parentRefs": [{"name": "public", "namespace": "infra", "sectionName": "dns"}],
                            "rules": [{"backendRefs": [{"name": "web", "port": 53}]}]}}),
        ]
    }

    fn check(class_status: Value, expect: &str) {
        let cluster = cluster(objects(class_status));
        let gateway = &cluster.gateway_api().gateways[0];
        let found: Vec<String> = backend_ports(&cluster, gateway)
            .iter()
            .map(|(pod, set)| format!("{}: {set}", cluster.pod(*pod).name))
            .collect();
        assert_eq!(found.join("\n"), expect);
    }

    // The HTTPRoute's port 80 reaches `http` (8080) over TCP; port 81 is not
    // a port of the Service and the weight-0 backend gets nothing; the
    // UDPRoute's port 53 is the Service's UDP port 53, so 5353/UDP and not
    // the TCP port 53's 5354.
    #[test]
    fn attached_backends_by_route_protocol() {
        check(json!(null), "web: TCP 8080,UDP 5353");
    }

    // "Accepted: False": the controller does not program the Gateway.
    #[test]
    fn a_refused_class_programs_nothing() {
        let refused =
            json!({"conditions": [{"type": "Accepted", "status": "False", "reason": "InvalidParameters"}]});
        check(refused, "");
    }
}
