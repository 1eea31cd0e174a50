//! The command line: the catalogue, exit codes and `--fail-on`, rules on and
//! off, the config file, suppression annotations and bad input.

use super::util::{snapshot, TestDir};

/// An Ingress whose `pathType: Exact` root path is a warning, and nothing else.
const EXACT_ROOT: &str = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
    - host: admin.example.com
      http:
        paths:
          - path: /
            pathType: Exact
            backend:
              service:
                name: admin
                port:
                  number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: admin
  namespace: shop
spec:
  ports:
    - port: 80
";

/// A Service selecting no pod of a namespace that has pods: an error.
const NO_PODS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
    - name: web
      image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector:
    app: api
  ports:
    - port: 80
";

#[test]
fn list_rules() {
    let dir = TestDir::new();
    let run = dir.run(&["check", "--list-rules"]);
    run.assert_code(0);
    snapshot!("list_rules", run.to_string());
    let json = dir.run(&["check", "--list-rules", "--format", "json"]).json();
    assert_eq!(json["schema"], "kubereach.rules/v1");
    assert_eq!(json["rules"].as_array().unwrap().len(), kubereach_core::check::RULES.len());
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = TestDir::new();
    dir.write("ingress.yaml", EXACT_ROOT);
    let run = dir.run(&["check", "-f", "ingress.yaml"]);
    run.assert_code(0);
    snapshot!("warning_only", run.to_string());
    dir.run(&["check", "-f", "ingress.yaml", "--fail-on", "warning"]).assert_code(1);
    dir.run(&["check", "-f", "ingress.yaml", "--fail-on", "info"]).assert_code(1);
    dir.write("service.yaml", NO_PODS);
    dir.run(&["check", "-f", "service.yaml"]).assert_code(1);
}

#[test]
fn no_findings() {
    let dir = TestDir::new();
    dir.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c}]\n",
    );
    let run = dir.run(&["check", "-f", "pod.yaml", "--disable", "namespace-no-default-deny"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "no findings\n", "{run}");
    let json = dir.run(&["check", "-f", "pod.yaml", "--format", "json", "--disable", "KR308"]);
    json.assert_code(0);
    assert_eq!(
        json.json(),
        serde_json::json!({"schema": "kubereach.check/v1", "findings": [], "errors": [], "skipped_kinds": {}})
    );
}

#[test]
fn rules_on_and_off() {
    let dir = TestDir::new();
    dir.write("ingress.yaml", EXACT_ROOT);
    let off = dir.run(&[
        "check",
        "-f",
        "ingress.yaml",
        "--disable",
        "ingress-exact-root-path",
        "--fail-on",
        "info",
    ]);
    off.assert_code(0);
    assert_eq!(off.stdout, "no findings\n", "{off}");
    let off = dir.run(&["check", "-f", "ingress.yaml", "--disable", "KR207", "--fail-on", "info"]);
    off.assert_code(0);

    let unknown = dir.run(&["check", "-f", "ingress.yaml", "--disable", "ingress-exact-root"]);
    unknown.assert_code(2);
    snapshot!("unknown_rule", unknown.to_string());
    dir.run(&["check", "-f", "ingress.yaml", "--enable", "nope"]).assert_code(2);
}

#[test]
fn config_file() {
    let dir = TestDir::new();
    dir.write("ingress.yaml", EXACT_ROOT);
    dir.write("service.yaml", NO_PODS);
    dir.write(
        ".kubereach.yaml",
        "# Project settings.\ncheck:\n  fail-on: warning\n  rules:\n    ingress-exact-root-path: off\n",
    );
    let run = dir.run(&["check", "-f", "ingress.yaml"]);
    run.assert_code(0);
    assert!(!run.stdout.contains("KR207"), "{run}");
    // The command line wins over the file.
    let run = dir.run(&["check", "-f", "ingress.yaml", "--enable", "KR207"]);
    run.assert_code(1);
    assert!(run.stdout.contains("warning[KR207]"), "{run}");
    let run = dir.run(&["check", "-f", "service.yaml", "--fail-on", "info", "--disable", "KR101"]);
    run.assert_code(1);
    assert!(run.stdout.contains("info[KR308]"), "{run}");

    dir.write(".kubereach.yaml", "check:\n  rules:\n    ingress-exact-root-path: error\n");
    let run = dir.run(&["check", "-f", "ingress.yaml"]);
    run.assert_code(1);
    assert!(run.stdout.contains("error[KR207]"), "{run}");

    dir.write("other.yaml", "check:\n  rules:\n    ingress-exact-root-path: off\n");
    let run = dir.run(&["check", "-f", "ingress.yaml", "--config", "other.yaml", "--fail-on", "warning"]);
    run.assert_code(0);

    dir.write(".kubereach.yaml", "check:\n  rules:\n    KR207: error\n    service-no-matching-pod: off\n");
    let bad = dir.run(&["check", "-f", "ingress.yaml"]);
    bad.assert_code(2);
    snapshot!("bad_config", bad.to_string());
    dir.write(".kubereach.yaml", "check:\n  rules: [\n");
    dir.run(&["check", "-f", "ingress.yaml"]).assert_code(2);
    dir.run(&["check", "-f", "ingress.yaml", "--config", "missing.yaml"]).assert_code(2);
}

#[test]
fn suppression_annotation() {
    let dir = TestDir::new();
    let annotated = NO_PODS.replace(
        "  name: api\n  namespace: shop\n",
        "  name: api\n  namespace: shop\n  annotations:\n    kubereach.io/ignore: service-no-matching-pods, KR999\n",
    );
    dir.write("service.yaml", annotated);
    let run = dir.run(&["check", "-f", "service.yaml", "--disable", "KR308"]);
    run.assert_code(0);
    snapshot!("suppressed", run.to_string());
}

#[test]
fn input_errors_exit_2_after_the_findings() {
    let dir = TestDir::new();
    dir.write("service.yaml", format!("{NO_PODS}---\nkind: [\n"));
    let run = dir.run(&["check", "-f", "service.yaml", "--disable", "KR308"]);
    run.assert_code(2);
    assert!(run.stdout.contains("error[KR101]"), "{run}");
    let run = dir.run(&["check", "-f", "service.yaml", "--disable", "KR308", "--keep-going"]);
    run.assert_code(1);
}

#[test]
fn standard_input() {
    let dir = TestDir::new();
    let run = dir.run_with_stdin(&["check", "-f", "-", "--disable", "KR308"], NO_PODS);
    run.assert_code(1);
    snapshot!("stdin", run.to_string());
}

/// The column is recorded while loading, so standard input gives the same
/// `line:column` as the file with the same text (issue #13: it was column 1),
/// and SARIF carries it too.
#[test]
fn standard_input_and_files_give_the_same_columns() {
    let dir = TestDir::new();
    dir.write("service.yaml", NO_PODS);
    let from_file = dir.run(&["check", "-f", "service.yaml", "--disable", "KR308"]);
    let from_stdin = dir.run_with_stdin(&["check", "-f", "-", "--disable", "KR308"], NO_PODS);
    let position = |stdout: &str, prefix: &str| {
        let line = stdout.lines().find(|l| l.starts_with(prefix)).expect("a finding line").to_owned();
        line[prefix.len()..].split(": ").next().unwrap_or_default().to_owned()
    };
    assert_eq!(position(&from_file.stdout, "service.yaml:"), "19:3", "{from_file}");
    assert_eq!(position(&from_stdin.stdout, "<stdin>:"), "19:3", "{from_stdin}");
    let sarif = dir.run(&["check", "-f", "service.yaml", "--disable", "KR308", "--format", "sarif"]);
    assert!(sarif.stdout.contains("\"startColumn\": 3"), "{sarif}");
}

/// Every `tests/snapshots/check__MODULE__NAME.snap` has a
/// `snapshot!("NAME", …)` in `tests/check/MODULE.rs`: renamed tests leave no
/// orphans behind.
#[test]
fn every_check_snapshot_belongs_to_a_test() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut expected = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(tests.join("check")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        for call in source.split("snapshot!(\"").skip(1) {
            let name = call.split('"').next().unwrap();
            expected.insert(format!("check__{module}__{name}.snap"));
        }
    }
    let orphans: Vec<String> = std::fs::read_dir(tests.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("check__") && name.ends_with(".snap") && !expected.contains(name))
        .collect();
    assert!(orphans.is_empty(), "snapshots without a test (delete them): {orphans:?}");
}

// `--cni` names the plugin when the input does not show it. Flannel does not
// implement NetworkPolicy
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites),
// so a policy in the input is reported as having no effect.
#[test]
fn cni_given_on_the_command_line() {
    let dir = TestDir::new();
    dir.write(
        "policy.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: shop\n\
         spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    );
    let plain = dir.run(&["check", "-f", "policy.yaml", "--format", "json"]);
    let codes = |run: &super::util::Run| -> Vec<String> {
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!codes(&plain).contains(&"KR301".to_owned()), "{plain}");
    let flannel = dir.run(&["check", "-f", "policy.yaml", "--format", "json", "--cni", "flannel"]);
    flannel.assert_code(1);
    assert!(codes(&flannel).contains(&"KR301".to_owned()), "{flannel}");
    let calico = dir.run(&["check", "-f", "policy.yaml", "--format", "json", "--cni", "calico"]);
    assert!(!codes(&calico).contains(&"KR301".to_owned()), "{calico}");
}
