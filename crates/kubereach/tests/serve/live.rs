//! `kubereach serve` on a live cluster: the fake API server of the loader's
//! tests (`crates/load/tests/support/fake_api.rs`) answers from a copy of
//! its fixtures, which the test changes between readings; the page's
//! refresh lists the cluster again and serves what changed, and a refresh
//! that cannot read the cluster keeps the last reading.

use std::path::{Path, PathBuf};

use crate::fake_api::{Behaviour, FakeApi, Tls};
use crate::support::{workload, Server};

/// A copy of the fake cluster's fixtures (`live/`), which the test may change.
fn fixtures() -> tempfile::TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures/live");
    let copy = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(copy.path().join("live")).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.path().join("live").join(entry.file_name())).unwrap();
    }
    copy
}

fn list_file(dir: &Path, resource: &str) -> PathBuf {
    dir.join("live").join(format!("{resource}.json"))
}

/// Adds a NetworkPolicy that isolates every pod of `shop` for ingress.
fn add_default_deny(dir: &Path) {
    let path = list_file(dir, "networkpolicies");
    let mut list: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    list["items"].as_array_mut().unwrap().push(serde_json::json!({
        "metadata": {"name": "default-deny", "namespace": "shop", "uid": "np-0002", "generation": 1},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}
    }));
    std::fs::write(&path, list.to_string()).unwrap();
}

#[test]
fn refresh_lists_the_live_cluster_again() {
    let dir = fixtures();
    let api = FakeApi::start(dir.path(), Behaviour::default(), Tls::None);
    let server = Server::start(&["--server", &api.url]);
    let info = server.get("/api/info").json();
    assert_eq!(info["live"], true, "{info}");
    let before = server.get("/api/graph").json();
    // `db-from-web` isolates the database only.
    assert_eq!(workload(&before, "shop/db")["ingress_isolated"], true);
    assert_eq!(workload(&before, "shop/web")["ingress_isolated"], false);
    let lists = |api: &FakeApi| api.seen().iter().filter(|s| s.target.contains("/networkpolicies")).count();
    let read_once = lists(&api);
    assert!(read_once >= 1);

    add_default_deny(dir.path());
    // Nothing changes until the reader asks.
    assert_eq!(server.get("/api/graph").json(), before);
    let refreshed = server.get("/api/refresh");
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let after = refreshed.json();
    assert_eq!(workload(&after, "shop/web")["ingress_isolated"], true);
    assert!(workload(&after, "shop/web")["policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "default-deny"));
    assert_eq!(server.get("/api/graph").json(), after);
    // The other documents come from the new reading too.
    let explain = server.get("/api/explain?from=shop/db&to=shop/web").json();
    assert_eq!(explain["allowed"], serde_json::json!([]), "{explain}");
    assert!(lists(&api) > read_once, "the cluster was listed again");
    // Only lists were asked for: a refresh never writes.
    for seen in api.seen() {
        assert!(seen.target.starts_with("/api/v1/") || seen.target.starts_with("/apis/"), "{}", seen.target);
    }
}

#[test]
fn a_refresh_that_cannot_read_the_cluster_keeps_the_last_reading() {
    let dir = fixtures();
    let api = FakeApi::start(dir.path(), Behaviour::default(), Tls::None);
    let server = Server::start(&["--server", &api.url]);
    let before = server.get("/api/graph").json();
    // Namespaces can no longer be listed (the answer is not JSON): the read fails.
    std::fs::write(list_file(dir.path(), "namespaces"), "not json").unwrap();
    let failed = server.get("/api/refresh");
    assert_eq!(failed.status, 502, "{}", failed.body);
    let error = failed.json()["error"].as_str().expect("an error").to_owned();
    assert!(error.contains("could not be read"), "{error}");
    // The page keeps showing the last reading.
    assert_eq!(server.get("/api/graph").json(), before);
    // The reason is on the terminal, naming the server.
    let stderr = server.stderr();
    assert!(stderr.contains(&api.url) && stderr.contains("namespaces"), "{stderr}");
}
