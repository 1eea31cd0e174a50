//! The connection from outside to an ingress controller's own pods,
//! through the Service that exposes them: the address those pods' ingress
//! policies see is decided as for any Service ([`source_at_pods`]), and
//! judged by [`snat_layers::judge_sources`]. Behind
//! `externalTrafficPolicy: Cluster` (the API's default), the receiving
//! node SNATs the client to its own address, so the controller's policies
//! are judged once per node; with `Local` they see the client's address
//! (<https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-loadbalancer>).
//! The verdict goes on the `ingress-class` step, the layer where the
//! controller is reached.

use std::net::IpAddr;

use super::policy_layers::SnatSeen;
use super::snat_layers::{self, SourcesJudged};
use super::text::code;
use super::{exposure_steps, policy_layers};
use super::{Backend, Blocked, Client, Ctx, Flow, Hop, Layer, Status, Walk};
use crate::exposure::{exposing_port, source_at_pods, ServiceArrival, SourceAtPods};
use crate::ingress::ClassResolution;
use crate::model::PodId;
use crate::ports::Protocol;
use crate::service::resolve_target_port;
use crate::shell::quote;

/// Judges the controller pods' ingress policies for `client`'s connection
/// on `port`, arriving through the controller's Service. Silent when no
/// policy takes part; a warning when only some nodes' addresses are
/// admitted; a block when none is.
pub(super) fn controller_policies(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    class: &ClassResolution,
    port: u16,
) -> Flow<()> {
    let Some(controller) = class.controller.as_ref().filter(|c| c.in_cluster == Some(true)) else {
        return Ok(());
    };
    if !matches!(client, Client::External(_)) {
        return Ok(());
    }
    let Some(ServiceArrival { service, port: service_port, arrival }) =
        exposing_port(ctx.cluster, &controller.pods, i32::from(port))
    else {
        return Ok(());
    };
    let backends: Vec<Backend> = ctx
        .cluster
        .pods_selected_by_service(&service.value)
        .into_iter()
        .filter(|id| controller.pods.contains(id))
        .filter_map(|id| {
            let target = resolve_target_port(service_port, ctx.cluster.pod(id)).ok()?;
            Some(controller_backend(ctx, id, target))
        })
        .collect();
    let (nodes, clients, snat) = match source_at_pods(ctx.cluster, &service.value, arrival) {
        SourceAtPods::Client => (Vec::new(), vec![client], false),
        SourceAtPods::Node { addresses } if addresses.is_empty() => {
            (Vec::new(), vec![Client::External(None)], true)
        }
        SourceAtPods::Node { addresses } => {
            let clients = addresses.iter().map(|(_, a)| Client::External(Some(*a))).collect();
            (addresses, clients, true)
        }
    };
    let judgement = snat_layers::judge_sources(ctx, &clients, &backends);
    let involved = judgement
        .judged
        .iter()
        .flatten()
        .any(|j| j.explanation.as_ref().is_some_and(|e| e.policies_involved()));
    if backends.is_empty() || !involved {
        return Ok(());
    }
    let hop = Hop { service: Some(&service.value), service_port: Some(service_port.port) };
    let seen = Seen { nodes: &nodes, clients: &clients, snat };
    record(ctx, walk, &judgement, &seen, hop)
}

/// Whom the controller's pods see: the nodes' addresses (SNAT), or the client.
struct Seen<'a> {
    nodes: &'a [(String, IpAddr)],
    clients: &'a [Client],
    snat: bool,
}

/// The verdict on the `ingress-class` step.
fn record(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    judgement: &SourcesJudged,
    seen: &Seen<'_>,
    hop: Hop<'_>,
) -> Flow<()> {
    let who = if seen.snat && !seen.nodes.is_empty() {
        format!(
            "the address of the node that receives it (`externalTrafficPolicy: Cluster`): {}",
            exposure_steps::node_addresses_text(seen.nodes)
        )
    } else if seen.snat {
        "a node's address (`externalTrafficPolicy: Cluster`; the input shows no node addresses)".to_owned()
    } else {
        "the client's own address (`externalTrafficPolicy: Local`)".to_owned()
    };
    if judgement.denied.is_empty() {
        walk.note(
            Layer::IngressClass,
            [format!("the controller's pods see {who}, and their policies admit it")],
        );
        return Ok(());
    }
    let first = judgement.denied[0];
    let Some(denying) = judgement.judged[first].iter().find(|j| !j.ingress) else { return Ok(()) };
    let port = denying.backend.port;
    let mut evidence: Vec<String> = denying
        .explanation
        .iter()
        .flat_map(|e| policy_layers::direction_evidence(&e.ingress, Protocol::Tcp, port as u16))
        .collect();
    evidence.push(format!("the controller's pods see {who}"));
    let denied_nodes: Vec<(String, IpAddr)> =
        judgement.denied.iter().filter_map(|&i| seen.nodes.get(i).cloned()).collect();
    let snat = SnatSeen { nodes: &denied_nodes, hidden: seen.snat && seen.nodes.is_empty() };
    let fix = policy_layers::ingress_fix(ctx, seen.clients[first], denying, hop, Protocol::Tcp, snat);
    let (status, summary) = if judgement.none_admitted {
        (Status::Fail, format!("the ingress controller's pods do not admit the connection on TCP {port}: their policies deny what they see"))
    } else {
        let blocked: Vec<String> =
            judgement.denied.iter().filter_map(|&i| seen.nodes.get(i)).map(|(n, _)| code(n)).collect();
        (Status::Warn, format!("the ingress controller's pods do not admit connections arriving through {} on TCP {port}: the node SNATs them to its own address; through the other nodes they get through", blocked.join(", ")))
    };
    let namespace = denying.backend.pod.map(|p| ctx.cluster.pod(p).namespace.clone()).unwrap_or_default();
    amend_class_step(
        walk,
        status,
        summary,
        evidence,
        fix,
        format!("kubectl get networkpolicy -n {}", quote(&namespace)),
    )
}

/// Turns the `ingress-class` step into the policies' verdict, keeping what
/// it said as the first evidence; a failing step stops the walk.
fn amend_class_step(
    walk: &mut Walk,
    status: Status,
    summary: String,
    evidence: Vec<String>,
    fix: String,
    kubectl: String,
) -> Flow<()> {
    let Some(step) = walk.steps.iter_mut().find(|s| s.layer == Layer::IngressClass) else { return Ok(()) };
    let before = std::mem::replace(&mut step.summary, summary);
    step.evidence.insert(0, before);
    step.evidence.extend(evidence);
    step.status = status;
    step.fix = fix;
    step.kubectl = Some(kubectl);
    if status == Status::Fail {
        return Err(Blocked);
    }
    Ok(())
}

fn controller_backend(ctx: &Ctx<'_, '_>, id: PodId, port: i32) -> Backend {
    Backend {
        pod: Some(id),
        address: ctx.cluster.pod(id).ips().first().and_then(|a| a.parse().ok()),
        port,
        replicas: ctx.replicas(id),
        name: ctx.pod_name(id),
    }
}
