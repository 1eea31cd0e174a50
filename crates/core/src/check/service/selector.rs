//! The rule about a Service's selector that matches no pod, with the near
//! misses that explain why.

use std::collections::{BTreeMap, BTreeSet};

use super::{display_map, workload_name};
use crate::check::similar::{near_misses, NearMiss};
use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::labels::map_selector_matches;
use crate::model::Cluster;
use crate::service::{selector, service_kind, ServiceKind, ServiceRef};

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
}
