//! `SOURCE` and `DESTINATION` of `trace`, from the text a user writes to
//! typed values.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use super::kubectl::{self, ObjectKind};
use crate::service::PortRef;

/// Who opens the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TraceSource {
    /// `NAMESPACE/NAME`: a pod, or a workload standing for its pods.
    Workload {
        /// The namespace.
        namespace: String,
        /// The pod's or workload's name.
        name: String,
    },
    /// `external` or `external:IP`: a client outside the cluster.
    External {
        /// The client's address, when given.
        address: Option<IpAddr>,
    },
}

/// An HTTP URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `http`, port 80 by default.
    Http,
    /// `https`, port 443 by default.
    Https,
}

/// Where the connection goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TraceDestination {
    /// `http://HOST[:PORT]/PATH` or `https://…`.
    Url {
        /// The scheme.
        scheme: Scheme,
        /// The host: a DNS name (lowercase) or an IP address.
        host: String,
        /// The port, the scheme's default when not written.
        port: u16,
        /// The path, `/` when not written; a query string is kept.
        path: String,
    },
    /// `HOST:PORT`: a DNS name resolved from the source, or an IP address.
    HostPort {
        /// The host: a DNS name (lowercase) or an IP address.
        host: String,
        /// The port.
        port: u16,
    },
    /// `svc/NAMESPACE/NAME:PORT`: a Service by its port (number or name), without DNS.
    Service {
        /// The Service's namespace.
        namespace: String,
        /// The Service's name.
        name: String,
        /// The Service port.
        port: PortRef,
    },
    /// `NAMESPACE/NAME:PORT`: a pod or workload directly, pod to pod.
    Workload {
        /// The namespace.
        namespace: String,
        /// The pod's or workload's name.
        name: String,
        /// The container port, by number or name.
        port: PortRef,
    },
}

/// Why a `SOURCE` or `DESTINATION` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong: lowercase, no final period, the input in backticks.
    pub message: String,
}

impl TraceSource {
    /// Reads `NAMESPACE/NAME`, `external`, `external:IP`, or kubectl's
    /// `TYPE/NAME` in the `default` namespace.
    pub fn parse(text: &str) -> Result<TraceSource, ParseError> {
        TraceSource::parse_in(text, Some(kubectl::DEFAULT_NAMESPACE))
    }

    /// [`TraceSource::parse`], with kubectl's `TYPE/NAME` (`deploy/api`,
    /// `pod/web-0`) in `namespace`, the one of `-n`; `None` when that is not
    /// one namespace, which only kubectl's form needs.
    pub fn parse_in(text: &str, namespace: Option<&str>) -> Result<TraceSource, ParseError> {
        let text = text.trim();
        if let Some(reference) = kubectl::KubectlRef::parse(text) {
            if reference.kind == ObjectKind::Service {
                return error(format!(
                    "`{text}` is not a source: a Service opens no connections; name a workload behind it \
                     (`deploy/NAME`) or a pod (`pod/NAME`)"
                ));
            }
            let namespace = one_namespace(text, namespace)?;
            return Ok(TraceSource::Workload { namespace, name: reference.name });
        }
        if text == "external" {
            return Ok(TraceSource::External { address: None });
        }
        if let Some(address) = text.strip_prefix("external:") {
            let bare = address.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(address);
            return match bare.parse::<IpAddr>() {
                Ok(address) => Ok(TraceSource::External { address: Some(address) }),
                Err(_) => error(format!("`{address}` is not an IP address (in `{text}`)")),
            };
        }
        let (namespace, name) = namespaced(text).ok_or_else(|| {
            message(format!("`{text}` is not a source: write `NAMESPACE/NAME` or `external`"))
        })?;
        Ok(TraceSource::Workload { namespace, name })
    }
}

impl TraceDestination {
    /// Reads a URL, `HOST:PORT`, `svc/NAMESPACE/NAME:PORT` or
    /// `NAMESPACE/NAME:PORT`.
    pub fn parse(text: &str) -> Result<TraceDestination, ParseError> {
        TraceDestination::parse_in(text, Some(kubectl::DEFAULT_NAMESPACE))
    }

    /// [`TraceDestination::parse`], with kubectl's `svc/NAME:PORT`,
    /// `deploy/NAME:PORT` or `pod/NAME:PORT` in `namespace`, the one of
    /// `-n`; `None` when that is not one namespace.
    pub fn parse_in(text: &str, namespace: Option<&str>) -> Result<TraceDestination, ParseError> {
        let text = text.trim();
        if let Some((scheme, rest)) = text.split_once("://") {
            return parse_url(text, scheme, rest);
        }
        if let Some(reference) = kubectl::in_argument(text) {
            let (_, port) = with_port(text, text)?;
            let namespace = one_namespace(text, namespace)?;
            return Ok(match reference.kind {
                ObjectKind::Service => TraceDestination::Service { namespace, name: reference.name, port },
                _ => TraceDestination::Workload { namespace, name: reference.name, port },
            });
        }
        if let Some(rest) = text.strip_prefix("svc/") {
            let (namespaced_name, port) = with_port(text, rest)?;
            let (namespace, name) = namespaced(namespaced_name).ok_or_else(|| {
                message(format!("`{text}` is not a Service: write `svc/NAMESPACE/NAME:PORT`"))
            })?;
            return Ok(TraceDestination::Service { namespace, name, port });
        }
        if let Some((first, _)) = text.split_once('/') {
            if first.contains('.') || first.contains(':') {
                return error(format!("`{text}` looks like a URL without a scheme: write `http://{text}`"));
            }
            let (namespaced_name, port) = with_port(text, text)?;
            let (namespace, name) = namespaced(namespaced_name).ok_or_else(|| {
                message(format!("`{text}` is not a destination: write `NAMESPACE/NAME:PORT`"))
            })?;
            return Ok(TraceDestination::Workload { namespace, name, port });
        }
        if text.matches(':').count() > 1 && !text.starts_with('[') && text.parse::<IpAddr>().is_err() {
            return error(format!("write IPv6 addresses in brackets, as `[::1]:80` (in `{text}`)"));
        }
        let (host, port) = host_and_port(text, text)?;
        let Some(port) = port else {
            let host = bracketed(&host);
            return error(format!("`{text}` needs a port: write `{host}:PORT` or a URL (`http://{host}`)"));
        };
        Ok(TraceDestination::HostPort { host, port })
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port a URL of this scheme uses when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

impl fmt::Display for TraceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceSource::Workload { namespace, name } => write!(f, "{namespace}/{name}"),
            TraceSource::External { address: None } => f.write_str("external"),
            TraceSource::External { address: Some(address) } => write!(f, "external:{address}"),
        }
    }
}

impl fmt::Display for TraceDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceDestination::Url { scheme, host, port, path } => {
                write!(f, "{}://{}", scheme.as_str(), bracketed(host))?;
                if *port != scheme.default_port() {
                    write!(f, ":{port}")?;
                }
                f.write_str(path)
            }
            TraceDestination::HostPort { host, port } => write!(f, "{}:{port}", bracketed(host)),
            TraceDestination::Service { namespace, name, port } => write!(f, "svc/{namespace}/{name}:{port}"),
            TraceDestination::Workload { namespace, name, port } => write!(f, "{namespace}/{name}:{port}"),
        }
    }
}

fn parse_url(text: &str, scheme: &str, rest: &str) -> Result<TraceDestination, ParseError> {
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return error(format!("unsupported scheme `{other}` in `{text}`: use `http` or `https`")),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    // `user:password@host`: the credentials play no part in reachability.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = host_and_port(text, authority)?;
    let path = match path.chars().next() {
        None => "/".to_owned(),
        Some('/') => path.to_owned(),
        Some(_) => format!("/{path}"),
    };
    Ok(TraceDestination::Url { scheme, host, port: port.unwrap_or(scheme.default_port()), path })
}

/// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`.
fn host_and_port(text: &str, authority: &str) -> Result<(String, Option<u16>), ParseError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return error(format!("unclosed `[` in `{text}`"));
        };
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return error(format!("`{address}` is not an IPv6 address (in `{text}`)"));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| message(format!("unexpected `{after}` in `{text}`")))?,
            ),
        };
        (address.to_owned(), port)
    } else {
        match authority.matches(':').count() {
            0 => (authority.to_owned(), None),
            1 => {
                let (host, port) = authority.split_once(':').expect("one colon");
                (host.to_owned(), Some(port))
            }
            _ if authority.parse::<std::net::Ipv6Addr>().is_ok() => (authority.to_owned(), None),
            _ => return error(format!("write IPv6 addresses in brackets, as `[::1]:80` (in `{text}`)")),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return error(format!("`{text}` has no host"));
    }
    if host.parse::<IpAddr>().is_err() && !is_host_name(&host) {
        return error(format!("`{host}` is not a host name or an IP address (in `{text}`)"));
    }
    let port = port.map(|port| port_number(text, port)).transpose()?;
    Ok((host, port))
}

/// Splits `…:PORT` into the part before and the port (number or name).
fn with_port<'a>(text: &str, rest: &'a str) -> Result<(&'a str, PortRef), ParseError> {
    let Some((before, port)) = rest.rsplit_once(':') else {
        return error(format!("`{text}` needs a port: add `:PORT` (a number or a port name)"));
    };
    if port.is_empty() {
        return error(format!("`{text}` has an empty port"));
    }
    let port = PortRef::parse(port);
    if let PortRef::Number(number) = port {
        if !(1..=65535).contains(&number) {
            return error(format!("port {number} is out of range 1–65535 (in `{text}`)"));
        }
    }
    Ok((before, port))
}

fn port_number(text: &str, port: &str) -> Result<u16, ParseError> {
    match port.parse::<u16>() {
        Ok(number) if number != 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(number),
        _ => error(format!("`{port}` is not a port number 1–65535 (in `{text}`)")),
    }
}

/// The namespace of kubectl's form in `text`.
fn one_namespace(text: &str, namespace: Option<&str>) -> Result<String, ParseError> {
    match namespace {
        Some(namespace) => Ok(namespace.to_owned()),
        None => {
            error(format!("`{text}` is in kubectl's form and needs one namespace: give `-n NAMESPACE` once"))
        }
    }
}

/// `NAMESPACE/NAME` with both parts non-empty and no further `/`.
fn namespaced(text: &str) -> Option<(String, String)> {
    let (namespace, name) = text.split_once('/')?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return None;
    }
    Some((namespace.to_owned(), name.to_owned()))
}

/// Letters, digits, `-`, `_` and `*` in dot-separated labels.
fn is_host_name(host: &str) -> bool {
    host.split('.').all(|label| {
        !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*'))
    })
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn message(text: String) -> ParseError {
    ParseError { message: text }
}

fn error<T>(text: String) -> Result<T, ParseError> {
    Err(message(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> String {
        match TraceSource::parse(text) {
            Ok(source) => format!("{source:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    fn destination(text: &str) -> String {
        match TraceDestination::parse(text) {
            Ok(destination) => format!("{destination:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn sources() {
        assert_eq!(
            source("production/frontend"),
            r#"Workload { namespace: "production", name: "frontend" }"#
        );
        assert_eq!(source("external"), "External { address: None }");
        assert_eq!(source("external:203.0.113.7"), "External { address: Some(203.0.113.7) }");
        assert_eq!(source("external:[2001:db8::1]"), "External { address: Some(2001:db8::1) }");
        assert_eq!(source("external:nope"), "error: `nope` is not an IP address (in `external:nope`)");
        assert_eq!(
            source("frontend"),
            "error: `frontend` is not a source: write `NAMESPACE/NAME` or `external`"
        );
        assert_eq!(source("a/b/c"), "error: `a/b/c` is not a source: write `NAMESPACE/NAME` or `external`");
        assert_eq!(source("/b"), "error: `/b` is not a source: write `NAMESPACE/NAME` or `external`");
    }

    // URLs: the scheme's default port, a path of `/` when absent
    // (RFC 3986 §3.2.3 and §6.2.3), credentials ignored.
    #[test]
    fn urls() {
        assert_eq!(
            destination("http://api-service.production/healthz"),
            r#"Url { scheme: Http, host: "api-service.production", port: 80, path: "/healthz" }"#
        );
        assert_eq!(
            destination("HTTPS://API.yourapp.com"),
            r#"Url { scheme: Https, host: "api.yourapp.com", port: 443, path: "/" }"#
        );
        assert_eq!(
            destination("http://user:pw@10.0.0.1:8080?x=1"),
            r#"Url { scheme: Http, host: "10.0.0.1", port: 8080, path: "/?x=1" }"#
        );
        assert_eq!(
            destination("http://[fd00::1]:81/a"),
            r#"Url { scheme: Http, host: "fd00::1", port: 81, path: "/a" }"#
        );
        assert_eq!(
            destination("ftp://x/"),
            "error: unsupported scheme `ftp` in `ftp://x/`: use `http` or `https`"
        );
        assert_eq!(destination("http://x:0/"), "error: `0` is not a port number 1–65535 (in `http://x:0/`)");
        assert_eq!(destination("http:///a"), "error: `http:///a` has no host");
        assert_eq!(
            destination("http://a b/"),
            "error: `a b` is not a host name or an IP address (in `http://a b/`)"
        );
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(destination("api-service:80"), r#"HostPort { host: "api-service", port: 80 }"#);
        assert_eq!(destination("10.96.0.10:53"), r#"HostPort { host: "10.96.0.10", port: 53 }"#);
        assert_eq!(destination("[::1]:8080"), r#"HostPort { host: "::1", port: 8080 }"#);
        assert_eq!(
            destination("api-service"),
            "error: `api-service` needs a port: write `api-service:PORT` or a URL (`http://api-service`)"
        );
        assert_eq!(
            destination("fd00::1:80"),
            "error: `fd00::1:80` needs a port: write `[fd00::1:80]:PORT` or a URL (`http://[fd00::1:80]`)"
        );
        assert_eq!(
            destination("a:b:80"),
            "error: write IPv6 addresses in brackets, as `[::1]:80` (in `a:b:80`)"
        );
        assert_eq!(destination("x:http"), "error: `http` is not a port number 1–65535 (in `x:http`)");
        assert_eq!(
            destination("api.prod/healthz"),
            "error: `api.prod/healthz` looks like a URL without a scheme: write `http://api.prod/healthz`"
        );
    }

    // A Service port is asked for by number or by name:
    // https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports
    #[test]
    fn services_and_workloads() {
        assert_eq!(
            destination("svc/monitoring/metrics:9090"),
            r#"Service { namespace: "monitoring", name: "metrics", port: Number(9090) }"#
        );
        assert_eq!(
            destination("svc/production/api-service:http"),
            r#"Service { namespace: "production", name: "api-service", port: Name("http") }"#
        );
        assert_eq!(
            destination("production/api:8080"),
            r#"Workload { namespace: "production", name: "api", port: Number(8080) }"#
        );
        assert_eq!(
            destination("svc/production/api"),
            "error: `svc/production/api` needs a port: add `:PORT` (a number or a port name)"
        );
        assert_eq!(
            destination("svc/a/b/c:80"),
            "error: `svc/a/b/c:80` is not a Service: write `svc/NAMESPACE/NAME:PORT`"
        );
        assert_eq!(destination("production/api:"), "error: `production/api:` has an empty port");
        assert_eq!(
            destination("production/api:70000"),
            "error: port 70000 is out of range 1–65535 (in `production/api:70000`)"
        );
    }

    // kubectl's `TYPE/NAME` in the namespace of `-n`, `default` without it
    // (https://kubernetes.io/docs/reference/kubectl/#resource-types,
    // https://kubernetes.io/docs/reference/kubectl/generated/kubectl_exec/:
    // `kubectl exec -n NS deploy/NAME`), resolve to the same values as
    // the `NAMESPACE/NAME` forms.
    #[test]
    fn kubectl_forms() {
        let production = Some("production");
        let source_in = |text: &str, namespace| TraceSource::parse_in(text, namespace).map_err(|e| e.message);
        let destination_in =
            |text: &str, namespace| TraceDestination::parse_in(text, namespace).map_err(|e| e.message);
        assert_eq!(source_in("deploy/api", production), Ok(TraceSource::parse("production/api").unwrap()));
        assert_eq!(source_in("pod/web-0", production), Ok(TraceSource::parse("production/web-0").unwrap()));
        assert_eq!(source_in("deployments.apps/api", production), source_in("production/api", production));
        assert_eq!(source("deploy/api"), r#"Workload { namespace: "default", name: "api" }"#);
        assert_eq!(
            destination_in("svc/api-service:80", production),
            Ok(TraceDestination::parse("svc/production/api-service:80").unwrap())
        );
        assert_eq!(
            destination_in("service/api-service:http", production),
            Ok(TraceDestination::parse("svc/production/api-service:http").unwrap())
        );
        assert_eq!(
            destination_in("deploy/api:8080", production),
            Ok(TraceDestination::parse("production/api:8080").unwrap())
        );
        assert_eq!(destination_in("po/x:http", production), destination_in("production/x:http", production));
        // The other forms do not depend on `-n`.
        assert_eq!(
            destination_in("svc/monitoring/metrics:9090", production),
            destination_in("svc/monitoring/metrics:9090", None)
        );
        assert_eq!(
            source_in("monitoring/prometheus", None),
            Ok(TraceSource::parse("monitoring/prometheus").unwrap())
        );
        assert_eq!(
            source_in("deploy/api", None),
            Err("`deploy/api` is in kubectl's form and needs one namespace: give `-n NAMESPACE` once"
                .to_owned())
        );
        assert_eq!(
            source("svc/api"),
            "error: `svc/api` is not a source: a Service opens no connections; name a workload behind it \
             (`deploy/NAME`) or a pod (`pod/NAME`)"
        );
        assert_eq!(
            destination("svc/api"),
            "error: `svc/api` needs a port: add `:PORT` (a number or a port name)"
        );
        assert_eq!(destination("deploy/api:0"), "error: port 0 is out of range 1–65535 (in `deploy/api:0`)");
    }

    #[test]
    fn displays_canonically() {
        for text in [
            "http://api-service.production/healthz",
            "https://api.yourapp.com:8443/v1",
            "http://[fd00::1]/",
            "api:80",
            "[::1]:53",
            "svc/a/b:http",
            "a/b:8080",
        ] {
            assert_eq!(TraceDestination::parse(text).unwrap().to_string(), text);
        }
        for text in ["a/b", "external", "external:10.0.0.1"] {
            assert_eq!(TraceSource::parse(text).unwrap().to_string(), text);
        }
    }
}
