//! The network policy engine: which connections NetworkPolicy,
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy allow between pods and
//! addresses outside the cluster.
//!
//! # Semantics
//!
//! NetworkPolicy follows the API reference
//! (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>)
//! and the concepts page
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>):
//!
//! - A pod is isolated for ingress (egress) when a NetworkPolicy of its
//!   namespace selects it with `spec.podSelector` and lists `Ingress`
//!   (`Egress`) in `policyTypes` (defaulted by the model as
//!   `pkg/apis/networking/v1/defaults.go` does). A direction that is not
//!   isolated allows everything.
//! - A connection needs both the source's egress and the destination's
//!   ingress to allow it; the rules of all policies selecting a pod are
//!   unioned. Replies are implicit.
//! - A rule whose `from`/`to` is absent or empty matches every peer, and one
//!   whose `ports` is absent or empty matches every port and protocol.
//! - Named ports resolve against the destination pod's container ports (name
//!   and protocol must both match); towards an address outside the cluster a
//!   name cannot be resolved and stays in the [`ConnectionSet`] by name.
//! - Policies see traffic after a Service's DNAT: the engine knows pods,
//!   container ports and addresses, never Service ports.
//!
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy follow
//! <https://network-policy-api.sigs.k8s.io/reference/spec/>: per port, the
//! first matching ANP rule (lower priority number first, rules in order)
//! decides `Allow` or `Deny`; `Pass` hands the port to NetworkPolicy. Ports
//! no ANP decided go to NetworkPolicy when it isolates the pod in that
//! direction, else to the BaselineAdminNetworkPolicy (`default`), else are
//! allowed. ANP rules never isolate anything by themselves.
//!
//! # Choices the API leaves to the network plugin
//!
//! - `ipBlock` (and ANP `networks`) match addresses outside the cluster. They
//!   match pods by `status.podIPs` only when
//!   [`PolicyOptions::ip_blocks_match_pods`] is set, as many plugins do
//!   (the API reference says cluster-internal pod IPs are "ephemeral and
//!   unpredictable" and leaves it open).
//! - `hostNetwork` pods carry their node's address ([`HostNetwork::Node`],
//!   the default, "the most common implementation" per the NetworkPolicy
//!   docs): they are never isolated and never selected by
//!   `podSelector`/`namespaceSelector` peers; as peers they match `ipBlock`s,
//!   ANP `networks` and ANP `nodes` by their addresses (`status.podIPs`, else
//!   `status.hostIP`, else the addresses of `spec.nodeName`'s Node). A
//!   `hostNetwork` pod whose address is unknown matches no peer at all.
//!   [`HostNetwork::Pod`] treats them like any pod, as netpol-analyzer does.
//! - Addresses outside the cluster are evaluated per block: the disjoint
//!   ranges that all `ipBlock` CIDRs and excepts, ANP `networks` and (when an
//!   ANP names `nodes`) node addresses cut the address space into. Without
//!   any, one block `0.0.0.0-255.255.255.255`; IPv6 is covered only when a
//!   policy mentions an IPv6 CIDR.
//! - ANP `namedPort` towards an address outside the cluster matches nothing.
//! - A pod connecting to itself, and traffic between a pod and its node,
//!   are allowed whatever the policies ([`Exemption`]).
//! - Invalid input the API server would reject (a malformed CIDR, a peer with
//!   no selector, `endPort` below `port`, an unknown operator) matches
//!   nothing.
//!
//! # How it is computed
//!
//! Pods that share namespace, labels, named container ports and the
//! addresses policies can see are indistinguishable to every policy, so the
//! engine compiles once into equivalence classes of pods (selectors are
//! interned and evaluated through label posting lists). Each rule's peers
//! become a bit set of classes and address blocks, and each class gets, per
//! direction, a profile: the ordered list of rules that apply to it
//! (admin, network, baseline). The verdict for a peer depends only on which
//! rules of the profile match it (and, with named ports, on the
//! destination's container ports). A single pair is evaluated directly;
//! [`ClassMatrix`] sweeps each profile's rules once into segment rows and
//! answers every pair from them, computing whole rows once per group of
//! peers that no rule tells apart.

mod bitset;
mod class_matrix;
mod compile;
mod eval;
mod external;
mod focused;
mod intent;
mod node_local;
mod peers;
mod pod_rules;
mod point;
mod resolve;
mod select;

#[cfg(test)]
mod anp_tests;
#[cfg(test)]
mod calico_tests;
#[cfg(test)]
mod cilium_tests;
#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use serde::Serialize;

pub use crate::ip::IpRange;
pub use class_matrix::ClassMatrix;
pub use focused::FocusedMatrix;
pub use intent::{denial_intent, denies_all, DenialIntent};
pub use node_local::{host_network_addresses, is_node_address, Exemption};
pub use peers::{
    peer_pods, peer_selects_a_pod, policy_capable, policy_capable_pods, selected_pods, PeerPods,
};
pub use pod_rules::{CalicoTierRules, NetworkRules, PeerConnections, PodRule, PodRules, RulePeer};
pub use resolve::{ResolvedPolicy, ResolvedRule};

use crate::cni::{PluginBehaviour, PolicyView};
use crate::ip;
use crate::model::{Cluster, PodId};
use crate::origin::Location;
use crate::ports::ConnectionSet;

/// Choices the network plugin makes that the API leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyOptions {
    /// Whether `ipBlock` and ANP `networks` also match pods by their
    /// `status.podIPs` (Calico, Cilium and most plugins do for pod CIDRs).
    pub ip_blocks_match_pods: bool,
}

/// Which tiers of policy the engine evaluates: the kinds the network plugin
/// enforces, or all of them to see the policies as written
/// ([`crate::cni::PluginBehaviour::tiers`]). A tier left out is as if its
/// policies did not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    /// AdminNetworkPolicy.
    pub admin: bool,
    /// NetworkPolicy.
    pub network: bool,
    /// BaselineAdminNetworkPolicy.
    pub baseline: bool,
    /// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
    pub cilium: bool,
    /// Calico NetworkPolicy and GlobalNetworkPolicy.
    pub calico: bool,
}

impl Tiers {
    /// Every tier.
    pub const ALL: Tiers = Tiers { admin: true, network: true, baseline: true, cilium: true, calico: true };
}

/// How NetworkPolicy treats `hostNetwork` pods: the NetworkPolicy docs
/// allow two behaviours
/// (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostNetwork {
    /// The plugin cannot tell them from their node: they are never isolated,
    /// never selected by `podSelector`/`namespaceSelector`, and match
    /// `ipBlock`s by their node's address. "The most common implementation."
    Node,
    /// The plugin tells them apart and applies policies to them like to any
    /// pod (netpol-analyzer's behaviour).
    Pod,
}

/// A direction of traffic relative to a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the pod.
    Ingress,
    /// Traffic out of the pod.
    Egress,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Ingress => 0,
            Direction::Egress => 1,
        }
    }

    /// `Ingress` or `Egress`, as `policyTypes` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// A pod of the cluster.
    Pod(PodId),
    /// Addresses outside the cluster (one address is a one-address range).
    External(IpRange),
    /// netpol-analyzer's symbolic ingress controller: a pod without labels
    /// in a namespace of its own, `ingress-controller-ns`, with no ports and
    /// no policy of its namespace (see [`INGRESS_CONTROLLER_NAMESPACE`]).
    IngressController,
}

/// The namespace of [`Endpoint::IngressController`] (netpol-analyzer's
/// `IngressPodNamespace`); it carries only its
/// `kubernetes.io/metadata.name` label.
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-controller-ns";

/// The kind of a policy object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PolicyKind {
    /// `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy.
    BaselineAdminNetworkPolicy,
    /// `cilium.io/v2` CiliumNetworkPolicy.
    CiliumNetworkPolicy,
    /// `cilium.io/v2` CiliumClusterwideNetworkPolicy.
    CiliumClusterwideNetworkPolicy,
    /// `projectcalico.org/v3` NetworkPolicy.
    CalicoNetworkPolicy,
    /// `projectcalico.org/v3` GlobalNetworkPolicy.
    CalicoGlobalNetworkPolicy,
}

impl PolicyKind {
    /// The kind as manifests write it (Calico's namespaced kind qualified
    /// by its group, to tell it from Kubernetes').
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
            PolicyKind::CiliumNetworkPolicy => "CiliumNetworkPolicy",
            PolicyKind::CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
            PolicyKind::CalicoNetworkPolicy => "NetworkPolicy.projectcalico.org",
            PolicyKind::CalicoGlobalNetworkPolicy => "GlobalNetworkPolicy",
        }
    }

    /// Whether it is one of Calico's kinds.
    pub fn is_calico(self) -> bool {
        matches!(self, PolicyKind::CalicoNetworkPolicy | PolicyKind::CalicoGlobalNetworkPolicy)
    }

    /// Whether it is one of Cilium's kinds.
    pub fn is_cilium(self) -> bool {
        matches!(self, PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy)
    }
}

/// What an L3/L4 model cannot see of a rule that decided a connection, and
/// which could change the verdict.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "caveat", rename_all = "kebab-case")]
pub enum Caveat {
    /// Cilium L7 rules on the allowed ports: its proxy admits only the
    /// requests they match (`http`, `dns`, `kafka`, …).
    L7 {
        /// The L7 protocols the rule filters.
        protocols: Vec<String>,
    },
    /// Cilium `toFQDNs`: destinations by DNS name, which the policy allows
    /// at run time for the addresses the names resolve to.
    Fqdns {
        /// The names and patterns.
        names: Vec<String>,
    },
}

/// A policy object, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyRef {
    /// Its kind.
    pub kind: PolicyKind,
    /// Its namespace (`None` for the cluster-scoped admin policies).
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Where it was defined.
    pub location: Location,
}

impl PolicyRef {
    /// `namespace/name`, or `name` for the cluster-scoped kinds: how every
    /// command names a policy.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Which layer of the policy API decided part of a connection set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// AdminNetworkPolicy rules.
    Admin,
    /// NetworkPolicy rules, or the isolation NetworkPolicies imply.
    Network,
    /// BaselineAdminNetworkPolicy rules.
    Baseline,
    /// Nothing applied: allowed by default.
    Default,
}

/// What a step did to its part of the connection set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
    /// Passed from AdminNetworkPolicy to NetworkPolicy.
    Pass,
}

/// One step of an explanation: a rule (or a default) and the part of the
/// connection set it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The layer.
    pub tier: Tier,
    /// What it did.
    pub verdict: Verdict,
    /// The policy, `None` for defaults (allowed when nothing applies; denied
    /// because NetworkPolicies isolate the pod and no rule allows).
    pub policy: Option<PolicyRef>,
    /// The rule's index in the policy's `ingress` or `egress` list.
    pub rule: Option<usize>,
    /// The rule's name (admin policies name their rules).
    pub rule_name: Option<String>,
    /// The rule's location (`spec.ingress[0]`), when known.
    pub location: Option<Location>,
    /// The connections this step decided.
    pub connections: ConnectionSet,
    /// Calico: the tier whose end denied (or passed) these connections,
    /// when the step is the end of a tier rather than a rule.
    pub calico_tier: Option<String>,
    /// What the model cannot see of the rule.
    pub caveat: Option<Caveat>,
}

/// How one direction of a connection was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectionExplanation {
    /// Ingress (the destination's policies) or egress (the source's).
    pub direction: Direction,
    /// Whether the subject is a pod policies can apply to (`false` for
    /// addresses outside the cluster and `hostNetwork` pods).
    pub policies_apply: bool,
    /// The NetworkPolicies that isolate the subject in this direction.
    pub isolated_by: Vec<PolicyRef>,
    /// The steps that decided the connection set, in evaluation order.
    pub steps: Vec<Step>,
    /// What this direction allows.
    pub allowed: ConnectionSet,
    /// Rules the model cannot evaluate that apply here and could change
    /// what is denied (Cilium `toFQDNs` towards an address outside the
    /// cluster), with the policy and the rule's location.
    pub caveats: Vec<(PolicyRef, Option<Location>, Caveat)>,
}

/// Why a connection is allowed or denied, per direction and tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The source's egress.
    pub egress: DirectionExplanation,
    /// The destination's ingress.
    pub ingress: DirectionExplanation,
    /// What both allow: everything when the connection is exempt.
    pub allowed: ConnectionSet,
    /// Why policies do not apply at all (a pod to itself, node traffic);
    /// the directions still say what the policies alone would decide.
    pub exemption: Option<Exemption>,
}

impl Explanation {
    /// Whether any policy took part: an end is isolated, or an admin tier
    /// decided part of the connection set.
    pub fn policies_involved(&self) -> bool {
        [&self.egress, &self.ingress]
            .iter()
            .any(|d| !d.isolated_by.is_empty() || d.steps.iter().any(|s| s.tier != Tier::Default))
    }
}

/// What the compiler needs of the plugin for Cilium's and Calico's policies.
fn native_options(plugin: &PluginBehaviour) -> compile::NativeOptions {
    let cilium_version = plugin
        .detection
        .found
        .iter()
        .find(|found| found.cni == crate::cni::Cni::Cilium)
        .and_then(|found| found.version.as_deref())
        .and_then(|version| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        });
    compile::NativeOptions { cilium_version, ip_blocks_match_nodes: plugin.ip_blocks_match_nodes.value }
}

/// The compiled policies of a cluster. Immutable; build it once per
/// [`Cluster`] and query it many times.
///
/// Built with [`PolicyEngine::for_point_queries`], it compiles, on each
/// question about pods, only their namespaces (see `point.rs`); the
/// questions about the whole cluster (the class matrix, a policy's pods)
/// compile everything, once, on first use. Either way the answers are
/// those of the same compiled engine code.
pub struct PolicyEngine<'c> {
    cluster: &'c Cluster,
    plugin: PluginBehaviour,
    tiers: Tiers,
    addresses: std::sync::Arc<compile::Addresses>,
    /// Every pod's class, compiled on first use (at once for
    /// [`PolicyEngine::for_plugin`]).
    whole: OnceLock<Whole<'c>>,
    /// The engine compiled for the namespaces asked about so far, for an
    /// engine built for point queries.
    point: Option<point::PointCompiled<'c>>,
}

/// The engine compiled for every pod, and what it remembers.
struct Whole<'c> {
    compiled: compile::Compiled<'c>,
    /// Answers of [`PolicyEngine::external_ingress`], per class.
    external_ingress: external::ExternalIngressMemo,
}

impl<'c> PolicyEngine<'c> {
    /// Compiles the policies of `cluster`, with `hostNetwork` pods as node
    /// traffic ([`HostNetwork::Node`]).
    /// No network plugin is known ([`PluginBehaviour::unknown`]).
    pub fn new(cluster: &'c Cluster, options: PolicyOptions) -> PolicyEngine<'c> {
        PolicyEngine::with_host_network(cluster, options, HostNetwork::Node)
    }

    /// Compiles the policies of `cluster`, treating `hostNetwork` pods as
    /// `host_network` says. No network plugin is known.
    pub fn with_host_network(
        cluster: &'c Cluster,
        options: PolicyOptions,
        host_network: HostNetwork,
    ) -> PolicyEngine<'c> {
        PolicyEngine::for_plugin(
            cluster,
            PluginBehaviour::unknown(options, host_network),
            PolicyView::AsWritten,
        )
    }

    /// Compiles the policies of `cluster` the way `plugin` applies them:
    /// its ipBlock and `hostNetwork` behaviour, and, in
    /// [`PolicyView::Effective`], only the kinds of policy it enforces.
    pub fn for_plugin(cluster: &'c Cluster, plugin: PluginBehaviour, view: PolicyView) -> PolicyEngine<'c> {
        let engine = PolicyEngine::uncompiled(cluster, plugin.tiers(view), plugin, None);
        engine.whole();
        engine
    }

    /// The engine of [`PolicyEngine::for_plugin`], for a few questions
    /// about a few pods (`trace`): each question about pods compiles only
    /// the pods of their namespaces and the NetworkPolicies that can select
    /// them, and remembers it for the next question. The answers are the
    /// same; a question about the whole cluster compiles it whole.
    pub fn for_point_queries(
        cluster: &'c Cluster,
        plugin: PluginBehaviour,
        view: PolicyView,
    ) -> PolicyEngine<'c> {
        let point = Some(point::PointCompiled::default());
        PolicyEngine::uncompiled(cluster, plugin.tiers(view), plugin, point)
    }

    fn uncompiled(
        cluster: &'c Cluster,
        tiers: Tiers,
        plugin: PluginBehaviour,
        point: Option<point::PointCompiled<'c>>,
    ) -> PolicyEngine<'c> {
        let addresses = compile::Addresses::of(cluster, tiers);
        PolicyEngine { cluster, plugin, tiers, addresses, whole: OnceLock::new(), point }
    }

    /// Compiles the policies for the pods `scope` holds.
    fn compile(&self, scope: compile::Scope<'_>) -> compile::Compiled<'c> {
        compile::Compiled::new(
            self.cluster,
            self.plugin.policy_options(),
            self.plugin.host_network,
            self.tiers,
            native_options(&self.plugin),
            &self.addresses,
            scope,
        )
    }

    /// The engine compiled for every pod.
    fn whole(&self) -> &compile::Compiled<'c> {
        &self.whole_memo().compiled
    }

    fn whole_memo(&self) -> &Whole<'c> {
        self.whole.get_or_init(|| {
            let compiled = self.compile(compile::Scope::Cluster);
            let external_ingress = external::ExternalIngressMemo::new(compiled.classes.len());
            Whole { compiled, external_ingress }
        })
    }

    /// The plugin behaviour the engine was compiled for.
    pub fn plugin(&self) -> &PluginBehaviour {
        &self.plugin
    }

    /// The same cluster's policies compiled again for `cluster` (a copy of
    /// it with more pods), with the same plugin behaviour and tiers, and
    /// for point queries if this engine is.
    pub fn recompile<'d>(&self, cluster: &'d Cluster) -> PolicyEngine<'d> {
        let point = self.point.as_ref().map(|_| point::PointCompiled::default());
        let engine = PolicyEngine::uncompiled(cluster, self.tiers, self.plugin.clone(), point);
        if engine.point.is_none() {
            engine.whole();
        }
        engine
    }

    /// The cluster the engine was compiled from.
    pub fn cluster(&self) -> &'c Cluster {
        self.cluster
    }

    /// The connections allowed from `from` to `to` (everything when the
    /// connection is exempt, see [`PolicyEngine::exemption`]). For an external range
    /// spanning several blocks ([`PolicyEngine::external_ranges`]), what is
    /// allowed for every address of it. Between two external endpoints,
    /// nothing applies: everything.
    pub fn allowed(&self, from: &Endpoint, to: &Endpoint) -> ConnectionSet {
        self.for_endpoints(&[from, to], |compiled| compiled.allowed(from, to))
    }

    /// Why `from` reaches `to` whatever the policies, if it does: a pod to
    /// itself, or traffic between a pod and its node. [`allowed`] and
    /// [`explain`] already include it; the [`ClassMatrix`] does not, since
    /// it answers for classes of pods (the matrix leaves self pairs out).
    ///
    /// [`allowed`]: PolicyEngine::allowed
    /// [`explain`]: PolicyEngine::explain
    pub fn exemption(&self, from: &Endpoint, to: &Endpoint) -> Option<Exemption> {
        self.for_endpoints(&[from, to], |compiled| compiled.exemption(from, to))
    }

    /// Why `from` may or may not reach `to`. An external range is explained
    /// by the block holding its first address.
    pub fn explain(&self, from: &Endpoint, to: &Endpoint) -> Explanation {
        self.for_endpoints(&[from, to], |compiled| compiled.explain(from, to))
    }

    /// Whether NetworkPolicies isolate `pod` in `direction` (admin policies
    /// never isolate).
    pub fn is_isolated(&self, pod: PodId, direction: Direction) -> bool {
        self.for_endpoints(&[&Endpoint::Pod(pod)], |compiled| compiled.is_isolated(pod, direction))
    }

    /// The policies that apply to `pod` in `direction`, in evaluation order:
    /// AdminNetworkPolicies (with rules in that direction) by priority, the
    /// NetworkPolicies that isolate it, then the BaselineAdminNetworkPolicy.
    pub fn selecting_policies(&self, pod: PodId, direction: Direction) -> Vec<PolicyRef> {
        self.for_endpoints(&[&Endpoint::Pod(pod)], |compiled| compiled.selecting_policies(pod, direction))
    }

    /// The rules the engine holds but cannot fully evaluate (Cilium L7
    /// rules, `toFQDNs`), with their policy and location, sorted: whatever
    /// is built from the engine holds their L3/L4 part only.
    pub fn caveats(&self) -> Vec<(PolicyRef, Option<Location>, Caveat)> {
        self.whole().caveats()
    }

    /// The disjoint blocks policy CIDRs cut the address space into, sorted.
    pub fn external_ranges(&self) -> &[IpRange] {
        &self.addresses.blocks
    }

    /// The ranges external sources are told apart by: the blocks cut by
    /// ingress `ipBlock`s only (addresses within one behave alike as sources).
    pub fn external_sources(&self) -> &[IpRange] {
        &self.addresses.source_ranges
    }

    /// The connections some address outside the cluster may open to `pod`:
    /// the union, over [`PolicyEngine::external_sources`], of what
    /// [`PolicyEngine::allowed`] allows from each range to the pod. Computed
    /// once per class of pods (a class's pods share the answer, but for the
    /// pod's own node, which always reaches it) and remembered.
    pub fn external_ingress(&self, pod: PodId) -> ConnectionSet {
        let whole = self.whole_memo();
        whole.compiled.external_ingress(pod, &whole.external_ingress)
    }

    /// The ranges external destinations are told apart by: the blocks cut
    /// by egress `ipBlock`s, ANP `networks` and node addresses.
    pub fn external_destinations(&self) -> &[IpRange] {
        &self.addresses.destination_ranges
    }

    /// The number of pod equivalence classes.
    pub fn class_count(&self) -> usize {
        self.whole().pod_class_count()
    }

    /// The equivalence class of `pod`: pods of one class get the same answer
    /// from every query.
    pub fn class_of(&self, pod: PodId) -> usize {
        self.whole().pod_class[pod.0 as usize] as usize
    }

    /// Computes the connections between every pair of classes and external
    /// blocks.
    pub fn class_matrix(&self) -> ClassMatrix<'_> {
        ClassMatrix::new(self.whole())
    }

    /// The cells of the class matrix with an end among `peers` (indices as
    /// [`ClassMatrix`]'s), computed without the rest: for a matrix
    /// filtered to a few peers.
    pub fn focused_matrix(&self, peers: &[usize]) -> FocusedMatrix<'_> {
        FocusedMatrix::new(self.whole(), peers)
    }

    /// The class matrix's index of an endpoint ([`ClassMatrix::index`]),
    /// without computing the matrix.
    pub fn peer_index(&self, endpoint: &Endpoint) -> usize {
        class_matrix::peer_index(self.whole(), endpoint)
    }

    /// The number of peers of the class matrix: classes, then address blocks.
    pub fn peer_count(&self) -> usize {
        self.whole().classes.len() + self.addresses.blocks.len()
    }
}
