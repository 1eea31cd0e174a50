//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy semantics, on a
//! cluster that runs Cilium.
//!
//! Sources: the policy language
//! (<https://docs.cilium.io/en/stable/security/policy/language/>), deny
//! policies (<https://docs.cilium.io/en/stable/security/policy/deny/>), the
//! Kubernetes integration (<https://docs.cilium.io/en/stable/network/kubernetes/policy/>)
//! and the `enableDefaultDeny` field of `pkg/policy/api/rule.go` ("If not
//! specified, the default is true for each traffic direction that has
//! rules, and false otherwise").

use serde_json::{json, Value};

use super::testing::{
    blue_and_red, check_pairs, cluster, engine_on, namespace, network_policy, pod, pod_with_ports,
};
use super::{Caveat, PolicyEngine};
use crate::cni::{self, PluginOverrides, PolicyView};

const ALL: &str = "All Connections";
const NONE: &str = "No Connections";

fn cnp(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"namespace": namespace, "name": name}, "spec": spec})
}

fn ccnp(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
           "metadata": {"name": name}, "spec": spec})
}

/// Checks pairs with the cluster's plugin named `plugin`.
fn check_on(plugin: &str, objects: &[Value], pairs: &[(&str, &str, &str)]) {
    let cluster = cluster(objects);
    check_pairs(&engine_on(plugin, &cluster), pairs);
}

fn check(objects: &[Value], pairs: &[(&str, &str, &str)]) {
    check_on("cilium", objects, pairs);
}

// "If any rule selects an Endpoint and the rule has an ingress section, the
// endpoint goes into default deny at ingress"; fromEndpoints in a
// CiliumNetworkPolicy selects within the policy's namespace.
#[test]
fn ingress_rules_isolate_and_stay_in_the_namespace() {
    let objects = blue_and_red(&[cnp(
        "x",
        "allow-b",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}},
               "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "b"}}]}]}),
    )]);
    check(
        &objects,
        &[("x/b", "x/a", ALL), ("y/a", "x/a", NONE), ("x/a", "x/b", ALL), ("1.2.3.4", "x/a", NONE)],
    );
}

// The `k8s:io.kubernetes.pod.namespace` label lets a selector reach another
// namespace; namespace labels are `io.cilium.k8s.namespace.labels.*`.
#[test]
fn namespace_label_crosses_namespaces() {
    let objects = blue_and_red(&[
        cnp(
            "x",
            "from-y",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}},
                   "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "y"}}]}]}),
        ),
        cnp(
            "x",
            "from-red",
            json!({"endpointSelector": {"matchLabels": {"app": "b"}},
                   "ingress": [{"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.namespace.labels.team": "red"}}]}]}),
        ),
    ]);
    check(&objects, &[("y/a", "x/a", ALL), ("x/b", "x/a", NONE), ("y/a", "x/b", NONE)]);
}

// An empty selector in a CiliumNetworkPolicy is every endpoint of its
// namespace; in a CiliumClusterwideNetworkPolicy, of the cluster.
#[test]
fn empty_selectors() {
    let namespaced = blue_and_red(&[cnp(
        "x",
        "same-namespace",
        json!({"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}),
    )]);
    check(&namespaced, &[("x/b", "x/a", ALL), ("y/a", "x/a", NONE), ("x/a", "y/a", ALL)]);
    let clusterwide = blue_and_red(&[ccnp(
        "everyone",
        json!({"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}),
    )]);
    check(&clusterwide, &[("x/b", "x/a", ALL), ("y/a", "x/a", ALL), ("1.2.3.4", "x/a", NONE)]);
}

// The docs' default deny: `ingress: [{}]` selects no peer.
#[test]
fn empty_rule_denies_everything() {
    let objects = blue_and_red(&[ccnp("deny", json!({"endpointSelector": {}, "ingress": [{}]}))]);
    check(&objects, &[("x/b", "x/a", NONE), ("1.2.3.4", "y/a", NONE)]);
}

// Entities: `world` is everything outside the cluster, `cluster` every
// endpoint in it, `all` both.
#[test]
fn entities() {
    let objects = blue_and_red(&[
        cnp(
            "x",
            "world",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"fromEntities": ["world"]}]}),
        ),
        cnp(
            "x",
            "cluster",
            json!({"endpointSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"fromEntities": ["cluster"]}]}),
        ),
        cnp("y", "all", json!({"endpointSelector": {}, "ingress": [{"fromEntities": ["all"]}]})),
    ]);
    check(
        &objects,
        &[
            ("1.2.3.4", "x/a", ALL),
            ("y/a", "x/a", NONE),
            ("y/a", "x/b", ALL),
            ("1.2.3.4", "x/b", NONE),
            ("1.2.3.4", "y/a", ALL),
            ("x/a", "y/a", ALL),
        ],
    );
}

// CIDR rules select addresses outside the cluster, never pods (Cilium's
// Kubernetes compatibility: an `ipBlock` with a pod IP is not matched).
#[test]
fn cidr_rules_with_except() {
    let mut objects = blue_and_red(&[cnp(
        "x",
        "cidr",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}},
               "egress": [{"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}]},
                          {"toCIDR": ["192.168.0.1/32"]}]}),
    )]);
    let mut target = pod("y", "p", json!({"app": "p"}));
    target["status"] = json!({"podIP": "10.2.0.5", "podIPs": [{"ip": "10.2.0.5"}]});
    objects.push(target);
    check(
        &objects,
        &[
            ("x/a", "10.2.0.0/16", ALL),
            ("x/a", "10.1.2.3", NONE),
            ("x/a", "192.168.0.1", ALL),
            ("x/a", "192.168.0.2", NONE),
            ("x/a", "y/p", NONE),
        ],
    );
}

// "Deny policies take precedence over allow policies, regardless of whether
// they are a Cilium Network Policy, a Clusterwide Cilium Network Policy or
// even a Kubernetes Network Policy."
#[test]
fn deny_wins_over_network_policy_allow() {
    let objects = blue_and_red(&[
        network_policy(
            "x",
            "allow-all",
            json!({"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}),
        ),
        ccnp(
            "deny-80-from-red",
            json!({"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "x"}},
                   "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.namespace.labels.team": "red"}}],
                                    "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}]}),
        ),
    ]);
    check(&objects, &[("y/a", "x/a", "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"), ("x/b", "x/a", ALL)]);
}

// A policy with only deny rules puts the endpoint in default deny ("Pods
// will enter default-deny mode as soon a single policy selects it") unless
// `enableDefaultDeny` turns it off, which leaves only the denial.
#[test]
fn enable_default_deny() {
    let deny = json!([{"fromEndpoints": [{"matchLabels": {"app": "b"}}]}]);
    let strict = blue_and_red(&[cnp(
        "x",
        "deny-b",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}}, "ingressDeny": deny}),
    )]);
    check(&strict, &[("x/b", "x/a", NONE), ("y/a", "x/a", NONE)]);
    let lenient = blue_and_red(&[cnp(
        "x",
        "deny-b",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}}, "ingressDeny": deny,
               "enableDefaultDeny": {"ingress": false}}),
    )]);
    check(&lenient, &[("x/b", "x/a", NONE), ("y/a", "x/a", ALL)]);
}

// `toPorts`: protocol `ANY` by default, `endPort` ranges, named ports; a
// rule with only `toPorts` applies to every peer.
#[test]
fn ports() {
    let objects = vec![
        namespace("x", json!({})),
        pod_with_ports("x", "a", json!({"app": "a"}), json!([{"name": "http", "containerPort": 8080}])),
        pod("x", "b", json!({"app": "b"})),
        cnp(
            "x",
            "ports",
            json!({"endpointSelector": {"matchLabels": {"app": "a"}},
                   "ingress": [{"toPorts": [{"ports": [{"port": "53"}, {"port": "9000", "endPort": 9010, "protocol": "TCP"}]}]},
                               {"fromEndpoints": [{"matchLabels": {"app": "b"}}],
                                "toPorts": [{"ports": [{"port": "http", "protocol": "TCP"}]}]}]}),
        ),
    ];
    check(
        &objects,
        &[
            ("x/b", "x/a", "SCTP 53,TCP 53,8080,9000-9010,UDP 53"),
            ("1.2.3.4", "x/a", "SCTP 53,TCP 53,9000-9010,UDP 53"),
        ],
    );
}

// `toServices` on a Service with a selector: its pods from Cilium 1.17
// (cilium/cilium#34208), nothing before (cilium/cilium#25864).
#[test]
fn to_services_by_version() {
    let objects = |image: &str| {
        blue_and_red(&[
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "cilium", "namespace": "kube-system"},
                   "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}},
                            "template": {"metadata": {"labels": {"k8s-app": "cilium"}},
                                         "spec": {"hostNetwork": true, "containers": [{"name": "cilium-agent", "image": image}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "y", "name": "svc"},
                   "spec": {"selector": {"app": "a"}, "ports": [{"port": 80}]}}),
            cnp(
                "x",
                "to-svc",
                json!({"endpointSelector": {"matchLabels": {"app": "a"}},
                       "egress": [{"toServices": [{"k8sService": {"serviceName": "svc", "namespace": "y"}}]}]}),
            ),
        ])
    };
    let engine_pairs = |image: &str, expect: &str| {
        let cluster = cluster(&objects(image));
        let plugin = cni::behaviour(&cluster, &PluginOverrides::default());
        let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::Effective);
        check_pairs(&engine, &[("x/a", "y/a", expect), ("x/a", "x/b", NONE)]);
    };
    engine_pairs("quay.io/cilium/cilium:v1.17.2", ALL);
    engine_pairs("quay.io/cilium/cilium:v1.16.5", NONE);
}

// Cilium's policies take effect only on Cilium.
#[test]
fn only_on_cilium() {
    let objects = blue_and_red(&[ccnp("deny", json!({"endpointSelector": {}, "ingress": [{}]}))]);
    check_on("calico", &objects, &[("x/b", "x/a", ALL)]);
    check_on("cilium", &objects, &[("x/b", "x/a", NONE)]);
}

// L7 rules allow at L4 and filter requests beyond the model: the step that
// allows carries the caveat. `toFQDNs` allows nothing the model can see,
// and the explanation says it could.
#[test]
fn l7_and_fqdn_caveats() {
    let objects = blue_and_red(&[cnp(
        "x",
        "l7",
        json!({"endpointSelector": {"matchLabels": {"app": "a"}},
               "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "b"}}],
                            "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                         "rules": {"http": [{"method": "GET"}]}}]}],
               "egress": [{"toFQDNs": [{"matchName": "api.example.com"}]}]}),
    )]);
    let cluster = cluster(&objects);
    let engine = engine_on("cilium", &cluster);
    check_pairs(&engine, &[("x/b", "x/a", "TCP 80"), ("x/a", "1.2.3.4", NONE)]);
    let (a, b) = (super::testing::endpoint(&cluster, "x/a"), super::testing::endpoint(&cluster, "x/b"));
    let explanation = engine.explain(&b, &a);
    let caveat = explanation.ingress.steps.iter().find_map(|s| s.caveat.clone());
    assert_eq!(caveat, Some(Caveat::L7 { protocols: vec!["http".to_owned()] }));
    let outside = super::testing::endpoint(&cluster, "1.2.3.4");
    let explanation = engine.explain(&a, &outside);
    let caveats: Vec<&Caveat> = explanation.egress.caveats.iter().map(|(_, _, c)| c).collect();
    assert_eq!(caveats, [&Caveat::Fqdns { names: vec!["api.example.com".to_owned()] }]);
}
