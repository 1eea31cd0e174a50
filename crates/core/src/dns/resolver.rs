//! The pod's resolver, as the kubelet configures it from the pod's
//! `dnsPolicy` and `dnsConfig`
//! (<https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy>):
//! which nameserver it asks, its search list and `ndots`, its `/etc/hosts`,
//! and the order in which it tries a name (the glibc stub resolver's).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::reverse::reverse_name;
use super::server::{dns_service, in_zone, lookup};
use super::{address_data, Answer, Outcome, QueryType, Record};
use crate::model::{Cluster, Pod, PodId};
use crate::service::cluster_ips;

/// The `ndots` the kubelet writes for cluster-first pods.
pub const CLUSTER_NDOTS: u32 = 5;

/// The kubelet's limit on search domains (`MaxDNSSearchPaths`).
pub const MAX_SEARCH_DOMAINS: usize = 32;

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

/// The resolver the kubelet configures for `pod` (`GetPodDNS`): cluster DNS
/// with the search list `<ns>.svc.<zone> svc.<zone> <zone>` and `ndots:5`
/// for cluster-first policies, the node's resolv.conf for `Default` (and for
/// `ClusterFirst` on the host network), nothing for `None`; then
/// `dnsConfig` nameservers and searches appended and options merged.
pub fn resolver_config(cluster: &Cluster, pod: &Pod) -> ResolverConfig {
    resolver_config_with(cluster, pod, &cluster_dns_addresses(cluster))
}

/// The cluster DNS Service's ClusterIPs (none without the Service), which
/// [`resolver_config_with`] takes: found once for many pods.
pub(crate) fn cluster_dns_addresses(cluster: &Cluster) -> Vec<String> {
    dns_service(cluster).map(|s| cluster_ips(&s.value)).unwrap_or_default()
}

/// [`resolver_config`], with the cluster DNS Service's addresses given
/// ([`cluster_dns_addresses`]).
pub(crate) fn resolver_config_with(cluster: &Cluster, pod: &Pod, dns_addresses: &[String]) -> ResolverConfig {
    let policy = pod.spec.dns_policy.as_deref().and_then(DnsPolicy::parse).unwrap_or(DnsPolicy::ClusterFirst);
    let effective_policy = match policy {
        DnsPolicy::ClusterFirst if pod.host_network() => DnsPolicy::Default,
        other => other,
    };
    let zone = cluster.cluster_domain();
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

fn pod_id(cluster: &Cluster, pod: &Pod) -> Option<PodId> {
    cluster.pods_in(&pod.namespace).iter().copied().find(|&id| std::ptr::eq(cluster.pod(id), pod))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dns::test_support::*;
    use crate::testing::cluster;

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
}
