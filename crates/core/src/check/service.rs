//! Rules about Services: selectors, endpoints, ports and exposure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;

use crate::check::similar::{near_misses, NearMiss};
use crate::check::{declare_rule, list, plural, Context, Emitter, Severity, Subject};
use crate::dns::{lookup, Answer, QueryType};
use crate::endpoints::{service_endpoints, EndpointExclusion};
use crate::exposure::{load_balancer_reach, LoadBalancerReach};
use crate::labels::map_selector_matches;
use crate::model::{Cluster, Pod, PodId};
use crate::service::{
    external_ips, external_traffic_policy, resolve_target_port, selector, service_kind, service_ports,
    service_problems, target_port, PortRef, ServiceKind, ServicePortKey, ServiceProblem, ServiceRef,
    TrafficPolicy,
};

declare_rule! {
    /// ## What it does
    /// Finds Services whose `selector` matches no pod in their namespace,
    /// and points at near misses: pods whose labels differ by a typo in a
    /// key or a value, pods that match every label but one, and pods that
    /// match in another namespace.
    ///
    /// ## Why does this break traffic?
    /// A Service sends traffic to the pods its selector matches, in its own
    /// namespace only. With no match, the EndpointSlice controller publishes
    /// no endpoint: connections to the Service's cluster IP are refused (or
    /// time out), and DNS for a headless Service returns no address.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: prometheus
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: prometheus
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: prometheus
    ///     spec:
    ///       containers:
    ///         - name: prometheus
    ///           image: quay.io/prometheus/prometheus:v2.54.1
    ///           ports:
    ///             - name: web
    ///               containerPort: 9090
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: metrics
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     app: prometheus-server
    ///   ports:
    ///     - port: 9090
    ///       targetPort: web
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: prometheus
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: prometheus
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: prometheus
    ///     spec:
    ///       containers:
    ///         - name: prometheus
    ///           image: quay.io/prometheus/prometheus:v2.54.1
    ///           ports:
    ///             - name: web
    ///               containerPort: 9090
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: metrics
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     app: prometheus
    ///   ports:
    ///     - port: 9090
    ///       targetPort: web
    /// ```
    ///
    /// ## Known problems
    /// Pods that an operator creates from a custom resource (a `Prometheus`,
    /// a `Kafka` cluster) are not in manifests, only in a dump of a running
    /// cluster: such a Service is reported when its namespace has other
    /// pods. When the namespace has no pod at all in the input, the rule
    /// reports the Service only if pods of another namespace match it (a
    /// Service created in the wrong namespace), since the input may simply
    /// not hold the pods.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpoints>
    pub struct ServiceNoMatchingPods {
        code: "KR101",
        name: "service-no-matching-pods",
        severity: Error,
        summary: "Services whose selector matches no pod",
        check: service_no_matching_pods,
    }
}

fn service_no_matching_pods(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for service in cluster.services() {
        let value = &service.value;
        if service_kind(value).is_none_or(|k| k == ServiceKind::ExternalName) {
            continue;
        }
        let Some(wanted) = selector(value) else { continue };
        if !cluster.pods_selected_by_service(value).is_empty() {
            continue;
        }
        let namespace = ServiceRef::of(value).namespace;
        let shown = display_map(wanted);
        let subject = Subject::object("Service", &value.metadata, service);
        let pods = cluster.pods_in(&namespace);
        let misses = near_misses(cluster, pods, wanted);
        let elsewhere = matching_elsewhere(cluster, &namespace, wanted);
        let fix = if let Some(miss) = misses.first() {
            miss.fix("selector")
        } else if let Some((other, workload)) = elsewhere.first() {
            format!(
                "pods of `{workload}` in namespace `{other}` match, but a Service selects pods of its own \
                 namespace only: create the Service in `{other}`, or run the pods in `{namespace}`"
            )
        } else {
            format!("label the pods meant to serve it `{shown}` in their template, or change the selector to labels they have")
        };
        // Without any pod of the namespace in the input, only pods matching
        // in another namespace say that something is wrong.
        if pods.is_empty() && elsewhere.is_empty() {
            continue;
        }
        out.emit(
            &subject,
            "spec.selector",
            format!("selector `{shown}` matches no pod in namespace `{namespace}`"),
            fix,
        );
    }
}

/// Workloads of other namespaces whose pods `selector` matches, as
/// `(namespace, Kind/name)`, sorted.
fn matching_elsewhere(
    cluster: &Cluster,
    namespace: &str,
    wanted: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let found: BTreeSet<(String, String)> = cluster
        .pods()
        .iter()
        .filter(|pod| pod.namespace != namespace && map_selector_matches(wanted, &pod.labels))
        .map(|pod| (pod.namespace.clone(), workload_name(cluster, pod)))
        .collect();
    found.into_iter().collect()
}

/// `Kind/name` of what `pod` stands for.
pub(crate) fn workload_name(cluster: &Cluster, pod: &Pod) -> String {
    let workload = cluster.workload_ref(pod);
    format!("{}/{}", workload.kind, workload.name)
}

/// `Kind/name` of each pod's workload, deduplicated and sorted.
pub(crate) fn workload_names(cluster: &Cluster, pods: &[PodId]) -> Vec<String> {
    let names: BTreeSet<String> = pods.iter().map(|id| workload_name(cluster, cluster.pod(*id))).collect();
    names.into_iter().collect()
}

/// A map selector as `k=v,k2=v2`.
pub(crate) fn display_map(selector: &BTreeMap<String, String>) -> String {
    selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

declare_rule! {
    /// ## What it does
    /// Finds Services whose selector matches pods, none of which is ready,
    /// when the input says so: pods from a dump of a running cluster (or
    /// EndpointSlices) with their status. Each pod is listed with why it is
    /// not ready (`CrashLoopBackOff`, a failing readiness probe, terminating).
    ///
    /// ## Why does this break traffic?
    /// kube-proxy sends Service traffic to ready endpoints only (falling back
    /// to terminating ones that still serve). A pod whose readiness probe
    /// fails, or whose containers are not running, is published as not
    /// ready: with none ready, connections to the Service fail, and DNS for
    /// a headless Service returns no address.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api-7c9d8b5f4-x2x9q
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: ghcr.io/example/api:1.4.0
    ///       ports:
    ///         - name: http
    ///           containerPort: 8080
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.1.17
    ///   conditions:
    ///     - type: Ready
    ///       status: "False"
    ///   containerStatuses:
    ///     - name: api
    ///       image: ghcr.io/example/api:1.4.0
    ///       imageID: ""
    ///       ready: false
    ///       restartCount: 7
    ///       state:
    ///         waiting:
    ///           reason: CrashLoopBackOff
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ```
    ///
    /// Use instead (the pod starts and passes its readiness probe):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api-7c9d8b5f4-x2x9q
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: ghcr.io/example/api:1.4.1
    ///       ports:
    ///         - name: http
    ///           containerPort: 8080
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.1.17
    ///   conditions:
    ///     - type: Ready
    ///       status: "True"
    ///   containerStatuses:
    ///     - name: api
    ///       image: ghcr.io/example/api:1.4.1
    ///       imageID: ""
    ///       ready: true
    ///       restartCount: 0
    ///       state:
    ///         running: {}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ```
    ///
    /// ## Known problems
    /// Manifests have no status: their pods are assumed ready, and the rule
    /// says nothing about them. A dump is a snapshot: pods that were starting
    /// when it was taken show as not ready.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions>
    /// - <https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpoints>
    pub struct ServiceNoReadyEndpoints {
        code: "KR102",
        name: "service-no-ready-endpoints",
        severity: Error,
        summary: "Services whose selected pods are all not ready",
        check: service_no_ready_endpoints,
    }
}

fn service_no_ready_endpoints(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for service in cluster.services() {
        let value = &service.value;
        if service_kind(value).is_none_or(|k| k == ServiceKind::ExternalName) || selector(value).is_none() {
            continue;
        }
        let selected = cluster.pods_selected_by_service(value);
        let known = |id: &PodId| known_not_ready(cluster.pod(*id));
        if selected.is_empty() || !selected.iter().all(known) {
            continue;
        }
        let endpoints = service_endpoints(cluster, value);
        if endpoints.ready().next().is_some() {
            continue;
        }
        let mut reasons: Vec<String> = selected
            .iter()
            .map(|id| {
                let pod = cluster.pod(*id);
                let excluded = endpoints.excluded.iter().find(|e| e.pod == *id).map(|e| &e.reason);
                format!("{} ({})", pod.name, not_ready_reason(pod, excluded))
            })
            .collect();
        reasons.sort();
        let subject = Subject::object("Service", &value.metadata, service);
        let what = if selected.len() == 1 {
            "the pod it selects is not ready".to_owned()
        } else {
            format!("none of the {} pods it selects is ready", selected.len())
        };
        out.emit(
            &subject,
            "spec.selector",
            format!("{what}: {}", list(&reasons, 5)),
            "find why the pods are not ready: `kubectl describe pod` shows the containers' state and the \
             readiness probe's last failure"
                .to_owned(),
        );
    }
}

/// Whether the input shows that `pod` is not ready: it is terminating or
/// finished, pending, or its `Ready` condition is written and not true. A
/// status without conditions (trimmed test data) says nothing.
fn known_not_ready(pod: &Pod) -> bool {
    let Some(status) = pod.status.as_ref().filter(|_| !pod.is_representative()) else { return false };
    pod.terminating
        || matches!(status.phase.as_deref(), Some("Pending" | "Succeeded" | "Failed"))
        || status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status != "True")
}

/// Why `pod` is not ready, in a few words.
fn not_ready_reason(pod: &Pod, excluded: Option<&EndpointExclusion>) -> String {
    if pod.terminating {
        return "terminating".to_owned();
    }
    let status = pod.status.as_ref();
    if let Some(phase) =
        status.and_then(|s| s.phase.as_deref()).filter(|p| matches!(*p, "Pending" | "Succeeded" | "Failed"))
    {
        return phase.to_lowercase();
    }
    let waiting = status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    if let Some(reason) = waiting {
        return reason;
    }
    match excluded {
        Some(EndpointExclusion::NoAddress) => "no IP address yet".to_owned(),
        _ => "readiness probe failing".to_owned(),
    }
}

declare_rule! {
    /// ## What it does
    /// Finds Service ports whose `targetPort` is a name that a selected pod
    /// does not declare as a container port with the Service port's
    /// protocol, per pod. It is an error when no selected pod declares it,
    /// a warning when only some do.
    ///
    /// ## Why does this break traffic?
    /// A named `targetPort` is resolved per pod, among its containers'
    /// `ports[].name` with the same protocol. A pod without it is not an
    /// endpoint for that Service port: when no pod has it, the port has no
    /// endpoint at all and connections to it are refused.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: web
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ```
    ///
    /// ## Known problems
    /// A Service that deliberately selects different kinds of pods, only some
    /// of which serve a port, gets a warning for the others. Pods with
    /// `restartPolicy: Never` or `OnFailure` (Helm test hooks, the pods of
    /// Jobs) are not taken for servers and are left out.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec>
    pub struct ServiceTargetPortNotFound {
        code: "KR103",
        name: "service-target-port-not-found",
        severity: Error,
        summary: "named `targetPort`s that selected pods do not declare",
        check: service_target_port_not_found,
    }
}

fn service_target_port_not_found(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for service in cluster.services() {
        let value = &service.value;
        if service_kind(value).is_none_or(|k| k == ServiceKind::ExternalName) {
            continue;
        }
        // Run-to-completion pods (Helm test hooks, Jobs' pods) that a
        // Service happens to select are not its servers.
        let selected: Vec<PodId> = cluster
            .pods_selected_by_service(value)
            .into_iter()
            .filter(|id| {
                let policy = cluster.pod(*id).spec.restart_policy.as_deref();
                !matches!(policy, Some("Never" | "OnFailure"))
            })
            .collect();
        if selected.is_empty() {
            continue;
        }
        for (index, port) in service_ports(value).iter().enumerate() {
            let PortRef::Name(name) = target_port(port) else { continue };
            let missing: Vec<PodId> = selected
                .iter()
                .copied()
                .filter(|id| resolve_target_port(port, cluster.pod(*id)).is_err())
                .collect();
            let Some(first) = missing.first() else { continue };
            let key = ServicePortKey::of(port);
            let workloads = workload_names(cluster, &missing);
            let all = missing.len() == selected.len();
            let pod = cluster.pod(*first);
            let hint = port_hint(pod, &name, key.protocol.as_str());
            let declared = declared_ports(pod, key.protocol.as_str());
            let instead = match declared.as_slice() {
                [] => String::new(),
                ports => format!(" (they declare {})", list(ports, 4)),
            };
            let message = format!(
                "`targetPort: {name}` of port {} is not a {} container port of {}{}",
                port_label(&key),
                key.protocol,
                list(&workloads, 3),
                if all { String::new() } else { format!(" ({} of the selected pods)", missing.len()) },
            );
            let fix = match hint {
                Some(hint) => format!("{hint}: rename one to match the other"),
                None => format!(
                    "name the container port `{name}` in the pod template, or set `targetPort` to a port the pods declare{instead}"
                ),
            };
            let subject = Subject::object("Service", &value.metadata, service);
            let path = format!("spec.ports[{index}].targetPort");
            let severity = if all { Severity::Error } else { Severity::Warning };
            out.emit_with(severity, &subject, &path, message, fix);
        }
    }
}

/// `` `http` (80/TCP) `` or `80/TCP`.
fn port_label(key: &ServicePortKey) -> String {
    match &key.name {
        Some(name) => format!("`{name}` ({}/{})", key.port, key.protocol),
        None => format!("{}/{}", key.port, key.protocol),
    }
}

/// A near miss for the container port name `name`: the same name with
/// another protocol, or a similar name.
fn port_hint(pod: &Pod, name: &str, protocol: &str) -> Option<String> {
    let ports: Vec<_> = pod.container_ports().collect();
    if let Some(other) = ports.iter().find(|p| p.name.as_deref() == Some(name)) {
        return Some(format!(
            "the pods declare `{name}` as {}, the Service port is {protocol}",
            other.protocol
        ));
    }
    ports
        .iter()
        .filter(|p| p.protocol == protocol)
        .filter_map(|p| p.name.as_deref())
        .find(|candidate| crate::check::similar::similar(candidate, name))
        .map(|candidate| format!("the pods declare `{candidate}`, the Service asks for `{name}`"))
}

/// `name` = number of the pod's named container ports with `protocol`.
fn declared_ports(pod: &Pod, protocol: &str) -> Vec<String> {
    let ports: BTreeSet<String> = pod
        .container_ports()
        .filter(|p| p.protocol == protocol)
        .map(|p| match p.name {
            Some(name) => format!("{name}={}", p.port),
            None => p.port.to_string(),
        })
        .collect();
    ports.into_iter().collect()
}

/// The index of the port with identity `key` in `service`.
fn port_index(service: &Service, key: &ServicePortKey) -> Option<usize> {
    service_ports(service).iter().position(|p| ServicePortKey::of(p) == *key)
}

declare_rule! {
    /// ## What it does
    /// Finds Services with more than one port where a port has no `name`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects such a Service (`spec.ports[1].name: Required
    /// value`): `kubectl apply` fails, and the Service, or its change, never
    /// exists. Port names also name the ports of EndpointSlices and the DNS
    /// SRV records (`_http._tcp.api.shop.svc`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - port: 80
    ///       targetPort: 8080
    ///     - port: 9090
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: 8080
    ///     - name: metrics
    ///       port: 9090
    /// ```
    ///
    /// ## Known problems
    /// None known.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#multi-port-services>
    pub struct ServicePortNameRequired {
        code: "KR104",
        name: "service-port-name-required",
        severity: Error,
        summary: "unnamed ports on Services with several ports",
        check: service_port_name_required,
    }
}

fn service_port_name_required(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for service in ctx.cluster.services() {
        let value = &service.value;
        let count = service_ports(value).len();
        for problem in service_problems(value) {
            let ServiceProblem::UnnamedPort { port } = problem else { continue };
            let index = port_index(value, &port).unwrap_or_default();
            out.emit(
                &Subject::object("Service", &value.metadata, service),
                &format!("spec.ports[{index}]"),
                format!(
                    "port {}/{} has no `name`, which the API server requires when a Service has {} ports",
                    port.port, port.protocol, count
                ),
                "name every port of the Service (`name: http`, `name: metrics`, …)".to_owned(),
            );
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Finds `NodePort` and `LoadBalancer` Services whose `nodePort` is
    /// outside the API server's default node port range, 30000–32767.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the Service (`provided port is not in the
    /// valid range`): it is never created, and nothing listens on the port.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: NodePort
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: NodePort
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 30080
    /// ```
    ///
    /// ## Known problems
    /// A cluster whose API server runs with another
    /// `--service-node-port-range` accepts other ports; the rule assumes the
    /// default. Disable it, or suppress it on the Service, for such clusters.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport>
    /// - <https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/> (`--service-node-port-range`)
    pub struct NodeportOutOfRange {
        code: "KR105",
        name: "nodeport-out-of-range",
        severity: Error,
        summary: "`nodePort`s outside 30000-32767",
        check: super::rejected::nodeport_out_of_range,
    }
}

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

declare_rule! {
    /// ## What it does
    /// Finds `LoadBalancer` Services of a running cluster (the input has
    /// their `status`, and the nodes) that have no external address while
    /// nothing in the cluster provisions one: no cloud provider in the
    /// nodes' `spec.providerID`, and no in-cluster implementation (MetalLB,
    /// kube-vip, K3s' ServiceLB, OpenELB, PureLB, LoxiLB, …).
    ///
    /// ## Why does this break traffic?
    /// A `LoadBalancer` Service gets its external address from a
    /// provisioner. Without one, `status.loadBalancer` stays empty forever
    /// (`EXTERNAL-IP <pending>`): clients outside the cluster have no address
    /// to connect to. The Service still works as a `NodePort` Service.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-1
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: LoadBalancer
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 31080
    /// status:
    ///   loadBalancer: {}
    /// ```
    ///
    /// Use instead (MetalLB installed, with an address pool):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-1
    /// ---
    /// apiVersion: metallb.io/v1beta1
    /// kind: IPAddressPool
    /// metadata:
    ///   name: public
    ///   namespace: metallb-system
    /// spec:
    ///   addresses:
    ///     - 192.0.2.100-192.0.2.120
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: LoadBalancer
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 31080
    /// status:
    ///   loadBalancer:
    ///     ingress:
    ///       - ip: 192.0.2.100
    /// ```
    ///
    /// ## Known problems
    /// Manifests have no status: the rule only looks at Services from a
    /// running cluster. An implementation the rule does not know, or a
    /// Service with `spec.loadBalancerClass` (handled by a specific
    /// implementation), is not reported.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-class>
    pub struct LoadbalancerPending {
        code: "KR107",
        name: "loadbalancer-pending",
        severity: Warning,
        summary: "`LoadBalancer` Services without address and without provisioner",
        check: loadbalancer_pending,
    }
}

fn loadbalancer_pending(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if cluster.nodes().is_empty() {
        return;
    }
    for service in cluster.services() {
        let value = &service.value;
        if value.spec.as_ref().and_then(|s| s.load_balancer_class.as_deref()).is_some_and(|c| !c.is_empty()) {
            continue;
        }
        // The trace's answer: a dump's empty status, and no provisioner.
        let Some(LoadBalancerReach::Pending { has_status: true, provisioners, .. }) =
            load_balancer_reach(cluster, value)
        else {
            continue;
        };
        if !provisioners.is_empty() {
            return;
        }
        out.emit(
            &Subject::object("Service", &value.metadata, service),
            "spec.type",
            "the `LoadBalancer` Service has no external address, and nothing in the cluster provisions one: no \
             cloud provider in the nodes' `providerID`, no load-balancer implementation running"
                .to_owned(),
            "install a load-balancer implementation (MetalLB, kube-vip, …) with an address pool, or expose the \
             Service as `NodePort` or through an Ingress"
                .to_owned(),
        );
    }
}

declare_rule! {
    /// ## What it does
    /// Finds Services with `externalTrafficPolicy: Local` that nodes receive
    /// traffic for directly (`NodePort` Services, and Services with
    /// `externalIPs`) where some nodes run no ready endpoint. It needs the
    /// nodes and the pods' nodes, as in a dump of a running cluster.
    ///
    /// ## Why does this break traffic?
    /// With `Local`, a node forwards external traffic only to endpoints on
    /// itself (to keep the client's source address). A node without one
    /// drops the connection: clients sent to that node's address time out,
    /// while clients of other nodes succeed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-1
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-2
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web-0
    ///   namespace: shop
    ///   labels:
    ///     app: web
    /// spec:
    ///   nodeName: worker-1
    ///   containers:
    ///     - name: web
    ///       image: nginx:1.27
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.1.5
    ///   conditions:
    ///     - type: Ready
    ///       status: "True"
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: NodePort
    ///   externalTrafficPolicy: Local
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 30080
    /// ```
    ///
    /// Use instead (or run an endpoint on every node, with a DaemonSet):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-1
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: worker-2
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web-0
    ///   namespace: shop
    ///   labels:
    ///     app: web
    /// spec:
    ///   nodeName: worker-1
    ///   containers:
    ///     - name: web
    ///       image: nginx:1.27
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.1.5
    ///   conditions:
    ///     - type: Ready
    ///       status: "True"
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   type: NodePort
    ///   externalTrafficPolicy: Cluster
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       nodePort: 30080
    /// ```
    ///
    /// ## Known problems
    /// `LoadBalancer` Services are not reported: load balancers health-check
    /// the nodes (`healthCheckNodePort`) and send traffic only to those with
    /// an endpoint, which is what `Local` is designed for. Manifests do not
    /// say where pods run, so the rule needs a dump.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy>
    /// - <https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip>
    pub struct ExternalTrafficLocalNoEndpoints {
        code: "KR108",
        name: "external-traffic-local-no-endpoints",
        severity: Warning,
        summary: "`externalTrafficPolicy: Local` Services with nodes that have no local endpoint",
        check: external_traffic_local_no_endpoints,
    }
}

fn external_traffic_local_no_endpoints(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let nodes: Vec<String> = cluster
        .nodes()
        .iter()
        .filter_map(|n| n.value.metadata.name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if nodes.is_empty() {
        return;
    }
    for service in cluster.services() {
        let value = &service.value;
        if external_traffic_policy(value) != TrafficPolicy::Local {
            continue;
        }
        let kind = service_kind(value);
        let direct = kind == Some(ServiceKind::NodePort)
            || (kind.is_some_and(ServiceKind::is_proxied) && !external_ips(value).is_empty());
        if !direct {
            continue;
        }
        let Some(port) = service_ports(value).first() else { continue };
        let endpoints = service_endpoints(cluster, value).for_port(cluster, port);
        let receiving: Vec<_> = endpoints.receiving().collect();
        if receiving.is_empty() || receiving.iter().any(|e| e.node_name.is_none()) {
            continue;
        }
        let lacking: Vec<String> = nodes
            .iter()
            .filter(|node| endpoints.on_node(node).receiving().next().is_none())
            .cloned()
            .collect();
        if lacking.is_empty() {
            continue;
        }
        let how = match (kind, port.node_port) {
            (Some(ServiceKind::NodePort), Some(node_port)) => format!("connections to node port {node_port}"),
            (Some(ServiceKind::NodePort), None) => "connections to the node port".to_owned(),
            _ => "connections to the external IPs".to_owned(),
        };
        out.emit(
            &Subject::object("Service", &value.metadata, service),
            "spec.externalTrafficPolicy",
            format!(
                "`externalTrafficPolicy: Local`, and {} of {} run no ready endpoint ({}): {how} arriving there are dropped",
                lacking.len(),
                plural(nodes.len(), "node", "nodes"),
                list(&lacking, 4)
            ),
            "send clients only to nodes with an endpoint (a load balancer that health-checks them), run an \
             endpoint on every node (a DaemonSet), or use `externalTrafficPolicy: Cluster` (which hides the \
             client's address)"
                .to_owned(),
        );
    }
}

impl NearMiss {
    /// How to fix a selector (`what`: `selector`, `podSelector`) given this near miss.
    pub(crate) fn fix(&self, what: &str) -> String {
        match self {
            NearMiss::Value { workload, key, wanted, found } => format!(
                "pods of `{workload}` have `{key}={found}`, not `{key}={wanted}`: change the {what} to \
                 `{key}: {found}`, or relabel the pods"
            ),
            NearMiss::Key { workload, wanted, found, value } => format!(
                "pods of `{workload}` have `{found}={value}`, not `{wanted}={value}`: fix the key in the {what} \
                 or in the pod template"
            ),
            NearMiss::Missing { workload, key, value } => format!(
                "pods of `{workload}` match every label but `{key}={value}`, which they lack: add it to their \
                 template, or drop it from the {what}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::check::testing::findings;

    #[test]
    fn near_misses_in_labels_and_namespaces() {
        let deployment = |ns: &str, labels: serde_json::Value| {
            json!({"kind": "Deployment", "metadata": {"name": "app", "namespace": ns},
                "spec": {"selector": {"matchLabels": labels.clone()}, "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c"}]}}}})
        };
        let service = |selector: serde_json::Value| {
            json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a"},
                "spec": {"selector": selector, "ports": [{"port": 80}]}})
        };
        assert_eq!(
            findings(
                "service-no-matching-pods",
                vec![deployment("a", json!({"app": "web", "tier": "front"})), service(json!({"app": "web", "tire": "front"}))]
            ),
            ["error Service a/s: selector `app=web,tire=front` matches no pod in namespace `a` | pods of \
              `Deployment/app` have `tier=front`, not `tire=front`: fix the key in the selector or in the pod template"]
        );
        assert_eq!(
            findings(
                "service-no-matching-pods",
                vec![deployment("a", json!({"app": "web"})), service(json!({"app": "web", "tier": "front"}))]
            ),
            ["error Service a/s: selector `app=web,tier=front` matches no pod in namespace `a` | pods of \
              `Deployment/app` match every label but `tier=front`, which they lack: add it to their template, or \
              drop it from the selector"]
        );
        assert_eq!(
            findings("service-no-matching-pods", vec![deployment("b", json!({"app": "db"})), service(json!({"app": "db"}))]),
            ["error Service a/s: selector `app=db` matches no pod in namespace `a` | pods of \
              `Deployment/app` in namespace `b` match, but a Service selects pods of its own namespace only: create \
              the Service in `b`, or run the pods in `a`"]
        );
        // An unrelated value of the only key is no near miss.
        let unrelated = findings(
            "service-no-matching-pods",
            vec![deployment("a", json!({"app": "cache"})), service(json!({"app": "web"}))],
        );
        assert!(unrelated[0].ends_with("change the selector to labels they have"), "{unrelated:?}");
    }

    #[test]
    fn target_ports_per_pod() {
        let pod = |name: &str, ports: serde_json::Value| {
            json!({"kind": "Pod", "metadata": {"name": name, "namespace": "a", "labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "ports": ports}]}})
        };
        let service = json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a"},
            "spec": {"selector": {"app": "x"}, "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}]}});
        assert_eq!(
            findings(
                "service-target-port-not-found",
                vec![pod("p1", json!([{"name": "dns", "containerPort": 53, "protocol": "TCP"}])), service.clone()]
            ),
            ["error Service a/s: `targetPort: dns` of port `dns` (53/UDP) is not a UDP container port of `Pod/p1` | \
              the pods declare `dns` as TCP, the Service port is UDP: rename one to match the other"]
        );
        assert_eq!(
            findings(
                "service-target-port-not-found",
                vec![
                    pod("p1", json!([{"name": "dns", "containerPort": 53, "protocol": "UDP"}])),
                    pod("p2", json!([{"name": "dnss", "containerPort": 53, "protocol": "UDP"}])),
                    service
                ]
            ),
            ["warning Service a/s: `targetPort: dns` of port `dns` (53/UDP) is not a UDP container port of `Pod/p2` \
              (1 of the selected pods) | the pods declare `dnss`, the Service asks for `dns`: rename one to match the \
              other"]
        );
    }

    #[test]
    fn load_balancer_provisioners() {
        let node = |provider: &str| json!({"kind": "Node", "metadata": {"name": "n"}, "spec": {"providerID": provider}});
        let service = json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}, "status": {"loadBalancer": {}}});
        let check = |objects: Vec<serde_json::Value>| findings("loadbalancer-pending", objects).len();
        assert_eq!(check(vec![node("kind://docker/kind/kind-control-plane"), service.clone()]), 1);
        assert_eq!(check(vec![node("aws:///eu-west-1a/i-0abc"), service.clone()]), 0);
        let metallb = json!({"kind": "Deployment", "metadata": {"name": "controller", "namespace": "metallb-system"},
            "spec": {"selector": {"matchLabels": {"app": "metallb"}}, "template": {"metadata": {"labels": {"app": "metallb"}},
            "spec": {"containers": [{"name": "c", "image": "quay.io/metallb/controller:v0.14.8"}]}}}});
        assert_eq!(check(vec![node(""), metallb, service.clone()]), 0);
        // Manifests without status, and inputs without nodes, say nothing.
        let mut manifest = service.clone();
        manifest.as_object_mut().unwrap().remove("status");
        assert_eq!(check(vec![node(""), manifest]), 0);
        assert_eq!(check(vec![service]), 0);
    }

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
