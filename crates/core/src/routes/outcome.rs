//! Where one request goes in a cluster: through the Gateway that takes
//! the host ([`crate::gateway::claim::taking_claim`], the choice `trace`
//! makes), else through the Ingresses of a class ([`crate::ingress::route`]),
//! else through an OpenShift Route (as the router picks it, with
//! [`crate::route::route_takes_host`] and [`crate::route::route_path_matches`]),
//! and what the client gets: a backend Service port, a redirect, a 404.

use super::gateway_rows::gateway_proxies;
use super::ingress_rows::ingress_proxies;
use super::resolution::{rule_ref, serves_nothing, Forwarding};
pub use super::resolution::{Outcome, Probe, Resolution, ResolutionNote, RuleRef};
use super::Proxies;

use crate::gateway::backend::resolve_backend;
use crate::gateway::claim::{claims, taking_claim, Claim};
use crate::gateway::data_plane::backend_service_port;
use crate::gateway::listener::RequestProtocol;
use crate::gateway::matching::{route_request, Request};
use crate::gateway::redirect::{location, Redirected};
use crate::gateway::stream::stream_route;
use crate::gateway::AnyRoute;
use crate::ingress::behaviour::{plain_http, PlainHttp};
use crate::ingress::{
    self, check_backend, check_tls, ingress_class_of, BackendSite, BackendStatus, ClassRoute, PathMatch,
    PathType, RouteNote, RouteTarget, TlsStatus,
};
use crate::model::Cluster;
use crate::policy::PolicyEngine;
use crate::service::{service_ports, ServicePortKey};

/// Where `probe` goes in `engine`'s cluster, and whether policy lets the proxy through.
pub fn resolve(engine: &PolicyEngine<'_>, probe: &Probe) -> Resolution {
    let cluster = engine.cluster();
    let (port, protocol) =
        if probe.scheme == "https" { (443, RequestProtocol::Https) } else { (80, RequestProtocol::Http) };
    let all = claims(cluster, &probe.host, port, protocol);
    let ingresses = ingress::route(cluster, &probe.host, &probe.path);
    if let Some(claim) = taking_claim(&all, !ingresses.is_empty()) {
        return through_gateway(engine, claim, probe, port);
    }
    if let Some(route) =
        ingresses.iter().find(|r| matches!(r.target, RouteTarget::Rule(_))).or(ingresses.first())
    {
        return through_ingress(engine, route, probe);
    }
    if let Some(resolution) = super::router_outcome::through_router(engine, probe) {
        return resolution;
    }
    let unmodelled: Vec<ResolutionNote> = cluster
        .unmodelled_routes()
        .iter()
        .filter(|r| r.value.claims(&probe.host))
        .map(|r| ResolutionNote::Unmodelled {
            object: format!("{} {}/{}", r.value.kind, r.value.namespace, r.value.name),
        })
        .collect();
    let outcome = if unmodelled.is_empty() { Outcome::NoListener } else { Outcome::Unknown };
    Resolution { outcome, rule: None, notes: unmodelled }
}

fn through_gateway(engine: &PolicyEngine<'_>, claim: &Claim<'_>, probe: &Probe, port: i32) -> Resolution {
    let cluster = engine.cluster();
    let proxies = gateway_proxies(cluster, &claim.gateway.value);
    if let Some(nothing) = serves_nothing(&proxies) {
        return nothing;
    }
    let listener = &claim.gateway.value.spec.listeners[claim.listener];
    if listener.protocol == "TLS" {
        return through_tls_route(engine, &proxies, claim, probe);
    }
    if !matches!(listener.protocol.as_str(), "HTTP" | "HTTPS") {
        return Resolution { outcome: Outcome::Unknown, rule: None, notes: vec![ResolutionNote::NotHttp] };
    }
    let request = Request::new(&probe.host, &probe.path, "GET", Vec::new());
    let routing = route_request(&claim.routes, &request);
    let Some(chosen) = routing.chosen else {
        let (outcome, notes) = if routing.unevaluated.is_empty() {
            (Outcome::NotFound, Vec::new())
        } else {
            (Outcome::Unknown, vec![ResolutionNote::RegexNotEvaluated])
        };
        return Resolution { outcome, rule: None, notes };
    };
    let route = chosen.route;
    let field = format!("spec.rules[{}]", chosen.rule);
    let rule = Some(rule_ref(
        route.kind(),
        route.id(),
        chosen.matched.join(", "),
        route.origin().field_location(&field),
    ));
    if let Some(filter) = chosen.filters.iter().find(|f| f.type_ == "RequestRedirect") {
        let redirect = filter.request_redirect.clone().unwrap_or_default();
        let prefix = matched_prefix(route, chosen.rule, chosen.match_index);
        let request = Redirected {
            scheme: &probe.scheme,
            listener_port: port,
            host: &probe.host,
            path: &probe.path,
            matched_prefix: prefix.as_deref(),
        };
        let (location, status) = location(&redirect, request);
        return Resolution {
            outcome: Outcome::Redirect { location, status },
            rule,
            notes: vec![ResolutionNote::RedirectFilter],
        };
    }
    let mut forward = Forwarding::default();
    for (r, _, b) in route.backend_refs() {
        let resolved = resolve_backend(cluster, route.kind(), route.namespace(), b);
        if r != chosen.rule || resolved.problem.is_some() || resolved.weight <= 0 {
            continue;
        }
        let Some(service) = resolved.service else { continue };
        let Some(number) = b.port else { continue };
        let Some(port) = backend_service_port(service_ports(&service.value), number, route.kind()) else {
            continue;
        };
        forward.add(engine, &proxies, &service.value, port);
    }
    Resolution { outcome: forward.outcome(), rule, notes: Vec::new() }
}

/// An HTTPS request to a `TLS` listener: the TLSRoute for its SNI name
/// ([`stream_route`]) takes the whole connection, whatever the path.
fn through_tls_route(
    engine: &PolicyEngine<'_>,
    proxies: &Proxies,
    claim: &Claim<'_>,
    probe: &Probe,
) -> Resolution {
    let cluster = engine.cluster();
    let Some((route, hostname)) = stream_route(&claim.routes, Some(&probe.host)).chosen else {
        // No TLSRoute for the SNI name: the Gateway ends the handshake.
        return Resolution { outcome: Outcome::NoListener, rule: None, notes: Vec::new() };
    };
    let matched = format!("SNI {}", hostname.unwrap_or_else(|| "*".to_owned()));
    let rule = Some(rule_ref(route.kind(), route.id(), matched, route.origin().location()));
    let mut forward = Forwarding::default();
    for (_, _, b) in route.backend_refs() {
        let resolved = resolve_backend(cluster, route.kind(), route.namespace(), b);
        let (None, Some(service), true) = (&resolved.problem, resolved.service, resolved.weight > 0) else {
            continue;
        };
        let port = b
            .port
            .and_then(|number| backend_service_port(service_ports(&service.value), number, route.kind()));
        if let Some(port) = port {
            forward.add(engine, proxies, &service.value, port);
        }
    }
    Resolution { outcome: forward.outcome(), rule, notes: Vec::new() }
}

/// The `PathPrefix` value of the match that took the request.
fn matched_prefix(route: AnyRoute<'_>, rule: usize, index: Option<usize>) -> Option<String> {
    let AnyRoute::Http(r) = route else { return None };
    let path = r.value.spec.rules.get(rule)?.matches.get(index?)?.path.as_ref()?;
    (path.type_.as_deref().unwrap_or("PathPrefix") == "PathPrefix")
        .then(|| path.value.clone().unwrap_or_else(|| "/".to_owned()))
}

/// Whether an Ingress read with regular expressions has a rule for `host`
/// whose path is one: a request no rule took as a string prefix might
/// still match it, so kubereach cannot tell where it goes.
fn regex_rules_for(cluster: &Cluster, host: &str) -> bool {
    cluster.ingresses().iter().any(|ingress| {
        ingress::regex_paths(&ingress.value)
            && ingress.value.spec.iter().flat_map(|s| s.rules.iter().flatten()).any(|rule| {
                ingress::host_matches(rule.host.as_deref(), host).is_some()
                    && rule.http.iter().flat_map(|h| &h.paths).any(|p| {
                        p.path.as_deref().is_some_and(|v| {
                            v.contains(['(', ')', '[', ']', '*', '+', '?', '|', '$', '^', '\\'])
                        })
                    })
            })
    })
}

fn through_ingress(engine: &PolicyEngine<'_>, route: &ClassRoute, probe: &Probe) -> Resolution {
    let cluster = engine.cluster();
    let mut notes: Vec<ResolutionNote> = route
        .notes
        .iter()
        .filter(|n| matches!(n, RouteNote::RegexPaths { .. }))
        .map(|_| ResolutionNote::RegexPaths)
        .collect();
    let (ingress_ref, site, matched, location) = match &route.target {
        RouteTarget::Rule(candidate) => {
            // The string prefix matters only where whole path elements would not match.
            if candidate.path_type == PathType::ImplementationSpecific
                && candidate.path_match == PathMatch::StringPrefix
                && !ingress::path_matches(PathMatch::Prefix, &candidate.path, &probe.path)
            {
                notes.push(ResolutionNote::StringPrefix);
            }
            let matched = format!("{:?} {}", candidate.path_type, candidate.path);
            (&candidate.ingress, candidate.site, matched, candidate.location.clone())
        }
        RouteTarget::DefaultBackend { .. } | RouteTarget::ControllerDefault
            if regex_rules_for(cluster, &probe.host) =>
        {
            notes.push(ResolutionNote::RegexPaths);
            return Resolution { outcome: Outcome::Unknown, rule: None, notes };
        }
        RouteTarget::DefaultBackend { ingress, location, .. } => {
            notes.push(ResolutionNote::DefaultBackend);
            (ingress, BackendSite::DefaultBackend, "defaultBackend".to_owned(), location.clone())
        }
        RouteTarget::ControllerDefault => {
            notes.sort();
            return Resolution { outcome: Outcome::NotFound, rule: None, notes };
        }
    };
    let rule = Some(rule_ref("Ingress", ingress_ref.id(), matched, location));
    let Some(ingress) =
        cluster.ingresses().iter().find(|i| ingress::IngressRef::of(&i.value) == *ingress_ref)
    else {
        return Resolution { outcome: Outcome::Unknown, rule, notes };
    };
    let proxies = ingress_proxies(cluster, ingress);
    if let Some(nothing) = serves_nothing(&proxies) {
        return nothing;
    }
    if probe.scheme == "http" && site != BackendSite::DefaultBackend {
        let kind = ingress_class_of(cluster, &ingress.value).controller.map(|c| c.kind);
        let tls = check_tls(cluster, ingress, &probe.host).status != TlsStatus::NotConfigured;
        if let PlainHttp::Redirect { code } = plain_http(kind, &ingress.value, tls) {
            notes.push(ResolutionNote::HttpsRedirect);
            notes.sort();
            let location = format!("https://{}{}", probe.host, probe.path);
            return Resolution { outcome: Outcome::Redirect { location, status: code }, rule, notes };
        }
    }
    let mut forward = Forwarding::default();
    if let Some(check) = check_backend(cluster, ingress, site) {
        if let (BackendStatus::Ok { port: key }, ingress::BackendRef::Service { service, .. }) =
            (&check.status, &check.backend)
        {
            let found = cluster.service(&service.namespace, &service.name);
            let port =
                found.and_then(|s| service_ports(&s.value).iter().find(|p| ServicePortKey::of(p) == *key));
            if let (Some(found), Some(port)) = (found, port) {
                forward.add(engine, &proxies, &found.value, port);
            }
        }
    }
    let outcome = forward.outcome();
    notes.sort();
    Resolution { outcome, rule, notes }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
