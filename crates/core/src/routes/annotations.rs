//! ingress-nginx annotations and what becomes of them in Gateway API, so
//! that a migration never drops one silently. From the ingress-nginx
//! annotation reference
//! (<https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/>)
//! and the Gateway API reference
//! (<https://gateway-api.sigs.k8s.io/reference/spec/>): an annotation is
//!
//! - `compared` when kubereach models its effect on where requests go
//!   (`ssl-redirect`, `force-ssl-redirect`, `use-regex`), so `routes
//!   --diff` shows any change request by request;
//! - `equivalent` when Gateway API has a field or filter for it, which
//!   kubereach does not compare (a rewrite, a canary split, timeouts);
//! - `no-equivalent` otherwise (authentication, rate limits, source
//!   allowlists, body sizes, snippets…): Gateway API's standard channel
//!   has nothing for it, so after a migration only an implementation's own
//!   policy objects can keep it.

use serde::Serialize;

use crate::model::Cluster;

/// The prefix of ingress-nginx's annotations.
pub const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// An annotation of an Ingress that changes what its controller does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AnnotationNote {
    /// `namespace/name` of the Ingress.
    pub ingress: String,
    /// The annotation.
    pub annotation: String,
    /// Its value.
    pub value: String,
    /// What Gateway API has for it.
    pub effect: AnnotationEffect,
    /// The file of the Ingress.
    pub file: Option<String>,
    /// The line of the annotation.
    pub line: u32,
}

/// What Gateway API has for an annotation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum AnnotationEffect {
    /// kubereach models its effect; `routes --diff` compares it request by request.
    Compared,
    /// Gateway API has an equivalent, which kubereach does not compare.
    Equivalent {
        /// The Gateway API field or filter.
        gateway_api: &'static str,
    },
    /// Gateway API's standard channel has no equivalent.
    NoEquivalent,
}

/// The annotations whose effect kubereach models.
const COMPARED: &[&str] = &["ssl-redirect", "force-ssl-redirect", "use-regex"];

/// Annotations with a Gateway API equivalent (name after the prefix, the equivalent).
const EQUIVALENT: &[(&str, &str)] = &[
    ("rewrite-target", "the `URLRewrite` filter (`ReplacePrefixMatch`; regex capture groups have none)"),
    ("permanent-redirect", "the `RequestRedirect` filter (`statusCode: 301`)"),
    ("temporal-redirect", "the `RequestRedirect` filter (`statusCode: 302`)"),
    ("app-root", "a `RequestRedirect` filter on an `Exact` `/` match"),
    ("canary", "weighted `backendRefs`, or header matches"),
    ("canary-weight", "`backendRefs[].weight`"),
    ("canary-weight-total", "`backendRefs[].weight`"),
    ("canary-by-header", "a rule with a `headers` match"),
    ("canary-by-header-value", "a rule with a `headers` match"),
    ("canary-by-cookie", "a rule with a `headers` match on `Cookie` (`RegularExpression`)"),
    ("upstream-vhost", "the `URLRewrite` filter (`hostname`)"),
    ("backend-protocol", "a GRPCRoute (`GRPC`), or a BackendTLSPolicy (`HTTPS`)"),
    ("proxy-read-timeout", "`rules[].timeouts.backendRequest`"),
    ("proxy-send-timeout", "`rules[].timeouts.backendRequest`"),
    ("proxy-connect-timeout", "`rules[].timeouts.backendRequest`"),
    ("mirror-target", "the `RequestMirror` filter"),
    ("ssl-passthrough", "a `TLS` listener with `mode: Passthrough` and a TLSRoute (experimental channel)"),
    ("enable-cors", "the `CORS` filter (experimental channel)"),
    ("affinity", "`sessionPersistence` (experimental channel)"),
    ("session-cookie-name", "`sessionPersistence` (experimental channel)"),
    ("x-forwarded-prefix", "the `RequestHeaderModifier` filter"),
];

/// Annotations that only select the controller: not behaviour.
const IGNORED: &[&str] = &["ingress.class"];

/// What Gateway API has for the ingress-nginx annotation `name` (without
/// the prefix); `None` for annotations that are not behaviour.
pub fn effect(name: &str) -> Option<AnnotationEffect> {
    if IGNORED.contains(&name) {
        return None;
    }
    if COMPARED.contains(&name) {
        return Some(AnnotationEffect::Compared);
    }
    if let Some((_, gateway_api)) = EQUIVALENT.iter().find(|(n, _)| *n == name) {
        return Some(AnnotationEffect::Equivalent { gateway_api });
    }
    if name.starts_with("cors-") {
        return Some(AnnotationEffect::Equivalent {
            gateway_api: "the `CORS` filter (experimental channel)",
        });
    }
    if name.starts_with("session-cookie-") {
        return Some(AnnotationEffect::Equivalent {
            gateway_api: "`sessionPersistence` (experimental channel)",
        });
    }
    Some(AnnotationEffect::NoEquivalent)
}

/// Every ingress-nginx annotation of every Ingress, sorted.
pub fn notes(cluster: &Cluster) -> Vec<AnnotationNote> {
    let mut notes = Vec::new();
    for ingress in cluster.ingresses() {
        let meta = &ingress.value.metadata;
        let id = format!(
            "{}/{}",
            meta.namespace.as_deref().unwrap_or("default"),
            meta.name.as_deref().unwrap_or("")
        );
        for (annotation, value) in meta.annotations.iter().flatten() {
            let Some(name) = annotation.strip_prefix(NGINX_PREFIX) else { continue };
            let Some(effect) = effect(name) else { continue };
            let location = ingress.origin.field_location(&format!("metadata.annotations.{annotation}"));
            notes.push(AnnotationNote {
                ingress: id.clone(),
                annotation: annotation.clone(),
                value: value.clone(),
                effect,
                file: location.file,
                line: location.line,
            });
        }
    }
    notes.sort();
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    // Authentication, rate limits and source allowlists have no standard
    // Gateway API field; redirects and regex paths change where requests go.
    #[test]
    fn classes_of_annotations() {
        assert_eq!(effect("auth-url"), Some(AnnotationEffect::NoEquivalent));
        assert_eq!(effect("limit-rps"), Some(AnnotationEffect::NoEquivalent));
        assert_eq!(effect("whitelist-source-range"), Some(AnnotationEffect::NoEquivalent));
        assert_eq!(effect("ssl-redirect"), Some(AnnotationEffect::Compared));
        assert!(matches!(effect("canary-weight"), Some(AnnotationEffect::Equivalent { .. })));
        assert!(matches!(effect("cors-allow-origin"), Some(AnnotationEffect::Equivalent { .. })));
        assert_eq!(effect("ingress.class"), None);
    }
}
