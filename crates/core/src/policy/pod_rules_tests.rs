//! `PolicyEngine::pod_rules`: the stages a data plane programs. Each test
//! asks the stages first match first, the way the lab's nftables chains
//! do, and checks the answer against `PolicyEngine::allowed` for every pair
//! of pods and some outside addresses, on every port the policies name:
//! the view must decide exactly what the engine decides.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{json, Value};

use super::*;
use crate::policy::testing::{blue_and_red, cluster, engine_on, pod_with_ports};
use crate::policy::Endpoint;
use crate::ports::Protocol;

/// The other end of a connection, as the stages match it.
#[derive(Clone, Copy)]
enum Other {
    Pod(PodId),
    Address(Ipv4Addr),
}

fn matches(rule: &PodRule, other: Other, protocol: Protocol, port: u16) -> bool {
    rule.peers.iter().any(|p| {
        let peer = match (&p.peer, other) {
            (RulePeer::Pods(pods), Other::Pod(pod)) => pods.contains(&pod),
            (RulePeer::Addresses(ranges), Other::Address(address)) => {
                let address = IpRange::from_addr(IpAddr::V4(address));
                ranges.iter().any(|r| r.contains(&address))
            }
            _ => false,
        };
        peer && p.connections.contains(protocol, port)
    })
}

/// The first rule of `rules` that matches, if any.
fn first(rules: &[PodRule], other: Other, protocol: Protocol, port: u16) -> Option<Verdict> {
    rules.iter().find(|r| matches(r, other, protocol, port)).map(|r| r.verdict)
}

/// The stages asked in order, as the lab's chains ask them.
fn decide(stages: &PodRules, other: Other, protocol: Protocol, port: u16) -> bool {
    match first(&stages.admin, other, protocol, port) {
        Some(Verdict::Allow) => return true,
        Some(Verdict::Deny) => return false,
        Some(Verdict::Pass) | None => {}
    }
    let denied = |denies: &[PodRule]| first(denies, other, protocol, port).is_some();
    match &stages.network {
        NetworkRules::Isolated { denies, allows } => {
            return !denied(denies) && first(allows, other, protocol, port).is_some();
        }
        NetworkRules::Open { denies } if denied(denies) => return false,
        NetworkRules::Open { .. } => {}
        NetworkRules::Calico(tiers) => {
            for tier in tiers {
                match first(&tier.rules, other, protocol, port) {
                    Some(Verdict::Allow) => return true,
                    Some(Verdict::Deny) => return false,
                    Some(Verdict::Pass) => {}
                    None if tier.pass_by_default => {}
                    None => return false,
                }
            }
        }
    }
    first(&stages.baseline, other, protocol, port) != Some(Verdict::Deny)
}

/// Every pair of distinct pods, and each pod with each of `addresses`, on
/// each of `ports` over TCP and UDP: the stages agree with the engine.
fn check_agreement(engine: &PolicyEngine<'_>, addresses: &[Ipv4Addr], ports: &[u16]) {
    let cluster = engine.cluster();
    let allows = |subject: PodId, direction: Direction, other: Other, protocol: Protocol, port: u16| {
        engine.pod_rules(subject, direction).is_none_or(|s| decide(&s, other, protocol, port))
    };
    let endpoint = |other: Other| match other {
        Other::Pod(pod) => Endpoint::Pod(pod),
        Other::Address(address) => Endpoint::External(IpRange::from_addr(IpAddr::V4(address))),
    };
    let pods: Vec<PodId> = (0..cluster.pods().len() as u32).map(PodId).collect();
    let mut pairs: Vec<(Other, Other)> = Vec::new();
    for &a in &pods {
        pairs.extend(pods.iter().filter(|&&b| b != a).map(|&b| (Other::Pod(a), Other::Pod(b))));
        for &address in addresses {
            pairs.push((Other::Pod(a), Other::Address(address)));
            pairs.push((Other::Address(address), Other::Pod(a)));
        }
    }
    for (from, to) in pairs {
        let allowed = engine.allowed(&endpoint(from), &endpoint(to));
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            for &port in ports {
                let egress = match from {
                    Other::Pod(pod) => allows(pod, Direction::Egress, to, protocol, port),
                    Other::Address(_) => true,
                };
                let ingress = match to {
                    Other::Pod(pod) => allows(pod, Direction::Ingress, from, protocol, port),
                    Other::Address(_) => true,
                };
                assert_eq!(
                    egress && ingress,
                    allowed.contains(protocol, port),
                    "{from:?} -> {to:?} {protocol} {port}",
                    from = describe(cluster, from),
                    to = describe(cluster, to)
                );
            }
        }
    }
}

fn describe(cluster: &crate::model::Cluster, other: Other) -> String {
    match other {
        Other::Pod(pod) => format!("{}/{}", cluster.pod(pod).namespace, cluster.pod(pod).name),
        Other::Address(address) => address.to_string(),
    }
}

/// The pod `x/NAME`.
fn pod_named(engine: &PolicyEngine<'_>, name: &str) -> PodId {
    let cluster = engine.cluster();
    cluster.pods_in("x").iter().copied().find(|&p| cluster.pod(p).name == name).expect("the pod")
}

fn ports_pod(namespace: &str, name: &str) -> Value {
    pod_with_ports(
        namespace,
        name,
        json!({"app": name}),
        json!([{"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9090}]),
    )
}

const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const NEIGHBOUR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const FAR: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);

// Cilium: `ingressDeny` wins over the NetworkPolicy and the Cilium allow
// that admit the same port (https://docs.cilium.io/en/stable/security/policy/deny/);
// `fromEntities: [world]` is every address outside the cluster, and
// `fromCIDRSet` its CIDR minus `except`
// (https://docs.cilium.io/en/stable/security/policy/language/#entities-based,
// #ip-cidr-based).
#[test]
fn cilium_stages_agree_with_the_engine() {
    let objects = blue_and_red(&[
        ports_pod("x", "api"),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"namespace": "x", "name": "api"},
               "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                        "ingress": [{"from": [{"namespaceSelector": {}}]}]}}),
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"namespace": "x", "name": "api"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "api"}},
                        "ingress": [{"fromEntities": ["world"], "toPorts": [{"ports": [{"port": "8080"}]}]},
                                    {"fromCIDRSet": [{"cidr": "198.51.100.0/24", "except": ["198.51.100.10/32"]}],
                                     "toPorts": [{"ports": [{"port": "9090", "protocol": "TCP"}]}]}],
                        "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "y"}}],
                                         "toPorts": [{"ports": [{"port": "9090", "protocol": "TCP"}]}]}]}}),
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
               "metadata": {"name": "egress"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "b"}},
                        "egress": [{"toEndpoints": [{"matchLabels": {"app": "api"}}],
                                    "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}],
                                                 "rules": {"http": [{"method": "GET"}]}}]}],
                        "egressDeny": [{"toCIDR": ["8.8.8.0/24"]}]}}),
    ]);
    let cluster = cluster(&objects);
    let engine = engine_on("cilium", &cluster);
    check_agreement(&engine, &[CLIENT, NEIGHBOUR, FAR], &[53, 80, 8080, 9090]);
    let api = pod_named(&engine, "api");
    let stages = engine.pod_rules(api, Direction::Ingress).unwrap();
    let NetworkRules::Isolated { denies, allows } = &stages.network else { panic!("{stages:?}") };
    assert_eq!(denies.len(), 1);
    assert_eq!(allows.iter().map(|r| r.policy.name.as_str()).collect::<Vec<_>>(), ["api", "api", "api"]);
    // The L7 rule keeps its caveat: a data plane enforcing it enforces L4 only.
    let b = pod_named(&engine, "b");
    let egress = engine.pod_rules(b, Direction::Egress).unwrap();
    let NetworkRules::Isolated { allows, .. } = &egress.network else { panic!("{egress:?}") };
    assert!(matches!(allows[0].caveat, Some(Caveat::L7 { .. })), "{allows:?}");
}

// Calico: tiers in order, `Pass` to the next tier, the end of a tier
// denying, Kubernetes NetworkPolicies at order 1000 in the `default` tier
// (https://docs.tigera.io/calico/latest/reference/resources/tier); `nets`
// and `notNets` match addresses
// (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule).
#[test]
fn calico_stages_agree_with_the_engine() {
    let objects = blue_and_red(&[
        ports_pod("x", "api"),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
               "metadata": {"name": "platform"}, "spec": {"order": 100}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
               "metadata": {"name": "platform.guard"},
               "spec": {"tier": "platform", "order": 10, "selector": "projectcalico.org/namespace == 'x'",
                        "types": ["Ingress"],
                        "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'red'"}},
                                    {"action": "Pass"}]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
               "metadata": {"namespace": "x", "name": "api"},
               "spec": {"order": 500, "selector": "app == 'api'",
                        "ingress": [{"action": "Allow", "protocol": "TCP",
                                     "source": {"selector": "app == 'b'"}, "destination": {"ports": ["http"]}},
                                    {"action": "Allow", "protocol": "TCP",
                                     "source": {"nets": ["198.51.100.0/24"], "notNets": ["198.51.100.10/32"]}}]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"namespace": "x", "name": "deny"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
    ]);
    let cluster = cluster(&objects);
    let engine = engine_on("calico", &cluster);
    check_agreement(&engine, &[CLIENT, NEIGHBOUR, FAR], &[53, 80, 8080, 9090]);
    let api = pod_named(&engine, "api");
    let stages = engine.pod_rules(api, Direction::Ingress).unwrap();
    let NetworkRules::Calico(tiers) = &stages.network else { panic!("{stages:?}") };
    let names: Vec<(&str, usize)> = tiers.iter().map(|t| (t.name.as_str(), t.rules.len())).collect();
    assert_eq!(names, [("platform", 2), ("default", 2)]);
    assert_eq!(tiers[0].rules[1].verdict, Verdict::Pass);
    assert!(engine.has_native_policies());
}

// Without Cilium's or Calico's policies nothing native is compiled, and a
// pod no policy selects needs no stages.
#[test]
fn plain_clusters_have_no_native_policies() {
    let cluster = cluster(&blue_and_red(&[]));
    let engine = engine_on("cilium", &cluster);
    assert!(!engine.has_native_policies());
    assert_eq!(engine.pod_rules(PodId(0), Direction::Ingress), None);
}
