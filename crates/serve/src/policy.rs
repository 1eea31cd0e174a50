//! The `kubereach.policy/v1` document: one NetworkPolicy's selectors
//! resolved to the workloads they stand for, both ways: the pods its
//! `podSelector` selects (the policy applies to them) and, rule by rule,
//! the peers its `from` (ingress) and `to` (egress) admit. The selection
//! itself is the policy layer's ([`policy::selected_pods`],
//! [`policy::peer_pods`], with the plugin's `hostNetwork` behaviour); this
//! module only names the workloads.
//!
//! Semantics (NetworkPolicy API reference,
//! <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>):
//! a rule whose `from`/`to` is missing or empty matches every peer ("If
//! this field is empty or missing, this rule matches all sources"); its
//! peers are otherwise the union of its `from`/`to` items; an `ipBlock`
//! admits addresses, kept here as written (`cidr` and `except`).

use std::collections::BTreeSet;

use kubereach_core::k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy, NetworkPolicyPeer};
use kubereach_core::model::{Object, PodId};
use kubereach_core::origin::Location;
use kubereach_core::policy::{self, HostNetwork, PeerPods};
use kubereach_core::Cluster;
use serde::Serialize;

/// Schema id of the document.
pub const SCHEMA: &str = "kubereach.policy/v1";

/// What one NetworkPolicy selects and admits.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyPeers {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Always `NetworkPolicy`.
    pub kind: &'static str,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Where it is defined.
    pub location: Location,
    /// `policyTypes` (as defaulted by the API server): the directions it
    /// isolates the selected pods in.
    pub policy_types: Vec<String>,
    /// Whether the network plugin enforces NetworkPolicy.
    pub enforced: bool,
    /// The workloads (matrix node ids) whose pods `podSelector` selects, sorted.
    pub selects: Vec<String>,
    /// Its ingress rules, in order: the sources each admits.
    pub ingress: Vec<Rule>,
    /// Its egress rules, in order: the destinations each admits.
    pub egress: Vec<Rule>,
}

/// One rule's peers.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Its index in `spec.ingress` or `spec.egress`.
    pub index: usize,
    /// Where it is written.
    pub location: Location,
    /// Whether it admits every peer (no `from`/`to`, or an empty list).
    pub all: bool,
    /// The workloads whose pods its selector peers select, sorted.
    pub workloads: Vec<String>,
    /// Its `ipBlock` peers, as written.
    pub ip_blocks: Vec<IpBlockPeer>,
}

/// An `ipBlock` peer.
#[derive(Debug, Clone, Serialize)]
pub struct IpBlockPeer {
    /// `cidr`.
    pub cidr: String,
    /// `except`.
    pub except: Vec<String>,
}

/// The NetworkPolicy `namespace/name` of `cluster`, resolved as a plugin
/// treating `hostNetwork` pods as `host_network` does; `None` if there is
/// no such policy.
pub fn policy_peers(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    host_network: HostNetwork,
    enforced: bool,
) -> Option<PolicyPeers> {
    let object = cluster.network_policies().iter().find(|p| {
        p.value.metadata.namespace.as_deref() == Some(namespace)
            && p.value.metadata.name.as_deref() == Some(name)
    })?;
    let spec = object.value.spec.clone().unwrap_or_default();
    let selector = spec.pod_selector.clone().unwrap_or_default();
    let selects = workloads(cluster, policy::selected_pods(cluster, namespace, &selector, host_network));
    let resolve = |direction: &str, rules: Vec<Option<Vec<NetworkPolicyPeer>>>| -> Vec<Rule> {
        rules
            .into_iter()
            .enumerate()
            .map(|(index, peers)| {
                rule(cluster, object, direction, index, peers.unwrap_or_default(), host_network)
            })
            .collect()
    };
    let ingress = resolve("ingress", spec.ingress.unwrap_or_default().into_iter().map(|r| r.from).collect());
    let egress = resolve("egress", spec.egress.unwrap_or_default().into_iter().map(|r| r.to).collect());
    Some(PolicyPeers {
        schema: SCHEMA,
        kind: "NetworkPolicy",
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        location: object.origin.location(),
        policy_types: spec.policy_types.unwrap_or_default(),
        enforced,
        selects,
        ingress,
        egress,
    })
}

fn rule(
    cluster: &Cluster,
    object: &Object<NetworkPolicy>,
    direction: &str,
    index: usize,
    peers: Vec<NetworkPolicyPeer>,
    host_network: HostNetwork,
) -> Rule {
    let namespace = object.value.metadata.namespace.as_deref().unwrap_or_default();
    let mut pods = Vec::new();
    let mut ip_blocks = Vec::new();
    for peer in &peers {
        match policy::peer_pods(cluster, namespace, peer, host_network) {
            PeerPods::Pods { pods: selected, .. } => pods.extend(selected),
            PeerPods::Addresses => ip_blocks.extend(peer.ip_block.as_ref().map(ip_block)),
            PeerPods::Invalid => {}
        }
    }
    Rule {
        index,
        location: object.origin.field_location(&format!("spec.{direction}[{index}]")),
        all: peers.is_empty(),
        workloads: workloads(cluster, pods),
        ip_blocks,
    }
}

fn ip_block(block: &IPBlock) -> IpBlockPeer {
    IpBlockPeer { cidr: block.cidr.clone(), except: block.except.clone().unwrap_or_default() }
}

/// The matrix node ids of the workloads standing for `pods`, sorted.
fn workloads(cluster: &Cluster, pods: Vec<PodId>) -> Vec<String> {
    let ids: BTreeSet<String> =
        pods.into_iter().map(|id| cluster.workload_ref(cluster.pod(id)).id()).collect();
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use kubereach_core::ClusterBuilder;

    use super::*;

    /// `shop`: `web` (2 replicas), `db`, a hostNetwork `agent` DaemonSet;
    /// `ops`: `probe`. `db` admits `web` of its own namespace, every pod of
    /// `ops`, and 10.0.0.0/8 except 10.1.0.0/16; its egress rule has no `to`.
    const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent, role: any}}
    spec: {hostNetwork: true, containers: [{name: c, image: agent}]}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ops, labels: {app: probe}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: ops}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
  egress:
  - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: everyone, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
"#;

    fn cluster() -> Cluster {
        let mut builder = ClusterBuilder::new();
        kubereach_load::load_str(Some("cluster.yaml"), CLUSTER, &mut builder);
        builder.build()
    }

    #[test]
    fn selectors_resolve_to_workloads_both_ways() {
        let cluster = cluster();
        let db = policy_peers(&cluster, "shop", "db", HostNetwork::Node, true).expect("the policy");
        assert_eq!(db.selects, ["shop/db"]);
        assert_eq!(db.policy_types, ["Ingress", "Egress"]);
        assert_eq!((db.location.file.as_deref(), db.location.line), (Some("cluster.yaml"), 39));
        let [from] = &db.ingress[..] else { panic!("one ingress rule") };
        // A podSelector alone: the policy's namespace; a namespaceSelector
        // alone: every pod of the namespaces it selects.
        assert_eq!(from.workloads, ["ops/probe", "shop/web"]);
        assert!(!from.all);
        assert_eq!(from.location.line, 46);
        assert_eq!(from.ip_blocks.len(), 1);
        assert_eq!(
            (from.ip_blocks[0].cidr.as_str(), &from.ip_blocks[0].except[..]),
            ("10.0.0.0/8", &["10.1.0.0/16".to_owned()][..])
        );
        // An egress rule without `to` matches every destination.
        let [to] = &db.egress[..] else { panic!("one egress rule") };
        assert!(to.all && to.workloads.is_empty());
    }

    // hostNetwork pods are node traffic by default: neither selected nor
    // matched by selector peers
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
    #[test]
    fn host_network_pods_follow_the_plugin() {
        let cluster = cluster();
        let as_node = policy_peers(&cluster, "shop", "everyone", HostNetwork::Node, true).unwrap();
        assert_eq!(as_node.selects, ["shop/db", "shop/web"]);
        assert_eq!(as_node.ingress[0].workloads, ["shop/db", "shop/web"]);
        let as_pods = policy_peers(&cluster, "shop", "everyone", HostNetwork::Pod, true).unwrap();
        assert_eq!(as_pods.selects, ["shop/agent", "shop/db", "shop/web"]);
        assert_eq!(as_pods.ingress[0].workloads, ["shop/agent", "shop/db", "shop/web"]);
        assert!(policy_peers(&cluster, "shop", "nope", HostNetwork::Node, true).is_none());
    }
}
