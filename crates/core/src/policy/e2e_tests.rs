//! The upstream Kubernetes NetworkPolicy conformance scenarios
//! (`test/e2e/network/netpol/network_policy.go` in kubernetes/kubernetes),
//! replayed on the model: namespaces `x`, `y`, `z`; pods `a`, `b`, `c`
//! labelled `pod: <name>` with servers on ports 80 and 81 over TCP, UDP and
//! SCTP named `serve-<port>-<protocol>`; a truth table per probe, loopback
//! ignored as upstream does. Each test is named after the upstream `It`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::testing::cluster;
use super::{Endpoint, PolicyEngine, PolicyOptions};
use crate::model::{Cluster, PodId};
use crate::ports::Protocol;

const TCP: Protocol = Protocol::Tcp;
const UDP: Protocol = Protocol::Udp;
const SCTP: Protocol = Protocol::Sctp;

/// Upstream's `namespaceLabelKey`.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The pod address upstream's CIDR tests read from `status.podIP`.
fn pod_ip(pod: &str) -> String {
    let (namespace, name) = pod.split_once('/').unwrap();
    let ns = match namespace {
        "x" => 1,
        "y" => 2,
        _ => 3,
    };
    let index = name.as_bytes()[0] - b'a' + 1;
    format!("10.0.{ns}.{index}")
}

/// The pods (`x/a`, …) of a test, as upstream's `initializeResources`.
fn pods(pods: &[&str], extra: &[Value]) -> Vec<Value> {
    let mut objects: Vec<Value> = ["x", "y", "z"]
        .iter()
        .map(|ns| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"ns": ns}}}))
        .collect();
    for pod in pods {
        let (namespace, name) = pod.split_once('/').unwrap();
        let containers: Vec<Value> = [80, 81]
            .iter()
            .flat_map(|port| {
                ["TCP", "UDP", "SCTP"].map(|protocol| {
                    let lower = protocol.to_lowercase();
                    json!({"name": format!("cont-{port}-{lower}"), "image": "agnhost",
                           "ports": [{"containerPort": port, "name": format!("serve-{port}-{lower}"), "protocol": protocol}]})
                })
            })
            .collect();
        let ip = pod_ip(pod);
        objects.push(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"namespace": namespace, "name": name, "labels": {"pod": name}},
            "spec": {"containers": containers},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}
        }));
    }
    objects.extend_from_slice(extra);
    objects
}

/// Upstream's `GenNetworkPolicyWithNameAndPodSelector` with
/// `SetSpecIngressRules`/`SetSpecEgressRules`: a direction given (even with
/// no rule) is in `policyTypes`.
fn policy(
    namespace: &str,
    name: &str,
    pod_selector: Value,
    ingress: Option<Value>,
    egress: Option<Value>,
) -> Value {
    let mut types = Vec::new();
    let mut spec = json!({"podSelector": pod_selector});
    if let Some(ingress) = ingress {
        types.push("Ingress");
        spec["ingress"] = ingress;
    }
    if let Some(egress) = egress {
        types.push("Egress");
        spec["egress"] = egress;
    }
    spec["policyTypes"] = json!(types);
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"namespace": namespace, "name": name}, "spec": spec})
}

/// `GenNetworkPolicyWithNameAndPodMatchLabel`.
fn match_pod(pod: &str) -> Value {
    json!({"matchLabels": {"pod": pod}})
}

fn everything() -> Value {
    json!({})
}

/// Upstream's `Reachability`: the expected truth table.
struct Reachability {
    pods: Vec<String>,
    expected: BTreeMap<(usize, usize), bool>,
}

/// A set of pods, as upstream's `Peer{Namespace, Pod}` (empty matches all).
#[derive(Clone, Copy)]
struct Peer<'a> {
    namespace: &'a str,
    pod: &'a str,
}

const ANY: Peer<'static> = Peer { namespace: "", pod: "" };

fn ns(namespace: &str) -> Peer<'_> {
    Peer { namespace, pod: "" }
}

impl Peer<'_> {
    fn matches(&self, pod: &str) -> bool {
        let (namespace, name) = pod.split_once('/').unwrap();
        (self.namespace.is_empty() || self.namespace == namespace)
            && (self.pod.is_empty() || self.pod == name)
    }
}

impl Reachability {
    fn new(pods: &[&str], default: bool) -> Reachability {
        let mut expected = BTreeMap::new();
        for i in 0..pods.len() {
            for j in 0..pods.len() {
                expected.insert((i, j), default);
            }
        }
        Reachability { pods: pods.iter().map(|p| p.to_string()).collect(), expected }
    }

    fn expect_peer(&mut self, from: Peer<'_>, to: Peer<'_>, value: bool) -> &mut Reachability {
        for i in 0..self.pods.len() {
            for j in 0..self.pods.len() {
                if from.matches(&self.pods[i]) && to.matches(&self.pods[j]) {
                    self.expected.insert((i, j), value);
                }
            }
        }
        self
    }

    fn expect(&mut self, from: &str, to: &str, value: bool) -> &mut Reachability {
        let (fns, fpod) = from.split_once('/').unwrap();
        let (tns, tpod) = to.split_once('/').unwrap();
        self.expect_peer(Peer { namespace: fns, pod: fpod }, Peer { namespace: tns, pod: tpod }, value)
    }

    fn expect_all_ingress(&mut self, pod: &str, value: bool) -> &mut Reachability {
        let (namespace, name) = pod.split_once('/').unwrap();
        self.expect_peer(ANY, Peer { namespace, pod: name }, value)
    }

    fn expect_all_egress(&mut self, pod: &str, value: bool) -> &mut Reachability {
        let (namespace, name) = pod.split_once('/').unwrap();
        self.expect_peer(Peer { namespace, pod: name }, ANY, value)
    }
}

fn pod_id(cluster: &Cluster, pod: &str) -> PodId {
    let (namespace, name) = pod.split_once('/').unwrap();
    *cluster.pods_in(namespace).iter().find(|id| cluster.pod(**id).name == name).unwrap()
}

/// Upstream's `ValidateOrFail`: probes every ordered pair but loopback on
/// `protocol`/`port`, through the single-pair evaluation and the class matrix.
fn validate(
    cluster: &Cluster,
    options: PolicyOptions,
    protocol: Protocol,
    port: u16,
    reachability: &Reachability,
) {
    let engine = PolicyEngine::new(cluster, options);
    let matrix = engine.class_matrix();
    matrix.assert_rows_agree();
    let mut wrong = Vec::new();
    for ((i, j), expected) in &reachability.expected {
        if i == j {
            continue;
        }
        let (from, to) = (&reachability.pods[*i], &reachability.pods[*j]);
        let (a, b) = (Endpoint::Pod(pod_id(cluster, from)), Endpoint::Pod(pod_id(cluster, to)));
        let single = engine.allowed(&a, &b).contains(protocol, port);
        let classes = matrix.allowed(&a, &b).contains(protocol, port);
        assert_eq!(single, classes, "{from} => {to}: single pair and class matrix disagree");
        if single != *expected {
            wrong.push(format!("{from} => {to} {protocol}/{port}: expected {expected}, got {single}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const STRICT: PolicyOptions = PolicyOptions { ip_blocks_match_pods: false };
/// Upstream's CIDR tests use pod IPs in ipBlocks: they assume a plugin that
/// matches them.
const POD_IPS: PolicyOptions = PolicyOptions { ip_blocks_match_pods: true };

fn run(pod_list: &[&str], policies: &[Value], protocol: Protocol, port: u16, reachability: &Reachability) {
    validate(&cluster(&pods(pod_list, policies)), STRICT, protocol, port, reachability);
}

#[test]
fn should_support_a_default_deny_ingress_policy() {
    let list = ["x/a", "x/b", "y/a", "y/b"];
    let deny = policy("x", "deny-ingress", everything(), Some(json!([])), None);
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false);
    run(&list, std::slice::from_ref(&deny), TCP, 80, &r);
    // "NetworkPolicy between server and client using UDP" and "using SCTP".
    run(&list, std::slice::from_ref(&deny), UDP, 80, &r);
    run(&list, &[deny], SCTP, 80, &r);
}

#[test]
fn should_support_a_default_deny_all_policy() {
    let list = ["x/a", "x/b", "y/a"];
    let deny = policy("x", "deny-all", everything(), Some(json!([])), Some(json!([])));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false).expect_peer(ns("x"), ANY, false);
    run(&list, &[deny], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_to_allow_traffic_from_pods_within_server_namespace_based_on_pod_selector() {
    let list = ["x/a", "x/b", "x/c", "y/a"];
    let p = policy(
        "x",
        "x-a-allows-x-b",
        match_pod("a"),
        Some(json!([{"from": [{"podSelector": match_pod("b")}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect("x/b", "x/a", true);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_to_allow_ingress_traffic_for_a_target() {
    let list = ["x/a", "x/b", "y/a"];
    let deny = policy("x", "deny-all", everything(), Some(json!([])), None);
    let allow = policy(
        "x",
        "allow-all-to-a",
        match_pod("a"),
        Some(json!([{"from": [{"podSelector": {}, "namespaceSelector": {}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", true).expect_all_ingress("x/b", false);
    run(&list, &[deny, allow], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_to_allow_ingress_traffic_from_pods_in_all_namespaces() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-from-another-ns",
        match_pod("a"),
        Some(json!([{"from": [{"namespaceSelector": {"matchLabels": {}}}]}])),
        None,
    );
    run(&list, &[p], TCP, 80, &Reachability::new(&list, true));
}

#[test]
fn should_enforce_policy_to_allow_traffic_only_from_a_different_namespace_based_on_namespace_selector() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-client-a-via-ns-selector",
        match_pod("a"),
        Some(json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false).expect_peer(
        ns("z"),
        Peer { namespace: "x", pod: "a" },
        false,
    );
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_pod_selector_with_match_expressions() {
    let list = ["x/a", "x/b", "y/a"];
    let p = policy(
        "x",
        "x-a-allows-x-b",
        match_pod("a"),
        Some(
            json!([{"from": [{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b"]}]}}]}]),
        ),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect("x/b", "x/a", true);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_namespace_selector_with_match_expressions() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-ns-y-match-selector",
        match_pod("a"),
        Some(
            json!([{"from": [{"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": ["y"]}]}}]}]),
        ),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false).expect_peer(
        ns("z"),
        Peer { namespace: "x", pod: "a" },
        false,
    );
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_pod_selector_or_namespace_selector() {
    let list = ["x/a", "x/b", "x/c", "y/a"];
    let p = policy(
        "x",
        "allow-ns-y-match-selector",
        match_pod("a"),
        Some(json!([{"from": [
            {"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["x"]}]}},
            {"podSelector": match_pod("b")}
        ]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect("x/a", "x/a", false).expect("x/c", "x/a", false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_pod_selector_and_namespace_selector() {
    let list = ["x/a", "x/b", "y/a", "y/b", "z/b"];
    let p = policy(
        "x",
        "allow-ns-y-podselector-and-nsselector",
        match_pod("a"),
        Some(json!([{"from": [
            {"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["x"]}]},
             "podSelector": match_pod("b")}
        ]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect("y/b", "x/a", true).expect("z/b", "x/a", true);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_multiple_pod_selectors_and_namespace_selectors() {
    let list = ["x/a", "x/b", "y/a", "y/b", "y/c"];
    let p = policy(
        "x",
        "allow-ns-y-z-pod-b-c",
        match_pod("a"),
        Some(json!([{"from": [
            {"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["x"]}]},
             "podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]}}
        ]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false).expect("y/a", "x/a", false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_any_pod_selectors() {
    let list = ["x/a", "x/b", "x/c"];
    let p = policy(
        "x",
        "allow-ns-x-pod-b-c",
        match_pod("a"),
        Some(json!([{"from": [{"podSelector": match_pod("b")}, {"podSelector": match_pod("c")}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect("x/b", "x/a", true).expect("x/c", "x/a", true);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_to_allow_traffic_only_from_a_pod_in_a_different_namespace_based_on_pod_selector_and_namespace_selector(
) {
    let list = ["x/a", "x/b", "y/a", "y/b", "z/a"];
    let rule = json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}, "podSelector": match_pod("a")}]}]);
    let p = policy("x", "allow-ns-y-pod-a-via-namespace-pod-selector", match_pod("a"), Some(rule), None);
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect("y/a", "x/a", true);
    run(&list, std::slice::from_ref(&p), TCP, 80, &r);
    // The UDP and SCTP contexts run the same policy on x/a, x/b, y/a.
    let small = ["x/a", "x/b", "y/a"];
    let mut r = Reachability::new(&small, true);
    r.expect_all_ingress("x/a", false).expect("y/a", "x/a", true);
    run(&small, std::slice::from_ref(&p), UDP, 80, &r);
    run(&small, &[p], SCTP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_ports() {
    let list = ["x/a", "x/b", "y/a", "y/b", "z/a"];
    let rule = |protocol: &str| json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}}], "ports": [{"port": 81, "protocol": protocol}]}]);
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false)
        .expect_peer(ns("y"), Peer { namespace: "x", pod: "a" }, true)
        .expect_peer(ns("z"), Peer { namespace: "x", pod: "a" }, false);
    for (protocol, name) in [(TCP, "TCP"), (UDP, "UDP"), (SCTP, "SCTP")] {
        let p = policy("x", "allow-client-a-via-ns-selector", match_pod("a"), Some(rule(name)), None);
        run(&list, &[p], protocol, 81, &r);
    }
}

#[test]
fn should_enforce_multiple_stacked_policies_with_overlapping_pod_selectors() {
    let list = ["x/a", "x/b", "y/a", "y/b", "z/a"];
    let rule = |port: u16| json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}}], "ports": [{"port": port, "protocol": "TCP"}]}]);
    let allow81 = policy("x", "allow-client-a-via-ns-selector", match_pod("a"), Some(rule(81)), None);
    let mut allow = Reachability::new(&list, true);
    allow
        .expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false)
        .expect_peer(ns("y"), Peer { namespace: "x", pod: "a" }, true)
        .expect_peer(ns("z"), Peer { namespace: "x", pod: "a" }, false);
    run(&list, std::slice::from_ref(&allow81), TCP, 81, &allow);
    let mut deny = Reachability::new(&list, true);
    deny.expect_all_ingress("x/a", false);
    run(&list, std::slice::from_ref(&allow81), TCP, 80, &deny);
    let allow80 = policy("x", "allow-client-a-via-ns-selector-80", match_pod("a"), Some(rule(80)), None);
    run(&list, &[allow81, allow80], TCP, 80, &allow);
}

#[test]
fn should_support_allow_all_policy() {
    let list = ["x/a", "x/b", "y/a"];
    let p = policy("x", "allow-all", json!({"matchLabels": {}}), Some(json!([{}])), None);
    let r = Reachability::new(&list, true);
    run(&list, std::slice::from_ref(&p), TCP, 80, &r);
    run(&list, &[p], TCP, 81, &r);
}

#[test]
fn should_allow_ingress_access_on_one_named_port() {
    let list = ["x/a", "x/b", "y/a"];
    let p = policy(
        "x",
        "allow-all",
        json!({"matchLabels": {}}),
        Some(json!([{"ports": [{"port": "serve-81-tcp"}]}])),
        None,
    );
    run(&list, std::slice::from_ref(&p), TCP, 81, &Reachability::new(&list, true));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_allow_ingress_access_from_namespace_on_one_named_port() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-client-a-via-ns-selector-80",
        match_pod("a"),
        Some(json!([{
            "from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}}],
            "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}]
        }])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false).expect_peer(
        ns("z"),
        Peer { namespace: "x", pod: "a" },
        false,
    );
    run(&list, std::slice::from_ref(&p), TCP, 80, &r);
    let mut fail = Reachability::new(&list, true);
    fail.expect_all_ingress("x/a", false);
    run(&list, &[p], TCP, 81, &fail);
}

#[test]
fn should_allow_egress_access_on_one_named_port() {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "allow-egress",
        json!({"matchLabels": {}}),
        None,
        Some(json!([{"ports": [{"port": "serve-80-tcp"}]}])),
    );
    run(&list, std::slice::from_ref(&p), TCP, 80, &Reachability::new(&list, true));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), ANY, false);
    run(&list, &[p], TCP, 81, &r);
}

#[test]
fn should_enforce_updated_policy() {
    let list = ["x/a", "y/a"];
    let allow =
        policy("x", "allow-all-mutate-to-deny-all", json!({"matchLabels": {}}), Some(json!([{}])), None);
    run(&list, &[allow], TCP, 81, &Reachability::new(&list, true));
    // The update: `policy.Spec.Ingress = []`.
    let deny = policy("x", "allow-all-mutate-to-deny-all", json!({"matchLabels": {}}), Some(json!([])), None);
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false);
    run(&list, &[deny], TCP, 81, &r);
}

#[test]
fn should_allow_ingress_access_from_updated_namespace() {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "allow-client-a-via-ns-selector",
        match_pod("a"),
        Some(json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns2": "updated"}}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    run(&list, std::slice::from_ref(&p), TCP, 80, &r);
    // `AddNamespaceLabel(y, ns2=updated)`.
    let mut objects = pods(&list, &[p]);
    objects[1]["metadata"]["labels"]["ns2"] = json!("updated");
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false).expect_peer(ns("y"), ANY, true);
    validate(&cluster(&objects), STRICT, TCP, 80, &r);
}

#[test]
fn should_allow_ingress_access_from_updated_pod() {
    let list = ["x/a", "x/b"];
    let p = policy(
        "x",
        "allow-client-a-via-pod-selector",
        match_pod("a"),
        Some(json!([{"from": [{"podSelector": {"matchLabels": {"pod": "b", "pod2": "updated"}}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    run(&list, std::slice::from_ref(&p), TCP, 80, &r);
    let mut objects = pods(&list, &[p]);
    objects[4]["metadata"]["labels"]["pod2"] = json!("updated");
    r.expect("x/b", "x/a", true);
    validate(&cluster(&objects), STRICT, TCP, 80, &r);
}

#[test]
fn should_deny_ingress_from_pods_on_other_namespaces() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "deny-empty-policy",
        everything(),
        Some(json!([{"from": [{"podSelector": {"matchLabels": {}}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("y"), ns("x"), false).expect_peer(ns("z"), ns("x"), false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_deny_ingress_access_to_updated_pod() {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "deny-ingress-via-label-selector",
        json!({"matchLabels": {"target": "isolated"}}),
        Some(json!([])),
        None,
    );
    run(&list, std::slice::from_ref(&p), TCP, 80, &Reachability::new(&list, true));
    let mut objects = pods(&list, &[p]);
    objects[3]["metadata"]["labels"]["target"] = json!("isolated");
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    validate(&cluster(&objects), STRICT, TCP, 80, &r);
}

#[test]
fn should_deny_egress_from_pods_based_on_pod_selector() {
    let list = ["x/a", "x/b", "y/a"];
    let p = policy("x", "deny-egress-pod-a", match_pod("a"), None, Some(json!([])));
    let mut r = Reachability::new(&list, true);
    r.expect_all_egress("x/a", false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_deny_egress_from_all_pods_in_a_namespace() {
    let list = ["x/a", "x/b", "y/a"];
    let p = policy("x", "deny-egress-ns-x", everything(), None, Some(json!([])));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), ANY, false);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_work_with_ingress_egress_specified_together() {
    let list = ["x/a", "x/b", "x/c", "y/a"];
    let p = policy(
        "x",
        "allow-client-a-via-pod-selector",
        match_pod("a"),
        Some(json!([{"from": [{"podSelector": match_pod("b")}]}])),
        Some(json!([{"ports": [{"port": 80}]}])),
    );
    let mut r80 = Reachability::new(&list, true);
    r80.expect_all_ingress("x/a", false).expect("x/b", "x/a", true);
    run(&list, std::slice::from_ref(&p), TCP, 80, &r80);
    let mut r81 = Reachability::new(&list, true);
    r81.expect_all_ingress("x/a", false).expect_all_egress("x/a", false).expect("x/b", "x/a", true);
    run(&list, &[p], TCP, 81, &r81);
}

#[test]
fn should_support_denying_of_egress_traffic_on_the_client_side_even_if_the_server_explicitly_allows_this_traffic(
) {
    let list = ["x/a", "y/a", "y/b"];
    let egress = policy(
        "x",
        "allow-to-ns-y-pod-a",
        match_pod("a"),
        None,
        Some(
            json!([{"to": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}, "podSelector": match_pod("a")}]}]),
        ),
    );
    let rule = json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "x"}}, "podSelector": match_pod("a")}]}]);
    let on_a = policy("y", "allow-from-xa-on-ya-match-selector", match_pod("a"), Some(rule.clone()), None);
    let on_b = policy("y", "allow-from-xa-on-yb-match-selector", match_pod("b"), Some(rule), None);
    let mut r = Reachability::new(&list, true);
    r.expect_peer(Peer { namespace: "x", pod: "a" }, ANY, false)
        .expect_peer(ANY, Peer { namespace: "y", pod: "a" }, false)
        .expect_peer(Peer { namespace: "x", pod: "a" }, Peer { namespace: "y", pod: "a" }, true)
        .expect_peer(ANY, Peer { namespace: "y", pod: "b" }, false);
    run(&list, &[egress, on_a, on_b], TCP, 80, &r);
}

#[test]
fn should_enforce_egress_policy_allowing_traffic_to_a_server_in_a_different_namespace_based_on_pod_selector_and_namespace_selector(
) {
    let list = ["x/a", "y/a", "y/b"];
    let p = policy(
        "x",
        "allow-to-ns-y-pod-a",
        match_pod("a"),
        None,
        Some(
            json!([{"to": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}, "podSelector": match_pod("a")}]}]),
        ),
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_egress("x/a", false).expect("x/a", "y/a", true);
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_ingress_policy_allowing_any_port_traffic_to_a_server_on_a_specific_protocol() {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "allow-ingress-by-proto",
        match_pod("a"),
        Some(json!([{"ports": [{"protocol": "TCP"}]}])),
        None,
    );
    run(&list, std::slice::from_ref(&p), TCP, 80, &Reachability::new(&list, true));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, Peer { namespace: "x", pod: "a" }, false);
    run(&list, &[p], UDP, 80, &r);
}

#[test]
fn should_enforce_multiple_ingress_policies_with_ingress_allow_all_policy_taking_precedence() {
    let list = ["x/a", "y/a"];
    let only80 = policy(
        "x",
        "allow-ingress-port-80",
        json!({"matchLabels": {}}),
        Some(json!([{"ports": [{"port": 80}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false);
    run(&list, std::slice::from_ref(&only80), TCP, 81, &r);
    let all = policy("x", "allow-ingress", json!({"matchLabels": {}}), Some(json!([{}])), None);
    run(&list, &[only80, all], TCP, 81, &Reachability::new(&list, true));
}

#[test]
fn should_enforce_multiple_egress_policies_with_egress_allow_all_policy_taking_precedence() {
    let list = ["x/a", "y/a"];
    let only80 = policy(
        "x",
        "allow-egress-port-80",
        json!({"matchLabels": {}}),
        None,
        Some(json!([{"ports": [{"port": 80}]}])),
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), ANY, false);
    run(&list, std::slice::from_ref(&only80), TCP, 81, &r);
    let all = policy("x", "allow-egress", json!({"matchLabels": {}}), None, Some(json!([{}])));
    run(&list, &[only80, all], TCP, 81, &Reachability::new(&list, true));
}

#[test]
fn should_stop_enforcing_policies_after_they_are_deleted() {
    let list = ["x/a", "y/a"];
    let deny = policy("x", "deny-all", everything(), Some(json!([])), Some(json!([])));
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), ANY, false).expect_peer(ANY, ns("x"), false);
    run(&list, &[deny], TCP, 80, &r);
    run(&list, &[], TCP, 80, &Reachability::new(&list, true));
}

#[test]
fn should_allow_egress_access_to_server_in_cidr_block() {
    let list = ["x/a", "y/a", "y/b"];
    let p = policy(
        "x",
        "allow-client-a-via-cidr-egress-rule",
        match_pod("a"),
        None,
        Some(json!([{"to": [{"ipBlock": {"cidr": format!("{}/32", pod_ip("y/b"))}}]}])),
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_egress("x/a", false).expect("x/a", "y/b", true);
    validate(&cluster(&pods(&list, &[p])), POD_IPS, TCP, 80, &r);
}

/// Upstream's `makeLargeCIDRForIP`: the IPv4 address masked to `/4`.
fn large_cidr(ip: &str) -> String {
    let address: std::net::Ipv4Addr = ip.parse().unwrap();
    let masked = u32::from(address) & 0xf000_0000;
    format!("{}/4", std::net::Ipv4Addr::from(masked))
}

#[test]
fn should_enforce_except_clause_while_egress_access_to_server_in_cidr_block() {
    let list = ["x/a", "x/b", "x/c"];
    let p = policy(
        "x",
        "allow-client-a-via-cidr-egress-rule",
        match_pod("a"),
        None,
        Some(json!([{"to": [{"ipBlock": {
            "cidr": large_cidr(&pod_ip("x/b")), "except": [format!("{}/32", pod_ip("x/b"))]
        }}]}])),
    );
    let mut r = Reachability::new(&list, true);
    r.expect("x/a", "x/b", false);
    validate(&cluster(&pods(&list, &[p])), POD_IPS, TCP, 80, &r);
}

#[test]
fn should_ensure_an_ip_overlapping_both_ip_block_cidr_and_ip_block_except_is_allowed() {
    let list = ["x/a", "x/b", "x/c"];
    let except = policy(
        "x",
        "allow-client-a-via-cidr-egress-rule",
        match_pod("a"),
        None,
        Some(json!([{"to": [{"ipBlock": {
            "cidr": large_cidr(&pod_ip("x/b")), "except": [format!("{}/32", pod_ip("x/b"))]
        }}]}])),
    );
    let mut r = Reachability::new(&list, true);
    r.expect("x/a", "x/b", false);
    validate(&cluster(&pods(&list, &[except])), POD_IPS, TCP, 80, &r);
    // `UpdatePolicy` with the same name: the policy now allows only x/b's address.
    let only_b = policy(
        "x",
        "allow-client-a-via-cidr-egress-rule",
        match_pod("a"),
        None,
        Some(json!([{"to": [{"ipBlock": {"cidr": format!("{}/32", pod_ip("x/b"))}}]}])),
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_egress("x/a", false).expect("x/a", "x/b", true);
    validate(&cluster(&pods(&list, &[only_b])), POD_IPS, TCP, 80, &r);
}

#[test]
fn should_enforce_policies_to_check_ingress_and_egress_policies_can_be_controlled_independently_based_on_pod_selector(
) {
    let list = ["x/a", "x/b", "y/a"];
    let egress = policy("x", "allow-egress-for-target", match_pod("a"), None, Some(json!([{}])));
    run(&list, std::slice::from_ref(&egress), TCP, 80, &Reachability::new(&list, true));
    let deny = policy("x", "deny-ingress-via-label-selector", match_pod("a"), Some(json!([])), None);
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    run(&list, &[egress, deny], TCP, 80, &r);
}

#[test]
fn should_not_mistakenly_treat_protocol_sctp_as_protocol_tcp_even_if_the_plugin_does_not_support_sctp() {
    let list = ["x/a", "y/a"];
    let deny = policy("x", "deny-ingress", everything(), Some(json!([])), None);
    let sctp = policy(
        "x",
        "allow-only-sctp-ingress-on-port-81",
        match_pod("a"),
        Some(json!([{"ports": [{"port": 81, "protocol": "SCTP"}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ANY, ns("x"), false);
    run(&list, &[deny.clone(), sctp.clone()], TCP, 81, &r);
    // And SCTP itself is allowed.
    run(&list, &[deny, sctp], SCTP, 81, &Reachability::new(&list, true));
}

#[test]
fn should_properly_isolate_pods_that_are_selected_by_a_policy_allowing_sctp_even_if_the_plugin_does_not_support_sctp(
) {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "allow-only-sctp-ingress-on-port-80",
        match_pod("a"),
        Some(json!([{"ports": [{"port": 80, "protocol": "SCTP"}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    run(&list, &[p], TCP, 81, &r);
}

#[test]
fn should_not_allow_access_by_tcp_when_a_policy_specifies_only_udp() {
    let list = ["x/a", "y/a"];
    let p = policy(
        "x",
        "allow-only-udp-ingress-on-port-81",
        match_pod("a"),
        Some(json!([{"ports": [{"port": 81, "protocol": "UDP"}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_all_ingress("x/a", false);
    run(&list, &[p], TCP, 81, &r);
}

#[test]
fn should_enforce_policy_to_allow_traffic_based_on_namespace_selector_with_match_labels_using_default_ns_label(
) {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-client-a-via-ns-selector-for-immutable-ns-label",
        match_pod("a"),
        Some(json!([{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "y"}}}]}])),
        None,
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(ns("x"), Peer { namespace: "x", pod: "a" }, false).expect_peer(
        ns("z"),
        Peer { namespace: "x", pod: "a" },
        false,
    );
    run(&list, &[p], TCP, 80, &r);
}

#[test]
fn should_enforce_policy_based_on_namespace_selector_with_match_expressions_using_default_ns_label() {
    let list = ["x/a", "x/b", "y/a", "z/a"];
    let p = policy(
        "x",
        "allow-ns-y-match-selector-for-immutable-ns-label",
        match_pod("a"),
        None,
        Some(
            json!([{"to": [{"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["y"]}]}}]}]),
        ),
    );
    let mut r = Reachability::new(&list, true);
    r.expect_peer(Peer { namespace: "x", pod: "a" }, ns("y"), false);
    run(&list, &[p], TCP, 80, &r);
}
