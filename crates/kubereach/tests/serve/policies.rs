//! `/api/policy` for every kind of policy, pods matched by an `ipBlock`
//! on a plugin that matches pod addresses, and `--as-written`.

use crate::support::{demo, Server};

/// The cluster of `serve/admin.yaml` in a temp dir, and its path.
pub fn admin_cluster() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("admin.yaml"), include_str!("admin.yaml")).expect("write");
    let path = dir.path().to_str().expect("UTF-8 path").to_owned();
    (dir, path)
}

// An AdminNetworkPolicy applies to its `subject` and names its rules and
// their actions (https://network-policy-api.sigs.k8s.io/reference/spec/).
#[test]
fn admin_policies_are_resolved_with_their_rules() {
    let (_dir, path) = admin_cluster();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/policy?kind=AdminNetworkPolicy&name=guard");
    assert_eq!(response.status, 200, "{}", response.body);
    let guard = response.json();
    assert_eq!((guard["kind"].as_str(), guard["tier"].as_str()), (Some("AdminNetworkPolicy"), Some("admin")));
    assert_eq!((guard["namespace"].is_null(), guard["priority"].as_i64()), (true, Some(10)));
    assert_eq!(guard["selects"], serde_json::json!(["shop/db", "shop/web"]));
    let rule = &guard["ingress"][0];
    assert_eq!((rule["name"].as_str(), rule["action"].as_str()), (Some("no-ops"), Some("deny")));
    assert_eq!(rule["workloads"], serde_json::json!(["ops/probe"]));
    assert!(rule["location"]["file"].as_str().unwrap().ends_with("admin.yaml"), "{rule}");
    assert_eq!(rule["location"]["line"], 38);
    // The baseline: `networks` as written; no pod address falls in it without the flag.
    let baseline = server.get("/api/policy?kind=BaselineAdminNetworkPolicy&name=default").json();
    assert_eq!(
        (baseline["tier"].as_str(), baseline["selects"].clone()),
        (Some("baseline"), serde_json::json!(["ops/probe"]))
    );
    assert_eq!(baseline["egress"][0]["networks"], serde_json::json!(["0.0.0.0/0"]));
    assert_eq!(baseline["egress"][0]["workloads"], serde_json::json!([]));
    // The explanation of a pair names the admin rule, its tier and its line.
    let explained = server.get("/api/explain?from=ops/probe&to=shop/web").json();
    let step = &explained["ingress"]["steps"][0];
    assert_eq!((step["tier"].as_str(), step["verdict"].as_str()), (Some("admin"), Some("deny")));
    assert_eq!((step["rule_name"].as_str(), step["location"]["line"].as_u64()), (Some("no-ops"), Some(38)));
    let unknown = server.get("/api/policy?kind=Secret&name=guard");
    assert_eq!(unknown.status, 400);
    assert!(unknown.json()["error"].as_str().unwrap().contains("unknown policy kind `Secret`"));
    let missing = server.get("/api/policy?kind=AdminNetworkPolicy&name=nope");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].as_str().unwrap().contains("no AdminNetworkPolicy `nope`"));
}

// `ipBlock` peers match pod IPs only where the plugin does: the
// NetworkPolicy API leaves it open ("cluster-internal pod IPs are
// ephemeral and unpredictable"), `--ip-blocks-match-pods` says the plugin does.
#[test]
fn pods_matched_by_an_ip_block_are_peers_where_the_plugin_matches_pod_ips() {
    let (_dir, path) = admin_cluster();
    let query = "/api/policy?kind=NetworkPolicy&namespace=shop&name=db";
    let outside_only = Server::start(&["-f", &path, "--ip-blocks-match-pods=false"]);
    let rule = outside_only.get(query).json()["ingress"][0].clone();
    assert_eq!(rule["workloads"], serde_json::json!([]));
    assert_eq!(rule["ip_blocks"], serde_json::json!([{"cidr": "10.0.0.0/24", "except": []}]));
    let matching = Server::start(&["-f", &path, "--ip-blocks-match-pods"]);
    let rule = matching.get(query).json()["ingress"][0].clone();
    assert_eq!(rule["workloads"], serde_json::json!(["shop/web"]));
    assert_eq!(rule["by_address"], serde_json::json!(["shop/web"]));
    // The same as the verdicts: web reaches db, probe (10.0.2.9) does not.
    let allowed =
        |from: &str| matching.get(&format!("/api/explain?from={from}&to=shop/db")).json()["allowed"].clone();
    assert_ne!(allowed("shop/web"), serde_json::json!([]));
    assert_eq!(allowed("ops/probe"), serde_json::json!([]));
}

// Flannel alone enforces no NetworkPolicy
// (https://github.com/flannel-io/flannel#networking-details): the page
// shows the connectivity the cluster has, or with `--as-written` every
// policy as written, as `matrix --as-written`.
#[test]
fn as_written_evaluates_the_policies_the_plugin_ignores() {
    let (_dir, path) = demo();
    let explain = "/api/explain?from=production/worker&to=production/api";
    let effective = Server::start(&["-f", &path, "--cni", "flannel"]);
    assert_eq!(effective.get("/api/info").json()["as_written"], false);
    assert_ne!(effective.get(explain).json()["allowed"], serde_json::json!([]));
    let graph = effective.get("/api/graph").json();
    assert_eq!(crate::support::workload(&graph, "production/api")["ingress_isolated"], false);
    let written = Server::start(&["-f", &path, "--cni", "flannel", "--as-written"]);
    assert_eq!(written.get("/api/info").json()["as_written"], true);
    assert_eq!(written.get(explain).json()["allowed"], serde_json::json!([]));
    let graph = written.get("/api/graph").json();
    assert_eq!(crate::support::workload(&graph, "production/api")["ingress_isolated"], true);
    // The matrix is `matrix --as-written`'s.
    let matrix = written.get("/api/matrix?namespace=production").json();
    let cli = crate::api::cli_json(&[
        "matrix",
        "-f",
        &path,
        "--cni",
        "flannel",
        "--as-written",
        "--namespace",
        "production",
        "--format",
        "json",
    ]);
    assert_eq!(matrix, cli);
    // Whether the plugin enforces the policy is said either way.
    let policy = written.get("/api/policy?namespace=production&name=allow-frontend-to-api").json();
    assert_eq!(policy["enforced"], false);
}
