//! Where the OpenShift router sends a request ([`crate::route`]): among
//! the Routes that take its host, those of the namespace that owns the
//! host (the oldest Route's: the router's default `namespaceOwnership:
//! Strict` admits no other namespace's Route for a host), the one whose
//! path takes the request with the longest path (the router writes its
//! HAProxy map files in reverse order, so a longer path is tried first),
//! then the oldest Route. Plain HTTP goes through only where the Route has
//! no TLS or `insecureEdgeTerminationPolicy: Allow`; with `Redirect` the
//! router answers 302 to HTTPS. With none of the router's pods ready,
//! nothing answers at all ([`super::openshift_rows::router_proxies`]).

use super::openshift_rows::{forwarded_ports, router_proxies};
use super::resolution::{rule_ref, serves_nothing, Forwarding, Outcome, Probe, Resolution, ResolutionNote};
use crate::model::Object;
use crate::policy::PolicyEngine;
use crate::route::{route_path_matches, route_takes_host, router_ports, Route, RouterAction};

/// Where `probe` goes through the router; `None` when no Route takes its host.
pub(super) fn through_router(engine: &PolicyEngine<'_>, probe: &Probe) -> Option<Resolution> {
    let cluster = engine.cluster();
    let mut taking: Vec<&Object<Route>> =
        cluster.routes().iter().filter(|r| route_takes_host(&r.value, &probe.host)).collect();
    taking.sort_by_key(|r| age_key(r));
    let owner = taking.first()?.value.metadata.namespace.clone();
    let proxies = router_proxies(cluster);
    if let Some(nothing) = serves_nothing(&proxies) {
        return Some(nothing);
    }
    let chosen = taking
        .iter()
        .filter(|r| r.value.metadata.namespace == owner)
        .filter(|r| route_path_matches(r.value.spec.path.as_deref(), &probe.path))
        .min_by_key(|r| {
            (std::cmp::Reverse(r.value.spec.path.as_deref().unwrap_or_default().len()), age_key(r))
        });
    let Some(route) = chosen else {
        // The router takes the host but no Route the path: its own 503 page.
        return Some(Resolution { outcome: Outcome::NotFound, rule: None, notes: Vec::new() });
    };
    let path = route.value.spec.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
    let namespace = route.value.metadata.namespace.as_deref().unwrap_or("default");
    let object = format!("{namespace}/{}", route.value.metadata.name.as_deref().unwrap_or_default());
    let rule = Some(rule_ref("Route", object, format!("path {path}"), route.origin.field_location("spec")));
    let port = if probe.scheme == "https" { 443 } else { 80 };
    let action = router_ports(&route.value).into_iter().find(|(p, _, _)| *p == port).map(|(_, _, a)| a);
    match action {
        None => Some(Resolution { outcome: Outcome::NotFound, rule, notes: Vec::new() }),
        Some(RouterAction::RedirectToHttps) => Some(Resolution {
            outcome: Outcome::Redirect {
                location: format!("https://{}{}", probe.host, probe.path),
                status: 302,
            },
            rule,
            notes: vec![ResolutionNote::HttpsRedirect],
        }),
        Some(RouterAction::Forward) => {
            let mut forward = Forwarding::default();
            for (service, port) in forwarded_ports(cluster, route) {
                forward.add(engine, &proxies, &service.value, port);
            }
            Some(Resolution { outcome: forward.outcome(), rule, notes: Vec::new() })
        }
    }
}

/// Oldest first (a Route without a creation time last), then by `namespace/name`.
fn age_key(route: &Object<Route>) -> (bool, Option<String>, Option<String>, Option<String>) {
    let meta = &route.value.metadata;
    let created = meta.creation_timestamp.as_ref().map(|t| t.0.to_string());
    (created.is_none(), created, meta.namespace.clone(), meta.name.clone())
}

#[cfg(test)]
#[path = "router_outcome_tests.rs"]
mod tests;
