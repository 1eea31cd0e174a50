//! The three communication patterns: pod → Service, pod → pod, external → Service.

use super::*;

// Pod → Service: DNS name → ClusterIP → service port → targetPort → endpoints
// (https://kubernetes.io/docs/concepts/services-networking/service/).
#[test]
fn pod_to_service_through_every_layer() {
    check(
        base(),
        "prod/frontend",
        "http://api.prod/healthz",
        "
pass source
pass dns
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-egress
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[
            (Layer::Dns, "`api.prod` resolves to Service `prod/api` at `10.96.1.1`"),
            (Layer::Dns, "query 1: `api.prod.prod.svc.cluster.local` A → NXDOMAIN"),
            (Layer::ServicePort, "port 80 (`http`, TCP) → targetPort `http` = 8080 on the pods"),
            (Layer::Readiness, "3 of 3 endpoints ready (assumed: the input has no pod status)"),
            (Layer::Cni, "`calico` enforces NetworkPolicy"),
            (Layer::Destination, "`prod/api` serves TCP 8080 (`http`)"),
        ],
    );
}

// Pod → pod: every pod reaches every pod without NAT
// (https://kubernetes.io/docs/concepts/services-networking/#the-kubernetes-network-model).
#[test]
fn pod_to_pod_by_name_and_named_port() {
    check(
        base(),
        "web/client",
        "prod/api:http",
        "
pass source
pass readiness
pass network-policy-egress
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "pod to pod: no Service, no NAT"), (Layer::Destination, "TCP 8080")],
    );
    check(
        base(),
        "web/client",
        "prod/nope:80",
        "
pass source
fail destination
=> blocked at destination",
        &[(Layer::Destination, "no pod or workload `prod/nope` in the input")],
    );
    check(
        base(),
        "web/client",
        "prod/api:grpc",
        "
pass source
pass readiness
fail destination
=> blocked at destination",
        &[(Layer::Destination, "no container port named `grpc` (TCP) on `prod/api`")],
    );
}

// External → Service: node ports on every node in 30000–32767, load
// balancers built on them
// (https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport).
#[test]
fn external_to_node_port_and_load_balancer() {
    let exposed = with(vec![
        node("n1", "192.168.0.11"),
        service(
            "prod",
            "api-public",
            json!({"type": "NodePort", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]}),
        ),
        json!({"kind": "Service", "metadata": {"name": "api-lb", "namespace": "prod"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 443, "targetPort": 8080}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}]}}}),
    ]);
    check(
        exposed.clone(),
        "external",
        "192.168.0.11:30080",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[
            (Layer::ServiceType, "`192.168.0.11` is node `n1`"),
            (Layer::ServicePort, "port 80 (TCP) → targetPort 8080"),
        ],
    );
    check(
        exposed.clone(),
        "external:198.51.100.7",
        "https://203.0.113.5/",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "`prod/api-lb` is `LoadBalancer`, provisioned at `203.0.113.5`")],
    );
    // A node port on an address the input does not show: assumed a node.
    check(
        exposed,
        "external",
        "10.1.2.3:30080",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "`10.1.2.3` is not a node of the input: assumed to be one")],
    );
}

// Pod addresses are not routable from outside on most networks.
#[test]
fn external_to_a_pod() {
    check(
        base(),
        "external:198.51.100.1",
        "prod/api:8080",
        "pass source\nwarn service-type\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "usually they are not")],
    );
}
