//! KR802: a Cilium or Calico policy that applies to no pod. The policy
//! engine decides which pods each policy applies to (its selector, the
//! labels the plugin adds, the namespace scope, `hostNetwork` pods left
//! out); this rule only asks it, pod class by pod class.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::calico::{CalicoObject, Selector};
use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::cilium::{CiliumKind, CiliumObject, CiliumRule};
use crate::cni::NativePolicies;
use crate::model::{Cluster, PodId};
use crate::origin::Origin;
use crate::policy::{Direction, PolicyKind};

/// A native policy object, as the engine names it.
pub(crate) struct NativeObject<'c> {
    /// Its kind in the engine.
    pub(crate) kind: PolicyKind,
    /// Its kind as manifests write it.
    pub(crate) manifest_kind: &'static str,
    pub(crate) metadata: &'c ObjectMeta,
    pub(crate) origin: &'c Origin,
    /// The field that selects its pods.
    pub(crate) selector_path: &'static str,
    /// The object, for a Cilium policy.
    pub(crate) cilium: Option<&'c CiliumObject>,
}

impl<'c> NativeObject<'c> {
    /// The finding's subject.
    pub(crate) fn subject(&self) -> Subject<'c> {
        Subject {
            kind: self.manifest_kind,
            namespace: self.metadata.namespace.as_deref(),
            name: self.metadata.name.as_deref().unwrap_or_default(),
            annotations: self.metadata.annotations.as_ref(),
            origin: Some(self.origin),
        }
    }

    /// Its namespace in the engine's terms (`None` for cluster-scoped kinds).
    pub(crate) fn namespace(&self) -> Option<&'c str> {
        match self.kind {
            PolicyKind::CiliumNetworkPolicy | PolicyKind::CalicoNetworkPolicy => {
                self.metadata.namespace.as_deref()
            }
            _ => None,
        }
    }

    /// The plugin whose policy it is.
    pub(crate) fn policies(&self) -> NativePolicies {
        if self.kind.is_cilium() {
            NativePolicies::Cilium
        } else {
            NativePolicies::Calico
        }
    }

    fn key(&self) -> (PolicyKind, Option<String>, String) {
        (self.kind, self.namespace().map(str::to_owned), self.metadata.name.clone().unwrap_or_default())
    }
}

/// The Cilium and Calico policies of `cluster` that apply to pods at all:
/// Cilium rules with rules or a default deny in some direction and an
/// `endpointSelector`; Calico policies but those only for host endpoints
/// (`global()`, `doNotTrack`, `preDNAT`, `applyOnForward`).
pub(crate) fn native_policies(cluster: &Cluster) -> Vec<NativeObject<'_>> {
    let mut objects = Vec::new();
    for object in cluster.cilium_policies() {
        let policy = &object.value.policy;
        if !policy.rules().iter().any(|(_, rule)| applies_to_pods(rule)) {
            continue;
        }
        let kind = match object.value.kind {
            CiliumKind::NetworkPolicy => PolicyKind::CiliumNetworkPolicy,
            CiliumKind::ClusterwideNetworkPolicy => PolicyKind::CiliumClusterwideNetworkPolicy,
        };
        let selector_path = if policy.spec.is_some() { "spec.endpointSelector" } else { "specs" };
        objects.push(NativeObject {
            kind,
            manifest_kind: object.value.kind.as_str(),
            metadata: &policy.metadata,
            origin: &object.origin,
            selector_path,
            cilium: Some(&object.value),
        });
    }
    for object in cluster.calico_objects() {
        let (kind, policy) = match &object.value {
            CalicoObject::NetworkPolicy(p) => (PolicyKind::CalicoNetworkPolicy, p),
            CalicoObject::GlobalNetworkPolicy(p) => (PolicyKind::CalicoGlobalNetworkPolicy, p),
            _ => continue,
        };
        let spec = &policy.spec;
        let host_only = [spec.do_not_track, spec.pre_dnat, spec.apply_on_forward].contains(&Some(true))
            || spec.selector.as_deref().and_then(|s| Selector::parse(s).ok()).is_some_and(|s| s.is_global());
        if host_only {
            continue;
        }
        objects.push(NativeObject {
            kind,
            manifest_kind: object.value.kind(),
            metadata: &policy.metadata,
            origin: &object.origin,
            selector_path: "spec.selector",
            cilium: None,
        });
    }
    objects
}

/// Whether a Cilium rule is for pods and takes part in some direction.
fn applies_to_pods(rule: &CiliumRule) -> bool {
    let has = |rules: Option<usize>| rules.is_some_and(|n| n > 0);
    let defaults = rule.enable_default_deny.unwrap_or_default();
    rule.endpoint_selector.is_some()
        && (has(rule.ingress.as_ref().map(Vec::len))
            || has(rule.ingress_deny.as_ref().map(Vec::len))
            || has(rule.egress.as_ref().map(Vec::len))
            || has(rule.egress_deny.as_ref().map(Vec::len))
            || defaults.ingress == Some(true)
            || defaults.egress == Some(true))
}

fn native_policy_selects_nothing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let natives = native_policies(cluster);
    if natives.is_empty() {
        return;
    }
    // Every native policy the engine applies to some pod, asked once per
    // class of pods the policies cannot tell apart.
    let mut applied = BTreeSet::new();
    let mut classes_seen = BTreeSet::new();
    for index in 0..cluster.pods().len() {
        let id = PodId(index as u32);
        if !classes_seen.insert(ctx.engine().class_of(id)) {
            continue;
        }
        for direction in [Direction::Ingress, Direction::Egress] {
            for policy in ctx.engine().selecting_policies(id, direction) {
                applied.insert((policy.kind, policy.namespace, policy.name));
            }
        }
    }
    for native in natives {
        // Only kinds the engine compiled (the plugin enforces them) are
        // asked about; KR801 reports the others.
        if !ctx.plugin().enforces_native(native.policies()) {
            continue;
        }
        let in_scope = match native.namespace() {
            Some(namespace) => !cluster.pods_in(namespace).is_empty(),
            None => !cluster.pods().is_empty(),
        };
        if !in_scope || applied.contains(&native.key()) {
            continue;
        }
        emit(out, &native);
    }
}

fn emit(out: &mut Emitter<'_>, native: &NativeObject<'_>) {
    let kind = native.manifest_kind;
    let scope = match native.namespace() {
        Some(namespace) => format!("no pod of namespace `{namespace}`"),
        None => "no pod of the cluster".to_owned(),
    };
    let message = format!(
        "this {kind} applies to {scope} (`hostNetwork` pods are host endpoints, which it does not select): \
         the policy has no effect"
    );
    let fix = "make the selector match the labels of the pods it is for (`kubectl get pods --show-labels`), \
               or delete the policy"
        .to_owned();
    out.emit(&native.subject(), native.selector_path, message, fix);
}

declare_rule! {
    /// ## What it does
    /// Finds Cilium and Calico policies (`CiliumNetworkPolicy`,
    /// `CiliumClusterwideNetworkPolicy`, Calico `NetworkPolicy` and
    /// `GlobalNetworkPolicy`) that apply to no pod: their selector
    /// (`endpointSelector`, `selector`, with `namespaceSelector` and
    /// `serviceAccountSelector`) matches no pod of their namespace, or of the
    /// cluster for the cluster-wide kinds.
    ///
    /// ## Why does this break traffic?
    /// A policy that applies to no pod allows and denies nothing: the
    /// isolation or the deny it was written for does not exist, usually
    /// because of a label typo, a selector written for Kubernetes labels
    /// without the plugin's prefixes, or a namespace that changed. The
    /// pods it was meant for are reachable as if it did not exist.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: shop/api:1.0
    /// ---
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata:
    ///   name: api-ingress
    ///   namespace: shop
    /// spec:
    ///   endpointSelector:
    ///     matchLabels:
    ///       app: apii
    ///   ingress:
    ///   - fromEndpoints:
    ///     - matchLabels:
    ///         app: web
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: shop
    ///   labels:
    ///     app: api
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: shop/api:1.0
    /// ---
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata:
    ///   name: api-ingress
    ///   namespace: shop
    /// spec:
    ///   endpointSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///   - fromEndpoints:
    ///     - matchLabels:
    ///         app: web
    /// ```
    ///
    /// ## Known problems
    /// A namespace without pods in the input is not judged (the input may be
    /// part of a cluster). Policies meant for host endpoints (Cilium's
    /// `nodeSelector`, Calico's `global()`, `doNotTrack`, `preDNAT`,
    /// `applyOnForward`) are outside the pod model and never reported. A
    /// `CiliumNetworkPolicy` with several `specs` is reported only when none
    /// of them applies to a pod.
    ///
    /// ## References
    /// - <https://docs.cilium.io/en/stable/security/policy/language/>
    /// - <https://docs.cilium.io/en/stable/network/kubernetes/policy/>
    /// - <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>
    /// - <https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy>
    pub struct NativePolicySelectsNothing {
        code: "KR802",
        name: "native-policy-selects-nothing",
        severity: Warning,
        summary: "a Cilium or Calico policy that applies to no pod",
        check: native_policy_selects_nothing,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::check::testing::findings;

    fn pod(namespace: &str, name: &str, app: &str) -> Value {
        json!({"kind": "Pod", "metadata": {"namespace": namespace, "name": name, "labels": {"app": app}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}})
    }

    fn cilium(namespace: &str, app: &str) -> Value {
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"namespace": namespace, "name": "p"},
               "spec": {"endpointSelector": {"matchLabels": {"app": app}},
                        "ingress": [{"fromEndpoints": [{}]}]}})
    }

    fn calico(kind: &str, selector: &str) -> Value {
        json!({"apiVersion": "projectcalico.org/v3", "kind": kind,
               "metadata": {"namespace": "shop", "name": "c"},
               "spec": {"selector": selector, "ingress": [{"action": "Allow"}]}})
    }

    fn check(objects: Vec<Value>) -> Vec<String> {
        findings("native-policy-selects-nothing", objects)
    }

    // "endpointSelector: Selects the endpoints or nodes which the policy
    // rules apply to" (Cilium policy language): a typo selects none.
    #[test]
    fn cilium_selector_that_matches_no_pod() {
        let found = check(vec![pod("shop", "api", "api"), cilium("shop", "apii")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(
                "CiliumNetworkPolicy shop/p: this CiliumNetworkPolicy applies to no pod of namespace `shop`"
            ),
            "{found:?}"
        );
        assert!(check(vec![pod("shop", "api", "api"), cilium("shop", "api")]).is_empty());
        // A namespace without pods in the input is not judged.
        assert!(check(vec![pod("other", "api", "api"), cilium("shop", "apii")]).is_empty());
    }

    // Calico's selector: `app == 'api'` over the pod's labels; a
    // GlobalNetworkPolicy with `global()` is for host endpoints only.
    #[test]
    fn calico_selectors() {
        let found = check(vec![pod("shop", "api", "api"), calico("NetworkPolicy", "app == 'apii'")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(check(vec![pod("shop", "api", "api"), calico("NetworkPolicy", "app == 'api'")]).is_empty());
        assert!(check(vec![pod("shop", "api", "api"), calico("GlobalNetworkPolicy", "global()")]).is_empty());
        let found = check(vec![pod("shop", "api", "api"), calico("GlobalNetworkPolicy", "app == 'web'")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("no pod of the cluster"), "{found:?}");
    }

    // A policy of another plugin's kind is KR801's, not this rule's.
    #[test]
    fn not_enforced_kinds_are_left_to_kr801() {
        let cilium_agent = json!({"kind": "DaemonSet", "metadata": {"name": "cilium", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}},
                     "template": {"metadata": {"labels": {"k8s-app": "cilium"}},
                                  "spec": {"containers": [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.16.0"}]}}}});
        let found =
            check(vec![cilium_agent, pod("shop", "api", "api"), calico("NetworkPolicy", "app == 'x'")]);
        assert!(found.is_empty(), "{found:?}");
    }
}
