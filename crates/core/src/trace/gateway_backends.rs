//! What a Gateway route's rule leads to, shared by the HTTP path
//! (`gateway_layers`) and the TCP/TLS path (`stream_layers`): its backends
//! (valid, invalid, weighted) and why no route serves a host.

use k8s_openapi::api::core::v1::Service;

use super::text::{at, code, either};
use super::{Ctx, Flow, Layer, Status, Step, Walk};
use crate::gateway::attach::{attachments, Attachment};
use crate::gateway::backend::{resolve_backend, BackendProblem, ResolvedBackend};
use crate::gateway::claim::Claim;
use crate::gateway::listener::{default_route_kinds, hostname_matches, NotAllowed};
use crate::gateway::matching::RuleMatch;
use crate::gateway::types::Gateway;
use crate::gateway::{object_id, AnyRoute};
use crate::model::Object;
use crate::service::ServiceRef;

pub(super) fn gateway_id(gateway: &Gateway) -> String {
    code(object_id(&gateway.metadata))
}

/// Why no attached route serves `host`: the routes that name it and
/// point at this Gateway, and why each does not attach.
pub(super) fn why_no_route(ctx: &Ctx<'_, '_>, claim: &Claim<'_>, host: &str) -> (Vec<String>, String) {
    let mut evidence = Vec::new();
    let mut fix = None;
    let listener = &claim.gateway.value.spec.listeners[claim.listener];
    for route in ctx.cluster.gateway_api().routes() {
        // Routes of another protocol's kind (a TCPRoute for an HTTP listener) are no candidates.
        if !default_route_kinds(&listener.protocol).contains(&route.kind()) {
            continue;
        }
        let names_host = route.hostnames().is_empty()
            || route.hostnames().iter().any(|name| hostname_matches(Some(name), host).is_some());
        if !names_host {
            continue;
        }
        for attachment in attachments(ctx.cluster, route) {
            let (reason, remedy) = match &attachment.outcome {
                Attachment::Attached { gateway, .. } if std::ptr::eq(*gateway, claim.gateway) => {
                    ("attached to another listener".to_owned(), format!("attach it to listener {} with `sectionName`", code(&claim.gateway.value.spec.listeners[claim.listener].name)))
                }
                Attachment::NotAllowedByListeners { gateway, reason } if std::ptr::eq(*gateway, claim.gateway) => match reason {
                    NotAllowed::Namespace(rule) => (
                        format!("not allowed by the listeners (`NotAllowedByListeners`): {rule}"),
                        format!("allow namespace {} in the listener's `allowedRoutes.namespaces`, or move the route", code(route.namespace())),
                    ),
                    NotAllowed::Kind(kinds) => (
                        format!("not allowed by the listeners (`NotAllowedByListeners`): they take {}", either(&kinds.iter().map(code).collect::<Vec<_>>())),
                        format!("add `{}` to the listener's `allowedRoutes.kinds`", route.kind()),
                    ),
                },
                Attachment::NoMatchingListenerHostname { gateway } if std::ptr::eq(*gateway, claim.gateway) => (
                    "its hostnames intersect no listener's (`NoMatchingListenerHostname`)".to_owned(),
                    "make the route's `hostnames` and the listener's `hostname` intersect".to_owned(),
                ),
                Attachment::NoMatchingParent { gateway } if std::ptr::eq(*gateway, claim.gateway) => (
                    "its `sectionName` or `port` names no listener of the Gateway (`NoMatchingParent`)".to_owned(),
                    format!("set `sectionName: {}` in its parentRef", claim.gateway.value.spec.listeners[claim.listener].name),
                ),
                _ => continue,
            };
            let field = format!("spec.parentRefs[{}]", attachment.index);
            evidence.push(format!(
                "{} {} names the host but does not attach: {reason}{}",
                route.kind(),
                code(route.id()),
                at(&route.origin().field_location(&field))
            ));
            fix.get_or_insert(format!("in {} {}, {remedy}", route.kind(), code(route.id())));
        }
    }
    let fix = fix.unwrap_or_else(|| {
        format!(
            "add an HTTPRoute for {} with a parentRef to Gateway {}",
            code(host),
            gateway_id(&claim.gateway.value)
        )
    });
    (evidence, fix)
}

/// What the `route` step says when its rule took the request: its
/// summary, its kubectl line, and the summary and fix when no backend
/// has a weight above 0.
pub(super) struct BackendStep<'a, 'c> {
    pub(super) route: AnyRoute<'c>,
    pub(super) summary: &'a str,
    pub(super) kubectl: &'a str,
    pub(super) empty: &'a dyn Fn() -> (String, String),
}

/// The `route` step's end: the backends of the rule that took the request,
/// the first valid one with a weight above 0 followed, the invalid ones
/// said (a warning when some weight still reaches a valid one).
pub(super) fn backend_outcome<'c>(
    walk: &mut Walk,
    step: &BackendStep<'_, 'c>,
    backends: &[(String, ResolvedBackend<'c>)],
    mut evidence: Vec<String>,
) -> Flow<Option<(&'c Object<Service>, i32)>> {
    let mut valid: Option<(&'c Object<Service>, i32)> = None;
    let mut first_problem = None;
    let mut broken_weight = 0;
    let total: i32 = backends.iter().map(|(_, b)| b.weight.max(0)).sum();
    for (name, backend) in backends {
        let (line, problem) = describe_backend(step.route, name, backend);
        evidence.push(line);
        match (&backend.problem, backend.service, backend.port) {
            (None, Some(service), Some(port)) if backend.weight > 0 => {
                valid.get_or_insert((service, port));
            }
            (Some(_), _, _) if backend.weight > 0 => {
                broken_weight += backend.weight;
                first_problem.get_or_insert(problem);
            }
            _ => {}
        }
    }
    let Some((service, port)) = valid else {
        let (summary, fix) = first_problem.flatten().unwrap_or_else(step.empty);
        return walk.block(
            Step::new(Layer::Route, Status::Fail, summary).evidence(evidence).fix(fix).kubectl(step.kubectl),
        );
    };
    let status = if broken_weight > 0 {
        evidence.push(format!(
            "{broken_weight} of {total} weight goes to invalid backends: those requests get 500"
        ));
        Status::Warn
    } else {
        Status::Pass
    };
    let summary =
        format!("{} → Service {} port {port}", step.summary, code(ServiceRef::of(&service.value).id()));
    walk.add(Step::new(Layer::Route, status, summary).evidence(evidence).kubectl(step.kubectl))?;
    Ok(Some((service, port)))
}

pub(super) fn backends_of<'c>(
    ctx: &Ctx<'_, 'c>,
    chosen: &RuleMatch<'c>,
) -> Vec<(String, ResolvedBackend<'c>)> {
    let route = chosen.route;
    route
        .backend_refs()
        .into_iter()
        .filter(|(rule, _, _)| *rule == chosen.rule)
        .map(|(_, field, b)| (field, resolve_backend(ctx.cluster, route.kind(), route.namespace(), b)))
        .collect()
}

type Problem = Option<(String, String)>;

/// A line of evidence for a backend, and when it is invalid, the summary and fix.
fn describe_backend(route: AnyRoute<'_>, field: &str, backend: &ResolvedBackend<'_>) -> (String, Problem) {
    let name = route
        .backend_refs()
        .into_iter()
        .find(|(_, f, _)| f == field)
        .map(|(_, _, b)| b.name.clone())
        .unwrap_or_default();
    let service = code(format!("{}/{name}", backend.namespace));
    let port = backend.port.map_or_else(|| "no port".to_owned(), |p| format!("port {p}"));
    let mut line = format!(
        "backend Service {service} {port} (weight {}){}",
        backend.weight,
        at(&route.origin().field_location(field))
    );
    if let Some(grant) = backend.grant {
        line.push_str(&format!(
            "; ReferenceGrant {}{} allows it",
            code(object_id(&grant.value.metadata)),
            at(&grant.origin.location())
        ));
    }
    let id = code(route.id());
    let problem = backend.problem.as_ref().map(|problem| match problem {
        BackendProblem::NotAService { kind } => (
            format!("the backend of {id} is a {}, not a Service: kubereach models Services only", code(kind)),
            "trace the backend with the tools of its implementation".to_owned(),
        ),
        BackendProblem::RefNotPermitted => (
            format!("backend Service {service} is in another namespace, and no ReferenceGrant in {} allows {}s of {} (`ResolvedRefs: False`, `RefNotPermitted`): requests get 500", code(&backend.namespace), route.kind(), code(route.namespace())),
            format!("add a ReferenceGrant in namespace {} with `from: [{{group: gateway.networking.k8s.io, kind: {}, namespace: {}}}]` and `to: [{{group: \"\", kind: Service}}]`", code(&backend.namespace), route.kind(), route.namespace()),
        ),
        BackendProblem::ServiceNotFound => (
            format!("backend Service {service} of {id} does not exist (`BackendNotFound`): requests get 500"),
            format!("create Service {service}, or fix the backendRef's name"),
        ),
        BackendProblem::PortMissing => (
            format!("the backendRef to Service {service} in {id} has no `port`, which a Service needs: the route's backend is invalid"),
            "set `port` to a port of the Service".to_owned(),
        ),
        BackendProblem::PortNotInService { port, ports } => {
            let ports: Vec<String> = ports.iter().map(code).collect();
            (
                format!("port {} is not a port of Service {service} (its ports: {}): a backendRef names the Service's port, not the container's; requests get 500", port, ports.join(", ")),
                format!("set `port` of the backendRef to {}", either(&ports)),
            )
        }
    });
    (line, problem)
}
