//! Gateway API rules on a cluster with two Gateways, routes in four
//! namespaces and a ReferenceGrant (the trace fixtures): the healthy
//! cluster has no error, and each single-fault case is found by its rule.

use super::util::{repo_root, run_in, snapshot};

const BASE: [&str; 4] = ["-f", "kube-system.yaml", "-f", "gateway-api.yaml"];

fn check(extra: &[&str]) -> super::util::Run {
    let dir = repo_root().join("crates/kubereach/tests/trace/fixtures");
    let args: Vec<&str> = ["check"].iter().chain(&BASE).chain(extra).copied().collect();
    run_in(&dir, &args, None)
}

#[test]
fn the_healthy_gateway_cluster_has_no_gateway_finding() {
    let run = check(&[]);
    assert!(!run.stdout.contains("[KR7"), "{run}");
    assert!(!run.stdout.contains("error["), "{run}");
}

#[test]
fn each_gateway_fault_is_found_by_its_rule() {
    let mut out = String::new();
    for (case, rule) in [
        ("gateway-route-not-allowed", "KR702"),
        ("gateway-reference-grant-missing", "KR703"),
        ("gateway-backend-port", "KR705"),
        ("gateway-class-missing", "KR701"),
    ] {
        let run = check(&["-f", case, "--format", "json"]);
        run.assert_code(1);
        let codes: Vec<String> = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str().filter(|c| c.starts_with("KR7")).map(str::to_owned))
            .collect();
        assert!(codes.contains(&rule.to_owned()), "{case}: {codes:?}");
        let human = check(&["-f", case, "--disable", "namespace-no-default-deny"]);
        out.push_str(&human.to_string());
        out.push('\n');
    }
    snapshot!("gateway_faults", out);
}

// TLSRoutes, TCPRoutes and UDPRoutes go through the same attachment and
// backend rules: the TLSRoute to a Service of another namespace without a
// ReferenceGrant is KR703; the TCPRoute whose grant names `TCPRoute` is not.
#[test]
fn tls_tcp_and_udp_routes_are_checked_like_http_routes() {
    let dir = repo_root().join("crates/kubereach/tests/trace/fixtures");
    let args = ["check", "-f", "kube-system.yaml", "-f", "gateway-tls-tcp-udp-routes", "--format", "json"];
    let run = run_in(&dir, &args, None);
    run.assert_code(1);
    let gateway_findings: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("KR7")))
        .map(|f| {
            format!(
                "{} {} {}",
                f["code"].as_str().unwrap(),
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(gateway_findings, ["KR703 TLSRoute kafka"], "{run}");
}
