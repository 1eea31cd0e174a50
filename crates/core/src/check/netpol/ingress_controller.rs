//! KR307 `networkpolicy-blocks-ingress-controller`: Ingress backends whose
//! pods do not admit the Ingress controller.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort};

use super::network_policy_refs;
use crate::check::fix_peer::{admin_deny_fix, host_network_peer};
use crate::check::service::display_map;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::cni::{cilium_entities_fix, NodePeer, NODE_ENTITIES};
use crate::ingress::{check_backends, ingress_class_of, BackendRef, BackendStatus};
use crate::model::PodId;
use crate::policy::Endpoint;
use crate::ports::Protocol;
use crate::service::{resolve_target_port, service_ports, target_port, PortRef, ServiceRef};

declare_rule! {
    /// ## What it does
    /// Finds Ingress backends whose pods do not admit the Ingress
    /// controller: for each Ingress, the controller of its class (found by
    /// image, labels and class flags) and, for each backend Service port,
    /// the pods behind it on their target port, as the policy engine
    /// evaluates it from each controller pod. Also reports a controller
    /// whose own egress policies forbid the connection.
    ///
    /// ## Why does this break traffic?
    /// The controller's proxy (nginx, Envoy, Traefik…) connects to the
    /// backend pods directly, on their container port. When a NetworkPolicy
    /// isolates those pods for ingress and no rule admits the controller's
    /// pods (typically, its namespace), the connections time out: ingress-
    /// nginx answers 504 for every path that leads there.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app.kubernetes.io/name: ingress-nginx
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app.kubernetes.io/name: ingress-nginx
    ///     spec:
    ///       containers:
    ///         - name: controller
    ///           image: registry.k8s.io/ingress-nginx/controller:v1.11.2
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
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
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// Use instead (the same, plus a policy admitting the controller):
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app.kubernetes.io/name: ingress-nginx
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app.kubernetes.io/name: ingress-nginx
    ///     spec:
    ///       containers:
    ///         - name: controller
    ///           image: registry.k8s.io/ingress-nginx/controller:v1.11.2
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
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
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-ingress-nginx
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
    /// ## Known problems
    /// Controllers outside the cluster (GKE, the AWS Load Balancer
    /// Controller, Azure Application Gateway) send traffic from addresses the
    /// input does not hold, and controllers whose pods the input lacks are
    /// unknown: neither is checked.
    ///
    /// A controller on the host network connects with its node's address,
    /// which an `ipBlock` admits on most plugins but not on Cilium unless it
    /// runs with `policy-cidr-match-mode: nodes` ("By default, CIDR-based
    /// selectors do not match in-cluster entities (pods or nodes)"): there the
    /// fix is a CiliumNetworkPolicy with `fromEntities: [remote-node, host]`.
    /// `--ip-blocks-match-nodes` says the cluster runs with that mode.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/>
    /// - <https://kubernetes.github.io/ingress-nginx/deploy/#network-policies>
    /// - <https://docs.cilium.io/en/stable/security/policy/language/#selecting-nodes-with-cidr-ipblock>
    pub struct NetworkpolicyBlocksIngressController {
        code: "KR307",
        name: "networkpolicy-blocks-ingress-controller",
        severity: Error,
        summary: "Ingress backends whose NetworkPolicies do not admit the ingress controller",
        check: networkpolicy_blocks_ingress_controller,
    }
}

fn networkpolicy_blocks_ingress_controller(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced()
        || cluster.network_policies().is_empty()
            && cluster.admin_network_policies().is_empty()
            && cluster.baseline_admin_network_policies().is_empty()
    {
        return;
    }
    let engine = ctx.engine();
    for ingress in cluster.ingresses() {
        let resolution = ingress_class_of(cluster, &ingress.value);
        let Some(controller) =
            resolution.controller.filter(|c| c.in_cluster == Some(true) && !c.pods.is_empty())
        else {
            continue;
        };
        let mut pods: BTreeMap<usize, PodId> = BTreeMap::new();
        for &pod in &controller.pods {
            pods.entry(engine.class_of(pod)).or_insert(pod);
        }
        let names: Vec<String> =
            controller.workloads.iter().map(|w| format!("{}/{}", w.namespace, w.name)).collect();
        let controller = Controller {
            pods,
            text: format!("the ingress controller ({})", list(&names, 2)),
            namespaces: controller.workloads.iter().map(|w| w.namespace.clone()).collect(),
            node_peer: host_network_peer(cluster, &controller.pods, ctx.host_network()),
            node_entities: ctx.plugin().node_peer() == NodePeer::CiliumEntities,
        };
        let mut seen = BTreeSet::new();
        for check in check_backends(cluster, ingress) {
            let (BackendStatus::Ok { port: key }, BackendRef::Service { service: reference, .. }) =
                (&check.status, &check.backend)
            else {
                continue;
            };
            if !seen.insert((reference.name.clone(), key.clone())) {
                continue;
            }
            let Some(service) = cluster.service(&reference.namespace, &reference.name) else { continue };
            let Some(port) =
                service_ports(&service.value).iter().find(|p| crate::service::ServicePortKey::of(p) == *key)
            else {
                continue;
            };
            let blocked = blocked_backends(ctx, &controller, &service.value, port);
            let subject = Subject::object("Ingress", &ingress.value.metadata, ingress);
            let path = format!("{}.service", check.site.field_path());
            let backend = Backend { reference, service: &service.value, port };
            emit_blocked(out, &subject, &path, &controller, &backend, &blocked);
        }
    }
}

/// An ingress controller: one pod per policy class, and how findings name it.
struct Controller {
    /// A pod of each of the controller's policy classes.
    pods: BTreeMap<usize, PodId>,
    /// "the ingress controller (namespace/name)".
    text: String,
    /// The namespaces of its workloads, sorted.
    namespaces: BTreeSet<String>,
    /// For a controller on the host network, the `ipBlock` peer that
    /// admits it (a namespace selector never matches it).
    node_peer: Option<String>,
    /// Whether the plugin admits node traffic by Cilium's entities rather
    /// than by an `ipBlock` ([`NodePeer::CiliumEntities`]).
    node_entities: bool,
}

/// The Service port of an Ingress backend.
struct Backend<'a> {
    reference: &'a ServiceRef,
    service: &'a Service,
    port: &'a ServicePort,
}

/// A NetworkPolicy's namespace and name.
type PolicyName = (String, String);

/// The backend workloads the controller cannot reach, by workload name.
#[derive(Default)]
struct Blocked {
    /// Denied by the backends' ingress: the target port, the isolating
    /// policies and, when an AdminNetworkPolicy denies it, the fix for that.
    ingress: BTreeMap<String, (i32, Vec<PolicyName>, Option<String>)>,
    /// Denied by the controller's own egress: the target port, and the fix
    /// for an AdminNetworkPolicy that denies it.
    egress: BTreeMap<String, (i32, Option<String>)>,
}

/// Evaluates, from each controller pod, the connection to each policy
/// class of the pods behind `port` of `service`, on its target port.
fn blocked_backends(
    ctx: &Context<'_>,
    controller: &Controller,
    service: &Service,
    port: &ServicePort,
) -> Blocked {
    let (cluster, engine) = (ctx.cluster, ctx.engine());
    let mut blocked = Blocked::default();
    let mut checked = BTreeSet::new();
    for backend in cluster.pods_selected_by_service(service) {
        let pod = cluster.pod(backend);
        if pod.host_network() || !checked.insert(engine.class_of(backend)) {
            continue;
        }
        let Ok(target) = resolve_target_port(port, pod) else { continue };
        let Ok(target_u16) = u16::try_from(target) else { continue };
        for &from in controller.pods.values() {
            let explanation = engine.explain(&Endpoint::Pod(from), &Endpoint::Pod(backend));
            let workload = crate::check::service::workload_name(cluster, pod);
            if !explanation.ingress.allowed.contains(Protocol::Tcp, target_u16) {
                let admin = admin_deny_fix(&explanation.ingress, Protocol::Tcp, target_u16);
                let isolating = network_policy_refs(&explanation.ingress.isolated_by);
                blocked.ingress.insert(workload, (target, isolating, admin));
            } else if !explanation.egress.allowed.contains(Protocol::Tcp, target_u16) {
                let admin = admin_deny_fix(&explanation.egress, Protocol::Tcp, target_u16);
                blocked.egress.insert(workload, (target, admin));
            }
        }
    }
    blocked
}

/// The policy that admits the controller to the backend's pods on `port`:
/// from its namespace; from its node's addresses when it uses the host
/// network, or on Cilium from the nodes' entities, which an `ipBlock` does
/// not match there.
fn admit_fix(controller: &Controller, backend: &Backend<'_>, port: &str) -> String {
    let namespace = &backend.reference.namespace;
    let selector = crate::service::selector(backend.service).map(display_map).unwrap_or_default();
    let peer = match &controller.node_peer {
        Some(_) if controller.node_entities => {
            let why = "the controller uses the host network, so its connections carry its node's identity";
            return cilium_entities_fix(namespace, &selector, &NODE_ENTITIES, port, why);
        }
        Some(peer) => peer.clone(),
        None => {
            let namespaces: Vec<String> = controller.namespaces.iter().cloned().collect();
            format!("namespace {}", list(&namespaces, 2))
        }
    };
    format!("add a NetworkPolicy in `{namespace}` selecting `{selector}` that allows ingress from {peer} on {port}")
}

/// One finding for the backend: the ingress side first, else the egress side.
fn emit_blocked(
    out: &mut Emitter<'_>,
    subject: &Subject<'_>,
    path: &str,
    controller: &Controller,
    backend: &Backend<'_>,
    blocked: &Blocked,
) {
    let (reference, controller_text) = (backend.reference, &controller.text);
    let target = target_port(backend.port);
    let port_text = |number: i32| match &target {
        PortRef::Name(name) => format!("port `{name}` ({number})"),
        PortRef::Number(_) => format!("port {number}"),
    };
    if let Some((_, (number, isolating, admin))) = blocked.ingress.iter().next() {
        let workloads: Vec<String> = blocked.ingress.keys().cloned().collect();
        let names = list(&isolating.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(), 3);
        let isolated_by = match isolating.len() {
            0 => "an admin policy denies it".to_owned(),
            1 => {
                format!("NetworkPolicy {names} isolates them for ingress, and no rule admits the controller")
            }
            _ => {
                format!("NetworkPolicies {names} isolate them for ingress, and no rule admits the controller")
            }
        };
        let fix = admin.clone().unwrap_or_else(|| admit_fix(controller, backend, &port_text(*number)));
        out.emit(
            subject,
            path,
            format!(
                "{controller_text} cannot reach {} behind Service `{}` on TCP {}: {isolated_by}",
                list(&workloads, 3),
                reference.name,
                port_text(*number)
            ),
            fix,
        );
    } else if let Some((_, (number, admin))) = blocked.egress.iter().next() {
        let workloads: Vec<String> = blocked.egress.keys().cloned().collect();
        out.emit(
            subject,
            path,
            format!(
                "{controller_text} cannot reach {} behind Service `{}` on TCP {}: the controller's own egress \
                 policies deny it",
                list(&workloads, 3),
                reference.name,
                port_text(*number)
            ),
            admin.clone().unwrap_or_else(|| {
                format!(
                    "allow egress from the controller's pods to namespace `{}` on {}",
                    reference.namespace,
                    port_text(*number)
                )
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{deployment, namespace, policy, service};
    use crate::check::testing::findings;

    const RULE: &str = "networkpolicy-blocks-ingress-controller";

    fn objects(policies: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
        let mut controller = deployment(
            "ingress-nginx",
            "ingress-nginx-controller",
            json!({"app.kubernetes.io/name": "ingress-nginx"}),
            json!([{"containerPort": 80}]),
        );
        controller["spec"]["template"]["spec"]["containers"][0]["image"] =
            json!("registry.k8s.io/ingress-nginx/controller:v1.11.2");
        let mut objects = vec![
            namespace("ingress-nginx", json!({})),
            controller,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
                   "spec": {"controller": "k8s.io/ingress-nginx"}}),
            deployment("shop", "web", json!({"app": "web"}), json!([{"containerPort": 8080}])),
            service("shop", "web", json!({"app": "web"}), json!([{"port": 80, "targetPort": 8080}])),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"ingressClassName": "nginx",
                            "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
        ];
        objects.extend(policies);
        objects
    }

    // The controller's pods open the connections to the backend pods, so a
    // policy isolating those pods must admit them, on the container port
    // (https://kubernetes.github.io/ingress-nginx/deploy/#network-policies,
    // https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation).
    #[test]
    fn a_backend_that_does_not_admit_the_controller_is_reported() {
        let deny = policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
        let found = findings(RULE, objects(vec![deny.clone()]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("error Ingress shop/web: "), "{found:?}");
        assert!(found[0].contains("ingress-nginx/ingress-nginx-controller"), "{found:?}");
        let admit = policy(
            "shop",
            "from-controller",
            json!({"podSelector": {"matchLabels": {"app": "web"}},
                   "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                                "ports": [{"port": 8080}]}]}),
        );
        assert!(findings(RULE, objects(vec![deny.clone(), admit])).is_empty());
        // Admitting the controller on the Service port, not the container port, does not help.
        let wrong_port = policy(
            "shop",
            "from-controller",
            json!({"podSelector": {"matchLabels": {"app": "web"}},
                   "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}]}),
        );
        assert_eq!(findings(RULE, objects(vec![deny, wrong_port])).len(), 1);
        assert!(findings(RULE, objects(vec![])).is_empty());
    }

    /// The cluster of [`objects`] on Cilium, its controller on the host
    /// network of node `n1` (`192.168.0.11`), the backend on node `n2`.
    fn on_cilium(policies: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
        let mut objects = objects(policies);
        let controller = &mut objects[1]["spec"]["template"]["spec"];
        controller["hostNetwork"] = json!(true);
        controller["nodeName"] = json!("n1");
        objects[3]["spec"]["template"]["spec"]["nodeName"] = json!("n2");
        let node = |name: &str, address: &str| {
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                   "status": {"addresses": [{"type": "InternalIP", "address": address}]}})
        };
        objects.push(node("n1", "192.168.0.11"));
        objects.push(node("n2", "192.168.0.12"));
        objects.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "cilium", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}},
                     "template": {"metadata": {"labels": {"k8s-app": "cilium"}},
                                  "spec": {"containers": [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.16.5"}]}}}}));
        objects
    }

    // A host-network controller's connections carry its node's identity on
    // Cilium, which an ipBlock does not match: "By default, CIDR-based
    // selectors do not match in-cluster entities (pods or nodes)" unless
    // `--policy-cidr-match-mode=nodes`
    // (https://docs.cilium.io/en/stable/security/policy/language/, "Selecting
    // nodes with CIDR / ipBlock"); the `remote-node` and `host` entities do
    // (cilium/cilium-cli#1988: "only the remote-node and host entities could
    // select nodes"). The fix names them, and applied, clears the finding.
    #[test]
    fn on_cilium_a_host_network_controller_is_admitted_by_the_node_entities() {
        let deny = policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
        let found = findings(RULE, on_cilium(vec![deny.clone()]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with(
                "| add a CiliumNetworkPolicy in `shop` with `endpointSelector` `app=web` and an ingress rule \
                 `fromEntities: [remote-node, host]` on port 8080 (the controller uses the host network, so its \
                 connections carry its node's identity; on Cilium an `ipBlock` does not match the nodes' \
                 addresses unless `policy-cidr-match-mode: nodes`)"
            ),
            "{found:?}"
        );
        let node_block = policy(
            "shop",
            "from-node",
            json!({"podSelector": {"matchLabels": {"app": "web"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.11/32"}}], "ports": [{"port": 8080}]}]}),
        );
        assert_eq!(findings(RULE, on_cilium(vec![deny.clone(), node_block])).len(), 1);
        let entities = json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "from-nodes", "namespace": "shop"},
            "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                     "ingress": [{"fromEntities": ["remote-node", "host"],
                                  "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]}});
        assert!(findings(RULE, on_cilium(vec![deny, entities])).is_empty());
    }
}
