//! The objects, as `projectcalico.org/v3` declares them (the
//! `crd.projectcalico.org/v1` storage form has the same `spec`):
//! <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>,
//! `globalnetworkpolicy`, `tier`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

/// A Calico object the model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CalicoObject {
    /// `NetworkPolicy` (namespaced).
    NetworkPolicy(CalicoPolicy),
    /// `GlobalNetworkPolicy` (cluster-scoped).
    GlobalNetworkPolicy(CalicoPolicy),
    /// `Tier`.
    Tier(Tier),
    /// The operator's `Installation` (`operator.tigera.io/v1`): Calico
    /// installed by tigera-operator, with its version in the status.
    Installation(Installation),
}

/// Which kind of policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CalicoKind {
    /// `NetworkPolicy`.
    NetworkPolicy,
    /// `GlobalNetworkPolicy`.
    GlobalNetworkPolicy,
}

impl CalicoObject {
    /// The kind as written in manifests.
    pub fn kind(&self) -> &'static str {
        match self {
            CalicoObject::NetworkPolicy(_) => "NetworkPolicy",
            CalicoObject::GlobalNetworkPolicy(_) => "GlobalNetworkPolicy",
            CalicoObject::Tier(_) => "Tier",
            CalicoObject::Installation(_) => "Installation",
        }
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            CalicoObject::NetworkPolicy(p) | CalicoObject::GlobalNetworkPolicy(p) => &p.metadata,
            CalicoObject::Tier(t) => &t.metadata,
            CalicoObject::Installation(i) => &i.metadata,
        }
    }

    /// The object's metadata, to default its namespace.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            CalicoObject::NetworkPolicy(p) | CalicoObject::GlobalNetworkPolicy(p) => &mut p.metadata,
            CalicoObject::Tier(t) => &mut t.metadata,
            CalicoObject::Installation(i) => &mut i.metadata,
        }
    }

    /// Whether objects of its kind live in a namespace.
    pub fn is_namespaced(&self) -> bool {
        matches!(self, CalicoObject::NetworkPolicy(_))
    }
}

/// A `NetworkPolicy` or `GlobalNetworkPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoPolicy {
    /// Name, namespace.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    #[serde(default)]
    pub spec: PolicySpec,
}

/// `spec` of both policy kinds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    /// The tier (default `default`).
    #[serde(default)]
    pub tier: Option<String>,
    /// Lower first; absent is last.
    #[serde(default)]
    pub order: Option<f64>,
    /// The endpoints it applies to (default `all()`).
    #[serde(default)]
    pub selector: Option<String>,
    /// GlobalNetworkPolicy: the namespaces whose endpoints it applies to.
    #[serde(default)]
    pub namespace_selector: Option<String>,
    /// The service accounts whose endpoints it applies to.
    #[serde(default)]
    pub service_account_selector: Option<String>,
    /// `Ingress`, `Egress`; defaulted from the rules present.
    #[serde(default)]
    pub types: Option<Vec<String>>,
    /// Ingress rules, in order.
    #[serde(default)]
    pub ingress: Option<Vec<Rule>>,
    /// Egress rules, in order.
    #[serde(default)]
    pub egress: Option<Vec<Rule>>,
    /// GlobalNetworkPolicy on host endpoints: untracked traffic.
    #[serde(default)]
    pub do_not_track: Option<bool>,
    /// GlobalNetworkPolicy on host endpoints: before DNAT.
    #[serde(default, rename = "preDNAT")]
    pub pre_dnat: Option<bool>,
    /// GlobalNetworkPolicy on host endpoints: forwarded traffic.
    #[serde(default)]
    pub apply_on_forward: Option<bool>,
}

/// One rule: an action on the traffic it matches.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `Allow`, `Deny`, `Pass` or `Log`.
    #[serde(default)]
    pub action: String,
    /// `TCP`, `UDP`, `SCTP`, `ICMP`, … or a number.
    #[serde(default)]
    pub protocol: Option<IntOrString>,
    /// Every protocol but this one.
    #[serde(default)]
    pub not_protocol: Option<IntOrString>,
    /// ICMP type and code.
    #[serde(default)]
    pub icmp: Option<serde_json::Value>,
    /// Not this ICMP type and code.
    #[serde(default, rename = "notICMP")]
    pub not_icmp: Option<serde_json::Value>,
    /// 4 or 6.
    #[serde(default)]
    pub ip_version: Option<i64>,
    /// The source.
    #[serde(default)]
    pub source: Option<EntityRule>,
    /// The destination.
    #[serde(default)]
    pub destination: Option<EntityRule>,
    /// HTTP match (with the application layer policy): outside the model.
    #[serde(default)]
    pub http: Option<serde_json::Value>,
}

/// `source` / `destination`: every field present must match (ANDed).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRule {
    /// Addresses in one of these CIDRs.
    #[serde(default)]
    pub nets: Option<Vec<String>>,
    /// Addresses in none of these CIDRs.
    #[serde(default)]
    pub not_nets: Option<Vec<String>>,
    /// Endpoints matching this selector.
    #[serde(default)]
    pub selector: Option<String>,
    /// Endpoints not matching this selector.
    #[serde(default)]
    pub not_selector: Option<String>,
    /// Endpoints in namespaces matching this selector.
    #[serde(default)]
    pub namespace_selector: Option<String>,
    /// Ports: numbers, `"from:to"` ranges, names.
    #[serde(default)]
    pub ports: Option<Vec<IntOrString>>,
    /// Not these ports.
    #[serde(default)]
    pub not_ports: Option<Vec<IntOrString>>,
    /// Endpoints running as these service accounts.
    #[serde(default)]
    pub service_accounts: Option<ServiceAccountMatch>,
    /// A Service: its endpoints (destination) or pods (source).
    #[serde(default)]
    pub services: Option<ServiceMatch>,
}

/// `serviceAccounts`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountMatch {
    /// By name.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// By the ServiceAccount's labels.
    #[serde(default)]
    pub selector: Option<String>,
}

/// `services`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMatch {
    /// The Service's name.
    #[serde(default)]
    pub name: String,
    /// Its namespace (default: the policy's).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A `Tier`: an ordered group of policies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    /// Name.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Order and default action.
    #[serde(default)]
    pub spec: TierSpec,
}

/// `Tier.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TierSpec {
    /// Lower first; absent is last.
    #[serde(default)]
    pub order: Option<f64>,
    /// `Deny` (the default) or `Pass`: what happens to traffic no policy
    /// of the tier decides.
    #[serde(default)]
    pub default_action: Option<String>,
}

/// The operator's `Installation`
/// (<https://docs.tigera.io/calico/latest/reference/installation/api#installation>),
/// for the fields that identify the plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    /// Name (`default`).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// What to install.
    #[serde(default)]
    pub spec: InstallationSpec,
    /// What was installed, when the input is a dump.
    #[serde(default)]
    pub status: Option<InstallationStatus>,
}

/// `Installation.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationSpec {
    /// `Calico` or `TigeraSecureEnterprise`.
    #[serde(default)]
    pub variant: Option<String>,
    /// The CNI plugin: Calico's own, or another with Calico for policy only.
    #[serde(default)]
    pub cni: Option<InstallationCni>,
}

/// `Installation.spec.cni`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationCni {
    /// `Calico`, `AmazonVPC`, `AzureVNET` or `GKE`.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
}

/// `Installation.status`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationStatus {
    /// The version running (`v3.29.1`).
    #[serde(default)]
    pub calico_version: Option<String>,
    /// The variant running.
    #[serde(default)]
    pub variant: Option<String>,
}
