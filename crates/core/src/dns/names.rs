//! The names cluster DNS gives Services and endpoints: what forward lookups
//! (`server.rs`) answer for and reverse lookups (`reverse.rs`) answer with.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::corefile::coredns_options;
use crate::endpoints::Endpoint;
use crate::model::Cluster;
use crate::service::ServiceRef;

/// The Service's DNS name, `<service>.<ns>.svc.<zone>`.
pub fn service_fqdn(cluster: &Cluster, service: &Service) -> String {
    let service = ServiceRef::of(service);
    format!("{}.{}.svc.{}", service.name, service.namespace, cluster.cluster_domain())
}

/// The hostname of an endpoint in DNS: its `hostname`, else (with
/// `endpoint_pod_names`) its pod's name, else its first address with dashes
/// (CoreDNS `endpointHostname`).
pub(super) fn endpoint_host(cluster: &Cluster, endpoint: &Endpoint) -> Option<String> {
    if let Some(hostname) = &endpoint.hostname {
        return Some(hostname.clone());
    }
    if coredns_options(cluster).endpoint_pod_names {
        if let Some(target) = &endpoint.target {
            return Some(target.name.clone());
        }
    }
    let address = endpoint.addresses.first()?.parse::<IpAddr>().ok()?;
    Some(match address {
        IpAddr::V4(v4) => v4.to_string().replace('.', "-"),
        IpAddr::V6(v6) => v6.to_string().replace(':', "-"),
    })
}
