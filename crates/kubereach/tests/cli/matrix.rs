//! `kubereach matrix` and `kubereach diff` through the command line: every
//! output format on a small cluster, the `kubereach.matrix/v1` contract,
//! filters, `--explain`, and diff's exit codes.

use super::util::{snapshot, TestDir};

/// `web` is reachable from `client` on its `http` port only; `db` admits
/// nothing (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
const SHOP: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: client}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: db, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: client}}}]
      ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny-all, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
";

#[test]
fn every_format() {
    let dir = TestDir::new();
    dir.write("shop.yaml", SHOP);
    let matrix = |format: &str| {
        let run = dir.run(&["matrix", "-f", "shop.yaml", "--format", format]);
        run.assert_code(0);
        run.to_string()
    };
    // Literal names, so the orphan check (conventions.rs) sees them.
    snapshot!("matrix_human", matrix("human"));
    snapshot!("matrix_connlist", matrix("connlist"));
    snapshot!("matrix_csv", matrix("csv"));
    snapshot!("matrix_md", matrix("md"));
    snapshot!("matrix_dot", matrix("dot"));
}

#[test]
fn json_follows_the_matrix_contract() {
    let dir = TestDir::new();
    dir.write("shop.yaml", SHOP);
    let json = dir.run(&["matrix", "-f", "shop.yaml", "--format", "json"]).json();
    assert_eq!(json["schema"], "kubereach.matrix/v1");
    let web = json["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "shop/web").unwrap();
    assert_eq!(
        web,
        &serde_json::json!({"id": "shop/web", "kind": "Deployment", "namespace": "shop", "name": "web"})
    );
    let edges = json["edges"].as_array().unwrap();
    let client_to_web = edges.iter().find(|e| e["from"] == "shop/client" && e["to"] == "shop/web").unwrap();
    assert_eq!(client_to_web["ports"], serde_json::json!([{"protocol": "TCP", "from": 8080, "to": 8080}]));
    // An absent pair is denied; self pairs are left out.
    assert!(!edges.iter().any(|e| e["to"] == "shop/db"), "{json}");
    assert!(!edges.iter().any(|e| e["from"] == e["to"]), "{json}");
    // "All ports" is 1-65535 for each protocol.
    let web_to_client = edges.iter().find(|e| e["from"] == "shop/web" && e["to"] == "shop/client").unwrap();
    assert_eq!(web_to_client["ports"].as_array().unwrap().len(), 3, "{web_to_client}");
}

#[test]
fn filters_and_explain() {
    let dir = TestDir::new();
    dir.write("shop.yaml", SHOP);
    let focus = dir.run(&[
        "matrix",
        "-f",
        "shop.yaml",
        "--format",
        "connlist",
        "--focus",
        "shop/web",
        "--direction",
        "ingress",
    ]);
    snapshot!("matrix_focus_ingress", focus.to_string());
    let port = dir.run(&["matrix", "-f", "shop.yaml", "--format", "connlist", "--port", "TCP/8080"]);
    snapshot!("matrix_port", port.to_string());
    let explain = dir.run(&["matrix", "-f", "shop.yaml", "--explain", "shop/client", "shop/db"]);
    explain.assert_code(0);
    snapshot!("matrix_explain", explain.to_string());
    let unknown = dir.run(&["matrix", "-f", "shop.yaml", "--explain", "shop/nope", "shop/db"]);
    unknown.assert_code(2);
    assert!(unknown.stderr.contains("no workload or pod `shop/nope`"), "{unknown}");
}

#[test]
fn diff_exit_codes_and_formats() {
    let dir = TestDir::new();
    dir.write("old/shop.yaml", SHOP);
    dir.write("new/shop.yaml", SHOP.replace("ports: [{port: http}]", "ports: [{port: 9090}]"));
    dir.run(&["diff", "old", "old"]).assert_code(0);
    let diff = |format: &str| {
        let run = dir.run(&["diff", "old", "new", "--format", format]);
        run.assert_code(1);
        run.to_string()
    };
    snapshot!("diff_human", diff("human"));
    snapshot!("diff_connlist", diff("connlist"));
    snapshot!("diff_csv", diff("csv"));
    snapshot!("diff_md", diff("md"));
    let json = dir.run(&["diff", "old", "new", "--format", "json"]).json();
    assert_eq!(json["schema"], "kubereach.diff/v1");
    assert_eq!(json["changes"][0]["kind"], "changed", "{json}");
    assert_eq!(json["changes"][0]["new_policies"][0]["name"], "web-from-client", "{json}");
}

/// Node traffic (a `hostNetwork` pod to a pod of its node) is never blocked
/// (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
/// `matrix --pods` and `trace` agree, pair by pair, under a deny-all policy.
#[test]
fn node_traffic_agrees_with_trace() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace/fixtures");
    let files = ["-f", "kube-system.yaml", "-f", "node-and-self-traffic/cluster.yaml"];
    let matrix =
        super::util::run_in(&dir, &[&["matrix", "--pods", "--format", "json"], &files[..]].concat(), None);
    matrix.assert_code(0);
    let json = matrix.json();
    let edge = |from: &str, to: &str| {
        json["edges"].as_array().unwrap().iter().any(|e| e["from"] == from && e["to"] == to)
    };
    for (from, to, allowed) in [
        ("monitoring/agent-node-1", "shop/web", true),
        ("shop/web", "monitoring/agent-node-1", true),
        ("monitoring/agent-node-2", "shop/web", false),
        ("shop/web", "monitoring/agent-node-2", false),
    ] {
        assert_eq!(edge(from, to), allowed, "matrix {from} → {to}");
        let trace =
            super::util::run_in(&dir, &[&["trace", from, &format!("{to}:8080")], &files[..]].concat(), None);
        assert_eq!(trace.code == Some(0), allowed, "trace {from} → {to}:\n{trace}");
    }
}

/// The backends of attached Gateway API routes are reached by
/// `{ingress-controller}`, on the pods' ports behind the backendRefs'
/// Service ports; `api/api`, which admits only the Envoy Gateway
/// namespace, is reached by the real proxies and not by the symbolic
/// controller; routes that do not attach add nothing.
#[test]
fn gateway_routes_feed_the_ingress_controller_peer() {
    let dir = super::util::repo_root().join("crates/kubereach/tests/trace/fixtures");
    let args = ["matrix", "-f", "kube-system.yaml", "-f", "gateway-api.yaml", "--format", "connlist"];
    let run = super::util::run_in(&dir, &[&args[..], &["-f", "gateway-route-not-allowed"]].concat(), None);
    run.assert_code(0);
    let controller: Vec<&str> =
        run.stdout.lines().filter(|l| l.starts_with("{ingress-controller}")).collect();
    assert_eq!(
        controller,
        [
            "{ingress-controller} => internal/dashboard[Deployment] : TCP 3000",
            "{ingress-controller} => shop/cart[Deployment] : TCP 9000",
            "{ingress-controller} => shop/storefront[Deployment] : TCP 8080",
        ]
    );
    assert!(
        run.stdout.contains(
            "envoy-gateway-system/envoy-infra-public[Deployment] => api/api[Deployment] : TCP 8080"
        ),
        "{run}"
    );
}
