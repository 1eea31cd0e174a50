//! Which pods a NetworkPolicy's `podSelector` and its `from`/`to` peers
//! select, pod by pod, for questions about a policy's own fields (does this
//! selector select anything? which pods does this rule's port reach?). The
//! verdicts themselves come from the compiled engine, which selects the
//! same pods by class ([`super::PolicyEngine::peer_pods`] and friends pass
//! the engine's `hostNetwork` behaviour).
//!
//! Semantics (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>):
//! `namespaceSelector` alone selects every pod of the matching namespaces,
//! `podSelector` alone the matching pods of the policy's namespace, both the
//! matching pods of the matching namespaces; an `ipBlock` selects
//! addresses. With [`HostNetwork::Node`], pods on the host network are
//! neither selected nor matched as peers.

use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::HostNetwork;
use crate::labels::selector_matches;
use crate::model::{Cluster, PodId};

/// What a `from`/`to` peer selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerPods {
    /// Pods: the namespaces considered, and the pods selected in them.
    Pods {
        /// Namespaces the peer covers, sorted.
        namespaces: Vec<String>,
        /// The pods it selects.
        pods: Vec<PodId>,
    },
    /// An `ipBlock`: addresses, not pods.
    Addresses,
    /// Neither selector nor `ipBlock` (the API server rejects it).
    Invalid,
}

/// Pods of `namespace` that `selector` selects.
pub fn selected_pods(
    cluster: &Cluster,
    namespace: &str,
    selector: &LabelSelector,
    host_network: HostNetwork,
) -> Vec<PodId> {
    policy_capable_pods(cluster, namespace, host_network)
        .into_iter()
        .filter(|&id| selector_matches(selector, &cluster.pod(id).labels))
        .collect()
}

/// Pods of `namespace` that policies can apply to.
pub fn policy_capable_pods(cluster: &Cluster, namespace: &str, host_network: HostNetwork) -> Vec<PodId> {
    cluster
        .pods_in(namespace)
        .iter()
        .copied()
        .filter(|&id| policy_capable(cluster, id, host_network))
        .collect()
}

/// What `peer`, in a policy of `namespace`, selects.
pub fn peer_pods(
    cluster: &Cluster,
    namespace: &str,
    peer: &NetworkPolicyPeer,
    host_network: HostNetwork,
) -> PeerPods {
    if peer.ip_block.is_some() {
        return PeerPods::Addresses;
    }
    let namespaces: Vec<String> = match &peer.namespace_selector {
        Some(selector) => match cluster.index().namespace_candidates(selector) {
            // Sorted names, as the namespaces map's order.
            Some(candidates) => candidates
                .iter()
                .filter_map(|name| cluster.namespace(name))
                .filter(|ns| selector_matches(selector, &ns.labels))
                .map(|ns| ns.name.clone())
                .collect(),
            None => cluster
                .namespaces()
                .values()
                .filter(|ns| selector_matches(selector, &ns.labels))
                .map(|ns| ns.name.clone())
                .collect(),
        },
        None if peer.pod_selector.is_some() => vec![namespace.to_owned()],
        None => return PeerPods::Invalid,
    };
    let everything = LabelSelector::default();
    let pod_selector = peer.pod_selector.as_ref().unwrap_or(&everything);
    let Some(candidates) = cluster.index().selector_candidates(pod_selector) else {
        let pods =
            namespaces.iter().flat_map(|ns| selected_pods(cluster, ns, pod_selector, host_network)).collect();
        return PeerPods::Pods { namespaces, pods };
    };
    // The same pods from the label index, in the same order (by namespace,
    // then id), without a walk over every pod of the namespaces.
    let mut pods: Vec<PodId> = candidates
        .into_iter()
        .filter(|&id| {
            let pod = cluster.pod(id);
            namespaces.binary_search(&pod.namespace).is_ok()
                && policy_capable(cluster, id, host_network)
                && selector_matches(pod_selector, &pod.labels)
        })
        .collect();
    pods.sort_by(|a, b| cluster.pod(*a).namespace.cmp(&cluster.pod(*b).namespace).then(a.cmp(b)));
    PeerPods::Pods { namespaces, pods }
}

/// Whether `peer`, in a policy of `namespace`, selects at least one pod:
/// [`peer_pods`] answering `Pods` with pods (`false` for an `ipBlock` or an
/// invalid peer). It stops at the first pod, so a check over every peer of
/// a large cluster costs about one lookup per peer rather than every pod
/// each peer covers.
pub fn peer_selects_a_pod(
    cluster: &Cluster,
    namespace: &str,
    peer: &NetworkPolicyPeer,
    host_network: HostNetwork,
) -> bool {
    if peer.ip_block.is_some() {
        return false;
    }
    let everything = LabelSelector::default();
    let pod_selector = peer.pod_selector.as_ref().unwrap_or(&everything);
    let selects = |id: PodId| {
        policy_capable(cluster, id, host_network) && selector_matches(pod_selector, &cluster.pod(id).labels)
    };
    let Some(namespace_selector) = &peer.namespace_selector else {
        // A `podSelector` alone: the policy's own namespace.
        return peer.pod_selector.is_some() && cluster.pods_in(namespace).iter().any(|&id| selects(id));
    };
    // As `peer_pods`: only namespaces of the input, by their labels.
    let namespace_selected = |name: &str| {
        cluster.namespace(name).is_some_and(|ns| selector_matches(namespace_selector, &ns.labels))
    };
    match cluster.index().selector_candidates(pod_selector) {
        Some(candidates) => {
            candidates.into_iter().any(|id| namespace_selected(&cluster.pod(id).namespace) && selects(id))
        }
        None => {
            let names: Box<dyn Iterator<Item = &String>> =
                match cluster.index().namespace_candidates(namespace_selector) {
                    Some(candidates) => Box::new(candidates.iter()),
                    None => Box::new(cluster.namespaces().keys()),
                };
            names
                .filter(|name| namespace_selected(name))
                .any(|name| cluster.pods_in(name).iter().any(|&id| selects(id)))
        }
    }
}

/// Whether policies can apply to pod `id`: not on the host network, unless
/// the plugin treats such pods as pods.
pub fn policy_capable(cluster: &Cluster, id: PodId, host_network: HostNetwork) -> bool {
    host_network == HostNetwork::Pod || !cluster.pod(id).host_network()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    // `peer_selects_a_pod` is `peer_pods` answering pods, peer by peer.
    #[test]
    fn selects_a_pod_agrees_with_peer_pods() {
        let pod = |name: &str, namespace: &str, labels: serde_json::Value, host: bool| {
            json!({"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
                   "spec": {"hostNetwork": host, "containers": [{"name": "c", "image": "c"}]}})
        };
        let namespace = |name: &str, labels: serde_json::Value| json!({"kind": "Namespace", "metadata": {"name": name, "labels": labels}});
        let cluster = cluster(vec![
            namespace("a", json!({"team": "x"})),
            namespace("b", json!({"team": "y"})),
            pod("web", "a", json!({"app": "web"}), false),
            pod("agent", "a", json!({"app": "agent"}), true),
            pod("db", "b", json!({"app": "db", "tier": "data"}), false),
            // A namespace without a Namespace object: no namespaceSelector selects it.
            pod("stray", "c", json!({"app": "stray"}), false),
        ]);
        let peers = [
            json!({"podSelector": {}}),
            json!({"podSelector": {"matchLabels": {"app": "web"}}}),
            json!({"podSelector": {"matchLabels": {"app": "db"}}}),
            json!({"podSelector": {"matchLabels": {"app": "agent"}}}),
            json!({"namespaceSelector": {}}),
            json!({"namespaceSelector": {"matchLabels": {"team": "y"}}}),
            json!({"namespaceSelector": {"matchLabels": {"team": "z"}}}),
            json!({"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}}),
            json!({"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "stray"}}}),
            json!({"namespaceSelector": {"matchLabels": {"team": "x"}}, "podSelector": {"matchLabels": {"app": "db"}}}),
            json!({"namespaceSelector": {"matchLabels": {"team": "y"}}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["data"]}]}}),
            json!({"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}}),
            json!({"ipBlock": {"cidr": "10.0.0.0/8"}}),
            json!({}),
        ];
        for peer in peers {
            let peer: NetworkPolicyPeer = serde_json::from_value(peer).unwrap();
            for namespace in ["a", "b", "c"] {
                for host_network in [HostNetwork::Node, HostNetwork::Pod] {
                    let expected = matches!(
                        peer_pods(&cluster, namespace, &peer, host_network),
                        PeerPods::Pods { pods, .. } if !pods.is_empty()
                    );
                    let found = peer_selects_a_pod(&cluster, namespace, &peer, host_network);
                    assert_eq!(found, expected, "{peer:?} in {namespace}, {host_network:?}");
                }
            }
        }
    }

    // hostNetwork pods are node traffic by default: no selector matches them
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods);
    // with `HostNetwork::Pod` they are pods like any other.
    #[test]
    fn host_network_pods_follow_the_engine() {
        let cluster = cluster(vec![
            json!({"kind": "Pod", "metadata": {"name": "agent", "namespace": "ops", "labels": {"app": "agent"}},
                   "spec": {"hostNetwork": true, "containers": [{"name": "a", "image": "a"}]}}),
            json!({"kind": "Pod", "metadata": {"name": "web", "namespace": "ops", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "w", "image": "w"}]}}),
        ]);
        let everything = LabelSelector::default();
        let names = |pods: Vec<PodId>| -> Vec<String> {
            pods.iter().map(|id| cluster.pod(*id).name.clone()).collect()
        };
        assert_eq!(names(selected_pods(&cluster, "ops", &everything, HostNetwork::Node)), ["web"]);
        assert_eq!(names(selected_pods(&cluster, "ops", &everything, HostNetwork::Pod)), ["agent", "web"]);
        let peer =
            NetworkPolicyPeer { pod_selector: Some(everything.clone()), ..NetworkPolicyPeer::default() };
        let PeerPods::Pods { namespaces, pods } = peer_pods(&cluster, "ops", &peer, HostNetwork::Node) else {
            panic!("a pod selector selects pods")
        };
        assert_eq!((namespaces, names(pods)), (vec!["ops".to_owned()], vec!["web".to_owned()]));
        let block = NetworkPolicyPeer { ip_block: Some(Default::default()), ..NetworkPolicyPeer::default() };
        assert_eq!(peer_pods(&cluster, "ops", &block, HostNetwork::Node), PeerPods::Addresses);
        assert_eq!(
            peer_pods(&cluster, "ops", &NetworkPolicyPeer::default(), HostNetwork::Node),
            PeerPods::Invalid
        );
    }
}
