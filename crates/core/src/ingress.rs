//! The Ingress layers: which controller owns an Ingress (`ingress-class`),
//! and where a request for a host and path goes among the Ingresses of that
//! controller (`ingress-rule`), with the backend Service port and TLS checks.
//!
//! <https://kubernetes.io/docs/concepts/services-networking/ingress/>:
//!
//! - An Ingress names its class with `spec.ingressClassName`, the name of an
//!   IngressClass whose `spec.controller` says which controller implements
//!   it. Before Kubernetes 1.18 the `kubernetes.io/ingress.class` annotation
//!   did that; it is deprecated but still honoured by controllers. The API
//!   server rejects a new Ingress whose annotation and field differ
//!   (`ValidateIngressCreate`: "must match `ingressClassName` when both are
//!   specified"); controllers read the annotation first.
//! - An IngressClass annotated `ingressclass.kubernetes.io/is-default-class:
//!   "true"` is the default: the `DefaultIngressClass` admission plugin sets
//!   it on new Ingresses that name no class. With several defaults it picks
//!   the newest (kubernetes/kubernetes#110974, Kubernetes ≥ 1.25; before that
//!   it rejected such Ingresses).
//! - Hosts: a precise host matches the `Host` header exactly; `*.foo.com`
//!   matches exactly one more DNS label (`bar.foo.com`, not `baz.bar.foo.com`
//!   nor `foo.com`); a rule without host matches every request.
//! - Paths: `Exact` matches the path exactly, case-sensitively; `Prefix`
//!   matches element-wise on `/`-separated elements, ignoring a trailing
//!   slash (`/foo/bar` matches `/foo/bar/baz`, not `/foo/barbaz`);
//!   `ImplementationSpecific` is up to the controller: ingress-nginx writes
//!   it as an nginx prefix `location`, a plain string prefix
//!   (<https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/>);
//!   the others are modelled as `Prefix`, and results say which was used.
//! - "In some cases, multiple paths within an Ingress will match a request.
//!   In those cases precedence will be given first to the longest matching
//!   path. If two paths are still equally matched, precedence will be given
//!   to paths with an exact path type over prefix path type." Controllers
//!   merge the Ingresses of their class, so precedence runs across all of
//!   them; host rules come before rules without host, then the
//!   `defaultBackend` of an Ingress of the class, then the controller's own
//!   default (a 404). Server-based controllers (ingress-nginx, NGINX Inc,
//!   Contour, Istio, GCE, Azure Application Gateway) choose the host first
//!   and never fall back to a less specific host's paths; route-based ones
//!   (Traefik, Kong, the AWS Load Balancer Controller, and unknown ones) do.
//! - A backend is a Service port, by number or name — not a container port.
//! - TLS: `spec.tls[].secretName` is a Secret of type `kubernetes.io/tls` in
//!   the Ingress's namespace, for the hosts in `spec.tls[].hosts`.
//!   cert-manager's `cert-manager.io/cluster-issuer` and
//!   `cert-manager.io/issuer` annotations ask it to create that Secret
//!   (<https://cert-manager.io/docs/usage/ingress/>).

mod controller_backends;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Serialize;

pub use controller_backends::{controller_backends, ControllerBackend};

use crate::cni::{container_words, flag_bool, flag_value, image_is, repository_is};
use crate::ingress_behaviour::default_target;
use crate::model::{Cluster, Object, Pod, PodId, WorkloadRef};
use crate::origin::Location;
use crate::ports::Protocol;
use crate::service::{
    external_name, find_service_port, resolve_target_port, service_kind, service_ports, target_port, PortRef,
    ServiceKind, ServicePortKey, ServiceRef,
};

/// The deprecated annotation that named an Ingress's class before `ingressClassName`.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// The IngressClass annotation that makes it the cluster's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";
/// cert-manager: issue the Ingress's TLS Secrets from this ClusterIssuer.
pub const CLUSTER_ISSUER_ANNOTATION: &str = "cert-manager.io/cluster-issuer";
/// cert-manager: issue the Ingress's TLS Secrets from this Issuer (in the Ingress's namespace).
pub const ISSUER_ANNOTATION: &str = "cert-manager.io/issuer";
/// cert-manager (and kube-lego before it): issue from the default issuer.
pub const TLS_ACME_ANNOTATION: &str = "kubernetes.io/tls-acme";
/// The Secret type TLS certificates must have.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// An Ingress by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IngressRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// An Ingress controller implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerKind {
    /// The Kubernetes project's ingress-nginx (`k8s.io/ingress-nginx`).
    IngressNginx,
    /// F5 NGINX Ingress Controller (`nginx.org/ingress-controller`).
    NginxInc,
    /// Traefik (`traefik.io/ingress-controller`).
    Traefik,
    /// HAProxy Technologies' controller (`haproxy.org/ingress-controller/…`).
    Haproxy,
    /// The community HAProxy Ingress (`haproxy-ingress.github.io/controller`).
    HaproxyIngress,
    /// Contour with Envoy (`projectcontour.io/ingress-controller`).
    Contour,
    /// Kong (`ingress-controllers.konghq.com/kong`).
    Kong,
    /// Istio's ingress gateway (`istio.io/ingress-controller`).
    Istio,
    /// GKE's load balancer controller (class `gce` or `gce-internal`), outside the cluster.
    Gce,
    /// The AWS Load Balancer Controller (`ingress.k8s.aws/alb`): an ALB outside the cluster.
    AwsLoadBalancer,
    /// The Application Gateway Ingress Controller (`azure/application-gateway`):
    /// an Azure Application Gateway outside the cluster.
    AzureApplicationGateway,
    /// A controller this model does not know.
    Other,
}

/// Where an Ingress's class comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSource {
    /// `spec.ingressClassName`.
    Field,
    /// The deprecated `kubernetes.io/ingress.class` annotation.
    Annotation,
    /// The default IngressClass, which admission assigns to a new Ingress
    /// that names none.
    Default,
    /// No class and no default, but a controller takes Ingresses without a
    /// class (ingress-nginx `--watch-ingress-without-class`).
    WithoutClass,
    /// No class at all.
    None,
}

/// Which controller owns an Ingress, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassResolution {
    /// The class name, if any.
    pub class: Option<String>,
    /// Where it comes from.
    pub source: ClassSource,
    /// The IngressClass object, when the input has it.
    pub ingress_class: Option<Location>,
    /// The controller, when known.
    pub controller: Option<ControllerInfo>,
    /// What is wrong or worth noting, sorted.
    pub problems: Vec<ClassProblem>,
}

/// The controller that owns an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControllerInfo {
    /// Which implementation.
    pub kind: ControllerKind,
    /// The IngressClass's `spec.controller`, when there is an IngressClass.
    pub controller: Option<String>,
    /// Whether the proxy that forwards the traffic runs as pods of the
    /// cluster (`false` for cloud load balancers, whose traffic comes from
    /// outside); `None` for an unknown controller.
    pub in_cluster: Option<bool>,
    /// The pods that proxy the traffic (Envoy for Contour, the gateway for
    /// Istio), found by image, labels and class flags. Empty for cloud
    /// controllers and when the input has none.
    pub pods: Vec<PodId>,
    /// What those pods stand for, sorted.
    pub workloads: Vec<WorkloadRef>,
}

/// A problem with an Ingress's class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum ClassProblem {
    /// No class, no default IngressClass, and no controller that takes
    /// Ingresses without a class: no controller acts on it.
    NoClass,
    /// `ingressClassName` (or the default) names an IngressClass that is not
    /// in the input; controllers ignore such an Ingress.
    ClassNotFound {
        /// The class name.
        name: String,
    },
    /// The annotation names a class that no IngressClass, usual class name
    /// or running controller matches.
    UnknownClass {
        /// The class name.
        name: String,
    },
    /// Field and annotation differ (the API server rejects this on
    /// creation; controllers read the annotation).
    AnnotationConflict {
        /// `spec.ingressClassName`.
        field: String,
        /// The annotation's value.
        annotation: String,
    },
    /// The deprecated annotation is used.
    DeprecatedAnnotation,
    /// Several IngressClasses are marked default; the newest is used.
    SeveralDefaults {
        /// All of them, sorted.
        classes: Vec<String>,
        /// The one admission picks.
        chosen: String,
    },
    /// The IngressClass's `spec.controller` is not a known controller, and no
    /// pod in the input claims it.
    UnknownController {
        /// The controller string.
        controller: String,
    },
    /// The controller runs in the cluster, but the input has none of its pods.
    ControllerNotFound {
        /// The controller.
        kind: ControllerKind,
    },
}

/// An Ingress path's `pathType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PathType {
    /// `Exact`.
    Exact,
    /// `Prefix`.
    Prefix,
    /// `ImplementationSpecific` (also what an empty or unknown type is treated as).
    ImplementationSpecific,
}

/// How a rule path is matched against a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathMatch {
    /// String equality.
    Exact,
    /// Element-wise prefix on `/`-separated elements, trailing slash ignored.
    Prefix,
    /// Plain string prefix (ingress-nginx's `ImplementationSpecific`).
    StringPrefix,
}

/// How a rule's host matched the request's host. Ordered from least to most specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostMatch {
    /// The rule has no host: it matches every host.
    Any,
    /// A wildcard host (`*.foo.com`) matched.
    Wildcard,
    /// The host matched exactly.
    Exact,
}

/// Where a backend is written in an Ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "site", rename_all = "kebab-case")]
pub enum BackendSite {
    /// `spec.defaultBackend`.
    DefaultBackend,
    /// `spec.rules[rule].http.paths[path].backend`.
    Path {
        /// Index in `spec.rules`.
        rule: usize,
        /// Index in the rule's `http.paths`.
        path: usize,
    },
}

/// What a backend points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BackendRef {
    /// A Service port.
    Service {
        /// The Service, in the Ingress's namespace.
        service: ServiceRef,
        /// The port by number or name; `None` when neither is written.
        port: Option<PortRef>,
    },
    /// A resource of another kind (`spec...backend.resource`).
    Resource {
        /// Its API group (`None` for the core group).
        api_group: Option<String>,
        /// Its kind.
        kind: String,
        /// Its name.
        name: String,
    },
    /// Neither a Service nor a resource (invalid).
    None,
}

/// Where a request goes among the Ingresses of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassRoute {
    /// The class; `None` for Ingresses without one.
    pub class: Option<String>,
    /// The controller of the class, when known.
    pub controller: Option<ControllerKind>,
    /// The answer.
    pub target: RouteTarget,
    /// Every other rule path that matched, in precedence order, with why it lost.
    pub alternatives: Vec<Alternative>,
    /// Caveats about how the answer was reached, sorted.
    pub notes: Vec<RouteNote>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "target", rename_all = "kebab-case")]
pub enum RouteTarget {
    /// A rule path matched.
    Rule(Candidate),
    /// No rule path matched: the `defaultBackend` of an Ingress of the class.
    DefaultBackend {
        /// The Ingress.
        ingress: IngressRef,
        /// Its default backend.
        backend: BackendRef,
        /// Where it is written.
        location: Location,
    },
    /// Nothing matched: the controller's own default backend answers (a 404).
    ControllerDefault,
}

/// A rule path that matches a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Candidate {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the path is.
    pub site: BackendSite,
    /// The rule's host as written; `None` for a rule without host.
    pub host: Option<String>,
    /// How the host matched.
    pub host_match: HostMatch,
    /// The rule path as written (`/` when empty).
    pub path: String,
    /// Its `pathType`.
    pub path_type: PathType,
    /// How it was matched (tells how `ImplementationSpecific` was read).
    pub path_match: PathMatch,
    /// The backend.
    pub backend: BackendRef,
    /// Where the path is written.
    pub location: Location,
}

/// A rule path that matched but lost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Alternative {
    /// The path.
    pub candidate: Candidate,
    /// Why it lost.
    pub reason: LossReason,
}

/// Why a matching rule path lost to the chosen one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum LossReason {
    /// The winner's host is more specific (exact, then wildcard, then none).
    LessSpecificHost,
    /// The winner's path is longer.
    ShorterPath,
    /// Same length; the winner is `Exact`.
    ExactPreferred,
    /// Same host, length and type: the older Ingress (`creationTimestamp`,
    /// then namespace and name), or the earlier rule and path, wins.
    Tie,
    /// The controller chose the more specific host `host` for this request
    /// and serves only that host's paths, none of which matched.
    ShadowedByHost {
        /// The host the controller chose.
        host: String,
    },
}

/// A caveat about a route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum RouteNote {
    /// ingress-nginx reads this Ingress's paths as regular expressions
    /// (`use-regex` or `rewrite-target` annotations); they were matched as
    /// string prefixes.
    RegexPaths {
        /// The Ingress.
        ingress: IngressRef,
    },
    /// The `defaultBackend` of this Ingress is not a catch-all on this
    /// controller, because the Ingress has rules
    /// ([`crate::ingress_behaviour::DefaultBackendScope`]).
    DefaultBackendNotCatchAll {
        /// The Ingress.
        ingress: IngressRef,
    },
    /// Whether this Ingress's `defaultBackend` answers hosts and paths its
    /// rules do not match depends on the controller, which the model does not know.
    DefaultBackendDependsOnController {
        /// The Ingress.
        ingress: IngressRef,
    },
}

/// Whether an Ingress backend reaches a port of a Service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BackendCheck {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the backend is.
    pub site: BackendSite,
    /// What it points at.
    pub backend: BackendRef,
    /// The verdict.
    pub status: BackendStatus,
    /// Where the backend is written.
    pub location: Location,
}

/// The verdict on an Ingress backend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum BackendStatus {
    /// The Service has the port.
    Ok {
        /// The Service port.
        port: ServicePortKey,
    },
    /// An `ExternalName` Service: the controller proxies to a DNS name
    /// (ingress-nginx does; not every controller supports it).
    ExternalName {
        /// The name.
        external_name: String,
    },
    /// A `resource` backend: not a Service, not checked.
    Resource,
    /// The backend has neither `service` nor `resource`.
    MissingService,
    /// The Service backend names no port.
    MissingPort,
    /// No such Service in the Ingress's namespace.
    ServiceNotFound,
    /// The Service has no such port.
    PortNotFound {
        /// The Service's ports.
        service_ports: Vec<ServicePortKey>,
        /// The number (or name) is a container port of the pods the Service
        /// selects: the backend names the pod's port instead of the Service's.
        container_port: bool,
        /// The Service port that leads to that container port, the likely intent.
        suggestion: Option<ServicePortKey>,
    },
    /// The port exists but is not TCP: Ingress traffic is HTTP over TCP.
    NotTcp {
        /// The Service port.
        port: ServicePortKey,
    },
}

/// Whether HTTPS for a host of an Ingress has its certificate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TlsCheck {
    /// The Ingress.
    pub ingress: IngressRef,
    /// The host asked about.
    pub host: String,
    /// The `spec.tls` entry that covers it.
    pub entry: Option<usize>,
    /// How the entry covers the host: exactly, by wildcard, or `Any` for an
    /// entry without hosts (the controller's choice).
    pub coverage: Option<HostMatch>,
    /// The entry's Secret.
    pub secret: Option<String>,
    /// The verdict.
    pub status: TlsStatus,
    /// The cert-manager issuer the Ingress asks for, if any.
    pub cert_manager: Option<CertIssuer>,
    /// Where the entry (or the Ingress) is written.
    pub location: Location,
}

/// The verdict on a host's TLS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TlsStatus {
    /// The Secret exists with type `kubernetes.io/tls`.
    Ok,
    /// No `spec.tls` entry covers the host: HTTPS, if served, uses the
    /// controller's default certificate.
    NotConfigured,
    /// The entry has no `secretName`: the controller's default certificate.
    NoSecretName,
    /// The Secret is not in the Ingress's namespace (cert-manager creates it
    /// when [`TlsCheck::cert_manager`] is set).
    SecretNotFound,
    /// The Secret's type is not `kubernetes.io/tls`.
    WrongType {
        /// Its type (`Opaque` when not written).
        type_: String,
    },
}

/// The cert-manager issuer an Ingress names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CertIssuer {
    /// `cert-manager.io/cluster-issuer`.
    ClusterIssuer {
        /// Its name.
        name: String,
    },
    /// `cert-manager.io/issuer`, in the Ingress's namespace.
    Issuer {
        /// Its name.
        name: String,
    },
    /// `kubernetes.io/tls-acme: "true"`: cert-manager's default issuer.
    DefaultIssuer,
}

/// The same host, path and type claimed by several Ingresses of one class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Conflict {
    /// The class.
    pub class: Option<String>,
    /// The host; `None` for rules without host.
    pub host: Option<String>,
    /// The path (for `Prefix`, without trailing slash).
    pub path: String,
    /// The type.
    pub path_type: PathType,
    /// The claims, in precedence order: the first wins.
    pub claims: Vec<Claim>,
}

/// One Ingress's claim on a host and path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Claim {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the path is.
    pub site: BackendSite,
    /// Its backend.
    pub backend: BackendRef,
    /// Where it is written.
    pub location: Location,
}

impl IngressRef {
    /// The identifier of `ingress` (`default` when the namespace is unset).
    pub fn of(ingress: &Ingress) -> IngressRef {
        IngressRef {
            namespace: ingress.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            name: ingress.metadata.name.clone().unwrap_or_default(),
        }
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl ControllerKind {
    /// The controller an IngressClass's `spec.controller` names.
    pub fn from_controller(controller: &str) -> ControllerKind {
        match controller {
            "k8s.io/ingress-nginx" => ControllerKind::IngressNginx,
            "nginx.org/ingress-controller" => ControllerKind::NginxInc,
            "traefik.io/ingress-controller" => ControllerKind::Traefik,
            c if c.starts_with("haproxy.org/ingress-controller") => ControllerKind::Haproxy,
            c if c.starts_with("haproxy-ingress.github.io/controller") => ControllerKind::HaproxyIngress,
            "projectcontour.io/ingress-controller" => ControllerKind::Contour,
            "ingress-controllers.konghq.com/kong" => ControllerKind::Kong,
            "istio.io/ingress-controller" => ControllerKind::Istio,
            "k8s.io/ingress-gce" | "networking.gke.io/ingress-gce" => ControllerKind::Gce,
            "ingress.k8s.aws/alb" | "eks.amazonaws.com/alb" => ControllerKind::AwsLoadBalancer,
            "azure/application-gateway" => ControllerKind::AzureApplicationGateway,
            _ => ControllerKind::Other,
        }
    }

    /// Whether the proxy runs as pods in the cluster; `None` when unknown.
    pub fn in_cluster(self) -> Option<bool> {
        match self {
            ControllerKind::Gce
            | ControllerKind::AwsLoadBalancer
            | ControllerKind::AzureApplicationGateway => Some(false),
            ControllerKind::Other => None,
            _ => Some(true),
        }
    }

    /// How the controller reads `ImplementationSpecific` paths.
    pub fn implementation_specific(self) -> PathMatch {
        match self {
            ControllerKind::IngressNginx => PathMatch::StringPrefix,
            _ => PathMatch::Prefix,
        }
    }

    /// Whether a request whose host matches a rule host, but none of that
    /// host's paths, may still match a less specific host's rules (rules
    /// without host, wildcards). Server-based controllers choose the host
    /// first (an nginx `server`, an Envoy virtual host, a URL map host rule);
    /// route-based ones match host and path together.
    pub fn falls_back_to_less_specific_hosts(self) -> bool {
        !matches!(
            self,
            ControllerKind::IngressNginx
                | ControllerKind::NginxInc
                | ControllerKind::Contour
                | ControllerKind::Istio
                | ControllerKind::Gce
                | ControllerKind::AzureApplicationGateway
        )
    }
}

impl PathType {
    /// Reads a `pathType`; empty or unknown values are `ImplementationSpecific`.
    pub fn parse(text: &str) -> PathType {
        match text {
            "Exact" => PathType::Exact,
            "Prefix" => PathType::Prefix,
            _ => PathType::ImplementationSpecific,
        }
    }
}

impl PathMatch {
    /// How `path_type` is matched under `controller` (`None`: unknown, read as `Prefix`).
    pub fn of(path_type: PathType, controller: Option<ControllerKind>) -> PathMatch {
        match path_type {
            PathType::Exact => PathMatch::Exact,
            PathType::Prefix => PathMatch::Prefix,
            PathType::ImplementationSpecific => {
                controller.map_or(PathMatch::Prefix, ControllerKind::implementation_specific)
            }
        }
    }
}

impl BackendSite {
    /// The field path of the backend (`spec.rules[0].http.paths[1].backend`).
    pub fn field_path(self) -> String {
        match self {
            BackendSite::DefaultBackend => "spec.defaultBackend".to_owned(),
            BackendSite::Path { rule, path } => format!("spec.rules[{rule}].http.paths[{path}].backend"),
        }
    }
}

/// Which controller owns `ingress`: its class (field, annotation or
/// default), the IngressClass's controller, and that controller's pods.
pub fn ingress_class_of(cluster: &Cluster, ingress: &Ingress) -> ClassResolution {
    let (class, source, mut problems) = class_name(cluster, ingress);
    let Some(name) = class else {
        if let Some(controller) = controller_for(cluster, None) {
            return ClassResolution {
                class: None,
                source: ClassSource::WithoutClass,
                ingress_class: None,
                controller: Some(controller),
                problems,
            };
        }
        problems.push(ClassProblem::NoClass);
        problems.sort();
        return ClassResolution { class: None, source, ingress_class: None, controller: None, problems };
    };
    let object = find_class(cluster, &name);
    let controller = match (object, source) {
        (Some(object), _) => controller_for(cluster, Some((&name, Some(object)))),
        (None, ClassSource::Annotation) => controller_for(cluster, Some((&name, None))),
        (None, _) => {
            problems.push(ClassProblem::ClassNotFound { name: name.clone() });
            None
        }
    };
    match &controller {
        Some(info) if info.kind == ControllerKind::Other && info.pods.is_empty() => {
            problems.push(ClassProblem::UnknownController {
                controller: info.controller.clone().unwrap_or_default(),
            })
        }
        Some(info) if info.in_cluster == Some(true) && info.pods.is_empty() => {
            problems.push(ClassProblem::ControllerNotFound { kind: info.kind })
        }
        None if object.is_none() && source == ClassSource::Annotation => {
            problems.push(ClassProblem::UnknownClass { name: name.clone() })
        }
        _ => {}
    }
    problems.sort();
    ClassResolution {
        class: Some(name),
        source,
        ingress_class: object.map(|o| o.origin.location()),
        controller,
        problems,
    }
}

/// How `rule_host` (`None` or empty: no host) matches `request_host`.
/// The request host is compared without port and trailing dot, ignoring case.
pub fn host_matches(rule_host: Option<&str>, request_host: &str) -> Option<HostMatch> {
    let request = normalize_host(request_host);
    let Some(rule) = rule_host.filter(|h| !h.is_empty()) else { return Some(HostMatch::Any) };
    let rule = rule.to_ascii_lowercase();
    if let Some(suffix) = rule.strip_prefix("*.") {
        let (label, rest) = request.split_once('.')?;
        return (!label.is_empty() && rest == suffix).then_some(HostMatch::Wildcard);
    }
    (rule == request).then_some(HostMatch::Exact)
}

/// Whether `rule_path` matches `request_path` under `how`.
pub fn path_matches(how: PathMatch, rule_path: &str, request_path: &str) -> bool {
    let request_path = if request_path.is_empty() { "/" } else { request_path };
    match how {
        PathMatch::Exact => rule_path == request_path,
        PathMatch::StringPrefix => request_path.starts_with(rule_path),
        PathMatch::Prefix => {
            let rule: Vec<&str> = path_elements(rule_path).collect();
            let request: Vec<&str> = path_elements(request_path).collect();
            request.starts_with(&rule)
        }
    }
}

/// Where a request for `host` and `path` goes, for each class whose
/// controller receives it (a rule's host matches it, rules without host
/// included, or an Ingress of the class has a `defaultBackend`), sorted by
/// class. A query string in `path` is ignored.
pub fn route(cluster: &Cluster, host: &str, path: &str) -> Vec<ClassRoute> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = if path.is_empty() { "/" } else { path };
    classes(cluster)
        .into_iter()
        .filter_map(|(class, ingresses)| {
            let kind =
                controller_for(cluster, class.as_deref().map(|name| (name, find_class(cluster, name))))
                    .map(|info| info.kind);
            route_class(class, kind, &ingresses, host, path)
        })
        .collect()
}

/// Whether the backend at `site` of `ingress` reaches a port of a Service;
/// `None` when `ingress` has no backend there.
pub fn check_backend(
    cluster: &Cluster,
    ingress: &Object<Ingress>,
    site: BackendSite,
) -> Option<BackendCheck> {
    let backend = backend_at(&ingress.value, site)?;
    let reference = backend_ref(&ingress.value, backend);
    let status = backend_status(cluster, &reference);
    Some(BackendCheck {
        ingress: IngressRef::of(&ingress.value),
        site,
        backend: reference,
        status,
        location: ingress.origin.field_location(&site.field_path()),
    })
}

/// [`check_backend`] for every backend of `ingress`, default backend first.
pub fn check_backends(cluster: &Cluster, ingress: &Object<Ingress>) -> Vec<BackendCheck> {
    let mut sites = Vec::new();
    let spec = ingress.value.spec.as_ref();
    if spec.and_then(|s| s.default_backend.as_ref()).is_some() {
        sites.push(BackendSite::DefaultBackend);
    }
    for (r, rule) in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten().enumerate() {
        for p in 0..rule.http.as_ref().map_or(0, |h| h.paths.len()) {
            sites.push(BackendSite::Path { rule: r, path: p });
        }
    }
    sites.into_iter().filter_map(|site| check_backend(cluster, ingress, site)).collect()
}

/// Whether `ingress` serves `host` over HTTPS with a usable certificate Secret.
pub fn check_tls(cluster: &Cluster, ingress: &Object<Ingress>, host: &str) -> TlsCheck {
    let value = &ingress.value;
    let reference = IngressRef::of(value);
    let cert_manager = cert_issuer(value);
    let entries = value.spec.as_ref().and_then(|s| s.tls.as_deref()).unwrap_or_default();
    let covering = entries.iter().enumerate().find_map(|(i, entry)| {
        let hosts = entry.hosts.as_deref().unwrap_or_default();
        if hosts.is_empty() {
            return Some((i, entry, HostMatch::Any));
        }
        let best = hosts.iter().filter_map(|h| host_matches(Some(h), host)).max()?;
        Some((i, entry, best))
    });
    let Some((index, entry, coverage)) = covering else {
        return TlsCheck {
            ingress: reference,
            host: host.to_owned(),
            entry: None,
            coverage: None,
            secret: None,
            status: TlsStatus::NotConfigured,
            cert_manager,
            location: ingress.origin.location(),
        };
    };
    let secret = entry.secret_name.clone().filter(|s| !s.is_empty());
    let status = match &secret {
        None => TlsStatus::NoSecretName,
        Some(name) => {
            let found = cluster.secrets().iter().find(|s| {
                s.value.metadata.namespace.as_deref() == Some(reference.namespace.as_str())
                    && s.value.metadata.name.as_deref() == Some(name.as_str())
            });
            match found.map(|s| s.value.type_.clone().unwrap_or_else(|| "Opaque".to_owned())) {
                None => TlsStatus::SecretNotFound,
                Some(type_) if type_ == TLS_SECRET_TYPE => TlsStatus::Ok,
                Some(type_) => TlsStatus::WrongType { type_ },
            }
        }
    };
    TlsCheck {
        ingress: reference,
        host: host.to_owned(),
        entry: Some(index),
        coverage: Some(coverage),
        secret,
        status,
        cert_manager,
        location: ingress.origin.field_location(&format!("spec.tls[{index}]")),
    }
}

/// Host, path and type combinations claimed by more than one Ingress of
/// the same class, sorted by class, host, path and type.
pub fn rule_conflicts(cluster: &Cluster) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    for (class, ingresses) in classes(cluster) {
        type Key = (Option<String>, String, PathType);
        let mut claims: BTreeMap<Key, Vec<Claim>> = BTreeMap::new();
        for ingress in &ingresses {
            for (site, host, path) in paths_of(&ingress.value) {
                let path_type = PathType::parse(&path.path_type);
                let written = path.path.clone().unwrap_or_default();
                let normalized = match path_type {
                    PathType::Prefix if written.len() > 1 => written.trim_end_matches('/').to_owned(),
                    _ if written.is_empty() => "/".to_owned(),
                    _ => written,
                };
                let host = host.filter(|h| !h.is_empty()).map(str::to_ascii_lowercase);
                claims.entry((host, normalized, path_type)).or_default().push(Claim {
                    ingress: IngressRef::of(&ingress.value),
                    site,
                    backend: backend_ref(&ingress.value, &path.backend),
                    location: ingress.origin.field_location(&path_field(site)),
                });
            }
        }
        for ((host, path, path_type), claims) in claims {
            let distinct: BTreeSet<&IngressRef> = claims.iter().map(|c| &c.ingress).collect();
            if distinct.len() > 1 {
                conflicts.push(Conflict { class: class.clone(), host, path, path_type, claims });
            }
        }
    }
    conflicts.sort();
    conflicts
}

/// The annotations ingress-nginx reads paths as regular expressions under.
const NGINX_REGEX_ANNOTATIONS: [&str; 2] =
    ["nginx.ingress.kubernetes.io/use-regex", "nginx.ingress.kubernetes.io/rewrite-target"];

/// How to find a controller's pods and tell which classes they serve.
struct Profile {
    kind: ControllerKind,
    /// Images of the controller container (repository suffixes).
    images: &'static [&'static str],
    /// Images of a separate proxy (data plane); empty when the controller proxies.
    proxy_images: &'static [&'static str],
    /// Labels that all mark a controller pod, for mirrored images.
    labels: &'static [(&'static str, &'static str)],
    /// Flags that set the `spec.controller` value the controller answers to.
    controller_flags: &'static [&'static str],
    /// Flags that set the class names the controller answers to.
    class_flags: &'static [&'static str],
    /// Environment variables that set the class name.
    class_env: &'static [&'static str],
    /// The `spec.controller` value it answers to without flags.
    default_controller: Option<&'static str>,
    /// The class name it answers to without flags (`None`: any).
    default_class: Option<&'static str>,
    /// Whether a class flag also filters IngressClasses by name.
    filters_by_name: bool,
}

/// Controller profiles, from each project's install manifests and flag reference.
const PROFILES: &[Profile] = &[
    // https://kubernetes.github.io/ingress-nginx/user-guide/k8s-122-migration/
    // (--controller-class, --ingress-class, --watch-ingress-without-class).
    Profile {
        kind: ControllerKind::IngressNginx,
        images: &["ingress-nginx/controller", "ingress-nginx/controller-chroot", "nginx-ingress-controller"],
        proxy_images: &[],
        labels: &[("app.kubernetes.io/name", "ingress-nginx"), ("app.kubernetes.io/component", "controller")],
        controller_flags: &["controller-class"],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: Some("k8s.io/ingress-nginx"),
        default_class: Some("nginx"),
        filters_by_name: false,
    },
    // https://docs.nginx.com/nginx-ingress-controller/configuration/global-configuration/command-line-arguments/
    Profile {
        kind: ControllerKind::NginxInc,
        images: &["nginx/nginx-ingress", "nginx-ic/nginx-plus-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: Some("nginx.org/ingress-controller"),
        default_class: Some("nginx"),
        filters_by_name: true,
    },
    // https://doc.traefik.io/traefik/providers/kubernetes-ingress/#ingressclass
    Profile {
        kind: ControllerKind::Traefik,
        images: &["traefik"],
        proxy_images: &[],
        labels: &[("app.kubernetes.io/name", "traefik")],
        controller_flags: &[],
        class_flags: &["providers.kubernetesingress.ingressclass"],
        class_env: &[],
        default_controller: Some("traefik.io/ingress-controller"),
        default_class: None,
        filters_by_name: true,
    },
    // https://www.haproxy.com/documentation/kubernetes-ingress/community/configuration-reference/controller/
    Profile {
        kind: ControllerKind::Haproxy,
        images: &["haproxytech/kubernetes-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress.class"],
        class_env: &[],
        default_controller: None,
        default_class: None,
        filters_by_name: true,
    },
    // https://haproxy-ingress.github.io/docs/configuration/command-line/
    Profile {
        kind: ControllerKind::HaproxyIngress,
        images: &["jcmoraisjr/haproxy-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: None,
        default_class: Some("haproxy"),
        filters_by_name: true,
    },
    // https://projectcontour.io/docs/main/config/ingress/ (--ingress-class-name);
    // Envoy pods proxy the traffic.
    Profile {
        kind: ControllerKind::Contour,
        images: &["projectcontour/contour"],
        proxy_images: &["envoyproxy/envoy", "envoyproxy/envoy-distroless"],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class-name"],
        class_env: &[],
        default_controller: Some("projectcontour.io/ingress-controller"),
        default_class: None,
        filters_by_name: true,
    },
    // https://docs.konghq.com/kubernetes-ingress-controller/latest/concepts/ingress/
    // (--ingress-class or CONTROLLER_INGRESS_CLASS, default kong); the kong
    // container proxies.
    Profile {
        kind: ControllerKind::Kong,
        images: &["kong/kubernetes-ingress-controller"],
        proxy_images: &["kong", "kong-gateway", "kong/kong-gateway"],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &["CONTROLLER_INGRESS_CLASS"],
        default_controller: Some("ingress-controllers.konghq.com/kong"),
        default_class: Some("kong"),
        filters_by_name: true,
    },
    // https://istio.io/latest/docs/tasks/traffic-management/ingress/kubernetes-ingress/:
    // the gateway selected by meshConfig.ingressSelector (default `ingressgateway`).
    Profile {
        kind: ControllerKind::Istio,
        images: &[],
        proxy_images: &[],
        labels: &[("istio", "ingressgateway")],
        controller_flags: &[],
        class_flags: &[],
        class_env: &[],
        default_controller: Some("istio.io/ingress-controller"),
        default_class: Some("istio"),
        filters_by_name: false,
    },
];

/// Usual class names of controllers, for the annotation without an IngressClass.
fn conventional_kinds(class: &str) -> &'static [ControllerKind] {
    match class {
        "nginx" => &[ControllerKind::IngressNginx, ControllerKind::NginxInc],
        "traefik" => &[ControllerKind::Traefik],
        "haproxy" => &[ControllerKind::Haproxy, ControllerKind::HaproxyIngress],
        "contour" => &[ControllerKind::Contour],
        "kong" => &[ControllerKind::Kong],
        "istio" => &[ControllerKind::Istio],
        "gce" | "gce-internal" => &[ControllerKind::Gce],
        "alb" => &[ControllerKind::AwsLoadBalancer],
        "azure/application-gateway" => &[ControllerKind::AzureApplicationGateway],
        _ => &[],
    }
}

/// The class an Ingress asks for, before looking for its controller.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    /// `None`: an Ingress without class.
    class: Option<&'a str>,
    /// The IngressClass's `spec.controller`, when there is an IngressClass.
    controller: Option<&'a str>,
    /// Only pods whose flags name the class explicitly count.
    explicit: bool,
}

/// The class name, where it comes from, and the problems found on the way.
fn class_name(cluster: &Cluster, ingress: &Ingress) -> (Option<String>, ClassSource, Vec<ClassProblem>) {
    let mut problems = Vec::new();
    let field = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.clone()).filter(|c| !c.is_empty());
    let annotation = ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
        .filter(|c| !c.is_empty())
        .cloned();
    if annotation.is_some() {
        problems.push(ClassProblem::DeprecatedAnnotation);
    }
    match (field, annotation) {
        (Some(field), Some(annotation)) if field != annotation => {
            problems.push(ClassProblem::AnnotationConflict { field, annotation: annotation.clone() });
            (Some(annotation), ClassSource::Annotation, problems)
        }
        (Some(field), _) => (Some(field), ClassSource::Field, problems),
        (None, Some(annotation)) => (Some(annotation), ClassSource::Annotation, problems),
        (None, None) => {
            let defaults = default_classes(cluster);
            let Some(chosen) = defaults.first() else { return (None, ClassSource::None, problems) };
            let chosen = chosen.value.metadata.name.clone().unwrap_or_default();
            if defaults.len() > 1 {
                let mut classes: Vec<String> =
                    defaults.iter().map(|c| c.value.metadata.name.clone().unwrap_or_default()).collect();
                classes.sort();
                problems.push(ClassProblem::SeveralDefaults { classes, chosen: chosen.clone() });
            }
            (Some(chosen), ClassSource::Default, problems)
        }
    }
}

/// IngressClasses marked default, the one admission picks first: newest
/// `creationTimestamp`, then name (`getDefaultClass` in
/// `plugin/pkg/admission/network/defaultingressclass`).
fn default_classes(cluster: &Cluster) -> Vec<&Object<IngressClass>> {
    let mut defaults: Vec<&Object<IngressClass>> = cluster
        .ingress_classes()
        .iter()
        .filter(|c| {
            c.value
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                .map(String::as_str)
                == Some("true")
        })
        .collect();
    defaults.sort_by(|a, b| {
        let (a, b) = (&a.value.metadata, &b.value.metadata);
        b.creation_timestamp.cmp(&a.creation_timestamp).then_with(|| a.name.cmp(&b.name))
    });
    defaults
}

fn find_class<'a>(cluster: &'a Cluster, name: &str) -> Option<&'a Object<IngressClass>> {
    cluster.ingress_classes().iter().find(|c| c.value.metadata.name.as_deref() == Some(name))
}

/// The controller of a class (`None`: Ingresses without class), and its pods.
fn controller_for(
    cluster: &Cluster,
    class: Option<(&str, Option<&Object<IngressClass>>)>,
) -> Option<ControllerInfo> {
    let info = |kind: ControllerKind, controller: Option<String>, pods: Vec<PodId>| {
        let mut workloads: Vec<WorkloadRef> =
            pods.iter().map(|id| cluster.workload_ref(cluster.pod(*id))).collect();
        workloads.sort();
        workloads.dedup();
        let in_cluster = kind.in_cluster().or_else(|| (!pods.is_empty()).then_some(true));
        Some(ControllerInfo { kind, controller, in_cluster, pods, workloads })
    };
    let Some((name, object)) = class else {
        // Only ingress-nginx can be told to take Ingresses without class.
        let wanted = Wanted { class: None, controller: None, explicit: false };
        let profile = profile(ControllerKind::IngressNginx)?;
        let pods = find_pods(cluster, profile, wanted);
        return if pods.is_empty() { None } else { info(ControllerKind::IngressNginx, None, pods) };
    };
    if let Some(object) = object {
        let controller = object.value.spec.as_ref().and_then(|s| s.controller.clone()).unwrap_or_default();
        let wanted = Wanted { class: Some(name), controller: Some(&controller), explicit: false };
        let mut kind = ControllerKind::from_controller(&controller);
        if kind == ControllerKind::Other {
            // A custom controller value: the controller whose pods' controller
            // flag (ingress-nginx `--controller-class`) names it.
            let claims = |profile: &Profile| {
                controller_candidates(cluster, profile).into_iter().any(|id| {
                    let Some(containers) = controller_containers(cluster.pod(id), profile) else {
                        return false;
                    };
                    let words: Vec<&str> = containers.iter().flat_map(|c| container_words(c)).collect();
                    profile
                        .controller_flags
                        .iter()
                        .any(|flag| flag_value(&words, flag) == Some(controller.as_str()))
                })
            };
            if let Some(profile) = PROFILES.iter().find(|p| claims(p)) {
                kind = profile.kind;
            }
        }
        let pods = profile(kind).map(|p| find_pods(cluster, p, wanted)).unwrap_or_default();
        return info(kind, Some(controller), pods);
    }
    // The annotation without IngressClass: the usual names, then pods whose
    // class flag names it.
    let wanted = Wanted { class: Some(name), controller: None, explicit: false };
    let kinds = conventional_kinds(name);
    let with_pods = kinds.iter().find_map(|kind| {
        let pods = find_pods(cluster, profile(*kind)?, wanted);
        (!pods.is_empty()).then_some((*kind, pods))
    });
    if let Some((kind, pods)) = with_pods {
        return info(kind, None, pods);
    }
    if let Some(kind) = kinds.first() {
        return info(*kind, None, Vec::new());
    }
    let explicit = Wanted { explicit: true, ..wanted };
    PROFILES.iter().find_map(|p| {
        let pods = find_pods(cluster, p, explicit);
        if pods.is_empty() {
            None
        } else {
            info(p.kind, None, pods)
        }
    })
}

fn profile(kind: ControllerKind) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.kind == kind)
}

/// The pods of `profile`'s controller that serve `wanted`, or, for
/// controllers with a separate proxy, the proxy pods beside them.
fn find_pods(cluster: &Cluster, profile: &Profile, wanted: Wanted) -> Vec<PodId> {
    let mut any_controller = false;
    let mut serving = Vec::new();
    for id in controller_candidates(cluster, profile) {
        let Some(containers) = controller_containers(cluster.pod(id), profile) else { continue };
        any_controller = true;
        if serves(profile, &containers, wanted) {
            serving.push(id);
        }
    }
    if profile.proxy_images.is_empty() {
        return serving;
    }
    if any_controller && serving.is_empty() {
        return Vec::new();
    }
    // The proxies beside the serving controllers, or every proxy when the
    // input has no controller pod to tell which class they serve.
    let namespaces: BTreeSet<&str> = serving.iter().map(|id| cluster.pod(*id).namespace.as_str()).collect();
    let is_proxy = |pod: &Pod| {
        pod.spec.containers.iter().any(|c| {
            c.image.as_deref().is_some_and(|image| profile.proxy_images.iter().any(|p| image_is(image, p)))
        })
    };
    let proxies =
        cluster.index().pods_with_image(|r| profile.proxy_images.iter().any(|p| repository_is(r, p)));
    proxies
        .into_iter()
        .filter(|id| {
            let pod = cluster.pod(*id);
            is_proxy(pod) && (!any_controller || namespaces.contains(pod.namespace.as_str()))
        })
        .collect()
}

/// The pods that may run `profile`'s controller, sorted by id: those with
/// one of its images or its first label ([`controller_containers`] decides),
/// from the cluster's index rather than a walk over every pod.
fn controller_candidates(cluster: &Cluster, profile: &Profile) -> Vec<PodId> {
    let index = cluster.index();
    let mut pods = index.pods_with_image(|r| profile.images.iter().any(|i| repository_is(r, i)));
    if let Some((key, value)) = profile.labels.first() {
        pods.extend_from_slice(index.pods_with_label(key, value));
        pods.sort_unstable();
        pods.dedup();
    }
    pods
}

/// The containers of `pod` that run `profile`'s controller (by image), or
/// all of them when its labels mark it; `None` when it is not one.
fn controller_containers<'a>(pod: &'a Pod, profile: &Profile) -> Option<Vec<&'a Container>> {
    let by_image: Vec<&Container> = pod
        .spec
        .containers
        .iter()
        .filter(|c| c.image.as_deref().is_some_and(|image| profile.images.iter().any(|i| image_is(image, i))))
        .collect();
    if !by_image.is_empty() {
        return Some(by_image);
    }
    let labelled = !profile.labels.is_empty()
        && profile.labels.iter().all(|(key, value)| pod.labels.get(*key).map(String::as_str) == Some(*value));
    labelled.then(|| pod.spec.containers.iter().collect())
}

/// Whether a controller with these containers serves the class `wanted`.
fn serves(profile: &Profile, containers: &[&Container], wanted: Wanted) -> bool {
    let words: Vec<&str> = containers.iter().flat_map(|c| container_words(c)).collect();
    let Some(name) = wanted.class else {
        return profile.kind == ControllerKind::IngressNginx
            && flag_bool(&words, "watch-ingress-without-class") == Some(true);
    };
    let env = containers
        .iter()
        .flat_map(|c| c.env.iter().flatten())
        .find_map(|e| profile.class_env.contains(&e.name.as_str()).then_some(e.value.as_deref()).flatten());
    let classes: Option<Vec<&str>> = profile
        .class_flags
        .iter()
        .find_map(|flag| flag_value(&words, flag))
        .or(env)
        .map(|value| value.split(',').map(str::trim).collect());
    if wanted.explicit {
        return classes.is_some_and(|c| c.contains(&name));
    }
    if let Some(controller) = wanted.controller {
        let own = profile.controller_flags.iter().find_map(|flag| flag_value(&words, flag));
        if own.or(profile.default_controller).is_some_and(|own| own != controller) {
            return false;
        }
        return !profile.filters_by_name || classes.is_none_or(|c| c.contains(&name));
    }
    match classes {
        Some(classes) => classes.contains(&name),
        None => profile.default_class.is_none_or(|default| default == name),
    }
}

/// Ingresses grouped by class name, each group oldest first.
fn classes(cluster: &Cluster) -> BTreeMap<Option<String>, Vec<&Object<Ingress>>> {
    let mut groups: BTreeMap<Option<String>, Vec<&Object<Ingress>>> = BTreeMap::new();
    for ingress in cluster.ingresses() {
        let (class, _, _) = class_name(cluster, &ingress.value);
        groups.entry(class).or_default().push(ingress);
    }
    for ingresses in groups.values_mut() {
        ingresses.sort_by(|a, b| age_key(&a.value).cmp(&age_key(&b.value)));
    }
    groups
}

/// Oldest first: Ingresses with a `creationTimestamp` (from a live cluster)
/// before those without (manifests, not created yet), then by namespace and name.
fn age_key(ingress: &Ingress) -> (bool, Option<&Time>, IngressRef) {
    let created = ingress.metadata.creation_timestamp.as_ref();
    (created.is_none(), created, IngressRef::of(ingress))
}

/// Every rule path of `ingress` with its site and rule host.
fn paths_of(
    ingress: &Ingress,
) -> impl Iterator<Item = (BackendSite, Option<&str>, &k8s_openapi::api::networking::v1::HTTPIngressPath)> {
    let rules = ingress.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
    rules.flat_map(|(r, rule)| {
        let host = rule.host.as_deref();
        rule.http
            .iter()
            .flat_map(|h| h.paths.iter())
            .enumerate()
            .map(move |(p, path)| (BackendSite::Path { rule: r, path: p }, host, path))
    })
}

fn path_field(site: BackendSite) -> String {
    match site {
        BackendSite::DefaultBackend => "spec.defaultBackend".to_owned(),
        BackendSite::Path { rule, path } => format!("spec.rules[{rule}].http.paths[{path}]"),
    }
}

/// The precedence key of a candidate: more specific host, longer path,
/// `Exact` first, then older Ingress and earlier position.
fn precedence(candidate: &Candidate, age: usize) -> impl Ord {
    let exact = candidate.path_type != PathType::Exact;
    (
        std::cmp::Reverse(candidate.host_match),
        std::cmp::Reverse(candidate.path.len()),
        exact,
        age,
        candidate.site,
    )
}

fn route_class(
    class: Option<String>,
    kind: Option<ControllerKind>,
    ingresses: &[&Object<Ingress>],
    host: &str,
    path: &str,
) -> Option<ClassRoute> {
    let mut best_host: Option<(HostMatch, String)> = None;
    // Whether any rule's host matches: the class's controller receives the request.
    let mut concerned = false;
    let mut candidates: Vec<(Candidate, usize)> = Vec::new();
    let mut notes = BTreeSet::new();
    for (age, ingress) in ingresses.iter().enumerate() {
        let value = &ingress.value;
        let rules = value.spec.iter().flat_map(|s| s.rules.iter().flatten());
        for rule in rules {
            let Some(host_match) = host_matches(rule.host.as_deref(), host) else { continue };
            concerned = true;
            if host_match != HostMatch::Any && best_host.as_ref().is_none_or(|(best, _)| host_match > *best) {
                best_host = Some((host_match, rule.host.clone().unwrap_or_default()));
            }
        }
        for (site, rule_host, http_path) in paths_of(value) {
            let Some(host_match) = host_matches(rule_host, host) else { continue };
            let path_type = PathType::parse(&http_path.path_type);
            let how = PathMatch::of(path_type, kind);
            let written = http_path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
            if !path_matches(how, &written, path) {
                continue;
            }
            if kind == Some(ControllerKind::IngressNginx) && regex_paths(value) {
                notes.insert(RouteNote::RegexPaths { ingress: IngressRef::of(value) });
            }
            candidates.push((
                Candidate {
                    ingress: IngressRef::of(value),
                    site,
                    host: rule_host.filter(|h| !h.is_empty()).map(str::to_owned),
                    host_match,
                    path: written,
                    path_type,
                    path_match: how,
                    backend: backend_ref(value, &http_path.backend),
                    location: ingress.origin.field_location(&path_field(site)),
                },
                age,
            ));
        }
    }
    candidates.sort_by_key(|(candidate, age)| precedence(candidate, *age));
    let falls_back = kind.is_none_or(ControllerKind::falls_back_to_less_specific_hosts);
    let chosen_tier = best_host.as_ref().map_or(HostMatch::Any, |(tier, _)| *tier);
    let (eligible, shadowed): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|(c, _)| falls_back || c.host_match == chosen_tier);

    let mut alternatives = Vec::new();
    let mut eligible = eligible.into_iter().map(|(c, _)| c);
    let target = match eligible.next() {
        Some(winner) => {
            for candidate in eligible {
                let reason = loss_reason(&winner, &candidate);
                alternatives.push(Alternative { candidate, reason });
            }
            RouteTarget::Rule(winner)
        }
        None => {
            let server = best_host.as_ref().map(|(_, host)| host.as_str());
            let (target, note) = default_target(kind, ingresses, server, concerned)?;
            notes.extend(note);
            target
        }
    };
    let chosen_host = best_host.map(|(_, host)| host).unwrap_or_default();
    for (candidate, _) in shadowed {
        alternatives.push(Alternative {
            candidate,
            reason: LossReason::ShadowedByHost { host: chosen_host.clone() },
        });
    }
    Some(ClassRoute { class, controller: kind, target, alternatives, notes: notes.into_iter().collect() })
}

fn loss_reason(winner: &Candidate, loser: &Candidate) -> LossReason {
    if loser.host_match < winner.host_match {
        LossReason::LessSpecificHost
    } else if loser.path.len() < winner.path.len() {
        LossReason::ShorterPath
    } else if winner.path_type == PathType::Exact && loser.path_type != PathType::Exact {
        LossReason::ExactPreferred
    } else {
        LossReason::Tie
    }
}

fn regex_paths(ingress: &Ingress) -> bool {
    let Some(annotations) = &ingress.metadata.annotations else { return false };
    annotations.get(NGINX_REGEX_ANNOTATIONS[0]).is_some_and(|v| v == "true")
        || annotations.get(NGINX_REGEX_ANNOTATIONS[1]).is_some()
}

fn backend_at(ingress: &Ingress, site: BackendSite) -> Option<&IngressBackend> {
    let spec = ingress.spec.as_ref()?;
    match site {
        BackendSite::DefaultBackend => spec.default_backend.as_ref(),
        BackendSite::Path { rule, path } => {
            Some(&spec.rules.as_ref()?.get(rule)?.http.as_ref()?.paths.get(path)?.backend)
        }
    }
}

pub(crate) fn backend_ref(ingress: &Ingress, backend: &IngressBackend) -> BackendRef {
    if let Some(service) = &backend.service {
        let port = service.port.as_ref().and_then(|p| match (&p.name, p.number) {
            (Some(name), _) if !name.is_empty() => Some(PortRef::Name(name.clone())),
            (_, Some(number)) if number != 0 => Some(PortRef::Number(number)),
            _ => None,
        });
        let namespace = IngressRef::of(ingress).namespace;
        return BackendRef::Service { service: ServiceRef { namespace, name: service.name.clone() }, port };
    }
    match &backend.resource {
        Some(resource) => BackendRef::Resource {
            api_group: resource.api_group.clone().filter(|g| !g.is_empty()),
            kind: resource.kind.clone(),
            name: resource.name.clone(),
        },
        None => BackendRef::None,
    }
}

fn backend_status(cluster: &Cluster, reference: &BackendRef) -> BackendStatus {
    let (service_ref, port) = match reference {
        BackendRef::Resource { .. } => return BackendStatus::Resource,
        BackendRef::None => return BackendStatus::MissingService,
        BackendRef::Service { port: None, .. } => return BackendStatus::MissingPort,
        BackendRef::Service { service, port: Some(port) } => (service, port.clone()),
    };
    let Some(service) = cluster.service(&service_ref.namespace, &service_ref.name) else {
        return BackendStatus::ServiceNotFound;
    };
    let service = &service.value;
    if service_kind(service) == Some(ServiceKind::ExternalName) {
        return BackendStatus::ExternalName {
            external_name: external_name(service).unwrap_or_default().to_owned(),
        };
    }
    if let Some(found) = find_service_port(service, &port, Protocol::Tcp) {
        return BackendStatus::Ok { port: ServicePortKey::of(found) };
    }
    let other_protocol =
        [Protocol::Udp, Protocol::Sctp].into_iter().find_map(|p| find_service_port(service, &port, p));
    if let Some(found) = other_protocol {
        return BackendStatus::NotTcp { port: ServicePortKey::of(found) };
    }
    let pods: Vec<&Pod> =
        cluster.pods_selected_by_service(service).into_iter().map(|id| cluster.pod(id)).collect();
    let container_port = pods.iter().any(|pod| {
        pod.container_ports().any(|p| match &port {
            PortRef::Number(number) => p.port == *number,
            PortRef::Name(name) => p.name.as_deref() == Some(name.as_str()),
        })
    });
    let mut ports: Vec<ServicePortKey> = service_ports(service).iter().map(ServicePortKey::of).collect();
    ports.sort();
    let suggestion = if container_port {
        let mut leading: Vec<ServicePortKey> = service_ports(service)
            .iter()
            .filter(|sp| match &port {
                PortRef::Number(number) => pods.iter().any(|pod| resolve_target_port(sp, pod) == Ok(*number)),
                PortRef::Name(name) => target_port(sp) == PortRef::Name(name.clone()),
            })
            .map(ServicePortKey::of)
            .collect();
        leading.sort();
        leading.into_iter().next()
    } else {
        None
    };
    BackendStatus::PortNotFound { service_ports: ports, container_port, suggestion }
}

fn cert_issuer(ingress: &Ingress) -> Option<CertIssuer> {
    let annotations = ingress.metadata.annotations.as_ref()?;
    let named = |key: &str| annotations.get(key).filter(|v| !v.is_empty()).cloned();
    if let Some(name) = named(CLUSTER_ISSUER_ANNOTATION) {
        return Some(CertIssuer::ClusterIssuer { name });
    }
    if let Some(name) = named(ISSUER_ANNOTATION) {
        return Some(CertIssuer::Issuer { name });
    }
    (annotations.get(TLS_ACME_ANNOTATION).map(String::as_str) == Some("true"))
        .then_some(CertIssuer::DefaultIssuer)
}

fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn path_elements(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|element| !element.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn ingress(name: &str, spec: Value) -> Value {
        json!({"kind": "Ingress", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
    }

    fn ingress_class(name: &str, controller: &str, default: bool) -> Value {
        let annotations = if default { json!({DEFAULT_CLASS_ANNOTATION: "true"}) } else { json!({}) };
        json!({"kind": "IngressClass", "metadata": {"name": name, "annotations": annotations},
               "spec": {"controller": controller}})
    }

    /// A Deployment in `namespace` with one container.
    fn deployment(namespace: &str, name: &str, labels: Value, image: &str, args: &[&str]) -> Value {
        json!({
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels.clone()},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": image, "args": args}]}}},
        })
    }

    fn nginx_controller(args: &[&str]) -> Value {
        deployment(
            "ingress-nginx",
            "ingress-nginx-controller",
            json!({"app": "ingress-nginx-controller"}),
            "registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac",
            args,
        )
    }

    fn backend(service: &str, port: Value) -> Value {
        json!({"service": {"name": service, "port": port}})
    }

    fn path(path: &str, path_type: &str, service: &str) -> Value {
        json!({"path": path, "pathType": path_type, "backend": backend(service, json!({"number": 80}))})
    }

    // ---- ingress-class ----

    /// The class resolution of the Ingress `shop/web` among `objects`, one fact per line.
    fn check_class(objects: Vec<Value>, expect: &str) {
        let cluster = cluster(objects);
        let web =
            cluster.ingresses().iter().find(|i| i.value.metadata.name.as_deref() == Some("web")).unwrap();
        let resolution = ingress_class_of(&cluster, &web.value);
        let mut lines = vec![format!("class {:?} via {:?}", resolution.class, resolution.source)];
        if let Some(controller) = &resolution.controller {
            let workloads: Vec<String> =
                controller.workloads.iter().map(|w| format!("{}/{}", w.kind, w.id())).collect();
            lines.push(format!(
                "controller {:?} {:?} in-cluster {:?} [{}]",
                controller.kind,
                controller.controller,
                controller.in_cluster,
                workloads.join(", ")
            ));
        }
        for problem in &resolution.problems {
            lines.push(format!("problem {problem:?}"));
        }
        assert_eq!(lines.join("\n"), expect.trim(), "\n{resolution:#?}");
    }

    // ingressClassName names an IngressClass whose controller is ingress-nginx
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class).
    #[test]
    fn class_by_field() {
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "nginx"})),
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                nginx_controller(&["/nginx-ingress-controller", "--controller-class=k8s.io/ingress-nginx"]),
            ],
            "
class Some(\"nginx\") via Field
controller IngressNginx Some(\"k8s.io/ingress-nginx\") in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    // Two ingress-nginx installations tell their classes apart by
    // --controller-class (https://kubernetes.github.io/ingress-nginx/user-guide/multiple-ingress/).
    #[test]
    fn controller_class_flags_pick_the_installation() {
        let internal = deployment(
            "internal",
            "internal-controller",
            json!({"app": "internal"}),
            "registry.k8s.io/ingress-nginx/controller:v1.11.2",
            &["--controller-class=k8s.io/internal-nginx", "--ingress-class=internal"],
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "internal"})),
                ingress_class("internal", "k8s.io/internal-nginx", false),
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                nginx_controller(&[]),
                internal,
            ],
            "
class Some(\"internal\") via Field
controller IngressNginx Some(\"k8s.io/internal-nginx\") in-cluster Some(true) [Deployment/internal/internal-controller]",
        );
    }

    // The deprecated annotation still selects the controller
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#deprecated-annotation);
    // without an IngressClass, ingress-nginx answers to its --ingress-class (default nginx).
    #[test]
    fn class_by_annotation() {
        let web = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "nginx"}}, "spec": {}});
        check_class(
            vec![web.clone(), nginx_controller(&[])],
            "
class Some(\"nginx\") via Annotation
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]
problem DeprecatedAnnotation",
        );
        // Not running in the input.
        check_class(
            vec![web],
            "
class Some(\"nginx\") via Annotation
controller IngressNginx None in-cluster Some(true) []
problem DeprecatedAnnotation
problem ControllerNotFound { kind: IngressNginx }",
        );
    }

    // The API server rejects a new Ingress whose annotation and field differ
    // (ValidateIngressCreate); on older objects controllers read the annotation.
    #[test]
    fn annotation_conflicting_with_field() {
        let web = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "traefik"}},
                          "spec": {"ingressClassName": "nginx"}});
        check_class(
            vec![web],
            "
class Some(\"traefik\") via Annotation
controller Traefik None in-cluster Some(true) []
problem AnnotationConflict { field: \"nginx\", annotation: \"traefik\" }
problem DeprecatedAnnotation
problem ControllerNotFound { kind: Traefik }",
        );
    }

    // The default IngressClass is assigned to Ingresses without class
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class);
    // with several defaults the newest wins (kubernetes/kubernetes#110974).
    #[test]
    fn default_class() {
        let web = ingress("web", json!({}));
        check_class(
            vec![
                web.clone(),
                ingress_class("traefik", "traefik.io/ingress-controller", true),
                deployment("traefik", "traefik", json!({"app": "traefik"}), "docker.io/traefik:v3.1", &[]),
            ],
            "
class Some(\"traefik\") via Default
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) [Deployment/traefik/traefik]",
        );
        let mut older = ingress_class("a-old", "k8s.io/ingress-nginx", true);
        older["metadata"]["creationTimestamp"] = json!("2023-01-01T00:00:00Z");
        let mut newer = ingress_class("z-new", "traefik.io/ingress-controller", true);
        newer["metadata"]["creationTimestamp"] = json!("2024-01-01T00:00:00Z");
        check_class(
            vec![web.clone(), older, newer],
            "
class Some(\"z-new\") via Default
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) []
problem SeveralDefaults { classes: [\"a-old\", \"z-new\"], chosen: \"z-new\" }
problem ControllerNotFound { kind: Traefik }",
        );
        // Without timestamps (manifests), the first name wins.
        check_class(
            vec![
                web,
                ingress_class("b", "k8s.io/ingress-nginx", true),
                ingress_class("a", "ingress.k8s.aws/alb", true),
            ],
            "
class Some(\"a\") via Default
controller AwsLoadBalancer Some(\"ingress.k8s.aws/alb\") in-cluster Some(false) []
problem SeveralDefaults { classes: [\"a\", \"b\"], chosen: \"a\" }",
        );
    }

    // No class and no default: nothing acts on it, unless ingress-nginx runs
    // with --watch-ingress-without-class
    // (https://kubernetes.github.io/ingress-nginx/user-guide/k8s-122-migration/#what-is-the-flag-watch-ingress-without-class).
    #[test]
    fn no_class() {
        check_class(vec![ingress("web", json!({}))], "class None via None\nproblem NoClass");
        check_class(
            vec![ingress("web", json!({})), nginx_controller(&["--watch-ingress-without-class=true"])],
            "
class None via WithoutClass
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    #[test]
    fn missing_and_unknown_classes() {
        // ingressClassName must name an IngressClass.
        check_class(
            vec![ingress("web", json!({"ingressClassName": "nginx"}))],
            "class Some(\"nginx\") via Field\nproblem ClassNotFound { name: \"nginx\" }",
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "corp"})),
                ingress_class("corp", "corp.example/proxy", false),
            ],
            "
class Some(\"corp\") via Field
controller Other Some(\"corp.example/proxy\") in-cluster None []
problem UnknownController { controller: \"corp.example/proxy\" }",
        );
        let annotated = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                                "annotations": {INGRESS_CLASS_ANNOTATION: "corp"}}, "spec": {}});
        check_class(
            vec![annotated.clone()],
            "
class Some(\"corp\") via Annotation
problem UnknownClass { name: \"corp\" }
problem DeprecatedAnnotation",
        );
        // A controller whose flag names the class explicitly claims it.
        check_class(
            vec![annotated, nginx_controller(&["--ingress-class=corp"])],
            "
class Some(\"corp\") via Annotation
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]
problem DeprecatedAnnotation",
        );
    }

    // A custom controller value is claimed by the pods whose
    // --controller-class names it (AKS app routing runs ingress-nginx so).
    #[test]
    fn custom_controller_value_claimed_by_pods() {
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "webapprouting.kubernetes.azure.com"})),
                ingress_class("webapprouting.kubernetes.azure.com", "approuting.kubernetes.azure.com/nginx", false),
                nginx_controller(&["--controller-class=approuting.kubernetes.azure.com/nginx"]),
            ],
            "
class Some(\"webapprouting.kubernetes.azure.com\") via Field
controller IngressNginx Some(\"approuting.kubernetes.azure.com/nginx\") in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    // Controllers without a controller flag never claim a custom value; the
    // annotation `nginx` goes to whichever nginx controller runs (both
    // projects default to that class name); Traefik's
    // --providers.kubernetesingress.ingressclass filters IngressClasses by name
    // (https://doc.traefik.io/traefik/providers/kubernetes-ingress/#ingressclass).
    #[test]
    fn controllers_tell_their_classes_apart() {
        let haproxy = deployment(
            "haproxy",
            "haproxy",
            json!({"app": "haproxy"}),
            "haproxytech/kubernetes-ingress:3.0",
            &[],
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "corp"})),
                ingress_class("corp", "corp.example/proxy", false),
                haproxy,
            ],
            "
class Some(\"corp\") via Field
controller Other Some(\"corp.example/proxy\") in-cluster None []
problem UnknownController { controller: \"corp.example/proxy\" }",
        );
        let annotated = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                                "annotations": {INGRESS_CLASS_ANNOTATION: "nginx"}}, "spec": {}});
        check_class(
            vec![
                annotated,
                deployment(
                    "nginx-ingress",
                    "nginx-ingress",
                    json!({"app": "nic"}),
                    "nginx/nginx-ingress:3.6.0",
                    &[],
                ),
            ],
            "
class Some(\"nginx\") via Annotation
controller NginxInc None in-cluster Some(true) [Deployment/nginx-ingress/nginx-ingress]
problem DeprecatedAnnotation",
        );
        let traefik = |class_flag: &str| {
            deployment(
                "traefik",
                "traefik",
                json!({"app": "traefik"}),
                "traefik:v3.1",
                &[
                    "--providers.kubernetesingress",
                    &format!("--providers.kubernetesingress.ingressclass={class_flag}"),
                ],
            )
        };
        let objects = |flag: &str| {
            vec![
                ingress("web", json!({"ingressClassName": "public"})),
                ingress_class("public", "traefik.io/ingress-controller", false),
                traefik(flag),
            ]
        };
        check_class(
            objects("public"),
            "
class Some(\"public\") via Field
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) [Deployment/traefik/traefik]",
        );
        check_class(
            objects("internal"),
            "
class Some(\"public\") via Field
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) []
problem ControllerNotFound { kind: Traefik }",
        );
    }

    // Cloud controllers run outside the cluster: no pods to look for
    // (https://github.com/kubernetes-sigs/aws-load-balancer-controller,
    // https://learn.microsoft.com/azure/application-gateway/ingress-controller-overview,
    // https://cloud.google.com/kubernetes-engine/docs/concepts/ingress).
    #[test]
    fn cloud_controllers_are_outside() {
        for (controller, kind) in [
            ("ingress.k8s.aws/alb", "AwsLoadBalancer"),
            ("azure/application-gateway", "AzureApplicationGateway"),
        ] {
            check_class(
                vec![ingress("web", json!({"ingressClassName": "cloud"})), ingress_class("cloud", controller, false)],
                &format!("class Some(\"cloud\") via Field\ncontroller {kind} Some(\"{controller}\") in-cluster Some(false) []"),
            );
        }
        let gce = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "gce"}}, "spec": {}});
        check_class(
            vec![gce],
            "
class Some(\"gce\") via Annotation
controller Gce None in-cluster Some(false) []
problem DeprecatedAnnotation",
        );
    }

    // Controllers with a separate proxy: Contour's Envoy, Kong's proxy,
    // Istio's ingress gateway.
    #[test]
    fn proxies_of_split_controllers() {
        let envoy = json!({
            "kind": "DaemonSet", "metadata": {"name": "envoy", "namespace": "projectcontour"},
            "spec": {"selector": {"matchLabels": {"app": "envoy"}},
                     "template": {"metadata": {"labels": {"app": "envoy"}},
                                  "spec": {"containers": [{"name": "envoy", "image": "docker.io/envoyproxy/envoy:v1.31.0"}]}}},
        });
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "contour"})),
                ingress_class("contour", "projectcontour.io/ingress-controller", false),
                deployment("projectcontour", "contour", json!({"app": "contour"}), "ghcr.io/projectcontour/contour:v1.30.0", &["serve", "--ingress-class-name=contour"]),
                envoy,
            ],
            "
class Some(\"contour\") via Field
controller Contour Some(\"projectcontour.io/ingress-controller\") in-cluster Some(true) [DaemonSet/projectcontour/envoy]",
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "istio"})),
                ingress_class("istio", "istio.io/ingress-controller", false),
                deployment("istio-system", "istio-ingressgateway", json!({"istio": "ingressgateway"}), "docker.io/istio/proxyv2:1.23.0", &[]),
                deployment("shop", "api", json!({"app": "api"}), "docker.io/istio/proxyv2:1.23.0", &[]),
            ],
            "
class Some(\"istio\") via Field
controller Istio Some(\"istio.io/ingress-controller\") in-cluster Some(true) [Deployment/istio-system/istio-ingressgateway]",
        );
        let kong = json!({
            "kind": "Deployment", "metadata": {"name": "kong", "namespace": "kong"},
            "spec": {"selector": {"matchLabels": {"app": "kong"}},
                     "template": {"metadata": {"labels": {"app": "kong"}},
                                  "spec": {"containers": [
                                      {"name": "ingress-controller", "image": "kong/kubernetes-ingress-controller:3.3",
                                       "env": [{"name": "CONTROLLER_INGRESS_CLASS", "value": "kong"}]},
                                      {"name": "proxy", "image": "kong:3.8"}]}}},
        });
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "kong"})),
                ingress_class("kong", "ingress-controllers.konghq.com/kong", false),
                kong,
            ],
            "
class Some(\"kong\") via Field
controller Kong Some(\"ingress-controllers.konghq.com/kong\") in-cluster Some(true) [Deployment/kong/kong]",
        );
    }

    // ---- hosts ----

    // https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards
    #[test]
    fn hostname_wildcards() {
        let check = |rule: Option<&str>, request: &str, expect: Option<HostMatch>| {
            assert_eq!(host_matches(rule, request), expect, "{rule:?} vs {request}");
        };
        check(Some("*.foo.com"), "bar.foo.com", Some(HostMatch::Wildcard));
        check(Some("*.foo.com"), "baz.bar.foo.com", None);
        check(Some("*.foo.com"), "foo.com", None);
        check(Some("*.foo.com"), ".foo.com", None);
        check(Some("foo.bar.com"), "foo.bar.com", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "FOO.bar.com:8443", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "foo.bar.com.", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "bar.com", None);
        check(None, "anything.example", Some(HostMatch::Any));
        check(Some(""), "anything.example", Some(HostMatch::Any));
    }

    // ---- paths ----

    /// Routes `request` through one Ingress of `paths` ((type, path) pairs)
    /// with a default backend, and gives the winner as `Type path`, or
    /// `default backend`.
    fn check_paths(paths: &[(&str, &str)], request: &str, expect: &str) {
        let paths: Vec<Value> = paths.iter().map(|(kind, p)| path(p, kind, "svc")).collect();
        let cluster = cluster(vec![ingress(
            "web",
            json!({"defaultBackend": backend("fallback", json!({"number": 80})), "rules": [{"http": {"paths": paths}}]}),
        )]);
        let routes = route(&cluster, "example.com", request);
        assert_eq!(routes.len(), 1);
        let actual = match &routes[0].target {
            RouteTarget::Rule(c) => format!("{:?} {}", c.path_type, c.path),
            RouteTarget::DefaultBackend { .. } => "default backend".to_owned(),
            RouteTarget::ControllerDefault => "controller default".to_owned(),
        };
        assert_eq!(actual, expect, "{paths:?} for {request}");
    }

    // Every row of the "Examples" table of
    // https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
    #[test]
    fn path_matching_examples_table() {
        // Prefix | / | (all paths) | Yes
        for request in ["/", "/foo", "/aaa/bbb/ccc", "/x/"] {
            check_paths(&[("Prefix", "/")], request, "Prefix /");
        }
        // Exact | /foo | /foo | Yes
        check_paths(&[("Exact", "/foo")], "/foo", "Exact /foo");
        // Exact | /foo | /bar | No
        check_paths(&[("Exact", "/foo")], "/bar", "default backend");
        // Exact | /foo | /foo/ | No
        check_paths(&[("Exact", "/foo")], "/foo/", "default backend");
        // Exact | /foo/ | /foo | No
        check_paths(&[("Exact", "/foo/")], "/foo", "default backend");
        // Prefix | /foo | /foo, /foo/ | Yes
        check_paths(&[("Prefix", "/foo")], "/foo", "Prefix /foo");
        check_paths(&[("Prefix", "/foo")], "/foo/", "Prefix /foo");
        // Prefix | /foo/ | /foo, /foo/ | Yes
        check_paths(&[("Prefix", "/foo/")], "/foo", "Prefix /foo/");
        check_paths(&[("Prefix", "/foo/")], "/foo/", "Prefix /foo/");
        // Prefix | /aaa/bb | /aaa/bbb | No
        check_paths(&[("Prefix", "/aaa/bb")], "/aaa/bbb", "default backend");
        // Prefix | /aaa/bbb | /aaa/bbb | Yes
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb/ | /aaa/bbb | Yes, ignores trailing slash
        check_paths(&[("Prefix", "/aaa/bbb/")], "/aaa/bbb", "Prefix /aaa/bbb/");
        // Prefix | /aaa/bbb | /aaa/bbb/ | Yes, matches trailing slash
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb/", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb | /aaa/bbb/ccc | Yes, matches subpath
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb/ccc", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb | /aaa/bbbxyz | No, does not match string prefix
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbbxyz", "default backend");
        // Prefix | /, /aaa | /aaa/ccc | Yes, matches /aaa prefix
        check_paths(&[("Prefix", "/"), ("Prefix", "/aaa")], "/aaa/ccc", "Prefix /aaa");
        // Prefix | /, /aaa, /aaa/bbb | /aaa/bbb | Yes, matches /aaa/bbb prefix
        check_paths(
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            "/aaa/bbb",
            "Prefix /aaa/bbb",
        );
        // Prefix | /, /aaa, /aaa/bbb | /ccc | Yes, matches / prefix
        check_paths(&[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")], "/ccc", "Prefix /");
        // Prefix | /aaa | /ccc | No, uses default backend
        check_paths(&[("Prefix", "/aaa")], "/ccc", "default backend");
        // Mixed | /foo (Prefix), /foo (Exact) | /foo | Yes, prefers Exact
        check_paths(&[("Prefix", "/foo"), ("Exact", "/foo")], "/foo", "Exact /foo");
        check_paths(&[("Exact", "/foo"), ("Prefix", "/foo")], "/foo", "Exact /foo");
    }

    // The same rows against path_matches directly, plus case sensitivity
    // ("Matches the URL path exactly and with case sensitivity").
    #[test]
    fn path_matches_directly() {
        assert!(path_matches(PathMatch::Prefix, "/", "/anything/at/all"));
        assert!(path_matches(PathMatch::Prefix, "/api", "/api/"));
        assert!(path_matches(PathMatch::Prefix, "/api", "/api/v1"));
        assert!(!path_matches(PathMatch::Prefix, "/api", "/apiv1"));
        assert!(!path_matches(PathMatch::Prefix, "/api", "/API"));
        assert!(!path_matches(PathMatch::Exact, "/Foo", "/foo"));
        assert!(path_matches(PathMatch::Exact, "/", ""));
        // ingress-nginx ImplementationSpecific: a string prefix.
        assert!(path_matches(PathMatch::StringPrefix, "/api", "/apiv1"));
        assert!(!path_matches(PathMatch::StringPrefix, "/api/", "/api"));
    }

    // ImplementationSpecific is read per controller: ingress-nginx as a
    // string prefix, others as Prefix; the result says which
    // (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/).
    #[test]
    fn implementation_specific_per_controller() {
        let objects = |class: &str, controller: &str| {
            vec![
                ingress(
                    "web",
                    json!({"ingressClassName": class,
                           "rules": [{"http": {"paths": [path("/api", "ImplementationSpecific", "api")]}}]}),
                ),
                ingress_class(class, controller, false),
            ]
        };
        let nginx = cluster(objects("nginx", "k8s.io/ingress-nginx"));
        let routes = route(&nginx, "example.com", "/apiv1");
        let RouteTarget::Rule(candidate) = &routes[0].target else { panic!("{routes:?}") };
        assert_eq!(
            (candidate.path_type, candidate.path_match),
            (PathType::ImplementationSpecific, PathMatch::StringPrefix)
        );
        let traefik = cluster(objects("traefik", "traefik.io/ingress-controller"));
        assert_eq!(route(&traefik, "example.com", "/apiv1")[0].target, RouteTarget::ControllerDefault);
        let routes = route(&traefik, "example.com", "/api/v1");
        let RouteTarget::Rule(candidate) = &routes[0].target else { panic!("{routes:?}") };
        assert_eq!(candidate.path_match, PathMatch::Prefix);
        assert_eq!(PathType::parse(""), PathType::ImplementationSpecific);
    }

    // ---- routing across Ingresses ----

    /// Routes host and path across `objects`; one line per class route:
    /// the target, then each alternative with its reason.
    fn check_route(objects: Vec<Value>, host: &str, request: &str, expect: &str) {
        let cluster = cluster(objects);
        let routes = route(&cluster, host, request);
        let describe = |c: &Candidate| {
            let host = c.host.as_deref().unwrap_or("*");
            format!("{} {host} {:?} {}", c.ingress.id(), c.path_type, c.path)
        };
        let mut lines = Vec::new();
        for route in &routes {
            let target = match &route.target {
                RouteTarget::Rule(c) => {
                    let backend = match &c.backend {
                        BackendRef::Service { service, port } => format!(
                            "{}:{}",
                            service.name,
                            port.as_ref().map(|p| p.to_string()).unwrap_or_default()
                        ),
                        other => format!("{other:?}"),
                    };
                    format!("{} -> {backend}", describe(c))
                }
                RouteTarget::DefaultBackend { ingress, .. } => format!("default backend of {}", ingress.id()),
                RouteTarget::ControllerDefault => "controller default".to_owned(),
            };
            lines.push(format!("class {:?}: {target}", route.class));
            for alternative in &route.alternatives {
                lines.push(format!("  lost {} {:?}", describe(&alternative.candidate), alternative.reason));
            }
            for note in &route.notes {
                lines.push(format!("  note {note:?}"));
            }
        }
        assert_eq!(lines.join("\n"), expect.trim(), "\n{routes:#?}");
    }

    fn hosted(name: &str, class: &str, host: Option<&str>, paths: Vec<Value>) -> Value {
        let mut rule = json!({"http": {"paths": paths}});
        if let Some(host) = host {
            rule["host"] = json!(host);
        }
        ingress(name, json!({"ingressClassName": class, "rules": [rule]}))
    }

    // Precedence runs across all Ingresses of a class: longest path first
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches).
    #[test]
    fn longest_path_across_ingresses() {
        check_route(
            vec![
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                hosted("site", "nginx", Some("shop.example.com"), vec![path("/", "Prefix", "frontend")]),
                hosted(
                    "api",
                    "nginx",
                    Some("shop.example.com"),
                    vec![path("/api", "Prefix", "api"), path("/api/v1/users", "Exact", "users")],
                ),
            ],
            "shop.example.com",
            "/api/v1/orders?x=1",
            "
class Some(\"nginx\"): shop/api shop.example.com Prefix /api -> api:80
  lost shop/site shop.example.com Prefix / ShorterPath",
        );
    }

    // Exact host before wildcard before no host; a server-based controller
    // (ingress-nginx) never falls back to a less specific host's paths, a
    // route-based one (Traefik) does.
    #[test]
    fn host_precedence_and_fallback() {
        let objects = |class: &str, controller: &str| {
            vec![
                ingress_class(class, controller, false),
                hosted("exact", class, Some("api.example.com"), vec![path("/v1", "Prefix", "exact")]),
                hosted(
                    "wild",
                    class,
                    Some("*.example.com"),
                    vec![path("/v1", "Prefix", "wild"), path("/v2", "Prefix", "wild")],
                ),
                hosted("any", class, None, vec![path("/v3", "Prefix", "any")]),
            ]
        };
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "api.example.com",
            "/v1/x",
            "
class Some(\"nginx\"): shop/exact api.example.com Prefix /v1 -> exact:80
  lost shop/wild *.example.com Prefix /v1 ShadowedByHost { host: \"api.example.com\" }",
        );
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "api.example.com",
            "/v3",
            "
class Some(\"nginx\"): controller default
  lost shop/any * Prefix /v3 ShadowedByHost { host: \"api.example.com\" }",
        );
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "www.example.com",
            "/v2",
            "class Some(\"nginx\"): shop/wild *.example.com Prefix /v2 -> wild:80",
        );
        check_route(
            objects("traefik", "traefik.io/ingress-controller"),
            "api.example.com",
            "/v1",
            "
class Some(\"traefik\"): shop/exact api.example.com Prefix /v1 -> exact:80
  lost shop/wild *.example.com Prefix /v1 LessSpecificHost",
        );
        check_route(
            objects("traefik", "traefik.io/ingress-controller"),
            "api.example.com",
            "/v3",
            "class Some(\"traefik\"): shop/any * Prefix /v3 -> any:80",
        );
        // A host no rule names reaches only the rules without host.
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "other.test",
            "/v3",
            "class Some(\"nginx\"): shop/any * Prefix /v3 -> any:80",
        );
    }

    // Classes are separate controllers; a class none of whose rules or
    // default backends concern the request is left out. The same host and
    // path in two Ingresses of a class: the older one wins.
    #[test]
    fn classes_and_ties() {
        let mut old = hosted("old", "nginx", Some("a.test"), vec![path("/", "Prefix", "old")]);
        old["metadata"]["creationTimestamp"] = json!("2023-01-01T00:00:00Z");
        let mut new = hosted("new", "nginx", Some("a.test"), vec![path("/", "Prefix", "new")]);
        new["metadata"]["creationTimestamp"] = json!("2024-01-01T00:00:00Z");
        check_route(
            vec![
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                ingress_class("traefik", "traefik.io/ingress-controller", false),
                new,
                old,
                hosted("elsewhere", "traefik", Some("b.test"), vec![path("/", "Prefix", "b")]),
                ingress(
                    "fallback",
                    json!({"ingressClassName": "traefik", "defaultBackend": backend("catch", json!({"number": 80}))}),
                ),
            ],
            "a.test",
            "/",
            "
class Some(\"nginx\"): shop/old a.test Prefix / -> old:80
  lost shop/new a.test Prefix / Tie
class Some(\"traefik\"): default backend of shop/fallback",
        );
        assert!(route(&cluster(vec![hosted("x", "nginx", Some("b.test"), vec![])]), "a.test", "/").is_empty());
    }

    #[test]
    fn regex_annotations_are_noted_for_ingress_nginx() {
        let mut web = hosted("web", "nginx", None, vec![path("/api", "ImplementationSpecific", "api")]);
        web["metadata"]["annotations"] = json!({"nginx.ingress.kubernetes.io/use-regex": "true"});
        check_route(
            vec![ingress_class("nginx", "k8s.io/ingress-nginx", false), web],
            "a.test",
            "/api/x",
            "
class Some(\"nginx\"): shop/web * ImplementationSpecific /api -> api:80
  note RegexPaths { ingress: IngressRef { namespace: \"shop\", name: \"web\" } }",
        );
    }

    // ---- conflicts ----

    #[test]
    fn conflicts_within_a_class() {
        let cluster = cluster(vec![
            hosted("a", "nginx", Some("shop.test"), vec![path("/api", "Prefix", "a")]),
            hosted(
                "b",
                "nginx",
                Some("shop.test"),
                vec![path("/api/", "Prefix", "b"), path("/api", "Exact", "b")],
            ),
            hosted("c", "traefik", Some("shop.test"), vec![path("/api", "Prefix", "c")]),
        ]);
        let conflicts = rule_conflicts(&cluster);
        let lines: Vec<String> = conflicts
            .iter()
            .map(|c| {
                let claims: Vec<String> = c.claims.iter().map(|claim| claim.ingress.id()).collect();
                format!("{:?} {:?} {:?} {} [{}]", c.class, c.host, c.path_type, c.path, claims.join(", "))
            })
            .collect();
        assert_eq!(lines, ["Some(\"nginx\") Some(\"shop.test\") Prefix /api [shop/a, shop/b]"]);
    }

    // ---- backends ----

    fn check_backend_status(service: Value, pods: Vec<Value>, port: Value, expect: &str) {
        let mut objects = vec![
            ingress(
                "web",
                json!({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend("api", port)}]}}]}),
            ),
            service,
        ];
        objects.extend(pods);
        let cluster = cluster(objects);
        let checks = check_backends(&cluster, &cluster.ingresses()[0]);
        assert_eq!(checks.len(), 1);
        assert_eq!(format!("{:?}", checks[0].status), expect);
    }

    fn api_service(ports: Value) -> Value {
        json!({"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
               "spec": {"selector": {"app": "api"}, "ports": ports}})
    }

    fn api_pod() -> Value {
        json!({"kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop", "labels": {"app": "api"}},
               "spec": {"containers": [{"name": "api", "ports": [{"name": "http", "containerPort": 8080}]}]}})
    }

    // The backend port is a port of the Service, by number or name — not
    // the container port (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules:
    // "a combination of a service name and a port name or number").
    #[test]
    fn backend_ports() {
        let ports = json!([{"name": "web", "port": 80, "targetPort": "http"}]);
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"number": 80}),
            "Ok { port: ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp } }",
        );
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"name": "web"}),
            "Ok { port: ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp } }",
        );
        // The classic mistake: the container port.
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"number": 8080}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: true, suggestion: Some(ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }) }",
        );
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"name": "http"}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: true, suggestion: Some(ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }) }",
        );
        check_backend_status(
            api_service(ports),
            vec![api_pod()],
            json!({"number": 9999}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: false, suggestion: None }",
        );
        check_backend_status(
            api_service(json!([{"name": "dns", "port": 53, "protocol": "UDP"}])),
            vec![],
            json!({"number": 53}),
            "NotTcp { port: ServicePortKey { name: Some(\"dns\"), port: 53, protocol: Udp } }",
        );
        check_backend_status(
            json!({"kind": "Service", "metadata": {"name": "other", "namespace": "shop"}}),
            vec![],
            json!({"number": 80}),
            "ServiceNotFound",
        );
        check_backend_status(
            json!({"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
                   "spec": {"type": "ExternalName", "externalName": "api.example.net"}}),
            vec![],
            json!({"number": 80}),
            "ExternalName { external_name: \"api.example.net\" }",
        );
        check_backend_status(api_service(json!([{"port": 80}])), vec![], json!({}), "MissingPort");
    }

    #[test]
    fn resource_backends_are_not_checked() {
        let cluster = cluster(vec![ingress(
            "web",
            json!({"defaultBackend": {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}}}),
        )]);
        let check = check_backend(&cluster, &cluster.ingresses()[0], BackendSite::DefaultBackend).unwrap();
        assert_eq!(check.status, BackendStatus::Resource);
        assert_eq!(
            check.backend,
            BackendRef::Resource {
                api_group: Some("k8s.example.com".to_owned()),
                kind: "StorageBucket".to_owned(),
                name: "static".to_owned()
            }
        );
        assert!(check_backend(&cluster, &cluster.ingresses()[0], BackendSite::Path { rule: 0, path: 0 })
            .is_none());
    }

    // ---- TLS ----

    fn check_tls_status(annotations: Value, tls: Value, secrets: Vec<Value>, host: &str, expect: &str) {
        let mut objects = vec![json!({"kind": "Ingress",
            "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
            "spec": {"tls": tls}})];
        objects.extend(secrets);
        let cluster = cluster(objects);
        let check = check_tls(&cluster, &cluster.ingresses()[0], host);
        let actual = format!(
            "{:?} entry {:?} {:?} secret {:?} issuer {:?}",
            check.status, check.entry, check.coverage, check.secret, check.cert_manager
        );
        assert_eq!(actual, expect);
    }

    fn secret(name: &str, namespace: &str, type_: Option<&str>) -> Value {
        json!({"kind": "Secret", "metadata": {"name": name, "namespace": namespace}, "type": type_})
    }

    // TLS Secrets live in the Ingress's namespace with type kubernetes.io/tls
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls).
    #[test]
    fn tls() {
        let tls = json!([{"hosts": ["shop.example.com", "*.shop.example.com"], "secretName": "shop-tls"}]);
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", Some("kubernetes.io/tls"))],
            "shop.example.com",
            "Ok entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", Some("kubernetes.io/tls"))],
            "api.shop.example.com",
            "Ok entry Some(0) Some(Wildcard) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![],
            "other.example.com",
            "NotConfigured entry None None secret None issuer None",
        );
        // In another namespace: not found.
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "default", Some("kubernetes.io/tls"))],
            "shop.example.com",
            "SecretNotFound entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", None)],
            "shop.example.com",
            "WrongType { type_: \"Opaque\" } entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        // cert-manager will create it (https://cert-manager.io/docs/usage/ingress/).
        check_tls_status(
            json!({CLUSTER_ISSUER_ANNOTATION: "letsencrypt"}),
            tls,
            vec![],
            "shop.example.com",
            "SecretNotFound entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer Some(ClusterIssuer { name: \"letsencrypt\" })",
        );
        check_tls_status(
            json!({ISSUER_ANNOTATION: "ca"}),
            json!([{"secretName": ""}]),
            vec![],
            "x.test",
            "NoSecretName entry Some(0) Some(Any) secret None issuer Some(Issuer { name: \"ca\" })",
        );
    }

    #[test]
    fn serialized_shapes() {
        let site = serde_json::to_value(BackendSite::Path { rule: 1, path: 2 }).unwrap();
        assert_eq!(site, json!({"site": "path", "rule": 1, "path": 2}));
        assert_eq!(
            BackendSite::Path { rule: 1, path: 2 }.field_path(),
            "spec.rules[1].http.paths[2].backend"
        );
        let problem = serde_json::to_value(ClassProblem::ClassNotFound { name: "x".to_owned() }).unwrap();
        assert_eq!(problem, json!({"problem": "class-not-found", "name": "x"}));
        // Every result type serializes (internally tagged enums fail only at run time).
        let cluster = cluster(vec![
            ingress_class("nginx", "k8s.io/ingress-nginx", true),
            hosted(
                "web",
                "nginx",
                Some("a.test"),
                vec![path("/", "Prefix", "api"), path("/", "Exact", "api")],
            ),
            hosted("copy", "nginx", Some("a.test"), vec![path("/", "Prefix", "api")]),
            api_service(json!([{"port": 80}])),
        ]);
        let web = &cluster.ingresses()[1];
        let route = serde_json::to_value(route(&cluster, "a.test", "/")).unwrap();
        assert_eq!(route[0]["target"]["target"], json!("rule"));
        assert_eq!(route[0]["target"]["backend"]["type"], json!("service"));
        assert_eq!(route[0]["alternatives"][0]["reason"], json!({"reason": "exact-preferred"}));
        serde_json::to_value(ingress_class_of(&cluster, &web.value)).unwrap();
        serde_json::to_value(check_backends(&cluster, web)).unwrap();
        serde_json::to_value(check_tls(&cluster, web, "a.test")).unwrap();
        assert_eq!(serde_json::to_value(rule_conflicts(&cluster)).unwrap().as_array().map(Vec::len), Some(1));
    }
}
