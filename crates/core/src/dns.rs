//! The DNS layer: how a name resolves from a given pod.
//!
//! Two halves. The pod's resolver, as the kubelet configures it from the
//! pod's `dnsPolicy` and `dnsConfig`
//! (<https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy>):
//! which nameserver it asks, its search list and `ndots`, and the order in
//! which it tries a name against them (the glibc stub resolver's). And the
//! cluster DNS server, answering per the Kubernetes DNS specification
//! (<https://github.com/kubernetes/dns/blob/master/docs/specification.md>)
//! the way CoreDNS's `kubernetes` plugin does: Service A/AAAA, SRV for named
//! ports, CNAME for `ExternalName`, one record per ready endpoint of a
//! headless Service, endpoint hostnames, `a-b-c-d.<ns>.pod` records and PTR.
//!
//! What the model cannot know is said, not guessed: names outside the
//! cluster domain are forwarded upstream ([`Answer::External`]) unless the
//! DNS root surely has no such name (`upstream`: a top-level label it does
//! not delegate, as a typo namespace or another cluster's domain), and queries
//! sent to a nameserver other than cluster DNS get [`Answer::Upstream`].
//! The node's own resolv.conf (search domains, nameservers, options) is not
//! in any input, so its search domains are left out of the query list.

mod reach;
mod statefulset;
mod upstream;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;

use crate::endpoints::{service_endpoints, Endpoint};
use crate::model::{Cluster, Object, Pod, PodId};
use crate::ports::Protocol;
use crate::service::{
    cluster_ips, external_name, port_name, port_protocol, selector, service_kind, service_ports, ServiceKind,
    ServiceRef,
};

pub use reach::{
    dns_pods, dns_server, with_dns_reach, DnsDenial, DnsPods, DnsPodsFound, DnsReach, DnsServer, DnsTarget,
};

/// The `ndots` the kubelet writes for cluster-first pods.
pub const CLUSTER_NDOTS: u32 = 5;

/// The kubelet's limit on search domains (`MaxDNSSearchPaths`).
pub const MAX_SEARCH_DOMAINS: usize = 32;

/// A DNS query type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum QueryType {
    /// An IPv4 address.
    A,
    /// An IPv6 address.
    #[serde(rename = "AAAA")]
    Aaaa,
    /// A service location: port and target host.
    #[serde(rename = "SRV")]
    Srv,
    /// The name of an address.
    #[serde(rename = "PTR")]
    Ptr,
    /// An alias.
    #[serde(rename = "CNAME")]
    Cname,
}

/// A pod's `dnsPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DnsPolicy {
    /// Cluster DNS, unless the pod uses the host network (then `Default`).
    ClusterFirst,
    /// Cluster DNS, host network or not.
    ClusterFirstWithHostNet,
    /// The node's resolv.conf.
    Default,
    /// Only the pod's `dnsConfig`.
    None,
}

/// A nameserver in a pod's resolv.conf.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Nameserver {
    /// The cluster DNS Service (the kubelet's `--cluster-dns`).
    ClusterDns {
        /// Its ClusterIP, when the input has the Service and the address.
        address: Option<String>,
    },
    /// The nameservers of the node's resolv.conf, not known to the model.
    Node,
    /// An address from `dnsConfig.nameservers`.
    Address {
        /// The address.
        address: String,
    },
}

/// A resolver option (`ndots:5`, `edns0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DnsOption {
    /// Its name.
    pub name: String,
    /// Its value, if any.
    pub value: Option<String>,
}

/// The resolv.conf the kubelet gives a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolverConfig {
    /// The pod's `dnsPolicy` (`ClusterFirst` when not written).
    pub policy: DnsPolicy,
    /// The policy in effect: `Default` for a `ClusterFirst` pod on the host
    /// network.
    pub effective_policy: DnsPolicy,
    /// Nameservers, in order; the first one answers.
    pub nameservers: Vec<Nameserver>,
    /// Search domains the model knows, in order.
    pub searches: Vec<String>,
    /// Whether the node's own search domains (unknown to the model) also
    /// apply, after the cluster ones and before `dnsConfig.searches`.
    pub node_searches: bool,
    /// Names with fewer dots are tried with the search domains first.
    pub ndots: u32,
    /// Options as merged from the policy's and the pod's `dnsConfig`, sorted.
    pub options: Vec<DnsOption>,
    /// Whether queries go to cluster DNS: always for cluster-first policies
    /// (the kubelet's `--cluster-dns` is assumed set), and when the first
    /// `dnsConfig` nameserver is the cluster DNS Service's address.
    pub cluster_dns: bool,
}

/// One DNS resource record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Record {
    /// The owner name, absolute, without the final dot.
    pub name: String,
    /// The type and data.
    pub data: RecordData,
    /// The Service it comes from, if any.
    pub service: Option<ServiceRef>,
    /// The pod it points to, if known.
    pub pod: Option<PodId>,
}

/// A record's type and data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type")]
pub enum RecordData {
    /// An IPv4 address; `None` when the input does not have it (a cluster IP
    /// or pod IP assigned at creation).
    A {
        /// The address.
        address: Option<String>,
    },
    /// An IPv6 address; `None` when the input does not have it.
    #[serde(rename = "AAAA")]
    Aaaa {
        /// The address.
        address: Option<String>,
    },
    /// A service location.
    #[serde(rename = "SRV")]
    Srv {
        /// The port.
        port: i32,
        /// The target host; `None` for an endpoint without hostname whose IP
        /// the input does not have.
        target: Option<String>,
    },
    /// The name of an address.
    #[serde(rename = "PTR")]
    Ptr {
        /// The name.
        target: String,
    },
    /// An alias.
    #[serde(rename = "CNAME")]
    Cname {
        /// The aliased name.
        target: String,
    },
}

/// What a query gets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    /// Cluster DNS answers with records.
    Records {
        /// The records, sorted.
        records: Vec<Record>,
    },
    /// Cluster DNS answers with an alias (an `ExternalName` Service), then
    /// with what the alias target gets.
    Alias {
        /// The CNAME record.
        records: Vec<Record>,
        /// The answer for the target.
        target: Box<Answer>,
    },
    /// Cluster DNS: no such name (NXDOMAIN).
    #[serde(rename = "nxdomain")]
    NxDomain,
    /// Cluster DNS: the name exists without records of this type (NODATA).
    #[serde(rename = "nodata")]
    NoData,
    /// Outside the cluster domain: cluster DNS forwards it upstream, beyond
    /// the model's knowledge.
    External,
    /// Sent to a nameserver that is not cluster DNS (the node's, or one from
    /// `dnsConfig`): beyond the model's knowledge.
    Upstream,
    /// A name in the cluster domain sent to a nameserver that is not cluster
    /// DNS: it does not resolve there.
    NotServed,
    /// Found in the pod's `/etc/hosts` (kubelet-managed, with `hostAliases`):
    /// no query is sent.
    HostsFile {
        /// The matching entries.
        records: Vec<Record>,
    },
    /// The name is an IP address: no query is sent.
    Literal {
        /// The address.
        address: String,
    },
}

/// Whether an answer resolves the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It does.
    Found,
    /// It does not: the resolver tries its next candidate name.
    NotFound,
    /// The model cannot tell (an upstream answer).
    Unknown,
}

/// One query the pod's resolver sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    /// The name asked, absolute, without the final dot.
    pub name: String,
    /// The type asked.
    pub qtype: QueryType,
    /// What it gets.
    pub answer: Answer,
}

/// How a name resolves from a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The name as given.
    pub name: String,
    /// The type asked.
    pub qtype: QueryType,
    /// The pod's resolver.
    pub resolver: ResolverConfig,
    /// The queries sent, in order, up to the first that does not fail.
    pub queries: Vec<Query>,
    /// The outcome: the answer of the last query unless every query failed;
    /// then NODATA if any query got NODATA (as glibc reports it), else
    /// `NotServed` if any was not served, else NXDOMAIN.
    pub answer: Answer,
}

/// Whether cluster DNS answers `a-b-c-d.<ns>.pod.<zone>` queries (the
/// CoreDNS `kubernetes` plugin's `pods` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodRecords {
    /// Always, with the address in the name (`pods insecure`, the kubeadm
    /// default and the model's assumption without a Corefile).
    Insecure,
    /// Only when a pod in that namespace has that address (`pods verified`).
    Verified,
    /// Never (`pods disabled`, the CoreDNS default when the option is absent).
    Disabled,
}

impl QueryType {
    /// Parses `A`, `AAAA`, `SRV`, `PTR` or `CNAME`, ignoring case.
    pub fn parse(text: &str) -> Option<QueryType> {
        Some(match text.to_ascii_uppercase().as_str() {
            "A" => QueryType::A,
            "AAAA" => QueryType::Aaaa,
            "SRV" => QueryType::Srv,
            "PTR" => QueryType::Ptr,
            "CNAME" => QueryType::Cname,
            _ => return None,
        })
    }

    /// The type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Srv => "SRV",
            QueryType::Ptr => "PTR",
            QueryType::Cname => "CNAME",
        }
    }
}

impl DnsPolicy {
    /// Parses a `dnsPolicy` value.
    pub fn parse(text: &str) -> Option<DnsPolicy> {
        Some(match text {
            "ClusterFirst" => DnsPolicy::ClusterFirst,
            "ClusterFirstWithHostNet" => DnsPolicy::ClusterFirstWithHostNet,
            "Default" => DnsPolicy::Default,
            "None" => DnsPolicy::None,
            _ => return None,
        })
    }

    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsPolicy::ClusterFirst => "ClusterFirst",
            DnsPolicy::ClusterFirstWithHostNet => "ClusterFirstWithHostNet",
            DnsPolicy::Default => "Default",
            DnsPolicy::None => "None",
        }
    }
}

impl Answer {
    /// Whether the answer resolves the name.
    pub fn outcome(&self) -> Outcome {
        match self {
            Answer::Records { .. } | Answer::HostsFile { .. } | Answer::Literal { .. } => Outcome::Found,
            Answer::Alias { target, .. } => target.outcome(),
            Answer::NxDomain | Answer::NoData | Answer::NotServed => Outcome::NotFound,
            Answer::External | Answer::Upstream => Outcome::Unknown,
        }
    }

    /// Every record, aliases followed.
    pub fn records(&self) -> Vec<&Record> {
        match self {
            Answer::Records { records } | Answer::HostsFile { records } => records.iter().collect(),
            Answer::Alias { records, target } => records.iter().chain(target.records()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The cluster DNS Service: `kube-system/kube-dns`, else a Service in
/// `kube-system` selecting `k8s-app: kube-dns` or `k8s-app: coredns`.
pub fn dns_service(cluster: &Cluster) -> Option<&Object<Service>> {
    cluster.service("kube-system", "kube-dns").or_else(|| {
        cluster.services().iter().find(|s| {
            s.value.metadata.namespace.as_deref() == Some("kube-system")
                && selector(&s.value)
                    .and_then(|sel| sel.get("k8s-app"))
                    .map(String::as_str)
                    .is_some_and(|app| app == "kube-dns" || app == "coredns")
        })
    })
}

/// The Service's DNS name, `<service>.<ns>.svc.<zone>`.
pub fn service_fqdn(cluster: &Cluster, service: &Service) -> String {
    let service = ServiceRef::of(service);
    format!("{}.{}.svc.{}", service.name, service.namespace, cluster.cluster_domain())
}

/// What cluster DNS does with `a-b-c-d.<ns>.pod.<zone>` queries, from the
/// CoreDNS Corefile when the input has it.
pub fn pod_records(cluster: &Cluster) -> PodRecords {
    coredns_options(cluster).pods
}

/// The resolver the kubelet configures for `pod` (`GetPodDNS`): cluster DNS
/// with the search list `<ns>.svc.<zone> svc.<zone> <zone>` and `ndots:5`
/// for cluster-first policies, the node's resolv.conf for `Default` (and for
/// `ClusterFirst` on the host network), nothing for `None`; then
/// `dnsConfig` nameservers and searches appended and options merged.
pub fn resolver_config(cluster: &Cluster, pod: &Pod) -> ResolverConfig {
    let policy = pod.spec.dns_policy.as_deref().and_then(DnsPolicy::parse).unwrap_or(DnsPolicy::ClusterFirst);
    let effective_policy = match policy {
        DnsPolicy::ClusterFirst if pod.host_network() => DnsPolicy::Default,
        other => other,
    };
    let zone = cluster.cluster_domain();
    let dns_addresses = dns_service(cluster).map(|s| cluster_ips(&s.value)).unwrap_or_default();
    let mut nameservers = Vec::new();
    let mut searches = Vec::new();
    let mut options = BTreeMap::new();
    let node_searches = match effective_policy {
        DnsPolicy::ClusterFirst | DnsPolicy::ClusterFirstWithHostNet => {
            nameservers.push(Nameserver::ClusterDns { address: dns_addresses.first().cloned() });
            searches = vec![format!("{}.svc.{zone}", pod.namespace), format!("svc.{zone}"), zone.to_owned()];
            options.insert("ndots".to_owned(), Some(CLUSTER_NDOTS.to_string()));
            true
        }
        DnsPolicy::Default => {
            nameservers.push(Nameserver::Node);
            true
        }
        DnsPolicy::None => false,
    };
    if let Some(config) = &pod.spec.dns_config {
        for address in config.nameservers.iter().flatten() {
            let nameserver = Nameserver::Address { address: address.clone() };
            if !nameservers.contains(&nameserver) {
                nameservers.push(nameserver);
            }
        }
        for search in config.searches.iter().flatten() {
            let search = search.trim_end_matches('.').to_owned();
            if !search.is_empty() && !searches.contains(&search) {
                searches.push(search);
            }
        }
        for option in config.options.iter().flatten() {
            if let Some(name) = option.name.as_ref().filter(|n| !n.is_empty()) {
                options.insert(name.clone(), option.value.clone());
            }
        }
    }
    searches.truncate(MAX_SEARCH_DOMAINS);
    // glibc: ndots defaults to 1 and is capped at 15.
    let ndots = options
        .get("ndots")
        .and_then(|v| v.as_deref())
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(1, |n| n.min(15));
    let cluster_dns = match nameservers.first() {
        Some(Nameserver::ClusterDns { .. }) => true,
        Some(Nameserver::Address { address }) => dns_addresses.contains(address),
        Some(Nameserver::Node) | None => false,
    };
    ResolverConfig {
        policy,
        effective_policy,
        nameservers,
        searches,
        node_searches,
        ndots,
        options: options.into_iter().map(|(name, value)| DnsOption { name, value }).collect(),
        cluster_dns,
    }
}

/// Resolves `name` from `pod`, as its stub resolver would: an IP address is
/// not looked up; for A and AAAA the pod's `/etc/hosts` comes first; then a
/// name ending in a dot is asked as is, a name with at least `ndots` dots is
/// asked as is and then with each search domain, and any other name with
/// each search domain and then as is, stopping at the first answer that does
/// not fail. For PTR, an IP address is turned into its reverse name.
pub fn resolve(cluster: &Cluster, pod: &Pod, name: &str, qtype: QueryType) -> Resolution {
    let resolver = resolver_config(cluster, pod);
    let mut resolution =
        Resolution { name: name.to_owned(), qtype, resolver, queries: Vec::new(), answer: Answer::NxDomain };
    let address = name.parse::<IpAddr>().ok();
    let name = match (qtype, address) {
        (QueryType::A | QueryType::Aaaa, Some(address)) => {
            resolution.answer = Answer::Literal { address: address.to_string() };
            return resolution;
        }
        (QueryType::Ptr, Some(address)) => format!("{}.", reverse_name(address)),
        _ => name.to_owned(),
    };
    if matches!(qtype, QueryType::A | QueryType::Aaaa) {
        let records = hosts_file_lookup(cluster, pod, &name, qtype);
        if !records.is_empty() {
            resolution.answer = Answer::HostsFile { records };
            return resolution;
        }
    }
    for candidate in candidate_names(&name, &resolution.resolver) {
        let answer = if resolution.resolver.cluster_dns {
            lookup(cluster, &candidate, qtype)
        } else if in_zone(&candidate, cluster.cluster_domain()) {
            Answer::NotServed
        } else {
            Answer::Upstream
        };
        let outcome = answer.outcome();
        resolution.queries.push(Query { name: candidate, qtype, answer });
        if outcome != Outcome::NotFound {
            break;
        }
    }
    resolution.answer = match resolution.queries.last() {
        Some(last) if last.answer.outcome() != Outcome::NotFound => last.answer.clone(),
        _ if resolution.queries.iter().any(|q| q.answer == Answer::NoData) => Answer::NoData,
        _ if resolution.queries.iter().any(|q| q.answer == Answer::NotServed) => Answer::NotServed,
        _ => Answer::NxDomain,
    };
    resolution
}

/// What cluster DNS answers for the absolute `name` (a final dot is
/// optional; case does not matter).
pub fn lookup(cluster: &Cluster, name: &str, qtype: QueryType) -> Answer {
    lookup_at_depth(cluster, name, qtype, 0)
}

/// How deep CNAME chains are followed.
const MAX_ALIAS_DEPTH: u32 = 8;

fn lookup_at_depth(cluster: &Cluster, name: &str, qtype: QueryType, depth: u32) -> Answer {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let zone = cluster.cluster_domain().to_ascii_lowercase();
    if name.ends_with(".in-addr.arpa") || name.ends_with(".ip6.arpa") {
        return reverse_lookup(cluster, &name, qtype);
    }
    if !in_zone(&name, &zone) {
        return upstream::upstream_answer(cluster, &name);
    }
    let rest = name.strip_suffix(zone.as_str()).unwrap_or_default().trim_end_matches('.');
    let labels: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split('.').collect() };
    let namespace_exists = |ns: &str| cluster.namespace(ns).is_some();
    match labels.as_slice() {
        [] | ["svc" | "pod"] => Answer::NoData,
        [namespace, "svc" | "pod"] if namespace_exists(namespace) => Answer::NoData,
        [service, namespace, "svc"] => service_answer(cluster, &name, namespace, service, qtype, depth),
        [port, protocol, service, namespace, "svc"] if port.starts_with('_') && protocol.starts_with('_') => {
            srv_answer(cluster, &name, namespace, service, &port[1..], &protocol[1..], qtype)
        }
        [host, service, namespace, "svc"] if !host.starts_with('_') => {
            endpoint_answer(cluster, &name, namespace, service, host, qtype)
        }
        [address, namespace, "pod"] => pod_answer(cluster, &name, namespace, address, qtype),
        _ => Answer::NxDomain,
    }
}

/// `<service>.<ns>.svc.<zone>` (spec 2.3.1, 2.4.1, 2.5).
fn service_answer(
    cluster: &Cluster,
    name: &str,
    namespace: &str,
    service_name: &str,
    qtype: QueryType,
    depth: u32,
) -> Answer {
    let Some(service) = cluster.service(namespace, service_name).map(|s| &s.value) else {
        // The API server always has `default/kubernetes`, with an address
        // the input rarely holds.
        if (namespace, service_name) == ("default", "kubernetes") {
            let service = Some(ServiceRef { namespace: "default".to_owned(), name: "kubernetes".to_owned() });
            return match qtype {
                QueryType::A => records(vec![Record {
                    name: name.to_owned(),
                    data: RecordData::A { address: None },
                    service,
                    pod: None,
                }]),
                QueryType::Srv => records(vec![Record {
                    name: name.to_owned(),
                    data: RecordData::Srv { port: 443, target: Some(name.to_owned()) },
                    service,
                    pod: None,
                }]),
                _ => Answer::NoData,
            };
        }
        return Answer::NxDomain;
    };
    let service_ref = Some(ServiceRef::of(service));
    let record = |data| Record { name: name.to_owned(), data, service: service_ref.clone(), pod: None };
    let Some(kind) = service_kind(service) else { return Answer::NxDomain };
    match kind {
        ServiceKind::ExternalName => {
            let Some(target) = external_name(service).map(|t| t.trim_end_matches('.').to_ascii_lowercase())
            else {
                return Answer::NxDomain;
            };
            let cname = vec![record(RecordData::Cname { target: target.clone() })];
            if qtype == QueryType::Cname {
                return Answer::Records { records: cname };
            }
            let target_answer = if depth >= MAX_ALIAS_DEPTH {
                Answer::NxDomain
            } else if in_zone(&target, cluster.cluster_domain()) {
                lookup_at_depth(cluster, &target, qtype, depth + 1)
            } else {
                upstream::upstream_answer(cluster, &target)
            };
            Answer::Alias { records: cname, target: Box::new(target_answer) }
        }
        ServiceKind::Headless => match qtype {
            QueryType::A | QueryType::Aaaa => {
                let endpoints = service_endpoints(cluster, service);
                let ready: Vec<&Endpoint> = endpoints.ready().collect();
                if ready.is_empty() {
                    return Answer::NxDomain;
                }
                address_answer(name, service, &ready, qtype)
            }
            QueryType::Srv => {
                let endpoints = service_endpoints(cluster, service);
                let mut found = Vec::new();
                for endpoint in endpoints.ready() {
                    for target in endpoint_targets(cluster, service, endpoint) {
                        for port in &endpoint.ports {
                            found.push(record(RecordData::Srv { port: port.port, target: target.clone() }));
                        }
                    }
                }
                records(found)
            }
            _ => Answer::NoData,
        },
        ServiceKind::ClusterIp | ServiceKind::NodePort | ServiceKind::LoadBalancer => match qtype {
            QueryType::A | QueryType::Aaaa => {
                let ips = cluster_ips(service);
                let found: Vec<Record> = if ips.is_empty() {
                    // Allocated at creation: the family is known, the address is not.
                    let families = service_families(service);
                    families
                        .iter()
                        .filter(|&&v6| v6 == (qtype == QueryType::Aaaa))
                        .map(|&v6| record(address_data(v6, None)))
                        .collect()
                } else {
                    ips.iter()
                        .filter_map(|ip| ip.parse::<IpAddr>().ok())
                        .filter(|ip| ip.is_ipv6() == (qtype == QueryType::Aaaa))
                        .map(|ip| record(address_data(ip.is_ipv6(), Some(ip.to_string()))))
                        .collect()
                };
                records(found)
            }
            // CoreDNS answers an SRV query on the Service name with every port.
            QueryType::Srv => records(
                service_ports(service)
                    .iter()
                    .map(|p| record(RecordData::Srv { port: p.port, target: Some(name.to_owned()) }))
                    .collect(),
            ),
            _ => Answer::NoData,
        },
    }
}

/// `_<port>._<proto>.<service>.<ns>.svc.<zone>` (spec 2.3.2, 2.4.2): one
/// record per named Service port, targeting the Service name, or, for a
/// headless Service, one per ready endpoint serving it, with the endpoint's
/// port (CoreDNS uses the endpoint port) and hostname.
fn srv_answer(
    cluster: &Cluster,
    name: &str,
    namespace: &str,
    service_name: &str,
    wanted: &str,
    protocol: &str,
    qtype: QueryType,
) -> Answer {
    let Some(service) = cluster.service(namespace, service_name).map(|s| &s.value) else {
        return Answer::NxDomain;
    };
    let Some(protocol) = Protocol::parse(protocol) else { return Answer::NxDomain };
    let service_ref = Some(ServiceRef::of(service));
    let record = |data, pod| Record { name: name.to_owned(), data, service: service_ref.clone(), pod };
    let fqdn = service_fqdn(cluster, service);
    let mut found = Vec::new();
    match service_kind(service) {
        None | Some(ServiceKind::ExternalName) => {}
        Some(ServiceKind::Headless) => {
            for endpoint in service_endpoints(cluster, service).ready() {
                let ports = endpoint.ports.iter().filter(|p| {
                    p.protocol == protocol
                        && p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                });
                for port in ports {
                    for target in endpoint_targets(cluster, service, endpoint) {
                        found.push(record(RecordData::Srv { port: port.port, target }, endpoint.pod));
                    }
                }
            }
        }
        Some(_) => {
            let ports = service_ports(service).iter().filter(|p| {
                port_protocol(p) == protocol && port_name(p).is_some_and(|n| n.eq_ignore_ascii_case(wanted))
            });
            for port in ports {
                found.push(record(RecordData::Srv { port: port.port, target: Some(fqdn.clone()) }, None));
            }
        }
    }
    if found.is_empty() {
        return Answer::NxDomain;
    }
    if qtype != QueryType::Srv {
        return Answer::NoData;
    }
    records(found)
}

/// `<hostname>.<service>.<ns>.svc.<zone>` for a ready endpoint of a headless
/// Service (spec 2.4.1; the pod `hostname`/`subdomain` records of
/// <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-hostname-and-subdomain-fields>).
fn endpoint_answer(
    cluster: &Cluster,
    name: &str,
    namespace: &str,
    service_name: &str,
    host: &str,
    qtype: QueryType,
) -> Answer {
    let Some(service) = cluster.service(namespace, service_name).map(|s| &s.value) else {
        return Answer::NxDomain;
    };
    if service_kind(service) != Some(ServiceKind::Headless) {
        return Answer::NxDomain;
    }
    let endpoints = service_endpoints(cluster, service);
    let matching: Vec<&Endpoint> = endpoints
        .ready()
        .filter(|e| {
            endpoint_host(cluster, e).is_some_and(|h| h.eq_ignore_ascii_case(host))
                || e.pod.is_some_and(|p| {
                    statefulset::is_representative_hostname(cluster, cluster.pod(p), service, host)
                })
        })
        .collect();
    if matching.is_empty() {
        return Answer::NxDomain;
    }
    match qtype {
        QueryType::A | QueryType::Aaaa => address_answer(name, service, &matching, qtype),
        _ => Answer::NoData,
    }
}

/// A/AAAA records for endpoints; one record without address for an endpoint
/// whose IP the input does not have (of the Service's primary family).
fn address_answer(name: &str, service: &Service, endpoints: &[&Endpoint], qtype: QueryType) -> Answer {
    let v6 = qtype == QueryType::Aaaa;
    let primary_v6 = service_families(service).first().copied().unwrap_or(false);
    let mut found: Vec<Record> = Vec::new();
    for endpoint in endpoints {
        let record = |address| Record {
            name: name.to_owned(),
            data: address_data(v6, address),
            service: Some(ServiceRef::of(service)),
            pod: endpoint.pod,
        };
        if endpoint.addresses.is_empty() {
            if primary_v6 == v6 {
                found.push(record(None));
            }
            continue;
        }
        for address in &endpoint.addresses {
            let Ok(ip) = address.parse::<IpAddr>() else { continue };
            let address = ip.to_string();
            let duplicate = found.iter().any(|r| matches!(&r.data, RecordData::A { address: Some(a) } | RecordData::Aaaa { address: Some(a) } if *a == address));
            if ip.is_ipv6() == v6 && !duplicate {
                found.push(record(Some(address)));
            }
        }
    }
    records(found)
}

/// `<a>-<b>-<c>-<d>.<ns>.pod.<zone>` (spec 2.6), as the `pods` option allows.
fn pod_answer(cluster: &Cluster, name: &str, namespace: &str, label: &str, qtype: QueryType) -> Answer {
    let mode = pod_records(cluster);
    if mode == PodRecords::Disabled {
        return Answer::NxDomain;
    }
    let Some(ip) = dashed_address(label) else { return Answer::NxDomain };
    let pod = cluster
        .pods_in(namespace)
        .iter()
        .copied()
        .find(|&id| cluster.pod(id).ips().iter().any(|a| a.parse::<IpAddr>().ok() == Some(ip)));
    if mode == PodRecords::Verified && pod.is_none() {
        return Answer::NxDomain;
    }
    if ip.is_ipv6() != (qtype == QueryType::Aaaa) {
        return Answer::NoData;
    }
    records(vec![Record {
        name: name.to_owned(),
        data: address_data(ip.is_ipv6(), Some(ip.to_string())),
        service: None,
        pod,
    }])
}

/// PTR records (spec 2.3.3, 2.4.3): a Service's cluster IP names the
/// Service; a ready endpoint of a headless Service names its hostname. Other
/// addresses fall through to upstream (the default Corefile's
/// `fallthrough in-addr.arpa ip6.arpa`).
fn reverse_lookup(cluster: &Cluster, name: &str, qtype: QueryType) -> Answer {
    let Some(ip) = parse_reverse_name(name) else { return Answer::External };
    let mut found = Vec::new();
    for service in cluster.services().iter().map(|s| &s.value) {
        let fqdn = service_fqdn(cluster, service);
        let service_ref = Some(ServiceRef::of(service));
        if cluster_ips(service).iter().any(|a| a.parse::<IpAddr>().ok() == Some(ip)) {
            found.push(Record {
                name: name.to_owned(),
                data: RecordData::Ptr { target: fqdn.clone() },
                service: service_ref.clone(),
                pod: None,
            });
        }
        if service_kind(service) != Some(ServiceKind::Headless) {
            continue;
        }
        for endpoint in service_endpoints(cluster, service).ready() {
            if !endpoint.addresses.iter().any(|a| a.parse::<IpAddr>().ok() == Some(ip)) {
                continue;
            }
            if let Some(host) = endpoint_host(cluster, endpoint) {
                let target = format!("{host}.{fqdn}");
                found.push(Record {
                    name: name.to_owned(),
                    data: RecordData::Ptr { target },
                    service: service_ref.clone(),
                    pod: endpoint.pod,
                });
            }
        }
    }
    if found.is_empty() {
        return if coredns_options(cluster).fallthrough { Answer::External } else { Answer::NxDomain };
    }
    if qtype != QueryType::Ptr {
        return Answer::NoData;
    }
    records(found)
}

/// The SRV targets of a headless Service's endpoint, one per pod it stands
/// for: `<hostname>.<service>.<ns>.svc.<zone>` (spec 2.4.2); the pods of a
/// representative StatefulSet pod each have their own hostname.
fn endpoint_targets(cluster: &Cluster, service: &Service, endpoint: &Endpoint) -> Vec<Option<String>> {
    let fqdn = service_fqdn(cluster, service);
    let hosts = endpoint
        .pod
        .map(|p| statefulset::representative_hostnames(cluster, cluster.pod(p), service))
        .unwrap_or_default();
    if hosts.is_empty() {
        return vec![endpoint_host(cluster, endpoint).map(|host| format!("{host}.{fqdn}"))];
    }
    hosts.into_iter().map(|host| Some(format!("{host}.{fqdn}"))).collect()
}

/// The hostname of an endpoint in DNS: its `hostname`, else (with
/// `endpoint_pod_names`) its pod's name, else its first address with dashes
/// (CoreDNS `endpointHostname`).
fn endpoint_host(cluster: &Cluster, endpoint: &Endpoint) -> Option<String> {
    if let Some(hostname) = &endpoint.hostname {
        return Some(hostname.clone());
    }
    if coredns_options(cluster).endpoint_pod_names {
        if let Some(target) = &endpoint.target {
            return Some(target.name.clone());
        }
    }
    let address = endpoint.addresses.first()?.parse::<IpAddr>().ok()?;
    Some(match address {
        IpAddr::V4(v4) => v4.to_string().replace('.', "-"),
        IpAddr::V6(v6) => v6.to_string().replace(':', "-"),
    })
}

/// The kubelet-managed `/etc/hosts` entries matching `name` for the query
/// type: localhost, the pod's own hostname (and FQDN with a subdomain), and
/// `hostAliases`. A host-network pod sees the node's file, of which only
/// localhost is assumed, plus its `hostAliases`.
fn hosts_file_lookup(cluster: &Cluster, pod: &Pod, name: &str, qtype: QueryType) -> Vec<Record> {
    let wanted = name.to_ascii_lowercase();
    let v6 = qtype == QueryType::Aaaa;
    let mut entries: Vec<(Option<String>, Vec<String>, Option<PodId>)> = vec![
        (Some("127.0.0.1".to_owned()), vec!["localhost".to_owned()]),
        (
            Some("::1".to_owned()),
            vec!["localhost".to_owned(), "ip6-localhost".to_owned(), "ip6-loopback".to_owned()],
        ),
    ]
    .into_iter()
    .map(|(address, names)| (address, names, None))
    .collect();
    if !pod.host_network() {
        let hostname = pod.spec.hostname.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| {
            let mut name: String = pod.name.chars().take(63).collect();
            name.truncate(name.trim_end_matches(['-', '.']).len());
            name
        });
        let mut names = Vec::new();
        if let Some(subdomain) = pod.spec.subdomain.as_deref().filter(|s| !s.is_empty()) {
            names.push(format!("{hostname}.{subdomain}.{}.svc.{}", pod.namespace, cluster.cluster_domain()));
        }
        names.push(hostname);
        let id = pod_id(cluster, pod);
        let ips = pod.ips();
        if ips.is_empty() {
            entries.push((None, names, id));
        } else {
            entries.extend(ips.into_iter().map(|ip| (Some(ip), names.clone(), id)));
        }
    }
    for alias in pod.spec.host_aliases.iter().flatten() {
        entries.push((Some(alias.ip.clone()), alias.hostnames.clone().unwrap_or_default(), None));
    }
    entries
        .into_iter()
        .filter(|(_, names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(&wanted)))
        .filter_map(|(address, _, pod)| {
            let address = match address {
                // The pod's own IP, unknown: of the cluster's usual family.
                None if !v6 => None,
                None => return None,
                Some(address) => {
                    let ip = address.parse::<IpAddr>().ok()?;
                    if ip.is_ipv6() != v6 {
                        return None;
                    }
                    Some(ip.to_string())
                }
            };
            Some(Record { name: name.to_owned(), data: address_data(v6, address), service: None, pod })
        })
        .collect()
}

/// The names the resolver tries for `name`, in order (glibc `res_nsearch`).
fn candidate_names(name: &str, resolver: &ResolverConfig) -> Vec<String> {
    if name.is_empty() || name == "." {
        return Vec::new();
    }
    if let Some(absolute) = name.strip_suffix('.') {
        return vec![absolute.to_owned()];
    }
    let dots = name.matches('.').count() as u32;
    let mut names = Vec::new();
    if dots >= resolver.ndots {
        names.push(name.to_owned());
    }
    for search in &resolver.searches {
        let candidate = if search == "." { name.to_owned() } else { format!("{name}.{search}") };
        if !names.contains(&candidate) {
            names.push(candidate);
        }
    }
    if !names.iter().any(|n| n == name) {
        names.push(name.to_owned());
    }
    names
}

/// What the model reads from the CoreDNS Corefile's `kubernetes` block.
struct CorednsOptions {
    pods: PodRecords,
    endpoint_pod_names: bool,
    fallthrough: bool,
}

fn coredns_options(cluster: &Cluster) -> CorednsOptions {
    let corefile =
        cluster.coredns_config().and_then(|c| c.value.data.as_ref()).and_then(|d| d.get("Corefile"));
    let Some(corefile) = corefile else {
        // The kubeadm default Corefile.
        return CorednsOptions { pods: PodRecords::Insecure, endpoint_pod_names: false, fallthrough: true };
    };
    let mut options =
        CorednsOptions { pods: PodRecords::Disabled, endpoint_pod_names: false, fallthrough: false };
    let mut lines = corefile.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.split_whitespace().next() != Some("kubernetes") {
            continue;
        }
        if !line.ends_with('{') {
            break;
        }
        for line in lines.by_ref() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("}") => break,
                Some("pods") => {
                    options.pods = match words.next() {
                        Some("insecure") => PodRecords::Insecure,
                        Some("verified") => PodRecords::Verified,
                        _ => PodRecords::Disabled,
                    }
                }
                Some("endpoint_pod_names") => options.endpoint_pod_names = true,
                Some("fallthrough") => options.fallthrough = true,
                _ => {}
            }
        }
        break;
    }
    options
}

fn records(mut records: Vec<Record>) -> Answer {
    if records.is_empty() {
        return Answer::NoData;
    }
    records.sort();
    records.dedup();
    Answer::Records { records }
}

fn address_data(v6: bool, address: Option<String>) -> RecordData {
    if v6 {
        RecordData::Aaaa { address }
    } else {
        RecordData::A { address }
    }
}

/// The Service's IP families, as "is IPv6", primary first: `ipFamilies`, else
/// the cluster IP's family, else IPv4.
fn service_families(service: &Service) -> Vec<bool> {
    let spec = service.spec.as_ref();
    let mut families: Vec<bool> = spec
        .iter()
        .flat_map(|s| s.ip_families.iter().flatten())
        .filter_map(|f| match f.as_str() {
            "IPv4" => Some(false),
            "IPv6" => Some(true),
            _ => None,
        })
        .collect();
    if families.is_empty() {
        let first = cluster_ips(service).first().and_then(|ip| ip.parse::<IpAddr>().ok());
        families.push(first.is_some_and(|ip| ip.is_ipv6()));
    }
    families.dedup();
    families
}

fn in_zone(name: &str, zone: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case(zone)
        || (name.len() > zone.len()
            && name.as_bytes()[name.len() - zone.len() - 1] == b'.'
            && name[name.len() - zone.len()..].eq_ignore_ascii_case(zone))
}

/// `10-0-0-1` or `fd00--1` as an address.
fn dashed_address(label: &str) -> Option<IpAddr> {
    if let Ok(v4) = label.replace('-', ".").parse::<Ipv4Addr>() {
        if label.matches('-').count() == 3 {
            return Some(IpAddr::V4(v4));
        }
    }
    label.replace('-', ":").parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// `1.0.0.10.in-addr.arpa` for 10.0.0.1; nibbles under `ip6.arpa` for IPv6.
fn reverse_name(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut nibbles: Vec<String> = Vec::with_capacity(32);
            for byte in v6.octets().iter().rev() {
                nibbles.push(format!("{:x}", byte & 0xf));
                nibbles.push(format!("{:x}", byte >> 4));
            }
            format!("{}.ip6.arpa", nibbles.join("."))
        }
    }
}

fn parse_reverse_name(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let octets: Vec<u8> = rest.split('.').map(|p| p.parse::<u8>().ok()).collect::<Option<_>>()?;
        let [d, c, b, a] = octets.as_slice() else { return None };
        return Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d)));
    }
    let rest = name.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<u8> = rest
        .split('.')
        .map(|p| if p.len() == 1 { u8::from_str_radix(p, 16).ok() } else { None })
        .collect::<Option<_>>()?;
    if nibbles.len() != 32 {
        return None;
    }
    let mut octets = [0u8; 16];
    for (i, pair) in nibbles.chunks(2).enumerate() {
        octets[15 - i] = pair[0] | (pair[1] << 4);
    }
    Some(IpAddr::V6(Ipv6Addr::from(octets)))
}

fn pod_id(cluster: &Cluster, pod: &Pod) -> Option<PodId> {
    cluster.pods_in(&pod.namespace).iter().copied().find(|&id| std::ptr::eq(cluster.pod(id), pod))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn service(namespace: &str, name: &str, spec: Value) -> Value {
        json!({"kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
    }

    fn pod(namespace: &str, name: &str, spec: Value, status: Value) -> Value {
        let mut spec = spec;
        spec["containers"] = json!([{"name": "c"}]);
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
               "spec": spec, "status": status})
    }

    fn running(ip: &str) -> Value {
        json!({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "conditions": [{"type": "Ready", "status": "True"}]})
    }

    /// A small cluster: the DNS Service, `prod/api` (ClusterIP with named
    /// ports), the client pod `app/client`, plus `extra`.
    fn objects(extra: Vec<Value>) -> Vec<Value> {
        let mut objects = vec![
            service(
                "kube-system",
                "kube-dns",
                json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}),
            ),
            service(
                "prod",
                "api",
                json!({"clusterIP": "10.96.1.1", "selector": {"app": "api"},
                     "ports": [{"name": "http", "port": 80}, {"port": 9000, "name": "grpc", "protocol": "TCP"}]}),
            ),
            pod("app", "client", json!({}), running("10.244.0.5")),
        ];
        objects.extend(extra);
        objects
    }

    fn render_record(record: &Record) -> String {
        let unknown = || "?".to_owned();
        match &record.data {
            RecordData::A { address } => format!("A {}", address.clone().unwrap_or_else(unknown)),
            RecordData::Aaaa { address } => format!("AAAA {}", address.clone().unwrap_or_else(unknown)),
            RecordData::Srv { port, target } => {
                format!("SRV {port} {}", target.clone().unwrap_or_else(unknown))
            }
            RecordData::Ptr { target } => format!("PTR {target}"),
            RecordData::Cname { target } => format!("CNAME {target}"),
        }
    }

    fn render(answer: &Answer) -> String {
        match answer {
            Answer::Records { records } => records.iter().map(render_record).collect::<Vec<_>>().join(", "),
            Answer::Alias { records, target } => format!(
                "{} -> {}",
                records.iter().map(render_record).collect::<Vec<_>>().join(", "),
                render(target)
            ),
            Answer::HostsFile { records } => {
                format!("hosts-file {}", records.iter().map(render_record).collect::<Vec<_>>().join(", "))
            }
            Answer::Literal { address } => format!("literal {address}"),
            other => format!("{other:?}"),
        }
    }

    /// Resolves `name` from the pod `from` (`ns/name`), one line per query
    /// and a final `=>` line.
    fn check(objects: Vec<Value>, from: &str, name: &str, qtype: QueryType, expect: &str) {
        let cluster = cluster(objects);
        let (namespace, pod_name) = from.split_once('/').unwrap();
        let pod = cluster
            .pods()
            .iter()
            .find(|p| p.namespace == namespace && p.name == pod_name)
            .expect("source pod");
        let resolution = resolve(&cluster, pod, name, qtype);
        let mut lines: Vec<String> = resolution
            .queries
            .iter()
            .map(|q| format!("{} {} -> {}", q.name, q.qtype.as_str(), render(&q.answer)))
            .collect();
        lines.push(format!("=> {}", render(&resolution.answer)));
        let actual = lines.join("\n");
        assert_eq!(actual, expect.trim(), "\nactual:\n{actual}");
    }

    // A short name gets the pod's namespace first; <svc>.<ns> the second
    // search domain:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services
    #[test]
    fn search_list_of_cluster_first_pods() {
        check(
            objects(vec![pod("prod", "web", json!({}), running("10.244.0.9"))]),
            "prod/web",
            "api",
            QueryType::A,
            "
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        check(
            objects(vec![]),
            "app/client",
            "api.prod",
            QueryType::A,
            "
api.prod.app.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
    }

    // A Service in another namespace is not found by its short name; the
    // resolver ends with the name as is, forwarded upstream, where the root
    // has no top-level `api` (RFC 1034 §4.3.2: a name error):
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services
    #[test]
    fn short_name_from_another_namespace() {
        check(
            objects(vec![]),
            "app/client",
            "api",
            QueryType::A,
            "
api.app.svc.cluster.local A -> NxDomain
api.svc.cluster.local A -> NxDomain
api.cluster.local A -> NxDomain
api A -> NxDomain
=> NxDomain",
        );
    }

    // A typo namespace: every search-list name is NXDOMAIN, and the name as
    // is (fewer dots than ndots, so last) is under no delegated top-level
    // label, so upstream says NXDOMAIN too; never "forwarded upstream":
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services
    #[test]
    fn typo_namespace_is_nxdomain() {
        check(
            objects(vec![]),
            "app/client",
            "api.prd",
            QueryType::A,
            "
api.prd.app.svc.cluster.local A -> NxDomain
api.prd.svc.cluster.local A -> NxDomain
api.prd.cluster.local A -> NxDomain
api.prd A -> NxDomain
=> NxDomain",
        );
    }

    // glibc res_nsearch and musl name_from_dns_search: with ndots:2, a name
    // with one dot goes through the search list first and then as is; one
    // with two dots is asked as is first, then with the search list:
    // https://man7.org/linux/man-pages/man5/resolv.conf.5.html (options ndots)
    #[test]
    fn ndots_from_dns_config() {
        let client = pod(
            "app",
            "client",
            json!({"dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}),
            running("10.244.0.7"),
        );
        check(
            objects(vec![client.clone()]),
            "app/client",
            "api.prod",
            QueryType::A,
            "
api.prod.app.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        check(
            objects(vec![client]),
            "app/client",
            "api.prod.svc",
            QueryType::A,
            "
api.prod.svc A -> NxDomain
api.prod.svc.app.svc.cluster.local A -> NxDomain
api.prod.svc.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
    }

    // ndots:5: a name with fewer dots goes through the search list first; one
    // with at least 5 is asked as is first; a trailing dot means absolute:
    // https://man7.org/linux/man-pages/man5/resolv.conf.5.html (options ndots)
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config
    #[test]
    fn ndots_and_absolute_names() {
        check(
            objects(vec![]),
            "app/client",
            "api.prod.svc.cluster.local",
            QueryType::A,
            "
api.prod.svc.cluster.local.app.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local.cluster.local A -> NxDomain
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        check(
            objects(vec![]),
            "app/client",
            "api.prod.svc.cluster.local.",
            QueryType::A,
            "
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        check(
            objects(vec![]),
            "app/client",
            "a.b.c.d.example.com",
            QueryType::A,
            "
a.b.c.d.example.com A -> External
=> External",
        );
    }

    // dnsConfig options override the policy's (ndots:1 here), searches are
    // appended after the cluster's:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config
    #[test]
    fn dns_config_merges() {
        let client = pod(
            "app",
            "tuned",
            json!({"dnsConfig": {"options": [{"name": "ndots", "value": "1"}, {"name": "edns0"}],
                                 "searches": ["corp.example.com", "svc.cluster.local"]}}),
            running("10.244.0.6"),
        );
        let cluster = cluster(objects(vec![client.clone()]));
        let pod = cluster.pods().iter().find(|p| p.name == "tuned").unwrap();
        let config = resolver_config(&cluster, pod);
        assert_eq!(
            config.searches,
            ["app.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example.com"]
        );
        assert_eq!(config.ndots, 1);
        assert_eq!(config.nameservers, [Nameserver::ClusterDns { address: Some("10.96.0.10".to_owned()) }]);
        assert!(config.cluster_dns && config.node_searches);
        assert_eq!(
            config.options,
            [
                DnsOption { name: "edns0".to_owned(), value: None },
                DnsOption { name: "ndots".to_owned(), value: Some("1".to_owned()) }
            ]
        );
        // With ndots:1, `api.prod` is asked as is first, and goes upstream.
        check(
            objects(vec![client]),
            "app/tuned",
            "api.prod",
            QueryType::A,
            "
api.prod A -> External
=> External",
        );
    }

    // dnsPolicy Default uses the node's resolv.conf: cluster names do not
    // resolve there:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy
    #[test]
    fn default_policy_bypasses_cluster_dns() {
        let extra = vec![pod("app", "node-dns", json!({"dnsPolicy": "Default"}), running("10.244.0.7"))];
        check(
            objects(extra.clone()),
            "app/node-dns",
            "api.prod.svc.cluster.local",
            QueryType::A,
            "
api.prod.svc.cluster.local A -> NotServed
=> NotServed",
        );
        check(
            objects(extra),
            "app/node-dns",
            "example.com",
            QueryType::A,
            "example.com A -> Upstream\n=> Upstream",
        );
    }

    // ClusterFirst on a host-network pod falls back to Default;
    // ClusterFirstWithHostNet keeps cluster DNS:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy
    #[test]
    fn host_network_pods() {
        let extra = vec![
            pod("app", "host", json!({"hostNetwork": true}), running("192.168.0.2")),
            pod(
                "app",
                "host-cluster",
                json!({"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"}),
                running("192.168.0.3"),
            ),
        ];
        let cluster = cluster(objects(extra.clone()));
        let host = cluster.pods().iter().find(|p| p.name == "host").unwrap();
        let config = resolver_config(&cluster, host);
        assert_eq!((config.policy, config.effective_policy), (DnsPolicy::ClusterFirst, DnsPolicy::Default));
        assert_eq!(config.ndots, 1);
        check(
            objects(extra.clone()),
            "app/host",
            "api.prod",
            QueryType::A,
            "api.prod A -> Upstream\n=> Upstream",
        );
        check(
            objects(extra),
            "app/host-cluster",
            "api.prod",
            QueryType::A,
            "
api.prod.app.svc.cluster.local A -> NxDomain
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
    }

    // dnsPolicy None: only dnsConfig; queries reach cluster DNS only when its
    // address is the first nameserver:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config
    #[test]
    fn none_policy() {
        let extra = vec![
            pod(
                "app",
                "custom",
                json!({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["10.96.0.10"], "searches": ["prod.svc.cluster.local"]}}),
                running("10.244.0.8"),
            ),
            pod(
                "app",
                "public",
                json!({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"]}}),
                running("10.244.0.9"),
            ),
        ];
        check(
            objects(extra.clone()),
            "app/custom",
            "api",
            QueryType::A,
            "
api.prod.svc.cluster.local A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        check(
            objects(extra),
            "app/public",
            "api.prod.svc.cluster.local",
            QueryType::A,
            "api.prod.svc.cluster.local A -> NotServed\n=> NotServed",
        );
    }

    // A headless Service has one A record per ready endpoint, NXDOMAIN when
    // none is ready; a pod with hostname/subdomain gets its own name:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#24---records-for-a-headless-service
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-hostname-and-subdomain-fields
    #[test]
    fn headless_services() {
        let not_ready = json!({"phase": "Running", "podIP": "10.244.1.3", "conditions": [{"type": "Ready", "status": "False"}]});
        let member = |name: &str, hostname: Value, status: Value| {
            let mut p = pod("prod", name, json!({"hostname": hostname, "subdomain": "db"}), status);
            p["metadata"]["labels"] = json!({"app": "db"});
            p
        };
        let extra = vec![
            service(
                "prod",
                "db",
                json!({"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"name": "pg", "port": 5432}]}),
            ),
            service("prod", "empty", json!({"clusterIP": "None", "selector": {"app": "none"}})),
            member("db-0", json!("db-0"), running("10.244.1.1")),
            member("db-1", json!(null), running("10.244.1.2")),
            member("db-2", json!("db-2"), not_ready),
        ];
        check(
            objects(extra.clone()),
            "app/client",
            "db.prod",
            QueryType::A,
            "
db.prod.app.svc.cluster.local A -> NxDomain
db.prod.svc.cluster.local A -> A 10.244.1.1, A 10.244.1.2
=> A 10.244.1.1, A 10.244.1.2",
        );
        check(
            objects(extra.clone()),
            "prod/db-1",
            "db-0.db",
            QueryType::A,
            "
db-0.db.prod.svc.cluster.local A -> A 10.244.1.1
=> A 10.244.1.1",
        );
        // Not ready: no record for db-2; an endpoint without hostname is
        // named after its address.
        check(
            objects(extra.clone()),
            "prod/db-0",
            "db-2.db.prod.svc.cluster.local.",
            QueryType::A,
            "db-2.db.prod.svc.cluster.local A -> NxDomain\n=> NxDomain",
        );
        check(
            objects(extra.clone()),
            "prod/db-0",
            "_pg._tcp.db.prod.svc.cluster.local.",
            QueryType::Srv,
            "
_pg._tcp.db.prod.svc.cluster.local SRV -> SRV 5432 10-244-1-2.db.prod.svc.cluster.local, SRV 5432 db-0.db.prod.svc.cluster.local
=> SRV 5432 10-244-1-2.db.prod.svc.cluster.local, SRV 5432 db-0.db.prod.svc.cluster.local",
        );
        check(
            objects(extra),
            "prod/db-0",
            "empty.prod.svc.cluster.local.",
            QueryType::A,
            "empty.prod.svc.cluster.local A -> NxDomain\n=> NxDomain",
        );
    }

    // SRV records exist for named ports only:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#232---srv-records
    #[test]
    fn srv_for_named_ports() {
        check(
            objects(vec![]),
            "app/client",
            "_http._tcp.api.prod.svc.cluster.local.",
            QueryType::Srv,
            "
_http._tcp.api.prod.svc.cluster.local SRV -> SRV 80 api.prod.svc.cluster.local
=> SRV 80 api.prod.svc.cluster.local",
        );
        check(
            objects(vec![]),
            "app/client",
            "_http._udp.api.prod.svc.cluster.local.",
            QueryType::Srv,
            "_http._udp.api.prod.svc.cluster.local SRV -> NxDomain\n=> NxDomain",
        );
        check(
            objects(vec![]),
            "app/client",
            "_http._tcp.api.prod.svc.cluster.local.",
            QueryType::A,
            "_http._tcp.api.prod.svc.cluster.local A -> NoData\n=> NoData",
        );
    }

    // ExternalName is a CNAME; CoreDNS follows in-cluster targets:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#25---records-for-external-name-services
    #[test]
    fn external_name_services() {
        let extra = vec![
            service("prod", "db", json!({"type": "ExternalName", "externalName": "db.example.com"})),
            service(
                "app",
                "api",
                json!({"type": "ExternalName", "externalName": "api.prod.svc.cluster.local"}),
            ),
        ];
        check(
            objects(extra.clone()),
            "app/client",
            "db.prod.svc.cluster.local.",
            QueryType::A,
            "
db.prod.svc.cluster.local A -> CNAME db.example.com -> External
=> CNAME db.example.com -> External",
        );
        check(
            objects(extra.clone()),
            "app/client",
            "api",
            QueryType::A,
            "
api.app.svc.cluster.local A -> CNAME api.prod.svc.cluster.local -> A 10.96.1.1
=> CNAME api.prod.svc.cluster.local -> A 10.96.1.1",
        );
        check(
            objects(extra),
            "app/client",
            "db.prod.svc.cluster.local.",
            QueryType::Cname,
            "db.prod.svc.cluster.local CNAME -> CNAME db.example.com\n=> CNAME db.example.com",
        );
    }

    // Pod A records a-b-c-d.<ns>.pod.<zone>: answered from the name with
    // `pods insecure` (kubeadm's Corefile), checked with `pods verified`,
    // absent when the Corefile does not enable them:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#a-aaaa-records-1
    // https://coredns.io/plugins/kubernetes/
    #[test]
    fn pod_records_follow_the_corefile() {
        let corefile = |pods: &str| {
            json!({"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
                   "data": {"Corefile": format!(".:53 {{\n    kubernetes cluster.local in-addr.arpa ip6.arpa {{\n       {pods}\n       fallthrough in-addr.arpa ip6.arpa\n    }}\n    forward . /etc/resolv.conf\n}}\n")}})
        };
        let name = "10-244-0-5.app.pod.cluster.local.";
        check(
            objects(vec![]),
            "app/client",
            name,
            QueryType::A,
            "10-244-0-5.app.pod.cluster.local A -> A 10.244.0.5\n=> A 10.244.0.5",
        );
        check(
            objects(vec![]),
            "app/client",
            "fd00--5.app.pod.cluster.local.",
            QueryType::Aaaa,
            "fd00--5.app.pod.cluster.local AAAA -> AAAA fd00::5\n=> AAAA fd00::5",
        );
        check(
            objects(vec![corefile("pods verified")]),
            "app/client",
            "10-244-0-99.app.pod.cluster.local.",
            QueryType::A,
            "10-244-0-99.app.pod.cluster.local A -> NxDomain\n=> NxDomain",
        );
        check(
            objects(vec![corefile("pods verified")]),
            "app/client",
            name,
            QueryType::A,
            "10-244-0-5.app.pod.cluster.local A -> A 10.244.0.5\n=> A 10.244.0.5",
        );
        check(
            objects(vec![corefile("ttl 30")]),
            "app/client",
            name,
            QueryType::A,
            "10-244-0-5.app.pod.cluster.local A -> NxDomain\n=> NxDomain",
        );
    }

    // PTR for a Service's cluster IP; other addresses fall through upstream:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#233---ptr-record
    #[test]
    fn reverse_lookups() {
        check(
            objects(vec![]),
            "app/client",
            "10.96.1.1",
            QueryType::Ptr,
            "1.1.96.10.in-addr.arpa PTR -> PTR api.prod.svc.cluster.local\n=> PTR api.prod.svc.cluster.local",
        );
        check(
            objects(vec![]),
            "app/client",
            "192.0.2.1",
            QueryType::Ptr,
            "1.2.0.192.in-addr.arpa PTR -> External\n=> External",
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            parse_reverse_name(&reverse_name("2001:db8::1".parse().unwrap())),
            Some("2001:db8::1".parse().unwrap())
        );
    }

    // An AAAA query on an IPv4-only Service gets NODATA, which the resolver
    // reports after trying every name:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#23---records-for-a-service-with-clusterip
    #[test]
    fn no_data_for_the_other_family() {
        check(
            objects(vec![]),
            "app/client",
            "api.prod",
            QueryType::Aaaa,
            "
api.prod.app.svc.cluster.local AAAA -> NxDomain
api.prod.svc.cluster.local AAAA -> NoData
api.prod.cluster.local AAAA -> NxDomain
api.prod AAAA -> External
=> External",
        );
        check(
            objects(vec![]),
            "app/client",
            "api.prod.svc.cluster.local.",
            QueryType::Aaaa,
            "api.prod.svc.cluster.local AAAA -> NoData\n=> NoData",
        );
    }

    // Manifests leave the cluster IP to the API server: the record exists,
    // its address is not known. `default/kubernetes` always exists:
    // https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/
    #[test]
    fn unallocated_cluster_ips() {
        check(
            objects(vec![service(
                "app",
                "web",
                json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}),
            )]),
            "app/client",
            "web",
            QueryType::A,
            "web.app.svc.cluster.local A -> A ?\n=> A ?",
        );
        check(
            objects(vec![]),
            "app/client",
            "kubernetes.default",
            QueryType::A,
            "
kubernetes.default.app.svc.cluster.local A -> NxDomain
kubernetes.default.svc.cluster.local A -> A ?
=> A ?",
        );
    }

    // /etc/hosts comes before DNS: localhost, the pod's own hostname (and its
    // FQDN with a subdomain), hostAliases:
    // https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/
    #[test]
    fn hosts_file() {
        let extra = vec![pod(
            "app",
            "aliased",
            json!({"hostname": "box", "subdomain": "grp", "hostAliases": [{"ip": "192.0.2.50", "hostnames": ["legacy.corp"]}]}),
            running("10.244.0.20"),
        )];
        check(objects(extra.clone()), "app/aliased", "localhost", QueryType::A, "=> hosts-file A 127.0.0.1");
        check(objects(extra.clone()), "app/aliased", "localhost", QueryType::Aaaa, "=> hosts-file AAAA ::1");
        check(
            objects(extra.clone()),
            "app/aliased",
            "legacy.corp",
            QueryType::A,
            "=> hosts-file A 192.0.2.50",
        );
        check(
            objects(extra.clone()),
            "app/aliased",
            "box.grp.app.svc.cluster.local",
            QueryType::A,
            "=> hosts-file A 10.244.0.20",
        );
        check(objects(extra.clone()), "app/client", "client", QueryType::A, "=> hosts-file A 10.244.0.5");
        check(objects(extra), "app/client", "10.0.0.1", QueryType::A, "=> literal 10.0.0.1");
    }

    // The cluster domain comes from the Corefile's kubernetes zone:
    // https://kubernetes.io/docs/tasks/administer-cluster/dns-custom-nameservers/#coredns-configmap-options
    #[test]
    fn custom_cluster_domain() {
        let corefile = json!({"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
                              "data": {"Corefile": ".:53 {\n    kubernetes k8s.internal in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n}\n"}});
        check(
            objects(vec![corefile.clone()]),
            "app/client",
            "api.prod",
            QueryType::A,
            "
api.prod.app.svc.k8s.internal A -> NxDomain
api.prod.svc.k8s.internal A -> A 10.96.1.1
=> A 10.96.1.1",
        );
        // Another cluster's domain is not this one's: `.local` is never
        // delegated (RFC 6762), so upstream says NXDOMAIN.
        check(
            objects(vec![corefile]),
            "app/client",
            "api.prod.svc.cluster.local",
            QueryType::A,
            "
api.prod.svc.cluster.local.app.svc.k8s.internal A -> NxDomain
api.prod.svc.cluster.local.svc.k8s.internal A -> NxDomain
api.prod.svc.cluster.local.k8s.internal A -> NxDomain
api.prod.svc.cluster.local A -> NxDomain
=> NxDomain",
        );
    }

    // The DNS Service is kube-system/kube-dns, or one selecting
    // k8s-app=kube-dns / coredns:
    // https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/#is-dns-service-up
    #[test]
    fn finds_the_dns_service() {
        let cluster_with = |objects: Vec<Value>| cluster(objects);
        let named = cluster_with(objects(vec![]));
        assert_eq!(
            dns_service(&named).and_then(|s| s.value.metadata.name.clone()).as_deref(),
            Some("kube-dns")
        );
        let by_selector = cluster_with(vec![service(
            "kube-system",
            "coredns",
            json!({"selector": {"k8s-app": "coredns"}, "ports": [{"port": 53}]}),
        )]);
        assert_eq!(
            dns_service(&by_selector).and_then(|s| s.value.metadata.name.clone()).as_deref(),
            Some("coredns")
        );
        let none = cluster_with(vec![service(
            "kube-system",
            "metrics",
            json!({"selector": {"k8s-app": "metrics"}, "ports": [{"port": 443}]}),
        )]);
        assert!(dns_service(&none).is_none());
    }

    // Intermediate names exist (NODATA) only for existing namespaces;
    // anything else under the zone is NXDOMAIN:
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#21---definitions
    #[test]
    fn other_names_in_the_zone() {
        let cluster = cluster(objects(vec![]));
        assert_eq!(lookup(&cluster, "prod.svc.cluster.local", QueryType::A), Answer::NoData);
        assert_eq!(lookup(&cluster, "nowhere.svc.cluster.local", QueryType::A), Answer::NxDomain);
        assert_eq!(lookup(&cluster, "a.b.c.d.e.cluster.local", QueryType::A), Answer::NxDomain);
        assert_eq!(lookup(&cluster, "API.PROD.SVC.CLUSTER.LOCAL.", QueryType::A).outcome(), Outcome::Found);
        assert_eq!(QueryType::parse("aaaa"), Some(QueryType::Aaaa));
    }
}
