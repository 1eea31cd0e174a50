//! The rules that decide one pod's traffic in one direction, in the order
//! the engine evaluates them, for a data plane to program (the lab lowers
//! them into nftables). Nothing here decides anything: every rule, peer set,
//! port set and tier comes from the compiled engine, and the shape of
//! [`PodRules`] is the shape of `eval.rs`'s evaluation, so that a program
//! that asks the stages in order, first match first, reaches the verdicts
//! [`PolicyEngine::allowed`] gives:
//!
//! 1. the admin tier: per connection, the first matching
//!    AdminNetworkPolicy rule allows, denies or passes on
//!    (<https://network-policy-api.sigs.k8s.io/reference/spec/>);
//! 2. then one of: Calico's tiers in order, the first matching rule of a
//!    tier allowing, denying or passing to the next tier, and the tier's end
//!    denying (or passing, under `defaultAction: Pass`)
//!    (<https://docs.tigera.io/calico/latest/reference/resources/tier>);
//!    or, for a pod isolated by NetworkPolicy or Cilium, Cilium's deny rules
//!    first ("Deny policies take precedence over allow policies",
//!    <https://docs.cilium.io/en/stable/security/policy/deny/>), then every
//!    allow rule, the rest denied; or, for a pod not isolated, Cilium's deny
//!    rules;
//! 3. the BaselineAdminNetworkPolicy's rules, the rest allowed.

use super::compile::{Compiled, PeerSet, Rule, RuleTier};
use super::eval::{verdict, Target};
use super::resolve::pods_by_class;
use super::{Caveat, Direction, IpRange, PolicyEngine, PolicyRef, Verdict};
use crate::model::PodId;
use crate::origin::Location;
use crate::ports::ConnectionSet;

/// What decides one pod's traffic in one direction, stage by stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRules {
    /// AdminNetworkPolicy rules: the first that matches allows, denies or
    /// passes to [`PodRules::network`].
    pub admin: Vec<PodRule>,
    /// What the NetworkPolicy tier and the plugins' own policies decide.
    pub network: NetworkRules,
    /// BaselineAdminNetworkPolicy rules, asked when [`PodRules::network`]
    /// leaves a connection undecided; what none matches is allowed.
    pub baseline: Vec<PodRule>,
}

/// The middle stage of [`PodRules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkRules {
    /// The pod is isolated (by NetworkPolicy or a Cilium policy): `denies`
    /// (Cilium's) drop, then `allows` (NetworkPolicy's and Cilium's) allow,
    /// and the rest is denied; the baseline is never asked.
    Isolated {
        /// Cilium deny rules.
        denies: Vec<PodRule>,
        /// Allow rules.
        allows: Vec<PodRule>,
    },
    /// The pod is not isolated: `denies` (Cilium's) drop, the rest goes to
    /// the baseline.
    Open {
        /// Cilium deny rules.
        denies: Vec<PodRule>,
    },
    /// A Calico policy applies: its tiers in order (Kubernetes
    /// NetworkPolicies in the `default` tier); what passes every tier goes
    /// to the baseline.
    Calico(Vec<CalicoTierRules>),
}

/// One Calico tier that has a policy for the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalicoTierRules {
    /// The tier's name.
    pub name: String,
    /// Whether what no rule decides passes to the next tier
    /// (`defaultAction: Pass`) rather than being denied.
    pub pass_by_default: bool,
    /// Its rules that apply to the pod, in order: the first that matches
    /// allows, denies or passes.
    pub rules: Vec<PodRule>,
}

/// One rule, as it applies to one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRule {
    /// The policy it belongs to.
    pub policy: PolicyRef,
    /// Where it is written, when known.
    pub location: Option<Location>,
    /// What it does to the connections it matches.
    pub verdict: Verdict,
    /// The peers it matches, each with the connections it matches towards
    /// (or from) them; named ports already resolved on the destination.
    pub peers: Vec<PeerConnections>,
    /// What the model cannot see of it (L7 rules, `toFQDNs`): a data plane
    /// enforcing only [`PodRule::peers`] enforces its L3/L4 part only.
    pub caveat: Option<Caveat>,
}

/// Peers of a rule and the connections it matches with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConnections {
    /// Who.
    pub peer: RulePeer,
    /// Which protocols and ports (names the destination could not resolve
    /// are left as names, which no connection carries).
    pub connections: ConnectionSet,
}

/// The peers of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulePeer {
    /// These pods, ascending (matched by selector, or by address where the
    /// engine matches pod addresses); `hostNetwork` pods included, which
    /// carry their node's address.
    Pods(Vec<PodId>),
    /// Addresses outside the cluster: these ranges, sorted and disjoint,
    /// never the pods' own addresses.
    Addresses(Vec<IpRange>),
}

impl PolicyEngine<'_> {
    /// The rules that decide `pod`'s traffic in `direction`, in evaluation
    /// order; `None` when policies cannot apply to the pod (`hostNetwork`)
    /// or nothing applies (every connection is allowed).
    pub fn pod_rules(&self, pod: PodId, direction: Direction) -> Option<PodRules> {
        let compiled = self.whole();
        let class = compiled.pod_class[pod.0 as usize];
        let info = &compiled.classes[class as usize];
        if info.host_network {
            return None;
        }
        let profile = &compiled.profiles[info.profiles[direction_index(direction)] as usize];
        if profile.is_trivial() {
            return None;
        }
        let lowering = Lowering { compiled, pods_of: pods_by_class(compiled), subject_ports: info.ports };
        let rules: Vec<&Rule> = profile.rules.iter().map(|&r| &compiled.rules[r as usize]).collect();
        let pick = |wanted: &dyn Fn(&Rule) -> bool| -> Vec<PodRule> {
            rules.iter().filter(|r| wanted(r)).map(|r| lowering.rule(r)).collect()
        };
        let cilium_deny = |r: &Rule| r.tier == RuleTier::Cilium && r.verdict_is(Verdict::Deny);
        let network = if profile.calico {
            let tier_of = |policy: u32| compiled.policies[policy as usize].calico_tier;
            let mut tiers: Vec<u32> = profile.policies.iter().filter_map(|&p| tier_of(p)).collect();
            tiers.dedup();
            let tiers = tiers.into_iter().map(|tier| {
                let info = &compiled.calico_tiers[tier as usize];
                let in_tier = |r: &Rule| {
                    matches!(r.tier, RuleTier::Network | RuleTier::Calico) && tier_of(r.policy) == Some(tier)
                };
                CalicoTierRules {
                    name: info.name.clone(),
                    pass_by_default: info.pass_by_default,
                    rules: pick(&in_tier),
                }
            });
            NetworkRules::Calico(tiers.collect())
        } else if profile.isolated {
            let allows = |r: &Rule| {
                r.tier == RuleTier::Network || (r.tier == RuleTier::Cilium && r.verdict_is(Verdict::Allow))
            };
            NetworkRules::Isolated { denies: pick(&cilium_deny), allows: pick(&allows) }
        } else {
            NetworkRules::Open { denies: pick(&cilium_deny) }
        };
        Some(PodRules {
            admin: pick(&|r: &Rule| r.tier == RuleTier::Admin),
            network,
            baseline: pick(&|r: &Rule| r.tier == RuleTier::Baseline),
        })
    }

    /// Whether the engine holds a policy of the plugins' own (Cilium's or
    /// Calico's): only those need [`PolicyEngine::pod_rules`]' tiers beyond
    /// NetworkPolicy and the admin policies.
    pub fn has_native_policies(&self) -> bool {
        self.whole().policies.iter().any(|p| p.kind.is_cilium() || p.kind.is_calico())
    }
}

fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl Rule {
    fn verdict_is(&self, wanted: Verdict) -> bool {
        verdict(self.action) == wanted
    }
}

/// What turning the engine's rules into [`PodRule`]s needs.
struct Lowering<'a, 'c> {
    compiled: &'a Compiled<'c>,
    pods_of: Vec<Vec<PodId>>,
    /// The subject's named container ports (`Compiled::port_profiles`).
    subject_ports: u32,
}

impl Lowering<'_, '_> {
    fn rule(&self, rule: &Rule) -> PodRule {
        let compiled = self.compiled;
        let step = compiled.rule_step(rule, verdict(rule.action), ConnectionSet::none());
        let set = &compiled.peer_sets[rule.peers as usize];
        PodRule {
            policy: compiled.policy_ref(rule.policy),
            location: step.location,
            verdict: step.verdict,
            peers: self.peers(rule, set),
            caveat: step.caveat,
        }
    }

    /// The rule's pods grouped by the connections it matches with them
    /// (ingress: the subject's ports; egress: each peer's), then its
    /// address ranges.
    fn peers(&self, rule: &Rule, set: &PeerSet) -> Vec<PeerConnections> {
        let compiled = self.compiled;
        let mut groups: Vec<(ConnectionSet, Vec<PodId>)> = Vec::new();
        for class in set.classes.iter().filter(|&c| c != compiled.ingress_controller as usize) {
            let target = match rule.direction {
                Direction::Ingress => Target::Ports(self.subject_ports),
                Direction::Egress => Target::Ports(compiled.classes[class].ports),
            };
            let connections = compiled.resolve(rule, target);
            if connections.is_empty() || self.pods_of[class].is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(c, _)| *c == connections) {
                Some((_, pods)) => pods.extend(&self.pods_of[class]),
                None => groups.push((connections, self.pods_of[class].clone())),
            }
        }
        let mut peers: Vec<PeerConnections> = groups
            .into_iter()
            .map(|(connections, mut pods)| {
                pods.sort_unstable();
                PeerConnections { peer: RulePeer::Pods(pods), connections }
            })
            .collect();
        let ranges = merged(set.blocks.iter().map(|b| compiled.blocks[b]));
        let connections = compiled.resolve(rule, Target::External);
        if !ranges.is_empty() && !connections.is_empty() {
            peers.push(PeerConnections { peer: RulePeer::Addresses(ranges), connections });
        }
        peers
    }
}

/// Sorted disjoint ranges with neighbours joined.
fn merged(ranges: impl Iterator<Item = IpRange>) -> Vec<IpRange> {
    let mut sorted: Vec<IpRange> = ranges.collect();
    sorted.sort_unstable();
    let mut out: Vec<IpRange> = Vec::with_capacity(sorted.len());
    for range in sorted {
        let joined = match (out.last_mut(), range) {
            (Some(IpRange::V4 { last, .. }), IpRange::V4 { first, last: end })
                if last.checked_add(1) == Some(first) =>
            {
                *last = end;
                true
            }
            (Some(IpRange::V6 { last, .. }), IpRange::V6 { first, last: end })
                if last.checked_add(1) == Some(first) =>
            {
                *last = end;
                true
            }
            _ => false,
        };
        if !joined {
            out.push(range);
        }
    }
    out
}

#[cfg(test)]
#[path = "pod_rules_tests.rs"]
mod tests;
