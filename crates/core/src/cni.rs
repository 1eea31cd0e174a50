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

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde::Serialize;

use crate::model::{Cluster, PodOwner};
use crate::origin::{Location, Origin};

pub use behaviour::{
    behaviour, Choice, ChoiceSource, NativePolicies, PluginBehaviour, PluginOverrides, PolicyView,
};

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

/// The answer for a plugin the user names (`--cni NAME`), by its name alone:
/// settings and versions the cluster's objects would show are unknown.
pub fn given(name: &str) -> CniDetection {
    let source = CniSource::Given { name: name.to_owned() };
    let Some(cni) = from_name(name) else {
        let unknown = Verdict {
            enforcement: Enforcement::Unknown,
            by: None,
            reason: Reason::Unrecognised { name: name.to_owned() },
        };
        return CniDetection {
            source,
            found: Vec::new(),
            network_policy: unknown.clone(),
            admin_network_policy: unknown.clone(),
            baseline_admin_network_policy: unknown,
        };
    };
    let facts = Facts::default();
    let verdict = |kind| {
        let (enforcement, reason) = judge(cni, &facts, &[], kind);
        Verdict { enforcement, by: Some(cni), reason }
    };
    CniDetection {
        source,
        found: vec![Detected { cni, version: None, evidence: Vec::new() }],
        network_policy: verdict(PolicyKind::NetworkPolicy),
        admin_network_policy: verdict(PolicyKind::AdminNetworkPolicy),
        baseline_admin_network_policy: verdict(PolicyKind::BaselineAdminNetworkPolicy),
    }
}

/// Recognises the cluster's network plugins from its workloads, its pods
/// that belong to no workload in the input, and its nodes' annotations.
pub fn detect(cluster: &Cluster) -> CniDetection {
    let mut found: BTreeMap<Cni, Facts> = BTreeMap::new();
    for workload in cluster.workloads() {
        if workload.owner.is_some() {
            continue;
        }
        let Some(spec) = workload.template.spec.as_ref() else { continue };
        let object = ObjectRef {
            kind: workload.kind.as_str().to_owned(),
            namespace: Some(workload.namespace.clone()),
            name: workload.name.clone(),
        };
        inspect(&mut found, object, &workload.name, spec, &workload.origin);
    }
    for pod in cluster.pods() {
        if pod.is_representative() || matches!(pod.owner, Some(PodOwner::Workload(_))) {
            continue;
        }
        // A pod whose DaemonSet is not in the input still carries its name.
        let owner_name = match &pod.owner {
            Some(PodOwner::Unresolved { name, .. }) => name.as_str(),
            _ => pod.name.as_str(),
        };
        let object = ObjectRef {
            kind: "Pod".to_owned(),
            namespace: Some(pod.namespace.clone()),
            name: pod.name.clone(),
        };
        inspect(&mut found, object, owner_name, &pod.spec, &pod.origin);
    }
    inspect_nodes(cluster, &mut found);
    inspect_installations(cluster, &mut found);

    if found.is_empty() {
        return not_found();
    }
    let present: Vec<Cni> = found.keys().copied().collect();
    let verdict = |kind| combine(found.iter().map(|(&cni, facts)| (cni, judge(cni, facts, &present, kind))));
    CniDetection {
        source: CniSource::Detected,
        network_policy: verdict(PolicyKind::NetworkPolicy),
        admin_network_policy: verdict(PolicyKind::AdminNetworkPolicy),
        baseline_admin_network_policy: verdict(PolicyKind::BaselineAdminNetworkPolicy),
        found: found
            .into_iter()
            .map(|(cni, facts)| Detected {
                cni,
                version: facts.version,
                evidence: facts.evidence.into_iter().collect(),
            })
            .collect(),
    }
}

/// The answer when nothing in the input names a plugin: every kind of
/// policy is assumed enforced, and the verdict says it is unknown.
pub(crate) fn not_found() -> CniDetection {
    let unknown = Verdict { enforcement: Enforcement::Unknown, by: None, reason: Reason::NothingDetected };
    CniDetection {
        source: CniSource::NotFound,
        found: Vec::new(),
        network_policy: unknown.clone(),
        admin_network_policy: unknown.clone(),
        baseline_admin_network_policy: unknown,
    }
}

/// The repository of a container image, without registry, tag or digest:
/// `registry.k8s.io/ingress-nginx/controller:v1.10.0@sha256:…` →
/// `ingress-nginx/controller`; Docker Hub's `library/` prefix is dropped.
pub(crate) fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or_default();
    let without_tag = match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    };
    let repository = match without_tag.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => without_tag,
    };
    repository.strip_prefix("library/").unwrap_or(repository)
}

/// Whether `image`'s repository is `suffix` or ends with `/suffix`.
pub(crate) fn image_is(image: &str, suffix: &str) -> bool {
    repository_is(image_repository(image), suffix)
}

/// Whether an [`image_repository`] is `suffix` or ends with `/suffix`.
pub(crate) fn repository_is(repository: &str, suffix: &str) -> bool {
    repository == suffix || repository.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('/'))
}

/// The version in an image tag: `calico/node:v3.29.1` → `3.29.1`;
/// `None` for tags that do not start with a dotted number (`latest`, dates).
pub(crate) fn image_version(image: &str) -> Option<String> {
    let image = image.split('@').next().unwrap_or_default();
    let colon = image.rfind(':')?;
    let tag = &image[colon + 1..];
    if tag.contains('/') {
        return None;
    }
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let end = tag.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(tag.len());
    let version = tag[..end].trim_end_matches('.');
    (version.contains('.') && version.split('.').all(|part| !part.is_empty())).then(|| version.to_owned())
}

/// A container's command and arguments, split at whitespace (so that
/// `sh -c "controller --flag=x"` is read too).
pub(crate) fn container_words(container: &Container) -> Vec<&str> {
    container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .flat_map(|word| word.split_whitespace())
        .collect()
}

/// The value of a string flag (`--name=value`, `-name=value`, `--name value`).
pub(crate) fn flag_value<'a>(words: &[&'a str], name: &str) -> Option<&'a str> {
    for (i, word) in words.iter().enumerate() {
        let Some(body) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else { continue };
        match body.split_once('=') {
            Some((flag, value)) if flag == name => return Some(value),
            None if body == name => return words.get(i + 1).copied().filter(|next| !next.starts_with('-')),
            _ => {}
        }
    }
    None
}

/// The value of a boolean flag: `Some(true)` for `--name` or `--name=true`,
/// `Some(false)` for `--name=false`, `None` when absent.
pub(crate) fn flag_bool(words: &[&str], name: &str) -> Option<bool> {
    words.iter().rev().find_map(|word| {
        let body = word.strip_prefix("--").or_else(|| word.strip_prefix('-'))?;
        match body.split_once('=') {
            Some((flag, value)) if flag == name => Some(value.eq_ignore_ascii_case("true") || value == "1"),
            None if body == name => Some(true),
            _ => None,
        }
    })
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

/// Names the plugins' installers give their DaemonSets.
const NAMES: &[(&str, Cni)] = &[
    ("anetd", Cni::GkeDataplaneV2),
    ("antrea-agent", Cni::Antrea),
    ("aws-node", Cni::AwsVpcCni),
    ("azure-cns", Cni::AzureCni),
    ("azure-npm", Cni::AzureNpm),
    ("calico-node", Cni::Calico),
    ("canal", Cni::Canal),
    ("cilium", Cni::Cilium),
    ("kindnet", Cni::Kindnet),
    ("kube-flannel", Cni::Flannel),
    ("kube-flannel-ds", Cni::Flannel),
    ("kube-network-policies", Cni::KubeNetworkPolicies),
    ("kube-router", Cni::KubeRouter),
    ("ovnkube-node", Cni::OvnKubernetes),
    // The operator of Calico's official quickstart, which creates
    // `calico-node` from an `Installation` at run time.
    ("tigera-operator", Cni::Calico),
    ("weave-net", Cni::Weave),
];

/// Node annotations plugins write, with the plugin.
const NODE_ANNOTATIONS: &[(&str, Cni)] = &[
    ("flannel.alpha.coreos.com/backend-type", Cni::Flannel),
    ("io.cilium.network.ipv4-cilium-host", Cni::Cilium),
    ("k3s.io/node-args", Cni::K3s),
    ("network.cilium.io/ipv4-cilium-host", Cni::Cilium),
    ("projectcalico.org/IPv4Address", Cni::Calico),
];

/// What was seen of one plugin across the objects that show it.
#[derive(Debug, Default)]
struct Facts {
    /// Whether the facts come from the cluster (false for a plugin the user named).
    observed: bool,
    version: Option<String>,
    evidence: BTreeSet<Evidence>,
    /// Container names of the plugin's pods.
    containers: BTreeSet<String>,
    /// Command-line words of the plugin's containers, by container name.
    words: BTreeMap<String, Vec<String>>,
    /// K3s server flags from the `k3s.io/node-args` annotation.
    node_args: Vec<String>,
}

/// The plugin an image belongs to.
fn plugin_of_image(image: &str) -> Option<Cni> {
    let repository = image_repository(image);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    Some(match last {
        "node" if image_is(image, "calico/node") => Cni::Calico,
        "operator" if image_is(image, TIGERA_OPERATOR_IMAGE) => Cni::Calico,
        "cilium" => Cni::Cilium,
        _ if last == "flannel" || last.ends_with("-flannel") => Cni::Flannel,
        "weave-kube" | "weave-npc" => Cni::Weave,
        _ if last.starts_with("antrea-agent") || last.starts_with("antrea-ubuntu") => Cni::Antrea,
        "kube-router" => Cni::KubeRouter,
        "kindnetd" => Cni::Kindnet,
        _ if last.starts_with("kube-network-policies") => Cni::KubeNetworkPolicies,
        "amazon-k8s-cni" | "aws-network-policy-agent" => Cni::AwsVpcCni,
        "azure-cns" => Cni::AzureCni,
        "azure-npm" => Cni::AzureNpm,
        _ if last.contains("ovn-kube") || last.contains("ovn-kubernetes") => Cni::OvnKubernetes,
        _ => return None,
    })
}

/// Records the plugin `spec` belongs to, if any: by the object's name first
/// (so that Canal's `calico/node` container does not count as Calico), else
/// by its containers' images (Calico and Flannel images together are Canal).
fn inspect(found: &mut BTreeMap<Cni, Facts>, object: ObjectRef, name: &str, spec: &PodSpec, origin: &Origin) {
    let by_name = NAMES.iter().find(|(n, _)| *n == name).map(|(_, cni)| *cni);
    let images: Vec<(Cni, &Container)> =
        spec.containers.iter().filter_map(|c| Some((plugin_of_image(c.image.as_deref()?)?, c))).collect();
    let cni = match by_name {
        Some(cni) => cni,
        None => {
            let has = |cni| images.iter().any(|(c, _)| *c == cni);
            if has(Cni::Calico) && has(Cni::Flannel) {
                Cni::Canal
            } else {
                let Some((cni, _)) = images.first() else { return };
                *cni
            }
        }
    };
    let facts = found.entry(cni).or_default();
    facts.observed = true;
    let location = origin.location();
    if by_name.is_some() {
        facts.evidence.insert(Evidence {
            object: object.clone(),
            clue: Clue::Name,
            location: location.clone(),
        });
    }
    for (image_cni, container) in &images {
        let image = container.image.clone().unwrap_or_default();
        let belongs =
            *image_cni == cni || (cni == Cni::Canal && matches!(image_cni, Cni::Calico | Cni::Flannel));
        if !belongs {
            continue;
        }
        // The operator's own version is not Calico's.
        let operator = image_is(&image, TIGERA_OPERATOR_IMAGE);
        if facts.version.is_none() && !operator && (cni != Cni::Canal || *image_cni == Cni::Calico) {
            facts.version = image_version(&image);
        }
        let clue = Clue::Image { container: container.name.clone(), image };
        facts.evidence.insert(Evidence { object: object.clone(), clue, location: location.clone() });
    }
    for container in &spec.containers {
        facts.containers.insert(container.name.clone());
        let words = container_words(container).into_iter().map(str::to_owned).collect();
        facts.words.insert(container.name.clone(), words);
    }
}

/// Records plugins from node annotations: the first node (by name) with
/// each annotation is the evidence.
fn inspect_nodes(cluster: &Cluster, found: &mut BTreeMap<Cni, Facts>) {
    let mut nodes: Vec<_> = cluster.nodes().iter().collect();
    nodes.sort_by(|a, b| a.value.metadata.name.cmp(&b.value.metadata.name));
    for (key, cni) in NODE_ANNOTATIONS {
        let Some(node) = nodes
            .iter()
            .find(|n| n.value.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(*key)))
        else {
            continue;
        };
        let facts = found.entry(*cni).or_default();
        facts.observed = true;
        let object = ObjectRef {
            kind: "Node".to_owned(),
            namespace: None,
            name: node.value.metadata.name.clone().unwrap_or_default(),
        };
        let clue = Clue::Annotation { key: (*key).to_owned() };
        facts.evidence.insert(Evidence { object, clue, location: node.origin.location() });
        if *cni == Cni::K3s {
            // Server flags, as a JSON array of strings; agents list only theirs.
            for node in &nodes {
                let args = node.value.metadata.annotations.as_ref().and_then(|a| a.get(*key));
                let parsed: Vec<String> = args.and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
                facts.node_args.extend(parsed);
            }
        }
    }
}

/// Calico's operator `Installation` (operator.tigera.io/v1, created by the
/// official quickstart, <https://docs.tigera.io/calico/latest/getting-started/kubernetes/quickstart>):
/// Calico runs, at the version of `status.calicoVersion`. With
/// `spec.cni.type` another plugin (`AmazonVPC`, `AzureVNET`, `GKE`) does the
/// networking and Calico enforces policy, which is what the model needs.
fn inspect_installations(cluster: &Cluster, found: &mut BTreeMap<Cni, Facts>) {
    for object in cluster.calico_objects() {
        let crate::calico::CalicoObject::Installation(installation) = &object.value else { continue };
        let facts = found.entry(Cni::Calico).or_default();
        facts.observed = true;
        let version = installation.status.as_ref().and_then(|s| s.calico_version.as_deref());
        if let Some(version) = version.and_then(|v| image_version(&format!("calico/node:{v}"))) {
            facts.version.get_or_insert(version);
        }
        let object_ref = ObjectRef {
            kind: "Installation".to_owned(),
            namespace: None,
            name: installation.metadata.name.clone().unwrap_or_default(),
        };
        facts.evidence.insert(Evidence {
            object: object_ref,
            clue: Clue::Resource,
            location: object.origin.location(),
        });
    }
}

/// What `cni` enforces of `kind`, given what was seen of it and the other
/// plugins `present`.
fn judge(cni: Cni, facts: &Facts, present: &[Cni], kind: PolicyKind) -> (Enforcement, Reason) {
    use Enforcement::{Enforced, NotEnforced, Unknown};
    let words_of = |container: &str| -> Vec<&str> {
        facts.words.get(container).map(|w| w.iter().map(String::as_str).collect()).unwrap_or_default()
    };
    let all_words: Vec<&str> = facts.words.values().flatten().map(String::as_str).collect();
    match (cni.support(kind), kind) {
        (Support::No, _) => (NotEnforced, Reason::NotSupported),
        (Support::Yes, PolicyKind::NetworkPolicy) => match cni {
            Cni::Weave if facts.observed && !facts.containers.contains(WEAVE_NPC_CONTAINER) => {
                (NotEnforced, Reason::ContainerMissing { container: WEAVE_NPC_CONTAINER.to_owned() })
            }
            Cni::KubeRouter if flag_bool(&all_words, "run-firewall") == Some(false) => {
                (NotEnforced, Reason::DisabledBy { setting: "--run-firewall=false".to_owned() })
            }
            Cni::K3s if facts.node_args.iter().any(|a| a == "--disable-network-policy") => {
                (NotEnforced, Reason::DisabledBy { setting: "--disable-network-policy".to_owned() })
            }
            _ => (Enforced, Reason::Supported),
        },
        (Support::Yes, _) => (Enforced, Reason::Supported),
        (Support::Depends { condition }, _) => match (cni, condition) {
            (Cni::AwsVpcCni, _) => {
                if !facts.observed {
                    return (Unknown, Reason::SettingUnknown { setting: AWS_ENABLE_SETTING.to_owned() });
                }
                if !facts.containers.contains(AWS_AGENT_CONTAINER) {
                    return (
                        NotEnforced,
                        Reason::ContainerMissing { container: AWS_AGENT_CONTAINER.to_owned() },
                    );
                }
                match flag_value(&words_of(AWS_AGENT_CONTAINER), "enable-network-policy") {
                    Some(value) if value.eq_ignore_ascii_case("true") => {
                        (Enforced, Reason::EnabledBy { setting: format!("--enable-network-policy={value}") })
                    }
                    Some(value) => (
                        NotEnforced,
                        Reason::DisabledBy { setting: format!("--enable-network-policy={value}") },
                    ),
                    None => (
                        NotEnforced,
                        Reason::DisabledBy { setting: "--enable-network-policy=false".to_owned() },
                    ),
                }
            }
            (Cni::AzureCni, _) if facts.observed => (NotEnforced, Reason::NoPolicyEngine),
            (Cni::AzureCni, _) => (Unknown, Reason::NoPolicyEngine),
            (Cni::Kindnet, _) => {
                if present.contains(&Cni::KubeNetworkPolicies) {
                    // kind v0.24's separate DaemonSet enforces; it has its own verdict.
                    return (NotEnforced, Reason::NotSupported);
                }
                let standalone = facts.evidence.iter().any(|e| match &e.clue {
                    Clue::Image { image, .. } => !image_is(image, "kindest/kindnetd"),
                    _ => false,
                });
                match facts.version.as_deref() {
                    Some(version) if standalone => by_version(version, KINDNET_MINIMUM),
                    _ => (Unknown, Reason::KindRelease { minimum: KIND_MINIMUM.to_owned() }),
                }
            }
            (_, Condition::MinimumVersion { version: minimum }) => match facts.version.as_deref() {
                Some(version) => by_version(version, minimum),
                None => (Unknown, Reason::VersionUnknown { minimum: minimum.to_owned() }),
            },
            (Cni::Antrea, Condition::FeatureGate { gate }) => match facts.version.as_deref() {
                Some(version) if version_less(version, ANTREA_ANP_MINIMUM) => (
                    NotEnforced,
                    Reason::VersionTooOld {
                        version: version.to_owned(),
                        minimum: ANTREA_ANP_MINIMUM.to_owned(),
                    },
                ),
                _ => (Unknown, Reason::FeatureGate { gate: gate.to_owned() }),
            },
            (_, Condition::Setting { setting }) => {
                if !facts.observed {
                    return (Unknown, Reason::SettingUnknown { setting: setting.to_owned() });
                }
                let flag = setting.trim_start_matches('-').split('=').next().unwrap_or_default();
                match flag_bool(&all_words, flag) {
                    Some(true) => (Enforced, Reason::EnabledBy { setting: setting.to_owned() }),
                    _ => (NotEnforced, Reason::DisabledBy { setting: format!("-{flag}=false") }),
                }
            }
            (_, condition) => (Unknown, unknown_reason(condition)),
        },
    }
}

fn unknown_reason(condition: Condition) -> Reason {
    match condition {
        Condition::Setting { setting } => Reason::SettingUnknown { setting: setting.to_owned() },
        Condition::MinimumVersion { version } => Reason::VersionUnknown { minimum: version.to_owned() },
        Condition::FeatureGate { gate } => Reason::FeatureGate { gate: gate.to_owned() },
        Condition::KindRelease { release } => Reason::KindRelease { minimum: release.to_owned() },
        Condition::PolicyEngine => Reason::NoPolicyEngine,
    }
}

fn by_version(version: &str, minimum: &str) -> (Enforcement, Reason) {
    let (version, minimum) = (version.to_owned(), minimum.to_owned());
    if version_less(&version, &minimum) {
        (Enforcement::NotEnforced, Reason::VersionTooOld { version, minimum })
    } else {
        (Enforcement::Enforced, Reason::VersionSupported { version, minimum })
    }
}

/// Whether dotted version `a` is lower than `b` (missing parts count as 0).
fn version_less(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (mut a, mut b) = (parse(a), parse(b));
    let len = a.len().max(b.len());
    a.resize(len, 0);
    b.resize(len, 0);
    a < b
}

/// One verdict from the plugins' own: any plugin that enforces wins (they
/// run side by side, e.g. Calico for policy beside the Amazon VPC CNI); else
/// an unknown one; else one that could enforce but is configured not to;
/// else the first.
fn combine(verdicts: impl Iterator<Item = (Cni, (Enforcement, Reason))>) -> Verdict {
    let verdicts: Vec<(Cni, (Enforcement, Reason))> = verdicts.collect();
    let pick = |wanted: Enforcement| verdicts.iter().find(|(_, (e, _))| *e == wanted);
    let (cni, (enforcement, reason)) = pick(Enforcement::Enforced)
        .or_else(|| pick(Enforcement::Unknown))
        .or_else(|| verdicts.iter().find(|(_, (_, r))| *r != Reason::NotSupported))
        .or_else(|| verdicts.first())
        .cloned()
        .expect("combine is called with at least one plugin");
    Verdict { enforcement, by: Some(cni), reason }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    /// A DaemonSet in `kube-system` running `containers` (name, image, args).
    fn daemon_set(name: &str, containers: &[(&str, &str, &[&str])]) -> Value {
        let containers: Vec<Value> = containers
            .iter()
            .map(|(name, image, args)| json!({"name": name, "image": image, "args": args}))
            .collect();
        json!({
            "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}},
        })
    }

    fn describe_verdict(verdict: &Verdict) -> String {
        let by = verdict.by.map_or("-", Cni::name);
        format!("{:?} by {by}: {:?}", verdict.enforcement, verdict.reason)
    }

    /// Everything the layer says, one fact per line.
    fn describe(detection: &CniDetection) -> String {
        let mut lines = vec![format!("source {:?}", detection.source)];
        for found in &detection.found {
            let evidence: Vec<String> = found
                .evidence
                .iter()
                .map(|e| {
                    let clue = match &e.clue {
                        Clue::Name => "name".to_owned(),
                        Clue::Image { container, image } => format!("image {container}={image}"),
                        Clue::Annotation { key } => format!("annotation {key}"),
                        Clue::Resource => "resource".to_owned(),
                    };
                    format!("{}/{} {clue}", e.object.kind, e.object.name)
                })
                .collect();
            lines.push(format!("found {} {:?} [{}]", found.cni.name(), found.version, evidence.join("; ")));
        }
        lines.push(format!("np {}", describe_verdict(&detection.network_policy)));
        lines.push(format!("anp {}", describe_verdict(&detection.admin_network_policy)));
        lines.push(format!("banp {}", describe_verdict(&detection.baseline_admin_network_policy)));
        lines.join("\n")
    }

    fn check(objects: Vec<Value>, expect: &str) {
        let detection = detect(&cluster(objects));
        assert_eq!(describe(&detection), expect.trim(), "\n{detection:#?}");
    }

    // Nothing recognised: NetworkPolicy is assumed enforced, and the verdict
    // says it is unknown
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites).
    #[test]
    fn nothing_found_is_unknown() {
        check(
            vec![daemon_set("node-exporter", &[("exporter", "prom/node-exporter:v1.8.0", &[])])],
            "
source NotFound
np Unknown by -: NothingDetected
anp Unknown by -: NothingDetected
banp Unknown by -: NothingDetected",
        );
        assert!(Enforcement::Unknown.assumed());
        assert!(!Enforcement::NotEnforced.assumed());
    }

    // Calico enforces NetworkPolicy; the AdminNetworkPolicy tiers since
    // v3.29 (ANP) and v3.30 (BANP): projectcalico/calico#7578,
    // https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy
    #[test]
    fn calico_by_name_and_version() {
        check(
            vec![daemon_set("calico-node", &[("calico-node", "docker.io/calico/node:v3.29.1", &[])])],
            "
source Detected
found calico Some(\"3.29.1\") [DaemonSet/calico-node name; DaemonSet/calico-node image calico-node=docker.io/calico/node:v3.29.1]
np Enforced by calico: Supported
anp Enforced by calico: VersionSupported { version: \"3.29.1\", minimum: \"3.29\" }
banp NotEnforced by calico: VersionTooOld { version: \"3.29.1\", minimum: \"3.30\" }",
        );
        check(
            vec![daemon_set("node", &[("calico-node", "quay.io/calico/node:latest", &[])])],
            "
source Detected
found calico None [DaemonSet/node image calico-node=quay.io/calico/node:latest]
np Enforced by calico: Supported
anp Unknown by calico: VersionUnknown { minimum: \"3.29\" }
banp Unknown by calico: VersionUnknown { minimum: \"3.30\" }",
        );
    }

    // Flannel alone does not enforce NetworkPolicy
    // (the README of https://github.com/flannel-io/flannel).
    // Calico's official quickstart installs the tigera-operator, which
    // creates `calico-node` from an `Installation` at run time
    // (https://docs.tigera.io/calico/latest/getting-started/kubernetes/quickstart).
    // The operator's version (v1.34) is not Calico's, so the admin tiers'
    // support by version stays unknown.
    #[test]
    fn calico_installed_by_its_operator() {
        let operator = json!({
            "kind": "Deployment",
            "metadata": {"name": "tigera-operator", "namespace": "tigera-operator"},
            "spec": {"selector": {"matchLabels": {"name": "tigera-operator"}},
                     "template": {"metadata": {"labels": {"name": "tigera-operator"}},
                                  "spec": {"containers": [{"name": "tigera-operator", "image": "quay.io/tigera/operator:v1.34.0"}]}}},
        });
        check(
            vec![operator],
            "
source Detected
found calico None [Deployment/tigera-operator name; Deployment/tigera-operator image tigera-operator=quay.io/tigera/operator:v1.34.0]
np Enforced by calico: Supported
anp Unknown by calico: VersionUnknown { minimum: \"3.29\" }
banp Unknown by calico: VersionUnknown { minimum: \"3.30\" }",
        );
    }

    // Issue #12 item 18: the operator's `Installation` (operator.tigera.io/v1)
    // shows Calico, and its status the version
    // (https://docs.tigera.io/calico/latest/reference/installation/api#installationstatus).
    #[test]
    fn calico_by_its_installation() {
        let installation = json!({
            "apiVersion": "operator.tigera.io/v1", "kind": "Installation",
            "metadata": {"name": "default"},
            "spec": {"cni": {"type": "Calico"}},
            "status": {"calicoVersion": "v3.29.1", "variant": "Calico"}
        });
        let object: crate::calico::Installation = serde_json::from_value(installation).expect("installation");
        let mut builder = crate::ClusterBuilder::new();
        builder.add(
            crate::Resource::Calico(crate::calico::CalicoObject::Installation(object)),
            crate::Origin::synthetic(),
        );
        let detection = detect(&builder.build());
        assert_eq!(
            describe(&detection).trim(),
            "source Detected
found calico Some(\"3.29.1\") [Installation/default resource]
np Enforced by calico: Supported
anp Enforced by calico: VersionSupported { version: \"3.29.1\", minimum: \"3.29\" }
banp NotEnforced by calico: VersionTooOld { version: \"3.29.1\", minimum: \"3.30\" }"
        );
    }

    #[test]
    fn flannel_alone_does_not_enforce() {
        check(
            vec![daemon_set("kube-flannel-ds", &[("kube-flannel", "docker.io/flannel/flannel:v0.25.1", &[])])],
            "
source Detected
found flannel Some(\"0.25.1\") [DaemonSet/kube-flannel-ds name; DaemonSet/kube-flannel-ds image kube-flannel=docker.io/flannel/flannel:v0.25.1]
np NotEnforced by flannel: NotSupported
anp NotEnforced by flannel: NotSupported
banp NotEnforced by flannel: NotSupported",
        );
    }

    // Canal is Flannel networking with Calico's policy engine
    // (https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel):
    // the calico/node container does not make it Calico.
    #[test]
    fn canal_by_name_and_by_images() {
        let containers: &[(&str, &str, &[&str])] =
            &[("calico-node", "calico/node:v3.28.0", &[]), ("kube-flannel", "flannel/flannel:v0.24.0", &[])];
        check(
            vec![daemon_set("canal", containers)],
            "
source Detected
found canal Some(\"3.28.0\") [DaemonSet/canal name; DaemonSet/canal image calico-node=calico/node:v3.28.0; DaemonSet/canal image kube-flannel=flannel/flannel:v0.24.0]
np Enforced by canal: Supported
anp NotEnforced by canal: VersionTooOld { version: \"3.28.0\", minimum: \"3.29\" }
banp NotEnforced by canal: VersionTooOld { version: \"3.28.0\", minimum: \"3.30\" }",
        );
        let detection = detect(&cluster(vec![daemon_set("rke2-canal", containers)]));
        assert_eq!(detection.found[0].cni, Cni::Canal);
    }

    // Cilium enforces NetworkPolicy; it does not implement
    // AdminNetworkPolicy (cilium/cilium#23380).
    #[test]
    fn cilium() {
        check(
            vec![daemon_set("cilium", &[("cilium-agent", "quay.io/cilium/cilium:v1.16.3@sha256:62d2a09bbef8", &[])])],
            "
source Detected
found cilium Some(\"1.16.3\") [DaemonSet/cilium name; DaemonSet/cilium image cilium-agent=quay.io/cilium/cilium:v1.16.3@sha256:62d2a09bbef8]
np Enforced by cilium: Supported
anp NotEnforced by cilium: NotSupported
banp NotEnforced by cilium: NotSupported",
        );
    }

    // The Amazon VPC CNI enforces only with its network policy agent on
    // (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html).
    #[test]
    fn aws_vpc_cni_depends_on_its_agent() {
        let cni =
            ("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3", &[][..]);
        let agent = |enabled: &'static str| -> (&str, &str, &[&str]) {
            (
                "aws-eks-nodeagent",
                "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2",
                match enabled {
                    "true" => &["--enable-ipv6=false", "--enable-network-policy=true"],
                    _ => &["--enable-ipv6=false", "--enable-network-policy=false"],
                },
            )
        };
        let np = |objects| describe_verdict(&detect(&cluster(objects)).network_policy);
        assert_eq!(
            np(vec![daemon_set("aws-node", &[cni, agent("true")])]),
            "Enforced by aws-vpc-cni: EnabledBy { setting: \"--enable-network-policy=true\" }"
        );
        assert_eq!(
            np(vec![daemon_set("aws-node", &[cni, agent("false")])]),
            "NotEnforced by aws-vpc-cni: DisabledBy { setting: \"--enable-network-policy=false\" }"
        );
        // Before VPC CNI v1.14 there is no agent.
        assert_eq!(
            np(vec![daemon_set("aws-node", &[cni])]),
            "NotEnforced by aws-vpc-cni: ContainerMissing { container: \"aws-eks-nodeagent\" }"
        );
        // Calico for policy beside the VPC CNI
        // (https://docs.tigera.io/calico/latest/getting-started/kubernetes/managed-public-cloud/eks):
        // the plugin that enforces decides.
        assert_eq!(
            np(vec![
                daemon_set("aws-node", &[cni]),
                daemon_set("calico-node", &[("calico-node", "calico/node:v3.27.0", &[])]),
            ]),
            "Enforced by calico: Supported"
        );
    }

    // kind enforces NetworkPolicy since v0.24.0 (kubernetes-sigs/kind#842),
    // with a separate kube-network-policies DaemonSet
    // (pkg/build/nodeimage/const_network_policy.go); kindest/kindnetd tags are
    // dates, so kindnet alone is unknown. Standalone kindnet enforces since
    // v1.3.0 (kubernetes/minikube#19871).
    #[test]
    fn kindnet() {
        let kindnet =
            daemon_set("kindnet", &[("kindnet-cni", "docker.io/kindest/kindnetd:v20240813-c6f155d6", &[])]);
        check(
            vec![kindnet.clone()],
            "
source Detected
found kindnet None [DaemonSet/kindnet name; DaemonSet/kindnet image kindnet-cni=docker.io/kindest/kindnetd:v20240813-c6f155d6]
np Unknown by kindnet: KindRelease { minimum: \"v0.24.0\" }
anp NotEnforced by kindnet: NotSupported
banp NotEnforced by kindnet: NotSupported",
        );
        let policies = daemon_set(
            "kube-network-policies",
            &[(
                "kube-network-policies",
                "registry.k8s.io/networking/kube-network-policies:v0.2.0",
                &["/bin/netpol", "-v", "2"],
            )],
        );
        check(
            vec![kindnet, policies],
            "
source Detected
found kindnet None [DaemonSet/kindnet name; DaemonSet/kindnet image kindnet-cni=docker.io/kindest/kindnetd:v20240813-c6f155d6]
found kube-network-policies Some(\"0.2.0\") [DaemonSet/kube-network-policies name; DaemonSet/kube-network-policies image kube-network-policies=registry.k8s.io/networking/kube-network-policies:v0.2.0]
np Enforced by kube-network-policies: Supported
anp NotEnforced by kube-network-policies: DisabledBy { setting: \"-admin-network-policy=false\" }
banp NotEnforced by kube-network-policies: DisabledBy { setting: \"-baseline-admin-network-policy=false\" }",
        );
        let standalone = |tag: &str| {
            let image = format!("ghcr.io/aojea/kindnetd:{tag}");
            let detection =
                detect(&cluster(vec![daemon_set("kindnet", &[("kindnet", image.as_str(), &[])])]));
            describe_verdict(&detection.network_policy)
        };
        assert_eq!(
            standalone("v1.8.0"),
            "Enforced by kindnet: VersionSupported { version: \"1.8.0\", minimum: \"1.3.0\" }"
        );
        assert_eq!(
            standalone("v1.2.0"),
            "NotEnforced by kindnet: VersionTooOld { version: \"1.2.0\", minimum: \"1.3.0\" }"
        );
    }

    // kube-network-policies implements ANP and BANP behind flags
    // (install-anp.yaml: -admin-network-policy=true -baseline-admin-network-policy=true).
    #[test]
    fn kube_network_policies_admin_tiers() {
        let detection = detect(&cluster(vec![daemon_set(
            "kube-network-policies",
            &[(
                "kube-network-policies",
                "registry.k8s.io/networking/kube-network-policies:v0.2.0",
                &["-v=2", "-admin-network-policy=true", "-baseline-admin-network-policy=true"],
            )],
        )]));
        assert_eq!(
            describe_verdict(&detection.admin_network_policy),
            "Enforced by kube-network-policies: EnabledBy { setting: \"-admin-network-policy=true\" }"
        );
        assert_eq!(
            describe_verdict(&detection.baseline_admin_network_policy),
            "Enforced by kube-network-policies: EnabledBy { setting: \"-baseline-admin-network-policy=true\" }"
        );
    }

    // OVN-Kubernetes implements NetworkPolicy, ANP and BANP
    // (https://docs.okd.io/latest/networking/network_security/network-policy-apis.html).
    #[test]
    fn ovn_kubernetes() {
        check(
            vec![daemon_set("ovnkube-node", &[("ovnkube-controller", "ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:master", &[])])],
            "
source Detected
found ovn-kubernetes None [DaemonSet/ovnkube-node name; DaemonSet/ovnkube-node image ovnkube-controller=ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:master]
np Enforced by ovn-kubernetes: Supported
anp Enforced by ovn-kubernetes: Supported
banp Enforced by ovn-kubernetes: Supported",
        );
    }

    // Antrea: ANP and BANP since v1.13 behind the AdminNetworkPolicy feature
    // gate (https://antrea.io/docs/main/docs/admin-network-policy/).
    #[test]
    fn antrea_admin_tiers_depend_on_a_feature_gate() {
        let antrea = |tag: &str| {
            let image = format!("antrea/antrea-agent-ubuntu:{tag}");
            detect(&cluster(vec![daemon_set("antrea-agent", &[("antrea-agent", image.as_str(), &[])])]))
        };
        let current = antrea("v2.2.0");
        assert_eq!(describe_verdict(&current.network_policy), "Enforced by antrea: Supported");
        assert_eq!(
            describe_verdict(&current.admin_network_policy),
            "Unknown by antrea: FeatureGate { gate: \"AdminNetworkPolicy\" }"
        );
        assert_eq!(
            describe_verdict(&antrea("v1.12.1").admin_network_policy),
            "NotEnforced by antrea: VersionTooOld { version: \"1.12.1\", minimum: \"1.13\" }"
        );
    }

    // Weave Net enforces through its weave-npc container
    // (weaveworks/weave, `prog/weave-npc`);
    // kube-router through its firewall, on unless --run-firewall=false
    // (https://github.com/cloudnativelabs/kube-router/blob/master/docs/user-guide.md).
    #[test]
    fn weave_and_kube_router_can_be_turned_off() {
        let np = |objects| describe_verdict(&detect(&cluster(objects)).network_policy);
        let weave = ("weave", "weaveworks/weave-kube:2.8.1", &[][..]);
        let npc = ("weave-npc", "weaveworks/weave-npc:2.8.1", &[][..]);
        assert_eq!(np(vec![daemon_set("weave-net", &[weave, npc])]), "Enforced by weave: Supported");
        assert_eq!(
            np(vec![daemon_set("weave-net", &[weave])]),
            "NotEnforced by weave: ContainerMissing { container: \"weave-npc\" }"
        );
        let router = |args: &'static [&'static str]| {
            vec![daemon_set(
                "kube-router",
                &[("kube-router", "docker.io/cloudnativelabs/kube-router:v2.1.0", args)],
            )]
        };
        assert_eq!(
            np(router(&["--run-router=true", "--run-firewall=true"])),
            "Enforced by kube-router: Supported"
        );
        assert_eq!(
            np(router(&["--run-router=true", "--run-firewall=false"])),
            "NotEnforced by kube-router: DisabledBy { setting: \"--run-firewall=false\" }"
        );
    }

    // Azure CNI needs a policy engine: azure-npm, Calico or Cilium
    // (https://learn.microsoft.com/azure/aks/use-network-policies); GKE
    // Dataplane V2 enforces NetworkPolicy
    // (https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2).
    #[test]
    fn managed_clouds() {
        let np = |objects| describe_verdict(&detect(&cluster(objects)).network_policy);
        let cns = daemon_set(
            "azure-cns",
            &[("cns-container", "mcr.microsoft.com/containernetworking/azure-cns:v1.6.5", &[])],
        );
        assert_eq!(np(vec![cns.clone()]), "NotEnforced by azure-cni: NoPolicyEngine");
        let npm = daemon_set(
            "azure-npm",
            &[("azure-npm", "mcr.microsoft.com/containernetworking/azure-npm:v1.5.34", &[])],
        );
        assert_eq!(np(vec![cns, npm]), "Enforced by azure-npm: Supported");
        let anetd = daemon_set("anetd", &[("cilium-agent", "gke.gcr.io/cilium/cilium:v1.14.6-gke.10", &[])]);
        assert_eq!(np(vec![anetd]), "Enforced by gke-dataplane-v2: Supported");
    }

    // Pods whose DaemonSet is not in the input (a pod dump) still name it in
    // ownerReferences; nodes carry the plugins' annotations.
    #[test]
    fn pods_and_nodes_are_evidence() {
        let pod = json!({
            "kind": "Pod",
            "metadata": {"name": "cilium-x7k2p", "namespace": "kube-system",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "cilium", "uid": "1"}]},
            "spec": {"containers": [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.15.0"}]},
        });
        let node = |name: &str, annotations: Value| json!({"kind": "Node", "metadata": {"name": name, "annotations": annotations}});
        check(
            vec![
                pod,
                node("b", json!({"io.cilium.network.ipv4-cilium-host": "10.0.1.1"})),
                node("a", json!({"io.cilium.network.ipv4-cilium-host": "10.0.0.1"})),
            ],
            "
source Detected
found cilium Some(\"1.15.0\") [Node/a annotation io.cilium.network.ipv4-cilium-host; Pod/cilium-x7k2p name; Pod/cilium-x7k2p image cilium-agent=quay.io/cilium/cilium:v1.15.0]
np Enforced by cilium: Supported
anp NotEnforced by cilium: NotSupported
banp NotEnforced by cilium: NotSupported",
        );
    }

    // K3s: Flannel plus an embedded policy controller, off with
    // --disable-network-policy
    // (https://docs.k3s.io/networking/networking-services#network-policy-controller).
    #[test]
    fn k3s() {
        let node = |args: &str| {
            json!({"kind": "Node", "metadata": {"name": "server", "annotations": {
                "k3s.io/node-args": args, "flannel.alpha.coreos.com/backend-type": "vxlan"}}})
        };
        check(
            vec![node(r#"["server","--write-kubeconfig-mode","644"]"#)],
            "
source Detected
found flannel None [Node/server annotation flannel.alpha.coreos.com/backend-type]
found k3s None [Node/server annotation k3s.io/node-args]
np Enforced by k3s: Supported
anp NotEnforced by flannel: NotSupported
banp NotEnforced by flannel: NotSupported",
        );
        let detection = detect(&cluster(vec![node(r#"["server","--disable-network-policy"]"#)]));
        assert_eq!(
            describe_verdict(&detection.network_policy),
            "NotEnforced by k3s: DisabledBy { setting: \"--disable-network-policy\" }"
        );
    }

    #[test]
    fn names_given_by_the_user() {
        for cni in Cni::ALL {
            assert_eq!(from_name(cni.name()), Some(cni));
            assert_eq!(from_name(&cni.name().to_ascii_uppercase()), Some(cni));
        }
        assert_eq!(from_name("aws"), Some(Cni::AwsVpcCni));
        assert_eq!(from_name("weave-net"), Some(Cni::Weave));
        assert_eq!(from_name("ovn-k"), Some(Cni::OvnKubernetes));
        assert_eq!(from_name("bogus"), None);

        let describe_given = |name| {
            let detection = given(name);
            format!(
                "{}\n{}",
                describe_verdict(&detection.network_policy),
                describe_verdict(&detection.admin_network_policy)
            )
        };
        assert_eq!(
            describe_given("calico"),
            "Enforced by calico: Supported\nUnknown by calico: VersionUnknown { minimum: \"3.29\" }"
        );
        assert_eq!(
            describe_given("aws"),
            "Unknown by aws-vpc-cni: SettingUnknown { setting: \"--enable-network-policy=true\" }\nNotEnforced by aws-vpc-cni: NotSupported"
        );
        assert_eq!(
            describe_given("flannel"),
            "NotEnforced by flannel: NotSupported\nNotEnforced by flannel: NotSupported"
        );
        assert_eq!(
            describe_given("kindnet"),
            "Unknown by kindnet: KindRelease { minimum: \"v0.24.0\" }\nNotEnforced by kindnet: NotSupported"
        );
        assert_eq!(
            describe_given("bogus"),
            "Unknown by -: Unrecognised { name: \"bogus\" }\nUnknown by -: Unrecognised { name: \"bogus\" }"
        );
        assert_eq!(given("weave").source, CniSource::Given { name: "weave".to_owned() });
        let json = serde_json::to_value(given("aws")).unwrap();
        assert_eq!(json["source"], json!({"source": "given", "name": "aws"}));
        assert_eq!(
            json["network_policy"],
            json!({"enforcement": "unknown", "by": "aws-vpc-cni",
                   "reason": {"reason": "setting-unknown", "setting": "--enable-network-policy=true"}})
        );
        let support = serde_json::to_value(Cni::Kindnet.enforces_network_policy()).unwrap();
        assert_eq!(
            support,
            json!({"support": "depends", "condition": {"condition": "kind-release", "release": "v0.24.0"}})
        );
        assert_eq!(Cni::Flannel.enforces_network_policy(), Support::No);
        assert_eq!(Cni::Cilium.enforces_network_policy(), Support::Yes);
    }

    #[test]
    fn image_and_flag_parsing() {
        assert_eq!(
            image_repository("registry.k8s.io/ingress-nginx/controller:v1.10.0@sha256:abc"),
            "ingress-nginx/controller"
        );
        assert_eq!(image_repository("traefik:v3.1"), "traefik");
        assert_eq!(image_repository("docker.io/library/traefik:v3.1"), "traefik");
        assert_eq!(image_repository("localhost:5000/calico/node:v3.29.0"), "calico/node");
        assert_eq!(image_repository("myregistry:5000/kong"), "kong");
        assert!(image_is("quay.io/calico/node:v3", "calico/node"));
        assert!(!image_is("quay.io/notcalico/node:v3", "calico/node"));
        assert_eq!(image_version("calico/node:v3.29.1"), Some("3.29.1".to_owned()));
        assert_eq!(image_version("weaveworks/weave-kube:2.8.1"), Some("2.8.1".to_owned()));
        assert_eq!(image_version("cilium:v1.14.6-gke.10"), Some("1.14.6".to_owned()));
        assert_eq!(image_version("kindnetd:v20240813-c6f155d6"), None);
        assert_eq!(image_version("localhost:5000/calico/node"), None);
        assert_eq!(image_version("node:latest"), None);
        let words = ["/controller", "--ingress-class=nginx", "--election-id", "x", "-v", "--flag"];
        assert_eq!(flag_value(&words, "ingress-class"), Some("nginx"));
        assert_eq!(flag_value(&words, "election-id"), Some("x"));
        assert_eq!(flag_value(&words, "flag"), None);
        assert_eq!(flag_bool(&words, "flag"), Some(true));
        assert_eq!(flag_bool(&["--x=false"], "x"), Some(false));
        assert_eq!(flag_bool(&words, "missing"), None);
        assert!(version_less("3.28.9", "3.29"));
        assert!(!version_less("3.29", "3.29.0"));
        assert!(!version_less("10.0", "3.29"));
    }
}
