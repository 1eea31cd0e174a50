//! How an Ingress rule's host and path match a request
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards>,
//! <https://kubernetes.io/docs/concepts/services-networking/ingress/#examples>):
//! a wildcard host matches exactly one more DNS label; `Prefix` matches
//! whole `/`-separated elements; `Exact` is case-sensitive equality.

use serde::Serialize;

use super::ControllerKind;

/// An Ingress path's `pathType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PathType {
    /// `Exact`.
    Exact,
    /// `Prefix`.
    Prefix,
    /// `ImplementationSpecific` (also what an empty or unknown type is treated as).
    ImplementationSpecific,
}

/// How a rule path is matched against a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathMatch {
    /// String equality.
    Exact,
    /// Element-wise prefix on `/`-separated elements, trailing slash ignored.
    Prefix,
    /// Plain string prefix (ingress-nginx's `ImplementationSpecific`).
    StringPrefix,
}

/// How a rule's host matched the request's host. Ordered from least to most specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostMatch {
    /// The rule has no host: it matches every host.
    Any,
    /// A wildcard host (`*.foo.com`) matched.
    Wildcard,
    /// The host matched exactly.
    Exact,
}

impl PathType {
    /// Reads a `pathType`; empty or unknown values are `ImplementationSpecific`.
    pub fn parse(text: &str) -> PathType {
        match text {
            "Exact" => PathType::Exact,
            "Prefix" => PathType::Prefix,
            _ => PathType::ImplementationSpecific,
        }
    }
}

impl PathMatch {
    /// How `path_type` is matched under `controller` (`None`: unknown, read as `Prefix`).
    pub fn of(path_type: PathType, controller: Option<ControllerKind>) -> PathMatch {
        match path_type {
            PathType::Exact => PathMatch::Exact,
            PathType::Prefix => PathMatch::Prefix,
            PathType::ImplementationSpecific => {
                controller.map_or(PathMatch::Prefix, ControllerKind::implementation_specific)
            }
        }
    }
}

/// How `rule_host` (`None` or empty: no host) matches `request_host`.
/// The request host is compared without port and trailing dot, ignoring case.
pub fn host_matches(rule_host: Option<&str>, request_host: &str) -> Option<HostMatch> {
    let request = normalize_host(request_host);
    let Some(rule) = rule_host.filter(|h| !h.is_empty()) else { return Some(HostMatch::Any) };
    let rule = rule.to_ascii_lowercase();
    if let Some(suffix) = rule.strip_prefix("*.") {
        let (label, rest) = request.split_once('.')?;
        return (!label.is_empty() && rest == suffix).then_some(HostMatch::Wildcard);
    }
    (rule == request).then_some(HostMatch::Exact)
}

/// Whether `rule_path` matches `request_path` under `how`.
pub fn path_matches(how: PathMatch, rule_path: &str, request_path: &str) -> bool {
    let request_path = if request_path.is_empty() { "/" } else { request_path };
    match how {
        PathMatch::Exact => rule_path == request_path,
        PathMatch::StringPrefix => request_path.starts_with(rule_path),
        PathMatch::Prefix => {
            let rule: Vec<&str> = path_elements(rule_path).collect();
            let request: Vec<&str> = path_elements(request_path).collect();
            request.starts_with(&rule)
        }
    }
}

fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn path_elements(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|element| !element.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    // https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards
    #[test]
    fn hostname_wildcards() {
        let check = |rule: Option<&str>, request: &str, expect: Option<HostMatch>| {
            assert_eq!(host_matches(rule, request), expect, "{rule:?} vs {request}");
        };
        check(Some("*.foo.com"), "bar.foo.com", Some(HostMatch::Wildcard));
        check(Some("*.foo.com"), "baz.bar.foo.com", None);
        check(Some("*.foo.com"), "foo.com", None);
        check(Some("*.foo.com"), ".foo.com", None);
        check(Some("foo.bar.com"), "foo.bar.com", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "FOO.bar.com:8443", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "foo.bar.com.", Some(HostMatch::Exact));
        check(Some("foo.bar.com"), "bar.com", None);
        check(None, "anything.example", Some(HostMatch::Any));
        check(Some(""), "anything.example", Some(HostMatch::Any));
    }

    // The same rows against path_matches directly, plus case sensitivity
    // ("Matches the URL path exactly and with case sensitivity").
    #[test]
    fn path_matches_directly() {
        assert!(path_matches(PathMatch::Prefix, "/", "/anything/at/all"));
        assert!(path_matches(PathMatch::Prefix, "/api", "/api/"));
        assert!(path_matches(PathMatch::Prefix, "/api", "/api/v1"));
        assert!(!path_matches(PathMatch::Prefix, "/api", "/apiv1"));
        assert!(!path_matches(PathMatch::Prefix, "/api", "/API"));
        assert!(!path_matches(PathMatch::Exact, "/Foo", "/foo"));
        assert!(path_matches(PathMatch::Exact, "/", ""));
        // ingress-nginx ImplementationSpecific: a string prefix.
        assert!(path_matches(PathMatch::StringPrefix, "/api", "/apiv1"));
        assert!(!path_matches(PathMatch::StringPrefix, "/api/", "/api"));
    }
}
