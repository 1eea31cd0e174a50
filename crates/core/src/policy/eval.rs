//! Evaluating the tiers for one subject, one peer and one direction.

use super::compile::{Compiled, Profile, Rule, RuleTier};
use super::ip;
use super::{
    Direction, DirectionExplanation, Endpoint, Explanation, PolicyKind, PolicyRef, Step, Tier, Verdict,
};
use crate::admin_policy::AdminPolicyAction;
use crate::model::PodId;
use crate::ports::{ConnectionSet, PortSet};

/// What named ports resolve against: a class's container ports, or an
/// address outside the cluster (where NetworkPolicy names stay unresolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// A port profile (`Compiled::port_profiles`).
    Ports(u32),
    External,
}

/// The other end of a connection, as rules match it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Peer {
    Class(u32),
    Block(u32),
    /// An address in no block: only rules matching every peer match it.
    Unlisted,
}

impl<'c> Compiled<'c> {
    /// The ports of `rule` towards `target`.
    pub(crate) fn resolve(&self, rule: &Rule, target: Target) -> ConnectionSet {
        if rule.ports.named.is_empty() {
            return rule.ports.numeric.clone();
        }
        let mut set = rule.ports.numeric.clone();
        for (protocol, name) in &rule.ports.named {
            match target {
                Target::Ports(profile) => {
                    let found = self.port_profiles[profile as usize]
                        .iter()
                        .find(|(p, n, _)| n == name && protocol.is_none_or(|q| q == *p));
                    if let Some(&(p, _, number)) = found {
                        set = set.union(&ConnectionSet::from_ports(p, PortSet::single(i64::from(number))));
                    }
                }
                Target::External => {
                    // NetworkPolicy keeps the name; an ANP `namedPort` cannot
                    // apply to an address outside the cluster.
                    if let (Some(p), RuleTier::Network) = (protocol, rule.tier) {
                        set = set.union(&ConnectionSet::named(*p, name));
                    }
                }
            }
        }
        set
    }

    /// The tiers for a subject with `profile`: `matched(i)` tells whether
    /// the peer matches the profile's `i`th rule. Records steps in `trace`.
    pub(crate) fn evaluate(
        &self,
        profile: &Profile,
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        mut trace: Option<&mut Vec<Step>>,
    ) -> ConnectionSet {
        if profile.is_trivial() {
            if let Some(trace) = trace {
                trace.push(default_step(Verdict::Allow, ConnectionSet::all()));
            }
            return ConnectionSet::all();
        }
        let rules: Vec<(usize, &Rule)> =
            profile.rules.iter().enumerate().map(|(i, &r)| (i, &self.rules[r as usize])).collect();
        let mut allowed = ConnectionSet::none();
        // Admin tier: per port, the first matching rule decides.
        let mut decided = ConnectionSet::none();
        let mut passed = ConnectionSet::none();
        for &(i, rule) in rules.iter().filter(|(_, r)| r.tier == RuleTier::Admin) {
            if !matched(i) {
                continue;
            }
            let new = self.resolve(rule, target).difference(&decided);
            if new.is_empty() {
                continue;
            }
            match rule.action {
                AdminPolicyAction::Allow => allowed = allowed.union(&new),
                AdminPolicyAction::Deny => {}
                AdminPolicyAction::Pass => passed = passed.union(&new),
            }
            decided = decided.union(&new);
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(self.rule_step(rule, verdict(rule.action), new));
            }
        }
        let remaining = ConnectionSet::all().difference(&decided).union(&passed);
        if remaining.is_empty() {
            return allowed;
        }
        if profile.isolated {
            // NetworkPolicy tier: the union of matching rules; the rest is denied.
            let mut network = ConnectionSet::none();
            for &(i, rule) in rules.iter().filter(|(_, r)| r.tier == RuleTier::Network) {
                if !matched(i) {
                    continue;
                }
                let new = self.resolve(rule, target).intersection(&remaining);
                if new.is_empty() {
                    continue;
                }
                network = network.union(&new);
                if let Some(trace) = trace.as_deref_mut() {
                    trace.push(self.rule_step(rule, Verdict::Allow, new));
                }
            }
            if let Some(trace) = trace {
                let denied = remaining.difference(&network);
                if !denied.is_empty() {
                    trace.push(Step {
                        tier: Tier::Network,
                        verdict: Verdict::Deny,
                        policy: None,
                        rule: None,
                        rule_name: None,
                        location: None,
                        connections: denied,
                    });
                }
            }
            return allowed.union(&network);
        }
        // Baseline tier on what is left, then allow by default.
        let mut baseline_decided = ConnectionSet::none();
        for &(i, rule) in rules.iter().filter(|(_, r)| r.tier == RuleTier::Baseline) {
            if !matched(i) {
                continue;
            }
            let new = self.resolve(rule, target).intersection(&remaining).difference(&baseline_decided);
            if new.is_empty() {
                continue;
            }
            if rule.action == AdminPolicyAction::Allow {
                allowed = allowed.union(&new);
            }
            baseline_decided = baseline_decided.union(&new);
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(self.rule_step(rule, verdict(rule.action), new));
            }
        }
        let rest = remaining.difference(&baseline_decided);
        if let Some(trace) = trace {
            if !rest.is_empty() {
                trace.push(default_step(Verdict::Allow, rest.clone()));
            }
        }
        allowed.union(&rest)
    }

    fn rule_step(&self, rule: &Rule, verdict: Verdict, connections: ConnectionSet) -> Step {
        let policy = self.policy_ref(rule.policy);
        let list = match rule.direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let location = self.policies[rule.policy as usize]
            .origin
            .field_location(&format!("spec.{list}[{}]", rule.index));
        Step {
            tier: match rule.tier {
                RuleTier::Admin => Tier::Admin,
                RuleTier::Network => Tier::Network,
                RuleTier::Baseline => Tier::Baseline,
            },
            verdict,
            policy: Some(policy),
            rule: Some(rule.index as usize),
            rule_name: rule.name.clone(),
            location: Some(location),
            connections,
        }
    }

    pub(crate) fn policy_ref(&self, policy: u32) -> PolicyRef {
        let meta = &self.policies[policy as usize];
        PolicyRef {
            kind: meta.kind,
            namespace: meta.namespace.map(str::to_owned),
            name: meta.name.to_owned(),
            location: meta.origin.location(),
        }
    }

    /// Whether `peer` matches `rule`.
    pub(crate) fn rule_matches(&self, rule: u32, peer: Peer) -> bool {
        let set = &self.peer_sets[self.rules[rule as usize].peers as usize];
        match peer {
            Peer::Class(c) => set.classes.contains(c as usize),
            Peer::Block(b) => set.blocks.contains(b as usize),
            Peer::Unlisted => set.everything,
        }
    }

    /// The class an endpoint stands for, when policies can apply to it.
    fn subject_class(&self, endpoint: &Endpoint) -> Option<u32> {
        let class = match endpoint {
            Endpoint::Pod(pod) => self.pod_class[pod.0 as usize],
            Endpoint::IngressController => self.ingress_controller,
            Endpoint::External(_) => return None,
        };
        (!self.classes[class as usize].host_network).then_some(class)
    }

    /// The peers an endpoint stands for (an external range may span blocks).
    fn peers_of(&self, endpoint: &Endpoint) -> Vec<Peer> {
        match endpoint {
            Endpoint::Pod(pod) => vec![Peer::Class(self.pod_class[pod.0 as usize])],
            Endpoint::IngressController => vec![Peer::Class(self.ingress_controller)],
            Endpoint::External(range) => {
                // Blocks cover IPv4, and IPv6 when a policy names it: an
                // IPv6 range otherwise lies in no block.
                let peers: Vec<Peer> =
                    ip::blocks_overlapping(&self.blocks, range).map(|b| Peer::Block(b as u32)).collect();
                if peers.is_empty() {
                    return vec![Peer::Unlisted];
                }
                peers
            }
        }
    }

    pub(crate) fn target_of(&self, peer: Peer) -> Target {
        match peer {
            Peer::Class(c) => Target::Ports(self.classes[c as usize].ports),
            Peer::Block(_) | Peer::Unlisted => Target::External,
        }
    }

    /// One direction: the subject's policies towards one peer.
    fn direction(
        &self,
        direction: Direction,
        subject: Option<u32>,
        peer: Peer,
        trace: Option<&mut Vec<Step>>,
    ) -> ConnectionSet {
        let Some(subject) = subject else {
            if let Some(trace) = trace {
                trace.push(default_step(Verdict::Allow, ConnectionSet::all()));
            }
            return ConnectionSet::all();
        };
        let profile = &self.profiles[self.classes[subject as usize].profiles[direction.index()] as usize];
        let target = match direction {
            Direction::Ingress => Target::Ports(self.classes[subject as usize].ports),
            Direction::Egress => self.target_of(peer),
        };
        let matched = |i: usize| self.rule_matches(profile.rules[i], peer);
        self.evaluate(profile, &matched, target, trace)
    }

    pub(crate) fn allowed(&self, from: &Endpoint, to: &Endpoint) -> ConnectionSet {
        if self.exemption(from, to).is_some() {
            return ConnectionSet::all();
        }
        let (from_class, to_class) = (self.subject_class(from), self.subject_class(to));
        let mut result = ConnectionSet::all();
        // Egress of `from` towards each block `to` spans, ingress of `to` from each block of `from`.
        for peer in self.peers_of(to) {
            result = result.intersection(&self.direction(Direction::Egress, from_class, peer, None));
        }
        for peer in self.peers_of(from) {
            result = result.intersection(&self.direction(Direction::Ingress, to_class, peer, None));
        }
        result
    }

    pub(crate) fn explain(&self, from: &Endpoint, to: &Endpoint) -> Explanation {
        let (from_class, to_class) = (self.subject_class(from), self.subject_class(to));
        let first = |endpoint: &Endpoint| {
            let peers = self.peers_of(endpoint);
            peers.first().copied().unwrap_or(Peer::Unlisted)
        };
        let mut egress_steps = Vec::new();
        let egress = self.direction(Direction::Egress, from_class, first(to), Some(&mut egress_steps));
        let mut ingress_steps = Vec::new();
        let ingress = self.direction(Direction::Ingress, to_class, first(from), Some(&mut ingress_steps));
        let exemption = self.exemption(from, to);
        let allowed = if exemption.is_some() { ConnectionSet::all() } else { egress.intersection(&ingress) };
        Explanation {
            egress: DirectionExplanation {
                direction: Direction::Egress,
                policies_apply: from_class.is_some(),
                isolated_by: self.isolating(from_class, Direction::Egress),
                steps: egress_steps,
                allowed: egress,
            },
            ingress: DirectionExplanation {
                direction: Direction::Ingress,
                policies_apply: to_class.is_some(),
                isolated_by: self.isolating(to_class, Direction::Ingress),
                steps: ingress_steps,
                allowed: ingress,
            },
            allowed,
            exemption,
        }
    }

    fn profile_of(&self, class: u32, direction: Direction) -> &Profile {
        &self.profiles[self.classes[class as usize].profiles[direction.index()] as usize]
    }

    fn isolating(&self, class: Option<u32>, direction: Direction) -> Vec<PolicyRef> {
        let Some(class) = class else { return Vec::new() };
        self.profile_of(class, direction)
            .policies
            .iter()
            .filter(|&&p| self.policies[p as usize].kind == PolicyKind::NetworkPolicy)
            .map(|&p| self.policy_ref(p))
            .collect()
    }

    pub(crate) fn is_isolated(&self, pod: PodId, direction: Direction) -> bool {
        self.subject_class(&Endpoint::Pod(pod)).is_some_and(|c| self.profile_of(c, direction).isolated)
    }

    pub(crate) fn selecting_policies(&self, pod: PodId, direction: Direction) -> Vec<PolicyRef> {
        let Some(class) = self.subject_class(&Endpoint::Pod(pod)) else { return Vec::new() };
        self.profile_of(class, direction).policies.iter().map(|&p| self.policy_ref(p)).collect()
    }
}

fn verdict(action: AdminPolicyAction) -> Verdict {
    match action {
        AdminPolicyAction::Allow => Verdict::Allow,
        AdminPolicyAction::Deny => Verdict::Deny,
        AdminPolicyAction::Pass => Verdict::Pass,
    }
}

fn default_step(verdict: Verdict, connections: ConnectionSet) -> Step {
    Step {
        tier: Tier::Default,
        verdict,
        policy: None,
        rule: None,
        rule_name: None,
        location: None,
        connections,
    }
}
