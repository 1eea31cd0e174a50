//! KR306 `networkpolicy-egress-blocks-dns`: egress isolation that leaves
//! pods without cluster DNS.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::network_policy_refs;
use crate::check::fix_peer::admin_deny_fix;
use crate::check::{declare_rule, list, Context, Emitter, Severity, Subject};
use crate::dns::{
    dns_clients_where, egress_isolated_dns_clients, with_dns_reach, DnsPods, DnsPodsFound, DnsReach,
    DnsServer, DnsTarget,
};
use crate::model::{Cluster, Object, PodId, NAMESPACE_NAME_LABEL};
use crate::policy::{Direction, PolicyKind};

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
    /// When an AdminNetworkPolicy's `Deny` rule is what denies the queries
    /// (whether or not a NetworkPolicy also isolates the pods), the finding
    /// is on that AdminNetworkPolicy: a `Deny` cannot be overridden by a
    /// NetworkPolicy, so the fix is an `Allow` rule for DNS placed before
    /// it in the same policy (its rules apply in order), or a narrower
    /// `Deny`.
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
    /// rule checks the path to the CoreDNS pods instead. Queries that the
    /// pods' egress allows and the DNS pods' own ingress policies refuse
    /// are not reported here: no egress rule would let them through.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic>
    /// - <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/>
    /// - <https://network-policy-api.sigs.k8s.io/reference/spec/> (`AdminNetworkPolicyRuleAction`)
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
    let clients = policy_decided_dns_clients(ctx);
    if clients.is_empty() {
        return;
    }
    with_dns_reach(ctx.engine(), |server, reach| {
        let DnsServer::Pods(pods) = server else { return };
        // Per verdict (isolating policies, or the admin policy that denies):
        // the workloads concerned.
        let mut groups: BTreeMap<DnsKey, BTreeSet<String>> = BTreeMap::new();
        let mut verdicts: BTreeMap<usize, Option<DnsKey>> = BTreeMap::new();
        for &id in &clients {
            let verdict = verdicts.entry(ctx.engine().class_of(id)).or_insert_with(|| {
                let answer = reach(id)?;
                // Only the client's own egress is this rule's: a denial by
                // the DNS pods' ingress is not fixed by an egress rule.
                if answer.udp && answer.tcp || !egress_denies(&answer) {
                    return None;
                }
                if let Some(denial) = admin_dns_denial(ctx, &answer) {
                    return Some((DnsBlock::Admin(denial), answer.udp, answer.tcp));
                }
                let isolating = network_policy_refs(&ctx.engine().selecting_policies(id, Direction::Egress));
                (!isolating.is_empty()).then_some((DnsBlock::Isolated(isolating), answer.udp, answer.tcp))
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

/// The pods whose DNS egress a policy decides: isolated for egress by a
/// NetworkPolicy, or selected by an AdminNetworkPolicy with egress rules,
/// whose `Deny` holds whatever the NetworkPolicies say.
fn policy_decided_dns_clients(ctx: &Context<'_>) -> Vec<PodId> {
    let engine = ctx.engine();
    if ctx.cluster.admin_network_policies().is_empty() {
        return egress_isolated_dns_clients(ctx.cluster, engine);
    }
    let mut admin_subject: BTreeMap<usize, bool> = BTreeMap::new();
    dns_clients_where(ctx.cluster, |id| {
        engine.is_isolated(id, Direction::Egress)
            || *admin_subject.entry(engine.class_of(id)).or_insert_with(|| {
                engine
                    .selecting_policies(id, Direction::Egress)
                    .iter()
                    .any(|p| p.kind == PolicyKind::AdminNetworkPolicy)
            })
    })
}

/// When an AdminNetworkPolicy `Deny` rule decides a denied DNS query on the
/// client's egress, that policy's name and the fix there: no NetworkPolicy
/// can override it, so an egress rule in one would change nothing
/// (<https://network-policy-api.sigs.k8s.io/reference/spec/>,
/// `AdminNetworkPolicyRuleAction`). `None` as well when the plugin does
/// not enforce AdminNetworkPolicies. KR803 leaves such pods to this rule.
pub(crate) fn admin_dns_denial(ctx: &Context<'_>, answer: &DnsReach) -> Option<AdminDenial> {
    if !ctx.plugin().enforced_tiers().admin {
        return None;
    }
    answer.denials.iter().find_map(|denial| {
        let egress = &denial.explanation.egress;
        // The engine's one answer for "an admin `Deny` decides", as KR307 asks it.
        admin_deny_fix(egress, denial.protocol, denial.port)?;
        let step = egress.deciding_step(denial.protocol, denial.port)?;
        Some(AdminDenial { policy: step.policy.as_ref()?.name.clone(), rule: step.rule_name.clone() })
    })
}

/// An AdminNetworkPolicy whose `Deny` rule denies DNS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AdminDenial {
    /// The AdminNetworkPolicy's name.
    policy: String,
    /// The name of its rule, when it has one.
    rule: Option<String>,
}

/// What denies a group of pods DNS: the NetworkPolicies isolating them,
/// or an AdminNetworkPolicy's `Deny`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum DnsBlock {
    Isolated(Vec<(String, String)>),
    Admin(AdminDenial),
}

/// What denies a group of pods DNS, and whether UDP and TCP DNS are allowed.
type DnsKey = (DnsBlock, bool, bool);

fn emit_dns_findings(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    pods: &DnsPods<'_>,
    groups: BTreeMap<DnsKey, BTreeSet<String>>,
) {
    let cluster = ctx.cluster;
    let assumed = pods.found == DnsPodsFound::Assumed;
    let peer = dns_pods_peer(cluster, pods);
    let dns = dns_text(cluster, pods);
    let first_port = |targets: &Option<Vec<DnsTarget>>| {
        targets.iter().flatten().find_map(|t| t.port).map_or(53, i32::from)
    };
    let ports = (first_port(&pods.udp), first_port(&pods.tcp));
    for ((block, udp_ok, tcp_ok), workloads) in groups {
        let workloads: Vec<String> = workloads.into_iter().collect();
        let isolating = match block {
            DnsBlock::Isolated(isolating) => isolating,
            DnsBlock::Admin(denial) => {
                emit_admin_denial(ctx, out, &denial, &workloads, (udp_ok, tcp_ok), (ports, &dns));
                continue;
            }
        };
        let Some((namespace, name)) = isolating.first() else { continue };
        let Some(policy) = find_policy(cluster, namespace, name) else { continue };
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
                "add an egress rule{others} to {peer} on {}{}",
                dns_ports_text(ports),
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

/// "cluster DNS", with the DNS workloads when the input has them.
fn dns_text(cluster: &Cluster, pods: &DnsPods<'_>) -> String {
    if pods.found == DnsPodsFound::Assumed {
        return "cluster DNS".to_owned();
    }
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
}

/// The finding on an AdminNetworkPolicy whose `Deny` takes DNS from
/// `workloads`: (UDP, TCP) allowed, the DNS pods' (UDP, TCP) ports and
/// how cluster DNS is named.
fn emit_admin_denial(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    denial: &AdminDenial,
    workloads: &[String],
    (udp_ok, tcp_ok): (bool, bool),
    (ports, dns): ((i32, i32), &str),
) {
    let Some(policy) = ctx
        .cluster
        .admin_network_policies()
        .iter()
        .find(|p| p.value.metadata.name.as_deref() == Some(denial.policy.as_str()))
    else {
        return;
    };
    let (severity, denied) = match (udp_ok, tcp_ok) {
        (false, false) => (Severity::Error, format!("UDP {} and TCP {}", ports.0, ports.1)),
        (false, true) => (Severity::Error, format!("UDP {} (TCP is allowed)", ports.0)),
        _ => (Severity::Warning, format!("TCP {} (UDP is allowed)", ports.1)),
    };
    let message = format!(
        "egress of {} to {dns} is denied by AdminNetworkPolicy `{}`: {denied}, and no NetworkPolicy can allow \
         it back, so name lookups fail",
        list(workloads, 3),
        denial.policy
    );
    out.emit_with(
        severity,
        &Subject::object("AdminNetworkPolicy", &policy.value.metadata, policy),
        "spec.egress",
        message,
        format!(
            "in AdminNetworkPolicy `{}`, add an `Allow` rule to {dns} on {} before {}, or narrow that rule: \
             no NetworkPolicy can override its `Deny`",
            denial.policy,
            dns_ports_text(ports),
            match &denial.rule {
                Some(rule) => format!("its rule `{rule}`"),
                None => "the rule that denies it".to_owned(),
            }
        ),
    );
}

/// Whether the client's egress is what denies DNS: a query the engine
/// refused whose egress side does not allow it.
fn egress_denies(answer: &DnsReach) -> bool {
    answer.denials.iter().any(|d| !d.explanation.egress.allowed.contains(d.protocol, d.port))
}

/// The ports an egress rule must allow: the DNS pods' container ports,
/// which policies see after the Service's DNAT (53 on CoreDNS; OpenShift's
/// DNS pods listen on 5353 behind the Service's port 53).
fn dns_ports_text((udp, tcp): (i32, i32)) -> String {
    if udp == tcp {
        format!("UDP and TCP port {udp}")
    } else {
        format!("UDP port {udp} and TCP port {tcp}")
    }
}

fn find_policy<'c>(cluster: &'c Cluster, namespace: &str, name: &str) -> Option<&'c Object<NetworkPolicy>> {
    cluster.network_policies().iter().find(|p| {
        p.value.metadata.namespace.as_deref() == Some(namespace)
            && p.value.metadata.name.as_deref() == Some(name)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{deployment, policy};
    use crate::check::testing::findings;

    const RULE: &str = "networkpolicy-egress-blocks-dns";

    /// `shop/api`, and CoreDNS in `kube-system` serving UDP and TCP 53.
    fn api_and_coredns() -> (serde_json::Value, serde_json::Value) {
        let api = deployment("shop", "api", json!({"app": "api"}), json!([]));
        let coredns = deployment(
            "kube-system",
            "coredns",
            json!({"k8s-app": "kube-dns"}),
            json!([{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                   {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]),
        );
        (api, coredns)
    }

    // An egress policy isolates the pods it selects: only what its rules
    // allow may leave, DNS to the cluster DNS pods included
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
    #[test]
    fn egress_isolation_without_a_dns_rule_is_reported() {
        let (api, coredns) = api_and_coredns();
        let deny = policy("shop", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
        let found = findings(RULE, vec![api.clone(), coredns.clone(), deny.clone()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("error "), "{found:?}");
        assert!(
            found[0].contains("egress of `Deployment/api` is isolated, and no rule allows DNS"),
            "{found:?}"
        );
        let dns = policy(
            "shop",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                               "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}),
        );
        assert!(findings(RULE, vec![api.clone(), coredns.clone(), deny.clone(), dns]).is_empty());
        // UDP alone is a warning: answers too large for UDP need TCP.
        let udp_only = policy(
            "shop",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}),
        );
        let found = findings(RULE, vec![api, coredns, deny, udp_only]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("warning "), "{found:?}");
    }

    /// An AdminNetworkPolicy on `shop`'s pods with these egress `rules`.
    fn admin_policy(rules: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
               "metadata": {"name": "shop-egress"},
               "spec": {"priority": 10,
                        "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}},
                        "egress": rules}})
    }

    // An AdminNetworkPolicy `Deny` "cannot be overridden by a
    // NetworkPolicy", and its rules apply in order, the first match
    // deciding (https://network-policy-api.sigs.k8s.io/reference/spec/,
    // `AdminNetworkPolicyRuleAction`; `AdminNetworkPolicySpec.egress`). So
    // the finding is on that policy, whether or not a NetworkPolicy also
    // isolates the pods, and only a change there gives DNS back.
    #[test]
    fn an_admin_policy_denying_dns_is_named_and_fixed_there() {
        let (api, coredns) = api_and_coredns();
        let to_system =
            json!([{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]);
        let deny = json!({"name": "no-system", "action": "Deny", "to": to_system});
        let objects = vec![api, coredns, admin_policy(json!([deny.clone()]))];
        let found = findings(RULE, objects.clone());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "error AdminNetworkPolicy shop-egress: egress of `Deployment/api` to cluster DNS \
                 (`kube-system/coredns`) is denied by AdminNetworkPolicy `shop-egress`: UDP 53 and TCP 53"
            ),
            "{found:?}"
        );
        assert!(
            found[0].contains(
                "| in AdminNetworkPolicy `shop-egress`, add an `Allow` rule to cluster DNS (`kube-system/coredns`) \
                 on UDP and TCP port 53 before its rule `no-system`, or narrow that rule"
            ),
            "{found:?}"
        );
        // A NetworkPolicy allowing DNS (KR306's usual fix) changes nothing,
        // and the pods it isolates are still reported at the admin policy.
        let allow_dns = policy(
            "shop",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}),
        );
        let with_policy = findings(RULE, [objects.clone(), vec![allow_dns]].concat());
        assert_eq!(with_policy, found);
        // An `Allow` for DNS before the `Deny` does.
        let allow = json!({"name": "dns", "action": "Allow", "to": to_system,
                           "ports": [{"portNumber": {"protocol": "UDP", "port": 53}},
                                     {"portNumber": {"protocol": "TCP", "port": 53}}]});
        let fixed = vec![objects[0].clone(), objects[1].clone(), admin_policy(json!([allow, deny]))];
        assert!(findings(RULE, fixed).is_empty());
    }
}
