//! The rule about a Service whose selected pods are none of them ready.

use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::endpoints::{service_endpoints, EndpointExclusion};
use crate::model::{Pod, PodId};
use crate::service::{selector, service_kind, ServiceKind};

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
