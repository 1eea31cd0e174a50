//! Calico's own policies: `NetworkPolicy` and `GlobalNetworkPolicy`
//! (`projectcalico.org/v3`, and the `crd.projectcalico.org/v1` form the
//! CRD datastore stores), and the `Tier`s that order them
//! (<https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>,
//! <https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy>,
//! <https://docs.tigera.io/calico/latest/reference/resources/tier>).
//!
//! The policy engine ([`crate::policy`]) compiles them, with Kubernetes
//! NetworkPolicies at order 1000 of the `default` tier, when the cluster
//! runs Calico. This module holds the objects, the selector language
//! ([`Selector`]) and the facts that do not depend on the cluster: the
//! labels Calico adds, `types` defaults, tier order.

mod selector;
mod types;

use std::collections::BTreeMap;

pub use selector::{Selector, SelectorError, MAX_DEPTH};
pub use types::*;

/// The API group of `projectcalico.org/v3`.
pub const GROUP: &str = "projectcalico.org";

/// The API group of the CRD storage form.
pub const CRD_GROUP: &str = "crd.projectcalico.org";

/// The tier of policies that name none, and of Kubernetes NetworkPolicies.
pub const DEFAULT_TIER: &str = "default";

/// The order of the `default` tier when no `Tier` object says otherwise
/// (the tier reference: "the default tier ... order 1,000,000").
pub const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;

/// The order Calico gives Kubernetes NetworkPolicies in the `default` tier
/// (<https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-policy/kubernetes-network-policy>:
/// converted to `knp.default.<name>` with order 1000).
pub const KUBERNETES_POLICY_ORDER: f64 = 1000.0;

/// The label Calico gives every workload endpoint with its namespace.
pub const NAMESPACE_LABEL: &str = "projectcalico.org/namespace";

/// The label with the endpoint's orchestrator (`k8s`).
pub const ORCHESTRATOR_LABEL: &str = "projectcalico.org/orchestrator";

/// The label with the pod's service account.
pub const SERVICE_ACCOUNT_LABEL: &str = "projectcalico.org/serviceaccount";

/// The label Calico gives every namespace (and service account) with its
/// name, for `namespaceSelector` (and `serviceAccounts.selector`).
pub const NAME_LABEL: &str = "projectcalico.org/name";

/// The labels Calico's selectors see on a pod's workload endpoint: its own,
/// its namespace, orchestrator and service account, and its namespace's
/// labels with the `pcns.` prefix of the namespace profile.
pub fn endpoint_labels(
    pod_labels: &BTreeMap<String, String>,
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    service_account: &str,
) -> BTreeMap<String, String> {
    let mut labels = pod_labels.clone();
    labels.insert(NAMESPACE_LABEL.to_owned(), namespace.to_owned());
    labels.insert(ORCHESTRATOR_LABEL.to_owned(), "k8s".to_owned());
    labels.insert(SERVICE_ACCOUNT_LABEL.to_owned(), service_account.to_owned());
    for (key, value) in namespace_labels {
        labels.entry(format!("pcns.{key}")).or_insert_with(|| value.clone());
    }
    labels.insert(format!("pcns.{NAME_LABEL}"), namespace.to_owned());
    labels
}

/// The labels `namespaceSelector` sees on a namespace: its own plus
/// `projectcalico.org/name`.
pub fn namespace_labels(name: &str, labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut labels = labels.clone();
    labels.insert(NAME_LABEL.to_owned(), name.to_owned());
    labels
}

impl PolicySpec {
    /// `types`, defaulted as the reference says: `Ingress` when there are
    /// no egress rules, `Egress` when there are egress rules but no ingress
    /// rules, both when there are both.
    pub fn effective_types(&self) -> (bool, bool) {
        if let Some(types) = self.types.as_ref().filter(|t| !t.is_empty()) {
            return (types.iter().any(|t| t == "Ingress"), types.iter().any(|t| t == "Egress"));
        }
        let ingress = self.ingress.as_ref().is_some_and(|r| !r.is_empty());
        let egress = self.egress.as_ref().is_some_and(|r| !r.is_empty());
        match (ingress, egress) {
            (_, false) => (true, false),
            (false, true) => (false, true),
            (true, true) => (true, true),
        }
    }

    /// The tier's name.
    pub fn tier_name(&self) -> &str {
        self.tier.as_deref().filter(|t| !t.is_empty()).unwrap_or(DEFAULT_TIER)
    }
}

impl CalicoPolicy {
    /// The name as Calico orders policies of equal order: without the
    /// `tier.` prefix the CRD form carries for non-default tiers.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
