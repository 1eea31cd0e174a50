//! The generator's standalone shape (`kubereach-gen --shape standalone`),
//! which the `diff` benchmark runs on: its clusters load without a
//! diagnostic, its Pods are running and ready at their `status.podIP`, and
//! the same documents shuffled (`--shuffle-seed`) make no difference.

use crate::util::TestDir;

/// Writes a standalone cluster into `dir/relative` with the generator's
/// `extra` arguments.
fn generate(dir: &TestDir, relative: &str, extra: &[&str]) {
    let out = dir.path().join(relative).display().to_string();
    let base = ["--shape", "standalone", "--pods", "120", "--namespaces", "3", "--seed", "5", "--out", &out];
    let args = base.iter().chain(extra).map(|arg| (*arg).to_owned());
    let summary = kubereach_gen::run(args).unwrap_or_else(|stop| panic!("generator stopped: {stop:?}"));
    assert!(summary.contains("120 pods") && summary.contains("30 policies"), "{summary}");
}

#[test]
fn a_generated_standalone_cluster_loads_without_diagnostics() {
    let dir = TestDir::new();
    generate(&dir, "a", &[]);
    let run = dir.run(&["inventory", "-f", "a", "--format", "json"]);
    run.assert_code(0);
    let inventory = run.json();
    assert_eq!(inventory["diagnostics"], serde_json::json!([]), "{run}");
    let namespaces = inventory["namespaces"].as_array().expect("namespaces");
    let generated: Vec<&serde_json::Value> =
        namespaces.iter().filter(|ns| ns["name"].as_str().is_some_and(|n| n.starts_with("ns"))).collect();
    assert_eq!(generated.len(), 3);
    let (mut pods, mut policies) = (0, 0);
    for ns in generated {
        for workload in ns["workloads"].as_array().expect("workloads") {
            assert_eq!(workload["kind"], "Pod", "standalone pods only: {workload}");
            assert_eq!(workload["pods_in_input"], 1);
            pods += 1;
        }
        policies += ns["network_policies"].as_array().expect("network_policies").len();
    }
    assert_eq!((pods, policies), (120, 30));
    // `check` finds nothing to report on the shape's policies.
    dir.run(&["check", "-f", "a"]).assert_code(0);
}

#[test]
fn a_generated_pod_is_reached_at_its_pod_ip_and_ready() {
    let dir = TestDir::new();
    generate(&dir, "a", &[]);
    // Pod 0 of the cluster is `ns0/app0-0` (web, `http` on 8080) at 10.1.0.2.
    let run = dir.run(&["trace", "-f", "a", "ns0/app1-0", "10.1.0.2:8080", "--format", "json"]);
    run.assert_code(0);
    let trace = run.json();
    let step = |layer: &str| {
        trace["steps"].as_array().expect("steps").iter().find(|s| s["layer"] == layer).cloned().expect(layer)
    };
    assert_eq!(step("readiness")["status"], "pass", "{run}");
    assert_eq!(step("readiness")["summary"], "1 of 1 pod running, 1 ready", "{run}");
    let destination = step("destination")["summary"].as_str().expect("summary").to_owned();
    assert!(destination.starts_with("`ns0/app0-0` serves TCP 8080 (`http`)"), "{run}");
}

#[test]
fn a_generated_cluster_and_its_shuffled_documents_do_not_differ() {
    let dir = TestDir::new();
    generate(&dir, "a", &[]);
    generate(&dir, "b", &["--shuffle-seed", "9"]);
    let listing = |relative: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join(relative))
            .expect("read the generated dir")
            .map(|entry| entry.expect("a dir entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort_unstable();
        names
    };
    assert_ne!(listing("a"), listing("b"), "another file layout");
    let run = dir.run(&["diff", "a", "b"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "no connectivity differences between a and b\n", "{run}");
    let run = dir.run(&["diff", "a", "b", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(run.json()["changes"], serde_json::json!([]), "{run}");
}
