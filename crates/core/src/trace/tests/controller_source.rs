//! `trace external http://HOST/…`: the connection to the ingress
//! controller's own pods, through its `LoadBalancer` Service. With
//! `externalTrafficPolicy: Cluster` the node that receives it SNATs the
//! client to its own address, so the controller's ingress policies see a
//! node's address (one per node that may receive it); with `Local` they see
//! the client's
//! (<https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-loadbalancer>;
//! `externalTrafficPolicy` in
//! <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec>).
//! Traffic from a pod's own node is always allowed
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>).

use super::*;

/// Three nodes, the ingress-nginx controller's pod on `n1` behind a
/// `LoadBalancer` Service with `traffic_policy`, an Ingress for
/// `shop.example.com` to `prod/api`, and a policy on the controller's pods
/// admitting `cidr` on 80 and 443.
fn controller_behind(traffic_policy: &str, cidr: &str) -> Vec<Value> {
    let mut controller = pod(
        "ingress-nginx",
        "ingress-nginx-controller-7d9f-x2x4q",
        json!({"app.kubernetes.io/name": "ingress-nginx"}),
        json!([{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]),
        "10.244.1.20",
        true,
        "n1",
    );
    controller["spec"]["containers"][0]["image"] = json!("registry.k8s.io/ingress-nginx/controller:v1.11.2");
    with(vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        node("n3", "192.168.0.13"),
        controller,
        json!({"kind": "IngressClass", "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
               "spec": {"controller": "k8s.io/ingress-nginx"}}),
        json!({"kind": "Service", "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
               "spec": {"type": "LoadBalancer", "externalTrafficPolicy": traffic_policy,
                        "selector": {"app.kubernetes.io/name": "ingress-nginx"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 31080},
                                  {"name": "https", "port": 443, "targetPort": "https", "nodePort": 31443}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.50"}]}}}),
        ingress(
            "shop",
            json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
        ),
        policy(
            "ingress-nginx",
            "from-clients",
            json!({"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": 80}, {"port": 443}]}]}),
        ),
    ])
}

const PASSED: &str = "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed";

// `Cluster`: the controller's pods see n1's, n2's or n3's address. A
// policy that admits the clients' range admits none of them; the pod's own
// node n1 is always admitted, so the answer depends on the node: a warning
// naming n2 and n3, and the fix admits their addresses.
#[test]
fn cluster_policy_judges_the_controller_per_node() {
    check(
        controller_behind("Cluster", "198.51.100.0/24"),
        "external:198.51.100.7",
        "http://shop.example.com/",
        &PASSED.replace("pass ingress-class", "warn ingress-class"),
        &[
            (Layer::IngressClass, "arriving through `n2`, `n3` on TCP 80"),
            (Layer::IngressClass, "`192.168.0.12` (node `n2`)"),
            (Layer::IngressClass, "`ipBlock` `192.168.0.12/32`, `192.168.0.13/32` (the nodes `n2`, `n3`"),
            (Layer::IngressClass, "NetworkPolicy `ingress-nginx/from-clients`"),
        ],
    );
    // Admitting the nodes' addresses lets every node's SNATed traffic in.
    check(
        controller_behind("Cluster", "192.168.0.0/24"),
        "external:198.51.100.7",
        "http://shop.example.com/",
        PASSED,
        &[(Layer::IngressClass, "their policies admit it")],
    );
}

// `Local`: the client's address is kept, so the clients' range is what
// the policy must admit.
#[test]
fn local_policy_judges_the_controller_for_the_client() {
    check(
        controller_behind("Local", "198.51.100.0/24"),
        "external:198.51.100.7",
        "http://shop.example.com/",
        PASSED,
        &[(Layer::IngressClass, "the client's own address (`externalTrafficPolicy: Local`)")],
    );
    check(
        controller_behind("Local", "198.51.100.0/24"),
        "external:203.0.113.9",
        "https://shop.example.com/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[
            (Layer::IngressClass, "the ingress controller's pods do not admit the connection on TCP 443"),
            (Layer::IngressClass, "`ipBlock` `203.0.113.9/32`"),
        ],
    );
}
