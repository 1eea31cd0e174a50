//! The rows of Ingresses: each rule path on the controller's HTTP port
//! (80), and on its HTTPS port (443) when a `spec.tls` entry covers the
//! host; plain HTTP to such a host is a redirect when the controller
//! redirects ([`crate::ingress::behaviour::plain_http`]). A `defaultBackend`
//! is a row of type `Default` for every host.

use k8s_openapi::api::networking::v1::Ingress;

use super::{backend, source_object, Action, Backend, FrontendKind, Listener, PathRule, Proxies, RouteRow};
use crate::ingress::behaviour::{plain_http, PlainHttp};
use crate::ingress::{
    check_backend, check_tls, ingress_class_of, BackendRef, BackendSite, BackendStatus, ControllerInfo,
    ControllerKind, PathType, TlsStatus,
};
use crate::model::{Cluster, Object, Pod, PodId, Readiness};
use crate::policy::PolicyEngine;
use crate::service::{service_ports, PortRef, ServicePortKey, ServiceRef};

/// ingress-nginx's annotation that rewrites the path the backend receives.
pub(crate) const NGINX_REWRITE_TARGET: &str = "nginx.ingress.kubernetes.io/rewrite-target";

/// The rows of every Ingress.
pub(super) fn rows(engine: &PolicyEngine<'_>) -> Vec<RouteRow> {
    let cluster = engine.cluster();
    let mut rows = Vec::new();
    for ingress in cluster.ingresses() {
        let frontend = Frontend::of(cluster, ingress);
        let rules = ingress.value.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
        for (r, rule) in rules {
            let host = rule.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| "*".to_owned());
            let paths = rule.http.iter().flat_map(|h| h.paths.iter()).enumerate();
            for (p, path) in paths {
                let site = BackendSite::Path { rule: r, path: p };
                let path_rule = PathRule {
                    match_type: format!("{:?}", PathType::parse(&path.path_type)),
                    value: path.path.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "/".to_owned()),
                };
                let field = format!("spec.rules[{r}].http.paths[{p}]");
                frontend.push(engine, &mut rows, ingress, &host, path_rule, site, field);
            }
        }
        if ingress.value.spec.as_ref().is_some_and(|s| s.default_backend.is_some()) {
            let path_rule = PathRule { match_type: "Default".to_owned(), value: "/".to_owned() };
            let field = "spec.defaultBackend".to_owned();
            frontend.push(engine, &mut rows, ingress, "*", path_rule, BackendSite::DefaultBackend, field);
        }
    }
    rows
}

/// The controller of an Ingress, as the rows need it.
struct Frontend {
    class: String,
    kind: Option<ControllerKind>,
    proxies: Proxies,
    addresses: Vec<String>,
}

impl Frontend {
    fn of(cluster: &Cluster, ingress: &Object<Ingress>) -> Frontend {
        let resolution = ingress_class_of(cluster, &ingress.value);
        let proxies = controller_proxies(cluster, resolution.controller.as_ref());
        let mut addresses: Vec<String> = ingress
            .value
            .status
            .iter()
            .flat_map(|s| s.load_balancer.iter().flat_map(|lb| lb.ingress.iter().flatten()))
            .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
            .collect();
        addresses.sort();
        addresses.dedup();
        Frontend {
            class: resolution.class.unwrap_or_else(|| "(none)".to_owned()),
            kind: resolution.controller.map(|c| c.kind),
            proxies,
            addresses,
        }
    }

    fn listener(&self, protocol: &str, port: i32) -> Listener {
        Listener {
            kind: FrontendKind::Ingress,
            name: self.class.clone(),
            section: None,
            protocol: protocol.to_owned(),
            port,
            addresses: self.addresses.clone(),
        }
    }

    /// The HTTP row and, when TLS covers the host, the HTTPS row of one path.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        engine: &PolicyEngine<'_>,
        rows: &mut Vec<RouteRow>,
        ingress: &Object<Ingress>,
        host: &str,
        path: PathRule,
        site: BackendSite,
        field: String,
    ) {
        let cluster = engine.cluster();
        let tls_host = if host == "*" { "" } else { host };
        let tls = check_tls(cluster, ingress, tls_host).status != TlsStatus::NotConfigured;
        let object = source_object("Ingress", &ingress.value.metadata, &ingress.origin, field);
        let backends: Vec<Backend> =
            ingress_backend(engine, &self.proxies, ingress, site).into_iter().collect();
        let rewrite = ingress
            .value
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(NGINX_REWRITE_TARGET))
            .filter(|_| self.kind == Some(ControllerKind::IngressNginx))
            .cloned();
        let forward = Action::Forward { rewrite };
        let http_action = match plain_http(self.kind, &ingress.value, tls) {
            PlainHttp::Redirect { code } => {
                Action::Redirect { location: "https://{host}{path}".to_owned(), status: code }
            }
            PlainHttp::Served | PlainHttp::Unknown => forward.clone(),
        };
        let http_backends =
            if matches!(http_action, Action::Redirect { .. }) { Vec::new() } else { backends.clone() };
        rows.push(RouteRow {
            listener: self.listener("HTTP", 80),
            host: host.to_owned(),
            path: path.clone(),
            conditions: Vec::new(),
            action: http_action,
            backends: http_backends,
            object: object.clone(),
        });
        // A default backend answers over HTTPS too (with the controller's
        // default certificate when no `spec.tls` entry covers the host).
        if tls || site == BackendSite::DefaultBackend {
            rows.push(RouteRow {
                listener: self.listener("HTTPS", 443),
                host: host.to_owned(),
                path,
                conditions: Vec::new(),
                action: forward,
                backends,
                object,
            });
        }
    }
}

/// Where the controller of `ingress` connects from: the one answer
/// `trace`, `routes` and the matrix give, as [`super::gateway_proxies`] is
/// for a Gateway ([`controller_proxies`] for the controller of a class).
pub(crate) fn ingress_proxies(cluster: &Cluster, ingress: &Object<Ingress>) -> Proxies {
    controller_proxies(cluster, ingress_class_of(cluster, &ingress.value).controller.as_ref())
}

/// Where `controller`'s proxies connect from.
///
/// Only pods that receive requests carry them. A pod that is not ready is
/// left out of the endpoints of every Service that selects it ("If the
/// readiness probe fails, the EndpointSlice controller removes the Pod's
/// IP address from the EndpointSlices of all Services that match the
/// Pod", <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>;
/// the endpoint's `ready` condition is `false`), so the controller's
/// `LoadBalancer` or `NodePort` Service sends it nothing. A pod bound on
/// its node (`hostNetwork`, or a `hostPort` that the CNI `portmap` plugin
/// DNATs to it, <https://www.cni.dev/plugins/current/meta/portmap/>) still
/// receives what clients send to the node's address: neither consults
/// readiness. When no pod receives requests, the controller serves
/// nothing ([`Proxies::NotReady`]). Ready pods come first.
pub(crate) fn controller_proxies(cluster: &Cluster, controller: Option<&ControllerInfo>) -> Proxies {
    match controller {
        Some(c) if c.in_cluster == Some(true) && !c.pods.is_empty() => serving_proxies(cluster, &c.pods),
        Some(c) if c.in_cluster == Some(false) => Proxies::Outside,
        _ => Proxies::Symbolic,
    }
}

/// Which of a controller's proxy `pods` (an ingress controller's, the
/// OpenShift router's) carry requests, by the rule of
/// [`controller_proxies`]: those that receive them, ready first; when none
/// does, the controller serves nothing ([`Proxies::NotReady`]).
pub(crate) fn serving_proxies(cluster: &Cluster, pods: &[PodId]) -> Proxies {
    let mut serving: Vec<PodId> =
        pods.iter().copied().filter(|p| receives_requests(cluster.pod(*p))).collect();
    serving.sort_by_key(|p| cluster.pod(*p).readiness() == Readiness::NotReady);
    if serving.is_empty() {
        Proxies::NotReady(pods.to_vec())
    } else {
        Proxies::Pods(serving)
    }
}

/// Whether a controller pod receives requests: it is ready (or the input
/// does not say), or bound on its node's address.
fn receives_requests(pod: &Pod) -> bool {
    pod.readiness() != Readiness::NotReady
        || pod.host_network()
        || pod
            .spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .any(|p| p.host_port.is_some_and(|h| h != 0))
}

/// The backend at `site`, with the Service port it reaches.
fn ingress_backend(
    engine: &PolicyEngine<'_>,
    proxies: &Proxies,
    ingress: &Object<Ingress>,
    site: BackendSite,
) -> Option<Backend> {
    let cluster = engine.cluster();
    let check = check_backend(cluster, ingress, site)?;
    let BackendRef::Service { service, port } = &check.backend else {
        let reference = ServiceRef { namespace: check.ingress.namespace.clone(), name: String::new() };
        return Some(backend(engine, proxies, &reference, String::new(), 1, Err("not-a-service")));
    };
    let written = match port {
        Some(PortRef::Number(n)) => n.to_string(),
        Some(PortRef::Name(name)) => name.clone(),
        None => String::new(),
    };
    let found = cluster.service(&service.namespace, &service.name);
    let resolved = match (&check.status, found) {
        (BackendStatus::Ok { port: key }, Some(object)) => service_ports(&object.value)
            .iter()
            .find(|p| ServicePortKey::of(p) == *key)
            .map(|p| (&object.value, p))
            .ok_or("port-not-found"),
        (BackendStatus::ServiceNotFound, _) | (_, None) => Err("service-not-found"),
        (BackendStatus::MissingPort, _) => Err("port-missing"),
        (BackendStatus::NotTcp { .. }, _) => Err("not-tcp"),
        (BackendStatus::ExternalName { .. }, _) => Err("external-name"),
        _ => Err("port-not-found"),
    };
    Some(backend(engine, proxies, service, written, 1, resolved))
}

#[cfg(test)]
#[path = "ingress_proxies_tests.rs"]
mod ingress_proxies_tests;
