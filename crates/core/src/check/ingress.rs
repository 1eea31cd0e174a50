//! Rules about Ingresses: classes, backends, TLS and routing.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::Ingress;

use crate::check::similar::similar;
use crate::check::{declare_rule, list, Context, Emitter, Severity, Subject};
use crate::ingress::{
    check_backends, check_tls, ingress_class_of, route, rule_conflicts, BackendRef, BackendSite,
    BackendStatus, CertIssuer, ClassProblem, ClassSource, ControllerKind, IngressRef, PathType, RouteTarget,
    TlsStatus, CLUSTER_ISSUER_ANNOTATION, DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION,
    ISSUER_ANNOTATION, TLS_SECRET_TYPE,
};
use crate::model::{Cluster, Object};
use crate::service::{PortRef, ServicePortKey};

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

/// `ingress-nginx`, `traefik`, … (the kebab-case name of the kind).
pub(crate) fn controller_name(kind: ControllerKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress backends (rule paths and `defaultBackend`) that name a
    /// Service that does not exist in the Ingress's namespace.
    ///
    /// ## Why does this break traffic?
    /// A backend is a Service of the Ingress's own namespace. When it does
    /// not exist, the controller has nowhere to send the requests: ingress-
    /// nginx answers 503 for that path, other controllers 404 or drop the
    /// route.
    ///
    /// ## Example
    /// ```yaml
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
    ///                 name: web-frontend
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: frontend
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
    ///                 name: frontend
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: frontend
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// A Service deployed separately from the Ingress must be part of the
    /// input, or it is reported missing.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#resource-backend>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>
    pub struct IngressBackendServiceMissing {
        code: "KR203",
        name: "ingress-backend-service-missing",
        severity: Error,
        summary: "Ingress backends naming a Service that does not exist",
        check: ingress_backend_service_missing,
    }
}

fn ingress_backend_service_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for ingress in cluster.ingresses() {
        for check in check_backends(cluster, ingress) {
            let (BackendStatus::ServiceNotFound, BackendRef::Service { service, .. }) =
                (&check.status, &check.backend)
            else {
                continue;
            };
            let mut names: Vec<String> = cluster
                .services()
                .iter()
                .filter(|s| s.value.metadata.namespace.as_deref() == Some(service.namespace.as_str()))
                .filter_map(|s| s.value.metadata.name.clone())
                .collect();
            names.sort();
            let close: Vec<String> = names.iter().filter(|n| similar(n, &service.name)).cloned().collect();
            let fix = if close.is_empty() {
                format!(
                    "create the Service `{}` in `{}`, or name an existing one in `service.name`",
                    service.name, service.namespace
                )
            } else {
                format!("did you mean {}? Fix `service.name`", list(&close, 3))
            };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("{}.service.name", check.site.field_path()),
                format!(
                    "backend Service `{}` does not exist in namespace `{}`",
                    service.name, service.namespace
                ),
                fix,
            );
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress backends whose port is not a port of the Service, or
    /// not a TCP one, and says when the number (or name) is a container port
    /// of the Service's pods, which is the usual mistake.
    ///
    /// ## Why does this break traffic?
    /// An Ingress backend names a Service port (`port.number` is the
    /// Service's `port`, `port.name` its port `name`), never a container
    /// port: the controller looks the port up in the Service and its
    /// EndpointSlices. A port the Service does not have gives the path no
    /// endpoints: ingress-nginx answers 503.
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
    ///             - name: http
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: api.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 8080
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
    ///             - name: http
    ///               containerPort: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: api
    ///   ports:
    ///     - name: http
    ///       port: 80
    ///       targetPort: http
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: api.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 80
    /// ```
    ///
    /// ## Known problems
    /// None known.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource>
    pub struct IngressBackendPortMismatch {
        code: "KR204",
        name: "ingress-backend-port-mismatch",
        severity: Error,
        summary: "Ingress backends naming a port the Service does not have",
        check: ingress_backend_port_mismatch,
    }
}

fn ingress_backend_port_mismatch(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for ingress in cluster.ingresses() {
        for check in check_backends(cluster, ingress) {
            let BackendRef::Service { service, port: Some(port) } = &check.backend else { continue };
            let shown = match port {
                PortRef::Number(number) => format!("port {number}"),
                PortRef::Name(name) => format!("port `{name}`"),
            };
            let (message, fix) = match &check.status {
                BackendStatus::PortNotFound { service_ports, container_port, suggestion } => {
                    let ports: Vec<String> = service_ports.iter().map(port_text).collect();
                    let has = if ports.is_empty() {
                        "it has no ports".to_owned()
                    } else {
                        format!("its ports are {}", list(&ports, 4))
                    };
                    let message = if *container_port {
                        format!(
                            "backend Service `{}` has no {shown} ({has}); {shown} is a container port of its pods, but a \
                             backend names a Service port",
                            service.name
                        )
                    } else {
                        format!("backend Service `{}` has no {shown}: {has}", service.name)
                    };
                    let fix = match suggestion {
                        Some(key) => format!(
                            "use the Service port that leads there: `port: {{number: {}}}`{}",
                            key.port,
                            key.name.as_deref().map(|n| format!(" (or `name: {n}`)")).unwrap_or_default()
                        ),
                        None => {
                            "name one of the Service's ports in the backend, or add the port to the Service"
                                .to_owned()
                        }
                    };
                    (message, fix)
                }
                BackendStatus::NotTcp { port: key } => (
                    format!(
                        "backend Service `{}` {shown} is {}: Ingress traffic is HTTP over TCP",
                        service.name, key.protocol
                    ),
                    "point the backend at a TCP port of the Service".to_owned(),
                ),
                _ => continue,
            };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("{}.service.port", check.site.field_path()),
                message,
                fix,
            );
        }
    }
}

/// `` `http` (80/TCP) `` or `` `80/TCP` ``, without the backticks (the
/// caller's list adds them).
fn port_text(key: &ServicePortKey) -> String {
    match &key.name {
        Some(name) => format!("{name} ({}/{})", key.port, key.protocol),
        None => format!("{}/{}", key.port, key.protocol),
    }
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress TLS entries whose Secret is absent from the Ingress's
    /// namespace or is not of type `kubernetes.io/tls`. A Secret that
    /// cert-manager will create is not reported: the Ingress carries
    /// `cert-manager.io/cluster-issuer` (or `cert-manager.io/issuer`, or
    /// `kubernetes.io/tls-acme`), and, when the input holds cert-manager
    /// issuers, one of the named kind exists.
    ///
    /// ## Why does this break traffic?
    /// The controller terminates TLS with the certificate in that Secret.
    /// Without it, ingress-nginx (and most controllers) serve their default
    /// self-signed certificate for the host: browsers and clients that
    /// verify certificates refuse the connection.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: www-example-com-tls
    ///   namespace: shop
    /// type: kubernetes.io/tls
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///     - hosts:
    ///         - www.example.com
    ///       secretName: example-com-tls
    ///   rules:
    ///     - host: www.example.com
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
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: www-example-com-tls
    ///   namespace: shop
    /// type: kubernetes.io/tls
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///     - hosts:
    ///         - www.example.com
    ///       secretName: www-example-com-tls
    ///   rules:
    ///     - host: www.example.com
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
    /// Secrets are often kept out of manifests (sealed or external secrets,
    /// created by hand): a missing Secret is only reported when the input
    /// holds Secrets at all, and not when it holds `Certificate`,
    /// `SealedSecret` or `ExternalSecret` objects, which create Secrets the
    /// model cannot see. cert-manager issuers are custom resources the model
    /// only counts: an issuer of the named kind is taken to be the named one.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#tls>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets>
    /// - <https://cert-manager.io/docs/usage/ingress/>
    pub struct IngressTlsSecretMissing {
        code: "KR205",
        name: "ingress-tls-secret-missing",
        severity: Error,
        summary: "Ingress TLS Secrets that are absent or not of type `kubernetes.io/tls`",
        check: ingress_tls_secret_missing,
    }
}

fn ingress_tls_secret_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let skipped = |kind: &str| cluster.skipped_kinds().get(kind).copied().unwrap_or(0);
    let cluster_issuers = skipped("ClusterIssuer");
    let issuers = skipped("Issuer");
    let secrets_known = !cluster.secrets().is_empty()
        && ["Certificate", "SealedSecret", "ExternalSecret"].iter().all(|kind| skipped(kind) == 0);
    for ingress in cluster.ingresses() {
        let spec = ingress.value.spec.as_ref();
        let tls_hosts =
            spec.and_then(|s| s.tls.as_ref()).into_iter().flatten().flat_map(|t| t.hosts.iter().flatten());
        let rule_hosts =
            spec.and_then(|s| s.rules.as_ref()).into_iter().flatten().filter_map(|r| r.host.as_ref());
        let hosts: BTreeSet<&String> = tls_hosts.chain(rule_hosts).filter(|h| !h.is_empty()).collect();
        let mut checks = BTreeMap::new();
        for host in hosts {
            let check = check_tls(cluster, ingress, host);
            if let Some(entry) = check.entry {
                checks.entry(entry).or_insert(check);
            }
        }
        let reference = IngressRef::of(&ingress.value);
        for (entry, check) in checks {
            let secret = check.secret.clone().unwrap_or_default();
            let (message, fix) = match &check.status {
                TlsStatus::WrongType { type_ } => (
                    format!(
                        "the TLS Secret `{secret}` has type `{type_}`, not `{TLS_SECRET_TYPE}`: the controller serves \
                         its default certificate for `{}`",
                        check.host
                    ),
                    format!(
                        "recreate it as a TLS Secret: `kubectl create secret tls {secret} -n {} --cert=… --key=…`",
                        reference.namespace
                    ),
                ),
                TlsStatus::SecretNotFound => match &check.cert_manager {
                    Some(CertIssuer::ClusterIssuer { name }) if cluster_issuers == 0 && issuers > 0 => (
                        format!(
                            "the TLS Secret `{secret}` does not exist, and cert-manager cannot create it: \
                             `{CLUSTER_ISSUER_ANNOTATION}: {name}` names a ClusterIssuer, and the input has none"
                        ),
                        format!("create the ClusterIssuer `{name}`, or use `{ISSUER_ANNOTATION}` with an Issuer of `{}`", reference.namespace),
                    ),
                    Some(CertIssuer::Issuer { name }) if issuers == 0 && cluster_issuers > 0 => (
                        format!(
                            "the TLS Secret `{secret}` does not exist, and cert-manager cannot create it: \
                             `{ISSUER_ANNOTATION}: {name}` names an Issuer, and the input has none"
                        ),
                        format!("create the Issuer `{name}` in `{}`, or use `{CLUSTER_ISSUER_ANNOTATION}`", reference.namespace),
                    ),
                    Some(_) => continue,
                    None if !secrets_known => continue,
                    None => {
                        let close = similar_tls_secrets(cluster, &reference.namespace, &secret);
                        let fix = if close.is_empty() {
                            format!(
                                "create it (`kubectl create secret tls {secret} -n {} --cert=… --key=…`), or let \
                                 cert-manager issue it (`{CLUSTER_ISSUER_ANNOTATION}`)",
                                reference.namespace
                            )
                        } else {
                            format!("did you mean {}? Fix `secretName`", list(&close, 3))
                        };
                        (
                            format!(
                                "the TLS Secret `{secret}` does not exist in namespace `{}`: the controller serves its \
                                 default certificate for `{}`",
                                reference.namespace, check.host
                            ),
                            fix,
                        )
                    }
                },
                _ => continue,
            };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("spec.tls[{entry}].secretName"),
                message,
                fix,
            );
        }
    }
}

fn similar_tls_secrets(cluster: &Cluster, namespace: &str, name: &str) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .secrets()
        .iter()
        .map(|s| &s.value)
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(namespace) && s.type_.as_deref() == Some(TLS_SECRET_TYPE)
        })
        .filter_map(|s| s.metadata.name.clone())
        .filter(|n| similar(n, name))
        .collect();
    names.sort();
    names
}

declare_rule! {
    /// ## What it does
    /// Finds host and path pairs (with the same `pathType`) that several
    /// Ingresses of the same class route to different backends.
    ///
    /// ## Why does this break traffic?
    /// A controller merges the Ingresses of its class into one routing
    /// table, where a host and path can go to one backend only. Which
    /// Ingress wins is the controller's choice (ingress-nginx: the oldest
    /// Ingress); requests meant for the other backend never reach it, and a
    /// re-creation of an Ingress can silently switch the winner.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop-v2
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api-v2
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api-v2
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead (one Ingress per host and path):
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop-v2
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /v2/api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api-v2
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api-v2
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Controllers with canary annotations (ingress-nginx
    /// `nginx.ingress.kubernetes.io/canary`) split such traffic on purpose:
    /// suppress the rule on the canary Ingress. Paths are compared as
    /// written, so `/api` and a regular expression that matches it are not
    /// seen as a conflict.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches>
    /// - <https://kubernetes.github.io/ingress-nginx/how-it-works/#building-the-nginx-model>
    pub struct IngressRuleConflict {
        code: "KR206",
        name: "ingress-rule-conflict",
        severity: Warning,
        summary: "host and path pairs that several Ingresses route to different backends",
        check: ingress_rule_conflict,
    }
}

fn ingress_rule_conflict(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for conflict in rule_conflicts(cluster) {
        let Some(winner) = conflict.claims.first() else { continue };
        let backends: BTreeSet<&BackendRef> = conflict.claims.iter().map(|c| &c.backend).collect();
        if backends.len() < 2 {
            continue;
        }
        let host = conflict.host.as_deref().unwrap_or("any host");
        for claim in &conflict.claims[1..] {
            if claim.ingress == winner.ingress || claim.backend == winner.backend {
                continue;
            }
            let Some(ingress) = find_ingress(cluster, &claim.ingress) else { continue };
            let BackendSite::Path { rule, path } = claim.site else { continue };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("spec.rules[{rule}].http.paths[{path}]"),
                format!(
                    "`{host}` `{}` (`{:?}`) is also routed by Ingress `{}` to {}: the controller uses only one \
                     of them",
                    conflict.path,
                    conflict.path_type,
                    winner.ingress.id(),
                    backend_text(&winner.backend),
                ),
                "route each host and path from one Ingress only: merge the two, or change one's path or host"
                    .to_owned(),
            );
        }
    }
}

fn backend_text(backend: &BackendRef) -> String {
    match backend {
        BackendRef::Service { service, port: Some(port) } => format!("`{}:{port}`", service.name),
        BackendRef::Service { service, port: None } => format!("`{}`", service.name),
        BackendRef::Resource { kind, name, .. } => format!("{kind} `{name}`"),
        BackendRef::None => "no backend".to_owned(),
    }
}

fn find_ingress<'c>(cluster: &'c Cluster, reference: &IngressRef) -> Option<&'c Object<Ingress>> {
    cluster.ingresses().iter().find(|i| IngressRef::of(&i.value) == *reference)
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress paths `path: /` with `pathType: Exact` when nothing
    /// else routes the host's other paths: no other path of the host in the
    /// Ingresses of the class, and no default backend.
    ///
    /// ## Why does this break traffic?
    /// `Exact` matches the request path exactly: `path: /` matches `/` and
    /// nothing else. Every other page and asset of the host (`/login`,
    /// `/assets/app.js`) matches no rule and gets the controller's default
    /// backend, a 404. It is almost always meant as `Prefix`.
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
    ///           - path: /
    ///             pathType: Exact
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
    /// A host that deliberately serves only its root page (a redirect, a
    /// landing page) is reported: suppress the rule on that Ingress.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#examples>
    pub struct IngressExactRootPath {
        code: "KR207",
        name: "ingress-exact-root-path",
        severity: Warning,
        summary: "`pathType: Exact` on `path: /` that leaves the rest of a host unrouted",
        check: ingress_exact_root_path,
    }
}

fn ingress_exact_root_path(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    // Every path of every host, per class: (class, host) -> (type, path).
    type ClassHost = (Option<String>, Option<String>);
    let mut paths: BTreeMap<ClassHost, Vec<(PathType, String)>> = BTreeMap::new();
    let mut roots = Vec::new();
    for ingress in cluster.ingresses() {
        let class = ingress_class_of(cluster, &ingress.value).class;
        let rules = ingress.value.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
        for (r, rule) in rules {
            let host = rule.host.clone().filter(|h| !h.is_empty()).map(|h| h.to_ascii_lowercase());
            for (p, path) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
                let written = path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
                let path_type = PathType::parse(&path.path_type);
                if path_type == PathType::Exact && written == "/" {
                    roots.push((ingress, class.clone(), host.clone(), r, p));
                }
                paths.entry((class.clone(), host.clone())).or_default().push((path_type, written));
            }
        }
    }
    for (ingress, class, host, r, p) in roots {
        let all = &paths[&(class.clone(), host.clone())];
        if all.iter().any(|(t, path)| *t != PathType::Exact || path != "/") {
            continue;
        }
        // Whatever else would answer another path of the host (rules without
        // host, wildcards, default backends): the routing layer decides.
        let request_host = match host.as_deref() {
            Some(h) => h.strip_prefix("*.").map_or_else(|| h.to_owned(), |rest| format!("www.{rest}")),
            None => "example.invalid".to_owned(),
        };
        let routed = route(cluster, &request_host, "/index.html")
            .into_iter()
            .filter(|r| r.class == class)
            .any(|r| !matches!(r.target, RouteTarget::ControllerDefault));
        if routed {
            continue;
        }
        let shown = host.as_deref().map_or_else(|| "the Ingress's hosts".to_owned(), |h| format!("`{h}`"));
        out.emit(
            &Subject::object("Ingress", &ingress.value.metadata, ingress),
            &format!("spec.rules[{r}].http.paths[{p}].pathType"),
            format!(
                "`pathType: Exact` with `path: /` matches only the request path `/`: every other path of {shown} \
                 gets the controller's 404"
            ),
            "use `pathType: Prefix` to route the whole host".to_owned(),
        );
    }
}
