//! OpenShift `Route` (`route.openshift.io/v1`): the fields that decide where
//! the router sends traffic. A custom resource, so not in k8s-openapi; the
//! rest of the object is ignored.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

/// A Route: the router sends the traffic of a host to Services.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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
}

/// A backend of a Route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTarget {
    /// Always `Service` (the default).
    #[serde(default)]
    pub kind: Option<String>,
    /// The Service's name, in the Route's namespace.
    #[serde(default)]
    pub name: String,
}

/// `spec.port` of a Route.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutePort {
    /// A Service port's name or number, or its target port.
    pub target_port: IntOrString,
}

impl Route {
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
