//! [`ClusterBuilder`]: collects objects as they are read, then builds the
//! [`Cluster`] with what the API server and controllers would add (defaults,
//! implicit namespaces, the workloads behind pods).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Pod as K8sPod, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    add_implicit_namespaces, lower_pods, owner_references, stored, Cluster, Namespace, Object, PodId,
    Resource, StatefulIdentity, Workload, WorkloadId, WorkloadKind, DEFAULT_CLUSTER_DOMAIN,
    NAMESPACE_NAME_LABEL,
};
use crate::diagnostic::Diagnostic;
use crate::model::unmodelled_route::UnmodelledRoute;
use crate::origin::Origin;

/// Collects objects, then builds a [`Cluster`]: defaults, implicit namespaces,
/// pod ownership and representative pods.
#[derive(Debug, Default)]
pub struct ClusterBuilder {
    /// Objects in arrival order, boxed so that neither the index nor this
    /// list moves these large values as they grow, and `build` frees each as
    /// it takes it.
    objects: Vec<Option<stored::StoredObject>>,
    /// Position in `objects` by kind, namespace and name: the build order.
    index: BTreeMap<ObjectKey, usize>,
    skipped_kinds: BTreeMap<String, usize>,
    unknown_kinds: Vec<crate::api_kinds::UnknownKind>,
    diagnostics: Vec<Diagnostic>,
    rejected: Vec<crate::model::validate::Rejected>,
    cluster_domain: Option<String>,
    unmodelled_routes: Vec<Object<UnmodelledRoute>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjectKey {
    kind: &'static str,
    namespace: String,
    name: String,
}

/// An object made ready for [`ClusterBuilder::add_prepared`] by
/// [`PreparedObject::new`]: defaulted, validated and boxed at its kind's
/// size. Preparing needs no builder, so a parsing thread does it, and the
/// object is boxed once on its way to the builder.
#[derive(Debug)]
pub struct PreparedObject(Prepared);

#[derive(Debug)]
enum Prepared {
    /// A ConfigMap the model does not read (counted as skipped).
    Unread(stored::StoredObject),
    /// An object the API server would refuse.
    Rejected(Box<crate::model::validate::Rejected>),
    /// An object to keep, under its key.
    Kept { key: ObjectKey, object: stored::StoredObject },
}

impl PreparedObject {
    /// Prepares `resource`. A namespaced object without a namespace goes to
    /// `default`, as `kubectl apply` would put it; a Secret loses its values.
    pub fn new(resource: Resource, origin: Origin) -> PreparedObject {
        let mut resource = resource;
        strip_secret_data(&mut resource);
        if let Resource::ConfigMap(config_map) = &resource {
            let meta = &config_map.metadata;
            if !config_map_is_read(meta.namespace.as_deref(), meta.name.as_deref()) {
                return PreparedObject(Prepared::Unread(stored::StoredObject::new(resource, origin)));
            }
        }
        let namespaced = resource.is_namespaced();
        let kind = resource.kind();
        let meta = resource.metadata_mut();
        if namespaced && meta.namespace.as_deref().is_none_or(str::is_empty) {
            meta.namespace = Some("default".to_owned());
        }
        if !namespaced {
            meta.namespace = None;
        }
        let key = ObjectKey {
            kind,
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        };
        // The API server would refuse it: it never exists (and an earlier
        // definition of the same object stays).
        let violations = crate::model::validate::validate(&resource);
        if !violations.is_empty() {
            let object = Object { value: resource, origin };
            return PreparedObject(Prepared::Rejected(Box::new(crate::model::validate::Rejected {
                object,
                violations,
            })));
        }
        PreparedObject(Prepared::Kept { key, object: stored::StoredObject::new(resource, origin) })
    }

    /// The object and its origin back, as prepared (for a sink that keeps
    /// objects rather than building a cluster).
    pub fn into_parts(self) -> (Resource, Origin) {
        let object = match self.0 {
            Prepared::Unread(object) | Prepared::Kept { object, .. } => object.into_object(),
            Prepared::Rejected(rejected) => rejected.object,
        };
        (object.value, object.origin)
    }
}

impl ClusterBuilder {
    /// An empty builder.
    pub fn new() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// Sets the cluster domain, overriding the CoreDNS ConfigMap (`--cluster-domain`).
    pub fn cluster_domain(&mut self, domain: &str) -> &mut ClusterBuilder {
        self.cluster_domain = Some(domain.trim_end_matches('.').to_owned());
        self
    }

    /// Adds an object. A namespaced object without a namespace goes to
    /// `default`, as `kubectl apply` would put it. An object with the same
    /// kind, namespace and name as an earlier one replaces it, with a warning.
    pub fn add(&mut self, resource: Resource, origin: Origin) -> &mut ClusterBuilder {
        self.add_prepared(PreparedObject::new(resource, origin))
    }

    /// [`ClusterBuilder::add`] of an object already prepared (on a parsing
    /// thread): only the index and the duplicate check are left.
    pub fn add_prepared(&mut self, object: PreparedObject) -> &mut ClusterBuilder {
        let (key, object) = match object.0 {
            Prepared::Unread(_) => {
                self.skip("ConfigMap");
                return self;
            }
            Prepared::Rejected(rejected) => {
                self.rejected.push(*rejected);
                return self;
            }
            Prepared::Kept { key, object } => (key, object),
        };
        if let Some(&position) = self.index.get(&key) {
            let previous = self.objects[position].as_ref().expect("indexed objects are present");
            let what = if key.namespace.is_empty() {
                format!("{} `{}`", key.kind, key.name)
            } else {
                format!("{} `{}/{}`", key.kind, key.namespace, key.name)
            };
            self.diagnostics.push(Diagnostic::warning(
                object.origin.location(),
                format!(
                    "duplicate {what}: this definition replaces the one at {}",
                    previous.origin.location()
                ),
            ));
            self.objects[position] = Some(object);
            return self;
        }
        self.index.insert(key, self.objects.len());
        self.objects.push(Some(object));
        self
    }

    /// Counts an object of a kind the model does not use.
    pub fn skip(&mut self, kind: &str) -> &mut ClusterBuilder {
        *self.skipped_kinds.entry(kind.to_owned()).or_default() += 1;
        self
    }

    /// Counts an object of a kind the model does not use, and keeps it
    /// aside when its kind does not exist in its API group (a typo).
    /// `name` is `metadata.name` (`namespace`, `metadata.namespace`).
    pub fn skip_object(&mut self, kind: &str, api_version: &str, name: (Option<&str>, &str), origin: Origin) {
        self.skip(kind);
        if let Some(close) = crate::api_kinds::unknown(kind, api_version) {
            self.unknown_kinds.push(crate::api_kinds::UnknownKind {
                kind: kind.to_owned(),
                api_version: api_version.to_owned(),
                namespace: name.0.map(str::to_owned),
                name: name.1.to_owned(),
                close,
                origin,
            });
        }
    }

    /// Nothing was read: no object, not even one of a kind the model skips.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.skipped_kinds.is_empty() && self.rejected.is_empty()
    }

    /// Keeps the hosts an object of a kind the model does not use claims
    /// (counted as skipped too), for traces to name it.
    pub fn unmodelled_route(&mut self, route: UnmodelledRoute, origin: Origin) -> &mut ClusterBuilder {
        self.skip(route.plain_kind());
        self.unmodelled_routes.push(Object { value: route, origin });
        self
    }

    /// Records a problem found while reading the input.
    pub fn diagnostic(&mut self, diagnostic: Diagnostic) -> &mut ClusterBuilder {
        self.diagnostics.push(diagnostic);
        self
    }

    /// Builds the model.
    pub fn build(self) -> Cluster {
        let mut cluster = Cluster {
            skipped_kinds: self.skipped_kinds,
            unknown_kinds: self.unknown_kinds,
            diagnostics: self.diagnostics,
            unmodelled_routes: self.unmodelled_routes,
            rejected: self.rejected,
            ..Cluster::default()
        };
        let mut k8s_pods = Vec::new();
        reserve_by_kind(&self.index, &mut cluster, &mut k8s_pods);
        let mut objects = self.objects;
        for position in self.index.into_values() {
            let Some(object) = objects[position].take() else { continue };
            let Object { value, origin } = object.into_object();
            match value {
                Resource::Namespace(ns) => {
                    let name = ns.metadata.name.clone().unwrap_or_default();
                    let mut labels = ns.metadata.labels.clone().unwrap_or_default();
                    labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
                    let annotations = ns.metadata.annotations.clone().unwrap_or_default();
                    let namespace =
                        Namespace { name: name.clone(), labels, annotations, origin: Some(origin) };
                    cluster.namespaces.insert(name, namespace);
                }
                Resource::Node(node) => cluster.nodes.push(Object { value: node, origin }),
                Resource::Pod(pod) => k8s_pods.push(Object { value: pod, origin }),
                Resource::Service(mut service) => {
                    default_service(&mut service);
                    cluster.services.push(Object { value: service, origin });
                }
                Resource::Endpoints(e) => cluster.endpoints.push(Object { value: e, origin }),
                Resource::EndpointSlice(e) => cluster.endpoint_slices.push(Object { value: e, origin }),
                Resource::Ingress(ingress) => {
                    check_ingress(&ingress, &origin, &mut cluster.diagnostics);
                    cluster.ingresses.push(Object { value: ingress, origin });
                }
                Resource::IngressClass(c) => cluster.ingress_classes.push(Object { value: c, origin }),
                Resource::Route(r) => cluster.routes.push(Object { value: r, origin }),
                Resource::GatewayApi(o) => cluster.gateway_api.add(o, origin),
                Resource::Cilium(o) => cluster.cilium_policies.push(Object { value: o, origin }),
                Resource::Calico(o) => cluster.calico_objects.push(Object { value: o, origin }),
                Resource::NetworkPolicy(mut policy) => {
                    default_network_policy(&mut policy);
                    cluster.network_policies.push(Object { value: policy, origin });
                }
                Resource::AdminNetworkPolicy(p) => {
                    cluster.admin_network_policies.push(Object { value: p, origin })
                }
                Resource::BaselineAdminNetworkPolicy(p) => {
                    cluster.baseline_admin_network_policies.push(Object { value: p, origin })
                }
                Resource::Secret(s) => cluster.secrets.push(Object { value: s, origin }),
                Resource::ConfigMap(c) => cluster.coredns_config = Some(Object { value: c, origin }),
                workload => cluster.workloads.extend(lower_workload(workload, origin)),
            }
        }
        cluster.admin_network_policies.sort_by(|a, b| {
            (a.value.spec.priority, &a.value.metadata.name)
                .cmp(&(b.value.spec.priority, &b.value.metadata.name))
        });
        cluster.cluster_domain = self
            .cluster_domain
            .or_else(|| cluster.coredns_config.as_ref().and_then(|c| corefile_cluster_domain(&c.value)))
            .unwrap_or_else(|| DEFAULT_CLUSTER_DOMAIN.to_owned());
        link_workload_owners(&mut cluster.workloads);
        let pods = lower_pods(&cluster.workloads, k8s_pods);
        cluster.pods = pods;
        add_implicit_namespaces(&mut cluster);
        for (index, pod) in cluster.pods.iter().enumerate() {
            cluster.pods_by_namespace.entry(pod.namespace.clone()).or_default().push(PodId(index as u32));
        }
        cluster.diagnostics.sort();
        cluster
    }
}

/// Reserves the cluster's lists at the number of objects of their kinds:
/// grown by doubling instead, each would be up to twice its size (a
/// 100,000-pod cluster's workloads, Services and NetworkPolicies about
/// 30 MB more at the peak) and copied at each step.
fn reserve_by_kind(
    index: &BTreeMap<ObjectKey, usize>,
    cluster: &mut Cluster,
    pods: &mut Vec<Object<K8sPod>>,
) {
    let (mut services, mut policies, mut workloads, mut k8s_pods) = (0, 0, 0, 0);
    for key in index.keys() {
        match key.kind {
            "Service" => services += 1,
            "NetworkPolicy" => policies += 1,
            "Pod" => k8s_pods += 1,
            kind if WorkloadKind::from_kind(kind).is_some() => workloads += 1,
            _ => {}
        }
    }
    cluster.services.reserve_exact(services);
    cluster.network_policies.reserve_exact(policies);
    cluster.workloads.reserve_exact(workloads);
    pods.reserve_exact(k8s_pods);
}

fn strip_secret_data(resource: &mut Resource) {
    if let Resource::Secret(secret) = resource {
        // Secret values are never kept: only metadata and type are needed.
        secret.data = None;
        secret.string_data = None;
        if let Some(annotations) = &mut secret.metadata.annotations {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
}

/// Service defaults the API server applies: `type: ClusterIP`, port
/// `protocol: TCP`, `targetPort` = `port`
/// (<https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/>).
fn default_service(service: &mut Service) {
    let spec = service.spec.get_or_insert_with(Default::default);
    if spec.type_.as_deref().is_none_or(str::is_empty) {
        spec.type_ = Some("ClusterIP".to_owned());
    }
    if spec.type_.as_deref() == Some("ExternalName") {
        return;
    }
    for port in spec.ports.iter_mut().flatten() {
        if port.protocol.as_deref().is_none_or(str::is_empty) {
            port.protocol = Some("TCP".to_owned());
        }
        if port.target_port.is_none() {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
}

/// NetworkPolicy defaults: port protocol TCP, and `policyTypes` `[Ingress]`
/// plus `Egress` when the policy has egress rules
/// (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>,
/// `pkg/apis/networking/v1/defaults.go`: `len(spec.Egress) != 0`).
fn default_network_policy(policy: &mut NetworkPolicy) {
    let spec = policy.spec.get_or_insert_with(Default::default);
    if spec.policy_types.as_ref().is_none_or(Vec::is_empty) {
        let mut types = vec!["Ingress".to_owned()];
        if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
            types.push("Egress".to_owned());
        }
        spec.policy_types = Some(types);
    }
    let ports = spec
        .ingress
        .iter_mut()
        .flatten()
        .flat_map(|r| r.ports.iter_mut().flatten())
        .chain(spec.egress.iter_mut().flatten().flat_map(|r| r.ports.iter_mut().flatten()));
    for port in ports {
        if port.protocol.as_deref().is_none_or(str::is_empty) {
            port.protocol = Some("TCP".to_owned());
        }
    }
}

fn check_ingress(ingress: &Ingress, origin: &Origin, diagnostics: &mut Vec<Diagnostic>) {
    let rules = ingress.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
    for (r, rule) in rules {
        for (p, path) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
            if path.path_type.is_empty() {
                diagnostics.push(Diagnostic::warning(
                    origin.field_location(&format!("spec.rules[{r}].http.paths[{p}]")),
                    "`pathType` is required in networking.k8s.io/v1 Ingress paths: treated as `ImplementationSpecific`",
                ));
            }
        }
    }
}

/// The zone of the `kubernetes` plugin in a CoreDNS Corefile
/// (`kubernetes cluster.local in-addr.arpa ip6.arpa`).
/// Whether the model reads the ConfigMap `namespace/name`: only CoreDNS's
/// `kube-system/coredns` (its Corefile), every other is left out, as a
/// snapshot leaves it out.
pub fn config_map_is_read(namespace: Option<&str>, name: Option<&str>) -> bool {
    namespace == Some("kube-system") && name == Some("coredns")
}

fn corefile_cluster_domain(config_map: &ConfigMap) -> Option<String> {
    let corefile = config_map.data.as_ref()?.get("Corefile")?;
    corefile.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "kubernetes" {
            return None;
        }
        words
            .find(|zone| !zone.ends_with(".arpa") && !zone.ends_with(".arpa.") && *zone != "{")
            .map(|zone| zone.trim_end_matches('.').to_owned())
    })
}

fn lower_workload(mut resource: Resource, origin: Origin) -> Option<Workload> {
    let kind = WorkloadKind::from_kind(resource.kind())?;
    let meta = std::mem::take(resource.metadata_mut());
    let stateful = match &resource {
        Resource::StatefulSet(s) => s.spec.as_ref().map(|spec| StatefulIdentity {
            service_name: spec.service_name.clone().unwrap_or_default(),
            first_ordinal: spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0).max(0),
        }),
        _ => None,
    };
    let (replicas, selector, template) = match resource {
        Resource::Deployment(d) => {
            let spec = d.spec.unwrap_or_default();
            (Some(spec.replicas.unwrap_or(1)), Some(spec.selector), spec.template)
        }
        Resource::StatefulSet(s) => {
            let spec = s.spec.unwrap_or_default();
            (Some(spec.replicas.unwrap_or(1)), Some(spec.selector), spec.template)
        }
        Resource::DaemonSet(d) => {
            let spec = d.spec.unwrap_or_default();
            (None, Some(spec.selector), spec.template)
        }
        Resource::ReplicaSet(r) => {
            let spec = r.spec.unwrap_or_default();
            (Some(spec.replicas.unwrap_or(1)), Some(spec.selector), spec.template.unwrap_or_default())
        }
        Resource::ReplicationController(r) => {
            let spec = r.spec.unwrap_or_default();
            let template = spec.template.unwrap_or_default();
            // An RC without a selector defaults it to the template's labels.
            let selector = spec
                .selector
                .or_else(|| template.metadata.as_ref().and_then(|m| m.labels.clone()))
                .map(|labels| LabelSelector { match_labels: Some(labels), ..Default::default() });
            (Some(spec.replicas.unwrap_or(1)), selector, template)
        }
        Resource::Job(j) => {
            let spec = j.spec.unwrap_or_default();
            // A finished Job (condition `Complete` or `Failed`, as the Job
            // controller sets them) runs no pod any more.
            let finished = j
                .status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .any(|c| matches!(c.type_.as_str(), "Complete" | "Failed") && c.status == "True");
            (Some(if finished { 0 } else { spec.parallelism.unwrap_or(1) }), spec.selector, spec.template)
        }
        Resource::CronJob(c) => {
            let spec = c.spec.unwrap_or_default();
            let job = spec.job_template.spec.unwrap_or_default();
            (None, job.selector, job.template)
        }
        _ => return None,
    };
    Some(Workload {
        kind,
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        metadata: meta,
        replicas,
        selector,
        template: template.into(),
        owner: None,
        stateful,
        origin,
    })
}

/// Links ReplicaSet → Deployment and Job → CronJob through `ownerReferences`.
fn link_workload_owners(workloads: &mut [Workload]) {
    let index: BTreeMap<(WorkloadKind, &str, &str), WorkloadId> = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.kind, w.namespace.as_str(), w.name.as_str()), WorkloadId(i as u32)))
        .collect();
    let owners: Vec<Option<WorkloadId>> = workloads
        .iter()
        .map(|w| {
            owner_references(Some(&w.metadata)).find_map(|(kind, name)| {
                let kind = WorkloadKind::from_kind(kind)?;
                index.get(&(kind, w.namespace.as_str(), name)).copied()
            })
        })
        .collect();
    for (workload, owner) in workloads.iter_mut().zip(owners) {
        workload.owner = owner;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(namespace: Option<&str>, name: &str) -> Resource {
        let mut policy = NetworkPolicy::default();
        policy.metadata.name = Some(name.to_owned());
        policy.metadata.namespace = namespace.map(str::to_owned);
        policy.spec = Some(Default::default());
        Resource::NetworkPolicy(policy)
    }

    /// Preparing on another thread and adding later builds what `add` builds.
    #[test]
    fn a_prepared_object_builds_as_an_added_one() {
        let origin = |line| Origin { line, ..Origin::default() };
        let objects = [(policy(None, "a"), 1), (policy(Some("x"), "b"), 2), (policy(None, "a"), 3)];
        let mut added = ClusterBuilder::new();
        let mut prepared = ClusterBuilder::new();
        for (resource, line) in objects {
            added.add(resource.clone(), origin(line));
            prepared.add_prepared(PreparedObject::new(resource, origin(line)));
        }
        let (added, prepared) = (added.build(), prepared.build());
        assert_eq!(added.network_policies(), prepared.network_policies());
        assert_eq!(added.diagnostics(), prepared.diagnostics());
        assert_eq!(prepared.diagnostics().len(), 1, "the second `default/a` replaces the first");
    }

    /// A sink that keeps objects gets them back as prepared: defaulted.
    #[test]
    fn into_parts_gives_the_prepared_object() {
        let (resource, origin) = PreparedObject::new(policy(None, "a"), Origin::default()).into_parts();
        assert_eq!(resource.metadata().namespace.as_deref(), Some("default"));
        assert_eq!((resource.kind(), origin), ("NetworkPolicy", Origin::default()));
    }
}
