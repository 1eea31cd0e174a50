//! The page of `kubereach serve` in headless chromium: starts the servers
//! (the demo, a diff, hostile label values, 5,000 and 10,000 generated pods) and runs
//! `crates/serve/tests/browser/e2e.mjs` with playwright-core against them.
//! `scripts/setup/browser.sh` installs chromium, node and the npm packages;
//! without them this test fails and says so, it never skips.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{demo, Server};

/// A bound on the whole browser run, not a measurement.
const RUN_TIMEOUT: Duration = Duration::from_secs(900);

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../serve/tests/browser")
}

/// What the run needs, or a message saying how to get it.
fn prerequisites() -> Result<(), String> {
    let setup = "run `scripts/setup/browser.sh` (which `scripts/test` runs) to install it";
    match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        _ => return Err(format!("`node` is not installed: {setup}")),
    }
    if !Path::new(CHROMIUM).exists() {
        return Err(format!("{CHROMIUM} is not installed: {setup}"));
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return Err(format!("playwright-core is not installed in {}: {setup}", browser_dir().display()));
    }
    Ok(())
}

#[test]
fn the_page_in_a_browser() {
    if let Err(message) = prerequisites() {
        panic!("the browser tests cannot run: {message}");
    }
    let (_demo_dir, demo_path) = demo();
    let demo_server = Server::start(&["-f", &demo_path]);
    let (_old_dir, old) = demo();
    let (_new_dir, new) = demo();
    change_policies(Path::new(&new));
    let diff_server = Server::start(&["--diff", &old, &new]);
    let xss_dir = tempfile::tempdir().unwrap();
    std::fs::write(xss_dir.path().join("xss.yaml"), XSS).unwrap();
    let xss_server = Server::start(&["-f", xss_dir.path().to_str().unwrap()]);
    let large_dir = tempfile::tempdir().unwrap();
    generate(large_dir.path(), 50, 20, 5, 3);
    let large_server = Server::start(&["-f", large_dir.path().to_str().unwrap()]);
    // The issue's bar for the namespace x namespace view: 10,000 pods.
    let huge_dir = tempfile::tempdir().unwrap();
    generate(huge_dir.path(), 100, 20, 5, 3);
    let huge_server = Server::start(&["-f", huge_dir.path().to_str().unwrap()]);
    // Twelve classes per namespace, under the 1,500-element budget: fCoSE's layout.
    let classes_dir = tempfile::tempdir().unwrap();
    generate(classes_dir.path(), 6, 30, 1, 12);
    let classes_server = Server::start(&["-f", classes_dir.path().to_str().unwrap()]);
    let (_admin_dir, admin) = crate::policies::admin_cluster();
    let admin_server = Server::start(&["-f", &admin, "--ip-blocks-match-pods"]);

    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-screenshots");
    let mut child = Command::new("node")
        .arg("e2e.mjs")
        .current_dir(browser_dir())
        .env("KUBEREACH_DEMO_URL", demo_server.url())
        .env("KUBEREACH_DIFF_URL", diff_server.url())
        .env("KUBEREACH_XSS_URL", xss_server.url())
        .env("KUBEREACH_LARGE_URL", large_server.url())
        .env("KUBEREACH_HUGE_URL", huge_server.url())
        .env("KUBEREACH_CLASSES_URL", classes_server.url())
        .env("KUBEREACH_ADMIN_URL", admin_server.url())
        .env("KUBEREACH_CHROMIUM", CHROMIUM)
        .env("KUBEREACH_SCREENSHOTS", &screenshots)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start node");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}\nscreenshots in {}", screenshots.display());
    if !output.status.success() {
        let mut servers = String::new();
        for (name, server) in [
            ("demo", &demo_server),
            ("diff", &diff_server),
            ("xss", &xss_server),
            ("large", &large_server),
            ("huge", &huge_server),
            ("classes", &classes_server),
            ("admin", &admin_server),
        ] {
            let _ = writeln!(servers, "--- {name} server stderr:\n{}", server.stderr());
        }
        panic!("the browser tests failed:\n{stdout}\n{}\n{servers}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// The demo with three changes: the frontend's rule names the pod's port
/// (changed), the ingress controller's namespace no longer matches (removed),
/// and monitoring may reach every production pod (added).
fn change_policies(dir: &Path) {
    let path = dir.join("50-network-policies.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("          port: 80\n", "          port: http\n")
        .replace("kubernetes.io/metadata.name: ingress-nginx", "kubernetes.io/metadata.name: nowhere");
    let added = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-monitoring\n  \
                 namespace: production\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    \
                 - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n";
    std::fs::write(&path, format!("{text}{added}")).unwrap();
}

/// Label values that are HTML and a closing script tag, on a Deployment the
/// API server rejects (so they reach the page in its findings' messages),
/// beside a valid one: they must show as text.
const XSS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: xss
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
  namespace: xss
spec:
  replicas: 1
  selector:
    matchLabels:
      app: bad
  template:
    metadata:
      labels:
        app: bad
        note: "<img src=x onerror=alert(1)>"
        end: "</script><script>window.__pwned=1</script>"
    spec:
      containers:
      - name: web
        image: nginx
"#;

/// `namespaces` namespaces of `deployments` Deployments with `replicas`
/// pods each, a Service per Deployment, and per namespace a default deny,
/// an allow within the namespace, an allow from the first namespace and one
/// from every namespace on 8080: thousands of namespace pairs, more than
/// the page draws at once. Deployments are labelled with `tiers` tiers;
/// tiers past the third each get a policy of their own (one more class).
fn generate(dir: &Path, namespaces: usize, deployments: usize, replicas: usize, tiers: usize) {
    for n in 0..namespaces {
        let namespace = format!("team-{n:03}");
        let mut text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n");
        for d in 0..deployments {
            let _ = write!(
                text,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{d:02}\n  namespace: {namespace}\n\
                 spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: app-{d:02}\n  template:\n    \
                 metadata:\n      labels:\n        app: app-{d:02}\n        tier: t{}\n    spec:\n      containers:\n      \
                 - name: app\n        image: nginx\n        ports:\n        - name: http\n          containerPort: 8080\n\
                 ---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{d:02}\n  namespace: {namespace}\nspec:\n  \
                 selector:\n    app: app-{d:02}\n  ports:\n  - port: 80\n    targetPort: http\n",
                d % tiers
            );
        }
        let _ = write!(
            text,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  \
             namespace: {namespace}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: same-namespace\n  \
             namespace: {namespace}\nspec:\n  podSelector:\n    matchLabels:\n      tier: t0\n  ingress:\n  - from:\n    \
             - podSelector: {{}}\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: from-team-000\n  \
             namespace: {namespace}\nspec:\n  podSelector:\n    matchLabels:\n      tier: t1\n  ingress:\n  - from:\n    \
             - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: team-000\n    ports:\n    \
             - port: 8080\n\
             ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: from-everywhere\n  \
             namespace: {namespace}\nspec:\n  podSelector:\n    matchLabels:\n      tier: t2\n  ingress:\n  - from:\n    \
             - namespaceSelector: {{}}\n    ports:\n    - port: 8080\n"
        );
        for tier in 3..tiers {
            let _ = write!(
                text,
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: tier-{tier}\n  \
                 namespace: {namespace}\nspec:\n  podSelector:\n    matchLabels:\n      tier: t{tier}\n  ingress:\n  \
                 - ports:\n    - port: {}\n",
                9000 + tier
            );
        }
        std::fs::write(dir.join(format!("{namespace}.yaml")), text).unwrap();
    }
}
