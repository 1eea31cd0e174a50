//! AdminNetworkPolicy and BaselineAdminNetworkPolicy semantics.
//!
//! API: <https://network-policy-api.sigs.k8s.io/reference/spec/> and
//! <https://network-policy-api.sigs.k8s.io/api-overview/>: ANPs are
//! evaluated before NetworkPolicy, lower `priority` first, rules in order;
//! `Allow` and `Deny` are final, `Pass` skips the remaining ANPs and lets
//! NetworkPolicy decide; what no NetworkPolicy isolates falls to the BANP,
//! then is allowed. ANP rules never isolate a pod by themselves.

use serde_json::{json, Value};

use super::testing::{
    admin_policy, baseline_policy, check, cluster, endpoint, namespace, network_policy, pod, pod_with_ports,
    EXTERNAL_ONLY,
};
use super::{Direction, PolicyEngine, PolicyKind, Tier, Verdict};

const ALL: &str = "All Connections";
const NONE: &str = "No Connections";

/// Namespaces `x` and `y`, pods `x/a`, `x/b`, `y/a`.
fn base(objects: &[Value]) -> Vec<Value> {
    let mut all = vec![
        namespace("x", json!({"team": "blue"})),
        namespace("y", json!({"team": "red"})),
        pod("x", "a", json!({"app": "a"})),
        pod("x", "b", json!({"app": "b"})),
        pod("y", "a", json!({"app": "a"})),
    ];
    all.extend_from_slice(objects);
    all
}

fn from_team(team: &str) -> Value {
    json!([{"namespaces": {"matchLabels": {"team": team}}}])
}

fn subject_team(team: &str) -> Value {
    json!({"namespaces": {"matchLabels": {"team": team}}})
}

// Allow is final: it overrides the isolation NetworkPolicy implies.
#[test]
fn allow_overrides_network_policy() {
    let objects = base(&[
        network_policy("x", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})),
        admin_policy(
            "allow-red",
            json!({"priority": 10, "subject": subject_team("blue"),
            "ingress": [{"action": "Allow", "from": from_team("red")}]}),
        ),
    ]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", ALL), ("x/b", "x/a", NONE), ("1.2.3.4", "x/a", NONE)]);
}

// Deny is final, per port: the rest still goes to NetworkPolicy (none
// here, so allowed by default).
#[test]
fn deny_overrides_per_port() {
    let objects = base(&[admin_policy(
        "deny-80",
        json!({"priority": 10, "subject": subject_team("blue"),
        "ingress": [{"action": "Deny", "from": from_team("red"), "ports": [{"portNumber": {"port": 80}}]}]}),
    )]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[("y/a", "x/a", "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"), ("x/b", "x/a", ALL)],
    );
}

// ANP rules are read as they are: no implicit isolation for the subject.
#[test]
fn admin_rules_do_not_isolate() {
    let objects = base(&[admin_policy(
        "allow-red",
        json!({"priority": 10, "subject": subject_team("blue"),
        "ingress": [{"action": "Allow", "from": from_team("red"), "ports": [{"portNumber": {"port": 80}}]}]}),
    )]);
    check(&objects, EXTERNAL_ONLY, &[("x/b", "x/a", ALL), ("y/a", "x/a", ALL)]);
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let super::Endpoint::Pod(a) = endpoint(&cluster, "x/a") else { unreachable!() };
    assert!(!engine.is_isolated(a, Direction::Ingress));
    let applying = engine.selecting_policies(a, Direction::Ingress);
    assert_eq!(applying.len(), 1);
    assert_eq!(applying[0].kind, PolicyKind::AdminNetworkPolicy);
}

// Lower priority numbers first; within a policy, rules in order; the
// first rule matching a port decides it.
#[test]
fn priority_then_rule_order() {
    let objects = base(&[
        network_policy("x", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]})),
        admin_policy(
            "later",
            json!({"priority": 20, "subject": subject_team("blue"),
            "ingress": [{"action": "Allow", "from": from_team("red")}]}),
        ),
        admin_policy(
            "first",
            json!({"priority": 10, "subject": subject_team("blue"),
            "ingress": [
                {"action": "Allow", "from": from_team("red"), "ports": [{"portNumber": {"port": 443}}]},
                {"action": "Deny", "from": from_team("red"), "ports": [{"portRange": {"start": 1, "end": 1024}}]}
            ]}),
        ),
    ]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", "SCTP 1-65535,TCP 443,1025-65535,UDP 1-65535")]);
}

// Pass hands its ports to NetworkPolicy. netpol-analyzer's
// `anp_test_3_pass_traffic` (the API docs' "delegate to NetworkPolicy"
// story): egress to bar-ns is allowed on TCP except 8080, 8080 is passed,
// and foo-ns-1's NetworkPolicy only allows TCP 9090 there.
#[test]
fn pass_delegates_to_network_policy() {
    let objects = vec![
        namespace("foo-ns-1", json!({})),
        namespace("foo-ns-2", json!({})),
        namespace("bar-ns", json!({})),
        pod_with_ports(
            "foo-ns-1",
            "foo",
            json!({"app": "foo"}),
            json!([{"name": "http", "containerPort": 5698}]),
        ),
        pod_with_ports(
            "foo-ns-2",
            "foo",
            json!({"app": "foo"}),
            json!([{"name": "http", "containerPort": 5698}]),
        ),
        pod_with_ports(
            "bar-ns",
            "bar",
            json!({"app": "bar"}),
            json!([{"name": "http", "containerPort": 8956}]),
        ),
        admin_policy(
            "pub-svc-delegate-example",
            json!({"priority": 20, "subject": {"namespaces": {}}, "egress": [
                {"action": "Allow", "to": [{"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "bar-ns"}}, "podSelector": {}}}],
                 "ports": [{"portRange": {"protocol": "TCP", "start": 1, "end": 8079}},
                           {"portRange": {"protocol": "TCP", "start": 8081, "end": 9089}},
                           {"portRange": {"protocol": "TCP", "start": 9091, "end": 65535}}]},
                {"action": "Pass", "to": [{"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "bar-ns"}}, "podSelector": {}}}],
                 "ports": [{"portNumber": {"protocol": "TCP", "port": 8080}}]}
            ]}),
        ),
        network_policy(
            "foo-ns-1",
            "restrict-egress-to-bar-ns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 9090, "protocol": "TCP"}], "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "bar-ns"}}}]}]}),
        ),
    ];
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            ("foo-ns-1/foo", "bar-ns/bar", "TCP 1-8079,8081-65535"),
            ("foo-ns-2/foo", "bar-ns/bar", ALL),
            ("foo-ns-1/foo", "foo-ns-2/foo", NONE),
            ("foo-ns-1/foo", "1.2.3.4", NONE),
            ("bar-ns/bar", "foo-ns-1/foo", ALL),
        ],
    );
}

// What NetworkPolicy does not isolate falls to the BANP; what it isolates,
// NetworkPolicy decides and the BANP is not consulted.
#[test]
fn baseline_applies_only_without_network_policy() {
    let banp = baseline_policy(json!({"subject": subject_team("blue"),
        "ingress": [{"action": "Deny", "from": from_team("red")}, {"action": "Allow", "from": from_team("red")}]}));
    check(&base(std::slice::from_ref(&banp)), EXTERNAL_ONLY, &[("y/a", "x/a", NONE), ("x/b", "x/a", ALL)]);
    let allow_red = network_policy(
        "x",
        "allow-red",
        json!({"podSelector": {"matchLabels": {"app": "a"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "red"}}}], "ports": [{"port": 80}]}]}),
    );
    check(
        &base(&[banp, allow_red]),
        EXTERNAL_ONLY,
        &[("y/a", "x/a", "TCP 80"), ("x/b", "x/a", NONE), ("y/a", "x/b", NONE)],
    );
}

// Passed ports with no NetworkPolicy isolating the pod go to the BANP.
#[test]
fn pass_without_network_policy_reaches_baseline() {
    let objects = base(&[
        admin_policy(
            "pass",
            json!({"priority": 5, "subject": subject_team("blue"),
            "ingress": [{"action": "Pass", "from": from_team("red"), "ports": [{"portNumber": {"port": 53, "protocol": "UDP"}}]}]}),
        ),
        baseline_policy(
            json!({"subject": subject_team("blue"), "ingress": [{"action": "Deny", "from": from_team("red")}]}),
        ),
    ]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", NONE), ("x/b", "x/a", ALL)]);
}

// Egress peers `networks` (CIDRs outside the cluster) and `nodes` (node
// addresses), with `namedPort` resolved on the destination pod.
#[test]
fn egress_networks_nodes_and_named_ports() {
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"role": "infra"}},
        "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.1"}]}});
    let objects = base(&[
        node,
        pod_with_ports("y", "web", json!({"app": "web"}), json!([{"name": "http", "containerPort": 8080}])),
        admin_policy(
            "egress",
            json!({"priority": 1, "subject": subject_team("blue"), "egress": [
                {"action": "Deny", "to": [{"networks": ["8.8.8.8/32"]}, {"nodes": {"matchLabels": {"role": "infra"}}}]},
                {"action": "Allow", "to": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}}], "ports": [{"namedPort": "http"}]},
                {"action": "Deny", "to": [{"namespaces": {}}]}
            ]}),
        ),
    ]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            ("x/a", "8.8.8.8", NONE),
            ("x/a", "8.8.4.4", ALL),
            ("x/a", "192.168.1.1", NONE),
            ("x/a", "192.168.1.2", ALL),
            ("x/a", "y/web", "TCP 8080"),
            ("x/a", "y/a", NONE),
            ("y/a", "x/a", ALL),
        ],
    );
}

// A BANP is a singleton named `default`: another name is ignored (the API
// server rejects it).
#[test]
fn baseline_must_be_named_default() {
    let mut banp = baseline_policy(
        json!({"subject": subject_team("blue"), "ingress": [{"action": "Deny", "from": from_team("red")}]}),
    );
    banp["metadata"]["name"] = json!("other");
    check(&base(&[banp]), EXTERNAL_ONLY, &[("y/a", "x/a", ALL)]);
}

// The explanation walks the tiers.
#[test]
fn explanations_walk_the_tiers() {
    let objects = base(&[
        admin_policy(
            "deny-80",
            json!({"priority": 10, "subject": subject_team("blue"),
            "ingress": [{"name": "no-http", "action": "Deny", "from": from_team("red"), "ports": [{"portNumber": {"port": 80}}]},
                        {"name": "pass-dns", "action": "Pass", "from": from_team("red"), "ports": [{"portNumber": {"port": 53, "protocol": "UDP"}}]}]}),
        ),
        baseline_policy(
            json!({"subject": subject_team("blue"), "ingress": [{"name": "deny-udp", "action": "Deny", "from": from_team("red"), "ports": [{"portRange": {"protocol": "UDP", "start": 1, "end": 65535}}]}]}),
        ),
    ]);
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let explanation = engine.explain(&endpoint(&cluster, "y/a"), &endpoint(&cluster, "x/a"));
    let steps: Vec<(Tier, Verdict, Option<String>, String)> = explanation
        .ingress
        .steps
        .iter()
        .map(|s| (s.tier, s.verdict, s.rule_name.clone(), s.connections.to_string()))
        .collect();
    assert_eq!(
        steps,
        [
            (Tier::Admin, Verdict::Deny, Some("no-http".to_owned()), "TCP 80".to_owned()),
            (Tier::Admin, Verdict::Pass, Some("pass-dns".to_owned()), "UDP 53".to_owned()),
            (Tier::Baseline, Verdict::Deny, Some("deny-udp".to_owned()), "UDP 1-65535".to_owned()),
            (Tier::Default, Verdict::Allow, None, "SCTP 1-65535,TCP 1-79,81-65535".to_owned()),
        ]
    );
    assert_eq!(explanation.allowed.to_string(), "SCTP 1-65535,TCP 1-79,81-65535");
}
