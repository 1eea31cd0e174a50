//! KR301 `networkpolicy-not-enforced`: policies the detected network plugin
//! does not enforce.

use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::cni::{self, Enforcement, Reason};
use crate::model::{Cluster, WorkloadKind};

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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::testing::policy;
    use crate::check::testing::findings;

    const RULE: &str = "networkpolicy-not-enforced";

    fn plugin(name: &str, namespace: &str, containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": namespace},
               "spec": {"selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}},
                                     "spec": {"hostNetwork": true, "containers": containers}}}})
    }

    // Flannel implements no NetworkPolicy
    // (https://github.com/flannel-io/flannel#networking-details: "Flannel is
    // focused on networking. For network policy, other projects such as
    // Calico can be used"); Canal adds Calico's policy engine beside it.
    #[test]
    fn flannel_alone_leaves_policies_without_effect() {
        let flannel = plugin(
            "kube-flannel-ds",
            "kube-flannel",
            json!([{"name": "kube-flannel", "image": "docker.io/flannel/flannel:v0.25.6"}]),
        );
        let deny = policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
        let found = findings(RULE, vec![flannel, deny.clone()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("error DaemonSet kube-flannel/kube-flannel-ds: `flannel` does not enforce")
        );
        assert!(found[0].contains("the NetworkPolicy in the input has no effect"), "{found:?}");
        let canal = plugin(
            "canal",
            "kube-system",
            json!([{"name": "calico-node", "image": "docker.io/calico/node:v3.28.0"},
                   {"name": "kube-flannel", "image": "docker.io/flannel/flannel:v0.25.6"}]),
        );
        assert!(findings(RULE, vec![canal, deny.clone()]).is_empty());
        // Nothing to say without policies, or without a detected plugin.
        assert!(findings(RULE, vec![deny]).is_empty());
    }
}
