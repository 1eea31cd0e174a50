//! The Gateway's proxies against the backends' NetworkPolicies: the
//! routing table's policy verdict ([`crate::routes`]) for every backend of
//! every route attached to a Gateway whose proxy pods are in the input.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Service, ServicePort};

use crate::gateway::attach::{attachments, Attachment};
use crate::gateway::backend::resolve_backend;
use crate::gateway::class::data_plane_pods;
use crate::gateway::data_plane::backend_service_port;
use crate::gateway::object_id;
use crate::model::{Cluster, PodId};
use crate::routes::{reach, PolicyVerdict, Proxies};
use crate::service::{port_protocol, selector, service_ports, target_port, PortRef};

use super::fix_peer::host_network_peer;
use super::gateway::route_subject;
use super::service::display_map;
use super::{declare_rule, list, Context, Emitter};

declare_rule! {
    /// ## What it does
    /// Finds backends of routes attached to a Gateway whose NetworkPolicies
    /// do not admit the Gateway's proxy pods on the port they connect to.
    ///
    /// ## Why does this break traffic?
    /// The Gateway's data plane (Envoy for Envoy Gateway, Istio and
    /// kgateway, NGINX for NGINX Gateway Fabric, …) connects to the
    /// backend's pods from its own pods, on the pods' port behind the
    /// backendRef's Service port. A backend isolated for ingress admits
    /// only what its policies allow: a policy written for ingress-nginx
    /// (`namespaceSelector` on `ingress-nginx`) refuses the Gateway's
    /// proxies, and the Gateway answers 503 after the migration.
    ///
    /// The fix names the port the backend's pods receive the connection on
    /// (policies see it after the Service's DNAT, not the backendRef's
    /// Service port) and what the proxies' connections carry: the proxy
    /// pods' namespace and labels, or, for proxies on the host network, an
    /// `ipBlock` of their nodes' addresses, since the plugin sees their
    /// traffic as the node's and no `podSelector` matches it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: GatewayClass
    /// metadata:
    ///   name: eg
    /// spec:
    ///   controllerName: gateway.envoyproxy.io/gatewayclass-controller
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    ///       allowedRoutes:
    ///         namespaces:
    ///           from: All
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: envoy-infra-public
    ///   namespace: envoy-gateway-system
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       gateway.envoyproxy.io/owning-gateway-name: public
    ///       gateway.envoyproxy.io/owning-gateway-namespace: infra
    ///   template:
    ///     metadata:
    ///       labels:
    ///         gateway.envoyproxy.io/owning-gateway-name: public
    ///         gateway.envoyproxy.io/owning-gateway-namespace: infra
    ///     spec:
    ///       containers:
    ///         - name: envoy
    ///           image: docker.io/envoyproxy/envoy:distroless-v1.35.0
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   parentRefs:
    ///     - name: public
    ///       namespace: infra
    ///   rules:
    ///     - backendRefs:
    ///         - name: web
    ///           port: 80
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: web
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: ghcr.io/example/web:2.0.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 3000
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-ingress-controller
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               kubernetes.io/metadata.name: ingress-nginx
    ///       ports:
    ///         - port: http
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: GatewayClass
    /// metadata:
    ///   name: eg
    /// spec:
    ///   controllerName: gateway.envoyproxy.io/gatewayclass-controller
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    ///       allowedRoutes:
    ///         namespaces:
    ///           from: All
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: envoy-infra-public
    ///   namespace: envoy-gateway-system
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       gateway.envoyproxy.io/owning-gateway-name: public
    ///       gateway.envoyproxy.io/owning-gateway-namespace: infra
    ///   template:
    ///     metadata:
    ///       labels:
    ///         gateway.envoyproxy.io/owning-gateway-name: public
    ///         gateway.envoyproxy.io/owning-gateway-namespace: infra
    ///     spec:
    ///       containers:
    ///         - name: envoy
    ///           image: docker.io/envoyproxy/envoy:distroless-v1.35.0
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   parentRefs:
    ///     - name: public
    ///       namespace: infra
    ///   rules:
    ///     - backendRefs:
    ///         - name: web
    ///           port: 80
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: web
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: ghcr.io/example/web:2.0.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 3000
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-gateway
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               kubernetes.io/metadata.name: envoy-gateway-system
    ///           podSelector:
    ///             matchLabels:
    ///               gateway.envoyproxy.io/owning-gateway-name: public
    ///       ports:
    ///         - port: http
    /// ```
    ///
    /// ## Known problems
    /// Only Gateways whose proxy pods are in the input are checked (found
    /// by the labels the implementations put on them, `docs/gateway-api.md`);
    /// data planes outside the cluster (GKE, AWS, Azure) connect from
    /// addresses the input does not hold.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#backendref>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>
    /// - <https://gateway.envoyproxy.io/docs/tasks/operations/deployment-mode/>
    pub struct GatewayBlockedByNetworkpolicy {
        code: "KR708",
        name: "gateway-blocked-by-networkpolicy",
        severity: Error,
        summary: "route backends whose NetworkPolicies do not admit the Gateway's proxies",
        check: gateway_blocked_by_networkpolicy,
    }
}

fn gateway_blocked_by_networkpolicy(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced() {
        return;
    }
    for route in cluster.gateway_api().routes() {
        let mut seen = BTreeSet::new();
        for attachment in attachments(cluster, route) {
            let Attachment::Attached { gateway, .. } = attachment.outcome else { continue };
            let pods = data_plane_pods(cluster, &gateway.value);
            if pods.is_empty() {
                continue;
            }
            let proxies = Proxies::Pods(pods.clone());
            for (_, field, backend_ref) in route.backend_refs() {
                let resolved = resolve_backend(cluster, route.kind(), route.namespace(), backend_ref);
                let (None, Some(service)) = (&resolved.problem, resolved.service) else { continue };
                let Some(port) = backend_ref.port.and_then(|number| {
                    backend_service_port(service_ports(&service.value), number, route.kind())
                }) else {
                    continue;
                };
                let (_, target_ports, PolicyVerdict::Blocked { refused }) =
                    reach(ctx.engine(), &proxies, &service.value, port)
                else {
                    continue;
                };
                if !seen.insert((object_id(&gateway.value.metadata), field.clone())) {
                    continue;
                }
                let proxy_names: BTreeSet<String> =
                    pods.iter().map(|p| cluster.workload_ref(cluster.pod(*p)).id()).collect();
                let proxy_names: Vec<String> = proxy_names.into_iter().collect();
                let ports: Vec<String> = target_ports.iter().map(u16::to_string).collect();
                let message = format!(
                    "the proxies of Gateway `{}` ({}) cannot reach backend {} on port {}: their NetworkPolicies do not admit them",
                    object_id(&gateway.value.metadata),
                    list(&proxy_names, 2),
                    list(&refused, 2),
                    ports.join(", ")
                );
                let fix = admit_proxies_fix(ctx, &pods, &service.value, port, &target_ports);
                out.emit(&route_subject(route), &field, message, fix);
            }
        }
    }
}

/// The ingress rule that admits the Gateway's proxies to the backend `port`
/// of `service`: from what their connections carry, on the pods' port
/// (`target_ports`) behind the Service port, since policies see the pod's
/// port after the Service's DNAT
/// (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPort>).
fn admit_proxies_fix(
    ctx: &Context<'_>,
    proxies: &[PodId],
    service: &Service,
    port: &ServicePort,
    target_ports: &[u16],
) -> String {
    let cluster = ctx.cluster;
    let peer = host_network_peer(cluster, proxies, ctx.host_network())
        .unwrap_or_else(|| proxy_pods_peer(cluster, proxies));
    let numbers: Vec<String> = target_ports.iter().map(u16::to_string).collect();
    let protocol = port_protocol(port);
    let port_text = match target_port(port) {
        PortRef::Name(name) => format!("{protocol} port `{name}` ({})", numbers.join(", ")),
        PortRef::Number(_) => format!("{protocol} port {}", numbers.join(", ")),
    };
    let namespace = service.metadata.namespace.as_deref().unwrap_or("default");
    let selecting = match selector(service) {
        Some(labels) => format!(" selecting `{}`", display_map(labels)),
        None => String::new(),
    };
    format!("add a NetworkPolicy in `{namespace}`{selecting} that allows ingress from {peer} on {port_text}")
}

/// The proxies on the pod network as a policy peer: their namespaces and
/// the labels they all carry, but those the controllers add per pod.
fn proxy_pods_peer(cluster: &Cluster, proxies: &[PodId]) -> String {
    const PER_POD: [&str; 3] = ["pod-template-hash", "controller-revision-hash", "pod-template-generation"];
    let namespaces: BTreeSet<String> = proxies.iter().map(|id| cluster.pod(*id).namespace.clone()).collect();
    let mut common = proxies.first().map(|first| cluster.pod(*first).labels.clone()).unwrap_or_default();
    common.retain(|key, value| {
        !PER_POD.contains(&key.as_str())
            && proxies.iter().all(|id| cluster.pod(*id).labels.get(key) == Some(&*value))
    });
    let namespaces: Vec<String> = namespaces.into_iter().collect();
    format!("namespace {} pods `{}`", list(&namespaces, 2), display_map(&common))
}
