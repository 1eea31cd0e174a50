//! `routes --diff OLD NEW` on three ingress-nginx → Gateway API migrations,
//! and two from OpenShift Routes.

use std::collections::BTreeSet;

use super::util::{repo_root, run_in, snapshot, Run};

fn diff(case: &str, format: &str) -> Run {
    let dir = repo_root().join("crates/kubereach/tests/routes/fixtures").join(case);
    run_in(&dir, &["routes", "--diff", "old", "new", "--format", format], None)
}

/// Every cause of every difference (or unverified request) in the JSON report.
fn causes(json: &serde_json::Value, list: &str) -> BTreeSet<String> {
    json[list]
        .as_array()
        .expect("a list of differences")
        .iter()
        .flat_map(|d| d["causes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// The same hosts, paths and backends over HTTP and HTTPS: `Prefix` is
// `PathPrefix`, `Exact` is `Exact` (Ingress and HTTPRoute references),
// and without `ssl-redirect` both serve plain HTTP.
#[test]
fn an_equivalent_translation() {
    let run = diff("equivalent", "human");
    run.assert_code(0);
    snapshot!("equivalent", run.to_string());
    let json = diff("equivalent", "json").json();
    assert_eq!(json["schema"], "kubereach.routes-diff/v1");
    assert!(json["requests"].as_u64().unwrap() >= 20, "{json:#}");
    assert_eq!(json["differences"], serde_json::json!([]));
}

// ingress-nginx reads `ImplementationSpecific` as a string prefix
// (ingress-path-matching: `/static` takes `/staticx`) and regex paths
// under `use-regex`; it redirects HTTP to HTTPS for a host with TLS
// (308, `ssl-redirect`); the `defaultBackend` of an Ingress without rules
// answers every other host. ingress2gateway writes `PathPrefix` for
// `ImplementationSpecific`, attaches the route to the HTTP listener, and
// drops the default backend and the annotations.
#[test]
fn regex_paths_default_backend_and_redirects() {
    let run = diff("regex-default-backend", "human");
    run.assert_code(1);
    snapshot!("regex_default_backend", run.to_string());
    let json = diff("regex-default-backend", "json").json();
    assert_eq!(
        causes(&json, "differences"),
        set(&[
            "default-backend-dropped",
            "https-redirect-dropped",
            "listener-missing",
            "no-longer-routed",
            "string-prefix-path"
        ])
    );
    assert_eq!(causes(&json, "unverified"), set(&["regex-path"]));
    let dropped: Vec<&str> = json["dropped_annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["annotation"].as_str().unwrap())
        .collect();
    assert_eq!(dropped, ["nginx.ingress.kubernetes.io/auth-url", "nginx.ingress.kubernetes.io/limit-rps"]);
    let unchecked: Vec<&str> = json["unchecked_annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["annotation"].as_str().unwrap())
        .collect();
    assert_eq!(unchecked, ["nginx.ingress.kubernetes.io/rewrite-target"]);
}

// One shared Gateway for two teams: its HTTP listener redirects with 301
// where ingress-nginx redirected with 308 and served the tenants' host
// over HTTP; `*.tenants.example.com` now takes names of any depth
// (Gateway API hostnames); the admin backend moved to a namespace with no
// ReferenceGrant (500); the tenants' policy admits only ingress-nginx.
#[test]
fn a_shared_gateway_for_two_teams() {
    let run = diff("shared-gateway", "human");
    run.assert_code(1);
    snapshot!("shared_gateway", run.to_string());
    let json = diff("shared-gateway", "json").json();
    assert_eq!(
        causes(&json, "differences"),
        set(&[
            "backend-invalid",
            "listener-added",
            "policy-refuses",
            "redirect-added",
            "redirect-changed",
            "wildcard-depth"
        ])
    );
    assert_eq!(json["dropped_annotations"], serde_json::json!([]));
}

// OpenShift Routes → an Ingress: the router's path `/api` takes `/api/sub`
// and not `/apix` (its regexp `PATH(/.*)?`), as `Prefix` does; edge TLS
// with `insecureEdgeTerminationPolicy: Allow` serves HTTP and HTTPS, as
// ingress-nginx does with `ssl-redirect: "false"`.
#[test]
fn openshift_routes_to_an_equivalent_ingress() {
    let run = diff("routes-to-ingress", "json");
    run.assert_code(0);
    let json = run.json();
    assert!(json["requests"].as_u64().unwrap() >= 10, "{json:#}");
    assert_eq!(json["differences"], serde_json::json!([]), "{json:#}");
    assert_eq!(json["unverified"], serde_json::json!([]), "{json:#}");
}

// OpenShift Routes → Gateway API: the Routes redirect plain HTTP to HTTPS
// (`Redirect`: the router's 302), the Gateway's HTTP listener serves it;
// the canary of `alternateBackends` is gone.
#[test]
fn openshift_routes_to_gateway_api_with_differences() {
    let run = diff("routes-to-gateway", "json");
    run.assert_code(1);
    let json = run.json();
    assert_eq!(causes(&json, "differences"), set(&["backend-changed", "https-redirect-dropped"]), "{json:#}");
    let redirect = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["request"]["scheme"] == "http" && d["request"]["path"] == "/api")
        .expect("plain HTTP to /api differs");
    assert_eq!(redirect["old"]["outcome"]["result"], "redirect", "{redirect:#}");
    assert_eq!(redirect["old"]["rule"]["object"], "shop/api", "{redirect:#}");
    let canary = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["request"]["scheme"] == "https" && d["request"]["path"] == "/")
        .expect("HTTPS to / differs");
    assert_eq!(
        canary["old"]["outcome"]["backends"],
        serde_json::json!(["shop/storefront-canary:80", "shop/storefront:80"]),
        "{canary:#}"
    );
}

// The same translation as `equivalent`, but the Gateway's one Envoy proxy
// pod is NotReady: a pod that fails its readiness probe is out of its
// Service's endpoints
// (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes),
// so the Gateway serves nothing (implementations report `Programmed:
// False`, reason `NoResources`,
// https://gateway-api.sigs.k8s.io/reference/spec/#gatewayconditionreason).
// Every request the old Ingress served is a difference, not "forwarding".
#[test]
fn a_gateway_without_ready_proxies_serves_nothing() {
    let run = diff("proxies-not-ready", "human");
    run.assert_code(1);
    snapshot!("proxies_not_ready", run.to_string());
    let json = diff("proxies-not-ready", "json").json();
    assert_eq!(causes(&json, "differences"), set(&["no-ready-proxies"]));
    let differences = json["differences"].as_array().unwrap();
    // Every request to the host: 9 paths over HTTP and HTTPS.
    assert_eq!(differences.len(), 18, "{json:#}");
    for difference in differences {
        assert_eq!(difference["request"]["host"], "shop.example.com", "{difference:#}");
        assert_eq!(difference["old"]["outcome"]["result"], "forward", "{difference:#}");
        assert_eq!(difference["new"]["outcome"]["result"], "no-ready-proxies", "{difference:#}");
    }
}
