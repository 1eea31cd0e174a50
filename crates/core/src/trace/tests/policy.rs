//! The `network-policy-egress` and `network-policy-ingress` layers.

use super::*;

// Policies see the pod and its container port after the Service's DNAT, not
// the Service port (https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
// and the NetworkPolicyPort reference: "a numerical or named port on a pod").
#[test]
fn policy_on_the_service_port_instead_of_the_pod_port() {
    let objects = with(vec![policy(
        "prod",
        "allow-frontend",
        json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}], "ports": [{"port": 80}]}]}),
    )]);
    check(
        objects,
        "prod/frontend",
        "http://api/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            (Layer::NetworkPolicyIngress, "allows TCP 80, the Service port; after the Service's DNAT the pod receives TCP 8080"),
            (Layer::NetworkPolicyIngress, "in NetworkPolicy `prod/allow-frontend`, allow `port: http` (TCP 8080), the pod's port, instead of 80"),
        ],
    );
}

// Egress isolation applies to Service traffic after DNAT too: the rule must
// name the pods, not the Service.
#[test]
fn egress_denied_to_the_endpoints() {
    let objects = with(vec![policy(
        "web",
        "egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]}]}),
    )]);
    check(
        objects,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::NetworkPolicyEgress, "allow egress from pods `app=client` in `web` to namespace `prod` pods `app=api` on TCP 8080")],
    );
}

// A Service whose endpoints differ: some admit the client, some do not.
#[test]
fn some_endpoints_reachable() {
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        pod(
            "prod",
            "db-0",
            json!({"app": "db", "zone": "a"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.10",
            true,
            "n1",
        ),
        pod(
            "prod",
            "db-1",
            json!({"app": "db", "zone": "a"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.11",
            true,
            "n1",
        ),
        pod(
            "prod",
            "db-2",
            json!({"app": "db", "zone": "b"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.12",
            true,
            "n2",
        ),
        policy(
            "prod",
            "zone-b-locked",
            json!({"podSelector": {"matchLabels": {"zone": "b"}}, "policyTypes": ["Ingress"]}),
        ),
    ]);
    check(
        objects,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::NetworkPolicyIngress, "2 of 3 endpoints reachable"), (Layer::NetworkPolicyIngress, "`prod/db-2` does not admit it")],
    );
}

// An ipBlock admits some outside addresses: from an unknown client the
// answer depends on its address.
#[test]
fn external_clients_and_ip_blocks() {
    let objects = with(vec![
        service(
            "prod",
            "api-public",
            json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}),
        ),
        json!({"kind": "Node", "metadata": {"name": "n1"}, "spec": {"providerID": "aws:///eu-west-1a/i-0abc"}}),
        policy(
            "prod",
            "office",
            json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}]}),
        ),
    ]);
    let expect_warn = "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed";
    check(
        objects.clone(),
        "external",
        "svc/prod/api-public:80",
        expect_warn,
        &[(Layer::NetworkPolicyIngress, "admitted only from `198.51.100.0/24`")],
    );
    let expect_pass = "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed";
    check(objects.clone(), "external:198.51.100.9", "svc/prod/api-public:80", expect_pass, &[]);
    check(
        objects,
        "external:203.0.113.9",
        "svc/prod/api-public:80",
        "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "`ipBlock` `203.0.113.9/32`")],
    );
}
