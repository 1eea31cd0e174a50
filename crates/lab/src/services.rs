//! Services as kube-proxy's nftables mode programs them, one ruleset per
//! node namespace.
//!
//! The shape follows `pkg/proxy/nftables/proxier.go` (kubernetes/kubernetes):
//! a table `kube-proxy`; a verdict map `service-ips` from (ClusterIP or
//! external address, protocol, port) to a per-Service-port chain; a map
//! `service-nodeports` for node ports, consulted only for packets to a
//! local address (`fib daddr type local`); per-Service-port chains that mark
//! for masquerade traffic from outside the cluster CIDR and pick an
//! endpoint with `numgen random`; per-endpoint chains that mark hairpin
//! traffic and DNAT; `no-endpoint-services` rejecting ports without
//! endpoints (or dropping, under a `Local` policy with none on the node);
//! `cluster-ips` rejecting ClusterIP ports that are not Service ports; and
//! the masquerade mark `0x4000` honoured in postrouting. Priorities are
//! numeric, as kube-proxy writes them.
//!
//! One addition for probes: before the random choice, a packet whose
//! source port is [`PIN_BASE`]` + n` goes to the Service's `n`-th endpoint
//! (`n` from 1), so `lab probe` tests every endpoint rather than one chosen
//! by chance. No client picks such ports by itself: they lie above Linux's
//! default ephemeral range (32768–60999).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use kubereach_core::endpoints::port_endpoints;
use kubereach_core::model::PodId;
use kubereach_core::ports::Protocol;
use kubereach_core::service::{self, NodePortState, ServiceKind, TrafficPolicy};
use kubereach_core::Cluster;
use serde::{Deserialize, Serialize};

use crate::topology::{Topology, CLUSTER_CIDR};

/// Source port `PIN_BASE + n` pins a Service connection to its `n`-th endpoint.
pub const PIN_BASE: u16 = 61000;
/// The most endpoints a Service port can be pinned to.
pub const MAX_PINNED: usize = 999;
/// kube-proxy's masquerade mark.
pub const MASQUERADE_MARK: u32 = 0x4000;

/// A proxied Service of the lab (ClusterIP, NodePort or LoadBalancer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabService {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its ClusterIP: from the input, else one the lab assigns.
    pub cluster_ip: Ipv4Addr,
    /// Whether the ClusterIP was assigned by the lab (the input left it out).
    pub assigned_ip: bool,
    /// `spec.externalIPs` and load-balancer IPs (IPv4 only).
    pub external_ips: Vec<Ipv4Addr>,
    /// `internalTrafficPolicy: Local`.
    pub internal_local: bool,
    /// `externalTrafficPolicy: Local`.
    pub external_local: bool,
    /// Its ports.
    pub ports: Vec<LabServicePort>,
}

/// One port of a [`LabService`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabServicePort {
    /// The port's name, or its number when unnamed.
    pub name: String,
    /// Its protocol.
    #[serde(with = "crate::topology::protocol_serde")]
    pub protocol: Protocol,
    /// The Service port.
    pub port: u16,
    /// The node port, when one is assigned.
    pub node_port: Option<u16>,
    /// The endpoints receiving traffic, sorted.
    pub endpoints: Vec<LabEndpoint>,
}

/// An endpoint of a Service port: a lab pod and the port traffic goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LabEndpoint {
    /// The pod (its `PodId`).
    pub pod: u32,
    /// Its address.
    pub address: Ipv4Addr,
    /// The target port, resolved on this pod.
    pub port: u16,
    /// Its node's index in the topology.
    pub node: usize,
}

/// The proxied Services of `cluster`, with their endpoints as the core's
/// endpoints layer computes them (ready pods, target ports resolved per
/// pod), placed on the lab's pods. ClusterIPs missing from the input are
/// taken from `10.97.0.0/16`, in Service order.
pub fn build(cluster: &Cluster, topology: &Topology) -> Vec<LabService> {
    let mut next_assigned = 0u32;
    let mut result = Vec::new();
    for object in cluster.services() {
        let svc = &object.value;
        let Some(kind) = service::service_kind(svc) else { continue };
        if !kind.is_proxied() {
            continue;
        }
        let given = service::cluster_ips(svc).iter().find_map(|ip| ip.parse::<Ipv4Addr>().ok());
        let (cluster_ip, assigned_ip) = match given {
            Some(ip) => (ip, false),
            None => {
                next_assigned += 1;
                (Ipv4Addr::new(10, 97, (next_assigned / 250) as u8, (next_assigned % 250) as u8 + 1), true)
            }
        };
        let mut external_ips: Vec<Ipv4Addr> =
            service::external_ips(svc).iter().filter_map(|ip| ip.parse().ok()).collect();
        if kind == ServiceKind::LoadBalancer {
            external_ips.extend(
                service::lb_addresses(svc).iter().filter_map(|a| a.ip.as_deref()?.parse::<Ipv4Addr>().ok()),
            );
        }
        external_ips.sort();
        external_ips.dedup();
        let ports = service::service_ports(svc)
            .iter()
            .filter_map(|port| lab_port(cluster, topology, svc, port))
            .collect();
        result.push(LabService {
            namespace: svc.metadata.namespace.clone().unwrap_or_default(),
            name: svc.metadata.name.clone().unwrap_or_default(),
            cluster_ip,
            assigned_ip,
            external_ips,
            internal_local: service::internal_traffic_policy(svc) == TrafficPolicy::Local,
            external_local: service::external_traffic_policy(svc) == TrafficPolicy::Local,
            ports,
        });
    }
    result
}

fn lab_port(
    cluster: &Cluster,
    topology: &Topology,
    svc: &k8s_openapi::api::core::v1::Service,
    port: &k8s_openapi::api::core::v1::ServicePort,
) -> Option<LabServicePort> {
    let number = u16::try_from(port.port).ok().filter(|&p| p > 0)?;
    let protocol = service::port_protocol(port);
    let node_port = match service::node_port(svc, port) {
        NodePortState::Assigned { node_port } => u16::try_from(node_port).ok(),
        _ => None,
    };
    let mut endpoints: Vec<LabEndpoint> = port_endpoints(cluster, svc, port)
        .receiving()
        .filter_map(|endpoint| {
            let pod = topology.pod(PodId(endpoint.pod?.0))?;
            let target = u16::try_from(endpoint.port?).ok()?;
            Some(LabEndpoint { pod: pod.pod, address: pod.address, port: target, node: pod.node })
        })
        .collect();
    endpoints.sort();
    endpoints.dedup();
    endpoints.truncate(MAX_PINNED);
    let name = service::port_name(port).map_or_else(|| number.to_string(), str::to_owned);
    Some(LabServicePort { name, protocol, port: number, node_port, endpoints })
}

/// The nftables ruleset of node `node` (an index into the topology's nodes).
pub fn ruleset(services: &[LabService], node: usize) -> String {
    let mut chains = BTreeMap::new();
    let mut service_ips = Vec::new();
    let mut node_ports = Vec::new();
    let mut no_endpoints = Vec::new();
    let mut cluster_ips = Vec::new();
    for svc in services {
        cluster_ips.push(svc.cluster_ip.to_string());
        for port in &svc.ports {
            let proto = nft_proto(port.protocol);
            let Some(proto) = proto else { continue };
            let id = format!("{}/{}/{}/{}", svc.namespace, svc.name, proto, port.name);
            let key = |ip: Ipv4Addr| format!("{ip} . {proto} . {}", port.port);
            // Internal traffic: the ClusterIP, under internalTrafficPolicy.
            let internal: Vec<&LabEndpoint> =
                port.endpoints.iter().filter(|e| !svc.internal_local || e.node == node).collect();
            if internal.is_empty() {
                let verdict = if port.endpoints.is_empty() { "goto reject-chain" } else { "drop" };
                no_endpoints.push(format!("{} : {verdict}", key(svc.cluster_ip)));
            } else {
                service_ips.push(format!("{} : goto service-{id}", key(svc.cluster_ip)));
                chains.insert(format!("service-{id}"), service_chain(&id, svc.cluster_ip, &internal, true));
            }
            for endpoint in &port.endpoints {
                chains.insert(endpoint_chain_name(&id, endpoint), endpoint_chain(endpoint, proto));
            }
            let has_external = !svc.external_ips.is_empty() || port.node_port.is_some();
            if !has_external {
                continue;
            }
            // External traffic: node ports and external addresses, under externalTrafficPolicy.
            let local: Vec<&LabEndpoint> = port.endpoints.iter().filter(|e| e.node == node).collect();
            if port.endpoints.is_empty() {
                for ip in &svc.external_ips {
                    no_endpoints.push(format!("{} : goto reject-chain", key(*ip)));
                }
                continue;
            }
            let all: Vec<&LabEndpoint> = port.endpoints.iter().collect();
            chains.insert(format!("cluster-{id}"), service_chain(&id, svc.cluster_ip, &all, false));
            chains.insert(format!("external-{id}"), external_chain(&id, svc.external_local, &local));
            if svc.external_local && !local.is_empty() {
                chains.insert(format!("local-{id}"), service_chain(&id, svc.cluster_ip, &local, false));
            }
            for ip in &svc.external_ips {
                service_ips.push(format!("{} : goto external-{id}", key(*ip)));
            }
            if let Some(node_port) = port.node_port {
                node_ports.push(format!("{proto} . {node_port} : goto external-{id}"));
            }
        }
    }
    render(&chains, &service_ips, &node_ports, &no_endpoints, &cluster_ips)
}

fn nft_proto(protocol: Protocol) -> Option<&'static str> {
    match protocol {
        Protocol::Tcp => Some("tcp"),
        Protocol::Udp => Some("udp"),
        Protocol::Sctp => Some("sctp"),
    }
}

fn endpoint_chain_name(id: &str, endpoint: &LabEndpoint) -> String {
    format!("endpoint-{id}__{}/{}", endpoint.address, endpoint.port)
}

/// A Service port's chain: masquerade what comes from outside the cluster
/// CIDR (ClusterIP only, as kube-proxy's `--cluster-cidr` does), honour a
/// pinned source port, else pick an endpoint at random.
fn service_chain(
    id: &str,
    cluster_ip: Ipv4Addr,
    endpoints: &[&LabEndpoint],
    cluster_ip_entry: bool,
) -> Vec<String> {
    let mut rules = Vec::new();
    if cluster_ip_entry {
        rules.push(format!("ip daddr {cluster_ip} ip saddr != {CLUSTER_CIDR} jump mark-for-masquerade"));
    }
    let pins: Vec<String> = endpoints
        .iter()
        .enumerate()
        .map(|(n, e)| format!("{} : goto {}", PIN_BASE + n as u16 + 1, endpoint_chain_name(id, e)))
        .collect();
    rules.push(format!("th sport vmap {{ {} }}", pins.join(", ")));
    let random: Vec<String> = endpoints
        .iter()
        .enumerate()
        .map(|(n, e)| format!("{n} : goto {}", endpoint_chain_name(id, e)))
        .collect();
    rules.push(format!("numgen random mod {} vmap {{ {} }}", endpoints.len(), random.join(", ")));
    rules
}

/// An endpoint's chain: hairpin traffic (the endpoint reaching itself
/// through the Service) is masqueraded, then DNAT.
fn endpoint_chain(endpoint: &LabEndpoint, proto: &str) -> Vec<String> {
    vec![
        format!("ip saddr {} jump mark-for-masquerade", endpoint.address),
        format!("meta l4proto {proto} dnat to {}:{}", endpoint.address, endpoint.port),
    ]
}

/// Traffic to a node port or external address. `Cluster`: masquerade, any
/// endpoint. `Local`: pod traffic and the node's own go cluster-wide (as
/// kube-proxy short-circuits them); the rest only to this node's endpoints,
/// unmasqueraded, else dropped.
fn external_chain(id: &str, local_policy: bool, local: &[&LabEndpoint]) -> Vec<String> {
    if !local_policy {
        return vec!["jump mark-for-masquerade".to_owned(), format!("goto cluster-{id}")];
    }
    let mut rules = vec![
        format!("ip saddr {CLUSTER_CIDR} goto cluster-{id}"),
        "fib saddr type local jump mark-for-masquerade".to_owned(),
        format!("fib saddr type local goto cluster-{id}"),
    ];
    rules.push(if local.is_empty() { "drop".to_owned() } else { format!("goto local-{id}") });
    rules
}

fn render(
    chains: &BTreeMap<String, Vec<String>>,
    service_ips: &[String],
    node_ports: &[String],
    no_endpoints: &[String],
    cluster_ips: &[String],
) -> String {
    let mut out = String::new();
    // Recreating the table makes the transaction idempotent.
    out.push_str("table ip kube-proxy\ndelete table ip kube-proxy\ntable ip kube-proxy {\n");
    out.push_str("\tcomment \"rules for kube-proxy\"\n");
    set(&mut out, "cluster-ips", "type ipv4_addr", cluster_ips);
    set(&mut out, "service-ips", "type ipv4_addr . inet_proto . inet_service : verdict", service_ips);
    set(&mut out, "service-nodeports", "type inet_proto . inet_service : verdict", node_ports);
    set(
        &mut out,
        "no-endpoint-services",
        "type ipv4_addr . inet_proto . inet_service : verdict",
        no_endpoints,
    );
    let base: &[(&str, &str, &[&str])] = &[
        ("nat-prerouting", "type nat hook prerouting priority -100", &["jump services"]),
        ("nat-output", "type nat hook output priority -100", &["jump services"]),
        ("nat-postrouting", "type nat hook postrouting priority 100", &["jump masquerading"]),
        // After DNAT (-100): what was not DNATed and still goes to a
        // ClusterIP has no endpoint or is not a Service port.
        (
            "filter-prerouting",
            "type filter hook prerouting priority -90",
            &["ct state new jump service-checks"],
        ),
        ("filter-output", "type filter hook output priority -90", &["ct state new jump service-checks"]),
    ];
    for (name, hook, rules) in base {
        let _ = writeln!(out, "\tchain {name} {{\n\t\t{hook}; policy accept;");
        for rule in *rules {
            let _ = writeln!(out, "\t\t{rule}");
        }
        out.push_str("\t}\n");
    }
    let fixed: &[(&str, &[&str])] = &[
        ("reject-chain", &["reject"]),
        (
            "service-checks",
            &[
                "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
                "ip daddr @cluster-ips reject",
            ],
        ),
        (
            "services",
            &[
                "ip daddr . meta l4proto . th dport vmap @service-ips",
                "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
            ],
        ),
        ("mark-for-masquerade", &["meta mark set meta mark | 0x4000"]),
        (
            "masquerading",
            &["meta mark & 0x4000 == 0 return", "meta mark set meta mark ^ 0x4000", "masquerade fully-random"],
        ),
    ];
    for (name, rules) in fixed {
        chain(&mut out, name, rules.iter().map(|r| r.to_string()));
    }
    for (name, rules) in chains {
        chain(&mut out, name, rules.iter().cloned());
    }
    out.push_str("}\n");
    out
}

fn set(out: &mut String, name: &str, kind: &str, elements: &[String]) {
    let what = if kind.contains(": verdict") { "map" } else { "set" };
    let _ = writeln!(out, "\t{what} {name} {{\n\t\t{kind}");
    if !elements.is_empty() {
        let mut sorted = elements.to_vec();
        sorted.sort();
        sorted.dedup();
        let _ = writeln!(out, "\t\telements = {{ {} }}", sorted.join(",\n\t\t\t"));
    }
    out.push_str("\t}\n");
}

fn chain(out: &mut String, name: &str, rules: impl Iterator<Item = String>) {
    let _ = writeln!(out, "\tchain {name} {{");
    for rule in rules {
        let _ = writeln!(out, "\t\t{rule}");
    }
    out.push_str("\t}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: x}
spec:
  clusterIP: 10.96.0.20
  internalTrafficPolicy: Local
  selector: {app: a}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: x}
spec:
  clusterIP: 10.96.0.21
  selector: {app: none}
  ports: [{port: 80}]
";

    fn rulesets() -> (String, String) {
        let cluster = crate::test_cluster(CLUSTER);
        let topology = crate::topology::build(&cluster, "t").unwrap();
        let services = build(&cluster, &topology);
        (ruleset(&services, 0), ruleset(&services, 1))
    }

    // The target port is resolved by name on the endpoint pod, and the
    // endpoint chain DNATs to it.
    #[test]
    fn cluster_ip_dnats_to_the_named_target_port() {
        let (node1, _) = rulesets();
        assert!(node1.contains("10.96.0.20 . tcp . 80 : goto service-x/s/tcp/web"), "{node1}");
        assert!(node1.contains("meta l4proto tcp dnat to 10.244.0.2:8080"), "{node1}");
        assert!(node1.contains("61001 : goto endpoint-x/s/tcp/web__10.244.0.2/8080"), "{node1}");
    }

    // No endpoints: rejected (kube-proxy's no-endpoint-services). Local
    // internal policy with no endpoint on this node: dropped.
    // https://kubernetes.io/docs/reference/networking/virtual-ips/#internal-traffic-policy
    #[test]
    fn no_endpoints_reject_and_no_local_endpoints_drop() {
        let (node1, node2) = rulesets();
        assert!(node1.contains("10.96.0.21 . tcp . 80 : goto reject-chain"), "{node1}");
        assert!(node2.contains("10.96.0.20 . tcp . 80 : drop"), "{node2}");
        assert!(!node2.contains("service-x/s/tcp/web {"), "{node2}");
    }
}
