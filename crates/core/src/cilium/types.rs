//! The objects, as `cilium.io/v2` declares them (`pkg/policy/api` in
//! cilium/cilium: `Rule`, `IngressRule`, `EgressRule`, `PortRule`, …).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

/// Which of the two kinds an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CiliumKind {
    /// `CiliumNetworkPolicy`: namespaced; selects endpoints of its namespace.
    NetworkPolicy,
    /// `CiliumClusterwideNetworkPolicy`: cluster-scoped.
    ClusterwideNetworkPolicy,
}

impl CiliumKind {
    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            CiliumKind::NetworkPolicy => "CiliumNetworkPolicy",
            CiliumKind::ClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
        }
    }
}

/// A `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CiliumObject {
    /// Which kind.
    pub kind: CiliumKind,
    /// The object.
    pub policy: CiliumPolicy,
}

/// Both kinds share one schema: a rule in `spec`, more in `specs`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumPolicy {
    /// Name, namespace.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// One rule.
    #[serde(default)]
    pub spec: Option<CiliumRule>,
    /// More rules, each like `spec`.
    #[serde(default)]
    pub specs: Option<Vec<CiliumRule>>,
}

impl CiliumPolicy {
    /// Every rule with its field path (`spec`, `specs[1]`).
    pub fn rules(&self) -> Vec<(String, &CiliumRule)> {
        let mut rules: Vec<(String, &CiliumRule)> =
            self.spec.iter().map(|r| ("spec".to_owned(), r)).collect();
        for (index, rule) in self.specs.iter().flatten().enumerate() {
            rules.push((format!("specs[{index}]"), rule));
        }
        rules
    }
}

/// One rule: the endpoints it applies to and what they may send and receive.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumRule {
    /// The pods the rule applies to.
    #[serde(default)]
    pub endpoint_selector: Option<LabelSelector>,
    /// The nodes the rule applies to (host firewall): outside the pod model.
    #[serde(default)]
    pub node_selector: Option<LabelSelector>,
    /// Allowed ingress.
    #[serde(default)]
    pub ingress: Option<Vec<IngressRule>>,
    /// Denied ingress: wins over every allow.
    #[serde(default)]
    pub ingress_deny: Option<Vec<IngressRule>>,
    /// Allowed egress.
    #[serde(default)]
    pub egress: Option<Vec<EgressRule>>,
    /// Denied egress: wins over every allow.
    #[serde(default)]
    pub egress_deny: Option<Vec<EgressRule>>,
    /// Whether the rule puts its endpoints in default deny, per direction.
    #[serde(default)]
    pub enable_default_deny: Option<DefaultDeny>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// `enableDefaultDeny` (Cilium 1.15+): unset directions default to true
/// when the rule has rules in that direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultDeny {
    /// Ingress.
    #[serde(default)]
    pub ingress: Option<bool>,
    /// Egress.
    #[serde(default)]
    pub egress: Option<bool>,
}

/// An ingress (or ingressDeny) rule. Its peer fields are ORed; `toPorts`
/// restricts the ports.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    /// Source endpoints by labels.
    #[serde(default)]
    pub from_endpoints: Option<Vec<LabelSelector>>,
    /// Labels every source must also have (deprecated upstream).
    #[serde(default)]
    pub from_requires: Option<Vec<LabelSelector>>,
    /// Source entities (`world`, `cluster`, …).
    #[serde(default)]
    pub from_entities: Option<Vec<String>>,
    /// Source CIDRs.
    #[serde(default, rename = "fromCIDR")]
    pub from_cidr: Option<Vec<String>>,
    /// Source CIDRs with exceptions.
    #[serde(default, rename = "fromCIDRSet")]
    pub from_cidr_set: Option<Vec<CidrRule>>,
    /// Source nodes by labels.
    #[serde(default)]
    pub from_nodes: Option<Vec<LabelSelector>>,
    /// Source cloud groups: outside the model.
    #[serde(default)]
    pub from_groups: Option<Vec<serde_json::Value>>,
    /// Destination ports (of the selected pod).
    #[serde(default)]
    pub to_ports: Option<Vec<PortRule>>,
    /// ICMP types: outside the model's TCP/UDP/SCTP.
    #[serde(default)]
    pub icmps: Option<Vec<serde_json::Value>>,
}

/// An egress (or egressDeny) rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    /// Destination endpoints by labels.
    #[serde(default)]
    pub to_endpoints: Option<Vec<LabelSelector>>,
    /// Labels every destination must also have (deprecated upstream).
    #[serde(default)]
    pub to_requires: Option<Vec<LabelSelector>>,
    /// Destination entities.
    #[serde(default)]
    pub to_entities: Option<Vec<String>>,
    /// Destination CIDRs.
    #[serde(default, rename = "toCIDR")]
    pub to_cidr: Option<Vec<String>>,
    /// Destination CIDRs with exceptions.
    #[serde(default, rename = "toCIDRSet")]
    pub to_cidr_set: Option<Vec<CidrRule>>,
    /// Destination Services.
    #[serde(default)]
    pub to_services: Option<Vec<ServiceSelector>>,
    /// Destination DNS names: resolved at run time, outside the model.
    #[serde(default, rename = "toFQDNs")]
    pub to_fqdns: Option<Vec<FqdnSelector>>,
    /// Destination nodes by labels.
    #[serde(default)]
    pub to_nodes: Option<Vec<LabelSelector>>,
    /// Destination cloud groups: outside the model.
    #[serde(default)]
    pub to_groups: Option<Vec<serde_json::Value>>,
    /// Destination ports.
    #[serde(default)]
    pub to_ports: Option<Vec<PortRule>>,
    /// ICMP types: outside the model's TCP/UDP/SCTP.
    #[serde(default)]
    pub icmps: Option<Vec<serde_json::Value>>,
}

/// A CIDR with exceptions (`fromCIDRSet`/`toCIDRSet`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CidrRule {
    /// The CIDR.
    #[serde(default)]
    pub cidr: Option<String>,
    /// A `CiliumCIDRGroup` by name: outside the model.
    #[serde(default)]
    pub cidr_group_ref: Option<String>,
    /// Sub-ranges left out.
    #[serde(default)]
    pub except: Option<Vec<String>>,
}

/// `toPorts[]`: ports, and L7 rules on them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortRule {
    /// The ports; none means every port.
    #[serde(default)]
    pub ports: Option<Vec<PortProtocol>>,
    /// L7 rules (`http`, `dns`, `kafka`, `l7proto`): requests are filtered
    /// by Cilium's proxy beyond what the model sees.
    #[serde(default)]
    pub rules: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One port: a number (or name), an optional end, a protocol.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortProtocol {
    /// A number, a name, or `"0"`/absent for every port.
    #[serde(default)]
    pub port: Option<IntOrString>,
    /// The last port of a range.
    #[serde(default)]
    pub end_port: Option<i32>,
    /// `TCP`, `UDP`, `SCTP` or `ANY` (the default).
    #[serde(default)]
    pub protocol: Option<String>,
}

/// A Service by name or by labels (`toServices`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSelector {
    /// By name.
    #[serde(default)]
    pub k8s_service: Option<ServiceName>,
    /// By labels.
    #[serde(default)]
    pub k8s_service_selector: Option<ServiceLabels>,
}

/// `k8sService`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceName {
    /// The Service's name.
    #[serde(default)]
    pub service_name: Option<String>,
    /// Its namespace (default: the policy's).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// `k8sServiceSelector`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLabels {
    /// The Services' labels.
    #[serde(default)]
    pub selector: LabelSelector,
    /// Their namespace (default: the policy's).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// `toFQDNs[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FqdnSelector {
    /// An exact name.
    #[serde(default)]
    pub match_name: Option<String>,
    /// A pattern with `*`.
    #[serde(default)]
    pub match_pattern: Option<String>,
}

impl FqdnSelector {
    /// The name or pattern, for messages.
    pub fn text(&self) -> &str {
        self.match_name.as_deref().or(self.match_pattern.as_deref()).unwrap_or_default()
    }
}
