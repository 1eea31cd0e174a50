//! The JSON API of `kubereach serve` (docs/api.md): the same documents as
//! the CLI's `--format json`, on the demo cluster.

use crate::support::{demo, Server};

pub fn cli_json(args: &[&str]) -> serde_json::Value {
    let output =
        std::process::Command::new(env!("CARGO_BIN_EXE_kubereach")).args(args).output().expect("run");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn trace_is_the_cli_document() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let to = "http://api-service.production/healthz";
    let response = server.get(&format!("/api/trace?from=production/frontend&to={to}"));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let trace = response.json();
    assert_eq!(trace["schema"], "kubereach.trace/v1");
    assert_eq!(trace["verdict"], "blocked");
    // The demo's fault: the policy allows the Service port, not the pod's (see the README's tour).
    assert_eq!(trace["blocked_at"], "network-policy-ingress");
    let cli = cli_json(&["trace", "production/frontend", to, "-f", &path, "--format", "json"]);
    assert_eq!(trace, cli);
}

#[test]
fn trace_errors_are_json_with_a_reason() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let unknown = server.get("/api/trace?from=production/frontent&to=api-service.production:80");
    assert_eq!(unknown.status, 404);
    let error = unknown.json()["error"].as_str().expect("an error").to_owned();
    assert!(error.contains("production/frontent") && error.contains("frontend"), "{error}");
    let bad = server.get("/api/trace?from=production/frontend&to=api-service.production:80&protocol=icmp");
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().expect("an error").contains("icmp"));
    assert_eq!(server.get("/api/trace?from=production/frontend").status, 400);
}

#[test]
fn dns_is_the_cli_document() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/dns?name=api-service&from=production/frontend&type=srv");
    assert_eq!(response.status, 200, "{}", response.body);
    let cli = cli_json(&[
        "dns",
        "api-service",
        "--from",
        "production/frontend",
        "--type",
        "SRV",
        "-f",
        &path,
        "--format",
        "json",
    ]);
    assert_eq!(response.json(), cli);
    assert_eq!(response.json()["schema"], "kubereach.dns/v1");
    // The type defaults to A, as on the command line.
    let a = server.get("/api/dns?name=api-service&from=production/frontend").json();
    assert_eq!(
        a,
        cli_json(&["dns", "api-service", "--from", "production/frontend", "-f", &path, "--format", "json"])
    );
    let unknown = server.get("/api/dns?name=api-service&from=production/nope");
    assert_eq!(unknown.status, 400);
    assert!(unknown.json()["error"].as_str().unwrap().contains("did you mean"), "{}", unknown.body);
    assert_eq!(server.get("/api/dns?name=x&from=production/frontend&type=MX").status, 400);
}

#[test]
fn matrix_of_a_namespace_is_the_cli_document() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/matrix?namespace=production");
    assert_eq!(response.status, 200, "{}", response.body);
    let cli = cli_json(&["matrix", "-f", &path, "--namespace", "production", "--format", "json"]);
    assert_eq!(response.json(), cli);
    assert_eq!(server.get("/api/matrix?namespace=nowhere").status, 404);
}

#[test]
fn check_is_the_cli_document() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/check");
    assert_eq!(response.status, 200);
    let cli = cli_json(&["check", "-f", &path, "--format", "json"]);
    assert_eq!(response.json(), cli);
    assert_eq!(response.json()["schema"], "kubereach.check/v1");
}

#[test]
fn explain_names_the_rule_with_file_and_line() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/explain?from=production/frontend&to=production/api");
    assert_eq!(response.status, 200, "{}", response.body);
    let explanation = response.json();
    let cli = cli_json(&[
        "matrix",
        "-f",
        &path,
        "--explain",
        "production/frontend",
        "production/api",
        "--format",
        "json",
    ]);
    assert_eq!(explanation, cli);
    let allow = &explanation["ingress"]["steps"][0];
    assert_eq!(allow["verdict"], "allow");
    assert_eq!(allow["policy"]["name"], "allow-frontend-to-api");
    assert!(allow["location"]["file"].as_str().expect("a file").ends_with("50-network-policies.yaml"));
    assert_eq!(allow["location"]["line"], 50);
    // External ranges as the graph names them, and the ingress controller.
    assert_eq!(server.get("/api/explain?from=0.0.0.0/0&to=production/api").status, 200);
    assert_eq!(server.get("/api/explain?from={ingress-controller}&to=production/api").status, 200);
    assert_eq!(server.get("/api/explain?from=nope&to=production/api").status, 400);
}

#[test]
fn graph_groups_workloads_by_namespace_with_markers() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let graph = server.get("/api/graph").json();
    assert_eq!(graph["schema"], "kubereach.graph/v1");
    let names: Vec<&str> =
        graph["namespaces"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ingress-nginx", "kube-system", "monitoring", "production", "{outside}"]);
    let workload = |id: &str| crate::support::workload(&graph, id);
    // `default-deny-ingress` selects every pod of production; only the workers are isolated for egress.
    let api = workload("production/api");
    assert_eq!(api["ingress_isolated"], true);
    assert_eq!(api["egress_isolated"], false);
    assert_eq!(api["exposed"], serde_json::json!(["Ingress"]));
    assert_eq!(workload("production/worker")["egress_isolated"], true);
    // The controller's Service is a LoadBalancer.
    let controller = workload("ingress-nginx/ingress-nginx-controller");
    assert!(controller["exposed"].as_array().unwrap().contains(&"LoadBalancer".into()));
    let production = &graph["namespaces"][3];
    assert_eq!(production["pods"], production["ingress_isolated_pods"]);
    // The edge the ingress controller's namespace has into production.
    let edge = graph["namespace_edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == "ingress-nginx" && e["to"] == "production")
        .expect("ingress-nginx → production");
    assert_eq!(edge["ports"], serde_json::json!([{"protocol": "TCP", "from": 8080, "to": 8080}]));
}

#[test]
fn diff_mode_serves_the_diff_document() {
    let (_old, old) = demo();
    let (_new, new) = demo();
    let policies = std::path::Path::new(&new).join("50-network-policies.yaml");
    let text =
        std::fs::read_to_string(&policies).unwrap().replace("          port: 80\n", "          port: http\n");
    std::fs::write(&policies, text).unwrap();
    let server = Server::start(&["--diff", &old, &new]);
    let diff = server.get("/api/diff");
    assert_eq!(diff.status, 200);
    let cli = cli_json(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(diff.json(), cli);
    assert_eq!(diff.json()["changes"][0]["kind"], "changed");
    let graph = server.get("/api/graph").json();
    assert_eq!(graph["diff"], true);
    // Not in diff mode: no diff.
    let (_dir, path) = demo();
    let single = Server::start(&["-f", &path]);
    assert_eq!(single.get("/api/diff").status, 404);
}

#[test]
fn secret_data_is_never_served() {
    let (dir, path) = demo();
    std::fs::write(
        dir.path().join("90-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: production\n\
         data:\n  password: c3VwZXJzZWNyZXQtdmFsdWU=\nstringData:\n  token: plain-secret-token\n",
    )
    .unwrap();
    let server = Server::start(&["-f", &path]);
    for path in ["/api/graph", "/api/check", "/api/matrix?namespace=production", "/api/refresh"] {
        let body = server.get(path).body;
        assert!(!body.contains("c3VwZXJzZWNyZXQtdmFsdWU=") && !body.contains("plain-secret-token"), "{path}");
    }
}

#[test]
fn refresh_reads_the_sources_again() {
    let (dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let before = server.get("/api/graph").json();
    assert!(!before["namespaces"].as_array().unwrap().iter().any(|n| n["name"] == "added-later"));
    std::fs::write(
        dir.path().join("95-later.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: late\n  namespace: added-later\nspec:\n  containers:\n  - name: c\n    image: nginx\n",
    )
    .unwrap();
    let refreshed = server.get("/api/refresh");
    assert_eq!(refreshed.status, 200);
    assert!(refreshed.json()["namespaces"].as_array().unwrap().iter().any(|n| n["name"] == "added-later"));
    assert_eq!(server.get("/api/graph").json(), refreshed.json());
}

#[test]
fn assets_are_embedded_with_their_types() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let page = server.get("/");
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    // No data inlined in the page, no inline script.
    assert!(!page.body.contains("production"));
    assert!(!page.body.contains("<script>"));
    for (asset, kind) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/vendor/cytoscape.min.js", "text/javascript"),
    ] {
        let response = server.get(asset);
        assert_eq!(response.status, 200, "{asset}");
        assert!(response.header("content-type").unwrap().starts_with(kind), "{asset}");
    }
    assert_eq!(server.get("/assets/../Cargo.toml").status, 404);
}

/// `docs/openapi.yaml` describes what the server answers: each answer is
/// validated against the schema the file gives for it.
#[test]
fn openapi_describes_the_answers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
    let document = kubereach_load::yaml::parse_stream(&text).remove(0).content.expect("valid YAML").value;
    let validate = |name: &str, answer: &serde_json::Value| {
        // The component as the root's `$ref`, with the components beside it so that refs resolve.
        let schema = serde_json::json!({
            "$ref": format!("#/components/schemas/{name}"),
            "components": document["components"],
        });
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        let errors: Vec<String> =
            validator.iter_errors(answer).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    };
    let (_old, old) = demo();
    let (_new, new) = demo();
    let policies = std::path::Path::new(&new).join("50-network-policies.yaml");
    let text =
        std::fs::read_to_string(&policies).unwrap().replace("          port: 80\n", "          port: http\n");
    std::fs::write(&policies, text).unwrap();
    let server = Server::start(&["--diff", &old, &new]);
    validate("Info", &server.get("/api/info").json());
    validate("Graph", &server.get("/api/graph").json());
    validate("Matrix", &server.get("/api/matrix?namespace=production").json());
    validate("Explanation", &server.get("/api/explain?from=production/frontend&to=production/api").json());
    validate("Trace", &server.get("/api/trace?from=production/frontend&to=api-service.production:80").json());
    validate("Check", &server.get("/api/check").json());
    validate("Policy", &server.get("/api/policy?namespace=production&name=allow-ingress-nginx").json());
    validate("Dns", &server.get("/api/dns?name=api-service&from=production/frontend").json());
    // The schemas are not vacuous: a wrong answer fails.
    let schema =
        serde_json::json!({"$ref": "#/components/schemas/Graph", "components": document["components"]});
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    assert!(!validator.is_valid(&serde_json::json!({"schema": "kubereach.graph/v1", "namespaces": "no"})));
}

#[test]
fn a_policy_is_resolved_both_ways() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let response = server.get("/api/policy?namespace=production&name=allow-ingress-nginx");
    assert_eq!(response.status, 200, "{}", response.body);
    let policy = response.json();
    assert_eq!(policy["schema"], "kubereach.policy/v1");
    assert_eq!(policy["selects"], serde_json::json!(["production/api"]));
    assert_eq!(policy["enforced"], true);
    let rule = &policy["ingress"][0];
    // `namespaceSelector` alone: every pod of the ingress controller's namespace.
    assert_eq!(rule["workloads"], serde_json::json!(["ingress-nginx/ingress-nginx-controller"]));
    assert_eq!(rule["all"], false);
    assert!(rule["location"]["file"].as_str().unwrap().ends_with("50-network-policies.yaml"));
    // The workloads it selects list it among their policies in the graph.
    let graph = server.get("/api/graph").json();
    let api = crate::support::workload(&graph, "production/api");
    assert!(api["policies"].as_array().unwrap().iter().any(|p| p["name"] == "allow-ingress-nginx"));
    let missing = server.get("/api/policy?namespace=production&name=nope");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].as_str().unwrap().contains("production/nope"));
    assert_eq!(server.get("/api/policy?namespace=production").status, 400);
}
