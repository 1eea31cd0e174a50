//! AdminNetworkPolicy and BaselineAdminNetworkPolicy, compiled to nftables
//! rules for [`crate::policy`]'s tier chains
//! (<https://network-policy-api.sigs.k8s.io/api-overview/>): admin
//! policies first, by ascending `priority` (then name), each rule in order —
//! `Allow` returns (the connection is allowed, lower tiers are not asked),
//! `Deny` drops, `Pass` jumps to the NetworkPolicy tier; the baseline
//! policy's rules last, asked only when no NetworkPolicy isolates the pod.
//! Peers: `namespaces` and `pods` become address sets, egress `networks`
//! CIDRs that never match pod addresses (as the core's
//! `ip_blocks_match_pods: false`); `nodes` peers are not compiled. Ports:
//! `portNumber`, `portRange`, and `namedPort` resolved on the destination
//! pod.

use std::fmt::Write as _;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubereach_core::admin_policy::{
    AdminNetworkPolicyPeer, AdminNetworkPolicyPort, AdminNetworkPolicySubject, AdminPolicyAction,
    NamespacedPod,
};
use kubereach_core::labels::selector_matches;
use kubereach_core::model::PodId;
use kubereach_core::Cluster;

use crate::enforcement::Direction;
use crate::topology::{LabPod, Topology};

/// Which admin tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminTier {
    /// AdminNetworkPolicy.
    Admin,
    /// BaselineAdminNetworkPolicy.
    Baseline,
}

/// One rule of a tier, as the compiler needs it.
struct Rule<'p> {
    action: AdminPolicyAction,
    peers: &'p [AdminNetworkPolicyPeer],
    ports: Option<&'p Vec<AdminNetworkPolicyPort>>,
}

/// The nft rules of `tier` for `pod` in `direction`, in evaluation order;
/// `pass` is the verdict of a `Pass` rule (a jump to the NetworkPolicy tier).
pub(crate) fn rules(
    cluster: &Cluster,
    topology: &Topology,
    pod: &LabPod,
    direction: Direction,
    tier: AdminTier,
    pass: &str,
) -> Vec<String> {
    let mut policies: Vec<(i32, String, &AdminNetworkPolicySubject, Vec<Rule<'_>>)> = Vec::new();
    match tier {
        AdminTier::Admin => {
            for object in cluster.admin_network_policies() {
                let spec = &object.value.spec;
                let name = object.value.metadata.name.clone().unwrap_or_default();
                policies.push((
                    spec.priority,
                    name,
                    &spec.subject,
                    tier_rules(&spec.ingress, &spec.egress, direction),
                ));
            }
        }
        AdminTier::Baseline => {
            for object in cluster.baseline_admin_network_policies() {
                let spec = &object.value.spec;
                let name = object.value.metadata.name.clone().unwrap_or_default();
                policies.push((0, name, &spec.subject, tier_rules(&spec.ingress, &spec.egress, direction)));
            }
        }
    }
    policies.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut out = Vec::new();
    for (_, name, subject, rules) in policies {
        if !selects(cluster, subject, pod) {
            continue;
        }
        for (index, rule) in rules.iter().enumerate() {
            let verdict = match rule.action {
                AdminPolicyAction::Allow => "return",
                AdminPolicyAction::Deny => "drop",
                AdminPolicyAction::Pass => pass,
            };
            let before = out.len();
            out.extend(rule_lines(cluster, topology, pod, direction, rule, verdict));
            if out.len() > before {
                out.insert(before, format!("# {name} rule {index}"));
            }
        }
    }
    out
}

fn tier_rules<'p>(
    ingress: &'p [kubereach_core::admin_policy::AdminNetworkPolicyIngressRule],
    egress: &'p [kubereach_core::admin_policy::AdminNetworkPolicyEgressRule],
    direction: Direction,
) -> Vec<Rule<'p>> {
    match direction {
        Direction::Ingress => ingress
            .iter()
            .map(|r| Rule { action: r.action, peers: &r.from, ports: r.ports.as_ref() })
            .collect(),
        Direction::Egress => {
            egress.iter().map(|r| Rule { action: r.action, peers: &r.to, ports: r.ports.as_ref() }).collect()
        }
    }
}

fn namespace_matches(cluster: &Cluster, selector: &LabelSelector, namespace: &str) -> bool {
    cluster.namespace(namespace).is_some_and(|ns| selector_matches(selector, &ns.labels))
}

fn selects(cluster: &Cluster, subject: &AdminNetworkPolicySubject, lab_pod: &LabPod) -> bool {
    matches(cluster, subject.namespaces.as_ref(), subject.pods.as_ref(), lab_pod)
}

/// Whether a `namespaces` selector or a `pods` selector pair (subject or
/// peer: the same shape) selects the pod.
fn matches(
    cluster: &Cluster,
    namespaces: Option<&LabelSelector>,
    pods: Option<&NamespacedPod>,
    lab_pod: &LabPod,
) -> bool {
    let pod = cluster.pod(PodId(lab_pod.pod));
    if let Some(namespaces) = namespaces {
        return namespace_matches(cluster, namespaces, &pod.namespace);
    }
    if let Some(pods) = pods {
        return namespace_matches(cluster, &pods.namespace_selector, &pod.namespace)
            && selector_matches(&pods.pod_selector, &pod.labels);
    }
    false
}

/// The pods a `namespaces` or `pods` peer selects.
fn peer_pods<'t>(
    cluster: &Cluster,
    topology: &'t Topology,
    peer: &AdminNetworkPolicyPeer,
) -> Vec<&'t LabPod> {
    let wanted = |lab_pod: &&LabPod| matches(cluster, peer.namespaces.as_ref(), peer.pods.as_ref(), lab_pod);
    topology.pods.iter().filter(|p| !p.host_network).filter(wanted).collect()
}

fn rule_lines(
    cluster: &Cluster,
    topology: &Topology,
    pod: &LabPod,
    direction: Direction,
    rule: &Rule<'_>,
    verdict: &str,
) -> Vec<String> {
    let field = match direction {
        Direction::Ingress => "saddr",
        Direction::Egress => "daddr",
    };
    let mut lines = Vec::new();
    for peer in rule.peers {
        if let Some(networks) = &peer.networks {
            let cidrs: Vec<String> = networks.iter().filter_map(|n| crate::enforcement::v4(n)).collect();
            if cidrs.is_empty() || direction == Direction::Ingress {
                continue;
            }
            let condition = format!("ip daddr {{ {} }} ip daddr != @pod-addresses", cidrs.join(", "));
            lines.extend(port_lines(cluster, &condition, rule.ports, None, verdict));
            continue;
        }
        let peers = peer_pods(cluster, topology, peer);
        match direction {
            Direction::Ingress if !peers.is_empty() => {
                let addresses: Vec<String> = peers.iter().map(|p| p.address.to_string()).collect();
                let condition = format!("ip {field} {{ {} }}", addresses.join(", "));
                lines.extend(port_lines(cluster, &condition, rule.ports, Some(pod), verdict));
            }
            Direction::Ingress => {}
            Direction::Egress => {
                for peer_pod in peers {
                    let condition = format!("ip daddr {}", peer_pod.address);
                    lines.extend(port_lines(cluster, &condition, rule.ports, Some(peer_pod), verdict));
                }
            }
        }
    }
    lines
}

/// `condition` with each port entry, then `verdict`; all ports when the
/// rule lists none. A named port resolves on `target` or matches nothing.
fn port_lines(
    cluster: &Cluster,
    condition: &str,
    ports: Option<&Vec<AdminNetworkPolicyPort>>,
    target: Option<&LabPod>,
    verdict: &str,
) -> Vec<String> {
    let Some(ports) = ports else { return vec![format!("{condition} {verdict}")] };
    let mut lines = Vec::new();
    for port in ports {
        let mut line = condition.to_owned();
        if let Some(number) = &port.port_number {
            let protocol = number.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
            let _ = write!(line, " meta l4proto {protocol} th dport {}", number.port);
        } else if let Some(range) = &port.port_range {
            let protocol = range.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
            let _ = write!(line, " meta l4proto {protocol} th dport {}-{}", range.start, range.end);
        } else if let Some(name) = &port.named_port {
            let pod = target.map(|t| cluster.pod(PodId(t.pod)));
            // A named port names a container port of any protocol.
            let found: Vec<(String, i32)> = pod
                .map(|p| {
                    p.container_ports()
                        .filter(|c| c.name.as_deref() == Some(name.as_str()))
                        .map(|c| (c.protocol.to_ascii_lowercase(), c.port))
                        .collect()
                })
                .unwrap_or_default();
            for (protocol, number) in found {
                lines.push(format!("{condition} meta l4proto {protocol} th dport {number} {verdict}"));
            }
            continue;
        } else {
            continue;
        }
        let _ = write!(line, " {verdict}");
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use crate::policy::{ruleset, Enforced};

    const ALL: Enforced = Enforced { network_policy: true, admin: true, baseline: true };

    // https://network-policy-api.sigs.k8s.io/api-overview/: admin rules by
    // ascending priority, Pass hands over to NetworkPolicy, the baseline is
    // asked only for pods no NetworkPolicy isolates.
    #[test]
    fn tiers_are_ordered_chains() {
        let cluster = crate::test_cluster(&(crate::policy::tests::PODS.to_owned()
            + "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: second}
spec:
  priority: 20
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: first}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {team: blue}}}
  ingress: [{action: Pass, from: [{namespaces: {}}], ports: [{namedPort: http}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}}]}]"));
        let topology = crate::topology::build(&cluster, "t").unwrap();
        let rules = ruleset(&cluster, &topology, 0, ALL).unwrap();
        let expected = "\tchain ingress-pod1 {
\t\t# a/api ingress
\t\tip saddr 10.244.0.2 return
\t\t# first rule 0
\t\tip saddr { 10.244.0.2, 10.244.1.2 } meta l4proto tcp th dport 8080 goto np-ingress-pod1
\t\t# second rule 0
\t\tip saddr { 10.244.0.2, 10.244.1.2 } drop
\t\tgoto np-ingress-pod1
\t}
\tchain np-ingress-pod1 {
\t\tgoto baseline-ingress-pod1
\t}
\tchain baseline-ingress-pod1 {
\t\t# default rule 0
\t\tip saddr { 10.244.0.2 } return
\t}
";
        assert!(rules.contains(expected), "{rules}");
    }
}
