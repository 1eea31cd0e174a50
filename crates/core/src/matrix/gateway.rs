//! The matrix's Gateway API peers: one node per Gateway a controller
//! programs, `{gateway:NAMESPACE/NAME}`, standing for its data plane (the
//! proxies), as `{ingress-controller}` stands for the ingress controllers.
//!
//! Its edges go to the workloads behind the backendRefs of the routes
//! attached to it, on the pods' ports ([`backend_ports`]), as far as
//! policy lets the proxies through: judged from the Gateway's proxy pods
//! when the input has them (every policy class among them: a request may
//! be carried by any proxy), from every outside address for a cloud load
//! balancer, else from the symbolic controller pod
//! ([`crate::routes::Proxies`], the answer `routes` and `check` give).
//! One node per Gateway, not one for all: each Gateway has its own
//! proxies, addresses and policies, and an operator knows it by name.

use std::collections::BTreeMap;

use super::stream::Extras;
use super::{Node, NodeKind, Role};
use crate::gateway::data_plane::{backend_ports, is_programmed};
use crate::model::Cluster;
use crate::policy::{Endpoint, PolicyEngine};
use crate::ports::ConnectionSet;
use crate::routes::gateway_proxies;

/// The prefix of a Gateway peer's id and label.
const PREFIX: &str = "{gateway:";

/// A Gateway's node before the matrix sorts its nodes.
pub(super) struct GatewayPeer {
    /// The node.
    pub node: Node,
    /// What policy lets its proxies open to each member node (by index in
    /// the unsorted nodes), never empty.
    pub edges: BTreeMap<usize, ConnectionSet>,
}

/// `{gateway:NAMESPACE/NAME}`.
pub fn gateway_peer_id(namespace: &str, name: &str) -> String {
    format!("{PREFIX}{namespace}/{name}}}")
}

/// The Gateway a peer id names, as `(namespace, name)`.
pub fn parse_gateway_peer_id(id: &str) -> Option<(&str, &str)> {
    id.strip_prefix(PREFIX)?.strip_suffix('}')?.split_once('/')
}

/// Whether `reference` (`{gateway:NS/NAME}` or `gateway:NS/NAME`) names the
/// Gateway peer `node`.
pub(super) fn names(reference: &str, node: &Node) -> bool {
    reference == node.id || node.id.strip_prefix('{').and_then(|id| id.strip_suffix('}')) == Some(reference)
}

/// Where policy judges the connections of the Gateway peer `id` from (the
/// first policy class of its proxies), for the commands that explain an
/// edge. `None` when `id` names no Gateway of the cluster, and when the
/// Gateway's proxies open no connection (all NotReady,
/// [`crate::routes::Proxies::NotReady`]): then no policy decides its edges.
pub fn peer_endpoint(engine: &PolicyEngine<'_>, id: &str) -> Option<Endpoint> {
    let (namespace, name) = parse_gateway_peer_id(id)?;
    let cluster = engine.cluster();
    let gateway = cluster.gateway_api().gateway(namespace, name)?;
    gateway_proxies(cluster, &gateway.value).sources(engine).into_iter().next()
}

/// A peer per Gateway whose routes reach a member of `roles`.
pub(super) fn gateway_peers(engine: &PolicyEngine<'_>, roles: &[Role]) -> Vec<GatewayPeer> {
    let cluster: &Cluster = engine.cluster();
    let mut peers = Vec::new();
    for gateway in &cluster.gateway_api().gateways {
        if !is_programmed(cluster, &gateway.value) {
            continue;
        }
        let reached = backend_ports(cluster, gateway);
        if reached.is_empty() {
            continue;
        }
        let sources = gateway_proxies(cluster, &gateway.value).sources(engine);
        let mut edges = BTreeMap::new();
        for (member, role) in roles.iter().enumerate() {
            let Role::Member { pod, .. } = *role else { continue };
            let Some(wanted) = reached.get(&pod).filter(|_| !sources.is_empty()) else { continue };
            let to = Endpoint::Pod(pod);
            let allowed =
                sources.iter().fold(wanted.clone(), |set, from| set.intersection(&engine.allowed(from, &to)));
            if !allowed.is_empty() {
                edges.insert(member, allowed);
            }
        }
        let meta = &gateway.value.metadata;
        let namespace = meta.namespace.clone().unwrap_or_else(|| "default".to_owned());
        let name = meta.name.clone().unwrap_or_default();
        let node = Node {
            id: gateway_peer_id(&namespace, &name),
            kind: NodeKind::Gateway,
            namespace: Some(namespace),
            name,
        };
        peers.push(GatewayPeer { node, edges });
    }
    peers
}

/// The peers' edges, in the sorted matrix: `indices[i]` is the sorted index
/// of peer `i`, `position` maps unsorted indices to sorted ones; only the
/// pairs `keep` admits.
pub(super) fn add_gateway_edges(
    peers: &[GatewayPeer],
    indices: &[usize],
    position: &[usize],
    keep: &impl Fn(usize, usize) -> bool,
    extras: &mut Extras,
) {
    for (peer, &from) in peers.iter().zip(indices) {
        for (&to, set) in &peer.edges {
            let to = position[to];
            if keep(from, to) {
                let id = extras.add_set(set.clone());
                extras.put(from, to, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{connlist_lines, matrix, Filters, Granularity, MatrixOptions};
    use crate::policy::testing::{cluster, network_policy, EXTERNAL_ONLY};
    use crate::policy::PolicyEngine;

    fn class(name: &str, controller: &str) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": name},
               "spec": {"controllerName": controller}})
    }

    fn gateway(name: &str, class: &str) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"namespace": "infra", "name": name},
               "spec": {"gatewayClassName": class, "listeners": [
                   {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}})
    }

    fn app(name: &str, port: i32) -> [Value; 2] {
        [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "shop", "name": name},
                   "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": port}]}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": name},
                   "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": "http"}]}}),
        ]
    }

    fn http_route(name: &str, parents: &[&str], backend: &str) -> Value {
        let parents: Vec<Value> = parents.iter().map(|p| json!({"name": p, "namespace": "infra"})).collect();
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"namespace": "shop", "name": name},
               "spec": {"parentRefs": parents, "rules": [{"backendRefs": [{"name": backend, "port": 80}]}]}})
    }

    /// Three Gateways: `public`, whose Envoy Gateway proxies are in the
    /// input (in Envoy Gateway's namespace, by its owning-gateway labels);
    /// `edge`, of a known in-cluster controller without its proxies in the
    /// input (judged as the symbolic controller pod); `cloud`, a GKE load
    /// balancer (judged from outside the cluster). `shop/api` admits only
    /// Envoy Gateway's namespace; `shop/web` admits everything.
    fn objects() -> Vec<Value> {
        let mut objects = vec![
            class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
            class("gke", "networking.gke.io/gateway"),
            gateway("public", "eg"),
            gateway("edge", "eg"),
            gateway("cloud", "gke"),
            gateway("orphan", "missing"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "envoy-gateway-system", "name": "envoy-public",
                   "labels": {"gateway.envoyproxy.io/owning-gateway-name": "public",
                              "gateway.envoyproxy.io/owning-gateway-namespace": "infra"}},
                   "spec": {"containers": [{"name": "envoy", "image": "envoy"}]}}),
            http_route("web", &["public", "cloud", "orphan"], "web"),
            http_route("api", &["public", "edge", "cloud"], "api"),
            network_policy(
                "shop",
                "api",
                json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"namespaceSelector":
                       {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}]}]}),
            ),
        ];
        objects.extend(app("web", 8080));
        objects.extend(app("api", 9000));
        objects
    }

    /// The Gateway nodes' ids, and the lines of their edges.
    fn lines(filters: Filters) -> (Vec<String>, Vec<String>) {
        let cluster = cluster(&objects());
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let options =
            MatrixOptions { granularity: Granularity::Workloads, ingress_controller: true, filters };
        let report = matrix(&engine, &options);
        let gateways =
            report.nodes.iter().filter(|n| n.kind_str() == "Gateway").map(|n| n.id.clone()).collect();
        let lines = connlist_lines(&report).into_iter().filter(|l| l.starts_with("{gateway:")).collect();
        (gateways, lines)
    }

    // Gateway API: a backendRef's port is the Service port, reached on the
    // pods' target port; the proxies' connections are subject to the
    // backends' policies like any client's.
    #[test]
    fn one_peer_per_gateway_judged_from_its_proxies() {
        let (gateways, lines) = lines(Filters::default());
        // `orphan`'s class is missing: no controller programs it, no peer;
        // `edge`'s proxies may not reach `api`: a node without edges.
        assert_eq!(gateways, ["{gateway:infra/cloud}", "{gateway:infra/edge}", "{gateway:infra/public}"]);
        assert_eq!(
            lines,
            [
                "{gateway:infra/cloud} => shop/web[Deployment] : TCP 8080",
                "{gateway:infra/public} => shop/api[Deployment] : TCP 9000",
                "{gateway:infra/public} => shop/web[Deployment] : TCP 8080",
            ]
        );
    }

    // A Gateway whose proxies are all NotReady opens no connection
    // (`routes::gateway_proxies`): no endpoint judges its edges, as for a
    // Gateway that does not exist.
    #[test]
    fn a_gateway_without_ready_proxies_has_no_endpoint() {
        let endpoint = |objects: &[Value], id: &str| {
            let cluster = cluster(objects);
            let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
            super::peer_endpoint(&engine, id)
        };
        let ready = objects();
        assert!(endpoint(&ready, "{gateway:infra/public}").is_some());
        assert!(endpoint(&ready, "{gateway:infra/nowhere}").is_none());
        let mut not_ready = objects();
        not_ready[6]["status"] =
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]});
        assert_eq!(not_ready[6]["metadata"]["name"], "envoy-public");
        assert!(endpoint(&not_ready, "{gateway:infra/public}").is_none());
    }

    // netpol-analyzer's `--focusworkload` names a peer by its id, with or
    // without braces.
    #[test]
    fn focus_on_a_gateway() {
        for reference in ["{gateway:infra/public}", "gateway:infra/public"] {
            let filters = Filters { focus: vec![reference.to_owned()], ..Filters::default() };
            let (_, found) = lines(filters);
            assert_eq!(found.len(), 2, "{reference}: {found:?}");
            assert!(found.iter().all(|l| l.starts_with("{gateway:infra/public}")), "{found:?}");
        }
    }
}
