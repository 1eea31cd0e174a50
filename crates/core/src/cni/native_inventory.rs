//! Which of the plugins' own policies the input holds, counted by kind and
//! (for Calico) tier, for `inventory`: they are part of the model, not
//! skipped, and whether the detected plugin enforces them is said beside
//! them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{NativePolicies, PluginBehaviour};
use crate::calico::CalicoObject;
use crate::model::Cluster;

/// How many policies of one kind (and tier) the input holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NativePolicyCount {
    /// The kind as manifests write it (`CiliumNetworkPolicy`,
    /// `GlobalNetworkPolicy`, `NetworkPolicy.projectcalico.org`, `Tier`).
    pub kind: String,
    /// The Calico tier of the policies (`default` when they name none);
    /// `None` for Cilium's kinds and for Tiers.
    pub tier: Option<String>,
    /// How many.
    pub count: usize,
    /// Whether the cluster's plugin enforces them (assumed when no plugin
    /// is recognised).
    pub enforced: bool,
}

/// The plugins' own policies (and Calico Tiers) of `cluster`, by kind and tier.
pub fn native_policy_counts(cluster: &Cluster, plugin: &PluginBehaviour) -> Vec<NativePolicyCount> {
    let mut counts: BTreeMap<(String, Option<String>, bool), usize> = BTreeMap::new();
    let cilium = plugin.enforces_native(NativePolicies::Cilium);
    for object in cluster.cilium_policies() {
        *counts.entry((object.value.kind.as_str().to_owned(), None, cilium)).or_default() += 1;
    }
    let calico = plugin.enforces_native(NativePolicies::Calico);
    for object in cluster.calico_objects() {
        let key = match &object.value {
            CalicoObject::NetworkPolicy(policy) => (
                "NetworkPolicy.projectcalico.org".to_owned(),
                Some(policy.spec.tier_name().to_owned()),
                calico,
            ),
            CalicoObject::GlobalNetworkPolicy(policy) => {
                ("GlobalNetworkPolicy".to_owned(), Some(policy.spec.tier_name().to_owned()), calico)
            }
            CalicoObject::Tier(_) => ("Tier".to_owned(), None, calico),
            CalicoObject::Installation(_) => continue,
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((kind, tier, enforced), count)| NativePolicyCount { kind, tier, count, enforced })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    #[test]
    fn counts_by_kind_and_tier() {
        let calico = |kind: &str, name: &str, tier: Option<&str>| {
            json!({"apiVersion": "projectcalico.org/v3", "kind": kind,
                   "metadata": {"namespace": "a", "name": name}, "spec": {"tier": tier}})
        };
        let cilium = json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                            "metadata": {"namespace": "a", "name": "c"}, "spec": {"endpointSelector": {}}});
        let tier = json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
                          "spec": {"order": 100}});
        let cluster = cluster(vec![
            calico("NetworkPolicy", "x", None),
            calico("NetworkPolicy", "security.y", Some("security")),
            calico("GlobalNetworkPolicy", "security.z", Some("security")),
            calico("NetworkPolicy", "w", Some("default")),
            cilium,
            tier,
        ]);
        let plugin = crate::cni::given("calico");
        let plugin = PluginBehaviour::from_detection(plugin, &Default::default());
        let described: Vec<String> = native_policy_counts(&cluster, &plugin)
            .iter()
            .map(|c| format!("{} {} {} {}", c.kind, c.tier.as_deref().unwrap_or("-"), c.count, c.enforced))
            .collect();
        assert_eq!(
            described,
            [
                "CiliumNetworkPolicy - 1 false",
                "GlobalNetworkPolicy security 1 true",
                "NetworkPolicy.projectcalico.org default 2 true",
                "NetworkPolicy.projectcalico.org security 1 true",
                "Tier - 1 true",
            ]
        );
    }
}
