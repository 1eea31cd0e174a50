//! Reverse lookups (PTR, spec 2.3.3 and 2.4.3 of
//! <https://github.com/kubernetes/dns/blob/master/docs/specification.md>):
//! the names under `in-addr.arpa` and `ip6.arpa`, and what cluster DNS
//! answers for them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::corefile::coredns_options;
use super::names::{endpoint_host, service_fqdn};
use super::{records, Answer, QueryType, Record, RecordData};
use crate::endpoints::service_endpoints;
use crate::model::Cluster;
use crate::service::{cluster_ips, service_kind, ServiceKind, ServiceRef};

/// PTR records (spec 2.3.3, 2.4.3): a Service's cluster IP names the
/// Service; a ready endpoint of a headless Service names its hostname. Other
/// addresses fall through to upstream (the default Corefile's
/// `fallthrough in-addr.arpa ip6.arpa`).
pub(super) fn reverse_lookup(cluster: &Cluster, name: &str, qtype: QueryType) -> Answer {
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

/// `1.0.0.10.in-addr.arpa` for 10.0.0.1; nibbles under `ip6.arpa` for IPv6.
pub(super) fn reverse_name(address: IpAddr) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::test_support::*;

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
}
