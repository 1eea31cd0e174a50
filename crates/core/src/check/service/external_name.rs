//! The rule about `ExternalName` Services whose name cannot work.

use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::dns::{lookup, Answer, QueryType};
use crate::model::Cluster;
use crate::service::{service_kind, ServiceKind};

declare_rule! {
    /// ## What it does
    /// Finds `ExternalName` Services whose `externalName` cannot work: it is
    /// missing, it is not a valid DNS name, it is an IP address, or it names
    /// a Service of the cluster that does not exist.
    ///
    /// ## Why does this break traffic?
    /// An `ExternalName` Service is only a DNS CNAME: cluster DNS answers
    /// queries for the Service with the `externalName`, and clients then
    /// resolve that. An IP address is taken as a DNS name made of digits
    /// (it does not resolve), an invalid name is rejected by the API server,
    /// and a name in the cluster domain that no Service has gets NXDOMAIN.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: database
    ///   namespace: shop
    /// spec:
    ///   type: ExternalName
    ///   externalName: 192.0.2.40
    /// ```
    ///
    /// Use instead (a Service without selector, and its endpoints):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: database
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - name: postgres
    ///       port: 5432
    /// ---
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata:
    ///   name: database-1
    ///   namespace: shop
    ///   labels:
    ///     kubernetes.io/service-name: database
    /// addressType: IPv4
    /// ports:
    ///   - name: postgres
    ///     port: 5432
    /// endpoints:
    ///   - addresses:
    ///       - 192.0.2.40
    /// ```
    ///
    /// ## Known problems
    /// Names outside the cluster domain are not looked up: whether they
    /// resolve depends on the upstream DNS.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#externalname>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors>
    pub struct ExternalnameInvalid {
        code: "KR106",
        name: "externalname-invalid",
        severity: Error,
        summary: "`ExternalName` Services whose name cannot resolve",
        check: externalname_invalid,
    }
}

fn externalname_invalid(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for service in cluster.services() {
        let value = &service.value;
        if service_kind(value) != Some(ServiceKind::ExternalName) {
            continue;
        }
        let subject = Subject::object("Service", &value.metadata, service);
        let name = value.spec.as_ref().and_then(|s| s.external_name.as_deref()).unwrap_or_default();
        let (message, fix) = if name.is_empty() {
            (
                "an `ExternalName` Service without `externalName`: the API server rejects it".to_owned(),
                "set `externalName` to the DNS name the Service stands for".to_owned(),
            )
        } else if name.trim_end_matches('.').parse::<std::net::IpAddr>().is_ok() {
            (
                format!("`externalName: {name}` is an IP address: cluster DNS answers a CNAME to a name made of digits, which does not resolve"),
                "use a DNS name, or for an address a Service without selector and an EndpointSlice holding it".to_owned(),
            )
        } else if !is_dns_subdomain(name.trim_end_matches('.')) {
            (
                format!("`externalName: {name}` is not a valid DNS name: the API server rejects it"),
                "use a lowercase DNS name: letters, digits, `-` and `.`, at most 253 characters".to_owned(),
            )
        } else if let Some(missing) = missing_cluster_name(cluster, name) {
            (
                format!("`externalName: {name}` does not resolve: {missing}"),
                "point it at an existing Service (`<service>.<namespace>.svc.<cluster domain>`)".to_owned(),
            )
        } else {
            continue;
        };
        out.emit(&subject, "spec.externalName", message, fix);
    }
}

/// Why `name`, in the cluster domain, gets no answer from cluster DNS; `None`
/// when it resolves, is outside the cluster domain, or names a namespace the
/// input does not hold.
fn missing_cluster_name(cluster: &Cluster, name: &str) -> Option<String> {
    let answer = lookup(cluster, name, QueryType::A);
    if answer != Answer::NxDomain {
        return None;
    }
    let zone = format!(".svc.{}", cluster.cluster_domain());
    let lowered = name.trim_end_matches('.').to_ascii_lowercase();
    let rest = lowered.strip_suffix(&zone)?;
    let (service, namespace) = rest.rsplit_once('.')?;
    cluster.namespace(namespace)?;
    Some(format!("no Service `{service}` in namespace `{namespace}`"))
}

/// A DNS-1123 subdomain: lowercase labels of letters, digits and inner `-`,
/// joined by `.`, at most 253 characters (`IsDNS1123Subdomain`).
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= 63
                && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes.first() != Some(&b'-')
                && bytes.last() != Some(&b'-')
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::check::testing::findings;

    #[test]
    fn external_names() {
        let service = |name: &str| {
            json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a"},
                "spec": {"type": "ExternalName", "externalName": name}})
        };
        let check = |name: &str| {
            findings(
                "externalname-invalid",
                vec![service(name), json!({"kind": "Namespace", "metadata": {"name": "b"}})],
            )
        };
        assert!(check("db.example.com").is_empty());
        assert!(check("db.example.com.").is_empty());
        assert!(check("db.other.svc.cluster.local").is_empty(), "namespace `other` is not in the input");
        assert_eq!(check("Db.example.com").len(), 1);
        assert_eq!(
            check("db.b.svc.cluster.local"),
            ["error Service a/s: `externalName: db.b.svc.cluster.local` does not resolve: no Service `db` in \
              namespace `b` | point it at an existing Service (`<service>.<namespace>.svc.<cluster domain>`)"]
        );
        assert!(check("10.0.0.1")[0].contains("is an IP address"));
    }
}
