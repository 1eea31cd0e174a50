//! `routes --diff` with the live cluster (`@live`) on either side: a fake
//! API server over TLS, reached with a kubeconfig.

use std::path::{Path, PathBuf};

use super::util::{Run, TestDir};

#[path = "../../../load/tests/support/fake_api.rs"]
mod fake_api;
use fake_api::{Behaviour, FakeApi, Tls, User};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures")
}

fn run(dir: &TestDir, args: &[&str]) -> Run {
    let run = dir.run(args);
    run.assert_no_panic();
    run
}

/// An Ingress that exposes the fake cluster's `shop/web` Service on `shop.example.com`.
const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\n\
    metadata: {name: web, namespace: shop}\n\
    spec:\n  ingressClassName: nginx\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n\
    \x20     - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n";

// The running cluster (no Ingress, no Gateway) against its own snapshot,
// then against the snapshot plus an Ingress: `@live` as OLD finds the
// host added, as NEW finds it removed.
#[test]
fn routes_diff_takes_the_live_cluster_on_either_side() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ServerOnly);
    let dir = TestDir::new();
    api.kubeconfig(&fixtures(), dir.path(), "ca.crt", User::Token("t0ken"));
    dir.mkdir("same");
    run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "same/cluster.yaml"]).assert_code(0);
    let same = run(&dir, &["routes", "--kubeconfig", "kubeconfig", "--diff", "@live", "same"]);
    same.assert_code(0);
    assert!(same.stdout.starts_with("routes: context `fake` (https://127.0.0.1:"), "{same}");

    dir.write("exposed/cluster.yaml", std::fs::read(dir.path().join("same/cluster.yaml")).unwrap());
    dir.write("exposed/ingress.yaml", INGRESS);
    let added =
        run(&dir, &["routes", "--kubeconfig", "kubeconfig", "--diff", "@live", "exposed", "-o", "json"]);
    added.assert_code(1);
    let removed =
        run(&dir, &["routes", "--kubeconfig", "kubeconfig", "--diff", "exposed", "@live", "-o", "json"]);
    removed.assert_code(1);
    let (added, removed) = (added.json(), removed.json());
    for report in [&added, &removed] {
        assert!(report["differences"].to_string().contains("shop.example.com"), "{report:#}");
    }
    assert_ne!(added["differences"], removed["differences"], "the two directions differ");

    // A live side whose credentials are rejected is an input error, never an empty table.
    let expired = FakeApi::start(
        &fixtures(),
        Behaviour { rejected_tokens: vec!["expired"], ..Behaviour::default() },
        Tls::ServerOnly,
    );
    let other = TestDir::new();
    expired.kubeconfig(&fixtures(), other.path(), "ca.crt", User::Token("expired"));
    other.write("exposed/ingress.yaml", INGRESS);
    let rejected = run(&other, &["routes", "--kubeconfig", "kubeconfig", "--diff", "exposed", "@live"]);
    rejected.assert_code(2);
    assert!(rejected.stderr.contains("rejected the credentials"), "{rejected}");
    assert!(rejected.stdout.is_empty(), "{rejected}");
}
