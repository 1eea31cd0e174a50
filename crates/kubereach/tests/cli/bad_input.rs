//! Bad input: every problem is reported as `file:line: severity: reason`,
//! the other documents and files still load, the exit code is 2 (0 with
//! `--keep-going`), and no input makes the program crash.

use std::time::{Duration, Instant};

use super::util::{find_named, namespace, snapshot, TestDir};

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: nginx
";

/// Three documents, the second with a flow sequence left open on line 13.
const SYNTAX_ERROR: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: a
spec:
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: b
  labels: {app: [}
spec:
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: c
";

#[test]
fn syntax_error_names_file_and_line_and_the_rest_loads() {
    let dir = TestDir::new();
    dir.write("broken.yaml", SYNTAX_ERROR).write("other.yaml", POD);
    let run = dir.run(&["inventory", "-f", "broken.yaml", "-f", "other.yaml"]);
    run.assert_code(2);
    assert!(run.stderr.starts_with("broken.yaml:13: error: "), "{run}");
    snapshot!("syntax_error", run.to_string());
}

#[test]
fn keep_going_exits_0_and_still_prints_the_error() {
    let dir = TestDir::new();
    dir.write("broken.yaml", SYNTAX_ERROR).write("other.yaml", POD);
    let run = dir.run(&["inventory", "--keep-going", "-f", "broken.yaml", "-f", "other.yaml"]);
    run.assert_code(0);
    assert!(run.stderr.starts_with("broken.yaml:13: error: "), "{run}");
    snapshot!("syntax_error_keep_going", run.to_string());
}

#[test]
fn syntax_error_in_json_names_the_line() {
    let dir = TestDir::new();
    dir.write(
        "broken.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"a\"},\n  \"spec\": {\"ports\": [{\"port\": 80}}\n}\n",
    );
    dir.write("other.yaml", POD);
    let run = dir.run(&["inventory", "-f", "broken.json", "-f", "other.yaml"]);
    run.assert_code(2);
    snapshot!("syntax_error_json", run.to_string());
}

#[test]
fn document_without_kind_or_name() {
    let dir = TestDir::new();
    dir.write(
        "objects.yaml",
        "\
apiVersion: v1
metadata:
  name: no-kind
---
apiVersion: v1
kind: Service
metadata:
  labels: {app: x}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata:
  generateName: web-
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Service
metadata:
  name: ok
",
    );
    let run = dir.run(&["inventory", "-f", "objects.yaml"]);
    run.assert_code(2);
    snapshot!("no_kind_no_name", run.to_string());
}

#[test]
fn wrong_field_types_name_the_field_and_its_line() {
    let dir = TestDir::new();
    dir.write(
        "types.yaml",
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: \"three\"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: [80]
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: [app, web]
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Service
metadata:
  name: ok
",
    );
    let run = dir.run(&["inventory", "-f", "types.yaml"]);
    run.assert_code(2);
    assert!(run.stderr.contains("types.yaml:6: error: "), "{run}");
    assert!(run.stderr.contains("types.yaml:23: error: "), "{run}");
    snapshot!("wrong_types", run.to_string());
}

#[test]
fn unknown_api_version_of_a_known_kind() {
    let dir = TestDir::new();
    dir.write(
        "versions.yaml",
        "\
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: old
spec:
  backend:
    serviceName: web
    servicePort: 80
---
apiVersion: apps/v2
kind: Deployment
metadata:
  name: future
---
kind: Service
metadata:
  name: no-version
---
apiVersion: apps/v1beta2
kind: Deployment
metadata:
  name: legacy
spec:
  selector:
    matchLabels: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers: [{name: c, image: nginx}]
",
    );
    let run = dir.run(&["inventory", "-f", "versions.yaml"]);
    run.assert_code(2);
    snapshot!("unknown_api_version", run.to_string());
}

#[test]
fn unknown_kinds_are_skipped_with_a_count() {
    let dir = TestDir::new();
    dir.write(
        "crds.yaml",
        "\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: tls
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sb
---
apiVersion: example.com/v1
kind: AdminNetworkPolicy
metadata:
  name: not-the-real-one
",
    );
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "crds.yaml", "-f", "pod.yaml"]);
    run.assert_code(0);
    snapshot!("unknown_kinds", run.to_string());
}

#[test]
fn documents_that_are_not_objects() {
    let dir = TestDir::new();
    dir.write("odd.yaml", "- a\n- b\n---\njust a string\n---\n42\n---\n");
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "odd.yaml", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("not_objects", run.to_string());
}

#[test]
fn duplicates_last_wins_with_a_warning() {
    let dir = TestDir::new();
    dir.write(
        "a.yaml",
        "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  ports: [{port: 81}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: other
spec:
  ports: [{port: 90}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers: [{name: c, image: nginx}]
",
    );
    dir.write(
        "b.yaml",
        "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 82}]
",
    );
    let run = dir.run(&["inventory", "-f", "a.yaml", "-f", "b.yaml"]);
    run.assert_code(0);
    snapshot!("duplicates", run.to_string());

    let json = dir.run(&["inventory", "--format", "json", "-f", "a.yaml", "-f", "b.yaml"]);
    let inventory = json.json();
    let default = namespace(&inventory, "default");
    let services = default["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{json}");
    assert_eq!(services[0]["ports"][0]["port"], 82, "the last definition wins:\n{json}");
    assert_eq!(services[0]["location"]["file"], "b.yaml");
    let other = namespace(&inventory, "other");
    assert_eq!(find_named(&other["services"], "web").unwrap()["ports"][0]["port"], 90);
    let warnings: Vec<_> = inventory["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "warning" && d["message"].as_str().unwrap().starts_with("duplicate"))
        .collect();
    assert_eq!(warnings.len(), 2, "{json}");
}

#[test]
fn binary_file_is_refused_and_the_other_file_loads() {
    let dir = TestDir::new();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0u8..=255).cycle().take(4096));
    dir.write("image.yaml", png);
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "image.yaml", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("binary_file", run.to_string());
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = TestDir::new();
    dir.write("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n");
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "latin1.yaml", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("invalid_utf8", run.to_string());
}

#[test]
fn directory_without_manifests() {
    let dir = TestDir::new();
    dir.write("docs/README.md", "# not a manifest\n").write("docs/notes.txt", "kind: Pod\n").mkdir("empty");
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "docs", "-f", "empty", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("directory_without_manifests", run.to_string());
}

#[test]
fn missing_file() {
    let dir = TestDir::new();
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "missing.yaml", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("missing_file", run.to_string());
}

// Without `-f`, commands read the kubeconfig's current context, as kubectl
// does; with no kubeconfig either, the error says what to give.
#[test]
fn no_filename_and_no_kubeconfig_is_an_error_saying_what_to_give() {
    let dir = TestDir::new();
    let run = dir.run(&["inventory"]);
    run.assert_code(2);
    assert!(run.stderr.contains("no kubeconfig to read: `KUBECONFIG` is not set and "), "{run}");
    assert!(run.stderr.contains("`-f PATH`"), "{run}");
    assert!(run.stdout.is_empty(), "nothing is answered about an empty cluster:\n{run}");
}

#[test]
fn empty_and_comment_only_files_load_nothing() {
    let dir = TestDir::new();
    dir.write("empty.yaml", "").write("comments.yaml", "# nothing here\n---\n# nor here\n...\n");
    let run = dir.run(&["inventory", "-f", "empty.yaml", "-f", "comments.yaml"]);
    run.assert_code(0);
    snapshot!("empty_files", run.to_string());
}

#[test]
fn file_over_the_size_limit_is_refused() {
    let dir = TestDir::new();
    // 2 MiB of comments, then a Service: loads with the default limit.
    let mut big =
        "# padding padding padding padding padding padding padding padding padding\n".repeat(29_000);
    big.push_str("apiVersion: v1\nkind: Service\nmetadata:\n  name: big\n");
    assert!(big.len() > 2 * 1024 * 1024);
    dir.write("big.yaml", big);
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "--max-file-size", "1", "-f", "big.yaml", "-f", "pod.yaml"]);
    run.assert_code(2);
    snapshot!("file_too_large", run.to_string());

    let run = dir.run(&["inventory", "-f", "big.yaml", "-f", "pod.yaml"]);
    run.assert_code(0);
    assert!(run.stdout.contains("Service big"), "{run}");
}

/// A 200 MB file (sparse, so cheap to create) must be refused quickly,
/// as binary with the default limit or as too large with a lower one,
/// while the file next to it loads.
#[test]
fn huge_file_is_refused_quickly() {
    let dir = TestDir::new();
    let file = std::fs::File::create(dir.path().join("disk.yaml")).unwrap();
    file.set_len(200 * 1024 * 1024).unwrap();
    drop(file);
    dir.write("pod.yaml", POD);

    let start = Instant::now();
    let run = dir.run(&["inventory", "-f", "disk.yaml", "-f", "pod.yaml"]);
    let elapsed = start.elapsed();
    run.assert_code(2);
    snapshot!("huge_sparse_file", run.to_string());
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");

    let start = Instant::now();
    let run = dir.run(&["inventory", "--max-file-size", "100", "-f", "disk.yaml", "-f", "pod.yaml"]);
    let elapsed = start.elapsed();
    run.assert_code(2);
    snapshot!("huge_sparse_file_over_limit", run.to_string());
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn deeply_nested_flow_sequences_are_an_error_not_a_crash() {
    let dir = TestDir::new();
    dir.write("deep.yaml", "[".repeat(100_000));
    dir.write("deep.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    dir.write("pod.yaml", POD);
    let run = dir.run(&["inventory", "-f", "deep.yaml", "-f", "deep.json", "-f", "pod.yaml"]);
    run.assert_no_panic().assert_code(2);
    snapshot!("deep_flow_nesting", run.to_string());
}

#[test]
fn deeply_nested_block_collections_are_an_error_not_a_crash() {
    let dir = TestDir::new();
    dir.write("sequences.yaml", format!("{}x\n", "- ".repeat(100_000)));
    let mappings: String = (0..5_000).map(|depth| format!("{}k{depth}:\n", "  ".repeat(depth))).collect();
    dir.write("mappings.yaml", mappings);
    dir.write("flow-mappings.yaml", "{a: ".repeat(100_000));
    dir.write("pod.yaml", POD);
    let run = dir.run(&[
        "inventory",
        "-f",
        "sequences.yaml",
        "-f",
        "mappings.yaml",
        "-f",
        "flow-mappings.yaml",
        "-f",
        "pod.yaml",
    ]);
    run.assert_no_panic().assert_code(2);
    snapshot!("deep_block_nesting", run.to_string());
}

#[test]
fn alias_expansion_bomb_is_an_error() {
    let dir = TestDir::new();
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    dir.write("bomb.yaml", text);
    dir.write("pod.yaml", POD);
    let start = Instant::now();
    let run = dir.run(&["inventory", "-f", "bomb.yaml", "-f", "pod.yaml"]);
    run.assert_no_panic().assert_code(2);
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    snapshot!("alias_bomb", run.to_string());
}

// Secret values are dropped before the Secret is deserialized, so a wrongly
// shaped `data` or a value that is not base64 can neither leak into messages
// nor make the object fail.
#[test]
fn secret_values_are_never_printed() {
    let dir = TestDir::new();
    dir.write(
        "secrets.yaml",
        "\
apiVersion: v1
kind: Secret
metadata:
  name: good
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"password\":\"aHVudGVyMS1zZWNyZXQ=\"}}'
type: Opaque
data:
  password: aHVudGVyMS1zZWNyZXQ=
stringData:
  token: hunter1-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: data-is-a-string
data: hunter2-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: string-data-is-a-list
stringData:
  token: [hunter3-secret]
---
apiVersion: v1
kind: Secret
metadata:
  name: not-base64
data:
  password: hunter4-secret!
",
    );
    for format in ["human", "json"] {
        let run = dir.run(&["inventory", "--format", format, "-f", "secrets.yaml"]);
        run.assert_no_panic();
        for secret in ["hunter", "aHVudGVy"] {
            assert!(!run.stdout.contains(secret), "secret value on stdout:\n{run}");
            assert!(!run.stderr.contains(secret), "secret value on stderr:\n{run}");
        }
    }
}
