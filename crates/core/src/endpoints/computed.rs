//! Endpoints computed as the EndpointSlice controller would from the pods a
//! Service's selector selects (`ShouldPodBeInEndpoints`, `podToEndpoint`,
//! `getEndpointAddresses` in kubernetes/kubernetes'
//! `pkg/controller/endpointslice`), used when the input holds no endpoint
//! objects for the Service (a manifest), and the reason each selected pod is
//! left out.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::{
    Endpoint, EndpointConditions, EndpointExclusion, EndpointPort, ExcludedPod, ServiceEndpoints, TargetRef,
};
use crate::labels::map_selector_matches;
use crate::model::{Cluster, Pod, PodId, Readiness};
use crate::service::{
    port_protocol, publishes_not_ready_addresses, resolve_target_port, selector, service_ports,
    ServicePortKey, ServiceRef,
};

/// Adds the endpoints the EndpointSlice controller computes from the
/// selected pods to `result`, and the pods it leaves out.
pub(super) fn compute(cluster: &Cluster, service: &Service, result: &mut ServiceEndpoints) {
    for id in selected_pods(cluster, service) {
        match computed_endpoint(cluster, service, id) {
            Ok(endpoint) => result.endpoints.push(endpoint),
            Err(reason) => result.excluded.push(ExcludedPod { pod: id, reason }),
        }
    }
}

/// The conditions the EndpointSlice controller gives a pod's endpoint
/// (`podToEndpoint`), and whether readiness was assumed. A pod without status
/// (a manifest) is assumed ready.
pub fn pod_conditions(
    readiness: Readiness,
    terminating: bool,
    publish_not_ready: bool,
) -> (EndpointConditions, bool) {
    let (serving, assumed) = match readiness {
        Readiness::Ready => (true, false),
        Readiness::NotReady => (false, false),
        Readiness::Unknown => (true, true),
    };
    let ready = publish_not_ready || (serving && !terminating);
    (EndpointConditions { ready, serving, terminating }, assumed)
}

/// Pods the Service's (non-empty) selector selects in its namespace.
pub(super) fn selected_pods(cluster: &Cluster, service: &Service) -> Vec<PodId> {
    let Some(selector) = selector(service) else { return Vec::new() };
    let namespace = ServiceRef::of(service).namespace;
    cluster
        .pods_in(&namespace)
        .iter()
        .copied()
        .filter(|&id| map_selector_matches(selector, &cluster.pod(id).labels))
        .collect()
}

/// The endpoint the EndpointSlice controller makes for a selected pod, or why
/// it makes none (`ShouldPodBeInEndpoints`, `podToEndpoint`, `getEndpointPorts`).
pub(super) fn computed_endpoint(
    cluster: &Cluster,
    service: &Service,
    id: PodId,
) -> Result<Endpoint, EndpointExclusion> {
    let pod = cluster.pod(id);
    if pod.replicas == 0 {
        return Err(EndpointExclusion::NoReplicas);
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if let Some(phase @ ("Succeeded" | "Failed")) = phase {
        return Err(EndpointExclusion::Terminal { phase: phase.to_owned() });
    }
    let addresses = pod_addresses(cluster, service, pod);
    if addresses.is_empty() && phase.is_some() {
        return Err(EndpointExclusion::NoAddress);
    }
    let ports = service_ports(service)
        .iter()
        .filter_map(|port| {
            let number = resolve_target_port(port, pod).ok()?;
            Some(EndpointPort {
                name: ServicePortKey::of(port).name,
                port: number,
                protocol: port_protocol(port),
            })
        })
        .collect();
    let (conditions, assumed_ready) =
        pod_conditions(pod.readiness(), pod_terminating(pod), publishes_not_ready_addresses(service));
    let service_name = ServiceRef::of(service).name;
    let hostname = pod
        .spec
        .hostname
        .clone()
        .filter(|h| !h.is_empty() && pod.spec.subdomain.as_deref() == Some(service_name.as_str()));
    Ok(Endpoint {
        pod: Some(id),
        target: Some(pod_target(pod)),
        addresses,
        hostname,
        node_name: pod.spec.node_name.clone().filter(|n| !n.is_empty()),
        host_network: pod.host_network(),
        ports,
        conditions,
        assumed_ready,
        replicas: pod.replicas,
    })
}

/// Whether the pod is being deleted (`metadata.deletionTimestamp`).
fn pod_terminating(pod: &Pod) -> bool {
    pod.terminating
}

/// The pod's addresses of the Service's IP families (`getEndpointAddresses`);
/// for a host-network pod without status, its node's internal IPs.
fn pod_addresses(cluster: &Cluster, service: &Service, pod: &Pod) -> Vec<String> {
    let mut addresses = pod.ips();
    if addresses.is_empty() && pod.host_network() {
        addresses =
            pod.spec.node_name.as_deref().map(|node| node_internal_ips(cluster, node)).unwrap_or_default();
    }
    let families = service_families(service);
    let mut addresses: Vec<String> = addresses
        .into_iter()
        .filter(|address| match (&families, address.parse::<IpAddr>()) {
            (Some(families), Ok(ip)) => families.contains(&ip.is_ipv6()),
            _ => true,
        })
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// The IP families (as "is IPv6") the Service's endpoints are published for
/// (`getAddressTypesForService`); `None` for both.
fn service_families(service: &Service) -> Option<BTreeSet<bool>> {
    let spec = service.spec.as_ref()?;
    let families: BTreeSet<bool> = spec
        .ip_families
        .iter()
        .flatten()
        .filter_map(|f| match f.as_str() {
            "IPv4" => Some(false),
            "IPv6" => Some(true),
            _ => None,
        })
        .collect();
    if !families.is_empty() {
        return Some(families);
    }
    let cluster_ip = spec.cluster_ip.as_deref()?.parse::<IpAddr>().ok()?;
    Some(BTreeSet::from([cluster_ip.is_ipv6()]))
}

/// The `InternalIP` addresses of the node called `name`.
pub(crate) fn node_internal_ips(cluster: &Cluster, name: &str) -> Vec<String> {
    let Some(node) = cluster.nodes().iter().find(|n| n.value.metadata.name.as_deref() == Some(name)) else {
        return Vec::new();
    };
    let addresses = node.value.status.iter().flat_map(|s| s.addresses.iter().flatten());
    addresses.filter(|a| a.type_ == "InternalIP").map(|a| a.address.clone()).collect()
}

pub(super) fn pod_target(pod: &Pod) -> TargetRef {
    TargetRef { kind: "Pod".to_owned(), namespace: pod.namespace.clone(), name: pod.name.clone() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::endpoints::fixtures::{check, pod, web_service};
    use crate::endpoints::service_endpoints;
    use crate::testing::cluster;

    // Without EndpointSlices in the input, endpoints are computed like the
    // EndpointSlice controller: selected pods, ready from the Ready condition:
    // https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
    #[test]
    fn computed_from_selected_pods() {
        check(
            vec![
                web_service(json!({"ports": [{"port": 80, "targetPort": 8080}]})),
                pod("web-1", "10.0.0.1", true, json!([])),
                pod("web-2", "10.0.0.2", false, json!([])),
                pod("web-3", "10.0.0.3", true, json!([])),
                json!({"kind": "Pod", "metadata": {"name": "other", "labels": {"app": "db"}}, "spec": {"containers": []}}),
            ],
            "
source Computed
web-1 [10.0.0.1]:8080 ready serving receives
web-2 [10.0.0.2]:8080 not-ready excluded NotReady
web-3 [10.0.0.3]:8080 ready serving receives
counts total=3 published=3 ready=2 receiving=2 assumed=0",
        );
    }

    // A named targetPort is resolved per pod; a pod that does not declare it
    // gets no port for that Service port:
    // https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports
    #[test]
    fn named_target_port_per_pod() {
        check(
            vec![
                web_service(json!({"ports": [{"name": "http", "port": 80, "targetPort": "http"}]})),
                pod("web-1", "10.0.0.1", true, json!([{"name": "http", "containerPort": 8080}])),
                pod("web-2", "10.0.0.2", true, json!([{"name": "http", "containerPort": 9090}])),
                pod("web-3", "10.0.0.3", true, json!([{"name": "web", "containerPort": 8080}])),
            ],
            "
source Computed
web-1 [10.0.0.1]:8080 ready serving receives
web-2 [10.0.0.2]:9090 ready serving receives
web-3 [10.0.0.3]:- ready serving excluded TargetPortNotFound { name: \"http\", protocol: Tcp }
counts total=3 published=2 ready=2 receiving=2 assumed=0",
        );
    }

    // Manifests have no status: readiness is assumed, and a workload's
    // representative pod stands for its replicas; replicas: 0 means no pods:
    // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#scaling-a-deployment
    #[test]
    fn manifests_assume_readiness() {
        let deployment = |name: &str, replicas: i32| {
            json!({"kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web", "v": name}},
                            "template": {"metadata": {"labels": {"app": "web", "v": name}},
                                         "spec": {"containers": [{"name": "c"}]}}}})
        };
        check(
            vec![
                web_service(json!({"ports": [{"port": 80}]})),
                deployment("web", 3),
                deployment("web-canary", 0),
            ],
            "
source Computed
web x3 []:80 ready serving assumed receives
web-canary x0 []:- unpublished excluded NoReplicas
counts total=3 published=3 ready=3 receiving=3 assumed=3",
        );
    }

    // publishNotReadyAddresses marks every endpoint ready:
    // https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
    #[test]
    fn publish_not_ready_addresses() {
        check(
            vec![
                web_service(
                    json!({"clusterIP": "None", "publishNotReadyAddresses": true, "ports": [{"port": 80}]}),
                ),
                pod("web-1", "10.0.0.1", false, json!([])),
            ],
            "
source Computed
web-1 [10.0.0.1]:80 ready receives
counts total=1 published=1 ready=1 receiving=1 assumed=0",
        );
    }

    // Finished pods and pods without an IP are not endpoints
    // (ShouldPodBeInEndpoints): https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase
    #[test]
    fn terminal_and_unaddressed_pods_are_left_out() {
        let mut done = pod("web-1", "10.0.0.1", false, json!([]));
        done["status"]["phase"] = json!("Succeeded");
        let pending = json!({"kind": "Pod", "metadata": {"name": "web-2", "labels": {"app": "web"}},
                             "spec": {"containers": []}, "status": {"phase": "Pending"}});
        check(
            vec![web_service(json!({"ports": [{"port": 80}]})), done, pending],
            "
source Computed
web-1 [10.0.0.1]:- unpublished excluded Terminal { phase: \"Succeeded\" }
web-2 []:- unpublished excluded NoAddress
counts total=2 published=0 ready=0 receiving=0 assumed=0",
        );
    }

    // Host-network pods are published with the node's address (a host-network
    // pod's status.podIPs are its host IPs); for a manifest, the node's
    // InternalIP is used:
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus
    #[test]
    fn host_network_pods_use_the_node_ip() {
        check(
            vec![
                web_service(json!({"ports": [{"port": 80}]})),
                json!({"kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
                       "spec": {"hostNetwork": true, "nodeName": "n1", "containers": []}}),
                json!({"kind": "Node", "metadata": {"name": "n1"},
                       "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "n1"}]}}),
            ],
            "
source Computed
web-1 [192.168.1.10]:80 ready serving assumed receives
counts total=1 published=1 ready=1 receiving=1 assumed=1",
        );
    }

    // A pod whose hostname is set and whose subdomain names the Service gets
    // that hostname on its endpoint:
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-hostname-and-subdomain-fields
    #[test]
    fn hostname_when_subdomain_matches() {
        let mut named = pod("web-1", "10.0.0.1", true, json!([]));
        named["spec"]["hostname"] = json!("one");
        named["spec"]["subdomain"] = json!("web");
        let mut elsewhere = pod("web-2", "10.0.0.2", true, json!([]));
        elsewhere["spec"]["hostname"] = json!("two");
        elsewhere["spec"]["subdomain"] = json!("other");
        let cluster = cluster(vec![web_service(json!({"clusterIP": "None"})), named, elsewhere]);
        let service = &cluster.service("default", "web").unwrap().value;
        let endpoints = service_endpoints(&cluster, service);
        let hostnames: Vec<_> = endpoints.endpoints.iter().map(|e| e.hostname.as_deref()).collect();
        assert_eq!(hostnames, [Some("one"), None]);
        assert!(endpoints.endpoints.iter().all(|e| e.ports.is_empty()));
    }

    // podToEndpoint: ready = publishNotReadyAddresses || (serving && !terminating).
    // https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
    #[test]
    fn pod_conditions_like_the_controller() {
        let c = |ready, serving, terminating| EndpointConditions { ready, serving, terminating };
        assert_eq!(pod_conditions(Readiness::Ready, false, false), (c(true, true, false), false));
        assert_eq!(pod_conditions(Readiness::Ready, true, false), (c(false, true, true), false));
        assert_eq!(pod_conditions(Readiness::Ready, true, true), (c(true, true, true), false));
        assert_eq!(pod_conditions(Readiness::NotReady, false, true), (c(true, false, false), false));
        assert_eq!(pod_conditions(Readiness::Unknown, false, false), (c(true, true, false), true));
    }
}
