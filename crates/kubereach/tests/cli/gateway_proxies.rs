//! A Gateway whose proxy pods are all NotReady serves nothing: a pod that
//! is not ready is out of its Service's endpoints
//! (<https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>),
//! so the `LoadBalancer` Service in front of the proxies has no ready
//! endpoint. `trace`, `routes` and `matrix` give that one answer
//! (`routes::gateway_proxies`), each in its own words.

use super::util::{repo_root, run_in};

const FILES: [&str; 4] = ["-f", "kube-system.yaml", "-f", "gateway-proxies-not-ready"];

fn run(args: &[&str]) -> super::util::Run {
    let dir = repo_root().join("crates/kubereach/tests/trace/fixtures");
    run_in(&dir, &[args, &FILES[..]].concat(), None)
}

#[test]
fn a_gateway_without_ready_proxies_serves_nothing_in_every_command() {
    let trace = run(&["trace", "external", "http://shop.example.com/", "--format", "json"]);
    trace.assert_code(1);
    assert_eq!(trace.json()["blocked_at"], "gateway", "{trace}");

    let routes = run(&["routes", "--format", "json"]);
    routes.assert_code(0);
    let verdicts: Vec<String> = routes.json()["routes"]
        .as_array()
        .expect("routes is an array")
        .iter()
        .filter(|r| r["host"] == "shop.example.com")
        .flat_map(|r| r["backends"].as_array().cloned().unwrap_or_default())
        .map(|b| format!("{} {}", b["service"].as_str().unwrap(), b["policy"]["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(verdicts, ["shop/api no-ready-proxies"], "{routes}");

    let matrix = run(&["matrix", "--format", "json"]);
    matrix.assert_code(0);
    let json = matrix.json();
    let peer = "{gateway:edge/web}";
    assert!(json["nodes"].as_array().unwrap().iter().any(|n| n["id"] == peer), "{matrix}");
    let edges: Vec<&serde_json::Value> =
        json["edges"].as_array().unwrap().iter().filter(|e| e["from"] == peer).collect();
    assert!(edges.is_empty(), "the Gateway carries no connection: {edges:?}");
}
