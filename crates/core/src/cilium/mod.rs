//! Cilium's own policies: `CiliumNetworkPolicy` (namespaced) and
//! `CiliumClusterwideNetworkPolicy` (`cilium.io/v2`), field for field for
//! the fields that decide L3/L4 connectivity
//! (<https://docs.cilium.io/en/stable/security/policy/language/>,
//! <https://docs.cilium.io/en/stable/network/kubernetes/policy/>). They are
//! CRDs, so not in `k8s-openapi`; the rest of each object is ignored.
//!
//! The policy engine ([`crate::policy`]) compiles them beside Kubernetes
//! NetworkPolicy when the cluster runs Cilium: this module only holds the
//! objects and the facts about them that do not depend on the cluster
//! (labels Cilium adds, entities, L7 parts).

mod types;

pub use types::*;

use std::collections::BTreeMap;

/// The API group of both kinds.
pub const GROUP: &str = "cilium.io";

/// The label Cilium gives every endpoint with its pod's namespace; a
/// `CiliumNetworkPolicy`'s `fromEndpoints`/`toEndpoints` selector that does
/// not name it is restricted to the policy's own namespace
/// (<https://docs.cilium.io/en/stable/network/kubernetes/policy/#namespaces>).
pub const NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";

/// The label with the pod's service account
/// (<https://docs.cilium.io/en/stable/network/kubernetes/policy/#serviceaccounts>).
pub const SERVICE_ACCOUNT_LABEL: &str = "io.cilium.k8s.policy.serviceaccount";

/// The prefix of the namespace's labels on each endpoint
/// (`io.cilium.k8s.namespace.labels.team: a`), which lets a selector match
/// pods by their namespace's labels.
pub const NAMESPACE_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";

/// A label key as a selector writes it, without Cilium's source prefix:
/// `k8s:app` and `any:app` are `app` for pods (whose labels all come from
/// Kubernetes). `None` for labels of other sources (`reserved:host`,
/// `cidr:…`), which no pod has.
pub fn selector_key(key: &str) -> Option<&str> {
    match key.split_once(':') {
        Some(("k8s" | "any", rest)) => Some(rest),
        Some((_, _)) => None,
        None => Some(key),
    }
}

/// The labels Cilium's selectors see on a pod: its own, plus the namespace,
/// service account and namespace labels Cilium adds.
pub fn endpoint_labels(
    pod_labels: &BTreeMap<String, String>,
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    service_account: &str,
) -> BTreeMap<String, String> {
    let mut labels = pod_labels.clone();
    labels.insert(NAMESPACE_LABEL.to_owned(), namespace.to_owned());
    labels.insert(SERVICE_ACCOUNT_LABEL.to_owned(), service_account.to_owned());
    for (key, value) in namespace_labels {
        labels.insert(format!("{NAMESPACE_LABELS_PREFIX}{key}"), value.clone());
    }
    labels
}

/// A Cilium entity (`fromEntities`/`toEntities`,
/// <https://docs.cilium.io/en/stable/security/policy/language/#entities-based>),
/// as far as the model's peers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entity {
    /// `all`: every peer, in the cluster or not.
    All,
    /// `world` (`world-ipv4`, `world-ipv6`): everything outside the cluster.
    World,
    /// `cluster`: every endpoint of the cluster, pods and nodes.
    Cluster,
    /// `host` and `remote-node`: the nodes (and `hostNetwork` pods, which use
    /// their node's identity).
    Node,
    /// `kube-apiserver`, `health`, `init`, `unmanaged`, `ingress`: endpoints
    /// the model has no peer for.
    Unmodelled,
}

impl Entity {
    /// The entity called `name`; `None` for a name Cilium does not define.
    pub fn parse(name: &str) -> Option<Entity> {
        Some(match name {
            "all" => Entity::All,
            "world" | "world-ipv4" | "world-ipv6" => Entity::World,
            "cluster" => Entity::Cluster,
            "host" | "remote-node" => Entity::Node,
            "kube-apiserver" | "health" | "init" | "unmanaged" | "ingress" => Entity::Unmodelled,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
