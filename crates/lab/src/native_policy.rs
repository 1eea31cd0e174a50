//! Cilium's and Calico's own policies, enforced the way the core's policy
//! engine compiles them ([`PolicyEngine::pod_rules`]), lowered into
//! nftables in the same table, chains and dispatch as [`crate::policy`]
//! (<https://docs.cilium.io/en/stable/security/policy/language/>,
//! <https://docs.tigera.io/calico/latest/reference/resources/tier>).
//!
//! Unlike NetworkPolicy, these policies are not read again here: their
//! semantics (Cilium's deny-wins, entities, CIDRs with `except`,
//! `enableDefaultDeny`; Calico's order, tiers, `Pass`, end-of-tier deny,
//! Kubernetes NetworkPolicies at order 1000 of the `default` tier) have one
//! source of truth, the engine, and this module only writes its stages as
//! chains, asked first match first, the way `eval.rs` asks them:
//!
//! - the pod chain: the pod's own address returns, then the admin rules
//!   (`Allow` returns, `Deny` drops, `Pass` goes to the next chain);
//! - `np-…`: for an isolated pod, Cilium's deny rules drop, the allow rules
//!   return, the rest drops; for a pod not isolated, Cilium's deny rules
//!   drop and the rest goes to the baseline; under Calico, a chain per tier
//!   (`tier<k>-…`) whose rules return, drop or go to the next tier, and
//!   whose end drops (or passes, for `defaultAction: Pass`);
//! - `baseline-…`: the BaselineAdminNetworkPolicy's rules, the rest returns.
//!
//! When the cluster has such policies (and the plugin enforces them) every
//! pod's chains come from here, NetworkPolicies included, since both
//! plugins combine them with their own. Pods are matched by their lab
//! addresses, addresses outside the cluster by range, never the pods'
//! own; the engine is compiled as `lab probe` compiles it, with ipBlocks
//! (and Calico `nets`) not matching pod addresses, which the lab assigns.
//! What nftables cannot enforce is said, never pretended: an L7 rule
//! (`rules.http`, `rules.dns`, …) is enforced at L3/L4 only, and a
//! `toFQDNs` rule allows nothing here (its names resolve at run time);
//! both carry a comment in the ruleset, and [`caveat_notes`] words them
//! for `lab up` and `lab probe`.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use kubereach_core::cni::{self, PluginOverrides, PolicyView};
use kubereach_core::model::PodId;
use kubereach_core::policy::{
    Caveat, Direction, IpRange, NetworkRules, PodRule, PodRules, PolicyEngine, RulePeer, Verdict,
};
use kubereach_core::ports::{ConnectionSet, Protocol};
use kubereach_core::Cluster;

use crate::enforcement::Enforced;
use crate::topology::{LabPod, Topology};

/// The ruleset of node `node` when the engine holds Cilium or Calico
/// policies the plugin enforces: `Some(None)` when no policy applies to a
/// pod of the node. `None` when it holds none, so that [`crate::policy`]
/// compiles NetworkPolicies itself.
pub(crate) fn ruleset(
    cluster: &Cluster,
    topology: &Topology,
    node: usize,
    enforced: Enforced,
) -> Option<Option<String>> {
    if !enforced.network_policy {
        return None;
    }
    let engine = engine(cluster);
    if !engine.has_native_policies() {
        return None;
    }
    let lowering = Lowering::new(topology);
    let mut dispatch = Vec::new();
    let mut chains = String::new();
    for lab_pod in topology.pods.iter().filter(|p| p.node == node && !p.host_network) {
        for direction in [Direction::Ingress, Direction::Egress] {
            let Some(stages) = engine.pod_rules(PodId(lab_pod.pod), direction) else { continue };
            let chain = chain_name(lab_pod, direction);
            let link = lab_pod.host_link.as_deref().unwrap_or_default();
            let hook = if direction == Direction::Ingress { "oifname" } else { "iifname" };
            dispatch.push(format!("\t\t{hook} \"{link}\" jump {chain}\n"));
            lowering.pod_chains(&mut chains, lab_pod, direction, &stages);
        }
    }
    if dispatch.is_empty() {
        return Some(None);
    }
    let mut out = String::from("table ip kubereach-policy\ndelete table ip kubereach-policy\n");
    out.push_str("table ip kubereach-policy {\n\tset pod-addresses {\n\t\ttype ipv4_addr\n");
    let _ = writeln!(out, "\t\telements = {{ {} }}\n\t}}", lowering.all_pods.join(", "));
    out.push_str("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n");
    out.push_str("\t\tct state established,related accept\n");
    out.extend(dispatch);
    out.push_str("\t}\n");
    out.push_str(&chains);
    out.push_str("}\n");
    Some(Some(out))
}

/// What the lab cannot enforce of the plugins' own policies it installs,
/// one sentence each (empty when it enforces everything they say).
pub fn caveat_notes(cluster: &Cluster) -> Vec<String> {
    engine(cluster)
        .caveats()
        .into_iter()
        .map(|(policy, location, caveat)| {
            let at = location.as_ref().unwrap_or(&policy.location);
            format!(
                "the lab enforces {} `{}` ({at}) at L3/L4 only: {}",
                policy.kind.as_str(),
                policy.id(),
                caveat_text(&caveat)
            )
        })
        .collect()
}

/// The engine as the lab enforces it and `lab probe` predicts with it:
/// the plugin's enforced kinds, ipBlocks never matching pod addresses.
fn engine(cluster: &Cluster) -> PolicyEngine<'_> {
    let overrides = PluginOverrides {
        ip_blocks_match_pods: Some(false),
        // Nor does it tell node addresses from others: an ipBlock matches them.
        ip_blocks_match_nodes: Some(true),
        ..PluginOverrides::default()
    };
    PolicyEngine::for_plugin(cluster, cni::behaviour(cluster, &overrides), PolicyView::Effective)
}

fn caveat_text(caveat: &Caveat) -> String {
    match caveat {
        Caveat::L7 { protocols } => format!(
            "its L7 rules ({}) are not enforced, every request on the rule's ports is let through",
            protocols.join(", ")
        ),
        Caveat::Fqdns { names } => format!(
            "its `toFQDNs` ({}) allows nothing in the lab, whose names resolve at run time",
            names.join(", ")
        ),
    }
}

fn chain_name(lab_pod: &LabPod, direction: Direction) -> String {
    let word = if direction == Direction::Ingress { "ingress" } else { "egress" };
    format!("{word}-pod{}", lab_pod.pod + 1)
}

/// The lab's addresses, by pod.
struct Lowering {
    /// Each pod's lab address (`None` for `hostNetwork` pods, which carry
    /// their node's), by [`PodId`].
    addresses: Vec<Option<Ipv4Addr>>,
    /// The addresses of every pod that has its own.
    all_pods: Vec<String>,
}

impl Lowering {
    fn new(topology: &Topology) -> Lowering {
        let size = topology.pods.iter().map(|p| p.pod as usize + 1).max().unwrap_or(0);
        let mut addresses = vec![None; size];
        for lab_pod in topology.pods.iter().filter(|p| !p.host_network) {
            addresses[lab_pod.pod as usize] = Some(lab_pod.address);
        }
        let all_pods = addresses.iter().flatten().map(Ipv4Addr::to_string).collect();
        Lowering { addresses, all_pods }
    }

    /// The chains of one pod in one direction.
    fn pod_chains(&self, out: &mut String, lab_pod: &LabPod, direction: Direction, stages: &PodRules) {
        let name = chain_name(lab_pod, direction);
        let (np, baseline) = (format!("np-{name}"), format!("baseline-{name}"));
        let own = if direction == Direction::Ingress { "saddr" } else { "daddr" };
        let word = if direction == Direction::Ingress { "ingress" } else { "egress" };
        let _ = writeln!(out, "\tchain {name} {{\n\t\t# {}/{} {word}", lab_pod.namespace, lab_pod.name);
        let _ = writeln!(out, "\t\tip {own} {} return", lab_pod.address);
        self.rules(out, &stages.admin, direction, &np);
        let _ = writeln!(out, "\t\tgoto {np}\n\t}}\n\tchain {np} {{");
        match &stages.network {
            NetworkRules::Isolated { denies, allows } => {
                self.rules(out, denies, direction, "");
                self.rules(out, allows, direction, "");
                out.push_str("\t\tdrop\n\t}\n");
            }
            NetworkRules::Open { denies } => {
                self.rules(out, denies, direction, "");
                let _ = writeln!(out, "\t\tgoto {baseline}\n\t}}");
            }
            NetworkRules::Calico(tiers) => {
                let next =
                    |k: usize| if k < tiers.len() { format!("tier{k}-{name}") } else { baseline.clone() };
                let _ = writeln!(out, "\t\tgoto {}\n\t}}", next(0));
                for (k, tier) in tiers.iter().enumerate() {
                    let _ =
                        writeln!(out, "\tchain {} {{\n\t\t# Calico tier {}", next(k), comment(&tier.name));
                    self.rules(out, &tier.rules, direction, &next(k + 1));
                    if tier.pass_by_default {
                        let _ = writeln!(out, "\t\tgoto {}\n\t}}", next(k + 1));
                    } else {
                        out.push_str("\t\tdrop\n\t}\n");
                    }
                }
            }
        }
        let _ = writeln!(out, "\tchain {baseline} {{");
        self.rules(out, &stages.baseline, direction, "");
        out.push_str("\t}\n");
    }

    /// `rules` in order, each line ending in its verdict: `return` for
    /// allow, `drop` for deny, `goto PASS` for pass.
    fn rules(&self, out: &mut String, rules: &[PodRule], direction: Direction, pass: &str) {
        for rule in rules {
            let verdict = match rule.verdict {
                Verdict::Allow => "return".to_owned(),
                Verdict::Deny => "drop".to_owned(),
                Verdict::Pass => format!("goto {pass}"),
            };
            let policy = &rule.policy;
            let at = rule.location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
            let name = comment(&format!("{}{at}", policy.id()));
            let _ = writeln!(out, "\t\t# {} {name}", policy.kind.as_str());
            if let Some(caveat) = &rule.caveat {
                let _ = writeln!(out, "\t\t# not enforced: {}", comment(&caveat_text(caveat)));
            }
            for line in self.rule_lines(rule, direction) {
                let _ = writeln!(out, "\t\t{line} {verdict}");
            }
        }
    }

    /// One nft match per peer group and protocol of `rule`, without verdict.
    fn rule_lines(&self, rule: &PodRule, direction: Direction) -> Vec<String> {
        let field = if direction == Direction::Ingress { "saddr" } else { "daddr" };
        let mut lines = Vec::new();
        for group in &rule.peers {
            let condition = match &group.peer {
                RulePeer::Pods(pods) => {
                    let found: Vec<String> = pods
                        .iter()
                        .filter_map(|p| self.addresses.get(p.0 as usize).copied().flatten())
                        .map(|a| a.to_string())
                        .collect();
                    if found.is_empty() {
                        continue;
                    }
                    format!("ip {field} {{ {} }}", found.join(", "))
                }
                RulePeer::Addresses(ranges) => {
                    let Some(ranges) = v4_ranges(ranges) else { continue };
                    let outside = format!("ip {field} != @pod-addresses");
                    if ranges.is_empty() {
                        outside
                    } else {
                        format!("ip {field} {{ {} }} {outside}", ranges.join(", "))
                    }
                }
            };
            for port_match in port_matches(&group.connections) {
                lines.push(if port_match.is_empty() {
                    condition.clone()
                } else {
                    format!("{condition} {port_match}")
                });
            }
        }
        lines
    }
}

/// IPv4 `ranges` as nft elements (the lab is IPv4 only): `Some(empty)` for
/// every IPv4 address, `None` for none.
fn v4_ranges(ranges: &[IpRange]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for range in ranges {
        let IpRange::V4 { first, last } = *range else { continue };
        if first == 0 && last == u32::MAX {
            return Some(Vec::new());
        }
        out.push(match range.cidr() {
            Some(cidr) => cidr,
            None => format!("{}-{}", Ipv4Addr::from(first), Ipv4Addr::from(last)),
        });
    }
    (!out.is_empty()).then_some(out)
}

/// The nft port matches of `connections`, one per protocol; one empty
/// match for every connection. Names left unresolved match nothing.
fn port_matches(connections: &ConnectionSet) -> Vec<String> {
    if connections.is_all() {
        return vec![String::new()];
    }
    let mut matches = Vec::new();
    for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
        let ports = connections.ports(protocol);
        let proto = protocol.as_str().to_ascii_lowercase();
        if ports.is_empty() {
            continue;
        }
        if ports.is_all() {
            matches.push(format!("meta l4proto {proto}"));
            continue;
        }
        let list: Vec<String> = ports
            .ranges()
            .iter()
            .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
            .collect();
        matches.push(format!("meta l4proto {proto} th dport {{ {} }}", list.join(", ")));
    }
    matches
}

/// Input text (names, paths) made safe for an nft comment line.
fn comment(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}

#[cfg(test)]
#[path = "native_policy_tests.rs"]
mod tests;
