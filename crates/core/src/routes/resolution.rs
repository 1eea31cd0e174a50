//! What a request gets, as `routes --diff` compares it: the [`Outcome`],
//! the rule that decided it and the notes that explain a difference. The
//! Gateway and Ingress paths ([`super::outcome`]) and the OpenShift router's
//! ([`super::router_outcome`]) all answer in these terms.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use serde::Serialize;

use super::{reach, PolicyVerdict, Proxies};
use crate::origin::Location;
use crate::policy::PolicyEngine;
use crate::service::ServiceRef;

/// A request a client makes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Probe {
    /// `http` (port 80) or `https` (port 443).
    pub scheme: String,
    /// The host.
    pub host: String,
    /// The path.
    pub path: String,
}

impl Probe {
    /// The URL.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path)
    }
}

/// What the client gets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// The request reaches these Service ports (`namespace/name:port`, sorted; several when weighted).
    Forward {
        /// The Service ports.
        backends: Vec<String>,
        /// Those whose pods' policies refuse the proxy's connections, sorted.
        refused_by_policy: Vec<String>,
    },
    /// A redirect.
    Redirect {
        /// The `Location`.
        location: String,
        /// The status.
        status: u16,
    },
    /// The proxy takes the host but no rule the path: 404.
    NotFound,
    /// A rule takes it, but it has no valid backend: the proxy answers 5xx.
    NoBackend,
    /// No listener takes the host on that port.
    NoListener,
    /// The Gateway (or ingress controller) that takes the host has proxy
    /// pods, none of them ready ([`Proxies::NotReady`]): the Service in
    /// front of them has no ready endpoint, so nothing answers.
    NoReadyProxies,
    /// Not known: a rule kubereach does not evaluate, or an object it does not model.
    Unknown,
}

/// Where a request went, and by which rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Resolution {
    /// What the client gets.
    pub outcome: Outcome,
    /// The rule that decided it.
    pub rule: Option<RuleRef>,
    /// Why it went that way, where it matters for a comparison, sorted.
    pub notes: Vec<ResolutionNote>,
}

/// A rule of an Ingress or a route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleRef {
    /// `Ingress`, `HTTPRoute`, `GRPCRoute`.
    pub kind: String,
    /// `namespace/name`.
    pub object: String,
    /// What matched (`Prefix /api`, `PathPrefix /`, `defaultBackend`).
    pub matched: String,
    /// Where it is written.
    pub file: Option<String>,
    /// Its line.
    pub line: u32,
}

/// A fact about how a request was routed that explains differences.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum ResolutionNote {
    /// An `ImplementationSpecific` path that ingress-nginx matches as a plain
    /// string prefix (`/api` takes `/apiv2`); Gateway API's `PathPrefix`
    /// matches whole path elements.
    StringPrefix,
    /// The Ingress's paths are regular expressions for ingress-nginx
    /// (`use-regex`, `rewrite-target`); kubereach matched them as string prefixes.
    RegexPaths,
    /// A `defaultBackend` answered: no rule took the request.
    DefaultBackend,
    /// Plain HTTP to a host with TLS, redirected by the controller (`ssl-redirect`).
    HttpsRedirect,
    /// A `RequestRedirect` filter answered.
    RedirectFilter,
    /// Rules with `RegularExpression` matches were not evaluated.
    RegexNotEvaluated,
    /// The host is claimed by an object kubereach does not model.
    Unmodelled {
        /// Its kind and `namespace/name`.
        object: String,
    },
    /// The Gateway's listener is neither HTTP nor TLS: its routes (TCPRoute, UDPRoute) carry no hosts or paths.
    NotHttp,
}

pub(super) fn rule_ref(kind: &str, object: String, matched: String, location: Location) -> RuleRef {
    RuleRef { kind: kind.to_owned(), object, matched, file: location.file, line: location.line }
}

/// The Service ports a request reaches, and those whose policies refuse the proxies.
#[derive(Default)]
pub(super) struct Forwarding {
    backends: BTreeSet<String>,
    refused: BTreeSet<String>,
}

impl Forwarding {
    pub(super) fn add(
        &mut self,
        engine: &PolicyEngine<'_>,
        proxies: &Proxies,
        service: &Service,
        port: &ServicePort,
    ) {
        let name = format!("{}:{}", ServiceRef::of(service).id(), port.port);
        if let (_, _, PolicyVerdict::Blocked { .. }) = reach(engine, proxies, service, port) {
            self.refused.insert(name.clone());
        }
        self.backends.insert(name);
    }

    pub(super) fn outcome(self) -> Outcome {
        if self.backends.is_empty() {
            return Outcome::NoBackend;
        }
        Outcome::Forward {
            backends: self.backends.into_iter().collect(),
            refused_by_policy: self.refused.into_iter().collect(),
        }
    }
}

/// What the client gets from a frontend whose proxies are all NotReady
/// (the one decision of [`super::gateway_proxies`],
/// [`super::controller_proxies`] and the OpenShift router's): no answer at
/// all, whatever the host, path or rule. `None` when some proxy may answer.
pub(super) fn serves_nothing(proxies: &Proxies) -> Option<Resolution> {
    matches!(proxies, Proxies::NotReady(_)).then(|| Resolution {
        outcome: Outcome::NoReadyProxies,
        rule: None,
        notes: Vec::new(),
    })
}
