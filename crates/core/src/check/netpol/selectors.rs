//! KR302 `networkpolicy-selects-nothing` and KR303
//! `networkpolicy-peer-selects-nothing`: selectors that select nothing, with
//! the near misses that explain why.

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::policy_namespace;
use crate::check::similar::{near_misses_among, similar};
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::labels::{display_selector, selector_matches, selects_everything};
use crate::model::{Cluster, PodId, NAMESPACE_NAME_LABEL};
use crate::policy::{peer_pods, peer_selects_a_pod, policy_capable, selected_pods, PeerPods};

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
        // Relabelling cannot help host-network pods: no NetworkPolicy
        // applies to them (they share their node's network namespace).
        let host_fix = host_only.then(|| {
            "NetworkPolicies cannot isolate host-network pods: protect them with the node's firewall or the \
             plugin's host policies, or delete the policy"
                .to_owned()
        });
        let fix =
            host_fix.or_else(|| near_miss_fix(ctx, in_scope, selector, "podSelector")).unwrap_or_else(|| {
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
            // Most peers select a pod: find the first one before listing them all.
            if peer_selects_a_pod(cluster, namespace, peer, ctx.host_network()) {
                continue;
            }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{deployment, namespace, policy};
    use crate::check::testing::findings;

    // `podSelector` selects pods of the policy's own namespace by their labels
    // (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec);
    // one that matches none leaves the policy without effect.
    #[test]
    fn a_pod_selector_that_misses_by_a_typo_is_reported_with_the_near_miss() {
        let rule = "networkpolicy-selects-nothing";
        let api = deployment("shop", "api", json!({"app": "api"}), json!([]));
        let typo = policy("shop", "api-in", json!({"podSelector": {"matchLabels": {"app": "apj"}}}));
        let found = findings(rule, vec![api.clone(), typo]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "warning NetworkPolicy shop/api-in: `podSelector` `app=apj` selects no pod in namespace `shop`: \
                 the policy has no effect | "
            ),
            "{found:?}"
        );
        assert!(found[0].contains("app=api"), "the near miss is suggested: {found:?}");
        let right = policy("shop", "api-in", json!({"podSelector": {"matchLabels": {"app": "api"}}}));
        assert!(findings(rule, vec![api.clone(), right]).is_empty());
        // A namespace without pods in the input says nothing (the input may be partial).
        let elsewhere = policy("other", "x", json!({"podSelector": {"matchLabels": {"app": "apj"}}}));
        assert!(findings(rule, vec![api, elsewhere]).is_empty());
    }

    // A `namespaceSelector` matches namespaces by their labels; the API
    // server sets `kubernetes.io/metadata.name` on every namespace
    // (https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name),
    // not `name`.
    #[test]
    fn a_namespace_selector_by_an_unset_name_label_is_reported() {
        let rule = "networkpolicy-peer-selects-nothing";
        let api = deployment("shop", "api", json!({"app": "api"}), json!([]));
        let prometheus = deployment("monitoring", "prometheus", json!({"app": "prometheus"}), json!([]));
        let monitoring = namespace("monitoring", json!({}));
        let from = |selector: serde_json::Value| {
            policy(
                "shop",
                "from-monitoring",
                json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": selector}]}]}),
            )
        };
        let found = findings(
            rule,
            vec![
                api.clone(),
                prometheus.clone(),
                monitoring.clone(),
                from(json!({"matchLabels": {"name": "monitoring"}})),
            ],
        );
        assert_eq!(
            found,
            ["warning NetworkPolicy shop/from-monitoring: `namespaceSelector` `name=monitoring` matches no \
              namespace yet: the peer allows nothing until one exists | namespace `monitoring` has no label \
              `name=monitoring`: select it with `kubernetes.io/metadata.name: monitoring`, which the API server \
              sets on every namespace, or label it"]
        );
        let by_name = from(json!({"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}));
        assert!(findings(rule, vec![api.clone(), prometheus.clone(), monitoring.clone(), by_name]).is_empty());
        // Naming a namespace absent from the input is a partial input, not a mistake.
        let absent = from(json!({"matchLabels": {"kubernetes.io/metadata.name": "logging"}}));
        assert!(findings(rule, vec![api, prometheus, monitoring, absent]).is_empty());
    }

    #[test]
    fn a_peer_pod_selector_that_matches_no_pod_is_reported() {
        let rule = "networkpolicy-peer-selects-nothing";
        let api = deployment("shop", "api", json!({"app": "api"}), json!([]));
        let web = deployment("shop", "web", json!({"app": "web"}), json!([]));
        let from = |app: &str| {
            policy(
                "shop",
                "api-from-web",
                json!({"podSelector": {"matchLabels": {"app": "api"}},
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": app}}}]}]}),
            )
        };
        let found = findings(rule, vec![api.clone(), web.clone(), from("wbe")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "warning NetworkPolicy shop/api-from-web: `podSelector` `app=wbe` matches no pod in namespace \
                 `shop` yet: the peer allows nothing until such a pod exists"
            ),
            "{found:?}"
        );
        assert!(findings(rule, vec![api, web, from("web")]).is_empty());
    }
}
