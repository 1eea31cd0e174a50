//! The peer or the policy a `fix:` names when the usual "add an ingress
//! rule from these pods" would not change the verdict: a `hostNetwork`
//! source, which only an `ipBlock` of its node's addresses matches, and a
//! denial by an AdminNetworkPolicy, which no NetworkPolicy can override.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::model::{Cluster, PodId};
use crate::policy::IpRange;
use crate::policy::{host_network_addresses, DirectionExplanation, HostNetwork, Tier, Verdict};
use crate::ports::Protocol;

/// The `ipBlock` peer that admits `pods` when they use the host network
/// and the plugin sees them as their node: a `podSelector` or
/// `namespaceSelector` never matches them, their traffic carries the node's
/// address
/// (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>).
/// `None` when none of `pods` is such a pod.
pub(crate) fn host_network_peer(
    cluster: &Cluster,
    pods: &[PodId],
    host_network: HostNetwork,
) -> Option<String> {
    if host_network != HostNetwork::Node {
        return None;
    }
    let host_pods: Vec<PodId> = pods.iter().copied().filter(|id| cluster.pod(*id).host_network()).collect();
    if host_pods.is_empty() {
        return None;
    }
    let addresses: BTreeSet<IpAddr> =
        host_pods.iter().flat_map(|id| host_network_addresses(cluster, cluster.pod(*id))).collect();
    let blocks: Vec<String> =
        addresses.iter().map(|a| format!("`{}`", IpRange::from_addr(*a).id())).collect();
    Some(if blocks.is_empty() {
        "an `ipBlock` of the addresses of the nodes they run on (they use the host network, so no \
         `podSelector` or `namespaceSelector` matches them)"
            .to_owned()
    } else {
        format!(
            "`ipBlock` {} (the addresses of the nodes they run on: they use the host network, so no \
             `podSelector` or `namespaceSelector` matches them)",
            blocks.join(", ")
        )
    })
}

/// When an AdminNetworkPolicy `Deny` rule decides `protocol`/`port` in
/// `direction`, the fix that would change it: no NetworkPolicy can
/// override it
/// (<https://network-policy-api.sigs.k8s.io/reference/spec/>,
/// `AdminNetworkPolicyRuleAction`).
pub(crate) fn admin_deny_fix(
    direction: &DirectionExplanation,
    protocol: Protocol,
    port: u16,
) -> Option<String> {
    let step = direction.deciding_step(protocol, port)?;
    if step.tier != Tier::Admin || step.verdict != Verdict::Deny {
        return None;
    }
    let policy = step.policy.as_ref()?;
    let rule = step.rule_name.as_deref().map(|n| format!(" `{n}`")).unwrap_or_default();
    Some(format!(
        "AdminNetworkPolicy `{}` denies it with its rule{rule}, which no NetworkPolicy can override: add an \
         `Allow` rule for it before that rule, or narrow the rule",
        policy.name
    ))
}
