//! The plan: every change `lab up` makes, as data, in order. Built by pure
//! functions from a [`Cluster`]; `lab up --dry-run` prints it and golden
//! files test it, the way kube-proxy's tests diff whole rulesets.

use std::fmt::Write as _;

use kubereach_core::cni::{self, Enforcement};
use kubereach_core::Cluster;
use serde::{Deserialize, Serialize};

use crate::counters::counted;
use crate::services::{self, LabService};
use crate::topology::{
    self, Topology, TopologyError, EXTERNAL_ADDRESS, FABRIC_EXTERNAL_ADDRESS, FABRIC_NODE_ADDRESS, GATEWAY,
    NODE_PREFIX,
};

/// The MAC of every pod veth's node end (Calico uses the same).
pub const HOST_MAC: &str = "ee:ee:ee:ee:ee:ee";

/// What `lab up` builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Namespaces, nodes, pods and addresses.
    pub topology: Topology,
    /// The proxied Services.
    pub services: Vec<LabService>,
    /// Whether NetworkPolicies are installed (the plugin enforces them).
    pub policies_enforced: bool,
    /// The changes, in order.
    pub steps: Vec<Step>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// `ip netns add NAME`.
    Netns(String),
    /// `ip -n NETNS ARGS` (`ip ARGS` in no namespace); consecutive steps in
    /// one namespace run as one `ip -batch`.
    Ip {
        /// The namespace.
        netns: String,
        /// The arguments, space-separated (no argument contains a space).
        args: String,
    },
    /// A sysctl under `/proc/sys/net`, written inside the namespace.
    Sysctl {
        /// The namespace.
        netns: String,
        /// The path under `/proc/sys/`, `net/ipv4/ip_forward`.
        key: String,
        /// The value.
        value: String,
    },
    /// An nftables ruleset, applied with `nft -f -` as one transaction.
    Nft {
        /// The namespace.
        netns: String,
        /// The ruleset.
        ruleset: String,
    },
    /// A file of the namespace's own `/etc`, `/etc/netns/NETNS/FILE`, which
    /// `ip netns exec` mounts over `/etc/FILE`.
    EtcFile {
        /// The namespace.
        netns: String,
        /// The file's name (`resolv.conf`).
        file: String,
        /// Its content.
        text: String,
    },
}

/// The plan for `cluster` as lab `name`. `enforce` overrides the plugin's
/// NetworkPolicy enforcement as the core detects it (`None`: detected;
/// unknown counts as enforced, as the core assumes).
pub fn build(cluster: &Cluster, name: &str, enforce: Option<bool>) -> Result<Plan, TopologyError> {
    let topology = topology::build(cluster, name)?;
    let services = services::build(cluster, &topology);
    let detected = cni::detect(cluster);
    let enforced = |verdict: &cni::Verdict| verdict.enforcement != Enforcement::NotEnforced;
    let policies_enforced = enforce.unwrap_or_else(|| enforced(&detected.network_policy));
    let tiers = crate::policy::Enforced {
        network_policy: policies_enforced,
        admin: enforce.unwrap_or_else(|| enforced(&detected.admin_network_policy)),
        baseline: enforce.unwrap_or_else(|| enforced(&detected.baseline_admin_network_policy)),
    };
    let mut steps = Vec::new();
    for netns in topology.namespaces() {
        steps.push(Step::Netns(netns));
    }
    wire_fabric(&topology, &services, &mut steps);
    for pod in topology.pods.iter().filter(|p| !p.host_network) {
        let node = &topology.nodes[pod.node];
        let link = pod.host_link.clone().unwrap_or_default();
        let ip = |netns: &str, args: String| Step::Ip { netns: netns.to_owned(), args };
        // Calico's wiring: every node end has the MAC ee:ee:ee:ee:ee:ee and
        // both ends know each other's MAC, so no ARP delays a first packet.
        let [a, b, c, d] = pod.address.octets();
        let pod_mac = format!("02:42:{a:02x}:{b:02x}:{c:02x}:{d:02x}");
        steps.push(ip(
            &node.netns,
            format!(
                "link add {link} address {HOST_MAC} type veth peer name eth0 address {pod_mac} netns {}",
                pod.netns
            ),
        ));
        steps.push(ip(&node.netns, format!("link set {link} up")));
        steps.push(ip(&node.netns, format!("route add {}/32 dev {link} scope link", pod.address)));
        steps.push(ip(
            &node.netns,
            format!("neigh add {} lladdr {pod_mac} dev {link} nud permanent", pod.address),
        ));
        steps.push(ip(&pod.netns, "link set lo up".to_owned()));
        steps.push(ip(&pod.netns, format!("addr add {}/32 dev eth0", pod.address)));
        steps.push(ip(&pod.netns, "link set eth0 up".to_owned()));
        steps.push(ip(&pod.netns, format!("route add {GATEWAY} dev eth0 scope link")));
        steps.push(ip(&pod.netns, format!("neigh add {GATEWAY} lladdr {HOST_MAC} dev eth0 nud permanent")));
        steps.push(ip(&pod.netns, format!("route add default via {GATEWAY} dev eth0")));
    }
    for (index, node) in topology.nodes.iter().enumerate() {
        // Counters on every deciding rule: `lab probe` shows which one a
        // disagreeing connection went through.
        let ruleset = counted(&services::ruleset(&services, index));
        steps.push(Step::Nft { netns: node.netns.clone(), ruleset });
        if let Some(ruleset) = crate::policy::ruleset(cluster, &topology, index, tiers) {
            steps.push(Step::Nft { netns: node.netns.clone(), ruleset: counted(&ruleset) });
        }
    }
    for pod in &topology.pods {
        if let Some(text) = crate::resolv::resolv_conf(cluster, &services, pod) {
            steps.push(Step::EtcFile { netns: pod.netns.clone(), file: "resolv.conf".into(), text });
        }
    }
    Ok(Plan { topology, services, policies_enforced, steps })
}

/// The node network (a bridge in the fabric), the external client, and the
/// routes between them: node to node's pod CIDR, fabric to pod CIDRs, and
/// external addresses (load balancers, externalIPs) to a node.
fn wire_fabric(topology: &Topology, services: &[LabService], steps: &mut Vec<Step>) {
    let ip = |netns: &str, args: String| Step::Ip { netns: netns.to_owned(), args };
    let fabric = &topology.fabric;
    steps.push(ip(fabric, "link set lo up".to_owned()));
    steps.push(ip(fabric, "link add br0 type bridge".to_owned()));
    steps.push(ip(fabric, format!("addr add {FABRIC_NODE_ADDRESS}/{NODE_PREFIX} dev br0")));
    steps.push(ip(fabric, "link set br0 up".to_owned()));
    steps.push(ip(fabric, format!("link add ext type veth peer name eth0 netns {}", topology.external)));
    steps.push(ip(fabric, format!("addr add {FABRIC_EXTERNAL_ADDRESS}/24 dev ext")));
    steps.push(ip(fabric, "link set ext up".to_owned()));
    steps.push(Step::Sysctl { netns: fabric.clone(), key: "net/ipv4/ip_forward".into(), value: "1".into() });
    for node in &topology.nodes {
        steps.push(ip(
            fabric,
            format!("link add {} type veth peer name eth0 netns {}", node.fabric_link, node.netns),
        ));
        steps.push(ip(fabric, format!("link set {} master br0 up", node.fabric_link)));
        steps.push(ip(fabric, format!("route add {} via {}", Topology::pod_cidr(node), node.address)));
        steps.push(ip(&node.netns, "link set lo up".to_owned()));
        steps.push(ip(&node.netns, format!("addr add {GATEWAY}/32 dev lo")));
        steps.push(ip(&node.netns, format!("addr add {}/{NODE_PREFIX} dev eth0", node.address)));
        steps.push(ip(&node.netns, "link set eth0 up".to_owned()));
        steps.push(ip(&node.netns, format!("route add 198.51.100.0/24 via {FABRIC_NODE_ADDRESS}")));
        for other in topology.nodes.iter().filter(|o| o.name != node.name) {
            steps.push(ip(
                &node.netns,
                format!("route add {} via {}", Topology::pod_cidr(other), other.address),
            ));
        }
        steps.push(Step::Sysctl {
            netns: node.netns.clone(),
            key: "net/ipv4/ip_forward".into(),
            value: "1".into(),
        });
        // kube-proxy's `reject` answers with ICMP, which Linux rate-limits per
        // client (about six at once); probes send hundreds a second.
        steps.push(Step::Sysctl {
            netns: node.netns.clone(),
            key: "net/ipv4/icmp_ratelimit".into(),
            value: "0".into(),
        });
        for key in ["net/ipv4/icmp_msgs_per_sec", "net/ipv4/icmp_msgs_burst"] {
            steps.push(Step::Sysctl { netns: node.netns.clone(), key: key.into(), value: "100000".into() });
        }
    }
    let external = &topology.external;
    steps.push(ip(external, "link set lo up".to_owned()));
    steps.push(ip(external, format!("addr add {EXTERNAL_ADDRESS}/24 dev eth0")));
    steps.push(ip(external, "link set eth0 up".to_owned()));
    steps.push(ip(external, format!("route add 172.30.0.0/{NODE_PREFIX} via {FABRIC_EXTERNAL_ADDRESS}")));
    let mut routed = Vec::new();
    for svc in services {
        for address in &svc.external_ips {
            if routed.contains(address) {
                continue;
            }
            routed.push(*address);
            let node = routed_node(svc);
            steps.push(ip(fabric, format!("route add {address}/32 via {}", topology.nodes[node].address)));
            steps.push(ip(external, format!("route add {address}/32 via {FABRIC_EXTERNAL_ADDRESS}")));
        }
    }
}

/// The node the fabric sends a Service's external addresses to: under
/// `externalTrafficPolicy: Local` a node with an endpoint (a load balancer's
/// health check fails on the others), else the first.
pub fn routed_node(svc: &LabService) -> usize {
    if !svc.external_local {
        return 0;
    }
    svc.ports.iter().flat_map(|p| p.endpoints.first()).map(|e| e.node).next().unwrap_or(0)
}

impl Plan {
    /// The plan as shell commands, for `lab up --dry-run`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# kubereach lab `{}`: {} nodes, {} pods, {} services; NetworkPolicies {}",
            self.topology.name,
            self.topology.nodes.len(),
            self.topology.pods.len(),
            self.services.len(),
            if self.policies_enforced {
                "enforced"
            } else {
                "not enforced (the plugin does not enforce them)"
            }
        );
        for pod in &self.topology.pods {
            let ports: Vec<String> = pod.ports.iter().map(|p| format!("{}/{}", p.port, p.protocol)).collect();
            let _ = writeln!(
                out,
                "# pod {}/{} on {} at {} in {} listens on [{}]",
                pod.namespace,
                pod.name,
                self.topology.nodes[pod.node].name,
                pod.address,
                pod.netns,
                ports.join(", ")
            );
        }
        for svc in &self.services {
            let ports: Vec<String> = svc
                .ports
                .iter()
                .map(|p| match p.node_port {
                    Some(node_port) => format!("{}/{} (node port {node_port})", p.port, p.protocol),
                    None => format!("{}/{}", p.port, p.protocol),
                })
                .collect();
            let external: Vec<String> = svc.external_ips.iter().map(|ip| ip.to_string()).collect();
            let _ = writeln!(
                out,
                "# service {}/{} at {}{} ports [{}]{}",
                svc.namespace,
                svc.name,
                svc.cluster_ip,
                if svc.assigned_ip { " (assigned by the lab)" } else { "" },
                ports.join(", "),
                if external.is_empty() {
                    String::new()
                } else {
                    format!(" external [{}]", external.join(", "))
                }
            );
        }
        for step in &self.steps {
            match step {
                Step::Netns(name) => {
                    let _ = writeln!(out, "ip netns add {name}");
                }
                Step::Ip { netns, args } => {
                    let _ = writeln!(out, "ip -n {netns} {args}");
                }
                Step::Sysctl { netns, key, value } => {
                    let _ =
                        writeln!(out, "ip netns exec {netns} sysctl -qw {}={value}", key.replace('/', "."));
                }
                Step::Nft { netns, ruleset } => {
                    let _ = write!(out, "ip netns exec {netns} nft -f - <<'EOF'\n{ruleset}EOF\n");
                }
                Step::EtcFile { netns, file, text } => {
                    let dir = format!("{}/{netns}", crate::resolv::ETC_NETNS_DIR);
                    let _ = write!(out, "mkdir -p {dir} && cat > {dir}/{file} <<'EOF'\n{text}EOF\n");
                }
            }
        }
        out
    }
}
