//! NetworkPolicy as a plugin enforces it, compiled to nftables: a small
//! compiler written apart from the core's policy engine, so that probes
//! compare two independent readings of the API
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>).
//!
//! Per node, table `kubereach-policy` holds a forward chain (priority 0:
//! after kube-proxy's DNAT in prerouting, before its SNAT in postrouting)
//! that accepts established traffic (policies judge new connections only)
//! and sends new traffic leaving an isolated pod's veth to its egress chain
//! and new traffic entering one to its ingress chain. A pod chain `return`s
//! when one rule of a selecting policy allows (rules of all selecting
//! policies are OR-ed) and drops otherwise; a pod always reaches itself.
//! The node's own traffic (hostNetwork pods included) to its pods leaves
//! through the output hook, not forward, so it is always allowed, as the
//! docs require.
//!
//! Selectors become address sets of the matching pods; `ipBlock` becomes a
//! CIDR match minus its `except` list, and, as the core's
//! `ip_blocks_match_pods: false` says, never matches pod addresses; ports are
//! protocol plus port or `port`–`endPort` range; named ports are resolved on
//! the destination pod (for egress, on each peer pod). AdminNetworkPolicy and
//! BaselineAdminNetworkPolicy rules come from `admin.rs`, in tier chains.

use std::fmt::Write as _;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubereach_core::labels::selector_matches;
use kubereach_core::model::PodId;
use kubereach_core::Cluster;

use crate::admin::AdminTier;
use crate::enforcement::v4;
pub(crate) use crate::enforcement::Direction;
pub use crate::enforcement::Enforced;
use crate::topology::{LabPod, Topology};

/// The nftables ruleset enforcing the policy tiers on node `node`; `None`
/// when no policy applies to a pod of the node. Each pod chain asks the
/// tiers in order: its own address, the admin rules, then the
/// NetworkPolicy chain (rules when isolated, else the baseline chain).
pub fn ruleset(cluster: &Cluster, topology: &Topology, node: usize, enforced: Enforced) -> Option<String> {
    // Cilium's and Calico's own policies: every pod's chains from the core's engine.
    if let Some(native) = crate::native_policy::ruleset(cluster, topology, node, enforced) {
        return native;
    }
    let all_pods: Vec<String> =
        topology.pods.iter().filter(|p| !p.host_network).map(|p| p.address.to_string()).collect();
    let mut dispatch = Vec::new();
    let mut chains = String::new();
    for lab_pod in topology.pods.iter().filter(|p| p.node == node && !p.host_network) {
        for direction in [Direction::Ingress, Direction::Egress] {
            let all = &all_pods;
            if let Some(rule) = pod_chains(cluster, topology, lab_pod, direction, enforced, all, &mut chains)
            {
                dispatch.push(rule);
            }
        }
    }
    if dispatch.is_empty() {
        return None;
    }
    let mut out = String::from("table ip kubereach-policy\ndelete table ip kubereach-policy\n");
    out.push_str("table ip kubereach-policy {\n\tset pod-addresses {\n\t\ttype ipv4_addr\n");
    let _ = writeln!(out, "\t\telements = {{ {} }}\n\t}}", all_pods.join(", "));
    out.push_str("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n");
    out.push_str("\t\tct state established,related accept\n");
    for rule in dispatch {
        let _ = writeln!(out, "\t\t{rule}");
    }
    out.push_str("\t}\n");
    out.push_str(&chains);
    out.push_str("}\n");
    Some(out)
}

/// The chains of `lab_pod` in `direction`, appended to `chains`, and the
/// forward chain's rule that jumps to them; `None` when no tier applies.
fn pod_chains(
    cluster: &Cluster,
    topology: &Topology,
    lab_pod: &LabPod,
    direction: Direction,
    enforced: Enforced,
    all_pods: &[String],
    chains: &mut String,
) -> Option<String> {
    let word = direction_word(direction);
    let name = format!("{word}-pod{}", lab_pod.pod + 1);
    let np_chain = format!("np-{name}");
    let baseline_chain = format!("baseline-{name}");
    let policies = if enforced.network_policy { selecting(cluster, lab_pod, direction) } else { Vec::new() };
    let admin = if enforced.admin {
        crate::admin::rules(
            cluster,
            topology,
            lab_pod,
            direction,
            AdminTier::Admin,
            &format!("goto {np_chain}"),
        )
    } else {
        Vec::new()
    };
    let baseline = if enforced.baseline && policies.is_empty() {
        crate::admin::rules(cluster, topology, lab_pod, direction, AdminTier::Baseline, "return")
    } else {
        Vec::new()
    };
    if policies.is_empty() && admin.is_empty() && baseline.is_empty() {
        return None;
    }
    let link = lab_pod.host_link.as_deref().unwrap_or_default();
    let hook = match direction {
        Direction::Ingress => "oifname",
        Direction::Egress => "iifname",
    };
    let dispatch = format!("{hook} \"{link}\" jump {name}");
    let own = match direction {
        Direction::Ingress => "saddr",
        Direction::Egress => "daddr",
    };
    let _ = writeln!(chains, "\tchain {name} {{\n\t\t# {}/{} {word}", lab_pod.namespace, lab_pod.name);
    let _ = writeln!(chains, "\t\tip {own} {} return", lab_pod.address);
    for rule in &admin {
        let _ = writeln!(chains, "\t\t{rule}");
    }
    let _ = writeln!(chains, "\t\tgoto {np_chain}\n\t}}\n\tchain {np_chain} {{");
    if policies.is_empty() {
        let _ = writeln!(chains, "\t\tgoto {baseline_chain}\n\t}}\n\tchain {baseline_chain} {{");
        for rule in &baseline {
            let _ = writeln!(chains, "\t\t{rule}");
        }
    } else {
        for policy in policies {
            for rule in compile_policy(cluster, topology, policy, lab_pod, direction, all_pods) {
                let _ = writeln!(chains, "\t\t{rule}");
            }
        }
        chains.push_str("\t\tdrop\n");
    }
    chains.push_str("\t}\n");
    Some(dispatch)
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

/// The NetworkPolicies of the pod's namespace that select it and list
/// `direction` in `policyTypes` (defaulted by the model as the API server does).
fn selecting<'c>(cluster: &'c Cluster, lab_pod: &LabPod, direction: Direction) -> Vec<&'c NetworkPolicy> {
    let pod = cluster.pod(PodId(lab_pod.pod));
    let word = match direction {
        Direction::Ingress => "Ingress",
        Direction::Egress => "Egress",
    };
    cluster
        .network_policies()
        .iter()
        .map(|o| &o.value)
        .filter(|policy| policy.metadata.namespace.as_deref() == Some(pod.namespace.as_str()))
        .filter(|policy| {
            let Some(spec) = &policy.spec else { return false };
            spec.policy_types.iter().flatten().any(|t| t == word)
                && spec.pod_selector.as_ref().is_none_or(|s| selector_matches(s, &pod.labels))
        })
        .collect()
}

/// A rule's peers and ports, in either direction.
type PolicyRule<'p> = (Option<&'p Vec<NetworkPolicyPeer>>, Option<&'p Vec<NetworkPolicyPort>>);

/// The nft rules (each ending in `return`) of one policy for one pod.
fn compile_policy(
    cluster: &Cluster,
    topology: &Topology,
    policy: &NetworkPolicy,
    lab_pod: &LabPod,
    direction: Direction,
    all_pods: &[String],
) -> Vec<String> {
    let Some(spec) = &policy.spec else { return Vec::new() };
    let namespace = policy.metadata.namespace.as_deref().unwrap_or_default();
    let rule_list: Vec<PolicyRule<'_>> = match direction {
        Direction::Ingress => {
            spec.ingress.iter().flatten().map(|r| (r.from.as_ref(), r.ports.as_ref())).collect()
        }
        Direction::Egress => {
            spec.egress.iter().flatten().map(|r| (r.to.as_ref(), r.ports.as_ref())).collect()
        }
    };
    let mut rules = Vec::new();
    for (peers, ports) in rule_list {
        let ports: &[NetworkPolicyPort] = ports.map_or(&[], Vec::as_slice);
        let peers: &[NetworkPolicyPeer] = peers.map_or(&[], Vec::as_slice);
        if peers.is_empty() {
            // Every source (or destination), pods or not.
            match direction {
                Direction::Ingress => rules.extend(port_rules("", ports, Some(lab_pod), cluster)),
                Direction::Egress => rules.extend(egress_any(cluster, topology, ports)),
            }
            continue;
        }
        for peer in peers {
            if let Some(block) = &peer.ip_block {
                rules.extend(ip_block_rules(cluster, block, ports, lab_pod, direction, all_pods));
                continue;
            }
            let peers = peer_pods(cluster, topology, namespace, peer);
            match direction {
                Direction::Ingress if !peers.is_empty() => {
                    let addresses: Vec<String> = peers.iter().map(|p| p.address.to_string()).collect();
                    let condition = format!("ip saddr {{ {} }}", addresses.join(", "));
                    rules.extend(port_rules(&condition, ports, Some(lab_pod), cluster));
                }
                Direction::Ingress => {}
                Direction::Egress => {
                    for peer_pod in peers {
                        let condition = format!("ip daddr {}", peer_pod.address);
                        rules.extend(port_rules(&condition, ports, Some(peer_pod), cluster));
                    }
                }
            }
        }
    }
    rules
}

/// An `ipBlock` peer: its CIDR minus `except`, never a pod address. For
/// egress a named port has no pod to resolve on, so it matches nothing.
fn ip_block_rules(
    cluster: &Cluster,
    block: &k8s_openapi::api::networking::v1::IPBlock,
    ports: &[NetworkPolicyPort],
    lab_pod: &LabPod,
    direction: Direction,
    all_pods: &[String],
) -> Vec<String> {
    let Some(cidr) = v4(&block.cidr) else { return Vec::new() };
    let field = match direction {
        Direction::Ingress => "saddr",
        Direction::Egress => "daddr",
    };
    let mut condition = format!("ip {field} {cidr}");
    let except: Vec<String> = block.except.iter().flatten().filter_map(|e| v4(e)).collect();
    if !except.is_empty() {
        let _ = write!(condition, " ip {field} != {{ {} }}", except.join(", "));
    }
    if !all_pods.is_empty() {
        let _ = write!(condition, " ip {field} != @pod-addresses");
    }
    let target = (direction == Direction::Ingress).then_some(lab_pod);
    port_rules(&condition, ports, target, cluster)
}

/// Egress to every destination: pods (named ports resolved per pod) and
/// everything else (numbered ports only).
fn egress_any(cluster: &Cluster, topology: &Topology, ports: &[NetworkPolicyPort]) -> Vec<String> {
    let named = ports.iter().any(|p| matches!(p.port, Some(IntOrString::String(_))));
    if !named {
        return port_rules("", ports, None, cluster);
    }
    let mut rules: Vec<String> = topology
        .pods
        .iter()
        .filter(|p| !p.host_network)
        .flat_map(|p| port_rules(&format!("ip daddr {}", p.address), ports, Some(p), cluster))
        .collect();
    rules.extend(port_rules("ip daddr != @pod-addresses", ports, None, cluster));
    rules
}

/// The pods a podSelector/namespaceSelector peer selects, hostNetwork pods
/// left out (the plugin sees them as their node).
fn peer_pods<'t>(
    cluster: &Cluster,
    topology: &'t Topology,
    namespace: &str,
    peer: &NetworkPolicyPeer,
) -> Vec<&'t LabPod> {
    topology
        .pods
        .iter()
        .filter(|lab_pod| !lab_pod.host_network)
        .filter(|lab_pod| {
            let pod = cluster.pod(PodId(lab_pod.pod));
            let namespace_ok = match &peer.namespace_selector {
                None => pod.namespace == namespace,
                Some(selector) => {
                    cluster.namespace(&pod.namespace).is_some_and(|ns| selector_matches(selector, &ns.labels))
                }
            };
            let pod_ok = peer.pod_selector.as_ref().is_none_or(|s| selector_matches(s, &pod.labels));
            namespace_ok && pod_ok
        })
        .collect()
}

/// One rule per port entry (`condition` plus the port match, `return`);
/// one rule without port match when the list is empty. A named port is
/// looked up on `target` (the pod the traffic goes to); without one, or
/// when the pod has no such port, the entry matches nothing.
fn port_rules(
    condition: &str,
    ports: &[NetworkPolicyPort],
    target: Option<&LabPod>,
    cluster: &Cluster,
) -> Vec<String> {
    let join = |matcher: &str| {
        let parts: Vec<&str> = [condition, matcher].into_iter().filter(|s| !s.is_empty()).collect();
        format!("{} return", parts.join(" "))
    };
    if ports.is_empty() {
        return vec![join("")];
    }
    let mut rules = Vec::new();
    for port in ports {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        let proto = protocol.to_ascii_lowercase();
        let matcher = match &port.port {
            None => format!("meta l4proto {proto}"),
            Some(IntOrString::Int(number)) => match port.end_port {
                Some(end) if end >= *number => format!("meta l4proto {proto} th dport {number}-{end}"),
                _ => format!("meta l4proto {proto} th dport {number}"),
            },
            Some(IntOrString::String(name)) => {
                let resolved = target.and_then(|t| cluster.pod(PodId(t.pod)).named_port(name, protocol));
                let Some(number) = resolved else { continue };
                format!("meta l4proto {proto} th dport {number}")
            }
        };
        rules.push(join(&matcher));
    }
    rules
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const ALL: Enforced = Enforced { network_policy: true, admin: true, baseline: true };

    /// Two pods in namespace `a` (team blue): `api` (http 8080, dns 5353/UDP) on node 1, `web` on node 2.
    pub(crate) const PODS: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: blue}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: a, labels: {app: api}}
spec:
  containers:
    - name: c
      ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec:
  containers:
    - name: c
      ports: [{name: http, containerPort: 3000}]
---
";

    /// The ruleset of the node holding pod `api` (the first pod: node 1).
    fn check(policy: &str, expect: &[&str]) {
        let cluster = crate::test_cluster(&format!("{PODS}{policy}"));
        let topology = crate::topology::build(&cluster, "t").unwrap();
        let ruleset = ruleset(&cluster, &topology, 0, ALL).unwrap_or_default();
        for line in expect {
            assert!(ruleset.contains(line), "missing `{line}` in\n{ruleset}");
        }
    }

    // https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
    #[test]
    fn end_port_is_a_range() {
        check(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{ports: [{port: 8000, endPort: 8100}]}]",
            &["meta l4proto tcp th dport 8000-8100 return", "drop"],
        );
    }

    // A named port resolves on the destination pod: for ingress, the
    // selected pod's own `http` (8080), not the peer's.
    #[test]
    fn named_ports_resolve_on_the_destination() {
        check(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}]",
            &["ip saddr { 10.244.1.2 } meta l4proto tcp th dport 8080 return"],
        );
    }

    // For egress, a named port resolves on each peer pod: `http` is 3000 on web.
    #[test]
    fn egress_named_ports_resolve_per_peer() {
        check(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {}}], ports: [{port: http}]}]",
            &[
                "ip daddr 10.244.1.2 meta l4proto tcp th dport 3000 return",
                "iifname \"kp1\" jump egress-pod1",
            ],
        );
    }

    // ipBlock: the CIDR minus `except`, never pod addresses (the core's
    // `ip_blocks_match_pods: false`); host bits are cleared.
    #[test]
    fn ip_blocks_exclude_except_and_pods() {
        check(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 198.51.100.7/24, except: [198.51.100.10/32]}}]}]",
            &["ip saddr 198.51.100.0/24 ip saddr != { 198.51.100.10/32 } ip saddr != @pod-addresses return"],
        );
    }

    // A pod always reaches itself, and a policy without rules isolates.
    #[test]
    fn deny_all_keeps_the_pod_reaching_itself() {
        check(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]",
            &["ip saddr 10.244.0.2 return\n\t\tgoto np-ingress-pod1\n\t}\n\tchain np-ingress-pod1 {\n\t\tdrop"],
        );
    }

    #[test]
    fn no_isolated_pod_means_no_table() {
        let cluster = crate::test_cluster(PODS);
        let topology = crate::topology::build(&cluster, "t").unwrap();
        assert_eq!(ruleset(&cluster, &topology, 0, ALL), None);
    }
}
