//! The TLS part of the `ingress-rule` layer: HTTPS needs a certificate for
//! the host, and plain HTTP to a host with TLS may be redirected, each as
//! the controller does it ([`crate::ingress::behaviour`]).

use k8s_openapi::api::networking::v1::Ingress;

use super::text::{at, code};
use super::Scheme;
use crate::ingress::behaviour::{
    behaviour, plain_http, ssl_redirect_annotation, HttpsWithoutCertificate, PlainHttp,
};
use crate::ingress::{self, check_tls, ControllerKind, IngressRef, TlsStatus};
use crate::model::{Cluster, Object};

/// What TLS does to a request, for the `ingress-rule` step.
pub(super) enum TlsOutcome {
    /// Through; `warn` when a caveat needs reading.
    Through {
        /// The facts to add.
        evidence: Vec<String>,
        /// Whether the step becomes a warning.
        warn: bool,
    },
    /// The request fails here.
    Blocked {
        /// Why, as the step's summary.
        why: String,
        /// The fix.
        fix: String,
    },
}

/// How `scheme` to `host` of `ingress` fares with TLS on `controller`.
pub(super) fn tls_outcome(
    cluster: &Cluster,
    ingress: &Object<Ingress>,
    controller: Option<ControllerKind>,
    host: &str,
    path: &str,
    scheme: Scheme,
) -> TlsOutcome {
    let tls = check_tls(cluster, ingress, host);
    let reference = IngressRef::of(&ingress.value);
    let id = code(reference.id());
    let secret = tls.secret.as_deref().map(code).unwrap_or_default();
    let tls_at = at(&tls.location);
    if scheme == Scheme::Http {
        return plain_http_outcome(cluster, ingress, controller, host, path);
    }
    match (&tls.status, &tls.cert_manager) {
        (TlsStatus::Ok, _) => {
            TlsOutcome::Through { evidence: vec![format!("TLS: Secret {secret}{tls_at}")], warn: false }
        }
        (TlsStatus::SecretNotFound, Some(issuer)) => {
            let issuer = match issuer {
                ingress::CertIssuer::ClusterIssuer { name } => format!("ClusterIssuer {}", code(name)),
                ingress::CertIssuer::Issuer { name } => format!("Issuer {}", code(name)),
                ingress::CertIssuer::DefaultIssuer => "its default issuer".to_owned(),
            };
            TlsOutcome::Through {
                evidence: vec![format!(
                    "TLS: Secret {secret}{tls_at} is not in the input: cert-manager creates it from {issuer}"
                )],
                warn: true,
            }
        }
        (problem, _) => {
            let why = match problem {
                TlsStatus::NotConfigured => format!("no `spec.tls` entry of {id} covers {}", code(host)),
                TlsStatus::NoSecretName => format!("the `spec.tls` entry{tls_at} has no `secretName`"),
                TlsStatus::WrongType { type_ } => {
                    format!("the Secret {secret}{tls_at} has type {}, not `kubernetes.io/tls`", code(type_))
                }
                _ => format!("the Secret {secret}{tls_at} is not in {}", code(&reference.namespace)),
            };
            match behaviour(controller).https_without_certificate {
                HttpsWithoutCertificate::DefaultCertificate => TlsOutcome::Through {
                    evidence: vec![format!(
                        "{why}: the controller serves HTTPS with its default self-signed certificate, so clients that verify certificates fail (`curl -k` gets through)"
                    )],
                    warn: true,
                },
                HttpsWithoutCertificate::Unknown => TlsOutcome::Blocked {
                    why: format!(
                        "{why}: HTTPS gets the controller's default certificate (or no handshake, depending on the controller), which clients reject"
                    ),
                    fix: format!(
                        "give {id} a `spec.tls` entry for {} with a `kubernetes.io/tls` Secret (or a cert-manager issuer annotation)",
                        code(host)
                    ),
                },
            }
        }
    }
}

/// How plain HTTP to `host` of `ingress` fares: served, or redirected to
/// HTTPS (whose certificate then applies), as `controller` does it.
fn plain_http_outcome(
    cluster: &Cluster,
    ingress: &Object<Ingress>,
    controller: Option<ControllerKind>,
    host: &str,
    path: &str,
) -> TlsOutcome {
    let tls = check_tls(cluster, ingress, host);
    let tls_at = at(&tls.location);
    let covered = tls.status != TlsStatus::NotConfigured;
    let evidence = match plain_http(controller, &ingress.value, covered) {
        PlainHttp::Served => return TlsOutcome::Through { evidence: Vec::new(), warn: false },
        PlainHttp::Redirect { code: status } => {
            let why = match (covered, ssl_redirect_annotation(controller)) {
                (true, Some(annotation)) => format!(
                    "a `spec.tls` entry{tls_at} covers the host, and the controller redirects such hosts by default (the annotation {} set to `\"false\"` turns it off)",
                    code(annotation)
                ),
                (true, None) => format!("a `spec.tls` entry{tls_at} covers the host"),
                (false, _) => "the Ingress forces the redirect".to_owned(),
            };
            let redirect = format!(
                "HTTP gets a {status} redirect to {}: {why}; the request reaches the backend only over HTTPS",
                code(format!("https://{host}{path}"))
            );
            // The client follows the redirect: the HTTPS leg's certificate applies.
            return match tls_outcome(cluster, ingress, controller, host, path, Scheme::Https) {
                TlsOutcome::Through { evidence, .. } => {
                    TlsOutcome::Through { evidence: [vec![redirect], evidence].concat(), warn: true }
                }
                TlsOutcome::Blocked { why, fix } => {
                    TlsOutcome::Blocked { why: format!("HTTP is redirected to HTTPS, and {why}"), fix }
                }
            };
        }
        PlainHttp::Unknown => format!(
            "a `spec.tls` entry{tls_at} covers the host: whether plain HTTP is redirected to HTTPS depends on the controller"
        ),
    };
    TlsOutcome::Through { evidence: vec![evidence], warn: true }
}
