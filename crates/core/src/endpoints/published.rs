//! Endpoints as the input's objects publish them (EndpointSlices and
//! legacy Endpoints), merged per backend and tied to the model's pods.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EndpointAddress, Endpoints, ObjectReference};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::{Endpoint, EndpointConditions, EndpointPort, TargetRef};
use crate::model::{Cluster, PodId};
use crate::ports::Protocol;

pub(super) fn slice_names(slices: &[&EndpointSlice]) -> Vec<String> {
    slices.iter().map(|s| s.metadata.name.clone().unwrap_or_default()).collect()
}

/// The endpoints of `slices` (IPv4 and IPv6 ones), into `collected`.
pub(super) fn collect_slices(
    cluster: &Cluster,
    namespace: &str,
    slices: &[&EndpointSlice],
    collected: &mut Collected,
) {
    for slice in slices.iter().copied() {
        if !matches!(slice.address_type.as_str(), "IPv4" | "IPv6") {
            continue;
        }
        let ports: Vec<EndpointPort> = slice
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(EndpointPort {
                    name: p.name.clone().filter(|n| !n.is_empty()),
                    port: p.port.filter(|&n| n != 0)?,
                    protocol: p.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp),
                })
            })
            .collect();
        for endpoint in &slice.endpoints {
            let conditions = endpoint.conditions.clone().unwrap_or_default();
            let ready = conditions.ready.unwrap_or(true);
            collected.add(
                cluster,
                namespace,
                Published {
                    addresses: &endpoint.addresses,
                    target_ref: endpoint.target_ref.as_ref(),
                    hostname: endpoint.hostname.as_deref(),
                    node_name: endpoint.node_name.as_deref(),
                    ports: &ports,
                    conditions: EndpointConditions {
                        ready,
                        serving: conditions.serving.unwrap_or(true),
                        terminating: conditions.terminating.unwrap_or(false),
                    },
                },
            );
        }
    }
}

/// The endpoints of a legacy Endpoints object, into `collected`: its
/// `addresses` are ready, its `notReadyAddresses` are not
/// (<https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoints-v1/>).
pub(super) fn collect_endpoints_object(
    cluster: &Cluster,
    namespace: &str,
    object: &Endpoints,
    collected: &mut Collected,
) {
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
            collected.add(cluster, namespace, Published::of_address(address, &ports, conditions));
        }
    }
}

/// One endpoint as an input object writes it.
struct Published<'a> {
    addresses: &'a [String],
    target_ref: Option<&'a ObjectReference>,
    hostname: Option<&'a str>,
    node_name: Option<&'a str>,
    ports: &'a [EndpointPort],
    conditions: EndpointConditions,
}

impl<'a> Published<'a> {
    fn of_address(
        address: &'a EndpointAddress,
        ports: &'a [EndpointPort],
        conditions: EndpointConditions,
    ) -> Self {
        Published {
            addresses: std::slice::from_ref(&address.ip),
            target_ref: address.target_ref.as_ref(),
            hostname: address.hostname.as_deref(),
            node_name: address.node_name.as_deref(),
            ports,
            conditions,
        }
    }
}

/// Endpoints read from input objects, merged per backend: a dual-stack pod
/// appears in one slice per IP family, and a pod in several subsets.
#[derive(Default)]
pub(super) struct Collected {
    endpoints: BTreeMap<BackendKey, Endpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum BackendKey {
    Pod(PodId),
    Target(TargetRef),
    Addresses(Vec<String>),
}

impl Collected {
    /// The endpoints collected, one per backend.
    pub(super) fn into_endpoints(self) -> Vec<Endpoint> {
        self.endpoints.into_values().collect()
    }

    fn add(&mut self, cluster: &Cluster, namespace: &str, published: Published<'_>) {
        let addresses: Vec<String> = published.addresses.iter().filter(|a| !a.is_empty()).cloned().collect();
        // kube-proxy ignores endpoints without an address.
        if addresses.is_empty() {
            return;
        }
        let target = published.target_ref.and_then(|r| {
            Some(TargetRef {
                kind: r.kind.clone().unwrap_or_default(),
                namespace: r
                    .namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| namespace.to_owned()),
                name: r.name.clone()?,
            })
        });
        let pod = match &target {
            Some(target) => pod_by_name(cluster, target),
            None => pod_by_address(cluster, &addresses),
        };
        let key = match (pod, &target) {
            (Some(id), _) => BackendKey::Pod(id),
            (None, Some(target)) => BackendKey::Target(target.clone()),
            (None, None) => BackendKey::Addresses(addresses.clone()),
        };
        let endpoint = self.endpoints.entry(key).or_insert_with(|| Endpoint {
            pod,
            target: target.clone(),
            addresses: Vec::new(),
            hostname: published.hostname.map(str::to_owned),
            node_name: published.node_name.map(str::to_owned),
            host_network: pod.is_some_and(|id| cluster.pod(id).host_network()),
            ports: Vec::new(),
            conditions: published.conditions,
            assumed_ready: false,
            replicas: 1,
        });
        endpoint.addresses.extend(addresses);
        endpoint.addresses.sort();
        endpoint.addresses.dedup();
        endpoint.ports.extend(published.ports.iter().cloned());
        endpoint.ports.sort();
        endpoint.ports.dedup();
    }
}

/// The real pod a `targetRef` names.
fn pod_by_name(cluster: &Cluster, target: &TargetRef) -> Option<PodId> {
    if !(target.kind.is_empty() || target.kind == "Pod") {
        return None;
    }
    cluster.pods_in(&target.namespace).iter().copied().find(|&id| {
        let pod = cluster.pod(id);
        pod.name == target.name && !pod.is_representative()
    })
}

/// The one real, non-host-network pod with one of `addresses`.
fn pod_by_address(cluster: &Cluster, addresses: &[String]) -> Option<PodId> {
    let mut matches = cluster.pods().iter().enumerate().filter(|(_, pod)| {
        !pod.is_representative() && !pod.host_network() && pod.ips().iter().any(|ip| addresses.contains(ip))
    });
    let (index, _) = matches.next()?;
    if matches.next().is_some() {
        return None;
    }
    Some(PodId(index as u32))
}
