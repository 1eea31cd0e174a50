//! The demo cluster's intended faults (its README) are found, and nothing
//! it lists as working is reported.

use super::examples::assert_style;
use super::util::{snapshot, TestDir};

/// The faults of `demo/README.md`: rule, object kind, namespace and name.
const FAULTS: &[(&str, &str, &str, &str, &str)] = &[
    ("1. the frontend is unreachable from the ingress controller", "KR307", "Ingress", "production", "api"),
    ("1. the frontend is unreachable from the ingress controller", "KR307", "Ingress", "production", "admin"),
    ("2. the policy opens the Service port", "KR304", "NetworkPolicy", "production", "allow-frontend-to-api"),
    ("3. the workers cannot resolve DNS", "KR306", "NetworkPolicy", "production", "default-deny-egress"),
    ("4. the admin Ingress matches only the root path", "KR207", "Ingress", "production", "admin"),
    ("5. the metrics Service selects no pods", "KR101", "Service", "monitoring", "metrics"),
];

#[test]
fn demo_faults_are_found() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    let run = dir.run(&["check", "-f", "demo"]);
    run.assert_code(1);
    snapshot!("demo_human", run.to_string());

    let json = dir.run(&["check", "--format", "json", "-f", "demo"]);
    json.assert_code(1);
    snapshot!("demo_json", json.stdout.clone());
    let report: serde_json::Value = json.json();
    assert_eq!(report["schema"], "kubereach.check/v1");
    let findings = report["findings"].as_array().unwrap();
    for (fault, code, kind, namespace, name) in FAULTS {
        let found = findings.iter().any(|f| {
            f["code"] == *code
                && f["object"]["kind"] == *kind
                && f["object"]["namespace"] == *namespace
                && f["object"]["name"] == *name
        });
        assert!(found, "demo fault {fault} is not reported as {code} on {kind} {namespace}/{name}:\n{run}");
    }
    // Everything at warning level and above is one of the faults.
    for finding in findings.iter().filter(|f| f["severity"] != "info") {
        let expected = FAULTS.iter().any(|(_, code, kind, namespace, name)| {
            finding["code"] == *code
                && finding["object"]["kind"] == *kind
                && finding["object"]["namespace"] == *namespace
                && finding["object"]["name"] == *name
        });
        assert!(expected, "not a fault of the demo: {finding:#}");
    }
    let report = super::examples::run(&super::examples::load(
        "demo.yaml",
        &std::fs::read_dir(dir.path().join("demo"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<Vec<_>>()
            .join("\n---\n"),
    ));
    report.findings.iter().for_each(assert_style);
}
