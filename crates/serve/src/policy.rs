//! The `kubereach.policy/v1` document: one policy's selectors resolved to
//! the workloads they stand for, both ways: the pods it applies to and,
//! rule by rule, the peers its `from` (ingress) and `to` (egress) match.
//! NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy (and
//! the plugins' own kinds) answer alike. The resolution is the policy
//! engine's ([`PolicyEngine::resolve_policy`]: the same selections its
//! verdicts use, pods matched by their addresses included where the plugin
//! matches pod IPs); this module only names the workloads and adds the
//! address peers as written.
//!
//! Semantics: the NetworkPolicy API reference
//! (<https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>):
//! a rule whose `from`/`to` is missing or empty matches every peer ("If
//! this field is empty or missing, this rule matches all sources"); its
//! peers are otherwise the union of its `from`/`to` items. Admin policies
//! (<https://network-policy-api.sigs.k8s.io/reference/spec/>): the
//! `subject` is what they apply to, each rule has an action (`Allow`,
//! `Deny`, `Pass`), and `networks`/`nodes` peers match addresses.

use std::collections::BTreeSet;

use kubereach_core::matrix::INGRESS_CONTROLLER_ID;
use kubereach_core::model::PodId;
use kubereach_core::origin::Location;
use kubereach_core::policy::{Direction, PolicyEngine, PolicyKind, ResolvedRule, Verdict};
use kubereach_core::Cluster;
use serde::Serialize;

/// Schema id of the document.
pub const SCHEMA: &str = "kubereach.policy/v1";

/// What one policy selects and admits.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyPeers {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// `NetworkPolicy`, `AdminNetworkPolicy`, `BaselineAdminNetworkPolicy`, …
    pub kind: PolicyKind,
    /// Its namespace; `None` for the cluster-scoped kinds.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Where it is defined.
    pub location: Location,
    /// Where the engine evaluates it: `admin` (before NetworkPolicy),
    /// `network` or `baseline` (after NetworkPolicy).
    pub tier: &'static str,
    /// An AdminNetworkPolicy's `priority` (lower first).
    pub priority: Option<i32>,
    /// A NetworkPolicy's `policyTypes` (as defaulted by the API server):
    /// the directions it isolates the selected pods in. Empty for admin
    /// policies, which never isolate.
    pub policy_types: Vec<String>,
    /// Whether the network plugin enforces this kind of policy.
    pub enforced: bool,
    /// The workloads (matrix node ids) whose pods it applies to, sorted;
    /// `{ingress-controller}` when it applies to the symbolic ingress controller.
    pub selects: Vec<String>,
    /// Its ingress rules, in order: the sources each matches.
    pub ingress: Vec<Rule>,
    /// Its egress rules, in order: the destinations each matches.
    pub egress: Vec<Rule>,
}

/// One rule's peers.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Its index in the policy's `ingress` or `egress` list.
    pub index: usize,
    /// Its name (admin policies name their rules).
    pub name: Option<String>,
    /// What it does: `allow`, `deny` or `pass`.
    pub action: Verdict,
    /// Where it is written.
    pub location: Option<Location>,
    /// Whether it admits every peer (no `from`/`to`, or an empty list);
    /// `workloads` is then empty.
    pub all: bool,
    /// The workloads whose pods its peers match, sorted (the
    /// `{ingress-controller}` among them when it matches it).
    pub workloads: Vec<String>,
    /// Those of `workloads` matched by their pods' addresses (an `ipBlock`,
    /// ANP `networks` or `nodes`): on a plugin whose ipBlocks match pod IPs,
    /// and `hostNetwork` pods by their node's address.
    pub by_address: Vec<String>,
    /// Its NetworkPolicy `ipBlock` peers, as written.
    pub ip_blocks: Vec<IpBlockPeer>,
    /// Its admin policy `networks`, as written.
    pub networks: Vec<String>,
}

/// An `ipBlock` peer.
#[derive(Debug, Clone, Serialize)]
pub struct IpBlockPeer {
    /// `cidr`.
    pub cidr: String,
    /// `except`.
    pub except: Vec<String>,
}

/// Reads a policy kind as the graph's `policies` write it.
pub fn parse_kind(text: &str) -> Option<PolicyKind> {
    [
        PolicyKind::NetworkPolicy,
        PolicyKind::AdminNetworkPolicy,
        PolicyKind::BaselineAdminNetworkPolicy,
        PolicyKind::CiliumNetworkPolicy,
        PolicyKind::CiliumClusterwideNetworkPolicy,
        PolicyKind::CalicoNetworkPolicy,
        PolicyKind::CalicoGlobalNetworkPolicy,
    ]
    .into_iter()
    .find(|kind| serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(|s| s == text)) == Some(true))
}

/// The policy `kind` `namespace/name` as `engine` (compiled with every
/// tier, so that a kind the plugin ignores still resolves) applies it;
/// `enforced` says whether the plugin enforces the kind. `None` if there is
/// no such policy.
pub fn policy_peers(
    engine: &PolicyEngine<'_>,
    kind: PolicyKind,
    namespace: Option<&str>,
    name: &str,
    enforced: bool,
) -> Option<PolicyPeers> {
    let resolved = engine.resolve_policy(kind, namespace, name)?;
    let cluster = engine.cluster();
    let mut selects = workloads(cluster, &resolved.applies_to);
    if resolved.applies_to_ingress_controller {
        selects.push(INGRESS_CONTROLLER_ID.to_owned());
    }
    let written = Written::of(cluster, kind, namespace, name);
    let (mut ingress, mut egress) = (Vec::new(), Vec::new());
    for rule in &resolved.rules {
        let peers = rule_peers(cluster, rule, &written);
        match rule.direction {
            Direction::Ingress => ingress.push(peers),
            Direction::Egress => egress.push(peers),
        }
    }
    Some(PolicyPeers {
        schema: SCHEMA,
        kind,
        namespace: resolved.policy.namespace.clone(),
        name: resolved.policy.name.clone(),
        location: resolved.policy.location.clone(),
        tier: match kind {
            PolicyKind::AdminNetworkPolicy => "admin",
            PolicyKind::BaselineAdminNetworkPolicy => "baseline",
            _ => "network",
        },
        priority: written.priority,
        policy_types: written.policy_types,
        enforced,
        selects,
        ingress,
        egress,
    })
}

fn rule_peers(cluster: &Cluster, rule: &ResolvedRule, written: &Written) -> Rule {
    // Every peer: the rule says so; naming each workload would say less.
    let none = Vec::new();
    let (pods, by_address) =
        if rule.everything { (&none, &none) } else { (&rule.pods, &rule.pods_by_address) };
    let mut names = workloads(cluster, pods);
    if rule.ingress_controller && !rule.everything {
        names.push(INGRESS_CONTROLLER_ID.to_owned());
    }
    let side = match rule.direction {
        Direction::Ingress => &written.ingress,
        Direction::Egress => &written.egress,
    };
    let (ip_blocks, networks) = side.get(rule.index).cloned().unwrap_or_default();
    Rule {
        index: rule.index,
        name: rule.name.clone(),
        action: rule.verdict,
        location: rule.location.clone(),
        all: rule.everything,
        workloads: names,
        by_address: workloads(cluster, by_address),
        ip_blocks,
        networks,
    }
}

/// What the policy writes that the engine keeps as address blocks: each
/// rule's `ipBlock`s (NetworkPolicy) and `networks` (admin policies), per
/// direction and rule index, and the fields the document repeats.
#[derive(Default)]
struct Written {
    priority: Option<i32>,
    policy_types: Vec<String>,
    ingress: Vec<(Vec<IpBlockPeer>, Vec<String>)>,
    egress: Vec<(Vec<IpBlockPeer>, Vec<String>)>,
}

impl Written {
    fn of(cluster: &Cluster, kind: PolicyKind, namespace: Option<&str>, name: &str) -> Written {
        let named = |meta: &kubereach_core::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            meta.name.as_deref() == Some(name) && meta.namespace.as_deref() == namespace
        };
        let admin_rules =
            |ingress: &[kubereach_core::admin_policy::AdminNetworkPolicyIngressRule],
             egress: &[kubereach_core::admin_policy::AdminNetworkPolicyEgressRule]| {
                let networks = |peers: &[kubereach_core::admin_policy::AdminNetworkPolicyPeer]| {
                    peers.iter().flat_map(|p| p.networks.iter().flatten().cloned()).collect::<Vec<_>>()
                };
                (
                    ingress.iter().map(|r| (Vec::new(), networks(&r.from))).collect(),
                    egress.iter().map(|r| (Vec::new(), networks(&r.to))).collect(),
                )
            };
        match kind {
            PolicyKind::NetworkPolicy => {
                let Some(object) = cluster.network_policies().iter().find(|p| named(&p.value.metadata))
                else {
                    return Written::default();
                };
                let spec = object.value.spec.clone().unwrap_or_default();
                let blocks = |peers: Option<
                    Vec<kubereach_core::k8s_openapi::api::networking::v1::NetworkPolicyPeer>,
                >| {
                    let blocks = peers
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|peer| peer.ip_block.as_ref())
                        .map(|block| IpBlockPeer {
                            cidr: block.cidr.clone(),
                            except: block.except.clone().unwrap_or_default(),
                        })
                        .collect();
                    (blocks, Vec::new())
                };
                Written {
                    priority: None,
                    policy_types: spec.policy_types.clone().unwrap_or_default(),
                    ingress: spec.ingress.unwrap_or_default().into_iter().map(|r| blocks(r.from)).collect(),
                    egress: spec.egress.unwrap_or_default().into_iter().map(|r| blocks(r.to)).collect(),
                }
            }
            PolicyKind::AdminNetworkPolicy => {
                let Some(object) = cluster.admin_network_policies().iter().find(|p| named(&p.value.metadata))
                else {
                    return Written::default();
                };
                let spec = &object.value.spec;
                let (ingress, egress) = admin_rules(&spec.ingress, &spec.egress);
                Written { priority: Some(spec.priority), policy_types: Vec::new(), ingress, egress }
            }
            PolicyKind::BaselineAdminNetworkPolicy => {
                let Some(object) =
                    cluster.baseline_admin_network_policies().iter().find(|p| named(&p.value.metadata))
                else {
                    return Written::default();
                };
                let spec = &object.value.spec;
                let (ingress, egress) = admin_rules(&spec.ingress, &spec.egress);
                Written { priority: None, policy_types: Vec::new(), ingress, egress }
            }
            // The plugins' own kinds: their peers as the engine resolves them.
            _ => Written::default(),
        }
    }
}

/// The matrix node ids of the workloads standing for `pods`, sorted.
fn workloads(cluster: &Cluster, pods: &[PodId]) -> Vec<String> {
    let ids: BTreeSet<String> = pods.iter().map(|&id| cluster.workload_ref(cluster.pod(id)).id()).collect();
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use kubereach_core::policy::{HostNetwork, PolicyOptions};
    use kubereach_core::ClusterBuilder;

    use super::*;

    /// `shop`: `web` (2 replicas), `db`, a hostNetwork `agent` DaemonSet;
    /// `ops`: `probe`. `db` admits `web` of its own namespace, every pod of
    /// `ops`, and 10.0.0.0/8 except 10.1.0.0/16; its egress rule has no `to`.
    const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent, role: any}}
    spec: {hostNetwork: true, containers: [{name: c, image: agent}]}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ops, labels: {app: probe}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: ops}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
  egress:
  - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: everyone, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guard}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: ops}}}
  egress:
  - name: to-db
    action: Allow
    to:
    - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}
  - name: nothing-else
    action: Deny
    to:
    - networks: [0.0.0.0/0]
"#;

    fn cluster() -> Cluster {
        let mut builder = ClusterBuilder::new();
        kubereach_load::load_str(Some("cluster.yaml"), CLUSTER, &mut builder);
        builder.build()
    }

    fn resolve(cluster: &Cluster, name: &str, host_network: HostNetwork) -> Option<PolicyPeers> {
        let options = PolicyOptions { ip_blocks_match_pods: false };
        let engine = PolicyEngine::with_host_network(cluster, options, host_network);
        policy_peers(&engine, PolicyKind::NetworkPolicy, Some("shop"), name, true)
    }

    #[test]
    fn selectors_resolve_to_workloads_both_ways() {
        let cluster = cluster();
        let db = resolve(&cluster, "db", HostNetwork::Node).expect("the policy");
        assert_eq!(db.selects, ["shop/db"]);
        assert_eq!(db.policy_types, ["Ingress", "Egress"]);
        assert_eq!((db.location.file.as_deref(), db.location.line), (Some("cluster.yaml"), 39));
        let [from] = &db.ingress[..] else { panic!("one ingress rule") };
        // A podSelector alone: the policy's namespace; a namespaceSelector
        // alone: every pod of the namespaces it selects.
        assert_eq!(from.workloads, ["ops/probe", "shop/web"]);
        assert!(!from.all);
        assert_eq!(from.location.as_ref().map(|l| l.line), Some(46));
        assert_eq!(from.ip_blocks.len(), 1);
        assert_eq!(
            (from.ip_blocks[0].cidr.as_str(), &from.ip_blocks[0].except[..]),
            ("10.0.0.0/8", &["10.1.0.0/16".to_owned()][..])
        );
        // An egress rule without `to` matches every destination.
        let [to] = &db.egress[..] else { panic!("one egress rule") };
        assert!(to.all && to.workloads.is_empty());
    }

    // hostNetwork pods are node traffic by default: neither selected nor
    // matched by selector peers
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
    #[test]
    fn host_network_pods_follow_the_plugin() {
        let cluster = cluster();
        let as_node = resolve(&cluster, "everyone", HostNetwork::Node).unwrap();
        assert_eq!(as_node.selects, ["shop/db", "shop/web"]);
        assert_eq!(as_node.ingress[0].workloads, ["shop/db", "shop/web"]);
        let as_pods = resolve(&cluster, "everyone", HostNetwork::Pod).unwrap();
        assert_eq!(as_pods.selects, ["shop/agent", "shop/db", "shop/web"]);
        assert_eq!(as_pods.ingress[0].workloads, ["shop/agent", "shop/db", "shop/web"]);
        assert!(resolve(&cluster, "nope", HostNetwork::Node).is_none());
    }

    // An admin policy resolves like a NetworkPolicy: its `subject` is what
    // it applies to, each rule keeps its name and action
    // (https://network-policy-api.sigs.k8s.io/reference/spec/).
    #[test]
    fn admin_policies_resolve_with_their_rules_actions() {
        let cluster = cluster();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let guard =
            policy_peers(&engine, PolicyKind::AdminNetworkPolicy, None, "guard", false).expect("the policy");
        assert_eq!((guard.tier, guard.priority, guard.namespace.as_deref()), ("admin", Some(5), None));
        assert_eq!(guard.selects, ["ops/probe"]);
        assert!(guard.policy_types.is_empty() && guard.ingress.is_empty() && !guard.enforced);
        let [to_db, rest] = &guard.egress[..] else { panic!("two egress rules") };
        assert_eq!((to_db.name.as_deref(), to_db.action), (Some("to-db"), Verdict::Allow));
        assert_eq!(to_db.workloads, ["shop/db"]);
        assert_eq!((rest.action, &rest.networks[..]), (Verdict::Deny, &["0.0.0.0/0".to_owned()][..]));
        // No pod address is known: the network matches no pod.
        assert!(rest.workloads.is_empty() && rest.by_address.is_empty());
        let json = serde_json::to_value(&guard).unwrap();
        assert_eq!(
            (json["kind"].as_str(), json["egress"][1]["action"].as_str()),
            (Some("AdminNetworkPolicy"), Some("deny"))
        );
        assert_eq!(parse_kind("BaselineAdminNetworkPolicy"), Some(PolicyKind::BaselineAdminNetworkPolicy));
        assert_eq!(parse_kind("Secret"), None);
    }
}
