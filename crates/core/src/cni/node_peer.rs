//! Which peer admits traffic from the cluster's nodes, as a fix names it:
//! an `ipBlock` of their addresses where the plugin matches node addresses
//! by CIDR, else (Cilium by default) a CiliumNetworkPolicy selecting the
//! nodes by entity. "By default, CIDR-based selectors do not match
//! in-cluster entities (pods or nodes)" unless Cilium runs with
//! `--policy-cidr-match-mode=nodes` (docs.cilium.io, Layer 3 Policies,
//! "Selecting nodes with CIDR / ipBlock"); "only the remote-node and host
//! entities could select nodes" (cilium/cilium-cli#1988). `host` is the
//! pod's own node, `remote-node` every other node
//! (docs.cilium.io, Layer 3 Policies, "Entities based").

use super::{NativePolicies, PluginBehaviour};

/// How a policy admits traffic from the cluster's nodes on a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePeer {
    /// An `ipBlock` of the nodes' addresses.
    IpBlock,
    /// A CiliumNetworkPolicy with `fromEntities: [remote-node, host]`.
    CiliumEntities,
}

impl PluginBehaviour {
    /// The peer that admits node traffic here: Cilium's entities where
    /// `ipBlock`s do not match node addresses and Cilium's policies take
    /// effect; an `ipBlock` otherwise.
    pub fn node_peer(&self) -> NodePeer {
        if !self.ip_blocks_match_nodes.value && self.enforces_native(NativePolicies::Cilium) {
            NodePeer::CiliumEntities
        } else {
            NodePeer::IpBlock
        }
    }
}

/// The entities that admit a connection from outside that a node forwards
/// under `externalTrafficPolicy: Cluster` on Cilium: `world` when the
/// client's identity survives (tunnelling), `remote-node` when the receiving
/// node forwards it as its own, `host` from the pod's own node ("In the
/// native-routing mode [...] if the request needs to be forwarded to another
/// node after the service endpoint selection, then it will have the
/// reserved:remote-node", docs.cilium.io, Policy caveats).
pub const FORWARDED_ENTITIES: [&str; 3] = ["world", "remote-node", "host"];

/// Why [`FORWARDED_ENTITIES`] are the peers, for a fix.
pub const FORWARDED_WHY: &str = "`world` for the clients; under `externalTrafficPolicy: Cluster` the receiving \
                                 node forwards the connection as its own, so the pods see `remote-node` or `host`";

/// The entities that admit the cluster's nodes (a `hostNetwork` pod seen as
/// its node, a node's own connections).
pub const NODE_ENTITIES: [&str; 2] = ["remote-node", "host"];

/// The fix that admits node traffic to the pods `selector` (`key=value,…`)
/// of `namespace` on `ports` (`TCP 8080`, `port 8080`) on Cilium: a
/// CiliumNetworkPolicy whose ingress rule names `entities` (which hold
/// `remote-node` and `host`), saying `why` the nodes are the peer.
pub fn cilium_entities_fix(
    namespace: &str,
    selector: &str,
    entities: &[&str],
    ports: &str,
    why: &str,
) -> String {
    format!(
        "add a CiliumNetworkPolicy in `{namespace}` with `endpointSelector` `{selector}` and an ingress rule \
         `fromEntities: [{}]` on {ports} ({why}; on Cilium an `ipBlock` does not match the nodes' addresses \
         unless `policy-cidr-match-mode: nodes`)",
        entities.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::{behaviour, PluginOverrides};
    use crate::model::Cluster;

    fn peer(cni: &str, nodes: Option<bool>) -> NodePeer {
        let overrides = PluginOverrides {
            cni: Some(cni.to_owned()),
            ip_blocks_match_nodes: nodes,
            ..PluginOverrides::default()
        };
        behaviour(&Cluster::default(), &overrides).node_peer()
    }

    // Cilium selects nodes by entity unless `policy-cidr-match-mode: nodes`
    // (cilium/cilium#28421); Calico matches their addresses; a plugin that
    // does not enforce Cilium's policies gets no CiliumNetworkPolicy.
    #[test]
    fn the_peer_that_admits_nodes_follows_the_plugin() {
        assert_eq!(peer("cilium", None), NodePeer::CiliumEntities);
        assert_eq!(peer("cilium", Some(true)), NodePeer::IpBlock);
        assert_eq!(peer("calico", None), NodePeer::IpBlock);
        assert_eq!(peer("calico", Some(false)), NodePeer::IpBlock);
    }
}
