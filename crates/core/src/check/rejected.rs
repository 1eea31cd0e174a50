//! Rules for objects the API server would reject ([`crate::model::validate`]):
//! such an object never exists, so the model leaves it out, and each kind
//! of violation is reported here under its own code, with the API server's
//! message (`field: Invalid value: …`).

use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::model::validate::Invalid;

/// Reports every violation of kind `invalid`, at its field.
fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, invalid: Invalid, fix: &str) {
    for rejected in ctx.cluster.rejected() {
        let object = &rejected.object;
        let subject = Subject::object(object.value.kind(), object.value.metadata(), object);
        for violation in rejected.violations.iter().filter(|v| v.invalid == invalid) {
            out.emit(
                &subject,
                &violation.field,
                format!(
                    "the API server rejects {}, so it is left out of the model: {}",
                    rejected.describe(),
                    violation.message
                ),
                fix.to_owned(),
            );
        }
    }
}

/// KR105's check: `nodePort`s outside the range are rejected like the rest.
pub(super) fn nodeport_out_of_range(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(
        ctx,
        out,
        Invalid::NodePort,
        "remove `nodePort` to let the API server pick one, or choose a port in 30000-32767",
    );
}

declare_rule! {
    /// ## What it does
    /// Finds an object whose `metadata.name` or `metadata.namespace` is not what the API server
    /// accepts: a lowercase RFC 1123 subdomain for most kinds, an RFC 1123 label for Namespaces,
    /// an RFC 1035 label (starting with a letter) for Services, which become DNS labels.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object (`metadata.name: Invalid value`), so it never exists:
    /// its pods never run, its Service never gets an address or a DNS name.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: Shop_Team
    ///   labels:
    ///     team: payments
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop-team
    ///   labels:
    ///     team: payments
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/names/>
    pub struct InvalidName {
        code: "KR501",
        name: "invalid-name",
        severity: Error,
        summary: "objects whose name or namespace is not a valid DNS name",
        check: invalid_name,
    }
}

fn invalid_name(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(
        ctx,
        out,
        Invalid::Name,
        "give the object a name of lowercase letters, digits and `-` (and `.` where subdomains are allowed)",
    );
}

declare_rule! {
    /// ## What it does
    /// Finds a label key that is not `[prefix/]name` (a name of at most 63 alphanumeric
    /// characters, `-`, `_` or `.`, starting and ending alphanumeric; a prefix that is a DNS
    /// subdomain), or a value that is not empty or such a name, in `metadata.labels`, a pod
    /// template or a `matchLabels`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object, so it never exists; a selector with such a label would
    /// select nothing even if it were accepted.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     team: payments & billing
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     team: payments-billing
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set>
    pub struct InvalidLabel {
        code: "KR502",
        name: "invalid-label",
        severity: Error,
        summary: "label keys and values the API server rejects, on objects, templates and selectors",
        check: invalid_label,
    }
}

fn invalid_label(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Label, "use only alphanumeric characters, `-`, `_` and `.` in label keys and values (at most 63 characters), starting and ending with an alphanumeric one");
}

declare_rule! {
    /// ## What it does
    /// Finds a `matchExpressions` requirement whose `operator` is not `In`, `NotIn`, `Exists` or
    /// `DoesNotExist` (case matters), an `In` or `NotIn` with no `values`, or an `Exists` or
    /// `DoesNotExist` with `values`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object (`ValidateLabelSelector`), so the workload or policy
    /// never exists: pods are not created, a policy's isolation or allowances never apply.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
    ///   selector:
    ///     matchExpressions:
    ///       - key: app
    ///         operator: In
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
    ///   selector:
    ///     matchExpressions:
    ///       - key: app
    ///         operator: In
    ///         values: [web]
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements>
    pub struct InvalidLabelSelector {
        code: "KR503",
        name: "invalid-label-selector",
        severity: Error,
        summary: "`matchExpressions` with an unknown operator, or values the operator needs or forbids",
        check: invalid_label_selector,
    }
}

fn invalid_label_selector(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Selector, "give `In` and `NotIn` at least one value, drop `values` from `Exists` and `DoesNotExist`, and spell the operator as the API does");
}

declare_rule! {
    /// ## What it does
    /// Finds a port number outside 1-65535 (a Service's `port` or `targetPort`, a container port,
    /// a NetworkPolicy port), or a NetworkPolicy `endPort` below its `port`, with a named `port`,
    /// or with no `port`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object, so it never exists; no connection can use a port
    /// outside 1-65535.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 70000
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports>
    pub struct InvalidPort {
        code: "KR504",
        name: "invalid-port",
        severity: Error,
        summary: "port numbers outside 1-65535, and `endPort`s that cannot be",
        check: invalid_port,
    }
}

fn invalid_port(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Port, "use a port number from 1 to 65535; give `endPort` only with a numeric `port`, and no smaller than it");
}

declare_rule! {
    /// ## What it does
    /// Finds a port name (a container port's `name`, a Service's or NetworkPolicy's port given as
    /// a string) that is not an IANA service name: 1-15 lowercase letters, digits and single
    /// inner hyphens, with at least one letter. A quoted number such as `targetPort: "8080"` is a
    /// string, so a name, and not a valid one.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object, so it never exists; a Service whose `targetPort` is a
    /// quoted number would otherwise look up a port of that name on its pods and find none.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
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
    ///       targetPort: "8080"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
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
    ///       targetPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec>
    /// - <https://www.rfc-editor.org/rfc/rfc6335#section-5.1>
    pub struct InvalidPortName {
        code: "KR505",
        name: "invalid-port-name",
        severity: Error,
        summary: "port names that are not IANA service names, quoted numbers included",
        check: invalid_port_name,
    }
}

fn invalid_port_name(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::PortName, "write a port number without quotes (`targetPort: 8080`), or use a valid port name (`http`) defined on the pods");
}

declare_rule! {
    /// ## What it does
    /// Finds a `protocol` of a Service port, container port or NetworkPolicy port that is not
    /// `TCP`, `UDP` or `SCTP`, upper case.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the object (`Unsupported value: "tcp"`), so it never exists.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    ///               protocol: tcp
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    ///               protocol: TCP
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/networking/service-protocols/>
    pub struct InvalidProtocol {
        code: "KR506",
        name: "invalid-protocol",
        severity: Error,
        summary: "protocols other than `TCP`, `UDP` and `SCTP`",
        check: invalid_protocol,
    }
}

fn invalid_protocol(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Protocol, "write the protocol in upper case: `TCP`, `UDP` or `SCTP`");
}

declare_rule! {
    /// ## What it does
    /// Finds an `ipBlock` whose `cidr` is not an address, a slash and a prefix length
    /// (`10.0.0.0/8`, `2001:db8::/64`), or an `except` entry that is not a CIDR strictly inside
    /// `cidr`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the NetworkPolicy, so it never exists: the pods it would isolate
    /// stay open, and what it would allow stays denied by the other policies.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   ingress:
    ///     - from:
    ///         - ipBlock:
    ///             cidr: 10.0.0.0/33
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   ingress:
    ///     - from:
    ///         - ipBlock:
    ///             cidr: 10.0.0.0/8
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    pub struct InvalidCidr {
        code: "KR507",
        name: "invalid-cidr",
        severity: Error,
        summary: "`ipBlock`s whose `cidr` or `except` is not a valid CIDR",
        check: invalid_cidr,
    }
}

fn invalid_cidr(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Cidr, "write each CIDR as an address, `/` and a prefix length (0-32 for IPv4, 0-128 for IPv6), and keep `except` inside `cidr`");
}

declare_rule! {
    /// ## What it does
    /// Finds a NetworkPolicy whose `policyTypes` has a value other than `Ingress` and `Egress`
    /// (case matters).
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the NetworkPolicy, so it never exists: the isolation it would give
    /// does not happen.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   policyTypes:
    ///     - Sideways
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: web
    ///   policyTypes:
    ///     - Ingress
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource>
    pub struct InvalidPolicyTypes {
        code: "KR508",
        name: "invalid-policy-types",
        severity: Error,
        summary: "`policyTypes` values other than `Ingress` and `Egress`",
        check: invalid_policy_types,
    }
}

fn invalid_policy_types(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::PolicyType, "list only `Ingress` and `Egress` in `policyTypes`");
}

declare_rule! {
    /// ## What it does
    /// Finds a workload controller whose `spec.replicas` is negative.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the workload, so it never exists and none of its pods run.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: -5
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 2
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec>
    pub struct InvalidReplicas {
        code: "KR509",
        name: "invalid-replicas",
        severity: Error,
        summary: "negative `replicas`",
        check: invalid_replicas,
    }
}

fn invalid_replicas(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::Replicas, "set `replicas` to 0 or more");
}

declare_rule! {
    /// ## What it does
    /// Finds a Deployment, StatefulSet, DaemonSet or ReplicaSet whose `spec.selector` is empty,
    /// or does not select the labels of its own `spec.template`.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the workload (`selector` does not match template `labels`), so it
    /// never exists and none of its pods run.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
    ///   selector:
    ///     matchLabels:
    ///       app: frontend
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: web
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   replicas: 1
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
    ///           image: nginx
    ///           ports:
    ///             - containerPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector>
    pub struct SelectorTemplateMismatch {
        code: "KR510",
        name: "selector-does-not-match-template",
        severity: Error,
        summary: "workloads whose selector is empty or does not match their pod template's labels",
        check: selector_does_not_match_template,
    }
}

fn selector_does_not_match_template(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(
        ctx,
        out,
        Invalid::TemplateLabels,
        "make `spec.selector` select the labels of `spec.template.metadata.labels`",
    );
}

declare_rule! {
    /// ## What it does
    /// Finds an Ingress rule whose `host` is not a DNS name: a `*` that is not the whole first
    /// label (`foo.*.example.com`, `*foo.example.com`), an IP address, or a name with characters
    /// DNS names do not have.
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the Ingress, so it never exists and its controller routes nothing
    /// for it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: admin.*.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: '*.example.com'
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards>
    pub struct InvalidIngressHost {
        code: "KR511",
        name: "invalid-ingress-host",
        severity: Error,
        summary: "Ingress hosts with a wildcard that is not the whole first label, or that are IP addresses",
        check: invalid_ingress_host,
    }
}

fn invalid_ingress_host(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(
        ctx,
        out,
        Invalid::IngressHost,
        "use a DNS name, or a wildcard whose `*` is the whole first label (`*.example.com`)",
    );
}

declare_rule! {
    /// ## What it does
    /// Finds an Ingress path of type `Prefix` or `Exact` that is not an absolute path (it does
    /// not start with `/`).
    ///
    /// ## Why does this break traffic?
    /// The API server rejects the Ingress (`must be an absolute path`), so it never exists and
    /// its controller routes nothing for it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: admin.example.com
    ///       http:
    ///         paths:
    ///           - path: admin
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: admin.example.com
    ///       http:
    ///         paths:
    ///           - path: /admin
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Only the fields kubereach models are checked; the API server checks more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types>
    pub struct InvalidIngressPath {
        code: "KR512",
        name: "invalid-ingress-path",
        severity: Error,
        summary: "`Prefix` and `Exact` Ingress paths that do not start with `/`",
        check: invalid_ingress_path,
    }
}

fn invalid_ingress_path(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    report(ctx, out, Invalid::IngressPath, "start the path with `/`");
}
