//! Helpers for the policy and matrix tests: clusters from JSON objects,
//! endpoints from `namespace/name` or addresses, and a checker that also
//! compares the single-pair answer with the class matrix's.

use serde_json::{json, Value};

use super::{Endpoint, IpRange, PolicyEngine, PolicyOptions};
use crate::model::{Cluster, PodId};

/// Builds a cluster from objects written as Kubernetes JSON.
pub(crate) fn cluster(objects: &[Value]) -> Cluster {
    crate::testing::cluster(objects.iter().cloned())
}

/// A namespace with labels.
pub(crate) fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

/// A pod with labels and no ports.
pub(crate) fn pod(namespace: &str, name: &str, labels: Value) -> Value {
    pod_with_ports(namespace, name, labels, json!([]))
}

/// A pod with labels and container ports (`[{"name": "http", "containerPort": 80}]`).
pub(crate) fn pod_with_ports(namespace: &str, name: &str, labels: Value, ports: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "i", "ports": ports}]}
    })
}

/// A NetworkPolicy.
pub(crate) fn network_policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec
    })
}

/// An AdminNetworkPolicy.
pub(crate) fn admin_policy(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
        "metadata": {"name": name}, "spec": spec
    })
}

/// The BaselineAdminNetworkPolicy `default`.
pub(crate) fn baseline_policy(spec: Value) -> Value {
    json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
        "metadata": {"name": "default"}, "spec": spec
    })
}

/// Namespaces `x` (team blue) and `y` (team red), pods `x/a`, `x/b`,
/// `y/a` (labelled `app` by name), then `objects`.
pub(crate) fn blue_and_red(objects: &[Value]) -> Vec<Value> {
    let mut all = vec![
        namespace("x", json!({"team": "blue"})),
        namespace("y", json!({"team": "red"})),
        pod("x", "a", json!({"app": "a"})),
        pod("x", "b", json!({"app": "b"})),
        pod("y", "a", json!({"app": "a"})),
    ];
    all.extend_from_slice(objects);
    all
}

/// The engine for `cluster` on the plugin called `plugin` (`--cni`).
pub(crate) fn engine_on<'c>(plugin: &str, cluster: &'c Cluster) -> PolicyEngine<'c> {
    let overrides = crate::cni::PluginOverrides {
        cni: Some(plugin.to_owned()),
        ..crate::cni::PluginOverrides::default()
    };
    PolicyEngine::for_plugin(
        cluster,
        crate::cni::behaviour(cluster, &overrides),
        crate::cni::PolicyView::Effective,
    )
}

/// `namespace/name` (a pod, or a workload's first pod), `ingress-controller`,
/// or an address or CIDR.
pub(crate) fn endpoint(cluster: &Cluster, text: &str) -> Endpoint {
    if text == "ingress-controller" {
        return Endpoint::IngressController;
    }
    if let Some(range) = IpRange::parse_cidr(text) {
        return Endpoint::External(range);
    }
    let (namespace, name) = text.split_once('/').expect("namespace/name");
    let pods = cluster.pods_in(namespace);
    let found = pods
        .iter()
        .find(|id| cluster.pod(**id).name == name)
        .or_else(|| pods.iter().find(|id| cluster.workload_ref(cluster.pod(**id)).name == name))
        .unwrap_or_else(|| panic!("no pod {text}"));
    Endpoint::Pod(PodId(found.0))
}

/// The options most tests use: `ipBlock`s match addresses outside the cluster only.
pub(crate) const EXTERNAL_ONLY: PolicyOptions = PolicyOptions { ip_blocks_match_pods: false };

/// Checks `(from, to, expected connection set)` triples, through both the
/// single-pair evaluation and the class matrix.
pub(crate) fn check_pairs(engine: &PolicyEngine<'_>, pairs: &[(&str, &str, &str)]) {
    let cluster = engine.cluster();
    let matrix = engine.class_matrix();
    matrix.assert_rows_agree();
    super::point::assert_point_agrees(engine);
    for &(from, to, expect) in pairs {
        let (a, b) = (endpoint(cluster, from), endpoint(cluster, to));
        let single = engine.allowed(&a, &b);
        assert_eq!(single.to_string(), expect, "{from} => {to}");
        let in_one_block = |e: &Endpoint| match e {
            Endpoint::External(range) => engine.external_ranges().iter().any(|block| block.contains(range)),
            _ => true,
        };
        if in_one_block(&a) && in_one_block(&b) {
            assert_eq!(matrix.allowed(&a, &b).to_string(), expect, "{from} => {to} (class matrix)");
        }
    }
}

/// Builds the cluster and engine, and checks the pairs.
pub(crate) fn check(objects: &[Value], options: PolicyOptions, pairs: &[(&str, &str, &str)]) {
    let cluster = cluster(objects);
    let engine = PolicyEngine::new(&cluster, options);
    check_pairs(&engine, pairs);
}
