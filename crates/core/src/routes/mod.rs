//! `routes`: the external routing table of a cluster — for each listener
//! (an ingress controller's HTTP and HTTPS ports, a Gateway's listener,
//! OpenShift's router),
//! host and match, where the request goes (Service port → pods, or a
//! redirect) and whether policy lets the proxy through — from Ingresses,
//! and Gateway API routes alike; and ([`diff`]) whether
//! two such tables send every request a client can make to the same place,
//! the check an Ingress → Gateway API migration needs.
//!
//! Every answer comes from the layer that owns it: Ingress classes, rules,
//! TLS and the controller's HTTPS redirect from [`crate::ingress`] and
//! [`crate::ingress::behaviour`]; listeners, attachment, rule precedence and
//! backends from [`crate::gateway`]; policy from [`PolicyEngine`].

pub mod annotations;
pub mod diff;
mod gateway_rows;
mod ingress_rows;
mod openshift_rows;
pub mod outcome;
mod resolution;
mod router_outcome;

use serde::Serialize;

use crate::model::{Cluster, PodId};
use crate::policy::{Endpoint, PolicyEngine};
use crate::service::{port_protocol, resolve_target_port, ServiceRef};
use k8s_openapi::api::core::v1::{Service, ServicePort};

pub use annotations::{AnnotationEffect, AnnotationNote};
pub(crate) use gateway_rows::gateway_proxies;
pub(crate) use ingress_rows::{controller_proxies, ingress_proxies};

/// The JSON schema id of `routes --format json`.
pub const SCHEMA: &str = "kubereach.routes/v1";

/// The routing table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutesReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// One row per listener, host and match, sorted.
    pub routes: Vec<RouteRow>,
    /// Controller annotations on Ingresses that change routing or
    /// behaviour, and whether Gateway API has an equivalent, sorted.
    pub annotations: Vec<AnnotationNote>,
    /// Objects of kinds kubereach does not model that claim hosts (Istio,
    /// Contour, Traefik), sorted: their routes are not in the table.
    pub unmodelled: Vec<UnmodelledClaim>,
}

/// One route: a request that a listener takes, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RouteRow {
    /// Where clients connect.
    pub listener: Listener,
    /// The host (`*.example.com` as written; `*` for every host).
    pub host: String,
    /// The path match.
    pub path: PathRule,
    /// Further conditions of the match (`method POST`, `header x-canary: always`).
    pub conditions: Vec<String>,
    /// What the proxy does with the request.
    pub action: Action,
    /// The backends (empty for a redirect).
    pub backends: Vec<Backend>,
    /// The object the row comes from.
    pub object: SourceObject,
}

/// Where clients connect: an ingress controller's port, or a Gateway's listener.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Listener {
    /// What serves it.
    pub kind: FrontendKind,
    /// The IngressClass (`(none)` without one), or `namespace/name` of the Gateway.
    pub name: String,
    /// The Gateway's listener name (`sectionName`); `None` otherwise.
    pub section: Option<String>,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP`.
    pub protocol: String,
    /// The port clients connect to.
    pub port: i32,
    /// The addresses published in the object's status, sorted.
    pub addresses: Vec<String>,
}

/// What serves a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrontendKind {
    /// An ingress controller, for the Ingresses of a class.
    Ingress,
    /// A Gateway (Gateway API).
    Gateway,
    /// OpenShift's default router, for Routes (`route.openshift.io/v1`).
    Router,
}

/// A path match as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PathRule {
    /// `Exact`, `Prefix`, `ImplementationSpecific` (Ingress), `PathPrefix`,
    /// `RegularExpression` (Gateway API), `Method` (a gRPC service and
    /// method), `Default` (a default backend: what no rule takes),
    /// `StringPrefix` (an OpenShift Route's path, compared as a string),
    /// `Connection` (every connection: TLSRoute, TCPRoute, UDPRoute).
    #[serde(rename = "type")]
    pub match_type: String,
    /// The path (`/` when empty).
    pub value: String,
}

/// What the proxy does with a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    /// Sends it to the backends, the path rewritten when `rewrite` is set.
    Forward {
        /// The path (or host and path) the backend receives instead, as written.
        rewrite: Option<String>,
    },
    /// Answers with a redirect.
    Redirect {
        /// The target: `https://{host}{path}`, with `{host}` and `{path}` the request's.
        location: String,
        /// The HTTP status.
        status: u16,
    },
}

/// A backend of a row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Backend {
    /// `namespace/name` of the Service.
    pub service: String,
    /// The Service port, by number or name as written.
    pub port: String,
    /// Share of the traffic (1 unless weighted).
    pub weight: i32,
    /// Why the backend receives nothing (`service-not-found`,
    /// `port-not-found`, `ref-not-permitted`, `not-a-service`,
    /// `port-missing`); `None` when it is a Service port.
    pub problem: Option<String>,
    /// The workloads (or pods) behind the Service, sorted.
    pub pods: Vec<String>,
    /// The container ports the proxy connects to on them, sorted.
    pub target_ports: Vec<u16>,
    /// Whether policy lets the proxy reach them.
    pub policy: PolicyVerdict,
}

/// Whether NetworkPolicy (and the admin tiers) let the proxy reach a backend's pods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum PolicyVerdict {
    /// Every pod, on its target port.
    Allowed,
    /// These workloads (or pods) refuse the proxy.
    Blocked {
        /// The workloads, sorted.
        refused: Vec<String>,
    },
    /// No pod to reach (no Service, no port, no selected pod).
    NoPods,
    /// No proxy is ready to carry the request ([`Proxies::NotReady`]).
    NoReadyProxies,
}

/// The object a row comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SourceObject {
    /// `Ingress`, `HTTPRoute`, `GRPCRoute`.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The field path of the rule (`spec.rules[0].http.paths[1]`).
    pub field: String,
    /// The file, when it came from one.
    pub file: Option<String>,
    /// The line of the rule.
    pub line: u32,
}

/// An object of a kind kubereach does not model that claims hosts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnmodelledClaim {
    /// Its kind, with the project (`Istio VirtualService`).
    pub kind: String,
    /// `namespace/name`.
    pub object: String,
    /// The hosts it claims.
    pub hosts: Vec<String>,
}

/// The routing table of `engine`'s cluster; policy as `engine` evaluates it.
pub fn table(engine: &PolicyEngine<'_>) -> RoutesReport {
    let cluster = engine.cluster();
    let mut routes = ingress_rows::rows(engine);
    routes.extend(gateway_rows::rows(engine));
    routes.extend(openshift_rows::rows(engine));
    routes.sort();
    let mut unmodelled: Vec<UnmodelledClaim> = cluster
        .unmodelled_routes()
        .iter()
        .map(|r| UnmodelledClaim {
            kind: r.value.kind.to_owned(),
            object: format!("{}/{}", r.value.namespace, r.value.name),
            hosts: r.value.hosts.clone(),
        })
        .collect();
    unmodelled.sort();
    RoutesReport { schema: SCHEMA, routes, annotations: annotations::notes(cluster), unmodelled }
}

/// Where the proxies of a listener connect from, for policy.
#[derive(Debug, Clone)]
pub enum Proxies {
    /// These pods of the input.
    Pods(Vec<PodId>),
    /// A load balancer outside the cluster.
    Outside,
    /// Not in the input: a pod of an unlabelled namespace of its own stands for them.
    Symbolic,
    /// These pods of the input, none of them ready: no request reaches
    /// them, so they open no connection to a backend.
    NotReady(Vec<PodId>),
}

impl Proxies {
    /// The endpoints policy judges the proxies' connections from: one pod
    /// of each policy class among the proxies (a connection may come from
    /// any of them), every outside address, or the symbolic controller.
    pub fn sources(&self, engine: &PolicyEngine<'_>) -> Vec<Endpoint> {
        match self {
            Proxies::Pods(pods) => {
                let mut seen = std::collections::BTreeSet::new();
                pods.iter().filter(|p| seen.insert(engine.class_of(**p))).map(|p| Endpoint::Pod(*p)).collect()
            }
            Proxies::Outside => {
                crate::policy::IpRange::parse_cidr("0.0.0.0/0").map(Endpoint::External).into_iter().collect()
            }
            Proxies::Symbolic => vec![Endpoint::IngressController],
            Proxies::NotReady(_) => Vec::new(),
        }
    }
}

/// A backend Service port: its workloads (sorted), the container ports
/// its `targetPort` resolves to on them, and whether policy lets the
/// proxies reach each of them there — the one answer the table, the
/// migration check and `check` (KR708) give.
pub fn reach(
    engine: &PolicyEngine<'_>,
    proxies: &Proxies,
    service: &Service,
    port: &ServicePort,
) -> (Vec<String>, Vec<u16>, PolicyVerdict) {
    let cluster = engine.cluster();
    let sources = proxies.sources(engine);
    let mut pods = std::collections::BTreeSet::new();
    let mut ports = std::collections::BTreeSet::new();
    let mut refused = std::collections::BTreeSet::new();
    // The proxies connect with the Service port's protocol (UDP for a UDPRoute's backend).
    let protocol = port_protocol(port);
    for pod_id in cluster.pods_selected_by_service(service) {
        let pod = cluster.pod(pod_id);
        let name = workload_name(cluster, pod_id);
        pods.insert(name.clone());
        let Some(target) = resolve_target_port(port, pod).ok().and_then(|p| u16::try_from(p).ok()) else {
            refused.insert(name);
            continue;
        };
        ports.insert(target);
        let to = Endpoint::Pod(pod_id);
        if sources.iter().any(|from| !engine.allowed(from, &to).contains(protocol, target)) {
            refused.insert(name);
        }
    }
    let verdict = if pods.is_empty() {
        PolicyVerdict::NoPods
    } else if matches!(proxies, Proxies::NotReady(_)) {
        PolicyVerdict::NoReadyProxies
    } else if refused.is_empty() {
        PolicyVerdict::Allowed
    } else {
        PolicyVerdict::Blocked { refused: refused.into_iter().collect() }
    };
    (pods.into_iter().collect(), ports.into_iter().collect(), verdict)
}

/// A backend row for a Service port that resolved, or one with a problem.
pub(crate) fn backend(
    engine: &PolicyEngine<'_>,
    proxies: &Proxies,
    reference: &ServiceRef,
    port_written: String,
    weight: i32,
    resolved: Result<(&Service, &ServicePort), &str>,
) -> Backend {
    let (pods, target_ports, policy, problem) = match resolved {
        Ok((service, port)) => {
            let (pods, ports, verdict) = reach(engine, proxies, service, port);
            (pods, ports, verdict, None)
        }
        Err(problem) => (Vec::new(), Vec::new(), PolicyVerdict::NoPods, Some(problem.to_owned())),
    };
    Backend { service: reference.id(), port: port_written, weight, problem, pods, target_ports, policy }
}

/// `namespace/name` of the workload a pod stands for (or of the pod).
fn workload_name(cluster: &Cluster, pod: PodId) -> String {
    cluster.workload_ref(cluster.pod(pod)).id()
}

/// The origin of `field` of an object, as a [`SourceObject`].
pub(crate) fn source_object(
    kind: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    origin: &crate::origin::Origin,
    field: String,
) -> SourceObject {
    let location = origin.field_location(&field);
    SourceObject {
        kind: kind.to_owned(),
        namespace: meta.namespace.clone().unwrap_or_else(|| "default".to_owned()),
        name: meta.name.clone().unwrap_or_default(),
        field,
        file: location.file,
        line: location.line,
    }
}
