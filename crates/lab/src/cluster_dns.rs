//! Cluster DNS in the lab: what the server in the CoreDNS pods answers,
//! as DNS messages.
//!
//! The answers are the core's (`dns::lookup`, the Kubernetes DNS
//! specification as CoreDNS's `kubernetes` plugin implements it,
//! <https://github.com/kubernetes/dns/blob/master/docs/specification.md>);
//! this module only writes them with the lab's addresses (a Service's
//! ClusterIP may be assigned by the lab, every pod's address is) and
//! encodes them with `hickory-proto`. Names outside the cluster domain go
//! to the lab's stub upstream, which answers [`STUB_UPSTREAM_ADDRESS`] for
//! every name the public DNS might have, and NXDOMAIN where the core knows
//! the root has no such name: nothing ever leaves the lab.
//!
//! PTR answers follow the input's addresses (the core's reverse zone),
//! not the lab's.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use kubereach_core::dns::{self, Answer, QueryType, RecordData};
use kubereach_core::ports::Protocol;
use kubereach_core::Cluster;

use crate::plan::Plan;

/// What the lab's stub upstream answers for a name outside the cluster
/// domain that the public DNS might have (TEST-NET-1, RFC 5737: never
/// routed, so following it goes nowhere).
pub const STUB_UPSTREAM_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 53);

/// The time to live of every answer: CoreDNS's `kubernetes` plugin default
/// (its `ttl` option, 5 seconds).
const TTL: u32 = 5;

/// How many records one answer holds at most (a headless Service with
/// thousands of endpoints still gets a bounded message).
const MAX_RECORDS: usize = 256;

/// The lab's cluster DNS: the cluster and the lab's addresses.
pub struct LabDns {
    cluster: Cluster,
    addresses: LabAddresses,
}

/// The addresses the lab gives Services and pods, for DNS answers.
#[derive(Debug, Clone)]
pub struct LabAddresses {
    /// ClusterIPs in the lab, by `(namespace, name)` of the Service.
    services: BTreeMap<(String, String), Ipv4Addr>,
    /// Pod addresses in the lab, by pod index.
    pods: BTreeMap<u32, Ipv4Addr>,
}

/// An answer: the response code and the answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `NOERROR`, `NXDOMAIN` or `SERVFAIL`.
    pub code: ResponseCode,
    /// Whether the cluster zone answered (authoritative), not the stub.
    pub authoritative: bool,
    /// The records, aliases first.
    pub records: Vec<Record>,
}

/// The sockets the DNS server answers on: `(pod, container port,
/// protocol)` of every endpoint of the cluster DNS Service's port 53 in the
/// lab, so queries reach it through the Service's ClusterIP and kube-proxy's
/// DNAT, under the policies, like any Service's traffic.
pub fn dns_sockets(cluster: &Cluster, plan: &Plan) -> BTreeSet<(u32, u16, Protocol)> {
    let Some(service) = dns::dns_service(cluster) else { return BTreeSet::new() };
    let namespace = service.value.metadata.namespace.as_deref().unwrap_or_default();
    let name = service.value.metadata.name.as_deref().unwrap_or_default();
    plan.services
        .iter()
        .filter(|s| (s.namespace.as_str(), s.name.as_str()) == (namespace, name))
        .flat_map(|s| &s.ports)
        .filter(|p| p.port == 53)
        .flat_map(|p| p.endpoints.iter().map(move |e| (e.pod, e.port, p.protocol)))
        .collect()
}

impl LabAddresses {
    /// The addresses of the lab `plan`.
    pub fn new(plan: &Plan) -> LabAddresses {
        let services =
            plan.services.iter().map(|s| ((s.namespace.clone(), s.name.clone()), s.cluster_ip)).collect();
        let pods = plan.topology.pods.iter().map(|p| (p.pod, p.address)).collect();
        LabAddresses { services, pods }
    }

    /// The address `record` has in the lab: a Service's own record gets the
    /// lab's ClusterIP, an endpoint's record its pod's lab address; other
    /// records (`a-b-c-d.<ns>.pod` names, endpoints naming no pod) keep the
    /// address the core gives. `None` when there is none.
    pub fn lab_address(&self, record: &dns::Record) -> Option<IpAddr> {
        let address = match &record.data {
            RecordData::A { address } | RecordData::Aaaa { address } => address,
            _ => return None,
        };
        if matches!(record.data, RecordData::A { .. }) {
            if let Some(service) = &record.service {
                if let Some(pod) = record.pod {
                    if let Some(lab) = self.pods.get(&pod.0) {
                        return Some(IpAddr::V4(*lab));
                    }
                } else if let Some(lab) =
                    self.services.get(&(service.namespace.clone(), service.name.clone()))
                {
                    return Some(IpAddr::V4(*lab));
                }
            }
        }
        address.as_deref()?.parse().ok()
    }

    /// The IPv4 addresses a resolver ends with for the core's `answer`,
    /// aliases followed (the stub upstream's for a name outside the zone).
    pub fn addresses(&self, answer: &Answer) -> Vec<Ipv4Addr> {
        let mut found: Vec<Ipv4Addr> = match answer {
            Answer::External => vec![STUB_UPSTREAM_ADDRESS],
            Answer::Alias { target, .. } => self.addresses(target),
            _ => answer
                .records()
                .into_iter()
                .filter_map(|r| match self.lab_address(r) {
                    Some(IpAddr::V4(address)) => Some(address),
                    _ => None,
                })
                .collect(),
        };
        found.sort();
        found.dedup();
        found
    }
}

impl LabDns {
    /// The DNS of the lab `plan` builds from `cluster`.
    pub fn new(cluster: Cluster, plan: &Plan) -> LabDns {
        LabDns { cluster, addresses: LabAddresses::new(plan) }
    }

    /// What cluster DNS answers for `name` and `qtype`.
    pub fn reply(&self, name: &Name, qtype: RecordType) -> Reply {
        let text = name.to_ascii();
        let Some(query) = query_type(qtype) else {
            // Other types: the name exists (NODATA) or not, as for A.
            let exists = dns::lookup(&self.cluster, &text, QueryType::A) != Answer::NxDomain;
            return Reply {
                code: if exists { ResponseCode::NoError } else { ResponseCode::NXDomain },
                authoritative: true,
                records: Vec::new(),
            };
        };
        let answer = dns::lookup(&self.cluster, &text, query);
        let mut reply = Reply { code: ResponseCode::NoError, authoritative: true, records: Vec::new() };
        self.write(&answer, name, query, &mut reply);
        reply.records.truncate(MAX_RECORDS);
        reply
    }

    /// Writes the core's `answer` for `name` into `reply`.
    fn write(&self, answer: &Answer, name: &Name, query: QueryType, reply: &mut Reply) {
        match answer {
            Answer::Records { records } => {
                reply.records.extend(records.iter().filter_map(|r| self.record(r)));
            }
            Answer::Alias { records, target } => {
                reply.records.extend(records.iter().filter_map(|r| self.record(r)));
                let target_name = records.iter().find_map(|r| match &r.data {
                    RecordData::Cname { target } => absolute(target),
                    _ => None,
                });
                if let Some(target_name) = target_name {
                    self.write(target, &target_name, query, reply);
                }
            }
            Answer::NxDomain => reply.code = ResponseCode::NXDomain,
            Answer::NoData => {}
            Answer::External => {
                reply.authoritative = false;
                if query == QueryType::A {
                    reply.records.push(Record::from_rdata(
                        name.clone(),
                        TTL,
                        RData::A(A(STUB_UPSTREAM_ADDRESS)),
                    ));
                }
            }
            // Only a pod's resolver gets these, never the server.
            Answer::Upstream | Answer::NotServed | Answer::HostsFile { .. } | Answer::Literal { .. } => {
                reply.code = ResponseCode::ServFail;
            }
        }
    }

    /// One of the core's records as a DNS record with the lab's address.
    fn record(&self, record: &dns::Record) -> Option<Record> {
        let owner = absolute(&record.name)?;
        let data = match &record.data {
            RecordData::A { .. } | RecordData::Aaaa { .. } => match self.addresses.lab_address(record)? {
                IpAddr::V4(address) => RData::A(A(address)),
                IpAddr::V6(address) => RData::AAAA(AAAA(address)),
            },
            // CoreDNS's SRV records: priority 0, an equal weight for each.
            RecordData::Srv { port, target } => {
                let port = u16::try_from(*port).ok()?;
                RData::SRV(SRV::new(0, 100, port, absolute(target.as_deref()?)?))
            }
            RecordData::Cname { target } => RData::CNAME(CNAME(absolute(target)?)),
            RecordData::Ptr { target } => RData::PTR(PTR(absolute(target)?)),
        };
        Some(Record::from_rdata(owner, TTL, data))
    }

    /// The response to the DNS message `request`, encoded; `None` when
    /// `request` is not a DNS query (the supervisor then answers with the
    /// pod's name, as every pod does).
    pub fn respond(&self, request: &[u8]) -> Option<Vec<u8>> {
        let request = Message::from_vec(request).ok()?;
        if request.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        let query = match (request.metadata.op_code, request.queries.as_slice()) {
            (OpCode::Query, [query]) => query.clone(),
            _ => {
                response.metadata.response_code = ResponseCode::NotImp;
                response.add_queries(request.queries.clone());
                return response.to_vec().ok();
            }
        };
        let reply = self.reply(query.name(), query.query_type());
        response.metadata.response_code = reply.code;
        response.metadata.authoritative = reply.authoritative;
        response.add_query(query);
        response.add_answers(reply.records);
        response.to_vec().ok()
    }
}

/// The largest DNS message over UDP without EDNS (RFC 1035 4.2.1).
const UDP_LIMIT: usize = 512;

impl LabDns {
    /// [`LabDns::respond`] for a datagram: a response longer than UDP
    /// allows is sent truncated (TC set, no records), so the client asks
    /// again over TCP, as RFC 1035 4.2.1 says.
    pub fn respond_udp(&self, request: &[u8]) -> Option<Vec<u8>> {
        let response = self.respond(request)?;
        if response.len() <= UDP_LIMIT {
            return Some(response);
        }
        Message::from_vec(&response).ok()?.truncate().to_vec().ok()
    }
}

/// The core's query type for a DNS record type it answers.
fn query_type(qtype: RecordType) -> Option<QueryType> {
    Some(match qtype {
        RecordType::A => QueryType::A,
        RecordType::AAAA => QueryType::Aaaa,
        RecordType::SRV => QueryType::Srv,
        RecordType::PTR => QueryType::Ptr,
        RecordType::CNAME => QueryType::Cname,
        _ => return None,
    })
}

/// `name` (without the final dot) as an absolute DNS name.
fn absolute(name: &str) -> Option<Name> {
    Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The pods and Services behind the cluster DNS Service.
    pub(crate) const CLUSTER: &str = "
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: prod}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: mail, namespace: prod}
spec: {type: ExternalName, externalName: smtp.example.com}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec:
  containers: [{name: c, image: api, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: prod, labels: {app: db}}
spec:
  hostname: db-0
  subdomain: db
  containers: [{name: c, image: pg, ports: [{containerPort: 5432}]}]
";

    fn cluster() -> Cluster {
        crate::test_cluster(&format!("{}{CLUSTER}", crate::KUBE_DNS_YAML))
    }

    fn lab() -> LabDns {
        let cluster = cluster();
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        LabDns::new(cluster, &plan)
    }

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// `(code, records as "type data")` for a query.
    fn check(query: &str, qtype: RecordType) -> (ResponseCode, Vec<String>) {
        let reply = lab().reply(&name(query), qtype);
        let records =
            reply.records.iter().map(|r| format!("{} {} {}", r.name, r.record_type(), r.data)).collect();
        (reply.code, records)
    }

    fn pod_address(lab: &LabDns, pod: &str) -> Ipv4Addr {
        let (namespace, name) = pod.split_once('/').unwrap();
        let id = lab.cluster.pods_in(namespace).iter().copied().find(|&id| lab.cluster.pod(id).name == name);
        lab.addresses.pods[&id.unwrap().0]
    }

    // Spec 2.3.1: a ClusterIP Service's name has an A record with its
    // cluster IP; here the lab assigned it (the input has none).
    #[test]
    fn a_cluster_ip_service_answers_the_labs_cluster_ip() {
        let lab = lab();
        let address = lab.addresses.services[&("prod".to_owned(), "api".to_owned())];
        assert_eq!(
            check("api.prod.svc.cluster.local.", RecordType::A),
            (ResponseCode::NoError, vec![format!("api.prod.svc.cluster.local. A {address}")])
        );
    }

    // Spec 2.4.1: a headless Service's name has one A record per ready
    // endpoint, the pod's address; 2.4.2: `<hostname>.<service>` too.
    #[test]
    fn a_headless_service_answers_its_ready_pods_and_their_hostnames() {
        let lab = lab();
        let db = pod_address(&lab, "prod/db-0");
        assert_eq!(
            check("db.prod.svc.cluster.local.", RecordType::A),
            (ResponseCode::NoError, vec![format!("db.prod.svc.cluster.local. A {db}")])
        );
        assert_eq!(
            check("db-0.db.prod.svc.cluster.local.", RecordType::A),
            (ResponseCode::NoError, vec![format!("db-0.db.prod.svc.cluster.local. A {db}")])
        );
    }

    // Spec 2.3.2/2.4.2: SRV for named ports.
    #[test]
    fn a_named_port_has_an_srv_record() {
        assert_eq!(
            check("_http._tcp.api.prod.svc.cluster.local.", RecordType::SRV),
            (
                ResponseCode::NoError,
                vec!["_http._tcp.api.prod.svc.cluster.local. SRV 0 100 80 api.prod.svc.cluster.local."
                    .to_owned()]
            )
        );
    }

    // Spec 2.5: an ExternalName Service is a CNAME; the target outside the
    // zone is answered by the lab's stub upstream, never the Internet.
    #[test]
    fn an_external_name_is_a_cname_to_the_stub_upstreams_answer() {
        assert_eq!(
            check("mail.prod.svc.cluster.local.", RecordType::A),
            (
                ResponseCode::NoError,
                vec![
                    "mail.prod.svc.cluster.local. CNAME smtp.example.com.".to_owned(),
                    format!("smtp.example.com. A {STUB_UPSTREAM_ADDRESS}"),
                ]
            )
        );
    }

    #[test]
    fn unknown_names_are_nxdomain_and_known_names_without_the_type_are_nodata() {
        assert_eq!(check("nope.prod.svc.cluster.local.", RecordType::A), (ResponseCode::NXDomain, vec![]));
        assert_eq!(check("api.prod.svc.cluster.local.", RecordType::AAAA), (ResponseCode::NoError, vec![]));
        assert_eq!(check("api.prod.svc.cluster.local.", RecordType::MX), (ResponseCode::NoError, vec![]));
        // A top-level label the root does not delegate: NXDOMAIN upstream too.
        assert_eq!(check("api.backnd.", RecordType::A), (ResponseCode::NXDomain, vec![]));
    }

    #[test]
    fn the_server_listens_where_the_dns_services_port_53_sends_queries() {
        let cluster = cluster();
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let coredns = plan.topology.pod_named("kube-system", "coredns").unwrap().pod;
        assert_eq!(dns_sockets(&cluster, &plan), BTreeSet::from([(coredns, 53, Protocol::Udp)]));
    }

    #[test]
    fn a_query_message_gets_an_encoded_answer_and_anything_else_none() {
        let lab = lab();
        let mut query = Message::query();
        query.metadata.id = 4242;
        query.metadata.recursion_desired = true;
        query.add_query(hickory_proto::op::Query::query(name("api.prod.svc.cluster.local."), RecordType::A));
        let response = Message::from_vec(&lab.respond(&query.to_vec().unwrap()).unwrap()).unwrap();
        assert_eq!(response.metadata.id, 4242);
        assert_eq!(response.metadata.message_type, MessageType::Response);
        assert!(response.metadata.authoritative);
        assert_eq!(response.answers.len(), 1);
        assert_eq!(lab.respond(b"probe\n"), None);
    }
}
