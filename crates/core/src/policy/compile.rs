//! Compiling a cluster's policies into classes, peer sets and profiles.
//!
//! Each kind of policy compiles in its own file into the same rules, peer
//! sets and profiles: NetworkPolicy in `compile/network.rs`, the admin
//! tiers in `compile/admin.rs`, Cilium's and Calico's own policies in
//! `compile/cilium.rs` and `compile/calico.rs`.

mod admin;
mod calico;
mod cilium;
mod network;

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::bitset::BitSet;
use super::ip::{self, IpRange};
use super::select::{FxHashMap, Interner, Requirement, Selector};
use super::{Direction, HostNetwork, PolicyKind, PolicyOptions, Tiers, INGRESS_CONTROLLER_NAMESPACE};
use crate::admin_policy::AdminPolicyAction;
use crate::model::{Cluster, Object, NAMESPACE_NAME_LABEL};
use crate::origin::Origin;
use crate::ports::{ConnectionSet, Protocol};

/// The tiers rules come from, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleTier {
    Admin,
    Network,
    /// Cilium's policies: allows unioned with NetworkPolicy's, denies win.
    Cilium,
    /// Calico's policies: ordered, in tiers (`PolicyMeta::calico_tier`).
    Calico,
    Baseline,
}

/// A policy object, as explanations name it.
#[derive(Debug)]
pub(crate) struct PolicyMeta<'c> {
    pub kind: PolicyKind,
    pub namespace: Option<&'c str>,
    pub name: &'c str,
    pub origin: &'c Origin,
    /// Calico's tier of the policy (an index into `Compiled::calico_tiers`);
    /// NetworkPolicies sit in the `default` tier when a Calico policy
    /// applies to the same pod.
    pub calico_tier: Option<u32>,
    /// Per direction ([`Direction::index`]): whether the policy puts the
    /// pods it selects in default deny.
    pub isolates: [bool; 2],
}

/// A Calico tier, as evaluation needs it.
#[derive(Debug, Clone)]
pub(crate) struct CalicoTier {
    pub name: String,
    /// What traffic no policy of the tier decides gets: `Pass` (true) or
    /// `Deny` (false, the default).
    pub pass_by_default: bool,
}

/// What the policies outside the Kubernetes API need from the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NativeOptions {
    /// Cilium's `(major, minor)` version, when known.
    pub cilium_version: Option<(u32, u32)>,
    /// Whether CIDR peers match node addresses
    /// ([`crate::cni::PluginBehaviour::ip_blocks_match_nodes`]).
    pub ip_blocks_match_nodes: bool,
}

/// What the model cannot see of a rule, which could change its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleCaveat {
    /// L7 rules on its ports (`http`, `dns`, `kafka`, …).
    L7(Vec<String>),
    /// Destinations by DNS name (`toFQDNs`).
    Fqdns(Vec<String>),
}

/// The ports of a rule: numbers known up front, and names resolved against
/// the destination.
#[derive(Debug, Clone)]
pub(crate) struct RulePorts {
    pub numeric: ConnectionSet,
    /// `(protocol, name)`; no protocol (ANP `namedPort`) matches a container
    /// port of that name whatever its protocol.
    pub named: Vec<(Option<Protocol>, String)>,
}

/// One rule of one policy.
#[derive(Debug)]
pub(crate) struct Rule {
    pub tier: RuleTier,
    pub action: AdminPolicyAction,
    pub policy: u32,
    pub direction: Direction,
    /// Index in the policy's `ingress` or `egress` list.
    pub index: u32,
    pub name: Option<String>,
    pub peers: u32,
    pub ports: RulePorts,
    /// The rule's field path (`spec.ingressDeny[0]`) when it is not
    /// `spec.ingress[index]`/`spec.egress[index]`.
    pub path: Option<String>,
    /// The subjects the rule applies to, when narrower than its policy's
    /// (a Calico ingress rule's `destination`, egress rule's `source`).
    pub subjects: Option<BitSet>,
    /// What the model cannot see of it.
    pub caveat: Option<RuleCaveat>,
}

impl Rule {
    /// A rule of the fields every rule has; the others unset.
    #[allow(clippy::too_many_arguments)]
    fn new(
        tier: RuleTier,
        action: AdminPolicyAction,
        policy: u32,
        direction: Direction,
        index: u32,
        name: Option<String>,
        peers: u32,
        ports: RulePorts,
    ) -> Rule {
        Rule {
            tier,
            action,
            policy,
            direction,
            index,
            name,
            peers,
            ports,
            path: None,
            subjects: None,
            caveat: None,
        }
    }
}

/// The classes and address blocks a rule's peers match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PeerSet {
    pub classes: BitSet,
    pub blocks: BitSet,
    /// Whether it matches every peer, addresses outside every block (an
    /// IPv6 address when no policy names IPv6) included.
    pub everything: bool,
    /// Whether it matches the cluster's nodes whatever their addresses (an
    /// empty peer list, Cilium's `host`, `remote-node`, `cluster` and `all`
    /// entities): how a node is matched where CIDR peers do not match node
    /// addresses (`node_local.rs`).
    pub nodes: bool,
}

/// What applies to a class in one direction.
#[derive(Debug, Default, PartialEq, Eq, Hash, Clone)]
pub(crate) struct Profile {
    /// The policies that apply, in evaluation order.
    pub policies: Vec<u32>,
    /// Their rules in this direction, in evaluation order.
    pub rules: Vec<u32>,
    /// Whether a NetworkPolicy isolates the class.
    pub isolated: bool,
    /// Whether a rule has a named port (the verdict then depends on the
    /// destination's container ports).
    pub has_named: bool,
    /// Whether a Calico policy applies: the profile is then evaluated tier
    /// by tier, NetworkPolicies in the `default` tier.
    pub calico: bool,
}

impl Profile {
    /// Whether everything is allowed whatever the peer.
    pub fn is_trivial(&self) -> bool {
        self.rules.is_empty() && !self.isolated
    }
}

/// Pods indistinguishable to every policy.
#[derive(Debug)]
pub(crate) struct Class {
    pub namespace: u32,
    pub labels: Vec<(u32, u32)>,
    /// Named container ports, an index into `Compiled::port_profiles`.
    pub ports: u32,
    pub host_network: bool,
    /// The address blocks of the pod's addresses, when policies can see
    /// them (`hostNetwork`, or `ip_blocks_match_pods`).
    pub blocks: Vec<u32>,
    /// Profile ids, by [`Direction::index`].
    pub profiles: [u32; 2],
}

#[derive(Debug)]
pub(crate) struct NamespaceInfo {
    pub labels: Vec<(u32, u32)>,
    pub classes: Range<u32>,
}

/// Named container ports `(protocol, name, port)`, sorted; the first
/// declaration of a name and protocol wins.
pub(crate) type PortProfile = Vec<(Protocol, String, u16)>;

/// Everything the engine precomputes.
pub(crate) struct Compiled<'c> {
    pub cluster: &'c Cluster,
    pub classes: Vec<Class>,
    pub pod_class: Vec<u32>,
    pub ingress_controller: u32,
    pub port_profiles: Vec<PortProfile>,
    pub blocks: Vec<IpRange>,
    pub source_ranges: Vec<IpRange>,
    pub policies: Vec<PolicyMeta<'c>>,
    pub calico_tiers: Vec<CalicoTier>,
    pub rules: Vec<Rule>,
    pub peer_sets: Vec<PeerSet>,
    pub profiles: Vec<Profile>,
    /// Whether CIDR peers match node addresses (`node_local.rs`).
    pub ip_blocks_match_nodes: bool,
}

/// Namespace, labels, port profile, `hostNetwork`, address blocks, and
/// (when Cilium or Calico policies are compiled, which select by it) the
/// interned service account.
type ClassKey = (u32, Vec<(u32, u32)>, u32, bool, Vec<u32>, u32);

struct Builder<'c> {
    cluster: &'c Cluster,
    interner: Interner,
    namespaces: Vec<NamespaceInfo>,
    classes: Vec<Class>,
    blocks: Vec<IpRange>,
    /// Classes by `(key, value)` label, and by key.
    by_label: FxHashMap<(u32, u32), Vec<u32>>,
    by_key: FxHashMap<u32, Vec<u32>>,
    /// Classes whose addresses policies can see.
    addressed: Vec<u32>,
    namespace_sets: FxHashMap<Selector, BitSet>,
    class_sets: FxHashMap<(BitSet, Selector), BitSet>,
    peer_sets: Vec<PeerSet>,
    peer_set_ids: FxHashMap<PeerSet, u32>,
    /// The peer set matching every peer, once interned.
    everything_id: Option<u32>,
    nodes: Vec<NodeInfo>,
    /// Names of the cluster's namespaces, sorted, numbered like `namespaces`.
    namespace_names: Vec<&'c str>,
    /// A pod of each class (`None` for the ingress controller's).
    representative: Vec<Option<crate::model::PodId>>,
    /// Whether classes are also told apart by service account.
    by_service_account: bool,
    native: NativeOptions,
    calico_tiers: Vec<CalicoTier>,
    /// The labels Cilium's and Calico's selectors see, per class, computed
    /// when first needed.
    cilium_labels: Vec<crate::labels::Labels>,
    calico_labels: Vec<crate::labels::Labels>,
}

struct NodeInfo {
    name: String,
    labels: Vec<(u32, u32)>,
    addresses: Vec<IpAddr>,
}

/// The address blocks policies cut the address space into. They depend on
/// every policy of the cluster and on no pod, so an engine compiled for a
/// few namespaces ([`Scope::Namespaces`]) shares them with the whole one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addresses {
    /// Cut by every CIDR boundary policies mention.
    pub blocks: Vec<IpRange>,
    /// Cut by ingress `ipBlock`s only.
    pub source_ranges: Vec<IpRange>,
    /// Cut by egress `ipBlock`s, admin `networks` and node addresses.
    pub destination_ranges: Vec<IpRange>,
}

impl Addresses {
    /// The blocks of `cluster`'s policies of `tiers`, cut once per cluster
    /// and tiers and kept ([`Cluster::memo`]): cutting reads every policy,
    /// and each question of a `trace` builds an engine.
    pub fn of(cluster: &Cluster, tiers: Tiers) -> Arc<Addresses> {
        /// The key of the blocks kept for the cluster.
        #[derive(PartialEq)]
        struct Cut(Tiers);
        cluster.memo().get_or_init(Cut(tiers), || Addresses::new(cluster, tiers))
    }

    pub fn new(cluster: &Cluster, tiers: Tiers) -> Addresses {
        let (source_cuts, destination_cuts) = address_cuts(cluster, tiers);
        let mut all_cuts: Vec<IpRange> = source_cuts.iter().chain(&destination_cuts).copied().collect();
        let any_v6 = all_cuts.iter().any(IpRange::is_v6);
        let with_v6 = |mut cuts: Vec<IpRange>| {
            if any_v6 {
                cuts.push(IpRange::ALL_V6);
            }
            cuts
        };
        let source_ranges = ip::partition(&with_v6(source_cuts));
        let destination_ranges = ip::partition(&with_v6(destination_cuts));
        all_cuts = with_v6(all_cuts);
        Addresses { blocks: ip::partition(&all_cuts), source_ranges, destination_ranges }
    }
}

/// Which pods an engine compiles classes for. A pod outside the scope has
/// no class (`u32::MAX` in `Compiled::pod_class`): no query may name it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'s> {
    /// Every pod of the cluster: what the class matrix needs.
    Cluster,
    /// The pods of these namespaces (sorted, distinct), and of the
    /// NetworkPolicies only those that can select them (their own
    /// namespace's): what a question about a few pods needs. Every other
    /// kind of policy is compiled whole, as its subjects may be anywhere.
    Namespaces(&'s [String]),
}

impl Scope<'_> {
    /// Whether the pods of `namespace` are in the scope.
    pub fn holds(self, namespace: &str) -> bool {
        match self {
            Scope::Cluster => true,
            Scope::Namespaces(names) => names.binary_search_by(|name| name.as_str().cmp(namespace)).is_ok(),
        }
    }
}

impl<'c> Compiled<'c> {
    pub fn new(
        cluster: &'c Cluster,
        options: PolicyOptions,
        host_network: HostNetwork,
        tiers: Tiers,
        native: NativeOptions,
        addresses: &Addresses,
        scope: Scope<'_>,
    ) -> Compiled<'c> {
        let mut interner = Interner::default();
        let nodes: Vec<NodeInfo> = cluster
            .nodes()
            .iter()
            .map(|node| NodeInfo {
                name: node.value.metadata.name.clone().unwrap_or_default(),
                labels: interner.labels(&node.value.metadata.labels.clone().unwrap_or_default()),
                addresses: node_addresses(&node.value),
            })
            .collect();
        let mut builder = Builder {
            cluster,
            interner,
            namespaces: Vec::new(),
            classes: Vec::new(),
            blocks: addresses.blocks.clone(),
            by_label: FxHashMap::default(),
            by_key: FxHashMap::default(),
            addressed: Vec::new(),
            namespace_sets: FxHashMap::default(),
            class_sets: FxHashMap::default(),
            peer_sets: Vec::new(),
            peer_set_ids: FxHashMap::default(),
            everything_id: None,
            nodes,
            namespace_names: Vec::new(),
            representative: Vec::new(),
            by_service_account: (tiers.cilium && !cluster.cilium_policies().is_empty())
                || (tiers.calico && !cluster.calico_objects().is_empty()),
            native,
            calico_tiers: Vec::new(),
            cilium_labels: Vec::new(),
            calico_labels: Vec::new(),
        };
        let (pod_class, port_profiles, ingress_controller) =
            builder.build_classes(options, host_network, scope);
        builder.index_labels();
        let (policies, rules, subjects) = builder.compile_policies(tiers, scope);
        let profiles = builder.build_profiles(&rules, &policies, &subjects);
        Compiled {
            cluster,
            classes: builder.classes,
            pod_class,
            ingress_controller,
            port_profiles,
            blocks: builder.blocks,
            source_ranges: addresses.source_ranges.clone(),
            policies,
            rules,
            peer_sets: builder.peer_sets,
            profiles,
            calico_tiers: builder.calico_tiers,
            ip_blocks_match_nodes: native.ip_blocks_match_nodes,
        }
    }

    /// The number of classes standing for pods (the ingress controller's
    /// class is the last and excluded).
    pub fn pod_class_count(&self) -> usize {
        self.classes.len() - 1
    }
}

/// `(source cuts, destination cuts)`: ingress `ipBlock`s cut sources; egress
/// `ipBlock`s, admin `networks` and (when an admin policy names `nodes`)
/// node addresses cut destinations. Like netpol-analyzer, `ipBlock`s count
/// whatever the policy's `policyTypes`.
fn address_cuts(cluster: &Cluster, tiers: Tiers) -> (Vec<IpRange>, Vec<IpRange>) {
    let block_cuts = |peer: &NetworkPolicyPeer, cuts: &mut Vec<IpRange>| {
        if let Some(block) = &peer.ip_block {
            let Some(cidr) = IpRange::parse_cidr(&block.cidr) else { return };
            let excepts: Vec<IpRange> =
                block.except.iter().flatten().filter_map(|e| IpRange::parse_cidr(e)).collect();
            cuts.extend(ip::block_ranges(cidr, &excepts));
        }
    };
    let mut sources = Vec::new();
    let mut destinations = Vec::new();
    let network_policies = if tiers.network { cluster.network_policies() } else { &[] };
    for policy in network_policies {
        let Some(spec) = &policy.value.spec else { continue };
        for peer in spec.ingress.iter().flatten().flat_map(|r| r.from.iter().flatten()) {
            block_cuts(peer, &mut sources);
        }
        for peer in spec.egress.iter().flatten().flat_map(|r| r.to.iter().flatten()) {
            block_cuts(peer, &mut destinations);
        }
    }
    let admin = if tiers.admin { cluster.admin_network_policies() } else { &[] };
    let baseline = if tiers.baseline { cluster.baseline_admin_network_policies() } else { &[] };
    let admin_peers = admin
        .iter()
        .flat_map(|p| p.value.spec.egress.iter())
        .chain(baseline.iter().flat_map(|p| p.value.spec.egress.iter()))
        .flat_map(|rule| rule.to.iter());
    let mut nodes_named = false;
    for peer in admin_peers {
        destinations.extend(peer.networks.iter().flatten().filter_map(|n| IpRange::parse_cidr(n)));
        nodes_named |= peer.nodes.is_some();
    }
    if nodes_named {
        let addresses = cluster.nodes().iter().flat_map(|node| node_addresses(&node.value));
        destinations.extend(addresses.map(IpRange::from_addr));
    }
    if tiers.cilium {
        cilium::cuts(cluster.cilium_policies(), &mut sources, &mut destinations);
        cilium::service_cuts(cluster, cluster.cilium_policies(), &mut destinations);
    }
    if tiers.calico {
        calico::cuts(cluster.calico_objects(), &mut sources, &mut destinations);
    }
    (sources, destinations)
}

pub(super) fn node_addresses(node: &Node) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = node
        .status
        .iter()
        .flat_map(|s| s.addresses.iter().flatten())
        .filter(|a| a.type_ == "InternalIP" || a.type_ == "ExternalIP")
        .filter_map(|a| a.address.parse().ok())
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// Port profiles, numbered as first seen; `0` is the empty one.
struct PortProfiles {
    profiles: Vec<PortProfile>,
    ids: FxHashMap<PortProfile, u32>,
}

impl PortProfiles {
    fn new() -> PortProfiles {
        PortProfiles { profiles: vec![Vec::new()], ids: [(Vec::new(), 0)].into_iter().collect() }
    }

    fn id(&mut self, ports: PortProfile) -> u32 {
        if let Some(&id) = self.ids.get(&ports) {
            return id;
        }
        let id = self.profiles.len() as u32;
        self.ids.insert(ports.clone(), id);
        self.profiles.push(ports);
        id
    }
}

fn named_ports(pod: &crate::model::Pod) -> PortProfile {
    let mut ports: PortProfile = Vec::new();
    for port in pod.container_ports() {
        let (Some(name), Some(protocol)) = (port.name, Protocol::parse(&port.protocol)) else { continue };
        let Ok(number) = u16::try_from(port.port) else { continue };
        if !ports.iter().any(|(p, n, _)| *p == protocol && *n == name) {
            ports.push((protocol, name, number));
        }
    }
    ports.sort();
    ports
}

/// The namespaces an engine for `scope` numbers, sorted: every namespace
/// and every pod's, or those of the scope only. A namespace without classes
/// adds nothing to any class set, so leaving those of other namespaces out
/// changes no answer, and spares interning every namespace's labels for a
/// question about a few pods.
fn namespaces_in<'c>(cluster: &'c Cluster, scope: Scope<'_>) -> Vec<&'c str> {
    let mut names: Vec<&str> = match scope {
        Scope::Cluster => {
            let mut names: Vec<&str> = cluster.namespaces().keys().map(String::as_str).collect();
            for pod in cluster.pods() {
                if cluster.namespace(&pod.namespace).is_none() {
                    names.push(&pod.namespace);
                }
            }
            names
        }
        // The cluster's own strings, which outlive the scope's; a name
        // neither a namespace nor a pod's has no pods to number.
        Scope::Namespaces(scoped) => scoped
            .iter()
            .filter_map(|name| match cluster.namespaces().get_key_value(name) {
                Some((name, _)) => Some(name.as_str()),
                None => cluster.pods_in(name).first().map(|&pod| cluster.pod(pod).namespace.as_str()),
            })
            .collect(),
    };
    names.sort_unstable();
    names.dedup();
    names
}

/// The namespace of a NetworkPolicy, the only one whose pods it selects.
fn network_policy_namespace(object: &Object<NetworkPolicy>) -> &str {
    object.value.metadata.namespace.as_deref().unwrap_or("default")
}

/// The NetworkPolicies of `network` (the cluster's, or none) that can
/// select pods of `scope`, in the cluster's order. For a few namespaces,
/// found through the positions of each namespace's NetworkPolicies, kept
/// for the cluster ([`Cluster::memo`]), rather than by reading all of them.
fn network_policies_in<'c>(
    cluster: &'c Cluster,
    network: &'c [Object<NetworkPolicy>],
    scope: Scope<'_>,
) -> Vec<&'c Object<NetworkPolicy>> {
    let Scope::Namespaces(names) = scope else { return network.iter().collect() };
    if network.is_empty() {
        return Vec::new();
    }
    /// The key of the positions kept for the cluster.
    #[derive(PartialEq)]
    struct ByNamespace;
    let by_namespace = cluster.memo().get_or_init(ByNamespace, || {
        let mut by_namespace: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (position, object) in cluster.network_policies().iter().enumerate() {
            by_namespace.entry(network_policy_namespace(object).to_owned()).or_default().push(position);
        }
        by_namespace
    });
    let mut positions: Vec<usize> =
        names.iter().filter_map(|name| by_namespace.get(name)).flatten().copied().collect();
    positions.sort_unstable();
    positions.into_iter().map(|position| &network[position]).collect()
}

impl<'c> Builder<'c> {
    /// Groups pods into classes, namespace by namespace, so each namespace's
    /// classes are contiguous; the ingress controller's class comes last.
    fn build_classes(
        &mut self,
        options: PolicyOptions,
        host: HostNetwork,
        scope: Scope<'_>,
    ) -> (Vec<u32>, Vec<PortProfile>, u32) {
        let cluster = self.cluster;
        let names = namespaces_in(cluster, scope);
        self.namespace_names = names.clone();
        let mut port_profiles = PortProfiles::new();
        let mut pod_class = vec![u32::MAX; cluster.pods().len()];
        let mut class_ids: FxHashMap<ClassKey, u32> = FxHashMap::default();
        for (ns_index, name) in names.iter().enumerate() {
            let ns_index = ns_index as u32;
            let labels = match cluster.namespace(name) {
                Some(ns) => self.interner.labels(&ns.labels),
                None => self.interner.labels(&[(NAMESPACE_NAME_LABEL.to_owned(), name.to_string())].into()),
            };
            let start = self.classes.len() as u32;
            let pods = if scope.holds(name) { cluster.pods_in(name) } else { &[] };
            for &pod_id in pods {
                let key = self.class_key(pod_id, ns_index, &mut port_profiles, options, host);
                let next = self.classes.len() as u32;
                let representative = &mut self.representative;
                let class = *class_ids.entry(key).or_insert_with_key(|key| {
                    representative.push(Some(pod_id));
                    self.classes.push(Class {
                        namespace: ns_index,
                        labels: key.1.clone(),
                        ports: key.2,
                        host_network: key.3,
                        blocks: key.4.clone(),
                        profiles: [0, 0],
                    });
                    next
                });
                pod_class[pod_id.0 as usize] = class;
            }
            let end = self.classes.len() as u32;
            self.namespaces.push(NamespaceInfo { labels, classes: start..end });
        }
        // The ingress controller: no labels, no ports, a namespace of its own.
        let labels = self
            .interner
            .labels(&[(NAMESPACE_NAME_LABEL.to_owned(), INGRESS_CONTROLLER_NAMESPACE.to_owned())].into());
        let ingress_controller = self.classes.len() as u32;
        self.representative.push(None);
        self.classes.push(Class {
            namespace: self.namespaces.len() as u32,
            labels: Vec::new(),
            ports: 0,
            host_network: false,
            blocks: Vec::new(),
            profiles: [0, 0],
        });
        self.namespaces.push(NamespaceInfo { labels, classes: ingress_controller..ingress_controller + 1 });
        (pod_class, port_profiles.profiles, ingress_controller)
    }

    /// What tells `pod` (of the namespace numbered `ns_index`) apart from
    /// other pods for every policy.
    fn class_key(
        &mut self,
        pod_id: crate::model::PodId,
        ns_index: u32,
        port_profiles: &mut PortProfiles,
        options: PolicyOptions,
        host: HostNetwork,
    ) -> ClassKey {
        let cluster = self.cluster;
        let pod = cluster.pod(pod_id);
        let labels = self.interner.labels(&pod.labels);
        let ports = port_profiles.id(named_ports(pod));
        let host_network = pod.host_network() && host == HostNetwork::Node;
        // A `hostNetwork` pod seen as its node is matched by its node's
        // address only where CIDR peers match nodes (`node_local.rs`).
        let visible =
            if host_network { self.native.ip_blocks_match_nodes } else { options.ip_blocks_match_pods };
        let blocks = if visible { self.pod_blocks(pod) } else { Vec::new() };
        let account = if self.by_service_account {
            self.interner.id(pod.spec.service_account_name.as_deref().unwrap_or("default"))
        } else {
            0
        };
        (ns_index, labels, ports, host_network, blocks, account)
    }

    /// The blocks of a pod's addresses: `status.podIPs`, else (for a
    /// `hostNetwork` pod) its node's addresses.
    fn pod_blocks(&self, pod: &crate::model::Pod) -> Vec<u32> {
        let mut addresses: Vec<IpAddr> = pod.ips().iter().filter_map(|ip| ip.parse().ok()).collect();
        if addresses.is_empty() && pod.host_network() {
            if let Some(host_ip) = pod.status.as_ref().and_then(|s| s.host_ip.as_deref()) {
                addresses.extend(host_ip.parse::<IpAddr>().ok());
            }
        }
        if addresses.is_empty() && pod.host_network() {
            if let Some(node) =
                pod.spec.node_name.as_deref().and_then(|n| self.nodes.iter().find(|x| x.name == n))
            {
                addresses.extend(node.addresses.iter().copied());
            }
        }
        let mut blocks: Vec<u32> =
            addresses.into_iter().filter_map(|a| ip::block_of(&self.blocks, a)).map(|b| b as u32).collect();
        blocks.sort_unstable();
        blocks.dedup();
        blocks
    }

    fn index_labels(&mut self) {
        for (id, class) in self.classes.iter().enumerate() {
            if class.host_network {
                continue;
            }
            for &(key, value) in &class.labels {
                self.by_label.entry((key, value)).or_default().push(id as u32);
                self.by_key.entry(key).or_default().push(id as u32);
            }
        }
        self.addressed =
            (0..self.classes.len() as u32).filter(|&c| !self.classes[c as usize].blocks.is_empty()).collect();
    }

    fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// A class's pod labels, namespace, namespace labels and service
    /// account (the ingress controller's: none, its own namespace,
    /// `default`), for the plugins' own selectors.
    fn class_facts(&self, class: usize) -> (crate::labels::Labels, String, crate::labels::Labels, String) {
        let cluster = self.cluster;
        let namespace = self.namespace_names.get(self.classes[class].namespace as usize).copied();
        let namespace = namespace.unwrap_or(INGRESS_CONTROLLER_NAMESPACE).to_owned();
        let namespace_labels = match cluster.namespace(&namespace) {
            Some(ns) => ns.labels.clone(),
            None => [(NAMESPACE_NAME_LABEL.to_owned(), namespace.clone())].into(),
        };
        match self.representative.get(class).copied().flatten() {
            Some(pod) => {
                let pod = cluster.pod(pod);
                let account = pod.spec.service_account_name.clone().unwrap_or_else(|| "default".to_owned());
                (pod.labels.clone(), namespace, namespace_labels, account)
            }
            None => (Default::default(), namespace, namespace_labels, "default".to_owned()),
        }
    }

    /// The namespaces `selector` selects.
    fn select_namespaces(&mut self, selector: &LabelSelector) -> BitSet {
        let selector = Selector::compile(selector, &mut self.interner);
        if let Some(set) = self.namespace_sets.get(&selector) {
            return set.clone();
        }
        let mut set = BitSet::new(self.namespaces.len());
        for (i, ns) in self.namespaces.iter().enumerate() {
            if selector.matches(&ns.labels) {
                set.insert(i);
            }
        }
        self.namespace_sets.insert(selector, set.clone());
        set
    }

    /// The namespace called `name` (a policy's own namespace).
    fn one_namespace(&self, name: Option<&str>) -> BitSet {
        let mut set = BitSet::new(self.namespaces.len());
        if let Ok(index) = self.namespace_names.binary_search(&name.unwrap_or("default")) {
            set.insert(index);
        }
        set
    }

    /// The (non-`hostNetwork`) classes in `namespaces` that `selector` selects.
    fn select_classes(&mut self, namespaces: &BitSet, selector: &LabelSelector) -> &BitSet {
        let selector = Selector::compile(selector, &mut self.interner);
        self.select_compiled(namespaces, selector)
    }

    /// Cached: policies repeat the same selections, and a set is as large as
    /// the cluster's classes, so callers borrow it rather than copy it.
    fn select_compiled(&mut self, namespaces: &BitSet, selector: Selector) -> &BitSet {
        let key = (namespaces.clone(), selector);
        if self.class_sets.contains_key(&key) {
            return &self.class_sets[&key];
        }
        let (namespaces, selector) = key;
        let mut set = BitSet::new(self.class_count());
        let empty = Vec::new();
        // Visit the fewest classes: those of the selected namespaces, or
        // the shortest list of classes a positive requirement allows (a
        // label common across the cluster is a long list, while a policy's
        // own namespace holds a handful of classes).
        let in_namespaces: usize = namespaces.iter().map(|ns| self.namespaces[ns].classes.len()).sum();
        let candidates: Option<&Vec<u32>> = selector
            .requirements()
            .iter()
            .filter_map(|r| match r {
                Requirement::Equals(k, v) => Some(self.by_label.get(&(*k, *v)).unwrap_or(&empty)),
                Requirement::In(k, _) | Requirement::Exists(k) => Some(self.by_key.get(k).unwrap_or(&empty)),
                _ => None,
            })
            .min_by_key(|list| list.len())
            .filter(|list| list.len() < in_namespaces);
        match candidates {
            Some(list) => {
                for &c in list {
                    let class = &self.classes[c as usize];
                    if namespaces.contains(class.namespace as usize) && selector.matches(&class.labels) {
                        set.insert(c as usize);
                    }
                }
            }
            None => {
                for ns in namespaces.iter() {
                    for c in self.namespaces[ns].classes.clone() {
                        let class = &self.classes[c as usize];
                        if !class.host_network
                            && (selector.is_everything() || selector.matches(&class.labels))
                        {
                            set.insert(c as usize);
                        }
                    }
                }
            }
        }
        self.class_sets.entry((namespaces, selector)).or_insert(set)
    }

    /// The classes whose addresses fall in `blocks`.
    fn addressed_in(&self, blocks: &BitSet) -> BitSet {
        let mut set = BitSet::new(self.class_count());
        for &c in &self.addressed {
            if self.classes[c as usize].blocks.iter().any(|&b| blocks.contains(b as usize)) {
                set.insert(c as usize);
            }
        }
        set
    }

    fn blocks_in(&self, ranges: &[IpRange], except: &[IpRange]) -> BitSet {
        let mut set = BitSet::new(self.blocks.len());
        for range in ranges {
            let r = ip::blocks_overlapping(&self.blocks, range);
            set.insert_range(r.start, r.end);
        }
        for range in except {
            for b in ip::blocks_overlapping(&self.blocks, range) {
                // Blocks refine every except, so an overlapping block lies inside it.
                set.remove(b);
            }
        }
        set
    }

    fn intern_peer_set(&mut self, set: PeerSet) -> u32 {
        if let Some(&id) = self.peer_set_ids.get(&set) {
            return id;
        }
        let id = self.peer_sets.len() as u32;
        self.peer_sets.push(set.clone());
        self.peer_set_ids.insert(set, id);
        id
    }

    fn everything(&mut self) -> u32 {
        if let Some(id) = self.everything_id {
            return id;
        }
        let set = PeerSet {
            classes: BitSet::full(self.class_count()),
            blocks: BitSet::full(self.blocks.len()),
            everything: true,
            nodes: true,
        };
        let id = self.intern_peer_set(set);
        self.everything_id = Some(id);
        id
    }

    /// The peer set matching every peer, as a value to narrow.
    fn everything_set(&mut self) -> PeerSet {
        let id = self.everything();
        self.peer_sets[id as usize].clone()
    }

    fn empty_peer_set(&self) -> PeerSet {
        PeerSet {
            classes: BitSet::new(self.class_count()),
            blocks: BitSet::new(self.blocks.len()),
            everything: false,
            nodes: false,
        }
    }

    /// Compiles every policy: returns the policies, their rules, and per
    /// policy and direction the subject classes (`None` when the policy
    /// does not apply in that direction).
    #[allow(clippy::type_complexity)]
    fn compile_policies(
        &mut self,
        tiers: Tiers,
        scope: Scope<'_>,
    ) -> (Vec<PolicyMeta<'c>>, Vec<Rule>, Vec<[Option<Vec<u32>>; 2]>) {
        let cluster = self.cluster;
        let admin = if tiers.admin { cluster.admin_network_policies() } else { &[] };
        let network = if tiers.network { cluster.network_policies() } else { &[] };
        let baseline = if tiers.baseline { cluster.baseline_admin_network_policies() } else { &[] };
        let mut policies = Vec::new();
        let mut rules = Vec::new();
        let mut subjects = Vec::new();
        // Admin policies first (already sorted by priority, then name).
        for object in admin {
            let spec = &object.value.spec;
            let admin = admin::AdminPolicy {
                kind: PolicyKind::AdminNetworkPolicy,
                name: object.value.metadata.name.as_deref().unwrap_or_default(),
                origin: &object.origin,
                subject: &spec.subject,
                ingress: &spec.ingress,
                egress: &spec.egress,
            };
            self.compile_admin(RuleTier::Admin, admin, &mut policies, &mut rules, &mut subjects);
        }
        // Calico's policies ordered before NetworkPolicies (lower tiers,
        // lower orders in the `default` tier), NetworkPolicies, the rest.
        let calico = if tiers.calico { self.calico_policies() } else { Vec::new() };
        let split = calico.partition_point(|p| p.before_kubernetes);
        for native in &calico[..split] {
            self.compile_calico(native, &mut policies, &mut rules, &mut subjects);
        }
        let default_tier = self.calico_tiers.iter().position(|t| t.name == crate::calico::DEFAULT_TIER);
        // A NetworkPolicy selects pods of its own namespace only.
        for object in network_policies_in(cluster, network, scope) {
            self.compile_network_policy(object, default_tier, &mut policies, &mut rules, &mut subjects);
        }
        for native in &calico[split..] {
            self.compile_calico(native, &mut policies, &mut rules, &mut subjects);
        }
        if tiers.cilium {
            for object in cluster.cilium_policies() {
                self.compile_cilium(object, &mut policies, &mut rules, &mut subjects);
            }
        }
        // The BaselineAdminNetworkPolicy is a singleton named `default`.
        for object in baseline.iter().filter(|o| o.value.metadata.name.as_deref() == Some("default")) {
            let spec = &object.value.spec;
            let banp = admin::AdminPolicy {
                kind: PolicyKind::BaselineAdminNetworkPolicy,
                name: "default",
                origin: &object.origin,
                subject: &spec.subject,
                ingress: &spec.ingress,
                egress: &spec.egress,
            };
            self.compile_admin(RuleTier::Baseline, banp, &mut policies, &mut rules, &mut subjects);
        }
        (policies, rules, subjects)
    }

    /// Each class's profile per direction.
    fn build_profiles(
        &mut self,
        rules: &[Rule],
        policies: &[PolicyMeta<'c>],
        subjects: &[[Option<Vec<u32>>; 2]],
    ) -> Vec<Profile> {
        let mut rules_of: Vec<[Vec<u32>; 2]> = vec![[Vec::new(), Vec::new()]; policies.len()];
        for (id, rule) in rules.iter().enumerate() {
            rules_of[rule.policy as usize][rule.direction.index()].push(id as u32);
        }
        let mut profiles = vec![Profile::default()];
        let mut profile_ids: FxHashMap<(usize, Vec<u32>, Vec<u32>), u32> = FxHashMap::default();
        profile_ids.insert((0, Vec::new(), Vec::new()), 0);
        profile_ids.insert((1, Vec::new(), Vec::new()), 0);
        for direction in [Direction::Ingress, Direction::Egress] {
            let d = direction.index();
            let mut applying: Vec<Vec<u32>> = vec![Vec::new(); self.classes.len()];
            for (policy, subject) in subjects.iter().enumerate() {
                if let Some(subject) = &subject[d] {
                    for &class in subject {
                        applying[class as usize].push(policy as u32);
                    }
                }
            }
            for (class, applying) in applying.into_iter().enumerate() {
                // A rule narrower than its policy (Calico's `destination` of
                // an ingress rule) is in the profile only of the classes it covers.
                let class_rules: Vec<u32> = applying
                    .iter()
                    .flat_map(|&p| rules_of[p as usize][d].iter().copied())
                    .filter(|&r| rules[r as usize].subjects.as_ref().is_none_or(|s| s.contains(class)))
                    .collect();
                let next = profiles.len() as u32;
                let key = (d, applying, class_rules);
                let id = *profile_ids.entry(key).or_insert_with_key(|(_, applying, class_rules)| {
                    let profile = Profile {
                        policies: applying.clone(),
                        rules: class_rules.clone(),
                        isolated: applying.iter().any(|&p| policies[p as usize].isolates[d]),
                        has_named: class_rules.iter().any(|&r| !rules[r as usize].ports.named.is_empty()),
                        calico: applying.iter().any(|&p| policies[p as usize].kind.is_calico()),
                    };
                    profiles.push(profile);
                    next
                });
                self.classes[class].profiles[d] = id;
            }
        }
        profiles
    }
}

/// The classes of `set`, ascending: a policy's subject is a few classes,
/// and a bit set is as large as the cluster.
fn ids(set: &BitSet) -> Vec<u32> {
    set.iter().map(|c| c as u32).collect()
}
