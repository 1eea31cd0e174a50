//! Model rules, checked through `kubereach inventory --format json`: every
//! kind is read, implicit namespaces get their name label, workloads stand
//! for their pods, and API-server defaults are applied.

use serde_json::{json, Value};

use super::util::{find_named, fixtures, namespace, run_in, snapshot, workload, Run, TestDir};

fn run(args: &[&str]) -> Run {
    run_in(&fixtures().join("model"), args, None)
}

fn inventory(file: &str) -> Value {
    let run = run(&["inventory", "--format", "json", "-f", file]);
    run.assert_code(0);
    run.json()
}

#[test]
fn every_kind_is_read() {
    let human = run(&["inventory", "-f", "every-kind.yaml"]);
    human.assert_code(0);
    snapshot!("every_kind", human.to_string());

    let inventory = inventory("every-kind.yaml");
    assert_eq!(inventory["schema"], "kubereach.inventory/v1");
    // Only the ConfigMap that is not CoreDNS's is skipped; nothing is wrong.
    assert_eq!(inventory["skipped_kinds"], json!({"ConfigMap": 1}));
    assert_eq!(inventory["diagnostics"], json!([]));
    let data = namespace(&inventory, "data");
    assert_eq!(data["declared"], true);
    assert_eq!(data["labels"], json!({"kubernetes.io/metadata.name": "data", "team": "storage"}));
    let kinds: Vec<(&str, &str)> = data["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["kind"].as_str().unwrap(), w["name"].as_str().unwrap()))
        .collect();
    for expected in [
        ("Pod", "toolbox"),
        ("Deployment", "api"),
        ("StatefulSet", "db"),
        ("DaemonSet", "agent"),
        ("ReplicaSet", "cache"),
        ("ReplicationController", "legacy"),
        ("Job", "migrate"),
        ("CronJob", "backup"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} missing from {kinds:?}");
    }
    assert_eq!(kinds.len(), 8, "{kinds:?}");

    assert_eq!(workload(data, "Deployment", "api")["replicas"], 3);
    assert_eq!(workload(data, "StatefulSet", "db")["replicas"], 2);
    // One per node, or on schedule: no fixed count.
    assert_eq!(workload(data, "DaemonSet", "agent")["replicas"], Value::Null);
    assert_eq!(workload(data, "DaemonSet", "agent")["host_network"], true);
    assert_eq!(workload(data, "CronJob", "backup")["replicas"], Value::Null);
    // A Job runs `parallelism` pods at once.
    assert_eq!(workload(data, "Job", "migrate")["replicas"], 2);
    // A ReplicationController without a selector selects its template's labels.
    let legacy = workload(data, "ReplicationController", "legacy");
    assert_eq!(legacy["replicas"], 4);
    assert_eq!(legacy["ports"], json!([{"name": null, "port": 53, "protocol": "UDP", "container": "l"}]));

    let db = find_named(&data["services"], "db").unwrap();
    assert_eq!(db["cluster_ip"], Value::Null, "headless");
    let ingress = find_named(&data["ingresses"], "api").unwrap();
    assert_eq!(ingress["class"], "nginx");
    assert_eq!(ingress["hosts"], json!(["api.example.com"]));
    assert_eq!(ingress["tls_hosts"], json!(["api.example.com"]));
    let policy = find_named(&data["network_policies"], "db-from-api").unwrap();
    assert_eq!(policy["pod_selector"], "app=db");

    let cluster = &inventory["cluster"];
    assert_eq!(cluster["nodes"], json!(["node-1"]));
    assert_eq!(
        cluster["ingress_classes"],
        json!([{"name": "nginx", "controller": "k8s.io/ingress-nginx", "default": true}])
    );
    // The cluster domain comes from the CoreDNS Corefile.
    assert_eq!(inventory["cluster_domain"], "corp.internal");
}

#[test]
fn secret_data_is_never_kept_or_printed() {
    for format in ["human", "json"] {
        let run = run(&["inventory", "--format", format, "-f", "every-kind.yaml", "-f", "defaults.yaml"]);
        run.assert_code(0);
        for value in ["LS0tLS1CRUdJTi", "do-not-print-me"] {
            assert!(!run.stdout.contains(value), "{run}");
            assert!(!run.stderr.contains(value), "{run}");
        }
    }
}

#[test]
fn cluster_domain_flag_overrides_coredns() {
    let run =
        run(&["inventory", "--format", "json", "--cluster-domain", "example.org.", "-f", "every-kind.yaml"]);
    run.assert_code(0);
    assert_eq!(run.json()["cluster_domain"], "example.org");
}

#[test]
fn implicit_namespaces_get_the_name_label() {
    let inventory = inventory("defaults.yaml");
    let names: Vec<&str> =
        inventory["namespaces"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    // `default` for the pod without a namespace; `vault` holds only a Secret.
    assert_eq!(names, ["default", "vault", "web"]);
    for name in names {
        let ns = namespace(&inventory, name);
        assert_eq!(ns["declared"], false, "{ns:#}");
        assert_eq!(ns["labels"], json!({"kubernetes.io/metadata.name": name}));
    }
    assert_eq!(workload(namespace(&inventory, "default"), "Pod", "no-namespace")["ports"][0]["port"], 8080);
}

#[test]
fn declared_namespaces_always_have_the_name_label() {
    let dir = TestDir::new();
    dir.write(
        "ns.yaml",
        "\
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {kubernetes.io/metadata.name: wrong, owner: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
",
    );
    let run = dir.run(&["inventory", "--format", "json", "-f", "ns.yaml"]);
    run.assert_code(0);
    let inventory = run.json();
    assert_eq!(
        namespace(&inventory, "team-a")["labels"],
        json!({"kubernetes.io/metadata.name": "team-a", "owner": "a"})
    );
    assert_eq!(namespace(&inventory, "team-b")["labels"], json!({"kubernetes.io/metadata.name": "team-b"}));
    assert_eq!(namespace(&inventory, "team-b")["declared"], true);
}

#[test]
fn workloads_stand_for_their_pods() {
    let human = run(&["inventory", "-f", "ownership.yaml"]);
    human.assert_code(0);
    snapshot!("ownership", human.to_string());

    let inventory = inventory("ownership.yaml");
    let apps = namespace(&inventory, "apps");
    let summary: Vec<(String, String, Value, Value, Value)> = apps["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap().to_owned(),
                w["name"].as_str().unwrap().to_owned(),
                w["replicas"].clone(),
                w["pods_in_input"].clone(),
                w["location"]["line"].clone(),
            )
        })
        .collect();
    let mut summary = summary;
    summary.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let expected = vec![
        // Pod → Job → CronJob through ownerReferences.
        ("CronJob", "report", json!(null), json!(1), json!(58)),
        // No pods in the input: a representative pod from the template.
        ("Deployment", "idle", json!(0), json!(0), json!(138)),
        // Pod → ReplicaSet → Deployment: the ReplicaSet is not listed.
        ("Deployment", "web", json!(3), json!(2), json!(4)),
        ("Pod", "debug", json!(1), json!(1), json!(131)),
        // An owner named in ownerReferences but absent from the input.
        ("ReplicaSet", "gone-5f7b9c", json!(1), json!(1), json!(120)),
        // No ownerReferences: matched by the StatefulSet's selector.
        ("StatefulSet", "db", json!(2), json!(1), json!(97)),
    ];
    let expected: Vec<(String, String, Value, Value, Value)> =
        expected.into_iter().map(|(k, n, r, p, l)| (k.to_owned(), n.to_owned(), r, p, l)).collect();
    assert_eq!(summary, expected);
}

#[test]
fn service_defaults() {
    let inventory = inventory("defaults.yaml");
    let web = namespace(&inventory, "web");
    let plain = find_named(&web["services"], "plain").unwrap();
    assert_eq!(plain["type"], "ClusterIP");
    assert_eq!(
        plain["ports"],
        json!([
            {"name": null, "port": 80, "target_port": "80", "protocol": "TCP", "node_port": null},
            {"name": "dns", "port": 53, "target_port": "53", "protocol": "UDP", "node_port": null},
            {"name": "named-target", "port": 8443, "target_port": "https", "protocol": "TCP", "node_port": null},
        ])
    );
    let node_port = find_named(&web["services"], "nodeport").unwrap();
    assert_eq!(node_port["type"], "NodePort");
    assert_eq!(node_port["ports"][0]["node_port"], 30080);
    assert_eq!(node_port["ports"][0]["target_port"], "80");
    let external = find_named(&web["services"], "external").unwrap();
    assert_eq!(external["type"], "ExternalName");
    assert_eq!(external["ports"], json!([]));
    let selectorless = find_named(&web["services"], "selectorless").unwrap();
    assert_eq!(selectorless["selector"], Value::Null);
    assert_eq!(selectorless["type"], "ClusterIP");
}

#[test]
fn network_policy_defaults() {
    let inventory = inventory("defaults.yaml");
    let web = namespace(&inventory, "web");
    let types = |name: &str| find_named(&web["network_policies"], name).unwrap()["policy_types"].clone();
    assert_eq!(types("ingress-only"), json!(["Ingress"]));
    assert_eq!(types("with-egress"), json!(["Ingress", "Egress"]));
    assert_eq!(types("explicit-types"), json!(["Egress"]));
    assert_eq!(find_named(&web["network_policies"], "ingress-only").unwrap()["pod_selector"], "{}");
}

#[test]
fn ingress_path_type_is_required() {
    let human = run(&["inventory", "-f", "defaults.yaml"]);
    // A warning, not an error.
    human.assert_code(0);
    snapshot!("defaults", human.to_string());

    let inventory = inventory("defaults.yaml");
    assert_eq!(
        inventory["diagnostics"],
        json!([{
            "location": {"file": "defaults.yaml", "line": 66},
            "severity": "warning",
            "message": "`pathType` is required in networking.k8s.io/v1 Ingress paths: treated as `ImplementationSpecific`",
        }])
    );
}

/// A `kubectl get deploy,pods -o yaml` dump has no ReplicaSets: the pods
/// belong to their Deployment (`<deployment>-<pod-template-hash>`), which
/// stands for them alone, in the inventory and as a matrix node
/// (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label).
#[test]
fn dump_pods_belong_to_their_deployment() {
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/trace/fixtures/dump-without-replicasets/dump.yaml");
    let dump = dump.to_str().expect("a UTF-8 path");
    let inventory = inventory(dump);
    let workloads: Vec<(Value, Value, Value, Value)> = namespace(&inventory, "dump")["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["kind"].clone(), w["name"].clone(), w["replicas"].clone(), w["pods_in_input"].clone()))
        .collect();
    assert_eq!(
        workloads,
        [
            (json!("Deployment"), json!("api"), json!(2), json!(2)),
            (json!("Deployment"), json!("web"), json!(2), json!(2)),
        ]
    );
    let matrix = run(&["matrix", "-f", dump, "--format", "json"]);
    matrix.assert_code(0);
    let nodes: Vec<Value> =
        matrix.json()["nodes"].as_array().unwrap().iter().map(|n| json!([n["id"], n["kind"]])).collect();
    assert_eq!(
        nodes,
        [
            json!(["0.0.0.0/0", "External"]),
            json!(["dump/api", "Deployment"]),
            json!(["dump/web", "Deployment"])
        ]
    );
}

/// Gateway API objects are read into the model (not skipped), listed per
/// namespace, and the GatewayClasses with the cluster-scoped objects; the
/// routing kinds of other projects count as skipped.
#[test]
fn gateway_api_objects_are_read() {
    let dir = super::util::repo_root().join("crates/kubereach/tests/trace/fixtures");
    let run = run_in(
        &dir,
        &["inventory", "--format", "json", "-f", "gateway-api.yaml", "-f", "gateway-unmodelled-host"],
        None,
    );
    run.assert_code(0);
    let inventory = run.json();
    assert_eq!(inventory["skipped_kinds"], json!({"Gateway": 1, "VirtualService": 1}));
    assert_eq!(
        inventory["cluster"]["gateway_classes"][0],
        json!(["eg", "gateway.envoyproxy.io/gatewayclass-controller"])
    );
    let infra = namespace(&inventory, "infra");
    assert_eq!(
        infra["gateways"][0]["listeners"],
        json!(["http HTTP 80 *.example.com", "https HTTPS 443 *.example.com"])
    );
    let shop = namespace(&inventory, "shop");
    let routes: Vec<(&str, &str)> = shop["gateway_routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        routes,
        [("HTTPRoute", "storefront"), ("HTTPRoute", "storefront-redirect"), ("GRPCRoute", "cart")]
    );
}

/// `inventory` shows the plugin behaviour every query command is given,
/// and takes the same overrides (`--cni`, `--ip-blocks-match-pods`,
/// `--host-network-as-pods`).
#[test]
fn inventory_shows_the_plugin_behaviour() {
    let detected = inventory("every-kind.yaml");
    assert_eq!(detected["plugin"]["source"], "not-found", "{}", detected["plugin"]);
    assert_eq!(detected["plugin"]["network_policy"], "unknown");

    let given = run(&["inventory", "--format", "json", "--cni", "calico", "-f", "every-kind.yaml"]);
    given.assert_code(0);
    let plugin = &given.json()["plugin"];
    assert_eq!(plugin["cni"], json!(["calico"]));
    assert_eq!(plugin["source"], "given");
    assert_eq!(plugin["network_policy"], "enforced");
    // Calico matches pod IPs with ipBlocks (projectcalico/calico#6634).
    assert_eq!(plugin["ip_blocks_match_pods"], true);

    let flags = run(&[
        "inventory",
        "--cni",
        "calico",
        "--ip-blocks-match-pods=false",
        "--host-network-as-pods",
        "-f",
        "every-kind.yaml",
    ]);
    flags.assert_code(0);
    for line in [
        "network plugin: calico (--cni)",
        "  NetworkPolicy: enforced",
        "  ipBlocks match pod IPs: no (flag)",
        "  hostNetwork pods: pods like any other (flag)",
    ] {
        assert!(flags.stdout.lines().any(|l| l == line), "no line `{line}` in\n{flags}");
    }
}

/// Cilium's CIDR selectors do not match node addresses unless
/// `policy-cidr-match-mode: nodes` ("By default, CIDR-based selectors do
/// not match in-cluster entities (pods or nodes)", docs.cilium.io, Layer 3
/// Policies, "Selecting nodes with CIDR / ipBlock"); `--ip-blocks-match-nodes`
/// says the cluster runs with it.
#[test]
fn inventory_shows_whether_ip_blocks_match_nodes() {
    let cilium = run(&["inventory", "--format", "json", "--cni", "cilium", "-f", "every-kind.yaml"]);
    cilium.assert_code(0);
    let plugin = &cilium.json()["plugin"];
    assert_eq!(plugin["ip_blocks_match_nodes"], false);
    assert_eq!(plugin["ip_blocks_match_nodes_source"], json!({"source": "plugin", "cni": "cilium"}));
    let flag = run(&["inventory", "--cni", "cilium", "--ip-blocks-match-nodes", "-f", "every-kind.yaml"]);
    flag.assert_code(0);
    let line = "  ipBlocks match node addresses: yes (flag)";
    assert!(flag.stdout.lines().any(|l| l == line), "no line `{line}` in\n{flag}");
}
