//! Calico NetworkPolicy, GlobalNetworkPolicy and tiers, on a cluster that
//! runs Calico.
//!
//! Sources: the policy references
//! (<https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>,
//! `globalnetworkpolicy`), the tier reference ("each tier that contains a
//! policy that applies to the endpoint processes the packet ... If the Tier
//! applies to the endpoint, but takes no action on the packet the packet is
//! dropped", <https://docs.tigera.io/calico/latest/reference/resources/tier>)
//! and the Kubernetes policy page (NetworkPolicies are policies of order
//! 1000 in the `default` tier).

use serde_json::{json, Value};

use super::testing::{
    blue_and_red, check_pairs, cluster, engine_on, namespace, network_policy, pod, pod_with_ports,
};
use super::Verdict;

const ALL: &str = "All Connections";
const NONE: &str = "No Connections";

fn calico_policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
           "metadata": {"namespace": namespace, "name": name}, "spec": spec})
}

fn global_policy(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
           "metadata": {"name": name}, "spec": spec})
}

fn tier(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": spec})
}

fn check(objects: &[Value], pairs: &[(&str, &str, &str)]) {
    let cluster = cluster(objects);
    check_pairs(&engine_on("calico", &cluster), pairs);
}

// A policy selects endpoints of its namespace; rule selectors without
// `namespaceSelector` stay there too; the end of the tier denies the rest.
#[test]
fn namespaced_policy() {
    let objects = blue_and_red(&[calico_policy(
        "x",
        "allow-b",
        json!({"selector": "app == 'a'", "ingress": [{"action": "Allow", "source": {"selector": "app == 'b'"}}]}),
    )]);
    check(
        &objects,
        &[("x/b", "x/a", ALL), ("y/a", "x/a", NONE), ("x/a", "x/b", ALL), ("1.2.3.4", "x/a", NONE)],
    );
}

// The first matching rule decides: a Deny before an Allow wins, an Allow
// before a Deny wins; policies by `order`.
#[test]
fn order_and_first_match() {
    let objects = blue_and_red(&[
        global_policy(
            "deny-red",
            json!({"order": 10, "selector": "projectcalico.org/namespace == 'x'",
                   "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'red'"}}]}),
        ),
        global_policy(
            "allow-all",
            json!({"order": 20, "selector": "all()", "ingress": [{"action": "Allow"}]}),
        ),
    ]);
    check(&objects, &[("y/a", "x/a", NONE), ("x/b", "x/a", ALL), ("x/a", "y/a", ALL)]);
    let reversed = blue_and_red(&[
        global_policy(
            "deny-red",
            json!({"order": 30, "selector": "projectcalico.org/namespace == 'x'",
                   "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'red'"}}]}),
        ),
        global_policy(
            "allow-all",
            json!({"order": 20, "selector": "all()", "ingress": [{"action": "Allow"}]}),
        ),
    ]);
    check(&reversed, &[("y/a", "x/a", ALL)]);
}

// Kubernetes NetworkPolicies sit at order 1000 in the default tier: a
// Calico Deny of order 100 comes first, an Allow of order 2000 after them
// still admits what they do not.
#[test]
fn kubernetes_policies_at_order_1000() {
    let objects = blue_and_red(&[
        network_policy(
            "x",
            "allow-b",
            json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}]}]}),
        ),
        calico_policy(
            "x",
            "deny-b-80",
            json!({"order": 100, "selector": "all()",
            "ingress": [{"action": "Deny", "protocol": "TCP", "source": {"selector": "app == 'b'"}, "destination": {"ports": [80]}}]}),
        ),
        calico_policy(
            "x",
            "allow-red",
            json!({"order": 2000, "selector": "all()",
            "ingress": [{"action": "Allow", "source": {"namespaceSelector": "team == 'red'"}}]}),
        ),
    ]);
    check(
        &objects,
        &[
            ("x/b", "x/a", "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"),
            ("y/a", "x/a", ALL),
            ("1.2.3.4", "x/a", NONE),
        ],
    );
}

// Tiers: `Pass` goes to the next tier that applies; a tier with a policy
// for the pod that decides nothing denies; its `defaultAction: Pass`
// passes instead; after the last tier, the namespace profile allows.
#[test]
fn tiers_pass_and_end_of_tier() {
    let objects = blue_and_red(&[
        tier("security", json!({"order": 100})),
        global_policy(
            "security.pass-blue",
            json!({"tier": "security", "selector": "all()",
            "ingress": [{"action": "Pass", "source": {"namespaceSelector": "team == 'blue'"}}]}),
        ),
        calico_policy(
            "x",
            "allow-b",
            json!({"selector": "app == 'a'",
            "ingress": [{"action": "Allow", "source": {"selector": "app == 'b'"}}]}),
        ),
    ]);
    // y/a: not passed by the security tier, which applies: denied at its end.
    // x/b → x/a: passed, then allowed by the default tier. x/a → x/b:
    // passed, and no default-tier policy selects x/b: allowed by the
    // profile. Outside addresses are not passed: denied.
    check(
        &objects,
        &[
            ("y/a", "x/a", NONE),
            ("x/b", "x/a", ALL),
            ("x/a", "x/b", ALL),
            ("x/a", "y/a", ALL),
            ("1.2.3.4", "x/b", NONE),
        ],
    );
    let passing = blue_and_red(&[
        tier("security", json!({"order": 100, "defaultAction": "Pass"})),
        global_policy(
            "security.log",
            json!({"tier": "security", "selector": "all()", "ingress": [{"action": "Log"}]}),
        ),
    ]);
    check(&passing, &[("y/a", "x/a", ALL)]);
}

// The trace names the end of the tier.
#[test]
fn end_of_tier_is_explained() {
    let objects =
        blue_and_red(&[global_policy("deny", json!({"selector": "app == 'a'", "types": ["Ingress"]}))]);
    let cluster = cluster(&objects);
    let engine = engine_on("calico", &cluster);
    let (a, b) = (super::testing::endpoint(&cluster, "x/a"), super::testing::endpoint(&cluster, "x/b"));
    let explanation = engine.explain(&b, &a);
    let step = explanation.ingress.steps.last().expect("a step");
    assert_eq!((step.verdict, step.calico_tier.as_deref()), (Verdict::Deny, Some("default")));
    assert_eq!(explanation.ingress.isolated_by[0].name, "deny");
}

// Entity rules: `nets` match addresses (pods' included: Calico matches
// every address), `notNets` the others; `ports`/`notPorts` need a
// protocol; ICMP is outside the model.
#[test]
fn nets_and_ports() {
    let mut objects = blue_and_red(&[global_policy(
        "egress",
        json!({"selector": "app == 'b'", "types": ["Egress"], "egress": [
            {"action": "Allow", "protocol": "TCP", "destination": {"nets": ["10.0.0.0/8"], "notNets": ["10.9.0.0/16"], "ports": [443, "8000:8002"]}},
            {"action": "Allow", "protocol": "UDP", "destination": {"notPorts": ["1:52", "54:65535"]}},
            {"action": "Allow", "protocol": "ICMP"}
        ]}),
    )]);
    let mut target = pod("y", "p", json!({"app": "p"}));
    target["status"] = json!({"podIP": "10.2.0.5", "podIPs": [{"ip": "10.2.0.5"}]});
    objects.push(target);
    check(
        &objects,
        &[
            ("x/b", "10.1.0.0/16", "TCP 443,8000-8002,UDP 53"),
            ("x/b", "10.9.0.1", "UDP 53"),
            ("x/b", "y/p", "TCP 443,8000-8002,UDP 53"),
            ("x/b", "y/a", "UDP 53"),
        ],
    );
}

// A rule's `destination` (in an ingress rule) narrows the pods it applies
// to; named ports resolve on the destination pod.
#[test]
fn destination_narrows_the_subject() {
    let objects = vec![
        namespace("x", json!({})),
        pod_with_ports("x", "a", json!({"app": "a"}), json!([{"name": "http", "containerPort": 8080}])),
        pod("x", "b", json!({"app": "b"})),
        calico_policy(
            "x",
            "all",
            json!({"selector": "all()", "ingress": [
                {"action": "Allow", "protocol": "TCP", "destination": {"selector": "app == 'a'", "ports": ["http"]}}
            ]}),
        ),
    ];
    check(&objects, &[("x/b", "x/a", "TCP 8080"), ("x/a", "x/b", NONE)]);
}

// `serviceAccounts` match the pods' service account by name.
#[test]
fn service_accounts() {
    let mut objects = blue_and_red(&[calico_policy(
        "x",
        "sa",
        json!({"selector": "app == 'a'",
        "ingress": [{"action": "Allow", "source": {"serviceAccounts": {"names": ["robot"]}}}]}),
    )]);
    let mut robot = pod("x", "r", json!({"app": "b"}));
    robot["spec"]["serviceAccountName"] = json!("robot");
    objects.push(robot);
    check(&objects, &[("x/r", "x/a", ALL), ("x/b", "x/a", NONE)]);
}

// Calico's policies take effect only on Calico (or Canal).
#[test]
fn only_on_calico() {
    let objects = blue_and_red(&[global_policy("deny", json!({"selector": "all()", "types": ["Ingress"]}))]);
    let cluster = cluster(&objects);
    check_pairs(&engine_on("cilium", &cluster), &[("x/b", "x/a", ALL)]);
    check_pairs(&engine_on("canal", &cluster), &[("x/b", "x/a", NONE)]);
}

// A malformed selector selects nothing (and `check` reports it).
#[test]
fn malformed_selector_selects_nothing() {
    let objects =
        blue_and_red(&[global_policy("bad", json!({"selector": "app = 'a'", "types": ["Ingress"]}))]);
    check(&objects, &[("x/b", "x/a", ALL)]);
}
