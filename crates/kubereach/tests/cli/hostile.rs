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

/// A fake cluster over TLS (`crates/load/tests/fixtures/live`) and a
/// directory with its kubeconfig.
fn live_cluster(behaviour: crate::live::fake_api::Behaviour) -> (crate::live::fake_api::FakeApi, TestDir) {
    use crate::live::fake_api::{FakeApi, Tls, User};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures");
    let api = FakeApi::start(&fixtures, behaviour, Tls::ServerOnly);
    let dir = TestDir::new();
    api.kubeconfig(&fixtures, dir.path(), "ca.crt", User::Token("t0ken"));
    (api, dir)
}

#[test]
fn a_snapshot_keeps_only_what_the_model_reads_and_only_for_its_owner() {
    let (_api, dir) = live_cluster(crate::live::fake_api::Behaviour::default());
    run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]).assert_code(0);
    let path = dir.path().join("cluster.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    // The CoreDNS Corefile and the variable's name stay; kube-system's other
    // ConfigMaps (here EKS's IAM mappings) and the variable's value do not.
    assert!(text.contains("Corefile") && text.contains("name: SESSION_SECRET"), "{text}");
    for secret in ["aws-auth", "rolearn", "env-s3cr3t-value"] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // Asked for, the environment's values are kept, and the user is told
    // the file is now a secret; the rest is sanitized as before.
    let full =
        run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "full.yaml", "--include-env-values"]);
    full.assert_code(0);
    assert!(full.stderr.contains("note: the snapshot holds the values of environment variables"), "{full}");
    let path = dir.path().join("full.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("env-s3cr3t-value") && !text.contains("aws-auth"), "{text}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_good_snapshot_is_never_replaced_by_a_broken_one() {
    let (_api, dir) = live_cluster(crate::live::fake_api::Behaviour::default());
    run(&dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]).assert_code(0);
    let good = std::fs::read_to_string(dir.path().join("cluster.yaml")).unwrap();
    // A cluster that cannot be read: exit 2, the file untouched.
    let (_down, down_dir) =
        live_cluster(crate::live::fake_api::Behaviour { failing: vec![("*", 503)], ..Default::default() });
    std::fs::copy(down_dir.path().join("kubeconfig"), dir.path().join("down-kubeconfig")).unwrap();
    run(&dir, &["snapshot", "--kubeconfig", "down-kubeconfig", "-o", "cluster.yaml"]).assert_code(2);
    assert_eq!(std::fs::read_to_string(dir.path().join("cluster.yaml")).unwrap(), good);
    // A write that fails half-way (here the file size limit, as a full disk
    // would): the good snapshot is still there, whole.
    let status = std::process::Command::new("sh")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args(["-c", "ulimit -f 8; exec \"$0\" snapshot --kubeconfig kubeconfig -o cluster.yaml"])
        .arg(env!("CARGO_BIN_EXE_kubereach"))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the file size limit must stop the write");
    assert_eq!(std::fs::read_to_string(dir.path().join("cluster.yaml")).unwrap(), good);
}

/// `matrix --focus` and `-n` naming nothing must not answer an empty matrix
/// with exit 0: a gate "nothing reaches db" would pass on a typo.
#[test]
fn matrix_filters_that_name_nothing_are_usage_errors() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    run(&dir, &["matrix", "-f", "demo", "--focus", "production/frontend"]).assert_code(0);
    run(&dir, &["matrix", "-f", "demo", "--focus", "frontend"]).assert_code(0);
    run(&dir, &["matrix", "-f", "demo", "-n", "production"]).assert_code(0);
    let cases = [
        (
            &["--focus", "production/frontnd"][..],
            "kubereach: no workload or pod `production/frontnd` in the input (did you mean \
             `production/frontend`, `production/worker`?): a name that does not exist is a usage error, not \
             an empty matrix\n",
        ),
        (&["--focus", "nosuch"], "kubereach: no workload or pod `nosuch` in the input: a name"),
        (
            &["--focus", "frontend", "--focus-peer", "production/backnd"],
            "kubereach: no workload or pod `production/backnd` in the input (did you mean \
             `production/api`, `production/worker`?): a name",
        ),
        (
            &["-n", "productoin"],
            "kubereach: no namespace `productoin` in the input (did you mean `production`?): a name",
        ),
    ];
    for (filter, expected) in cases {
        let typo = run(&dir, &[&["matrix", "-f", "demo"], filter].concat());
        typo.assert_code(2);
        assert!(typo.stderr.starts_with(expected), "{typo}");
        assert!(typo.stdout.is_empty(), "{typo}");
    }
}

/// kubectl's walk (`filepath.Walk`) does not follow symbolic links to
/// directories; kubereach also skips FIFOs, sockets and devices found in a
/// walk (a FIFO blocked it forever) and links to files outside the tree.
/// Each is a warning; named with `-f`, each is read.
#[test]
fn a_directory_walk_skips_fifos_links_out_and_linked_directories() {
    let dir = TestDir::new();
    dir.write("tree/web.yaml", WEB);
    dir.write("other/deny.yaml", DEFAULT_DENY);
    dir.write("outside.yaml", DEFAULT_DENY.replace("default-deny", "outside"));
    let status =
        std::process::Command::new("mkfifo").arg(dir.path().join("tree/pipe.yaml")).status().unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("../other", dir.path().join("tree/linked")).unwrap();
    std::os::unix::fs::symlink("../outside.yaml", dir.path().join("tree/outside.yaml")).unwrap();
    std::os::unix::fs::symlink("web.yaml", dir.path().join("tree/inside.yaml")).unwrap();
    let walk = run(&dir, &["inventory", "-o", "json", "-f", "tree"]);
    walk.assert_code(0);
    assert_eq!(
        walk.stderr,
        "tree/linked: warning: a symbolic link to a directory: not followed; name it with `-f` to read it\n\
         tree/outside.yaml: warning: a symbolic link to a file outside the directory given: not read; name \
         it with `-f` to read it\n\
         tree/pipe.yaml: warning: not a regular file (a FIFO, socket or device): skipped; name it with `-f` \
         to read it\n\
         tree/web.yaml:2: warning: duplicate Pod `shop/web`: this definition replaces the one at \
         tree/inside.yaml:2\n",
        "{walk}"
    );
    // Named with `-f`, a FIFO is read (a writer on the other end).
    let pipe = dir.path().join("tree/pipe.yaml");
    let writer = std::thread::spawn(move || std::fs::write(pipe, WEB).unwrap());
    let fifo = run(&dir, &["inventory", "-o", "json", "-f", "tree/pipe.yaml", "-f", "tree/linked"]);
    writer.join().unwrap();
    fifo.assert_code(0);
    assert!(fifo.stdout.contains("\"web\"") && fifo.stdout.contains("default-deny"), "{fifo}");
}

/// Control characters from the input (here a window-title escape and a
/// carriage return in a Pod's name, which the API server would reject and
/// `check` reports with the name) come out escaped, in every output a
/// terminal may show.
#[test]
fn control_characters_from_the_input_never_reach_the_terminal() {
    let dir = TestDir::new();
    dir.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web\\e]0;pwned\\a\\rok\"\n  namespace: shop\n\
         spec:\n  containers: [{name: web, image: nginx}]\n",
    );
    for args in [&["check", "-f", "pod.yaml"][..], &["check", "--color", "always", "-f", "pod.yaml"]] {
        let check = run(&dir, args);
        check.assert_code(1);
        assert!(check.stdout.contains("web\\x1b]0;pwned\\x07\\x0dok"), "{check}");
        let raw = |text: &str| text.chars().any(|c| c.is_control() && c != '\n' && c != '\x1b');
        assert!(!raw(&check.stdout) && !raw(&check.stderr), "{check:?}");
        assert!(!check.stdout.contains("\x1b]"), "{check:?}");
    }
}

/// `check --format json|sarif` carry the documents that failed to load and
/// the kinds skipped, so that a gate reading only machine output does not
/// pass on a broken file; SARIF names the tool's version, and findings on
/// standard input have a URI.
#[test]
fn machine_output_of_check_carries_load_errors_and_skipped_kinds() {
    let dir = TestDir::new();
    dir.write("web.yaml", WEB);
    dir.write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api\n");
    dir.write(
        "account.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n",
    );
    let files = ["-f", "web.yaml", "-f", "broken.yaml", "-f", "account.yaml"];
    let json = run(&dir, &[&["check", "--format", "json"][..], &files].concat());
    json.assert_code(2);
    let document = json.json();
    let errors = document["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{json}");
    assert_eq!(errors[0]["file"], "broken.yaml");
    assert!(errors[0]["line"].as_u64().is_some() && errors[0]["message"].is_string(), "{json}");
    assert_eq!(document["skipped_kinds"], serde_json::json!({"ServiceAccount": 1}));

    let sarif = run(&dir, &[&["check", "--format", "sarif"][..], &files].concat());
    let document = sarif.json();
    let run_0 = &document["runs"][0];
    assert_eq!(run_0["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let invocation = &run_0["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notifications.iter().any(|n| n["level"] == "error"
            && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"),
        "{sarif}"
    );
    assert!(notifications
        .iter()
        .any(|n| n["message"]["text"] == "skipped 1 `ServiceAccount`: not used by the model"));

    let human = run(&dir, &["check", "-f", "web.yaml", "-f", "account.yaml"]);
    assert!(human.stdout.ends_with("skipped (not used by the model): 1 ServiceAccount\n"), "{human}");

    // A finding on standard input: SARIF gives it the URI `<stdin>`.
    let stdin = "apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1, namespace: shop}\nspec: {containers: [{name: web, image: nginx}]}\n";
    let sarif = dir.run_with_stdin(&["check", "--format", "sarif", "-f", "-"], stdin);
    sarif.assert_code(1);
    let location = &sarif.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "%3Cstdin%3E", "{sarif}");
    assert!(location["region"]["startLine"].as_u64().is_some(), "{sarif}");
    assert_eq!(sarif.json()["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

/// A mistyped kind does not vanish from CI: `kind: service` is a `check`
/// error (KR513) at its line, with the kind meant; a real kind the model
/// does not use stays a skipped kind only.
#[test]
fn mistyped_kinds_are_check_findings() {
    let dir = TestDir::new();
    dir.write(
        "app.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\n\
         apiVersion: v1\nkind: service\nmetadata: {name: api, namespace: shop}\nspec: {ports: [{port: 80}]}\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyy\nmetadata: {name: deny, namespace: shop}\n",
    );
    let check = run(&dir, &["check", "-f", "app.yaml", "--format", "json"]);
    check.assert_code(1);
    let findings: Vec<(String, String, u64, String)> = check.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "KR513")
        .map(|f| {
            let name = format!(
                "{}/{}",
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap()
            );
            (
                name,
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["fix"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("service/api".to_owned(), "app.yaml".to_owned(), 6, "did you mean `kind: Service`?".to_owned()),
            (
                "NetworkPolicyy/deny".to_owned(),
                "app.yaml".to_owned(),
                11,
                "did you mean `kind: NetworkPolicy`?".to_owned()
            ),
        ],
        "{check}"
    );
    assert_eq!(
        check.json()["skipped_kinds"],
        serde_json::json!({"NetworkPolicyy": 1, "ServiceAccount": 1, "service": 1})
    );
}

/// A suggested command is meant to be pasted into a shell, so every name it
/// interpolates is quoted for POSIX shells (POSIX.1-2017, 2.2.2
/// "Single-Quotes"): an Ingress naming the TLS Secret `tls$(id) it's` (the
/// API server does not check that reference) gets a fix that runs nothing.
/// Checked by handing the command to `sh` with `printf` in place of
/// `kubectl`: each argument comes back as one word, unexpanded.
#[test]
fn suggested_commands_quote_every_name_for_the_shell() {
    let dir = TestDir::new();
    dir.write(
        "ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  \
         ingressClassName: nginx\n  tls: [{hosts: [shop.example.com], secretName: \"tls$(id) it's\"}]\n  \
         rules: [{host: shop.example.com}]\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: shop}\ntype: Opaque\n",
    );
    let check = run(&dir, &["check", "-f", "ingress.yaml"]);
    check.assert_code(1);
    let command = "kubectl create secret tls 'tls$(id) it'\\''s' -n shop --cert=… --key=…";
    assert!(check.stdout.contains(&format!("`{command}`")), "{check}");
    let arguments = command.strip_prefix("kubectl").unwrap();
    let shell = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\n' {arguments}")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&shell.stdout),
        "create\nsecret\ntls\ntls$(id) it's\n-n\nshop\n--cert=…\n--key=…\n"
    );
    // Plain names stay as they are.
    let trace =
        run(&dir, &["trace", "-f", "ingress.yaml", "external", "https://shop.example.com/", "-o", "json"]);
    assert_eq!(trace.json()["steps"][1]["kubectl"], "kubectl get ingress -n shop web -o wide", "{trace}");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let units = std::iter::once(0xFEFF).chain(text.encode_utf16());
    units.flat_map(|unit| if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() }).collect()
}

/// PowerShell (before 7) writes `kubectl get -o yaml > dump.yaml` as UTF-16
/// LE with a byte order mark; YAML 1.2 (5.2 "Character Encodings") allows
/// UTF-16 told by its byte order mark. Those files, and a UTF-8 file with a
/// byte order mark, load like plain UTF-8, from a file and from standard
/// input.
#[test]
fn utf16_and_byte_order_marks_are_decoded() {
    let dir = TestDir::new();
    dir.write("le.yaml", utf16(WEB, false));
    dir.write("be.yaml", utf16(DEFAULT_DENY, true));
    dir.write("bom.yaml", format!("\u{feff}{}", WEB.replace("name: web", "name: api")));
    let files = run(&dir, &["inventory", "-o", "json", "-f", "le.yaml", "-f", "be.yaml", "-f", "bom.yaml"]);
    files.assert_code(0);
    assert_eq!(files.stderr, "", "{files}");
    // Each object is at line 2 of its file: the byte order mark shifts nothing.
    let shop = crate::util::namespace(&files.json(), "shop").clone();
    let at = |list: &str, name: &str| {
        let object = crate::util::find_named(&shop[list], name).unwrap_or_else(|| panic!("{name}: {files}"));
        (
            object["location"]["file"].as_str().unwrap().to_owned(),
            object["location"]["line"].as_u64().unwrap(),
        )
    };
    assert_eq!(at("workloads", "web"), ("le.yaml".to_owned(), 2));
    assert_eq!(at("network_policies", "default-deny"), ("be.yaml".to_owned(), 2));
    assert_eq!(at("workloads", "api"), ("bom.yaml".to_owned(), 2));
    let inventory = run(&dir, &["inventory", "-o", "json", "-f", "bom.yaml"]);
    assert!(!inventory.stdout.contains('\u{feff}'), "{inventory}");

    for big_endian in [false, true] {
        let stdin =
            dir.run_with_stdin_bytes(&["inventory", "-o", "json", "-f", "-"], &utf16(WEB, big_endian));
        stdin.assert_no_panic().assert_code(0);
        assert!(stdin.stdout.contains("\"web\""), "{stdin}");
    }
    let stdin = dir.run_with_stdin(&["inventory", "-o", "json", "-f", "-"], &format!("\u{feff}{WEB}"));
    stdin.assert_code(0);
    assert!(stdin.stdout.contains("\"web\""), "{stdin}");
}

/// A byte that is not UTF-8 (a Latin-1 `é`) spoils the document it is in,
/// which is reported at its line and left out; the other documents of the
/// file load, as with kubectl, which decodes each document on its own.
#[test]
fn invalid_utf8_drops_only_its_document() {
    let dir = TestDir::new();
    let mut bytes = format!("{DEFAULT_DENY}---\n").into_bytes();
    bytes.extend(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n  namespace: shop\n---\n");
    bytes.extend(WEB.as_bytes());
    dir.write("mixed.yaml", &bytes);
    let inventory = run(&dir, &["inventory", "-o", "json", "-f", "mixed.yaml"]);
    inventory.assert_code(2);
    assert_eq!(
        inventory.stderr,
        "mixed.yaml:14: error: not valid UTF-8 text: byte `0xE9` at column 12; the document is left out\n\
         kubereach: 1 input error; the rest of the input was loaded\n",
        "{inventory}"
    );
    assert!(inventory.stdout.contains("default-deny") && inventory.stdout.contains("\"web\""), "{inventory}");
    assert!(!inventory.stdout.contains("ConfigMap"), "{inventory}");
    let stdin = dir.run_with_stdin_bytes(&["inventory", "-o", "json", "-f", "-", "--keep-going"], &bytes);
    stdin.assert_code(0);
    assert!(stdin.stderr.starts_with("<stdin>:14: error: not valid UTF-8 text: byte `0xE9`"), "{stdin}");
    assert!(stdin.stdout.contains("default-deny") && stdin.stdout.contains("\"web\""), "{stdin}");
}

/// A subdirectory that cannot be read is an error naming that subdirectory
/// (not its parent), and the rest of the tree is read. Root reads a mode
/// 000 directory anyway (`CAP_DAC_OVERRIDE`), so when the test can, it runs
/// kubereach without that capability and `CAP_DAC_READ_SEARCH`
/// (`setpriv`, util-linux): the permission check then applies to root too.
#[test]
fn an_unreadable_subdirectory_is_reported_by_its_own_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.write("tree/web.yaml", WEB);
    dir.write("tree/locked/deny.yaml", DEFAULT_DENY);
    let locked = dir.path().join("tree/locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = if std::fs::read_dir(&locked).is_ok() {
        let mut setpriv = std::process::Command::new("setpriv");
        let capabilities = "-dac_override,-dac_read_search";
        setpriv.args([&format!("--inh-caps={capabilities}"), &format!("--bounding-set={capabilities}")]);
        setpriv.arg(env!("CARGO_BIN_EXE_kubereach"));
        setpriv
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_kubereach"))
    };
    let output = command
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args(["inventory", "-o", "json", "-f", "tree"])
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert_eq!(
        stderr,
        "tree/locked: error: cannot read directory: Permission denied (os error 13)\n\
         kubereach: 1 input error; the rest of the input was loaded\n"
    );
    assert!(stdout.contains("\"web\"") && !stdout.contains("default-deny"), "{stdout}");
}
