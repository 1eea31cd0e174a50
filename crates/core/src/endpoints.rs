//! The endpoints and readiness layers: which pods (or addresses) stand behind
//! a Service, on which port, and which of them receive traffic.
//!
//! Endpoints come, in order of preference, from the input's EndpointSlices
//! for the Service (label `kubernetes.io/service-name`), from its legacy
//! Endpoints object, or are computed as the EndpointSlice controller would
//! from the pods the Service's selector selects
//! (<https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/>).
//! The controller labels the slices it manages
//! `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`
//! and leaves other slices alone ("to ensure that multiple entities can
//! manage EndpointSlices without interfering with each other", same page,
//! "Management"); kube-proxy reads every slice of the Service. So a custom
//! slice next to a selector adds endpoints: when the input holds only
//! custom slices (a manifest), the controller's are computed and the custom
//! ones added.
//! Which published endpoints receive traffic follows kube-proxy: the ready
//! ones, or, when none is ready, the serving and terminating ones
//! (<https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-to-terminating-endpoints>).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use serde::Serialize;

use crate::labels::map_selector_matches;
use crate::model::{Cluster, Pod, PodId, Readiness};
use crate::ports::Protocol;
use crate::service::{
    port_protocol, publishes_not_ready_addresses, resolve_target_port, selector, service_kind, service_ports,
    target_port, PortRef, ServiceKind, ServicePortKey, ServiceRef,
};

mod published;

use published::{collect_slices, slice_names, Collected, Published};

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The label naming who manages an EndpointSlice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";

/// The [`MANAGED_BY_LABEL`] value of the slices the EndpointSlice controller
/// computes from a Service's selector.
pub const ENDPOINTSLICE_CONTROLLER: &str = "endpointslice-controller.k8s.io";

/// Where a Service's endpoints were taken from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EndpointSource {
    /// EndpointSlice objects in the input, by name.
    EndpointSlices {
        /// The slices' names, sorted.
        names: Vec<String>,
    },
    /// The legacy Endpoints object in the input (named after the Service).
    Endpoints {
        /// Its name.
        name: String,
    },
    /// Computed from the selected pods, as the EndpointSlice controller would.
    Computed,
    /// Computed from the selected pods, plus the endpoints of EndpointSlices
    /// the controller does not manage (no [`MANAGED_BY_LABEL`] of
    /// [`ENDPOINTSLICE_CONTROLLER`]): those add endpoints, they replace none.
    ComputedWithEndpointSlices {
        /// The custom slices' names, sorted.
        names: Vec<String>,
    },
    /// None: an `ExternalName` Service, or a Service without a selector and
    /// without EndpointSlices or Endpoints in the input.
    None,
}

/// The state of an endpoint, as EndpointSlices publish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EndpointConditions {
    /// Ready to receive traffic (also true for every endpoint of a Service
    /// with `publishNotReadyAddresses`).
    pub ready: bool,
    /// The pod's Ready condition is true, whether or not it is terminating.
    pub serving: bool,
    /// The pod is being deleted.
    pub terminating: bool,
}

/// A port an endpoint serves, named after the Service port it implements.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EndpointPort {
    /// The Service port's name (`None` for an unnamed port).
    pub name: Option<String>,
    /// The port on the endpoint (the resolved target port).
    pub port: i32,
    /// The protocol.
    pub protocol: Protocol,
}

/// The object an endpoint names as its backend (`targetRef`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TargetRef {
    /// Its kind (`Pod` for controller-made endpoints).
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// One endpoint of a Service, over all its ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Endpoint {
    /// The pod behind it, when it is in the model.
    pub pod: Option<PodId>,
    /// The object it names, as written (or the pod, when computed).
    pub target: Option<TargetRef>,
    /// Its addresses, sorted. Empty for a pod whose IP is not in the input
    /// (a manifest); the endpoint then stands for the pod's future address.
    pub addresses: Vec<String>,
    /// Its DNS hostname, set when the pod's `hostname` is set and its
    /// `subdomain` names this Service.
    pub hostname: Option<String>,
    /// The node it runs on, when known.
    pub node_name: Option<String>,
    /// The pod uses the node's network: its address is the node's.
    pub host_network: bool,
    /// The ports it serves, one per Service port its target port resolved for.
    pub ports: Vec<EndpointPort>,
    /// Ready, serving, terminating.
    pub conditions: EndpointConditions,
    /// Readiness was assumed: the pod has no status in the input.
    pub assumed_ready: bool,
    /// How many pods it stands for: 1, or the replica count of a workload
    /// whose pods are not in the input.
    pub replicas: u32,
}

/// A pod the Service selects that no endpoint stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExcludedPod {
    /// The pod.
    pub pod: PodId,
    /// Why it is left out.
    pub reason: EndpointExclusion,
}

/// Why a selected pod, or a published endpoint, receives no traffic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum EndpointExclusion {
    /// Published but not ready (its pod's Ready condition is not true), while
    /// other endpoints are ready or none is terminating and serving.
    NotReady,
    /// Published and terminating; terminating endpoints only receive traffic
    /// when no endpoint is ready and they are still serving.
    Terminating,
    /// The Service port's named `targetPort` is not declared by the pod with
    /// that protocol.
    TargetPortNotFound {
        /// The port name.
        name: String,
        /// The protocol.
        protocol: Protocol,
    },
    /// The input's endpoint objects list the endpoint without this Service port.
    PortNotPublished,
    /// The pod has finished (`Succeeded` or `Failed`).
    Terminal {
        /// The phase.
        phase: String,
    },
    /// The pod has a status but no IP yet.
    NoAddress,
    /// The workload standing for these pods has zero replicas.
    NoReplicas,
    /// The pod is selected but missing from the input's EndpointSlices or
    /// Endpoints (stale objects, or a pod newer than them).
    NotInEndpointObjects,
    /// A `Local` traffic policy keeps traffic on its node, and this endpoint
    /// runs on another.
    NotLocal {
        /// The node the endpoint runs on.
        node: String,
    },
    /// A `Local` traffic policy keeps traffic on its node, and this
    /// endpoint's node is unknown (an unscheduled pod or a manifest).
    NodeUnknown,
}

/// A Service's endpoints over all its ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEndpoints {
    /// The Service.
    pub service: ServiceRef,
    /// Where they come from.
    pub source: EndpointSource,
    /// Published endpoints, ready or not, sorted.
    pub endpoints: Vec<Endpoint>,
    /// Selected pods that are not published, with the reason, sorted.
    pub excluded: Vec<ExcludedPod>,
}

/// One candidate backend for one Service port: a published endpoint or a
/// selected pod that is not published.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortEndpoint {
    /// The pod behind it, when it is in the model.
    pub pod: Option<PodId>,
    /// The object it names, as written (or the pod, when computed).
    pub target: Option<TargetRef>,
    /// Its addresses, sorted (empty when the input has no IP for the pod).
    pub addresses: Vec<String>,
    /// The port the traffic goes to on the endpoint; `None` when it does not
    /// serve this Service port.
    pub port: Option<i32>,
    /// The node it runs on, when known.
    pub node_name: Option<String>,
    /// The pod uses the node's network.
    pub host_network: bool,
    /// Its conditions; `None` for a pod that is not published at all.
    pub conditions: Option<EndpointConditions>,
    /// Readiness was assumed: the pod has no status in the input.
    pub assumed_ready: bool,
    /// How many pods it stands for.
    pub replicas: u32,
    /// Why it receives no traffic; `None` when it does.
    pub exclusion: Option<EndpointExclusion>,
}

/// The backends of one Service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortEndpoints {
    /// The Service.
    pub service: ServiceRef,
    /// The Service port.
    pub port: ServicePortKey,
    /// Where the endpoints come from.
    pub source: EndpointSource,
    /// Every candidate, receiving traffic or not, sorted.
    pub endpoints: Vec<PortEndpoint>,
}

/// Pod counts for a Service port ("2 of 3 endpoints ready"), each endpoint
/// weighted by the pods it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EndpointCounts {
    /// Every candidate: published endpoints and selected pods left out.
    pub total: u32,
    /// Published endpoints serving this port.
    pub published: u32,
    /// Of those, the ready ones.
    pub ready: u32,
    /// Those receiving traffic (ready, or the terminating fallback).
    pub receiving: u32,
    /// Of those receiving traffic, the ones whose readiness was assumed.
    pub assumed: u32,
}

/// The endpoints of `service`: from the input's EndpointSlices, else its
/// Endpoints object, else computed from the selected pods; computed plus
/// the custom slices when a Service with a selector has only custom slices
/// in the input.
#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
pub fn service_endpoints(cluster: &Cluster, service: &Service) -> ServiceEndpoints {
    let service_ref = ServiceRef::of(service);
    let mut result = ServiceEndpoints {
        service: service_ref.clone(),
        source: EndpointSource::None,
        endpoints: Vec::new(),
        excluded: Vec::new(),
    };
    // The controllers publish no endpoints for ExternalName Services
    // (https://issues.k8s.io/105986); `selector` is ignored there.
    if service_kind(service) == Some(ServiceKind::ExternalName) {
        return result;
    }
    let mut slices: Vec<_> = cluster
        .endpoint_slices()
        .iter()
        .map(|o| &o.value)
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(service_ref.namespace.as_str())
                && s.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL))
                    == Some(&service_ref.name)
        })
        .collect();
    slices.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let endpoints_object = cluster.endpoints().iter().map(|o| &o.value).find(|e| {
        e.metadata.namespace.as_deref() == Some(service_ref.namespace.as_str())
            && e.metadata.name.as_deref() == Some(service_ref.name.as_str())
    });
    let mut collected = Collected::default();
    // Custom slices next to a selector add endpoints to the controller's
    // own slices, which a manifest does not hold: compute those then.
    let (managed, custom): (Vec<&EndpointSlice>, Vec<&EndpointSlice>) =
        slices.iter().copied().partition(|s| {
            s.metadata.labels.as_ref().and_then(|l| l.get(MANAGED_BY_LABEL)).map(String::as_str)
                == Some(ENDPOINTSLICE_CONTROLLER)
        });
    if selector(service).is_some() && managed.is_empty() && !custom.is_empty() {
        result.source = EndpointSource::ComputedWithEndpointSlices { names: slice_names(&custom) };
        compute(cluster, service, &mut result);
        collect_slices(cluster, &service_ref.namespace, &custom, &mut collected);
        let computed: BTreeSet<PodId> = result.endpoints.iter().filter_map(|e| e.pod).collect();
        let added =
            collected.into_endpoints().into_iter().filter(|e| e.pod.is_none_or(|id| !computed.contains(&id)));
        result.endpoints.extend(added);
        result.endpoints.sort();
        result.excluded.sort();
        return result;
    }
    if !slices.is_empty() {
        result.source = EndpointSource::EndpointSlices { names: slice_names(&slices) };
        collect_slices(cluster, &service_ref.namespace, &slices, &mut collected);
    } else if let Some(object) = endpoints_object {
        result.source = EndpointSource::Endpoints { name: service_ref.name.clone() };
        for subset in object.subsets.iter().flatten() {
            let ports: Vec<EndpointPort> = subset
                .ports
                .iter()
                .flatten()
                .map(|p| EndpointPort {
                    name: p.name.clone().filter(|n| !n.is_empty()),
                    port: p.port,
                    protocol: p.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp),
                })
                .collect();
            let ready = EndpointConditions { ready: true, serving: true, terminating: false };
            let not_ready = EndpointConditions { ready: false, serving: false, terminating: false };
            let addresses = subset.addresses.iter().flatten().map(|a| (a, ready));
            let not_ready_addresses = subset.not_ready_addresses.iter().flatten().map(|a| (a, not_ready));
            for (address, conditions) in addresses.chain(not_ready_addresses) {
                collected.add(
                    cluster,
                    &service_ref.namespace,
                    Published::of_address(address, &ports, conditions),
                );
            }
        }
    } else if selector(service).is_some() {
        result.source = EndpointSource::Computed;
        compute(cluster, service, &mut result);
    }
    if !matches!(result.source, EndpointSource::Computed) {
        result.endpoints = collected.into_endpoints();
        let published_pods: BTreeSet<PodId> = result.endpoints.iter().filter_map(|e| e.pod).collect();
        // Selected pods the objects leave out: the controller's reason if it
        // has one, else the objects are stale.
        for id in selected_pods(cluster, service) {
            if cluster.pod(id).is_representative() || published_pods.contains(&id) {
                continue;
            }
            let reason = computed_endpoint(cluster, service, id)
                .err()
                .unwrap_or(EndpointExclusion::NotInEndpointObjects);
            result.excluded.push(ExcludedPod { pod: id, reason });
        }
    }
    result.endpoints.sort();
    result.excluded.sort();
    result
}

/// Adds the endpoints the EndpointSlice controller computes from the
/// selected pods to `result`, and the pods it leaves out.
fn compute(cluster: &Cluster, service: &Service, result: &mut ServiceEndpoints) {
    for id in selected_pods(cluster, service) {
        match computed_endpoint(cluster, service, id) {
            Ok(endpoint) => result.endpoints.push(endpoint),
            Err(reason) => result.excluded.push(ExcludedPod { pod: id, reason }),
        }
    }
}

/// The backends of `port`, one of `service`'s ports.
pub fn port_endpoints(cluster: &Cluster, service: &Service, port: &ServicePort) -> PortEndpoints {
    service_endpoints(cluster, service).for_port(cluster, port)
}

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

/// Pods the Service's (non-empty) selector selects in its namespace.
fn selected_pods(cluster: &Cluster, service: &Service) -> Vec<PodId> {
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
fn computed_endpoint(cluster: &Cluster, service: &Service, id: PodId) -> Result<Endpoint, EndpointExclusion> {
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

fn pod_target(pod: &Pod) -> TargetRef {
    TargetRef { kind: "Pod".to_owned(), namespace: pod.namespace.clone(), name: pod.name.clone() }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    /// A ready pod `name` in `default` with `labels`, IP and container ports.
    fn pod(name: &str, ip: &str, ready: bool, ports: Value) -> Value {
        json!({
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
            "spec": {"nodeName": format!("node-{}", &name[name.len() - 1..]), "containers": [{"name": "c", "ports": ports}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        })
    }

    fn web_service(spec: Value) -> Value {
        let mut spec = spec;
        if spec.get("selector").is_none() {
            spec["selector"] = json!({"app": "web"});
        }
        json!({"kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
    }

    /// One line per candidate backend of Service `default/web`'s port
    /// `port_name` (the first port when `None`), seen from `node` when given.
    fn describe(objects: Vec<Value>, port_name: Option<&str>, node: Option<&str>) -> String {
        let cluster = cluster(objects);
        let service = &cluster.service("default", "web").expect("service default/web").value;
        let ports = service_ports(service);
        let port = match port_name {
            None => &ports[0],
            Some(name) => ports.iter().find(|p| p.name.as_deref() == Some(name)).expect("port"),
        };
        let mut backends = port_endpoints(&cluster, service, port);
        if let Some(node) = node {
            backends = backends.on_node(node);
        }
        let mut lines = vec![format!("source {:?}", backends.source)];
        for endpoint in &backends.endpoints {
            let who = match (endpoint.pod, &endpoint.target) {
                (Some(id), _) => cluster.pod(id).name.clone(),
                (None, Some(target)) => format!("?{}", target.name),
                (None, None) => "-".to_owned(),
            };
            let conditions = match endpoint.conditions {
                None => "unpublished".to_owned(),
                Some(c) => format!(
                    "{}{}{}{}",
                    if c.ready { "ready" } else { "not-ready" },
                    if c.serving { " serving" } else { "" },
                    if c.terminating { " terminating" } else { "" },
                    if endpoint.assumed_ready { " assumed" } else { "" },
                ),
            };
            let port = endpoint.port.map_or("-".to_owned(), |p| p.to_string());
            let verdict = match &endpoint.exclusion {
                None => "receives".to_owned(),
                Some(exclusion) => format!("excluded {exclusion:?}"),
            };
            let replicas =
                if endpoint.replicas == 1 { String::new() } else { format!(" x{}", endpoint.replicas) };
            lines.push(format!(
                "{who}{replicas} [{}]:{port} {conditions} {verdict}",
                endpoint.addresses.join(",")
            ));
        }
        let c = backends.counts();
        lines.push(format!(
            "counts total={} published={} ready={} receiving={} assumed={}",
            c.total, c.published, c.ready, c.receiving, c.assumed
        ));
        lines.join("\n")
    }

    fn check(objects: Vec<Value>, expect: &str) {
        check_port(objects, None, None, expect);
    }

    fn check_port(objects: Vec<Value>, port: Option<&str>, node: Option<&str>, expect: &str) {
        let actual = describe(objects, port, node);
        assert_eq!(actual, expect.trim(), "\nactual:\n{actual}");
    }

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

    // EndpointSlices from the input win over computing; nil conditions read
    // as ready/serving, not terminating; with no ready endpoint, serving
    // terminating ones receive traffic:
    // https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
    // https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-to-terminating-endpoints
    #[test]
    fn endpoint_slices_from_the_input() {
        let slice = json!({"kind": "EndpointSlice", "metadata": {"name": "web-abc", "namespace": "default",
                               "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: ENDPOINTSLICE_CONTROLLER}},
                           "addressType": "IPv4",
                           "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                           "endpoints": [
                               {"addresses": ["10.0.0.1"], "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "default"},
                                "conditions": {"ready": false, "serving": true, "terminating": true}},
                               {"addresses": ["10.0.0.9"], "conditions": {"ready": false, "serving": false, "terminating": true}},
                               {"addresses": ["10.0.0.2"], "conditions": {"ready": false, "serving": false, "terminating": false}}]});
        check(
            vec![
                web_service(json!({"ports": [{"port": 80, "targetPort": 8080}]})),
                pod("web-1", "10.0.0.1", true, json!([])),
                pod("web-2", "10.0.0.2", false, json!([])),
                pod("web-3", "10.0.0.3", true, json!([])),
                slice.clone(),
            ],
            "
source EndpointSlices { names: [\"web-abc\"] }
- [10.0.0.9]:8080 not-ready terminating excluded Terminating
web-1 [10.0.0.1]:8080 not-ready serving terminating receives
web-2 [10.0.0.2]:8080 not-ready excluded NotReady
web-3 [10.0.0.3]:- unpublished excluded NotInEndpointObjects
counts total=4 published=3 ready=0 receiving=1 assumed=0",
        );
    }

    // The EndpointSlice controller manages only the slices labelled
    // `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`;
    // "the control plane … does not manage" other slices, and kube-proxy
    // uses them all
    // (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#management):
    // a custom slice next to a selector adds endpoints, it replaces none.
    #[test]
    fn custom_slices_add_to_the_computed_endpoints() {
        let custom = json!({"kind": "EndpointSlice", "metadata": {"name": "web-extra", "namespace": "default",
                                "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: "staff"}},
                            "addressType": "IPv4",
                            "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                            "endpoints": [{"addresses": ["192.0.2.50"]}]});
        let objects = vec![
            web_service(json!({"ports": [{"port": 80, "targetPort": 8080}]})),
            pod("web-1", "10.0.0.1", true, json!([])),
            pod("web-2", "10.0.0.2", false, json!([])),
            custom.clone(),
        ];
        check(
            objects.clone(),
            "
source ComputedWithEndpointSlices { names: [\"web-extra\"] }
- [192.0.2.50]:8080 ready serving receives
web-1 [10.0.0.1]:8080 ready serving receives
web-2 [10.0.0.2]:8080 not-ready excluded NotReady
counts total=3 published=3 ready=2 receiving=2 assumed=0",
        );
        // A slice without the label is no controller's either.
        let mut unlabelled = custom.clone();
        unlabelled["metadata"]["labels"] = json!({"kubernetes.io/service-name": "web"});
        let mut objects_unlabelled = objects.clone();
        objects_unlabelled[3] = unlabelled;
        assert!(describe(objects_unlabelled, None, None).starts_with("source ComputedWithEndpointSlices"));
        // Next to the controller's own slices (a dump), both are read as published.
        let managed = json!({"kind": "EndpointSlice", "metadata": {"name": "web-abc", "namespace": "default",
                                 "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: ENDPOINTSLICE_CONTROLLER}},
                             "addressType": "IPv4",
                             "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                             "endpoints": [{"addresses": ["10.0.0.1"], "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "default"}}]});
        let mut dump = objects;
        dump.push(managed);
        check(
            dump,
            "
source EndpointSlices { names: [\"web-abc\", \"web-extra\"] }
- [192.0.2.50]:8080 ready serving receives
web-1 [10.0.0.1]:8080 ready serving receives
web-2 [10.0.0.2]:- unpublished excluded NotInEndpointObjects
counts total=3 published=2 ready=2 receiving=2 assumed=0",
        );
    }

    // A dual-stack pod appears in one slice per family; both are one endpoint:
    // https://kubernetes.io/docs/concepts/services-networking/dual-stack/
    #[test]
    fn dual_stack_slices_merge_per_pod() {
        let slice = |name: &str, family: &str, address: &str| {
            json!({"kind": "EndpointSlice", "metadata": {"name": name, "namespace": "default",
                       "labels": {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: ENDPOINTSLICE_CONTROLLER}},
                   "addressType": family, "ports": [{"port": 80}],
                   "endpoints": [{"addresses": [address], "nodeName": "node-1",
                                  "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "default"}}]})
        };
        check(
            vec![
                web_service(json!({"ports": [{"port": 80}]})),
                pod("web-1", "10.0.0.1", true, json!([])),
                slice("web-v4", "IPv4", "10.0.0.1"),
                slice("web-v6", "IPv6", "fd00::1"),
            ],
            "
source EndpointSlices { names: [\"web-v4\", \"web-v6\"] }
web-1 [10.0.0.1,fd00::1]:80 ready serving receives
counts total=1 published=1 ready=1 receiving=1 assumed=0",
        );
    }

    // Legacy Endpoints: addresses are ready, notReadyAddresses are not; a
    // selectorless Service uses its manual objects, mapped back to pods by IP:
    // https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors
    #[test]
    fn selectorless_service_with_manual_endpoints() {
        check(
            vec![
                json!({"kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {}, "ports": [{"port": 5432}]}}),
                pod("web-1", "10.0.0.1", true, json!([])),
                json!({"kind": "Endpoints", "metadata": {"name": "web"}, "subsets": [{
                    "addresses": [{"ip": "10.0.0.1"}, {"ip": "192.0.2.10"}],
                    "notReadyAddresses": [{"ip": "192.0.2.11"}],
                    "ports": [{"port": 5432}]}]}),
            ],
            "
source Endpoints { name: \"web\" }
- [192.0.2.10]:5432 ready serving receives
- [192.0.2.11]:5432 not-ready excluded NotReady
web-1 [10.0.0.1]:5432 ready serving receives
counts total=3 published=3 ready=2 receiving=2 assumed=0",
        );
    }

    // A selectorless Service without objects has no endpoints, and neither has
    // an ExternalName Service:
    // https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors
    #[test]
    fn no_source() {
        check(
            vec![
                json!({"kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}),
                pod("web-1", "10.0.0.1", true, json!([])),
            ],
            "source None\ncounts total=0 published=0 ready=0 receiving=0 assumed=0",
        );
        check(
            vec![
                web_service(
                    json!({"type": "ExternalName", "externalName": "example.com", "ports": [{"port": 80}]}),
                ),
                pod("web-1", "10.0.0.1", true, json!([])),
            ],
            "source None\ncounts total=0 published=0 ready=0 receiving=0 assumed=0",
        );
    }

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
