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

/// A peer per Gateway, `{gateway:NAMESPACE/NAME}`, reaches the backends
/// of the routes attached to it, on the pods' ports behind the
/// backendRefs' Service ports, as far as the backends' policies let its
/// proxies through: `api/api` admits only the Envoy Gateway namespace,
/// where `infra/public`'s proxies run; routes that do not attach
/// (`blog`, not allowed by the listener) add nothing; the Gateway API
/// backends are no longer `{ingress-controller}`'s.
#[test]
fn gateway_peers_in_the_matrix() {
    let dir = super::util::repo_root().join("crates/kubereach/tests/trace/fixtures");
    let args =
        ["matrix", "-f", "kube-system.yaml", "-f", "gateway-api.yaml", "-f", "gateway-route-not-allowed"];
    let run = super::util::run_in(&dir, &[&args[..], &["--format", "connlist"]].concat(), None);
    run.assert_code(0);
    let peers: Vec<&str> =
        run.stdout.lines().filter(|l| l.starts_with("{gateway:") || l.starts_with("{ingress")).collect();
    assert_eq!(
        peers,
        [
            "{gateway:infra/public} => api/api[Deployment] : TCP 8080",
            "{gateway:infra/public} => shop/cart[Deployment] : TCP 9000",
            "{gateway:infra/public} => shop/storefront[Deployment] : TCP 8080",
            "{gateway:internal/internal} => internal/dashboard[Deployment] : TCP 3000",
        ],
        "{run}"
    );
    let json = super::util::run_in(&dir, &[&args[..], &["--format", "json"]].concat(), None).json();
    let node =
        json["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "{gateway:infra/public}").cloned();
    assert_eq!(
        node,
        Some(
            serde_json::json!({"id": "{gateway:infra/public}", "kind": "Gateway", "namespace": "infra", "name": "public"})
        )
    );
    let edge = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == "{gateway:infra/public}" && e["to"] == "api/api")
        .cloned();
    assert_eq!(
        edge.map(|e| e["ports"].clone()),
        Some(serde_json::json!([{"protocol": "TCP", "from": 8080, "to": 8080}]))
    );
    // `--namespace` keeps the Gateways of the namespace; `--focusworkload`
    // names one by its id.
    let human = super::util::run_in(&dir, &[&args[..], &["-n", "internal"]].concat(), None);
    assert!(
        human
            .stdout
            .contains("(gateways)\n  {gateway:internal/internal} → internal/dashboard[Deployment]  TCP 3000"),
        "{human}"
    );
    let focus = super::util::run_in(
        &dir,
        &[&args[..], &["--focus", "gateway:infra/public", "--format", "connlist"]].concat(),
        None,
    );
    focus.assert_code(0);
    assert_eq!(focus.stdout.lines().count(), 3, "{focus}");
}

/// `diff` of a migration from Ingress to Gateway API: the backends are no
/// longer reached by `{ingress-controller}` but by the Gateway's peer, and
/// a NetworkPolicy that admitted ingress-nginx's namespace refuses the
/// Gateway's proxies.
#[test]
fn diff_of_an_ingress_to_gateway_migration() {
    let dir = super::util::repo_root().join("crates/kubereach/tests/routes/fixtures/regex-default-backend");
    let run = super::util::run_in(&dir, &["diff", "old", "new", "--format", "json"], None);
    run.assert_code(1);
    let json = run.json();
    let changes: Vec<String> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"]["id"].as_str().is_some_and(|id| id.starts_with('{')))
        .map(|c| {
            format!(
                "{} {} => {}",
                c["kind"].as_str().unwrap(),
                c["from"]["id"].as_str().unwrap(),
                c["to"]["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(changes.iter().any(|c| c.starts_with("removed {ingress-controller} => ")), "{changes:#?}");
    assert!(changes.iter().any(|c| c.starts_with("added {gateway:")), "{changes:#?}");
}
