//! `routes -f DIR`: the table, human and JSON.

use super::util::{repo_root, run_in, snapshot, Run};

fn routes(args: &[&str]) -> Run {
    let dir = repo_root().join("crates/kubereach/tests/routes/fixtures");
    let args: Vec<&str> = ["routes"].iter().chain(args).copied().collect();
    run_in(&dir, &args, None)
}

/// The rows of a JSON table for `host`, as `listener port match → backend policy`.
fn rows_for(json: &serde_json::Value, host: &str) -> Vec<String> {
    json["routes"]
        .as_array()
        .expect("routes is an array")
        .iter()
        .filter(|r| r["host"] == host)
        .map(|r| {
            let backends: Vec<String> = r["backends"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    let problem = b["problem"].as_str().unwrap_or("");
                    format!(
                        "{}:{} {}{problem}",
                        b["service"].as_str().unwrap(),
                        b["port"].as_str().unwrap(),
                        b["policy"]["verdict"].as_str().unwrap()
                    )
                })
                .collect();
            format!(
                "{} {} {} {} {}",
                r["listener"]["protocol"].as_str().unwrap(),
                r["listener"]["port"],
                r["path"]["type"].as_str().unwrap(),
                r["path"]["value"].as_str().unwrap(),
                if backends.is_empty() {
                    r["action"]["type"].as_str().unwrap().to_owned()
                } else {
                    backends.join(", ")
                }
            )
        })
        .collect()
}

#[test]
fn human_tables_of_ingress_and_gateway_clusters() {
    let gateway = routes(&["-f", "shared-gateway/new"]);
    gateway.assert_code(0);
    let ingress = routes(&["-f", "regex-default-backend/old"]);
    ingress.assert_code(0);
    snapshot!("tables", format!("{gateway}\n{ingress}"));
}

// A shared Gateway: the HTTP listener redirects every host; routes of two
// namespaces attach to the HTTPS listener; the tenants' policy admits only
// the ingress-nginx namespace, so it refuses the Gateway's proxies; the
// admin backend in another namespace has no ReferenceGrant.
#[test]
fn json_table_of_a_shared_gateway() {
    let run = routes(&["-f", "shared-gateway/new", "--format", "json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["schema"], "kubereach.routes/v1");
    assert_eq!(rows_for(&json, "*"), ["HTTP 80 PathPrefix / redirect"]);
    assert_eq!(
        rows_for(&json, "accounts.example.com"),
        [
            "HTTPS 443 PathPrefix / accounts/accounts:80 allowed",
            "HTTPS 443 PathPrefix /admin backoffice/admin:80 no-podsref-not-permitted"
        ]
    );
    assert_eq!(
        rows_for(&json, "*.tenants.example.com"),
        ["HTTPS 443 PathPrefix / tenants/tenant-router:80 blocked"]
    );
    let tenants =
        json["routes"].as_array().unwrap().iter().find(|r| r["host"] == "*.tenants.example.com").unwrap();
    assert_eq!(tenants["backends"][0]["policy"]["refused"][0], "tenants/tenant-router");
    assert_eq!(tenants["backends"][0]["target_ports"][0], 8080);
    assert_eq!(tenants["object"]["kind"], "HTTPRoute");
}

// ingress-nginx: HTTP to a host with TLS is a 308 redirect; the
// `defaultBackend` of an Ingress without rules answers every other host;
// annotations are listed with what Gateway API has for them.
#[test]
fn json_table_of_ingress_nginx() {
    let run = routes(&["-f", "regex-default-backend/old", "-o", "json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        rows_for(&json, "app.example.com"),
        [
            "HTTP 80 ImplementationSpecific /api(/|$)(.*) redirect",
            "HTTP 80 ImplementationSpecific /static redirect",
            "HTTPS 443 ImplementationSpecific /api(/|$)(.*) web/api:80 allowed",
            "HTTPS 443 ImplementationSpecific /static web/static:80 allowed"
        ]
    );
    assert_eq!(
        rows_for(&json, "*"),
        ["HTTP 80 Default / web/fallback:80 allowed", "HTTPS 443 Default / web/fallback:80 allowed"]
    );
    let redirect =
        json["routes"].as_array().unwrap().iter().find(|r| r["action"]["type"] == "redirect").unwrap();
    assert_eq!(redirect["action"]["status"], 308);
    let effects: Vec<String> = json["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{} {}", a["annotation"].as_str().unwrap(), a["effect"]["effect"].as_str().unwrap()))
        .collect();
    assert_eq!(
        effects,
        [
            "nginx.ingress.kubernetes.io/auth-url no-equivalent",
            "nginx.ingress.kubernetes.io/limit-rps no-equivalent",
            "nginx.ingress.kubernetes.io/rewrite-target equivalent",
            "nginx.ingress.kubernetes.io/use-regex compared"
        ]
    );
}

#[test]
fn a_missing_input_is_a_usage_error() {
    routes(&["-f", "no-such-dir"]).assert_code(2);
    routes(&["--diff", "no-such-dir", "equivalent/new"]).assert_code(2);
}

// `check` (KR708) and the table give the same answer: the tenants' policy
// admits the ingress-nginx namespace only, not the Gateway's proxies.
#[test]
fn check_agrees_with_the_table() {
    let dir = repo_root().join("crates/kubereach/tests/routes/fixtures");
    let check = run_in(&dir, &["check", "-f", "shared-gateway/new", "--format", "json"], None);
    check.assert_code(1);
    let findings: Vec<String> = check.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "KR708")
        .map(|f| {
            format!("{} {}", f["object"]["kind"].as_str().unwrap(), f["object"]["name"].as_str().unwrap())
        })
        .collect();
    assert_eq!(findings, ["HTTPRoute tenants"], "{check}");
    let old = run_in(&dir, &["check", "-f", "shared-gateway/old", "--format", "json"], None);
    assert!(!old.stdout.contains("KR708"), "{old}");
}

// TLSRoutes give rows by SNI name (the host column), TCPRoutes and
// UDPRoutes one row per listener for every connection; TCPRoute and
// UDPRoute are in Gateway API's experimental channel and their rows say
// so. The UDPRoute's backend is checked against policy on UDP, the
// Service port's protocol.
#[test]
fn tls_tcp_and_udp_routes() {
    let case = [
        "-f",
        "../../trace/fixtures/kube-system.yaml",
        "-f",
        "../../trace/fixtures/gateway-tls-tcp-udp-routes",
    ];
    let run = routes(&[&case[..], &["--format", "json"]].concat());
    run.assert_code(0);
    let json = run.json();
    assert_eq!(rows_for(&json, "pg.example.com"), ["TLS 443 Connection * data/postgres:5432 allowed"]);
    assert_eq!(
        rows_for(&json, "kafka.example.com"),
        ["TLS 443 Connection * streaming/kafka:9093 no-podsref-not-permitted"]
    );
    assert_eq!(
        rows_for(&json, "*"),
        ["UDP 53 Connection * edge/resolver:53 allowed", "TCP 5432 Connection * data/postgres:5432 allowed"]
    );
    let conditions: Vec<String> = json["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!("{} {}", r["object"]["kind"].as_str().unwrap(), r["conditions"][0].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        conditions,
        [
            "UDPRoute experimental channel (`v1alpha2`)",
            "TCPRoute experimental channel (`v1alpha2`)",
            "TLSRoute TLS passed through (SNI)",
            "TLSRoute TLS passed through (SNI)"
        ]
    );
    let human = routes(&case);
    human.assert_code(0);
    snapshot!("tls_tcp_udp", human.to_string());
}

// OpenShift Routes (Route API reference, "Configuring Routes"): plain HTTP
// without `tls`; with edge TLS and `insecureEdgeTerminationPolicy:
// Redirect`, a redirect on 80 and the backends on 443; passthrough only
// on 443 (policy `None`); `wildcardPolicy: Subdomain` serves the parent
// domain; `alternateBackends` share by weight (100 by default, 0 sends
// nothing); `targetPort` selects Service ports by name, number or target
// port, every port when absent; the router's pods in `openshift-ingress`
// are the policy source (the canary denies them).
#[test]
fn openshift_routes() {
    let run = routes(&["-f", "openshift-routes", "--format", "json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        rows_for(&json, "shop.apps.example.com"),
        ["HTTP 80 StringPrefix / shop/web:http allowed, shop/web-canary:http blocked"]
    );
    assert_eq!(
        rows_for(&json, "api.apps.example.com"),
        [
            "HTTP 80 StringPrefix /v1 redirect",
            "HTTPS 443 StringPrefix /v1 shop/api:http allowed, shop/api:metrics allowed"
        ]
    );
    assert_eq!(
        rows_for(&json, "direct.apps.example.com"),
        ["HTTPS 443 StringPrefix / shop/api:http allowed"]
    );
    assert_eq!(
        rows_for(&json, "*.tenants.example.com"),
        [
            "HTTP 80 StringPrefix / shop/web:http allowed, shop/web-old: no-podsservice-not-found",
            "HTTPS 443 StringPrefix / shop/web:http allowed, shop/web-old: no-podsservice-not-found"
        ]
    );
    assert_eq!(
        rows_for(&json, "generated-shop.<ingress domain>"),
        ["HTTP 80 StringPrefix / shop/web:http allowed"]
    );
    let weights: Vec<i64> = json["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["host"] == "shop.apps.example.com")
        .flat_map(|r| r["backends"].as_array().unwrap().iter().map(|b| b["weight"].as_i64().unwrap()))
        .collect();
    assert_eq!(weights, [100, 10]);
    assert!(json["routes"].as_array().unwrap().iter().all(|r| r["listener"]["kind"] == "router"));
    let human = routes(&["-f", "openshift-routes"]);
    human.assert_code(0);
    snapshot!("openshift", human.to_string());
}
