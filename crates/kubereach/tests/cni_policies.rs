//! Cilium's and Calico's own policies through the command line: a Cilium
//! cluster and a Calico cluster (`tests/cni_policies/`), each mixing the
//! plugin's policies with Kubernetes NetworkPolicies, through `trace`,
//! `matrix` and `check`, with whole-output snapshots (`cni_policies__…`).
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p kubereach --test cni_policies` and
//! review the diff.

#[allow(dead_code, unused_macros, unused_imports)]
#[path = "trace/util.rs"]
mod util;

use std::path::PathBuf;

/// Compares `$value` with the snapshot `$name` in `tests/snapshots/`.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => true }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("cni_policies")
}

/// Runs `kubereach ARGS` in the fixtures' directory and snapshots it.
fn case(name: &str, args: &[&str], code: i32) -> util::Run {
    let run = util::run(&dir(), args);
    run.assert_code(code);
    snapshot!(name, run.to_string());
    run
}

// The L7 rule of the frontend's egress allows TCP 8080 at L4 and filters
// requests beyond the model: allowed, with a warning naming the rule.
#[test]
fn cilium_l7_rule_warns() {
    let run = case("cilium_l7", &["trace", "shop/frontend", "http://api.shop/v1/users", "-f", "cilium"], 0);
    assert!(run.stdout.contains("⚠ network-policy-egress"), "{run}");
    assert!(run.stdout.contains("cilium/policies.yaml:69"), "{run}");
}

// An ingressDeny rule wins over the NetworkPolicy that admits the tools
// namespace: blocked, naming the deny rule and its file:line.
#[test]
fn cilium_deny_wins() {
    let run =
        case("cilium_deny", &["trace", "tools/debug", "svc/shop/api:9090", "-f", "cilium", "-o", "json"], 1);
    let json = run.json();
    assert_eq!(json["blocked_at"], "network-policy-ingress");
    let step =
        json["steps"].as_array().unwrap().iter().find(|s| s["layer"] == "network-policy-ingress").unwrap();
    assert!(step["summary"].as_str().unwrap().contains("CiliumNetworkPolicy `shop/api-admin-only-in-shop`"));
    // The same port from the shop namespace is admitted.
    util::run(&dir(), &["trace", "shop/frontend", "svc/shop/api:80", "-f", "cilium"]).assert_code(0);
}

// An external name that a `toFQDNs` rule names: the verdict depends on run
// time resolution, so a warning rather than a block.
#[test]
fn cilium_fqdn_warns() {
    let run = case("cilium_fqdn", &["trace", "shop/frontend", "https://api.stripe.com/", "-f", "cilium"], 0);
    assert!(run.stdout.contains("toFQDNs"), "{run}");
    // Another name is denied outright.
    run_blocked(&["trace", "shop/frontend", "https://example.com/", "-f", "cilium"]);
}

fn run_blocked(args: &[&str]) {
    let run = util::run(&dir(), args);
    assert!(run.stdout.contains("⚠ network-policy-egress") || run.code == Some(1), "{run}");
}

#[test]
fn cilium_matrix() {
    let run = case("cilium_matrix", &["matrix", "-f", "cilium"], 0);
    assert!(run.stdout.contains("note: the matrix shows L3/L4 only"), "{run}");
}

// A Calico NetworkPolicy of order 500 admits what a Kubernetes default
// deny (order 1000, same tier) would deny; the trace names it.
#[test]
fn calico_policy_before_kubernetes() {
    let run = case("calico_allowed", &["trace", "shop/frontend", "http://api.shop/", "-f", "calico"], 0);
    assert!(
        run.stdout.contains(
            "NetworkPolicy.projectcalico.org `shop/allow-frontend` allows TCP 8080 (calico/policies.yaml:36)"
        ),
        "{run}"
    );
}

// The platform tier's Deny comes before everything in the default tier.
#[test]
fn calico_tier_deny() {
    let run = case("calico_tier_deny", &["trace", "tools/debug", "http://api.shop/", "-f", "calico"], 1);
    assert!(run.stdout.contains("GlobalNetworkPolicy `platform.isolate-tools`"), "{run}");
}

// What the platform tier passes and no rule of the default tier decides
// is denied at the end of the default tier.
#[test]
fn calico_end_of_tier() {
    let run =
        case("calico_end_of_tier", &["trace", "kube-system/coredns", "svc/shop/api:80", "-f", "calico"], 1);
    assert!(run.stdout.contains("the end of the tier denies"), "{run}");
}

#[test]
fn calico_matrix() {
    case("calico_matrix", &["matrix", "-f", "calico", "-o", "connlist"], 0);
}

// On another plugin Cilium's policies have no effect: the trace allows
// what they deny (and `check` reports them).
#[test]
fn cilium_policies_on_calico() {
    util::run(&dir(), &["trace", "tools/debug", "svc/shop/api:9090", "-f", "cilium", "--cni", "calico"])
        .assert_code(0);
}

// On a cluster that runs Calico, Cilium's policies are enforced by nothing:
// `check` says so for each of them (KR801), instead of analysing the
// cluster as if they were absent without a word.
#[test]
fn cilium_policies_on_calico_are_a_check_error() {
    let run = util::run(&dir(), &["check", "-f", "cilium", "--cni", "calico", "--format", "json"]);
    run.assert_code(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let kr801: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "KR801")
        .map(|f| f["object"]["kind"].as_str().unwrap())
        .collect();
    assert!(!kr801.is_empty(), "{}", run.stdout);
    assert!(kr801.iter().all(|kind| kind.starts_with("Cilium")), "{kr801:?}");
    // On Cilium itself, none.
    let run = util::run(&dir(), &["check", "-f", "cilium", "--cni", "cilium", "--format", "json"]);
    assert!(!run.stdout.contains("KR801"), "{}", run.stdout);
}

// `inventory` counts the plugins' own policies by kind and tier (they are
// in the model, not skipped) and says when the plugin does not enforce them.
#[test]
fn inventory_lists_native_policies() {
    let run = util::run(&dir(), &["inventory", "-f", "calico"]);
    run.assert_code(0);
    assert!(run.stdout.contains("\n1 GlobalNetworkPolicy in tier platform\n"), "{run}");
    assert!(run.stdout.contains("\n1 NetworkPolicy.projectcalico.org in tier default\n"), "{run}");
    assert!(!run.stdout.contains("skipped"), "{run}");
    let run = util::run(&dir(), &["inventory", "-f", "calico", "-o", "json"]);
    let json = run.json();
    let kinds: Vec<&str> =
        json["native_policies"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["GlobalNetworkPolicy", "NetworkPolicy.projectcalico.org", "Tier"], "{run}");
    assert_eq!(json["native_policies"][0]["enforced"], true, "{run}");
    // `--cni` overrides the detected plugin for the counts too: Calico's
    // policies on Cilium are not enforced.
    let run = util::run(&dir(), &["inventory", "-f", "calico", "--cni", "cilium", "-o", "json"]);
    let json = run.json();
    assert_eq!(json["native_policies"][0]["enforced"], false, "{run}");
}
