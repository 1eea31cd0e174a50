//! The chains written from the engine's stages, on a Cilium and a Calico
//! cluster (the plugin detected from its DaemonSet or its Installation).

use super::*;
use crate::policy::tests::PODS;

const ALL: Enforced = Enforced { network_policy: true, admin: true, baseline: true };

const CILIUM: &str = "
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cilium, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: cilium}}
  template:
    metadata: {labels: {k8s-app: cilium}}
    spec:
      hostNetwork: true
      containers: [{name: cilium-agent, image: 'quay.io/cilium/cilium:v1.16.3'}]
---
";

const CALICO: &str = "
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: default}
status: {calicoVersion: v3.29.1}
---
";

/// The ruleset of the node of pod `a/api`, and the lab addresses of `a/api` and `a/web`.
fn lower(yaml: &str) -> (Option<String>, String, String) {
    let cluster = crate::test_cluster(yaml);
    let topology = crate::topology::build(&cluster, "t").unwrap();
    let api = topology.pod_named("a", "api").unwrap();
    let web = topology.pod_named("a", "web").unwrap();
    let ruleset = crate::policy::ruleset(&cluster, &topology, api.node, ALL);
    (ruleset, api.address.to_string(), web.address.to_string())
}

/// Whether `lines` appear in `ruleset` in this order.
fn assert_in_order(ruleset: &str, lines: &[String]) {
    let mut from = 0;
    for line in lines {
        let Some(at) = ruleset[from..].find(line.as_str()) else {
            panic!("missing `{line}` (in this order) in\n{ruleset}");
        };
        from += at + line.len();
    }
}

// Deny wins over every allow, a NetworkPolicy's included
// (https://docs.cilium.io/en/stable/security/policy/deny/): the deny rules
// come first in the chain. `fromEntities: [world]` is every address
// outside the cluster, never a pod's; a port without protocol is `ANY`
// (https://docs.cilium.io/en/stable/security/policy/language/#layer-4-examples).
#[test]
fn cilium_denies_come_before_every_allow() {
    let (ruleset, api, web) = lower(&format!(
        "{CILIUM}{PODS}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: all-of-a, namespace: a}}
spec:
  podSelector: {{matchLabels: {{app: api}}}}
  ingress: [{{from: [{{podSelector: {{}}}}]}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: api, namespace: a}}
spec:
  endpointSelector: {{matchLabels: {{app: api}}}}
  ingress: [{{fromEntities: [world], toPorts: [{{ports: [{{port: '8080'}}]}}]}}]
  ingressDeny: [{{fromEndpoints: [{{matchLabels: {{app: web}}}}], toPorts: [{{ports: [{{port: '8080', protocol: TCP}}]}}]}}]
"
    ));
    let ruleset = ruleset.expect("a ruleset");
    assert_in_order(
        &ruleset,
        &[
            format!("ip saddr {api} return"),
            "chain np-ingress-pod".into(),
            "# CiliumNetworkPolicy a/api".into(),
            format!("ip saddr {{ {web} }} meta l4proto tcp th dport {{ 8080 }} drop"),
            "# NetworkPolicy a/all-of-a".into(),
            format!("ip saddr {{ {api}, {web} }} return"),
            "ip saddr != @pod-addresses meta l4proto tcp th dport { 8080 } return".into(),
            "ip saddr != @pod-addresses meta l4proto udp th dport { 8080 } return".into(),
            "\t\tdrop\n".into(),
        ],
    );
}

// Calico: tiers in order, `Pass` to the next tier, the end of a tier
// drops; `nets` minus `notNets` are address ranges; Kubernetes
// NetworkPolicies sit at order 1000 in the `default` tier
// (https://docs.tigera.io/calico/latest/reference/resources/tier,
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule).
#[test]
fn calico_tiers_are_chains() {
    let (ruleset, _, web) = lower(&format!(
        "{CALICO}{PODS}
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {{name: platform}}
spec: {{order: 100}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: platform.guard}}
spec:
  tier: platform
  selector: app == 'api'
  types: [Ingress]
  ingress:
    - {{action: Deny, source: {{selector: app == 'web'}}, protocol: UDP}}
    - {{action: Pass}}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: clients, namespace: a}}
spec:
  order: 500
  selector: app == 'api'
  ingress:
    - {{action: Allow, protocol: TCP, source: {{nets: [198.51.100.0/24], notNets: [198.51.100.10/32]}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: a}}
spec:
  podSelector: {{}}
  ingress: [{{from: [{{podSelector: {{matchLabels: {{app: web}}}}}}]}}]
"
    ));
    let ruleset = ruleset.expect("a ruleset");
    assert_in_order(
        &ruleset,
        &[
            "goto tier0-ingress-pod".into(),
            "# Calico tier platform".into(),
            format!("ip saddr {{ {web} }} meta l4proto udp drop"),
            "# GlobalNetworkPolicy platform.guard".into(),
            "goto tier1-ingress-pod".into(),
            "\t\tdrop\n".into(),
            "# Calico tier default".into(),
            "# NetworkPolicy.projectcalico.org a/clients".into(),
            "ip saddr { 198.51.100.0-198.51.100.9, 198.51.100.11-198.51.100.255 } ip saddr != @pod-addresses meta l4proto tcp return".into(),
            "# NetworkPolicy a/web".into(),
            format!("ip saddr {{ {web} }} return"),
            "\t\tdrop\n".into(),
            "chain baseline-ingress-pod".into(),
        ],
    );
}

// An L7 rule is enforced at L3/L4 only, a `toFQDNs` rule not at all: the
// ruleset says so beside the rule, and the notes for `lab up` and `lab
// probe` name the policy.
#[test]
fn what_nftables_cannot_enforce_is_said() {
    let yaml = format!(
        "{CILIUM}{PODS}
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: web-egress, namespace: a}}
spec:
  endpointSelector: {{matchLabels: {{app: web}}}}
  egress:
    - toEndpoints: [{{matchLabels: {{app: api}}}}]
      toPorts: [{{ports: [{{port: '8080', protocol: TCP}}], rules: {{http: [{{method: GET}}]}}}}]
    - toFQDNs: [{{matchName: api.example.com}}]
"
    );
    let cluster = crate::test_cluster(&yaml);
    let topology = crate::topology::build(&cluster, "t").unwrap();
    let web = topology.pod_named("a", "web").unwrap();
    let api = topology.pod_named("a", "api").unwrap();
    let ruleset = crate::policy::ruleset(&cluster, &topology, web.node, ALL).expect("a ruleset");
    assert_in_order(
        &ruleset,
        &[
            "# not enforced: its L7 rules (http) are not enforced".into(),
            format!("ip daddr {{ {} }} meta l4proto tcp th dport {{ 8080 }} return", api.address),
            "# not enforced: its `toFQDNs` (api.example.com) allows nothing in the lab".into(),
            "\t\tdrop\n".into(),
        ],
    );
    let notes = caveat_notes(&cluster);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("the lab enforces CiliumNetworkPolicy `a/web-egress` (test.yaml:"),
        "{notes:?}"
    );
}

// Without the plugins' own policies, NetworkPolicy keeps its own compiler
// (an independent reading of the API); when the plugin enforces no
// policy, nothing is installed for them either.
#[test]
fn only_native_policies_take_the_engine_path() {
    let cluster = crate::test_cluster(&format!("{CILIUM}{PODS}"));
    let topology = crate::topology::build(&cluster, "t").unwrap();
    assert_eq!(ruleset(&cluster, &topology, 0, ALL), None);
    let off = Enforced { network_policy: false, admin: false, baseline: false };
    let with_policy = format!(
        "{CILIUM}{PODS}
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: p, namespace: a}}
spec:
  endpointSelector: {{}}
  ingress: [{{}}]
"
    );
    let cluster = crate::test_cluster(&with_policy);
    let topology = crate::topology::build(&cluster, "t").unwrap();
    assert_eq!(ruleset(&cluster, &topology, 0, off), None);
    assert!(ruleset(&cluster, &topology, 0, ALL).is_some());
}
