//! TLSRoute, TCPRoute and UDPRoute: routes that take whole connections,
//! chosen by the listener they attach to and, for TLSRoute, by the SNI
//! name of the TLS ClientHello; there is no path, method or header to
//! match, so no rule precedence either.
//!
//! - TLSRoute (`gateway.networking.k8s.io/v1` in the standard channel
//!   since Gateway API v1.5, `v1alpha2` and `v1alpha3` before, in the
//!   experimental channel; <https://gateway-api.sigs.k8s.io/api-types/tlsroute/>):
//!   attaches to `TLS` listeners. `spec.hostnames` are SNI names, exact or
//!   `*.` wildcards, and a route attaches only where they intersect the
//!   listener's hostname ("If a hostname is specified by both the Listener
//!   and TLSRoute, there must be at least one intersecting hostname",
//!   `TLSRouteSpec.hostnames`). In `Passthrough` mode the Gateway reads the
//!   SNI and forwards the still-encrypted stream; in `Terminate` mode it
//!   ends TLS with the listener's certificate first. Either way the backend
//!   is a Service port.
//! - TCPRoute and UDPRoute (`v1alpha2`, experimental channel only;
//!   <https://gateway-api.sigs.k8s.io/reference/spec/#tcproute>): attach
//!   to `TCP` and `UDP` listeners; no hostnames, no matches: every
//!   connection to the listener's port goes to the route's backends.
//!
//! When several such routes claim the same connections (two TCPRoutes on
//! one listener, two TLSRoutes with the same SNI name), the API
//! conventions' conflict rule decides: the oldest route by creation
//! timestamp, then the first by `namespace/name`
//! (<https://gateway-api.sigs.k8s.io/concepts/guidelines/#conflicts>);
//! among TLSRoutes, a more precise SNI name (exact over wildcard, longer
//! wildcard over shorter) goes first, as for listener hostnames.

use super::listener::{hostname_matches, HostnameMatch};
use super::AnyRoute;
pub use crate::model::gateway_api::{StreamRoute, StreamRouteRule, StreamRouteSpec};

/// Whether `kind` is one of the connection-level route kinds.
pub fn is_stream_kind(kind: &str) -> bool {
    matches!(kind, "TLSRoute" | "TCPRoute" | "UDPRoute")
}

/// The channel a route kind is in, for output that must say so:
/// `None` for the standard channel.
pub fn experimental(kind: &str) -> Option<&'static str> {
    matches!(kind, "TCPRoute" | "UDPRoute").then_some("experimental channel (`v1alpha2`)")
}

/// Which connection-level route takes a connection on one listener.
#[derive(Debug, Clone)]
pub struct StreamRouting<'c> {
    /// The route that takes it, with the route hostname that matched the
    /// SNI name (`None`: the route names none, or the listener is TCP/UDP).
    pub chosen: Option<(AnyRoute<'c>, Option<String>)>,
    /// Other routes that claim it too and lose the conflict.
    pub conflicting: Vec<AnyRoute<'c>>,
    /// Whether the winner was decided by creation timestamps the input lacks.
    pub age_unknown: bool,
}

/// The route among `routes` (attached to one listener, with the hostnames
/// each serves there, from [`super::attach::attached_routes`]) that takes a
/// connection with SNI name `sni` (`None` on TCP and UDP listeners, where
/// hostnames play no part). HTTPRoutes and GRPCRoutes are not looked at.
pub fn stream_route<'c>(routes: &[(AnyRoute<'c>, Vec<String>)], sni: Option<&str>) -> StreamRouting<'c> {
    type Key = (std::cmp::Reverse<HostnameMatch>, bool, Option<String>, String, String);
    let mut candidates: Vec<(Key, AnyRoute<'c>, Option<String>)> = routes
        .iter()
        .filter(|(route, _)| is_stream_kind(route.kind()))
        .filter_map(|(route, hostnames)| {
            let (precision, hostname) = match sni {
                Some(sni) if !hostnames.is_empty() => hostnames
                    .iter()
                    .filter_map(|name| Some((hostname_matches(Some(name), sni)?, Some(name.clone()))))
                    .max_by(|a, b| a.0.cmp(&b.0))?,
                _ => (HostnameMatch::Any, None),
            };
            let created = route.metadata().creation_timestamp.as_ref().map(|t| t.0.to_string());
            let key = (
                std::cmp::Reverse(precision),
                created.is_none(),
                created,
                route.namespace().to_owned(),
                route.name().to_owned(),
            );
            Some((key, *route, hostname))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let age_unknown = candidates.len() > 1
        && candidates[0].0 .0 == candidates[1].0 .0
        && (candidates[0].0 .1 || candidates[1].0 .1);
    let mut rest = candidates.into_iter();
    let chosen = rest.next().map(|(_, route, hostname)| (route, hostname));
    StreamRouting { chosen, conflicting: rest.map(|(_, route, _)| route).collect(), age_unknown }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::gateway::attach::attached_routes;
    use crate::testing::cluster;

    fn gateway() -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra"},
        "spec": {"gatewayClassName": "eg", "listeners": [
            {"name": "tls", "port": 443, "protocol": "TLS", "hostname": "*.example.com",
             "tls": {"mode": "Passthrough"}, "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "pg", "port": 5432, "protocol": "TCP"},
            {"name": "dns", "port": 53, "protocol": "UDP"}
        ]}})
    }

    fn route(kind: &str, name: &str, hostnames: Value, created: Option<&str>) -> Value {
        let version = if kind == "TLSRoute" { "v1" } else { "v1alpha2" };
        let mut metadata = json!({"name": name, "namespace": "infra"});
        if let Some(created) = created {
            metadata["creationTimestamp"] = json!(created);
        }
        json!({"apiVersion": format!("gateway.networking.k8s.io/{version}"), "kind": kind,
            "metadata": metadata,
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": hostnames,
                     "rules": [{"backendRefs": [{"name": name, "port": 443}]}]}})
    }

    /// The route that takes a connection on listener `listener` with `sni`,
    /// and the others that claim it.
    fn taken(objects: Vec<Value>, listener: usize, sni: Option<&str>) -> (Option<String>, Vec<String>) {
        let c = cluster(objects);
        let gateway = c.gateway_api().gateway("infra", "gw").unwrap();
        let routes = attached_routes(&c, gateway, listener);
        let routing = stream_route(&routes, sni);
        (
            routing.chosen.map(|(r, h)| {
                format!("{} {}{}", r.kind(), r.name(), h.map(|h| format!(" {h}")).unwrap_or_default())
            }),
            routing.conflicting.iter().map(|r| r.name().to_owned()).collect(),
        )
    }

    // TLSRouteSpec.hostnames: SNI names, which must intersect the
    // listener's hostname for the route to attach; the most precise
    // matching name takes the connection.
    #[test]
    fn tls_routes_by_sni_name() {
        let objects = vec![
            gateway(),
            route("TLSRoute", "wild", json!(["*.example.com"]), None),
            route("TLSRoute", "db", json!(["db.example.com"]), None),
            route("TLSRoute", "other", json!(["db.example.org"]), None),
        ];
        assert_eq!(
            taken(objects.clone(), 0, Some("db.example.com")),
            (Some("TLSRoute db db.example.com".into()), vec!["wild".into()])
        );
        assert_eq!(
            taken(objects.clone(), 0, Some("kafka.example.com")),
            (Some("TLSRoute wild *.example.com".into()), vec![])
        );
        // `db.example.org` does not intersect `*.example.com`: not attached.
        assert_eq!(taken(objects, 0, Some("db.example.org")), (None, vec![]));
    }

    // Listener.protocol: TLS listeners take TLSRoutes, TCP listeners
    // TCPRoutes and UDP listeners UDPRoutes (AllowedRoutes.kinds default
    // to the protocol's); a TCPRoute names no host, so it takes every
    // connection to the port; of two, the oldest wins (API conventions,
    // "Conflicts").
    #[test]
    fn tcp_and_udp_routes_by_listener() {
        let objects = vec![
            gateway(),
            route("TCPRoute", "new", json!([]), Some("2025-02-01T00:00:00Z")),
            route("TCPRoute", "old", json!([]), Some("2025-01-01T00:00:00Z")),
            route("UDPRoute", "dns", json!([]), None),
        ];
        assert_eq!(taken(objects.clone(), 1, None), (Some("TCPRoute old".into()), vec!["new".into()]));
        assert_eq!(taken(objects.clone(), 2, None), (Some("UDPRoute dns".into()), vec![]));
        assert_eq!(
            taken(objects, 0, Some("a.example.com")),
            (None, vec![]),
            "a TCPRoute does not attach to a TLS listener"
        );
    }

    #[test]
    fn channels() {
        assert_eq!(experimental("TLSRoute"), None);
        assert!(experimental("TCPRoute").is_some() && experimental("UDPRoute").is_some());
    }
}
