//! A listener's certificates: `tls.certificateRefs` name Secrets (kind
//! `Secret`, group `""` by default) in the Gateway's namespace, or in
//! another one when a ReferenceGrant there allows the Gateway
//! (`GatewayTLSConfig` reference); an unresolved reference makes the
//! listener's `ResolvedRefs` condition `False` (`InvalidCertificateRef`)
//! and the listener serves no TLS. cert-manager's gateway shim creates the
//! Secrets of a Gateway annotated `cert-manager.io/issuer` or
//! `cert-manager.io/cluster-issuer`
//! (<https://cert-manager.io/docs/usage/gateway/>).

use crate::model::{Cluster, Object};

use super::backend::{reference_grant, ReferenceFrom, ReferenceTo};
use super::types::{Gateway, Listener, ObjectReference};

/// What became of one certificateRef.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificate {
    /// The Secret is in the input.
    Present,
    /// Missing, and cert-manager's gateway shim will create it.
    CertManager {
        /// The annotation that asks for it.
        annotation: String,
    },
    /// Missing (the input may not hold Secrets: a manifest directory).
    Missing,
    /// In another namespace, without a ReferenceGrant there for the Gateway.
    RefNotPermitted,
    /// Not a Secret: an implementation's kind, not checked.
    OtherKind,
}

/// The Secrets `listener` of `gateway` refers to, each with its namespace, name and state.
pub fn certificates<'a>(
    cluster: &Cluster,
    gateway: &Object<Gateway>,
    listener: &'a Listener,
) -> Vec<(&'a ObjectReference, String, Certificate)> {
    let namespace = gateway.value.metadata.namespace.as_deref().unwrap_or("default");
    let refs = listener.tls.iter().flat_map(|t| t.certificate_refs.iter());
    refs.map(|reference| {
        let target = reference.namespace.clone().unwrap_or_else(|| namespace.to_owned());
        let state = certificate(cluster, gateway, namespace, &target, reference);
        (reference, target, state)
    })
    .collect()
}

fn certificate(
    cluster: &Cluster,
    gateway: &Object<Gateway>,
    namespace: &str,
    target: &str,
    reference: &ObjectReference,
) -> Certificate {
    if !reference.group.as_deref().unwrap_or("").is_empty()
        || reference.kind.as_deref().unwrap_or("Secret") != "Secret"
    {
        return Certificate::OtherKind;
    }
    if target != namespace {
        let from = ReferenceFrom { group: super::GROUP, kind: "Gateway", namespace };
        let to = ReferenceTo { group: "", kind: "Secret", namespace: target, name: &reference.name };
        if reference_grant(cluster, from, to).is_none() {
            return Certificate::RefNotPermitted;
        }
    }
    let present = cluster.secrets().iter().any(|s| {
        s.value.metadata.namespace.as_deref() == Some(target)
            && s.value.metadata.name.as_deref() == Some(&reference.name)
    });
    if present {
        return Certificate::Present;
    }
    let annotations = gateway.value.metadata.annotations.as_ref();
    let shim = ["cert-manager.io/issuer", "cert-manager.io/cluster-issuer"]
        .into_iter()
        .find(|a| annotations.is_some_and(|map| map.contains_key(*a)));
    match shim {
        Some(annotation) if target == namespace => {
            Certificate::CertManager { annotation: annotation.to_owned() }
        }
        _ => Certificate::Missing,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn gateway(annotations: Value, refs: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "infra", "annotations": annotations},
            "spec": {"gatewayClassName": "eg", "listeners": [
                {"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": refs}}]}})
    }

    fn states(objects: Vec<Value>) -> Vec<Certificate> {
        let c = cluster(objects);
        let g = &c.gateway_api().gateways[0];
        certificates(&c, g, &g.value.spec.listeners[0]).into_iter().map(|(_, _, s)| s).collect()
    }

    fn secret(namespace: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cert", "namespace": namespace}})
    }

    // GatewayTLSConfig.certificateRefs: a Secret of the Gateway's namespace,
    // or of another with a ReferenceGrant; cert-manager creates annotated ones.
    #[test]
    fn secret_present_missing_granted_or_from_cert_manager() {
        let local = json!([{"name": "cert"}]);
        assert_eq!(states(vec![gateway(json!({}), local.clone()), secret("infra")]), [Certificate::Present]);
        assert_eq!(states(vec![gateway(json!({}), local.clone())]), [Certificate::Missing]);
        assert_eq!(
            states(vec![gateway(json!({"cert-manager.io/cluster-issuer": "letsencrypt"}), local)]),
            [Certificate::CertManager { annotation: "cert-manager.io/cluster-issuer".into() }]
        );
        let remote = json!([{"name": "cert", "namespace": "certs"}]);
        assert_eq!(
            states(vec![gateway(json!({}), remote.clone()), secret("certs")]),
            [Certificate::RefNotPermitted]
        );
        let grant = json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": "certs"},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra"}],
                     "to": [{"group": "", "kind": "Secret"}]}});
        assert_eq!(states(vec![gateway(json!({}), remote), secret("certs"), grant]), [Certificate::Present]);
    }
}
