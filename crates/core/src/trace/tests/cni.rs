//! The `cni` layer: whether the plugin enforces the policies, and the
//! `destination` layer: whether the pod declares the port.

use super::*;

// Flannel does not implement NetworkPolicy: policies exist in the API and
// have no effect (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites).
#[test]
fn flannel_does_not_enforce() {
    let flannel = json!({"kind": "DaemonSet", "metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel"},
                         "spec": {"selector": {"matchLabels": {"app": "flannel"}},
                                  "template": {"metadata": {"labels": {"app": "flannel"}},
                                               "spec": {"hostNetwork": true, "containers": [{"name": "kube-flannel", "image": "flannel/flannel:v0.25.1"}]}}}});
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    let objects: Vec<Value> =
        with(vec![flannel, deny]).into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        objects.clone(),
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nwarn network-policy-ingress\nwarn cni\npass destination\n=> allowed",
        &[
            (Layer::NetworkPolicyIngress, "; but `flannel` does not enforce NetworkPolicy"),
            (Layer::Cni, "`flannel` does not enforce NetworkPolicy: the denials at `network-policy-ingress` are stored in the API but have no effect"),
        ],
    );
    // `--cni` overrides detection.
    check_with(
        objects,
        "web/client",
        "http://api.prod/",
        Some("calico"),
        Protocol::Tcp,
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[],
    );
}

#[test]
fn unknown_plugins_are_assumed_to_enforce() {
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    let objects: Vec<Value> =
        with(vec![deny]).into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        objects.clone(),
        "web/client",
        "prod/frontend:3000",
        "pass source\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[],
    );
    let open: Vec<Value> = base().into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        open,
        "web/client",
        "prod/frontend:3000",
        "pass source\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Cni, "no policy applies to this connection (the network plugin is not known)")],
    );
}

#[test]
fn unknown_plugin_names() {
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    check_with(
        with(vec![deny]),
        "web/client",
        "prod/frontend:3000",
        Some("mystery-net"),
        Protocol::Tcp,
        "pass source\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::Cni, "not checked")],
    );
}

// ---- destination ----

// Declared container ports are informational: "Not specifying a port here
// DOES NOT prevent that port from being exposed"
// (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports).
#[test]
fn undeclared_ports_warn() {
    check(
        base(),
        "prod/frontend",
        "web/client:9000",
        "pass source\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\nwarn destination\n=> allowed",
        &[(Layer::Destination, "`web/client` does not declare TCP 9000"), (Layer::Destination, "declares no container ports")],
    );
}
