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
//!
//! One file per idea: `resolver.rs` (the pod's resolv.conf and the queries
//! it sends), `server.rs` (what cluster DNS answers for names in the zone),
//! `reverse.rs` (PTR), `names.rs` (the names Services and endpoints get),
//! `corefile.rs` (the options the model reads from the CoreDNS Corefile),
//! beside `reach.rs`, `statefulset.rs` and `upstream.rs`; the `kubereach dns`
//! report built from them is `dns_report.rs`, above this layer and `trace`.
//! Everything public is re-exported here.

mod close;
mod corefile;
mod names;
mod reach;
mod resolver;
mod reverse;
mod server;
mod statefulset;
#[cfg(test)]
pub(crate) mod test_support;
mod upstream;

use serde::Serialize;

use crate::model::PodId;
use crate::service::ServiceRef;

pub use close::close_services;
pub use names::service_fqdn;
pub use reach::dns_clients_where;
pub use reach::{
    dns_pods, dns_server, egress_isolated_dns_clients, with_dns_reach, DnsDenial, DnsPods, DnsPodsFound,
    DnsReach, DnsServer, DnsTarget,
};
pub use resolver::{
    resolve, resolver_config, DnsOption, DnsPolicy, Nameserver, Query, Resolution, ResolverConfig,
    CLUSTER_NDOTS, MAX_SEARCH_DOMAINS,
};
pub use server::{dns_service, lookup, pod_records, PodRecords};

pub(crate) use server::in_zone;

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

pub(crate) fn records(mut records: Vec<Record>) -> Answer {
    if records.is_empty() {
        return Answer::NoData;
    }
    records.sort();
    records.dedup();
    Answer::Records { records }
}

pub(crate) fn address_data(v6: bool, address: Option<String>) -> RecordData {
    if v6 {
        RecordData::Aaaa { address }
    } else {
        RecordData::A { address }
    }
}
