//! `lab probe`: real connections compared with the model.
//!
//! For every source pod (and later, the external client) and every
//! destination the matrix covers — each declared container port of every
//! other pod, and each port of each proxied Service, once per endpoint
//! (pinned through [`PIN_BASE`]) — the model's
//! answer comes from the core's `trace` (the same walk `kubereach trace`
//! prints), and the kernel's from a real connection with a short timeout.
//! A connection the model allows must connect and be answered by the pod
//! the model names; one the model blocks at a Service layer (no such
//! port, no endpoints) must be refused, as kube-proxy rejects it; one
//! blocked by NetworkPolicy must time out, as the plugin drops it.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::service::PortRef;
use kubereach_core::trace::{self, Layer, TraceDestination, TraceOptions, TraceSource, Verdict};
use kubereach_core::Cluster;
use serde::Serialize;
use socket2::{Domain, Socket, Type};

use crate::plan::Plan;
use crate::services::{LabEndpoint, LabService, LabServicePort, PIN_BASE};
use kubereach_core::model::PodId;

/// The probe report's schema id.
pub const SCHEMA: &str = "kubereach.probe/v1";
/// Sockets open at once per source namespace.
const BATCH: usize = 256;
/// Source namespaces probed at once.
const PARALLEL_SOURCES: usize = 16;

/// Why hostNetwork pods are no probe source: their connections leave from
/// their node's address, which the lab chooses and the model does not
/// know, so an `ipBlock` could match one and not the other.
const HOST_NETWORK_SOURCE: &str = "hostNetwork source: it sends from its node's address, which the lab chooses and the model does not know (ipBlock rules could not be compared)";
/// Why hostNetwork pods are no probe destination (the same reason).
const HOST_NETWORK_DESTINATION: &str = "hostNetwork destination: it listens on its node's address, which the lab chooses and the model does not know (ipBlock rules could not be compared)";

/// Why SCTP is not probed: said by the kernel when it has no SCTP sockets.
fn sctp_reason() -> String {
    match Socket::new(Domain::IPV4, Type::STREAM, Some(socket2::Protocol::from(libc::IPPROTO_SCTP))) {
        Err(error) => format!("SCTP: this kernel has no SCTP sockets ({error})"),
        Ok(_) => "SCTP: the lab's supervisor serves TCP and UDP only".into(),
    }
}

/// What the model predicts for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// It connects and this pod (`namespace/name`) answers.
    Connected(String),
    /// It is refused (kube-proxy's reject: no such Service port, no endpoints).
    Refused,
    /// It is dropped (NetworkPolicy), so it times out.
    Dropped,
}

/// What a real connection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// It connected; this pod answered.
    Connected(String),
    /// Refused (TCP reset or ICMP port unreachable).
    Refused,
    /// No answer within the timeout.
    TimedOut,
    /// No route (ICMP unreachable).
    Unreachable,
    /// The probe itself failed.
    Error(String),
}

/// One connection to try.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The source, `namespace/name` or `external`.
    pub source: String,
    /// The source's network namespace.
    pub netns: String,
    /// The destination: `namespace/name` of a pod, `svc/namespace/name` of a Service.
    pub destination: String,
    /// The address connected to.
    pub address: Ipv4Addr,
    /// The port.
    pub port: u16,
    /// The protocol.
    pub protocol: Protocol,
    /// The source port pinning a Service endpoint.
    pub pin: Option<u16>,
    /// The model's prediction.
    pub expected: Expected,
    /// The model's reasoning: the trace's deciding step.
    pub explanation: String,
    /// Whether a refusal the model predicts is a drop in kube-proxy: a
    /// Service port with endpoints, none of them on the node that receives
    /// the traffic under a `Local` traffic policy.
    pub refusal_is_drop: bool,
}

/// A probe that was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// What was not probed.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// A disagreement, as `kubereach.probe/v1` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The source.
    pub source: String,
    /// The destination.
    pub destination: String,
    /// The port.
    pub port: u16,
    /// `TCP` or `UDP`.
    pub protocol: Protocol,
    /// The model's prediction.
    pub expected: String,
    /// What happened.
    pub observed: String,
    /// The model's reasoning (human output only).
    #[serde(skip)]
    pub explanation: String,
    /// The lab's: the counted nftables rules the connection went through,
    /// when it was sent once more alone to find them (human output only).
    #[serde(skip)]
    pub lab_rules: Option<Vec<String>>,
}

/// `kubereach.probe/v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Probes sent.
    pub probes: usize,
    /// Probes whose outcome the model predicted.
    pub agree: usize,
    /// Probes whose outcome it did not.
    pub disagree: usize,
    /// Connections the matrix covers that were not probed.
    pub skipped: usize,
    /// Every disagreement.
    pub disagreements: Vec<Disagreement>,
    /// Expected × observed counts (human output only).
    #[serde(skip)]
    pub confusion: BTreeMap<(String, String), usize>,
    /// What was skipped and why (human output only).
    #[serde(skip)]
    pub skipped_list: Vec<Skipped>,
    /// Name lookups: expected × observed counts (human output only).
    #[serde(skip)]
    pub dns_confusion: BTreeMap<(String, String), usize>,
    /// Ingress requests: expected × observed status counts (human output only).
    #[serde(skip)]
    pub ingress_confusion: BTreeMap<(String, String), usize>,
}

impl Expected {
    /// How the report writes it.
    pub fn describe(&self) -> String {
        match self {
            Expected::Connected(who) => format!("connected to {who}"),
            Expected::Refused => "refused".to_owned(),
            Expected::Dropped => "timed out".to_owned(),
        }
    }
}

impl Observed {
    /// How the report writes it.
    pub fn describe(&self) -> String {
        match self {
            Observed::Connected(who) => format!("connected to {who}"),
            Observed::Refused => "refused".to_owned(),
            Observed::TimedOut => "timed out".to_owned(),
            Observed::Unreachable => "unreachable".to_owned(),
            Observed::Error(message) => format!("error: {message}"),
        }
    }

    fn agrees(&self, expected: &Expected) -> bool {
        match (expected, self) {
            (Expected::Connected(a), Observed::Connected(b)) => a == b,
            (Expected::Refused, Observed::Refused) => true,
            (Expected::Dropped, Observed::TimedOut) => true,
            _ => false,
        }
    }
}

/// The probes of `plan`, each with the model's prediction from `trace`.
/// `engine` must be compiled from `cluster`. Pods of one policy class get
/// the same answer from every query, so each question is traced once per
/// source class, on all cores.
pub fn plan_probes(cluster: &Cluster, engine: &PolicyEngine<'_>, plan: &Plan) -> (Vec<Probe>, Vec<Skipped>) {
    let mut asked = Questions::default();
    let mut pending: Vec<(Probe, Option<usize>)> = Vec::new();
    let mut skipped = Vec::new();
    for source in &plan.topology.pods {
        if source.host_network {
            let what = format!("{}/{}", source.namespace, source.name);
            skipped.push(Skipped { what, reason: HOST_NETWORK_SOURCE.into() });
            continue;
        }
        let class = engine.class_of(kubereach_core::model::PodId(source.pod));
        let mut ctx = SourceCtx {
            cluster,
            plan,
            source,
            class,
            asked: &mut asked,
            pending: &mut pending,
            skipped: &mut skipped,
        };
        ctx.pod_probes();
        ctx.service_probes();
    }
    external_probes(cluster, plan, &mut asked, &mut pending, &mut skipped);
    let answers = asked.answer(cluster, engine);
    let probes = pending
        .into_iter()
        .map(|(mut probe, question)| {
            if let Some(question) = question {
                (probe.expected, probe.explanation) = answers[question].clone();
                if probe.refusal_is_drop && probe.expected == Expected::Refused {
                    probe.expected = Expected::Dropped;
                }
            }
            probe
        })
        .collect();
    (probes, skipped)
}

/// The distinct trace questions, each asked once.
#[derive(Default)]
struct Questions {
    index: BTreeMap<(usize, String, Protocol), usize>,
    list: Vec<(TraceSource, TraceDestination, Protocol, String)>,
}

impl Questions {
    /// The question's index; `key` identifies the destination (and who
    /// should answer) within the source's class.
    fn ask(
        &mut self,
        class: usize,
        key: String,
        question: (TraceSource, TraceDestination, Protocol, String),
    ) -> usize {
        let protocol = question.2;
        let next = self.list.len();
        let index = *self.index.entry((class, key, protocol)).or_insert(next);
        if index == next {
            self.list.push(question);
        }
        index
    }

    fn answer(&self, cluster: &Cluster, engine: &PolicyEngine<'_>) -> Vec<(Expected, String)> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let chunk = self.list.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .list
                .chunks(chunk)
                .map(|questions| {
                    scope.spawn(move || {
                        questions
                            .iter()
                            .map(|(source, destination, protocol, answerer)| {
                                predict(cluster, engine, source, destination, *protocol, answerer)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
    }
}

/// Builds the probes of one source pod.
struct SourceCtx<'a> {
    cluster: &'a Cluster,
    plan: &'a Plan,
    source: &'a crate::topology::LabPod,
    class: usize,
    asked: &'a mut Questions,
    pending: &'a mut Vec<(Probe, Option<usize>)>,
    skipped: &'a mut Vec<Skipped>,
}

impl SourceCtx<'_> {
    fn label(&self) -> String {
        format!("{}/{}", self.source.namespace, self.source.name)
    }

    fn trace_source(&self) -> TraceSource {
        TraceSource::Workload { namespace: self.source.namespace.clone(), name: self.source.name.clone() }
    }

    fn probe(&self, destination: String, address: Ipv4Addr, port: u16, protocol: Protocol) -> Probe {
        Probe {
            source: self.label(),
            netns: self.source.netns.clone(),
            destination,
            address,
            port,
            protocol,
            pin: None,
            expected: Expected::Dropped,
            explanation: String::new(),
            refusal_is_drop: false,
        }
    }

    fn push(&mut self, probe: Probe, destination: TraceDestination, answerer: &str) {
        self.push_keyed(probe, destination, answerer, "");
    }

    /// [`Self::push`] with `extra` in the question's key, for answers that
    /// depend on more than the source's policy class (its node).
    fn push_keyed(&mut self, probe: Probe, destination: TraceDestination, answerer: &str, extra: &str) {
        let key = format!("{destination:?} {answerer}{extra}");
        let question = (self.trace_source(), destination, probe.protocol, answerer.to_owned());
        let index = self.asked.ask(self.class, key, question);
        self.pending.push((probe, Some(index)));
    }

    /// Every declared port of every other pod, directly.
    fn pod_probes(&mut self) {
        let topology = &self.plan.topology;
        for destination in topology.pods.iter().filter(|d| d.pod != self.source.pod) {
            let label = format!("{}/{}", destination.namespace, destination.name);
            for port in &destination.ports {
                if destination.host_network || port.protocol == Protocol::Sctp {
                    self.skipped.push(Skipped {
                        what: format!("{} -> {label}:{}/{}", self.label(), port.port, port.protocol),
                        reason: if destination.host_network {
                            HOST_NETWORK_DESTINATION.into()
                        } else {
                            sctp_reason()
                        },
                    });
                    continue;
                }
                let to = TraceDestination::Workload {
                    namespace: destination.namespace.clone(),
                    name: destination.name.clone(),
                    port: PortRef::Number(i32::from(port.port)),
                };
                let probe = self.probe(label.clone(), destination.address, port.port, port.protocol);
                self.push(probe, to, &label);
            }
        }
    }

    /// Every port of every Service through its ClusterIP, once per endpoint
    /// the source's node sends to (pinned), plus one port that is not a
    /// Service port.
    fn service_probes(&mut self) {
        let plan = self.plan;
        for svc in &plan.services {
            let label = format!("svc/{}/{}", svc.namespace, svc.name);
            for port in &svc.ports {
                if port.protocol == Protocol::Sctp {
                    let what = format!("{} -> {label}:{}/SCTP", self.label(), port.port);
                    self.skipped.push(Skipped { what, reason: sctp_reason() });
                    continue;
                }
                self.service_port_probes(svc, port, &label);
            }
            // A ClusterIP port that is no Service port is rejected.
            if let Some(unused) = (1..=u16::MAX).find(|p| !svc.ports.iter().any(|s| s.port == *p)) {
                let probe = self.probe(label.clone(), svc.cluster_ip, unused, Protocol::Tcp);
                self.push(probe, service_destination(svc, unused), "");
            }
        }
    }

    /// One Service port through its ClusterIP. Under `internalTrafficPolicy:
    /// Local` only the source node's endpoints receive (pinned in their own
    /// order, as the node's chain lists them), and a node with none drops:
    /// probed only where the input places the source and every endpoint
    /// (`spec.nodeName`), so that the model knows the placement the lab uses.
    fn service_port_probes(&mut self, svc: &LabService, port: &LabServicePort, label: &str) {
        let mut receiving: Vec<&LabEndpoint> = port.endpoints.iter().collect();
        let mut node_key = String::new();
        if svc.internal_local {
            if let Some(unplaced) =
                self.unplaced(std::iter::once(self.source.pod).chain(receiving.iter().map(|e| e.pod)))
            {
                self.skipped.push(Skipped {
                    what: format!("{} -> {label}:{} ({unplaced} has no spec.nodeName)", self.label(), port.port),
                    reason: "internalTrafficPolicy: Local, and the input does not place the source or an endpoint on a node, so the model cannot tell which endpoints are local".into(),
                });
                return;
            }
            receiving.retain(|e| e.node == self.source.node);
            node_key = format!(" on node {}", self.source.node);
        }
        if receiving.is_empty() {
            let mut probe = self.probe(label.to_owned(), svc.cluster_ip, port.port, port.protocol);
            // kube-proxy rejects a port without endpoints, and drops one
            // whose endpoints are all on other nodes under a Local policy.
            probe.refusal_is_drop = !port.endpoints.is_empty();
            self.push_keyed(probe, service_destination(svc, port.port), "", &node_key);
            return;
        }
        for (n, endpoint) in receiving.iter().enumerate() {
            let Some(pod) = self.plan.topology.pod(PodId(endpoint.pod)) else { continue };
            let who = format!("{}/{}", pod.namespace, pod.name);
            let mut probe = self.probe(format!("{label} ({who})"), svc.cluster_ip, port.port, port.protocol);
            probe.pin = Some(PIN_BASE + n as u16 + 1);
            if pod.pod == self.source.pod {
                probe.expected = Expected::Connected(who);
                probe.explanation = "a pod always reaches itself through its Service".into();
                self.pending.push((probe, None));
                continue;
            }
            let to = TraceDestination::Workload {
                namespace: pod.namespace.clone(),
                name: pod.name.clone(),
                port: PortRef::Number(i32::from(endpoint.port)),
            };
            self.push(probe, to, &who);
        }
    }

    /// The first of `pods` that the input does not place on a node, as
    /// `namespace/name`.
    fn unplaced(&self, pods: impl Iterator<Item = u32>) -> Option<String> {
        pods.map(|id| self.cluster.pod(PodId(id)))
            .find(|pod| pod.spec.node_name.as_deref().is_none_or(str::is_empty))
            .map(|pod| format!("{}/{}", pod.namespace, pod.name))
    }
}

/// A Service by its service port, as a trace destination.
fn service_destination(svc: &LabService, port: u16) -> TraceDestination {
    TraceDestination::Service {
        namespace: svc.namespace.clone(),
        name: svc.name.clone(),
        port: PortRef::Number(i32::from(port)),
    }
}

/// The source class of the `external` client in [`Questions`] (pod
/// classes are numbered from 0).
const EXTERNAL_CLASS: usize = usize::MAX;

/// From the `external` namespace: each port of each Service with a
/// load-balancer or external IP (routed by the fabric), and each node port
/// on the first node, once per endpoint the node may send to (pinned).
fn external_probes(
    cluster: &Cluster,
    plan: &Plan,
    asked: &mut Questions,
    pending: &mut Vec<(Probe, Option<usize>)>,
    skipped: &mut Vec<Skipped>,
) {
    let topology = &plan.topology;
    let client = crate::topology::EXTERNAL_ADDRESS;
    let source = TraceSource::External { address: Some(std::net::IpAddr::V4(client)) };
    for svc in &plan.services {
        let label = format!("svc/{}/{}", svc.namespace, svc.name);
        let mut entries: Vec<(Ipv4Addr, u16, &crate::services::LabServicePort, String)> = Vec::new();
        for port in svc.ports.iter().filter(|p| p.protocol != Protocol::Sctp) {
            for address in &svc.external_ips {
                entries.push((*address, port.port, port, format!("{label} via {address}")));
            }
            if let (Some(node_port), Some(node)) = (port.node_port, topology.nodes.first()) {
                entries.push((node.address, node_port, port, format!("{label} via node port {node_port}")));
            }
        }
        for (address, number, port, via) in entries {
            let node_port = !svc.external_ips.contains(&address);
            if svc.external_local && node_port {
                let pods = port.endpoints.iter().map(|e| cluster.pod(PodId(e.pod)));
                if let Some(pod) =
                    pods.clone().find(|p| p.spec.node_name.as_deref().is_none_or(str::is_empty))
                {
                    skipped.push(Skipped {
                        what: format!("external -> {via} ({}/{} has no spec.nodeName)", pod.namespace, pod.name),
                        reason: "externalTrafficPolicy: Local on a node port, and the input does not place every endpoint on a node, so the model cannot tell which endpoints are local".into(),
                    });
                    continue;
                }
            }
            let probe = |destination: String| Probe {
                source: "external".into(),
                netns: topology.external.clone(),
                destination,
                address,
                port: number,
                protocol: port.protocol,
                pin: None,
                expected: Expected::Dropped,
                explanation: String::new(),
                refusal_is_drop: false,
            };
            let service_destination = TraceDestination::Service {
                namespace: svc.namespace.clone(),
                name: svc.name.clone(),
                port: PortRef::Number(i32::from(port.port)),
            };
            if port.endpoints.is_empty() {
                let question = (source.clone(), service_destination.clone(), port.protocol, String::new());
                let index = asked.ask(EXTERNAL_CLASS, format!("{service_destination:?}"), question);
                pending.push((probe(via.clone()), Some(index)));
                continue;
            }
            // Under a Local policy the node that receives the traffic (the
            // first for node ports; for load-balancer addresses the one the
            // fabric routes to, as health checks pick a node with an
            // endpoint) serves only its own endpoints, pinned in its chain's
            // order, and drops when it has none.
            let receiving_node = if node_port { 0 } else { crate::plan::routed_node(svc) };
            let receiving: Vec<&LabEndpoint> =
                port.endpoints.iter().filter(|e| !svc.external_local || e.node == receiving_node).collect();
            if receiving.is_empty() {
                let mut dropped = probe(via.clone());
                dropped.explanation = format!(
                    "endpoints: `externalTrafficPolicy: Local` and no ready endpoint on node {}: kube-proxy drops",
                    topology.nodes[receiving_node].name
                );
                pending.push((dropped, None));
                continue;
            }
            for (n, endpoint) in receiving.iter().enumerate() {
                let Some(pod) = topology.pod(PodId(endpoint.pod)) else { continue };
                let who = format!("{}/{}", pod.namespace, pod.name);
                let mut sent = probe(format!("{via} ({who})"));
                sent.pin = Some(PIN_BASE + n as u16 + 1);
                let to = TraceDestination::Workload {
                    namespace: pod.namespace.clone(),
                    name: pod.name.clone(),
                    port: PortRef::Number(i32::from(endpoint.port)),
                };
                let question = (source.clone(), to.clone(), port.protocol, who.clone());
                let index = asked.ask(EXTERNAL_CLASS, format!("{to:?} {who}"), question);
                pending.push((sent, Some(index)));
            }
        }
    }
}

/// The model's prediction for one connection, with the deciding step.
fn predict(
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    source: &TraceSource,
    destination: &TraceDestination,
    protocol: Protocol,
    answerer: &str,
) -> (Expected, String) {
    let options = TraceOptions { protocol, http: Default::default() };
    let report = trace::trace(cluster, engine, source, destination, &options);
    let deciding = deciding_step(&report);
    let expected = match (report.verdict, report.blocked_at) {
        (Verdict::Allowed, _) => Expected::Connected(answerer.to_owned()),
        (
            _,
            Some(
                Layer::ServiceType
                | Layer::ServicePort
                | Layer::Endpoints
                | Layer::Readiness
                | Layer::Destination,
            ),
        ) => Expected::Refused,
        _ => Expected::Dropped,
    };
    (expected, deciding)
}

/// The trace's deciding step, `layer: summary`: where it was blocked, else its last.
pub(crate) fn deciding_step(report: &trace::Trace) -> String {
    report
        .steps
        .iter()
        .find(|s| Some(s.layer) == report.blocked_at)
        .or_else(|| report.steps.last())
        .map(|s| format!("{}: {}", s.layer.as_str(), s.summary))
        .unwrap_or_default()
}

/// At most this many disagreements are sent once more to find the lab's
/// rules (each reads every node's ruleset twice).
const MAX_EXPLAINED: usize = 20;

/// Sends every probe (sources in parallel, each source's probes in
/// batches) and compares the outcomes with the predictions; the first
/// disagreements are sent again, one at a time, between two readings of
/// the counters of `nodes` (their namespaces), to name the lab's rules
/// they went through.
pub fn run(
    probes: &[Probe],
    skipped: Vec<Skipped>,
    timeout: Duration,
    nodes: &[String],
) -> io::Result<ProbeReport> {
    let everything: Vec<usize> = (0..probes.len()).collect();
    let mut observed = send(probes, &everything, timeout)?;
    // A probe that disagrees is sent once more, alone per source and with a
    // longer timeout: on a loaded machine a lost SYN or a slow answer must
    // not pass for a policy drop. Predicted drops are never retried.
    let again: Vec<usize> = (0..probes.len())
        .filter(|&i| !observed[i].as_ref().is_some_and(|o| o.agrees(&probes[i].expected)))
        .collect();
    if !again.is_empty() {
        let second = send(probes, &again, (timeout * 4).min(Duration::from_secs(10)))?;
        for index in again {
            observed[index] = second[index].clone();
        }
    }
    let mut report = compare(probes, &observed, skipped);
    let disagreeing: Vec<usize> = (0..probes.len())
        .filter(|&i| !observed[i].as_ref().is_some_and(|o| o.agrees(&probes[i].expected)))
        .take(MAX_EXPLAINED)
        .collect();
    for index in disagreeing {
        let rules = lab_rules(probes, index, timeout, nodes)?;
        let probe = &probes[index];
        if let Some(d) = report.disagreements.iter_mut().find(|d| {
            (&d.source, &d.destination, d.port, d.protocol)
                == (&probe.source, &probe.destination, probe.port, probe.protocol)
        }) {
            d.lab_rules = Some(rules);
        }
    }
    Ok(report)
}

/// The rules of the lab that probe `index` goes through: it is sent alone
/// between two readings of every node's counters.
fn lab_rules(probes: &[Probe], index: usize, timeout: Duration, nodes: &[String]) -> io::Result<Vec<String>> {
    // A pinned probe reuses its addresses and ports: without this its earlier
    // attempt's conntrack entry would skip the NAT chains.
    for node in nodes {
        crate::exec::flush_conntrack(node).map_err(io::Error::other)?;
    }
    let before: Vec<crate::counters::Counters> =
        nodes.iter().map(|n| crate::counters::snapshot(n)).collect::<io::Result<_>>()?;
    send(probes, &[index], timeout)?;
    let mut rules = Vec::new();
    for (node, before) in nodes.iter().zip(&before) {
        rules.extend(crate::counters::matched(before, &crate::counters::snapshot(node)?));
    }
    Ok(rules)
}

/// Sends the probes at `which`, sources in parallel; the outcomes are at
/// the probes' indices.
fn send(probes: &[Probe], which: &[usize], timeout: Duration) -> io::Result<Vec<Option<Observed>>> {
    let mut by_netns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &index in which {
        by_netns.entry(&probes[index].netns).or_default().push(index);
    }
    let mut observed: Vec<Option<Observed>> = vec![None; probes.len()];
    let groups: Vec<(&str, Vec<usize>)> = by_netns.into_iter().collect();
    for chunk in groups.chunks(PARALLEL_SOURCES) {
        let mut handles = Vec::new();
        for (netns, indices) in chunk {
            let targets: Vec<Target> = indices
                .iter()
                .map(|&i| Target {
                    address: probes[i].address,
                    port: probes[i].port,
                    protocol: probes[i].protocol,
                    pin: probes[i].pin,
                })
                .collect();
            handles.push((
                indices.clone(),
                crate::netns::spawn_in(netns, move || connect_all(&targets, timeout))?,
            ));
        }
        for (indices, handle) in handles {
            let results =
                handle.join().map_err(|_| io::Error::other("a probe thread panicked"))?.and_then(|r| r)?;
            for (index, result) in indices.into_iter().zip(results) {
                observed[index] = Some(result);
            }
        }
    }
    Ok(observed)
}

fn compare(probes: &[Probe], observed: &[Option<Observed>], skipped: Vec<Skipped>) -> ProbeReport {
    let mut report = ProbeReport {
        schema: SCHEMA,
        probes: probes.len(),
        agree: 0,
        disagree: 0,
        skipped: skipped.len(),
        disagreements: Vec::new(),
        confusion: BTreeMap::new(),
        skipped_list: skipped,
        dns_confusion: BTreeMap::new(),
        ingress_confusion: BTreeMap::new(),
    };
    for (probe, outcome) in probes.iter().zip(observed) {
        let outcome = outcome.clone().unwrap_or(Observed::Error("not sent".into()));
        let expected_class = match &probe.expected {
            Expected::Connected(_) => "connected",
            Expected::Refused => "refused",
            Expected::Dropped => "timed out",
        };
        let observed_class = match &outcome {
            Observed::Connected(_) => "connected",
            Observed::Refused => "refused",
            Observed::TimedOut => "timed out",
            Observed::Unreachable => "unreachable",
            Observed::Error(_) => "error",
        };
        *report.confusion.entry((expected_class.to_owned(), observed_class.to_owned())).or_default() += 1;
        if outcome.agrees(&probe.expected) {
            report.agree += 1;
            continue;
        }
        report.disagree += 1;
        report.disagreements.push(Disagreement {
            source: probe.source.clone(),
            destination: probe.destination.clone(),
            port: probe.port,
            protocol: probe.protocol,
            expected: probe.expected.describe(),
            observed: outcome.describe(),
            explanation: probe.explanation.clone(),
            lab_rules: None,
        });
    }
    sort(&mut report.disagreements);
    report
}

/// Sorts disagreements by source, destination, port and protocol.
pub(crate) fn sort(disagreements: &mut [Disagreement]) {
    disagreements.sort_by(|a, b| {
        (&a.source, &a.destination, a.port, a.protocol).cmp(&(&b.source, &b.destination, b.port, b.protocol))
    });
}

/// Where one probe connects.
#[derive(Debug, Clone, Copy)]
struct Target {
    address: Ipv4Addr,
    port: u16,
    protocol: Protocol,
    pin: Option<u16>,
}

/// Connects to every target from the calling thread's namespace.
fn connect_all(targets: &[Target], timeout: Duration) -> io::Result<Vec<Observed>> {
    let mut results = Vec::with_capacity(targets.len());
    // One pinned source port may serve one destination at a time; the
    // batches keep distinct (pin, destination) pairs apart by construction.
    for batch in targets.chunks(BATCH) {
        results.extend(connect_batch(batch, timeout));
    }
    Ok(results)
}

/// How long a connected probe waits for the supervisor's answer.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// Where a probe's socket is.
enum Phase {
    /// Connecting (TCP): waiting to be writable.
    Connecting,
    /// Connected or sent (UDP): waiting for the answer.
    Answering,
    /// Done.
    Done(Observed),
}

fn connect_batch(targets: &[Target], timeout: Duration) -> Vec<Observed> {
    let start_time = Instant::now();
    let mut sockets: Vec<Option<Socket>> = Vec::with_capacity(targets.len());
    let mut phases: Vec<Phase> = Vec::with_capacity(targets.len());
    for target in targets {
        match start(target) {
            Ok(socket) => {
                sockets.push(Some(socket));
                phases.push(if target.protocol == Protocol::Udp {
                    Phase::Answering
                } else {
                    Phase::Connecting
                });
            }
            Err(observed) => {
                sockets.push(None);
                phases.push(Phase::Done(observed));
            }
        }
    }
    loop {
        let pending: Vec<usize> =
            (0..targets.len()).filter(|&i| !matches!(phases[i], Phase::Done(_))).collect();
        if pending.is_empty() {
            break;
        }
        // Connecting gets `timeout`; an answer, once connected, a while more.
        let connecting = pending.iter().any(|&i| matches!(phases[i], Phase::Connecting));
        let deadline = start_time + if connecting { timeout } else { timeout + ANSWER_WAIT };
        let now = Instant::now();
        if now >= deadline {
            for &index in &pending {
                if matches!(phases[index], Phase::Connecting) || !connecting {
                    phases[index] = Phase::Done(Observed::TimedOut);
                }
            }
            continue;
        }
        let mut fds: Vec<libc::pollfd> = pending
            .iter()
            .map(|&i| libc::pollfd {
                fd: sockets[i].as_ref().map_or(-1, |s| s.as_raw_fd()),
                events: if matches!(phases[i], Phase::Connecting) { libc::POLLOUT } else { libc::POLLIN },
                revents: 0,
            })
            .collect();
        let wait = (deadline - now).as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid array of pollfd for its length.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait.max(1)) };
        if ready < 0 {
            continue;
        }
        for (slot, &index) in fds.iter().zip(&pending) {
            if slot.revents == 0 {
                continue;
            }
            let Some(socket) = &sockets[index] else { continue };
            phases[index] = advance(socket, &phases[index]);
        }
    }
    sockets.clear();
    phases.into_iter().map(|p| if let Phase::Done(o) = p { o } else { Observed::TimedOut }).collect()
}

/// The next phase of a socket poll reported ready.
fn advance(socket: &Socket, phase: &Phase) -> Phase {
    if let Ok(Some(error)) = socket.take_error() {
        return Phase::Done(classify(&error));
    }
    if matches!(phase, Phase::Connecting) {
        // Connected: speak first, the supervisor answers after our bytes.
        return match (&*socket).write(b"probe\n") {
            Ok(_) => Phase::Answering,
            Err(error) => Phase::Done(classify(&error)),
        };
    }
    let mut buffer = [0u8; 256];
    match (&*socket).read(&mut buffer) {
        Ok(n) => Phase::Done(Observed::Connected(String::from_utf8_lossy(&buffer[..n]).trim().to_owned())),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Phase::Answering,
        Err(error) => Phase::Done(classify(&error)),
    }
}

/// Opens a non-blocking socket and starts the connection (for UDP: sends
/// the datagram).
fn start(target: &Target) -> Result<Socket, Observed> {
    let (kind, protocol) = match target.protocol {
        Protocol::Udp => (Type::DGRAM, socket2::Protocol::UDP),
        _ => (Type::STREAM, socket2::Protocol::TCP),
    };
    let error = |e: io::Error| Observed::Error(e.to_string());
    let socket = Socket::new(Domain::IPV4, kind, Some(protocol)).map_err(error)?;
    socket.set_nonblocking(true).map_err(error)?;
    if let Some(pin) = target.pin {
        socket.set_reuse_address(true).map_err(error)?;
        let local = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, pin));
        socket.bind(&local.into()).map_err(error)?;
    }
    let remote = SocketAddr::V4(SocketAddrV4::new(target.address, target.port));
    match socket.connect(&remote.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(classify(&e)),
    }
    if target.protocol == Protocol::Udp {
        socket.send(b"probe\n").map_err(|e| classify(&e))?;
    }
    Ok(socket)
}

fn classify(error: &io::Error) -> Observed {
    match error.raw_os_error() {
        Some(libc::ECONNREFUSED) => Observed::Refused,
        Some(libc::EHOSTUNREACH | libc::ENETUNREACH) => Observed::Unreachable,
        Some(libc::ETIMEDOUT | libc::EAGAIN) => Observed::TimedOut,
        _ => Observed::Error(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_agree_only_with_their_prediction() {
        let api = || "production/api".to_owned();
        assert!(Observed::Connected(api()).agrees(&Expected::Connected(api())));
        assert!(!Observed::Connected("production/web".into()).agrees(&Expected::Connected(api())));
        assert!(Observed::Refused.agrees(&Expected::Refused));
        assert!(Observed::TimedOut.agrees(&Expected::Dropped));
        assert!(!Observed::TimedOut.agrees(&Expected::Refused));
        assert!(!Observed::Refused.agrees(&Expected::Dropped));
        assert!(!Observed::Unreachable.agrees(&Expected::Dropped));
    }

    #[test]
    fn the_report_counts_and_lists_disagreements() {
        let probe = |expected| Probe {
            source: "a/x".into(),
            netns: "kr-t-pod1".into(),
            destination: "a/y".into(),
            address: Ipv4Addr::new(10, 244, 0, 3),
            port: 80,
            protocol: Protocol::Tcp,
            pin: None,
            expected,
            explanation: "network-policy-ingress: denied".into(),
            refusal_is_drop: false,
        };
        let probes = [probe(Expected::Dropped), probe(Expected::Connected("a/y".into()))];
        let observed = [Some(Observed::TimedOut), Some(Observed::Refused)];
        let report = compare(&probes, &observed, Vec::new());
        assert_eq!((report.probes, report.agree, report.disagree), (2, 1, 1));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json["disagreements"][0],
            serde_json::json!({"source": "a/x", "destination": "a/y", "port": 80, "protocol": "TCP",
                               "expected": "connected to a/y", "observed": "refused"})
        );
    }
}
