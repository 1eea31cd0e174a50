//! `kubereach dns NAME --from NAMESPACE/POD`: the resolver, every query in
//! order, and the answer.

use super::util::{crate_dir, run, snapshot};

fn dns(args: &[&str]) -> String {
    dns_exiting(args, 0)
}

/// Exit 1 when the pod cannot reach cluster DNS: the lookup times out, as
/// `trace` says at its `dns` layer.
fn dns_exiting(args: &[&str], code: i32) -> String {
    let mut all = vec!["dns"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "demo"]);
    let result = run(&crate_dir(), &all);
    result.assert_code(code);
    result.to_string()
}

#[test]
fn search_path_and_ndots() {
    let out = [
        dns(&["api-service.production", "--from", "production/frontend"]),
        dns(&["api-service", "--from", "monitoring/prometheus"]),
        dns_exiting(&["mq.yourapp.com", "--from", "production/worker"], 1),
        dns(&["kubernetes.default.svc.cluster.local.", "--from", "production/api", "--type", "AAAA"]),
    ];
    snapshot!("search_path_and_ndots", out.join("\n"));
}

#[test]
fn record_types() {
    let out = [
        dns(&[
            "_dns._udp.kube-dns.kube-system.svc.cluster.local.",
            "--from",
            "production/api",
            "--type",
            "srv",
        ]),
        dns(&["10.96.0.10", "--from", "production/api", "--type", "PTR"]),
        dns(&["frontend.production", "--from", "production/api", "--type", "CNAME"]),
    ];
    snapshot!("record_types", out.join("\n"));
}

#[test]
fn json() {
    let result = run(
        &crate_dir(),
        &["dns", "api-service.production", "--from", "production/frontend", "-f", "demo", "--format", "json"],
    );
    result.assert_code(0);
    let json = result.json();
    assert_eq!(json["schema"], "kubereach.dns/v1");
    assert_eq!(json["queries"][1]["answer"]["kind"], "records");
    snapshot!("json", result.stdout);
}

/// A typo namespace: every query, the last (forwarded upstream) included,
/// is NXDOMAIN, since the DNS root delegates no `productin` (RFC 1034
/// §4.3.2).
#[test]
fn names_that_do_not_exist() {
    snapshot!("names_that_do_not_exist", dns(&["api-service.productin", "--from", "production/frontend"]));
}

/// A name a typo away from a Service: NXDOMAIN, and the Services it may
/// have meant (the same ones `trace` names at its `dns` layer).
#[test]
fn a_typo_gets_the_close_service_names() {
    let out = dns(&["api-servce.production", "--from", "production/frontend"]);
    assert!(out.contains("answer: NXDOMAIN\n  did you mean `api-service.production`?\n"), "{out}");
    let wrong_namespace = dns(&["api-service.productin", "--from", "production/frontend"]);
    assert!(wrong_namespace.contains("did you mean `api-service.production`?"), "{wrong_namespace}");
}
