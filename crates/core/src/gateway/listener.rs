//! Listeners: hostnames, which listener takes a request, which routes a
//! listener allows.
//!
//! Hostnames follow <https://gateway-api.sigs.k8s.io/concepts/hostnames/>
//! and the `Listener.hostname` / `HTTPRoute.spec.hostnames` reference:
//! `*.example.com` matches `test.example.com` and `foo.test.example.com`
//! but not `example.com`; a route attaches to a listener only when their
//! hostnames intersect (either may be absent: all hosts); among listeners
//! on one port the most precise hostname takes the request.

use crate::labels::selector_matches;
use crate::model::Cluster;

use super::types::{Gateway, Listener, GROUP};

/// How precisely a hostname pattern matched a host: ordered so that the
/// greater wins (exact over wildcard, longer wildcard over shorter, any
/// over nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HostnameMatch {
    /// No hostname: every host.
    Any,
    /// A wildcard, with the length of its suffix.
    Wildcard(usize),
    /// The same name.
    Exact,
}

/// Whether `pattern` (a listener's or route's hostname; `None`: all)
/// matches the request `host`, and how precisely. Names compare without
/// case, as DNS names do.
pub fn hostname_matches(pattern: Option<&str>, host: &str) -> Option<HostnameMatch> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let Some(pattern) = pattern else { return Some(HostnameMatch::Any) };
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix('*') {
        Some(suffix) => {
            // `*.example.com`: at least one label before `.example.com`.
            (host.len() > suffix.len() && host.ends_with(suffix))
                .then_some(HostnameMatch::Wildcard(suffix.len()))
        }
        None => (pattern == host).then_some(HostnameMatch::Exact),
    }
}

/// The hostnames a route serves on a listener: the intersection of the
/// listener's hostname and the route's (`None` when they do not
/// intersect, and the route cannot attach). An empty list is "every host
/// the listener takes".
pub fn intersect_hostnames(listener: Option<&str>, route: &[String]) -> Option<Vec<String>> {
    let Some(listener) = listener else { return Some(route.to_vec()) };
    if route.is_empty() {
        return Some(vec![listener.to_owned()]);
    }
    let common: Vec<String> = route
        .iter()
        .filter_map(|name| {
            if within(name, listener) {
                Some(name.clone())
            } else if within(listener, name) {
                Some(listener.to_owned())
            } else {
                None
            }
        })
        .collect();
    (!common.is_empty()).then_some(common)
}

/// Whether every host `inner` matches is one `outer` matches.
fn within(inner: &str, outer: &str) -> bool {
    let inner = inner.to_ascii_lowercase();
    let outer = outer.to_ascii_lowercase();
    if inner == outer {
        return true;
    }
    match outer.strip_prefix('*') {
        Some(suffix) => inner.len() > suffix.len() && inner.ends_with(suffix),
        None => false,
    }
}

/// The scheme a request arrives with, or the transport of a bare connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestProtocol {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
    /// A TCP connection that is not HTTP (a `TCP` listener).
    Tcp,
    /// UDP datagrams (a `UDP` listener).
    Udp,
}

/// Whether a listener of `protocol` takes requests of `request`: HTTP on
/// `HTTP`, HTTPS on `HTTPS` (terminated) or `TLS` (TLSRoutes, by SNI),
/// TCP on `TCP` and UDP on `UDP` (`Listener.protocol` reference).
pub fn protocol_serves(protocol: &str, request: RequestProtocol) -> bool {
    match request {
        RequestProtocol::Http => protocol == "HTTP",
        RequestProtocol::Https => protocol == "HTTPS" || protocol == "TLS",
        RequestProtocol::Tcp => protocol == "TCP",
        RequestProtocol::Udp => protocol == "UDP",
    }
}

/// The listener of `gateway` that takes a request for `host` on `port`
/// over `request`: among those on the port with that protocol, the one
/// whose hostname matches most precisely.
pub fn listener_for<'g>(
    gateway: &'g Gateway,
    port: i32,
    host: &str,
    request: RequestProtocol,
) -> Option<(usize, &'g Listener)> {
    gateway
        .spec
        .listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| l.port == port && protocol_serves(&l.protocol, request))
        .filter_map(|(i, l)| Some((hostname_matches(listener_hostname(l, request), host)?, i, l)))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, i, l)| (i, l))
}

/// The hostname that decides whether `listener` takes a request: none on
/// TCP and UDP, where `Listener.hostname` "is ignored for protocols that
/// don't require hostname based matching".
pub fn listener_hostname(listener: &Listener, request: RequestProtocol) -> Option<&str> {
    match request {
        RequestProtocol::Tcp | RequestProtocol::Udp => None,
        RequestProtocol::Http | RequestProtocol::Https => listener.hostname.as_deref(),
    }
}

/// The route kinds a listener takes when `allowedRoutes.kinds` is empty:
/// those of its protocol (`AllowedRoutes.kinds` reference: "the kinds of
/// Routes selected are determined using the Listener protocol").
pub fn default_route_kinds(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "HTTP" | "HTTPS" => &["HTTPRoute", "GRPCRoute"],
        "TLS" => &["TLSRoute"],
        "TCP" => &["TCPRoute"],
        "UDP" => &["UDPRoute"],
        _ => &[],
    }
}

/// Why a listener does not take a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAllowed {
    /// `allowedRoutes.namespaces.from` excludes the route's namespace
    /// (`NotAllowedByListeners`), with the rule that excludes it.
    Namespace(String),
    /// The route's kind is not among the listener's kinds, which are listed.
    Kind(Vec<String>),
}

/// Whether `listener` of a Gateway in `gateway_namespace` takes a route of
/// `kind` in `route_namespace`.
pub fn route_allowed(
    cluster: &Cluster,
    gateway_namespace: &str,
    listener: &Listener,
    kind: &str,
    route_namespace: &str,
) -> Result<(), NotAllowed> {
    let allowed = listener.allowed_routes.as_ref();
    let kinds: Vec<String> = match allowed.map(|a| a.kinds.as_slice()).filter(|k| !k.is_empty()) {
        Some(kinds) => kinds
            .iter()
            .filter(|k| k.group.as_deref().unwrap_or(GROUP) == GROUP)
            .map(|k| k.kind.clone())
            .collect(),
        None => default_route_kinds(&listener.protocol).iter().map(|k| (*k).to_owned()).collect(),
    };
    if !kinds.iter().any(|k| k == kind) {
        return Err(NotAllowed::Kind(kinds));
    }
    let namespaces = allowed.and_then(|a| a.namespaces.as_ref());
    match namespaces.and_then(|n| n.from.as_deref()).unwrap_or("Same") {
        "All" => Ok(()),
        "Selector" => {
            let selector = namespaces.and_then(|n| n.selector.as_ref());
            let labels = cluster.namespace(route_namespace).map(|n| &n.labels);
            match (selector, labels) {
                (Some(selector), Some(labels)) if selector_matches(selector, labels) => Ok(()),
                _ => Err(NotAllowed::Namespace(format!(
                    "`from: Selector`: namespace `{route_namespace}`'s labels do not match the selector"
                ))),
            }
        }
        _ if route_namespace == gateway_namespace => Ok(()),
        _ => Err(NotAllowed::Namespace(format!(
            "`from: Same` (the default): only routes in `{gateway_namespace}` attach"
        ))),
    }
}

/// Why two listeners of a Gateway conflict (`ListenerConditionReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerConflict {
    /// Same port, same protocol and same hostname (`HostnameConflict`).
    Hostname,
    /// Same port, protocols that cannot share it (`ProtocolConflict`).
    Protocol,
}

/// Pairs of listeners (indices, the first lower) that conflict. Listeners
/// may share a port when they differ in hostname; HTTPS and TLS may share
/// one (both are TLS, told apart by SNI), and TCP and UDP are different
/// transports; any other mix of protocols on one port conflicts
/// (`Listener` reference: "Each Listener in a set of Listeners (for
/// example, in a single Gateway) MUST be distinct, in that a traffic flow
/// MUST be able to be assigned to exactly one listener").
pub fn listener_conflicts(gateway: &Gateway) -> Vec<(usize, usize, ListenerConflict)> {
    let listeners = &gateway.spec.listeners;
    let family = |protocol: &str| match protocol {
        "HTTPS" | "TLS" => "tls",
        "UDP" => "udp",
        "TCP" => "tcp",
        other => {
            if other == "HTTP" {
                "http"
            } else {
                "other"
            }
        }
    };
    let mut conflicts = Vec::new();
    for (i, a) in listeners.iter().enumerate() {
        for (j, b) in listeners.iter().enumerate().skip(i + 1) {
            if a.port != b.port {
                continue;
            }
            let (fa, fb) = (family(&a.protocol), family(&b.protocol));
            let transports = [fa, fb].contains(&"udp") && fa != fb;
            if fa != fb && !transports {
                conflicts.push((i, j, ListenerConflict::Protocol));
            } else if a.protocol == b.protocol
                && a.hostname.as_deref().map(str::to_ascii_lowercase)
                    == b.hostname.as_deref().map(str::to_ascii_lowercase)
            {
                conflicts.push((i, j, ListenerConflict::Hostname));
            }
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    // "*.example.com would match both test.example.com, and
    // foo.test.example.com, but not example.com" (Listener.hostname,
    // HTTPRoute.spec.hostnames).
    #[test]
    fn wildcard_is_a_suffix_of_at_least_one_label() {
        assert_eq!(
            hostname_matches(Some("*.example.com"), "test.example.com"),
            Some(HostnameMatch::Wildcard(12))
        );
        assert!(hostname_matches(Some("*.example.com"), "foo.test.example.com").is_some());
        assert_eq!(hostname_matches(Some("*.example.com"), "example.com"), None);
        assert_eq!(hostname_matches(Some("Foo.Example.com"), "foo.example.COM"), Some(HostnameMatch::Exact));
        assert_eq!(hostname_matches(None, "anything"), Some(HostnameMatch::Any));
    }

    // Hostnames concept page, "hostname intersection": a listener
    // `*.example.com` and a route `foo.example.com` intersect in
    // `foo.example.com`; a listener `foo.example.com` and a route
    // `*.example.com` in `foo.example.com`; `bar.com` does not intersect.
    #[test]
    fn hostname_intersection() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            intersect_hostnames(Some("*.example.com"), &names(&["foo.example.com", "bar.com"])),
            Some(names(&["foo.example.com"]))
        );
        assert_eq!(
            intersect_hostnames(Some("foo.example.com"), &names(&["*.example.com"])),
            Some(names(&["foo.example.com"]))
        );
        assert_eq!(
            intersect_hostnames(Some("*.example.com"), &names(&["*.foo.example.com"])),
            Some(names(&["*.foo.example.com"]))
        );
        assert_eq!(
            intersect_hostnames(Some("*.foo.example.com"), &names(&["*.example.com"])),
            Some(names(&["*.foo.example.com"]))
        );
        assert_eq!(intersect_hostnames(Some("foo.example.com"), &names(&["bar.example.com"])), None);
        assert_eq!(intersect_hostnames(Some("example.com"), &names(&["*.example.com"])), None);
        assert_eq!(intersect_hostnames(None, &names(&["a.b"])), Some(names(&["a.b"])));
        assert_eq!(intersect_hostnames(Some("a.b"), &[]), Some(names(&["a.b"])));
    }

    fn gateway(listeners: serde_json::Value) -> Gateway {
        serde_json::from_value(json!({"metadata": {"name": "gw", "namespace": "infra"},
            "spec": {"gatewayClassName": "eg", "listeners": listeners}}))
        .unwrap()
    }

    // Among listeners on one port, the most precise hostname takes the
    // request (hostnames concept page: "more precise beating less precise").
    #[test]
    fn most_precise_listener_takes_the_request() {
        let g = gateway(json!([
            {"name": "any", "port": 80, "protocol": "HTTP"},
            {"name": "wild", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"},
            {"name": "exact", "port": 80, "protocol": "HTTP", "hostname": "api.example.com"},
            {"name": "tls", "port": 443, "protocol": "HTTPS", "hostname": "api.example.com"},
        ]));
        let name = |host, port, p| listener_for(&g, port, host, p).map(|(_, l)| l.name.as_str());
        assert_eq!(name("api.example.com", 80, RequestProtocol::Http), Some("exact"));
        assert_eq!(name("www.example.com", 80, RequestProtocol::Http), Some("wild"));
        assert_eq!(name("other.org", 80, RequestProtocol::Http), Some("any"));
        assert_eq!(name("api.example.com", 443, RequestProtocol::Https), Some("tls"));
        assert_eq!(name("www.example.com", 443, RequestProtocol::Https), None);
        assert_eq!(name("api.example.com", 443, RequestProtocol::Http), None);
    }

    // TCP and UDP listeners take connections by port and transport only:
    // `Listener.hostname` "is ignored for protocols that don't require
    // hostname based matching".
    #[test]
    fn tcp_and_udp_listeners_ignore_hostnames() {
        let g = gateway(json!([
            {"name": "pg", "port": 5432, "protocol": "TCP", "hostname": "db.example.com"},
            {"name": "dns", "port": 53, "protocol": "UDP"},
        ]));
        let name = |host, port, p| listener_for(&g, port, host, p).map(|(_, l)| l.name.as_str());
        assert_eq!(name("other.example.org", 5432, RequestProtocol::Tcp), Some("pg"));
        assert_eq!(name("other.example.org", 5432, RequestProtocol::Udp), None);
        assert_eq!(name("dns.example.com", 53, RequestProtocol::Udp), Some("dns"));
        assert_eq!(name("dns.example.com", 53, RequestProtocol::Http), None);
    }

    // Listeners on one port must be told apart: by hostname, or HTTPS/TLS
    // by SNI; HTTP and HTTPS on one port conflict (ProtocolConflict).
    #[test]
    fn listener_conflicts_by_hostname_and_protocol() {
        let g = gateway(json!([
            {"name": "a", "port": 80, "protocol": "HTTP", "hostname": "a.example.com"},
            {"name": "b", "port": 80, "protocol": "HTTP", "hostname": "A.example.com"},
            {"name": "c", "port": 80, "protocol": "HTTP", "hostname": "c.example.com"},
            {"name": "d", "port": 443, "protocol": "HTTPS", "hostname": "d.example.com"},
            {"name": "e", "port": 443, "protocol": "TLS", "hostname": "e.example.com"},
            {"name": "f", "port": 80, "protocol": "HTTPS"},
            {"name": "g", "port": 53, "protocol": "TCP"},
            {"name": "h", "port": 53, "protocol": "UDP"},
        ]));
        assert_eq!(
            listener_conflicts(&g),
            [
                (0, 1, ListenerConflict::Hostname),
                (0, 5, ListenerConflict::Protocol),
                (1, 5, ListenerConflict::Protocol),
                (2, 5, ListenerConflict::Protocol),
            ]
        );
    }

    // AllowedRoutes: "namespaces ... From: Same (default) / All / Selector";
    // kinds default to the protocol's.
    #[test]
    fn allowed_routes_by_namespace_and_kind() {
        let c = cluster(vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"expose": "yes"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
        ]);
        let listener = |allowed: serde_json::Value| -> Listener {
            serde_json::from_value(
                json!({"name": "l", "port": 80, "protocol": "HTTP", "allowedRoutes": allowed}),
            )
            .unwrap()
        };
        let same = listener(json!({}));
        assert_eq!(route_allowed(&c, "infra", &same, "HTTPRoute", "infra"), Ok(()));
        assert!(matches!(
            route_allowed(&c, "infra", &same, "HTTPRoute", "shop"),
            Err(NotAllowed::Namespace(_))
        ));
        let all = listener(json!({"namespaces": {"from": "All"}}));
        assert_eq!(route_allowed(&c, "infra", &all, "GRPCRoute", "dev"), Ok(()));
        assert_eq!(
            route_allowed(&c, "infra", &all, "TCPRoute", "dev"),
            Err(NotAllowed::Kind(vec!["HTTPRoute".into(), "GRPCRoute".into()]))
        );
        let selector = listener(
            json!({"namespaces": {"from": "Selector", "selector": {"matchLabels": {"expose": "yes"}}}}),
        );
        assert_eq!(route_allowed(&c, "infra", &selector, "HTTPRoute", "shop"), Ok(()));
        assert!(route_allowed(&c, "infra", &selector, "HTTPRoute", "dev").is_err());
        let only_grpc = listener(json!({"kinds": [{"kind": "GRPCRoute"}], "namespaces": {"from": "All"}}));
        assert!(matches!(
            route_allowed(&c, "infra", &only_grpc, "HTTPRoute", "dev"),
            Err(NotAllowed::Kind(_))
        ));
    }
}
