//! KR803: a Cilium or Calico policy isolates pods' egress and leaves cluster
//! DNS out, so every name lookup of those pods fails. The classic form is a
//! Cilium `toEntities: [world]`: `world` is everything outside the cluster
//! (<https://docs.cilium.io/en/stable/security/policy/language/#entities-based>),
//! and the cluster DNS pods are inside it.
//!
//! "Can this pod reach cluster DNS?" is answered by the dns layer
//! ([`crate::dns::with_dns_reach`]) with the policy engine, as for KR306
//! (which names Kubernetes NetworkPolicies); this rule names the plugin's
//! own policies that isolate the pods.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::native_selects::{native_policies, NativeObject};
use crate::check::netpol::admin_dns_denial;
use crate::check::service::workload_name;
use crate::check::{declare_rule, list, Context, Emitter};
use crate::cilium::{CiliumObject, Entity};
use crate::dns::{egress_isolated_dns_clients, with_dns_reach, DnsReach, DnsServer};
use crate::model::PodId;
use crate::policy::{Direction, PolicyKind};

/// A native policy: kind, namespace, name.
type PolicyKey = (PolicyKind, Option<String>, String);

/// What was found for one policy: the workloads it cuts off, whether UDP
/// and TCP queries are denied, and where the DNS pods are.
#[derive(Default)]
struct Cut {
    workloads: BTreeSet<String>,
    udp: bool,
    tcp: bool,
    dns_pods: Option<(String, BTreeMap<String, String>)>,
}

fn native_policy_egress_blocks_dns(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let natives = native_policies(cluster);
    if natives.is_empty() {
        return;
    }
    let clients = egress_isolated_dns_clients(cluster, ctx.engine());
    if clients.is_empty() {
        return;
    }
    let mut cuts: BTreeMap<PolicyKey, Cut> = BTreeMap::new();
    with_dns_reach(ctx.engine(), |server, reach| {
        if !matches!(server, DnsServer::Pods(_)) {
            return;
        }
        let mut verdicts: BTreeMap<usize, Option<(Vec<PolicyKey>, DnsReach)>> = BTreeMap::new();
        for &id in &clients {
            let verdict = verdicts.entry(ctx.engine().class_of(id)).or_insert_with(|| {
                let answer = reach(id)?;
                let policies = egress_natives(ctx, id);
                // An AdminNetworkPolicy's `Deny` comes first: KR306 names it.
                let admin = admin_dns_denial(ctx, &answer).is_some();
                (egress_denies(&answer) && !policies.is_empty() && !admin).then_some((policies, answer))
            });
            let Some((policies, answer)) = verdict else { continue };
            for key in policies.iter() {
                let cut = cuts.entry(key.clone()).or_default();
                cut.workloads.insert(workload_name(cluster, cluster.pod(id)));
                cut.udp |= !answer.udp;
                cut.tcp |= !answer.tcp;
                if let Some(denial) = answer.denials.first() {
                    cut.dns_pods.get_or_insert_with(|| (denial.namespace.clone(), denial.labels.clone()));
                }
            }
        }
    });
    for native in natives {
        let key = (
            native.kind,
            native.namespace().map(str::to_owned),
            native.metadata.name.clone().unwrap_or_default(),
        );
        if let Some(cut) = cuts.get(&key) {
            emit(out, &native, cut);
        }
    }
}

/// The Cilium and Calico policies that apply to `pod`'s egress.
fn egress_natives(ctx: &Context<'_>, pod: PodId) -> Vec<PolicyKey> {
    let mut keys: Vec<PolicyKey> = ctx
        .engine()
        .selecting_policies(pod, Direction::Egress)
        .into_iter()
        .filter(|p| p.kind.is_cilium() || p.kind.is_calico())
        .map(|p| (p.kind, p.namespace, p.name))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Whether a denied query was denied on the client's egress (not only by
/// the DNS pods' ingress, which is another policy's doing).
fn egress_denies(answer: &DnsReach) -> bool {
    (!answer.udp || !answer.tcp)
        && answer.denials.iter().any(|d| !d.explanation.egress.allowed.contains(d.protocol, d.port))
}

fn emit(out: &mut Emitter<'_>, native: &NativeObject<'_>, cut: &Cut) {
    let kind = native.manifest_kind;
    let protocols = match (cut.udp, cut.tcp) {
        (true, true) => "UDP and TCP",
        (true, false) => "UDP",
        _ => "TCP",
    };
    let workloads: Vec<String> = cut.workloads.iter().cloned().collect();
    let world = if world_without_cluster(native) {
        ": `toEntities: [world]` is only what is outside the cluster, and the cluster DNS pods are inside it"
    } else {
        ""
    };
    let message = format!(
        "this {kind} isolates the egress of {} and does not allow DNS ({protocols} port 53) to the cluster DNS pods{world}: \
         every name lookup of those pods fails",
        list(&workloads, 3)
    );
    let (namespace, app) = match &cut.dns_pods {
        Some((namespace, labels)) => {
            (namespace.clone(), labels.get("k8s-app").cloned().unwrap_or_else(|| "kube-dns".to_owned()))
        }
        None => ("kube-system".to_owned(), "kube-dns".to_owned()),
    };
    let fix = if native.kind.is_cilium() {
        format!(
            "add an egress rule `toEndpoints: [{{matchLabels: {{k8s:io.kubernetes.pod.namespace: {namespace}, \
             k8s-app: {app}}}}}]` with `toPorts: [{{ports: [{{port: \"53\", protocol: ANY}}]}}]`"
        )
    } else {
        format!(
            "add egress rules `action: Allow` for `protocol: UDP` and `protocol: TCP` with `destination: \
             {{namespaceSelector: projectcalico.org/name == '{namespace}', selector: k8s-app == '{app}', \
             ports: [53]}}` before the rules that deny"
        )
    };
    let path = if native.kind.is_cilium() {
        native.selector_path.replace("endpointSelector", "egress")
    } else {
        "spec.egress".to_owned()
    };
    out.emit(&native.subject(), &path, message, fix);
}

/// Whether a Cilium policy allows `world` egress but not `cluster` or `all`.
fn world_without_cluster(native: &NativeObject<'_>) -> bool {
    let Some(object) = native.cilium else { return false };
    let entities: Vec<Entity> = egress_entities(object);
    entities.contains(&Entity::World) && !entities.iter().any(|e| matches!(e, Entity::Cluster | Entity::All))
}

fn egress_entities(object: &CiliumObject) -> Vec<Entity> {
    object
        .policy
        .rules()
        .into_iter()
        .flat_map(|(_, rule)| rule.egress.iter().flatten())
        .flat_map(|rule| rule.to_entities.iter().flatten())
        .filter_map(|name| Entity::parse(name))
        .collect()
}

declare_rule! {
    /// ## What it does
    /// Finds Cilium and Calico policies that isolate the egress of pods
    /// using cluster DNS without allowing DNS (UDP and TCP port 53) to the
    /// cluster DNS pods, as the policy engine evaluates the pods' queries
    /// after the DNS Service's DNAT.
    ///
    /// ## Why does this break traffic?
    /// Once a policy applies to a pod's egress, only what a rule allows
    /// leaves it. Cluster DNS runs in pods of the cluster, so a policy that
    /// allows `toEntities: [world]` (everything outside the cluster), a CIDR
    /// or a few services, but not the DNS pods, makes every name lookup time
    /// out: the pod can reach the addresses it is allowed, but never learns
    /// them. Cilium's own example for `toFQDNs` therefore always pairs it
    /// with a rule to `kube-dns`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: crawler
    ///   namespace: jobs
    ///   labels:
    ///     app: crawler
    /// spec:
    ///   containers:
    ///   - name: crawler
    ///     image: jobs/crawler:1.0
    /// ---
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata:
    ///   name: crawler-to-internet
    ///   namespace: jobs
    /// spec:
    ///   endpointSelector:
    ///     matchLabels:
    ///       app: crawler
    ///   egress:
    ///   - toEntities:
    ///     - world
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: crawler
    ///   namespace: jobs
    ///   labels:
    ///     app: crawler
    /// spec:
    ///   containers:
    ///   - name: crawler
    ///     image: jobs/crawler:1.0
    /// ---
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata:
    ///   name: crawler-to-internet
    ///   namespace: jobs
    /// spec:
    ///   endpointSelector:
    ///     matchLabels:
    ///       app: crawler
    ///   egress:
    ///   - toEntities:
    ///     - world
    ///   - toEndpoints:
    ///     - matchLabels:
    ///         k8s:io.kubernetes.pod.namespace: kube-system
    ///         k8s-app: kube-dns
    ///     toPorts:
    ///     - ports:
    ///       - port: "53"
    ///         protocol: ANY
    /// ```
    ///
    /// ## Known problems
    /// Without the DNS Service and pods in the input, the DNS pod kubeadm
    /// and managed clusters run is assumed (`kube-system`, `k8s-app:
    /// kube-dns`, port 53). A Kubernetes NetworkPolicy isolating the same
    /// pods is reported by `networkpolicy-egress-blocks-dns` (KR306).
    ///
    /// ## References
    /// - <https://docs.cilium.io/en/stable/security/policy/language/#entities-based>
    /// - <https://docs.cilium.io/en/stable/security/policy/language/#dns-based>
    /// - <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>
    pub struct NativePolicyEgressBlocksDns {
        code: "KR803",
        name: "native-policy-egress-blocks-dns",
        severity: Error,
        summary: "a Cilium or Calico policy isolates pods' egress and leaves cluster DNS out",
        check: native_policy_egress_blocks_dns,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::check::testing::findings;

    fn pod(namespace: &str, name: &str, labels: Value) -> Value {
        json!({"kind": "Pod", "metadata": {"namespace": namespace, "name": name, "labels": labels},
               "spec": {"containers": [{"name": "c", "image": "x"}]}})
    }

    fn dns_pod() -> Value {
        pod("kube-system", "coredns", json!({"k8s-app": "kube-dns"}))
    }

    fn cilium(egress: Value) -> Value {
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"namespace": "jobs", "name": "p"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "crawler"}}, "egress": egress}})
    }

    fn check(objects: Vec<Value>) -> Vec<String> {
        findings("native-policy-egress-blocks-dns", objects)
    }

    // `world`: "The world entity corresponds to all endpoints outside of the
    // cluster" (Cilium policy language, entities): not the DNS pods.
    #[test]
    fn world_leaves_cluster_dns_out() {
        let crawler = || pod("jobs", "crawler", json!({"app": "crawler"}));
        let found = check(vec![crawler(), dns_pod(), cilium(json!([{"toEntities": ["world"]}]))]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("`toEntities: [world]` is only what is outside the cluster"), "{found:?}");
        assert!(found[0].contains("UDP and TCP port 53"), "{found:?}");
        // `cluster` covers the DNS pods.
        assert!(check(vec![crawler(), dns_pod(), cilium(json!([{"toEntities": ["world", "cluster"]}]))])
            .is_empty());
        // A rule to kube-dns on port 53, any protocol.
        let dns_rule = json!({"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                              "k8s-app": "kube-dns"}}],
                              "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]});
        assert!(check(vec![crawler(), dns_pod(), cilium(json!([{"toEntities": ["world"]}, dns_rule]))])
            .is_empty());
        // Only UDP allowed: TCP is still cut.
        let udp_only = json!({"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}],
                              "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}]}]});
        let found = check(vec![crawler(), dns_pod(), cilium(json!([udp_only]))]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("(TCP port 53)"), "{found:?}");
    }

    // A Calico egress policy with only an Allow to the internet: the end of
    // the tier denies the rest, DNS included.
    #[test]
    fn calico_egress_without_dns() {
        let policy = json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                            "metadata": {"namespace": "jobs", "name": "c"},
                            "spec": {"selector": "app == 'crawler'", "types": ["Egress"],
                                     "egress": [{"action": "Allow", "destination": {"nets": ["203.0.113.0/24"]}}]}});
        let found = check(vec![pod("jobs", "crawler", json!({"app": "crawler"})), dns_pod(), policy]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("projectcalico.org/name == 'kube-system'"), "{found:?}");
    }
}
