//! Which pods a NetworkPolicy's `podSelector` and its peers select, for the
//! rules that reason about a policy's own fields (the verdicts themselves
//! come from the policy engine).
//!
//! Pods on the host network are left out: policies neither select them nor
//! match them as `podSelector`/`namespaceSelector` peers (the engine's
//! default, [`crate::policy::HostNetwork::Node`]).

use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::labels::selector_matches;
use crate::model::{Cluster, PodId};

/// What a `from`/`to` peer selects.
pub(crate) enum PeerPods {
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

/// Pods of `namespace` that `selector` selects, host-network pods left out.
pub(crate) fn selected_pods(cluster: &Cluster, namespace: &str, selector: &LabelSelector) -> Vec<PodId> {
    cluster
        .pods_in(namespace)
        .iter()
        .copied()
        .filter(|&id| {
            let pod = cluster.pod(id);
            !pod.host_network() && selector_matches(selector, &pod.labels)
        })
        .collect()
}

/// Pods of `namespace` that policies can apply to.
pub(crate) fn policy_capable_pods(cluster: &Cluster, namespace: &str) -> Vec<PodId> {
    cluster.pods_in(namespace).iter().copied().filter(|&id| !cluster.pod(id).host_network()).collect()
}

/// What `peer`, in a policy of `namespace`, selects: `namespaceSelector`
/// alone selects every pod of the matching namespaces, `podSelector` alone
/// the matching pods of the policy's namespace, both the matching pods of
/// the matching namespaces.
pub(crate) fn peer_pods(cluster: &Cluster, namespace: &str, peer: &NetworkPolicyPeer) -> PeerPods {
    if peer.ip_block.is_some() {
        return PeerPods::Addresses;
    }
    let namespaces: Vec<String> = match &peer.namespace_selector {
        Some(selector) => cluster
            .namespaces()
            .values()
            .filter(|ns| selector_matches(selector, &ns.labels))
            .map(|ns| ns.name.clone())
            .collect(),
        None if peer.pod_selector.is_some() => vec![namespace.to_owned()],
        None => return PeerPods::Invalid,
    };
    let everything = LabelSelector::default();
    let pod_selector = peer.pod_selector.as_ref().unwrap_or(&everything);
    let pods = namespaces.iter().flat_map(|ns| selected_pods(cluster, ns, pod_selector)).collect();
    PeerPods::Pods { namespaces, pods }
}
