//! Evaluating the tiers for one subject, one peer and one direction.

use super::compile::{Compiled, Profile, Rule, RuleCaveat, RuleTier};
use super::ip;
use super::{Caveat, Direction, DirectionExplanation, Endpoint, Explanation, PolicyRef, Step, Tier, Verdict};
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
    /// The address of one of the cluster's nodes, with its block: CIDR
    /// peers match it only where the plugin says so (`node_local.rs`).
    Node(Option<u32>),
}

/// What a first-match walk over a tier's rules decided, and of that what
/// its rules allowed.
struct FirstMatch {
    decided: ConnectionSet,
    allowed: ConnectionSet,
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
        let (mut allowed, decided, passed) = self.admin_tier(&rules, matched, target, trace.as_deref_mut());
        let mut remaining = ConnectionSet::all().difference(&decided).union(&passed);
        if remaining.is_empty() {
            return allowed;
        }
        // Cilium's deny rules win over every allow rule (Cilium implements
        // no admin tier, so they never meet one).
        let denied = self.cilium_denials(&rules, matched, target, &remaining, trace.as_deref_mut());
        if profile.calico {
            let (by_tiers, passed) =
                self.calico_tiers(profile, &rules, matched, target, &remaining, trace.as_deref_mut());
            allowed = allowed.union(&by_tiers);
            remaining = passed;
        } else if profile.isolated {
            let network = self.network_tier(&rules, matched, target, &remaining, &denied, trace);
            return allowed.union(&network);
        } else {
            remaining = remaining.difference(&denied);
        }
        if remaining.is_empty() {
            return allowed;
        }
        allowed.union(&self.baseline_tier(&rules, matched, target, &remaining, trace))
    }

    /// The admin tier: per port, the first matching rule decides.
    /// Returns `(allowed, decided, passed)`.
    fn admin_tier(
        &self,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        mut trace: Option<&mut Vec<Step>>,
    ) -> (ConnectionSet, ConnectionSet, ConnectionSet) {
        let mut allowed = ConnectionSet::none();
        let mut decided = ConnectionSet::none();
        let mut passed = ConnectionSet::none();
        for rule in matching(rules, matched, |r| r.tier == RuleTier::Admin) {
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
        (allowed, decided, passed)
    }

    /// The NetworkPolicy (and Cilium allow) tier of an isolated subject:
    /// the union of matching rules within `remaining`, less Cilium's
    /// denials; the rest is denied.
    fn network_tier(
        &self,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        remaining: &ConnectionSet,
        denied: &ConnectionSet,
        mut trace: Option<&mut Vec<Step>>,
    ) -> ConnectionSet {
        let mut network = ConnectionSet::none();
        let allows = |r: &Rule| {
            r.tier == RuleTier::Network
                || (r.tier == RuleTier::Cilium && r.action == AdminPolicyAction::Allow)
        };
        for rule in matching(rules, matched, allows) {
            let new = self.resolve(rule, target).intersection(remaining).difference(denied);
            if new.is_empty() {
                continue;
            }
            network = network.union(&new);
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(self.rule_step(rule, Verdict::Allow, new));
            }
        }
        if let Some(trace) = trace {
            let rest = remaining.difference(&network).difference(denied);
            if !rest.is_empty() {
                trace.push(Step {
                    tier: Tier::Network,
                    verdict: Verdict::Deny,
                    policy: None,
                    rule: None,
                    rule_name: None,
                    location: None,
                    connections: rest,
                    calico_tier: None,
                    caveat: None,
                });
            }
        }
        network
    }

    /// The baseline tier on what is left, then allow by default: what it allows.
    fn baseline_tier(
        &self,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        remaining: &ConnectionSet,
        mut trace: Option<&mut Vec<Step>>,
    ) -> ConnectionSet {
        let baseline = |r: &Rule| r.tier == RuleTier::Baseline;
        let walk = self.first_match(rules, matched, baseline, target, remaining, trace.as_deref_mut());
        let rest = remaining.difference(&walk.decided);
        if let Some(trace) = trace {
            if !rest.is_empty() {
                trace.push(default_step(Verdict::Allow, rest.clone()));
            }
        }
        walk.allowed.union(&rest)
    }

    /// What Cilium's deny rules of the profile that match take out of `remaining`.
    fn cilium_denials(
        &self,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        remaining: &ConnectionSet,
        trace: Option<&mut Vec<Step>>,
    ) -> ConnectionSet {
        let denies = |r: &Rule| r.tier == RuleTier::Cilium && r.action == AdminPolicyAction::Deny;
        self.first_match(rules, matched, denies, target, remaining, trace).decided
    }

    /// The walk `baseline_tier` and `cilium_denials` share: the rules `keep`
    /// picks that the peer matches, in order, each deciding the part of
    /// `remaining` no earlier one decided (the first match decides each
    /// port), with a step per rule that decides something.
    fn first_match(
        &self,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        keep: impl Fn(&Rule) -> bool,
        target: Target,
        remaining: &ConnectionSet,
        mut trace: Option<&mut Vec<Step>>,
    ) -> FirstMatch {
        let mut walk = FirstMatch { decided: ConnectionSet::none(), allowed: ConnectionSet::none() };
        for rule in matching(rules, matched, keep) {
            let new = self.resolve(rule, target).intersection(remaining).difference(&walk.decided);
            if new.is_empty() {
                continue;
            }
            if rule.action == AdminPolicyAction::Allow {
                walk.allowed = walk.allowed.union(&new);
            }
            walk.decided = walk.decided.union(&new);
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(self.rule_step(rule, verdict(rule.action), new));
            }
        }
        walk
    }

    /// Calico's tiers, in order, on `remaining`: `(allowed, passed through
    /// every tier)`. In each tier the first matching rule of its policies,
    /// in order, decides each port; `Pass` hands it to the next tier that
    /// has a policy for the subject; what no rule decides is denied at the
    /// end of the tier (or passed, when the tier's `defaultAction` is `Pass`).
    fn calico_tiers(
        &self,
        profile: &Profile,
        rules: &[(usize, &Rule)],
        matched: &dyn Fn(usize) -> bool,
        target: Target,
        remaining: &ConnectionSet,
        mut trace: Option<&mut Vec<Step>>,
    ) -> (ConnectionSet, ConnectionSet) {
        let tier_of = |policy: u32| self.policies[policy as usize].calico_tier;
        let mut tiers: Vec<u32> = profile.policies.iter().filter_map(|&p| tier_of(p)).collect();
        tiers.dedup();
        let mut allowed = ConnectionSet::none();
        let mut flowing = remaining.clone();
        for tier in tiers {
            if flowing.is_empty() {
                break;
            }
            let mut open = flowing.clone();
            let mut passed = ConnectionSet::none();
            let in_tier = |r: &Rule| {
                matches!(r.tier, RuleTier::Network | RuleTier::Calico) && tier_of(r.policy) == Some(tier)
            };
            for &(i, rule) in rules.iter().filter(|(_, r)| in_tier(r)) {
                if !matched(i) {
                    continue;
                }
                let new = self.resolve(rule, target).intersection(&open);
                if new.is_empty() {
                    continue;
                }
                match rule.action {
                    AdminPolicyAction::Allow => allowed = allowed.union(&new),
                    AdminPolicyAction::Deny => {}
                    AdminPolicyAction::Pass => passed = passed.union(&new),
                }
                open = open.difference(&new);
                if let Some(trace) = trace.as_deref_mut() {
                    trace.push(self.rule_step(rule, verdict(rule.action), new));
                }
            }
            if !open.is_empty() {
                let info = &self.calico_tiers[tier as usize];
                let verdict = if info.pass_by_default { Verdict::Pass } else { Verdict::Deny };
                if info.pass_by_default {
                    passed = passed.union(&open);
                }
                if let Some(trace) = trace.as_deref_mut() {
                    trace.push(Step {
                        tier: Tier::Network,
                        verdict,
                        policy: None,
                        rule: None,
                        rule_name: None,
                        location: None,
                        connections: open,
                        calico_tier: Some(info.name.clone()),
                        caveat: None,
                    });
                }
            }
            flowing = passed;
        }
        (allowed, flowing)
    }

    pub(crate) fn rule_step(&self, rule: &Rule, verdict: Verdict, connections: ConnectionSet) -> Step {
        let policy = self.policy_ref(rule.policy);
        let list = match rule.direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let path = rule.path.clone().unwrap_or_else(|| format!("spec.{list}[{}]", rule.index));
        let location = self.policies[rule.policy as usize].origin.field_location(&path);
        let caveat = match &rule.caveat {
            Some(RuleCaveat::L7(protocols)) => Some(Caveat::L7 { protocols: protocols.clone() }),
            Some(RuleCaveat::Fqdns(names)) => Some(Caveat::Fqdns { names: names.clone() }),
            None => None,
        };
        Step {
            tier: match rule.tier {
                RuleTier::Admin => Tier::Admin,
                RuleTier::Network | RuleTier::Cilium | RuleTier::Calico => Tier::Network,
                RuleTier::Baseline => Tier::Baseline,
            },
            verdict,
            policy: Some(policy),
            rule: Some(rule.index as usize),
            rule_name: rule.name.clone(),
            location: Some(location),
            connections,
            calico_tier: None,
            caveat,
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
            Peer::Node(block) => self.matches_node(set, block),
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
                if self.is_node_address(range) {
                    return vec![Peer::Node(
                        ip::blocks_overlapping(&self.blocks, range).next().map(|b| b as u32),
                    )];
                }
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
            Peer::Block(_) | Peer::Unlisted | Peer::Node(_) => Target::External,
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
                caveats: self.fqdn_caveats(from_class, first(to)),
            },
            ingress: DirectionExplanation {
                direction: Direction::Ingress,
                policies_apply: to_class.is_some(),
                isolated_by: self.isolating(to_class, Direction::Ingress),
                steps: ingress_steps,
                allowed: ingress,
                caveats: Vec::new(),
            },
            allowed,
            exemption,
        }
    }

    pub(crate) fn caveats(&self) -> Vec<(PolicyRef, Option<crate::origin::Location>, Caveat)> {
        let mut caveats: Vec<(PolicyRef, Option<crate::origin::Location>, Caveat)> = self
            .rules
            .iter()
            .filter(|rule| rule.caveat.is_some())
            .map(|rule| {
                let step = self.rule_step(rule, Verdict::Allow, crate::ports::ConnectionSet::none());
                let caveat = step.caveat.expect("the rule has a caveat");
                (self.policy_ref(rule.policy), step.location, caveat)
            })
            .collect();
        caveats.sort();
        caveats.dedup();
        caveats
    }

    /// The `toFQDNs` rules of `class`'s egress profile, when the peer is
    /// outside the cluster: whether they allow it depends on what the names
    /// resolve to at run time.
    fn fqdn_caveats(
        &self,
        class: Option<u32>,
        peer: Peer,
    ) -> Vec<(PolicyRef, Option<crate::origin::Location>, Caveat)> {
        let (Some(class), Peer::Block(_) | Peer::Unlisted | Peer::Node(_)) = (class, peer) else {
            return Vec::new();
        };
        let profile = self.profile_of(class, Direction::Egress);
        let mut caveats = Vec::new();
        for &r in &profile.rules {
            let rule = &self.rules[r as usize];
            if let Some(RuleCaveat::Fqdns(names)) = &rule.caveat {
                let step = self.rule_step(rule, Verdict::Allow, crate::ports::ConnectionSet::none());
                caveats.push((
                    self.policy_ref(rule.policy),
                    step.location,
                    Caveat::Fqdns { names: names.clone() },
                ));
            }
        }
        caveats
    }

    fn profile_of(&self, class: u32, direction: Direction) -> &Profile {
        &self.profiles[self.classes[class as usize].profiles[direction.index()] as usize]
    }

    fn isolating(&self, class: Option<u32>, direction: Direction) -> Vec<PolicyRef> {
        let Some(class) = class else { return Vec::new() };
        self.profile_of(class, direction)
            .policies
            .iter()
            .filter(|&&p| self.policies[p as usize].isolates[direction.index()])
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

/// The rules of `rules` that `keep` accepts and the peer matches, in order.
fn matching<'r>(
    rules: &'r [(usize, &'r Rule)],
    matched: &'r dyn Fn(usize) -> bool,
    keep: impl Fn(&Rule) -> bool + 'r,
) -> impl Iterator<Item = &'r Rule> + 'r {
    rules.iter().filter(move |(i, rule)| keep(rule) && matched(*i)).map(|&(_, rule)| rule)
}

pub(super) fn verdict(action: AdminPolicyAction) -> Verdict {
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
        calico_tier: None,
        caveat: None,
    }
}
