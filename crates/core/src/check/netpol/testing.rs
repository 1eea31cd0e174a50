//! Objects for the NetworkPolicy rules' unit tests.

use serde_json::{json, Value};

/// A Deployment `namespace/name` of one replica whose pods carry `labels`
/// and one container with `ports`.
pub(in crate::check) fn deployment(namespace: &str, name: &str, labels: Value, ports: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
           "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels},
                                 "spec": {"containers": [{"name": "main", "image": "example/app:1",
                                                          "ports": ports}]}}}})
}

/// A ClusterIP Service `namespace/name` selecting `selector`.
pub(in crate::check) fn service(namespace: &str, name: &str, selector: Value, ports: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
           "spec": {"selector": selector, "ports": ports}})
}

/// A NetworkPolicy `namespace/name` with `spec`.
pub(in crate::check) fn policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

/// A Namespace with `labels`.
pub(in crate::check) fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}
