//! Whether a denial is one a policy means: a default deny isolating the
//! pod, a rule that admits the pair on other ports only, or an explicit
//! `Deny` rule of an AdminNetworkPolicy. A block a policy intends needs no
//! fix; what it needs is the name of that policy and the change that would
//! allow the connection if it should be allowed after all.
//!
//! A NetworkPolicy that selects pods for a direction and lists no rule for
//! it allows nothing in that direction: the "default deny" of the
//! NetworkPolicy docs
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies>).
//! An AdminNetworkPolicy `Deny` rule cannot be overridden by any
//! NetworkPolicy (<https://network-policy-api.sigs.k8s.io/reference/spec/>,
//! `AdminNetworkPolicyRuleAction`).

use super::{Direction, DirectionExplanation, PolicyKind, PolicyRef, Step, Tier, Verdict};
use crate::model::Cluster;
use crate::origin::Location;
use crate::ports::{ConnectionSet, Protocol};

/// Which policy means a denial, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenialIntent {
    /// Rules admit the pair, on other ports only: the port is left out.
    OtherPorts {
        /// The rules that admit the pair (policy, rule index, rule location).
        rules: Vec<(PolicyRef, Option<usize>, Option<Location>)>,
        /// What they admit.
        allowed: ConnectionSet,
    },
    /// NetworkPolicies isolate the pod with no rule for the direction (a
    /// default deny), and no rule of the others admits the pair at all.
    DefaultDeny {
        /// The policies with no rule for the direction.
        policies: Vec<PolicyRef>,
    },
    /// An AdminNetworkPolicy rule denies it, whatever NetworkPolicies say.
    AdminDeny {
        /// The policy.
        policy: PolicyRef,
        /// The rule's index.
        rule: Option<usize>,
        /// The rule's name.
        rule_name: Option<String>,
        /// The rule's location.
        location: Option<Location>,
    },
}

impl DirectionExplanation {
    /// The step that decided `protocol`/`port`: the first that covers it
    /// and is not a `Pass`, which hands the port on to the next tier.
    pub fn deciding_step(&self, protocol: Protocol, port: u16) -> Option<&Step> {
        self.steps.iter().find(|s| s.verdict != Verdict::Pass && s.connections.contains(protocol, port))
    }
}

/// Whether a policy means the denial of `protocol`/`port` that `direction`
/// explains; `None` when the connection is allowed, or when nothing shows
/// that the denial is meant (a rule for other peers may have missed this
/// one by a typo).
pub fn denial_intent(
    cluster: &Cluster,
    direction: &DirectionExplanation,
    protocol: Protocol,
    port: u16,
) -> Option<DenialIntent> {
    if direction.allowed.contains(protocol, port) {
        return None;
    }
    let deciding = direction.deciding_step(protocol, port)?;
    if deciding.verdict != Verdict::Deny {
        return None;
    }
    if let (Tier::Admin, Some(policy)) = (deciding.tier, &deciding.policy) {
        return Some(DenialIntent::AdminDeny {
            policy: policy.clone(),
            rule: deciding.rule,
            rule_name: deciding.rule_name.clone(),
            location: deciding.location.clone(),
        });
    }
    if deciding.tier != Tier::Network || deciding.policy.is_some() {
        return None;
    }
    let rules: Vec<(PolicyRef, Option<usize>, Option<Location>)> = direction
        .steps
        .iter()
        .filter(|s| s.verdict == Verdict::Allow && s.tier == Tier::Network)
        .filter_map(|s| Some((s.policy.clone()?, s.rule, s.location.clone())))
        .collect();
    if !rules.is_empty() && !direction.allowed.is_empty() {
        return Some(DenialIntent::OtherPorts { rules, allowed: direction.allowed.clone() });
    }
    let policies: Vec<PolicyRef> = direction
        .isolated_by
        .iter()
        .filter(|p| denies_all(cluster, p, direction.direction))
        .cloned()
        .collect();
    if policies.is_empty() || !direction.allowed.is_empty() {
        return None;
    }
    Some(DenialIntent::DefaultDeny { policies })
}

/// Whether `policy`, a NetworkPolicy isolating pods for `direction`, has
/// no rule for it (`ingress: []` or none at all).
pub fn denies_all(cluster: &Cluster, policy: &PolicyRef, direction: Direction) -> bool {
    if policy.kind != PolicyKind::NetworkPolicy {
        return false;
    }
    let Some(object) = cluster.network_policies().iter().find(|p| {
        p.value.metadata.name.as_deref() == Some(policy.name.as_str())
            && p.value.metadata.namespace.as_deref() == policy.namespace.as_deref()
    }) else {
        return false;
    };
    let Some(spec) = &object.value.spec else { return true };
    match direction {
        Direction::Ingress => spec.ingress.as_ref().is_none_or(Vec::is_empty),
        Direction::Egress => spec.egress.as_ref().is_none_or(Vec::is_empty),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::policy::testing::{
        admin_policy, blue_and_red, cluster, endpoint, network_policy, EXTERNAL_ONLY,
    };
    use crate::policy::PolicyEngine;

    /// The intent behind the denial of TCP `port` from `x/b` to `x/a`
    /// under `policies`.
    fn check(policies: &[Value], port: u16) -> Option<DenialIntent> {
        let cluster = cluster(&blue_and_red(policies));
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let explanation = engine.explain(&endpoint(&cluster, "x/b"), &endpoint(&cluster, "x/a"));
        denial_intent(&cluster, &explanation.ingress, Protocol::Tcp, port)
    }

    fn names(policies: &[PolicyRef]) -> Vec<&str> {
        policies.iter().map(|p| p.name.as_str()).collect()
    }

    /// The docs' "Default deny all ingress traffic" policy.
    fn deny_all() -> Value {
        network_policy("x", "default-deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}))
    }

    /// `x/b` admitted to `x/a` on TCP 9090 only.
    fn b_on_9090() -> Value {
        network_policy(
            "x",
            "b-on-9090",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app": "b"}}}], "ports": [{"port": 9090}]}
            ]}),
        )
    }

    /// `x/a` admits only pods labelled `app=web`.
    fn from_web() -> Value {
        network_policy(
            "x",
            "from-web",
            json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}
            ]}),
        )
    }

    /// A default deny means every block it makes.
    #[test]
    fn default_deny_is_intended() {
        let Some(DenialIntent::DefaultDeny { policies }) = check(&[deny_all()], 8080) else {
            panic!("a default deny")
        };
        assert_eq!(names(&policies), ["default-deny"]);
    }

    /// A default deny beside allow rules for other clients still means it.
    #[test]
    fn default_deny_beside_other_clients() {
        let Some(DenialIntent::DefaultDeny { policies }) = check(&[deny_all(), from_web()], 8080) else {
            panic!("a default deny")
        };
        assert_eq!(names(&policies), ["default-deny"]);
    }

    /// A rule admitting the pair on 9090 only leaves 8080 out on purpose.
    #[test]
    fn other_ports_only() {
        let Some(DenialIntent::OtherPorts { rules, allowed }) = check(&[b_on_9090()], 8080) else {
            panic!("other ports")
        };
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].0.name, "b-on-9090");
        assert_eq!(rules[0].1, Some(0));
        assert!(allowed.contains(Protocol::Tcp, 9090));
    }

    /// Rules for other clients alone do not show intent: the selector may
    /// be a typo, and the trace keeps its fix.
    #[test]
    fn rules_for_other_clients_are_not_intent() {
        assert_eq!(check(&[from_web()], 8080), None);
    }

    /// An allowed connection has no denial to mean.
    #[test]
    fn allowed_has_no_intent() {
        assert_eq!(check(&[b_on_9090()], 9090), None);
        assert_eq!(check(&[], 8080), None);
    }

    /// An AdminNetworkPolicy `Deny` rule wins over every NetworkPolicy.
    #[test]
    fn admin_deny() {
        let anp = admin_policy(
            "lock-a",
            json!({
                "priority": 10,
                "subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}},
                "ingress": [{"name": "no-b", "action": "Deny",
                    "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "b"}}}}]}]
            }),
        );
        let Some(DenialIntent::AdminDeny { policy, rule_name, .. }) = check(&[anp], 8080) else {
            panic!("an admin deny")
        };
        assert_eq!(policy.name, "lock-a");
        assert_eq!(rule_name.as_deref(), Some("no-b"));
    }
}
