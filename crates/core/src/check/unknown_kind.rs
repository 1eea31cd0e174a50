//! KR513: an object whose kind does not exist in its API group
//! ([`crate::api_kinds`]): a typo that makes the object vanish from the
//! model, where `kubectl apply` would refuse it.

use crate::check::{declare_rule, Context, Emitter, Subject};

fn unknown_kind(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for unknown in ctx.cluster.unknown_kinds() {
        let subject = Subject {
            kind: &unknown.kind,
            namespace: unknown.namespace.as_deref(),
            name: &unknown.name,
            annotations: None,
            origin: Some(&unknown.origin),
        };
        let version = if unknown.api_version.is_empty() { "v1" } else { unknown.api_version.as_str() };
        let message = format!(
            "`{}` is not a kind of `{version}`, so the object is left out of the model; the API server \
             answers `no matches for kind \"{}\" in version \"{version}\"`",
            unknown.kind, unknown.kind
        );
        let fix = match unknown.close {
            Some(close) => format!("did you mean `kind: {close}`?"),
            None => format!("use a kind of `{version}`, or the apiVersion of the custom resource you meant"),
        };
        out.emit(&subject, "kind", message, fix);
    }
}

declare_rule! {
    /// ## What it does
    /// Finds an object whose `kind` does not exist in its API group: `kind: service`,
    /// `Serviceee` or `Deploymnet` in a built-in group, or a near miss of a custom resource
    /// kubereach reads (`HTTPRoutes`, `CiliumNetworkPolicys`). Kinds of other groups, and
    /// kinds that exist but that the model does not use, are only counted as skipped.
    ///
    /// ## Why does this break traffic?
    /// The object does not exist: `kubectl apply` fails with `no matches for kind`, and a
    /// pipeline that ignores the error deploys without it. A default-deny NetworkPolicy
    /// written `kind: Networkpolicy` protects nothing, and an analysis that skipped it
    /// silently would say the cluster is fine.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///   - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///   - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Custom resource groups gain kinds from release to release, so in them only a kind a
    /// typo away from one kubereach reads is reported.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/#required-fields>
    pub struct UnknownKind {
        code: "KR513",
        name: "unknown-kind",
        severity: Error,
        summary: "objects whose kind does not exist in their API group",
        check: unknown_kind,
    }
}
