//! AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (`policy.networking.k8s.io/v1alpha1`, <https://network-policy-api.sigs.k8s.io/reference/spec/>).
//!
//! These are CRDs of the sig-network network-policy-api project, not part of
//! `k8s-openapi`, so their types are declared here, field for field as the
//! API defines them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// A cluster-scoped, priority-ordered policy evaluated before NetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicy {
    /// Object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    pub spec: AdminNetworkPolicySpec,
}

/// `AdminNetworkPolicy.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicySpec {
    /// 0–1000; lower numbers win.
    pub priority: i32,
    /// The pods the policy applies to.
    pub subject: AdminNetworkPolicySubject,
    /// Ingress rules, in order; the first match decides.
    #[serde(default)]
    pub ingress: Vec<AdminNetworkPolicyIngressRule>,
    /// Egress rules, in order; the first match decides.
    #[serde(default)]
    pub egress: Vec<AdminNetworkPolicyEgressRule>,
}

/// The cluster-wide default policy evaluated after NetworkPolicy. Its name must be `default`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineAdminNetworkPolicy {
    /// Object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    pub spec: BaselineAdminNetworkPolicySpec,
}

/// `BaselineAdminNetworkPolicy.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineAdminNetworkPolicySpec {
    /// The pods the policy applies to.
    pub subject: AdminNetworkPolicySubject,
    /// Ingress rules (actions `Allow` or `Deny`).
    #[serde(default)]
    pub ingress: Vec<AdminNetworkPolicyIngressRule>,
    /// Egress rules (actions `Allow` or `Deny`).
    #[serde(default)]
    pub egress: Vec<AdminNetworkPolicyEgressRule>,
}

/// Exactly one of `namespaces` or `pods`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicySubject {
    /// All pods of the namespaces matching this selector.
    pub namespaces: Option<LabelSelector>,
    /// Pods matching `podSelector` in namespaces matching `namespaceSelector`.
    pub pods: Option<NamespacedPod>,
}

/// A pod selector scoped by a namespace selector.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedPod {
    /// Which namespaces (absent: all).
    #[serde(default)]
    pub namespace_selector: LabelSelector,
    /// Which pods in them (absent: all).
    #[serde(default)]
    pub pod_selector: LabelSelector,
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum AdminPolicyAction {
    /// Allow the traffic; lower tiers are not consulted.
    Allow,
    /// Drop the traffic; lower tiers are not consulted.
    Deny,
    /// Skip the remaining AdminNetworkPolicies and let NetworkPolicy decide (ANP only).
    Pass,
}

/// An ingress rule of an (Baseline)AdminNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicyIngressRule {
    /// Rule name, for humans.
    #[serde(default)]
    pub name: Option<String>,
    /// The action when the rule matches.
    pub action: AdminPolicyAction,
    /// Sources (at least one).
    #[serde(default)]
    pub from: Vec<AdminNetworkPolicyPeer>,
    /// Ports; absent means all ports.
    pub ports: Option<Vec<AdminNetworkPolicyPort>>,
}

/// An egress rule of an (Baseline)AdminNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicyEgressRule {
    /// Rule name, for humans.
    #[serde(default)]
    pub name: Option<String>,
    /// The action when the rule matches.
    pub action: AdminPolicyAction,
    /// Destinations (at least one).
    #[serde(default)]
    pub to: Vec<AdminNetworkPolicyPeer>,
    /// Ports; absent means all ports.
    pub ports: Option<Vec<AdminNetworkPolicyPort>>,
}

/// Exactly one of the fields is set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicyPeer {
    /// All pods of matching namespaces.
    pub namespaces: Option<LabelSelector>,
    /// Matching pods of matching namespaces.
    pub pods: Option<NamespacedPod>,
    /// Nodes matching the selector (egress only).
    pub nodes: Option<LabelSelector>,
    /// CIDRs (egress only).
    pub networks: Option<Vec<String>>,
}

/// Exactly one of the fields is set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminNetworkPolicyPort {
    /// One port of one protocol.
    pub port_number: Option<AdminPortNumber>,
    /// A container port name, resolved against the destination pod.
    pub named_port: Option<String>,
    /// An inclusive range of one protocol.
    pub port_range: Option<AdminPortRange>,
}

/// `portNumber`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminPortNumber {
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// The port.
    pub port: i32,
}

/// `portRange`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminPortRange {
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// First port.
    pub start: i32,
    /// Last port, inclusive.
    pub end: i32,
}
