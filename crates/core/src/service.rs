//! The Service layers: how a Service is exposed (`service-type`) and how a
//! connection to one of its ports reaches a container port (`service-port`).
//!
//! <https://kubernetes.io/docs/concepts/services-networking/service/>:
//! `ClusterIP` is reachable inside the cluster only; `NodePort` builds on it
//! and opens a port (30000–32767 by default) on every node; `LoadBalancer`
//! builds on `NodePort` and asks a provisioner for an external address;
//! `ExternalName` is a DNS CNAME with no proxying and no ports; a `ClusterIP`
//! Service with `clusterIP: None` is headless (no virtual IP: DNS hands out
//! the endpoints themselves). `externalIPs` add addresses on which nodes
//! accept traffic for any proxied Service.
//!
//! A Service port's `targetPort`, a number or a container port name, is
//! resolved per endpoint pod: a pod that does not declare the named port is
//! not an endpoint for that port.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::cni::image_is;
use crate::model::{Cluster, Pod};
use crate::ports::Protocol;

mod backend_port;
pub use backend_port::{backend_target_port, names_service_port, BackendPort};

pub use crate::model::validate::NODE_PORT_RANGE;

/// A Service by namespace and name: the stable identifier reports use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServiceRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// How a Service is exposed: its `type`, with headless `ClusterIP` Services
/// told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// A virtual IP reachable from inside the cluster only.
    ClusterIp,
    /// `clusterIP: None`: no virtual IP and no proxying; DNS returns the
    /// ready endpoints and clients connect to them directly.
    Headless,
    /// A cluster IP plus a port on every node.
    NodePort,
    /// A node port plus an external load balancer, once a provisioner
    /// fills `status.loadBalancer.ingress`.
    LoadBalancer,
    /// A DNS CNAME to `externalName`: no cluster IP, no proxying, no ports.
    ExternalName,
}

/// A Service port's identity: name, port and protocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServicePortKey {
    /// The port's name; `None` when unnamed (only allowed on single-port Services).
    pub name: Option<String>,
    /// The Service port number.
    pub port: i32,
    /// The protocol (`TCP` when not written).
    pub protocol: Protocol,
}

/// A port given by number or by name: a Service port asked for by a user, or
/// a `targetPort`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum PortRef {
    /// A port number.
    Number(i32),
    /// A port name.
    Name(String),
}

/// A named `targetPort` that an endpoint pod does not declare with the
/// Service port's protocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TargetPortNotFound {
    /// The port name the Service asks for.
    pub name: String,
    /// The protocol it must have.
    pub protocol: Protocol,
}

/// The node port of one Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum NodePortState {
    /// The Service allocates no node port for it: a `ClusterIP`, headless or
    /// `ExternalName` Service, or a `LoadBalancer` with
    /// `allocateLoadBalancerNodePorts: false` and no explicit node port.
    None,
    /// The API server picks one from the range when the Service is created;
    /// the input does not say which.
    Unallocated,
    /// A node port within [`NODE_PORT_RANGE`].
    Assigned {
        /// The port every node listens on.
        node_port: i32,
    },
    /// A node port outside [`NODE_PORT_RANGE`]: rejected by an API server
    /// with the default range.
    OutOfRange {
        /// The requested port.
        node_port: i32,
    },
}

/// Whether a `LoadBalancer` Service has its external address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum LoadBalancerState {
    /// `status.loadBalancer.ingress` is empty: no provisioner has acted (yet).
    Pending,
    /// A provisioner published these addresses.
    Provisioned {
        /// The addresses, as listed in the status.
        addresses: Vec<LoadBalancerAddress>,
    },
}

/// One entry of `status.loadBalancer.ingress`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LoadBalancerAddress {
    /// The IP address, when the provisioner gives one.
    pub ip: Option<String>,
    /// The DNS name, when the provisioner gives one (AWS ELBs do).
    pub hostname: Option<String>,
}

/// What gives `LoadBalancer` Services their external address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LoadBalancerProvisioner {
    /// A cloud provider's controller, known from the nodes' `spec.providerID`
    /// (`aws:///eu-west-1a/i-0abc…` → `aws`).
    Cloud {
        /// The `providerID` scheme.
        provider: String,
    },
    /// An implementation running in the cluster, known from its pods'
    /// images or its custom resources (MetalLB, kube-vip, K3s' ServiceLB, …).
    InCluster {
        /// Its name.
        name: String,
    },
}

/// How nodes distribute Service traffic
/// (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrafficPolicy {
    /// To every ready endpoint in the cluster (the default).
    Cluster,
    /// Only to endpoints on the node the traffic arrived at; dropped when
    /// that node has none.
    Local,
}

/// A Service field the API server would reject, or that cannot carry traffic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum ServiceProblem {
    /// `type` is not one of `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    UnknownType {
        /// The type as written.
        type_: String,
    },
    /// An `ExternalName` Service without `externalName`.
    MissingExternalName,
    /// A proxied Service without ports (only headless and `ExternalName`
    /// Services may have none).
    NoPorts,
    /// An unnamed port on a Service with several ports (names are required then).
    UnnamedPort {
        /// The port.
        port: ServicePortKey,
    },
    /// Two ports with the same number and protocol.
    DuplicatePort {
        /// The repeated port.
        port: ServicePortKey,
    },
    /// A port number outside 1–65535.
    PortOutOfRange {
        /// The port.
        port: ServicePortKey,
    },
    /// A `targetPort` number outside 1–65535, or a name that is not a valid
    /// port name (an IANA service name has at least one letter).
    InvalidTargetPort {
        /// The port.
        port: ServicePortKey,
        /// The `targetPort` as written.
        target: PortRef,
    },
    /// A `nodePort` outside [`NODE_PORT_RANGE`].
    NodePortOutOfRange {
        /// The port.
        port: ServicePortKey,
        /// The requested node port.
        node_port: i32,
    },
    /// A `nodePort` on a Service type that has none (`ClusterIP`, `ExternalName`).
    NodePortNotAllowed {
        /// The port.
        port: ServicePortKey,
        /// The requested node port.
        node_port: i32,
    },
    /// `clusterIP: None` on a `NodePort` or `LoadBalancer` Service.
    HeadlessNotAllowed {
        /// The Service's type.
        kind: ServiceKind,
    },
}

impl ServiceRef {
    /// The identifier of `service` (`default` when the namespace is unset).
    pub fn of(service: &Service) -> ServiceRef {
        ServiceRef {
            namespace: service.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            name: service.metadata.name.clone().unwrap_or_default(),
        }
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl ServiceKind {
    /// The Kubernetes `type` string (`ClusterIP` for headless Services).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::ClusterIp | ServiceKind::Headless => "ClusterIP",
            ServiceKind::NodePort => "NodePort",
            ServiceKind::LoadBalancer => "LoadBalancer",
            ServiceKind::ExternalName => "ExternalName",
        }
    }

    /// Whether kube-proxy (or its replacement) load-balances a virtual IP to
    /// the endpoints, translating the Service port to the target port.
    /// Headless and `ExternalName` Services are not proxied.
    pub fn is_proxied(self) -> bool {
        matches!(self, ServiceKind::ClusterIp | ServiceKind::NodePort | ServiceKind::LoadBalancer)
    }

    /// Whether the type opens ports on the nodes.
    pub fn has_node_ports(self) -> bool {
        matches!(self, ServiceKind::NodePort | ServiceKind::LoadBalancer)
    }
}

impl ServicePortKey {
    /// The identity of `port`.
    pub fn of(port: &ServicePort) -> ServicePortKey {
        ServicePortKey {
            name: port_name(port).map(str::to_owned),
            port: port.port,
            protocol: port_protocol(port),
        }
    }
}

impl PortRef {
    /// Reads a port as a user writes it: digits are a number, anything else a name.
    pub fn parse(text: &str) -> PortRef {
        match text.parse::<i32>() {
            Ok(number) if text.bytes().all(|b| b.is_ascii_digit()) => PortRef::Number(number),
            _ => PortRef::Name(text.to_owned()),
        }
    }
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(number) => write!(f, "{number}"),
            PortRef::Name(name) => f.write_str(name),
        }
    }
}

/// How `service` is exposed; `None` for a `type` the API server rejects.
pub fn service_kind(service: &Service) -> Option<ServiceKind> {
    let spec = service.spec.as_ref();
    match spec.and_then(|s| s.type_.as_deref()).unwrap_or("ClusterIP") {
        "" | "ClusterIP" if is_headless(service) => Some(ServiceKind::Headless),
        "" | "ClusterIP" => Some(ServiceKind::ClusterIp),
        "NodePort" => Some(ServiceKind::NodePort),
        "LoadBalancer" => Some(ServiceKind::LoadBalancer),
        "ExternalName" => Some(ServiceKind::ExternalName),
        _ => None,
    }
}

/// Whether `spec.clusterIP` (or the first of `spec.clusterIPs`) is `None`.
pub fn is_headless(service: &Service) -> bool {
    let Some(spec) = &service.spec else { return false };
    spec.cluster_ip.as_deref() == Some("None")
        || spec.cluster_ips.as_ref().and_then(|ips| ips.first()).map(String::as_str) == Some("None")
}

/// The Service's virtual IPs (`spec.clusterIPs`, else `spec.clusterIP`).
/// Empty for headless and `ExternalName` Services, and for manifests that
/// leave the address to the API server.
pub fn cluster_ips(service: &Service) -> Vec<String> {
    let Some(spec) = &service.spec else { return Vec::new() };
    if is_headless(service) || spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let listed: Vec<String> =
        spec.cluster_ips.iter().flatten().filter(|ip| is_address(ip)).cloned().collect();
    if !listed.is_empty() {
        return listed;
    }
    spec.cluster_ip.iter().filter(|ip| is_address(ip)).cloned().collect()
}

/// `spec.externalIPs`, sorted: addresses on which nodes accept traffic for
/// the Service, whatever its type (except `ExternalName`).
pub fn external_ips(service: &Service) -> Vec<String> {
    let mut ips: Vec<String> = service
        .spec
        .iter()
        .flat_map(|s| s.external_ips.iter().flatten())
        .filter(|ip| !ip.is_empty())
        .cloned()
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

/// The `ExternalName` target, when the Service is of that type and has one.
pub fn external_name(service: &Service) -> Option<&str> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() != Some("ExternalName") {
        return None;
    }
    spec.external_name.as_deref().filter(|name| !name.is_empty())
}

/// The addresses in `status.loadBalancer.ingress`, in the order listed.
pub fn lb_addresses(service: &Service) -> Vec<LoadBalancerAddress> {
    let ingress =
        service.status.iter().flat_map(|s| s.load_balancer.iter()).flat_map(|lb| lb.ingress.iter().flatten());
    ingress
        .filter(|i| i.ip.is_some() || i.hostname.is_some())
        .map(|i| LoadBalancerAddress { ip: i.ip.clone(), hostname: i.hostname.clone() })
        .collect()
}

/// Whether a `LoadBalancer` Service has its address; `None` for other types.
pub fn load_balancer(service: &Service) -> Option<LoadBalancerState> {
    if service_kind(service)? != ServiceKind::LoadBalancer {
        return None;
    }
    let addresses = lb_addresses(service);
    if addresses.is_empty() {
        return Some(LoadBalancerState::Pending);
    }
    Some(LoadBalancerState::Provisioned { addresses })
}

/// The provisioners of `LoadBalancer` addresses the input shows, sorted:
/// cloud providers from the nodes' `spec.providerID` (every scheme except
/// those of local and test clusters: `kind`, `k3s`, `rke2`, `kwok`,
/// `kubemark`, `fake`), and in-cluster implementations from their images
/// (MetalLB, kube-vip, K3s' ServiceLB, OpenELB, PureLB, LoxiLB, the
/// Tailscale operator, cloud-provider-kind) or their address-pool custom
/// resources (MetalLB's `IPAddressPool`, Cilium's `CiliumLoadBalancerIPPool`).
/// A Service with `spec.loadBalancerClass` asks for a specific
/// implementation this list may not know.
pub fn load_balancer_provisioners(cluster: &Cluster) -> Vec<LoadBalancerProvisioner> {
    const LOCAL_SCHEMES: [&str; 6] = ["kind", "k3s", "rke2", "kwok", "kubemark", "fake"];
    const IMAGES: [(&str, &str); 11] = [
        ("metallb/controller", "metallb"),
        ("metallb/speaker", "metallb"),
        ("kube-vip/kube-vip", "kube-vip"),
        ("kube-vip/kube-vip-cloud-provider", "kube-vip"),
        ("rancher/klipper-lb", "servicelb"),
        ("rancher/mirrored-klipper-lb", "servicelb"),
        ("kubesphere/openelb", "openelb"),
        ("purelb/allocator", "purelb"),
        ("loxilb-io/kube-loxilb", "loxilb"),
        ("tailscale/k8s-operator", "tailscale"),
        ("cloud-provider-kind/cloud-controller-manager", "cloud-provider-kind"),
    ];
    const POOL_KINDS: [(&str, &str); 2] =
        [("IPAddressPool", "metallb"), ("CiliumLoadBalancerIPPool", "cilium")];
    let mut found = BTreeSet::new();
    for node in cluster.nodes() {
        let provider_id = node.value.spec.as_ref().and_then(|s| s.provider_id.as_deref()).unwrap_or_default();
        let Some((scheme, _)) = provider_id.split_once("://") else { continue };
        if !scheme.is_empty() && !LOCAL_SCHEMES.contains(&scheme) {
            found.insert(LoadBalancerProvisioner::Cloud { provider: scheme.to_owned() });
        }
    }
    for pod in cluster.pods() {
        let images = pod.spec.containers.iter().filter_map(|c| c.image.as_deref());
        for image in images {
            if let Some((_, name)) = IMAGES.iter().find(|(repository, _)| image_is(image, repository)) {
                found.insert(LoadBalancerProvisioner::InCluster { name: (*name).to_owned() });
            }
        }
    }
    for (kind, name) in POOL_KINDS {
        if cluster.skipped_kinds().get(kind).is_some_and(|&n| n > 0) {
            found.insert(LoadBalancerProvisioner::InCluster { name: name.to_owned() });
        }
    }
    found.into_iter().collect()
}

/// The node port of `port`, one of `service`'s ports.
///
/// `LoadBalancer` Services allocate node ports unless
/// `allocateLoadBalancerNodePorts: false`; an explicit `nodePort` is honoured
/// either way
/// (<https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation>).
pub fn node_port(service: &Service, port: &ServicePort) -> NodePortState {
    let Some(kind) = service_kind(service) else { return NodePortState::None };
    if !kind.has_node_ports() {
        return NodePortState::None;
    }
    match port.node_port.filter(|&n| n != 0) {
        Some(node_port) if NODE_PORT_RANGE.contains(&node_port) => NodePortState::Assigned { node_port },
        Some(node_port) => NodePortState::OutOfRange { node_port },
        None if kind == ServiceKind::LoadBalancer
            && service.spec.as_ref().and_then(|s| s.allocate_load_balancer_node_ports) == Some(false) =>
        {
            NodePortState::None
        }
        None => NodePortState::Unallocated,
    }
}

/// `spec.externalTrafficPolicy`: how traffic arriving on a node port, an
/// external IP or a load-balancer address is distributed.
pub fn external_traffic_policy(service: &Service) -> TrafficPolicy {
    traffic_policy(service.spec.as_ref().and_then(|s| s.external_traffic_policy.as_deref()))
}

/// `spec.internalTrafficPolicy`: how traffic to the cluster IP is distributed.
pub fn internal_traffic_policy(service: &Service) -> TrafficPolicy {
    traffic_policy(service.spec.as_ref().and_then(|s| s.internal_traffic_policy.as_deref()))
}

/// Whether `spec.publishNotReadyAddresses` is set: endpoints count as ready
/// whatever their pods' readiness.
pub fn publishes_not_ready_addresses(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses) == Some(true)
}

/// The Service's selector, if it has a non-empty one. A Service without one
/// has its endpoints managed by hand
/// (<https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors>;
/// the API reference: "If empty or not present, the service is assumed to
/// have an external process managing its endpoints").
pub fn selector(service: &Service) -> Option<&BTreeMap<String, String>> {
    service.spec.as_ref()?.selector.as_ref().filter(|s| !s.is_empty())
}

/// The Service's ports (none for a Service without `spec.ports`).
pub fn service_ports(service: &Service) -> &[ServicePort] {
    service.spec.as_ref().and_then(|s| s.ports.as_deref()).unwrap_or_default()
}

/// The Service port a client asks for: by number (the Service `port`) or by
/// name, with `protocol`.
pub fn find_service_port<'a>(
    service: &'a Service,
    port: &PortRef,
    protocol: Protocol,
) -> Option<&'a ServicePort> {
    service_ports(service).iter().find(|p| {
        port_protocol(p) == protocol
            && match port {
                PortRef::Number(number) => p.port == *number,
                PortRef::Name(name) => port_name(p) == Some(name.as_str()),
            }
    })
}

/// The Service port whose node port is `node_port`, with `protocol`.
pub fn find_node_port(service: &Service, node_port: i32, protocol: Protocol) -> Option<&ServicePort> {
    service_ports(service)
        .iter()
        .find(|p| port_protocol(p) == protocol && p.node_port == Some(node_port) && node_port != 0)
}

/// The port's name, `None` when unnamed.
pub fn port_name(port: &ServicePort) -> Option<&str> {
    port.name.as_deref().filter(|name| !name.is_empty())
}

/// The port's protocol (`TCP` when not written or not recognised).
pub fn port_protocol(port: &ServicePort) -> Protocol {
    port.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp)
}

/// The port's `targetPort`: the Service port itself when not written.
pub fn target_port(port: &ServicePort) -> PortRef {
    match &port.target_port {
        Some(IntOrString::Int(number)) if *number != 0 => PortRef::Number(*number),
        Some(IntOrString::String(name)) if !name.is_empty() => PortRef::Name(name.clone()),
        _ => PortRef::Number(port.port),
    }
}

/// The container port `pod` receives `port`'s traffic on, as the EndpointSlice
/// controller resolves it (`FindPort`): a number is used as is, a name is
/// looked up among the pod's container ports (sidecars included) with the
/// Service port's protocol.
pub fn resolve_target_port(port: &ServicePort, pod: &Pod) -> Result<i32, TargetPortNotFound> {
    let protocol = port_protocol(port);
    match target_port(port) {
        PortRef::Number(number) => Ok(number),
        PortRef::Name(name) => {
            pod.named_port(&name, protocol.as_str()).ok_or(TargetPortNotFound { name, protocol })
        }
    }
}

/// What the API server would reject in `service`, or what cannot carry traffic.
pub fn service_problems(service: &Service) -> Vec<ServiceProblem> {
    let mut problems = Vec::new();
    let Some(kind) = service_kind(service) else {
        let type_ = service.spec.as_ref().and_then(|s| s.type_.clone()).unwrap_or_default();
        return vec![ServiceProblem::UnknownType { type_ }];
    };
    let ports = service_ports(service);
    if kind == ServiceKind::ExternalName {
        if external_name(service).is_none() {
            problems.push(ServiceProblem::MissingExternalName);
        }
    } else if ports.is_empty() && kind != ServiceKind::Headless && !is_headless(service) {
        problems.push(ServiceProblem::NoPorts);
    }
    if is_headless(service) && kind.has_node_ports() {
        problems.push(ServiceProblem::HeadlessNotAllowed { kind });
    }
    let mut seen = BTreeSet::new();
    for port in ports {
        let key = ServicePortKey::of(port);
        if ports.len() > 1 && key.name.is_none() {
            problems.push(ServiceProblem::UnnamedPort { port: key.clone() });
        }
        if !seen.insert((key.port, key.protocol)) {
            problems.push(ServiceProblem::DuplicatePort { port: key.clone() });
        }
        if !(1..=65535).contains(&port.port) {
            problems.push(ServiceProblem::PortOutOfRange { port: key.clone() });
        }
        if kind != ServiceKind::ExternalName {
            let target = target_port(port);
            let valid = match &target {
                PortRef::Number(number) => (1..=65535).contains(number),
                PortRef::Name(name) => is_port_name(name),
            };
            if !valid {
                problems.push(ServiceProblem::InvalidTargetPort { port: key.clone(), target });
            }
        }
        if let Some(node_port) = port.node_port.filter(|&n| n != 0) {
            if !kind.has_node_ports() {
                problems.push(ServiceProblem::NodePortNotAllowed { port: key.clone(), node_port });
            } else if !NODE_PORT_RANGE.contains(&node_port) {
                problems.push(ServiceProblem::NodePortOutOfRange { port: key.clone(), node_port });
            }
        }
    }
    problems.sort();
    problems
}

fn traffic_policy(value: Option<&str>) -> TrafficPolicy {
    match value {
        Some("Local") => TrafficPolicy::Local,
        _ => TrafficPolicy::Cluster,
    }
}

fn is_address(ip: &str) -> bool {
    !ip.is_empty() && ip != "None"
}

/// An IANA service name as `IsValidPortName` checks it: 1–15 characters of
/// lowercase letters, digits and inner single hyphens, at least one letter.
fn is_port_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=15).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    /// The Service as the builder defaults it; as written when the API
    /// server would reject it (the problems of such Services are tested too).
    fn service(spec: Value, status: Value) -> Service {
        let cluster = cluster(vec![
            json!({"kind": "Service", "metadata": {"name": "s"}, "spec": spec, "status": status}),
        ]);
        if let Some(service) = cluster.services().first() {
            return service.value.clone();
        }
        match &cluster.rejected()[0].object.value {
            crate::Resource::Service(service) => service.clone(),
            _ => unreachable!("a Service was given"),
        }
    }

    /// Everything the layer says about a Service, one fact per line.
    fn describe(service: &Service) -> String {
        let mut lines = vec![format!("kind {:?}", service_kind(service))];
        let ips = cluster_ips(service);
        if !ips.is_empty() {
            lines.push(format!("cluster-ips {}", ips.join(",")));
        }
        let external = external_ips(service);
        if !external.is_empty() {
            lines.push(format!("external-ips {}", external.join(",")));
        }
        if let Some(name) = external_name(service) {
            lines.push(format!("external-name {name}"));
        }
        for port in service_ports(service) {
            let key = ServicePortKey::of(port);
            lines.push(format!(
                "port {}/{} {:?} target {} node-port {:?}",
                key.port,
                key.protocol,
                key.name,
                target_port(port),
                node_port(service, port)
            ));
        }
        if let Some(lb) = load_balancer(service) {
            lines.push(format!("load-balancer {lb:?}"));
        }
        for problem in service_problems(service) {
            lines.push(format!("problem {problem:?}"));
        }
        lines.join("\n")
    }

    fn check(spec: Value, status: Value, expect: &str) {
        let service = service(spec, status);
        assert_eq!(describe(&service), expect.trim(), "\nfor {service:#?}");
    }

    // The default type is ClusterIP, internal only; targetPort defaults to
    // port: https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
    #[test]
    fn cluster_ip_is_the_default() {
        check(
            json!({"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}),
            json!(null),
            "
kind Some(ClusterIp)
cluster-ips 10.96.0.10
port 80/TCP None target 80 node-port None",
        );
    }

    // clusterIPs is authoritative for dual-stack Services:
    // https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services
    #[test]
    fn dual_stack_cluster_ips() {
        check(
            json!({"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10", "fd00::a"], "ports": [{"port": 53, "protocol": "UDP", "name": "dns"}]}),
            json!(null),
            "
kind Some(ClusterIp)
cluster-ips 10.96.0.10,fd00::a
port 53/UDP Some(\"dns\") target 53 node-port None",
        );
    }

    // clusterIP: None makes a headless Service; ports are optional there:
    // https://kubernetes.io/docs/concepts/services-networking/service/#headless-services
    #[test]
    fn headless() {
        check(json!({"clusterIP": "None", "selector": {"app": "db"}}), json!(null), "kind Some(Headless)");
    }

    // NodePort allocates from 30000-32767 unless one is given:
    // https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
    #[test]
    fn node_ports() {
        check(
            json!({"type": "NodePort", "ports": [
                {"name": "a", "port": 80, "targetPort": "http"},
                {"name": "b", "port": 81, "nodePort": 30080},
                {"name": "c", "port": 82, "nodePort": 8080}]}),
            json!(null),
            "
kind Some(NodePort)
port 80/TCP Some(\"a\") target http node-port Unallocated
port 81/TCP Some(\"b\") target 81 node-port Assigned { node_port: 30080 }
port 82/TCP Some(\"c\") target 82 node-port OutOfRange { node_port: 8080 }
problem NodePortOutOfRange { port: ServicePortKey { name: Some(\"c\"), port: 82, protocol: Tcp }, node_port: 8080 }",
        );
    }

    // nodePort may only be used with NodePort and LoadBalancer; clusterIP
    // None is only valid for ClusterIP:
    // https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
    #[test]
    fn node_port_on_cluster_ip_and_headless_node_port_are_rejected() {
        check(
            json!({"ports": [{"port": 80, "nodePort": 30001}]}),
            json!(null),
            "
kind Some(ClusterIp)
port 80/TCP None target 80 node-port None
problem NodePortNotAllowed { port: ServicePortKey { name: None, port: 80, protocol: Tcp }, node_port: 30001 }",
        );
        check(
            json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}),
            json!(null),
            "
kind Some(NodePort)
port 80/TCP None target 80 node-port Unallocated
problem HeadlessNotAllowed { kind: NodePort }",
        );
    }

    // LoadBalancer builds on NodePort; an empty status.loadBalancer.ingress
    // means no provisioner has acted:
    // https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer
    #[test]
    fn load_balancer_pending_and_provisioned() {
        check(
            json!({"type": "LoadBalancer", "ports": [{"port": 443, "nodePort": 31443}]}),
            json!({"loadBalancer": {}}),
            "
kind Some(LoadBalancer)
port 443/TCP None target 443 node-port Assigned { node_port: 31443 }
load-balancer Pending",
        );
        check(
            json!({"type": "LoadBalancer", "ports": [{"port": 443}]}),
            json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}, {"hostname": "lb.example.com"}]}}),
            "
kind Some(LoadBalancer)
port 443/TCP None target 443 node-port Unallocated
load-balancer Provisioned { addresses: [LoadBalancerAddress { ip: Some(\"203.0.113.7\"), hostname: None }, LoadBalancerAddress { ip: None, hostname: Some(\"lb.example.com\") }] }",
        );
    }

    // allocateLoadBalancerNodePorts: false skips node ports unless one is given:
    // https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation
    #[test]
    fn load_balancer_without_node_ports() {
        check(
            json!({"type": "LoadBalancer", "allocateLoadBalancerNodePorts": false,
                   "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81, "nodePort": 30081}]}),
            json!(null),
            "
kind Some(LoadBalancer)
port 80/TCP Some(\"a\") target 80 node-port None
port 81/TCP Some(\"b\") target 81 node-port Assigned { node_port: 30081 }
load-balancer Pending",
        );
    }

    // ExternalName is a CNAME only: no cluster IP, no proxying, ports unused:
    // https://kubernetes.io/docs/concepts/services-networking/service/#externalname
    #[test]
    fn external_name_is_a_cname_only() {
        check(
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
            json!(null),
            "
kind Some(ExternalName)
external-name db.example.com",
        );
        check(
            json!({"type": "ExternalName"}),
            json!(null),
            "kind Some(ExternalName)\nproblem MissingExternalName",
        );
    }

    // externalIPs work with any proxied type:
    // https://kubernetes.io/docs/concepts/services-networking/service/#external-ips
    #[test]
    fn external_ips_are_listed_sorted() {
        check(
            json!({"clusterIP": "10.0.0.5", "externalIPs": ["198.51.100.9", "198.51.100.2"], "ports": [{"port": 80}]}),
            json!(null),
            "
kind Some(ClusterIp)
cluster-ips 10.0.0.5
external-ips 198.51.100.2,198.51.100.9
port 80/TCP None target 80 node-port None",
        );
    }

    // Multi-port Services need port names, ports are unique per protocol,
    // a targetPort name is an IANA_SVC_NAME, and proxied Services need ports:
    // https://kubernetes.io/docs/concepts/services-networking/service/#multi-port-services
    #[test]
    fn port_validation() {
        check(
            json!({"ports": [{"port": 80, "targetPort": "8080"}, {"port": 80, "name": "dup"}, {"port": 70000, "name": "big", "targetPort": 0}]}),
            json!(null),
            "
kind Some(ClusterIp)
port 80/TCP None target 8080 node-port None
port 80/TCP Some(\"dup\") target 80 node-port None
port 70000/TCP Some(\"big\") target 70000 node-port None
problem UnnamedPort { port: ServicePortKey { name: None, port: 80, protocol: Tcp } }
problem DuplicatePort { port: ServicePortKey { name: Some(\"dup\"), port: 80, protocol: Tcp } }
problem PortOutOfRange { port: ServicePortKey { name: Some(\"big\"), port: 70000, protocol: Tcp } }
problem InvalidTargetPort { port: ServicePortKey { name: None, port: 80, protocol: Tcp }, target: Name(\"8080\") }
problem InvalidTargetPort { port: ServicePortKey { name: Some(\"big\"), port: 70000, protocol: Tcp }, target: Number(70000) }",
        );
        check(json!({}), json!(null), "kind Some(ClusterIp)\nproblem NoPorts");
        check(json!({"type": "Bogus"}), json!(null), "kind None\nproblem UnknownType { type_: \"Bogus\" }");
    }

    #[test]
    fn traffic_policies_default_to_cluster() {
        // https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies
        let plain = service(json!({"ports": [{"port": 80}]}), json!(null));
        assert_eq!(external_traffic_policy(&plain), TrafficPolicy::Cluster);
        assert_eq!(internal_traffic_policy(&plain), TrafficPolicy::Cluster);
        let local = service(
            json!({"type": "NodePort", "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Local", "ports": [{"port": 80}]}),
            json!(null),
        );
        assert_eq!(external_traffic_policy(&local), TrafficPolicy::Local);
        assert_eq!(internal_traffic_policy(&local), TrafficPolicy::Local);
    }

    /// Finds the Service port `port`/`protocol` and resolves its target on a
    /// pod with `containers`; `expect` is `none`, the port number, or the error.
    fn check_port(ports: Value, containers: Value, port: &str, protocol: Protocol, expect: &str) {
        let service = service(json!({ "ports": ports }), json!(null));
        let cluster = cluster(vec![json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": containers})]);
        let pod = &cluster.pods()[0];
        let actual = match find_service_port(&service, &PortRef::parse(port), protocol) {
            None => "none".to_owned(),
            Some(found) => match resolve_target_port(found, pod) {
                Ok(number) => format!("{} -> {number}", found.port),
                Err(error) => format!("{} -> {error:?}", found.port),
            },
        };
        assert_eq!(actual, expect);
    }

    // targetPort by number is used as is; by name it is looked up per pod
    // with the Service port's protocol (sidecars included), and a pod without
    // it is not an endpoint for that port:
    // https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports
    #[test]
    fn service_ports_and_target_ports() {
        let ports = json!([
            {"name": "web", "port": 80, "targetPort": "http"},
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
            {"name": "metrics", "port": 9090, "targetPort": 9100},
        ]);
        let containers = json!({
            "containers": [{"name": "app", "ports": [
                {"name": "http", "containerPort": 8080},
                {"name": "dns", "containerPort": 5353}]}],
            "initContainers": [{"name": "proxy", "restartPolicy": "Always", "ports": [{"name": "admin", "containerPort": 15000}]}],
        });
        check_port(ports.clone(), containers.clone(), "80", Protocol::Tcp, "80 -> 8080");
        check_port(ports.clone(), containers.clone(), "web", Protocol::Tcp, "80 -> 8080");
        check_port(ports.clone(), containers.clone(), "80", Protocol::Udp, "none");
        check_port(ports.clone(), containers.clone(), "8080", Protocol::Tcp, "none");
        check_port(ports.clone(), containers.clone(), "9090", Protocol::Tcp, "9090 -> 9100");
        // The container port named dns is TCP: the UDP Service port does not match it.
        check_port(
            ports.clone(),
            containers.clone(),
            "dns",
            Protocol::Udp,
            "53 -> TargetPortNotFound { name: \"dns\", protocol: Udp }",
        );
        // Restartable init containers (sidecars) count:
        // https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/
        check_port(
            json!([{"name": "admin", "port": 15000, "targetPort": "admin"}]),
            containers,
            "admin",
            Protocol::Tcp,
            "15000 -> 15000",
        );
    }

    #[test]
    fn port_refs_parse_like_users_write_them() {
        assert_eq!(PortRef::parse("80"), PortRef::Number(80));
        assert_eq!(PortRef::parse("http"), PortRef::Name("http".to_owned()));
        assert_eq!(PortRef::parse("+80"), PortRef::Name("+80".to_owned()));
    }

    #[test]
    fn node_port_lookup() {
        let service =
            service(json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}), json!(null));
        assert_eq!(find_node_port(&service, 30080, Protocol::Tcp).map(|p| p.port), Some(80));
        assert_eq!(find_node_port(&service, 30080, Protocol::Udp), None);
    }
}
