//! Traces on the demo cluster (`crates/kubereach/demo`, its README lists
//! the faults): each fault found at the layer the README names, and the
//! paths that work.

use super::util::{check_contract, crate_dir, run, snapshot, Run};

fn trace(args: &[&str]) -> Run {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "demo"]);
    let result = run(&crate_dir(), &all);
    let mut json_args = all.clone();
    json_args.extend_from_slice(&["--format", "json"]);
    check_contract(&run(&crate_dir(), &json_args).json());
    result
}

// Fault 2: the policy allows port 80, the Service port; after DNAT the pod
// receives 8080.
#[test]
fn frontend_to_api() {
    let result = trace(&["production/frontend", "http://api-service.production/healthz"]);
    result.assert_code(1);
    assert!(result.stdout.contains("blocked at network-policy-ingress"), "{result}");
    snapshot!("frontend_to_api", result.to_string());
}

#[test]
fn internet_to_api() {
    let result = trace(&["external", "https://api.yourapp.com/v1/users"]);
    result.assert_code(0);
    snapshot!("internet_to_api", result.to_string());
}

// Fault 1: nothing admits ingress-nginx to the frontend pods.
#[test]
fn internet_to_frontend() {
    let result = trace(&["external", "https://api.yourapp.com/"]);
    result.assert_code(1);
    assert!(result.stdout.contains("blocked at network-policy-ingress"), "{result}");
    snapshot!("internet_to_frontend", result.to_string());
}

// Fault 3: default-deny-egress leaves the workers without DNS.
#[test]
fn worker_without_dns() {
    let result = trace(&["production/worker", "http://api-service.production/"]);
    result.assert_code(1);
    assert!(result.stdout.contains("blocked at dns"), "{result}");
    snapshot!("worker_without_dns", result.to_string());
}

// Fault 4: `Exact` `/` matches the root only.
#[test]
fn admin_pages() {
    let result = trace(&["external", "http://admin.yourapp.com/users"]);
    result.assert_code(1);
    assert!(result.stdout.contains("blocked at ingress-rule"), "{result}");
    snapshot!("admin_pages", result.to_string());
}

// Fault 5: the `metrics` Service selects no pods.
#[test]
fn prometheus_metrics() {
    let result = trace(&["monitoring/prometheus", "svc/monitoring/metrics:9090"]);
    result.assert_code(1);
    assert!(result.stdout.contains("blocked at endpoints"), "{result}");
    snapshot!("prometheus_metrics", result.to_string());
}

// Pod to pod (blocked by the same fault as through the Service: no policy
// admits 8080 from the frontend), the load balancer of ingress-nginx from
// outside, and cluster DNS over UDP.
#[test]
fn more_paths() {
    let direct = trace(&["production/frontend", "production/api:http"]);
    let balancer = trace(&["external:198.51.100.23", "https://203.0.113.10/"]);
    let dns = trace(&["production/frontend", "kube-dns.kube-system:53", "--protocol", "udp"]);
    snapshot!("more_paths", format!("{direct}\n{balancer}\n{dns}"));
}
