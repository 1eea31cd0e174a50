//! Where everything lives: the lab's network namespaces, the nodes and the
//! pods placed on them, and every address the lab uses.
//!
//! The wiring follows kindnet and Calico: each pod has a veth whose pod end
//! holds the pod's address as a /32 and a default route via the link-local
//! gateway [`GATEWAY`], an address made local (on `lo`) in the node's
//! namespace, so the node answers ARP for it; the node holds a /32 route to
//! each of its pods over the pod's veth and a route to every other node's pod
//! CIDR via that node. Nodes share one bridge in the `fabric` namespace
//! (their "physical" network, as with Flannel's `host-gw` or kindnet); the
//! `external` namespace is a client outside the cluster, routed by the
//! fabric to node and load-balancer addresses only. hostNetwork pods live in
//! their node's namespace.
//!
//! Sealed: no namespace here has a link into the host's network, and no
//! namespace has a default route except pods (via their node), so a packet
//! to an address the lab does not own meets "no route" at the latest in the
//! node and never leaves the machine. All addresses come from ranges the lab
//! owns only inside these namespaces; they never reach the host's routing
//! table.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use kubereach_core::model::PodId;
use kubereach_core::Cluster;
use serde::{Deserialize, Serialize};

/// The pods' default gateway, local in every node namespace (Calico's choice).
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(169, 254, 1, 1);
/// The fabric's address on the node network.
pub const FABRIC_NODE_ADDRESS: Ipv4Addr = Ipv4Addr::new(172, 30, 0, 1);
/// The node network's prefix length.
pub const NODE_PREFIX: u8 = 24;
/// The fabric's address towards the `external` namespace.
pub const FABRIC_EXTERNAL_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The `external` client's address (TEST-NET-2, never routed on the Internet).
pub const EXTERNAL_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
/// Every pod CIDR is inside this range: node `i` has `10.244.i.0/24`.
pub const CLUSTER_CIDR: &str = "10.244.0.0/16";
/// The most pods one lab node holds (a /24 less network, gateway, broadcast).
pub const PODS_PER_NODE: usize = 250;
/// The fewest nodes a lab has, so same-node and cross-node paths both exist.
pub const MIN_NODES: usize = 2;
/// The most nodes (node `i` is `172.30.0.<11+i>`).
pub const MAX_NODES: usize = 240;

/// The lab's layout. Serialized into the lab's state, so `exec`, `probe` and
/// the supervisor find every pod's namespace and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// The lab's name (the `<lab>` in `kr-<lab>-…`).
    pub name: String,
    /// The fabric (router) namespace.
    pub fabric: String,
    /// The namespace of the client outside the cluster.
    pub external: String,
    /// The nodes, in order.
    pub nodes: Vec<LabNode>,
    /// The pods, in the cluster's pod order.
    pub pods: Vec<LabPod>,
}

/// A node of the lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabNode {
    /// The Kubernetes node name (from the input, else `node-1`, `node-2`, …).
    pub name: String,
    /// Its network namespace.
    pub netns: String,
    /// Its address on the node network.
    pub address: Ipv4Addr,
    /// Its pod CIDR's third octet: pods get `10.244.<octet>.x`.
    pub cidr_octet: u8,
    /// The name of its uplink's peer in the fabric namespace.
    pub fabric_link: String,
}

/// A pod of the lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPod {
    /// The pod's index in the cluster (`PodId`).
    pub pod: u32,
    /// The pod's Kubernetes namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// The index of its node in [`Topology::nodes`].
    pub node: usize,
    /// Its network namespace: its own, or its node's for hostNetwork pods.
    pub netns: String,
    /// Whether it uses its node's network.
    pub host_network: bool,
    /// Its address (its node's for hostNetwork pods).
    pub address: Ipv4Addr,
    /// The node end of its veth (`None` for hostNetwork pods).
    pub host_link: Option<String>,
    /// Its declared container ports, deduplicated and sorted.
    pub ports: Vec<LabPort>,
}

/// A port a pod listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LabPort {
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(with = "protocol_serde")]
    pub protocol: kubereach_core::ports::Protocol,
    /// The port number.
    pub port: u16,
}

/// Why a topology cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// The lab name is not 1–8 lowercase letters and digits.
    #[error("lab name `{0}` must be 1 to 8 lowercase letters or digits (it prefixes namespace names)")]
    BadName(String),
    /// More pods or nodes than the lab's address plan holds.
    #[error("the cluster needs {needed} lab nodes, more than the {MAX_NODES} the lab's address plan holds")]
    TooLarge {
        /// The nodes needed.
        needed: usize,
    },
}

impl Topology {
    /// The pod with the cluster's `pod` index.
    pub fn pod(&self, pod: PodId) -> Option<&LabPod> {
        self.pods.iter().find(|p| p.pod == pod.0)
    }

    /// The pod called `namespace/name`.
    pub fn pod_named(&self, namespace: &str, name: &str) -> Option<&LabPod> {
        self.pods.iter().find(|p| p.namespace == namespace && p.name == name)
    }

    /// The node called `name`.
    pub fn node_named(&self, name: &str) -> Option<&LabNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Every network namespace of the lab, in creation order.
    pub fn namespaces(&self) -> Vec<String> {
        let mut all = vec![self.fabric.clone(), self.external.clone()];
        all.extend(self.nodes.iter().map(|n| n.netns.clone()));
        all.extend(self.pods.iter().filter(|p| !p.host_network).map(|p| p.netns.clone()));
        all
    }

    /// The pod CIDR of `node`.
    pub fn pod_cidr(node: &LabNode) -> String {
        format!("10.244.{}.0/24", node.cidr_octet)
    }
}

/// The prefix of every network namespace of the lab `name`.
pub fn netns_prefix(name: &str) -> String {
    format!("kr-{name}-")
}

/// Checks a lab name: it becomes part of namespace and file names.
pub fn check_name(name: &str) -> Result<(), TopologyError> {
    let ok = !name.is_empty()
        && name.len() <= 8
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(TopologyError::BadName(name.to_owned()))
    }
}

/// Places the cluster's pods on lab nodes and gives everything an address.
/// Pods keep their `spec.nodeName`; the others are spread round-robin, in
/// pod order, over the input's nodes (else `node-1`, `node-2`, …), so the
/// same input always gives the same lab.
pub fn build(cluster: &Cluster, name: &str) -> Result<Topology, TopologyError> {
    check_name(name)?;
    let prefix = netns_prefix(name);
    let node_names = node_names(cluster);
    let mut index_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, node) in node_names.iter().enumerate() {
        index_of.insert(node, index);
    }
    if node_names.len() > MAX_NODES {
        return Err(TopologyError::TooLarge { needed: node_names.len() });
    }
    let mut nodes: Vec<LabNode> = node_names
        .iter()
        .enumerate()
        .map(|(index, node)| LabNode {
            name: node.clone(),
            netns: format!("{prefix}node{}", index + 1),
            address: Ipv4Addr::new(172, 30, 0, 11 + index as u8),
            cidr_octet: index as u8,
            fabric_link: format!("n{}", index + 1),
        })
        .collect();
    let mut per_node = vec![0usize; nodes.len()];
    let mut next_free = 0usize;
    let mut pods = Vec::new();
    for (index, pod) in cluster.pods().iter().enumerate() {
        let node = match pod.spec.node_name.as_deref().and_then(|n| index_of.get(n)) {
            Some(&node) => node,
            None => {
                // Round-robin over nodes with room left.
                let mut node = next_free % nodes.len();
                let mut tries = 0;
                while per_node[node] >= PODS_PER_NODE && tries < nodes.len() {
                    node = (node + 1) % nodes.len();
                    tries += 1;
                }
                next_free = node + 1;
                node
            }
        };
        if per_node[node] >= PODS_PER_NODE {
            return Err(TopologyError::TooLarge { needed: nodes.len() + 1 });
        }
        pods.push(lab_pod(cluster, PodId(index as u32), &nodes[node], node, &mut per_node[node], &prefix));
    }
    nodes.shrink_to_fit();
    Ok(Topology {
        name: name.to_owned(),
        fabric: format!("{prefix}fabric"),
        external: format!("{prefix}external"),
        nodes,
        pods,
    })
}

fn lab_pod(
    cluster: &Cluster,
    id: PodId,
    node: &LabNode,
    node_index: usize,
    count: &mut usize,
    prefix: &str,
) -> LabPod {
    let pod = cluster.pod(id);
    let host_network = pod.host_network();
    let (netns, address, host_link) = if host_network {
        (node.netns.clone(), node.address, None)
    } else {
        *count += 1;
        let address = Ipv4Addr::new(10, 244, node.cidr_octet, 1 + *count as u8);
        (format!("{prefix}pod{}", id.0 + 1), address, Some(format!("kp{}", id.0 + 1)))
    };
    let mut ports: Vec<LabPort> = pod
        .container_ports()
        .filter_map(|p| {
            let protocol = kubereach_core::ports::Protocol::parse(&p.protocol)?;
            let port = u16::try_from(p.port).ok().filter(|&p| p > 0)?;
            Some(LabPort { protocol, port })
        })
        .collect();
    ports.sort();
    ports.dedup();
    LabPod {
        pod: id.0,
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        node: node_index,
        netns,
        host_network,
        address,
        host_link,
        ports,
    }
}

/// The lab's node names: those the input names (Node objects, then pods'
/// `spec.nodeName`), topped up to enough nodes for the pods.
fn node_names(cluster: &Cluster) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let declared = cluster.nodes().iter().filter_map(|n| n.value.metadata.name.clone());
    let scheduled = cluster.pods().iter().filter_map(|p| p.spec.node_name.clone());
    for name in declared.chain(scheduled) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let pod_count = cluster.pods().iter().filter(|p| !p.host_network()).count();
    let wanted = MIN_NODES.max(pod_count.div_ceil(PODS_PER_NODE)).max(names.len());
    let mut next = 1;
    while names.len() < wanted {
        let candidate = format!("node-{next}");
        next += 1;
        if !names.contains(&candidate) {
            names.push(candidate);
        }
    }
    names
}

/// (De)serializes a [`Protocol`](kubereach_core::ports::Protocol) by its
/// Kubernetes spelling, for the lab's state file.
pub mod protocol_serde {
    use kubereach_core::ports::Protocol;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `TCP`, `UDP` or `SCTP`.
    pub fn serialize<S: Serializer>(protocol: &Protocol, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(protocol.as_str())
    }

    /// Reads `TCP`, `UDP` or `SCTP`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Protocol, D::Error> {
        let text = String::deserialize(deserializer)?;
        Protocol::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown protocol `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_spread_over_two_nodes_and_keep_their_node_name() {
        let cluster = crate::test_cluster(
            "apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: x}
spec: {nodeName: worker-7, containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: h, namespace: x}
spec: {hostNetwork: true, nodeName: worker-7, containers: [{name: c, ports: [{containerPort: 10250}]}]}",
        );
        let topology = build(&cluster, "t").unwrap();
        let names: Vec<&str> = topology.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["worker-7", "node-1"]);
        let placed: Vec<(&str, &str, String)> = topology
            .pods
            .iter()
            .map(|p| (p.name.as_str(), topology.nodes[p.node].name.as_str(), p.address.to_string()))
            .collect();
        assert_eq!(
            placed,
            [
                ("a", "worker-7", "10.244.0.2".to_owned()),
                ("b", "node-1", "10.244.1.2".to_owned()),
                ("c", "worker-7", "10.244.0.3".to_owned()),
                ("h", "worker-7", "172.30.0.11".to_owned()),
            ]
        );
        let host = topology.pod_named("x", "h").unwrap();
        assert_eq!(host.netns, "kr-t-node1");
        assert_eq!(host.host_link, None);
    }

    #[test]
    fn lab_names_are_short_lowercase_words() {
        assert!(check_name("demo1").is_ok());
        for bad in ["", "Demo", "a-b", "toolongname", "../x"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
