//! Rules about NetworkPolicies: enforcement, selectors, ports, and the
//! traffic they block (cluster DNS, the ingress controller).
//!
//! One file per rule or family of rules; what they share is here.

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::policy::PolicyRef;

mod default_deny;
mod dns;
mod enforced;
mod ingress_controller;
mod ports;
mod selectors;
#[cfg(test)]
pub(super) mod testing;

pub use default_deny::NamespaceNoDefaultDeny;
pub(super) use dns::admin_dns_denial;
pub use dns::NetworkpolicyEgressBlocksDns;
pub use enforced::NetworkpolicyNotEnforced;
pub use ingress_controller::NetworkpolicyBlocksIngressController;
pub use ports::{NetworkpolicyNamedPortUnresolved, NetworkpolicyPortIsServicePort};
pub use selectors::{NetworkpolicyPeerSelectsNothing, NetworkpolicySelectsNothing};

fn policy_namespace(policy: &NetworkPolicy) -> &str {
    policy.metadata.namespace.as_deref().unwrap_or("default")
}

/// The NetworkPolicies among `policies`, as `(namespace, name)`, sorted.
fn network_policy_refs(policies: &[PolicyRef]) -> Vec<(String, String)> {
    let mut refs: Vec<(String, String)> = policies
        .iter()
        .filter(|p| p.kind == crate::policy::PolicyKind::NetworkPolicy)
        .map(|p| (p.namespace.clone().unwrap_or_default(), p.name.clone()))
        .collect();
    refs.sort();
    refs.dedup();
    refs
}
