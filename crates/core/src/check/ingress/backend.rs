//! Rules about Ingress backends: a Service that does not exist, or a port
//! the Service does not have.

use crate::check::similar::similar;
use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::ingress::{check_backends, BackendRef, BackendStatus};
use crate::service::{PortRef, ServicePortKey};

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
