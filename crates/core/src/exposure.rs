//! How traffic from outside the cluster reaches a Service or a pod, and
//! what the pods see of it: a load balancer's address and its source
//! ranges, the client's address after the node's SNAT, and ports bound on
//! the nodes themselves (`hostPort`, `hostNetwork`).
//!
//! - A `LoadBalancer` Service gets an address only from a provisioner (a
//!   cloud provider's controller, or an implementation in the cluster such
//!   as MetalLB); until then "the external IP remains `<pending>`", and the
//!   node ports it builds on still work unless
//!   `allocateLoadBalancerNodePorts: false`
//!   (<https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer>,
//!   `#load-balancer-nodeport-allocation`).
//! - `spec.loadBalancerSourceRanges` (or the older annotation
//!   `service.beta.kubernetes.io/load-balancer-source-ranges`) restricts the
//!   clients of the load balancer's address; kube-proxy enforces it for
//!   traffic to that address, not for node ports
//!   (<https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/>).
//! - `externalTrafficPolicy: Cluster` (the default) "obscures the client
//!   source IP": the node that receives the traffic SNATs it to its own
//!   address; `Local` keeps the client's address and only nodes with a
//!   local ready endpoint answer
//!   (<https://kubernetes.io/docs/tutorials/services/source-ip/>,
//!   <https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy>).
//!   NetworkPolicy therefore sees a node's address, so "an ipBlock naming
//!   the client" does not match it (the NetworkPolicy page: "the source IP
//!   that the NetworkPolicy acts on may be the IP of a LoadBalancer or of
//!   the Pod's node").
//! - A container's `hostPort` is reachable at the address of the node the
//!   pod runs on (the CNI `portmap` plugin DNATs it to the pod,
//!   <https://www.cni.dev/plugins/current/meta/portmap/>); a `hostNetwork`
//!   pod listens on the node's addresses directly.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use serde::Serialize;

use crate::endpoints::node_internal_ips;
use crate::model::{Cluster, Object, PodId};
use crate::policy::IpRange;
use crate::ports::Protocol;
use crate::service::{
    external_traffic_policy, lb_addresses, load_balancer_provisioners, node_port, port_protocol,
    service_kind, service_ports, LoadBalancerAddress, LoadBalancerProvisioner, NodePortState, ServiceKind,
    ServiceRef, TrafficPolicy,
};

/// The annotation cloud providers read before `spec.loadBalancerSourceRanges` existed.
pub const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// Whether external clients can reach a `LoadBalancer` Service's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum LoadBalancerReach {
    /// A provisioner published these addresses in `status.loadBalancer`.
    Provisioned {
        /// The addresses.
        addresses: Vec<LoadBalancerAddress>,
    },
    /// The input has no status (a manifest), and it shows a provisioner
    /// that will give the Service an address when it is created.
    AtCreation {
        /// The provisioners detected.
        provisioners: Vec<LoadBalancerProvisioner>,
    },
    /// No address: `status.loadBalancer` is empty, and either the input is
    /// a dump (the provisioners had their chance) or it shows none.
    Pending {
        /// Whether the input has the Service's status (a dump).
        has_status: bool,
        /// The provisioners detected (none, for a manifest).
        provisioners: Vec<LoadBalancerProvisioner>,
        /// The node ports that still carry traffic, by Service port.
        node_ports: Vec<(i32, NodePortState)>,
    },
}

/// Whether a client may use the load balancer's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum SourceRangeCheck {
    /// No source ranges: every client may.
    Unrestricted,
    /// The client's address is in this range.
    Admitted {
        /// The range, as written.
        range: String,
    },
    /// The client's address is in none of the ranges: the load balancer
    /// (and kube-proxy, for its address) drops it.
    Dropped {
        /// The ranges, as written.
        ranges: Vec<String>,
    },
    /// Only clients in the ranges may, and the client's address is not given.
    Restricted {
        /// The ranges, as written.
        ranges: Vec<String>,
    },
}

/// How traffic from outside arrives at a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival<'a> {
    /// On a node port of this node (`None`: a node the input does not show).
    NodePort {
        /// The node's name.
        node: Option<&'a str>,
    },
    /// At the load balancer's address, which forwards to a node (or to the
    /// pods) the client does not choose.
    LoadBalancer,
    /// At an external IP, which the network routes to a node.
    ExternalIp,
}

/// The source address the backend pods see for a connection from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum SourceAtPods {
    /// `externalTrafficPolicy: Local`: the client's own address.
    Client,
    /// `externalTrafficPolicy: Cluster`: the receiving node's address, one of
    /// these (node name, address), sorted; empty when the input does not
    /// show the nodes' addresses.
    Node {
        /// The candidate node addresses.
        addresses: Vec<(String, IpAddr)>,
    },
}

/// A pod port bound on a node's address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NodeBinding {
    /// The pod.
    pub pod: PodId,
    /// The port the pod receives the connection on.
    pub container_port: i32,
    /// How it is bound: `hostPort` (through `portmap`) or `hostNetwork`.
    pub how: Binding,
}

/// How a pod port is bound on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    /// A container port's `hostPort`, DNATed to the pod.
    HostPort,
    /// A `hostNetwork` pod listening on the node's addresses.
    HostNetwork,
}

/// Whether `service`'s load-balancer address exists for clients outside the
/// cluster; `None` when it is not a `LoadBalancer` Service.
pub fn load_balancer_reach(cluster: &Cluster, service: &Service) -> Option<LoadBalancerReach> {
    if service_kind(service)? != ServiceKind::LoadBalancer {
        return None;
    }
    let addresses = lb_addresses(service);
    if !addresses.is_empty() {
        return Some(LoadBalancerReach::Provisioned { addresses });
    }
    let provisioners = load_balancer_provisioners(cluster);
    let has_status = service.status.is_some();
    if !has_status && !provisioners.is_empty() {
        return Some(LoadBalancerReach::AtCreation { provisioners });
    }
    let node_ports =
        service_ports(service).iter().map(|port| (port.port, node_port(service, port))).collect();
    Some(LoadBalancerReach::Pending { has_status, provisioners, node_ports })
}

/// The source ranges of `service`'s load balancer: the field, else the
/// annotation (comma-separated), as written.
pub fn load_balancer_source_ranges(service: &Service) -> Vec<String> {
    let field: Vec<String> = service
        .spec
        .iter()
        .flat_map(|s| s.load_balancer_source_ranges.iter().flatten())
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    if !field.is_empty() {
        return field;
    }
    let annotation = service.metadata.annotations.as_ref().and_then(|a| a.get(SOURCE_RANGES_ANNOTATION));
    annotation
        .map(|text| text.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect())
        .unwrap_or_default()
}

/// Whether `client` (`None`: an address not given) may use `service`'s
/// load-balancer address. A range that does not parse admits nobody.
pub fn check_source_range(service: &Service, client: Option<IpAddr>) -> SourceRangeCheck {
    let ranges = load_balancer_source_ranges(service);
    if ranges.is_empty() {
        return SourceRangeCheck::Unrestricted;
    }
    let Some(client) = client else { return SourceRangeCheck::Restricted { ranges } };
    let address = IpRange::from_addr(client);
    let admitting =
        ranges.iter().find(|r| IpRange::parse_cidr(r).is_some_and(|range| range.contains(&address)));
    match admitting {
        Some(range) => SourceRangeCheck::Admitted { range: range.clone() },
        None => SourceRangeCheck::Dropped { ranges },
    }
}

/// The source address `service`'s pods see for a connection from outside
/// arriving by `arrival`.
pub fn source_at_pods(cluster: &Cluster, service: &Service, arrival: Arrival<'_>) -> SourceAtPods {
    if external_traffic_policy(service) == TrafficPolicy::Local {
        return SourceAtPods::Client;
    }
    let names: Vec<String> = match arrival {
        Arrival::NodePort { node: Some(node) } => vec![node.to_owned()],
        Arrival::NodePort { node: None } | Arrival::LoadBalancer | Arrival::ExternalIp => {
            cluster.nodes().iter().filter_map(|n| n.value.metadata.name.clone()).collect()
        }
    };
    let addresses: BTreeSet<(String, IpAddr)> = names
        .iter()
        .flat_map(|name| {
            node_internal_ips(cluster, name)
                .into_iter()
                .filter_map(move |ip| Some((name.clone(), ip.parse().ok()?)))
        })
        .collect();
    SourceAtPods::Node { addresses: addresses.into_iter().collect() }
}

/// The pod ports bound on a node's addresses at `port`/`protocol`: a
/// `hostPort`, or a container port of a `hostNetwork` pod. `node` limits
/// them to the pods on that node; `None` (a node the input does not show)
/// keeps every pod. Sorted.
pub fn node_bindings(
    cluster: &Cluster,
    node: Option<&str>,
    port: i32,
    protocol: Protocol,
) -> Vec<NodeBinding> {
    let mut bindings = BTreeSet::new();
    for (index, pod) in cluster.pods().iter().enumerate() {
        let pod_node = pod.spec.node_name.as_deref().filter(|n| !n.is_empty());
        if node.is_some() && pod_node.is_some() && pod_node != node {
            continue;
        }
        let id = PodId(index as u32);
        for container in &pod.spec.containers {
            for declared in container.ports.iter().flatten() {
                let declared_protocol =
                    declared.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp);
                if declared_protocol != protocol {
                    continue;
                }
                let how = if pod.host_network() {
                    (declared.container_port == port).then_some(Binding::HostNetwork)
                } else {
                    (declared.host_port == Some(port)).then_some(Binding::HostPort)
                };
                if let Some(how) = how {
                    bindings.insert(NodeBinding { pod: id, container_port: declared.container_port, how });
                }
            }
        }
    }
    bindings.into_iter().collect()
}

/// A Service that exposes pods outside the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExposingService {
    /// The Service.
    pub service: ServiceRef,
    /// Its type.
    pub kind: ServiceKind,
    /// Whether it has `externalIPs`, at which its Service ports are reached.
    pub external_ips: bool,
    /// Its TCP ports: (Service port, node port when assigned).
    pub ports: Vec<(i32, Option<i32>)>,
}

impl ExposingService {
    /// How a TCP connection from outside on `port` arrives, and the Service
    /// port it arrives at; `None` when `port` is none of its outside ports.
    pub fn arrival(&self, port: i32) -> Option<(i32, Arrival<'static>)> {
        self.ports.iter().find_map(|&(service_port, node_port)| {
            arrival_at(self.kind, self.external_ips, service_port, node_port, port)
                .map(|arrival| (service_port, arrival))
        })
    }

    /// The ports a client outside the cluster connects to: a Service port
    /// where it is reached outside (a load balancer's or an external IP's),
    /// else its node port.
    fn outside_ports(&self) -> impl Iterator<Item = i32> + '_ {
        self.ports.iter().filter_map(|&(service_port, node_port)| {
            match arrival_at(self.kind, self.external_ips, service_port, node_port, service_port) {
                Some(_) => Some(service_port),
                None => node_port,
            }
        })
    }
}

/// How a TCP connection from outside the cluster on `port` arrives at a
/// Service port (`service_port`, with `node_port` when assigned) of a
/// Service of `kind`: the one rule for [`PodsExposure::accepts`] and
/// [`exposing_port`].
///
/// A `LoadBalancer`'s address takes its Service ports, and so do its
/// `externalIPs` ("clients can reach the Service on the external IP and
/// the Service port"); every node takes the node ports. A `NodePort`
/// Service's own port is only on its cluster IP, inside the cluster: a
/// client outside "must use the node port" (ingress-nginx on bare metal,
/// <https://kubernetes.github.io/ingress-nginx/deploy/baremetal/#over-a-nodeport-service>;
/// <https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport>,
/// `#external-ips`).
fn arrival_at(
    kind: ServiceKind,
    has_external_ips: bool,
    service_port: i32,
    node_port: Option<i32>,
    port: i32,
) -> Option<Arrival<'static>> {
    if service_port == port && kind == ServiceKind::LoadBalancer {
        Some(Arrival::LoadBalancer)
    } else if service_port == port && has_external_ips {
        Some(Arrival::ExternalIp)
    } else if node_port == Some(port) {
        Some(Arrival::NodePort { node: None })
    } else {
        None
    }
}

/// The ports on which clients outside the cluster reach `pods` (an ingress
/// controller's): the Services that select them and expose them outside
/// (load balancer, node ports, external IPs), and their node bindings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PodsExposure {
    /// The Services exposing them, sorted.
    pub services: Vec<ExposingService>,
    /// Ports bound on the nodes (`hostPort`, `hostNetwork`), TCP.
    pub node_ports: BTreeSet<i32>,
}

impl PodsExposure {
    /// Whether nothing in the input exposes the pods: the ports cannot be checked.
    pub fn is_unknown(&self) -> bool {
        self.services.is_empty() && self.node_ports.is_empty()
    }

    /// Whether a TCP connection to `port` at the exposed addresses reaches
    /// the pods: a Service port at a load balancer or external IP, a node
    /// port, or a port bound on the nodes.
    pub fn accepts(&self, port: i32) -> bool {
        self.node_ports.contains(&port)
            || self.services.iter().any(|exposing| exposing.arrival(port).is_some())
    }

    /// Every port that reaches the pods, sorted.
    pub fn ports(&self) -> BTreeSet<i32> {
        let mut ports = self.node_ports.clone();
        for exposing in &self.services {
            ports.extend(exposing.outside_ports());
        }
        ports
    }
}

/// The Service port that takes a TCP connection from outside the cluster
/// on `port` to any of `pods`, and how the connection arrives.
#[derive(Debug, Clone, Copy)]
pub struct ServiceArrival<'c> {
    /// The Service.
    pub service: &'c Object<Service>,
    /// Its port the connection arrives at.
    pub port: &'c ServicePort,
    /// At a load balancer's or an external IP's port, or at a node port.
    pub arrival: Arrival<'static>,
}

/// The first Service (in input order) exposing any of `pods` that takes a
/// TCP connection from outside on `port`, by the rule of
/// [`PodsExposure::accepts`]; `None` when no Service does (a port bound on
/// the nodes may still take it).
pub fn exposing_port<'c>(cluster: &'c Cluster, pods: &[PodId], port: i32) -> Option<ServiceArrival<'c>> {
    exposing_services(cluster, pods).find_map(|(service, exposing)| {
        let (service_port, arrival) = exposing.arrival(port)?;
        let port = service_ports(&service.value)
            .iter()
            .find(|p| p.port == service_port && port_protocol(p) == Protocol::Tcp)?;
        Some(ServiceArrival { service, port, arrival })
    })
}

/// How `pods` are exposed outside the cluster over TCP.
pub fn pods_exposure(cluster: &Cluster, pods: &[PodId]) -> PodsExposure {
    let mut exposure = PodsExposure {
        services: exposing_services(cluster, pods).map(|(_, exposing)| exposing).collect(),
        node_ports: BTreeSet::new(),
    };
    let wanted: BTreeSet<PodId> = pods.iter().copied().collect();
    for &id in &wanted {
        let pod = cluster.pod(id);
        for container in &pod.spec.containers {
            for declared in container.ports.iter().flatten() {
                if declared.protocol.as_deref().is_some_and(|p| p != "TCP") {
                    continue;
                }
                match (pod.host_network(), declared.host_port) {
                    (true, _) => exposure.node_ports.insert(declared.container_port),
                    (false, Some(host_port)) if host_port != 0 => exposure.node_ports.insert(host_port),
                    _ => false,
                };
            }
        }
    }
    exposure.services.sort();
    exposure
}

/// The Services, in input order, that select any of `pods` and expose them
/// outside the cluster (node ports, a load balancer, external IPs), each
/// with its TCP ports.
fn exposing_services<'c: 'p, 'p>(
    cluster: &'c Cluster,
    pods: &'p [PodId],
) -> impl Iterator<Item = (&'c Object<Service>, ExposingService)> + 'p {
    cluster.services().iter().filter_map(move |service| {
        let value = &service.value;
        let kind = service_kind(value)?;
        let external_ips = !crate::service::external_ips(value).is_empty();
        if !kind.has_node_ports() && !external_ips {
            return None;
        }
        if !cluster.pods_selected_by_service(value).iter().any(|id| pods.contains(id)) {
            return None;
        }
        let ports = service_ports(value)
            .iter()
            .filter(|p| port_protocol(p) == Protocol::Tcp)
            .map(|p| {
                let node_port = match node_port(value, p) {
                    NodePortState::Assigned { node_port } => Some(node_port),
                    _ => None,
                };
                (p.port, node_port)
            })
            .collect();
        Some((service, ExposingService { service: ServiceRef::of(value), kind, external_ips, ports }))
    })
}

#[cfg(test)]
#[path = "exposure_tests.rs"]
mod tests;
