//! The `network-policy-egress`, `network-policy-ingress`, `cni` and
//! `destination` layers, on the backends a connection ends at (after DNAT).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

pub(super) use super::final_layers::{cni_step, destination_step};
use super::intended::intended_block;
use super::native_steps::{fqdn_caveat, l7_caveat, native_denial};
use super::text::{
    at, code, count, identifying_labels, labels_text, node_blocks, pod_id, policy_name, rule_name,
};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Walk};
use crate::cni::{cilium_entities_fix, NodePeer, FORWARDED_ENTITIES, FORWARDED_WHY, NODE_ENTITIES};
use crate::model::{Cluster, PodId};
use crate::policy::{
    host_network_addresses, Direction, DirectionExplanation, Endpoint, Exemption, Explanation, IpRange, Tier,
    Verdict,
};
use crate::ports::Protocol;
use crate::service::{selector, PortRef};
use crate::shell::quote;

/// Whether any policy took part in `explanation`: an end is isolated, or an
/// admin tier decided part of it.
pub(super) fn involves_policies(explanation: &Explanation) -> bool {
    explanation.policies_involved()
}

/// Why `protocol`/`port` is denied, per direction, with the policies' locations.
pub(super) fn denial_evidence(explanation: &Explanation, protocol: Protocol, port: u16) -> Vec<String> {
    let mut evidence = Vec::new();
    for direction in [&explanation.egress, &explanation.ingress] {
        if !direction.allowed.contains(protocol, port) {
            evidence.extend(direction_evidence(direction, protocol, port));
        }
    }
    evidence
}

/// The facts of one direction for `protocol`/`port`.
pub(super) fn direction_evidence(
    direction: &DirectionExplanation,
    protocol: Protocol,
    port: u16,
) -> Vec<String> {
    let mut evidence = Vec::new();
    let which = match direction.direction {
        Direction::Egress => "egress",
        Direction::Ingress => "ingress",
    };
    if !direction.isolated_by.is_empty() {
        // The kind is named when it changes: `NetworkPolicy `a`, `b`, CiliumNetworkPolicy `c``.
        let mut kind = None;
        let policies: Vec<String> = direction
            .isolated_by
            .iter()
            .map(|p| {
                let name = if kind == Some(p.kind) { code(p.id()) } else { policy_name(p) };
                kind = Some(p.kind);
                format!("{name}{}", at(&p.location))
            })
            .collect();
        evidence.push(format!("isolated for {which} by {}", policies.join(", ")));
    }
    let deciding = direction.deciding_step(protocol, port);
    let peer = match direction.direction {
        Direction::Egress => "to this destination",
        Direction::Ingress => "from this client",
    };
    let only = if direction.allowed.is_empty() {
        String::new()
    } else {
        format!(": they allow only {} {peer}", direction.allowed)
    };
    if let Some(step) = deciding {
        match (step.verdict, &step.policy) {
            (Verdict::Allow, Some(policy)) => {
                let location = at(step.location.as_ref().unwrap_or(&policy.location));
                evidence.push(format!(
                    "{} allows {protocol} {port}{location}",
                    rule_name(step.rule, step.rule_name.as_deref(), policy)
                ));
            }
            (Verdict::Deny, Some(policy)) => {
                let location = at(step.location.as_ref().unwrap_or(&policy.location));
                evidence.push(format!(
                    "{} denies {protocol} {port}{location}",
                    rule_name(step.rule, step.rule_name.as_deref(), policy)
                ));
            }
            (Verdict::Deny, None) if step.tier == Tier::Baseline => {
                evidence.push(format!("the BaselineAdminNetworkPolicy denies {protocol} {port}"));
            }
            (Verdict::Deny, None) => {
                evidence.push(format!("no {which} rule of theirs allows {protocol} {port}{only}"));
            }
            _ => {}
        }
    }
    evidence
}

/// `Pass`, or `Warn` when L7 rules decide which requests get through
/// (the summary and evidence then say so).
fn l7_status(l7: Option<String>, summary: &mut String, evidence: &mut Vec<String>) -> Status {
    let Some(line) = l7 else { return Status::Pass };
    evidence.push(line);
    summary.push_str(", for the requests its L7 rules admit");
    Status::Warn
}

/// What a direction did for one backend.
pub(super) struct Judged {
    pub(super) backend: Backend,
    pub(super) explanation: Option<Explanation>,
    egress: bool,
    pub(super) ingress: bool,
    /// External sources with no address given: the blocks admitted, when
    /// only some are.
    partial_sources: Vec<IpRange>,
}

/// The policy layers, `cni` and `destination` for a connection ending at `backends`.
pub(super) fn policy_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    backends: &[Backend],
    hop: Hop<'_>,
) -> Flow<()> {
    let protocol = ctx.protocol;
    let judged: Vec<Judged> = backends.iter().map(|backend| judge(ctx, client, backend, protocol)).collect();
    let reachable_egress = egress_step(ctx, walk, client, &judged, hop)?;
    let survivors: Vec<&Judged> = judged.iter().filter(|j| reachable_egress.contains(&j.backend)).collect();
    let reachable = ingress_step(ctx, walk, client, &survivors, hop)?;
    cni_step(ctx, walk);
    destination_step(ctx, walk, &reachable)
}

pub(super) fn judge(ctx: &mut Ctx<'_, '_>, client: Client, backend: &Backend, protocol: Protocol) -> Judged {
    let engine = ctx.engine;
    let port = u16::try_from(backend.port).ok().filter(|p| *p != 0);
    let from = match client {
        Client::Pod(id) => Endpoint::Pod(id),
        Client::External(Some(address)) => Endpoint::External(IpRange::from_addr(address)),
        Client::External(None) => Endpoint::External(IpRange::ALL_V4),
        Client::IngressController => Endpoint::IngressController,
    };
    let to = match (backend.pod, backend.address) {
        (Some(pod), _) => Endpoint::Pod(pod),
        (None, Some(address)) => Endpoint::External(IpRange::from_addr(address)),
        (None, None) => {
            return Judged {
                backend: backend.clone(),
                explanation: None,
                egress: true,
                ingress: true,
                partial_sources: Vec::new(),
            };
        }
    };
    let Some(port) = port else {
        return Judged {
            backend: backend.clone(),
            explanation: None,
            egress: false,
            ingress: false,
            partial_sources: Vec::new(),
        };
    };
    let explanation = engine.explain(&from, &to);
    if involves_policies(&explanation) {
        ctx.policies.involved = true;
    }
    let exempt = explanation.exemption.is_some();
    let egress = exempt || explanation.egress.allowed.contains(protocol, port);
    let mut ingress = exempt || explanation.ingress.allowed.contains(protocol, port);
    let mut partial_sources = Vec::new();
    if client == Client::External(None) {
        // Every address of the range, not the block of its first address.
        ingress = engine.allowed(&from, &to).contains(protocol, port);
        if !ingress {
            partial_sources = engine
                .external_sources()
                .iter()
                .filter(|block| !block.is_v6())
                .filter(|block| engine.allowed(&Endpoint::External(**block), &to).contains(protocol, port))
                .copied()
                .collect();
        }
    }
    Judged { backend: backend.clone(), explanation: Some(explanation), egress, ingress, partial_sources }
}

/// The status of a policy denial at `layer`: a failure, or a warning when
/// the network plugin does not enforce NetworkPolicy (the `cni` layer then
/// says so).
pub(super) fn unenforced(ctx: &mut Ctx<'_, '_>, layer: Layer, summary: String) -> (Status, String) {
    if ctx.cni().network_policy.enforcement.assumed() {
        return (Status::Fail, summary);
    }
    ctx.policies.unenforced_denials.push(layer);
    let plugin =
        ctx.cni().network_policy.by.map_or_else(|| "the network plugin".to_owned(), |cni| code(cni.name()));
    (Status::Warn, format!("{summary}; but {plugin} does not enforce NetworkPolicy"))
}

fn weight(judged: &[&Judged]) -> u32 {
    judged.iter().map(|j| j.backend.replicas).sum()
}

fn client_name(ctx: &Ctx<'_, '_>, client: Client) -> String {
    match client {
        Client::Pod(id) => code(pod_id(ctx.cluster.pod(id))),
        Client::External(Some(address)) => code(address),
        Client::External(None) => "clients outside the cluster".to_owned(),
        Client::IngressController => "the ingress controller".to_owned(),
    }
}

fn egress_step(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    judged: &[Judged],
    hop: Hop<'_>,
) -> Flow<Vec<Backend>> {
    let all: Vec<Backend> = judged.iter().map(|j| j.backend.clone()).collect();
    let Client::Pod(id) = client else {
        let reason = match client {
            Client::IngressController => {
                "the controller's pods are not in the input: their egress is not known"
            }
            _ => "the client is outside the cluster: no egress policy of the cluster applies",
        };
        walk.skip(Layer::NetworkPolicyEgress, reason);
        return Ok(all);
    };
    let kubectl = format!("kubectl get networkpolicy -n {}", quote(&ctx.cluster.pod(id).namespace));
    let name = client_name(ctx, client);
    let protocol = ctx.protocol;
    let applies = judged.iter().filter_map(|j| j.explanation.as_ref()).all(|e| e.egress.policies_apply);
    if !applies {
        let step = Step::new(
            Layer::NetworkPolicyEgress,
            Status::Pass,
            format!("{name} uses the node's network: no egress policy applies to it"),
        )
        .kubectl(kubectl);
        walk.add(step)?;
        return Ok(all);
    }
    let allowed: Vec<&Judged> = judged.iter().filter(|j| j.egress).collect();
    let denied: Vec<&Judged> = judged.iter().filter(|j| !j.egress).collect();
    if denied.is_empty() {
        egress_allowed(ctx, walk, client, judged, &allowed, kubectl)?;
        return Ok(all);
    }
    let Some((j, explanation)) = denied.iter().find_map(|j| j.explanation.as_ref().map(|e| (*j, e))) else {
        // Denied with no policy consulted: the port itself is not one (the
        // API server rejects ports outside 1-65535; an EndpointSlice or
        // object the validation did not stop may still carry one).
        let port = denied.first().map_or(0, |j| j.backend.port);
        let summary = format!("port {port} is not a port number (1-65535): no connection can use it");
        return walk.block(Step::new(Layer::NetworkPolicyEgress, Status::Fail, summary));
    };
    if allowed.is_empty() {
        egress_denied(ctx, walk, id, (j, explanation), &denied, hop, kubectl)?;
        return Ok(all);
    }
    let mut evidence = direction_evidence(&explanation.egress, protocol, j.backend.port as u16);
    evidence.extend(denied.iter().map(|j| format!("denied to {}", j.backend.name)));
    let summary = format!(
        "egress of {name} reaches {} of {}",
        weight(&allowed),
        count(weight(&judged.iter().collect::<Vec<_>>()), "endpoint")
    );
    walk.add(
        Step::new(Layer::NetworkPolicyEgress, Status::Warn, summary).evidence(evidence).kubectl(kubectl),
    )?;
    Ok(allowed.iter().map(|j| j.backend.clone()).collect())
}

/// The `network-policy-egress` step when the client's egress reaches
/// every backend.
fn egress_allowed(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    judged: &[Judged],
    allowed: &[&Judged],
    kubectl: String,
) -> Flow<()> {
    if let Some(summary) = exempt_summary(ctx, client, allowed) {
        return walk.add(Step::new(Layer::NetworkPolicyEgress, Status::Pass, summary).kubectl(kubectl));
    }
    let protocol = ctx.protocol;
    let name = client_name(ctx, client);
    let first = judged.iter().find_map(|j| j.explanation.as_ref().map(|e| (j, e)));
    let isolated = first.is_some_and(|(_, e)| !e.egress.isolated_by.is_empty());
    let mut evidence = Vec::new();
    let mut l7 = None;
    if let Some((j, explanation)) = first {
        evidence = direction_evidence(&explanation.egress, protocol, j.backend.port as u16);
        l7 = l7_caveat(&explanation.egress, protocol, j.backend.port as u16);
    }
    let mut summary = if isolated || !evidence.is_empty() {
        format!("egress of {name} allows {protocol} {}", ports_of(allowed))
    } else {
        format!("{name} is not isolated for egress: no NetworkPolicy selects it for `Egress`")
    };
    let status = l7_status(l7, &mut summary, &mut evidence);
    walk.add(Step::new(Layer::NetworkPolicyEgress, status, summary).evidence(evidence).kubectl(kubectl))
}

/// The `network-policy-egress` step when the client's egress policies deny
/// every backend; `first` is the first denied backend a policy judged.
fn egress_denied(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    id: PodId,
    first: (&Judged, &Explanation),
    denied: &[&Judged],
    hop: Hop<'_>,
    kubectl: String,
) -> Flow<()> {
    let (j, explanation) = first;
    let (cluster, protocol, client) = (ctx.cluster, ctx.protocol, Client::Pod(id));
    let pod = cluster.pod(id);
    let mut evidence = direction_evidence(&explanation.egress, protocol, j.backend.port as u16);
    let destination = egress_destination(cluster, &pod.namespace, j, explanation, hop);
    let fix = match native_denial(&explanation.egress, protocol, j.backend.port as u16) {
        Some(native) => native.fix,
        None => {
            let fix = format!(
                "allow egress from pods {} in {} to {destination} on {protocol} {}",
                code(labels_text(&identifying_labels(cluster, pod))),
                code(&pod.namespace),
                j.backend.port
            );
            unless_intended(ctx, walk, client, Some(&explanation.egress), j.backend.port, fix, &mut evidence)
        }
    };
    let summary = format!(
        "egress policies of {} deny {protocol} {} to {}",
        client_name(ctx, client),
        j.backend.port,
        destination_phrase(denied)
    );
    let (status, summary) = unenforced(ctx, Layer::NetworkPolicyEgress, summary);
    walk.add(
        Step::new(Layer::NetworkPolicyEgress, status, summary).evidence(evidence).fix(fix).kubectl(kubectl),
    )
}

/// The destination an egress fix names: the node of a `hostNetwork` pod,
/// the backend's pods by their labels (with their namespace when it is
/// not the client's), or an `ipBlock` of an address outside the pods.
fn egress_destination(
    cluster: &Cluster,
    client_namespace: &str,
    judged: &Judged,
    explanation: &Explanation,
    hop: Hop<'_>,
) -> String {
    match judged.backend.pod {
        Some(target_id) if !explanation.ingress.policies_apply && cluster.pod(target_id).host_network() => {
            node_peer(cluster, target_id)
        }
        Some(target_id) => {
            let target = cluster.pod(target_id);
            let labels = destination_labels(cluster, hop.service, target_id);
            if target.namespace == client_namespace {
                format!("pods {}", code(labels))
            } else {
                format!("namespace {} pods {}", code(&target.namespace), code(labels))
            }
        }
        None => match judged.backend.address {
            Some(address) => format!("`ipBlock` {}", code(IpRange::from_addr(address).id())),
            None => "the destination".to_owned(),
        },
    }
}

/// `fix`, unless the denial in `direction` looks meant (a pod reaching
/// inside the cluster, [`intended_block`]): then no fix, and the evidence
/// says why the block looks meant.
fn unless_intended(
    ctx: &Ctx<'_, '_>,
    walk: &Walk,
    client: Client,
    direction: Option<&DirectionExplanation>,
    port: i32,
    fix: String,
    evidence: &mut Vec<String>,
) -> String {
    let intended = direction
        .filter(|_| walk.may_intend_block(client))
        .and_then(|d| intended_block(ctx.cluster, d, ctx.protocol, port as u16, &fix));
    match intended {
        Some(lines) => {
            evidence.extend(lines);
            String::new()
        }
        None => fix,
    }
}

pub(super) fn ingress_step(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    judged: &[&Judged],
    hop: Hop<'_>,
) -> Flow<Vec<Backend>> {
    let cluster = ctx.cluster;
    let all: Vec<Backend> = judged.iter().map(|j| j.backend.clone()).collect();
    let pods: Vec<&&Judged> = judged.iter().filter(|j| j.backend.pod.is_some()).collect();
    if pods.is_empty() {
        walk.skip(
            Layer::NetworkPolicyIngress,
            "the endpoints are not pods of the input: no policy of the cluster applies",
        );
        return Ok(all);
    }
    let namespace = pods[0].backend.pod.map(|p| cluster.pod(p).namespace.clone()).unwrap_or_default();
    let kubectl = format!("kubectl get networkpolicy -n {}", quote(&namespace));
    let applies = pods.iter().filter_map(|j| j.explanation.as_ref()).all(|e| e.ingress.policies_apply);
    if !applies {
        let step = Step::new(
            Layer::NetworkPolicyIngress,
            Status::Pass,
            "the destination uses the node's network: no ingress policy applies to it",
        )
        .kubectl(kubectl);
        walk.add(step)?;
        return Ok(all);
    }
    let allowed: Vec<&Judged> = judged.iter().copied().filter(|j| j.ingress).collect();
    let denied: Vec<&Judged> = judged.iter().copied().filter(|j| !j.ingress).collect();
    if denied.is_empty() {
        ingress_allowed(ctx, walk, client, pods[0], &allowed, kubectl)?;
        return Ok(all);
    }
    let j = denied.iter().find(|j| j.explanation.is_some()).copied().unwrap_or(denied[0]);
    let mut evidence = Vec::new();
    if let Some(explanation) = &j.explanation {
        evidence.extend(direction_evidence(&explanation.ingress, ctx.protocol, j.backend.port as u16));
    }
    if !j.partial_sources.is_empty() {
        let blocks: Vec<String> = j.partial_sources.iter().map(|b| code(b.id())).collect();
        evidence.push(format!("admitted only from {}", blocks.join(", ")));
    }
    let (hint, dnat_fix) = dnat_hint(cluster, j, hop, ctx.protocol);
    evidence.extend(hint);
    let refusal = Refusal { judged: j, denied, evidence, kubectl };
    if !allowed.is_empty() || !j.partial_sources.is_empty() {
        return ingress_partial(walk, judged, &allowed, refusal);
    }
    ingress_denied(ctx, walk, client, refusal, hop, dnat_fix)?;
    Ok(all)
}

/// A backend that does not admit the client, as the ingress step found it.
struct Refusal<'j> {
    /// The first denied backend a policy judged (else the first denied).
    judged: &'j Judged,
    /// Every denied backend.
    denied: Vec<&'j Judged>,
    /// The evidence so far.
    evidence: Vec<String>,
    kubectl: String,
}

/// The `network-policy-ingress` step when every backend admits the client.
fn ingress_allowed(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    first: &Judged,
    allowed: &[&Judged],
    kubectl: String,
) -> Flow<()> {
    if let Some(summary) = exempt_summary(ctx, client, allowed) {
        return walk.add(Step::new(Layer::NetworkPolicyIngress, Status::Pass, summary).kubectl(kubectl));
    }
    let protocol = ctx.protocol;
    let explanation = first.explanation.as_ref().expect("pods are explained");
    let port = first.backend.port as u16;
    let mut evidence = direction_evidence(&explanation.ingress, protocol, port);
    let l7 = l7_caveat(&explanation.ingress, protocol, port);
    let mut summary = if explanation.ingress.isolated_by.is_empty() && evidence.is_empty() {
        let (phrase, many) = (destination_phrase(allowed), names(allowed) > 1);
        let (verb, pronoun) = if many { ("are", "them") } else { ("is", "it") };
        format!("{phrase} {verb} not isolated for ingress: no NetworkPolicy selects {pronoun} for `Ingress`")
    } else {
        format!(
            "ingress of {} admits {} on {protocol} {}",
            destination_phrase(allowed),
            client_name(ctx, client),
            ports_of(allowed)
        )
    };
    let status = l7_status(l7, &mut summary, &mut evidence);
    walk.add(Step::new(Layer::NetworkPolicyIngress, status, summary).evidence(evidence).kubectl(kubectl))
}

/// The `network-policy-ingress` step when some backends (or some outside
/// addresses) are admitted: a warning, and the reachable backends.
fn ingress_partial(
    walk: &mut Walk,
    judged: &[&Judged],
    allowed: &[&Judged],
    refusal: Refusal<'_>,
) -> Flow<Vec<Backend>> {
    let Refusal { denied, mut evidence, kubectl, .. } = refusal;
    let (summary, reachable) = if allowed.is_empty() {
        let verb = if names(&denied) > 1 { "admit" } else { "admits" };
        let summary = format!(
            "{} {verb} only some addresses outside the cluster: trace from `external:IP` for a given client",
            destination_phrase(&denied)
        );
        (summary, judged.iter().map(|j| j.backend.clone()).collect())
    } else {
        evidence.extend(denied.iter().map(|d| format!("{} does not admit it", d.backend.name)));
        let summary = format!("{} of {} reachable", weight(allowed), count(weight(judged), "endpoint"));
        (summary, allowed.iter().map(|j| j.backend.clone()).collect())
    };
    walk.add(
        Step::new(Layer::NetworkPolicyIngress, Status::Warn, summary).evidence(evidence).kubectl(kubectl),
    )?;
    Ok(reachable)
}

/// The `network-policy-ingress` step when no backend admits the client:
/// why, and the fix (the plugin's own, the DNAT port, or a new rule).
fn ingress_denied(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    refusal: Refusal<'_>,
    hop: Hop<'_>,
    dnat_fix: Option<String>,
) -> Flow<()> {
    let Refusal { judged: j, denied, mut evidence, kubectl } = refusal;
    let (protocol, port) = (ctx.protocol, j.backend.port);
    let native = j.explanation.as_ref().and_then(|e| native_denial(&e.ingress, protocol, port as u16));
    let because = match &native {
        Some(native) => native.because.clone(),
        None => ingress_denial_reason(j, protocol),
    };
    let summary = format!(
        "{} does not admit {} on {protocol} {port}: {because}",
        destination_phrase(&denied),
        client_name(ctx, client)
    );
    let fix = match (native, dnat_fix) {
        (Some(native), _) => native.fix,
        (None, Some(dnat_fix)) => dnat_fix,
        (None, None) => {
            let snat = SnatSeen { nodes: &ctx.snat_nodes, hidden: ctx.snat_hidden };
            if is_node_source(ctx, client, j, &snat) {
                evidence.extend(super::text::cidr_note(ctx.engine.plugin()));
            }
            let fix = ingress_fix(ctx, client, j, hop, protocol, snat);
            let direction = j.explanation.as_ref().map(|e| &e.ingress);
            unless_intended(ctx, walk, client, direction, port, fix, &mut evidence)
        }
    };
    if client == Client::IngressController {
        // Policies that admit the controller by its namespace or labels
        // cannot match pods the input does not have.
        let summary =
            format!("{summary}, unless a rule admits the controller's pods, which are not in the input");
        let step = Step::new(Layer::NetworkPolicyIngress, Status::Warn, summary);
        return walk.add(step.evidence(evidence).fix(fix).kubectl(kubectl));
    }
    let (status, summary) = unenforced(ctx, Layer::NetworkPolicyIngress, summary);
    walk.add(
        Step::new(Layer::NetworkPolicyIngress, status, summary).evidence(evidence).fix(fix).kubectl(kubectl),
    )
}

/// Why the destination's ingress policies deny the connection: isolation
/// with no rule admitting it, or the rule (an admin policy's) that denies.
fn ingress_denial_reason(judged: &Judged, protocol: Protocol) -> String {
    let isolated = judged.explanation.as_ref().is_some_and(|e| !e.ingress.isolated_by.is_empty());
    if isolated {
        return "isolated for ingress, and no rule admits it".to_owned();
    }
    judged
        .explanation
        .as_ref()
        .and_then(|e| e.ingress.deciding_step(protocol, judged.backend.port as u16))
        .and_then(|step| {
            Some(format!(
                "denied by {}",
                rule_name(step.rule, step.rule_name.as_deref(), step.policy.as_ref()?)
            ))
        })
        .unwrap_or_else(|| "denied by an admin policy".to_owned())
}

/// A policy that allows the Service port, not the pod port behind it.
fn dnat_hint(
    cluster: &Cluster,
    judged: &Judged,
    hop: Hop<'_>,
    protocol: Protocol,
) -> (Vec<String>, Option<String>) {
    let (Some(service_port), Some(explanation)) = (hop.service_port, &judged.explanation) else {
        return (Vec::new(), None);
    };
    let Ok(service_number) = u16::try_from(service_port) else { return (Vec::new(), None) };
    if service_port == judged.backend.port || !explanation.ingress.allowed.contains(protocol, service_number)
    {
        return (Vec::new(), None);
    }
    let allowing: Vec<String> = explanation
        .ingress
        .steps
        .iter()
        .filter(|s| s.verdict == Verdict::Allow && s.connections.contains(protocol, service_number))
        .filter_map(|s| s.policy.as_ref().map(|p| (p, s.location.clone())))
        .map(|(p, location)| format!("{}{}", policy_name(p), at(location.as_ref().unwrap_or(&p.location))))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if allowing.is_empty() {
        return (Vec::new(), None);
    }
    let port = judged.backend.port;
    let named = judged
        .backend
        .pod
        .and_then(|pod| {
            cluster.pod(pod).container_ports().find(|p| p.port == port && p.protocol == protocol.as_str())
        })
        .and_then(|p| p.name);
    let port_text = match &named {
        Some(name) => format!("`port: {name}` ({protocol} {port})"),
        None => format!("`port: {port}`"),
    };
    let evidence = vec![format!(
        "{} allows {protocol} {service_port}, the Service port; after the Service's DNAT the pod receives {protocol} {port}, and policies see only pod ports",
        allowing.join(", ")
    )];
    let fix =
        format!("in {}, allow {port_text}, the pod's port, instead of {service_port}", allowing.join(", "));
    (evidence, Some(fix))
}

/// Behind `externalTrafficPolicy: Cluster`, what replaces a client from
/// outside at the pods: what an ingress fix must admit instead of it.
#[derive(Clone, Copy)]
pub(super) struct SnatSeen<'a> {
    /// The nodes (name, address) whose SNATed traffic the pods deny.
    pub(super) nodes: &'a [(String, IpAddr)],
    /// Whether the nodes' addresses that replace the client's are not in the input.
    pub(super) hidden: bool,
}

pub(super) fn ingress_fix(
    ctx: &Ctx<'_, '_>,
    client: Client,
    judged: &Judged,
    hop: Hop<'_>,
    protocol: Protocol,
    snat: SnatSeen<'_>,
) -> String {
    let cluster = ctx.cluster;
    let Some(pod) = judged.backend.pod else { return String::new() };
    let target = cluster.pod(pod);
    let labels = destination_labels(cluster, hop.service, pod);
    let port = judged.backend.port;
    let named = target
        .container_ports()
        .find(|p| p.port == port && p.protocol == protocol.as_str())
        .and_then(|p| p.name)
        .map(|n| format!(" ({})", code(n)))
        .unwrap_or_default();
    let node_source = is_node_source(ctx, client, judged, &snat);
    if node_source && ctx.engine.plugin().node_peer() == NodePeer::CiliumEntities {
        return node_entities_fix(
            cluster,
            client,
            (&target.namespace, &labels),
            &format!("{protocol} {port}{named}"),
        );
    }
    let peer = match client {
        Client::Pod(id) if node_source => node_peer(cluster, id),
        Client::Pod(id) => {
            let source = cluster.pod(id);
            let source_labels = code(labels_text(&identifying_labels(cluster, source)));
            if source.namespace == target.namespace {
                format!("pods {source_labels}")
            } else {
                format!("namespace {} pods {source_labels}", code(&source.namespace))
            }
        }
        Client::External(Some(_)) if !snat.nodes.is_empty() => node_blocks(snat.nodes),
        Client::External(Some(address)) => format!("`ipBlock` {}", code(IpRange::from_addr(address).id())),
        // The clients' ranges would not match: the node's address replaces them.
        Client::External(None) if snat.hidden => "an `ipBlock` of the nodes' addresses (under `externalTrafficPolicy: Cluster` the receiving node's address replaces the client's)".to_owned(),
        Client::External(None) => "`ipBlock` `0.0.0.0/0` (or the clients' ranges)".to_owned(),
        Client::IngressController => "the ingress controller's namespace".to_owned(),
    };
    format!(
        "add a NetworkPolicy in {} selecting {} with an ingress rule from {peer} on {protocol} {port}{named}",
        code(&target.namespace),
        code(labels)
    )
}

/// Whether the connection reaches the pods as node traffic: from a
/// `hostNetwork` pod seen as its node, or SNATed by a node under
/// `externalTrafficPolicy: Cluster`.
fn is_node_source(ctx: &Ctx<'_, '_>, client: Client, judged: &Judged, snat: &SnatSeen<'_>) -> bool {
    match client {
        Client::Pod(id) => {
            ctx.cluster.pod(id).host_network()
                && judged.explanation.as_ref().is_some_and(|e| !e.egress.policies_apply)
        }
        Client::External(Some(address)) => {
            !snat.nodes.is_empty() || crate::policy::is_node_address(ctx.cluster, address)
        }
        Client::External(None) => snat.hidden,
        Client::IngressController => false,
    }
}

/// The fix for node traffic on Cilium, where an `ipBlock` does not match
/// it: a CiliumNetworkPolicy for the pods `labels` of `namespace` naming
/// the nodes' entities (and `world` for clients a node forwards).
fn node_entities_fix(
    cluster: &Cluster,
    client: Client,
    (namespace, labels): (&str, &str),
    ports: &str,
) -> String {
    let (entities, why): (&[&str], String) = match client {
        Client::Pod(id) => {
            let source = code(pod_id(cluster.pod(id)));
            (&NODE_ENTITIES, format!("{source} uses the host network, so it carries its node's identity"))
        }
        _ => (&FORWARDED_ENTITIES, FORWARDED_WHY.to_owned()),
    };
    cilium_entities_fix(namespace, labels, entities, ports, &why)
}

/// The peer that admits a `hostNetwork` source the plugin sees as its node:
/// an `ipBlock` of the node's addresses, since no `podSelector` or
/// `namespaceSelector` can match it
/// (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods>).
fn node_peer(cluster: &Cluster, id: PodId) -> String {
    let source = cluster.pod(id);
    let node = source.spec.node_name.as_deref().filter(|n| !n.is_empty());
    let blocks: Vec<String> = host_network_addresses(cluster, source)
        .into_iter()
        .map(|address| code(IpRange::from_addr(address).id()))
        .collect();
    let whose = match node {
        Some(node) => format!("node {}", code(node)),
        None => "the nodes it runs on".to_owned(),
    };
    let why = format!("{} uses the host network, so no `podSelector` can match it", code(pod_id(source)));
    if blocks.is_empty() {
        format!("an `ipBlock` of the addresses of {whose} ({why})")
    } else {
        format!("`ipBlock` {} (the address of {whose}; {why})", blocks.join(", "))
    }
}

/// The summary for backends that policies cannot block at all, if every
/// one is: the pod itself, or the node it runs on.
fn exempt_summary(ctx: &Ctx<'_, '_>, client: Client, judged: &[&Judged]) -> Option<String> {
    let exemptions: BTreeSet<&Exemption> =
        judged.iter().map(|j| j.explanation.as_ref()?.exemption.as_ref()).collect::<Option<_>>()?;
    let name = client_name(ctx, client);
    let texts: Vec<String> = exemptions
        .into_iter()
        .map(|exemption| match exemption {
            Exemption::SamePod => format!("{name} connects to itself: a pod cannot block access to itself"),
            Exemption::Node { node } => format!(
                "traffic between a pod and its node {} is always allowed, whatever the policies",
                code(node)
            ),
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// `` `production/api` (3 replicas) `` or "3 endpoints".
pub(super) fn destination_phrase(judged: &[&Judged]) -> String {
    match judged {
        [one] => one.backend.name.clone(),
        many => {
            let names: BTreeSet<&str> = many.iter().map(|j| j.backend.name.as_str()).collect();
            if names.len() <= 3 {
                names.into_iter().collect::<Vec<_>>().join(", ")
            } else {
                count(weight(many), "endpoint")
            }
        }
    }
}

fn names(judged: &[&Judged]) -> usize {
    judged.iter().map(|j| j.backend.name.as_str()).collect::<BTreeSet<_>>().len()
}

fn ports_of(judged: &[&Judged]) -> String {
    let ports: BTreeSet<i32> = judged.iter().map(|j| j.backend.port).collect();
    ports.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
}

/// A connection that leaves the cluster: only the client's egress applies.
pub(super) fn outside_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    name: &str,
    address: Option<IpAddr>,
    port: &PortRef,
) -> Flow<()> {
    for layer in [Layer::ServiceType, Layer::ServicePort, Layer::Endpoints, Layer::Readiness] {
        walk.skip(layer, "outside the cluster: no Service");
    }
    match (client, port) {
        (Client::Pod(id), PortRef::Number(number)) => {
            let number = u16::try_from(*number).unwrap_or(0);
            outside_egress(ctx, walk, id, name, address, number)?;
        }
        (Client::Pod(_), PortRef::Name(port)) => {
            walk.skip(
                Layer::NetworkPolicyEgress,
                format!("a port name ({}) has no number outside the cluster", code(port)),
            );
        }
        _ => walk.skip(
            Layer::NetworkPolicyEgress,
            "the client is outside the cluster: no egress policy of the cluster applies",
        ),
    }
    walk.skip(Layer::NetworkPolicyIngress, "outside the cluster: no policy of the cluster applies");
    cni_step(ctx, walk);
    walk.skip(
        Layer::Destination,
        format!(
            "{} is outside the cluster: whether it answers is beyond the model",
            code(format!("{name}:{port}"))
        ),
    );
    Ok(())
}

/// The `network-policy-egress` step from pod `id` to `name` outside the
/// cluster, at `address` (else at any outside address the policies name).
fn outside_egress(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    id: PodId,
    name: &str,
    address: Option<IpAddr>,
    number: u16,
) -> Flow<()> {
    let protocol = ctx.protocol;
    let pod = ctx.cluster.pod(id);
    let kubectl = format!("kubectl get networkpolicy -n {}", quote(&pod.namespace));
    let (blocks, allowed) = outside_blocks(ctx, id, address, number);
    let to = Endpoint::External(blocks.first().copied().unwrap_or(IpRange::ALL_V4));
    let explanation = ctx.engine.explain(&Endpoint::Pod(id), &to);
    if involves_policies(&explanation) {
        ctx.policies.involved = true;
    }
    let (name_shown, client_name) = (code(name), code(pod_id(pod)));
    let mut evidence = direction_evidence(&explanation.egress, protocol, number);
    if allowed.len() == blocks.len() {
        let summary = if explanation.egress.isolated_by.is_empty() {
            format!("{client_name} is not isolated for egress: no NetworkPolicy selects it for `Egress`")
        } else {
            format!("egress of {client_name} allows {protocol} {number} to {name_shown}")
        };
        let step = Step::new(Layer::NetworkPolicyEgress, Status::Pass, summary);
        return walk.add(step.evidence(evidence).kubectl(kubectl));
    }
    let fqdn = fqdn_caveat(&explanation.egress, Some(name));
    evidence.extend(fqdn.as_ref().map(|(_, line)| line.clone()));
    if !allowed.is_empty() {
        let shown: Vec<String> = allowed.iter().map(|b| code(b.id())).collect();
        let summary = format!(
            "egress of {client_name} allows {protocol} {number} only to {}: is {name_shown} among them?",
            shown.join(", ")
        );
        let step = Step::new(Layer::NetworkPolicyEgress, Status::Warn, summary);
        return walk.add(step.evidence(evidence).kubectl(kubectl));
    }
    let summary = format!("egress policies of {client_name} deny {protocol} {number} to {name_shown}");
    let mut fix = format!(
        "allow egress from pods {} in {} to an `ipBlock` holding {name_shown}'s addresses on {protocol} {number}",
        code(labels_text(&identifying_labels(ctx.cluster, pod))),
        code(&pod.namespace)
    );
    if let Some(lines) = intended_block(ctx.cluster, &explanation.egress, protocol, number, &fix) {
        evidence.extend(lines);
        fix = String::new();
    }
    let (mut status, mut summary) = unenforced(ctx, Layer::NetworkPolicyEgress, summary);
    if let Some((matched, _)) = fqdn {
        // The verdict depends on what the names resolve to.
        status = Status::Warn;
        summary.push_str(if matched {
            " by address, but a `toFQDNs` rule names it"
        } else {
            " by address, unless a `toFQDNs` name resolves to it"
        });
    }
    walk.add(
        Step::new(Layer::NetworkPolicyEgress, status, summary).evidence(evidence).fix(fix).kubectl(kubectl),
    )
}

/// The outside addresses a connection to `address` may go to (every
/// outside block the policies name when it is not known), and those the
/// pod's egress allows on `number`.
fn outside_blocks(
    ctx: &Ctx<'_, '_>,
    id: PodId,
    address: Option<IpAddr>,
    number: u16,
) -> (Vec<IpRange>, Vec<IpRange>) {
    let from = Endpoint::Pod(id);
    let blocks: Vec<IpRange> = match address {
        Some(address) => vec![IpRange::from_addr(address)],
        None => ctx.engine.external_destinations().iter().filter(|b| !b.is_v6()).copied().collect(),
    };
    let allowed: Vec<IpRange> = blocks
        .iter()
        .filter(|b| ctx.engine.allowed(&from, &Endpoint::External(**b)).contains(ctx.protocol, number))
        .copied()
        .collect();
    (blocks, allowed)
}

/// Labels the fix text uses for a Service's pods: its selector, else the
/// pod's identifying labels.
pub(super) fn destination_labels(cluster: &Cluster, service: Option<&Service>, pod: PodId) -> String {
    if let Some(selector) = service.and_then(selector) {
        return labels_text(selector);
    }
    labels_text(&identifying_labels(cluster, cluster.pod(pod)))
}
