//! Ingress TLS: `spec.tls[].secretName` is a Secret of type
//! `kubernetes.io/tls` in the Ingress's namespace, for the hosts in
//! `spec.tls[].hosts` (<https://kubernetes.io/docs/concepts/services-networking/ingress/#tls>);
//! cert-manager's annotations ask it to create that Secret
//! (<https://cert-manager.io/docs/usage/ingress/>).

use k8s_openapi::api::networking::v1::Ingress;
use serde::Serialize;

use super::{host_matches, HostMatch, IngressRef};
use crate::model::{Cluster, Object};
use crate::origin::Location;

/// cert-manager: issue the Ingress's TLS Secrets from this ClusterIssuer.
pub const CLUSTER_ISSUER_ANNOTATION: &str = "cert-manager.io/cluster-issuer";
/// cert-manager: issue the Ingress's TLS Secrets from this Issuer (in the Ingress's namespace).
pub const ISSUER_ANNOTATION: &str = "cert-manager.io/issuer";
/// cert-manager (and kube-lego before it): issue from the default issuer.
pub const TLS_ACME_ANNOTATION: &str = "kubernetes.io/tls-acme";
/// The Secret type TLS certificates must have.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// Whether HTTPS for a host of an Ingress has its certificate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TlsCheck {
    /// The Ingress.
    pub ingress: IngressRef,
    /// The host asked about.
    pub host: String,
    /// The `spec.tls` entry that covers it.
    pub entry: Option<usize>,
    /// How the entry covers the host: exactly, by wildcard, or `Any` for an
    /// entry without hosts (the controller's choice).
    pub coverage: Option<HostMatch>,
    /// The entry's Secret.
    pub secret: Option<String>,
    /// The verdict.
    pub status: TlsStatus,
    /// The cert-manager issuer the Ingress asks for, if any.
    pub cert_manager: Option<CertIssuer>,
    /// Where the entry (or the Ingress) is written.
    pub location: Location,
}

/// The verdict on a host's TLS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TlsStatus {
    /// The Secret exists with type `kubernetes.io/tls`.
    Ok,
    /// No `spec.tls` entry covers the host: HTTPS, if served, uses the
    /// controller's default certificate.
    NotConfigured,
    /// The entry has no `secretName`: the controller's default certificate.
    NoSecretName,
    /// The Secret is not in the Ingress's namespace (cert-manager creates it
    /// when [`TlsCheck::cert_manager`] is set).
    SecretNotFound,
    /// The Secret's type is not `kubernetes.io/tls`.
    WrongType {
        /// Its type (`Opaque` when not written).
        type_: String,
    },
}

/// The cert-manager issuer an Ingress names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CertIssuer {
    /// `cert-manager.io/cluster-issuer`.
    ClusterIssuer {
        /// Its name.
        name: String,
    },
    /// `cert-manager.io/issuer`, in the Ingress's namespace.
    Issuer {
        /// Its name.
        name: String,
    },
    /// `kubernetes.io/tls-acme: "true"`: cert-manager's default issuer.
    DefaultIssuer,
}

/// Whether `ingress` serves `host` over HTTPS with a usable certificate Secret.
pub fn check_tls(cluster: &Cluster, ingress: &Object<Ingress>, host: &str) -> TlsCheck {
    let value = &ingress.value;
    let reference = IngressRef::of(value);
    let cert_manager = cert_issuer(value);
    let entries = value.spec.as_ref().and_then(|s| s.tls.as_deref()).unwrap_or_default();
    let covering = entries.iter().enumerate().find_map(|(i, entry)| {
        let hosts = entry.hosts.as_deref().unwrap_or_default();
        if hosts.is_empty() {
            return Some((i, entry, HostMatch::Any));
        }
        let best = hosts.iter().filter_map(|h| host_matches(Some(h), host)).max()?;
        Some((i, entry, best))
    });
    let Some((index, entry, coverage)) = covering else {
        return TlsCheck {
            ingress: reference,
            host: host.to_owned(),
            entry: None,
            coverage: None,
            secret: None,
            status: TlsStatus::NotConfigured,
            cert_manager,
            location: ingress.origin.location(),
        };
    };
    let secret = entry.secret_name.clone().filter(|s| !s.is_empty());
    let status = match &secret {
        None => TlsStatus::NoSecretName,
        Some(name) => {
            let found = cluster.secrets().iter().find(|s| {
                s.value.metadata.namespace.as_deref() == Some(reference.namespace.as_str())
                    && s.value.metadata.name.as_deref() == Some(name.as_str())
            });
            match found.map(|s| s.value.type_.clone().unwrap_or_else(|| "Opaque".to_owned())) {
                None => TlsStatus::SecretNotFound,
                Some(type_) if type_ == TLS_SECRET_TYPE => TlsStatus::Ok,
                Some(type_) => TlsStatus::WrongType { type_ },
            }
        }
    };
    TlsCheck {
        ingress: reference,
        host: host.to_owned(),
        entry: Some(index),
        coverage: Some(coverage),
        secret,
        status,
        cert_manager,
        location: ingress.origin.field_location(&format!("spec.tls[{index}]")),
    }
}

fn cert_issuer(ingress: &Ingress) -> Option<CertIssuer> {
    let annotations = ingress.metadata.annotations.as_ref()?;
    let named = |key: &str| annotations.get(key).filter(|v| !v.is_empty()).cloned();
    if let Some(name) = named(CLUSTER_ISSUER_ANNOTATION) {
        return Some(CertIssuer::ClusterIssuer { name });
    }
    if let Some(name) = named(ISSUER_ANNOTATION) {
        return Some(CertIssuer::Issuer { name });
    }
    (annotations.get(TLS_ACME_ANNOTATION).map(String::as_str) == Some("true"))
        .then_some(CertIssuer::DefaultIssuer)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn check_tls_status(annotations: Value, tls: Value, secrets: Vec<Value>, host: &str, expect: &str) {
        let mut objects = vec![json!({"kind": "Ingress",
            "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
            "spec": {"tls": tls}})];
        objects.extend(secrets);
        let cluster = cluster(objects);
        let check = check_tls(&cluster, &cluster.ingresses()[0], host);
        let actual = format!(
            "{:?} entry {:?} {:?} secret {:?} issuer {:?}",
            check.status, check.entry, check.coverage, check.secret, check.cert_manager
        );
        assert_eq!(actual, expect);
    }

    fn secret(name: &str, namespace: &str, type_: Option<&str>) -> Value {
        json!({"kind": "Secret", "metadata": {"name": name, "namespace": namespace}, "type": type_})
    }

    // TLS Secrets live in the Ingress's namespace with type kubernetes.io/tls
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls).
    #[test]
    fn tls() {
        let tls = json!([{"hosts": ["shop.example.com", "*.shop.example.com"], "secretName": "shop-tls"}]);
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", Some("kubernetes.io/tls"))],
            "shop.example.com",
            "Ok entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", Some("kubernetes.io/tls"))],
            "api.shop.example.com",
            "Ok entry Some(0) Some(Wildcard) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![],
            "other.example.com",
            "NotConfigured entry None None secret None issuer None",
        );
        // In another namespace: not found.
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "default", Some("kubernetes.io/tls"))],
            "shop.example.com",
            "SecretNotFound entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        check_tls_status(
            json!({}),
            tls.clone(),
            vec![secret("shop-tls", "shop", None)],
            "shop.example.com",
            "WrongType { type_: \"Opaque\" } entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer None",
        );
        // cert-manager will create it (https://cert-manager.io/docs/usage/ingress/).
        check_tls_status(
            json!({CLUSTER_ISSUER_ANNOTATION: "letsencrypt"}),
            tls,
            vec![],
            "shop.example.com",
            "SecretNotFound entry Some(0) Some(Exact) secret Some(\"shop-tls\") issuer Some(ClusterIssuer { name: \"letsencrypt\" })",
        );
        check_tls_status(
            json!({ISSUER_ANNOTATION: "ca"}),
            json!([{"secretName": ""}]),
            vec![],
            "x.test",
            "NoSecretName entry Some(0) Some(Any) secret None issuer Some(Issuer { name: \"ca\" })",
        );
    }
}
