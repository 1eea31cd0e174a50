//! Which of a Service port's backends receive traffic, as kube-proxy
//! decides it: the ready endpoints, or, when none is ready, the serving
//! terminating ones
//! (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-to-terminating-endpoints>),
//! and under a `Local` traffic policy only those on the node
//! (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies>).

use k8s_openapi::api::core::v1::ServicePort;

use super::computed::pod_target;
use super::{Endpoint, EndpointCounts, EndpointExclusion, PortEndpoint, PortEndpoints, ServiceEndpoints};
use crate::model::Cluster;
use crate::service::{target_port, PortRef, ServicePortKey};

impl ServiceEndpoints {
    /// The backends of one Service port: each published endpoint with the
    /// port it serves it on, plus the selected pods left out, with whether
    /// each receives traffic under the `Cluster` traffic policy.
    pub fn for_port(&self, cluster: &Cluster, port: &ServicePort) -> PortEndpoints {
        let key = ServicePortKey::of(port);
        let mut endpoints: Vec<PortEndpoint> = self
            .endpoints
            .iter()
            .map(|endpoint| {
                let served = endpoint.ports.iter().find(|p| p.name == key.name && p.protocol == key.protocol);
                let exclusion = match (served, endpoint.pod, target_port(port)) {
                    (Some(_), _, _) => None,
                    (None, Some(id), PortRef::Name(name))
                        if cluster.pod(id).named_port(&name, key.protocol.as_str()).is_none() =>
                    {
                        Some(EndpointExclusion::TargetPortNotFound { name, protocol: key.protocol })
                    }
                    (None, _, _) => Some(EndpointExclusion::PortNotPublished),
                };
                PortEndpoint {
                    pod: endpoint.pod,
                    target: endpoint.target.clone(),
                    addresses: endpoint.addresses.clone(),
                    port: served.map(|p| p.port),
                    node_name: endpoint.node_name.clone(),
                    host_network: endpoint.host_network,
                    conditions: Some(endpoint.conditions),
                    assumed_ready: endpoint.assumed_ready,
                    replicas: endpoint.replicas,
                    exclusion,
                }
            })
            .collect();
        endpoints.extend(self.excluded.iter().map(|excluded| {
            let pod = cluster.pod(excluded.pod);
            PortEndpoint {
                pod: Some(excluded.pod),
                target: Some(pod_target(pod)),
                addresses: pod.ips(),
                port: None,
                node_name: pod.spec.node_name.clone(),
                host_network: pod.host_network(),
                conditions: None,
                assumed_ready: false,
                replicas: pod.replicas,
                exclusion: Some(excluded.reason.clone()),
            }
        }));
        select_receiving(&mut endpoints);
        endpoints.sort();
        PortEndpoints { service: self.service.clone(), port: key, source: self.source.clone(), endpoints }
    }

    /// Endpoints whose `ready` condition is true: the ones DNS publishes for a
    /// headless Service.
    pub fn ready(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter(|e| e.conditions.ready)
    }
}

impl PortEndpoints {
    /// The backends as seen from `node` under a `Local` traffic policy
    /// (`externalTrafficPolicy` for traffic arriving at that node,
    /// `internalTrafficPolicy` for a client pod on it): only endpoints on
    /// that node, with the same terminating fallback among them
    /// (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies>).
    pub fn on_node(&self, node: &str) -> PortEndpoints {
        let mut local = self.clone();
        for endpoint in &mut local.endpoints {
            if !endpoint.is_serving_port() {
                continue;
            }
            endpoint.exclusion = match &endpoint.node_name {
                None => Some(EndpointExclusion::NodeUnknown),
                Some(name) if name != node => Some(EndpointExclusion::NotLocal { node: name.clone() }),
                Some(_) => None,
            };
        }
        select_receiving(&mut local.endpoints);
        local
    }

    /// The backends receiving traffic.
    pub fn receiving(&self) -> impl Iterator<Item = &PortEndpoint> {
        self.endpoints.iter().filter(|e| e.exclusion.is_none())
    }

    /// How many pods are published, ready and receiving traffic.
    pub fn counts(&self) -> EndpointCounts {
        let mut counts = EndpointCounts::default();
        for endpoint in &self.endpoints {
            counts.total += endpoint.replicas;
            if endpoint.is_serving_port() {
                counts.published += endpoint.replicas;
                if endpoint.conditions.is_some_and(|c| c.ready) {
                    counts.ready += endpoint.replicas;
                }
            }
            if endpoint.exclusion.is_none() {
                counts.receiving += endpoint.replicas;
                if endpoint.assumed_ready {
                    counts.assumed += endpoint.replicas;
                }
            }
        }
        counts
    }
}

impl PortEndpoint {
    /// Published with this port (it may still be not ready or not local).
    fn is_serving_port(&self) -> bool {
        self.conditions.is_some() && self.port.is_some()
    }
}

/// Marks the published endpoints that receive no traffic, among those still
/// candidates: kube-proxy uses the ready ones, or, when there are none, the
/// serving terminating ones (`CategorizeEndpoints`).
fn select_receiving(endpoints: &mut [PortEndpoint]) {
    let candidates = |e: &PortEndpoint| e.exclusion.is_none() && e.is_serving_port();
    let any_ready = endpoints.iter().filter(|e| candidates(e)).any(|e| e.conditions.is_some_and(|c| c.ready));
    for endpoint in endpoints.iter_mut().filter(|e| candidates(e)) {
        let Some(conditions) = endpoint.conditions else { continue };
        let receives =
            if any_ready { conditions.ready } else { conditions.serving && conditions.terminating };
        if !receives {
            endpoint.exclusion = Some(if conditions.terminating {
                EndpointExclusion::Terminating
            } else {
                EndpointExclusion::NotReady
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::endpoints::fixtures::{check_port, pod, web_service};
    use crate::endpoints::{ENDPOINTSLICE_CONTROLLER, MANAGED_BY_LABEL};

    // Each Service port has its own backends; a slice listing an endpoint
    // without a port does not serve it:
    // https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#endpointslices
    #[test]
    fn per_port_views_of_input_slices() {
        let objects = vec![
            web_service(
                json!({"ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "metrics", "port": 9090}]}),
            ),
            pod("web-1", "10.0.0.1", true, json!([{"name": "http", "containerPort": 8080}])),
            pod("web-2", "10.0.0.2", true, json!([])),
            json!({"kind": "EndpointSlice", "metadata": {"name": "a", "namespace": "default", "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: ENDPOINTSLICE_CONTROLLER}},
                   "addressType": "IPv4", "ports": [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}],
                   "endpoints": [{"addresses": ["10.0.0.1"], "targetRef": {"kind": "Pod", "name": "web-1"}}]}),
            json!({"kind": "EndpointSlice", "metadata": {"name": "b", "namespace": "default", "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: ENDPOINTSLICE_CONTROLLER}},
                   "addressType": "IPv4", "ports": [{"name": "metrics", "port": 9090}],
                   "endpoints": [{"addresses": ["10.0.0.2"], "targetRef": {"kind": "Pod", "name": "web-2"}}]}),
        ];
        check_port(
            objects.clone(),
            Some("http"),
            None,
            "
source EndpointSlices { names: [\"a\", \"b\"] }
web-1 [10.0.0.1]:8080 ready serving receives
web-2 [10.0.0.2]:- ready serving excluded TargetPortNotFound { name: \"http\", protocol: Tcp }
counts total=2 published=1 ready=1 receiving=1 assumed=0",
        );
        check_port(
            objects,
            Some("metrics"),
            None,
            "
source EndpointSlices { names: [\"a\", \"b\"] }
web-1 [10.0.0.1]:9090 ready serving receives
web-2 [10.0.0.2]:9090 ready serving receives
counts total=2 published=2 ready=2 receiving=2 assumed=0",
        );
    }

    // externalTrafficPolicy/internalTrafficPolicy Local: only node-local
    // endpoints, with the terminating fallback among them:
    // https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies
    #[test]
    fn local_traffic_policy_restricts_to_the_node() {
        let objects = vec![
            web_service(json!({"ports": [{"port": 80}]})),
            pod("web-1", "10.0.0.1", true, json!([])),
            pod("web-2", "10.0.0.2", false, json!([])),
            json!({"kind": "Pod", "metadata": {"name": "web-x", "labels": {"app": "web"}}, "spec": {"containers": []}}),
        ];
        check_port(
            objects.clone(),
            None,
            Some("node-1"),
            "
source Computed
web-1 [10.0.0.1]:80 ready serving receives
web-2 [10.0.0.2]:80 not-ready excluded NotLocal { node: \"node-2\" }
web-x []:80 ready serving assumed excluded NodeUnknown
counts total=3 published=3 ready=2 receiving=1 assumed=0",
        );
        check_port(
            objects,
            None,
            Some("node-2"),
            "
source Computed
web-1 [10.0.0.1]:80 ready serving excluded NotLocal { node: \"node-1\" }
web-2 [10.0.0.2]:80 not-ready excluded NotReady
web-x []:80 ready serving assumed excluded NodeUnknown
counts total=3 published=3 ready=2 receiving=0 assumed=0",
        );
    }
}
