//! The `trace` query: can a source reach a destination, and if not, which
//! layer stops it, with the evidence and the fix.
//!
//! A trace walks the layers the way an expert debugs a connection, along one
//! of the three communication patterns of Kubernetes networking
//! (<https://kubernetes.io/docs/concepts/services-networking/>):
//!
//! - pod → pod: NetworkPolicy on both ends, enforced by the network plugin;
//! - pod → Service: DNS (from the source pod, its search path and `ndots`
//!   included, and the DNS server must be reachable), the Service's type and
//!   port, its endpoints and their readiness, then NetworkPolicy on the
//!   endpoint pod and its container port, after the Service's DNAT;
//! - external → Service: a node port or load-balancer address, or an Ingress
//!   host, whose controller's pods then connect to the backend pods.
//!
//! It is a composition of the layer modules ([`crate::dns`],
//! [`crate::service`], [`crate::endpoints`], [`crate::ingress`],
//! [`crate::policy`], [`crate::cni`]); it never re-derives their semantics.
//! The first failing layer blocks the connection and the layers after it
//! are skipped. Steps carry their wording (summary, evidence, fix) because
//! the `kubereach.trace/v1` contract does.

mod controller_source;
mod dns_server;
mod endpoints_steps;
mod exposure_steps;
mod final_layers;
mod front;
mod gateway_backends;
mod gateway_layers;
mod headless_layers;
mod ingress_layers;
mod ingress_tls;
mod intended;
pub mod kubectl;
mod native_steps;
mod parse;
mod pod_layers;
mod policy_layers;
mod readiness_steps;
mod rejected;
mod service_layers;
mod service_port_steps;
mod snat_layers;
mod stream_layers;
mod text;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;

pub use front::{close_namespaces, find_pod, missing_objects, PodNotFound};
pub use gateway_layers::HttpRequestOptions;
pub use parse::{ParseError, Scheme, TraceDestination, TraceSource};

use crate::cni::CniDetection;
use crate::model::{Cluster, Object, PodId};
use crate::policy::PolicyEngine;
use crate::ports::Protocol;
use crate::service::PortRef;

/// The schema id of the JSON form of a [`Trace`].
pub const SCHEMA: &str = "kubereach.trace/v1";

/// A layer of the networking model, as a trace names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// The client exists and can open connections.
    Source,
    /// The name resolves from the client, and the DNS server is reachable.
    Dns,
    /// The Service's type exposes it to this client.
    ServiceType,
    /// The port asked for is a port of the Service, and its target port
    /// resolves on the endpoint pods.
    ServicePort,
    /// The Service has endpoints.
    Endpoints,
    /// Some endpoints are ready (and local, under a `Local` traffic policy).
    Readiness,
    /// A controller owns the Ingress.
    IngressClass,
    /// A rule of the Ingress matches the host and path, and its backend is a Service port.
    IngressRule,
    /// The Gateway's class is accepted, it has an address, and a listener
    /// takes the port, protocol and hostname (Gateway API).
    Gateway,
    /// A route attached to that listener matches the request, and its
    /// backendRef is a Service port (with a ReferenceGrant across namespaces).
    Route,
    /// The client's egress policies allow the connection.
    NetworkPolicyEgress,
    /// The destination's ingress policies allow the connection.
    NetworkPolicyIngress,
    /// The network plugin enforces the policies above.
    Cni,
    /// The destination pod serves the port.
    Destination,
}

/// How a layer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The layer lets the connection through.
    Pass,
    /// The layer stops the connection.
    Fail,
    /// Not checked: it does not apply, or an earlier layer failed.
    Skip,
    /// Through, with a caveat worth reading.
    Warn,
}

/// Whether the connection gets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every layer lets it through.
    Allowed,
    /// A layer stops it.
    Blocked,
}

/// One layer of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The layer.
    pub layer: Layer,
    /// How it went.
    pub status: Status,
    /// One line: lowercase start, no final period, identifiers in backticks.
    pub summary: String,
    /// The facts behind the summary, each with its `file:line` when known.
    pub evidence: Vec<String>,
    /// What to change; empty when nothing needs to.
    pub fix: String,
    /// The `kubectl` command that shows the same on a live cluster.
    pub kubectl: Option<String>,
}

/// The answer of [`trace`]: the `kubereach.trace/v1` contract, plus the
/// source and destination as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Allowed or blocked.
    pub verdict: Verdict,
    /// The first failing layer.
    pub blocked_at: Option<Layer>,
    /// Every layer of the path, in the order walked.
    pub steps: Vec<Step>,
    /// The source, as [`TraceSource`] displays it.
    pub source: String,
    /// The destination, as [`TraceDestination`] displays it.
    pub destination: String,
}

/// How to trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceOptions {
    /// The transport protocol (`--protocol`); URLs are TCP whatever this says.
    pub protocol: Protocol,
    /// The request's method and headers, for Gateway API route matches.
    pub http: HttpRequestOptions,
}

/// Whether `source` can reach `destination` in `cluster`, layer by layer.
/// `engine` must be compiled from `cluster` with the policies as written
/// ([`crate::cni::PolicyView::AsWritten`]): the `cni` layer says whether the
/// plugin the engine was compiled for ([`PolicyEngine::plugin`]) enforces
/// them.
pub fn trace(
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    source: &TraceSource,
    destination: &TraceDestination,
    options: &TraceOptions,
) -> Trace {
    let protocol = match destination {
        TraceDestination::Url { .. } => Protocol::Tcp,
        _ => options.protocol,
    };
    let mut ctx = Ctx::new(engine_cluster(cluster, engine), engine, protocol, options.http.clone());
    let mut walk = Walk { steps: Vec::new(), order: &PATH_ORDER };
    // A failing layer ends the walk early; `finish` fills in the rest.
    let _ = run(&mut ctx, &mut walk, source, destination);
    walk.finish(source.to_string(), destination.to_string())
}

/// The cluster `engine` was compiled from, which callers pass as `cluster`:
/// taken from the engine, whose lifetime the walk borrows it for (a
/// [`PolicyEngine`] answers lazily, so its lifetime cannot shrink to the
/// caller's borrow of `cluster`).
fn engine_cluster<'c>(cluster: &Cluster, engine: &PolicyEngine<'c>) -> &'c Cluster {
    debug_assert!(std::ptr::eq(cluster, engine.cluster()), "the engine is compiled from another cluster");
    engine.cluster()
}

/// Whether `pod` reaches the cluster DNS server: the check the `dns` layer
/// makes besides the lookup (ready endpoints, and policies allowing UDP and
/// TCP 53 from the pod). A [`Layer::Dns`] step; `engine` as in [`trace`].
pub fn dns_server_step(cluster: &Cluster, engine: &PolicyEngine<'_>, pod: PodId) -> Step {
    let mut ctx =
        Ctx::new(engine_cluster(cluster, engine), engine, Protocol::Udp, HttpRequestOptions::default());
    front::dns_server_step(&mut ctx, pod)
}

impl Layer {
    /// Every layer, in the order of the contract.
    pub const ALL: [Layer; 14] = [
        Layer::Source,
        Layer::Dns,
        Layer::ServiceType,
        Layer::ServicePort,
        Layer::Endpoints,
        Layer::Readiness,
        Layer::IngressClass,
        Layer::IngressRule,
        Layer::Gateway,
        Layer::Route,
        Layer::NetworkPolicyEgress,
        Layer::NetworkPolicyIngress,
        Layer::Cni,
        Layer::Destination,
    ];

    /// The contract's name of the layer (`network-policy-ingress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Source => "source",
            Layer::Dns => "dns",
            Layer::ServiceType => "service-type",
            Layer::ServicePort => "service-port",
            Layer::Endpoints => "endpoints",
            Layer::Readiness => "readiness",
            Layer::IngressClass => "ingress-class",
            Layer::IngressRule => "ingress-rule",
            Layer::Gateway => "gateway",
            Layer::Route => "route",
            Layer::NetworkPolicyEgress => "network-policy-egress",
            Layer::NetworkPolicyIngress => "network-policy-ingress",
            Layer::Cni => "cni",
            Layer::Destination => "destination",
        }
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The order of the layers on paths without an Ingress or a Gateway.
const PATH_ORDER: [Layer; 12] = [
    Layer::Source,
    Layer::Dns,
    Layer::ServiceType,
    Layer::ServicePort,
    Layer::Endpoints,
    Layer::Readiness,
    Layer::IngressClass,
    Layer::IngressRule,
    Layer::NetworkPolicyEgress,
    Layer::NetworkPolicyIngress,
    Layer::Cni,
    Layer::Destination,
];

/// The order of the layers through an Ingress: the controller is reached
/// first, then it connects to the backend Service's endpoints.
const INGRESS_ORDER: [Layer; 12] = [
    Layer::Source,
    Layer::Dns,
    Layer::IngressClass,
    Layer::IngressRule,
    Layer::ServiceType,
    Layer::ServicePort,
    Layer::Endpoints,
    Layer::Readiness,
    Layer::NetworkPolicyEgress,
    Layer::NetworkPolicyIngress,
    Layer::Cni,
    Layer::Destination,
];

/// The order of the layers through a Gateway: `gateway` and `route` take
/// the place of the Ingress layers.
const GATEWAY_ORDER: [Layer; 12] = [
    Layer::Source,
    Layer::Dns,
    Layer::Gateway,
    Layer::Route,
    Layer::ServiceType,
    Layer::ServicePort,
    Layer::Endpoints,
    Layer::Readiness,
    Layer::NetworkPolicyEgress,
    Layer::NetworkPolicyIngress,
    Layer::Cni,
    Layer::Destination,
];

/// The state of a trace: the cluster, the engine, and what the policy layers
/// learned for the `cni` layer.
struct Ctx<'a, 'c> {
    cluster: &'c Cluster,
    engine: &'a PolicyEngine<'c>,
    protocol: Protocol,
    policies: PolicyFacts,
    http: HttpRequestOptions,
    /// The one pod of a template the destination names, if it does.
    replica: Option<Replica>,
    /// Behind `externalTrafficPolicy: Cluster`, the nodes (name, address)
    /// whose SNATed traffic the pods deny: what an ingress fix must admit.
    snat_nodes: Vec<(String, IpAddr)>,
    /// Behind `externalTrafficPolicy: Cluster`, whether the nodes' addresses
    /// that replace the client's are not in the input.
    snat_hidden: bool,
}

/// One pod of a workload the model holds as a template (its
/// representative pod), named on its own: it stands for one replica.
#[derive(Debug, Clone)]
struct Replica {
    pod: PodId,
    /// `namespace/name` of the pod.
    name: String,
}

impl<'a, 'c> Ctx<'a, 'c> {
    fn new(
        cluster: &'c Cluster,
        engine: &'a PolicyEngine<'c>,
        protocol: Protocol,
        http: HttpRequestOptions,
    ) -> Ctx<'a, 'c> {
        Ctx {
            cluster,
            engine,
            protocol,
            policies: PolicyFacts::default(),
            http,
            replica: None,
            snat_nodes: Vec::new(),
            snat_hidden: false,
        }
    }

    /// The replica `pod` stands for on this path: `Some` when the
    /// destination names one pod of its template.
    fn replica(&self, pod: PodId) -> Option<&Replica> {
        self.replica.as_ref().filter(|r| r.pod == pod)
    }

    /// How many pods `pod` stands for on this path.
    fn replicas(&self, pod: PodId) -> u32 {
        match self.replica(pod) {
            Some(_) => 1,
            None => self.cluster.pod(pod).replicas,
        }
    }

    /// `` `namespace/name` `` of `pod` on this path, with its replicas when
    /// it stands for several.
    fn pod_name(&self, pod: PodId) -> String {
        match self.replica(pod) {
            Some(replica) => text::code(&replica.name),
            None => text::pod_name_with_replicas(self.cluster, pod),
        }
    }

    /// The plugin the engine was compiled for, as detected or named.
    fn cni(&self) -> &'a CniDetection {
        &self.engine.plugin().detection
    }
}

/// What the policy checks found, for the `cni` layer.
#[derive(Debug, Default)]
struct PolicyFacts {
    /// Some policy applied to the connection (an end was isolated, or an
    /// admin policy decided).
    involved: bool,
    /// Denials that did not block because the plugin does not enforce them.
    unenforced_denials: Vec<Layer>,
}

/// Who opens a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// A pod of the cluster.
    Pod(PodId),
    /// An address outside the cluster, or any when `None`.
    External(Option<IpAddr>),
    /// An in-cluster ingress controller whose pods are not in the input
    /// (the policy engine's symbolic controller).
    IngressController,
}

/// How a connection reaches a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Via {
    /// By its cluster IP (a DNS name or the address).
    ClusterIp,
    /// Named directly (`svc/NAMESPACE/NAME:PORT`).
    Named,
    /// On a node port, at a node (`None`: a node the input does not show).
    NodePort { node: Option<String>, address: String },
    /// At its load-balancer address.
    LoadBalancer { address: String },
    /// At one of its `externalIPs`.
    ExternalIp { address: String },
    /// From an Ingress controller, which sends to the endpoints directly.
    Ingress,
    /// From a Gateway's proxies, which send to the endpoints directly.
    Gateway,
}

impl Via {
    /// Whether a proxy (an ingress controller, a Gateway's data plane)
    /// sends to the endpoints directly.
    fn proxied(&self) -> bool {
        matches!(self, Via::Ingress | Via::Gateway)
    }

    /// Who sends to the endpoints, for a proxied connection, with the verb.
    fn proxy_sends(&self) -> &'static str {
        match self {
            Via::Gateway => "the Gateway's proxies send",
            _ => "the ingress controller sends",
        }
    }
}

/// Where a name or address leads.
#[derive(Debug, Clone)]
enum Landing<'c> {
    /// A Service (of any type).
    Service { service: &'c Object<Service>, via: Via },
    /// Pods, directly.
    Pods(Vec<PodId>),
    /// One pod of a workload the model holds as a template, by its own
    /// name (a StatefulSet's `db-0`).
    Replica { pod: PodId, name: String },
    /// The address of a node with no Service on that node port.
    Node { node: String, address: String },
    /// Outside the cluster: a name forwarded upstream or an unknown address.
    Outside { name: String, address: Option<IpAddr> },
}

/// One endpoint the connection may end at, after DNAT.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Backend {
    /// The pod, when it is in the model.
    pod: Option<PodId>,
    /// Its address, when known.
    address: Option<IpAddr>,
    /// The port it receives the connection on.
    port: i32,
    /// How many pods it stands for.
    replicas: u32,
    /// How it is named in evidence.
    name: String,
}

/// What the policy layers need to know of the Service in front of the backends.
#[derive(Debug, Clone, Copy)]
struct Hop<'c> {
    /// The Service, if the connection goes through one.
    service: Option<&'c Service>,
    /// The Service port asked for, if it differs from the backends' port.
    service_port: Option<i32>,
}

/// A layer failed: the walk stops.
struct Blocked;

type Flow<T> = Result<T, Blocked>;

/// The steps taken so far, and the order of the path's layers.
struct Walk {
    steps: Vec<Step>,
    order: &'static [Layer; 12],
}

impl Walk {
    /// Records `step`; a failing step stops the walk.
    fn add(&mut self, step: Step) -> Flow<()> {
        let failed = step.status == Status::Fail;
        self.steps.push(step);
        if failed {
            Err(Blocked)
        } else {
            Ok(())
        }
    }

    /// Records `step`, a failing one, and stops the walk: the one way a
    /// layer blocks the connection.
    fn block<T>(&mut self, step: Step) -> Flow<T> {
        debug_assert_eq!(step.status, Status::Fail, "only a failing step blocks");
        self.steps.push(step);
        Err(Blocked)
    }

    /// Whether a policy may mean to block `client` on this path: a pod
    /// reaching pods or a Service inside the cluster. A path through an
    /// Ingress or a Gateway, or from outside to an exposed Service, is one
    /// the objects say is wanted, so a block there is never meant.
    fn may_intend_block(&self, client: Client) -> bool {
        matches!(client, Client::Pod(_)) && self.order == &PATH_ORDER
    }

    /// Adds `evidence` to the step of `layer` already recorded.
    fn note(&mut self, layer: Layer, evidence: impl IntoIterator<Item = String>) {
        if let Some(step) = self.steps.iter_mut().find(|s| s.layer == layer) {
            step.evidence.extend(evidence);
        }
    }

    /// Records that `layer` does not apply, and why, unless it was checked already.
    fn skip(&mut self, layer: Layer, summary: impl Into<String>) {
        if self.steps.iter().all(|s| s.layer != layer) {
            self.steps.push(Step::new(layer, Status::Skip, summary));
        }
    }

    fn finish(self, source: String, destination: String) -> Trace {
        let blocked_at = self.steps.iter().find(|s| s.status == Status::Fail).map(|s| s.layer);
        let mut steps = Vec::with_capacity(self.order.len());
        let mut past_failure = false;
        for layer in self.order {
            match self.steps.iter().find(|s| s.layer == *layer) {
                Some(step) => {
                    past_failure |= step.status == Status::Fail;
                    steps.push(step.clone());
                }
                None if self.order == &PATH_ORDER
                    && matches!(layer, Layer::IngressClass | Layer::IngressRule) =>
                {
                    steps.push(Step::new(*layer, Status::Skip, not_on_path(*layer)));
                }
                None if past_failure => {
                    let failed = blocked_at.map(text::code).unwrap_or_default();
                    steps.push(Step::new(*layer, Status::Skip, format!("not checked: blocked at {failed}")));
                }
                None => steps.push(Step::new(*layer, Status::Skip, not_on_path(*layer))),
            }
        }
        Trace {
            schema: SCHEMA,
            verdict: if blocked_at.is_some() { Verdict::Blocked } else { Verdict::Allowed },
            blocked_at,
            steps,
            source,
            destination,
        }
    }
}

impl Step {
    fn new(layer: Layer, status: Status, summary: impl Into<String>) -> Step {
        Step {
            layer,
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: String::new(),
            kubectl: None,
        }
    }

    fn evidence(mut self, evidence: impl IntoIterator<Item = String>) -> Step {
        self.evidence.extend(evidence);
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Step {
        self.fix = fix.into();
        self
    }

    fn kubectl(mut self, command: impl Into<String>) -> Step {
        self.kubectl = Some(command.into());
        self
    }
}

fn not_on_path(layer: Layer) -> &'static str {
    match layer {
        Layer::IngressClass | Layer::IngressRule => "no Ingress on this path",
        Layer::Gateway | Layer::Route => "no Gateway on this path",
        Layer::ServiceType | Layer::ServicePort | Layer::Endpoints => "no Service on this path",
        _ => "does not apply to this path",
    }
}

fn run(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    source: &TraceSource,
    destination: &TraceDestination,
) -> Flow<()> {
    let client = front::source_step(ctx, walk, source)?;
    match (client, destination) {
        (Client::Pod(pod), TraceDestination::Url { host, port, .. })
        | (Client::Pod(pod), TraceDestination::HostPort { host, port }) => {
            let landing = front::dns_from_pod(ctx, walk, pod, host, *port)?;
            follow(ctx, walk, client, landing, &PortRef::Number(i32::from(*port)))
        }
        (_, TraceDestination::Service { namespace, name, port }) => {
            walk.skip(Layer::Dns, "no DNS lookup: the Service is named directly");
            let service = front::find_service(ctx, walk, namespace, name)?;
            service_layers::service_path(ctx, walk, client, service, port, Via::Named)
        }
        (_, TraceDestination::Workload { namespace, name, port }) => {
            walk.skip(Layer::Dns, "no DNS lookup: the pods are named directly");
            let pods = front::find_destination_pods(ctx, walk, namespace, name)?;
            pod_layers::pod_path(ctx, walk, client, &pods, port)
        }
        (_, TraceDestination::Url { scheme, host, port, path }) => {
            ingress_layers::from_outside(ctx, walk, client, host, *port, path, *scheme)
        }
        (_, TraceDestination::HostPort { host, port }) => {
            let scheme = if *port == 443 { Scheme::Https } else { Scheme::Http };
            ingress_layers::from_outside(ctx, walk, client, host, *port, "/", scheme)
        }
    }
}

/// Continues a trace from where a name or address leads.
fn follow<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    client: Client,
    landing: Landing<'c>,
    port: &PortRef,
) -> Flow<()> {
    match landing {
        Landing::Service { service, via } => {
            service_layers::service_path(ctx, walk, client, service, port, via)
        }
        Landing::Pods(pods) => pod_layers::pod_path(ctx, walk, client, &pods, port),
        Landing::Replica { pod, name } => {
            ctx.replica = Some(Replica { pod, name });
            pod_layers::pod_path(ctx, walk, client, &[pod], port)
        }
        Landing::Node { node, address } => {
            exposure_steps::node_address_path(ctx, walk, client, &node, &address, port)
        }
        Landing::Outside { name, address } => {
            policy_layers::outside_path(ctx, walk, client, &name, address, port)
        }
    }
}
