//! NetworkPolicy compiled into the engine's rules, peer sets and subjects
//! (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>).

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    ids, BitSet, Builder, Direction, IpRange, PeerSet, PolicyKind, PolicyMeta, Rule, RulePorts, RuleTier,
};
use crate::admin_policy::AdminPolicyAction;
use crate::model::Object;
use crate::ports::{ConnectionSet, PortSet, Protocol};

impl<'c> Builder<'c> {
    /// Compiles one NetworkPolicy: its meta, its rules in the directions
    /// its `policyTypes` name, and its subject classes per direction.
    pub(super) fn compile_network_policy(
        &mut self,
        object: &'c Object<NetworkPolicy>,
        default_tier: Option<usize>,
        policies: &mut Vec<PolicyMeta<'c>>,
        rules: &mut Vec<Rule>,
        subjects: &mut Vec<[Option<Vec<u32>>; 2]>,
    ) {
        let policy = policies.len() as u32;
        let np = &object.value;
        let namespace = np.metadata.namespace.as_deref();
        let types = np.spec.as_ref().and_then(|s| s.policy_types.as_deref()).unwrap_or_default();
        let has = |t: &str| types.iter().any(|x| x == t);
        policies.push(PolicyMeta {
            kind: PolicyKind::NetworkPolicy,
            namespace,
            name: np.metadata.name.as_deref().unwrap_or_default(),
            origin: &object.origin,
            calico_tier: default_tier.map(|t| t as u32),
            isolates: [has("Ingress"), has("Egress")],
        });
        let Some(spec) = &np.spec else {
            subjects.push([None, None]);
            return;
        };
        let namespace_set = self.one_namespace(namespace);
        let everything = LabelSelector::default();
        // A missing podSelector is the empty selector: every pod.
        let subject =
            ids(self.select_classes(&namespace_set, spec.pod_selector.as_ref().unwrap_or(&everything)));
        let mut subject_of = [None, None];
        if has("Ingress") {
            for (index, rule) in spec.ingress.iter().flatten().enumerate() {
                let peers = self.network_policy_peers(&namespace_set, rule.from.as_deref());
                rules.push(network_rule(policy, Direction::Ingress, index, peers, rule.ports.as_deref()));
            }
            subject_of[0] = Some(subject.clone());
        }
        if has("Egress") {
            for (index, rule) in spec.egress.iter().flatten().enumerate() {
                let peers = self.network_policy_peers(&namespace_set, rule.to.as_deref());
                rules.push(network_rule(policy, Direction::Egress, index, peers, rule.ports.as_deref()));
            }
            subject_of[1] = Some(subject);
        }
        subjects.push(subject_of);
    }

    /// `from`/`to`: absent or empty matches every peer ("If this field is
    /// empty or missing, this rule matches all sources").
    fn network_policy_peers(&mut self, namespace: &BitSet, peers: Option<&[NetworkPolicyPeer]>) -> u32 {
        let peers = peers.unwrap_or_default();
        if peers.is_empty() {
            return self.everything();
        }
        let mut set = self.network_policy_peer(namespace, &peers[0]);
        for peer in &peers[1..] {
            let one = self.network_policy_peer(namespace, peer);
            set.classes.union_with(&one.classes);
            set.blocks.union_with(&one.blocks);
            set.nodes |= one.nodes;
        }
        self.intern_peer_set(set)
    }

    /// A NetworkPolicy peer of a policy in `namespace`.
    fn network_policy_peer(&mut self, namespace: &BitSet, peer: &NetworkPolicyPeer) -> PeerSet {
        if let Some(block) = &peer.ip_block {
            let Some(cidr) = IpRange::parse_cidr(&block.cidr) else { return self.empty_peer_set() };
            let except: Vec<IpRange> =
                block.except.iter().flatten().filter_map(|e| IpRange::parse_cidr(e)).collect();
            let blocks = self.blocks_in(&[cidr], &except);
            let classes = self.addressed_in(&blocks);
            return PeerSet { classes, blocks, everything: false, nodes: false };
        }
        let namespaces = match &peer.namespace_selector {
            Some(selector) => self.select_namespaces(selector),
            None if peer.pod_selector.is_some() => namespace.clone(),
            // A peer with no field: the API server rejects it.
            None => return self.empty_peer_set(),
        };
        let everything = LabelSelector::default();
        let classes =
            self.select_classes(&namespaces, peer.pod_selector.as_ref().unwrap_or(&everything)).clone();
        PeerSet { classes, blocks: BitSet::new(self.blocks.len()), everything: false, nodes: false }
    }
}

/// A NetworkPolicy rule: every one allows.
fn network_rule(
    policy: u32,
    direction: Direction,
    index: usize,
    peers: u32,
    ports: Option<&[NetworkPolicyPort]>,
) -> Rule {
    let ports = network_policy_ports(ports);
    Rule::new(
        RuleTier::Network,
        AdminPolicyAction::Allow,
        policy,
        direction,
        index as u32,
        None,
        peers,
        ports,
    )
}

/// NetworkPolicy ports: absent or empty means every port and protocol; a
/// port without `port` is every port of its protocol; `endPort` makes a
/// range; a string port is a container port name (protocol default TCP).
fn network_policy_ports(ports: Option<&[NetworkPolicyPort]>) -> RulePorts {
    let ports = ports.unwrap_or_default();
    if ports.is_empty() {
        return RulePorts { numeric: ConnectionSet::all(), named: Vec::new() };
    }
    let mut numeric = ConnectionSet::none();
    let mut named = Vec::new();
    for port in ports {
        // The model defaults the protocol to TCP; an unknown one matches nothing.
        let Some(protocol) = Protocol::parse(port.protocol.as_deref().unwrap_or("TCP")) else { continue };
        match &port.port {
            None => numeric = numeric.union(&ConnectionSet::protocol(protocol)),
            Some(IntOrString::Int(number)) => {
                let last = port.end_port.unwrap_or(*number);
                let set = PortSet::range(i64::from(*number), i64::from(last));
                numeric = numeric.union(&ConnectionSet::from_ports(protocol, set));
            }
            // A string is a port name (`"80"` too: the API server validates
            // it as a name, and no container port has it).
            Some(IntOrString::String(name)) => named.push((Some(protocol), name.clone())),
        }
    }
    named.sort();
    named.dedup();
    RulePorts { numeric, named }
}
