//! The facts about Cilium's policies that do not depend on the cluster:
//! selector keys, the labels Cilium adds to endpoints, entities, and a
//! policy's rules (`spec` and `specs`). Their effect on connectivity is
//! tested through the engine (`policy/cilium_tests.rs`).

use std::collections::BTreeMap;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

// "Labels ... are prefixed with their source" (`k8s:`, `reserved:`, …),
// and a key without prefix matches any source
// (https://docs.cilium.io/en/stable/security/policy/language/#label-based):
// pods' labels all come from Kubernetes.
#[test]
fn selector_keys_drop_the_kubernetes_source() {
    assert_eq!(selector_key("app"), Some("app"));
    assert_eq!(selector_key("k8s:app"), Some("app"));
    assert_eq!(selector_key("any:app"), Some("app"));
    assert_eq!(selector_key("k8s:io.kubernetes.pod.namespace"), Some(NAMESPACE_LABEL));
    assert_eq!(selector_key("reserved:host"), None);
    assert_eq!(selector_key("cidr:10.0.0.0/8"), None);
}

// Every endpoint carries its namespace, service account and namespace
// labels (https://docs.cilium.io/en/stable/network/kubernetes/policy/#namespaces,
// #serviceaccounts).
#[test]
fn endpoints_carry_namespace_and_service_account() {
    let found = endpoint_labels(&labels(&[("app", "api")]), "shop", &labels(&[("team", "a")]), "api-sa");
    assert_eq!(
        found,
        labels(&[
            ("app", "api"),
            ("io.cilium.k8s.namespace.labels.team", "a"),
            ("io.cilium.k8s.policy.serviceaccount", "api-sa"),
            ("io.kubernetes.pod.namespace", "shop"),
        ])
    );
}

// The entities of https://docs.cilium.io/en/stable/security/policy/language/#entities-based.
#[test]
fn entities() {
    let cases = [
        ("all", Some(Entity::All)),
        ("world", Some(Entity::World)),
        ("world-ipv4", Some(Entity::World)),
        ("cluster", Some(Entity::Cluster)),
        ("host", Some(Entity::Node)),
        ("remote-node", Some(Entity::Node)),
        ("kube-apiserver", Some(Entity::Unmodelled)),
        ("health", Some(Entity::Unmodelled)),
        ("World", None),
        ("internet", None),
    ];
    for (name, expect) in cases {
        assert_eq!(Entity::parse(name), expect, "{name}");
    }
}

// A policy holds one rule in `spec` and more in `specs`, each addressed by
// its field path (https://docs.cilium.io/en/stable/network/kubernetes/policy/#ciliumnetworkpolicy).
#[test]
fn spec_and_specs_are_rules() {
    let policy: CiliumPolicy = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {"endpointSelector": {}},
        "specs": [{"endpointSelector": {"matchLabels": {"app": "x"}}}, {"endpointSelector": {}}]
    }))
    .unwrap();
    let paths: Vec<String> = policy.rules().into_iter().map(|(path, _)| path).collect();
    assert_eq!(paths, ["spec", "specs[0]", "specs[1]"]);
}
