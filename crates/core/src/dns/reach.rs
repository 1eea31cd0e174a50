//! "Can this pod reach cluster DNS?": the one answer `trace`, `dns` and
//! `check` (KR306) share.
//!
//! A pod's queries go to the cluster DNS Service's ClusterIP, port 53, and
//! after the Service's DNAT reach a DNS pod on its container port; policies
//! see that connection, so the pod's egress and the DNS pods' ingress must
//! allow UDP 53, and TCP 53 for answers too large for UDP
//! (<https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>,
//! <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic>).
//!
//! The DNS pods are the ready endpoints of the DNS Service's port 53 (the
//! endpoints layer decides which); without the Service, the `kube-system`
//! pods labelled `k8s-app: kube-dns` (or `coredns`); without those either,
//! the pod kubeadm and the managed clusters run, assumed: `kube-system`,
//! `k8s-app: kube-dns`, ports 53. Policies are evaluated by the policy
//! engine, with the plugin behaviour it was compiled for (ipBlocks match
//! the DNS pods' addresses only where the plugin does that).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, Service};

use crate::endpoints::port_endpoints;
use crate::model::{Cluster, Object, Pod, PodId};
use crate::origin::Origin;
use crate::policy::{Endpoint, Explanation, IpRange, PolicyEngine};
use crate::ports::Protocol;
use crate::service::{find_service_port, PortRef};

/// Where the pods' DNS queries land.
#[derive(Debug, Clone)]
pub enum DnsServer<'c> {
    /// The DNS Service has no port 53: every lookup fails.
    NoPort {
        /// The DNS Service.
        service: &'c Object<Service>,
    },
    /// The DNS Service has no ready endpoint: every lookup times out.
    NoReadyEndpoints {
        /// The DNS Service.
        service: &'c Object<Service>,
    },
    /// The DNS pods the queries reach.
    Pods(DnsPods<'c>),
}

/// The DNS pods behind port 53, per protocol.
#[derive(Debug, Clone)]
pub struct DnsPods<'c> {
    /// The DNS Service, when the input has it.
    pub service: Option<&'c Object<Service>>,
    /// Where UDP queries land; `None` when the Service has no UDP port 53.
    pub udp: Option<Vec<DnsTarget>>,
    /// Where TCP queries land; `None` when the Service has no TCP port 53.
    pub tcp: Option<Vec<DnsTarget>>,
    /// How the pods were found.
    pub found: DnsPodsFound,
}

/// How the DNS pods were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsPodsFound {
    /// The ready endpoints of the DNS Service.
    Service,
    /// No DNS Service in the input: `kube-system` pods labelled
    /// `k8s-app: kube-dns` or `coredns`.
    Labelled,
    /// Neither in the input: the pod kubeadm and managed clusters run.
    Assumed,
}

/// One DNS pod and the container port queries reach it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsTarget {
    /// The pod; `None` for an endpoint that names no pod of the input.
    pub pod: Option<PodId>,
    /// The container port; `None` when it does not resolve.
    pub port: Option<u16>,
    /// How many pods it stands for.
    pub replicas: u32,
}

/// Whether a pod reaches cluster DNS.
#[derive(Debug, Clone)]
pub struct DnsReach {
    /// Policies allow UDP queries to some DNS pod.
    pub udp: bool,
    /// Policies allow TCP queries to some DNS pod.
    pub tcp: bool,
    /// Some policy took part (an end is isolated, or an admin tier decided).
    pub policies_involved: bool,
    /// The first denials met (at most two), to explain them.
    pub denials: Vec<DnsDenial>,
}

/// A denied query, with the policy engine's explanation.
#[derive(Debug, Clone)]
pub struct DnsDenial {
    /// The protocol denied.
    pub protocol: Protocol,
    /// The DNS pod's container port.
    pub port: u16,
    /// The DNS pod's namespace.
    pub namespace: String,
    /// The DNS pod's labels.
    pub labels: BTreeMap<String, String>,
    /// The DNS pod; `None` for the assumed one.
    pub pod: Option<PodId>,
    /// Why, per direction.
    pub explanation: Explanation,
}

/// The label value cluster DNS pods carry under `k8s-app`.
const DNS_APPS: [&str; 2] = ["kube-dns", "coredns"];

/// Where the DNS queries of the cluster's pods land.
pub fn dns_server(cluster: &Cluster) -> DnsServer<'_> {
    let Some(service) = super::dns_service(cluster) else {
        return DnsServer::Pods(labelled_pods(cluster));
    };
    let mut targets = [None, None];
    for (slot, protocol) in targets.iter_mut().zip([Protocol::Udp, Protocol::Tcp]) {
        let Some(port) = find_service_port(&service.value, &PortRef::Number(53), protocol) else { continue };
        let endpoints = port_endpoints(cluster, &service.value, port);
        let receiving: Vec<DnsTarget> = endpoints
            .receiving()
            .map(|e| DnsTarget {
                pod: e.pod,
                port: e.port.and_then(|p| u16::try_from(p).ok()),
                replicas: e.replicas,
            })
            .collect();
        *slot = Some(receiving);
    }
    let [udp, tcp] = targets;
    if udp.is_none() && tcp.is_none() {
        return DnsServer::NoPort { service };
    }
    if udp.iter().chain(&tcp).all(Vec::is_empty) {
        return DnsServer::NoReadyEndpoints { service };
    }
    DnsServer::Pods(DnsPods { service: Some(service), udp, tcp, found: DnsPodsFound::Service })
}

/// Calls `f` with the DNS server of `engine`'s cluster and a checker that
/// answers "does this client pod reach it?" (`DnsReach`; `None` when the
/// server has no pods to reach). When the DNS pods are assumed, the checker
/// uses the engine recompiled for the cluster plus the assumed pod.
pub fn with_dns_reach<'c, R>(
    engine: &PolicyEngine<'c>,
    f: impl FnOnce(&DnsServer<'c>, &dyn Fn(PodId) -> Option<DnsReach>) -> R,
) -> R {
    let cluster = engine.cluster();
    let server = dns_server(cluster);
    let DnsServer::Pods(pods) = &server else { return f(&server, &|_| None) };
    if pods.found != DnsPodsFound::Assumed {
        return f(&server, &|client| Some(reach(engine, pods, client)));
    }
    // Pod ids of `cluster` stay valid in the copy: the assumed pod comes last.
    let (augmented, assumed) = cluster.with_pod(assumed_dns_pod());
    let augmented_engine = engine.recompile(&augmented);
    let target = DnsTarget { pod: Some(assumed), port: Some(53), replicas: 1 };
    let assumed_pods = DnsPods { udp: Some(vec![target]), tcp: Some(vec![target]), ..pods.clone() };
    f(&server, &|client| Some(reach(&augmented_engine, &assumed_pods, client)))
}

/// Whether `client` reaches the DNS pods `pods` of `engine`'s cluster.
fn reach(engine: &PolicyEngine<'_>, pods: &DnsPods<'_>, client: PodId) -> DnsReach {
    let cluster = engine.cluster();
    let mut result = DnsReach { udp: true, tcp: true, policies_involved: false, denials: Vec::new() };
    for (protocol, targets) in [(Protocol::Udp, &pods.udp), (Protocol::Tcp, &pods.tcp)] {
        let Some(targets) = targets else { continue };
        let mut any = false;
        for target in targets {
            let (Some(port), Some(pod)) = (target.port, target.pod) else {
                // Nothing to judge it by: it is not counted against the pod.
                any = true;
                continue;
            };
            let explanation = engine.explain(&Endpoint::Pod(client), &Endpoint::Pod(pod));
            result.policies_involved |= explanation.policies_involved();
            if explanation.allowed.contains(protocol, port)
                || unaddressed_allowed(engine, client, pod, protocol, port)
            {
                any = true;
                break;
            }
            if result.denials.len() < 2 {
                let dns_pod = cluster.pod(pod);
                result.denials.push(DnsDenial {
                    protocol,
                    port,
                    namespace: dns_pod.namespace.clone(),
                    labels: dns_pod.labels.clone(),
                    pod: (pods.found != DnsPodsFound::Assumed).then_some(pod),
                    explanation,
                });
            }
        }
        match protocol {
            Protocol::Udp => result.udp = any,
            _ => result.tcp = any,
        }
    }
    result
}

/// Where ipBlocks match pod addresses and the DNS pod's address is not in
/// the input (manifests, the assumed pod), it may be any address: an egress
/// rule allowing every IPv4 address on the port counts (the DNS pods' own
/// ingress must allow it too).
fn unaddressed_allowed(
    engine: &PolicyEngine<'_>,
    client: PodId,
    pod: PodId,
    protocol: Protocol,
    port: u16,
) -> bool {
    let dns_pod = engine.cluster().pod(pod);
    if !engine.plugin().ip_blocks_match_pods.value || !dns_pod.ips().is_empty() {
        return false;
    }
    let egress = engine.allowed(&Endpoint::Pod(client), &Endpoint::External(IpRange::ALL_V4));
    let ingress = engine.explain(&Endpoint::Pod(client), &Endpoint::Pod(pod)).ingress.allowed;
    egress.contains(protocol, port) && ingress.contains(protocol, port)
}

/// Without a DNS Service: the labelled `kube-system` pods, else the assumed one.
fn labelled_pods(cluster: &Cluster) -> DnsPods<'_> {
    let pods: Vec<PodId> = cluster
        .pods_in("kube-system")
        .iter()
        .copied()
        .filter(|id| {
            let pod = cluster.pod(*id);
            !pod.host_network()
                && pod.labels.get("k8s-app").is_some_and(|app| DNS_APPS.contains(&app.as_str()))
        })
        .collect();
    let targets = |name: &str, protocol: &str| -> Vec<DnsTarget> {
        pods.iter()
            .map(|&id| {
                let pod = cluster.pod(id);
                let port = pod.named_port(name, protocol).unwrap_or(53);
                DnsTarget { pod: Some(id), port: u16::try_from(port).ok(), replicas: pod.replicas }
            })
            .collect()
    };
    let found = if pods.is_empty() { DnsPodsFound::Assumed } else { DnsPodsFound::Labelled };
    DnsPods { service: None, udp: Some(targets("dns", "UDP")), tcp: Some(targets("dns-tcp", "TCP")), found }
}

/// The pods whose egress to cluster DNS policies decide: pods that send
/// their queries to cluster DNS (not `hostNetwork`, a `dnsPolicy` that
/// uses it) and that a policy isolates for egress. The clients KR306 and
/// KR803 judge; any other pod's DNS traffic is allowed by default.
pub fn egress_isolated_dns_clients(cluster: &Cluster, engine: &PolicyEngine<'_>) -> Vec<PodId> {
    dns_clients_where(cluster, |id| engine.is_isolated(id, crate::policy::Direction::Egress))
}

/// The pods for which `keep` holds that send their queries to cluster DNS
/// (not `hostNetwork`, a `dnsPolicy` that uses it); `keep` is asked first.
pub fn dns_clients_where(cluster: &Cluster, mut keep: impl FnMut(PodId) -> bool) -> Vec<PodId> {
    // The DNS Service is looked for once, not once per pod.
    let dns_addresses = super::resolver::cluster_dns_addresses(cluster);
    (0..cluster.pods().len())
        .map(|i| PodId(i as u32))
        .filter(|id| keep(*id))
        .filter(|id| {
            let pod = cluster.pod(*id);
            !pod.host_network()
                && super::resolver::resolver_config_with(cluster, pod, &dns_addresses).cluster_dns
        })
        .collect()
}

/// The DNS pods of the input: the DNS Service's endpoints (ready or not) or
/// the labelled `kube-system` pods; never the assumed one.
pub fn dns_pods(cluster: &Cluster) -> Vec<PodId> {
    match super::dns_service(cluster) {
        Some(service) => cluster.pods_selected_by_service(&service.value),
        None => match labelled_pods(cluster) {
            DnsPods { found: DnsPodsFound::Labelled, udp: Some(targets), .. } => {
                targets.iter().filter_map(|t| t.pod).collect()
            }
            _ => Vec::new(),
        },
    }
}

/// The pod kubeadm and managed clusters run CoreDNS as, for inputs without it.
fn assumed_dns_pod() -> Pod {
    let port = |name: &str, protocol: &str| ContainerPort {
        name: Some(name.to_owned()),
        container_port: 53,
        protocol: Some(protocol.to_owned()),
        ..ContainerPort::default()
    };
    Pod {
        namespace: "kube-system".to_owned(),
        name: "coredns".to_owned(),
        labels: BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())]),
        spec: Arc::new(PodSpec {
            containers: vec![Container {
                name: "coredns".to_owned(),
                ports: Some(vec![port("dns", "UDP"), port("dns-tcp", "TCP")]),
                ..Container::default()
            }],
            dns_policy: Some("Default".to_owned()),
            ..PodSpec::default()
        }),
        status: None,
        terminating: false,
        owner: None,
        template_of: None,
        replicas: 1,
        origin: Origin::synthetic(),
    }
}
