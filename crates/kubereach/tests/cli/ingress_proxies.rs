//! An ingress controller whose pods are all NotReady serves nothing: a pod
//! that is not ready is out of its Service's endpoints (the endpoint's
//! `ready` condition is `false`,
//! <https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#ready>;
//! <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>),
//! so the controller's `LoadBalancer` Service sends it nothing. A pod on
//! the host network listens on its node's address, which readiness does not
//! gate. `trace`, `routes` and `matrix` give that one answer
//! (`routes::controller_proxies`), each in its own words.

use super::util::{repo_root, run_in, Run};

fn run(args: &[&str], pods: &str) -> Run {
    let dir = repo_root().join("crates/kubereach/tests/trace/fixtures");
    let pods = format!("ingress-controller-not-ready/{pods}");
    let files = [
        "-f",
        "kube-system.yaml",
        "-f",
        "shop.yaml",
        "-f",
        "ingress-controller-not-ready/controller.yaml",
        "-f",
        &pods,
    ];
    run_in(&dir, &[args, &files[..]].concat(), None)
}

/// The trace's verdict, the routes table's policy verdict for the host,
/// and the ports of the matrix's `{ingress-controller}` edge to `shop/api`.
fn answers(pods: &str) -> (String, Vec<String>, Vec<serde_json::Value>) {
    let trace = run(&["trace", "external", "http://shop.example.com/", "--format", "json"], pods);
    let verdict = format!("{} {}", trace.json()["verdict"], trace.json()["blocked_at"]);

    let routes = run(&["routes", "--format", "json"], pods);
    routes.assert_code(0);
    let verdicts: Vec<String> = routes.json()["routes"]
        .as_array()
        .expect("routes is an array")
        .iter()
        .filter(|r| r["host"] == "shop.example.com")
        .flat_map(|r| r["backends"].as_array().cloned().unwrap_or_default())
        .map(|b| format!("{} {}", b["service"].as_str().unwrap(), b["policy"]["verdict"].as_str().unwrap()))
        .collect();

    let matrix = run(&["matrix", "--format", "json"], pods);
    matrix.assert_code(0);
    let edges: Vec<serde_json::Value> = matrix.json()["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"] == "{ingress-controller}")
        .cloned()
        .collect();
    (verdict, verdicts, edges)
}

#[test]
fn a_controller_without_ready_pods_serves_nothing_in_every_command() {
    let (trace, routes, matrix) = answers("pod-network.yaml");
    assert_eq!(trace, r#""blocked" "ingress-class""#);
    assert_eq!(routes, ["shop/api-service no-ready-proxies"]);
    assert!(matrix.is_empty(), "the controller carries no connection: {matrix:?}");
}

#[test]
fn a_not_ready_controller_on_the_host_network_still_serves_in_every_command() {
    let (trace, routes, matrix) = answers("host-network.yaml");
    assert_eq!(trace, r#""allowed" null"#);
    assert_eq!(routes, ["shop/api-service allowed"]);
    let to_api: Vec<&serde_json::Value> = matrix.iter().filter(|e| e["to"] == "shop/api").collect();
    assert_eq!(to_api.len(), 1, "{matrix:?}");
    assert_eq!(to_api[0]["ports"], serde_json::json!([{"protocol": "TCP", "from": 8080, "to": 8080}]));
}

// `externalTrafficPolicy: Cluster` "obscures the client source IP": the
// receiving node SNATs the connection to its own address
// (https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-loadbalancer),
// whether or not the input shows the nodes. With an unknown client address
// and no Node objects, the controller's policies still see a node's
// address, and the fix must admit the nodes' addresses (commit 963a30d
// fixed a reading of this case as `Local`).
#[test]
fn the_controllers_policies_see_a_node_address_without_nodes_in_the_input() {
    let dir = repo_root().join("crates/kubereach/tests/trace/fixtures");
    let files = [
        "-f",
        "kube-system.yaml",
        "-f",
        "shop.yaml",
        "-f",
        "ingress-controller-snat/controller-without-nodes.yaml",
        "-f",
        "ingress-controller-snat/etp-cluster.yaml",
    ];
    let args =
        [&["trace", "external", "http://shop.example.com/", "--format", "json"][..], &files[..]].concat();
    let trace = run_in(&dir, &args, None);
    trace.assert_code(1);
    let json = trace.json();
    assert_eq!(json["blocked_at"], "ingress-class", "{trace}");
    let step = json["steps"].as_array().unwrap().iter().find(|s| s["layer"] == "ingress-class").unwrap();
    let evidence: Vec<&str> =
        step["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(evidence.contains(&"the controller's pods see a node's address (`externalTrafficPolicy: Cluster`; the input shows no node addresses)"), "{evidence:?}");
    assert!(!evidence.iter().any(|e| e.contains("externalTrafficPolicy: Local")), "{evidence:?}");
    let fix = step["fix"].as_str().unwrap();
    assert!(fix.contains("an `ipBlock` of the nodes' addresses"), "{fix}");
}
