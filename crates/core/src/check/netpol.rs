//! Rules about NetworkPolicies: enforcement, selectors, ports, and the
//! traffic they block (cluster DNS, the ingress controller).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::check::service::{display_map, workload_names};
use crate::check::similar::{near_misses_among, similar};
use crate::check::{declare_rule, list, Context, Emitter, Severity, Subject};
use crate::cni::{self, Enforcement, Reason};
use crate::dns::{resolver_config, with_dns_reach, DnsPods, DnsPodsFound, DnsServer, DnsTarget};
use crate::ingress::{check_backends, ingress_class_of, BackendRef, BackendStatus};
use crate::labels::{display_selector, selector_matches, selects_everything};
use crate::model::{Cluster, Object, Pod, PodId, WorkloadKind, NAMESPACE_NAME_LABEL};
use crate::policy::{
    peer_pods, policy_capable, policy_capable_pods, selected_pods, Direction, Endpoint, PeerPods, PolicyRef,
};
use crate::ports::Protocol;
use crate::service::{
    find_service_port, resolve_target_port, service_kind, service_ports, target_port, PortRef, ServiceKind,
};

declare_rule! {
    /// ## What it does
    /// Finds clusters with NetworkPolicies (or AdminNetworkPolicies,
    /// BaselineAdminNetworkPolicies) whose network plugin, as detected from
    /// its DaemonSet, images and node annotations, does not enforce them:
    /// Flannel alone, the Amazon VPC CNI without its network policy agent
    /// enabled, Azure CNI without a policy engine, Cilium for admin
    /// policies, and so on.
    ///
    /// ## Why does this break traffic?
    /// NetworkPolicy is implemented by the network plugin. "Creating a
    /// NetworkPolicy resource without a controller that implements it will
    /// have no effect": every deny the policies express is silently not
    /// applied, and traffic they should block flows.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: kube-flannel-ds
    ///   namespace: kube-flannel
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: flannel
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: flannel
    ///     spec:
    ///       hostNetwork: true
    ///       containers:
    ///         - name: kube-flannel
    ///           image: docker.io/flannel/flannel:v0.25.6
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// Use instead (Canal: Flannel networking with Calico's policy engine):
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: canal
    ///   namespace: kube-system
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       k8s-app: canal
    ///   template:
    ///     metadata:
    ///       labels:
    ///         k8s-app: canal
    ///     spec:
    ///       hostNetwork: true
    ///       containers:
    ///         - name: calico-node
    ///           image: docker.io/calico/node:v3.28.0
    ///         - name: kube-flannel
    ///           image: docker.io/flannel/flannel:v0.25.6
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// ## Known problems
    /// When no plugin is recognised (the input holds only applications),
    /// policies are assumed enforced and nothing is reported. Settings kept
    /// outside the plugin's pod spec (a ConfigMap, an EKS add-on
    /// configuration) are not seen.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/network-policy-provider/>
    /// - <https://network-policy-api.sigs.k8s.io/implementations/>
    pub struct NetworkpolicyNotEnforced {
        code: "KR301",
        name: "networkpolicy-not-enforced",
        severity: Error,
        summary: "NetworkPolicies that the detected network plugin does not enforce",
        check: networkpolicy_not_enforced,
    }
}

fn networkpolicy_not_enforced(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let detection = ctx.cni();
    let kinds = [
        (
            cni::PolicyKind::NetworkPolicy,
            "NetworkPolicy",
            "NetworkPolicies",
            cluster.network_policies().len(),
        ),
        (
            cni::PolicyKind::AdminNetworkPolicy,
            "AdminNetworkPolicy",
            "AdminNetworkPolicies",
            cluster.admin_network_policies().len(),
        ),
        (
            cni::PolicyKind::BaselineAdminNetworkPolicy,
            "BaselineAdminNetworkPolicy",
            "BaselineAdminNetworkPolicies",
            cluster.baseline_admin_network_policies().len(),
        ),
    ];
    for (kind, one, many, count) in kinds {
        let verdict = detection.verdict(kind);
        if count == 0 || verdict.enforcement != Enforcement::NotEnforced {
            continue;
        }
        let Some(plugin) = verdict.by else { continue };
        let evidence = detection.found.iter().find(|d| d.cni == plugin).and_then(|d| d.evidence.first());
        // A plugin named by the user (`--cni`) has no object in the input to
        // point at: the finding goes to the first policy it leaves without effect.
        let subject =
            evidence.and_then(|e| subject_of(cluster, &e.object)).or_else(|| first_policy(cluster, kind));
        let Some(subject) = subject else { continue };
        let (why, fix) = reason_text(&verdict.reason, one);
        let policies = if count == 1 {
            format!("the {one} in the input has")
        } else {
            format!("the {count} {many} in the input have")
        };
        out.emit(
            &subject,
            "",
            format!("`{}` does not enforce {one} ({why}): {policies} no effect", plugin.name()),
            fix,
        );
    }
}

/// Why a plugin does not enforce a kind of policy, and what to do about it.
fn reason_text(reason: &Reason, kind: &str) -> (String, String) {
    match reason {
        Reason::DisabledBy { setting } => (
            format!("`{setting}`"),
            "turn the plugin's policy enforcement on, or run a policy engine beside it".to_owned(),
        ),
        Reason::ContainerMissing { container } => (
            format!("its pods have no `{container}` container"),
            format!("run the plugin with its `{container}` container, which enforces policies"),
        ),
        Reason::VersionTooOld { version, minimum } => (
            format!("version {version}, support starts at {minimum}"),
            format!("upgrade the plugin to {minimum} or later"),
        ),
        Reason::NoPolicyEngine => (
            "no policy engine runs beside it".to_owned(),
            "install a policy engine beside the plugin (Azure Network Policy Manager, Calico or Cilium)".to_owned(),
        ),
        _ => (
            format!("it does not implement {kind}"),
            format!(
                "run a plugin that enforces {kind} (Calico, Cilium, Antrea, …, or Calico's policy engine beside \
                 Flannel), or remove the policies"
            ),
        ),
    }
}

/// The finding subject for an object a layer names by kind, namespace and name.
/// The first policy of `kind` in the input.
fn first_policy(cluster: &Cluster, kind: cni::PolicyKind) -> Option<Subject<'_>> {
    match kind {
        cni::PolicyKind::NetworkPolicy => {
            cluster.network_policies().first().map(|p| Subject::object("NetworkPolicy", &p.value.metadata, p))
        }
        cni::PolicyKind::AdminNetworkPolicy => cluster
            .admin_network_policies()
            .first()
            .map(|p| Subject::object("AdminNetworkPolicy", &p.value.metadata, p)),
        cni::PolicyKind::BaselineAdminNetworkPolicy => cluster
            .baseline_admin_network_policies()
            .first()
            .map(|p| Subject::object("BaselineAdminNetworkPolicy", &p.value.metadata, p)),
    }
}

fn subject_of<'c>(cluster: &'c Cluster, object: &cni::ObjectRef) -> Option<Subject<'c>> {
    let namespace = object.namespace.as_deref();
    if let Some(kind) = WorkloadKind::from_kind(&object.kind) {
        let workload = cluster
            .workloads()
            .iter()
            .find(|w| w.kind == kind && Some(w.namespace.as_str()) == namespace && w.name == object.name)?;
        return Some(Subject::workload(workload));
    }
    match object.kind.as_str() {
        "Pod" => {
            let pod = cluster
                .pods()
                .iter()
                .find(|p| Some(p.namespace.as_str()) == namespace && p.name == object.name)?;
            Some(Subject::pod(cluster, pod))
        }
        "Node" => {
            let node =
                cluster.nodes().iter().find(|n| n.value.metadata.name.as_deref() == Some(&object.name))?;
            Some(Subject::object("Node", &node.value.metadata, node))
        }
        _ => None,
    }
}

declare_rule! {
    /// ## What it does
    /// Finds NetworkPolicies whose `podSelector` selects no pod of their
    /// namespace (or only host-network pods, which policies do not apply
    /// to), and points at near misses in the pods' labels. An empty
    /// selector, which selects every pod, and namespaces without any pod in
    /// the input are left alone.
    ///
    /// ## Why does this break traffic?
    /// A policy applies to the pods its `podSelector` selects. Selecting
    /// none, it isolates nothing and allows nothing: the traffic it was
    /// written to allow is still blocked by the other policies (or the
    /// traffic it was written to block still flows).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api-server
    ///   ingress:
    ///     - ports:
    ///         - port: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - port: 8080
    /// ```
    ///
    /// ## Known problems
    /// A policy written ahead of the workloads it is for is reported until
    /// they are deployed.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>
    pub struct NetworkpolicySelectsNothing {
        code: "KR302",
        name: "networkpolicy-selects-nothing",
        severity: Warning,
        summary: "NetworkPolicies whose `podSelector` selects no pod",
        check: networkpolicy_selects_nothing,
    }
}

fn networkpolicy_selects_nothing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        let namespace = policy_namespace(&policy.value);
        let Some(selector) = policy.value.spec.as_ref().and_then(|s| s.pod_selector.as_ref()) else {
            continue;
        };
        if selects_everything(selector) || cluster.pods_in(namespace).is_empty() {
            continue;
        }
        if !selected_pods(cluster, namespace, selector, ctx.host_network()).is_empty() {
            continue;
        }
        let shown = display_selector(selector);
        let host_only = cluster.pods_in(namespace).iter().any(|id| {
            cluster.pod(*id).host_network() && selector_matches(selector, &cluster.pod(*id).labels)
        });
        let message = if host_only {
            format!(
                "`podSelector` `{shown}` selects only host-network pods, which NetworkPolicies do not apply to: \
                 the policy has no effect"
            )
        } else {
            format!(
                "`podSelector` `{shown}` selects no pod in namespace `{namespace}`: the policy has no effect"
            )
        };
        let in_scope = |id: PodId| {
            cluster.pod(id).namespace == namespace && policy_capable(cluster, id, ctx.host_network())
        };
        let fix = near_miss_fix(ctx, in_scope, selector, "podSelector").unwrap_or_else(|| {
            format!(
                "make the selector match the labels of the pods it is for (`kubectl get pods -n {} \
                     --show-labels`), or delete the policy",
                crate::shell::quote(namespace)
            )
        });
        out.emit(
            &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
            "spec.podSelector",
            message,
            fix,
        );
    }
}

/// The fix suggested by the first near miss of a `matchLabels`-only
/// selector among the pods `in_scope` accepts.
fn near_miss_fix(
    ctx: &Context<'_>,
    in_scope: impl Fn(PodId) -> bool,
    selector: &LabelSelector,
    what: &str,
) -> Option<String> {
    if selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return None;
    }
    let labels = selector.match_labels.clone().unwrap_or_default();
    near_misses_among(ctx.cluster, &ctx.near_miss_candidates, in_scope, &labels)
        .first()
        .map(|miss| miss.fix(what))
}

fn policy_namespace(policy: &NetworkPolicy) -> &str {
    policy.metadata.namespace.as_deref().unwrap_or("default")
}

/// Every `from`/`to` peer of a policy with its field path.
fn peers(policy: &NetworkPolicy) -> Vec<(String, &NetworkPolicyPeer)> {
    let mut peers = Vec::new();
    let Some(spec) = &policy.spec else { return peers };
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            peers.push((format!("spec.ingress[{i}].from[{j}]"), peer));
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            peers.push((format!("spec.egress[{i}].to[{j}]"), peer));
        }
    }
    peers
}

declare_rule! {
    /// ## What it does
    /// Finds `from`/`to` peers of NetworkPolicy rules whose
    /// `namespaceSelector` matches no namespace, or whose `podSelector`
    /// matches no pod in the namespaces it covers, with near misses: the
    /// classic one is `namespaceSelector: {matchLabels: {name: monitoring}}`
    /// on a namespace that only has the `kubernetes.io/metadata.name` label.
    /// Peers that cover a namespace without any pod in the input, or that
    /// name namespaces (by `kubernetes.io/metadata.name`) the input does not
    /// hold, are left alone: the input may simply not hold what they are for.
    ///
    /// ## Why does this break traffic?
    /// A peer that matches nothing allows nothing: the connections the rule
    /// was written for are denied by the isolation the policy creates.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: monitoring
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: prometheus
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: prometheus
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: prometheus
    ///     spec:
    ///       containers:
    ///         - name: prometheus
    ///           image: quay.io/prometheus/prometheus:v2.54.1
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-scraping
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               name: monitoring
    ///       ports:
    ///         - port: metrics
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: monitoring
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: prometheus
    ///   namespace: monitoring
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: prometheus
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: prometheus
    ///     spec:
    ///       containers:
    ///         - name: prometheus
    ///           image: quay.io/prometheus/prometheus:v2.54.1
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-scraping
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               kubernetes.io/metadata.name: monitoring
    ///       ports:
    ///         - port: metrics
    /// ```
    ///
    /// ## Known problems
    /// A policy that allows a namespace to be created later, or a namespace
    /// deployed separately from the input, is reported.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name>
    pub struct NetworkpolicyPeerSelectsNothing {
        code: "KR303",
        name: "networkpolicy-peer-selects-nothing",
        severity: Warning,
        summary: "NetworkPolicy peers whose selectors match nothing",
        check: networkpolicy_peer_selects_nothing,
    }
}

fn networkpolicy_peer_selects_nothing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        let namespace = policy_namespace(&policy.value);
        for (path, peer) in peers(&policy.value) {
            let PeerPods::Pods { namespaces, pods } = peer_pods(cluster, namespace, peer, ctx.host_network())
            else {
                continue;
            };
            if !pods.is_empty() {
                continue;
            }
            let subject = Subject::object("NetworkPolicy", &policy.value.metadata, policy);
            if namespaces.is_empty() {
                let Some(selector) = &peer.namespace_selector else { continue };
                if names_absent_namespaces(cluster, selector) {
                    continue;
                }
                let shown = display_selector(selector);
                out.emit(
                    &subject,
                    &format!("{path}.namespaceSelector"),
                    format!("`namespaceSelector` `{shown}` matches no namespace yet: the peer allows nothing until one exists"),
                    namespace_fix(cluster, selector),
                );
                continue;
            }
            // A namespace without pods in the input may hold the peer's pods
            // (the input is partial): say nothing then.
            if namespaces.iter().any(|ns| cluster.pods_in(ns).is_empty()) {
                continue;
            }
            let everything = LabelSelector::default();
            let selector = peer.pod_selector.as_ref().unwrap_or(&everything);
            let shown = display_selector(selector);
            let in_scope = |id: PodId| {
                namespaces.binary_search(&cluster.pod(id).namespace).is_ok()
                    && policy_capable(cluster, id, ctx.host_network())
            };
            let fix = near_miss_fix(ctx, in_scope, selector, "podSelector").unwrap_or_else(|| {
                "make the selector match the labels of the pods it is for, or remove the peer".to_owned()
            });
            let where_ = if namespaces.len() == 1 {
                format!("namespace `{}`", namespaces[0])
            } else {
                format!("namespaces {}", list(&namespaces, 4))
            };
            out.emit(
                &subject,
                &format!("{path}.podSelector"),
                format!("`podSelector` `{shown}` matches no pod in {where_} yet: the peer allows nothing until such a pod exists"),
                fix,
            );
        }
    }
}

/// Whether `selector` picks namespaces by name (`kubernetes.io/metadata.name`)
/// and none of them is in the input: the input is partial, not the selector
/// wrong.
fn names_absent_namespaces(cluster: &Cluster, selector: &LabelSelector) -> bool {
    let mut names: Vec<&String> = selector
        .match_labels
        .iter()
        .flatten()
        .filter(|(k, _)| *k == NAMESPACE_NAME_LABEL)
        .map(|(_, v)| v)
        .collect();
    for requirement in selector.match_expressions.iter().flatten() {
        if requirement.key == NAMESPACE_NAME_LABEL && requirement.operator == "In" {
            names.extend(requirement.values.iter().flatten());
        }
    }
    !names.is_empty() && names.iter().all(|name| cluster.namespace(name).is_none())
}

/// How to fix a `namespaceSelector` that matches no namespace.
fn namespace_fix(cluster: &Cluster, selector: &LabelSelector) -> String {
    let labels = selector.match_labels.clone().unwrap_or_default();
    // `name: monitoring` for a namespace called `monitoring`: select it by
    // the label the API server sets.
    let named = labels.iter().find_map(|(key, value)| {
        let namespace = cluster.namespace(value)?;
        (key != NAMESPACE_NAME_LABEL && namespace.labels.get(key) != Some(value)).then_some((key, value))
    });
    if let Some((key, value)) = named {
        return format!(
            "namespace `{value}` has no label `{key}={value}`: select it with `{NAMESPACE_NAME_LABEL}: {value}`, \
             which the API server sets on every namespace, or label it"
        );
    }
    let close: Vec<String> = labels
        .iter()
        .flat_map(|(key, value)| {
            cluster.namespaces().values().flat_map(move |ns| {
                ns.labels
                    .iter()
                    .filter(move |(k, v)| {
                        (*k == key && similar(value, v)) || (similar(key, k) && *v == value)
                    })
                    .map(|(k, v)| format!("{k}={v}"))
            })
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if close.is_empty() {
        "make the selector match the labels of the namespaces it is for (`kubectl get namespaces --show-labels`)"
            .to_owned()
    } else {
        format!("namespaces have {}: fix the selector", list(&close, 3))
    }
}

/// A rule port with where it is: `(path of the port, the port, direction,
/// rule index)`.
struct RulePort<'a> {
    path: String,
    port: &'a NetworkPolicyPort,
    direction: Direction,
    rule: usize,
}

fn rule_ports(policy: &NetworkPolicy) -> Vec<RulePort<'_>> {
    let mut ports = Vec::new();
    let Some(spec) = &policy.spec else { return ports };
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            let path = format!("spec.ingress[{i}].ports[{j}].port");
            ports.push(RulePort { path, port, direction: Direction::Ingress, rule: i });
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            let path = format!("spec.egress[{i}].ports[{j}].port");
            ports.push(RulePort { path, port, direction: Direction::Egress, rule: i });
        }
    }
    ports
}

/// The pods a rule port is about: the policy's pods for ingress, the
/// peers' pods for egress (every pod of the cluster for a rule without
/// `to`). `None` when the rule also reaches addresses outside the cluster.
fn port_targets(ctx: &Context<'_>, policy: &NetworkPolicy, port: &RulePort<'_>) -> Option<Vec<PodId>> {
    let cluster = ctx.cluster;
    let namespace = policy_namespace(policy);
    let spec = policy.spec.as_ref()?;
    match port.direction {
        Direction::Ingress => {
            let everything = LabelSelector::default();
            let selector = spec.pod_selector.as_ref().unwrap_or(&everything);
            Some(selected_pods(cluster, namespace, selector, ctx.host_network()))
        }
        Direction::Egress => {
            let rule = spec.egress.as_ref()?.get(port.rule)?;
            let peers = rule.to.as_deref().unwrap_or_default();
            if peers.is_empty() {
                return None;
            }
            let mut pods = Vec::new();
            for peer in peers {
                match peer_pods(cluster, namespace, peer, ctx.host_network()) {
                    PeerPods::Pods { pods: selected, .. } => pods.extend(selected),
                    PeerPods::Addresses => return None,
                    PeerPods::Invalid => {}
                }
            }
            pods.sort();
            pods.dedup();
            Some(pods)
        }
    }
}

fn port_protocol_of(port: &NetworkPolicyPort) -> Protocol {
    port.protocol.as_deref().and_then(Protocol::parse).unwrap_or(Protocol::Tcp)
}

declare_rule! {
    /// ## What it does
    /// Finds NetworkPolicy rules that allow a port number which is the
    /// `port` of a Service in front of the pods the rule is about, while the
    /// Service forwards it to another container port and no container of
    /// those pods declares the number. For ingress rules the pods are those
    /// the policy selects; for egress rules, those the `to` peers select.
    ///
    /// ## Why does this break traffic?
    /// A Service's port exists only on its virtual IP: kube-proxy rewrites
    /// the destination to a pod address and the `targetPort` before the
    /// packet reaches the pod, and NetworkPolicies are evaluated on that
    /// pod and container port. A rule allowing the Service port allows a
    /// port nothing receives traffic on, and the connections through the
    /// Service are denied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-api
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - protocol: TCP
    ///           port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-api
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - protocol: TCP
    ///           port: http
    /// ```
    ///
    /// ## Known problems
    /// A container that listens on the Service port without declaring it
    /// (`containerPort` is informational) and is reached directly by pod
    /// address is reported anyway.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service>
    /// - <https://kubernetes.io/docs/reference/networking/virtual-ips/>
    pub struct NetworkpolicyPortIsServicePort {
        code: "KR304",
        name: "networkpolicy-port-is-service-port",
        severity: Error,
        summary: "NetworkPolicy ports that are a Service's port instead of its pods' container port",
        check: networkpolicy_port_is_service_port,
    }
}

fn networkpolicy_port_is_service_port(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        for rule_port in rule_ports(&policy.value) {
            let Some(IntOrString::Int(number)) = rule_port.port.port else { continue };
            if rule_port.port.end_port.is_some() {
                continue;
            }
            let protocol = port_protocol_of(rule_port.port);
            let Some(targets) = port_targets(ctx, &policy.value, &rule_port) else { continue };
            if targets.is_empty() {
                continue;
            }
            let declares = |id: &PodId| {
                cluster
                    .pod(*id)
                    .container_ports()
                    .any(|p| p.port == number && p.protocol == protocol.as_str())
            };
            if targets.iter().any(declares) {
                continue;
            }
            let Some(found) = service_port_behind(cluster, &targets, number, protocol) else { continue };
            let target = match &found.target {
                PortRef::Name(name) => format!("`{name}` ({})", found.container_ports),
                PortRef::Number(_) => found.container_ports.clone(),
            };
            let allow = match &found.target {
                PortRef::Name(name) => format!("`port: {name}` (or {})", found.container_ports),
                PortRef::Number(n) => format!("`port: {n}`"),
            };
            out.emit(
                &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
                &rule_port.path,
                format!(
                    "port {number} is the port of Service `{}`, not of its pods: the Service forwards it to \
                     container port {target}, and policies see the container port",
                    found.service
                ),
                format!("allow {allow} instead"),
            );
        }
    }
}

/// A Service port in front of some pods.
struct ServicePortBehind {
    service: String,
    target: PortRef,
    /// The container ports it resolves to, `8080` or `8080, 8081`.
    container_ports: String,
}

/// A Service selecting some of `pods` whose port `number`/`protocol`
/// forwards to container ports other than `number` on all of them.
fn service_port_behind(
    cluster: &Cluster,
    pods: &[PodId],
    number: i32,
    protocol: Protocol,
) -> Option<ServicePortBehind> {
    let wanted: BTreeSet<PodId> = pods.iter().copied().collect();
    // A Service selects pods of its own namespace only: the Services of the
    // pods' namespaces, in input order.
    let namespaces: BTreeSet<&str> = pods.iter().map(|id| cluster.pod(*id).namespace.as_str()).collect();
    let mut positions: Vec<usize> =
        namespaces.iter().flat_map(|ns| cluster.index().services_in(ns)).copied().collect();
    positions.sort_unstable();
    for service in positions.into_iter().map(|p| &cluster.services()[p]) {
        let value = &service.value;
        if service_kind(value).is_none_or(|k| k == ServiceKind::ExternalName) {
            continue;
        }
        let Some(port) = find_service_port(value, &PortRef::Number(number), protocol) else { continue };
        let behind: Vec<PodId> =
            cluster.pods_selected_by_service(value).into_iter().filter(|id| wanted.contains(id)).collect();
        let resolved: BTreeSet<i32> =
            behind.iter().filter_map(|id| resolve_target_port(port, cluster.pod(*id)).ok()).collect();
        if resolved.is_empty() || resolved.contains(&number) {
            continue;
        }
        let container_ports = resolved.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
        return Some(ServicePortBehind {
            service: value.metadata.name.clone().unwrap_or_default(),
            target: target_port(port),
            container_ports,
        });
    }
    None
}

declare_rule! {
    /// ## What it does
    /// Finds NetworkPolicy rules with a named port (`port: metrics`) that no
    /// pod the rule is about declares as a container port with the rule's
    /// protocol: the pods the policy selects for ingress rules, the pods the
    /// `to` peers select for egress rules (every pod for a rule without
    /// `to`).
    ///
    /// ## Why does this break traffic?
    /// A named port is resolved per destination pod among its containers'
    /// `ports[].name` with the same protocol. Where no pod has the name, the
    /// port matches nothing: the rule allows no connection at all, and the
    /// traffic it was written for is denied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-metrics
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - port: http-metrics
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    ///           ports:
    ///             - name: metrics
    ///               containerPort: 9102
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-metrics
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///     - ports:
    ///         - port: metrics
    /// ```
    ///
    /// ## Known problems
    /// Egress rules towards `ipBlock`s are not checked: a name cannot be
    /// resolved for an address outside the cluster, and plugins differ on
    /// what they do with it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports>
    pub struct NetworkpolicyNamedPortUnresolved {
        code: "KR305",
        name: "networkpolicy-named-port-unresolved",
        severity: Error,
        summary: "NetworkPolicy named ports that no destination pod declares",
        check: networkpolicy_named_port_unresolved,
    }
}

fn networkpolicy_named_port_unresolved(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for policy in cluster.network_policies() {
        for rule_port in rule_ports(&policy.value) {
            let Some(IntOrString::String(name)) = &rule_port.port.port else { continue };
            let protocol = port_protocol_of(rule_port.port);
            let targets = match port_targets(ctx, &policy.value, &rule_port) {
                Some(targets) => targets,
                None if rule_port.direction == Direction::Egress
                    && egress_without_to(&policy.value, rule_port.rule) =>
                {
                    cluster
                        .pods()
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| !p.host_network())
                        .map(|(i, _)| PodId(i as u32))
                        .collect()
                }
                None => continue,
            };
            if targets.is_empty()
                || targets.iter().any(|id| cluster.pod(*id).named_port(name, protocol.as_str()).is_some())
            {
                continue;
            }
            let pods: Vec<&Pod> = targets.iter().map(|id| cluster.pod(*id)).collect();
            let other_protocol = pods
                .iter()
                .flat_map(|p| p.container_ports())
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.protocol);
            let close: BTreeSet<String> = pods
                .iter()
                .flat_map(|p| p.container_ports())
                .filter(|p| p.protocol == protocol.as_str())
                .filter_map(|p| p.name)
                .filter(|candidate| similar(candidate, name))
                .collect();
            let whose = match rule_port.direction {
                Direction::Ingress => "the pods the policy selects",
                Direction::Egress => "the pods the rule's peers select",
            };
            let message = format!(
                "no container of {whose} declares a {protocol} port named `{name}`: the rule allows nothing on it"
            );
            let fix = if let Some(other) = other_protocol {
                format!("the pods declare `{name}` as {other}: set `protocol: {other}` in the rule, or fix the container port")
            } else if !close.is_empty() {
                let close: Vec<String> = close.into_iter().collect();
                format!("did you mean {}? Use a name the pods declare", list(&close, 3))
            } else {
                format!("name the container port `{name}` in the pods' template, or use its number")
            };
            out.emit(
                &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
                &rule_port.path,
                message,
                fix,
            );
        }
    }
}

fn egress_without_to(policy: &NetworkPolicy, rule: usize) -> bool {
    policy
        .spec
        .as_ref()
        .and_then(|s| s.egress.as_ref())
        .and_then(|e| e.get(rule))
        .is_some_and(|r| r.to.as_ref().is_none_or(Vec::is_empty))
}

declare_rule! {
    /// ## What it does
    /// Finds pods isolated for egress by NetworkPolicies that do not allow
    /// them to reach the cluster DNS pods on UDP and TCP port 53 (the
    /// container ports behind the `kube-dns` Service), as the policy engine
    /// evaluates it from each isolated pod to each DNS pod. When the input
    /// has no DNS pods, they are assumed to be `kube-system` pods labelled
    /// `k8s-app: kube-dns` serving port 53, as kubeadm and the managed
    /// clusters install them. Only UDP allowed (TCP denied) is a warning.
    ///
    /// ## Why does this break traffic?
    /// Pods resolve names through the cluster DNS Service, and policies see
    /// those queries as connections to the DNS pods. An egress policy that
    /// forgets them makes every lookup time out: the pod cannot reach other
    /// Services by name, nor anything outside, even where the policy allows
    /// the connection itself. DNS uses UDP, and TCP for answers too large
    /// for UDP.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: worker
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: worker
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: worker
    ///     spec:
    ///       containers:
    ///         - name: worker
    ///           image: ghcr.io/example/worker:1.4.0
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: worker-egress
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: worker
    ///   policyTypes:
    ///     - Egress
    ///   egress:
    ///     - to:
    ///         - ipBlock:
    ///             cidr: 203.0.113.0/24
    ///       ports:
    ///         - port: 5671
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: worker
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: worker
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: worker
    ///     spec:
    ///       containers:
    ///         - name: worker
    ///           image: ghcr.io/example/worker:1.4.0
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: worker-egress
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: worker
    ///   policyTypes:
    ///     - Egress
    ///   egress:
    ///     - to:
    ///         - ipBlock:
    ///             cidr: 203.0.113.0/24
    ///       ports:
    ///         - port: 5671
    ///     - to:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               kubernetes.io/metadata.name: kube-system
    ///           podSelector:
    ///             matchLabels:
    ///               k8s-app: kube-dns
    ///       ports:
    ///         - protocol: UDP
    ///           port: 53
    ///         - protocol: TCP
    ///           port: 53
    /// ```
    ///
    /// ## Known problems
    /// An egress rule to an `ipBlock` that holds the DNS pods' addresses (any
    /// address, when the input does not have them) counts as allowing DNS,
    /// as most plugins match pod addresses against `ipBlock`s; with a plugin
    /// that does not, such a policy still blocks DNS and is not reported.
    /// Pods whose resolver points at a node-local DNS cache (NodeLocal
    /// DNSCache, set through the kubelet's `--cluster-dns`) send their
    /// queries to a link-local address the model does not know about; the
    /// rule checks the path to the CoreDNS pods instead.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic>
    /// - <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>
    pub struct NetworkpolicyEgressBlocksDns {
        code: "KR306",
        name: "networkpolicy-egress-blocks-dns",
        severity: Error,
        summary: "egress isolation that blocks cluster DNS",
        check: networkpolicy_egress_blocks_dns,
    }
}

/// A peer selecting the DNS pods, as a policy would write it.
fn dns_peer(namespace: &str, selector: &BTreeMap<String, String>) -> String {
    let pods: Vec<String> = selector.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "`namespaceSelector: {{matchLabels: {{{NAMESPACE_NAME_LABEL}: {namespace}}}}}` with `podSelector: \
         {{matchLabels: {{{}}}}}`",
        pods.join(", ")
    )
}

/// How a policy names the DNS pods: the Service's selector, else the
/// `k8s-app` label of the first DNS pod.
fn dns_pods_peer(cluster: &Cluster, pods: &DnsPods<'_>) -> String {
    if let Some(service) = pods.service {
        let selector = service.value.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
        return dns_peer(service.value.metadata.namespace.as_deref().unwrap_or("kube-system"), &selector);
    }
    let first = pods
        .udp
        .iter()
        .chain(&pods.tcp)
        .flatten()
        .find_map(|t| t.pod)
        .filter(|_| pods.found != DnsPodsFound::Assumed);
    let label = first
        .and_then(|id| cluster.pod(id).labels.get("k8s-app").cloned())
        .unwrap_or_else(|| "kube-dns".to_owned());
    dns_peer("kube-system", &BTreeMap::from([("k8s-app".to_owned(), label)]))
}

fn networkpolicy_egress_blocks_dns(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced() {
        return;
    }
    let isolated: Vec<PodId> = (0..cluster.pods().len())
        .map(|i| PodId(i as u32))
        .filter(|id| {
            let pod = cluster.pod(*id);
            !pod.host_network() && resolver_config(cluster, pod).cluster_dns
        })
        .filter(|id| ctx.engine().is_isolated(*id, Direction::Egress))
        .collect();
    if isolated.is_empty() {
        return;
    }
    with_dns_reach(ctx.engine(), |server, reach| {
        let DnsServer::Pods(pods) = server else { return };
        // Per isolating policies and verdict: the workloads concerned.
        let mut groups: BTreeMap<DnsKey, BTreeSet<String>> = BTreeMap::new();
        let mut verdicts: BTreeMap<usize, Option<DnsKey>> = BTreeMap::new();
        for &id in &isolated {
            let verdict = verdicts.entry(ctx.engine().class_of(id)).or_insert_with(|| {
                let answer = reach(id)?;
                let isolating = network_policy_refs(&ctx.engine().selecting_policies(id, Direction::Egress));
                let blocked = !(answer.udp && answer.tcp);
                (blocked && !isolating.is_empty()).then_some((isolating, answer.udp, answer.tcp))
            });
            if let Some(key) = verdict.clone() {
                groups
                    .entry(key)
                    .or_default()
                    .insert(crate::check::service::workload_name(cluster, cluster.pod(id)));
            }
        }
        emit_dns_findings(ctx, out, pods, groups);
    });
}

/// The NetworkPolicies isolating a group of pods, and whether UDP and TCP
/// DNS are allowed.
type DnsKey = (Vec<(String, String)>, bool, bool);

fn emit_dns_findings(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    pods: &DnsPods<'_>,
    groups: BTreeMap<DnsKey, BTreeSet<String>>,
) {
    let cluster = ctx.cluster;
    let assumed = pods.found == DnsPodsFound::Assumed;
    let peer = dns_pods_peer(cluster, pods);
    let dns = if assumed {
        "cluster DNS".to_owned()
    } else {
        let names: BTreeSet<String> = pods
            .udp
            .iter()
            .chain(&pods.tcp)
            .flatten()
            .filter_map(|t| t.pod)
            .map(|id| {
                let workload = cluster.workload_ref(cluster.pod(id));
                format!("{}/{}", workload.namespace, workload.name)
            })
            .collect();
        format!("cluster DNS ({})", list(&names.into_iter().collect::<Vec<_>>(), 2))
    };
    let first_port = |targets: &Option<Vec<DnsTarget>>| {
        targets.iter().flatten().find_map(|t| t.port).map_or(53, i32::from)
    };
    let ports = (first_port(&pods.udp), first_port(&pods.tcp));
    for ((isolating, udp_ok, tcp_ok), workloads) in groups {
        let Some((namespace, name)) = isolating.first() else { continue };
        let Some(policy) = find_policy(cluster, namespace, name) else { continue };
        let workloads: Vec<String> = workloads.into_iter().collect();
        let who = format!("egress of {} is isolated", list(&workloads, 3));
        let (severity, message) = match (udp_ok, tcp_ok) {
            (false, false) => (
                Severity::Error,
                format!("{who}, and no rule allows DNS: UDP {} and TCP {} to {dns} are denied, so name lookups fail", ports.0, ports.1),
            ),
            (false, true) => (
                Severity::Error,
                format!("{who}, and no rule allows UDP {} to {dns} (TCP is allowed): most name lookups fail", ports.0),
            ),
            _ => (
                Severity::Warning,
                format!(
                    "{who}, and no rule allows TCP {} to {dns} (UDP is allowed): lookups whose answers are too large \
                     for UDP fail",
                    ports.1
                ),
            ),
        };
        let others = if isolating.len() > 1 {
            format!(
                " (or to another of the policies isolating them: {})",
                list(&isolating.iter().skip(1).map(|(_, n)| n.clone()).collect::<Vec<_>>(), 3)
            )
        } else {
            String::new()
        };
        let has_egress =
            policy.value.spec.as_ref().and_then(|s| s.egress.as_ref()).is_some_and(|e| !e.is_empty());
        out.emit_with(
            severity,
            &Subject::object("NetworkPolicy", &policy.value.metadata, policy),
            if has_egress { "spec.egress" } else { "spec.policyTypes" },
            message,
            format!(
                "add an egress rule{others} to {peer} on UDP and TCP port 53{}",
                if assumed {
                    " (the DNS pods are not in the input: they are assumed to be `kube-system` pods labelled \
                     `k8s-app=kube-dns`)"
                } else {
                    ""
                }
            ),
        );
    }
}

/// The NetworkPolicies among `policies`, as `(namespace, name)`, sorted.
fn network_policy_refs(policies: &[PolicyRef]) -> Vec<(String, String)> {
    let mut refs: Vec<(String, String)> = policies
        .iter()
        .filter(|p| p.kind == crate::policy::PolicyKind::NetworkPolicy)
        .map(|p| (p.namespace.clone().unwrap_or_default(), p.name.clone()))
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

fn find_policy<'c>(cluster: &'c Cluster, namespace: &str, name: &str) -> Option<&'c Object<NetworkPolicy>> {
    cluster.network_policies().iter().find(|p| {
        p.value.metadata.namespace.as_deref() == Some(namespace)
            && p.value.metadata.name.as_deref() == Some(name)
    })
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress backends whose pods do not admit the Ingress
    /// controller: for each Ingress, the controller of its class (found by
    /// image, labels and class flags) and, for each backend Service port,
    /// the pods behind it on their target port, as the policy engine
    /// evaluates it from each controller pod. Also reports a controller
    /// whose own egress policies forbid the connection.
    ///
    /// ## Why does this break traffic?
    /// The controller's proxy (nginx, Envoy, Traefik…) connects to the
    /// backend pods directly, on their container port. When a NetworkPolicy
    /// isolates those pods for ingress and no rule admits the controller's
    /// pods (typically, its namespace), the connections time out: ingress-
    /// nginx answers 504 for every path that leads there.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app.kubernetes.io/name: ingress-nginx
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app.kubernetes.io/name: ingress-nginx
    ///     spec:
    ///       containers:
    ///         - name: controller
    ///           image: registry.k8s.io/ingress-nginx/controller:v1.11.2
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: web
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: ghcr.io/example/web:2.0.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 3000
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// Use instead (the same, plus a policy admitting the controller):
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app.kubernetes.io/name: ingress-nginx
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app.kubernetes.io/name: ingress-nginx
    ///     spec:
    ///       containers:
    ///         - name: controller
    ///           image: registry.k8s.io/ingress-nginx/controller:v1.11.2
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: web
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: ghcr.io/example/web:2.0.0
    ///           ports:
    ///             - name: http
    ///               containerPort: 3000
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///     - port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: web
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: allow-ingress-nginx
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector:
    ///             matchLabels:
    ///               kubernetes.io/metadata.name: ingress-nginx
    ///       ports:
    ///         - port: http
    /// ```
    ///
    /// ## Known problems
    /// Controllers outside the cluster (GKE, the AWS Load Balancer
    /// Controller, Azure Application Gateway) send traffic from addresses the
    /// input does not hold, and controllers whose pods the input lacks are
    /// unknown: neither is checked.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/>
    /// - <https://kubernetes.github.io/ingress-nginx/deploy/#network-policies>
    pub struct NetworkpolicyBlocksIngressController {
        code: "KR307",
        name: "networkpolicy-blocks-ingress-controller",
        severity: Error,
        summary: "Ingress backends whose NetworkPolicies do not admit the ingress controller",
        check: networkpolicy_blocks_ingress_controller,
    }
}

fn networkpolicy_blocks_ingress_controller(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced()
        || cluster.network_policies().is_empty()
            && cluster.admin_network_policies().is_empty()
            && cluster.baseline_admin_network_policies().is_empty()
    {
        return;
    }
    let engine = ctx.engine();
    for ingress in cluster.ingresses() {
        let resolution = ingress_class_of(cluster, &ingress.value);
        let Some(controller) =
            resolution.controller.filter(|c| c.in_cluster == Some(true) && !c.pods.is_empty())
        else {
            continue;
        };
        let mut controllers: BTreeMap<usize, PodId> = BTreeMap::new();
        for &pod in &controller.pods {
            controllers.entry(engine.class_of(pod)).or_insert(pod);
        }
        let controller_names: Vec<String> =
            controller.workloads.iter().map(|w| format!("{}/{}", w.namespace, w.name)).collect();
        let controller_namespaces: BTreeSet<&str> =
            controller.workloads.iter().map(|w| w.namespace.as_str()).collect();
        let mut seen = BTreeSet::new();
        for check in check_backends(cluster, ingress) {
            let (BackendStatus::Ok { port: key }, BackendRef::Service { service: reference, .. }) =
                (&check.status, &check.backend)
            else {
                continue;
            };
            if !seen.insert((reference.name.clone(), key.clone())) {
                continue;
            }
            let Some(service) = cluster.service(&reference.namespace, &reference.name) else { continue };
            let Some(port) =
                service_ports(&service.value).iter().find(|p| crate::service::ServicePortKey::of(p) == *key)
            else {
                continue;
            };
            let mut blocked_ingress: BTreeMap<String, (i32, Vec<(String, String)>)> = BTreeMap::new();
            let mut blocked_egress: BTreeMap<String, i32> = BTreeMap::new();
            let mut checked = BTreeSet::new();
            for backend in cluster.pods_selected_by_service(&service.value) {
                let pod = cluster.pod(backend);
                if pod.host_network() || !checked.insert(engine.class_of(backend)) {
                    continue;
                }
                let Ok(target) = resolve_target_port(port, pod) else { continue };
                let Ok(target_u16) = u16::try_from(target) else { continue };
                for &from in controllers.values() {
                    let explanation = engine.explain(&Endpoint::Pod(from), &Endpoint::Pod(backend));
                    let workload = crate::check::service::workload_name(cluster, pod);
                    if !explanation.ingress.allowed.contains(Protocol::Tcp, target_u16) {
                        blocked_ingress.insert(
                            workload,
                            (target, network_policy_refs(&explanation.ingress.isolated_by)),
                        );
                    } else if !explanation.egress.allowed.contains(Protocol::Tcp, target_u16) {
                        blocked_egress.insert(workload, target);
                    }
                }
            }
            let subject = Subject::object("Ingress", &ingress.value.metadata, ingress);
            let path = format!("{}.service", check.site.field_path());
            let controller_text = format!("the ingress controller ({})", list(&controller_names, 2));
            let target = target_port(port);
            let port_text = |number: i32| match &target {
                PortRef::Name(name) => format!("port `{name}` ({number})"),
                PortRef::Number(_) => format!("port {number}"),
            };
            if let Some((_, (number, isolating))) = blocked_ingress.iter().next() {
                let workloads: Vec<String> = blocked_ingress.keys().cloned().collect();
                let names = list(&isolating.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(), 3);
                let isolated_by = match isolating.len() {
                    0 => "an admin policy denies it".to_owned(),
                    1 => format!(
                        "NetworkPolicy {names} isolates them for ingress, and no rule admits the controller"
                    ),
                    _ => format!(
                        "NetworkPolicies {names} isolate them for ingress, and no rule admits the controller"
                    ),
                };
                let selector = crate::service::selector(&service.value).map(display_map).unwrap_or_default();
                let namespaces: Vec<String> = controller_namespaces.iter().map(|n| (*n).to_owned()).collect();
                out.emit(
                    &subject,
                    &path,
                    format!(
                        "{controller_text} cannot reach {} behind Service `{}` on TCP {}: {isolated_by}",
                        list(&workloads, 3),
                        reference.name,
                        port_text(*number)
                    ),
                    format!(
                        "add a NetworkPolicy in `{}` selecting `{selector}` that allows ingress from namespace {} on {}",
                        reference.namespace,
                        list(&namespaces, 2),
                        port_text(*number)
                    ),
                );
            } else if let Some((_, number)) = blocked_egress.iter().next() {
                let workloads: Vec<String> = blocked_egress.keys().cloned().collect();
                out.emit(
                    &subject,
                    &path,
                    format!(
                        "{controller_text} cannot reach {} behind Service `{}` on TCP {}: the controller's own egress \
                         policies deny it",
                        list(&workloads, 3),
                        reference.name,
                        port_text(*number)
                    ),
                    format!(
                        "allow egress from the controller's pods to namespace `{}` on {}",
                        reference.namespace,
                        port_text(*number)
                    ),
                );
            }
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Reports namespaces with pods that no NetworkPolicy isolates for
    /// ingress (as the policy engine sees it), as information: those pods
    /// accept connections from every pod of the cluster and every address
    /// that reaches it. System namespaces (`kube-system`, `kube-public`,
    /// `kube-node-lease`), host-network pods and clusters with a
    /// BaselineAdminNetworkPolicy are left out.
    ///
    /// ## Why does this break traffic?
    /// It does not; it leaves traffic open that is usually meant to be
    /// closed. A default-deny policy (`podSelector: {}` with
    /// `policyTypes: [Ingress]`) makes every allowed path explicit, so that
    /// a new workload is not reachable until a policy says so.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     matchLabels:
    ///       app: api
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: api
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: ghcr.io/example/api:1.4.0
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// ## Known problems
    /// Namespaces that are open on purpose (a public gateway's) are reported:
    /// suppress the rule with the annotation on the Namespace, or disable it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic>
    /// - <https://kubernetes.io/docs/concepts/security/security-checklist/#network-security>
    pub struct NamespaceNoDefaultDeny {
        code: "KR308",
        name: "namespace-no-default-deny",
        severity: Info,
        summary: "namespaces whose pods no NetworkPolicy isolates",
        check: namespace_no_default_deny,
    }
}

fn namespace_no_default_deny(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    if !ctx.network_policies_enforced() || !cluster.baseline_admin_network_policies().is_empty() {
        return;
    }
    for namespace in cluster.namespaces().values() {
        if matches!(namespace.name.as_str(), "kube-system" | "kube-public" | "kube-node-lease") {
            continue;
        }
        let pods = policy_capable_pods(cluster, &namespace.name, ctx.host_network());
        let open: Vec<PodId> =
            pods.iter().copied().filter(|id| !ctx.engine().is_isolated(*id, Direction::Ingress)).collect();
        if open.is_empty() {
            continue;
        }
        let workloads = workload_names(cluster, &open);
        let mut subject = Subject::namespace(namespace);
        if subject.origin.is_none() {
            // An implicit namespace: point at the first open workload.
            subject.origin = Some(&cluster.pod(open[0]).origin);
        }
        out.emit(
            &subject,
            "",
            format!(
                "no NetworkPolicy isolates {} in `{}` for ingress: {} connections from every pod and address",
                list(&workloads, 3),
                namespace.name,
                if workloads.len() == 1 { "it accepts" } else { "they accept" }
            ),
            format!(
                "add a default-deny policy to `{}` (`podSelector: {{}}`, `policyTypes: [Ingress]`), then policies \
                 allowing what each workload needs",
                namespace.name
            ),
        );
    }
}
