//! The rule about Ingress TLS: a certificate Secret that is missing or of
//! the wrong type.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::Ingress;

use crate::check::similar::similar;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::ingress::{
    check_tls, CertIssuer, IngressRef, TlsCheck, TlsStatus, CLUSTER_ISSUER_ANNOTATION, ISSUER_ANNOTATION,
    TLS_SECRET_TYPE,
};
use crate::model::{Cluster, Object};
use crate::shell::quote;

declare_rule! {
    /// ## What it does
    /// Finds Ingress TLS entries whose Secret is absent from the Ingress's
    /// namespace or is not of type `kubernetes.io/tls`. A Secret that
    /// cert-manager will create is not reported: the Ingress carries
    /// `cert-manager.io/cluster-issuer` (or `cert-manager.io/issuer`, or
    /// `kubernetes.io/tls-acme`), and, when the input holds cert-manager
    /// issuers, one of the named kind exists.
    ///
    /// ## Why does this break traffic?
    /// The controller terminates TLS with the certificate in that Secret.
    /// Without it, ingress-nginx (and most controllers) serve their default
    /// self-signed certificate for the host: browsers and clients that
    /// verify certificates refuse the connection.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: www-example-com-tls
    ///   namespace: shop
    /// type: kubernetes.io/tls
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///     - hosts:
    ///         - www.example.com
    ///       secretName: example-com-tls
    ///   rules:
    ///     - host: www.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: www-example-com-tls
    ///   namespace: shop
    /// type: kubernetes.io/tls
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///     - hosts:
    ///         - www.example.com
    ///       secretName: www-example-com-tls
    ///   rules:
    ///     - host: www.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Secrets are often kept out of manifests (sealed or external secrets,
    /// created by hand): a missing Secret is only reported when the input
    /// holds Secrets at all, and not when it holds `Certificate`,
    /// `SealedSecret` or `ExternalSecret` objects, which create Secrets the
    /// model cannot see. cert-manager issuers are custom resources the model
    /// only counts: an issuer of the named kind is taken to be the named one.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#tls>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets>
    /// - <https://cert-manager.io/docs/usage/ingress/>
    pub struct IngressTlsSecretMissing {
        code: "KR205",
        name: "ingress-tls-secret-missing",
        severity: Error,
        summary: "Ingress TLS Secrets that are absent or not of type `kubernetes.io/tls`",
        check: ingress_tls_secret_missing,
    }
}

fn ingress_tls_secret_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let skipped = |kind: &str| cluster.skipped_kinds().get(kind).copied().unwrap_or(0);
    let issuers = Issuers {
        cluster_issuers: skipped("ClusterIssuer"),
        issuers: skipped("Issuer"),
        secrets_known: !cluster.secrets().is_empty()
            && ["Certificate", "SealedSecret", "ExternalSecret"].iter().all(|kind| skipped(kind) == 0),
    };
    for ingress in cluster.ingresses() {
        let reference = IngressRef::of(&ingress.value);
        for (entry, check) in tls_checks(cluster, ingress) {
            let Some((message, fix)) = finding(cluster, &check, &reference.namespace, &issuers) else {
                continue;
            };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("spec.tls[{entry}].secretName"),
                message,
                fix,
            );
        }
    }
}

/// What the input tells about where TLS Secrets come from: the cert-manager
/// issuers it holds (skipped kinds, counted), and whether its Secrets are
/// all there is (none made by Certificates, SealedSecrets or ExternalSecrets).
struct Issuers {
    cluster_issuers: usize,
    issuers: usize,
    secrets_known: bool,
}

/// The TLS check of each `spec.tls` entry of `ingress`, for the first of
/// its hosts (TLS and rule hosts) that the entry covers.
fn tls_checks(cluster: &Cluster, ingress: &Object<Ingress>) -> BTreeMap<usize, TlsCheck> {
    let spec = ingress.value.spec.as_ref();
    let tls_hosts =
        spec.and_then(|s| s.tls.as_ref()).into_iter().flatten().flat_map(|t| t.hosts.iter().flatten());
    let rule_hosts =
        spec.and_then(|s| s.rules.as_ref()).into_iter().flatten().filter_map(|r| r.host.as_ref());
    let hosts: BTreeSet<&String> = tls_hosts.chain(rule_hosts).filter(|h| !h.is_empty()).collect();
    let mut checks = BTreeMap::new();
    for host in hosts {
        let check = check_tls(cluster, ingress, host);
        if let Some(entry) = check.entry {
            checks.entry(entry).or_insert(check);
        }
    }
    checks
}

/// The message and fix for a TLS entry whose Secret is wrong or missing;
/// `None` when it is fine or cert-manager will create it.
fn finding(
    cluster: &Cluster,
    check: &TlsCheck,
    namespace: &str,
    known: &Issuers,
) -> Option<(String, String)> {
    let secret = check.secret.clone().unwrap_or_default();
    let (cluster_issuers, issuers) = (known.cluster_issuers, known.issuers);
    Some(match &check.status {
        TlsStatus::WrongType { type_ } => (
            format!(
                "the TLS Secret `{secret}` has type `{type_}`, not `{TLS_SECRET_TYPE}`: the controller serves \
                 its default certificate for `{}`",
                check.host
            ),
            format!(
                "recreate it as a TLS Secret: `kubectl create secret tls {} -n {} --cert=… --key=…`",
                quote(&secret),
                quote(namespace)
            ),
        ),
        TlsStatus::SecretNotFound => match &check.cert_manager {
            Some(CertIssuer::ClusterIssuer { name }) if cluster_issuers == 0 && issuers > 0 => (
                format!(
                    "the TLS Secret `{secret}` does not exist, and cert-manager cannot create it: \
                     `{CLUSTER_ISSUER_ANNOTATION}: {name}` names a ClusterIssuer, and the input has none"
                ),
                format!("create the ClusterIssuer `{name}`, or use `{ISSUER_ANNOTATION}` with an Issuer of `{namespace}`"),
            ),
            Some(CertIssuer::Issuer { name }) if issuers == 0 && cluster_issuers > 0 => (
                format!(
                    "the TLS Secret `{secret}` does not exist, and cert-manager cannot create it: \
                     `{ISSUER_ANNOTATION}: {name}` names an Issuer, and the input has none"
                ),
                format!("create the Issuer `{name}` in `{namespace}`, or use `{CLUSTER_ISSUER_ANNOTATION}`"),
            ),
            Some(_) => return None,
            None if !known.secrets_known => return None,
            None => {
                let close = similar_tls_secrets(cluster, namespace, &secret);
                let fix = if close.is_empty() {
                    format!(
                        "create it (`kubectl create secret tls {} -n {} --cert=… --key=…`), or let \
                         cert-manager issue it (`{CLUSTER_ISSUER_ANNOTATION}`)",
                        quote(&secret),
                        quote(namespace)
                    )
                } else {
                    format!("did you mean {}? Fix `secretName`", list(&close, 3))
                };
                (
                    format!(
                        "the TLS Secret `{secret}` does not exist in namespace `{namespace}`: the controller serves its \
                         default certificate for `{}`",
                        check.host
                    ),
                    fix,
                )
            }
        },
        _ => return None,
    })
}

fn similar_tls_secrets(cluster: &Cluster, namespace: &str, name: &str) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .secrets()
        .iter()
        .map(|s| &s.value)
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(namespace) && s.type_.as_deref() == Some(TLS_SECRET_TYPE)
        })
        .filter_map(|s| s.metadata.name.clone())
        .filter(|n| similar(n, name))
        .collect();
    names.sort();
    names
}
