//! What was loaded, per namespace: the answer of `kubereach inventory`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::labels::{display_selector, Labels};
use crate::model::{Cluster, NamedContainerPort, PodOwner, WorkloadId};
use crate::origin::Location;

mod plugin;

pub use plugin::PluginSummary;

/// Schema id of the JSON form.
pub const SCHEMA: &str = "kubereach.inventory/v1";

/// Everything the model holds, summarized.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The cluster DNS domain in use.
    pub cluster_domain: String,
    /// Namespaces, sorted by name.
    pub namespaces: Vec<NamespaceInventory>,
    /// Cluster-scoped objects.
    pub cluster: ClusterScoped,
    /// Kinds the model does not use, with counts.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// The network plugins' own policies (Cilium's, Calico's) and Calico
    /// Tiers, by kind and tier, with whether the detected plugin enforces them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub native_policies: Vec<crate::cni::NativePolicyCount>,
    /// Problems met while loading.
    pub diagnostics: Vec<Diagnostic>,
    /// What the network plugin does where the API leaves a choice, as
    /// every query command is given it.
    pub plugin: PluginSummary,
}

/// Cluster-scoped objects.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterScoped {
    /// Node names.
    pub nodes: Vec<String>,
    /// IngressClasses: name, controller, default.
    pub ingress_classes: Vec<IngressClassSummary>,
    /// AdminNetworkPolicy names with priorities.
    pub admin_network_policies: Vec<(String, i32)>,
    /// BaselineAdminNetworkPolicy names.
    pub baseline_admin_network_policies: Vec<String>,
    /// GatewayClasses: name and controller.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateway_classes: Vec<(String, String)>,
}

/// One IngressClass.
#[derive(Debug, Clone, Serialize)]
pub struct IngressClassSummary {
    /// Name.
    pub name: String,
    /// `spec.controller`.
    pub controller: Option<String>,
    /// Whether it carries `ingressclass.kubernetes.io/is-default-class: "true"`.
    pub default: bool,
}

/// One namespace's objects.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceInventory {
    /// Name.
    pub name: String,
    /// Labels, `kubernetes.io/metadata.name` included.
    pub labels: Labels,
    /// `false` when the namespace is only implied by objects in it.
    pub declared: bool,
    /// Workloads and standalone pods.
    pub workloads: Vec<WorkloadSummary>,
    /// Services.
    pub services: Vec<ServiceSummary>,
    /// Ingresses.
    pub ingresses: Vec<IngressSummary>,
    /// NetworkPolicies.
    pub network_policies: Vec<PolicySummary>,
    /// Gateways (Gateway API).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<GatewaySummary>,
    /// HTTPRoutes and GRPCRoutes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateway_routes: Vec<GatewayRouteSummary>,
}

/// A Gateway.
#[derive(Debug, Clone, Serialize)]
pub struct GatewaySummary {
    /// Name.
    pub name: String,
    /// `spec.gatewayClassName`.
    pub class: String,
    /// Listeners as `name PROTOCOL port [hostname]`.
    pub listeners: Vec<String>,
    /// Where it was defined.
    pub location: Location,
}

/// An HTTPRoute or GRPCRoute.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayRouteSummary {
    /// `HTTPRoute` or `GRPCRoute`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Parents as `namespace/name[/sectionName]`.
    pub parents: Vec<String>,
    /// `spec.hostnames`.
    pub hostnames: Vec<String>,
    /// Where it was defined.
    pub location: Location,
}

/// A workload, or a pod with no controller.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadSummary {
    /// `Deployment`, …, or `Pod`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Desired replicas (`None`: one per node, or on schedule).
    pub replicas: Option<i32>,
    /// How many of its pods are in the input (0: a representative pod is used).
    pub pods_in_input: usize,
    /// Pod labels.
    pub labels: Labels,
    /// Declared container ports.
    pub ports: Vec<NamedContainerPort>,
    /// Whether its pods use the node's network.
    pub host_network: bool,
    /// Where it was defined.
    pub location: Location,
}

/// A Service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    /// Name.
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `spec.clusterIP` (`None` for headless).
    pub cluster_ip: Option<String>,
    /// Ports.
    pub ports: Vec<ServicePortSummary>,
    /// The selector, `kubectl -l` style; `None` for selectorless Services.
    pub selector: Option<String>,
    /// Where it was defined.
    pub location: Location,
}

/// A Service port.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePortSummary {
    /// Name.
    pub name: Option<String>,
    /// Service port.
    pub port: i32,
    /// Target port, number or container port name.
    pub target_port: String,
    /// Protocol.
    pub protocol: String,
    /// Node port, if allocated or requested.
    pub node_port: Option<i32>,
}

/// An Ingress.
#[derive(Debug, Clone, Serialize)]
pub struct IngressSummary {
    /// Name.
    pub name: String,
    /// `spec.ingressClassName`, or the deprecated annotation.
    pub class: Option<String>,
    /// Hosts of its rules (`*` for rules without a host).
    pub hosts: Vec<String>,
    /// Hosts covered by TLS.
    pub tls_hosts: Vec<String>,
    /// Where it was defined.
    pub location: Location,
}

/// A NetworkPolicy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    /// Name.
    pub name: String,
    /// The pods it selects, `kubectl -l` style.
    pub pod_selector: String,
    /// `Ingress` and/or `Egress` (defaults applied).
    pub policy_types: Vec<String>,
    /// Number of ingress rules.
    pub ingress_rules: usize,
    /// Number of egress rules.
    pub egress_rules: usize,
    /// Where it was defined.
    pub location: Location,
}

/// The inventory of `cluster`, with the plugin behaviour detected from it
/// and no override.
pub fn inventory(cluster: &Cluster) -> Inventory {
    inventory_on(cluster, &crate::cni::behaviour(cluster, &crate::cni::PluginOverrides::default()))
}

/// The inventory of `cluster` on `plugin`, as detected or overridden
/// (`--cni`, `--ip-blocks-match-pods`, `--host-network-as-pods`).
pub fn inventory_on(cluster: &Cluster, plugin: &crate::cni::PluginBehaviour) -> Inventory {
    let mut namespaces = empty_namespaces(cluster);
    add_workloads(cluster, &mut namespaces);
    add_services(cluster, &mut namespaces);
    add_ingresses(cluster, &mut namespaces);
    add_network_policies(cluster, &mut namespaces);
    add_gateway_api(cluster, &mut namespaces);
    Inventory {
        schema: SCHEMA,
        plugin: PluginSummary::of(plugin),
        cluster_domain: cluster.cluster_domain().to_owned(),
        namespaces: namespaces.into_values().collect(),
        cluster: cluster_scoped(cluster),
        skipped_kinds: cluster.skipped_kinds().clone(),
        native_policies: crate::cni::native_policy_counts(cluster, plugin),
        diagnostics: cluster.diagnostics().to_vec(),
    }
}

/// Every namespace, with nothing in it yet.
fn empty_namespaces(cluster: &Cluster) -> BTreeMap<String, NamespaceInventory> {
    cluster
        .namespaces()
        .values()
        .map(|ns| {
            let inventory = NamespaceInventory {
                name: ns.name.clone(),
                labels: ns.labels.clone(),
                declared: ns.origin.is_some(),
                workloads: Vec::new(),
                services: Vec::new(),
                ingresses: Vec::new(),
                network_policies: Vec::new(),
                gateways: Vec::new(),
                gateway_routes: Vec::new(),
            };
            (ns.name.clone(), inventory)
        })
        .collect()
}

/// One line per workload (or bare pod), with its pods' shape.
fn add_workloads(cluster: &Cluster, namespaces: &mut BTreeMap<String, NamespaceInventory>) {
    let mut real_pods: BTreeMap<WorkloadId, usize> = BTreeMap::new();
    for pod in cluster.pods() {
        if let (Some(PodOwner::Workload(id)), false) = (&pod.owner, pod.is_representative()) {
            *real_pods.entry(*id).or_default() += 1;
        }
    }
    let mut seen_workloads = std::collections::BTreeSet::new();
    for pod in cluster.pods() {
        let workload = cluster.workload_ref(pod);
        if !seen_workloads.insert(workload.clone()) {
            continue;
        }
        let (replicas, pods_in_input, location) = match &pod.owner {
            Some(PodOwner::Workload(id)) => {
                let w = cluster.workload(*id);
                (w.replicas, real_pods.get(id).copied().unwrap_or(0), w.origin.location())
            }
            _ => (Some(1), 1, pod.origin.location()),
        };
        let summary = WorkloadSummary {
            kind: workload.kind,
            name: workload.name,
            replicas,
            pods_in_input,
            labels: pod.labels.clone(),
            ports: pod.container_ports().collect(),
            host_network: pod.host_network(),
            location,
        };
        if let Some(ns) = namespaces.get_mut(&pod.namespace) {
            ns.workloads.push(summary);
        }
    }
}

fn add_services(cluster: &Cluster, namespaces: &mut BTreeMap<String, NamespaceInventory>) {
    for service in cluster.services() {
        let (meta, spec) = (&service.value.metadata, service.value.spec.clone().unwrap_or_default());
        let Some(ns) = namespaces.get_mut(meta.namespace.as_deref().unwrap_or_default()) else { continue };
        ns.services.push(ServiceSummary {
            name: meta.name.clone().unwrap_or_default(),
            type_: spec.type_.clone().unwrap_or_default(),
            cluster_ip: spec.cluster_ip.clone().filter(|ip| ip != "None"),
            ports: spec
                .ports
                .iter()
                .flatten()
                .map(|p| ServicePortSummary {
                    name: p.name.clone(),
                    port: p.port,
                    target_port: match &p.target_port {
                        Some(IntOrString::Int(n)) => n.to_string(),
                        Some(IntOrString::String(s)) => s.clone(),
                        None => p.port.to_string(),
                    },
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                    node_port: p.node_port,
                })
                .collect(),
            selector: spec
                .selector
                .as_ref()
                .map(|s| s.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")),
            location: service.origin.location(),
        });
    }
}

fn add_ingresses(cluster: &Cluster, namespaces: &mut BTreeMap<String, NamespaceInventory>) {
    for ingress in cluster.ingresses() {
        let meta = &ingress.value.metadata;
        let Some(ns) = namespaces.get_mut(meta.namespace.as_deref().unwrap_or_default()) else { continue };
        let spec = ingress.value.spec.clone().unwrap_or_default();
        let class = spec.ingress_class_name.clone().or_else(|| {
            meta.annotations.as_ref().and_then(|a| a.get("kubernetes.io/ingress.class").cloned())
        });
        ns.ingresses.push(IngressSummary {
            name: meta.name.clone().unwrap_or_default(),
            class,
            hosts: spec
                .rules
                .iter()
                .flatten()
                .map(|r| r.host.clone().unwrap_or_else(|| "*".to_owned()))
                .collect(),
            tls_hosts: spec.tls.iter().flatten().flat_map(|t| t.hosts.iter().flatten().cloned()).collect(),
            location: ingress.origin.location(),
        });
    }
}

fn add_network_policies(cluster: &Cluster, namespaces: &mut BTreeMap<String, NamespaceInventory>) {
    for policy in cluster.network_policies() {
        let meta = &policy.value.metadata;
        let Some(ns) = namespaces.get_mut(meta.namespace.as_deref().unwrap_or_default()) else { continue };
        let spec = policy.value.spec.clone().unwrap_or_default();
        ns.network_policies.push(PolicySummary {
            name: meta.name.clone().unwrap_or_default(),
            pod_selector: spec.pod_selector.as_ref().map_or_else(|| "{}".to_owned(), display_selector),
            policy_types: spec.policy_types.clone().unwrap_or_default(),
            ingress_rules: spec.ingress.as_ref().map_or(0, Vec::len),
            egress_rules: spec.egress.as_ref().map_or(0, Vec::len),
            location: policy.origin.location(),
        });
    }
}

/// The cluster-scoped objects, one summary each.
fn cluster_scoped(cluster: &Cluster) -> ClusterScoped {
    ClusterScoped {
        nodes: cluster.nodes().iter().filter_map(|n| n.value.metadata.name.clone()).collect(),
        ingress_classes: cluster
            .ingress_classes()
            .iter()
            .map(|c| IngressClassSummary {
                name: c.value.metadata.name.clone().unwrap_or_default(),
                controller: c.value.spec.as_ref().and_then(|s| s.controller.clone()),
                default: c
                    .value
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("ingressclass.kubernetes.io/is-default-class"))
                    .is_some_and(|v| v == "true"),
            })
            .collect(),
        admin_network_policies: cluster
            .admin_network_policies()
            .iter()
            .map(|p| (p.value.metadata.name.clone().unwrap_or_default(), p.value.spec.priority))
            .collect(),
        baseline_admin_network_policies: cluster
            .baseline_admin_network_policies()
            .iter()
            .filter_map(|p| p.value.metadata.name.clone())
            .collect(),
        gateway_classes: cluster
            .gateway_api()
            .classes
            .iter()
            .map(|c| {
                (c.value.metadata.name.clone().unwrap_or_default(), c.value.spec.controller_name.clone())
            })
            .collect(),
    }
}

fn add_gateway_api(cluster: &Cluster, namespaces: &mut BTreeMap<String, NamespaceInventory>) {
    for gateway in &cluster.gateway_api().gateways {
        let meta = &gateway.value.metadata;
        let Some(ns) = namespaces.get_mut(meta.namespace.as_deref().unwrap_or_default()) else { continue };
        ns.gateways.push(GatewaySummary {
            name: meta.name.clone().unwrap_or_default(),
            class: gateway.value.spec.gateway_class_name.clone(),
            listeners: gateway
                .value
                .spec
                .listeners
                .iter()
                .map(|l| {
                    let host = l.hostname.as_deref().map(|h| format!(" {h}")).unwrap_or_default();
                    format!("{} {} {}{host}", l.name, l.protocol, l.port)
                })
                .collect(),
            location: gateway.origin.location(),
        });
    }
    for route in cluster.gateway_api().routes() {
        let Some(ns) = namespaces.get_mut(route.namespace()) else { continue };
        ns.gateway_routes.push(GatewayRouteSummary {
            kind: route.kind().to_owned(),
            name: route.name().to_owned(),
            parents: route
                .parent_refs()
                .iter()
                .map(|p| {
                    let namespace = p.namespace.as_deref().unwrap_or(route.namespace());
                    let section = p.section_name.as_deref().map(|s| format!("/{s}")).unwrap_or_default();
                    format!("{namespace}/{}{section}", p.name)
                })
                .collect(),
            hostnames: route.hostnames().to_vec(),
            location: route.origin().location(),
        });
    }
}
