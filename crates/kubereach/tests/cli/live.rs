//! Live clusters through the CLI: a fake API server over TLS, reached with a
//! kubeconfig; snapshots; `diff` with the live cluster on either side.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Run, TestDir};

#[path = "../../../load/tests/support/fake_api.rs"]
pub(crate) mod fake_api;
use fake_api::{Behaviour, FakeApi, Tls, User};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures")
}

/// A fake cluster over TLS and a directory with its kubeconfig (`kubeconfig`).
fn cluster(behaviour: Behaviour, user: User) -> (FakeApi, TestDir) {
    let api = FakeApi::start(&fixtures(), behaviour, Tls::ServerOnly);
    let dir = TestDir::new();
    api.kubeconfig(&fixtures(), dir.path(), "ca.crt", user);
    (api, dir)
}

fn run(dir: &TestDir, args: &[&str]) -> Run {
    let run = dir.run(args);
    run.assert_no_panic();
    run
}

/// Check JSON without `file` and `line`: a snapshot file names itself and its
/// lines, a live cluster the list each object came from.
fn without_locations(mut check: Value) -> Value {
    for finding in check["findings"].as_array_mut().unwrap() {
        let finding = finding.as_object_mut().unwrap();
        finding.remove("file");
        finding.remove("line");
    }
    check
}

#[test]
fn a_snapshot_answers_like_the_live_cluster() {
    let (_api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    let snapshot = run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]);
    snapshot.assert_code(0);
    assert!(
        snapshot.stderr.starts_with("wrote 22 objects from context `fake` (https://127.0.0.1:"),
        "{snapshot}"
    );
    let text = std::fs::read_to_string(dir.path().join("cluster.yaml")).unwrap();
    assert!(text.starts_with("# kubereach snapshot of context `fake` (https://127.0.0.1:"), "{text}");
    assert!(
        text.contains("\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n"),
        "{text}"
    );
    // Never the Secret's data, not even inside last-applied-configuration.
    assert!(!text.contains("aHVudGVyMg=="), "{text}");
    assert!(!text.contains("managedFields:"), "{text}");

    let from_file = run(&dir, &["matrix", "--format", "json", "-f", "cluster.yaml"]);
    from_file.assert_code(0);
    let from_live = run(&dir, &["matrix", "--format", "json", "--kubeconfig", "kubeconfig"]);
    from_live.assert_code(0);
    assert!(from_live.stderr.is_empty(), "no progress line on a pipe:\n{from_live}");
    assert!(from_file.json()["edges"].as_array().is_some_and(|e| !e.is_empty()), "{from_file}");
    assert_eq!(from_live.stdout, from_file.stdout, "matrix JSON must be byte-identical");

    let check_file = run(&dir, &["check", "--format", "json", "-f", "cluster.yaml"]);
    let check_live = run(&dir, &["check", "--format", "json", "--kubeconfig", "kubeconfig"]);
    assert_eq!(check_live.code, check_file.code);
    let (file, live) = (check_file.json(), check_live.json());
    assert!(file["findings"].as_array().is_some_and(|f| !f.is_empty()), "{check_file}");
    assert_eq!(
        serde_json::to_string_pretty(&without_locations(live)).unwrap(),
        serde_json::to_string_pretty(&without_locations(file)).unwrap()
    );
    // The OOMKilled CoreDNS pod: KR401 and KR102 (kube-dns has no ready endpoint).
    assert!(check_live.stdout.contains("last run `OOMKilled`"), "{check_live}");
    assert!(check_live.stdout.contains("\"code\": \"KR102\""), "{check_live}");
}

#[test]
fn diff_takes_the_live_cluster_on_either_side() {
    let (_api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]).assert_code(0);
    // The running cluster against itself: no differences.
    let same = run(&dir, &["diff", "--kubeconfig", "kubeconfig", "-f", "cluster.yaml"]);
    same.assert_code(0);
    // A change: deny all ingress in `shop`.
    dir.write(
        "change/deny.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: shop}\n\
         spec: {podSelector: {}, policyTypes: [Ingress]}\n",
    );
    let change = run(&dir, &["diff", "--kubeconfig", "kubeconfig", "-f", "cluster.yaml", "-f", "change"]);
    change.assert_code(1);
    assert!(change.stdout.contains("8 changed pairs from context `fake` (https://127.0.0.1:"), "{change}");
    assert!(change.stdout.contains("deny-all"), "{change}");
    // `@live` as the new side: the same change, reversed.
    let reverse =
        run(&dir, &["diff", "--kubeconfig", "kubeconfig", "--format", "json", "change-and-cluster", "@live"]);
    assert_eq!(reverse.code, Some(2), "a missing OLD path is an input error:\n{reverse}");
    std::fs::create_dir_all(dir.path().join("both")).unwrap();
    std::fs::copy(dir.path().join("cluster.yaml"), dir.path().join("both/cluster.yaml")).unwrap();
    std::fs::copy(dir.path().join("change/deny.yaml"), dir.path().join("both/deny.yaml")).unwrap();
    let reverse = run(&dir, &["diff", "--kubeconfig", "kubeconfig", "--format", "json", "both", "@live"]);
    reverse.assert_code(1);
    let report = reverse.json();
    let text = report.to_string();
    assert!(text.contains("\"added\""), "{reverse}");
}

#[test]
fn a_context_that_does_not_exist_is_named() {
    let (_api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    let missing = run(&dir, &["inventory", "--kubeconfig", "kubeconfig", "--context", "prod"]);
    missing.assert_code(2);
    assert_eq!(
        missing.stderr,
        "live cluster: error: context `prod` is not in the kubeconfig kubeconfig: it has `fake`\n",
        "{missing}"
    );
    assert!(missing.stdout.is_empty(), "{missing}");
    // KUBECONFIG is honoured like --kubeconfig.
    let run = dir.run_with_env(&["inventory", "--context", "prod"], &[("KUBECONFIG", "kubeconfig")]);
    run.assert_code(2);
    assert!(run.stderr.contains("context `prod` is not in the kubeconfig kubeconfig"), "{run}");
}

#[test]
fn expired_credentials_stop_every_command() {
    let (api, dir) = cluster(
        Behaviour { rejected_tokens: vec!["expired"], ..Behaviour::default() },
        User::Token("expired"),
    );
    for command in [&["inventory"][..], &["matrix"], &["check"], &["trace", "shop/web", "shop/db:5432"]] {
        let mut args = command.to_vec();
        args.extend(["--kubeconfig", "kubeconfig"]);
        let rejected = run(&dir, &args);
        rejected.assert_code(2);
        assert!(
            rejected.stderr.contains(&format!(
                "error: context `fake` ({}) rejected the credentials (HTTP 401 Unauthorized)",
                api.url
            )),
            "{rejected}"
        );
        assert!(rejected.stdout.is_empty(), "{rejected}");
    }
    let snapshot = run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]);
    snapshot.assert_code(2);
    assert!(!dir.path().join("cluster.yaml").exists(), "no snapshot of an unreadable cluster");
}

#[test]
fn forbidden_kinds_are_named_in_the_snapshot() {
    let (_api, dir) =
        cluster(Behaviour { forbidden: vec!["secrets"], ..Behaviour::default() }, User::Token("t"));
    let snapshot = run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "-"]);
    snapshot.assert_code(0);
    assert!(snapshot.stderr.contains("warning: forbidden to list `secrets` (HTTP 403)"), "{snapshot}");
    assert!(snapshot.stdout.contains("\n# warning: forbidden to list `secrets` (HTTP 403)"), "{snapshot}");
    // The snapshot itself loads without a diagnostic.
    dir.write("cluster.yaml", &snapshot.stdout);
    let inventory = run(&dir, &["inventory", "-f", "cluster.yaml"]);
    inventory.assert_code(0);
    assert!(inventory.stderr.is_empty(), "{inventory}");
}

#[test]
fn namespace_limits_what_is_listed() {
    let (api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    let matrix = run(&dir, &["matrix", "--kubeconfig", "kubeconfig", "-n", "shop", "--format", "connlist"]);
    matrix.assert_code(0);
    assert!(matrix.stderr.contains("note: read only namespace `shop`"), "{matrix}");
    let targets: Vec<String> = api.seen().into_iter().map(|s| s.target).collect();
    assert!(targets.contains(&"/api/v1/namespaces/shop/pods?limit=500".to_owned()), "{targets:?}");
    assert!(!targets.iter().any(|t| t.starts_with("/api/v1/pods")), "{targets:?}");
}

/// `deploy/rbac.yaml` grants `list`, and only `list`, on exactly the
/// resources kubereach lists.
#[test]
fn the_rbac_manifest_grants_exactly_what_is_listed() {
    use std::collections::BTreeSet;
    let text = std::fs::read_to_string(crate::util::repo_root().join("deploy/rbac.yaml")).unwrap();
    let mut granted = BTreeSet::new();
    for document in kubereach_load::yaml::parse_stream(&text) {
        let value = document.content.expect("deploy/rbac.yaml parses").value;
        if !matches!(value["kind"].as_str(), Some("ClusterRole" | "Role")) {
            continue;
        }
        for rule in value["rules"].as_array().unwrap() {
            let verbs: Vec<&str> =
                rule["verbs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(verbs, ["list"], "{rule}");
            for group in rule["apiGroups"].as_array().unwrap() {
                for resource in rule["resources"].as_array().unwrap() {
                    let entry = (group.as_str().unwrap().to_owned(), resource.as_str().unwrap().to_owned());
                    assert!(granted.insert(entry.clone()), "{entry:?} granted twice");
                }
            }
        }
    }
    let listed: BTreeSet<(String, String)> = kubereach_load::listed_resources()
        .into_iter()
        .map(|(group, resource)| (group.to_owned(), resource.to_owned()))
        .collect();
    assert_eq!(granted, listed);
}

/// On a terminal a progress line counts lists and objects, and is erased
/// when done.
#[test]
fn progress_is_shown_on_a_terminal_only() {
    let Some((terminal, json)) = inventory_on_terminal("") else { return };
    assert!(terminal.contains("\r\x1b[2Kreading context `fake` (https://127.0.0.1:"), "{terminal:?}");
    assert!(terminal.contains(" lists, "), "{terminal:?}");
    assert!(terminal.ends_with("\r\x1b[2K"), "the line is erased at the end: {terminal:?}");
    // The answer itself went to the file, untouched.
    assert_eq!(json["schema"], "kubereach.inventory/v1");
}

/// `--quiet` silences the progress line, even on a terminal.
#[test]
fn quiet_silences_progress() {
    let Some((terminal, json)) = inventory_on_terminal("--quiet") else { return };
    assert_eq!(terminal, "", "nothing on the terminal");
    assert_eq!(json["schema"], "kubereach.inventory/v1");
}

/// `inventory` of the fake cluster with `flags`, its JSON written to a
/// file, on a pseudo-terminal from `script` (util-linux): what the terminal
/// showed and the JSON. `None` (skipped) without `script`.
fn inventory_on_terminal(flags: &str) -> Option<(String, Value)> {
    let (_api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    let command = format!(
        "{} inventory --kubeconfig kubeconfig --format json {flags} > out.json",
        env!("CARGO_BIN_EXE_kubereach")
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path())
        .output();
    let Ok(output) = output else {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    };
    assert!(output.status.success(), "{output:?}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap()).unwrap();
    Some((String::from_utf8_lossy(&output.stdout).into_owned(), json))
}

/// kubectl's `TYPE/NAME` without `-n` is in the kubeconfig context's
/// namespace, as kubectl reads it
/// (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#context);
/// `-n` overrides it.
#[test]
fn kubectl_forms_use_the_context_namespace() {
    let (_api, dir) = cluster(Behaviour::default(), User::Token("t0ken"));
    let kubeconfig = std::fs::read_to_string(dir.path().join("kubeconfig")).unwrap();
    let with_namespace =
        kubeconfig.replace("    user: fake-user\n", "    user: fake-user\n    namespace: shop\n");
    assert_ne!(with_namespace, kubeconfig);
    dir.write("kubeconfig", with_namespace);
    let kubectl =
        run(&dir, &["trace", "--kubeconfig", "kubeconfig", "-o", "json", "deploy/worker", "deploy/web:http"]);
    let today =
        run(&dir, &["trace", "--kubeconfig", "kubeconfig", "-o", "json", "shop/worker", "shop/web:http"]);
    assert_eq!(kubectl.stdout, today.stdout);
    assert_eq!(kubectl.code, today.code);
    assert_eq!(kubectl.json()["schema"], "kubereach.trace/v1", "{kubectl}");
    let elsewhere = run(
        &dir,
        &["trace", "--kubeconfig", "kubeconfig", "-n", "kube-system", "deploy/worker", "svc/kube-dns:53"],
    );
    elsewhere.assert_code(2);
    // `-n` also limits what is listed (a note says so), as for every command.
    assert!(elsewhere.stderr.contains("note: read only namespace `kube-system`"), "{elsewhere}");
    assert!(
        elsewhere.stderr.ends_with("kubereach: deployment `worker` not found in namespace `kube-system`\n"),
        "{elsewhere}"
    );
}
