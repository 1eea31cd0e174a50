//! KR308 `namespace-no-default-deny`: namespaces that NetworkPolicies
//! leave open by default.

use crate::check::service::workload_names;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::model::PodId;
use crate::policy::{policy_capable_pods, Direction};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{deployment, policy};
    use crate::check::testing::findings;

    const RULE: &str = "namespace-no-default-deny";

    // A pod no NetworkPolicy selects for ingress is non-isolated and accepts
    // every connection; `podSelector: {}` with `policyTypes: [Ingress]` is the
    // default deny
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic).
    #[test]
    fn open_namespaces_are_reported_until_a_default_deny_isolates_them() {
        let api = deployment("shop", "api", json!({"app": "api"}), json!([{"containerPort": 8080}]));
        let system = deployment("kube-system", "agent", json!({"app": "agent"}), json!([]));
        assert_eq!(
            findings(RULE, vec![api.clone(), system.clone()]),
            ["info Namespace shop: no NetworkPolicy isolates `Deployment/api` in `shop` for ingress: it accepts connections \
              from every pod and address | add a default-deny policy to `shop` (`podSelector: {}`, \
              `policyTypes: [Ingress]`), then policies allowing what each workload needs"]
        );
        let deny = policy("shop", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
        assert!(findings(RULE, vec![api.clone(), system, deny]).is_empty());
        // Egress isolation alone leaves ingress open.
        let egress = policy("shop", "egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
        assert_eq!(findings(RULE, vec![api, egress]).len(), 1);
    }
}
