//! KR708's `fix:`, applied (as in `fix_tests.rs`): the rule it suggests
//! admits what the Gateway's proxies' connections carry, on the port the
//! backend's pods receive them on.

use serde_json::{json, Value};

use super::fix_tests::{fixed_by, node, not_fixed_by, one_finding, pod};
use super::netpol::testing::{policy, service};

const RULE: &str = "gateway-blocked-by-networkpolicy";

/// Envoy Gateway's `infra/public` with its proxy pod on node `n1` (on the
/// host network when `host_network`), an HTTPRoute to `shop/web` port 80,
/// whose pods on node `n2` listen on `http` (3000), and a default deny on
/// `shop`'s ingress.
fn gateway(host_network: bool) -> Vec<Value> {
    let proxy_ip = if host_network { "192.168.0.11" } else { "10.244.1.9" };
    vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "eg"},
               "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": {"name": "public", "namespace": "infra"},
               "spec": {"gatewayClassName": "eg",
                        "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                       "allowedRoutes": {"namespaces": {"from": "All"}}}]}}),
        pod(
            "envoy-gateway-system",
            "envoy-infra-public-5d9c-abcde",
            json!({"gateway.envoyproxy.io/owning-gateway-name": "public",
                   "gateway.envoyproxy.io/owning-gateway-namespace": "infra",
                   "pod-template-hash": "5d9c"}),
            "n1",
            proxy_ip,
            json!({"hostNetwork": host_network, "image": "docker.io/envoyproxy/envoy:distroless-v1.35.0"}),
        ),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"parentRefs": [{"name": "public", "namespace": "infra"}],
                        "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}),
        pod(
            "shop",
            "web-0",
            json!({"app": "web"}),
            "n2",
            "10.244.2.5",
            json!({"ports": [{"name": "http", "containerPort": 3000}]}),
        ),
        service("shop", "web", json!({"app": "web"}), json!([{"port": 80, "targetPort": "http"}])),
        policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})),
    ]
}

/// A NetworkPolicy in `shop` admitting `peer` to the web pods on `port`.
fn admit(peer: Value, port: Value) -> Value {
    policy(
        "shop",
        "from-gateway",
        json!({"podSelector": {"matchLabels": {"app": "web"}},
               "ingress": [{"from": [peer], "ports": [{"port": port}]}]}),
    )
}

fn proxy_pods() -> Value {
    json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}},
           "podSelector": {"matchLabels": {"gateway.envoyproxy.io/owning-gateway-name": "public"}}})
}

// The proxies connect to the backend's pods on the pod's port behind the
// backendRef's Service port, and policies see that port after the DNAT
// (https://gateway-api.sigs.k8s.io/reference/spec/#backendref: "the
// destination port number to use for this resource";
// https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPort).
// A rule admitting the proxies on the Service port 80 admits nothing.
#[test]
fn the_fix_names_the_proxies_and_the_pods_port() {
    let objects = gateway(false);
    one_finding(
        RULE,
        &objects,
        "add a NetworkPolicy in `shop` selecting `app=web` that allows ingress from namespace \
         `envoy-gateway-system` pods `gateway.envoyproxy.io/owning-gateway-name=public,\
         gateway.envoyproxy.io/owning-gateway-namespace=infra` on TCP port `http` (3000)",
    );
    fixed_by(RULE, &objects, admit(proxy_pods(), json!("http")));
    fixed_by(RULE, &objects, admit(proxy_pods(), json!(3000)));
    not_fixed_by(RULE, &objects, admit(proxy_pods(), json!(80)));
}

// A proxy on the host network connects from its node's address, and the
// plugin sees it as the node: no `podSelector` or `namespaceSelector`
// matches it, an `ipBlock` of the node's address does
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
#[test]
fn a_host_network_proxy_is_admitted_by_its_nodes_address() {
    let objects = gateway(true);
    one_finding(
        RULE,
        &objects,
        "allows ingress from `ipBlock` `192.168.0.11/32` (the addresses of the nodes they run on: they use the \
         host network, so no `podSelector` or `namespaceSelector` matches them) on TCP port `http` (3000)",
    );
    fixed_by(RULE, &objects, admit(json!({"ipBlock": {"cidr": "192.168.0.11/32"}}), json!("http")));
    not_fixed_by(RULE, &objects, admit(proxy_pods(), json!("http")));
}
