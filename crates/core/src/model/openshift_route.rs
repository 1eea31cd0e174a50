//! OpenShift `Route` (`route.openshift.io/v1`), field for field for the
//! fields that decide where the router sends traffic: a custom resource, so
//! not in k8s-openapi; the rest of the object is ignored. What the router
//! does with them is [`crate::route`].

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

/// A Route: the router sends the traffic of a host to Services.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Name, namespace, labels.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Where the traffic goes.
    #[serde(default)]
    pub spec: RouteSpec,
}

/// `spec` of a Route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    /// The main backend.
    #[serde(default)]
    pub to: Option<RouteTarget>,
    /// Further backends sharing the traffic by weight.
    #[serde(default)]
    pub alternate_backends: Vec<RouteTarget>,
    /// The Service port the traffic goes to; all ports when absent.
    #[serde(default)]
    pub port: Option<RoutePort>,
    /// The host; the router generates one when empty.
    #[serde(default)]
    pub host: Option<String>,
    /// A path prefix (string comparison).
    #[serde(default)]
    pub path: Option<String>,
    /// TLS termination; plain HTTP only when absent.
    #[serde(default)]
    pub tls: Option<RouteTls>,
    /// `None` (the default) or `Subdomain`.
    #[serde(default)]
    pub wildcard_policy: Option<String>,
}

/// `spec.tls` of a Route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTls {
    /// `edge`, `passthrough` or `reencrypt`.
    #[serde(default)]
    pub termination: String,
    /// What plain HTTP gets: `None` (the default), `Allow` or `Redirect`.
    #[serde(default)]
    pub insecure_edge_termination_policy: Option<String>,
}

/// A backend of a Route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTarget {
    /// Always `Service` (the default).
    #[serde(default)]
    pub kind: Option<String>,
    /// The Service's name, in the Route's namespace.
    #[serde(default)]
    pub name: String,
    /// Share of the traffic, 0–256; 100 when absent.
    #[serde(default)]
    pub weight: Option<i32>,
}

/// `spec.port` of a Route.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutePort {
    /// A Service port's name or number, or its target port.
    pub target_port: IntOrString,
}

impl Route {
    /// The backends with their weights (`to` first, then `alternateBackends`).
    pub fn weighted_backends(&self) -> impl Iterator<Item = (&RouteTarget, i32)> {
        self.spec.to.iter().chain(&self.spec.alternate_backends).map(|t| (t, t.weight.unwrap_or(100)))
    }

    /// The names of the Services the Route sends traffic to.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.spec
            .to
            .iter()
            .chain(&self.spec.alternate_backends)
            .filter(|t| t.kind.as_deref().is_none_or(|k| k == "Service"))
            .map(|t| t.name.as_str())
    }
}
