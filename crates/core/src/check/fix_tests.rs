//! Every concrete `fix:` of `check`, applied: the change a finding
//! suggests, made to the input, makes the finding go away and the
//! connection work; the change an earlier wording suggested (or an
//! obvious but wrong one) leaves it. Each case cites the rule of the API
//! or the docs that makes the suggested change the one that works.

use serde_json::{json, Value};

use super::netpol::testing::{deployment, namespace, policy, service};
use crate::check::testing::findings;

/// The one finding of `rule` on `objects`, whose fix must contain `fix`.
pub(super) fn one_finding(rule: &str, objects: &[Value], fix: &str) {
    let found = findings(rule, objects.to_vec());
    assert_eq!(found.len(), 1, "{found:?}");
    let (_, suggested) = found[0].split_once(" | ").expect("a fix");
    assert!(suggested.contains(fix), "the fix is `{suggested}`, expected it to contain `{fix}`");
}

/// `objects` plus `change` leave no finding of `rule`.
pub(super) fn fixed_by(rule: &str, objects: &[Value], change: Value) {
    let mut objects = objects.to_vec();
    objects.push(change);
    let found = findings(rule, objects);
    assert!(found.is_empty(), "still: {found:?}");
}

/// `objects` plus `change` still have a finding of `rule`.
pub(super) fn not_fixed_by(rule: &str, objects: &[Value], change: Value) {
    let mut objects = objects.to_vec();
    objects.push(change);
    assert_eq!(findings(rule, objects).len(), 1);
}

/// A pod `namespace/name` with `labels` on `node` at `ip`, with `ports`;
/// `hostNetwork` pods have their node's address.
pub(super) fn pod(namespace: &str, name: &str, labels: Value, node: &str, ip: &str, extra: Value) -> Value {
    let mut spec = json!({"nodeName": node, "containers": [{"name": "main", "image": "example/app:1"}]});
    if let Value::Object(extra) = extra {
        for (key, value) in extra {
            if key == "ports" || key == "image" {
                spec["containers"][0][key] = value;
            } else {
                spec[key] = value;
            }
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
           "spec": spec,
           "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": ip,
                      "conditions": [{"type": "Ready", "status": "True"}]}})
}

pub(super) fn node(name: &str, ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
           "status": {"addresses": [{"type": "InternalIP", "address": ip}]}})
}

/// CoreDNS pods in `kube-system` listening on `port` over UDP and TCP.
fn coredns(port: u16) -> Value {
    deployment(
        "kube-system",
        "coredns",
        json!({"k8s-app": "kube-dns"}),
        json!([{"name": "dns", "containerPort": port, "protocol": "UDP"},
               {"name": "dns-tcp", "containerPort": port, "protocol": "TCP"}]),
    )
}

// KR306. Policies see a DNS query after the Service's DNAT, on the DNS
// pod's container port
// (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPort:
// "the port on the given protocol"; the Service's `targetPort`). Behind a
// `kube-dns` Service whose port 53 targets 5353 (OpenShift's DNS pods
// listen there), an egress rule on 53 admits nothing.
#[test]
fn dns_egress_fix_names_the_dns_pods_port() {
    let rule = "networkpolicy-egress-blocks-dns";
    let objects = vec![
        deployment("shop", "api", json!({"app": "api"}), json!([])),
        coredns(5353),
        service(
            "kube-system",
            "kube-dns",
            json!({"k8s-app": "kube-dns"}),
            json!([{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
                   {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": "dns-tcp"}]),
        ),
        policy("shop", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]})),
    ];
    one_finding(rule, &objects, "on UDP and TCP port 5353");
    let allow_dns = |port: u16| {
        policy(
            "shop",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                               "ports": [{"port": port, "protocol": "UDP"}, {"port": port, "protocol": "TCP"}]}]}),
        )
    };
    fixed_by(rule, &objects, allow_dns(5353));
    not_fixed_by(rule, &objects, allow_dns(53));
}

// KR306 is about the client's egress: when the egress allows DNS and the
// DNS pods' own ingress policies refuse it, no egress rule would help, so
// the rule says nothing ("both the egress policy on the source pod and the
// ingress policy on the destination pod need to allow the connection",
// https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation).
#[test]
fn dns_refused_by_the_dns_pods_ingress_is_no_egress_finding() {
    let objects = vec![
        deployment("shop", "api", json!({"app": "api"}), json!([])),
        coredns(53),
        policy(
            "shop",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}),
        ),
        policy("kube-system", "deny-ingress", json!({"podSelector": {}, "policyTypes": ["Ingress"]})),
    ];
    assert!(findings("networkpolicy-egress-blocks-dns", objects).is_empty());
}

/// An ingress-nginx controller pod on node `n1` (on its host network,
/// `192.168.0.11`, or at `10.244.1.9`), the Ingress `shop/web` to Service
/// `web` port 80 → container port 8080 on a pod of node `n2`.
fn controller(host_network: bool) -> Vec<Value> {
    let ip = if host_network { "192.168.0.11" } else { "10.244.1.9" };
    vec![
        namespace("ingress-nginx", json!({})),
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        pod(
            "ingress-nginx",
            "ingress-nginx-controller-abcde",
            json!({"app.kubernetes.io/name": "ingress-nginx"}),
            "n1",
            ip,
            json!({"hostNetwork": host_network, "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                   "ports": [{"containerPort": 80}, {"containerPort": 443}]}),
        ),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
               "spec": {"controller": "k8s.io/ingress-nginx"}}),
        pod(
            "shop",
            "web-0",
            json!({"app": "web"}),
            "n2",
            "10.244.2.5",
            json!({"ports": [{"containerPort": 8080}]}),
        ),
        service("shop", "web", json!({"app": "web"}), json!([{"port": 80, "targetPort": 8080}])),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"ingressClassName": "nginx",
                        "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    ]
}

fn from_controller(peer: Value) -> Value {
    policy(
        "shop",
        "from-controller",
        json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [peer], "ports": [{"port": 8080}]}]}),
    )
}

fn controller_namespace() -> Value {
    json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}})
}

// KR307. A controller on the host network connects from its node's
// address, and the plugin sees it as the node: "a podSelector or
// namespaceSelector" does not match it, an `ipBlock` of the node's
// address does
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
#[test]
fn a_host_network_controller_is_admitted_by_its_nodes_address() {
    let rule = "networkpolicy-blocks-ingress-controller";
    let mut objects = controller(true);
    objects.push(policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})));
    one_finding(rule, &objects, "allows ingress from `ipBlock` `192.168.0.11/32`");
    fixed_by(rule, &objects, from_controller(json!({"ipBlock": {"cidr": "192.168.0.11/32"}})));
    not_fixed_by(rule, &objects, from_controller(controller_namespace()));
    // On the pod network, the namespace is the peer.
    let mut objects = controller(false);
    objects.push(policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})));
    one_finding(rule, &objects, "allows ingress from namespace `ingress-nginx` on port 8080");
    fixed_by(rule, &objects, from_controller(controller_namespace()));
}

fn admin_policy(rules: Value) -> Value {
    json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "shop-guard"},
           "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}},
                    "ingress": rules}})
}

// KR307. An AdminNetworkPolicy `Deny` "cannot be overridden by a
// NetworkPolicy" (https://network-policy-api.sigs.k8s.io/reference/spec/,
// `AdminNetworkPolicyRuleAction`): the fix is in the AdminNetworkPolicy,
// where rules apply in order and the first that matches decides.
#[test]
fn a_controller_denied_by_an_admin_policy_is_fixed_there() {
    let rule = "networkpolicy-blocks-ingress-controller";
    let from_controller_ns =
        json!([{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]);
    let deny = json!({"name": "no-controller", "action": "Deny", "from": from_controller_ns});
    let mut objects = controller(false);
    objects.push(admin_policy(json!([deny.clone()])));
    one_finding(rule, &objects, "AdminNetworkPolicy `shop-guard` denies it with its rule `no-controller`");
    not_fixed_by(rule, &objects, from_controller(controller_namespace()));
    let mut allowed_first = controller(false);
    let allow = json!({"name": "controller", "action": "Allow", "from": from_controller_ns});
    allowed_first.push(admin_policy(json!([allow, deny])));
    assert!(findings(rule, allowed_first).is_empty());
}

/// A `LoadBalancer` Service `shop/frontend` (port 80 → 8080) over a pod of
/// node `n1`, two nodes, and a default deny; `externalTrafficPolicy` as given.
fn exposed(traffic_policy: &str) -> Vec<Value> {
    vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        pod(
            "shop",
            "frontend-0",
            json!({"app": "frontend"}),
            "n1",
            "10.244.1.5",
            json!({"ports": [{"containerPort": 8080}]}),
        ),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "frontend", "namespace": "shop"},
               "spec": {"type": "LoadBalancer", "externalTrafficPolicy": traffic_policy, "selector": {"app": "frontend"},
                        "ports": [{"port": 80, "targetPort": 8080}]}}),
        policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})),
    ]
}

fn from_blocks(cidrs: &[&str]) -> Value {
    let peers: Vec<Value> = cidrs.iter().map(|c| json!({"ipBlock": {"cidr": c}})).collect();
    policy(
        "shop",
        "from-outside",
        json!({"podSelector": {"matchLabels": {"app": "frontend"}},
               "ingress": [{"from": peers, "ports": [{"port": 8080}]}]}),
    )
}

// KR309. Under `externalTrafficPolicy: Cluster` (the default) the node
// that receives the connection SNATs it to its own address
// (https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-nodeport),
// so the pods see the nodes' addresses: admitting them works; under
// `Local` the client's address is kept, and its range works. The rule
// selects the Service's pods by the Service's selector.
#[test]
fn an_exposed_service_is_admitted_by_the_addresses_its_pods_see() {
    let rule = "networkpolicy-isolates-exposed-service";
    let cluster = exposed("Cluster");
    one_finding(
        rule,
        &cluster,
        "add an ingress rule for pods `app=frontend` in `shop` from `ipBlock: {cidr: 0.0.0.0/0}` (or the nodes' \
         addresses `192.168.0.11/32`, `192.168.0.12/32`: under `externalTrafficPolicy: Cluster`",
    );
    fixed_by(rule, &cluster, from_blocks(&["0.0.0.0/0"]));
    fixed_by(rule, &cluster, from_blocks(&["192.168.0.11/32", "192.168.0.12/32"]));

    let local = exposed("Local");
    one_finding(rule, &local, "from `ipBlock: {cidr: 0.0.0.0/0}` (or the clients' ranges) on TCP 8080");
    fixed_by(rule, &local, from_blocks(&["203.0.113.0/24"]));
}

// KR103. The EndpointSlice controller resolves a named `targetPort` by
// name and protocol together (`FindPort` in
// kubernetes/pkg/api/v1/pod/util.go): a container port `dns` over TCP is
// no target of a UDP Service port, whatever the names, so the protocols
// must agree.
#[test]
fn a_named_target_port_of_another_protocol_is_fixed_by_the_protocol() {
    let rule = "service-target-port-not-found";
    let pods =
        deployment("shop", "dns", json!({"app": "dns"}), json!([{"name": "dns", "containerPort": 5353}]));
    let udp = service(
        "shop",
        "dns",
        json!({"app": "dns"}),
        json!([{"port": 53, "protocol": "UDP", "targetPort": "dns"}]),
    );
    one_finding(rule, &[pods.clone(), udp], "set `protocol: TCP` on the Service port");
    let tcp = service(
        "shop",
        "dns",
        json!({"app": "dns"}),
        json!([{"port": 53, "protocol": "TCP", "targetPort": "dns"}]),
    );
    fixed_by(rule, &[pods], tcp);
}

// KR302. NetworkPolicies do not apply to host-network pods
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods):
// a policy selecting only those has no relabelling that would help.
#[test]
fn a_policy_for_host_network_pods_is_not_told_to_relabel() {
    let objects = vec![
        pod(
            "monitoring",
            "node-exporter-1",
            json!({"app": "node-exporter"}),
            "n1",
            "192.168.0.11",
            json!({"hostNetwork": true, "ports": [{"containerPort": 9100}]}),
        ),
        pod("monitoring", "grafana-0", json!({"app": "grafana"}), "n1", "10.244.1.7", json!({})),
        policy(
            "monitoring",
            "exporter",
            json!({"podSelector": {"matchLabels": {"app": "node-exporter"}},
                                                 "policyTypes": ["Ingress"]}),
        ),
    ];
    one_finding(
        "networkpolicy-selects-nothing",
        &objects,
        "NetworkPolicies cannot isolate host-network pods: protect them with the node's firewall",
    );
}
