//! Which rule of which route attached to a listener takes a request.
//!
//! HTTPRoute (`HTTPRouteRule.matches` reference,
//! <https://gateway-api.sigs.k8s.io/reference/spec/#httprouterule>): a rule
//! matches when any of its matches does; a match holds when its path,
//! method, every header and every query parameter match; no match means
//! `PathPrefix /`. `PathPrefix` matches element by element (`/abc`
//! matches `/abc`, `/abc/` and `/abc/def`, not `/abcd`); header names
//! compare without case. Across all rules of the routes on the listener,
//! precedence goes, continuing on ties, to:
//!
//! 1. the route whose matching hostname has the most characters of a
//!    non-wildcard name, then the most characters (`HTTPRoute.spec.hostnames`);
//! 2. an `Exact` path match, then the longest `PathPrefix`;
//! 3. a method match; the most header matches; the most query matches;
//! 4. the oldest route (creation timestamp), then `namespace/name` in
//!    alphabetical order, then the first rule and match in list order.
//!
//! GRPCRoute (`GRPCRouteRule` reference): the request is the path
//! `/package.Service/Method` that HTTP/2 carries; precedence is the
//! hostname as above, then the most characters of a matching service, of a
//! matching method, the most header matches, then age and name.
//!
//! `RegularExpression` matches are implementation-specific (RE2, PCRE, …)
//! and their precedence is too: kubereach does not evaluate them and says so.

use std::cmp::Reverse;

use super::listener::{hostname_matches, HostnameMatch};
use super::types::{GrpcRouteMatch, HttpHeaderMatch, HttpRouteFilter, HttpRouteMatch};
use super::AnyRoute;

/// A request as a route sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The `Host` header (or `:authority`), without port.
    pub host: String,
    /// The path, without the query.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The method (`GET` unless given).
    pub method: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A request for `host` and `target` (a path with an optional `?query`).
    pub fn new(host: &str, target: &str, method: &str, headers: Vec<(String, String)>) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), value.to_owned())
            })
            .collect();
        let path = if path.is_empty() { "/" } else { path };
        Request { host: host.to_owned(), path: path.to_owned(), query, method: method.to_owned(), headers }
    }
}

/// The rule that takes a request.
#[derive(Debug, Clone)]
pub struct RuleMatch<'c> {
    /// The route.
    pub route: AnyRoute<'c>,
    /// Index in `spec.rules`.
    pub rule: usize,
    /// Index in the rule's `matches` (`None`: the rule has none, so it matches everything).
    pub match_index: Option<usize>,
    /// The route hostname that matched (`None`: the route names none).
    pub hostname: Option<String>,
    /// What matched, in words (`PathPrefix /api`, `method GET`, …).
    pub matched: Vec<String>,
    /// The filters of the rule.
    pub filters: &'c [HttpRouteFilter],
}

/// How the routes of a listener answer a request.
#[derive(Debug, Clone)]
pub struct Routing<'c> {
    /// The winning rule, if any.
    pub chosen: Option<RuleMatch<'c>>,
    /// Other rules that match too and lose on precedence.
    pub shadowed: Vec<RuleMatch<'c>>,
    /// Routes on the listener that serve the host (their rules did or did not match).
    pub host_routes: Vec<AnyRoute<'c>>,
    /// Rules with a `RegularExpression` match, not evaluated: `(route, rule)`.
    pub unevaluated: Vec<(AnyRoute<'c>, usize)>,
    /// Whether the winner was decided by creation timestamps the input lacks.
    pub age_unknown: bool,
}

/// Which rule of `routes` (attached to one listener, with the hostnames each
/// serves there) takes `request`.
pub fn route_request<'c>(routes: &[(AnyRoute<'c>, Vec<String>)], request: &Request) -> Routing<'c> {
    let mut candidates: Vec<(Key, RuleMatch<'c>)> = Vec::new();
    let mut host_routes = Vec::new();
    let mut unevaluated = Vec::new();
    for (route, hostnames) in routes {
        let Some((hostname, host_key)) = best_hostname(hostnames, &request.host) else { continue };
        host_routes.push(*route);
        let before = candidates.len();
        match route {
            AnyRoute::Http(r) => {
                for (index, rule) in r.value.spec.rules.iter().enumerate() {
                    if rule.matches.iter().any(is_regex) {
                        unevaluated.push((*route, index));
                    }
                    if let Some((match_index, specificity, matched)) =
                        http_rule_matches(&rule.matches, request)
                    {
                        let rule_match = RuleMatch {
                            route: *route,
                            rule: index,
                            match_index,
                            hostname: hostname.clone(),
                            matched,
                            filters: &rule.filters,
                        };
                        candidates
                            .push((Key::new(host_key, specificity, *route, index, match_index), rule_match));
                    }
                }
            }
            AnyRoute::Grpc(r) => {
                for (index, rule) in r.value.spec.rules.iter().enumerate() {
                    if let Some((match_index, specificity, matched)) =
                        grpc_rule_matches(&rule.matches, request)
                    {
                        let rule_match = RuleMatch {
                            route: *route,
                            rule: index,
                            match_index,
                            hostname: hostname.clone(),
                            matched,
                            filters: &[],
                        };
                        candidates
                            .push((Key::new(host_key, specificity, *route, index, match_index), rule_match));
                    }
                }
            }
            // Connection-level routes have no rules to match a request: `stream`.
            AnyRoute::Tls(_) | AnyRoute::Tcp(_) | AnyRoute::Udp(_) => {}
        }
        let _ = before;
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let age_unknown = candidates.len() > 1
        && candidates[0].0.specific_part() == candidates[1].0.specific_part()
        && (candidates[0].0.created.is_none() || candidates[1].0.created.is_none());
    let mut rest = candidates.into_iter().map(|(_, m)| m);
    let chosen = rest.next();
    Routing { chosen, shadowed: rest.collect(), host_routes, unevaluated, age_unknown }
}

/// The sort key of a candidate: smaller wins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    host: Reverse<(usize, usize)>,
    specificity: Reverse<Vec<usize>>,
    /// RFC 3339 timestamps sort as text; `None` (a manifest) last.
    created: Option<String>,
    created_missing: bool,
    id: (String, String),
    rule: usize,
    match_index: usize,
}

impl Key {
    fn new(
        host: (usize, usize),
        specificity: Vec<usize>,
        route: AnyRoute<'_>,
        rule: usize,
        match_index: Option<usize>,
    ) -> Key {
        let created = route.metadata().creation_timestamp.as_ref().map(|t| t.0.to_string());
        Key {
            host: Reverse(host),
            specificity: Reverse(specificity),
            created_missing: created.is_none(),
            created,
            id: (route.namespace().to_owned(), route.name().to_owned()),
            rule,
            match_index: match_index.unwrap_or(0),
        }
    }

    fn specific_part(&self) -> (&Reverse<(usize, usize)>, &Reverse<Vec<usize>>) {
        (&self.host, &self.specificity)
    }
}

/// The route hostname that matches `host` best, with its precedence:
/// (characters of a matching non-wildcard name, characters of the matching name).
fn best_hostname(hostnames: &[String], host: &str) -> Option<(Option<String>, (usize, usize))> {
    if hostnames.is_empty() {
        return Some((None, (0, 0)));
    }
    hostnames
        .iter()
        .filter_map(|name| {
            let how = hostname_matches(Some(name), host)?;
            let exact = if how == HostnameMatch::Exact { name.len() } else { 0 };
            Some((Some(name.clone()), (exact, name.len())))
        })
        .max_by_key(|(_, key)| *key)
}

fn is_regex(m: &HttpRouteMatch) -> bool {
    m.path.as_ref().and_then(|p| p.type_.as_deref()) == Some("RegularExpression")
        || m.headers.iter().chain(&m.query_params).any(|h| h.type_.as_deref() == Some("RegularExpression"))
}

type RuleHit = (Option<usize>, Vec<usize>, Vec<String>);

/// The most specific of `matches` that `request` meets, with its
/// specificity (exact path, prefix length, method, headers, query) and a
/// description.
fn http_rule_matches(matches: &[HttpRouteMatch], request: &Request) -> Option<RuleHit> {
    if matches.is_empty() {
        return Some((
            None,
            vec![0, 1, 0, 0, 0],
            vec!["no matches: every request (`PathPrefix /`)".to_owned()],
        ));
    }
    matches
        .iter()
        .enumerate()
        .filter_map(|(i, m)| http_match(m, request).map(|(key, words)| (Some(i), key, words)))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
}

fn http_match(m: &HttpRouteMatch, request: &Request) -> Option<(Vec<usize>, Vec<String>)> {
    let path_type = m.path.as_ref().and_then(|p| p.type_.as_deref()).unwrap_or("PathPrefix");
    let value = m.path.as_ref().and_then(|p| p.value.as_deref()).unwrap_or("/");
    let (exact, prefix_len) = match path_type {
        "Exact" if request.path == value => (1, value.len()),
        "PathPrefix" if path_prefix_matches(value, &request.path) => (0, value.len()),
        _ => return None,
    };
    let mut words = vec![format!("{path_type} `{value}`")];
    if let Some(method) = &m.method {
        if !method.eq(&request.method) {
            return None;
        }
        words.push(format!("method `{method}`"));
    }
    if !headers_match(&m.headers, &request.headers, false)
        || !headers_match(&m.query_params, &request.query, true)
    {
        return None;
    }
    words.extend(m.headers.iter().map(|h| format!("header `{}: {}`", h.name, h.value)));
    words.extend(m.query_params.iter().map(|q| format!("query `{}={}`", q.name, q.value)));
    let key = vec![exact, prefix_len, usize::from(m.method.is_some()), m.headers.len(), m.query_params.len()];
    Some((key, words))
}

/// `PathPrefix`: "split by `/` … a trailing `/` is ignored … `/abc`, `/abc/`
/// and `/abc/def` match the prefix `/abc`, but `/abcd` does not".
pub fn path_prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return true;
    }
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether every `Exact` match of `wanted` holds in `have` (header names
/// without case, query names with case; only the first entry of a name
/// counts, as the spec says). `RegularExpression` matches never hold here.
fn headers_match(wanted: &[HttpHeaderMatch], have: &[(String, String)], case_sensitive: bool) -> bool {
    let same = |a: &str, b: &str| if case_sensitive { a == b } else { a.eq_ignore_ascii_case(b) };
    wanted.iter().all(|w| {
        w.type_.as_deref().unwrap_or("Exact") == "Exact"
            && have.iter().find(|(name, _)| same(name, &w.name)).is_some_and(|(_, value)| *value == w.value)
    })
}

/// GRPCRoute matches against the path `/package.Service/Method`.
fn grpc_rule_matches(matches: &[GrpcRouteMatch], request: &Request) -> Option<RuleHit> {
    let (service, method) = request.path.strip_prefix('/')?.split_once('/')?;
    if matches.is_empty() {
        return Some((None, vec![0, 0, 0], vec!["no matches: every call".to_owned()]));
    }
    matches
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let wanted = m.method.clone().unwrap_or_default();
            if wanted.type_.as_deref().unwrap_or("Exact") != "Exact"
                || wanted.service.as_deref().is_some_and(|s| s != service)
                || wanted.method.as_deref().is_some_and(|s| s != method)
                || !headers_match(&m.headers, &request.headers, false)
            {
                return None;
            }
            let words = vec![format!(
                "service `{}`, method `{}`",
                wanted.service.as_deref().unwrap_or("*"),
                wanted.method.as_deref().unwrap_or("*")
            )];
            let key = vec![
                wanted.service.as_deref().map_or(0, str::len),
                wanted.method.as_deref().map_or(0, str::len),
                m.headers.len(),
            ];
            Some((Some(i), key, words))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::gateway::attach::attached_routes;
    use crate::model::Cluster;
    use crate::testing::cluster;

    fn setup(routes: Vec<Value>) -> Cluster {
        let mut objects = vec![json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "web"},
            "spec": {"gatewayClassName": "eg", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})];
        objects.extend(routes);
        cluster(objects)
    }

    fn route(name: &str, hostnames: Value, rules: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "web"},
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": hostnames, "rules": rules}})
    }

    /// `route/rule` of the winner for `GET host path` with `headers`.
    fn winner(c: &Cluster, host: &str, path: &str, method: &str, headers: &[(&str, &str)]) -> Option<String> {
        let gateway = &c.gateway_api().gateways[0];
        let routes = attached_routes(c, gateway, 0);
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let routing = route_request(&routes, &Request::new(host, path, method, headers));
        routing.chosen.map(|m| format!("{}/{}", m.route.name(), m.rule))
    }

    fn prefix(value: &str, backend: &str) -> Value {
        json!({"matches": [{"path": {"type": "PathPrefix", "value": value}}], "backendRefs": [{"name": backend, "port": 80}]})
    }

    // PathPrefix: "/abc, /abc/ and /abc/def would all match the prefix /abc,
    // but the path /abcd would not" (HTTPPathMatch reference).
    #[test]
    fn path_prefix_by_elements() {
        assert!(path_prefix_matches("/abc", "/abc"));
        assert!(path_prefix_matches("/abc", "/abc/"));
        assert!(path_prefix_matches("/abc/", "/abc/def"));
        assert!(!path_prefix_matches("/abc", "/abcd"));
        assert!(path_prefix_matches("/", "/anything"));
    }

    // Precedence: "Exact path match" over "Prefix path match with largest
    // number of characters" (HTTPRouteRule reference).
    #[test]
    fn exact_over_longest_prefix_over_shorter() {
        let c = setup(vec![route(
            "r",
            json!([]),
            json!([
                prefix("/", "root"),
                prefix("/api", "api"),
                {"matches": [{"path": {"type": "Exact", "value": "/api/login"}}], "backendRefs": [{"name": "login", "port": 80}]},
            ]),
        )]);
        assert_eq!(winner(&c, "a.com", "/api/login", "GET", &[]).as_deref(), Some("r/2"));
        assert_eq!(winner(&c, "a.com", "/api/login/x", "GET", &[]).as_deref(), Some("r/1"));
        assert_eq!(winner(&c, "a.com", "/apix", "GET", &[]).as_deref(), Some("r/0"));
    }

    // Then "Method match", then "Largest number of header matches", then
    // "Largest number of query param matches" (HTTPRouteRule reference).
    #[test]
    fn method_then_headers_then_query() {
        let c = setup(vec![route(
            "r",
            json!([]),
            json!([
                {"matches": [{"path": {"value": "/"}, "headers": [{"name": "x-canary", "value": "1"}, {"name": "x-b", "value": "2"}]}]},
                {"matches": [{"path": {"value": "/"}, "method": "POST"}]},
                {"matches": [{"path": {"value": "/"}, "queryParams": [{"name": "v", "value": "2"}]}]},
                {"matches": [{"path": {"value": "/"}}]},
            ]),
        )]);
        assert_eq!(
            winner(&c, "a.com", "/", "POST", &[("X-Canary", "1"), ("x-b", "2")]).as_deref(),
            Some("r/1")
        );
        assert_eq!(
            winner(&c, "a.com", "/?v=2", "GET", &[("X-Canary", "1"), ("x-b", "2")]).as_deref(),
            Some("r/0")
        );
        assert_eq!(winner(&c, "a.com", "/?v=2", "GET", &[("x-canary", "1")]).as_deref(), Some("r/2"));
        assert_eq!(
            winner(&c, "a.com", "/?V=2", "GET", &[]).as_deref(),
            Some("r/3"),
            "query names are case-sensitive"
        );
    }

    // HTTPRoute.spec.hostnames: precedence to "the HTTPRoute with the
    // largest number of: Characters in a matching non-wildcard hostname.
    // Characters in a matching hostname."
    #[test]
    fn exact_hostname_over_wildcard_over_none() {
        let c = setup(vec![
            route("any", json!([]), json!([prefix("/api", "a")])),
            route("wild", json!(["*.example.com"]), json!([prefix("/", "b")])),
            route("exact", json!(["api.example.com"]), json!([prefix("/", "c")])),
        ]);
        assert_eq!(winner(&c, "api.example.com", "/api", "GET", &[]).as_deref(), Some("exact/0"));
        assert_eq!(winner(&c, "www.example.com", "/api", "GET", &[]).as_deref(), Some("wild/0"));
        assert_eq!(winner(&c, "other.org", "/api", "GET", &[]).as_deref(), Some("any/0"));
        assert_eq!(winner(&c, "other.org", "/", "GET", &[]), None);
    }

    // Ties across routes: "The oldest Route based on creation timestamp",
    // then "alphabetical order by {namespace}/{name}"; within a route "the
    // FIRST matching rule".
    #[test]
    fn ties_go_to_the_oldest_then_by_name_then_first_rule() {
        let mut newer = route("a-newer", json!([]), json!([prefix("/", "x")]));
        newer["metadata"]["creationTimestamp"] = json!("2026-02-01T00:00:00Z");
        let mut older = route("b-older", json!([]), json!([prefix("/", "y")]));
        older["metadata"]["creationTimestamp"] = json!("2025-01-01T00:00:00Z");
        assert_eq!(winner(&setup(vec![newer, older]), "h", "/", "GET", &[]).as_deref(), Some("b-older/0"));
        let c = setup(vec![
            route("b", json!([]), json!([prefix("/", "x")])),
            route("a", json!([]), json!([prefix("/", "y"), prefix("/", "z")])),
        ]);
        assert_eq!(winner(&c, "h", "/", "GET", &[]).as_deref(), Some("a/0"));
    }

    // GRPCRoute: a call is `/package.Service/Method`; the most characters
    // of a matching service, then of a matching method, win.
    #[test]
    fn grpc_service_and_method() {
        let grpc = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
        "metadata": {"name": "g", "namespace": "web"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [
            {"matches": [{"method": {"service": "shop.Cart"}}], "backendRefs": [{"name": "cart", "port": 9000}]},
            {"matches": [{"method": {"service": "shop.Cart", "method": "Checkout"}}], "backendRefs": [{"name": "checkout", "port": 9000}]},
        ]}});
        let c = setup(vec![grpc]);
        assert_eq!(winner(&c, "h", "/shop.Cart/Checkout", "POST", &[]).as_deref(), Some("g/1"));
        assert_eq!(winner(&c, "h", "/shop.Cart/Add", "POST", &[]).as_deref(), Some("g/0"));
        assert_eq!(winner(&c, "h", "/shop.Orders/List", "POST", &[]), None);
    }

    #[test]
    fn regular_expressions_are_reported_not_evaluated() {
        let c = setup(vec![route(
            "r",
            json!([]),
            json!([
                {"matches": [{"path": {"type": "RegularExpression", "value": "/v[0-9]+/.*"}}]},
            ]),
        )]);
        let routes = attached_routes(&c, &c.gateway_api().gateways[0], 0);
        let routing = route_request(&routes, &Request::new("h", "/v1/x", "GET", vec![]));
        assert!(routing.chosen.is_none());
        assert_eq!(routing.unevaluated.len(), 1);
    }
}
