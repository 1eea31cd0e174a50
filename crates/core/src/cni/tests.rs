use serde_json::{json, Value};

use super::detect::version_less;
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
    let cni = ("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3", &[][..]);
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
        let detection = detect(&cluster(vec![daemon_set("kindnet", &[("kindnet", image.as_str(), &[])])]));
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
fn version_ordering() {
    assert!(version_less("3.28.9", "3.29"));
    assert!(!version_less("3.29", "3.29.0"));
    assert!(!version_less("10.0", "3.29"));
}
