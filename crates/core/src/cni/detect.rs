//! Detection: which network plugins a cluster's objects show (their
//! DaemonSets, images, node annotations, the tigera-operator's
//! `Installation`), or which one the user names, and the verdict for each
//! kind of policy by plugin and version. The sources are in the module
//! docs of [`crate::cni`].

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec};

use super::container::{container_words, flag_bool, flag_value, image_is, image_repository, image_version};
use super::{
    from_name, Clue, Cni, CniDetection, CniSource, Condition, Detected, Enforcement, Evidence, ObjectRef,
    PolicyKind, Reason, Support, Verdict, ANTREA_ANP_MINIMUM, AWS_AGENT_CONTAINER, AWS_ENABLE_SETTING,
    KINDNET_MINIMUM, KIND_MINIMUM, TIGERA_OPERATOR_IMAGE, WEAVE_NPC_CONTAINER,
};
use crate::model::{Cluster, PodOwner};
use crate::origin::Origin;

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
/// Computed once per cluster ([`Cluster::memo`]): every workload is looked
/// at, and a command may ask again (`trace` through cluster DNS).
pub fn detect(cluster: &Cluster) -> CniDetection {
    /// The key of the answer kept for the cluster.
    #[derive(PartialEq)]
    struct Detection;
    CniDetection::clone(&cluster.memo().get_or_init(Detection, || scan(cluster)))
}

/// [`detect`]'s answer, computed from every object that may show a plugin.
fn scan(cluster: &Cluster) -> CniDetection {
    let mut found: BTreeMap<Cni, Facts> = BTreeMap::new();
    for workload in cluster.workloads() {
        if workload.owner.is_some() {
            continue;
        }
        let Some(spec) = workload.template.spec.as_ref() else { continue };
        let object = || ObjectRef {
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
        let object = || ObjectRef {
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
/// `object` names it, built only for a plugin's objects: most are not.
fn inspect(
    found: &mut BTreeMap<Cni, Facts>,
    object: impl FnOnce() -> ObjectRef,
    name: &str,
    spec: &PodSpec,
    origin: &Origin,
) {
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
    let object = object();
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
    use Enforcement::{Enforced, NotEnforced};
    match (cni.support(kind), kind) {
        (Support::No, _) => (NotEnforced, Reason::NotSupported),
        (Support::Yes, PolicyKind::NetworkPolicy) => judge_network_policy(cni, facts),
        (Support::Yes, _) => (Enforced, Reason::Supported),
        (Support::Depends { condition }, _) => judge_depends(cni, condition, facts, present),
    }
}

/// Every word of every container seen, flags and values.
fn all_words(facts: &Facts) -> Vec<&str> {
    facts.words.values().flatten().map(String::as_str).collect()
}

/// NetworkPolicy on a plugin that supports it: unless its enforcing
/// container is missing or a setting turns it off.
fn judge_network_policy(cni: Cni, facts: &Facts) -> (Enforcement, Reason) {
    use Enforcement::{Enforced, NotEnforced};
    match cni {
        Cni::Weave if facts.observed && !facts.containers.contains(WEAVE_NPC_CONTAINER) => {
            (NotEnforced, Reason::ContainerMissing { container: WEAVE_NPC_CONTAINER.to_owned() })
        }
        Cni::KubeRouter if flag_bool(&all_words(facts), "run-firewall") == Some(false) => {
            (NotEnforced, Reason::DisabledBy { setting: "--run-firewall=false".to_owned() })
        }
        Cni::K3s if facts.node_args.iter().any(|a| a == "--disable-network-policy") => {
            (NotEnforced, Reason::DisabledBy { setting: "--disable-network-policy".to_owned() })
        }
        _ => (Enforced, Reason::Supported),
    }
}

/// A kind whose enforcement depends on `condition`.
fn judge_depends(cni: Cni, condition: Condition, facts: &Facts, present: &[Cni]) -> (Enforcement, Reason) {
    use Enforcement::{Enforced, NotEnforced, Unknown};
    match (cni, condition) {
        (Cni::AwsVpcCni, _) => judge_aws(facts),
        (Cni::AzureCni, _) if facts.observed => (NotEnforced, Reason::NoPolicyEngine),
        (Cni::AzureCni, _) => (Unknown, Reason::NoPolicyEngine),
        (Cni::Kindnet, _) => judge_kindnet(facts, present),
        (_, Condition::MinimumVersion { version: minimum }) => match facts.version.as_deref() {
            Some(version) => by_version(version, minimum),
            None => (Unknown, Reason::VersionUnknown { minimum: minimum.to_owned() }),
        },
        (Cni::Antrea, Condition::FeatureGate { gate }) => match facts.version.as_deref() {
            Some(version) if version_less(version, ANTREA_ANP_MINIMUM) => (
                NotEnforced,
                Reason::VersionTooOld { version: version.to_owned(), minimum: ANTREA_ANP_MINIMUM.to_owned() },
            ),
            _ => (Unknown, Reason::FeatureGate { gate: gate.to_owned() }),
        },
        (_, Condition::Setting { setting }) => {
            if !facts.observed {
                return (Unknown, Reason::SettingUnknown { setting: setting.to_owned() });
            }
            let flag = setting.trim_start_matches('-').split('=').next().unwrap_or_default();
            match flag_bool(&all_words(facts), flag) {
                Some(true) => (Enforced, Reason::EnabledBy { setting: setting.to_owned() }),
                _ => (NotEnforced, Reason::DisabledBy { setting: format!("-{flag}=false") }),
            }
        }
        (_, condition) => (Unknown, unknown_reason(condition)),
    }
}

/// The AWS VPC CNI: its network policy agent, when enabled.
fn judge_aws(facts: &Facts) -> (Enforcement, Reason) {
    use Enforcement::{Enforced, NotEnforced, Unknown};
    if !facts.observed {
        return (Unknown, Reason::SettingUnknown { setting: AWS_ENABLE_SETTING.to_owned() });
    }
    if !facts.containers.contains(AWS_AGENT_CONTAINER) {
        return (NotEnforced, Reason::ContainerMissing { container: AWS_AGENT_CONTAINER.to_owned() });
    }
    let words: Vec<&str> = facts
        .words
        .get(AWS_AGENT_CONTAINER)
        .map(|w| w.iter().map(String::as_str).collect())
        .unwrap_or_default();
    match flag_value(&words, "enable-network-policy") {
        Some(value) if value.eq_ignore_ascii_case("true") => {
            (Enforced, Reason::EnabledBy { setting: format!("--enable-network-policy={value}") })
        }
        Some(value) => {
            (NotEnforced, Reason::DisabledBy { setting: format!("--enable-network-policy={value}") })
        }
        None => (NotEnforced, Reason::DisabledBy { setting: "--enable-network-policy=false".to_owned() }),
    }
}

/// kindnet: a standalone release by its version; in kind, by kind's release.
fn judge_kindnet(facts: &Facts, present: &[Cni]) -> (Enforcement, Reason) {
    if present.contains(&Cni::KubeNetworkPolicies) {
        // kind v0.24's separate DaemonSet enforces; it has its own verdict.
        return (Enforcement::NotEnforced, Reason::NotSupported);
    }
    let standalone = facts.evidence.iter().any(|e| match &e.clue {
        Clue::Image { image, .. } => !image_is(image, "kindest/kindnetd"),
        _ => false,
    });
    match facts.version.as_deref() {
        Some(version) if standalone => by_version(version, KINDNET_MINIMUM),
        _ => (Enforcement::Unknown, Reason::KindRelease { minimum: KIND_MINIMUM.to_owned() }),
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
pub(super) fn version_less(a: &str, b: &str) -> bool {
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
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    fn pod(name: &str, image: &str) -> serde_json::Value {
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "kube-system"},
               "spec": {"containers": [{"name": name, "image": image}]}})
    }

    /// The answer kept for a cluster is the one a scan of its objects
    /// gives; a copy of the cluster with another pod scans again.
    #[test]
    fn the_detection_kept_is_the_clusters_own() {
        let calico = cluster(vec![pod("calico-node", "docker.io/calico/node:v3.28.0")]);
        let first = detect(&calico);
        assert_eq!(first, scan(&calico));
        assert_eq!(first.found.iter().map(|f| f.cni).collect::<Vec<_>>(), [Cni::Calico]);
        assert_eq!(detect(&calico), first);
        let cilium = cluster(vec![pod("cilium", "quay.io/cilium/cilium:v1.16.0")]).pods()[0].clone();
        let (both, _) = calico.with_pod(cilium);
        assert_eq!(detect(&both), scan(&both));
        assert_eq!(detect(&both).found.iter().map(|f| f.cni).collect::<Vec<_>>(), [Cni::Calico, Cni::Cilium]);
        assert_eq!(detect(&calico), first);
    }
}
