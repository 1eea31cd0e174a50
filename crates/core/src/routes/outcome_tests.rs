//! Where a request goes through a Gateway, and what the backend's
//! policies say to the Gateway's proxies.

use serde_json::{json, Value};

use super::*;
use crate::cni::PolicyView;
use crate::testing::cluster;

/// A Gateway `infra/public` with an HTTP listener, its Envoy proxy pod, an
/// HTTPRoute to `shop/web` port 8080, and a policy admitting the proxies
/// on TCP 8080 only. The Service has port 8080 twice, UDP first.
fn objects() -> Vec<Value> {
    vec![
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
               "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": {"namespace": "infra", "name": "public"},
               "spec": {"gatewayClassName": "eg", "listeners": [
                   {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "infra", "name": "envoy",
               "labels": {"gateway.envoyproxy.io/owning-gateway-name": "public",
                          "gateway.envoyproxy.io/owning-gateway-namespace": "infra"}},
               "spec": {"containers": [{"name": "envoy", "image": "envoyproxy/envoy:v1.31.0"}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "shop", "name": "web", "labels": {"app": "web"}},
               "spec": {"containers": [{"name": "c", "image": "i", "ports": [
                   {"name": "http", "containerPort": 8080}, {"name": "stats", "containerPort": 9053, "protocol": "UDP"}]}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [
                   {"name": "stats", "port": 8080, "protocol": "UDP", "targetPort": 9053},
                   {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}]}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"namespace": "shop", "name": "web"},
               "spec": {"parentRefs": [{"name": "public", "namespace": "infra"}],
                        "rules": [{"backendRefs": [{"name": "web", "port": 8080}]}]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"namespace": "shop", "name": "from-gateway"},
               "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "infra"}}}],
                                     "ports": [{"port": 8080, "protocol": "TCP"}]}]}}),
    ]
}

// A backendRef's `port` is "the service port number, not the target port"
// (https://gateway-api.sigs.k8s.io/reference/spec/#backendref), and an
// HTTPRoute's traffic is HTTP over TCP, so of a Service's two ports numbered
// 8080 (the API server keeps a port number unique per protocol) the TCP one
// carries it: the proxies connect to container port 8080 over TCP, which
// the policy admits, not to the UDP port's 9053.
#[test]
fn a_backend_port_is_the_service_port_of_the_routes_protocol() {
    let cluster = cluster(objects());
    let plugin = crate::cni::behaviour(&cluster, &Default::default());
    let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::AsWritten);
    let probe =
        Probe { scheme: "http".to_owned(), host: "shop.example.com".to_owned(), path: "/".to_owned() };
    let resolution = resolve(&engine, &probe);
    assert_eq!(
        resolution.outcome,
        Outcome::Forward { backends: vec!["shop/web:8080".to_owned()], refused_by_policy: Vec::new() }
    );
}

// A pod whose readiness probe fails is removed from the endpoints of every
// Service that selects it
// (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes),
// so with its one proxy pod NotReady the Service in front of the Gateway
// has no ready endpoint and the request gets no answer at all: not a
// forward (as before), whatever the route says. The answer is
// `gateway_proxies`'s, the one `routes` and `trace` give.
#[test]
fn a_gateway_without_ready_proxies_serves_nothing() {
    let mut objects = objects();
    objects[2]["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]});
    let cluster = cluster(objects);
    let plugin = crate::cni::behaviour(&cluster, &Default::default());
    let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::AsWritten);
    for (scheme, path) in [("http", "/"), ("http", "/missing"), ("https", "/")] {
        let probe =
            Probe { scheme: scheme.to_owned(), host: "shop.example.com".to_owned(), path: path.to_owned() };
        let resolution = resolve(&engine, &probe);
        let expected = if scheme == "http" { Outcome::NoReadyProxies } else { Outcome::NoListener };
        assert_eq!(resolution.outcome, expected, "{}", probe.url());
    }
}
