//! The rows of OpenShift Routes ([`crate::route`]): the default router
//! serves each Route's host on port 80 (plain HTTP, or a redirect to
//! HTTPS) and 443 (edge, passthrough or re-encrypting TLS), sending the
//! requests under its path to `to` and `alternateBackends` by weight.

use super::ingress_rows::serving_proxies;
use super::{backend, source_object, Action, Backend, FrontendKind, Listener, PathRule, Proxies, RouteRow};
use crate::model::{Cluster, Object};
use crate::policy::PolicyEngine;
use crate::route::{route_host, router_ports, selects_port, Route, RouterAction};
use crate::service::{service_ports, ServiceRef};

/// The namespace the OpenShift ingress operator runs the default router's pods in.
const ROUTER_NAMESPACE: &str = "openshift-ingress";

/// The rows of every Route.
pub(super) fn rows(engine: &PolicyEngine<'_>) -> Vec<RouteRow> {
    let cluster = engine.cluster();
    let proxies = router_proxies(cluster);
    let mut rows = Vec::new();
    for route in cluster.routes() {
        let backends = route_backends(engine, &proxies, route);
        let object = source_object("Route", &route.value.metadata, &route.origin, "spec".to_owned());
        let path = PathRule {
            match_type: "StringPrefix".to_owned(),
            value: route.value.spec.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned()),
        };
        let conditions: Vec<String> = route
            .value
            .spec
            .tls
            .iter()
            .map(|tls| format!("TLS {}", if tls.termination.is_empty() { "edge" } else { &tls.termination }))
            .collect();
        let host = route_host(&route.value);
        for (port, protocol, action) in router_ports(&route.value) {
            let (action, backends) = match action {
                RouterAction::Forward => (Action::Forward { rewrite: None }, backends.clone()),
                RouterAction::RedirectToHttps => (
                    Action::Redirect { location: "https://{host}{path}".to_owned(), status: 302 },
                    Vec::new(),
                ),
            };
            rows.push(RouteRow {
                listener: Listener {
                    kind: FrontendKind::Router,
                    name: "default".to_owned(),
                    section: None,
                    protocol: protocol.to_owned(),
                    port,
                    addresses: Vec::new(),
                },
                host: host.clone(),
                path: path.clone(),
                conditions: conditions.clone(),
                action,
                backends,
                object: object.clone(),
            });
        }
    }
    rows
}

/// The default router's pods when the input has them (its namespace), else
/// symbolic. Only those that receive requests carry them, as for any
/// ingress controller ([`serving_proxies`]): the router's Service (or its
/// load balancer) sends nothing to a pod that is not ready, so with none
/// ready the router serves nothing.
pub(super) fn router_proxies(cluster: &Cluster) -> Proxies {
    let pods = cluster.pods_in(ROUTER_NAMESPACE);
    if pods.is_empty() {
        Proxies::Symbolic
    } else {
        serving_proxies(cluster, pods)
    }
}

/// A backend per Service port the Route's `targetPort` selects, for `to`
/// and each of `alternateBackends`.
fn route_backends(engine: &PolicyEngine<'_>, proxies: &Proxies, route: &Object<Route>) -> Vec<Backend> {
    let cluster = engine.cluster();
    let namespace = route.value.metadata.namespace.as_deref().unwrap_or("default");
    let target = route.value.spec.port.as_ref().map(|p| &p.target_port);
    let written = target.map(|t| match t {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    });
    let mut backends = Vec::new();
    for (to, weight) in route.value.weighted_backends() {
        let reference = ServiceRef { namespace: namespace.to_owned(), name: to.name.clone() };
        if to.kind.as_deref().is_some_and(|k| k != "Service") {
            backends.push(backend(engine, proxies, &reference, String::new(), weight, Err("not-a-service")));
            continue;
        }
        let Some(service) = cluster.service(namespace, &to.name) else {
            let port = written.clone().unwrap_or_default();
            backends.push(backend(engine, proxies, &reference, port, weight, Err("service-not-found")));
            continue;
        };
        let ports: Vec<_> = service_ports(&service.value)
            .iter()
            .filter(|p| selects_port(cluster, &service.value, target, p))
            .collect();
        if ports.is_empty() {
            let port = written.clone().unwrap_or_default();
            backends.push(backend(engine, proxies, &reference, port, weight, Err("port-not-found")));
        }
        for port in ports {
            let shown = port.name.clone().unwrap_or_else(|| port.port.to_string());
            backends.push(backend(engine, proxies, &reference, shown, weight, Ok((&service.value, port))));
        }
    }
    backends
}

/// The Service ports a Route's requests go to: for `to` and each of
/// `alternateBackends` with a weight above 0 (0 sends nothing), a Service
/// of the input, the ports its `targetPort` selects ([`selects_port`]).
pub(super) fn forwarded_ports<'c>(
    cluster: &'c Cluster,
    route: &'c Object<Route>,
) -> Vec<(&'c Object<k8s_openapi::api::core::v1::Service>, &'c k8s_openapi::api::core::v1::ServicePort)> {
    let namespace = route.value.metadata.namespace.as_deref().unwrap_or("default");
    let target = route.value.spec.port.as_ref().map(|p| &p.target_port);
    let mut found = Vec::new();
    for (to, weight) in route.value.weighted_backends() {
        if weight <= 0 || to.kind.as_deref().is_some_and(|k| k != "Service") {
            continue;
        }
        let Some(service) = cluster.service(namespace, &to.name) else { continue };
        for port in service_ports(&service.value) {
            if selects_port(cluster, &service.value, target, port) {
                found.push((service, port));
            }
        }
    }
    found
}
