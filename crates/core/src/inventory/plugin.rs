//! The network plugin's behaviour as `inventory` shows it: the one value
//! every query command is given ([`crate::cni::PluginBehaviour`]), with
//! where each part comes from (detection, `--cni`, a flag, or the docs'
//! default).

use serde::Serialize;

use crate::cni::{ChoiceSource, CniSource, Enforcement, PluginBehaviour, PolicyKind};
use crate::policy::HostNetwork;

/// What the network plugin does where the Kubernetes API leaves a choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginSummary {
    /// The plugins found (`calico`, …), or the one named with `--cni`.
    pub cni: Vec<String>,
    /// `detected`, `given` (`--cni`) or `not-found`.
    pub source: &'static str,
    /// Whether NetworkPolicy takes effect.
    pub network_policy: Enforcement,
    /// Whether AdminNetworkPolicy takes effect.
    pub admin_network_policy: Enforcement,
    /// Whether BaselineAdminNetworkPolicy takes effect.
    pub baseline_admin_network_policy: Enforcement,
    /// Whether `ipBlock`s also match pod addresses.
    pub ip_blocks_match_pods: bool,
    /// Where that comes from.
    pub ip_blocks_match_pods_source: ChoiceSource,
    /// `node` (their traffic is the node's) or `pod` (policies apply to them).
    pub host_network_pods: &'static str,
    /// Where that comes from.
    pub host_network_pods_source: ChoiceSource,
    /// Whether `ipBlock`s also match the nodes' addresses.
    pub ip_blocks_match_nodes: bool,
    /// Where that comes from.
    pub ip_blocks_match_nodes_source: ChoiceSource,
}

impl PluginSummary {
    /// The summary of `plugin`.
    pub fn of(plugin: &PluginBehaviour) -> PluginSummary {
        let detection = &plugin.detection;
        let (cni, source) = match &detection.source {
            CniSource::Given { name } => (vec![name.clone()], "given"),
            CniSource::Detected => {
                (detection.found.iter().map(|found| found.cni.name().to_owned()).collect(), "detected")
            }
            CniSource::NotFound => (Vec::new(), "not-found"),
        };
        PluginSummary {
            cni,
            source,
            network_policy: detection.verdict(PolicyKind::NetworkPolicy).enforcement,
            admin_network_policy: detection.verdict(PolicyKind::AdminNetworkPolicy).enforcement,
            baseline_admin_network_policy: detection
                .verdict(PolicyKind::BaselineAdminNetworkPolicy)
                .enforcement,
            ip_blocks_match_pods: plugin.ip_blocks_match_pods.value,
            ip_blocks_match_pods_source: plugin.ip_blocks_match_pods.source,
            host_network_pods: match plugin.host_network {
                HostNetwork::Node => "node",
                HostNetwork::Pod => "pod",
            },
            host_network_pods_source: plugin.host_network_source,
            ip_blocks_match_nodes: plugin.ip_blocks_match_nodes.value,
            ip_blocks_match_nodes_source: plugin.ip_blocks_match_nodes.source,
        }
    }

    /// Whether anything tells the behaviour: a plugin found or named, or a
    /// flag. Otherwise every part is the docs' default.
    pub fn is_known(&self) -> bool {
        self.source != "not-found"
            || self.ip_blocks_match_pods_source == ChoiceSource::Flag
            || self.host_network_pods_source == ChoiceSource::Flag
            || self.ip_blocks_match_nodes_source == ChoiceSource::Flag
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::{behaviour, PluginOverrides};
    use crate::model::Cluster;

    fn check(overrides: PluginOverrides) -> PluginSummary {
        PluginSummary::of(&behaviour(&Cluster::default(), &overrides))
    }

    /// Nothing found: the docs' reading, and nothing to show.
    #[test]
    fn nothing_known() {
        let summary = check(PluginOverrides::default());
        assert_eq!(summary.source, "not-found");
        assert_eq!(summary.network_policy, Enforcement::Unknown);
        assert!(!summary.ip_blocks_match_pods);
        assert_eq!(summary.host_network_pods, "node");
        assert!(!summary.is_known());
    }

    /// `--cni calico`: Calico enforces NetworkPolicy and matches pod IPs
    /// with ipBlocks (projectcalico/calico#6634).
    #[test]
    fn calico_given() {
        let summary = check(PluginOverrides { cni: Some("calico".to_owned()), ..PluginOverrides::default() });
        assert_eq!((summary.cni.clone(), summary.source), (vec!["calico".to_owned()], "given"));
        assert_eq!(summary.network_policy, Enforcement::Enforced);
        assert!(summary.ip_blocks_match_pods);
        assert!(summary.is_known());
    }

    /// The flags override their parts, and say so.
    #[test]
    fn flags_override() {
        let summary = check(PluginOverrides {
            cni: Some("calico".to_owned()),
            ip_blocks_match_pods: Some(false),
            host_network_as_pods: Some(true),
            ip_blocks_match_nodes: Some(true),
        });
        assert!(!summary.ip_blocks_match_pods);
        assert_eq!(summary.ip_blocks_match_pods_source, ChoiceSource::Flag);
        assert_eq!(summary.host_network_pods, "pod");
        assert_eq!(
            (summary.ip_blocks_match_nodes, summary.ip_blocks_match_nodes_source),
            (true, ChoiceSource::Flag)
        );
        let flag_only =
            check(PluginOverrides { host_network_as_pods: Some(true), ..PluginOverrides::default() });
        assert!(flag_only.is_known());
    }
}
