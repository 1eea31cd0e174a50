//! One policy's selectors resolved both ways, as the compiled engine
//! applies them: the pods it applies to and, rule by rule, the pods its
//! peers match. Every kind the engine compiles answers alike
//! (NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy, and the
//! plugins' own), so a page that highlights a policy's subjects and peers
//! shows what the verdicts use, not a second reading of the selectors.
//!
//! Semantics are the engine's (see the module documentation of
//! [`super`]): a NetworkPolicy applies to the pods its `podSelector`
//! selects in the directions of its `policyTypes`; an admin policy applies
//! to its `subject` in the directions it has rules for
//! (<https://network-policy-api.sigs.k8s.io/reference/spec/>). A rule's
//! peers are its selectors' pods, plus the pods whose addresses fall in its
//! `ipBlock`s (ANP `networks`, `nodes`) where the plugin matches pod IPs
//! ([`super::PolicyOptions::ip_blocks_match_pods`]) or the pod is on the
//! host network as node traffic ([`super::HostNetwork::Node`]).

use super::compile::Compiled;
use super::{Direction, PolicyEngine, PolicyKind, PolicyRef, Verdict};
use crate::model::PodId;
use crate::origin::Location;
use crate::ports::ConnectionSet;

/// What one policy applies to and what each of its rules matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPolicy {
    /// The policy.
    pub policy: PolicyRef,
    /// The pods it applies to in either direction, ascending (by namespace, then name).
    pub applies_to: Vec<PodId>,
    /// Whether it applies to the symbolic ingress controller (an admin
    /// policy whose subject selects every namespace).
    pub applies_to_ingress_controller: bool,
    /// Its rules, in the order the engine evaluates them (ingress, then egress).
    pub rules: Vec<ResolvedRule>,
}

/// One rule's peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRule {
    /// Ingress (`from`) or egress (`to`).
    pub direction: Direction,
    /// Its index in the policy's list of that direction.
    pub index: usize,
    /// Its name (admin policies name their rules).
    pub name: Option<String>,
    /// What it does to the connections it matches.
    pub verdict: Verdict,
    /// Where it is written, when known.
    pub location: Option<Location>,
    /// Whether it matches every peer (a NetworkPolicy rule without
    /// `from`/`to`), addresses outside the cluster included.
    pub everything: bool,
    /// The pods its peers match, by selector or by address, ascending.
    pub pods: Vec<PodId>,
    /// Those of [`ResolvedRule::pods`] matched by their addresses (an
    /// `ipBlock`, ANP `networks` or `nodes`), ascending.
    pub pods_by_address: Vec<PodId>,
    /// Whether it matches the symbolic ingress controller.
    pub ingress_controller: bool,
}

impl PolicyEngine<'_> {
    /// The policy `kind` `namespace/name` (no namespace for the
    /// cluster-scoped kinds) resolved as the engine applies it; `None` when
    /// the engine holds no such policy (absent, or of a kind its
    /// [`super::Tiers`] leave out).
    pub fn resolve_policy(
        &self,
        kind: PolicyKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<ResolvedPolicy> {
        let compiled = self.whole();
        let policy = compiled
            .policies
            .iter()
            .position(|p| p.kind == kind && p.namespace == namespace && p.name == name)?
            as u32;
        let pods_of = pods_by_class(compiled);
        let controller = compiled.ingress_controller as usize;
        let subject: Vec<usize> = (0..compiled.classes.len())
            .filter(|&class| {
                compiled.classes[class]
                    .profiles
                    .iter()
                    .any(|&profile| compiled.profiles[profile as usize].policies.contains(&policy))
            })
            .collect();
        let rules = compiled
            .rules
            .iter()
            .filter(|rule| rule.policy == policy)
            .map(|rule| {
                let step = compiled.rule_step(rule, super::eval::verdict(rule.action), ConnectionSet::none());
                let set = &compiled.peer_sets[rule.peers as usize];
                let by_address = |class: usize| {
                    compiled.classes[class].blocks.iter().any(|&b| set.blocks.contains(b as usize))
                };
                let classes: Vec<usize> = set.classes.iter().filter(|&c| c != controller).collect();
                ResolvedRule {
                    direction: rule.direction,
                    index: rule.index as usize,
                    name: rule.name.clone(),
                    verdict: step.verdict,
                    location: step.location,
                    everything: set.everything,
                    pods: pods(&pods_of, classes.iter().copied()),
                    pods_by_address: pods(&pods_of, classes.iter().copied().filter(|&c| by_address(c))),
                    ingress_controller: set.classes.contains(controller),
                }
            })
            .collect();
        Some(ResolvedPolicy {
            policy: compiled.policy_ref(policy),
            applies_to: pods(&pods_of, subject.iter().copied().filter(|&c| c != controller)),
            applies_to_ingress_controller: subject.contains(&controller),
            rules,
        })
    }
}

/// The pods of each class.
pub(super) fn pods_by_class(compiled: &Compiled<'_>) -> Vec<Vec<PodId>> {
    let mut pods = vec![Vec::new(); compiled.classes.len()];
    for (pod, &class) in compiled.pod_class.iter().enumerate() {
        pods[class as usize].push(PodId(pod as u32));
    }
    pods
}

/// The pods of `classes`, ascending.
fn pods(pods_of: &[Vec<PodId>], classes: impl Iterator<Item = usize>) -> Vec<PodId> {
    let mut found: Vec<PodId> = classes.flat_map(|c| pods_of[c].iter().copied()).collect();
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::testing::EXTERNAL_ONLY;
    use crate::policy::PolicyOptions;
    use crate::testing::cluster;

    /// `shop`: `web` (10.0.0.5), `db` (10.0.1.7), a hostNetwork `agent`
    /// on 192.168.0.10; `ops`: `probe` (10.0.2.9). The ANP `guard` (subject
    /// `shop`) denies ingress from `ops` and passes egress to 10.0.0.0/24; the
    /// BANP `default` (subject every namespace) allows egress to
    /// 192.168.0.0/16; the NetworkPolicy `db` admits `web` and 10.0.2.0/24.
    fn objects() -> crate::model::Cluster {
        cluster(vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops", "labels": {"team": "ops"}}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "c"}]}, "status": {"podIP": "10.0.0.5"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "shop", "labels": {"app": "db"}},
                   "spec": {"containers": [{"name": "c", "image": "c"}]}, "status": {"podIP": "10.0.1.7"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agent", "namespace": "shop", "labels": {"app": "agent"}},
                   "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "c"}]},
                   "status": {"podIP": "192.168.0.10", "hostIP": "192.168.0.10"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": "ops", "labels": {"app": "probe"}},
                   "spec": {"containers": [{"name": "c", "image": "c"}]}, "status": {"podIP": "10.0.2.9"}}),
            json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                   "metadata": {"name": "guard"},
                   "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"team": "shop"}}},
                            "ingress": [
                                {"name": "no-ops", "action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "ops"}}}]}],
                            "egress": [
                                {"name": "web-subnet", "action": "Pass", "to": [{"networks": ["10.0.0.0/24"]}]}]}}),
            json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                   "metadata": {"name": "default"},
                   "spec": {"subject": {"namespaces": {}},
                            "egress": [{"name": "nodes", "action": "Allow", "to": [{"networks": ["192.168.0.0/16"]}]}]}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "db", "namespace": "shop"},
                   "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}},
                                                  {"ipBlock": {"cidr": "10.0.2.0/24"}}]},
                                        {}]}}),
        ])
    }

    fn names(cluster: &crate::model::Cluster, pods: &[PodId]) -> Vec<String> {
        pods.iter().map(|&id| format!("{}/{}", cluster.pod(id).namespace, cluster.pod(id).name)).collect()
    }

    fn check(options: PolicyOptions, kind: PolicyKind, namespace: Option<&str>, name: &str) -> Vec<String> {
        let cluster = objects();
        let engine = PolicyEngine::new(&cluster, options);
        let resolved = engine.resolve_policy(kind, namespace, name).expect("the policy");
        let mut lines = vec![format!(
            "{} applies to {:?}{}",
            resolved.policy.name,
            names(&cluster, &resolved.applies_to),
            if resolved.applies_to_ingress_controller { " and the ingress controller" } else { "" }
        )];
        for rule in &resolved.rules {
            lines.push(format!(
                "{:?} {} {:?} {:?} line {} all={} pods={:?} by-address={:?} controller={}",
                rule.direction,
                rule.index,
                rule.name.as_deref().unwrap_or("-"),
                rule.verdict,
                rule.location.as_ref().map_or(0, |l| l.line),
                rule.everything,
                names(&cluster, &rule.pods),
                names(&cluster, &rule.pods_by_address),
                rule.ingress_controller,
            ));
        }
        lines
    }

    // ANP subjects and peers: `namespaces` selects every pod of the
    // namespaces (hostNetwork pods, node traffic, excepted); `networks`
    // (an egress peer only) matches pod IPs only where the plugin's
    // ipBlocks do
    // (https://network-policy-api.sigs.k8s.io/reference/spec/#policy.networking.k8s.io/v1alpha1.AdminNetworkPolicyEgressPeer).
    #[test]
    fn admin_policies_resolve_subjects_and_peers() {
        assert_eq!(
            check(EXTERNAL_ONLY, PolicyKind::AdminNetworkPolicy, None, "guard"),
            [
                "guard applies to [\"shop/db\", \"shop/web\"]",
                "Ingress 0 \"no-ops\" Deny line 0 all=false pods=[\"ops/probe\"] by-address=[] controller=false",
                "Egress 0 \"web-subnet\" Pass line 0 all=false pods=[] by-address=[] controller=false",
            ]
        );
        let matching = PolicyOptions { ip_blocks_match_pods: true };
        let resolved = check(matching, PolicyKind::AdminNetworkPolicy, None, "guard");
        assert_eq!(
            resolved[2],
            "Egress 0 \"web-subnet\" Pass line 0 all=false pods=[\"shop/web\"] by-address=[\"shop/web\"] controller=false"
        );
    }

    // The BANP's subject `namespaces: {}` is every namespace, the symbolic
    // ingress controller's included; the hostNetwork `agent` is node
    // traffic: matched by its node's address whatever the plugin.
    #[test]
    fn baseline_peers_include_host_network_pods_by_address() {
        assert_eq!(
            check(EXTERNAL_ONLY, PolicyKind::BaselineAdminNetworkPolicy, None, "default"),
            [
                "default applies to [\"ops/probe\", \"shop/db\", \"shop/web\"] and the ingress controller",
                "Egress 0 \"nodes\" Allow line 0 all=false pods=[\"shop/agent\"] by-address=[\"shop/agent\"] controller=false",
            ]
        );
    }

    // NetworkPolicy: an ipBlock peer matches pods by `status.podIPs` only
    // where the plugin does; a rule without `from` matches everything
    // ("If this field is empty or missing, this rule matches all sources",
    // https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/).
    #[test]
    fn network_policy_ip_blocks_match_pods_where_the_plugin_does() {
        let external = check(EXTERNAL_ONLY, PolicyKind::NetworkPolicy, Some("shop"), "db");
        assert_eq!(external[0], "db applies to [\"shop/db\"]");
        assert_eq!(
            external[1],
            "Ingress 0 \"-\" Allow line 0 all=false pods=[\"shop/web\"] by-address=[] controller=false"
        );
        assert!(external[2].contains("all=true"), "{}", external[2]);
        let matching = check(
            PolicyOptions { ip_blocks_match_pods: true },
            PolicyKind::NetworkPolicy,
            Some("shop"),
            "db",
        );
        assert_eq!(
            matching[1],
            "Ingress 0 \"-\" Allow line 0 all=false pods=[\"ops/probe\", \"shop/web\"] by-address=[\"ops/probe\"] controller=false"
        );
    }

    #[test]
    fn unknown_policies_are_none() {
        let cluster = objects();
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        assert!(engine.resolve_policy(PolicyKind::NetworkPolicy, Some("ops"), "db").is_none());
        assert!(engine.resolve_policy(PolicyKind::AdminNetworkPolicy, Some("shop"), "guard").is_none());
        let resolved = engine.resolve_policy(PolicyKind::AdminNetworkPolicy, None, "guard").unwrap();
        assert_eq!(resolved.policy.kind, PolicyKind::AdminNetworkPolicy);
    }
}
