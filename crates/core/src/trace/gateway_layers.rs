//! From outside the cluster through a Gateway (Gateway API): the `gateway`
//! layer (the GatewayClass accepted, the Gateway's address, the listener
//! for the port, protocol and hostname) and the `route` layer (a route
//! attached to that listener, its rule for the request, its backendRef and
//! any ReferenceGrant); then, as through an Ingress, the Gateway's proxies
//! connect to the backend Service's endpoints. The semantics are
//! [`crate::gateway`]'s; this module words them.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Service;

use super::exposure_steps::exposed_by;
use super::gateway_backends::{backend_outcome, backends_of, gateway_id, why_no_route, BackendStep};
use super::service_layers;
use super::text::{at, close_matches, code, count, either};
use super::{Client, Ctx, Flow, Layer, Scheme, Status, Step, Via, Walk, GATEWAY_ORDER};
use crate::gateway::claim::{claims, taking_claim, Claim};
use crate::gateway::class::{
    addresses, data_plane_pods, gateway_class, known_controller, Acceptance, GatewayAddresses,
};
use crate::gateway::listener::RequestProtocol;
use crate::gateway::matching::{route_request, Request, RuleMatch};
use crate::gateway::tls::{certificates, Certificate};
use crate::gateway::types::{Gateway, HttpRouteFilter};
use crate::ingress::{self, RouteTarget};
use crate::model::{Object, PodId};
use crate::ports::Protocol;
use crate::routes::{gateway_proxies, Proxies};
use crate::service::PortRef;
use crate::shell::quote;

/// The method and headers of the request (`--method`, `--header`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequestOptions {
    /// The method; `GET` when not given.
    pub method: Option<String>,
    /// Headers, `(name, value)`, in order.
    pub headers: Vec<(String, String)>,
}

/// When a Gateway takes the request, the trace through it. A Gateway
/// whose listener or routes name the host takes it before an Ingress does;
/// one that takes every host only when no Ingress serves the host.
pub(super) fn through_gateway<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    host: &str,
    port: u16,
    path: &str,
    scheme: Scheme,
) -> Option<Flow<()>> {
    let protocol = match scheme {
        Scheme::Http => RequestProtocol::Http,
        Scheme::Https => RequestProtocol::Https,
    };
    let all = match ctx.protocol {
        Protocol::Udp => claims(ctx.cluster, host, i32::from(port), RequestProtocol::Udp),
        _ => {
            let http = claims(ctx.cluster, host, i32::from(port), protocol);
            // No HTTP, HTTPS or TLS listener on the port: a TCP listener takes
            // any connection to it.
            if http.is_empty() {
                claims(ctx.cluster, host, i32::from(port), RequestProtocol::Tcp)
            } else {
                http
            }
        }
    };
    let ingresses = ingress::route(ctx.cluster, host, path);
    let claim = taking_claim(&all, !ingresses.is_empty());
    let Some(claim) = claim else {
        return if ingresses.is_empty() { unmodelled_path(ctx, walk, host) } else { None };
    };
    let method = ctx.http.method.clone().unwrap_or_else(|| "GET".to_owned());
    let request = Request::new(host, path, &method, ctx.http.headers.clone());
    Some(gateway_path(ctx, walk, claim, &all, &ingresses, &request))
}

fn gateway_path<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    claim: &Claim<'c>,
    all: &[Claim<'c>],
    ingresses: &[ingress::ClassRoute],
    request: &Request,
) -> Flow<()> {
    walk.order = &GATEWAY_ORDER;
    dns_step(ctx, walk, claim, all, ingresses, &request.host)?;
    let client = gateway_step(ctx, walk, claim)?;
    let Some((service, port)) = route_step(ctx, walk, claim, request)? else { return Ok(()) };
    service_layers::service_path(ctx, walk, client, service, &PortRef::Number(port), Via::Gateway)
}

/// A host that only objects kubereach does not model claim (Istio,
/// Contour, Traefik): never answered as if they were absent.
fn unmodelled_path(ctx: &Ctx<'_, '_>, walk: &mut Walk, host: &str) -> Option<Flow<()>> {
    let evidence = unmodelled_claims(ctx, host);
    if evidence.is_empty() {
        return None;
    }
    walk.order = &GATEWAY_ORDER;
    let step = Step::new(
        Layer::Dns,
        Status::Warn,
        format!("{} is claimed by routing objects kubereach does not model: the path beyond them is not checked", code(host)),
    )
    .evidence(evidence)
    .fix("check the path with the tools of that project (`istioctl analyze`, `kubectl describe`), or trace the Service behind it with `svc/NAMESPACE/NAME:PORT`");
    Some(walk.add(step))
}

/// One line per unmodelled object that claims `host`.
fn unmodelled_claims(ctx: &Ctx<'_, '_>, host: &str) -> Vec<String> {
    ctx.cluster
        .unmodelled_routes()
        .iter()
        .filter(|r| r.value.claims(host))
        .map(|r| {
            format!(
                "{} {} claims it{}",
                r.value.kind,
                code(format!("{}/{}", r.value.namespace, r.value.name)),
                at(&r.origin.location())
            )
        })
        .collect()
}

fn kubectl_gateway(gateway: &Gateway) -> String {
    format!(
        "kubectl get gateway -n {} {} -o yaml",
        quote(gateway.metadata.namespace.as_deref().unwrap_or("default")),
        quote(gateway.metadata.name.as_deref().unwrap_or_default())
    )
}

/// `dns`: public DNS is outside the model; say where it must point.
fn dns_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    claim: &Claim<'_>,
    all: &[Claim<'_>],
    ingresses: &[ingress::ClassRoute],
    host: &str,
) -> Flow<()> {
    let gateway = &claim.gateway.value;
    let listener = &gateway.spec.listeners[claim.listener];
    let mut status = Status::Pass;
    let mut evidence = Vec::new();
    match addresses(gateway) {
        GatewayAddresses::Assigned(list) => evidence.push(format!(
            "the Gateway's address: {}",
            list.iter().map(|a| code(&a.value)).collect::<Vec<_>>().join(", ")
        )),
        GatewayAddresses::Requested(list) => evidence.push(format!(
            "the Gateway asks for {}; its status (not in the input) says whether it got it",
            list.iter().map(|a| code(&a.value)).collect::<Vec<_>>().join(", ")
        )),
        GatewayAddresses::Pending => {
            status = Status::Warn;
            evidence.push(
                "the Gateway has no address in its status yet: its controller has not assigned one"
                    .to_owned(),
            );
        }
        GatewayAddresses::AtCreation => evidence
            .push("the Gateway's address is assigned at creation (the input has no status)".to_owned()),
    }
    let pods = data_plane_pods(ctx.cluster, gateway).into_iter().collect();
    evidence.extend(exposed_by(ctx.cluster, &pods, "the Gateway's proxies are", "the Gateway's proxies'"));
    for other in all.iter().filter(|c| !std::ptr::eq(c.gateway, claim.gateway)) {
        let l = &other.gateway.value.spec.listeners[other.listener];
        evidence.push(format!(
            "Gateway {} also takes it (listener {})",
            gateway_id(&other.gateway.value),
            code(&l.name)
        ));
    }
    for route in ingresses {
        status = Status::Warn;
        let name = match &route.target {
            RouteTarget::Rule(candidate) => code(candidate.ingress.id()),
            RouteTarget::DefaultBackend { ingress, .. } => code(ingress.id()),
            RouteTarget::ControllerDefault => {
                format!("an Ingress of class {}", code(route.class.as_deref().unwrap_or("(none)")))
            }
        };
        evidence.push(format!(
            "Ingress {name} also serves the host: clients reach whichever public DNS points at; this trace follows the Gateway"
        ));
    }
    let unmodelled = unmodelled_claims(ctx, host);
    if !unmodelled.is_empty() {
        status = Status::Warn;
        evidence
            .extend(unmodelled.into_iter().map(|line| format!("{line}, and kubereach does not model it")));
    }
    let summary = format!(
        "{} is a host of Gateway {} (listener {}); public DNS, outside the model, must point it at the Gateway's address",
        code(host),
        gateway_id(gateway),
        code(&listener.name)
    );
    walk.add(Step::new(Layer::Dns, status, summary).evidence(evidence).kubectl(kubectl_gateway(gateway)))
}

/// The `gateway` layer; returns the client the backends see: the
/// Gateway's proxies, or the outside for a cloud load balancer.
fn gateway_step(ctx: &Ctx<'_, '_>, walk: &mut Walk, claim: &Claim<'_>) -> Flow<Client> {
    let gateway = &claim.gateway.value;
    let id = gateway_id(gateway);
    let class_name = &gateway.spec.gateway_class_name;
    let resolution = gateway_class(ctx.cluster, gateway);
    let Some(class) = resolution.class else { return missing_class(ctx, walk, claim) };
    let controller_name = &class.value.spec.controller_name;
    let mut evidence = vec![format!(
        "GatewayClass {}{}: controller {}",
        code(class_name),
        at(&class.origin.location()),
        code(controller_name)
    )];
    let mut status =
        acceptance_status(walk, class_name, controller_name, resolution.acceptance, &mut evidence)?;
    let listener = &gateway.spec.listeners[claim.listener];
    tls_evidence(ctx, walk, claim, &mut status, &mut evidence)?;
    let product =
        known_controller(controller_name).map_or_else(|| code(controller_name), |k| k.name.to_owned());
    let hostname = listener.hostname.as_deref().map_or_else(|| "every host".to_owned(), code);
    let summary = format!(
        "{id} of class {} ({product}) listens on `{}` {} for {hostname} (listener {})",
        code(class_name),
        listener.protocol,
        listener.port,
        code(&listener.name)
    );
    let client = proxies_client(ctx, walk, claim, &product, &mut evidence)?;
    evidence.push(format!("Gateway {id}{}", at(&claim.gateway.origin.location())));
    walk.add(
        Step::new(Layer::Gateway, status, summary).evidence(evidence).kubectl(kubectl_gateway(gateway)),
    )?;
    Ok(client)
}

/// The Gateway's class is not in the input: no controller serves it.
fn missing_class<T>(ctx: &Ctx<'_, '_>, walk: &mut Walk, claim: &Claim<'_>) -> Flow<T> {
    let gateway = &claim.gateway.value;
    let id = gateway_id(gateway);
    let class_name = &gateway.spec.gateway_class_name;
    let names: Vec<String> =
        ctx.cluster.gateway_api().classes.iter().filter_map(|c| c.value.metadata.name.clone()).collect();
    let fix = match close_matches(class_name, names.iter().cloned()).first() {
        Some(close) => format!("did you mean {}? set `spec.gatewayClassName` of {id} to it", code(close)),
        None if names.is_empty() => {
            "install a Gateway API implementation; it creates its GatewayClass".to_owned()
        }
        None => format!("use one of {}", either(&names.iter().map(code).collect::<Vec<_>>())),
    };
    let step = Step::new(
        Layer::Gateway,
        Status::Fail,
        format!(
            "{id} asks for GatewayClass {}, which is not in the input: no controller serves it",
            code(class_name)
        ),
    )
    .evidence([format!("Gateway {id}{}", at(&claim.gateway.origin.field_location("spec.gatewayClassName")))])
    .fix(fix)
    .kubectl("kubectl get gatewayclass");
    walk.block(step)
}

/// Whether the class's controller accepted it: a rejected class blocks;
/// an unknown controller without status warns.
fn acceptance_status(
    walk: &mut Walk,
    class_name: &str,
    controller_name: &str,
    acceptance: Option<Acceptance>,
    evidence: &mut Vec<String>,
) -> Flow<Status> {
    match acceptance {
        Some(Acceptance::Rejected { reason, message }) => {
            let step = Step::new(
                Layer::Gateway,
                Status::Fail,
                format!("the GatewayClass {} is not accepted by its controller ({}): no Gateway of the class is served", code(class_name), code(&reason)),
            )
            .evidence(evidence.drain(..).chain([format!("`Accepted: False`: {message}")]))
            .fix("fix the GatewayClass as its `Accepted` condition says")
            .kubectl(format!("kubectl describe gatewayclass {}", quote(class_name)));
            walk.block(step)
        }
        Some(Acceptance::Accepted) => {
            evidence.push("`Accepted: True` in its status".to_owned());
            Ok(Status::Pass)
        }
        Some(Acceptance::Assumed) => {
            evidence.push("accepted, assumed: the input has no status".to_owned());
            Ok(Status::Pass)
        }
        Some(Acceptance::UnknownController) | None => {
            evidence.push(format!("controller {} is not one kubereach knows; the input has no status saying it accepted the class", code(controller_name)));
            Ok(Status::Warn)
        }
    }
}

/// Who connects to the backends, as [`gateway_proxies`] decides it: a
/// ready proxy pod, the outside for a cloud load balancer, or the
/// symbolic controller; proxy pods none of which is ready block.
fn proxies_client(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    claim: &Claim<'_>,
    product: &str,
    evidence: &mut Vec<String>,
) -> Flow<Client> {
    let cluster = ctx.cluster;
    match gateway_proxies(cluster, &claim.gateway.value) {
        Proxies::Pods(pods) => {
            evidence.push(format!("the Gateway's proxies: {}", proxy_workloads(ctx, &pods)));
            Ok(Client::Pod(pods[0]))
        }
        Proxies::Outside => {
            evidence.push(format!(
                "{product} is a load balancer outside the cluster: its connections come from outside"
            ));
            Ok(Client::External(None))
        }
        Proxies::Symbolic => {
            evidence.push("the Gateway's proxies are not in the input: policies are checked against a pod of an unlabelled namespace of its own".to_owned());
            Ok(Client::IngressController)
        }
        Proxies::NotReady(pods) => {
            let gateway = &claim.gateway.value;
            let first = cluster.pod(pods[0]);
            let step = Step::new(
                Layer::Gateway,
                Status::Fail,
                format!("no proxy of {} is ready: the Service in front of them has no ready endpoints, so nothing answers on the Gateway's address", gateway_id(gateway)),
            )
            .evidence(evidence.drain(..).chain([format!("the Gateway's proxies: {}, none ready", proxy_workloads(ctx, &pods))]))
            .fix("make the Gateway's proxy pods ready: their conditions and events say why they are not")
            .kubectl(format!("kubectl describe pod -n {} {}", quote(&first.namespace), quote(&first.name)));
            walk.block(step)
        }
    }
}

/// `` `infra/envoy` (2 pods) ``: the workloads of `pods` and how many pods they are.
fn proxy_workloads(ctx: &Ctx<'_, '_>, pods: &[PodId]) -> String {
    let cluster = ctx.cluster;
    let replicas: u32 = pods.iter().map(|p| cluster.pod(*p).replicas).sum();
    let workloads: BTreeSet<String> =
        pods.iter().map(|p| code(cluster.workload_ref(cluster.pod(*p)).id())).collect();
    let workloads: Vec<String> = workloads.into_iter().collect();
    format!("{} ({})", workloads.join(", "), count(replicas, "pod"))
}

/// The listener's certificates, for HTTPS: a missing Secret (when the
/// input holds Secrets) blocks; without any Secret in the input, warns.
fn tls_evidence(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    claim: &Claim<'_>,
    status: &mut Status,
    evidence: &mut Vec<String>,
) -> Flow<()> {
    let gateway = &claim.gateway.value;
    let listener = &gateway.spec.listeners[claim.listener];
    let id = gateway_id(gateway);
    let field = format!("spec.listeners[{}].tls", claim.listener);
    for (reference, namespace, state) in certificates(ctx.cluster, claim.gateway, listener) {
        let secret = code(format!("{namespace}/{}", reference.name));
        let blocking = match state {
            Certificate::Present => {
                evidence.push(format!("certificate: Secret {secret}"));
                None
            }
            Certificate::CertManager { annotation } => {
                evidence.push(format!("certificate: Secret {secret}, created by cert-manager (annotation {})", code(annotation)));
                None
            }
            Certificate::OtherKind => {
                evidence.push(format!("certificate: {} {}, not checked", code(reference.kind.as_deref().unwrap_or_default()), code(&reference.name)));
                None
            }
            Certificate::Missing if ctx.cluster.secrets().is_empty() => {
                *status = Status::Warn;
                evidence.push(format!("certificate: Secret {secret}, not checked: the input holds no Secrets"));
                None
            }
            Certificate::Missing => Some((
                format!("listener {} of {id} refers to Secret {secret}, which does not exist: the listener serves no TLS (`ResolvedRefs: False`, `InvalidCertificateRef`)", code(&listener.name)),
                format!("create the TLS Secret {secret}, or annotate {id} with `cert-manager.io/cluster-issuer` so that cert-manager creates it"),
            )),
            Certificate::RefNotPermitted => Some((
                format!("listener {} of {id} refers to Secret {secret} in another namespace, and no ReferenceGrant there allows it (`RefNotPermitted`): the listener serves no TLS", code(&listener.name)),
                format!("add a ReferenceGrant in namespace {} from `Gateway`s of {} to `Secret`s", code(&namespace), code(gateway.metadata.namespace.as_deref().unwrap_or("default"))),
            )),
        };
        if let Some((summary, fix)) = blocking {
            let step = Step::new(Layer::Gateway, Status::Fail, summary)
                .evidence([format!("`certificateRefs`{}", at(&claim.gateway.origin.field_location(&field)))])
                .fix(fix)
                .kubectl(kubectl_gateway(gateway));
            return walk.block(step);
        }
    }
    Ok(())
}

/// The `route` layer: the rule that takes the request and its backend.
fn route_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    claim: &Claim<'c>,
    request: &Request,
) -> Flow<Option<(&'c Object<Service>, i32)>> {
    let gateway = &claim.gateway.value;
    let listener = &gateway.spec.listeners[claim.listener];
    let id = gateway_id(gateway);
    let what = format!("`{} {}`", request.method, request.path);
    if matches!(listener.protocol.as_str(), "TLS" | "TCP" | "UDP") {
        return super::stream_layers::route_step(ctx, walk, claim, &request.host);
    }
    if !matches!(listener.protocol.as_str(), "HTTP" | "HTTPS") {
        let step = Step::new(
            Layer::Route,
            Status::Warn,
            format!("listener {} of {id} is `{}`, a protocol of its implementation: its routes are not modelled, so the path beyond the Gateway is not checked", code(&listener.name), listener.protocol),
        );
        walk.add(step)?;
        return Ok(None);
    }
    let routing = route_request(&claim.routes, request);
    let kubectl = "kubectl get httproute,grpcroute -A".to_owned();
    if routing.host_routes.is_empty() {
        let (evidence, fix) = why_no_route(ctx, claim, &request.host);
        let step = Step::new(
            Layer::Route,
            Status::Fail,
            format!(
                "no route attached to listener {} of {id} serves {}: the Gateway answers 404",
                code(&listener.name),
                code(&request.host)
            ),
        )
        .evidence(evidence)
        .fix(fix)
        .kubectl(kubectl);
        return walk.block(step);
    }
    let Some(chosen) = routing.chosen else {
        let routes: Vec<String> = routing
            .host_routes
            .iter()
            .map(|r| format!("{} {}{}", r.kind(), code(r.id()), at(&r.origin().location())))
            .collect();
        if !routing.unevaluated.is_empty() {
            let step = Step::new(Layer::Route, Status::Warn, format!("no rule that kubereach evaluates takes {what}; rules with `RegularExpression` matches, which are implementation-specific, are not evaluated, so the path beyond the Gateway is not checked"))
                .evidence(routes);
            walk.add(step)?;
            return Ok(None);
        }
        let step = Step::new(
            Layer::Route,
            Status::Fail,
            format!(
                "routes serve {} but no rule matches {what}: the Gateway answers 404",
                code(&request.host)
            ),
        )
        .evidence(routes)
        .fix(format!(
            "add a rule that matches {what}, e.g. `matches: [{{path: {{type: PathPrefix, value: /}}}}]`"
        ))
        .kubectl(kubectl);
        return walk.block(step);
    };
    rule_outcome(ctx, walk, &chosen, &routing.shadowed, routing.age_unknown, request)
}

fn rule_outcome<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    chosen: &RuleMatch<'c>,
    shadowed: &[RuleMatch<'c>],
    age_unknown: bool,
    request: &Request,
) -> Flow<Option<(&'c Object<Service>, i32)>> {
    let route = chosen.route;
    let rule_field = format!("spec.rules[{}]", chosen.rule);
    let what = format!("`{} {}`", request.method, request.path);
    let mut evidence = vec![format!(
        "{} {} rule {}: {}{}",
        route.kind(),
        code(route.id()),
        chosen.rule,
        chosen.matched.join(", "),
        at(&route.origin().field_location(&rule_field))
    )];
    if let Some(hostname) = &chosen.hostname {
        evidence.push(format!("route hostname {}", code(hostname)));
    }
    for other in shadowed.iter().take(3) {
        evidence.push(format!(
            "also matches, lower in precedence: {} {} rule {} ({})",
            other.route.kind(),
            code(other.route.id()),
            other.rule,
            other.matched.join(", ")
        ));
    }
    if age_unknown {
        evidence.push(
            "the tie was broken by name: the input has no creation timestamps, and the oldest route wins"
                .to_owned(),
        );
    }
    let summary = format!("rule {} of {} {} takes {what}", chosen.rule, route.kind(), code(route.id()));
    let kubectl = format!(
        "kubectl describe {} -n {} {}",
        route.kind().to_ascii_lowercase(),
        quote(route.namespace()),
        quote(route.name())
    );
    if let Some(redirect) = redirect(chosen.filters, request) {
        evidence.push("no backend is reached: the Gateway answers the request itself".to_owned());
        walk.add(
            Step::new(
                Layer::Route,
                Status::Pass,
                format!("{summary}: it answers with a redirect to {redirect}"),
            )
            .evidence(evidence)
            .kubectl(kubectl),
        )?;
        return Ok(None);
    }
    evidence.extend(rewrites(chosen.filters));
    let backends = backends_of(ctx, chosen);
    let empty = || {
        (
            format!("{summary}, but it has no backend with a weight above 0: the Gateway answers 500"),
            format!("add a `backendRefs` entry to rule {} of {}", chosen.rule, code(route.id())),
        )
    };
    let step = BackendStep { route, summary: &summary, kubectl: &kubectl, empty: &empty };
    backend_outcome(walk, &step, &backends, evidence)
}

/// Where a `RequestRedirect` filter sends the client, if the rule has one.
fn redirect(filters: &[HttpRouteFilter], request: &Request) -> Option<String> {
    let redirect =
        filters.iter().find(|f| f.type_ == "RequestRedirect")?.request_redirect.clone().unwrap_or_default();
    let scheme = redirect.scheme.as_deref().unwrap_or("the same scheme");
    let host = redirect.hostname.as_deref().unwrap_or(&request.host);
    let path = match redirect.path.as_ref() {
        Some(p) if p.type_ == "ReplaceFullPath" => p.replace_full_path.clone().unwrap_or_default(),
        Some(p) => format!(
            "{} (the matched prefix replaced by `{}`)",
            request.path,
            p.replace_prefix_match.as_deref().unwrap_or_default()
        ),
        None => request.path.clone(),
    };
    let port = redirect.port.map(|p| format!(":{p}")).unwrap_or_default();
    let status = redirect.status_code.unwrap_or(302);
    Some(if scheme == "the same scheme" {
        format!("`{host}{port}{path}` ({status})")
    } else {
        format!("`{scheme}://{host}{port}{path}` ({status})")
    })
}

/// How `URLRewrite` filters change what the backend receives.
fn rewrites(filters: &[HttpRouteFilter]) -> Vec<String> {
    filters
        .iter()
        .filter_map(|f| f.url_rewrite.as_ref())
        .map(|rewrite| {
            let mut parts = Vec::new();
            if let Some(host) = &rewrite.hostname {
                parts.push(format!("host {}", code(host)));
            }
            if let Some(path) = &rewrite.path {
                let value = path
                    .replace_full_path
                    .as_deref()
                    .or(path.replace_prefix_match.as_deref())
                    .unwrap_or_default();
                parts.push(format!("path {} ({})", code(value), code(&path.type_)));
            }
            format!("`URLRewrite`: the backend receives {}", parts.join(" and "))
        })
        .collect()
}
