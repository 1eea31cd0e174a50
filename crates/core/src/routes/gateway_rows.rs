//! The rows of Gateway API routes: for each listener of each Gateway, the
//! routes attached there ([`crate::gateway::attach::attached_routes`]),
//! one row per hostname they serve on it and per match of each rule.

use super::{backend, source_object, Action, Backend, FrontendKind, Listener, PathRule, Proxies, RouteRow};
use crate::gateway::backend::{resolve_backend, BackendProblem};
use crate::gateway::class::{addresses, data_plane_pods, gateway_class, GatewayAddresses};
use crate::gateway::data_plane::backend_service_port;
use crate::gateway::redirect::{location, Redirected};
use crate::gateway::stream::experimental;
use crate::gateway::types::{BackendRef, Gateway, HttpRouteFilter, HttpRouteMatch};
use crate::gateway::{attach::attached_routes, object_id, AnyRoute};
use crate::model::{Cluster, PodId, Readiness};
use crate::policy::PolicyEngine;
use crate::service::{service_ports, ServiceRef};

/// The rows of every Gateway's listeners.
pub(super) fn rows(engine: &PolicyEngine<'_>) -> Vec<RouteRow> {
    let cluster = engine.cluster();
    let mut rows = Vec::new();
    for gateway in &cluster.gateway_api().gateways {
        let proxies = gateway_proxies(cluster, &gateway.value);
        for (index, l) in gateway.value.spec.listeners.iter().enumerate() {
            let listener = Listener {
                kind: FrontendKind::Gateway,
                name: object_id(&gateway.value.metadata),
                section: Some(l.name.clone()),
                protocol: l.protocol.clone(),
                port: l.port,
                addresses: gateway_addresses(&gateway.value),
            };
            let tls_mode = l.tls.as_ref().and_then(|t| t.mode.as_deref()).unwrap_or("Terminate");
            let context = RowContext { engine, proxies: &proxies, listener: &listener, tls_mode };
            for (route, hostnames) in attached_routes(cluster, gateway, index) {
                let hosts = if hostnames.is_empty() {
                    vec![l.hostname.clone().unwrap_or_else(|| "*".to_owned())]
                } else {
                    hostnames
                };
                rows.extend(route_rows(&context, route, &hosts));
            }
        }
    }
    rows
}

/// Where a Gateway's proxies connect from: the one answer `trace`,
/// `routes` and the matrix give.
///
/// Only ready proxy pods carry requests. A pod that is not ready is left
/// out of the endpoints of every Service that selects it ("If the
/// readiness probe fails, the EndpointSlice controller removes the Pod's
/// IP address from the EndpointSlices of all Services that match the
/// Pod", <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>),
/// so the `LoadBalancer` Service in front of the proxies sends it nothing
/// and it opens no connection to a backend. When none is ready, the
/// Gateway serves nothing ([`Proxies::NotReady`]): implementations report
/// it as `Programmed: False` with reason `NoResources`
/// (<https://gateway-api.sigs.k8s.io/reference/spec/#gatewayconditionreason>).
/// Without proxy pods in the input, the controller decides: a cloud load
/// balancer connects from outside, any other from pods the input lacks.
pub(crate) fn gateway_proxies(cluster: &Cluster, gateway: &Gateway) -> Proxies {
    let pods = data_plane_pods(cluster, gateway);
    if !pods.is_empty() {
        let ready: Vec<PodId> =
            pods.iter().copied().filter(|p| cluster.pod(*p).readiness() != Readiness::NotReady).collect();
        return if ready.is_empty() { Proxies::NotReady(pods) } else { Proxies::Pods(ready) };
    }
    match gateway_class(cluster, gateway).controller {
        Some(known) if !known.in_cluster => Proxies::Outside,
        _ => Proxies::Symbolic,
    }
}

fn gateway_addresses(gateway: &Gateway) -> Vec<String> {
    let mut list: Vec<String> = match addresses(gateway) {
        GatewayAddresses::Assigned(list) | GatewayAddresses::Requested(list) => {
            list.iter().map(|a| a.value.clone()).collect()
        }
        GatewayAddresses::Pending | GatewayAddresses::AtCreation => Vec::new(),
    };
    list.sort();
    list.dedup();
    list
}

struct RowContext<'a, 'e> {
    engine: &'a PolicyEngine<'e>,
    proxies: &'a Proxies,
    listener: &'a Listener,
    /// The listener's `tls.mode` (`Terminate` by default).
    tls_mode: &'a str,
}

/// The rows of one route on one listener.
fn route_rows(context: &RowContext<'_, '_>, route: AnyRoute<'_>, hosts: &[String]) -> Vec<RouteRow> {
    let mut rows = Vec::new();
    let mut push = |rule: usize,
                    index: Option<usize>,
                    path: PathRule,
                    conditions: Vec<String>,
                    action: Action,
                    backends: Vec<Backend>| {
        let field = match index {
            Some(m) => format!("spec.rules[{rule}].matches[{m}]"),
            None => format!("spec.rules[{rule}]"),
        };
        let object = source_object(route.kind(), route.metadata(), route.origin(), field);
        for host in hosts {
            rows.push(RouteRow {
                listener: context.listener.clone(),
                host: host.clone(),
                path: path.clone(),
                conditions: conditions.clone(),
                action: action.clone(),
                backends: backends.clone(),
                object: object.clone(),
            });
        }
    };
    match route {
        AnyRoute::Http(r) => {
            for (rule_index, rule) in r.value.spec.rules.iter().enumerate() {
                let backends = backends(context, route, &rule.backend_refs);
                let matches: Vec<(Option<usize>, HttpRouteMatch)> = if rule.matches.is_empty() {
                    vec![(None, HttpRouteMatch::default())]
                } else {
                    rule.matches.iter().cloned().enumerate().map(|(i, m)| (Some(i), m)).collect()
                };
                for (index, m) in matches {
                    let (path, conditions) = http_match(&m);
                    let action = action(&rule.filters, context.listener, &path);
                    let backends =
                        if matches!(action, Action::Redirect { .. }) { Vec::new() } else { backends.clone() };
                    push(rule_index, index, path, conditions, action, backends);
                }
            }
        }
        AnyRoute::Grpc(r) => {
            for (rule_index, rule) in r.value.spec.rules.iter().enumerate() {
                let backends = backends(context, route, &rule.backend_refs);
                let forward = Action::Forward { rewrite: None };
                if rule.matches.is_empty() {
                    let path = PathRule { match_type: "Method".to_owned(), value: "/*/*".to_owned() };
                    push(rule_index, None, path, Vec::new(), forward.clone(), backends.clone());
                }
                for (index, m) in rule.matches.iter().enumerate() {
                    let method = m.method.clone().unwrap_or_default();
                    let value = format!(
                        "/{}/{}",
                        method.service.as_deref().unwrap_or("*"),
                        method.method.as_deref().unwrap_or("*")
                    );
                    let path = PathRule { match_type: "Method".to_owned(), value };
                    let conditions =
                        m.headers.iter().map(|h| format!("header {}: {}", h.name, h.value)).collect();
                    push(rule_index, Some(index), path, conditions, forward.clone(), backends.clone());
                }
            }
        }
        AnyRoute::Tls(r) | AnyRoute::Tcp(r) | AnyRoute::Udp(r) => {
            // No request to match: every connection (with the SNI name of
            // the row's host, for TLSRoute) goes to the rule's backends.
            let condition = match experimental(route.kind()) {
                Some(channel) => channel.to_owned(),
                None if context.tls_mode == "Passthrough" => "TLS passed through (SNI)".to_owned(),
                None => "TLS terminated at the Gateway (SNI)".to_owned(),
            };
            for (rule_index, rule) in r.value.spec.rules.iter().enumerate() {
                let backends = backends(context, route, &rule.backend_refs);
                let path = PathRule { match_type: "Connection".to_owned(), value: "*".to_owned() };
                let forward = Action::Forward { rewrite: None };
                push(rule_index, None, path, vec![condition.clone()], forward, backends);
            }
        }
    }
    rows
}

/// The path rule and the other conditions of an HTTPRoute match.
fn http_match(m: &HttpRouteMatch) -> (PathRule, Vec<String>) {
    let path = PathRule {
        match_type: m.path.as_ref().and_then(|p| p.type_.clone()).unwrap_or_else(|| "PathPrefix".to_owned()),
        value: m.path.as_ref().and_then(|p| p.value.clone()).unwrap_or_else(|| "/".to_owned()),
    };
    let mut conditions = Vec::new();
    if let Some(method) = &m.method {
        conditions.push(format!("method {method}"));
    }
    let kind = |t: &Option<String>| match t.as_deref() {
        Some("RegularExpression") => " (regex)",
        _ => "",
    };
    conditions.extend(m.headers.iter().map(|h| format!("header {}: {}{}", h.name, h.value, kind(&h.type_))));
    conditions
        .extend(m.query_params.iter().map(|q| format!("query {}={}{}", q.name, q.value, kind(&q.type_))));
    (path, conditions)
}

/// A redirect, or forwarding with the rewrite the filters make.
fn action(filters: &[HttpRouteFilter], listener: &Listener, path: &PathRule) -> Action {
    if let Some(redirect) = filters.iter().find(|f| f.type_ == "RequestRedirect") {
        let redirect = redirect.request_redirect.clone().unwrap_or_default();
        let scheme = listener.protocol.to_ascii_lowercase();
        let prefix = (path.match_type == "PathPrefix").then_some(path.value.as_str());
        let request = Redirected {
            scheme: &scheme,
            listener_port: listener.port,
            host: "{host}",
            path: "{path}",
            matched_prefix: prefix,
        };
        let (location, status) = location(&redirect, request);
        return Action::Redirect { location, status };
    }
    let rewrite = filters.iter().filter_map(|f| f.url_rewrite.as_ref()).next().map(|rewrite| {
        let path = rewrite.path.as_ref().map(|p| {
            p.replace_full_path.clone().or_else(|| p.replace_prefix_match.clone()).unwrap_or_default()
        });
        match (&rewrite.hostname, path) {
            (Some(host), Some(path)) => format!("{host}{path}"),
            (Some(host), None) => format!("{host}{{path}}"),
            (None, Some(path)) => path,
            (None, None) => "{path}".to_owned(),
        }
    });
    Action::Forward { rewrite }
}

/// The backends of a rule.
fn backends(context: &RowContext<'_, '_>, route: AnyRoute<'_>, refs: &[BackendRef]) -> Vec<Backend> {
    let cluster = context.engine.cluster();
    refs.iter()
        .map(|b| {
            let resolved = resolve_backend(cluster, route.kind(), route.namespace(), b);
            let reference = ServiceRef { namespace: resolved.namespace.clone(), name: b.name.clone() };
            let written = b.port.map(|p| p.to_string()).unwrap_or_default();
            let service_port = match (&resolved.problem, resolved.service) {
                (None, Some(service)) => b
                    .port
                    .and_then(|number| {
                        backend_service_port(service_ports(&service.value), number, route.kind())
                    })
                    .map(|p| (&service.value, p))
                    .ok_or("port-not-found"),
                (Some(problem), _) => Err(problem_code(problem)),
                (None, None) => Err("service-not-found"),
            };
            backend(context.engine, context.proxies, &reference, written, resolved.weight, service_port)
        })
        .collect()
}

/// The stable code of a backend problem.
pub(crate) fn problem_code(problem: &BackendProblem) -> &'static str {
    match problem {
        BackendProblem::NotAService { .. } => "not-a-service",
        BackendProblem::RefNotPermitted => "ref-not-permitted",
        BackendProblem::ServiceNotFound => "service-not-found",
        BackendProblem::PortMissing => "port-missing",
        BackendProblem::PortNotInService { .. } => "port-not-found",
    }
}

#[cfg(test)]
#[path = "gateway_proxies_tests.rs"]
mod gateway_proxies_tests;
