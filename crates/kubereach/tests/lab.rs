//! `kubereach lab` for real: these tests create network namespaces, so
//! they need root on Linux (CI has it) and `ip`, `nft`, `conntrack`, `nc`,
//! `dig` and `curl` (scripts/setup/lab.sh installs them). Elsewhere each test prints
//! why it skips and passes. Every test uses a lab name of its own and ends
//! by checking `down` left nothing: no namespace, no `/etc/netns` entry, no
//! state under /run, no supervisor process.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

#[path = "lab/gen.rs"]
mod gen;

/// Why lab tests cannot run here, if they cannot.
fn skip_reason() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return Some("not Linux".into());
    }
    // SAFETY-free check: /proc/self/status holds the effective uid.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2));
    if euid != Some("0") {
        return Some("not root (lab tests create network namespaces)".into());
    }
    for tool in ["ip", "nft", "conntrack", "nc", "dig", "curl"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output();
        if !found.is_ok_and(|o| o.status.success()) {
            return Some(format!("`{tool}` is missing (scripts/setup/lab.sh installs it)"));
        }
    }
    None
}

macro_rules! require_root {
    () => {
        if let Some(reason) = skip_reason() {
            eprintln!("skipping {}: {reason}", module_path!());
            return;
        }
        let _one_lab_test_at_a_time = machine_lock();
    };
}

/// Lab tests of several checkouts on one machine (or a test run beside a
/// user's own labs) share the kernel's namespaces and `/run`: a lock file
/// held for the whole test makes them take turns instead of colliding.
fn machine_lock() -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/kubereach-lab-tests.lock")
        .expect("open the lab test lock under /run");
    file.lock().expect("take the lab test lock");
    file
}

fn kubereach(args: &[&str]) -> Output {
    Command::cargo_bin("kubereach").unwrap().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `kubereach ARGS` and fails with its output unless it exits `code`.
fn expect(args: &[&str], code: i32) -> String {
    let output = kubereach(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "kubereach {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// A lab that is torn down (and checked to be gone) even when the test fails.
struct Lab {
    name: &'static str,
}

impl Lab {
    fn up(name: &'static str, dir: &Path) -> Lab {
        let _ = kubereach(&["lab", "down", name]);
        let lab = Lab { name };
        expect(&["lab", "up", "-f", dir.to_str().unwrap(), "--name", name], 0);
        lab
    }

    /// `lab probe --format json`, checked against the `kubereach.probe/v1` shape.
    fn probe(&self) -> serde_json::Value {
        let output = kubereach(&["lab", "probe", self.name, "--format", "json", "--timeout-ms", "500"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&output.stdout), text(&output.stderr)));
        assert_eq!(json["schema"], "kubereach.probe/v1");
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["agree", "disagree", "disagreements", "probes", "schema", "skipped"]);
        let disagree = json["disagree"].as_u64().unwrap();
        assert_eq!(output.status.code(), Some(if disagree == 0 { 0 } else { 1 }));
        json
    }

    fn exec(&self, target: &str, command: &[&str]) -> Output {
        let mut args = vec!["lab", "exec", "--name", self.name, target, "--"];
        args.extend_from_slice(command);
        kubereach(&args)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let output = kubereach(&["lab", "down", self.name]);
        if !std::thread::panicking() {
            assert!(output.status.success(), "down failed: {}", text(&output.stderr));
            assert_nothing_left(self.name);
        }
    }
}

/// The entries of `dir` whose names start with `prefix`.
fn entries_with_prefix(dir: &str, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// No namespace, `/etc/netns` entry, state, or supervisor of lab `name` remains.
fn assert_nothing_left(name: &str) {
    let prefix = format!("kr-{name}-");
    let namespaces = entries_with_prefix("/run/netns", &prefix);
    assert!(namespaces.is_empty(), "namespaces left: {namespaces:?}");
    let etc = entries_with_prefix("/etc/netns", &prefix);
    assert!(etc.is_empty(), "/etc/netns entries left: {etc:?}");
    assert!(!Path::new("/run/kubereach-lab").join(name).exists(), "state left under /run");
    let marker = format!("lab\0supervise\0{name}\0");
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        assert!(
            !cmdline.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "supervisor left: {:?}",
            entry.path()
        );
    }
}

fn demo_dir(flannel: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    expect(&["demo", "--export", dir.path().to_str().unwrap()], 0);
    if flannel {
        let path = dir.path().join("10-kube-system.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> =
            text.split("\n---\n").filter(|doc| !doc.contains("name: calico-node")).collect();
        std::fs::write(&path, kept.join("\n---\n")).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lab/flannel.yaml");
        std::fs::copy(fixture, dir.path().join("05-flannel.yaml")).unwrap();
    }
    dir
}

/// `nc -z` from `target` to ADDRESS PORT: whether it connected.
fn connects(lab: &Lab, target: &str, address: &str, port: &str) -> bool {
    lab.exec(target, &["nc", "-z", "-w", "2", address, port]).status.success()
}

/// The state `lab up` wrote for lab `name`.
fn lab_state(name: &str) -> serde_json::Value {
    let state = std::fs::read_to_string(format!("/run/kubereach-lab/{name}/state.json")).unwrap();
    serde_json::from_str(&state).unwrap()
}

fn cluster_ip(name: &str, namespace: &str, service: &str) -> String {
    let state = lab_state(name);
    let services = state["plan"]["services"].as_array().unwrap();
    let found = services.iter().find(|s| s["namespace"] == namespace && s["name"] == service).unwrap();
    found["cluster_ip"].as_str().unwrap().to_owned()
}

fn pod_ip(name: &str, namespace: &str, pod: &str) -> String {
    let state = lab_state(name);
    let pods = state["plan"]["topology"]["pods"].as_array().unwrap();
    let found = pods.iter().find(|p| p["namespace"] == namespace && p["name"] == pod).unwrap();
    found["address"].as_str().unwrap().to_owned()
}

#[test]
fn demo_up_probe_down_agrees_with_the_model_and_shows_its_faults() {
    require_root!();
    let dir = demo_dir(false);
    let lab = Lab::up("tdemo", dir.path());
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    assert!(report["probes"].as_u64().unwrap() > 50, "{report:#}");
    // The demo's faults, seen from inside (docs/lab.md walks through them):
    // the frontend's allow names the Service port (80), not the pod's (8080).
    let api = cluster_ip("tdemo", "production", "api-service");
    assert!(!connects(&lab, "production/frontend", &api, "80"));
    // The ingress controller is allowed to the API by the pod's named port.
    assert!(connects(&lab, "ingress-nginx/ingress-nginx-controller", &api, "80"));
    // The metrics Service's selector matches no pod: kube-proxy rejects.
    let metrics = cluster_ip("tdemo", "monitoring", "metrics");
    let refused = lab.exec("monitoring/prometheus", &["nc", "-vz", "-w", "2", &metrics, "9090"]);
    assert!(text(&refused.stderr).contains("refused"), "{}", text(&refused.stderr));
    // Each pod's resolv.conf follows its dnsPolicy, as the kubelet writes
    // it (ClusterFirst: cluster DNS, the namespace's search list, ndots:5;
    // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy),
    // and `ip netns exec` puts it in place of the host's.
    let resolv = lab.exec("production/api", &["cat", "/etc/resolv.conf"]);
    assert!(
        text(&resolv.stdout).ends_with(
            "nameserver 10.96.0.10\nsearch production.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
        ),
        "{}",
        text(&resolv.stdout)
    );
    // Who answers: the supervisor writes the pod's name.
    let answer = lab.exec("ingress-nginx/ingress-nginx-controller", &["nc", "-w", "2", &api, "80"]);
    assert_eq!(text(&answer.stdout).trim(), "production/api");
}

/// `dig +search +short NAME [TYPE]` from `target`: its answer lines, or
/// `None` when no server answered (dig exits 9).
fn dig(lab: &Lab, target: &str, name: &str, qtype: &str) -> Option<Vec<String>> {
    let output = lab.exec(target, &["dig", "+search", "+short", "+tries=1", "+timeout=2", name, qtype]);
    if output.status.code() == Some(9) {
        return None;
    }
    assert!(output.status.success(), "dig {name}: {}{}", text(&output.stdout), text(&output.stderr));
    Some(text(&output.stdout).lines().map(str::to_owned).collect())
}

// Cluster DNS per the Kubernetes DNS specification
// (https://github.com/kubernetes/dns/blob/master/docs/specification.md),
// reached through the kube-dns Service like any Service, with each pod's
// search list, and blocked where a policy blocks the pod's DNS egress.
#[test]
fn cluster_dns_answers_through_the_kube_dns_service_and_policies() {
    require_root!();
    let dir = demo_dir(false);
    std::fs::write(dir.path().join("90-dns.yaml"), DNS_EXTRAS).unwrap();
    let lab = Lab::up("tdns", dir.path());
    let api = cluster_ip("tdns", "production", "api-service");
    // 2.3.1: A record of a ClusterIP Service, the short name through the
    // pod's search list (`production.svc.cluster.local` first).
    assert_eq!(dig(&lab, "production/frontend", "api-service", "A"), Some(vec![api.clone()]));
    // The real libc resolver agrees (getent goes through NSS and resolv.conf).
    let getent = lab.exec("production/frontend", &["getent", "hosts", "api-service.production"]);
    assert!(text(&getent.stdout).starts_with(&format!("{api} ")), "{}", text(&getent.stdout));
    // 2.3.2: SRV for a named port.
    assert_eq!(
        dig(&lab, "production/frontend", "_http._tcp.api-service.production.svc.cluster.local", "SRV"),
        Some(vec!["0 100 80 api-service.production.svc.cluster.local.".to_owned()])
    );
    // 2.4.1 and 2.4.2: a headless Service answers its ready pod's address,
    // and the pod's hostname under it.
    let address = pod_ip("tdns", "production", "store-0");
    assert_eq!(dig(&lab, "production/api", "store", "A"), Some(vec![address.clone()]));
    assert_eq!(dig(&lab, "production/api", "store-0.store", "A"), Some(vec![address]));
    // 2.5: ExternalName is a CNAME; the name outside the zone is answered
    // by the lab's stub upstream (192.0.2.53), never the Internet.
    assert_eq!(
        dig(&lab, "production/api", "mail", "A"),
        Some(vec!["smtp.example.com.".to_owned(), "192.0.2.53".to_owned()])
    );
    // No such name: NXDOMAIN, nothing in the answer.
    assert_eq!(
        dig(&lab, "production/api", "no-such-service.production.svc.cluster.local", "A"),
        Some(vec![])
    );
    // The same query over TCP.
    let tcp =
        lab.exec("production/api", &["dig", "+tcp", "+short", "api-service.production.svc.cluster.local"]);
    assert_eq!(text(&tcp.stdout).trim(), api);
    // The worker's egress is denied entirely: its queries are dropped.
    assert_eq!(dig(&lab, "production/worker", "api-service", "A"), None);
    // `lab probe` resolves every name from every pod and agrees.
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    let human = expect(&["lab", "probe", "tdns", "--timeout-ms", "500"], 0);
    let lookups = human.lines().skip_while(|l| !l.starts_with("name lookups")).take(4).collect::<Vec<_>>();
    assert_eq!(lookups.len(), 4, "{human}");
    let resolved: u64 = lookups[1].split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(resolved > 20, "{human}");
}

/// A headless Service over a pod with hostname and subdomain, and an
/// ExternalName Service, beside the demo.
const DNS_EXTRAS: &str = "
apiVersion: v1
kind: Service
metadata: {name: store, namespace: production}
spec:
  clusterIP: None
  selector: {app: store}
  ports: [{name: tcp-store, port: 7000}]
---
apiVersion: v1
kind: Pod
metadata: {name: store-0, namespace: production, labels: {app: store}}
spec:
  hostname: store-0
  subdomain: store
  containers: [{name: store, image: example/store, ports: [{containerPort: 7000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: mail, namespace: production}
spec: {type: ExternalName, externalName: smtp.example.com}
";

#[test]
fn flannel_variant_enforces_no_policy_and_agrees() {
    require_root!();
    let dir = demo_dir(true);
    let lab = Lab::up("tflan", dir.path());
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    let api = cluster_ip("tflan", "production", "api-service");
    // Under Flannel alone the same policy has no effect.
    assert!(connects(&lab, "production/frontend", &api, "80"));
}

#[test]
fn generated_cluster_of_sixty_pods_agrees_with_the_model() {
    require_root!();
    let dir = tempfile::tempdir().unwrap();
    let seed = std::env::var("KUBEREACH_LAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let pods = gen::write(dir.path(), seed, 60);
    assert!(pods >= 50);
    let lab = Lab::up("tgen", dir.path());
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    assert!(report["probes"].as_u64().unwrap() > 1000, "{report:#}");
}

#[test]
fn the_lab_is_sealed_from_the_host_network() {
    require_root!();
    let dir = demo_dir(false);
    let lab = Lab::up("tseal", dir.path());
    // 192.0.2.1 (TEST-NET-1) is no address of the lab: every namespace has
    // no route to it, so the connection fails at once with "unreachable"
    // instead of a packet leaving the machine.
    for target in ["production/api", "node/node-1", "external"] {
        let output = lab.exec(target, &["nc", "-vz", "-w", "5", "192.0.2.1", "80"]);
        assert!(!output.status.success(), "{target} reached 192.0.2.1");
        let message = text(&output.stderr).to_lowercase();
        assert!(message.contains("unreachable") || message.contains("no route"), "{target}: {message}");
    }
    // The external client reaches the load balancer, routed by the fabric.
    assert!(connects(&lab, "external", "203.0.113.10", "80"));
}

#[test]
fn down_after_kill_9_of_up_leaves_nothing() {
    require_root!();
    let dir = tempfile::tempdir().unwrap();
    gen::write(dir.path(), 11, 80);
    let _ = kubereach(&["lab", "down", "tkill"]);
    let mut up = Command::cargo_bin("kubereach")
        .unwrap()
        .args(["lab", "up", "-f", dir.path().to_str().unwrap(), "--name", "tkill"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it is mid-way: some namespaces made, not all.
    let intent = Path::new("/run/kubereach-lab/tkill/intent.log");
    for _ in 0..2000 {
        let made = std::fs::read_to_string(intent).unwrap_or_default().lines().count();
        if made >= 20 || up.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    up.kill().unwrap();
    let _ = up.wait();
    // A pod's resolv.conf directory the log does not name (as if written by
    // an `up` whose log was lost) goes too: `down` sweeps the lab's prefix.
    std::fs::create_dir_all("/etc/netns/kr-tkill-pod1").unwrap();
    std::fs::write("/etc/netns/kr-tkill-pod1/resolv.conf", "nameserver 10.96.0.10\n").unwrap();
    expect(&["lab", "down", "tkill"], 0);
    assert_nothing_left("tkill");
    // Idempotent: a second down has nothing to do and succeeds.
    expect(&["lab", "down", "tkill"], 0);
}

#[test]
fn dry_run_prints_the_plan_without_touching_the_machine() {
    // Runs everywhere: the plan is data, printed, not applied.
    let dir = demo_dir(false);
    let out = expect(&["lab", "up", "-f", dir.path().to_str().unwrap(), "--name", "tdry", "--dry-run"], 0);
    assert!(
        out.starts_with("# kubereach lab `tdry`: 2 nodes, 7 pods, 5 services; NetworkPolicies enforced\n"),
        "{out}"
    );
    assert!(out.contains("ip netns add kr-tdry-fabric\n"), "{out}");
    assert!(out.contains("ip netns exec kr-tdry-node1 nft -f - <<'EOF'\ntable ip kube-proxy\n"), "{out}");
    assert!(!Path::new("/run/kubereach-lab/tdry").exists());
    assert!(!Path::new("/run/netns/kr-tdry-fabric").exists());
}

#[test]
fn a_lab_name_is_never_a_path() {
    let output = kubereach(&["lab", "up", "-f", "-", "--name", "../etc", "--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("lowercase letters or digits"), "{}", text(&output.stderr));
}

/// `lab up` shows a progress line (namespaces created) on a terminal, erased
/// at the end, and nothing with `--quiet` or when standard error is not a
/// terminal (issue: progress for work that takes more than a moment).
#[test]
fn up_shows_progress_on_a_terminal_only() {
    require_root!();
    if Command::new("sh").args(["-c", "command -v script"]).output().is_ok_and(|o| !o.status.success()) {
        eprintln!("skipping: `script` (util-linux) is not installed");
        return;
    }
    let dir = demo_dir(false);
    let on_terminal = |flags: &str| {
        let _ = kubereach(&["lab", "down", "tprog"]);
        let command = format!(
            "{} lab up -f {} --name tprog {flags} > /dev/null",
            env!("CARGO_BIN_EXE_kubereach"),
            dir.path().display()
        );
        let output = Command::new("script").args(["-qec", &command, "/dev/null"]).output().unwrap();
        expect(&["lab", "down", "tprog"], 0);
        assert_nothing_left("tprog");
        text(&output.stdout)
    };
    let shown = on_terminal("");
    assert!(shown.contains("\r\x1b[2Klab up: namespace "), "{shown:?}");
    assert!(shown.contains(" of "), "{shown:?}");
    assert!(shown.ends_with("\r\x1b[2K"), "the line is erased at the end: {shown:?}");
    assert_eq!(on_terminal("--quiet"), "", "--quiet");
    let piped = kubereach(&["lab", "up", "-f", dir.path().to_str().unwrap(), "--name", "tprog"]);
    expect(&["lab", "down", "tprog"], 0);
    assert_nothing_left("tprog");
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert!(!text(&piped.stderr).contains("lab up: namespace"), "no progress in a pipe");
}

/// A disagreement shows the lab's side next to the model's: the counted
/// nftables rules the connection went through. A drop rule added by hand in
/// the node of `production/api` makes the controller's allowed connection
/// time out; the probe report names that rule.
#[test]
fn a_disagreement_names_the_lab_rule_that_dropped_it() {
    require_root!();
    let dir = demo_dir(false);
    let lab = Lab::up("tevid", dir.path());
    let added = lab.exec(
        "node/node-1",
        &[
            "nft",
            "insert",
            "rule",
            "ip",
            "kubereach-policy",
            "forward",
            "ip",
            "daddr",
            "10.244.0.3",
            "tcp",
            "dport",
            "8080",
            "counter",
            "drop",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let output = kubereach(&["lab", "probe", "tevid", "--timeout-ms", "300"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "ingress-nginx/ingress-nginx-controller -> production/api 8080/TCP: model says connected to production/api, kernel says timed out"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "lab:   kr-tevid-node1 kubereach-policy forward: ip daddr 10.244.0.3 tcp dport 8080 drop"
        ),
        "{stdout}"
    );
}

/// `curl` from `external` to `url`, reaching the controller at `via`
/// (`ADDRESS:PORT`, `--connect-to`: no DNS), verifying HTTPS with the lab
/// CA unless `insecure`: curl's exit code, the status and the body.
fn curl_ingress(lab: &Lab, url: &str, via: &str, insecure: bool) -> (Option<i32>, String, String) {
    let host = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    let port = if url.starts_with("https") { 443 } else { 80 };
    let connect_to = format!("{host}:{port}:{via}");
    let ca = format!("/run/kubereach-lab/{}/ca.crt", lab.name);
    let mut command =
        vec!["curl", "-sS", "--max-time", "8", "--connect-to", &connect_to, "-w", "\n%{http_code}"];
    if insecure {
        command.push("-k");
    } else {
        command.extend(["--cacert", ca.as_str()]);
    }
    command.push(url);
    let output = lab.exec("external", &command);
    let stdout = text(&output.stdout);
    let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    (output.status.code(), status.to_owned(), body.to_owned())
}

// The demo's Ingresses through the lab's controller (docs/lab.md, the
// ingress chapter): its TLS Secret is left to cert-manager, so HTTPS gets
// ingress-nginx's fake certificate (curl cannot verify it; -k gets
// through); plain HTTP to that TLS host gets the 308 redirect; the admin
// host's `/` is `Exact`, so `/users` falls to the controller's 404; and
// the frontend does not admit the controller, which times out (504).
#[test]
fn demo_ingress_requests_go_through_a_real_proxy() {
    require_root!();
    let dir = demo_dir(false);
    let lab = Lab::up("tingr", dir.path());
    let via = "203.0.113.10:443";
    let (code, _, _) = curl_ingress(&lab, "https://api.yourapp.com/v1/users", via, false);
    assert_eq!(code, Some(60), "the fake certificate does not verify");
    let (_, status, body) = curl_ingress(&lab, "https://api.yourapp.com/v1/users", via, true);
    assert_eq!((status.as_str(), body.trim()), ("200", "production/api"));
    let (_, status, _) = curl_ingress(&lab, "http://api.yourapp.com/v1/users", "203.0.113.10:80", false);
    assert_eq!(status, "308");
    let (_, status, _) = curl_ingress(&lab, "http://admin.yourapp.com/users", "203.0.113.10:80", false);
    assert_eq!(status, "404");
    let (_, status, _) = curl_ingress(&lab, "http://admin.yourapp.com/", "203.0.113.10:80", false);
    assert_eq!(status, "504");
    // Anything but HTTP on the controller's port gets the pod's name, as
    // every pod's port answers.
    let answer = lab.exec("external", &["nc", "-w", "2", "203.0.113.10", "80"]);
    assert_eq!(text(&answer.stdout).trim(), "ingress-nginx/ingress-nginx-controller");
}

// Generated namespaces with Ingresses: TLS with a present Secret (verified
// with the lab CA) and an absent one (the fake certificate), a wrong
// class (the controller's 404), Prefix against Exact, a backend by the
// Service port's name, one naming the pod's port (503), and a namespace
// whose policy keeps the controller out (504); `lab probe` agrees with
// `trace` on every request.
#[test]
fn generated_cluster_with_ingresses_agrees_with_the_model() {
    require_root!();
    let dir = tempfile::tempdir().unwrap();
    let seed = std::env::var("KUBEREACH_LAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    gen::write(dir.path(), seed, 30);
    gen::write_ingress(dir.path(), seed);
    let lab = Lab::up("tgenin", dir.path());
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    let (https, http) = ("203.0.113.50:443", "203.0.113.50:80");
    let (code, status, _) = curl_ingress(&lab, "https://shop.shop.test/pod-port", https, false);
    assert_eq!(
        (code, status.as_str()),
        (Some(0), "503"),
        "verified with the lab CA; the pod's port is no Service port"
    );
    let (code, _, _) = curl_ingress(&lab, "https://shop.nocert.test/", https, false);
    assert_eq!(code, Some(60), "the Secret is absent: the fake certificate");
    let (_, status, _) = curl_ingress(&lab, "http://shop.wrong.test/", http, false);
    assert_eq!(status, "404");
    let (_, status, _) = curl_ingress(&lab, "https://shop.shop.test/exact/more", https, false);
    assert_eq!(status, "404");
    let (_, status, _) = curl_ingress(&lab, "http://shop.shop.test/app", http, false);
    assert_eq!(status, "308");
    let (_, status, _) = curl_ingress(&lab, "http://vault.locked.test/", http, false);
    assert_eq!(status, "504");
    let trace =
        kubereach(&["trace", "external", "http://vault.locked.test/", "-f", dir.path().to_str().unwrap()]);
    assert_eq!(trace.status.code(), Some(1));
    assert!(text(&trace.stdout).contains("network-policy-ingress"), "{}", text(&trace.stdout));
}
// After `require_root!`, which it uses.
#[path = "lab/native.rs"]
mod native;
