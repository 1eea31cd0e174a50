//! Traffic NetworkPolicy never blocks.
//!
//! The NetworkPolicy concepts page lists two exceptions to what policies
//! control (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>,
//! the list at the top, and "What you can't do"): "a pod cannot block access
//! to itself", and "traffic to and from the node where a Pod is running is
//! always allowed, regardless of the IP address of the Pod or the node"
//! (kubelet probes rely on it). Node traffic is a `hostNetwork` pod of that
//! node, when the plugin sees `hostNetwork` pods as their node
//! ([`HostNetwork::Node`](super::HostNetwork::Node)), or one of the node's
//! addresses (its Node's `InternalIP`/`ExternalIP`, or a pod's
//! `status.hostIP`). A pod whose node the input does not say (a workload's
//! template, a manifest without `nodeName`) gets no exemption: the node of
//! each replica is not known.
//!
//! Node traffic that is not exempt (from another node, from a
//! `hostNetwork` pod seen as its node, a connection a node SNATs to its own
//! address) meets the policies, and which peers match it is the plugin's
//! choice ([`crate::cni::PluginBehaviour::ip_blocks_match_nodes`]): an empty
//! peer list always does, and Cilium's `host`, `remote-node`, `cluster` and
//! `all` entities; a CIDR peer (`ipBlock`, Cilium's `fromCIDR`/`toCIDR`,
//! Calico's `nets`, ANP `networks`) only where the plugin matches node
//! addresses by CIDR. Cilium does not by default: "By default, CIDR-based
//! selectors do not match in-cluster entities (pods or nodes)", unless
//! `--policy-cidr-match-mode=nodes` (docs.cilium.io, Layer 3 Policies,
//! "Selecting nodes with CIDR / ipBlock"). [`Compiled::matches_node`]
//! answers it for a node's address, and the compiler leaves a
//! `hostNetwork` pod's addresses out of its class where CIDR peers do not
//! see them (`compile.rs`, `class_key`), so both kinds of node traffic get
//! the same answer. ANP `nodes` peers are matched by the nodes' addresses,
//! as CIDRs are.

use std::net::IpAddr;

use serde::Serialize;

use super::compile::{node_addresses, Compiled, PeerSet};
use super::ip::IpRange;
use super::Endpoint;
use crate::model::{Cluster, Pod, PodId};

/// Why a connection is allowed whatever the policies say.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Exemption {
    /// A pod connecting to itself.
    SamePod,
    /// Traffic between a pod and the node it runs on.
    Node {
        /// The node's name.
        node: String,
    },
}

impl Compiled<'_> {
    /// Whether `from` → `to` is exempt from every policy, and why.
    pub(crate) fn exemption(&self, from: &Endpoint, to: &Endpoint) -> Option<Exemption> {
        if let (Endpoint::Pod(a), Endpoint::Pod(b)) = (from, to) {
            // A representative pod stands for several replicas; between two
            // of them policies apply.
            if a == b && self.cluster.pod(*a).replicas <= 1 {
                return Some(Exemption::SamePod);
            }
        }
        // To a pod from its node, or from a pod to its node.
        for (pod, other) in [(to, from), (from, to)] {
            let Endpoint::Pod(pod) = pod else { continue };
            let Some(node) = node_of(self.cluster.pod(*pod)) else { continue };
            if self.is_on_node(other, node, *pod) {
                return Some(Exemption::Node { node: node.to_owned() });
            }
        }
        None
    }

    /// Whether `endpoint` is node `node` itself: a `hostNetwork` pod on it
    /// (seen as its node), or one of its addresses.
    fn is_on_node(&self, endpoint: &Endpoint, node: &str, pod: PodId) -> bool {
        match endpoint {
            Endpoint::Pod(other) => {
                let class = &self.classes[self.pod_class[other.0 as usize] as usize];
                class.host_network && node_of(self.cluster.pod(*other)) == Some(node)
            }
            Endpoint::External(range) => {
                self.node_addresses(node, pod).iter().any(|address| *range == IpRange::from_addr(*address))
            }
            Endpoint::IngressController => false,
        }
    }

    /// Whether a rule with peers `set` matches a node's address, in address
    /// block `block` (`None`: an address in no block): the one answer to
    /// "does this peer match this node" for every query. Where CIDR peers
    /// match nodes, the node is an address like any other.
    pub(crate) fn matches_node(&self, set: &PeerSet, block: Option<u32>) -> bool {
        set.nodes
            || self.ip_blocks_match_nodes
                && match block {
                    Some(block) => set.blocks.contains(block as usize),
                    None => set.everything,
                }
    }

    /// Whether `range` is a single address of one of the cluster's nodes
    /// ([`is_node_address`]).
    pub(crate) fn is_node_address(&self, range: &IpRange) -> bool {
        let address = match *range {
            IpRange::V4 { first, last } if first == last => IpAddr::from(std::net::Ipv4Addr::from(first)),
            IpRange::V6 { first, last } if first == last => IpAddr::from(std::net::Ipv6Addr::from(first)),
            _ => return false,
        };
        is_node_address(self.cluster, address)
    }

    /// The addresses of `node`: its Node object's, and the `status.hostIP`
    /// the pod `pod` on it reports.
    fn node_addresses(&self, node: &str, pod: PodId) -> Vec<IpAddr> {
        let mut addresses: Vec<IpAddr> = self
            .cluster
            .nodes()
            .iter()
            .filter(|n| n.value.metadata.name.as_deref() == Some(node))
            .flat_map(|n| node_addresses(&n.value))
            .collect();
        let status = self.cluster.pod(pod).status.as_ref();
        let host_ips = status
            .iter()
            .flat_map(|s| s.host_ips.iter().flatten().map(|ip| ip.ip.as_str()).chain(s.host_ip.as_deref()));
        addresses.extend(host_ips.filter_map(|ip| ip.parse::<IpAddr>().ok()));
        addresses
    }
}

/// Whether `address` is one of the cluster's nodes': a Node's
/// `InternalIP`/`ExternalIP`, or a pod's `status.hostIP(s)`. Traffic from
/// it is node traffic, which CIDR peers match only where the plugin says
/// so ([`crate::cni::PluginBehaviour::ip_blocks_match_nodes`]).
pub fn is_node_address(cluster: &Cluster, address: IpAddr) -> bool {
    cluster.nodes().iter().any(|node| node_addresses(&node.value).contains(&address))
        || cluster.pods().iter().any(|pod| {
            let Some(status) = pod.status.as_ref() else { return false };
            let host_ips = status.host_ips.iter().flatten().map(|ip| ip.ip.as_str());
            host_ips.chain(status.host_ip.as_deref()).any(|ip| ip.parse::<IpAddr>() == Ok(address))
        })
}

/// The node a pod runs on, when the input says (`spec.nodeName`).
pub(crate) fn node_of(pod: &Pod) -> Option<&str> {
    pod.spec.node_name.as_deref().filter(|n| !n.is_empty())
}

/// The addresses a `hostNetwork` pod's traffic carries, as policies see it:
/// `status.podIPs`, else `status.hostIP`, else its node's addresses.
pub fn host_network_addresses(cluster: &Cluster, pod: &Pod) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = pod.ips().iter().filter_map(|ip| ip.parse().ok()).collect();
    if addresses.is_empty() {
        addresses.extend(
            pod.status.as_ref().and_then(|s| s.host_ip.as_deref()).and_then(|ip| ip.parse::<IpAddr>().ok()),
        );
    }
    if addresses.is_empty() {
        let node = node_of(pod);
        addresses.extend(
            cluster
                .nodes()
                .iter()
                .filter(|n| node.is_some() && n.value.metadata.name.as_deref() == node)
                .flat_map(|n| node_addresses(&n.value)),
        );
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::Exemption;
    use crate::model::{Cluster, PodId};
    use crate::policy::{Endpoint, HostNetwork, IpRange, PolicyEngine, PolicyOptions};
    use crate::ports::Protocol;
    use crate::testing::cluster;

    fn node(name: &str, address: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
               "status": {"addresses": [{"type": "InternalIP", "address": address}]}})
    }

    fn pod(namespace: &str, name: &str, node: &str, host_network: bool, ip: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
               "spec": {"nodeName": node, "hostNetwork": host_network,
                        "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
               "status": {"phase": "Running", "podIP": ip, "hostIP": if node == "n1" { "10.0.0.1" } else { "10.0.0.2" }}})
    }

    /// Every pod of `shop` isolated in both directions, nothing allowed.
    fn deny_all() -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "deny-all", "namespace": "shop"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
    }

    fn objects() -> Vec<Value> {
        vec![
            node("n1", "10.0.0.1"),
            node("n2", "10.0.0.2"),
            deny_all(),
            pod("shop", "web", "n1", false, "10.244.1.5"),
            pod("shop", "db", "n2", false, "10.244.2.5"),
            pod("agents", "agent-n1", "n1", true, "10.0.0.1"),
            pod("agents", "agent-n2", "n2", true, "10.0.0.2"),
        ]
    }

    fn id(cluster: &Cluster, name: &str) -> Endpoint {
        let index = cluster.pods().iter().position(|p| p.name == name).expect("pod");
        Endpoint::Pod(PodId(index as u32))
    }

    fn address(text: &str) -> Endpoint {
        Endpoint::External(IpRange::from_addr(text.parse().expect("address")))
    }

    /// Whether TCP 8080 is allowed, and the exemption `explain` gives.
    fn verdict(engine: &PolicyEngine<'_>, from: &Endpoint, to: &Endpoint) -> (bool, Option<Exemption>) {
        let allowed = engine.allowed(from, to).contains(Protocol::Tcp, 8080);
        let explanation = engine.explain(from, to);
        assert_eq!(explanation.allowed.contains(Protocol::Tcp, 8080), allowed);
        (allowed, explanation.exemption)
    }

    // "a pod cannot block access to itself":
    // https://kubernetes.io/docs/concepts/services-networking/network-policies/
    #[test]
    fn a_pod_reaches_itself_whatever_the_policies() {
        let cluster = cluster(objects());
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let web = id(&cluster, "web");
        assert_eq!(verdict(&engine, &web, &web), (true, Some(Exemption::SamePod)));
        assert_eq!(verdict(&engine, &web, &id(&cluster, "db")), (false, None));
    }

    // A workload's template standing for several replicas: from one replica
    // to another, the policies apply.
    #[test]
    fn replicas_of_one_template_are_not_the_same_pod() {
        let deployment = |replicas: i32| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c"}]}}}})
        };
        for (replicas, expect) in [(1, (true, Some(Exemption::SamePod))), (3, (false, None))] {
            let cluster = cluster([deny_all(), deployment(replicas)]);
            let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
            let api = id(&cluster, "api");
            assert_eq!(verdict(&engine, &api, &api), expect, "{replicas} replicas");
        }
    }

    // "traffic to and from the node where a Pod is running is always
    // allowed, regardless of the IP address of the Pod or the node":
    // https://kubernetes.io/docs/concepts/services-networking/network-policies/
    #[test]
    fn traffic_from_the_pods_node_is_always_allowed() {
        let cluster = cluster(objects());
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let web = id(&cluster, "web");
        let on_n1 = Some(Exemption::Node { node: "n1".to_owned() });
        assert_eq!(verdict(&engine, &id(&cluster, "agent-n1"), &web), (true, on_n1.clone()));
        assert_eq!(verdict(&engine, &address("10.0.0.1"), &web), (true, on_n1.clone()));
        assert_eq!(verdict(&engine, &id(&cluster, "agent-n2"), &web), (false, None));
        assert_eq!(verdict(&engine, &address("10.0.0.2"), &web), (false, None));
        // And to it, whatever the pod's egress policies.
        assert_eq!(verdict(&engine, &web, &address("10.0.0.1")), (true, on_n1.clone()));
        assert_eq!(verdict(&engine, &web, &id(&cluster, "agent-n1")), (true, on_n1));
        assert_eq!(verdict(&engine, &web, &address("10.0.0.2")), (false, None));
    }

    // A plugin that tells `hostNetwork` pods from their node applies the
    // policies to them:
    // https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
    #[test]
    fn host_network_pods_seen_as_pods_are_not_node_traffic() {
        let cluster = cluster(objects());
        let options = PolicyOptions { ip_blocks_match_pods: false };
        let engine = PolicyEngine::with_host_network(&cluster, options, HostNetwork::Pod);
        assert_eq!(verdict(&engine, &id(&cluster, "agent-n1"), &id(&cluster, "web")), (false, None));
        assert!(verdict(&engine, &address("10.0.0.1"), &id(&cluster, "web")).0);
    }

    /// The engine on `cni` (`--cni`), with `--ip-blocks-match-nodes` as given.
    fn engine_on<'c>(cluster: &'c Cluster, cni: &str, match_nodes: Option<bool>) -> PolicyEngine<'c> {
        let overrides = crate::cni::PluginOverrides {
            cni: Some(cni.to_owned()),
            ip_blocks_match_nodes: match_nodes,
            ..crate::cni::PluginOverrides::default()
        };
        let plugin = crate::cni::behaviour(cluster, &overrides);
        PolicyEngine::for_plugin(cluster, plugin, crate::cni::PolicyView::Effective)
    }

    /// `web` (on `n1`) admits `peer` on 8080; `web`'s egress to `peer` only.
    fn web_admits(peer: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress", "Egress"],
                        "ingress": [{"from": [peer.clone()], "ports": [{"port": 8080}]}],
                        "egress": [{"to": [peer]}]}})
    }

    /// Whether TCP 8080 is allowed into `web` from the `hostNetwork` pod of
    /// node `n2`, from `n2`'s address, from `10.0.0.9` (no node's), and out
    /// of `web` to `n2`'s address.
    fn from_nodes(objects: Vec<Value>, cni: &str, match_nodes: Option<bool>) -> [bool; 4] {
        let cluster = cluster(objects);
        let engine = engine_on(&cluster, cni, match_nodes);
        let web = id(&cluster, "web");
        let from = |source: &Endpoint| verdict(&engine, source, &web).0;
        super::super::point::assert_point_agrees(&engine);
        [
            from(&id(&cluster, "agent-n2")),
            from(&address("10.0.0.2")),
            from(&address("10.0.0.9")),
            engine.allowed(&web, &address("10.0.0.2")).contains(Protocol::Tcp, 8080),
        ]
    }

    fn with(policy: Value) -> Vec<Value> {
        let mut objects = objects();
        objects.retain(|o| o["kind"] != "NetworkPolicy");
        objects.push(policy);
        objects
    }

    // Cilium: "By default, CIDR-based selectors do not match in-cluster
    // entities (pods or nodes). Optionally, you can direct the policy
    // engine to select nodes by CIDR / ipBlock. This requires you to
    // configure Cilium with `--policy-cidr-match-mode=nodes`"
    // (https://docs.cilium.io/en/stable/security/policy/language/, "Selecting
    // nodes with CIDR / ipBlock"; cilium/cilium#28421, cilium/cilium-cli#1988).
    // Calico matches a node's address like any other (`nets` and ipBlocks
    // are address matches: https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule).
    #[test]
    fn ip_blocks_match_node_traffic_only_where_the_plugin_does() {
        let nodes = with(web_admits(json!({"ipBlock": {"cidr": "10.0.0.0/24"}})));
        assert_eq!(from_nodes(nodes.clone(), "calico", None), [true; 4]);
        assert_eq!(from_nodes(nodes.clone(), "cilium", None), [false, false, true, false]);
        // `--ip-blocks-match-nodes`, for `policy-cidr-match-mode: nodes`.
        assert_eq!(from_nodes(nodes.clone(), "cilium", Some(true)), [true; 4]);
        assert_eq!(from_nodes(nodes, "calico", Some(false)), [false, false, true, false]);
        // An empty peer list matches every peer, nodes included.
        let everyone = with(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"ports": [{"port": 8080}]}]}}));
        assert_eq!(from_nodes(everyone, "cilium", None), [true; 4]);
    }

    /// A CiliumNetworkPolicy for `web` whose rules name `entities` both ways.
    fn web_entities(entities: &[&str]) -> Value {
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                        "ingress": [{"fromEntities": entities,
                                     "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}],
                        "egress": [{"toEntities": entities}]}})
    }

    // Cilium's entities: `host` is the local node, `remote-node` the other
    // nodes; `world` is everything outside the cluster, which nodes are not
    // (https://docs.cilium.io/en/stable/security/policy/language/#entities-based).
    // With `policy-cidr-match-mode: nodes`, the entities still select them.
    #[test]
    fn cilium_selects_nodes_by_entity() {
        let nodes = with(web_entities(&["remote-node", "host"]));
        assert_eq!(from_nodes(nodes.clone(), "cilium", None), [true, true, false, true]);
        assert_eq!(from_nodes(nodes, "cilium", Some(true)), [true, true, false, true]);
        let world = with(web_entities(&["world"]));
        assert_eq!(from_nodes(world, "cilium", None), [false, false, true, false]);
        let cluster_entity = with(web_entities(&["cluster"]));
        assert_eq!(from_nodes(cluster_entity, "cilium", None), [true, true, false, true]);
    }
}
