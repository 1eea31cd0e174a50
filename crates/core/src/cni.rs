//! The `cni` layer: which network plugin the cluster runs, found from its
//! objects (or named by the user), and whether it enforces NetworkPolicy and
//! the AdminNetworkPolicy tiers.
//!
//! <https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites>:
//! "Network policies are implemented by the network plugin. To use network
//! policies, you must be using a networking solution which supports
//! NetworkPolicy. Creating a NetworkPolicy resource without a controller that
//! implements it will have no effect." A plugin is recognised by the
//! DaemonSet it installs (`calico-node`, `cilium`, `kube-flannel-ds`, …), by
//! its images (`calico/node`, `cilium/cilium`, `flannel/flannel`, …), and by
//! the annotations it writes on nodes. When nothing is recognised, policies
//! are assumed to be enforced and the verdict says so ([`Enforcement::Unknown`]).
//!
//! Support for each plugin, with its source:
//!
//! - Calico, Canal (Calico's policy engine over Flannel), Cilium, Antrea,
//!   kube-router, Weave Net (its `weave-npc` container), GKE Dataplane V2
//!   (`anetd`, Cilium-based), OVN-Kubernetes, Azure Network Policy Manager
//!   (`azure-npm`) and kube-network-policies enforce NetworkPolicy: they are
//!   the providers the Kubernetes docs list
//!   (<https://kubernetes.io/docs/tasks/administer-cluster/network-policy-provider/>)
//!   or document it themselves.
//! - Flannel alone does not (the README of <https://github.com/flannel-io/flannel>:
//!   "Flannel is focused on networking. For network policy, other projects
//!   such as Calico can be used").
//! - The Amazon VPC CNI (`aws-node`) enforces only when its network policy
//!   agent, the `aws-eks-nodeagent` container (VPC CNI ≥ v1.14), runs with
//!   `--enable-network-policy=true`; the add-on's default is `false`
//!   (<https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html>,
//!   `charts/aws-vpc-cni/templates/daemonset.yaml` in aws/amazon-vpc-cni-k8s).
//! - Azure CNI (`azure-cns`) needs a policy engine beside it: `azure-npm`,
//!   Calico or Cilium (<https://learn.microsoft.com/azure/aks/use-network-policies>).
//! - kindnet: kind enforces NetworkPolicy since v0.24.0, first with a
//!   separate `kube-network-policies` DaemonSet, later inside `kindnetd`
//!   (kubernetes-sigs/kind#842, #3612; release v0.24.0); standalone kindnet
//!   since v1.3.0 (kubernetes/minikube#19871). `kindest/kindnetd` images are
//!   tagged by date, so their kind release is unknown.
//! - K3s runs Flannel plus an embedded kube-router policy controller, on
//!   unless the server runs with `--disable-network-policy`
//!   (<https://docs.k3s.io/networking/networking-services#network-policy-controller>).
//!
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (<https://network-policy-api.sigs.k8s.io/>) are implemented by
//! OVN-Kubernetes (<https://docs.okd.io/latest/networking/network_security/network-policy-apis.html>),
//! Calico (ANP since v3.29, BANP since v3.30: projectcalico/calico#7578 and
//! the `adminnetworkpolicy` / `baselineadminnetworkpolicy` tiers of
//! <https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy>),
//! Antrea (since v1.13 behind the `AdminNetworkPolicy` feature gate,
//! <https://antrea.io/docs/main/docs/admin-network-policy/>) and
//! kube-network-policies (flags `-admin-network-policy=true`,
//! `-baseline-admin-network-policy=true`, its `install-anp.yaml`). Cilium
//! does not (cilium/cilium#23380); neither do the others.

mod behaviour;
mod detect;
mod native_inventory;
mod node_peer;

use serde::Serialize;

use crate::container;
use crate::origin::Location;

pub(crate) use crate::container::{container_words, flag_bool, flag_value, image_is, repository_is};
pub use behaviour::{
    behaviour, Choice, ChoiceSource, NativePolicies, PluginBehaviour, PluginOverrides, PolicyView,
};
pub(crate) use detect::not_found;
pub use detect::{detect, given};
pub use native_inventory::{native_policy_counts, NativePolicyCount};
pub use node_peer::{cilium_entities_fix, NodePeer, FORWARDED_ENTITIES, FORWARDED_WHY, NODE_ENTITIES};

/// A network plugin, or a NetworkPolicy engine that runs beside one
/// (`azure-npm`, `kube-network-policies`). Declared in the alphabetical
/// order of their names, which is the order reports list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cni {
    /// Antrea (`antrea-agent`).
    Antrea,
    /// The Amazon VPC CNI (`aws-node`).
    AwsVpcCni,
    /// Azure CNI (`azure-cns`).
    AzureCni,
    /// Azure Network Policy Manager (`azure-npm`), the policy engine of AKS's
    /// `--network-policy azure`.
    AzureNpm,
    /// Calico (`calico-node`).
    Calico,
    /// Canal: Flannel networking with Calico's policy engine (`canal`).
    Canal,
    /// Cilium (`cilium`).
    Cilium,
    /// Flannel (`kube-flannel-ds`).
    Flannel,
    /// GKE Dataplane V2 (`anetd`, based on Cilium).
    GkeDataplaneV2,
    /// K3s' built-in networking: Flannel plus an embedded kube-router policy controller.
    K3s,
    /// kindnet, kind's default plugin (`kindnet`).
    Kindnet,
    /// kube-network-policies, the sig-network reference policy engine
    /// (`kube-network-policies`).
    KubeNetworkPolicies,
    /// kube-router (`kube-router`).
    KubeRouter,
    /// OVN-Kubernetes (`ovnkube-node`).
    OvnKubernetes,
    /// Weave Net (`weave-net`).
    Weave,
}

/// A kind of policy a plugin may enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy.
    BaselineAdminNetworkPolicy,
}

/// What a plugin's name alone says about a kind of policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "support", rename_all = "kebab-case")]
pub enum Support {
    /// Enforced (in the plugin's default configuration).
    Yes,
    /// Not implemented.
    No,
    /// Enforced only under a condition the name does not tell.
    Depends {
        /// The condition.
        condition: Condition,
    },
}

/// What decides whether a plugin enforces a kind of policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "condition", rename_all = "kebab-case")]
pub enum Condition {
    /// A setting of the plugin must be on (the Amazon VPC CNI's
    /// `--enable-network-policy=true`, kube-network-policies'
    /// `-admin-network-policy=true`).
    Setting {
        /// The setting, as written when on.
        setting: &'static str,
    },
    /// The plugin's version must be at least this.
    MinimumVersion {
        /// The first version that enforces it.
        version: &'static str,
    },
    /// A feature gate of the plugin must be enabled; gates live in
    /// configuration the model does not read.
    FeatureGate {
        /// The gate's name.
        gate: &'static str,
    },
    /// kind's release must be at least this (kindnet's `kindest/kindnetd`
    /// images are tagged by date, not by version).
    KindRelease {
        /// The first kind release that enforces it.
        release: &'static str,
    },
    /// A policy engine must run beside the plugin (Azure CNI: `azure-npm`,
    /// Calico or Cilium).
    PolicyEngine,
}

/// The result of [`detect`] or [`given`]: the plugins found and what they enforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CniDetection {
    /// Where the answer comes from.
    pub source: CniSource,
    /// The plugins found, by plugin, each with its evidence.
    pub found: Vec<Detected>,
    /// Whether NetworkPolicy is enforced.
    pub network_policy: Verdict,
    /// Whether AdminNetworkPolicy is enforced.
    pub admin_network_policy: Verdict,
    /// Whether BaselineAdminNetworkPolicy is enforced.
    pub baseline_admin_network_policy: Verdict,
}

/// Where a [`CniDetection`] comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum CniSource {
    /// Recognised from the cluster's objects.
    Detected,
    /// Named by the user (`--cni NAME`).
    Given {
        /// The name as given.
        name: String,
    },
    /// Nothing in the input names a plugin.
    NotFound,
}

/// A plugin found in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Detected {
    /// The plugin.
    pub cni: Cni,
    /// Its version, from an image tag (`v3.29.1` → `3.29.1`), when it has one.
    pub version: Option<String>,
    /// The objects that show it, sorted.
    pub evidence: Vec<Evidence>,
}

/// An object that shows a plugin is installed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// The object.
    pub object: ObjectRef,
    /// What in it gives the plugin away.
    pub clue: Clue,
    /// Where it is.
    pub location: Location,
}

/// An object by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    /// `DaemonSet`, `Pod`, `Node`, …
    pub kind: String,
    /// Its namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

/// What gives a plugin away.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "clue", rename_all = "kebab-case")]
pub enum Clue {
    /// The object has the name the plugin's installer gives it.
    Name,
    /// A container runs the plugin's image.
    Image {
        /// The container.
        container: String,
        /// The image.
        image: String,
    },
    /// A node carries an annotation the plugin writes.
    Annotation {
        /// The annotation key.
        key: String,
    },
    /// An object of a kind only the plugin's installer creates (Calico's
    /// `Installation`).
    Resource,
}

/// Whether a kind of policy is enforced, by which plugin, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Verdict {
    /// Enforced, not enforced, or unknown.
    pub enforcement: Enforcement,
    /// The plugin the verdict comes from; `None` when none was found.
    pub by: Option<Cni>,
    /// Why.
    pub reason: Reason,
}

/// Whether a kind of policy is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// Policies of this kind take effect.
    Enforced,
    /// Policies of this kind exist in the API but have no effect.
    NotEnforced,
    /// The input does not tell; policies are assumed to take effect.
    Unknown,
}

/// Why a [`Verdict`] is what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// The plugin implements this kind of policy.
    Supported,
    /// The plugin does not implement this kind of policy.
    NotSupported,
    /// A setting turns enforcement on.
    EnabledBy {
        /// The setting as found (`--enable-network-policy=true`).
        setting: String,
    },
    /// A setting turns enforcement off, or leaves it at its default, off.
    DisabledBy {
        /// The setting as found, or the default when it is not written
        /// (`--enable-network-policy=false`, `--run-firewall=false`).
        setting: String,
    },
    /// A setting decides, and the input does not show it.
    SettingUnknown {
        /// The setting that turns enforcement on.
        setting: String,
    },
    /// The container that enforces policy is not in the plugin's pods.
    ContainerMissing {
        /// The missing container (`aws-eks-nodeagent`, `weave-npc`).
        container: String,
    },
    /// The plugin's version is recent enough.
    VersionSupported {
        /// The version found.
        version: String,
        /// The first version that enforces it.
        minimum: String,
    },
    /// The plugin's version predates support.
    VersionTooOld {
        /// The version found.
        version: String,
        /// The first version that enforces it.
        minimum: String,
    },
    /// Support depends on the version, and no version could be read.
    VersionUnknown {
        /// The first version that enforces it.
        minimum: String,
    },
    /// Support depends on a feature gate the input does not show.
    FeatureGate {
        /// The gate.
        gate: String,
    },
    /// The plugin needs a policy engine beside it, and none was found.
    NoPolicyEngine,
    /// kindnet enforces NetworkPolicy since kind v0.24.0; the images do not
    /// tell the kind release.
    KindRelease {
        /// The first kind release that enforces it.
        minimum: String,
    },
    /// No plugin was recognised: enforcement is assumed.
    NothingDetected,
    /// The user named a plugin this model does not know: enforcement is assumed.
    Unrecognised {
        /// The name as given.
        name: String,
    },
}

const AWS_ENABLE_SETTING: &str = "--enable-network-policy=true";
/// The tigera-operator image (<https://docs.tigera.io/calico/latest/getting-started/kubernetes/quickstart>).
const TIGERA_OPERATOR_IMAGE: &str = "tigera/operator";
const AWS_AGENT_CONTAINER: &str = "aws-eks-nodeagent";
const WEAVE_NPC_CONTAINER: &str = "weave-npc";
const KIND_MINIMUM: &str = "v0.24.0";
const KINDNET_MINIMUM: &str = "1.3.0";
const CALICO_ANP_MINIMUM: &str = "3.29";
const CALICO_BANP_MINIMUM: &str = "3.30";
const ANTREA_ANP_MINIMUM: &str = "1.13";
const ANTREA_GATE: &str = "AdminNetworkPolicy";
const KNP_ANP_SETTING: &str = "-admin-network-policy=true";
const KNP_BANP_SETTING: &str = "-baseline-admin-network-policy=true";

impl Cni {
    /// Every plugin, in name order.
    pub const ALL: [Cni; 15] = [
        Cni::Antrea,
        Cni::AwsVpcCni,
        Cni::AzureCni,
        Cni::AzureNpm,
        Cni::Calico,
        Cni::Canal,
        Cni::Cilium,
        Cni::Flannel,
        Cni::GkeDataplaneV2,
        Cni::K3s,
        Cni::Kindnet,
        Cni::KubeNetworkPolicies,
        Cni::KubeRouter,
        Cni::OvnKubernetes,
        Cni::Weave,
    ];

    /// The plugin's name, as `--cni` takes it and reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Cni::Antrea => "antrea",
            Cni::AwsVpcCni => "aws-vpc-cni",
            Cni::AzureCni => "azure-cni",
            Cni::AzureNpm => "azure-npm",
            Cni::Calico => "calico",
            Cni::Canal => "canal",
            Cni::Cilium => "cilium",
            Cni::Flannel => "flannel",
            Cni::GkeDataplaneV2 => "gke-dataplane-v2",
            Cni::K3s => "k3s",
            Cni::Kindnet => "kindnet",
            Cni::KubeNetworkPolicies => "kube-network-policies",
            Cni::KubeRouter => "kube-router",
            Cni::OvnKubernetes => "ovn-kubernetes",
            Cni::Weave => "weave",
        }
    }

    /// What the plugin's name alone says about `kind`.
    pub fn support(self, kind: PolicyKind) -> Support {
        match kind {
            PolicyKind::NetworkPolicy => match self {
                Cni::Flannel => Support::No,
                Cni::AwsVpcCni => {
                    Support::Depends { condition: Condition::Setting { setting: AWS_ENABLE_SETTING } }
                }
                Cni::AzureCni => Support::Depends { condition: Condition::PolicyEngine },
                Cni::Kindnet => {
                    Support::Depends { condition: Condition::KindRelease { release: KIND_MINIMUM } }
                }
                _ => Support::Yes,
            },
            PolicyKind::AdminNetworkPolicy | PolicyKind::BaselineAdminNetworkPolicy => {
                let admin = kind == PolicyKind::AdminNetworkPolicy;
                match self {
                    Cni::OvnKubernetes => Support::Yes,
                    Cni::Calico | Cni::Canal => Support::Depends {
                        condition: Condition::MinimumVersion {
                            version: if admin { CALICO_ANP_MINIMUM } else { CALICO_BANP_MINIMUM },
                        },
                    },
                    Cni::Antrea => {
                        Support::Depends { condition: Condition::FeatureGate { gate: ANTREA_GATE } }
                    }
                    Cni::KubeNetworkPolicies => Support::Depends {
                        condition: Condition::Setting {
                            setting: if admin { KNP_ANP_SETTING } else { KNP_BANP_SETTING },
                        },
                    },
                    _ => Support::No,
                }
            }
        }
    }

    /// Whether the plugin enforces NetworkPolicy, by its name alone.
    pub fn enforces_network_policy(self) -> Support {
        self.support(PolicyKind::NetworkPolicy)
    }
}

impl Enforcement {
    /// Whether policies of this kind should be evaluated: enforced, or
    /// unknown (assumed enforced).
    pub fn assumed(self) -> bool {
        self != Enforcement::NotEnforced
    }
}

impl CniDetection {
    /// The verdict for `kind`.
    pub fn verdict(&self, kind: PolicyKind) -> &Verdict {
        match kind {
            PolicyKind::NetworkPolicy => &self.network_policy,
            PolicyKind::AdminNetworkPolicy => &self.admin_network_policy,
            PolicyKind::BaselineAdminNetworkPolicy => &self.baseline_admin_network_policy,
        }
    }
}

/// The plugin called `name` (case-insensitive), with common aliases:
/// `aws`, `aws-node`, `amazon-vpc-cni`, `azure`, `anetd`, `dataplane-v2`,
/// `ovn-k`, `weave-net`, …
pub fn from_name(name: &str) -> Option<Cni> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(cni) = Cni::ALL.into_iter().find(|c| c.name() == name) {
        return Some(cni);
    }
    Some(match name.as_str() {
        "aws" | "aws-node" | "amazon-vpc-cni" | "amazon-vpc-cni-k8s" | "vpc-cni" => Cni::AwsVpcCni,
        "azure" | "azure-cns" | "azure-vnet" => Cni::AzureCni,
        "gke" | "anetd" | "dataplane-v2" | "dpv2" => Cni::GkeDataplaneV2,
        "ovn" | "ovn-k" | "ovnk" | "ovn-k8s" | "ovnkubernetes" => Cni::OvnKubernetes,
        "weave-net" | "weavenet" => Cni::Weave,
        "kube-flannel" => Cni::Flannel,
        "kindnetd" => Cni::Kindnet,
        "kuberouter" => Cni::KubeRouter,
        "npm" => Cni::AzureNpm,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
