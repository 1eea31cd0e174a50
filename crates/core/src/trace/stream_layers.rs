//! The `route` layer through a Gateway's `TLS`, `TCP` or `UDP` listener:
//! the TLSRoute for the connection's SNI name, or the TCPRoute or UDPRoute
//! attached to the listener, and its backends. The semantics are
//! [`crate::gateway::stream`]'s; this module words them.

use k8s_openapi::api::core::v1::Service;

use super::gateway_backends::{backend_outcome, gateway_id, why_no_route, BackendStep};
use super::text::{at, code};
use super::{Ctx, Flow, Layer, Status, Step, Walk};
use crate::gateway::backend::resolve_backend;
use crate::gateway::claim::Claim;
use crate::gateway::stream::{experimental, stream_route, StreamRouting};
use crate::gateway::types::Listener;
use crate::gateway::AnyRoute;
use crate::model::Object;

/// The `route` step for a connection to `host` on the claim's listener.
pub(super) fn route_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    claim: &Claim<'c>,
    host: &str,
) -> Flow<Option<(&'c Object<Service>, i32)>> {
    let listener = &claim.gateway.value.spec.listeners[claim.listener];
    let kind = match listener.protocol.as_str() {
        "TLS" => "TLSRoute",
        "TCP" => "TCPRoute",
        _ => "UDPRoute",
    };
    let sni = (kind == "TLSRoute").then_some(host);
    let routing = stream_route(&claim.routes, sni);
    let Some((route, hostname)) = &routing.chosen else {
        return no_route(ctx, walk, claim, kind, host);
    };
    let evidence = route_evidence(listener, kind, *route, hostname.as_deref(), sni, &routing);
    let backends: Vec<_> = route
        .backend_refs()
        .into_iter()
        .map(|(_, field, b)| (field, resolve_backend(ctx.cluster, route.kind(), route.namespace(), b)))
        .collect();
    let summary = format!("the connection goes to {kind} {}", code(route.id()));
    let empty = || {
        (
            format!(
                "{summary}, but it has no backend with a weight above 0: the Gateway refuses the connection"
            ),
            format!("add a `backendRefs` entry to {kind} {}", code(route.id())),
        )
    };
    let kubectl =
        format!("kubectl describe {} -n {} {}", kind.to_ascii_lowercase(), route.namespace(), route.name());
    let step = BackendStep { route: *route, summary: &summary, kubectl: &kubectl, empty: &empty };
    backend_outcome(walk, &step, &backends, evidence)
}

/// No route of `kind` takes the connection: the Gateway ends the TLS
/// handshake (no TLSRoute for the SNI name) or refuses the connection.
fn no_route<T>(ctx: &Ctx<'_, '_>, walk: &mut Walk, claim: &Claim<'_>, kind: &str, host: &str) -> Flow<T> {
    let listener = &claim.gateway.value.spec.listeners[claim.listener];
    let id = gateway_id(&claim.gateway.value);
    let (evidence, fix) = why_no_route(ctx, claim, host);
    let what = if kind == "TLSRoute" {
        format!("serves the SNI name {}: the Gateway ends the TLS handshake", code(host))
    } else {
        "takes its connections: the Gateway refuses them".to_owned()
    };
    let fix = if evidence.is_empty() {
        format!("add a {kind} with a parentRef to Gateway {id} (sectionName {})", code(&listener.name))
    } else {
        fix
    };
    let step = Step::new(
        Layer::Route,
        Status::Fail,
        format!("no {kind} attached to listener {} of {id} {what}", code(&listener.name)),
    )
    .evidence(evidence)
    .fix(fix)
    .kubectl(format!("kubectl get {} -A", kind.to_ascii_lowercase()));
    walk.block(step)
}

/// Why `route` takes the connection: the SNI name it matched, how TLS is
/// handled, its release channel, and the routes that lose the conflict.
fn route_evidence(
    listener: &Listener,
    kind: &str,
    route: AnyRoute<'_>,
    hostname: Option<&str>,
    sni: Option<&str>,
    routing: &StreamRouting<'_>,
) -> Vec<String> {
    let mut evidence = Vec::new();
    let taken = match (hostname, sni) {
        (Some(name), Some(sni)) => format!("SNI name {} matches route hostname {}", code(sni), code(name)),
        (None, Some(sni)) => {
            format!("the route names no hostname: it takes every SNI name, {} included", code(sni))
        }
        _ => "every connection to the listener's port".to_owned(),
    };
    evidence.push(format!("{kind} {}: {taken}{}", code(route.id()), at(&route.origin().location())));
    if kind == "TLSRoute" {
        let mode = listener.tls.as_ref().and_then(|t| t.mode.as_deref()).unwrap_or("Terminate");
        evidence.push(match mode {
            "Passthrough" => "`tls.mode: Passthrough`: the Gateway forwards the encrypted stream; the backend terminates TLS".to_owned(),
            _ => "`tls.mode: Terminate`: the Gateway terminates TLS and forwards the plain stream".to_owned(),
        });
    }
    if let Some(channel) = experimental(kind) {
        evidence.push(format!(
            "{kind} is in Gateway API's {channel}: its CRD must be installed from that channel"
        ));
    }
    for other in routing.conflicting.iter().take(3) {
        evidence.push(format!(
            "{} {} claims it too and loses: the oldest route, then the first by namespace/name, wins{}",
            other.kind(),
            code(other.id()),
            at(&other.origin().location())
        ));
    }
    if routing.age_unknown {
        evidence.push(
            "the tie was broken by name: the input has no creation timestamps, and the oldest route wins"
                .to_owned(),
        );
    }
    evidence
}
