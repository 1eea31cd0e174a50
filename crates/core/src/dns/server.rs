//! What cluster DNS answers, per the Kubernetes DNS specification
//! (<https://github.com/kubernetes/dns/blob/master/docs/specification.md>)
//! the way CoreDNS's `kubernetes` plugin does: Service A/AAAA, SRV for named
//! ports, CNAME for `ExternalName`, one record per ready endpoint of a
//! headless Service, endpoint hostnames and `a-b-c-d.<ns>.pod` records.
//! Names outside the zone go to `upstream.rs`; reverse names to
//! `reverse.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;

use super::corefile::coredns_options;
use super::names::{endpoint_host, service_fqdn};
use super::reverse::reverse_lookup;
use super::{address_data, records, statefulset, upstream, Answer, QueryType, Record, RecordData};
use crate::endpoints::{service_endpoints, Endpoint};
use crate::model::{Cluster, Object};
use crate::ports::Protocol;
use crate::service::{
    cluster_ips, external_name, port_name, port_protocol, selector, service_kind, service_ports, ServiceKind,
    ServiceRef,
};

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

/// The cluster DNS Service: `kube-system/kube-dns`, else a Service in
/// `kube-system` selecting `k8s-app: kube-dns` or `k8s-app: coredns`.
pub fn dns_service(cluster: &Cluster) -> Option<&Object<Service>> {
    cluster.service("kube-system", "kube-dns").or_else(|| {
        // The Services of `kube-system` only, from the cluster index (in
        // input order, as a walk over every Service would find them).
        let mut in_kube_system =
            cluster.index().services_in("kube-system").iter().map(|&i| &cluster.services()[i]);
        in_kube_system.find(|s| {
            s.value.metadata.namespace.as_deref() == Some("kube-system")
                && selector(&s.value)
                    .and_then(|sel| sel.get("k8s-app"))
                    .map(String::as_str)
                    .is_some_and(|app| app == "kube-dns" || app == "coredns")
        })
    })
}

/// What cluster DNS does with `a-b-c-d.<ns>.pod.<zone>` queries, from the
/// CoreDNS Corefile when the input has it.
pub fn pod_records(cluster: &Cluster) -> PodRecords {
    coredns_options(cluster).pods
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
            return api_server_answer(name, qtype);
        }
        return Answer::NxDomain;
    };
    let Some(kind) = service_kind(service) else { return Answer::NxDomain };
    match kind {
        ServiceKind::ExternalName => external_name_answer(cluster, name, service, qtype, depth),
        ServiceKind::Headless => headless_answer(cluster, name, service, qtype),
        ServiceKind::ClusterIp | ServiceKind::NodePort | ServiceKind::LoadBalancer => {
            cluster_ip_answer(name, service, qtype)
        }
    }
}

/// `kubernetes.default.svc.<zone>` when the input lacks the Service: an
/// address not known, and the HTTPS port.
fn api_server_answer(name: &str, qtype: QueryType) -> Answer {
    let service = Some(ServiceRef { namespace: "default".to_owned(), name: "kubernetes".to_owned() });
    let record = |data| Record { name: name.to_owned(), data, service: service.clone(), pod: None };
    match qtype {
        QueryType::A => records(vec![record(RecordData::A { address: None })]),
        QueryType::Srv => records(vec![record(RecordData::Srv { port: 443, target: Some(name.to_owned()) })]),
        _ => Answer::NoData,
    }
}

/// The record of a Service's own name, with `data`.
fn service_record(name: &str, service: &Service, data: RecordData) -> Record {
    Record { name: name.to_owned(), data, service: Some(ServiceRef::of(service)), pod: None }
}

/// An `ExternalName` Service: a CNAME, followed in the zone (up to
/// `MAX_ALIAS_DEPTH`), else upstream.
fn external_name_answer(
    cluster: &Cluster,
    name: &str,
    service: &Service,
    qtype: QueryType,
    depth: u32,
) -> Answer {
    let Some(target) = external_name(service).map(|t| t.trim_end_matches('.').to_ascii_lowercase()) else {
        return Answer::NxDomain;
    };
    let cname = vec![service_record(name, service, RecordData::Cname { target: target.clone() })];
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

/// A headless Service: its ready endpoints' addresses, or SRV records to
/// their hostnames.
fn headless_answer(cluster: &Cluster, name: &str, service: &Service, qtype: QueryType) -> Answer {
    match qtype {
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
                        let data = RecordData::Srv { port: port.port, target: target.clone() };
                        found.push(service_record(name, service, data));
                    }
                }
            }
            records(found)
        }
        _ => Answer::NoData,
    }
}

/// A Service with a cluster IP: its addresses of the asked family, or SRV
/// records for every port.
fn cluster_ip_answer(name: &str, service: &Service, qtype: QueryType) -> Answer {
    let record = |data| service_record(name, service, data);
    match qtype {
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

pub(crate) fn in_zone(name: &str, zone: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::dns::test_support::*;
    use crate::dns::Outcome;
    use crate::testing::cluster;

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
