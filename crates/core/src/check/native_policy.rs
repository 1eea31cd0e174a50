//! KR801: a network plugin's own policy (CiliumNetworkPolicy, Calico
//! NetworkPolicy …) in a cluster whose plugin is another one. No plugin
//! reads another's CRDs, so the policy has no effect, and an analysis that
//! left it out without a word would look like the cluster was fine.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::cni::NativePolicies;
use crate::origin::Origin;

fn native_policy_not_enforced(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    // With no plugin detected or named, each kind is assumed enforced.
    let found: Vec<&str> = ctx.cni().found.iter().map(|found| found.cni.name()).collect();
    if found.is_empty() {
        return;
    }
    let cluster = ctx.cluster;
    let cilium = cluster
        .cilium_policies()
        .iter()
        .map(|o| (o.value.kind.as_str(), &o.value.policy.metadata, &o.origin));
    let calico = cluster.calico_objects().iter().filter_map(|o| match &o.value {
        crate::calico::CalicoObject::NetworkPolicy(p)
        | crate::calico::CalicoObject::GlobalNetworkPolicy(p) => {
            Some((o.value.kind(), &p.metadata, &o.origin))
        }
        _ => None,
    });
    let native = cilium
        .map(|(kind, meta, origin)| (NativePolicies::Cilium, kind, meta, origin))
        .chain(calico.map(|(kind, meta, origin)| (NativePolicies::Calico, kind, meta, origin)));
    for (policies, kind, metadata, origin) in native {
        if ctx.plugin().enforces_native(policies) {
            continue;
        }
        emit(out, policies, kind, metadata, origin, &found);
    }
}

fn emit(
    out: &mut Emitter<'_>,
    policies: NativePolicies,
    kind: &str,
    metadata: &ObjectMeta,
    origin: &Origin,
    found: &[&str],
) {
    let owner = policies.plugin().name();
    let subject = Subject {
        kind,
        namespace: metadata.namespace.as_deref(),
        name: metadata.name.as_deref().unwrap_or_default(),
        annotations: metadata.annotations.as_ref(),
        origin: Some(origin),
    };
    let message = format!(
        "this {kind} is {owner}'s own policy, but the cluster runs `{}`, which does not read it: \
         the connections it allows or denies are decided by the cluster's other policies alone",
        found.join("`, `")
    );
    let fix = format!(
        "write it as a Kubernetes NetworkPolicy (or the running plugin's own kind), or pass `--cni {owner}` if the \
         detection is wrong"
    );
    out.emit(&subject, "kind", message, fix);
}

declare_rule! {
    /// ## What it does
    /// Finds a network plugin's own policy (`CiliumNetworkPolicy`,
    /// `CiliumClusterwideNetworkPolicy`, Calico `NetworkPolicy` or
    /// `GlobalNetworkPolicy`) in a cluster whose detected plugin is another one.
    ///
    /// ## Why does this break traffic?
    /// Only Cilium's agent reads Cilium's policies, and only Calico's Felix
    /// (also in Canal) reads Calico's. On any other plugin the object is
    /// stored by the API server and enforced by nothing: a deny it contains
    /// denies nothing, and the isolation it was meant to add does not exist.
    /// Copying policies between clusters that run different plugins does this.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: operator.tigera.io/v1
    /// kind: Installation
    /// metadata:
    ///   name: default
    /// spec: {}
    /// ---
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata:
    ///   name: api-from-web
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
    /// Use instead:
    /// ```yaml
    /// apiVersion: operator.tigera.io/v1
    /// kind: Installation
    /// metadata:
    ///   name: default
    /// spec: {}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-from-web
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///   - from:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: web
    /// ```
    ///
    /// ## Known problems
    /// The plugin comes from detection (or `--cni`); when nothing in the input
    /// names a plugin, every kind is assumed enforced and this rule stays silent.
    ///
    /// ## References
    /// - <https://docs.cilium.io/en/stable/security/policy/>
    /// - <https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-network-policy>
    /// - <https://docs.tigera.io/calico/latest/reference/installation/api>
    pub struct NativePolicyNotEnforced {
        code: "KR801",
        name: "native-policy-not-enforced",
        severity: Error,
        summary: "a network plugin's own policies in a cluster that runs another plugin",
        check: native_policy_not_enforced,
    }
}
