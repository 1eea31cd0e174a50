//! Rules about exposing a Service outside the cluster: a LoadBalancer
//! nothing provisions, `externalTrafficPolicy: Local` without local
//! endpoints.

use std::collections::BTreeSet;

use crate::check::{declare_rule, list, plural, Context, Emitter, Subject};
use crate::endpoints::service_endpoints;
use crate::exposure::{load_balancer_reach, LoadBalancerReach};
use crate::service::{
    external_ips, external_traffic_policy, service_kind, service_ports, ServiceKind, TrafficPolicy,
};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::check::testing::findings;

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
}
