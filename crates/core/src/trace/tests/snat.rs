//! `externalTrafficPolicy: Cluster` on several nodes: the node that
//! receives a connection from outside SNATs it to its own address and
//! forwards it to any ready endpoint, so the pods' policies see the
//! receiving node's address, and which node that is the client does not
//! choose ("Preserving the client source IP",
//! <https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-nodeport>;
//! <https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy>).
//! Traffic from a pod's own node is always allowed
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>).

use super::*;

/// Three nodes, a `shop/web` pod on `web_node`, a `NodePort` Service in
/// front of it (the default `Cluster` policy), and a policy admitting `cidr`.
fn three_nodes(web_node: &str, cidr: &str) -> Vec<Value> {
    with(vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        node("n3", "192.168.0.13"),
        pod(
            "shop",
            "web",
            json!({"app": "web"}),
            json!([{"containerPort": 8080}]),
            "10.244.1.9",
            true,
            web_node,
        ),
        service(
            "shop",
            "web",
            json!({"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]}),
        ),
        policy(
            "shop",
            "office",
            json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}]}),
        ),
    ])
}

const ALLOWED_PARTIAL: &str = "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed";

// The pod runs on n1: n1's own traffic is always allowed, n2's and n3's
// SNATed traffic is denied. Partial: the verdict depends on the node the
// client hits, and the step names the nodes that are blocked.
#[test]
fn some_nodes_blocked_is_partial() {
    check(
        three_nodes("n1", "198.51.100.0/24"),
        "external:198.51.100.7",
        "svc/shop/web:80",
        ALLOWED_PARTIAL,
        &[
            (Layer::NetworkPolicyIngress, "arriving through nodes `n2`, `n3`"),
            (Layer::NetworkPolicyIngress, "through node `n1` (`192.168.0.11`): admitted"),
            (Layer::NetworkPolicyIngress, "through node `n2` (`192.168.0.12`): denied"),
            (
                Layer::NetworkPolicyIngress,
                "`ipBlock` `192.168.0.12/32`, `192.168.0.13/32` (the nodes `n2`, `n3`",
            ),
            (Layer::Readiness, "each judged: `192.168.0.11` (node `n1`), `192.168.0.12` (node `n2`)"),
        ],
    );
}

// A policy admitting the nodes' range admits every node's SNATed address.
#[test]
fn every_node_admitted_is_allowed() {
    check(
        three_nodes("n1", "192.168.0.0/24"),
        "external:198.51.100.7",
        "svc/shop/web:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::NetworkPolicyIngress, "each node that may receive the connection: `192.168.0.11` (node `n1`), `192.168.0.12` (node `n2`), `192.168.0.13` (node `n3`), each admitted")],
    );
}

// The pod's node is none of the three: every node's address is SNATed
// and denied. The fix admits every node's address, not the client's.
#[test]
fn every_node_denied_is_blocked() {
    check(
        three_nodes("n9", "198.51.100.0/24"),
        "external:198.51.100.7",
        "svc/shop/web:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            (Layer::NetworkPolicyIngress, "each denied"),
            (Layer::NetworkPolicyIngress, "`ipBlock` `192.168.0.11/32`, `192.168.0.12/32`, `192.168.0.13/32` (the nodes `n1`, `n2`, `n3`"),
        ],
    );
}

// A node port at a given node: that node receives it, and only its address
// is judged (n2 SNATs; blocked), as before.
#[test]
fn a_named_node_is_judged_alone() {
    check(
        three_nodes("n1", "198.51.100.0/24"),
        "external:198.51.100.7",
        "192.168.0.12:30080",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "`ipBlock` `192.168.0.12/32` on TCP 8080")],
    );
}

// `externalTrafficPolicy: Local` keeps the client's address on every node:
// no node is judged, the client is.
#[test]
fn local_keeps_the_client() {
    let objects = replace(
        three_nodes("n1", "198.51.100.0/24"),
        service(
            "shop",
            "web",
            json!({"type": "NodePort", "externalTrafficPolicy": "Local", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]}),
        ),
    );
    check(
        objects,
        "external:198.51.100.7",
        "svc/shop/web:80",
        "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::NetworkPolicyIngress, "admits `198.51.100.7`")],
    );
}

// No Node in the input: the nodes' addresses are not known, and the fix
// must not suggest the clients' ranges, which the SNAT replaces.
#[test]
fn hidden_node_addresses_fix_names_the_nodes() {
    let objects = with(vec![
        pod("shop", "web", json!({"app": "web"}), json!([{"containerPort": 8080}]), "10.244.1.9", true, "n1"),
        service(
            "shop",
            "web",
            json!({"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]}),
        ),
        policy(
            "shop",
            "deny",
            json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}),
        ),
    ]);
    check(
        objects,
        "external:198.51.100.7",
        "svc/shop/web:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "an `ipBlock` of the nodes' addresses (under `externalTrafficPolicy: Cluster`")],
    );
}
