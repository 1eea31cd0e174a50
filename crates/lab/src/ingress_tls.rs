//! The ingress controller's certificates: a lab CA made with rcgen when the
//! supervisor starts (its certificate written to the lab's state directory
//! as `ca.crt`, so `curl --cacert` can verify; removed by `down` with the
//! rest of the state), a certificate per TLS host issued from it, chosen by
//! SNI, and the controller's fake certificate where ingress-nginx serves
//! its own ("Kubernetes Ingress Controller Fake Certificate", self-signed,
//! for a host no `spec.tls` entry covers with a present Secret,
//! <https://kubernetes.github.io/ingress-nginx/user-guide/tls/#default-ssl-certificate>).
//!
//! The Secrets' contents are never read: a present Secret stands for "the
//! certificate cert-manager or the user put there", which the lab issues
//! itself. Which certificate a host gets is the core's answer
//! ([`crate::ingress_route::certificate_for`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The fake certificate's common name, as ingress-nginx writes it.
pub const FAKE_CERTIFICATE_NAME: &str = "Kubernetes Ingress Controller Fake Certificate";
/// The lab CA's common name.
pub const CA_NAME: &str = "kubereach lab CA";
/// The most host certificates kept (one per TLS server name asked for).
const MAX_CERTIFICATES: usize = 1024;

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen failed.
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the key.
    #[error("cannot use a key: {0}")]
    Key(#[from] rustls::Error),
}

/// The lab's CA: issues host certificates.
pub struct LabCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl LabCa {
    /// A new CA with a fresh key.
    pub fn new() -> Result<LabCa, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, CA_NAME);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key)?;
        Ok(LabCa { pem: certificate.pem(), issuer: Issuer::new(params, key) })
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A certificate for `host` (a DNS name) issued by the CA.
    pub fn issue(&self, host: &str) -> Result<Arc<CertifiedKey>, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![host.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, host);
        let certificate = params.signed_by(&key, &self.issuer)?;
        certified(certificate.der().clone(), &key)
    }
}

/// ingress-nginx's fake certificate: self-signed, for `ingress.local`.
pub fn fake_certificate() -> Result<Arc<CertifiedKey>, TlsError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["ingress.local".to_owned()])?;
    params.distinguished_name.push(DnType::OrganizationName, "Acme Co");
    params.distinguished_name.push(DnType::CommonName, FAKE_CERTIFICATE_NAME);
    let certificate = params.self_signed(&key)?;
    certified(certificate.der().clone(), &key)
}

fn certified(der: CertificateDer<'static>, key: &KeyPair) -> Result<Arc<CertifiedKey>, TlsError> {
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = any_supported_type(&private)?;
    Ok(Arc::new(CertifiedKey::new(vec![der], signing)))
}

/// Chooses the certificate by SNI: `lab_host(name)` says whether the lab CA
/// issues one for the name (issued once, kept); otherwise, and without
/// SNI, the fake certificate.
pub struct SniResolver {
    ca: Arc<LabCa>,
    fake: Arc<CertifiedKey>,
    lab_host: Box<dyn Fn(&str) -> bool + Send + Sync>,
    issued: Mutex<BTreeMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SniResolver")
    }
}

impl SniResolver {
    /// A resolver issuing from `ca` for the names `lab_host` accepts.
    pub fn new(
        ca: Arc<LabCa>,
        fake: Arc<CertifiedKey>,
        lab_host: Box<dyn Fn(&str) -> bool + Send + Sync>,
    ) -> SniResolver {
        SniResolver { ca, fake, lab_host, issued: Mutex::new(BTreeMap::new()) }
    }

    /// The certificate for server name `name`.
    pub fn for_name(&self, name: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = name.map(str::to_ascii_lowercase) else { return Arc::clone(&self.fake) };
        if !(self.lab_host)(&name) {
            return Arc::clone(&self.fake);
        }
        let Ok(mut issued) = self.issued.lock() else { return Arc::clone(&self.fake) };
        if let Some(found) = issued.get(&name) {
            return Arc::clone(found);
        }
        let Ok(certificate) = self.ca.issue(&name) else { return Arc::clone(&self.fake) };
        if issued.len() < MAX_CERTIFICATES {
            issued.insert(name, Arc::clone(&certificate));
        }
        certificate
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.for_name(hello.server_name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_get_the_labs_certificate_others_the_fake_one() {
        let ca = Arc::new(LabCa::new().unwrap());
        assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let fake = fake_certificate().unwrap();
        let resolver = SniResolver::new(ca, Arc::clone(&fake), Box::new(|name| name == "shop.test"));
        let shop = resolver.for_name(Some("SHOP.test"));
        assert!(!Arc::ptr_eq(&shop, &fake));
        assert!(Arc::ptr_eq(&shop, &resolver.for_name(Some("shop.test"))), "issued once");
        assert!(Arc::ptr_eq(&resolver.for_name(Some("other.test")), &fake));
        assert!(Arc::ptr_eq(&resolver.for_name(None), &fake));
    }
}
