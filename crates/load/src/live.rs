//! Reads a live cluster through the Kubernetes list API.
//!
//! Every kind the model uses is listed page by page (`limit`/`continue`) and
//! each item goes through [`lower_document`], as if it came from a file named
//! after the list's URL. Secrets are listed as metadata only: their data is
//! never requested.
//!
//! This covers plain HTTP (for example through `kubectl proxy`) with an
//! optional bearer token; TLS and kubeconfig files are not supported yet.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use kubereach_core::origin::Location;
use kubereach_core::{ClusterBuilder, Diagnostic, Origin};

use crate::lower_document;

/// How to reach the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConfig {
    /// The API server's base URL, `http://127.0.0.1:8001` for `kubectl proxy`.
    pub server: String,
    /// A bearer token, sent as `Authorization: Bearer …`.
    pub token: Option<String>,
    /// Namespaces to read; empty for all of them.
    pub namespaces: Vec<String>,
    /// The time allowed for each request.
    pub timeout: Duration,
}

/// Items per page.
const PAGE_SIZE: u32 = 500;

/// The largest response body accepted, per page.
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// Asks for `PartialObjectMetadataList`: names, labels and owners, no data.
const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// One kind to list.
struct ListKind {
    /// `api/v1` or `apis/GROUP/VERSION`.
    prefix: &'static str,
    /// The plural resource name in the URL.
    resource: &'static str,
    kind: &'static str,
    api_version: &'static str,
    scope: Scope,
    /// Request metadata only (Secrets).
    metadata_only: bool,
    /// A custom resource: a 404 means its CRD is not installed.
    optional: bool,
    /// What the analysis loses without this kind.
    weakens: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Cluster,
    Namespaced,
    /// Only this namespace, whatever the filter (CoreDNS and CNI ConfigMaps).
    Only(&'static str),
}

const fn kind(
    prefix: &'static str,
    resource: &'static str,
    kind: &'static str,
    api_version: &'static str,
    scope: Scope,
    weakens: &'static str,
) -> ListKind {
    ListKind { prefix, resource, kind, api_version, scope, metadata_only: false, optional: false, weakens }
}

const KINDS: &[ListKind] = &[
    kind(
        "api/v1",
        "namespaces",
        "Namespace",
        "v1",
        Scope::Cluster,
        "no Namespaces: namespace labels unknown, namespaceSelectors may not match",
    ),
    kind("api/v1", "nodes", "Node", "v1", Scope::Cluster, "no Nodes: node addresses unknown"),
    kind(
        "api/v1",
        "pods",
        "Pod",
        "v1",
        Scope::Namespaced,
        "no Pods: connectivity between workloads cannot be computed",
    ),
    kind(
        "api/v1",
        "services",
        "Service",
        "v1",
        Scope::Namespaced,
        "no Services: service ports and DNS names unknown",
    ),
    kind(
        "api/v1",
        "endpoints",
        "Endpoints",
        "v1",
        Scope::Namespaced,
        "no Endpoints: service backends inferred from selectors",
    ),
    ListKind {
        metadata_only: true,
        ..kind(
            "api/v1",
            "secrets",
            "Secret",
            "v1",
            Scope::Namespaced,
            "no Secrets: checks that look for them are weakened",
        )
    },
    kind(
        "api/v1",
        "configmaps",
        "ConfigMap",
        "v1",
        Scope::Only("kube-system"),
        "no kube-system ConfigMaps: the cluster domain is assumed",
    ),
    kind(
        "apis/apps/v1",
        "deployments",
        "Deployment",
        "apps/v1",
        Scope::Namespaced,
        "no Deployments: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "statefulsets",
        "StatefulSet",
        "apps/v1",
        Scope::Namespaced,
        "no StatefulSets: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "daemonsets",
        "DaemonSet",
        "apps/v1",
        Scope::Namespaced,
        "no DaemonSets: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "replicasets",
        "ReplicaSet",
        "apps/v1",
        Scope::Namespaced,
        "no ReplicaSets: pods are not traced to their Deployments",
    ),
    kind(
        "apis/batch/v1",
        "jobs",
        "Job",
        "batch/v1",
        Scope::Namespaced,
        "no Jobs: pods are not traced to their CronJobs",
    ),
    kind(
        "apis/batch/v1",
        "cronjobs",
        "CronJob",
        "batch/v1",
        Scope::Namespaced,
        "no CronJobs: pods are grouped by Job",
    ),
    kind(
        "apis/discovery.k8s.io/v1",
        "endpointslices",
        "EndpointSlice",
        "discovery.k8s.io/v1",
        Scope::Namespaced,
        "no EndpointSlices: readiness inferred from Pods",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "ingresses",
        "Ingress",
        "networking.k8s.io/v1",
        Scope::Namespaced,
        "no Ingresses: routes from outside the cluster unknown",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "ingressclasses",
        "IngressClass",
        "networking.k8s.io/v1",
        Scope::Cluster,
        "no IngressClasses: ingress controllers not identified",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "networkpolicies",
        "NetworkPolicy",
        "networking.k8s.io/v1",
        Scope::Namespaced,
        "no NetworkPolicies: connections they deny would be reported as allowed",
    ),
    ListKind {
        optional: true,
        ..kind(
            "apis/policy.networking.k8s.io/v1alpha1",
            "adminnetworkpolicies",
            "AdminNetworkPolicy",
            "policy.networking.k8s.io/v1alpha1",
            Scope::Cluster,
            "no AdminNetworkPolicies: cluster-wide rules ignored",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/policy.networking.k8s.io/v1alpha1",
            "baselineadminnetworkpolicies",
            "BaselineAdminNetworkPolicy",
            "policy.networking.k8s.io/v1alpha1",
            Scope::Cluster,
            "no BaselineAdminNetworkPolicies: cluster-wide defaults ignored",
        )
    },
];

/// Why listing stopped.
enum Failure {
    /// The server could not be reached or did not answer in time: listing
    /// the other kinds would fail the same way.
    Unreachable(String),
    /// This kind could not be listed; the others may still be.
    Kind(Diagnostic),
}

/// Lists every kind the model uses from the API server into `builder`.
///
/// Never fails as a whole: an unreachable server is one error diagnostic
/// naming the URL, a kind that may not be listed (HTTP 403) a warning saying
/// what the analysis loses, and a missing custom resource (HTTP 404 for the
/// AdminNetworkPolicy kinds) is skipped silently.
pub fn load_live(config: &LiveConfig, builder: &mut ClusterBuilder) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(config.timeout))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let server = config.server.trim_end_matches('/');
    for list in KINDS {
        let paths: Vec<String> = match list.scope {
            Scope::Only(namespace) => {
                vec![format!("{}/namespaces/{namespace}/{}", list.prefix, list.resource)]
            }
            Scope::Namespaced if !config.namespaces.is_empty() => config
                .namespaces
                .iter()
                .map(|namespace| format!("{}/namespaces/{namespace}/{}", list.prefix, list.resource))
                .collect(),
            _ => vec![format!("{}/{}", list.prefix, list.resource)],
        };
        for path in paths {
            let url = format!("{server}/{path}");
            match list_all(&agent, config, list, &url, builder) {
                Ok(()) => {}
                Err(Failure::Kind(diagnostic)) => {
                    builder.diagnostic(diagnostic);
                }
                Err(Failure::Unreachable(message)) => {
                    builder.diagnostic(Diagnostic::error(at(&url), message));
                    return;
                }
            }
        }
    }
}

fn at(url: &str) -> Location {
    Location { file: Some(url.to_owned()), line: 0 }
}

/// Lists all pages of one kind at `url`.
fn list_all(
    agent: &ureq::Agent,
    config: &LiveConfig,
    list: &ListKind,
    url: &str,
    builder: &mut ClusterBuilder,
) -> Result<(), Failure> {
    let origin = Origin { file: Some(Arc::from(url)), ..Origin::default() };
    let mut token: Option<String> = None;
    loop {
        let mut page_url = format!("{url}?limit={PAGE_SIZE}");
        if let Some(token) = &token {
            page_url.push_str("&continue=");
            page_url.push_str(&percent_encode(token));
        }
        let Some(page) = get(agent, config, list, url, &page_url)? else {
            return Ok(());
        };
        let Value::Object(mut page) = page else {
            return Err(Failure::Kind(Diagnostic::error(
                at(url),
                "expected a list object from the API server",
            )));
        };
        let items = match page.remove("items") {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                return Err(Failure::Kind(Diagnostic::error(at(url), "`items` of the list is not an array")));
            }
        };
        for mut item in items {
            if let Value::Object(map) = &mut item {
                // Lists omit each item's kind; metadata-only lists call them
                // `PartialObjectMetadata`.
                map.insert("kind".into(), Value::String(list.kind.into()));
                map.insert("apiVersion".into(), Value::String(list.api_version.into()));
                if list.metadata_only {
                    map.remove("data");
                    map.remove("stringData");
                }
            }
            lower_document(item, origin.clone(), builder);
        }
        let next = page
            .get("metadata")
            .and_then(|m| m.get("continue"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        match next {
            // A server repeating its token would loop forever.
            Some(next) if token.as_ref() != Some(&next) => token = Some(next),
            _ => return Ok(()),
        }
    }
}

/// One page; `None` when the kind is an absent custom resource.
fn get(
    agent: &ureq::Agent,
    config: &LiveConfig,
    list: &ListKind,
    url: &str,
    page_url: &str,
) -> Result<Option<Value>, Failure> {
    let mut request = agent
        .get(page_url)
        .header("Accept", if list.metadata_only { METADATA_ONLY } else { "application/json" });
    if let Some(token) = &config.token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().map_err(|error| unreachable(url, config.timeout, error))?;
    let status = response.status().as_u16();
    match status {
        200 => {}
        404 if list.optional => return Ok(None),
        401 => {
            return Err(Failure::Unreachable(format!(
                "the API server refused the credentials (HTTP 401){}",
                if config.token.is_some() { "" } else { ": no token was given (`--token-file`)" }
            )));
        }
        403 => {
            return Err(Failure::Kind(Diagnostic::warning(
                at(url),
                format!("forbidden to list `{}` (HTTP 403): {}", list.resource, list.weakens),
            )));
        }
        _ => {
            return Err(Failure::Kind(Diagnostic::warning(
                at(url),
                format!("cannot list `{}` (HTTP {status}): {}", list.resource, list.weakens),
            )));
        }
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|error| unreachable(url, config.timeout, error))?;
    serde_json::from_slice(&body).map(Some).map_err(|error| {
        Failure::Kind(Diagnostic::error(
            at(url),
            format!("the API server's answer is not valid JSON: {error}"),
        ))
    })
}

fn unreachable(url: &str, timeout: Duration, error: ureq::Error) -> Failure {
    let reason = match error {
        ureq::Error::Timeout(_) => {
            format!("no answer within {}s (`--request-timeout`)", timeout.as_secs_f64())
        }
        ureq::Error::Io(error) => error.to_string(),
        error => error.to_string(),
    };
    Failure::Unreachable(format!("cannot reach the API server at {url}: {reason}"))
}

/// Percent-encodes a `continue` token for a query string.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_percent_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo+/=="), "eyJ2Ijo%2B%2F%3D%3D");
    }

    #[test]
    fn every_kind_is_one_the_loader_knows() {
        for list in KINDS {
            assert!(
                crate::kinds::target_kind_known(list.kind, list.api_version),
                "{} {}",
                list.kind,
                list.api_version
            );
        }
    }
}
