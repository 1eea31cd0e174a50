//! Rules about an Ingress's class: none (`ingress-class-missing`), or
//! one that does not exist (`ingress-class-unknown`).

use std::collections::BTreeSet;

use super::controller_name;
use crate::check::similar::similar;
use crate::check::{declare_rule, list, Context, Emitter, Severity, Subject};
use crate::ingress::{
    ingress_class_of, ClassProblem, ClassSource, DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION,
};
use crate::model::Cluster;

declare_rule! {
    /// ## What it does
    /// Finds Ingresses that name no class (no `spec.ingressClassName`, no
    /// `kubernetes.io/ingress.class` annotation) in a cluster without a
    /// default IngressClass, unless a controller is set to take Ingresses
    /// without class (ingress-nginx `--watch-ingress-without-class`). It is
    /// an error when the cluster has several IngressClasses: nothing tells
    /// which controller should serve the Ingress.
    ///
    /// ## Why does this break traffic?
    /// Since Kubernetes 1.18 an Ingress is served by the controller of its
    /// class. Current controllers ignore an Ingress without one unless an
    /// IngressClass is marked default (the `DefaultIngressClass` admission
    /// plugin then fills in `ingressClassName` on creation): no controller
    /// configures its routes, and requests for its hosts get a 404 or no
    /// answer.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
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
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
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
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Some older controllers (and Traefik by default) still serve Ingresses
    /// without class; when the input has none of the cluster's
    /// IngressClasses, the rule cannot see a default one.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class>
    /// - <https://kubernetes.github.io/ingress-nginx/user-guide/k8s-122-migration/>
    pub struct IngressClassMissing {
        code: "KR201",
        name: "ingress-class-missing",
        severity: Warning,
        summary: "Ingresses without class in a cluster without default IngressClass",
        check: ingress_class_missing,
    }
}

fn ingress_class_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let classes = class_names(cluster);
    for ingress in cluster.ingresses() {
        let resolution = ingress_class_of(cluster, &ingress.value);
        if !resolution.problems.contains(&ClassProblem::NoClass) {
            continue;
        }
        let subject = Subject::object("Ingress", &ingress.value.metadata, ingress);
        let (severity, message, fix) = match classes.as_slice() {
            [] => (
                Severity::Warning,
                "no `ingressClassName`, no class annotation and no default IngressClass: controllers ignore \
                 Ingresses without a class"
                    .to_owned(),
                "set `spec.ingressClassName` to the class of the controller that should serve it".to_owned(),
            ),
            [only] => (
                Severity::Warning,
                format!(
                    "no `ingressClassName`, and the only IngressClass, `{only}`, is not the default: its \
                     controller ignores this Ingress"
                ),
                format!(
                    "set `spec.ingressClassName: {only}`, or mark the IngressClass default with \
                     `{DEFAULT_CLASS_ANNOTATION}: \"true\"`"
                ),
            ),
            several => (
                Severity::Error,
                format!(
                    "no `ingressClassName`, and none of the IngressClasses {} is the default: no controller \
                     serves this Ingress",
                    list(several, 4)
                ),
                "set `spec.ingressClassName` to the class of the controller that should serve it".to_owned(),
            ),
        };
        out.emit_with(severity, &subject, "spec.ingressClassName", message, fix);
    }
}

fn class_names(cluster: &Cluster) -> Vec<String> {
    let names: BTreeSet<String> =
        cluster.ingress_classes().iter().filter_map(|c| c.value.metadata.name.clone()).collect();
    names.into_iter().collect()
}

declare_rule! {
    /// ## What it does
    /// Finds Ingresses whose class does not exist (an `ingressClassName`
    /// with no such IngressClass, or a `kubernetes.io/ingress.class`
    /// annotation that no IngressClass and no running controller answers
    /// to), and, as a warning, Ingresses whose IngressClass names a
    /// controller of which no pod is in the input.
    ///
    /// ## Why does this break traffic?
    /// A controller serves the Ingresses of the classes it implements and
    /// ignores the others. An Ingress of a class that does not exist, or
    /// whose controller does not run, is served by nothing: its hosts get
    /// no answer, or another controller's 404.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx-internal
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
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: IngressClass
    /// metadata:
    ///   name: nginx
    /// spec:
    ///   controller: k8s.io/ingress-nginx
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
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// When the input has no IngressClass at all (application manifests
    /// without the cluster's add-ons), the rule says nothing; a controller
    /// without pods is only reported when the input has pods in
    /// `kube-system`, a sign that it holds the cluster's add-ons. Controller pods
    /// are recognised by image, labels and flags; a controller built from
    /// an unknown image is not, and an IngressClass naming a controller the
    /// model does not know is not reported.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/>
    pub struct IngressClassUnknown {
        code: "KR202",
        name: "ingress-class-unknown",
        severity: Error,
        summary: "Ingresses whose class does not exist or whose controller does not run",
        check: ingress_class_unknown,
    }
}

fn ingress_class_unknown(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let classes = class_names(cluster);
    if classes.is_empty() {
        return;
    }
    for ingress in cluster.ingresses() {
        let resolution = ingress_class_of(cluster, &ingress.value);
        let subject = Subject::object("Ingress", &ingress.value.metadata, ingress);
        let path = match resolution.source {
            ClassSource::Annotation => "metadata.annotations",
            ClassSource::Default => "spec",
            _ => "spec.ingressClassName",
        };
        let choose = || match classes
            .iter()
            .find(|c| resolution.class.as_deref().is_some_and(|n| similar(n, c)))
        {
            Some(close) => format!("did you mean `{close}`? The IngressClasses are {}", list(&classes, 6)),
            None => format!("use one of the IngressClasses {}, or create this one", list(&classes, 6)),
        };
        for problem in &resolution.problems {
            match problem {
                ClassProblem::ClassNotFound { name } => out.emit(
                    &subject,
                    path,
                    format!("the IngressClass `{name}` does not exist: no controller serves this Ingress"),
                    choose(),
                ),
                ClassProblem::UnknownClass { name } => out.emit(
                    &subject,
                    path,
                    format!(
                        "`{INGRESS_CLASS_ANNOTATION}: {name}` names no IngressClass and no controller that runs: \
                         no controller serves this Ingress"
                    ),
                    format!("{}; prefer `spec.ingressClassName` to the deprecated annotation", choose()),
                ),
                // Only when the input holds the cluster's add-ons (pods in
                // `kube-system`): application manifests lack the controller.
                ClassProblem::ControllerNotFound { kind }
                    if resolution.ingress_class.is_some() && !cluster.pods_in("kube-system").is_empty() =>
                {
                    let class = resolution.class.as_deref().unwrap_or_default();
                    out.emit_with(
                        Severity::Warning,
                        &subject,
                        path,
                        format!(
                            "the IngressClass `{class}` is implemented by {}, and the input has none of its pods: \
                             nothing may serve this Ingress",
                            controller_name(*kind)
                        ),
                        format!(
                            "install the {} controller, or use the class of a controller that runs",
                            controller_name(*kind)
                        ),
                    )
                }
                _ => {}
            }
        }
    }
}
