//! Cilium's and Calico's own policies in the lab: the cni_policies
//! fixtures (tests/cni_policies/) with two load balancers and an entity,
//! CIDR or `nets` rule each (tests/lab/native/), built for real; `lab
//! probe` must find no disagreement with the model, and the deciding
//! rules are checked from inside: a Cilium deny rule over a NetworkPolicy
//! allow (<https://docs.cilium.io/en/stable/security/policy/deny/>),
//! `fromEntities: [world]` and `fromCIDRSet` with `except`
//! (<https://docs.cilium.io/en/stable/security/policy/language/>), a
//! Calico `Deny` and a `Pass` to the next tier, and `nets`/`notNets`
//! falling through to the end of the tier
//! (<https://docs.tigera.io/calico/latest/reference/resources/tier>).

use std::path::PathBuf;

use super::{connects, expect, machine_lock, pod_ip, skip_reason, Lab};

/// The lab load-balancer addresses of the fixtures' two Services.
const FRONTEND_LB: &str = "203.0.113.20";
const API_LB: &str = "203.0.113.21";

/// `lab up` on the plugin's cni_policies fixtures plus the lab's additions.
fn up(name: &'static str, plugin: &str) -> Lab {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let fixtures = tests.join("cni_policies").join(plugin);
    let extra = tests.join("lab").join("native").join(format!("{plugin}.yaml"));
    let _ = super::kubereach(&["lab", "down", name]);
    let lab = Lab { name };
    let (fixtures, extra) = (fixtures.to_str().unwrap(), extra.to_str().unwrap());
    expect(&["lab", "up", "-f", fixtures, "-f", extra, "--name", name], 0);
    lab
}

/// Whether `nc -z` from `target` times out (a policy drop), rather than
/// connecting or being refused.
fn times_out(lab: &Lab, target: &str, address: &str, port: &str) -> bool {
    let output = lab.exec(target, &["nc", "-vz", "-w", "2", address, port]);
    !output.status.success() && super::text(&output.stderr).contains("timed out")
}

/// `lab probe`: every connection and name lookup as the model predicts.
fn assert_probes_agree(lab: &Lab) {
    let report = lab.probe();
    assert_eq!(report["disagree"], 0, "{report:#}");
    assert!(report["probes"].as_u64().unwrap() > 30, "{report:#}");
}

#[test]
fn cilium_policies_agree_with_the_model() {
    require_root!();
    let lab = up("tcilium", "cilium");
    assert_probes_agree(&lab);
    let api = pod_ip("tcilium", "shop", "api");
    // The NetworkPolicy admits the tools namespace, the ingressDeny wins.
    assert!(times_out(&lab, "tools/debug", &api, "9090"));
    assert!(connects(&lab, "tools/debug", &api, "8080"));
    // `fromEntities: [world]`: the outside client reaches the frontend.
    assert!(connects(&lab, "external", FRONTEND_LB, "80"));
    // `fromCIDRSet` with `except`: not the client on http; `fromCIDR` on admin.
    assert!(times_out(&lab, "external", API_LB, "80"));
    assert!(connects(&lab, "external", API_LB, "9090"));
    // The frontend's egress (an L7 rule, enforced at L4) reaches the api's http port only.
    assert!(connects(&lab, "shop/frontend", &api, "8080"));
    assert!(times_out(&lab, "shop/frontend", &api, "9090"));
}

#[test]
fn calico_policies_agree_with_the_model() {
    require_root!();
    let lab = up("tcalico", "calico");
    assert_probes_agree(&lab);
    let api = pod_ip("tcalico", "shop", "api");
    // The platform tier denies the tools namespace before the default tier is asked.
    assert!(times_out(&lab, "tools/debug", &api, "8080"));
    // It passes the frontend on: the default tier's Calico policy (order 500) allows.
    assert!(connects(&lab, "shop/frontend", &api, "8080"));
    // `nets` allows the client to the frontend; `notNets` leaves it to the
    // Kubernetes default deny and the end of the default tier.
    assert!(connects(&lab, "external", FRONTEND_LB, "80"));
    assert!(times_out(&lab, "external", API_LB, "80"));
}

// What nftables cannot enforce is said, not pretended (no root needed for
// the plan): the L7 rules are enforced at L3/L4 only, `toFQDNs` not at all.
#[test]
fn the_plan_says_what_it_cannot_enforce() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cni_policies/cilium");
    let output =
        super::kubereach(&["lab", "up", "--dry-run", "--name", "tnotes", "-f", fixtures.to_str().unwrap()]);
    assert!(output.status.success());
    let stderr = super::text(&output.stderr);
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note: the lab enforces")).collect();
    assert_eq!(notes.len(), 3, "{stderr}");
    assert!(
        notes[1].contains("policies.yaml:69) at L3/L4 only: its L7 rules (http) are not enforced"),
        "{stderr}"
    );
    assert!(notes[2].contains("its `toFQDNs` (api.stripe.com) allows nothing in the lab"), "{stderr}");
    let stdout = super::text(&output.stdout);
    assert!(stdout.contains("# not enforced: its L7 rules (http)"), "{stdout}");
}
