//! Input written to break the tool: each class is a clear error with
//! `file:line`, never a panic, never silently dropped objects.

use crate::util::{Run, TestDir};

fn run(dir: &TestDir, args: &[&str]) -> Run {
    let run = dir.run(args);
    run.assert_no_panic();
    run
}

const DEFAULT_DENY: &str = "\
# a.yaml: the namespace's default deny
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

const WEB: &str = "\
# b.yaml: starts with a comment, not `---`
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
";

#[test]
fn concatenated_files_do_not_merge_into_one_object() {
    // `cat a.yaml b.yaml | kubereach check -f -`: without a `---` between
    // them, the two documents are one mapping with every key twice; kubectl
    // refuses it ("mapping key already defined"), and so does kubereach.
    let dir = TestDir::new();
    let stdin = format!("{DEFAULT_DENY}{WEB}");
    let run = dir.run_with_stdin(&["check", "-f", "-"], &stdin);
    run.assert_no_panic();
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("<stdin>:11: error: mapping key `apiVersion` already defined at line 2\n"),
        "{run}"
    );
}

#[test]
fn a_duplicate_key_in_a_file_is_an_error_at_its_line() {
    let dir = TestDir::new();
    dir.write("pod.yaml", WEB.replace("  namespace: shop\n", "  namespace: shop\n  name: web2\n"));
    let run = run(&dir, &["inventory", "-f", "pod.yaml"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("pod.yaml:7: error: mapping key `name` already defined at line 5\n"),
        "{run}"
    );
}

const SERVICE_TARGET_PORT: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec:
  containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: frontend, namespace: prod}
spec:
  containers: [{name: web, image: web}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: TARGET}]
";

#[test]
fn a_target_port_out_of_range_is_not_a_panic() {
    for target in ["70000", "-1"] {
        let dir = TestDir::new();
        dir.write("cluster.yaml", SERVICE_TARGET_PORT.replace("TARGET", target));
        let trace = run(&dir, &["trace", "prod/frontend", "http://api.prod/", "-f", "cluster.yaml"]);
        assert!(matches!(trace.code, Some(1 | 2)), "{trace}");
        let trace = run(&dir, &["trace", "prod/frontend", "svc/prod/api:80", "-f", "cluster.yaml"]);
        assert!(matches!(trace.code, Some(1 | 2)), "{trace}");
        run(&dir, &["matrix", "-f", "cluster.yaml"]).assert_code(0);
    }
}

#[test]
fn objects_the_api_server_rejects_are_findings_and_absent_from_traces() {
    let dir = TestDir::new();
    dir.write("cluster.yaml", SERVICE_TARGET_PORT.replace("TARGET", "\"8080\""));
    let check = run(&dir, &["check", "-f", "cluster.yaml"]);
    check.assert_code(1);
    assert!(
        check.stdout.contains(
            "cluster.yaml:18:3: error[KR505]: the API server rejects Service `prod/api`, so it is left out of \
             the model: spec.ports[0].targetPort: Invalid value: \"8080\": must contain at least one letter (a-z)"
        ),
        "the quoted number is shown quoted:\n{check}"
    );
    assert!(
        check.stdout.contains(
            "docs: https://github.com/kubereach/kubereach/blob/main/docs/rules/invalid-port-name.md"
        ),
        "{check}"
    );
    // The Service does not exist: the trace says why, at the name lookup.
    let trace = run(&dir, &["trace", "prod/frontend", "http://api.prod/", "-f", "cluster.yaml"]);
    trace.assert_code(1);
    assert!(trace.stdout.contains("blocked at dns"), "{trace}");
    assert!(
        trace.stdout.contains(
            "Service `prod/api` (cluster.yaml:18) is not in the cluster: the API server rejects it"
        ),
        "{trace}"
    );
    let trace = run(&dir, &["trace", "prod/frontend", "svc/prod/api:80", "-f", "cluster.yaml"]);
    assert!(trace.stdout.contains("is not in the cluster: the API server rejects it"), "{trace}");
    // JSON and SARIF carry the finding too.
    let json = run(&dir, &["check", "-f", "cluster.yaml", "--format", "json"]).json();
    assert!(json["findings"].as_array().unwrap().iter().any(|f| f["code"] == "KR505"), "{json:#}");
}

#[test]
fn every_class_of_rejected_field_has_its_code() {
    let dir = TestDir::new();
    for (code, yaml) in [
        ("KR504", SERVICE_TARGET_PORT.replace("TARGET", "70000")),
        ("KR506", SERVICE_TARGET_PORT.replace("targetPort: TARGET", "protocol: tcp")),
        (
            "KR105",
            SERVICE_TARGET_PORT.replace(
                "ports: [{port: 80, targetPort: TARGET}]",
                "type: NodePort\n  ports: [{port: 80, nodePort: 8080}]",
            ),
        ),
        (
            "KR501",
            SERVICE_TARGET_PORT
                .replace("name: api, namespace", "name: Api, namespace")
                .replace("TARGET", "80"),
        ),
    ] {
        dir.write("cluster.yaml", yaml);
        let check = run(&dir, &["check", "-f", "cluster.yaml", "--format", "json"]);
        let codes: Vec<String> = check.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect();
        assert!(codes.contains(&code.to_owned()), "{code}: {check}");
    }
}

#[test]
fn standard_input_is_bounded_like_a_file() {
    // `-f - < /dev/zero` must stop at the limit, not grow without end.
    let dir = TestDir::new();
    let big = "# padding padding padding padding padding padding padding padding padding\n".repeat(29_000);
    let run = dir.run_with_stdin(&["inventory", "--max-file-size", "1", "-f", "-"], &big);
    run.assert_no_panic();
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "<stdin>: error: standard input is larger than the limit of 1 MiB (raise it with `--max-file-size`)\n"
        ),
        "{run}"
    );
}

/// A CI gate "frontend must not reach db" must not pass on a misspelling:
/// a SOURCE, a `NS/NAME:PORT` or a `svc/NS/NAME:PORT` that is not in the
/// input is a usage error (exit 2), while an unknown DNS name stays a
/// verdict (NXDOMAIN: blocked at `dns`, exit 1).
#[test]
fn unknown_names_in_trace_are_usage_errors() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    let known = run(&dir, &["trace", "-f", "demo", "production/frontend", "production/api:8080"]);
    known.assert_code(1);
    for args in [
        ["production/frontnd", "production/api:8080"],
        ["production/frontend", "production/db:5432"],
        ["production/frontend", "svc/production/api-servce:80"],
    ] {
        let typo = run(&dir, &[&["trace", "-f", "demo"], &args[..]].concat());
        typo.assert_code(2);
        assert!(typo.stderr.contains("is a usage error, not a verdict"), "{typo}");
    }
    let nxdomain = run(&dir, &["trace", "-f", "demo", "production/frontend", "api-servce.production:80"]);
    nxdomain.assert_code(1);
}
