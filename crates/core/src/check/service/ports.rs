//! Rules about Service ports: a `targetPort` the pods do not declare, a
//! name missing where several ports need one, a `nodePort` out of range.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Service;

use super::workload_names;
use crate::check::{declare_rule, list, Context, Emitter, Severity, Subject};
use crate::model::{Pod, PodId};
use crate::service::{
    resolve_target_port, service_kind, service_ports, service_problems, target_port, PortRef, ServiceKind,
    ServicePortKey, ServiceProblem,
};

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
                Some(hint) => hint,
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
        // `targetPort` resolves by name and protocol together: renaming
        // cannot help, the protocols must agree.
        return Some(format!(
            "the pods declare `{name}` as {0}, the Service port is {protocol}: set `protocol: {0}` on the \
             Service port, or declare `{name}` as {protocol} in the pod template",
            other.protocol
        ));
    }
    ports
        .iter()
        .filter(|p| p.protocol == protocol)
        .filter_map(|p| p.name.as_deref())
        .find(|candidate| crate::check::similar::similar(candidate, name))
        .map(|candidate| {
            format!("the pods declare `{candidate}`, the Service asks for `{name}`: rename one to match the other")
        })
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
        check: crate::check::rejected::nodeport_out_of_range,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::check::testing::findings;

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
              the pods declare `dns` as TCP, the Service port is UDP: set `protocol: TCP` on the Service port, or \
              declare `dns` as UDP in the pod template"]
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
}
