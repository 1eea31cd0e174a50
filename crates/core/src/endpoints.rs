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
//!
//! This file holds the types and the choice of source; `published.rs` reads
//! the input's objects, `computed.rs` computes as the controller would, and
//! `receiving.rs` decides which backends receive traffic.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Endpoints, Service, ServicePort};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use serde::Serialize;

use crate::model::{Cluster, PodId};
use crate::ports::Protocol;
use crate::service::{selector, service_kind, ServiceKind, ServicePortKey, ServiceRef};

mod computed;
#[cfg(test)]
mod fixtures;
mod published;
mod receiving;

pub(crate) use computed::node_internal_ips;
pub use computed::pod_conditions;
use computed::{compute, computed_endpoint, selected_pods};
use published::{collect_endpoints_object, collect_slices, slice_names, Collected};

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
    let slices = service_slices(cluster, &service_ref);
    let namespace = service_ref.namespace.as_str();
    let mut collected = Collected::default();
    // Custom slices next to a selector add endpoints to the controller's
    // own slices, which a manifest does not hold: compute those then.
    if selector(service).is_some() && !slices.is_empty() && !slices.iter().any(|s| managed_by_controller(s)) {
        result.source = EndpointSource::ComputedWithEndpointSlices { names: slice_names(&slices) };
        compute(cluster, service, &mut result);
        collect_slices(cluster, namespace, &slices, &mut collected);
        let computed: BTreeSet<PodId> = result.endpoints.iter().filter_map(|e| e.pod).collect();
        let added =
            collected.into_endpoints().into_iter().filter(|e| e.pod.is_none_or(|id| !computed.contains(&id)));
        result.endpoints.extend(added);
    } else if !slices.is_empty() {
        result.source = EndpointSource::EndpointSlices { names: slice_names(&slices) };
        collect_slices(cluster, namespace, &slices, &mut collected);
        publish(cluster, service, collected, &mut result);
    } else if let Some(object) = endpoints_object(cluster, &service_ref) {
        result.source = EndpointSource::Endpoints { name: service_ref.name.clone() };
        collect_endpoints_object(cluster, namespace, object, &mut collected);
        publish(cluster, service, collected, &mut result);
    } else if selector(service).is_some() {
        result.source = EndpointSource::Computed;
        compute(cluster, service, &mut result);
    }
    result.endpoints.sort();
    result.excluded.sort();
    result
}

/// The backends of `port`, one of `service`'s ports.
pub fn port_endpoints(cluster: &Cluster, service: &Service, port: &ServicePort) -> PortEndpoints {
    service_endpoints(cluster, service).for_port(cluster, port)
}

/// The input's EndpointSlices of the Service (label [`SERVICE_NAME_LABEL`]
/// in its namespace), sorted by name.
fn service_slices<'a>(cluster: &'a Cluster, service: &ServiceRef) -> Vec<&'a EndpointSlice> {
    let mut slices: Vec<_> = cluster
        .endpoint_slices()
        .iter()
        .map(|o| &o.value)
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(service.namespace.as_str())
                && s.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL)) == Some(&service.name)
        })
        .collect();
    slices.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    slices
}

/// Whether the EndpointSlice controller manages `slice` (its
/// [`MANAGED_BY_LABEL`] is [`ENDPOINTSLICE_CONTROLLER`]).
fn managed_by_controller(slice: &EndpointSlice) -> bool {
    slice.metadata.labels.as_ref().and_then(|l| l.get(MANAGED_BY_LABEL)).map(String::as_str)
        == Some(ENDPOINTSLICE_CONTROLLER)
}

/// The input's legacy Endpoints object of the Service (named after it).
fn endpoints_object<'a>(cluster: &'a Cluster, service: &ServiceRef) -> Option<&'a Endpoints> {
    cluster.endpoints().iter().map(|o| &o.value).find(|e| {
        e.metadata.namespace.as_deref() == Some(service.namespace.as_str())
            && e.metadata.name.as_deref() == Some(service.name.as_str())
    })
}

/// Takes the endpoints the input's objects publish into `result`, and the
/// selected pods they leave out: with the controller's reason if it has one,
/// else because the objects are stale.
fn publish(cluster: &Cluster, service: &Service, collected: Collected, result: &mut ServiceEndpoints) {
    result.endpoints = collected.into_endpoints();
    let published_pods: BTreeSet<PodId> = result.endpoints.iter().filter_map(|e| e.pod).collect();
    for id in selected_pods(cluster, service) {
        if cluster.pod(id).is_representative() || published_pods.contains(&id) {
            continue;
        }
        let reason =
            computed_endpoint(cluster, service, id).err().unwrap_or(EndpointExclusion::NotInEndpointObjects);
        result.excluded.push(ExcludedPod { pod: id, reason });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fixtures::{check, describe, pod, web_service};
    use super::*;

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
}
