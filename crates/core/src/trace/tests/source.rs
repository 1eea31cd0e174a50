//! The `source` layer: who opens the connection.

use super::*;

#[test]
fn missing_sources_suggest_close_names() {
    check(
        base(),
        "prod/frontnd",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "did you mean `prod/frontend`?")],
    );
    check(
        base(),
        "staging/client",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "namespace `staging` is not in the input"), (Layer::Source, "`web/client` exists")],
    );
}

// A pod in phase Succeeded or Failed runs no containers
// (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase).
#[test]
fn finished_sources_open_no_connections() {
    let mut done = pod("web", "batch", json!({"app": "batch"}), json!([]), "10.244.2.2", false, "n1");
    done["status"]["phase"] = json!("Succeeded");
    check(
        with(vec![done]),
        "web/batch",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "has finished (Succeeded)")],
    );
}

// hostNetwork pods carry the node's address: NetworkPolicy does not isolate
// them (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
#[test]
fn host_network_sources() {
    let mut agent = deployment("web", "agent", 1, json!([]));
    agent["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    agent["spec"]["template"]["spec"]["dnsPolicy"] = json!("ClusterFirstWithHostNet");
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    check(
        with(vec![agent, deny]),
        "web/agent",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Source, "`hostNetwork: true`"), (Layer::NetworkPolicyEgress, "uses the node's network")],
    );
}
