//! Input sources: YAML streams, JSON, `List` kinds, `kubectl get -o yaml|json`
//! dumps, `helm template` and `kustomize build` output, standard input, and
//! directory trees.

use super::util::{find_named, fixtures, namespace, run_in, snapshot, workload, Run, TestDir};

fn sources() -> std::path::PathBuf {
    fixtures().join("sources")
}

/// Runs `kubereach ARGS` in the `sources` fixture directory.
fn run(args: &[&str]) -> Run {
    run_in(&sources(), args, None)
}

#[test]
fn yaml_stream_separators_comments_and_anchors() {
    let human = run(&["inventory", "-f", "stream.yaml"]);
    // The literal block scalar document is the only error.
    human.assert_code(2);
    snapshot!("yaml_stream", human.to_string());

    let inventory = run(&["inventory", "--format", "json", "-f", "stream.yaml"]).json();
    let shop = namespace(&inventory, "shop");
    assert_eq!(shop["declared"], true);
    assert_eq!(shop["labels"]["team"], "shop");
    let web = workload(shop, "Deployment", "web");
    // The merge key brought `app: web` into the template labels.
    assert_eq!(web["labels"]["app"], "web");
    assert_eq!(web["labels"]["tier"], "front");
    // The second container was merged from the first and overrode `name` and `ports`.
    let ports = web["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 2, "{web:#}");
    assert_eq!(ports[1]["container"], "sidecar");
    assert_eq!(ports[1]["port"], 9090);
    assert_eq!(web["location"]["line"], 32);
    // The selector alias expanded to the labels.
    let service = find_named(&shop["services"], "web").unwrap();
    assert_eq!(service["selector"], "app=web");
    // A tag after `---` is content: the document starts on the marker line.
    assert_eq!(service["location"]["line"], 15);
    // The document on the same line as its `---`.
    let debug = workload(shop, "Pod", "debug");
    assert_eq!(debug["location"]["line"], 53);
}

#[test]
fn kind_list_with_mixed_items() {
    let human = run(&["inventory", "-f", "list.yaml"]);
    human.assert_code(2);
    // The broken item is reported at its own line; the others load.
    assert!(human.stderr.starts_with("list.yaml:40: error: "), "{human}");
    snapshot!("kind_list", human.to_string());

    let inventory = run(&["inventory", "--format", "json", "-f", "list.yaml"]).json();
    let prod = namespace(&inventory, "prod");
    assert_eq!(workload(prod, "Deployment", "api")["location"]["line"], 15);
    assert_eq!(inventory["skipped_kinds"]["ServiceAccount"], 1);
}

#[test]
fn typed_list_in_json_items_without_kind() {
    let human = run(&["inventory", "-f", "podlist.json"]);
    human.assert_code(0);
    snapshot!("pod_list_json", human.to_string());

    let inventory = run(&["inventory", "--format", "json", "-f", "podlist.json"]).json();
    let tools = namespace(&inventory, "tools");
    assert_eq!(workload(tools, "Pod", "client")["location"]["line"], 6);
    assert_eq!(workload(tools, "Pod", "server")["location"]["line"], 10);
}

#[test]
fn kubectl_dump_yaml_with_status() {
    let human = run(&["inventory", "-f", "kubectl-dump.yaml"]);
    human.assert_code(0);
    snapshot!("kubectl_dump_yaml", human.to_string());

    let inventory = run(&["inventory", "--format", "json", "-f", "kubectl-dump.yaml"]).json();
    let shop = namespace(&inventory, "shop");
    let workloads = shop["workloads"].as_array().unwrap();
    // Both pods, and the ReplicaSet, stand under their Deployment.
    assert_eq!(workloads.len(), 1, "{shop:#}");
    let checkout = workload(shop, "Deployment", "checkout");
    assert_eq!(checkout["replicas"], 2);
    assert_eq!(checkout["pods_in_input"], 2);
    let service = find_named(&shop["services"], "checkout").unwrap();
    assert_eq!(service["cluster_ip"], "10.96.14.201");
}

#[test]
fn kubectl_dump_json_matches_the_yaml_dump() {
    let yaml = run(&["inventory", "--format", "json", "-f", "kubectl-dump.yaml"]).json();
    let json_run = run(&["inventory", "--format", "json", "-f", "kubectl-dump.json"]);
    json_run.assert_code(0);
    let json = json_run.json();
    let yaml_ns = namespace(&yaml, "shop");
    let json_ns = namespace(&json, "shop-json");
    for (a, b) in
        [(&yaml_ns["workloads"], &json_ns["workloads"]), (&yaml_ns["services"], &json_ns["services"])]
    {
        let strip = |v: &serde_json::Value| {
            let mut v = v.clone();
            for item in v.as_array_mut().unwrap() {
                item.as_object_mut().unwrap().remove("location");
            }
            v
        };
        assert_eq!(strip(a), strip(b));
    }
}

#[test]
fn helm_template_output() {
    let human = run(&["inventory", "-f", "helm-template.yaml"]);
    human.assert_code(0);
    snapshot!("helm_template", human.to_string());
}

// The helm test Pod (no ownerReferences, labels matching the Deployment's
// selector, `restartPolicy: Never`) must not be taken for one of the
// Deployment's pods by the labels fallback: only Jobs run pods that stop.
#[test]
fn helm_test_pod_is_not_taken_for_a_deployment_pod() {
    let inventory = run(&["inventory", "--format", "json", "-f", "helm-template.yaml"]).json();
    let default = namespace(&inventory, "default");
    let deployment = workload(default, "Deployment", "release-podinfo");
    assert_eq!(deployment["pods_in_input"], 0, "{deployment:#}");
    let ports: Vec<_> = deployment["ports"].as_array().unwrap().iter().map(|p| p["port"].clone()).collect();
    assert_eq!(ports, [9898, 9999], "{deployment:#}");
    workload(default, "Pod", "release-podinfo-service-test-8ljbq");
}

#[test]
fn kustomize_build_output_on_stdin() {
    let text = std::fs::read_to_string(sources().join("kustomize-build.yaml")).unwrap();
    let human = run_in(&sources(), &["inventory", "-f", "-"], Some(&text));
    human.assert_code(0);
    snapshot!("kustomize_build_stdin", human.to_string());

    let from_file = run(&["inventory", "-f", "kustomize-build.yaml"]);
    assert_eq!(human.stdout, from_file.stdout);
}

#[test]
fn stdin_errors_are_located_in_stdin() {
    let dir = TestDir::new();
    dir.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: from-file}\nspec: {containers: [{name: c}]}\n",
    );
    let stdin = "\
apiVersion: v1
kind: Service
metadata: {name: from-stdin}
---
apiVersion: v1
kind: Service
metadata: {name: bad}
spec: {ports: [{port: eighty}]}
";
    let human = dir.run_with_stdin(&["inventory", "-f", "-", "-f", "pod.yaml"], stdin);
    human.assert_code(2);
    snapshot!("stdin_with_error", human.to_string());

    let json =
        dir.run_with_stdin(&["inventory", "--format", "json", "-f", "-", "-f", "pod.yaml"], stdin).json();
    let default = namespace(&json, "default");
    let service = find_named(&default["services"], "from-stdin").unwrap();
    assert_eq!(service["location"], serde_json::json!({"file": null, "line": 1}));
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["location"], serde_json::json!({"file": null, "line": 8}));
}

#[test]
fn empty_stdin_loads_nothing() {
    let dir = TestDir::new();
    let human = dir.run_with_stdin(&["inventory", "-f", "-"], "");
    human.assert_code(0);
    assert_eq!(human.stdout, "cluster domain: cluster.local\n", "{human}");
}

#[test]
fn directory_tree_is_read_recursively() {
    let dir = TestDir::new();
    dir.copy_fixture("sources/tree", "tree");
    // Git refuses to store a `.git` folder in a fixture: make it here.
    dir.write(
        "tree/.git/config.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: from-git-dir, namespace: tree}\n",
    );
    let human = dir.run(&["inventory", "-f", "tree"]);
    human.assert_code(0);
    snapshot!("directory_tree", human.to_string());
    assert!(!human.stdout.contains("from-"), "hidden files and folders are not read:\n{human}");

    let inventory = dir.run(&["inventory", "--format", "json", "-f", "tree"]).json();
    let tree = namespace(&inventory, "tree");
    let deployment = workload(tree, "Deployment", "backend");
    assert_eq!(deployment["location"]["file"], "tree/overlays/prod/patches/deployment.json");
    assert_eq!(deployment["replicas"], 5);
    assert_eq!(tree["network_policies"][0]["location"]["file"], "tree/overlays/prod/UPPER.YAML");
    assert_eq!(tree["services"][0]["location"]["file"], "tree/base/service.yml");
}

// Symlinked directories that loop (`..` links) are read once each, by
// canonical path; otherwise the walk would never end.
#[cfg(unix)]
#[test]
fn symlink_loops_are_read_once() {
    let dir = TestDir::new();
    dir.write("manifests/a/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
    std::os::unix::fs::symlink("..", dir.path().join("manifests/a/up")).unwrap();
    std::os::unix::fs::symlink("../a", dir.path().join("manifests/a/again")).unwrap();
    let run = dir.run_with_timeout(&["inventory", "-f", "manifests"], std::time::Duration::from_secs(10));
    run.assert_code(0);
    assert!(!run.stderr.contains("duplicate"), "{run}");
}

#[test]
fn files_and_directories_together() {
    let human = run(&["inventory", "-f", "tree", "-f", "kustomize-build.yaml", "-f", "podlist.json"]);
    human.assert_code(0);
    snapshot!("files_and_directories", human.to_string());
}

#[test]
fn server_is_an_alternative_to_filename() {
    // A port nothing listens on: the error names the URL, the exit code is 2.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    let unreachable = run(&["matrix", "--server", &server, "--request-timeout", "5s"]);
    unreachable.assert_code(2);
    assert!(
        unreachable.stderr.starts_with(&format!("{server}/api/v1/namespaces: error: cannot read {server}: ")),
        "{unreachable}"
    );
    assert!(unreachable.stdout.is_empty(), "{unreachable}");

    // Neither a file nor a cluster (no kubeconfig here): an error.
    run(&["matrix"]).assert_code(2);
    // A server and a kubeconfig context are alternatives.
    run(&["matrix", "--server", &server, "--context", "prod"]).assert_code(2);
    // A token file only makes sense with a server.
    run(&["matrix", "-f", "stream.yaml", "--token-file", "token"]).assert_code(2);
}
