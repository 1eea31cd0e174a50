//! The cluster's plugin behaviour: one value, derived once from CNI
//! detection, that every query (trace, matrix, diff, dns, check) is given.
//!
//! It answers the questions the Kubernetes API leaves to the network plugin:
//!
//! - whether NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy
//!   take effect at all ([`CniDetection`], by plugin and version);
//! - whether an `ipBlock` also matches pod addresses. The NetworkPolicy docs
//!   say ipBlocks "should be cluster-external IPs, since Pod IPs are
//!   ephemeral and unpredictable" and leave the rest open
//!   (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>).
//!   Calico (and Canal, its policy engine) matches every address, pods
//!   included (projectcalico/calico#6634: an egress rule to `0.0.0.0/0`
//!   reaches in-cluster Services); Cilium (and GKE Dataplane V2, built on
//!   it) never matches pods with CIDR rules ("`ipBlock` set with a pod IP"
//!   is a known missing feature of its Kubernetes compatibility page,
//!   cilium/cilium#9209, #19601). For other plugins the model keeps the
//!   docs' reading: ipBlocks match addresses outside the cluster only;
//! - whether an `ipBlock` (and Cilium's `fromCIDR`/`toCIDR`/`fromCIDRSet`,
//!   Calico's `nets`, ANP `networks`) matches traffic from or to the
//!   cluster's nodes: the host, the other nodes, `hostNetwork` pods seen as
//!   their node, and connections a node SNATs to its own address. Cilium
//!   (and GKE Dataplane V2) does not by default: "By default, CIDR-based
//!   selectors do not match in-cluster entities (pods or nodes). Optionally,
//!   you can direct the policy engine to select nodes by CIDR / ipBlock.
//!   This requires you to configure Cilium with
//!   `--policy-cidr-match-mode=nodes`" (Cilium ≥ 1.15, docs "Layer 3
//!   Policies", "Selecting nodes with CIDR / ipBlock", cilium/cilium#28421;
//!   "Previously, only the remote-node and host entities could select
//!   nodes", cilium/cilium-cli#1988). Other plugins match a node's address
//!   like any other (Calico's `nets` and ipBlocks are plain address
//!   matches), so does the model for them;
//! - whether `hostNetwork` pods are node traffic (the docs' "most common
//!   implementation", for every plugin) or pods like any other.
//!
//! `--cni` replaces the detection, `--ip-blocks-match-pods`,
//! `--ip-blocks-match-nodes` and `--host-network-as-pods` override their
//! parts ([`PluginOverrides`]).

use serde::Serialize;

use super::{detect, given, Cni, CniDetection, PolicyKind};
use crate::model::Cluster;
use crate::policy::{HostNetwork, PolicyOptions, Tiers};

/// What the cluster's network plugin does where the API leaves a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginBehaviour {
    /// The plugins found (or named) and which policy kinds they enforce.
    pub detection: CniDetection,
    /// Whether `ipBlock`s (and ANP `networks`) also match pod addresses.
    pub ip_blocks_match_pods: Choice,
    /// Whether `ipBlock`s (Cilium's CIDR rules, Calico's `nets`, ANP
    /// `networks`) match the addresses of the cluster's nodes
    /// (see [`crate::policy::is_node_address`] and `policy/node_local.rs`).
    pub ip_blocks_match_nodes: Choice,
    /// How `hostNetwork` pods are treated.
    pub host_network: HostNetwork,
    /// Where the `hostNetwork` treatment comes from.
    pub host_network_source: ChoiceSource,
}

/// A yes/no behaviour and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The behaviour.
    pub value: bool,
    /// Where it comes from.
    pub source: ChoiceSource,
}

/// Where a behaviour comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum ChoiceSource {
    /// The plugin's documented behaviour.
    Plugin {
        /// The plugin.
        cni: Cni,
    },
    /// A command-line flag.
    Flag,
    /// No plugin tells: the reading of the Kubernetes docs.
    Default,
}

/// The user's overrides of what detection finds (`--cni`,
/// `--ip-blocks-match-pods`, `--ip-blocks-match-nodes`,
/// `--host-network-as-pods`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOverrides {
    /// The plugin by name, instead of the one detected.
    pub cni: Option<String>,
    /// Whether ipBlocks match pod addresses, whatever the plugin does.
    pub ip_blocks_match_pods: Option<bool>,
    /// Whether `hostNetwork` pods are treated like any pod.
    pub host_network_as_pods: Option<bool>,
    /// Whether ipBlocks match node addresses, whatever the plugin does
    /// (Cilium's `policy-cidr-match-mode: nodes`).
    pub ip_blocks_match_nodes: Option<bool>,
}

/// The policy kinds of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NativePolicies {
    /// CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy.
    Cilium,
    /// Calico NetworkPolicy, GlobalNetworkPolicy.
    Calico,
}

impl NativePolicies {
    /// The plugin they belong to.
    pub fn plugin(self) -> Cni {
        match self {
            NativePolicies::Cilium => Cni::Cilium,
            NativePolicies::Calico => Cni::Calico,
        }
    }
}

/// Which policies a query evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyView {
    /// Only the kinds the plugin enforces (unknown counts as enforced): the
    /// connectivity the cluster actually has.
    Effective,
    /// Every policy as written, whether the plugin enforces it or not.
    AsWritten,
}

/// The plugin behaviour of `cluster`: detected from its objects, or named by
/// `overrides.cni`, with the overrides applied. Computed once per command.
pub fn behaviour(cluster: &Cluster, overrides: &PluginOverrides) -> PluginBehaviour {
    let detection = match &overrides.cni {
        Some(name) => given(name),
        None => detect(cluster),
    };
    PluginBehaviour::from_detection(detection, overrides)
}

impl PluginBehaviour {
    /// The behaviour of the plugins `detection` found, with `overrides`
    /// (their `cni` is ignored: `detection` already answers it).
    pub fn from_detection(detection: CniDetection, overrides: &PluginOverrides) -> PluginBehaviour {
        let ip_blocks_match_pods = match overrides.ip_blocks_match_pods {
            Some(value) => Choice { value, source: ChoiceSource::Flag },
            None => ip_blocks_by_plugin(&detection),
        };
        let ip_blocks_match_nodes = match overrides.ip_blocks_match_nodes {
            Some(value) => Choice { value, source: ChoiceSource::Flag },
            None => node_blocks_by_plugin(&detection),
        };
        let (host_network, host_network_source) = match overrides.host_network_as_pods {
            Some(true) => (HostNetwork::Pod, ChoiceSource::Flag),
            Some(false) => (HostNetwork::Node, ChoiceSource::Flag),
            None => (HostNetwork::Node, ChoiceSource::Default),
        };
        PluginBehaviour {
            detection,
            ip_blocks_match_pods,
            ip_blocks_match_nodes,
            host_network,
            host_network_source,
        }
    }

    /// No plugin known, with the given choices: for callers that fix the
    /// behaviour themselves (tests, benchmarks).
    pub fn unknown(options: PolicyOptions, host_network: HostNetwork) -> PluginBehaviour {
        let overrides = PluginOverrides {
            cni: None,
            ip_blocks_match_pods: Some(options.ip_blocks_match_pods),
            host_network_as_pods: Some(host_network == HostNetwork::Pod),
            ip_blocks_match_nodes: None,
        };
        PluginBehaviour::from_detection(super::not_found(), &overrides)
    }

    /// The options the policy engine compiles with.
    pub fn policy_options(&self) -> PolicyOptions {
        PolicyOptions { ip_blocks_match_pods: self.ip_blocks_match_pods.value }
    }

    /// The tiers of policy that take effect: a kind the plugin is known not
    /// to enforce is left out; an unknown one is assumed enforced.
    pub fn enforced_tiers(&self) -> Tiers {
        let enforced = |kind| self.detection.verdict(kind).enforcement.assumed();
        Tiers {
            admin: enforced(PolicyKind::AdminNetworkPolicy),
            network: enforced(PolicyKind::NetworkPolicy),
            baseline: enforced(PolicyKind::BaselineAdminNetworkPolicy),
            cilium: self.enforces_native(NativePolicies::Cilium),
            calico: self.enforces_native(NativePolicies::Calico),
        }
    }

    /// The tiers a query in `view` evaluates. The plugins' own policies
    /// follow the plugin in both views: a CiliumNetworkPolicy has Cilium's
    /// semantics or none, so "as written" on another plugin has no meaning
    /// (`check` reports such policies instead).
    pub fn tiers(&self, view: PolicyView) -> Tiers {
        match view {
            PolicyView::Effective => self.enforced_tiers(),
            PolicyView::AsWritten => Tiers {
                cilium: self.enforces_native(NativePolicies::Cilium),
                calico: self.enforces_native(NativePolicies::Calico),
                ..Tiers::ALL
            },
        }
    }

    /// Whether the plugin enforces a plugin's own policies: Cilium's on
    /// Cilium, Calico's on Calico and Canal (Calico's policy engine); both
    /// when no plugin is known (unknown counts as enforced).
    pub fn enforces_native(&self, policies: NativePolicies) -> bool {
        if self.detection.found.is_empty() {
            return self.detection.network_policy.enforcement.assumed();
        }
        self.detection.found.iter().any(|found| match policies {
            NativePolicies::Cilium => found.cni == Cni::Cilium,
            NativePolicies::Calico => matches!(found.cni, Cni::Calico | Cni::Canal),
        })
    }

    /// Whether NetworkPolicies have an effect: enforced, or not known not to be.
    pub fn enforces_network_policy(&self) -> bool {
        self.detection.network_policy.enforcement.assumed()
    }
}

/// What the plugins found say about ipBlocks and pod addresses; without
/// one, the docs' reading (addresses outside the cluster only).
fn ip_blocks_by_plugin(detection: &CniDetection) -> Choice {
    by_plugin(detection, false, cidrs_match_cluster_addresses)
}

/// What the plugins found say about ipBlocks and node addresses; without
/// one, an ipBlock is a range of addresses, a node's included.
fn node_blocks_by_plugin(detection: &CniDetection) -> Choice {
    by_plugin(detection, true, cidrs_match_cluster_addresses)
}

/// Whether `cni`'s CIDR selectors match addresses inside the cluster
/// (pods and nodes), when documented: Calico and Canal match every address
/// (projectcalico/calico#6634); Cilium and GKE Dataplane V2 (built on it)
/// select pods and nodes by identity only, nodes by the `host` and
/// `remote-node` entities unless `policy-cidr-match-mode: nodes`.
fn cidrs_match_cluster_addresses(cni: Cni) -> Option<bool> {
    match cni {
        Cni::Calico | Cni::Canal => Some(true),
        Cni::Cilium | Cni::GkeDataplaneV2 => Some(false),
        _ => None,
    }
}

/// The behaviour of the first plugin found (in name order) that
/// `documented` knows; else `default`, from the docs.
fn by_plugin(detection: &CniDetection, default: bool, documented: fn(Cni) -> Option<bool>) -> Choice {
    detection
        .found
        .iter()
        .find_map(|found| {
            let value = documented(found.cni)?;
            Some(Choice { value, source: ChoiceSource::Plugin { cni: found.cni } })
        })
        .unwrap_or(Choice { value: default, source: ChoiceSource::Default })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    fn plugin(name: &str, image: &str) -> serde_json::Value {
        json!({
            "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": image}]}}},
        })
    }

    fn check(objects: Vec<serde_json::Value>, overrides: PluginOverrides, expect: (bool, ChoiceSource)) {
        let behaviour = behaviour(&cluster(objects), &overrides);
        assert_eq!((behaviour.ip_blocks_match_pods.value, behaviour.ip_blocks_match_pods.source), expect);
    }

    // Calico matches pod addresses with ipBlocks (projectcalico/calico#6634);
    // Cilium does not (cilium/cilium#9209); others follow the docs' reading.
    #[test]
    fn ip_blocks_match_pods_by_plugin() {
        let calico = || vec![plugin("calico-node", "docker.io/calico/node:v3.29.1")];
        check(calico(), PluginOverrides::default(), (true, ChoiceSource::Plugin { cni: Cni::Calico }));
        let cilium = vec![plugin("cilium", "quay.io/cilium/cilium:v1.16.0")];
        check(cilium, PluginOverrides::default(), (false, ChoiceSource::Plugin { cni: Cni::Cilium }));
        check(vec![], PluginOverrides::default(), (false, ChoiceSource::Default));
        let flag = PluginOverrides { ip_blocks_match_pods: Some(false), ..PluginOverrides::default() };
        check(calico(), flag, (false, ChoiceSource::Flag));
        let named = PluginOverrides { cni: Some("canal".to_owned()), ..PluginOverrides::default() };
        check(vec![], named, (true, ChoiceSource::Plugin { cni: Cni::Canal }));
    }

    // Flannel alone enforces no policy kind
    // (https://github.com/flannel-io/flannel#networking-details); Calico 3.28
    // enforces NetworkPolicy but not the admin tiers (ANP since 3.29, BANP
    // since 3.30).
    #[test]
    fn enforced_tiers() {
        let flannel = behaviour(
            &cluster(vec![plugin("kube-flannel-ds", "docker.io/flannel/flannel:v0.25.1")]),
            &PluginOverrides::default(),
        );
        let none = Tiers { admin: false, network: false, baseline: false, cilium: false, calico: false };
        assert_eq!(flannel.enforced_tiers(), none);
        // Cilium's and Calico's own policies follow the plugin even as written.
        let written = Tiers { cilium: false, calico: false, ..Tiers::ALL };
        assert_eq!(flannel.tiers(PolicyView::AsWritten), written);
        let calico = |version: &str| {
            let image = format!("docker.io/calico/node:v{version}");
            behaviour(&cluster(vec![plugin("calico-node", &image)]), &PluginOverrides::default())
                .enforced_tiers()
        };
        let tiers = |admin, baseline| Tiers { admin, network: true, baseline, cilium: false, calico: true };
        assert_eq!(calico("3.28.2"), tiers(false, false));
        assert_eq!(calico("3.29.1"), tiers(true, false));
        assert_eq!(calico("3.30.0"), tiers(true, true));
        let unknown = behaviour(&cluster(vec![]), &PluginOverrides::default());
        assert_eq!(unknown.enforced_tiers(), Tiers::ALL);
    }

    // "By default, CIDR-based selectors do not match in-cluster entities
    // (pods or nodes) [...] configure Cilium with
    // `--policy-cidr-match-mode=nodes`" (docs.cilium.io, Layer 3 Policies,
    // "Selecting nodes with CIDR / ipBlock"; cilium/cilium#28421). Calico's
    // ipBlocks and `nets` match any address, a node's included.
    #[test]
    fn ip_blocks_match_nodes_by_plugin() {
        let nodes = |objects: Vec<serde_json::Value>, overrides: PluginOverrides| {
            let choice = behaviour(&cluster(objects), &overrides).ip_blocks_match_nodes;
            (choice.value, choice.source)
        };
        let cilium = || vec![plugin("cilium", "quay.io/cilium/cilium:v1.16.0")];
        assert_eq!(
            nodes(cilium(), PluginOverrides::default()),
            (false, ChoiceSource::Plugin { cni: Cni::Cilium })
        );
        let calico = vec![plugin("calico-node", "docker.io/calico/node:v3.29.1")];
        assert_eq!(
            nodes(calico, PluginOverrides::default()),
            (true, ChoiceSource::Plugin { cni: Cni::Calico })
        );
        assert_eq!(nodes(vec![], PluginOverrides::default()), (true, ChoiceSource::Default));
        let flag = PluginOverrides { ip_blocks_match_nodes: Some(true), ..PluginOverrides::default() };
        assert_eq!(nodes(cilium(), flag), (true, ChoiceSource::Flag));
        let named = PluginOverrides { cni: Some("cilium".to_owned()), ..PluginOverrides::default() };
        assert_eq!(nodes(vec![], named), (false, ChoiceSource::Plugin { cni: Cni::Cilium }));
    }

    #[test]
    fn host_network_override() {
        let overrides = PluginOverrides { host_network_as_pods: Some(true), ..PluginOverrides::default() };
        let behaviour = behaviour(&cluster(vec![]), &overrides);
        assert_eq!(
            (behaviour.host_network, behaviour.host_network_source),
            (HostNetwork::Pod, ChoiceSource::Flag)
        );
    }
}
