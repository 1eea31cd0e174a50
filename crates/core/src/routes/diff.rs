//! `routes --diff OLD NEW`: for every request a client can make to a host
//! either routing table serves — each host (a name under a wildcard, and
//! a host no rule names), each path a rule names with what sits just
//! beyond it (`/api`, `/api/sub`, `/apix`), over HTTP and HTTPS — whether
//! it reaches the same place before and after ([`super::outcome::resolve`]
//! on each side), with the causes of each difference; and the
//! ingress-nginx annotations of OLD that no Ingress of NEW keeps and
//! Gateway API has no equivalent for.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::annotations::{AnnotationEffect, AnnotationNote};
use super::outcome::{resolve, Outcome, Probe, Resolution, ResolutionNote};
use super::{RouteRow, RoutesReport};
use crate::policy::PolicyEngine;

/// The JSON schema id of `routes --diff --format json`.
pub const SCHEMA: &str = "kubereach.routes-diff/v1";

/// How two routing tables differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutesDiff {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// How many requests were compared.
    pub requests: usize,
    /// Requests that go elsewhere, sorted.
    pub differences: Vec<Difference>,
    /// Requests whose outcome kubereach cannot tell on one side (a regex
    /// rule it does not evaluate, an object it does not model), sorted.
    pub unverified: Vec<Difference>,
    /// ingress-nginx annotations of OLD that NEW drops, with no Gateway API
    /// equivalent: behaviour lost (a difference).
    pub dropped_annotations: Vec<AnnotationNote>,
    /// ingress-nginx annotations of OLD that NEW drops, with a Gateway API
    /// equivalent that kubereach does not compare: check them by hand.
    pub unchecked_annotations: Vec<AnnotationNote>,
}

impl RoutesDiff {
    /// Whether nothing changes that kubereach can see.
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty() && self.dropped_annotations.is_empty()
    }
}

/// One request, before and after.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    /// The request.
    pub request: Probe,
    /// Where it went in OLD.
    pub old: Resolution,
    /// Where it goes in NEW.
    pub new: Resolution,
    /// Why, sorted.
    pub causes: Vec<Cause>,
}

/// Why a request goes elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// OLD redirected plain HTTP to HTTPS (the controller's `ssl-redirect`);
    /// NEW serves it.
    HttpsRedirectDropped,
    /// NEW redirects where OLD served.
    RedirectAdded,
    /// Both redirect, to another place or with another status.
    RedirectChanged,
    /// OLD matched an `ImplementationSpecific` path as a string prefix
    /// (ingress-nginx); `PathPrefix` matches whole path elements.
    StringPrefixPath,
    /// OLD matched a regex path of ingress-nginx.
    RegexPath,
    /// OLD answered with a `defaultBackend`; NEW does not.
    DefaultBackendDropped,
    /// NEW answers with a `defaultBackend`; OLD did not.
    DefaultBackendAdded,
    /// No listener of NEW takes the host on that port.
    ListenerMissing,
    /// NEW takes a host on a port where OLD had no listener.
    ListenerAdded,
    /// NEW's Gateway or ingress controller has proxy pods, none of them
    /// ready: nothing answers.
    NoReadyProxies,
    /// OLD's had proxy pods, none of them ready; NEW's answer.
    ProxiesReady,
    /// NEW answers 404 where OLD reached a backend.
    NoLongerRouted,
    /// NEW reaches a backend where OLD answered 404.
    NewlyRouted,
    /// Both reach backends, not the same Service ports.
    BackendChanged,
    /// A rule takes it, and it has no valid backend on one side.
    BackendInvalid,
    /// The same backends, and their policies now refuse the proxies
    /// (policies that admit the old controller's namespace, not the Gateway's proxies).
    PolicyRefuses,
    /// The same backends, and their policies now admit the proxies.
    PolicyAdmits,
    /// A wildcard host: an Ingress's `*.example.com` matches exactly one
    /// label, a Gateway API hostname `*.example.com` one or more.
    WildcardDepth,
}

/// Compares the routing of `old` and `new` (whose tables are `old_table` and `new_table`).
pub fn diff(
    old: &PolicyEngine<'_>,
    old_table: &RoutesReport,
    new: &PolicyEngine<'_>,
    new_table: &RoutesReport,
) -> RoutesDiff {
    let probes = probes(&old_table.routes, &new_table.routes);
    let mut differences = Vec::new();
    let mut unverified = Vec::new();
    for probe in &probes {
        let before = resolve(old, probe);
        let after = resolve(new, probe);
        if before.outcome == after.outcome {
            continue;
        }
        let mut causes = causes(&before, &after);
        if probe.host.starts_with(&format!("{TWO_LABELS}.")) {
            causes.push(Cause::WildcardDepth);
            causes.sort();
        }
        let unknown = before.outcome == Outcome::Unknown || after.outcome == Outcome::Unknown;
        let difference = Difference { request: probe.clone(), old: before, new: after, causes };
        if unknown {
            unverified.push(difference);
        } else {
            differences.push(difference);
        }
    }
    let (dropped_annotations, unchecked_annotations) =
        dropped(&old_table.annotations, &new_table.annotations);
    RoutesDiff {
        schema: SCHEMA,
        requests: probes.len(),
        differences,
        unverified,
        dropped_annotations,
        unchecked_annotations,
    }
}

/// The annotations of `old` that `new` does not keep on the same Ingress:
/// those without a Gateway API equivalent, and those with one kubereach
/// does not compare.
fn dropped(old: &[AnnotationNote], new: &[AnnotationNote]) -> (Vec<AnnotationNote>, Vec<AnnotationNote>) {
    let kept: BTreeSet<(&str, &str, &str)> =
        new.iter().map(|n| (n.ingress.as_str(), n.annotation.as_str(), n.value.as_str())).collect();
    let gone =
        old.iter().filter(|n| !kept.contains(&(n.ingress.as_str(), n.annotation.as_str(), n.value.as_str())));
    let mut lost = Vec::new();
    let mut unchecked = Vec::new();
    for note in gone {
        match note.effect {
            AnnotationEffect::NoEquivalent => lost.push(note.clone()),
            AnnotationEffect::Equivalent { .. } => unchecked.push(note.clone()),
            AnnotationEffect::Compared => {}
        }
    }
    (lost, unchecked)
}

/// The host that stands for the hosts no rule names (`.invalid` is reserved, RFC 2606).
pub const UNNAMED_HOST: &str = "unnamed.invalid";
/// The path that stands for paths no rule names.
pub const UNROUTED_PATH: &str = "/unrouted";

/// The requests to compare: per host of either table, the paths of the
/// rows that serve it, over HTTP and HTTPS, sorted.
pub fn probes(old: &[RouteRow], new: &[RouteRow]) -> Vec<Probe> {
    let rows: Vec<&RouteRow> = old.iter().chain(new).collect();
    let mut hosts: BTreeSet<String> = rows.iter().flat_map(|r| sample_hosts(&r.host)).collect();
    hosts.insert(UNNAMED_HOST.to_owned());
    let mut paths_by_host: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for host in &hosts {
        let paths = paths_by_host.entry(host).or_default();
        paths.insert("/".to_owned());
        paths.insert(UNROUTED_PATH.to_owned());
        for row in rows.iter().filter(|r| serves(&r.host, host)) {
            paths.extend(sample_paths(&row.path.match_type, &row.path.value));
        }
    }
    let mut probes = Vec::new();
    for (host, paths) in paths_by_host {
        for path in paths {
            for scheme in ["http", "https"] {
                probes.push(Probe { scheme: scheme.to_owned(), host: host.to_owned(), path: path.clone() });
            }
        }
    }
    probes.sort();
    probes
}

/// The label that stands for any label under a wildcard.
const ANY_LABEL: &str = "any";
/// The labels that stand for two labels under a wildcard.
const TWO_LABELS: &str = "any.sub";

/// The hosts a row's host stands for: itself; under a wildcard, a name one
/// label deeper and one two labels deeper (an Ingress wildcard matches
/// exactly one label, a Gateway API wildcard one or more).
fn sample_hosts(host: &str) -> Vec<String> {
    match host {
        "*" => Vec::new(),
        _ => match host.strip_prefix("*.") {
            Some(suffix) => vec![format!("{ANY_LABEL}.{suffix}"), format!("{TWO_LABELS}.{suffix}")],
            None => vec![host.to_ascii_lowercase()],
        },
    }
}

/// Whether a row for `pattern` serves `host`.
fn serves(pattern: &str, host: &str) -> bool {
    pattern == "*" || crate::gateway::listener::hostname_matches(Some(pattern), host).is_some()
}

/// Paths that tell how a rule path is matched: the path, one beneath it,
/// and one that extends its last element (`/api` → `/api/sub`, `/apix`).
fn sample_paths(match_type: &str, value: &str) -> Vec<String> {
    let value = match match_type {
        "Default" => return Vec::new(),
        "Method" if value.contains('*') => return Vec::new(),
        _ if is_regex(value) => literal_prefix(value),
        _ => value.to_owned(),
    };
    if value.is_empty() || !value.starts_with('/') {
        return Vec::new();
    }
    let base = value.trim_end_matches('/');
    let mut paths = vec![value.clone(), format!("{base}/sub")];
    if !base.is_empty() {
        paths.push(format!("{base}x"));
    }
    paths
}

/// Whether a path is written as a regular expression.
fn is_regex(path: &str) -> bool {
    path.contains(['^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\'])
}

/// The part of a regex before its first special character.
fn literal_prefix(regex: &str) -> String {
    let end = regex
        .find(['^', '$', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\'])
        .unwrap_or(regex.len());
    regex[..end].to_owned()
}

/// Why `old` and `new` differ.
fn causes(old: &Resolution, new: &Resolution) -> Vec<Cause> {
    let mut causes = BTreeSet::new();
    let has = |r: &Resolution, n: &ResolutionNote| r.notes.contains(n);
    if has(old, &ResolutionNote::StringPrefix) {
        causes.insert(Cause::StringPrefixPath);
    }
    if has(old, &ResolutionNote::RegexPaths) {
        causes.insert(Cause::RegexPath);
    }
    if has(old, &ResolutionNote::DefaultBackend) && !has(new, &ResolutionNote::DefaultBackend) {
        causes.insert(Cause::DefaultBackendDropped);
    }
    if has(new, &ResolutionNote::DefaultBackend) && !has(old, &ResolutionNote::DefaultBackend) {
        causes.insert(Cause::DefaultBackendAdded);
    }
    use Outcome::*;
    let cause = match (&old.outcome, &new.outcome) {
        (_, NoReadyProxies) => Some(Cause::NoReadyProxies),
        (NoReadyProxies, _) => Some(Cause::ProxiesReady),
        (Redirect { .. }, Redirect { .. }) => Some(Cause::RedirectChanged),
        (Redirect { .. }, _) if has(old, &ResolutionNote::HttpsRedirect) => Some(Cause::HttpsRedirectDropped),
        (_, Redirect { .. }) => Some(Cause::RedirectAdded),
        (_, NoListener) => Some(Cause::ListenerMissing),
        (NoListener, _) => Some(Cause::ListenerAdded),
        (Forward { backends: a, refused_by_policy: r }, Forward { backends: b, refused_by_policy: s })
            if a == b =>
        {
            Some(if s.len() > r.len() { Cause::PolicyRefuses } else { Cause::PolicyAdmits })
        }
        (Forward { .. }, Forward { .. }) => Some(Cause::BackendChanged),
        (Forward { .. }, NotFound) => Some(Cause::NoLongerRouted),
        (NotFound, Forward { .. }) => Some(Cause::NewlyRouted),
        (NoBackend, _) | (_, NoBackend) => Some(Cause::BackendInvalid),
        _ => None,
    };
    causes.extend(cause);
    causes.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A prefix, one path beneath it, and one extending its last element:
    // `/api` takes `/apix` as a string prefix, not as a `PathPrefix`.
    #[test]
    fn paths_around_a_prefix() {
        assert_eq!(sample_paths("Prefix", "/api"), ["/api", "/api/sub", "/apix"]);
        assert_eq!(sample_paths("PathPrefix", "/"), ["/", "/sub"]);
        assert_eq!(sample_paths("ImplementationSpecific", "/v[0-9]+/users"), ["/v", "/v/sub", "/vx"]);
        assert!(sample_paths("Default", "/").is_empty());
        assert_eq!(sample_hosts("*.example.com"), ["any.example.com", "any.sub.example.com"]);
    }
}
