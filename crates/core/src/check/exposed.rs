//! Rules about Services exposed outside the cluster.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Service;

use crate::check::service::display_map;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::cni::{cilium_entities_fix, NodePeer, FORWARDED_ENTITIES, FORWARDED_WHY};
use crate::exposure::{source_at_pods, Arrival, SourceAtPods};
use crate::model::PodId;
use crate::policy::{Direction, IpRange, PolicyKind};
use crate::service::{port_protocol, resolve_target_port, service_kind, service_ports, ServiceKind};

declare_rule! {
    /// ## What it does
    /// Finds `LoadBalancer` and `NodePort` Services whose pods admit no
    /// client from outside the cluster on any of the Service's ports: the
    /// policies isolating the pods for ingress allow none of the address
    /// blocks outside the cluster on the port each Service port targets on
    /// the pod, as the policy engine evaluates it.
    ///
    /// ## Why does this break traffic?
    /// A `LoadBalancer` or `NodePort` Service exists to be reached from
    /// outside the cluster. The load balancer or node forwards the client's
    /// connection to a pod, where NetworkPolicies see it as coming from an
    /// address outside the cluster (the client's, or a node's after SNAT).
    /// A default-deny policy applied alone (microservices-demo's `deny-all`,
    /// say) drops every such connection: the public endpoint times out for
    /// every client.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: frontend
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: frontend
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: frontend
    ///     spec:
    ///       containers:
    ///         - name: server
    ///           image: ghcr.io/example/frontend:1.0.0
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: frontend-external
    ///   namespace: shop
    /// spec:
    ///   type: LoadBalancer
    ///   selector:
    ///     app: frontend
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: deny-all
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// Use instead (admit the clients, here any address, on the target port):
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: frontend
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: frontend
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: frontend
    ///     spec:
    ///       containers:
    ///         - name: server
    ///           image: ghcr.io/example/frontend:1.0.0
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: frontend-external
    ///   namespace: shop
    /// spec:
    ///   type: LoadBalancer
    ///   selector:
    ///     app: frontend
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: deny-all
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: frontend-from-anywhere
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: frontend
    ///   ingress:
    ///     - from:
    ///         - ipBlock:
    ///             cidr: 0.0.0.0/0
    ///       ports:
    ///         - port: 8080
    /// ```
    ///
    /// ## Known problems
    /// Services reached through an Ingress controller are KR307's
    /// (`networkpolicy-blocks-ingress-controller`). Whether the pod sees the
    /// client's address or a node's depends on `externalTrafficPolicy` and
    /// the plugin; the rule only reports Services that no address outside
    /// the cluster can reach.
    ///
    /// On Cilium an `ipBlock` does not match the nodes' addresses unless it
    /// runs with `policy-cidr-match-mode: nodes` (`--ip-blocks-match-nodes`),
    /// and a connection a node forwards reaches the pods as `world` or as
    /// `remote-node` depending on the routing mode: there the fix is a
    /// CiliumNetworkPolicy with `fromEntities: [world, remote-node, host]`.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic>
    /// - <https://github.com/GoogleCloudPlatform/microservices-demo/tree/main/kustomize/components/network-policies>
    /// - <https://docs.cilium.io/en/stable/security/policy/caveats/>
    pub struct NetworkpolicyIsolatesExposedService {
        code: "KR309",
        name: "networkpolicy-isolates-exposed-service",
        severity: Error,
        summary: "LoadBalancer and NodePort Services whose pods admit no client from outside the cluster",
        check: networkpolicy_isolates_exposed_service,
    }
}

fn networkpolicy_isolates_exposed_service(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced() {
        return;
    }
    let engine = ctx.engine();
    for service in cluster.services() {
        let Some(kind) = service_kind(&service.value) else { continue };
        if !kind.has_node_ports() {
            continue;
        }
        let pods: Vec<_> = cluster
            .pods_selected_by_service(&service.value)
            .into_iter()
            .filter(|id| !cluster.pod(*id).host_network())
            .collect();
        let ports = service_ports(&service.value);
        let Some(&first) = pods.first() else { continue };
        if ports.is_empty() || !engine.is_isolated(first, Direction::Ingress) {
            continue;
        }
        // Target ports per pod; a Service port that resolves on no pod is
        // another rule's finding (KR103), and says nothing here.
        let mut targets: BTreeSet<(String, u16)> = BTreeSet::new();
        let mut admitted = false;
        for port in ports {
            let protocol = port_protocol(port);
            for &pod in &pods {
                let Some(target) =
                    resolve_target_port(port, cluster.pod(pod)).ok().and_then(|t| u16::try_from(t).ok())
                else {
                    continue;
                };
                targets.insert((protocol.as_str().to_owned(), target));
                // Whether some address outside the cluster reaches the pod:
                // the engine answers once per class of pods.
                admitted = admitted || engine.external_ingress(pod).contains(protocol, target);
            }
        }
        if admitted || targets.is_empty() {
            continue;
        }
        let policies: Vec<String> = engine
            .selecting_policies(first, Direction::Ingress)
            .into_iter()
            .filter(|p| p.kind == PolicyKind::NetworkPolicy)
            .map(|p| format!("{}/{}", p.namespace.unwrap_or_default(), p.name))
            .collect();
        let ports_text = targets
            .iter()
            .map(|(protocol, port)| format!("{protocol} {port}"))
            .collect::<Vec<_>>()
            .join(", ");
        let fix = exposed_fix(ctx, &service.value, first, &targets);
        out.emit(
            &Subject::object("Service", &service.value.metadata, service),
            "spec.type",
            format!(
                "`{}` Service exposed outside the cluster, but {} no client from outside to its pods on {}: every \
                 external connection times out",
                kind.as_str(),
                match policies.len() {
                    0 => "the policies isolating them admit".to_owned(),
                    1 => format!("NetworkPolicy {} admits", list(&policies, 3)),
                    _ => format!("NetworkPolicies {} admit", list(&policies, 3)),
                },
                ports_text
            ),
            fix,
        );
    }
}

/// The change that admits the Service's clients: an ingress rule for the
/// pods the Service selects, from every address (or the addresses the
/// pods see: the clients' under `externalTrafficPolicy: Local`, the nodes'
/// under `Cluster`, [`source_at_pods`]; on Cilium, where an `ipBlock` does
/// not match the nodes, their `remote-node` and `host` entities beside
/// `world` for the clients), unless an AdminNetworkPolicy denies it, which
/// no NetworkPolicy overrides.
fn exposed_fix(
    ctx: &Context<'_>,
    service: &Service,
    pod: PodId,
    targets: &BTreeSet<(String, u16)>,
) -> String {
    let cluster = ctx.cluster;
    let arrival = match service_kind(service) {
        Some(ServiceKind::LoadBalancer) => Arrival::LoadBalancer,
        _ => Arrival::NodePort { node: None },
    };
    let selector = crate::service::selector(service).map(display_map).unwrap_or_default();
    let ports_text = targets.iter().map(|(protocol, port)| format!("{protocol} {port}")).collect::<Vec<_>>();
    let namespace = &cluster.pod(pod).namespace;
    let or = match source_at_pods(cluster, service, arrival) {
        SourceAtPods::Client => "or the clients' ranges".to_owned(),
        SourceAtPods::Node { .. } if ctx.plugin().node_peer() == NodePeer::CiliumEntities => {
            let ports = ports_text.join(", ");
            return cilium_entities_fix(namespace, &selector, &FORWARDED_ENTITIES, &ports, FORWARDED_WHY);
        }
        SourceAtPods::Node { addresses } => {
            let blocks: BTreeSet<String> =
                addresses.iter().map(|(_, a)| format!("`{}`", IpRange::from_addr(*a).id())).collect();
            let nodes = if blocks.is_empty() {
                "the nodes' addresses".to_owned()
            } else {
                format!("the nodes' addresses {}", blocks.into_iter().collect::<Vec<_>>().join(", "))
            };
            format!(
                "or {nodes}: under `externalTrafficPolicy: Cluster` the pods see the receiving node's address, \
                 not the client's"
            )
        }
    };
    format!(
        "add an ingress rule for pods `{selector}` in `{namespace}` from `ipBlock: {{cidr: 0.0.0.0/0}}` ({or}) on {}",
        ports_text.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::check::testing::findings;

    fn objects(service_type: &str, policies: Vec<Value>) -> Vec<Value> {
        let mut objects = vec![
            json!({"kind": "Deployment", "metadata": {"name": "frontend", "namespace": "shop"},
                   "spec": {"selector": {"matchLabels": {"app": "frontend"}},
                            "template": {"metadata": {"labels": {"app": "frontend"}},
                                         "spec": {"containers": [{"name": "server", "image": "frontend",
                                                                  "ports": [{"containerPort": 8080}]}]}}}}),
            json!({"kind": "Service", "metadata": {"name": "frontend-external", "namespace": "shop"},
                   "spec": {"type": service_type, "selector": {"app": "frontend"},
                            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        ];
        objects.extend(policies);
        objects
    }

    fn policy(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
    }

    fn deny_all() -> Value {
        policy("deny-all", json!({"podSelector": {}, "policyTypes": ["Ingress"]}))
    }

    // microservices-demo's deny-all applied alone cuts its LoadBalancer off
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic).
    #[test]
    fn deny_all_cuts_off_a_load_balancer() {
        let found =
            findings("networkpolicy-isolates-exposed-service", objects("LoadBalancer", vec![deny_all()]));
        assert_eq!(
            found,
            ["error Service shop/frontend-external: `LoadBalancer` Service exposed outside the cluster, but \
              NetworkPolicy `shop/deny-all` admits no client from outside to its pods on TCP 8080: every external \
              connection times out | add an ingress rule for pods `app=frontend` in `shop` from `ipBlock: {cidr: \
              0.0.0.0/0}` (or the nodes' addresses: under `externalTrafficPolicy: Cluster` the pods see the \
              receiving node's address, not the client's) on TCP 8080"]
        );
        let node_port =
            findings("networkpolicy-isolates-exposed-service", objects("NodePort", vec![deny_all()]));
        assert_eq!(node_port.len(), 1, "{node_port:?}");
    }

    // Not reported: a ClusterIP Service (internal by design), pods that
    // admit some outside range on the port, or no isolation at all.
    #[test]
    fn reachable_or_internal_services_are_not_reported() {
        let rule = "networkpolicy-isolates-exposed-service";
        assert!(findings(rule, objects("ClusterIP", vec![deny_all()])).is_empty());
        assert!(findings(rule, objects("LoadBalancer", vec![])).is_empty());
        let office = policy(
            "from-office",
            json!({"podSelector": {"matchLabels": {"app": "frontend"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 8080}]}]}),
        );
        assert!(findings(rule, objects("LoadBalancer", vec![deny_all(), office])).is_empty());
        // Admitting the outside on another port does not help.
        let wrong_port = policy(
            "wrong-port",
            json!({"podSelector": {"matchLabels": {"app": "frontend"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 80}]}]}),
        );
        assert_eq!(findings(rule, objects("LoadBalancer", vec![deny_all(), wrong_port])).len(), 1);
    }

    fn cilium_agent() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "cilium", "namespace": "kube-system"},
               "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}},
                        "template": {"metadata": {"labels": {"k8s-app": "cilium"}},
                                     "spec": {"containers": [{"name": "cilium-agent",
                                                              "image": "quay.io/cilium/cilium:v1.16.5"}]}}}})
    }

    /// A CiliumNetworkPolicy admitting `entities` to `app=frontend` on TCP 8080.
    fn from_entities(entities: &[&str]) -> Value {
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"name": "frontend-from-outside", "namespace": "shop"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "frontend"}},
                        "ingress": [{"fromEntities": entities,
                                     "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]}})
    }

    // On Cilium, traffic a node forwards under `externalTrafficPolicy:
    // Cluster` reaches the pods as `world` or as `reserved:remote-node`
    // ("the request needs to be forwarded to another node after the service
    // endpoint selection, then it will have the reserved:remote-node",
    // https://docs.cilium.io/en/stable/security/policy/caveats/), and an
    // ipBlock does not match a node unless `policy-cidr-match-mode: nodes`
    // (https://docs.cilium.io/en/stable/security/policy/language/, "Selecting
    // nodes with CIDR / ipBlock"): the fix names the entities, and applied,
    // clears the finding.
    #[test]
    fn on_cilium_the_fix_names_the_node_entities() {
        let rule = "networkpolicy-isolates-exposed-service";
        let mut cilium = objects("LoadBalancer", vec![deny_all()]);
        cilium.push(cilium_agent());
        let found = findings(rule, cilium.clone());
        assert_eq!(found.len(), 1, "{found:?}");
        let (_, fix) = found[0].split_once(" | ").expect("a fix");
        assert_eq!(
            fix,
            "add a CiliumNetworkPolicy in `shop` with `endpointSelector` `app=frontend` and an ingress rule \
             `fromEntities: [world, remote-node, host]` on TCP 8080 (`world` for the clients; under \
             `externalTrafficPolicy: Cluster` the receiving node forwards the connection as its own, so the pods \
             see `remote-node` or `host`; on Cilium an `ipBlock` does not match the nodes' addresses unless \
             `policy-cidr-match-mode: nodes`)"
        );
        cilium.push(from_entities(&["world", "remote-node", "host"]));
        assert!(findings(rule, cilium.clone()).is_empty());
        // The node entities alone admit no client from outside the cluster.
        cilium.pop();
        cilium.push(from_entities(&["remote-node", "host"]));
        assert_eq!(findings(rule, cilium).len(), 1);
    }
}
