//! KR804: a Calico `Pass` rule with no tier after it. "If a NetworkPolicy
//! or GlobalNetworkPolicy in the Tier Passes the packet, the next Tier
//! containing a Policy that applies to the endpoint processes the packet
//! ... If the last Tier applying to the endpoint Passes the packet, that
//! endpoint's Profiles are evaluated"
//! (<https://docs.tigera.io/calico-enterprise/latest/reference/resources/tier>),
//! and the profile Calico gives every Kubernetes namespace allows
//! everything: a `Pass` meant to hand traffic to a later tier's deny
//! allows it when no later tier has a policy for the pod.
//!
//! The policy engine orders the policies that apply to a pod
//! ([`crate::policy::PolicyEngine::selecting_policies`]); this rule reads
//! that order and each policy's tier.

use std::collections::{BTreeMap, BTreeSet};

use crate::calico::{CalicoObject, Rule, DEFAULT_TIER};
use crate::check::native_selects::{native_policies, NativeObject};
use crate::check::service::workload_name;
use crate::check::{declare_rule, list, Context, Emitter};
use crate::model::PodId;
use crate::policy::{Direction, PolicyKind, PolicyRef};

/// The tier of a policy in the evaluation order: Calico's tier for its
/// own kinds, `default` for Kubernetes NetworkPolicies, and the admin tiers
/// by their kind.
fn tier_of<'a>(
    policy: &PolicyRef,
    calico_tiers: &'a BTreeMap<(PolicyKind, Option<String>, String), String>,
) -> &'a str {
    match policy.kind {
        PolicyKind::NetworkPolicy => DEFAULT_TIER,
        PolicyKind::AdminNetworkPolicy => "adminnetworkpolicy",
        PolicyKind::BaselineAdminNetworkPolicy => "baselineadminnetworkpolicy",
        _ => calico_tiers
            .get(&(policy.kind, policy.namespace.clone(), policy.name.clone()))
            .map(String::as_str)
            .unwrap_or(DEFAULT_TIER),
    }
}

fn calico_pass_no_next_tier(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let natives: Vec<NativeObject<'_>> =
        native_policies(cluster).into_iter().filter(|n| n.kind.is_calico()).collect();
    if natives.is_empty() || !ctx.plugin().enforces_native(crate::cni::NativePolicies::Calico) {
        return;
    }
    let mut tiers = BTreeMap::new();
    let mut specs = BTreeMap::new();
    for object in cluster.calico_objects() {
        let (kind, policy) = match &object.value {
            CalicoObject::NetworkPolicy(p) => (PolicyKind::CalicoNetworkPolicy, p),
            CalicoObject::GlobalNetworkPolicy(p) => (PolicyKind::CalicoGlobalNetworkPolicy, p),
            _ => continue,
        };
        let namespace = policy.metadata.namespace.clone().filter(|_| kind == PolicyKind::CalicoNetworkPolicy);
        let key = (kind, namespace, policy.name().to_owned());
        tiers.insert(key.clone(), policy.spec.tier_name().to_owned());
        specs.insert(key, &policy.spec);
    }
    for native in natives {
        let key = (
            native.kind,
            native.namespace().map(str::to_owned),
            native.metadata.name.clone().unwrap_or_default(),
        );
        let Some(spec) = specs.get(&key) else { continue };
        let (ingress, egress) = spec.effective_types();
        for (direction, applies, rules, field) in [
            (Direction::Ingress, ingress, spec.ingress.as_deref(), "ingress"),
            (Direction::Egress, egress, spec.egress.as_deref(), "egress"),
        ] {
            let Some(index) = first_pass(rules.unwrap_or_default()).filter(|_| applies) else { continue };
            let stranded = pods_passed_to_no_tier(ctx, &key, direction, &tiers);
            if stranded.is_empty() {
                continue;
            }
            let tier = &tiers[&key];
            let message = format!(
                "the `Pass` rule of this {} in tier `{tier}` has no later tier to pass to for {}: Calico then \
                 applies the namespace profile, which allows the traffic",
                native.manifest_kind,
                list(&stranded.into_iter().collect::<Vec<_>>(), 3)
            );
            let fix = format!(
                "use `Deny` (or `Allow`) if this is the last decision, or add a policy in a later tier (a higher \
                 `order` than `{tier}`, or the `default` tier) that selects these pods and decides the traffic"
            );
            out.emit(&native.subject(), &format!("spec.{field}[{index}].action"), message, fix);
        }
    }
}

/// The index of the first `Pass` rule.
fn first_pass(rules: &[Rule]) -> Option<usize> {
    rules.iter().position(|rule| rule.action == "Pass")
}

/// The workloads whose pods the policy `key` applies to in `direction`
/// and after whose tier no policy of another tier applies.
fn pods_passed_to_no_tier(
    ctx: &Context<'_>,
    key: &(PolicyKind, Option<String>, String),
    direction: Direction,
    tiers: &BTreeMap<(PolicyKind, Option<String>, String), String>,
) -> BTreeSet<String> {
    let cluster = ctx.cluster;
    let own_tier = tiers.get(key).map(String::as_str).unwrap_or(DEFAULT_TIER);
    let mut verdicts: BTreeMap<usize, bool> = BTreeMap::new();
    let mut stranded = BTreeSet::new();
    for index in 0..cluster.pods().len() {
        let id = PodId(index as u32);
        let alone = *verdicts.entry(ctx.engine().class_of(id)).or_insert_with(|| {
            let order = ctx.engine().selecting_policies(id, direction);
            let Some(position) =
                order.iter().position(|p| p.kind == key.0 && p.namespace == key.1 && p.name == key.2)
            else {
                return false;
            };
            order[position + 1..].iter().all(|later| tier_of(later, tiers) == own_tier)
        });
        if alone {
            stranded.insert(workload_name(cluster, cluster.pod(id)));
        }
    }
    stranded
}

declare_rule! {
    /// ## What it does
    /// Finds Calico `NetworkPolicy` and `GlobalNetworkPolicy` rules with
    /// `action: Pass` whose pods have no policy in a later tier: for those
    /// pods the `Pass` reaches the end of the tiers.
    ///
    /// ## Why does this break traffic?
    /// `Pass` skips the rest of the policy's tier and hands the connection
    /// to the next tier that has a policy for the pod. When there is none,
    /// Calico evaluates the pod's profile, and the profile of a Kubernetes
    /// namespace allows everything: traffic an administrator meant to
    /// delegate to the application teams' policies (usually denied there)
    /// is allowed because no such policy exists, or it sits in the same
    /// tier, which a `Pass` skips.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: shop/api:1.0
    /// ---
    /// apiVersion: projectcalico.org/v3
    /// kind: Tier
    /// metadata:
    ///   name: security
    /// spec:
    ///   order: 100
    /// ---
    /// apiVersion: projectcalico.org/v3
    /// kind: GlobalNetworkPolicy
    /// metadata:
    ///   name: security.delegate
    /// spec:
    ///   tier: security
    ///   selector: all()
    ///   types:
    ///   - Ingress
    ///   ingress:
    ///   - action: Pass
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: shop/api:1.0
    /// ---
    /// apiVersion: projectcalico.org/v3
    /// kind: Tier
    /// metadata:
    ///   name: security
    /// spec:
    ///   order: 100
    /// ---
    /// apiVersion: projectcalico.org/v3
    /// kind: GlobalNetworkPolicy
    /// metadata:
    ///   name: security.delegate
    /// spec:
    ///   tier: security
    ///   selector: all()
    ///   types:
    ///   - Ingress
    ///   ingress:
    ///   - action: Pass
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-from-shop
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   ingress:
    ///   - from:
    ///     - podSelector: {}
    /// ```
    ///
    /// ## Known problems
    /// Only the first `Pass` rule of each direction is reported, for the pods
    /// the policy applies to; whether the rule's own match (source,
    /// destination, ports) covers traffic to them is not weighed. A tier's
    /// `defaultAction: Pass` is not reported.
    ///
    /// ## References
    /// - <https://docs.tigera.io/calico/latest/reference/resources/tier>
    /// - <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#rule>
    /// - <https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy>
    pub struct CalicoPassNoNextTier {
        code: "KR804",
        name: "calico-pass-no-next-tier",
        severity: Warning,
        summary: "a Calico `Pass` rule whose pods have no policy in a later tier",
        check: calico_pass_no_next_tier,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::check::testing::findings;

    fn pod() -> Value {
        json!({"kind": "Pod", "metadata": {"namespace": "shop", "name": "api", "labels": {"app": "api"}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}})
    }

    fn global(name: &str, tier: &str, action: &str) -> Value {
        json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
               "spec": {"tier": tier, "selector": "all()", "types": ["Ingress"], "ingress": [{"action": action}]}})
    }

    fn tier(name: &str, order: u32) -> Value {
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name},
               "spec": {"order": order}})
    }

    fn check(objects: Vec<Value>) -> Vec<String> {
        findings("calico-pass-no-next-tier", objects)
    }

    #[test]
    fn pass_with_no_later_tier() {
        let found =
            check(vec![pod(), tier("security", 100), global("security.delegate", "security", "Pass")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("in tier `security` has no later tier to pass to for `Pod/api`"),
            "{found:?}"
        );
        // A later tier with a policy for the pod takes the connection.
        let later = global("default.deny", "default", "Deny");
        assert!(check(vec![
            pod(),
            tier("security", 100),
            global("security.delegate", "security", "Pass"),
            later
        ])
        .is_empty());
        // So does a Kubernetes NetworkPolicy, which sits in the `default` tier.
        let network_policy = json!({"kind": "NetworkPolicy", "metadata": {"namespace": "shop", "name": "np"},
                                    "spec": {"podSelector": {}, "ingress": [{}]}});
        assert!(check(vec![
            pod(),
            tier("security", 100),
            global("security.delegate", "security", "Pass"),
            network_policy
        ])
        .is_empty());
    }

    // A policy of the same tier after the `Pass` is skipped by it.
    #[test]
    fn same_tier_policies_do_not_count() {
        let mut same = global("security.later", "security", "Deny");
        same["spec"]["order"] = json!(200);
        let mut first = global("security.delegate", "security", "Pass");
        first["spec"]["order"] = json!(100);
        let found = check(vec![pod(), tier("security", 100), first, same]);
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
