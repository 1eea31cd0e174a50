//! The cluster model: typed Kubernetes objects (from `k8s-openapi`), each with
//! its [`Origin`], plus what the API server and controllers would add that
//! manifests leave out (implicit namespaces, defaults, the pods a workload
//! stands for).

mod builder;
pub mod gateway_api;
pub mod index;
pub mod memo;
mod missing_owners;
pub mod openshift_route;
mod resource;
mod stored;
pub mod unmodelled_route;
pub mod validate;

pub use builder::PreparedObject;
pub use builder::{config_map_is_read, ClusterBuilder};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace as K8sNamespace, Node, Pod as K8sPod, PodSpec, PodStatus,
    PodTemplateSpec, ReplicationController, Secret, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

use crate::admin_policy::{AdminNetworkPolicy, BaselineAdminNetworkPolicy};
use crate::diagnostic::Diagnostic;
use crate::labels::{map_selector_matches, selector_matches, Labels};
use crate::origin::Origin;
use unmodelled_route::UnmodelledRoute;

/// The label the API server sets on every namespace (Kubernetes ≥ 1.21).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The cluster domain when nothing in the input says otherwise.
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

/// A Kubernetes object with the place it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T> {
    /// The object, with API-server defaults applied.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// One object of a kind the model knows, as the loader hands it over.
/// Serde writes it as its kind and the object (binary snapshots).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
// Each object is moved once from the loader into the builder: boxing the
// large variants would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Resource {
    Namespace(K8sNamespace),
    Node(Node),
    Pod(K8sPod),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    ReplicaSet(ReplicaSet),
    ReplicationController(ReplicationController),
    Job(Job),
    CronJob(CronJob),
    Service(Service),
    Endpoints(Endpoints),
    EndpointSlice(EndpointSlice),
    Ingress(Ingress),
    IngressClass(IngressClass),
    NetworkPolicy(NetworkPolicy),
    AdminNetworkPolicy(AdminNetworkPolicy),
    BaselineAdminNetworkPolicy(BaselineAdminNetworkPolicy),
    /// An OpenShift Route.
    Route(openshift_route::Route),
    /// A Gateway API object (GatewayClass, Gateway, routes, ReferenceGrant).
    GatewayApi(crate::model::gateway_api::GatewayApiObject),
    /// A `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`.
    Cilium(crate::cilium::CiliumObject),
    /// A Calico `NetworkPolicy`, `GlobalNetworkPolicy` or `Tier`.
    Calico(crate::calico::CalicoObject),
    /// A Secret; the builder drops `data` and `stringData` on arrival.
    Secret(Secret),
    /// A ConfigMap; only `kube-system/coredns` is kept.
    ConfigMap(ConfigMap),
}

/// A controller kind that stands for the pods it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[allow(missing_docs)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
}

impl WorkloadKind {
    /// The Kubernetes `kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// Parses a Kubernetes `kind` string.
    pub fn from_kind(kind: &str) -> Option<WorkloadKind> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "ReplicationController" => WorkloadKind::ReplicationController,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            _ => return None,
        })
    }
}

/// Index of a workload in [`Cluster::workloads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct WorkloadId(pub u32);

/// Index of a pod in [`Cluster::pods`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PodId(pub u32);

/// A workload controller: Deployment, StatefulSet, DaemonSet, ReplicaSet,
/// ReplicationController, Job or CronJob.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Which controller.
    pub kind: WorkloadKind,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The object's own metadata (labels, annotations, ownerReferences).
    pub metadata: ObjectMeta,
    /// Desired pods; `None` for DaemonSets (one per eligible node) and CronJobs.
    pub replicas: Option<i32>,
    /// The pod selector (a ReplicationController's map selector as `matchLabels`).
    pub selector: Option<LabelSelector>,
    /// The template its pods are created from.
    pub template: PodTemplate,
    /// The workload that owns this one (ReplicaSet → Deployment, Job → CronJob).
    pub owner: Option<WorkloadId>,
    /// For a StatefulSet, the identity it gives its pods.
    pub stateful: Option<StatefulIdentity>,
    /// Where it came from.
    pub origin: Origin,
}

/// The identity a StatefulSet gives its pods: pod `<name>-<ordinal>` gets
/// `hostname: <name>-<ordinal>` and `subdomain: <serviceName>`
/// (<https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatefulIdentity {
    /// `spec.serviceName`: the (headless) Service governing the pods' DNS.
    pub service_name: String,
    /// `spec.ordinals.start`: the first pod's ordinal (0 by default).
    pub first_ordinal: i32,
}

/// A workload's pod template: `PodTemplateSpec` with its spec shared, so a
/// representative pod holds the same spec rather than a copy (on a large
/// cluster the copies would take hundreds of megabytes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodTemplate {
    /// The template's metadata (labels, annotations).
    pub metadata: Option<ObjectMeta>,
    /// The pod spec, with the defaults the API server applies to pod specs
    /// (`dnsPolicy`).
    pub spec: Option<Arc<PodSpec>>,
}

impl From<PodTemplateSpec> for PodTemplate {
    fn from(template: PodTemplateSpec) -> PodTemplate {
        let spec = template.spec.map(|mut spec| {
            default_pod_spec(&mut spec);
            Arc::new(spec)
        });
        PodTemplate { metadata: template.metadata, spec }
    }
}

/// What a pod stands for in connectivity answers: its top-level controller,
/// or the pod itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct WorkloadRef {
    /// `Deployment`, `StatefulSet`, …, or `Pod`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl WorkloadRef {
    /// `namespace/name`, the node id of the matrix contract.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// How a pod's controller is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodOwner {
    /// A workload present in the input.
    Workload(WorkloadId),
    /// An owner named by `ownerReferences` but absent from the input.
    Unresolved {
        /// The owner's kind.
        kind: String,
        /// The owner's name.
        name: String,
    },
}

/// Whether a pod is ready to receive traffic through a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readiness {
    /// `status.conditions[type=Ready]` is `True`.
    Ready,
    /// The Ready condition is present and not `True`, or the pod has finished.
    NotReady,
    /// No status in the input (a manifest): assumed ready.
    Unknown,
}

/// A pod: a real one from the input, or the representative of a workload's
/// pod template when the input has none of its pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    /// Namespace.
    pub namespace: String,
    /// Name (for a representative pod, the workload's name).
    pub name: String,
    /// Labels.
    pub labels: Labels,
    /// The pod spec (defaults applied); a representative pod shares its
    /// workload's.
    pub spec: Arc<PodSpec>,
    /// The status, when the input has it (dumps, live clusters).
    pub status: Option<PodStatus>,
    /// Whether `metadata.deletionTimestamp` is set: the pod is shutting down.
    pub terminating: bool,
    /// Its controller, if any.
    pub owner: Option<PodOwner>,
    /// For a representative pod, the workload whose template it was built from.
    pub template_of: Option<WorkloadId>,
    /// How many pods this one stands for: 1 for a real pod, the replica count
    /// for a representative one.
    pub replicas: u32,
    /// Where it came from (for a representative pod, the workload's document).
    pub origin: Origin,
}

/// A container port with the defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NamedContainerPort {
    /// The port's name, if any.
    pub name: Option<String>,
    /// The port number.
    pub port: i32,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// The container that declares it.
    pub container: String,
}

impl Pod {
    /// Whether the pod uses the node's network namespace.
    pub fn host_network(&self) -> bool {
        self.spec.host_network == Some(true)
    }

    /// Every declared container port (init containers with
    /// `restartPolicy: Always`, i.e. sidecars, included).
    pub fn container_ports(&self) -> impl Iterator<Item = NamedContainerPort> + '_ {
        let sidecars = self
            .spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"));
        self.spec.containers.iter().chain(sidecars).flat_map(|container| {
            container.ports.iter().flatten().map(|port| NamedContainerPort {
                name: port.name.clone(),
                port: port.container_port,
                protocol: port.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                container: container.name.clone(),
            })
        })
    }

    /// The container port named `name` with `protocol`, as a Service's or
    /// policy's named port resolves it.
    pub fn named_port(&self, name: &str, protocol: &str) -> Option<i32> {
        self.container_ports()
            .find(|p| p.name.as_deref() == Some(name) && p.protocol == protocol)
            .map(|p| p.port)
    }

    /// Readiness from `status`, if present.
    pub fn readiness(&self) -> Readiness {
        let Some(status) = &self.status else { return Readiness::Unknown };
        if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
            return Readiness::NotReady;
        }
        match status.conditions.iter().flatten().find(|c| c.type_ == "Ready") {
            Some(condition) if condition.status == "True" => Readiness::Ready,
            Some(_) => Readiness::NotReady,
            None if status.phase.is_none() => Readiness::Unknown,
            None => Readiness::NotReady,
        }
    }

    /// The pod's IP addresses from `status.podIPs` / `status.podIP`.
    pub fn ips(&self) -> Vec<String> {
        let Some(status) = &self.status else { return Vec::new() };
        let mut ips: Vec<String> = status.pod_ips.iter().flatten().map(|ip| ip.ip.clone()).collect();
        if ips.is_empty() {
            ips.extend(status.pod_ip.clone());
        }
        ips
    }

    /// Whether this pod stands for a workload's template rather than a real pod.
    pub fn is_representative(&self) -> bool {
        self.template_of.is_some()
    }
}

/// A namespace, declared in the input or implied by an object in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    /// Its name.
    pub name: String,
    /// Labels, always including `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// Annotations of a declared namespace (empty for an implicit one).
    pub annotations: BTreeMap<String, String>,
    /// Where it was declared; `None` when it exists only implicitly.
    pub origin: Option<Origin>,
}

/// The immutable, indexed model of a cluster.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    namespaces: BTreeMap<String, Namespace>,
    nodes: Vec<Object<Node>>,
    workloads: Vec<Workload>,
    pods: Vec<Pod>,
    services: Vec<Object<Service>>,
    endpoints: Vec<Object<Endpoints>>,
    endpoint_slices: Vec<Object<EndpointSlice>>,
    ingresses: Vec<Object<Ingress>>,
    ingress_classes: Vec<Object<IngressClass>>,
    routes: Vec<Object<openshift_route::Route>>,
    gateway_api: crate::model::gateway_api::GatewayApi,
    unmodelled_routes: Vec<Object<UnmodelledRoute>>,
    network_policies: Vec<Object<NetworkPolicy>>,
    admin_network_policies: Vec<Object<AdminNetworkPolicy>>,
    baseline_admin_network_policies: Vec<Object<BaselineAdminNetworkPolicy>>,
    cilium_policies: Vec<Object<crate::cilium::CiliumObject>>,
    calico_objects: Vec<Object<crate::calico::CalicoObject>>,
    secrets: Vec<Object<Secret>>,
    coredns_config: Option<Object<ConfigMap>>,
    cluster_domain: String,
    skipped_kinds: BTreeMap<String, usize>,
    unknown_kinds: Vec<crate::api_kinds::UnknownKind>,
    diagnostics: Vec<Diagnostic>,
    rejected: Vec<crate::model::validate::Rejected>,
    pods_by_namespace: BTreeMap<String, Vec<PodId>>,
    /// Built on first use by [`Cluster::index`].
    index: std::sync::OnceLock<index::ClusterIndex>,
    /// Answers the layers derive from the whole cluster, kept for its lifetime.
    memo: memo::Memo,
}

impl Cluster {
    /// Namespaces by name, implicit ones included.
    pub fn namespaces(&self) -> &BTreeMap<String, Namespace> {
        &self.namespaces
    }
    /// The namespace called `name`.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(name)
    }
    /// Nodes.
    pub fn nodes(&self) -> &[Object<Node>] {
        &self.nodes
    }
    /// Workload controllers, sorted by kind, namespace and name.
    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }
    /// The workload with this id.
    pub fn workload(&self, id: WorkloadId) -> &Workload {
        &self.workloads[id.0 as usize]
    }
    /// Pods: real ones and the representatives of workloads without real pods.
    pub fn pods(&self) -> &[Pod] {
        &self.pods
    }
    /// The pod with this id.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.0 as usize]
    }
    /// The indexes over pods (labels, images), built on first use and
    /// shared by every rule and query on this cluster.
    pub fn index(&self) -> &index::ClusterIndex {
        self.index.get_or_init(|| index::ClusterIndex::new(self))
    }
    /// Answers the layers derive from the whole cluster (the network
    /// plugins detected, the address blocks policies cut), each computed on
    /// first use and kept for the cluster's lifetime.
    pub fn memo(&self) -> &memo::Memo {
        &self.memo
    }
    /// Ids of the pods in `namespace`.
    pub fn pods_in(&self, namespace: &str) -> &[PodId] {
        self.pods_by_namespace.get(namespace).map_or(&[], Vec::as_slice)
    }
    /// Services (type, protocol and targetPort defaulted).
    pub fn services(&self) -> &[Object<Service>] {
        &self.services
    }
    /// Endpoints objects.
    pub fn endpoints(&self) -> &[Object<Endpoints>] {
        &self.endpoints
    }
    /// EndpointSlices.
    pub fn endpoint_slices(&self) -> &[Object<EndpointSlice>] {
        &self.endpoint_slices
    }
    /// Ingresses.
    pub fn ingresses(&self) -> &[Object<Ingress>] {
        &self.ingresses
    }
    /// IngressClasses.
    pub fn ingress_classes(&self) -> &[Object<IngressClass>] {
        &self.ingress_classes
    }

    /// OpenShift Routes.
    pub fn routes(&self) -> &[Object<openshift_route::Route>] {
        &self.routes
    }
    /// The Gateway API objects.
    pub fn gateway_api(&self) -> &crate::model::gateway_api::GatewayApi {
        &self.gateway_api
    }
    /// Routing objects of other projects (Istio, Contour, Traefik) with the
    /// hosts they claim; their kinds also count as skipped.
    pub fn unmodelled_routes(&self) -> &[Object<UnmodelledRoute>] {
        &self.unmodelled_routes
    }
    /// NetworkPolicies (`policyTypes` and port protocols defaulted).
    pub fn network_policies(&self) -> &[Object<NetworkPolicy>] {
        &self.network_policies
    }
    /// AdminNetworkPolicies, by priority then name.
    pub fn admin_network_policies(&self) -> &[Object<AdminNetworkPolicy>] {
        &self.admin_network_policies
    }
    /// BaselineAdminNetworkPolicies (at most one is meaningful: `default`).
    pub fn baseline_admin_network_policies(&self) -> &[Object<BaselineAdminNetworkPolicy>] {
        &self.baseline_admin_network_policies
    }
    /// CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies, in
    /// kind, namespace and name order.
    pub fn cilium_policies(&self) -> &[Object<crate::cilium::CiliumObject>] {
        &self.cilium_policies
    }
    /// Calico NetworkPolicies, GlobalNetworkPolicies and Tiers, in kind,
    /// namespace and name order.
    pub fn calico_objects(&self) -> &[Object<crate::calico::CalicoObject>] {
        &self.calico_objects
    }
    /// Secrets, metadata and type only.
    pub fn secrets(&self) -> &[Object<Secret>] {
        &self.secrets
    }
    /// The `kube-system/coredns` ConfigMap, if present.
    pub fn coredns_config(&self) -> Option<&Object<ConfigMap>> {
        self.coredns_config.as_ref()
    }
    /// The cluster DNS domain (from the CoreDNS Corefile, else `cluster.local`).
    pub fn cluster_domain(&self) -> &str {
        &self.cluster_domain
    }
    /// Kinds the model does not use, with how many objects of each were skipped.
    pub fn skipped_kinds(&self) -> &BTreeMap<String, usize> {
        &self.skipped_kinds
    }
    /// Skipped objects whose kind does not exist in their API group
    /// ([`crate::api_kinds`]), in input order.
    pub fn unknown_kinds(&self) -> &[crate::api_kinds::UnknownKind] {
        &self.unknown_kinds
    }
    /// Objects the API server would reject, left out of the model
    /// ([`validate`]), in input order.
    pub fn rejected(&self) -> &[crate::model::validate::Rejected] {
        &self.rejected
    }

    /// The object of `kind` called `namespace/name` that the API server
    /// would reject, when the input has one: why a lookup found nothing.
    pub fn rejected_object(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&crate::model::validate::Rejected> {
        self.rejected.iter().find(|r| {
            let meta = r.object.value.metadata();
            r.object.value.kind() == kind
                && meta.namespace.as_deref().unwrap_or_default() == namespace
                && meta.name.as_deref() == Some(name)
        })
    }

    /// Problems met while building the model.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// What `pod` stands for: its top-level workload, or itself.
    pub fn workload_ref(&self, pod: &Pod) -> WorkloadRef {
        match &pod.owner {
            Some(PodOwner::Workload(id)) => {
                let workload = self.workload(*id);
                WorkloadRef {
                    kind: workload.kind.as_str().to_owned(),
                    namespace: workload.namespace.clone(),
                    name: workload.name.clone(),
                }
            }
            Some(PodOwner::Unresolved { kind, name }) => {
                WorkloadRef { kind: kind.clone(), namespace: pod.namespace.clone(), name: name.clone() }
            }
            None => WorkloadRef {
                kind: "Pod".to_owned(),
                namespace: pod.namespace.clone(),
                name: pod.name.clone(),
            },
        }
    }

    /// The Service `namespace/name`.
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Object<Service>> {
        self.services.iter().find(|s| {
            s.value.metadata.namespace.as_deref() == Some(namespace)
                && s.value.metadata.name.as_deref() == Some(name)
        })
    }

    /// Pods a Service's selector selects in its namespace (empty for
    /// selectorless Services, whose endpoints are managed by hand; an empty
    /// `selector: {}` is no selector, as the API treats it).
    pub fn pods_selected_by_service(&self, service: &Service) -> Vec<PodId> {
        let Some(selector) =
            service.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty())
        else {
            return Vec::new();
        };
        let namespace = service.metadata.namespace.as_deref().unwrap_or("default");
        self.pods_in(namespace)
            .iter()
            .copied()
            .filter(|id| map_selector_matches(selector, &self.pod(*id).labels))
            .collect()
    }

    /// A copy of the cluster with `pod` added (and its namespace, when the
    /// cluster has none of that name), and the new pod's id. For questions
    /// about pods the input implies but does not hold, such as the cluster
    /// DNS pods of an input without `kube-system`. The ids of the other pods
    /// are unchanged.
    pub fn with_pod(&self, pod: Pod) -> (Cluster, PodId) {
        let mut cluster = self.clone();
        // The copy's index is built again from its own pods: one built for
        // the original before the copy would not know the new pod.
        cluster.index = std::sync::OnceLock::new();
        let id = PodId(cluster.pods.len() as u32);
        cluster.namespaces.entry(pod.namespace.clone()).or_insert_with(|| Namespace {
            labels: Labels::from([(NAMESPACE_NAME_LABEL.to_owned(), pod.namespace.clone())]),
            annotations: BTreeMap::new(),
            name: pod.namespace.clone(),
            origin: None,
        });
        cluster.pods_by_namespace.entry(pod.namespace.clone()).or_default().push(id);
        cluster.pods.push(pod);
        (cluster, id)
    }
}

fn owner_references(meta: Option<&ObjectMeta>) -> impl Iterator<Item = (&str, &str)> {
    meta.and_then(|m| m.owner_references.as_ref())
        .into_iter()
        .flatten()
        .map(|r| (r.kind.as_str(), r.name.as_str()))
}

impl Workload {
    /// The top-level workload that stands for this one's pods.
    fn top_level(&self, workloads: &[Workload], id: WorkloadId) -> WorkloadId {
        let mut id = id;
        let mut current = self;
        // ownerReferences cannot form long chains; the bound guards against cycles.
        for _ in 0..4 {
            let Some(owner) = current.owner else { break };
            id = owner;
            current = &workloads[owner.0 as usize];
        }
        id
    }
}

/// The workloads by kind, namespace and name.
type WorkloadIndex<'a> = BTreeMap<(WorkloadKind, &'a str, &'a str), WorkloadId>;

/// Turns input pods into model pods with their owners, and adds one
/// representative pod for each top-level workload none of whose pods is in
/// the input.
fn lower_pods(workloads: &[Workload], k8s_pods: Vec<Object<K8sPod>>) -> Vec<Pod> {
    let index: WorkloadIndex<'_> = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.kind, w.namespace.as_str(), w.name.as_str()), WorkloadId(i as u32)))
        .collect();
    let mut pods = Vec::with_capacity(k8s_pods.len() + workloads.len());
    let mut with_real_pods = BTreeSet::new();
    for Object { value, origin } in k8s_pods {
        let meta = value.metadata;
        let namespace = meta.namespace.clone().unwrap_or_default();
        let labels = meta.labels.clone().unwrap_or_default();
        let restart_policy = value.spec.as_ref().and_then(|s| s.restart_policy.as_deref());
        let owner = pod_owner(workloads, &index, &meta, (&namespace, &labels), restart_policy);
        if let Some(PodOwner::Workload(id)) = owner {
            with_real_pods.insert(id);
        }
        let mut spec = value.spec.unwrap_or_default();
        default_pod_spec(&mut spec);
        let terminating = meta.deletion_timestamp.is_some();
        pods.push(Pod {
            name: meta.name.unwrap_or_default(),
            namespace,
            labels,
            spec: Arc::new(spec),
            status: value.status,
            terminating,
            owner,
            template_of: None,
            replicas: 1,
            origin,
        });
    }
    representative_pods(workloads, &with_real_pods, &mut pods);
    pods
}

/// The owner of an input pod with metadata `meta` in `namespace` with
/// `labels`: by its controller's `ownerReferences`, else by labels.
fn pod_owner(
    workloads: &[Workload],
    index: &WorkloadIndex<'_>,
    meta: &ObjectMeta,
    (namespace, labels): (&str, &Labels),
    restart_policy: Option<&str>,
) -> Option<PodOwner> {
    owner_references(Some(meta))
        .find(|(kind, _)| WorkloadKind::from_kind(kind).is_some())
        .map(|(kind, name)| {
            let workload_kind = WorkloadKind::from_kind(kind).expect("filtered above");
            match index.get(&(workload_kind, namespace, name)) {
                Some(&id) => PodOwner::Workload(workloads[id.0 as usize].top_level(workloads, id)),
                None => missing_owners::creator_of_missing_owner(
                    workloads,
                    namespace,
                    workload_kind,
                    name,
                    labels,
                )
                .map_or_else(
                    || PodOwner::Unresolved { kind: kind.to_owned(), name: name.to_owned() },
                    PodOwner::Workload,
                ),
            }
        })
        // A controller reference without `kind` still names the pod's
        // workload; with no kind to tell, the pod stays a `Pod`.
        .or_else(|| {
            meta.owner_references
                .iter()
                .flatten()
                .find(|r| r.kind.is_empty() && r.controller == Some(true))
                .map(|r| PodOwner::Unresolved { kind: "Pod".to_owned(), name: r.name.clone() })
        })
        .or_else(|| owner_by_labels(workloads, namespace, meta, restart_policy))
}

/// Adds to `pods` one representative pod for each top-level workload that
/// is not in `with_real_pods`.
fn representative_pods(workloads: &[Workload], with_real_pods: &BTreeSet<WorkloadId>, pods: &mut Vec<Pod>) {
    for (i, workload) in workloads.iter().enumerate() {
        let id = WorkloadId(i as u32);
        if workload.owner.is_some() || with_real_pods.contains(&id) {
            continue;
        }
        // A Job that runs no pod (finished, or `parallelism: 0`) stands for
        // none: only its pods in the input, if any, are peers.
        if workload.kind == WorkloadKind::Job && workload.replicas == Some(0) {
            continue;
        }
        let labels = workload.template.metadata.as_ref().and_then(|m| m.labels.clone());
        let spec = workload.template.spec.clone().unwrap_or_else(|| {
            let mut spec = PodSpec::default();
            default_pod_spec(&mut spec);
            Arc::new(spec)
        });
        pods.push(Pod {
            namespace: workload.namespace.clone(),
            name: workload.name.clone(),
            labels: labels.unwrap_or_default(),
            spec,
            status: None,
            terminating: false,
            owner: Some(PodOwner::Workload(id)),
            template_of: Some(id),
            replicas: workload.replicas.map_or(1, |r| r.max(0) as u32),
            origin: workload.origin.clone(),
        });
    }
}

/// A pod without `ownerReferences` (a dump whose references were stripped)
/// belongs to the top-level workload of its namespace whose selector matches
/// its labels and whose name prefixes the pod's, as controllers name their
/// pods `<workload>-<suffix>`. The name check keeps pods that merely share
/// labels (a Helm test pod, a debug copy) standing for themselves.
fn owner_by_labels(
    workloads: &[Workload],
    namespace: &str,
    meta: &ObjectMeta,
    restart_policy: Option<&str>,
) -> Option<PodOwner> {
    if meta.owner_references.as_ref().is_some_and(|r| !r.is_empty()) {
        return None;
    }
    let labels = meta.labels.as_ref()?;
    let pod_name = meta.name.as_deref().unwrap_or_default();
    // Only Jobs run pods that stop (`restartPolicy: Never|OnFailure`); the
    // other controllers require `Always`.
    let restarts_always = restart_policy.is_none_or(|p| p == "Always");
    workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| w.owner.is_none() && w.namespace == namespace)
        .filter(|(_, w)| matches!(w.kind, WorkloadKind::Job | WorkloadKind::CronJob) != restarts_always)
        .filter(|(_, w)| pod_name.strip_prefix(w.name.as_str()).is_some_and(|rest| rest.starts_with('-')))
        .find(|(_, w)| {
            w.selector
                .as_ref()
                .is_some_and(|s| !crate::labels::selects_everything(s) && selector_matches(s, labels))
        })
        .map(|(i, _)| PodOwner::Workload(WorkloadId(i as u32)))
}

/// Pod defaults the API server applies: `dnsPolicy: ClusterFirst`.
fn default_pod_spec(spec: &mut PodSpec) {
    if spec.dns_policy.as_deref().is_none_or(str::is_empty) {
        spec.dns_policy = Some("ClusterFirst".to_owned());
    }
}

/// Every namespace an object lives in exists, with its name label, even when
/// the input does not declare it.
fn add_implicit_namespaces(cluster: &mut Cluster) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    used.extend(cluster.pods.iter().map(|p| p.namespace.clone()));
    used.extend(cluster.workloads.iter().map(|w| w.namespace.clone()));
    let namespaced_meta = cluster
        .services
        .iter()
        .map(|o| &o.value.metadata)
        .chain(cluster.network_policies.iter().map(|o| &o.value.metadata))
        .chain(cluster.ingresses.iter().map(|o| &o.value.metadata))
        .chain(cluster.endpoint_slices.iter().map(|o| &o.value.metadata))
        .chain(cluster.endpoints.iter().map(|o| &o.value.metadata))
        .chain(cluster.secrets.iter().map(|o| &o.value.metadata));
    used.extend(namespaced_meta.filter_map(|m| m.namespace.clone()));
    for name in used {
        cluster.namespaces.entry(name.clone()).or_insert_with(|| Namespace {
            labels: Labels::from([(NAMESPACE_NAME_LABEL.to_owned(), name.clone())]),
            annotations: BTreeMap::new(),
            name,
            origin: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{cluster, resource};

    fn deployment(name: &str, spec: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ns"},
               "spec": {"selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
    }

    // https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup:
    // a Job whose `Complete` (or `Failed`) condition is `True` runs no pod;
    // an install-time Job of a dump stands for nothing unless its pods are
    // in the input.
    #[test]
    fn finished_jobs_have_no_representative_pod() {
        let job = |name: &str, status: serde_json::Value| {
            serde_json::json!({"kind": "Job", "metadata": {"name": name, "namespace": "ops"},
                   "spec": {"template": {"metadata": {"labels": {"job": name}},
                                         "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "c"}]}}},
                   "status": status})
        };
        let cluster = crate::testing::cluster(vec![
            job(
                "install",
                serde_json::json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}),
            ),
            job("running", serde_json::json!({"active": 1})),
        ]);
        let names: Vec<&str> = cluster.pods().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["running"]);
        assert_eq!(cluster.workloads().len(), 2);
    }

    #[test]
    fn a_copy_with_a_pod_indexes_that_pod_even_after_the_original_was_indexed() {
        let cluster = cluster([deployment("web", json!({"containers": [{"name": "c"}]}))]);
        // The original's index is built first, as `dns::with_dns_reach`
        // does when it finds the DNS Service before adding the assumed pod.
        assert!(cluster.index().pods_with_label("app", "dns").is_empty());
        let mut pod = cluster.pods()[0].clone();
        pod.labels = Labels::from([("app".to_owned(), "dns".to_owned())]);
        let (copy, id) = cluster.with_pod(pod);
        assert_eq!(copy.index().pods_with_label("app", "dns"), [id]);
        assert!(cluster.index().pods_with_label("app", "dns").is_empty());
    }

    #[test]
    fn representative_pods_share_their_workload_spec() {
        let cluster = cluster([
            deployment("web", json!({"containers": [{"name": "c"}]})),
            deployment("dns", json!({"containers": [{"name": "c"}], "dnsPolicy": "Default"})),
        ]);
        for pod in cluster.pods() {
            let id = pod.template_of.expect("representative");
            let template = cluster.workload(id).template.spec.as_ref().expect("spec");
            assert!(Arc::ptr_eq(template, &pod.spec), "{}", pod.name);
        }
        let policy = |name: &str| {
            let pod = cluster.pods().iter().find(|p| p.name == name).expect("pod");
            pod.spec.dns_policy.clone()
        };
        assert_eq!(policy("web").as_deref(), Some("ClusterFirst"));
        assert_eq!(policy("dns").as_deref(), Some("Default"));
    }

    #[test]
    fn objects_are_built_in_key_order_and_duplicates_replace_in_place() {
        let mut builder = ClusterBuilder::new();
        let service = |name: &str, port: i32| {
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"},
                   "spec": {"ports": [{"port": port}]}})
        };
        let origin = |line| Origin { line, ..Origin::default() };
        for (line, (name, port)) in [("b", 1), ("a", 2), ("c", 3), ("a", 4)].into_iter().enumerate() {
            builder.add(resource(service(name, port)).expect("known kind"), origin(line as u32 + 1));
        }
        let cluster = builder.build();
        let services: Vec<_> = cluster
            .services()
            .iter()
            .map(|s| (s.value.metadata.name.clone().unwrap_or_default(), s.origin.line))
            .collect();
        assert_eq!(services, [("a".to_owned(), 4), ("b".to_owned(), 1), ("c".to_owned(), 3)]);
        assert_eq!(cluster.diagnostics().len(), 1);
        assert!(cluster.diagnostics()[0].message.contains("replaces the one at <stdin>:2"));
    }
}
