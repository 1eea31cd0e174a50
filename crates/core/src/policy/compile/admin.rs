//! AdminNetworkPolicy and BaselineAdminNetworkPolicy compiled into the
//! engine's rules, peer sets and subjects
//! (<https://network-policy-api.sigs.k8s.io/reference/spec/>).

use super::{
    ids, BitSet, Builder, Direction, IpRange, PeerSet, PolicyKind, PolicyMeta, Rule, RulePorts, RuleTier,
};
use crate::admin_policy::{
    AdminNetworkPolicyEgressRule, AdminNetworkPolicyIngressRule, AdminNetworkPolicyPeer,
    AdminNetworkPolicyPort, AdminNetworkPolicySubject,
};
use crate::origin::Origin;
use crate::policy::select::Selector;
use crate::ports::{ConnectionSet, PortSet, Protocol};

/// What an AdminNetworkPolicy and a BaselineAdminNetworkPolicy share.
pub(super) struct AdminPolicy<'c> {
    pub kind: PolicyKind,
    pub name: &'c str,
    pub origin: &'c Origin,
    pub subject: &'c AdminNetworkPolicySubject,
    pub ingress: &'c [AdminNetworkPolicyIngressRule],
    pub egress: &'c [AdminNetworkPolicyEgressRule],
}

impl<'c> Builder<'c> {
    /// Compiles one admin or baseline policy: its meta, its rules, and its
    /// subject classes in each direction it has rules for.
    pub(super) fn compile_admin(
        &mut self,
        tier: RuleTier,
        admin: AdminPolicy<'c>,
        policies: &mut Vec<PolicyMeta<'c>>,
        rules: &mut Vec<Rule>,
        subjects: &mut Vec<[Option<Vec<u32>>; 2]>,
    ) {
        let policy = policies.len() as u32;
        policies.push(PolicyMeta {
            kind: admin.kind,
            namespace: None,
            name: admin.name,
            origin: admin.origin,
            calico_tier: None,
            isolates: [false, false],
        });
        let subject = ids(&self.admin_subject(admin.subject));
        self.admin_rules(tier, policy, admin.ingress, admin.egress, rules);
        subjects.push([
            (!admin.ingress.is_empty()).then(|| subject.clone()),
            (!admin.egress.is_empty()).then_some(subject),
        ]);
    }

    /// An admin policy peer (`namespaces`, `pods`, `nodes` or `networks`).
    fn admin_peer(&mut self, peer: &AdminNetworkPolicyPeer) -> PeerSet {
        let mut set = self.empty_peer_set();
        if let Some(selector) = &peer.namespaces {
            let namespaces = self.select_namespaces(selector);
            let selected = self.select_compiled(&namespaces, Selector::everything()).clone();
            set.classes.union_with(&selected);
        }
        if let Some(pods) = &peer.pods {
            let namespaces = self.select_namespaces(&pods.namespace_selector);
            let selected = self.select_classes(&namespaces, &pods.pod_selector).clone();
            set.classes.union_with(&selected);
        }
        let mut ranges: Vec<IpRange> = Vec::new();
        if let Some(selector) = &peer.nodes {
            let selector = Selector::compile(selector, &mut self.interner);
            for node in self.nodes.iter().filter(|n| selector.matches(&n.labels)) {
                ranges.extend(node.addresses.iter().map(|a| IpRange::from_addr(*a)));
            }
        }
        ranges.extend(peer.networks.iter().flatten().filter_map(|n| IpRange::parse_cidr(n)));
        if !ranges.is_empty() {
            let blocks = self.blocks_in(&ranges, &[]);
            set.classes.union_with(&self.addressed_in(&blocks));
            set.blocks.union_with(&blocks);
        }
        set
    }

    fn admin_subject(&mut self, subject: &AdminNetworkPolicySubject) -> BitSet {
        let mut set = BitSet::new(self.class_count());
        if let Some(selector) = &subject.namespaces {
            let namespaces = self.select_namespaces(selector);
            let selected = self.select_compiled(&namespaces, Selector::everything()).clone();
            set.union_with(&selected);
        }
        if let Some(pods) = &subject.pods {
            let namespaces = self.select_namespaces(&pods.namespace_selector);
            let selected = self.select_classes(&namespaces, &pods.pod_selector).clone();
            set.union_with(&selected);
        }
        set
    }

    fn admin_rules(
        &mut self,
        tier: RuleTier,
        policy: u32,
        ingress: &[AdminNetworkPolicyIngressRule],
        egress: &[AdminNetworkPolicyEgressRule],
        rules: &mut Vec<Rule>,
    ) {
        let ingress = ingress.iter().map(|r| (Direction::Ingress, &r.name, r.action, &r.from, &r.ports));
        let egress = egress.iter().map(|r| (Direction::Egress, &r.name, r.action, &r.to, &r.ports));
        let mut index = [0u32; 2];
        for (direction, name, action, peers, ports) in ingress.chain(egress) {
            let mut set = self.empty_peer_set();
            for peer in peers {
                let one = self.admin_peer(peer);
                set.classes.union_with(&one.classes);
                set.blocks.union_with(&one.blocks);
            }
            let peers = self.intern_peer_set(set);
            rules.push(Rule::new(
                tier,
                action,
                policy,
                direction,
                index[direction.index()],
                name.clone(),
                peers,
                admin_ports(ports.as_deref()),
            ));
            index[direction.index()] += 1;
        }
    }
}

/// Admin policy ports: absent means every port; `portNumber`, `portRange`
/// (protocol default TCP) and `namedPort`.
fn admin_ports(ports: Option<&[AdminNetworkPolicyPort]>) -> RulePorts {
    let Some(ports) = ports else {
        return RulePorts { numeric: ConnectionSet::all(), named: Vec::new() };
    };
    let mut numeric = ConnectionSet::none();
    let mut named = Vec::new();
    for port in ports {
        if let Some(number) = &port.port_number {
            if let Some(protocol) = Protocol::parse(number.protocol.as_deref().unwrap_or("TCP")) {
                let set = PortSet::single(i64::from(number.port));
                numeric = numeric.union(&ConnectionSet::from_ports(protocol, set));
            }
        }
        if let Some(range) = &port.port_range {
            if let Some(protocol) = Protocol::parse(range.protocol.as_deref().unwrap_or("TCP")) {
                let set = PortSet::range(i64::from(range.start), i64::from(range.end));
                numeric = numeric.union(&ConnectionSet::from_ports(protocol, set));
            }
        }
        if let Some(name) = &port.named_port {
            named.push((None, name.clone()));
        }
    }
    named.sort();
    named.dedup();
    RulePorts { numeric, named }
}
