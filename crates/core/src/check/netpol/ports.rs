//! KR304 `networkpolicy-port-is-service-port` and KR305
//! `networkpolicy-named-port-unresolved`: rule ports that name no container
//! port of the pods they are about.

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::policy_namespace;
use crate::check::similar::similar;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::model::{Cluster, Pod, PodId};
use crate::policy::{peer_pods, selected_pods, Direction, PeerPods};
use crate::ports::Protocol;
use crate::service::{
    find_service_port, resolve_target_port, service_kind, target_port, PortRef, ServiceKind,
};

/// A rule port with where it is: `(path of the port, the port, direction,
/// rule index)`.
struct RulePort<'a> {
    path: String,
    port: &'a NetworkPolicyPort,
    direction: Direction,
    rule: usize,
}

fn rule_ports(policy: &NetworkPolicy) -> Vec<RulePort<'_>> {
    let mut ports = Vec::new();
    let Some(spec) = &policy.spec else { return ports };
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            let path = format!("spec.ingress[{i}].ports[{j}].port");
            ports.push(RulePort { path, port, direction: Direction::Ingress, rule: i });
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            let path = format!("spec.egress[{i}].ports[{j}].port");
            ports.push(RulePort { path, port, direction: Direction::Egress, rule: i });
        }
    }
    ports
}

/// The pods a rule port is about: the policy's pods for ingress, the
/// peers' pods for egress (every pod of the cluster for a rule without
/// `to`). `None` when the rule also reaches addresses outside the cluster.
fn port_targets(ctx: &Context<'_>, policy: &NetworkPolicy, port: &RulePort<'_>) -> Option<Vec<PodId>> {
    let cluster = ctx.cluster;
    let namespace = policy_namespace(policy);
    let spec = policy.spec.as_ref()?;
    match port.direction {
        Direction::Ingress => {
            let everything = LabelSelector::default();
            let selector = spec.pod_selector.as_ref().unwrap_or(&everything);
            Some(selected_pods(cluster, namespace, selector, ctx.host_network()))
        }
        Direction::Egress => {
            let rule = spec.egress.as_ref()?.get(port.rule)?;
            let peers = rule.to.as_deref().unwrap_or_default();
            if peers.is_empty() {
                return None;
            }
            let mut pods = Vec::new();
            for peer in peers {
                match peer_pods(cluster, namespace, peer, ctx.host_network()) {
                    PeerPods::Pods { pods: selected, .. } => pods.extend(selected),
                    PeerPods::Addresses => return None,
                    PeerPods::Invalid => {}
                }
            }
            pods.sort();
            pods.dedup();
            Some(pods)
        }
    }
}

fn port_protocol_of(port: &NetworkPolicyPort) -> Protocol {
    port.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp)
}

declare_rule! {
    /// ## What it does
    /// Finds NetworkPolicy rules that allow a port number which is the
    /// `port` of a Service in front of the pods the rule is about, while the
    /// Service forwards it to another container port and no container of
    /// those pods declares the number. For ingress rules the pods are those
    /// the policy selects; for egress rules, those the `to` peers select.
    ///
    /// ## Why does this break traffic?
    /// A Service's port exists only on its virtual IP: kube-proxy rewrites
    /// the destination to a pod address and the `targetPort` before the
    /// packet reaches the pod, and NetworkPolicies are evaluated on that
    /// pod and container port. A rule allowing the Service port allows a
    /// port nothing receives traffic on, and the connections through the
    /// Service are denied.
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
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-api
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - protocol: TCP
    ///           port: 80
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
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-api
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - protocol: TCP
    ///           port: http
    /// ```
    ///
    /// ## Known problems
    /// A container that listens on the Service port without declaring it
    /// (`containerPort` is informational) and is reached directly by pod
    /// address is reported anyway.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service>
    /// - <https://kubernetes.io/docs/reference/networking/virtual-ips/>
    pub struct NetworkpolicyPortIsServicePort {
        code: "KR304",
        name: "networkpolicy-port-is-service-port",
        severity: Error,
        summary: "NetworkPolicy ports that are a Service's port instead of its pods' container port",
        check: networkpolicy_port_is_service_port,
    }
}

fn networkpolicy_port_is_service_port(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        for rule_port in rule_ports(&policy.value) {
            let Some(IntOrString::Int(number)) = rule_port.port.port else { continue };
            if rule_port.port.end_port.is_some() {
                continue;
            }
            let protocol = port_protocol_of(rule_port.port);
            let Some(targets) = port_targets(ctx, &policy.value, &rule_port) else { continue };
            if targets.is_empty() {
                continue;
            }
            let declares = |id: &PodId| {
                cluster
                    .pod(*id)
                    .container_ports()
                    .any(|p| p.port == number && p.protocol == protocol.as_str())
            };
            if targets.iter().any(declares) {
                continue;
            }
            let Some(found) = service_port_behind(cluster, &targets, number, protocol) else { continue };
            let target = match &found.target {
                PortRef::Name(name) => format!("`{name}` ({})", found.container_ports),
                PortRef::Number(_) => found.container_ports.clone(),
            };
            let allow = match &found.target {
                PortRef::Name(name) => format!("`port: {name}` (or {})", found.container_ports),
                PortRef::Number(n) => format!("`port: {n}`"),
            };
            out.emit(
                &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
                &rule_port.path,
                format!(
                    "port {number} is the port of Service `{}`, not of its pods: the Service forwards it to \
                     container port {target}, and policies see the container port",
                    found.service
                ),
                format!("allow {allow} instead"),
            );
        }
    }
}

/// A Service port in front of some pods.
struct ServicePortBehind {
    service: String,
    target: PortRef,
    /// The container ports it resolves to, `8080` or `8080, 8081`.
    container_ports: String,
}

/// A Service selecting some of `pods` whose port `number`/`protocol`
/// forwards to container ports other than `number` on all of them.
fn service_port_behind(
    cluster: &Cluster,
    pods: &[PodId],
    number: i32,
    protocol: Protocol,
) -> Option<ServicePortBehind> {
    let wanted: BTreeSet<PodId> = pods.iter().copied().collect();
    // A Service selects pods of its own namespace only: the Services of the
    // pods' namespaces, in input order.
    let namespaces: BTreeSet<&str> = pods.iter().map(|id| cluster.pod(*id).namespace.as_str()).collect();
    let mut positions: Vec<usize> =
        namespaces.iter().flat_map(|ns| cluster.index().services_in(ns)).copied().collect();
    positions.sort_unstable();
    for service in positions.into_iter().map(|p| &cluster.services()[p]) {
        let value = &service.value;
        if service_kind(value).is_none_or(|k| k == ServiceKind::ExternalName) {
            continue;
        }
        let Some(port) = find_service_port(value, &PortRef::Number(number), protocol) else { continue };
        let behind: Vec<PodId> =
            cluster.pods_selected_by_service(value).into_iter().filter(|id| wanted.contains(id)).collect();
        let resolved: BTreeSet<i32> =
            behind.iter().filter_map(|id| resolve_target_port(port, cluster.pod(*id)).ok()).collect();
        if resolved.is_empty() || resolved.contains(&number) {
            continue;
        }
        let container_ports = resolved.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
        return Some(ServicePortBehind {
            service: value.metadata.name.clone().unwrap_or_default(),
            target: target_port(port),
            container_ports,
        });
    }
    None
}

declare_rule! {
    /// ## What it does
    /// Finds NetworkPolicy rules with a named port (`port: metrics`) that no
    /// pod the rule is about declares as a container port with the rule's
    /// protocol: the pods the policy selects for ingress rules, the pods the
    /// `to` peers select for egress rules (every pod for a rule without
    /// `to`).
    ///
    /// ## Why does this break traffic?
    /// A named port is resolved per destination pod among its containers'
    /// `ports[].name` with the same protocol. Where no pod has the name, the
    /// port matches nothing: the rule allows no connection at all, and the
    /// traffic it was written for is denied.
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
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-metrics
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - port: http-metrics
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
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-metrics
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - port: metrics
    /// ```
    ///
    /// ## Known problems
    /// Egress rules towards `ipBlock`s are not checked: a name cannot be
    /// resolved for an address outside the cluster, and plugins differ on
    /// what they do with it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports>
    pub struct NetworkpolicyNamedPortUnresolved {
        code: "KR305",
        name: "networkpolicy-named-port-unresolved",
        severity: Error,
        summary: "NetworkPolicy named ports that no destination pod declares",
        check: networkpolicy_named_port_unresolved,
    }
}

fn networkpolicy_named_port_unresolved(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        for rule_port in rule_ports(&policy.value) {
            let Some(IntOrString::String(name)) = &rule_port.port.port else { continue };
            let protocol = port_protocol_of(rule_port.port);
            let targets = match port_targets(ctx, &policy.value, &rule_port) {
                Some(targets) => targets,
                None if rule_port.direction == Direction::Egress
                    && egress_without_to(&policy.value, rule_port.rule) =>
                {
                    cluster
                        .pods()
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| !p.host_network())
                        .map(|(i, _)| PodId(i as u32))
                        .collect()
                }
                None => continue,
            };
            if targets.is_empty()
                || targets.iter().any(|id| cluster.pod(*id).named_port(name, protocol.as_str()).is_some())
            {
                continue;
            }
            let pods: Vec<&Pod> = targets.iter().map(|id| cluster.pod(*id)).collect();
            let other_protocol = pods
                .iter()
                .flat_map(|p| p.container_ports())
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.protocol);
            let close: BTreeSet<String> = pods
                .iter()
                .flat_map(|p| p.container_ports())
                .filter(|p| p.protocol == protocol.as_str())
                .filter_map(|p| p.name)
                .filter(|candidate| similar(candidate, name))
                .collect();
            let whose = match rule_port.direction {
                Direction::Ingress => "the pods the policy selects",
                Direction::Egress => "the pods the rule's peers select",
            };
            let message = format!(
                "no container of {whose} declares a {protocol} port named `{name}`: the rule allows nothing on it"
            );
            let fix = if let Some(other) = other_protocol {
                format!("the pods declare `{name}` as {other}: set `protocol: {other}` in the rule, or fix the container port")
            } else if !close.is_empty() {
                let close: Vec<String> = close.into_iter().collect();
                format!("did you mean {}? Use a name the pods declare", list(&close, 3))
            } else {
                format!("name the container port `{name}` in the pods' template, or use its number")
            };
            out.emit(
                &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
                &rule_port.path,
                message,
                fix,
            );
        }
    }
}

fn egress_without_to(policy: &NetworkPolicy, rule: usize) -> bool {
    policy
        .spec
        .as_ref()
        .and_then(|s| s.egress.as_ref())
        .and_then(|e| e.get(rule))
        .is_some_and(|r| r.to.as_ref().is_none_or(Vec::is_empty))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{deployment, policy, service};
    use crate::check::testing::findings;

    // Policies see connections after the Service's DNAT, on the pod's
    // container port: "the port on the given protocol ... on the pods"
    // (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPort).
    #[test]
    fn a_rule_on_the_service_port_instead_of_the_container_port_is_reported() {
        let rule = "networkpolicy-port-is-service-port";
        let api = deployment(
            "shop",
            "api",
            json!({"app": "api"}),
            json!([{"name": "http", "containerPort": 8080}]),
        );
        let svc = service("shop", "api", json!({"app": "api"}), json!([{"port": 80, "targetPort": "http"}]));
        let on_port = |port: serde_json::Value| {
            policy(
                "shop",
                "api-in",
                json!({"podSelector": {"matchLabels": {"app": "api"}},
                       "ingress": [{"ports": [{"port": port}]}]}),
            )
        };
        assert_eq!(
            findings(rule, vec![api.clone(), svc.clone(), on_port(json!(80))]),
            ["error NetworkPolicy shop/api-in: port 80 is the port of Service `api`, not of its pods: the Service \
              forwards it to container port `http` (8080), and policies see the container port | allow `port: \
              http` (or 8080) instead"]
        );
        assert!(findings(rule, vec![api.clone(), svc.clone(), on_port(json!(8080))]).is_empty());
        assert!(findings(rule, vec![api, svc, on_port(json!("http"))]).is_empty());
    }

    // A named port resolves against the container ports of the pods, by name
    // and protocol (same reference); a name no pod declares matches nothing.
    #[test]
    fn a_named_port_no_pod_declares_is_reported() {
        let rule = "networkpolicy-named-port-unresolved";
        let api = deployment(
            "shop",
            "api",
            json!({"app": "api"}),
            json!([{"name": "http", "containerPort": 8080}]),
        );
        let on_port = |port: &str, protocol: &str| {
            policy(
                "shop",
                "api-in",
                json!({"podSelector": {"matchLabels": {"app": "api"}},
                       "ingress": [{"ports": [{"port": port, "protocol": protocol}]}]}),
            )
        };
        assert_eq!(
            findings(rule, vec![api.clone(), on_port("htp", "TCP")]),
            ["error NetworkPolicy shop/api-in: no container of the pods the policy selects declares a TCP port \
              named `htp`: the rule allows nothing on it | did you mean `http`? Use a name the pods declare"]
        );
        let udp = findings(rule, vec![api.clone(), on_port("http", "UDP")]);
        assert_eq!(udp.len(), 1, "{udp:?}");
        assert!(
            udp[0].ends_with(
                "the pods declare `http` as TCP: set `protocol: TCP` in the rule, or fix the container port"
            ),
            "{udp:?}"
        );
        assert!(findings(rule, vec![api, on_port("http", "TCP")]).is_empty());
    }
}
