//! Rules for Gateway API: Gateways without their class, routes that do
//! not attach, backends that are not Service ports or need a
//! ReferenceGrant, conflicting listeners and missing TLS Secrets. Each asks
//! [`crate::gateway`] what the implementation would do.

use crate::gateway::attach::{attachments, Attachment};
use crate::gateway::backend::{resolve_backend, BackendProblem};
use crate::gateway::listener::{listener_conflicts, ListenerConflict, NotAllowed};
use crate::gateway::tls::{certificates, Certificate};
use crate::gateway::{object_id, AnyRoute};

use super::similar::similar;
use super::{declare_rule, list, Context, Emitter, Subject};

declare_rule! {
    /// ## What it does
    /// Finds Gateways whose `gatewayClassName` names no GatewayClass of the
    /// input, when the input has GatewayClasses.
    ///
    /// ## Why does this break traffic?
    /// A GatewayClass names the controller that implements its Gateways. A
    /// Gateway of a class that does not exist is implemented by no
    /// controller: it gets no address and none of its routes is served.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: GatewayClass
    /// metadata:
    ///   name: eg
    /// spec:
    ///   controllerName: gateway.envoyproxy.io/gatewayclass-controller
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: envoy
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: GatewayClass
    /// metadata:
    ///   name: eg
    /// spec:
    ///   controllerName: gateway.envoyproxy.io/gatewayclass-controller
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    /// ```
    ///
    /// ## Known problems
    /// GatewayClasses are cluster-scoped and created by the implementation's
    /// installer, so manifests often leave them out: when the input has no
    /// GatewayClass at all, the rule says nothing.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/api-types/gatewayclass/>
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#gatewayspec>
    pub struct GatewayClassMissing {
        code: "KR701",
        name: "gateway-class-missing",
        severity: Error,
        summary: "Gateways whose GatewayClass does not exist",
        check: gateway_class_missing,
    }
}

fn gateway_class_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let api = ctx.cluster.gateway_api();
    if api.classes.is_empty() {
        return;
    }
    let names: Vec<String> = api.classes.iter().filter_map(|c| c.value.metadata.name.clone()).collect();
    for gateway in &api.gateways {
        let class = &gateway.value.spec.gateway_class_name;
        if api.class(class).is_some() {
            continue;
        }
        let close: Vec<String> = names.iter().filter(|n| similar(n, class)).cloned().collect();
        let fix = if close.is_empty() {
            format!("set `gatewayClassName` to one of {}", list(&names, 3))
        } else {
            format!("did you mean {}? fix `gatewayClassName`", list(&close, 3))
        };
        out.emit(
            &Subject::object("Gateway", &gateway.value.metadata, gateway),
            "spec.gatewayClassName",
            format!("the GatewayClass `{class}` does not exist: no controller implements this Gateway"),
            fix,
        );
    }
}

declare_rule! {
    /// ## What it does
    /// Finds HTTPRoutes and GRPCRoutes whose `parentRefs` attach them to no
    /// listener: the Gateway does not exist, `sectionName` or `port` names
    /// no listener, the listeners do not allow the route's namespace or
    /// kind, or the route's hostnames intersect no listener's — the
    /// reasons of the route's `Accepted: False` condition.
    ///
    /// ## Why does this break traffic?
    /// A route that is not attached is not programmed: requests for its
    /// hosts get 404 from the Gateway (or reach another route).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   parentRefs:
    ///     - name: public
    ///       namespace: infra
    ///   hostnames: [shop.example.com]
    ///   rules:
    ///     - backendRefs:
    ///         - name: shop
    ///           port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead (the listener admits routes of every namespace):
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: http
    ///       port: 80
    ///       protocol: HTTP
    ///       allowedRoutes:
    ///         namespaces:
    ///           from: All
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   parentRefs:
    ///     - name: public
    ///       namespace: infra
    ///   hostnames: [shop.example.com]
    ///   rules:
    ///     - backendRefs:
    ///         - name: shop
    ///           port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// A Gateway deployed separately from its routes must be part of the
    /// input, or the routes are reported as naming a Gateway that does not
    /// exist. Parents that are Services (GAMMA, mesh routing) are not checked.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#parentreference>
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#allowedroutes>
    /// - <https://gateway-api.sigs.k8s.io/concepts/hostnames/>
    pub struct GatewayRouteNotAttached {
        code: "KR702",
        name: "gateway-route-not-attached",
        severity: Error,
        summary: "HTTPRoutes and GRPCRoutes that attach to no listener of their Gateway",
        check: gateway_route_not_attached,
    }
}

fn gateway_route_not_attached(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for route in ctx.cluster.gateway_api().routes() {
        for attachment in attachments(ctx.cluster, route) {
            let gateway = format!("{}/{}", attachment.namespace, attachment.parent_ref.name);
            let (message, fix) = match &attachment.outcome {
                Attachment::Attached { .. } | Attachment::NotAGateway { .. } => continue,
                Attachment::GatewayNotFound => (
                    format!("parent Gateway `{gateway}` does not exist"),
                    "name an existing Gateway in `parentRefs` (and its namespace, when it is another one)".to_owned(),
                ),
                Attachment::NoMatchingParent { gateway: g } => {
                    let names: Vec<String> = g.value.spec.listeners.iter().map(|l| l.name.clone()).collect();
                    (
                        format!("Gateway `{gateway}` has no listener that `sectionName`/`port` name (`NoMatchingParent`)"),
                        format!("set `sectionName` to {} or remove it", list(&names, 3)),
                    )
                }
                Attachment::NotAllowedByListeners { reason: NotAllowed::Namespace(rule), .. } => (
                    format!("the listeners of Gateway `{gateway}` do not admit routes of namespace `{}` (`NotAllowedByListeners`): {rule}", route.namespace()),
                    format!("allow the namespace in the listener's `allowedRoutes.namespaces` (`from: All`, or `from: Selector` with a selector matching `{}`)", route.namespace()),
                ),
                Attachment::NotAllowedByListeners { reason: NotAllowed::Kind(kinds), .. } => (
                    format!("the listeners of Gateway `{gateway}` take {}, not `{}` (`NotAllowedByListeners`)", list(kinds, 3), route.kind()),
                    format!("add `{}` to the listener's `allowedRoutes.kinds`", route.kind()),
                ),
                Attachment::NoMatchingListenerHostname { .. } => (
                    format!("the route's hostnames intersect no hostname of the listeners of Gateway `{gateway}` (`NoMatchingListenerHostname`)"),
                    "make `hostnames` match the listener's `hostname` (`*.example.com` covers `shop.example.com`)".to_owned(),
                ),
            };
            out.emit(&route_subject(route), &format!("spec.parentRefs[{}]", attachment.index), message, fix);
        }
    }
}

pub(super) fn route_subject(route: AnyRoute<'_>) -> Subject<'_> {
    let meta = route.metadata();
    Subject {
        kind: route.kind(),
        namespace: meta.namespace.as_deref(),
        name: meta.name.as_deref().unwrap_or_default(),
        annotations: meta.annotations.as_ref(),
        origin: Some(route.origin()),
    }
}

declare_rule! {
    /// ## What it does
    /// Finds references across namespaces that no ReferenceGrant allows: a
    /// route's `backendRefs` to a Service of another namespace, and a
    /// Gateway's `certificateRefs` to a Secret of another namespace.
    ///
    /// ## Why does this break traffic?
    /// Without a ReferenceGrant in the target namespace, the reference is
    /// refused (`ResolvedRefs: False`, `RefNotPermitted`): requests for that
    /// backend get 500, and a listener without its certificate serves no TLS.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: pay
    ///   namespace: payments
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: api
    ///           namespace: api
    ///           port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: api
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: pay
    ///   namespace: payments
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: api
    ///           namespace: api
    ///           port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: api
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1beta1
    /// kind: ReferenceGrant
    /// metadata:
    ///   name: from-payments
    ///   namespace: api
    /// spec:
    ///   from:
    ///     - group: gateway.networking.k8s.io
    ///       kind: HTTPRoute
    ///       namespace: payments
    ///   to:
    ///     - group: ""
    ///       kind: Service
    /// ```
    ///
    /// ## Known problems
    /// A ReferenceGrant deployed with the target namespace must be part of
    /// the input, or the reference is reported as not permitted.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/api-types/referencegrant/>
    pub struct GatewayReferenceGrantMissing {
        code: "KR703",
        name: "gateway-reference-grant-missing",
        severity: Error,
        summary: "cross-namespace backendRefs and certificateRefs without a ReferenceGrant",
        check: gateway_reference_grant_missing,
    }
}

fn gateway_reference_grant_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for_each_backend(
        ctx,
        |route, field, backend, problem| {
            if problem != &BackendProblem::RefNotPermitted {
                return None;
            }
            let fix = format!(
            "add a ReferenceGrant in namespace `{}` with `from: [{{group: gateway.networking.k8s.io, kind: {}, namespace: {}}}]` and `to: [{{group: \"\", kind: Service}}]`",
            backend.0, route.kind(), route.namespace()
        );
            Some((field, format!("backend Service `{}/{}` is in another namespace, and no ReferenceGrant there allows {}s of `{}`", backend.0, backend.1, route.kind(), route.namespace()), fix))
        },
        out,
    );
    for gateway in &ctx.cluster.gateway_api().gateways {
        for (index, listener) in gateway.value.spec.listeners.iter().enumerate() {
            for (reference, namespace, state) in certificates(ctx.cluster, gateway, listener) {
                if state != Certificate::RefNotPermitted {
                    continue;
                }
                out.emit(
                    &Subject::object("Gateway", &gateway.value.metadata, gateway),
                    &format!("spec.listeners[{index}].tls"),
                    format!("certificate Secret `{namespace}/{}` of listener `{}` is in another namespace, and no ReferenceGrant there allows Gateways of `{}`", reference.name, listener.name, gateway.value.metadata.namespace.as_deref().unwrap_or("default")),
                    format!("add a ReferenceGrant in namespace `{namespace}` from `Gateway`s of `{}` to `Secret`s", gateway.value.metadata.namespace.as_deref().unwrap_or("default")),
                );
            }
        }
    }
}

type BackendFinding = Option<(String, String, String)>;

/// Calls `judge` with every invalid backendRef of every route (the
/// Service's namespace and name, and the problem), and emits what it returns.
fn for_each_backend(
    ctx: &Context<'_>,
    judge: impl Fn(AnyRoute<'_>, String, (&str, &str), &BackendProblem) -> BackendFinding,
    out: &mut Emitter<'_>,
) {
    for route in ctx.cluster.gateway_api().routes() {
        for (_, field, backend_ref) in route.backend_refs() {
            let resolved = resolve_backend(ctx.cluster, route.kind(), route.namespace(), backend_ref);
            let Some(problem) = &resolved.problem else { continue };
            let target = (resolved.namespace.as_str(), backend_ref.name.as_str());
            if let Some((field, message, fix)) = judge(route, field, target, problem) {
                out.emit(&route_subject(route), &field, message, fix);
            }
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Finds backendRefs to a Service that does not exist.
    ///
    /// ## Why does this break traffic?
    /// The backend is invalid (`ResolvedRefs: False`, `BackendNotFound`):
    /// the share of the requests meant for it gets HTTP 500 from the Gateway.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: login
    ///   namespace: web
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: login-svc
    ///           port: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: login
    ///   namespace: web
    /// spec:
    ///   ports:
    ///     - port: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: login
    ///   namespace: web
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: login
    ///           port: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: login
    ///   namespace: web
    /// spec:
    ///   ports:
    ///     - port: 8080
    /// ```
    ///
    /// ## Known problems
    /// A Service deployed separately from the route must be part of the
    /// input, or it is reported missing.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#backendref>
    pub struct GatewayBackendServiceMissing {
        code: "KR704",
        name: "gateway-backend-service-missing",
        severity: Error,
        summary: "route backendRefs naming a Service that does not exist",
        check: gateway_backend_service_missing,
    }
}

fn gateway_backend_service_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for_each_backend(
        ctx,
        |_, field, (namespace, name), problem| {
            if problem != &BackendProblem::ServiceNotFound {
                return None;
            }
            let names: Vec<String> = cluster
                .services()
                .iter()
                .filter(|s| s.value.metadata.namespace.as_deref() == Some(namespace))
                .filter_map(|s| s.value.metadata.name.clone())
                .filter(|n| similar(n, name))
                .collect();
            let fix = if names.is_empty() {
                format!("create the Service `{name}` in `{namespace}`, or name an existing one")
            } else {
                format!("did you mean {}? fix the backendRef's `name`", list(&names, 3))
            };
            Some((
                format!("{field}.name"),
                format!("backend Service `{namespace}/{name}` does not exist"),
                fix,
            ))
        },
        out,
    );
}

declare_rule! {
    /// ## What it does
    /// Finds backendRefs to a Service without `port`, or whose `port` is not
    /// a port of the Service (often the container's port, written where the
    /// Service's belongs).
    ///
    /// ## Why does this break traffic?
    /// A backendRef to a Service needs the Service's port; without one the
    /// backend is invalid, and with a port the Service does not have the
    /// proxy has no endpoints to send to: the requests get 500.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: web
    ///   namespace: web
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: web
    ///           port: 8080
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: web
    /// spec:
    ///   ports:
    ///     - port: 80
    ///       targetPort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata:
    ///   name: web
    ///   namespace: web
    /// spec:
    ///   rules:
    ///     - backendRefs:
    ///         - name: web
    ///           port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    ///   namespace: web
    /// spec:
    ///   ports:
    ///     - port: 80
    ///       targetPort: 8080
    /// ```
    ///
    /// ## Known problems
    /// Backends of other kinds (an implementation's own, such as a
    /// ServiceImport) are not checked.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#backendref> ("Port is
    ///   required when the referent is a Kubernetes Service")
    pub struct GatewayBackendPortMismatch {
        code: "KR705",
        name: "gateway-backend-port-mismatch",
        severity: Error,
        summary: "route backendRefs without a port, or with a port the Service does not have",
        check: gateway_backend_port_mismatch,
    }
}

fn gateway_backend_port_mismatch(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for_each_backend(
        ctx,
        |_, field, (namespace, name), problem| match problem {
            BackendProblem::PortMissing => Some((
                field,
                format!(
                    "the backendRef to Service `{namespace}/{name}` has no `port`, which a Service needs"
                ),
                "set `port` to a port of the Service".to_owned(),
            )),
            BackendProblem::PortNotInService { port, ports } => {
                let ports: Vec<String> = ports.iter().map(i32::to_string).collect();
                Some((
                    format!("{field}.port"),
                    format!(
                        "port {port} is not a port of Service `{namespace}/{name}` (its ports: {})",
                        list(&ports, 5)
                    ),
                    format!(
                        "set `port` to {}: a backendRef names the Service's port, not the container's",
                        list(&ports, 5)
                    ),
                ))
            }
            _ => None,
        },
        out,
    );
}

declare_rule! {
    /// ## What it does
    /// Finds listeners of one Gateway that conflict: on the same port with
    /// the same protocol and hostname (`HostnameConflict`), or on the same
    /// port with protocols that cannot share it, such as HTTP and HTTPS
    /// (`ProtocolConflict`).
    ///
    /// ## Why does this break traffic?
    /// A connection must belong to exactly one listener. Conflicting
    /// listeners get `Conflicted: True` and implementations refuse one or
    /// both, so some routes are not served.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: web
    ///       port: 80
    ///       protocol: HTTP
    ///     - name: web-tls
    ///       port: 80
    ///       protocol: HTTPS
    ///       tls:
    ///         certificateRefs:
    ///           - name: web-cert
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: web
    ///       port: 80
    ///       protocol: HTTP
    ///     - name: web-tls
    ///       port: 443
    ///       protocol: HTTPS
    ///       tls:
    ///         certificateRefs:
    ///           - name: web-cert
    /// ```
    ///
    /// ## Known problems
    /// Protocols of an implementation (`example.com/…`) are taken to
    /// conflict with every other protocol on the same port.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#listener>
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#listenerconditionreason>
    pub struct GatewayListenerConflict {
        code: "KR706",
        name: "gateway-listener-conflict",
        severity: Error,
        summary: "listeners of a Gateway that conflict on port, protocol or hostname",
        check: gateway_listener_conflict,
    }
}

fn gateway_listener_conflict(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for gateway in &ctx.cluster.gateway_api().gateways {
        let listeners = &gateway.value.spec.listeners;
        for (a, b, conflict) in listener_conflicts(&gateway.value) {
            let (first, second) = (&listeners[a], &listeners[b]);
            let (message, fix) = match conflict {
                ListenerConflict::Hostname => (
                    format!(
                        "listeners `{}` and `{}` both take `{}` on port {} for {} (`HostnameConflict`)",
                        first.name,
                        second.name,
                        first.protocol,
                        first.port,
                        first
                            .hostname
                            .as_deref()
                            .map_or_else(|| "every host".to_owned(), |h| format!("`{h}`"))
                    ),
                    "give each listener its own `hostname`, or merge them".to_owned(),
                ),
                ListenerConflict::Protocol => (
                    format!(
                        "listeners `{}` (`{}`) and `{}` (`{}`) share port {} (`ProtocolConflict`)",
                        first.name, first.protocol, second.name, second.protocol, first.port
                    ),
                    "put listeners of different protocols on different ports".to_owned(),
                ),
            };
            out.emit(
                &Subject::object("Gateway", &gateway.value.metadata, gateway),
                &format!("spec.listeners[{b}]"),
                message,
                fix,
            );
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Finds HTTPS and TLS listeners whose certificate Secret is not in the
    /// input, when the input holds Secrets, unless cert-manager's gateway
    /// shim creates it (the Gateway is annotated `cert-manager.io/issuer` or
    /// `cert-manager.io/cluster-issuer`).
    ///
    /// ## Why does this break traffic?
    /// A listener whose certificate does not resolve gets `ResolvedRefs:
    /// False` (`InvalidCertificateRef`) and serves no TLS: HTTPS clients
    /// fail the handshake.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: https
    ///       port: 443
    ///       protocol: HTTPS
    ///       tls:
    ///         certificateRefs:
    ///           - name: public-cert
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: public-tls
    ///   namespace: infra
    /// type: kubernetes.io/tls
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: public
    ///   namespace: infra
    /// spec:
    ///   gatewayClassName: eg
    ///   listeners:
    ///     - name: https
    ///       port: 443
    ///       protocol: HTTPS
    ///       tls:
    ///         certificateRefs:
    ///           - name: public-tls
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: public-tls
    ///   namespace: infra
    /// type: kubernetes.io/tls
    /// ```
    ///
    /// ## Known problems
    /// Secrets made by other tools (External Secrets, Sealed Secrets) are
    /// not in manifests: when the input holds no Secret at all, the rule
    /// says nothing.
    ///
    /// ## References
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#gatewaytlsconfig>
    /// - <https://cert-manager.io/docs/usage/gateway/>
    pub struct GatewayTlsSecretMissing {
        code: "KR707",
        name: "gateway-tls-secret-missing",
        severity: Error,
        summary: "HTTPS listeners whose certificate Secret does not exist",
        check: gateway_tls_secret_missing,
    }
}

fn gateway_tls_secret_missing(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    if ctx.cluster.secrets().is_empty() {
        return;
    }
    for gateway in &ctx.cluster.gateway_api().gateways {
        for (index, listener) in gateway.value.spec.listeners.iter().enumerate() {
            for (reference, namespace, state) in certificates(ctx.cluster, gateway, listener) {
                if state != Certificate::Missing {
                    continue;
                }
                let id = object_id(&gateway.value.metadata);
                out.emit(
                    &Subject::object("Gateway", &gateway.value.metadata, gateway),
                    &format!("spec.listeners[{index}].tls"),
                    format!("certificate Secret `{namespace}/{}` of listener `{}` does not exist: the listener serves no TLS", reference.name, listener.name),
                    format!("create the TLS Secret `{namespace}/{}`, or annotate Gateway `{id}` with `cert-manager.io/cluster-issuer` so that cert-manager creates it", reference.name),
                );
            }
        }
    }
}
