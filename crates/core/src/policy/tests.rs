//! NetworkPolicy semantics, each case citing the API it follows.
//!
//! API reference: <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>
//! Concepts: <https://kubernetes.io/docs/concepts/services-networking/network-policies/>

use serde_json::{json, Value};

use super::testing::{
    check, check_pairs, cluster, endpoint, namespace, network_policy, pod, pod_with_ports, EXTERNAL_ONLY,
};
use super::{Direction, HostNetwork, PolicyEngine, PolicyKind, PolicyOptions, Tier, Verdict};
use crate::ports::ConnectionSet;

const ALL: &str = "All Connections";
const NONE: &str = "No Connections";

/// Namespaces `x` and `y` (labelled `team`), pods `x/a`, `x/b`, `y/a`.
fn base() -> Vec<Value> {
    vec![
        namespace("x", json!({"team": "blue"})),
        namespace("y", json!({"team": "red"})),
        pod("x", "a", json!({"app": "a"})),
        pod("x", "b", json!({"app": "b"})),
        pod("y", "a", json!({"app": "a"})),
    ]
}

fn with(objects: &[Value]) -> Vec<Value> {
    let mut all = base();
    all.extend_from_slice(objects);
    all
}

// "By default, a pod is non-isolated for egress ... and for ingress; all
// connections are allowed" (concepts, "The two sorts of pod isolation").
#[test]
fn no_policy_allows_everything() {
    check(
        &base(),
        EXTERNAL_ONLY,
        &[("x/a", "y/a", ALL), ("y/a", "x/b", ALL), ("1.2.3.4", "x/a", ALL), ("x/a", "8.8.8.8", ALL)],
    );
}

// A policy selecting a pod with `Ingress` in policyTypes and no ingress rule
// isolates it for ingress and allows nothing in (concepts, "Default deny all
// ingress traffic"); egress is untouched.
#[test]
fn ingress_isolation_without_rules_denies_all_ingress() {
    let policy = network_policy("x", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    check(
        &with(&[policy]),
        EXTERNAL_ONLY,
        &[
            ("y/a", "x/a", NONE),
            ("x/b", "x/a", NONE),
            ("1.2.3.4", "x/a", NONE),
            ("x/a", "y/a", ALL),
            ("y/a", "y/a", ALL),
        ],
    );
}

// `policyTypes` defaults to `[Ingress]` plus `Egress` when the policy has
// egress rules (`pkg/apis/networking/v1/defaults.go`: `len(spec.Egress) != 0`),
// so a policy with only egress rules also isolates for ingress.
#[test]
fn defaulted_policy_types_include_ingress() {
    let policy = network_policy(
        "x",
        "egress-only-rules",
        json!({"podSelector": {"matchLabels": {"app": "a"}}, "egress": [{"to": [{"podSelector": {}}]}]}),
    );
    check(
        &with(&[policy]),
        EXTERNAL_ONLY,
        &[("x/b", "x/a", NONE), ("x/a", "x/b", ALL), ("x/a", "y/a", NONE)],
    );
}

// Explicit `policyTypes: [Egress]` ignores ingress rules and leaves ingress
// non-isolated (API reference, `policyTypes`).
#[test]
fn explicit_policy_types_ignore_the_other_direction() {
    let policy = network_policy(
        "x",
        "egress-only",
        json!({
            "podSelector": {"matchLabels": {"app": "a"}},
            "policyTypes": ["Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]}],
            "egress": []
        }),
    );
    check(
        &with(&[policy]),
        EXTERNAL_ONLY,
        &[("y/a", "x/a", ALL), ("x/a", "y/a", NONE), ("x/a", "8.8.8.8", NONE)],
    );
}

// "For a connection from a source pod to a destination pod to be allowed,
// both the egress policy on the source pod and the ingress policy on the
// destination pod need to allow the connection" (concepts).
#[test]
fn a_connection_needs_both_egress_and_ingress() {
    let egress = network_policy(
        "x",
        "a-egress",
        json!({
            "podSelector": {"matchLabels": {"app": "a"}},
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 80}, {"port": 443}]}]
        }),
    );
    let ingress = network_policy(
        "y",
        "a-ingress",
        json!({"podSelector": {}, "ingress": [{"ports": [{"port": 80}, {"port": 8080}]}]}),
    );
    check(
        &with(&[egress, ingress]),
        EXTERNAL_ONLY,
        &[("x/a", "y/a", "TCP 80"), ("x/b", "y/a", "TCP 80,8080"), ("x/a", "x/b", "TCP 80,443")],
    );
}

// "Network policies do not conflict; they are additive": the rules of all
// policies selecting a pod are unioned (concepts).
#[test]
fn policies_are_additive() {
    let first =
        network_policy("x", "p80", json!({"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}));
    let second = network_policy(
        "x",
        "p81",
        json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"ports": [{"port": 81, "protocol": "UDP"}]}]}),
    );
    check(
        &with(&[first, second]),
        EXTERNAL_ONLY,
        &[("y/a", "x/a", "TCP 80,UDP 81"), ("y/a", "x/b", "TCP 80")],
    );
}

// `from`: "If this field is empty or missing, this rule matches all sources
// (traffic not restricted by source)" (API reference; Go's `omitempty`
// makes `[]` and absent the same). The issue text that asked for this claimed
// `from: []` matches nothing; we follow the API.
#[test]
fn empty_or_missing_from_matches_all_sources() {
    let empty = network_policy(
        "x",
        "empty-from",
        json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [], "ports": [{"port": 80}]}]}),
    );
    let missing = network_policy(
        "x",
        "missing-from",
        json!({"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"ports": [{"port": 81}]}]}),
    );
    check(
        &with(&[empty, missing]),
        EXTERNAL_ONLY,
        &[
            ("y/a", "x/a", "TCP 80"),
            ("1.2.3.4", "x/a", "TCP 80"),
            ("y/a", "x/b", "TCP 81"),
            ("x/a", "x/b", "TCP 81"),
        ],
    );
}

// `to`: "If this field is empty or missing, this rule matches all
// destinations" (API reference), and an empty or missing `ports` "matches all
// ports" (API reference, `ports`).
#[test]
fn empty_to_and_ports_match_everything() {
    let policy = network_policy(
        "x",
        "all-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [], "ports": []}]}),
    );
    check(&with(&[policy]), EXTERNAL_ONLY, &[("x/a", "y/a", ALL), ("x/a", "8.8.8.8", ALL)]);
}

// `ingress: []` with Ingress in policyTypes: "If this field is empty then
// this NetworkPolicy does not allow any traffic" (API reference, `ingress`).
#[test]
fn empty_ingress_list_denies() {
    let policy = network_policy("x", "deny", json!({"podSelector": {}, "ingress": []}));
    check(&with(&[policy]), EXTERNAL_ONLY, &[("y/a", "x/a", NONE), ("x/a", "y/a", ALL)]);
}

// A missing `podSelector` is the empty selector: every pod of the namespace
// ("An empty podSelector selects all pods in the namespace", API reference).
#[test]
fn missing_pod_selector_selects_every_pod() {
    let policy = network_policy("x", "deny", json!({"podSelector": null, "policyTypes": ["Ingress"]}));
    check(
        &with(&[policy]),
        EXTERNAL_ONLY,
        &[("y/a", "x/a", NONE), ("y/a", "x/b", NONE), ("x/a", "y/a", ALL)],
    );
}

// NetworkPolicyPeer (API reference): podSelector alone selects pods of the
// policy's namespace; namespaceSelector alone all pods of matching
// namespaces; both, the matching pods in matching namespaces; several peers
// are ORed (concepts, "Behavior of to and from selectors").
#[test]
fn peer_selectors() {
    let objects = with(&[
        network_policy(
            "x",
            "pod-only",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}]}),
        ),
        network_policy(
            "y",
            "namespace-only",
            json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}),
        ),
        network_policy(
            "x",
            "both",
            json!({"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"from": [
                {"namespaceSelector": {"matchLabels": {"team": "red"}}, "podSelector": {"matchLabels": {"app": "a"}}}
            ]}]}),
        ),
    ]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            // pod-only: x/a from pods labelled app=a of x only (itself).
            ("y/a", "x/a", NONE),
            ("x/b", "x/a", NONE),
            // namespace-only: y from every pod of x.
            ("x/a", "y/a", ALL),
            ("x/b", "y/a", ALL),
            // both: x/b from app=a pods of y.
            ("y/a", "x/b", ALL),
            ("x/a", "x/b", NONE),
        ],
    );
    let or = with(&[network_policy(
        "x",
        "or",
        json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {"team": "red"}}},
            {"podSelector": {"matchLabels": {"app": "b"}}}
        ]}]}),
    )]);
    check(&or, EXTERNAL_ONLY, &[("y/a", "x/a", ALL), ("x/b", "x/a", ALL), ("1.2.3.4", "x/a", NONE)]);
}

// `{}` selectors select everything: `namespaceSelector: {}` all namespaces,
// `podSelector: {}` all pods of the namespace (API reference).
#[test]
fn empty_selectors_select_everything() {
    let objects = with(&[network_policy(
        "x",
        "any-pod-any-namespace",
        json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
    )]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", ALL), ("x/b", "x/a", ALL), ("1.2.3.4", "x/a", NONE)]);
    let same_namespace = with(&[network_policy(
        "x",
        "same-namespace",
        json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
    )]);
    check(&same_namespace, EXTERNAL_ONLY, &[("y/a", "x/a", NONE), ("x/b", "x/a", ALL)]);
}

// Set-based requirements (labels concepts page, "Set-based requirement").
#[test]
fn match_expressions() {
    let objects = with(&[network_policy(
        "x",
        "expressions",
        json!({"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]},
               "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
                   {"key": "team", "operator": "NotIn", "values": ["blue"]},
                   {"key": "kubernetes.io/metadata.name", "operator": "Exists"}
               ]}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}}]}]}),
    )]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", ALL), ("x/b", "x/a", NONE), ("y/a", "x/b", ALL)]);
}

// ipBlock: "IPBlock describes a particular CIDR ... that is allowed to the
// pods matched by a NetworkPolicySpec's podSelector. The except entry
// describes CIDRs that should not be included" (API reference). Cluster pod
// IPs are "ephemeral and unpredictable" (concepts, ipBlock), so by default an
// ipBlock matches addresses outside the cluster only.
#[test]
fn ip_blocks_with_except_match_external_addresses() {
    let mut objects = base();
    objects[2] = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"namespace": "x", "name": "a", "labels": {"app": "a"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {"podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}]}
    });
    objects.push(network_policy(
        "y",
        "from-ten",
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.2.0.0/16"]}}]}]}),
    ));
    let pairs = [
        ("10.1.2.3", "y/a", ALL),
        ("10.2.0.1", "y/a", NONE),
        ("11.0.0.1", "y/a", NONE),
        ("10.0.0.0/8", "y/a", NONE),
        ("10.3.0.0/16", "y/a", ALL),
    ];
    check(&objects, EXTERNAL_ONLY, &[pairs.as_slice(), &[("x/a", "y/a", NONE)]].concat());
    // With a plugin that matches pod IPs, x/a (10.1.0.5) is in the block.
    let matching = PolicyOptions { ip_blocks_match_pods: true };
    check(&objects, matching, &[pairs.as_slice(), &[("x/a", "y/a", ALL), ("x/b", "y/a", NONE)]].concat());
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let ranges: Vec<String> = engine.external_ranges().iter().map(ToString::to_string).collect();
    assert_eq!(
        ranges,
        [
            "0.0.0.0-9.255.255.255",
            "10.0.0.0-10.1.255.255",
            "10.2.0.0-10.2.255.255",
            "10.3.0.0-10.255.255.255",
            "11.0.0.0-255.255.255.255"
        ]
    );
    // Only ingress rules tell sources apart; no egress ipBlock, one destination range.
    assert_eq!(engine.external_sources().len(), 5);
    assert_eq!(engine.external_destinations().len(), 1);
}

// An address outside the cluster is never isolated: towards a pod only the
// pod's ingress counts, from a pod only the pod's egress.
#[test]
fn external_ends_are_never_isolated() {
    let objects = with(&[
        network_policy(
            "x",
            "egress-to-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "8.8.8.8/32"}}], "ports": [{"port": 53, "protocol": "UDP"}]}]}),
        ),
        network_policy(
            "y",
            "ingress-from-lb",
            json!({"podSelector": {}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}], "ports": [{"port": 443}]}]}),
        ),
    ]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            ("x/a", "8.8.8.8", "UDP 53"),
            ("x/a", "1.1.1.1", NONE),
            ("192.168.1.1", "y/a", "TCP 443"),
            ("192.168.1.1", "x/a", ALL),
            ("y/a", "8.8.8.8", ALL),
        ],
    );
}

// Named ports resolve against the destination pod's container ports, name
// and protocol together (API reference, NetworkPolicyPort `port`: "a named
// port on a pod"); an unknown name matches nothing.
#[test]
fn named_ports_resolve_on_the_destination() {
    let objects = vec![
        namespace("x", json!({})),
        pod_with_ports(
            "x",
            "web",
            json!({"app": "web"}),
            json!([{"name": "http", "containerPort": 8080}, {"name": "dns", "containerPort": 53, "protocol": "UDP"}]),
        ),
        pod_with_ports(
            "x",
            "other",
            json!({"app": "other"}),
            json!([{"name": "http", "containerPort": 9090}]),
        ),
        pod("x", "client", json!({"app": "client"})),
        network_policy(
            "x",
            "named",
            json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [
                {"port": "http"}, {"port": "dns"}, {"port": "dns", "protocol": "UDP"}, {"port": "missing"}
            ]}]}),
        ),
        network_policy(
            "x",
            "client-egress",
            json!({"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": "http"}]}]}),
        ),
    ];
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            ("x/other", "x/web", "TCP 8080,UDP 53"),
            ("x/client", "x/web", "TCP 8080"),
            ("x/client", "x/other", "TCP 9090"),
            // Outside the cluster the name cannot be resolved: netpol-analyzer's `TCP http`.
            ("x/client", "1.2.3.4", "TCP http"),
        ],
    );
}

// `endPort`: "the range of ports from port to endPort, inclusive" (concepts,
// "Targeting a range of ports"); a port without number is every port of its
// protocol; the protocol defaults to TCP.
#[test]
fn port_ranges_and_protocols() {
    let objects = with(&[network_policy(
        "x",
        "ranges",
        json!({"podSelector": {}, "ingress": [{"ports": [
            {"port": 32000, "endPort": 32768},
            {"protocol": "UDP"}
        ]}]}),
    )]);
    check(&objects, EXTERNAL_ONLY, &[("y/a", "x/a", "TCP 32000-32768,UDP 1-65535")]);
}

// hostNetwork pods: "the network plugin cannot properly distinguish
// hostNetwork pod traffic, and so it ignores hostNetwork pods when matching
// podSelector and namespaceSelector. Traffic to/from hostNetwork pods is
// treated the same as all other traffic to/from the node IP" (concepts,
// "NetworkPolicy and hostNetwork pods", the most common implementation).
#[test]
fn host_network_pods_are_node_traffic() {
    let host = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"namespace": "x", "name": "agent", "labels": {"app": "a"}},
        "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]},
        "status": {"podIP": "192.168.0.10", "podIPs": [{"ip": "192.168.0.10"}], "hostIP": "192.168.0.10"}
    });
    let objects = with(&[
        host,
        network_policy("x", "deny-all", json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})),
        network_policy(
            "y",
            "from-app-a",
            json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}]}]}),
        ),
        network_policy(
            "y",
            "from-nodes",
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/24"}}], "ports": [{"port": 10250}]}]}),
        ),
    ]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            // Not isolated by x's deny-all, not selected by `app: a` in y's policy.
            ("x/agent", "y/a", "TCP 10250"),
            ("y/a", "x/agent", ALL),
            ("x/a", "y/a", NONE),
        ],
    );
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let agent = endpoint(&cluster, "x/agent");
    let super::Endpoint::Pod(agent) = agent else { unreachable!() };
    assert!(!engine.is_isolated(agent, Direction::Ingress));
    // netpol-analyzer's behaviour: policies apply to hostNetwork pods like to any pod.
    let engine = PolicyEngine::with_host_network(&cluster, EXTERNAL_ONLY, HostNetwork::Pod);
    assert!(engine.is_isolated(agent, Direction::Ingress));
    check_pairs(&engine, &[("x/agent", "y/a", NONE), ("y/a", "x/agent", NONE)]);
}

// Isolation and the policies that apply, as the API defines them.
#[test]
fn isolation_and_selecting_policies() {
    let objects = with(&[
        network_policy("x", "ingress-a", json!({"podSelector": {"matchLabels": {"app": "a"}}})),
        network_policy("x", "egress-all", json!({"podSelector": {}, "policyTypes": ["Egress"]})),
    ]);
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let pod = |text| match endpoint(&cluster, text) {
        super::Endpoint::Pod(id) => id,
        _ => unreachable!(),
    };
    assert!(engine.is_isolated(pod("x/a"), Direction::Ingress));
    assert!(!engine.is_isolated(pod("x/b"), Direction::Ingress));
    assert!(engine.is_isolated(pod("x/b"), Direction::Egress));
    assert!(!engine.is_isolated(pod("y/a"), Direction::Egress));
    let names: Vec<String> =
        engine.selecting_policies(pod("x/a"), Direction::Ingress).into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["ingress-a"]);
    assert_eq!(engine.selecting_policies(pod("x/a"), Direction::Egress)[0].kind, PolicyKind::NetworkPolicy);
    // x/a and y/a share labels but not namespace: different classes.
    assert_ne!(engine.class_of(pod("x/a")), engine.class_of(pod("y/a")));
}

// Explanations name the rule that allowed each part and the isolation that
// denied the rest.
#[test]
fn explanations_name_rules_and_defaults() {
    let objects = with(&[network_policy(
        "x",
        "web",
        json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [
            {"from": [{"podSelector": {}}], "ports": [{"port": 80}]},
            {"from": [{"namespaceSelector": {}}], "ports": [{"port": 443}]}
        ]}),
    )]);
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let explanation = engine.explain(&endpoint(&cluster, "x/b"), &endpoint(&cluster, "x/a"));
    assert_eq!(explanation.allowed.to_string(), "TCP 80,443");
    assert_eq!(explanation.egress.steps.len(), 1);
    assert_eq!(explanation.egress.steps[0].tier, Tier::Default);
    let ingress = &explanation.ingress;
    assert_eq!(ingress.isolated_by.len(), 1);
    let summary: Vec<(Tier, Verdict, Option<usize>, String)> =
        ingress.steps.iter().map(|s| (s.tier, s.verdict, s.rule, s.connections.to_string())).collect();
    assert_eq!(
        summary,
        [
            (Tier::Network, Verdict::Allow, Some(0), "TCP 80".to_owned()),
            (Tier::Network, Verdict::Allow, Some(1), "TCP 443".to_owned()),
            (
                Tier::Network,
                Verdict::Deny,
                None,
                ConnectionSet::all().difference(&explanation.allowed).to_string()
            ),
        ]
    );
    let json = serde_json::to_value(&explanation).unwrap();
    assert_eq!(json["ingress"]["steps"][0]["policy"]["name"], "web");
    assert_eq!(json["ingress"]["steps"][0]["tier"], "network");
}

// The ingress controller stand-in (netpol-analyzer's): a pod without labels
// in a namespace of its own.
#[test]
fn ingress_controller_is_a_pod_of_its_own_namespace() {
    let objects = with(&[
        network_policy(
            "x",
            "any-namespace",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
        ),
        network_policy(
            "x",
            "same-namespace",
            json!({"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"from": [{"podSelector": {}}]}]}),
        ),
    ]);
    check(
        &objects,
        EXTERNAL_ONLY,
        &[
            ("ingress-controller", "x/a", ALL),
            ("ingress-controller", "x/b", NONE),
            ("ingress-controller", "y/a", ALL),
        ],
    );
}

// Pods alike to every policy share a class; results are per class.
#[test]
fn equivalent_pods_share_a_class() {
    let mut objects = base();
    objects.push(pod("x", "a2", json!({"app": "a"})));
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let class = |text| match endpoint(&cluster, text) {
        super::Endpoint::Pod(id) => engine.class_of(id),
        _ => unreachable!(),
    };
    assert_eq!(class("x/a"), class("x/a2"));
    assert_ne!(class("x/a"), class("x/b"));
    assert_eq!(engine.class_count(), 3);
}

// The class matrix (segment rows, row sweeps on every core) agrees with the
// single-pair evaluation on every pair of a cluster mixing every feature.
#[test]
fn class_matrix_agrees_with_single_pairs() {
    use super::testing::{admin_policy, baseline_policy};
    use super::IpRange;
    let ports = json!([{"name": "http", "containerPort": 8080}, {"name": "dns", "containerPort": 53, "protocol": "UDP"}]);
    let other_ports = json!([{"name": "http", "containerPort": 9090}]);
    let objects = vec![
        namespace("x", json!({"team": "blue"})),
        namespace("y", json!({"team": "red"})),
        namespace("z", json!({"team": "red"})),
        pod_with_ports("x", "a", json!({"app": "a"}), ports.clone()),
        pod_with_ports("x", "b", json!({"app": "b"}), other_ports.clone()),
        pod_with_ports("y", "a", json!({"app": "a"}), other_ports),
        pod_with_ports("y", "c", json!({"app": "c"}), ports),
        pod("z", "a", json!({"app": "a", "tier": "db"})),
        network_policy(
            "x",
            "in",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"team": "red"}}, "podSelector": {"matchLabels": {"app": "a"}}}], "ports": [{"port": "http"}]},
                {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}
            ]}),
        ),
        network_policy(
            "y",
            "out",
            json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [
                {"ports": [{"port": "http"}, {"port": "dns", "protocol": "UDP"}]},
                {"to": [{"ipBlock": {"cidr": "192.168.0.0/16"}}], "ports": [{"port": 443, "endPort": 445}]}
            ]}),
        ),
        admin_policy(
            "admin",
            json!({"priority": 3, "subject": {"namespaces": {"matchLabels": {"team": "red"}}},
            "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "blue"}}}], "ports": [{"portRange": {"start": 1, "end": 100}}]},
                        {"action": "Pass", "from": [{"namespaces": {}}], "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}]}],
            "egress": [{"action": "Allow", "to": [{"networks": ["172.16.0.0/12"]}]}]}),
        ),
        baseline_policy(
            json!({"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"tier": "db"}}}}]}]}),
        ),
    ];
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let matrix = engine.class_matrix();
    matrix.assert_rows_agree();
    let mut endpoints: Vec<super::Endpoint> = Vec::new();
    for (index, _) in cluster.pods().iter().enumerate() {
        endpoints.push(super::Endpoint::Pod(crate::model::PodId(index as u32)));
    }
    endpoints.push(super::Endpoint::IngressController);
    endpoints.extend(engine.external_ranges().iter().map(|r: &IpRange| super::Endpoint::External(*r)));
    let indices: Vec<usize> = endpoints.iter().map(|e| matrix.index(e)).collect();
    let mut sources: Vec<usize> = indices.clone();
    sources.sort_unstable();
    sources.dedup();
    let rows = matrix.map_rows(&sources, |_, row| row.to_vec());
    for (a, from) in endpoints.iter().enumerate() {
        for (b, to) in endpoints.iter().enumerate() {
            if matches!((from, to), (super::Endpoint::External(_), super::Endpoint::External(_))) {
                continue;
            }
            // A pod to itself is exempt from policies; the class matrix
            // answers for classes, which cannot tell.
            if engine.exemption(from, to).is_some() {
                continue;
            }
            let expected = engine.allowed(from, to);
            assert_eq!(matrix.allowed(from, to), &expected, "{from:?} => {to:?}");
            let row = &rows[sources.binary_search(&indices[a]).unwrap()];
            assert_eq!(row[indices[b]] as usize, matrix.set_id(indices[a], indices[b]), "{from:?} => {to:?}");
        }
    }
    // Sanity: the mix exercises partial results.
    let x_a = endpoint(&cluster, "x/a");
    assert_eq!(engine.allowed(&endpoint(&cluster, "y/a"), &x_a).to_string(), "TCP 8080");
}

// With no IPv6 CIDR in any policy there is no IPv6 block: an IPv6 address
// still meets isolation, and only rules matching every peer admit it.
#[test]
fn addresses_outside_every_block() {
    let objects = with(&[
        network_policy(
            "x",
            "from-anywhere",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"ports": [{"port": 80}]}]}),
        ),
        network_policy(
            "x",
            "from-v4",
            json!({"podSelector": {"matchLabels": {"app": "b"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        ),
    ]);
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let v6 = endpoint(&cluster, "fd00::1");
    assert_eq!(engine.allowed(&v6, &endpoint(&cluster, "x/a")).to_string(), "TCP 80");
    assert_eq!(engine.allowed(&v6, &endpoint(&cluster, "x/b")).to_string(), NONE);
    assert_eq!(engine.allowed(&v6, &endpoint(&cluster, "y/a")).to_string(), ALL);
    assert_eq!(engine.allowed(&endpoint(&cluster, "1.2.3.4"), &endpoint(&cluster, "x/b")).to_string(), ALL);
}

// Classes that no rule tells apart as peers, with the same policies, share
// a source group (one row computed for both); a class a rule names as a
// peer, or with other policies, gets its own.
#[test]
fn alike_peers_share_row_groups() {
    let objects = vec![
        namespace("x", json!({})),
        namespace("y", json!({})),
        pod("x", "a", json!({"app": "a"})),
        pod("x", "b", json!({"app": "b"})),
        pod("x", "c", json!({"app": "c"})),
        pod("y", "d", json!({"app": "d"})),
        network_policy(
            "x",
            "to-a",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}]}]}),
        ),
    ];
    let cluster = cluster(&objects);
    let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
    let matrix = engine.class_matrix();
    matrix.assert_rows_agree();
    let index = |name: &str| matrix.index(&endpoint(&cluster, name));
    let source = |name: &str| matrix.source_group(index(name));
    let destination = |name: &str| matrix.destination_group(index(name));
    assert_eq!(engine.class_count(), 4);
    // As sources, only x/b is named by a rule: x/a, x/c and y/d are alike.
    assert_eq!(source("x/a"), source("x/c"));
    assert_eq!(source("x/a"), source("y/d"));
    assert_ne!(source("x/a"), source("x/b"));
    // As destinations, only x/a is isolated.
    assert_eq!(destination("x/b"), destination("y/d"));
    assert_ne!(destination("x/a"), destination("x/b"));
    assert_eq!(matrix.source_groups(), 3);
    assert_eq!(matrix.destination_groups(), 3);
}

/// A policy is named `namespace/name`, a cluster-scoped one (an
/// AdminNetworkPolicy, which has no namespace) by its name alone.
#[test]
fn policy_ref_id_is_namespace_and_name() {
    let reference = |namespace: Option<&str>, kind| super::PolicyRef {
        kind,
        namespace: namespace.map(str::to_owned),
        name: "deny-all".to_owned(),
        location: crate::origin::Location::new(None, 1),
    };
    assert_eq!(reference(Some("prod"), PolicyKind::NetworkPolicy).id(), "prod/deny-all");
    assert_eq!(reference(None, PolicyKind::AdminNetworkPolicy).id(), "deny-all");
}
