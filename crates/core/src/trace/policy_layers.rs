//! The `network-policy-egress`, `network-policy-ingress`, `cni` and
//! `destination` layers, on the backends a connection ends at (after DNAT).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::intended::intended_block;
use super::native_steps::{fqdn_caveat, l7_caveat, native_denial};
use super::snat_layers;
use super::text::{at, code, count, declared_ports, exec_target, identifying_labels, labels_text, pod_id};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Walk};
use crate::cni::{Clue, CniSource, Enforcement, Reason};
use crate::model::{Cluster, PodId};
use crate::policy::{
    host_network_addresses, Direction, DirectionExplanation, Endpoint, Exemption, Explanation, IpRange,
    PolicyRef, Tier, Verdict,
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

pub(super) fn policy_name(policy: &PolicyRef) -> String {
    format!("{} {}", policy.kind.as_str(), code(policy.id()))
}

pub(super) fn rule_name(rule: Option<usize>, name: Option<&str>, policy: &PolicyRef) -> String {
    match (rule, name) {
        (_, Some(name)) => format!("rule {} of {}", code(name), policy_name(policy)),
        (Some(rule), None) => format!("rule {rule} of {}", policy_name(policy)),
        (None, None) => policy_name(policy),
    }
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

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
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
    let cluster = ctx.cluster;
    let pod = cluster.pod(id);
    let kubectl = format!("kubectl get networkpolicy -n {}", quote(&pod.namespace));
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
    let first = judged.iter().find_map(|j| j.explanation.as_ref().map(|e| (j, e)));
    let isolated = first.is_some_and(|(_, e)| !e.egress.isolated_by.is_empty());
    if denied.is_empty() {
        if let Some(summary) = exempt_summary(ctx, client, &allowed) {
            walk.add(Step::new(Layer::NetworkPolicyEgress, Status::Pass, summary).kubectl(kubectl))?;
            return Ok(all);
        }
        let mut evidence = Vec::new();
        let mut l7 = None;
        if let Some((j, explanation)) = first {
            evidence = direction_evidence(&explanation.egress, protocol, j.backend.port as u16);
            l7 = l7_caveat(&explanation.egress, protocol, j.backend.port as u16);
        }
        let mut summary = if isolated || !evidence.is_empty() {
            format!("egress of {name} allows {protocol} {}", ports_of(&allowed))
        } else {
            format!("{name} is not isolated for egress: no NetworkPolicy selects it for `Egress`")
        };
        let status = l7_status(l7, &mut summary, &mut evidence);
        walk.add(Step::new(Layer::NetworkPolicyEgress, status, summary).evidence(evidence).kubectl(kubectl))?;
        return Ok(all);
    }
    let Some((j, explanation)) = denied.iter().find_map(|j| j.explanation.as_ref().map(|e| (*j, e))) else {
        // Denied with no policy consulted: the port itself is not one (the
        // API server rejects ports outside 1-65535; an EndpointSlice or
        // object the validation did not stop may still carry one).
        let port = denied.first().map_or(0, |j| j.backend.port);
        let summary = format!("port {port} is not a port number (1-65535): no connection can use it");
        return walk.add(Step::new(Layer::NetworkPolicyEgress, Status::Fail, summary)).map(|()| Vec::new());
    };
    let mut evidence = direction_evidence(&explanation.egress, protocol, j.backend.port as u16);
    if !allowed.is_empty() {
        evidence.extend(denied.iter().map(|j| format!("denied to {}", j.backend.name)));
        let summary = format!(
            "egress of {name} reaches {} of {}",
            weight(&allowed),
            count(weight(&judged.iter().collect::<Vec<_>>()), "endpoint")
        );
        walk.add(
            Step::new(Layer::NetworkPolicyEgress, Status::Warn, summary).evidence(evidence).kubectl(kubectl),
        )?;
        return Ok(allowed.iter().map(|j| j.backend.clone()).collect());
    }
    let destination = match j.backend.pod {
        Some(target_id) if !explanation.ingress.policies_apply && cluster.pod(target_id).host_network() => {
            node_peer(cluster, target_id)
        }
        Some(target_id) => {
            let target = cluster.pod(target_id);
            let labels = destination_labels(cluster, hop.service, target_id);
            if target.namespace == pod.namespace {
                format!("pods {}", code(labels))
            } else {
                format!("namespace {} pods {}", code(&target.namespace), code(labels))
            }
        }
        None => match j.backend.address {
            Some(address) => format!("`ipBlock` {}", code(IpRange::from_addr(address).id())),
            None => "the destination".to_owned(),
        },
    };
    let native = native_denial(&explanation.egress, protocol, j.backend.port as u16);
    let fix = match &native {
        Some(native) => native.fix.clone(),
        None => {
            let fix = format!(
                "allow egress from pods {} in {} to {destination} on {protocol} {}",
                code(labels_text(&identifying_labels(cluster, pod))),
                code(&pod.namespace),
                j.backend.port
            );
            let intended = Some(&explanation.egress)
                .filter(|_| walk.may_intend_block(client))
                .and_then(|e| intended_block(cluster, e, protocol, j.backend.port as u16, &fix));
            match intended {
                Some(lines) => {
                    evidence.extend(lines);
                    String::new()
                }
                None => fix,
            }
        }
    };
    let summary = format!(
        "egress policies of {name} deny {protocol} {} to {}",
        j.backend.port,
        destination_phrase(&denied)
    );
    let (status, summary) = unenforced(ctx, Layer::NetworkPolicyEgress, summary);
    walk.add(
        Step::new(Layer::NetworkPolicyEgress, status, summary).evidence(evidence).fix(fix).kubectl(kubectl),
    )?;
    Ok(all)
}

#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
pub(super) fn ingress_step(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    judged: &[&Judged],
    hop: Hop<'_>,
) -> Flow<Vec<Backend>> {
    let cluster = ctx.cluster;
    let protocol = ctx.protocol;
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
    let name = client_name(ctx, client);
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
    let total = weight(judged);
    if denied.is_empty() {
        if let Some(summary) = exempt_summary(ctx, client, &allowed) {
            walk.add(Step::new(Layer::NetworkPolicyIngress, Status::Pass, summary).kubectl(kubectl))?;
            return Ok(all);
        }
        let (j, explanation) =
            pods[0].explanation.as_ref().map(|e| (pods[0], e)).expect("pods are explained");
        let mut evidence = direction_evidence(&explanation.ingress, protocol, j.backend.port as u16);
        let l7 = l7_caveat(&explanation.ingress, protocol, j.backend.port as u16);
        let mut summary = if explanation.ingress.isolated_by.is_empty() && evidence.is_empty() {
            let (phrase, many) = (destination_phrase(&allowed), names(&allowed) > 1);
            let (verb, pronoun) = if many { ("are", "them") } else { ("is", "it") };
            format!(
                "{phrase} {verb} not isolated for ingress: no NetworkPolicy selects {pronoun} for `Ingress`"
            )
        } else {
            format!(
                "ingress of {} admits {name} on {protocol} {}",
                destination_phrase(&allowed),
                ports_of(&allowed)
            )
        };
        let status = l7_status(l7, &mut summary, &mut evidence);
        walk.add(
            Step::new(Layer::NetworkPolicyIngress, status, summary).evidence(evidence).kubectl(kubectl),
        )?;
        return Ok(all);
    }
    let j = denied.iter().find(|j| j.explanation.is_some()).copied().unwrap_or(denied[0]);
    let port = j.backend.port;
    let mut evidence = Vec::new();
    if let Some(explanation) = &j.explanation {
        evidence.extend(direction_evidence(&explanation.ingress, protocol, port as u16));
    }
    if !j.partial_sources.is_empty() {
        let blocks: Vec<String> = j.partial_sources.iter().map(|b| code(b.id())).collect();
        evidence.push(format!("admitted only from {}", blocks.join(", ")));
    }
    let (hint, dnat_fix) = dnat_hint(cluster, j, hop, protocol);
    evidence.extend(hint);
    if !allowed.is_empty() || !j.partial_sources.is_empty() {
        let (summary, reachable) = if !allowed.is_empty() {
            evidence.extend(denied.iter().map(|d| format!("{} does not admit it", d.backend.name)));
            let summary = format!("{} of {} reachable", weight(&allowed), count(total, "endpoint"));
            (summary, allowed.iter().map(|j| j.backend.clone()).collect())
        } else {
            let verb = if names(&denied) > 1 { "admit" } else { "admits" };
            let summary = format!(
                "{} {verb} only some addresses outside the cluster: trace from `external:IP` for a given client",
                destination_phrase(&denied)
            );
            (summary, all)
        };
        walk.add(
            Step::new(Layer::NetworkPolicyIngress, Status::Warn, summary).evidence(evidence).kubectl(kubectl),
        )?;
        return Ok(reachable);
    }
    let isolated = j.explanation.as_ref().is_some_and(|e| !e.ingress.isolated_by.is_empty());
    let native = j.explanation.as_ref().and_then(|e| native_denial(&e.ingress, protocol, port as u16));
    let because = match &native {
        Some(native) => native.because.clone(),
        None if isolated => "isolated for ingress, and no rule admits it".to_owned(),
        None => j
            .explanation
            .as_ref()
            .and_then(|e| e.ingress.deciding_step(protocol, port as u16))
            .and_then(|step| {
                Some(format!(
                    "denied by {}",
                    rule_name(step.rule, step.rule_name.as_deref(), step.policy.as_ref()?)
                ))
            })
            .unwrap_or_else(|| "denied by an admin policy".to_owned()),
    };
    let summary =
        format!("{} does not admit {name} on {protocol} {port}: {because}", destination_phrase(&denied));
    let fix = match (native, dnat_fix) {
        (Some(native), _) => native.fix,
        (None, Some(dnat_fix)) => dnat_fix,
        (None, None) => {
            let fix = ingress_fix(ctx, client, j, hop, protocol);
            let intended = j
                .explanation
                .as_ref()
                .filter(|_| walk.may_intend_block(client))
                .and_then(|e| intended_block(cluster, &e.ingress, protocol, port as u16, &fix));
            match intended {
                Some(lines) => {
                    evidence.extend(lines);
                    String::new()
                }
                None => fix,
            }
        }
    };
    if client == Client::IngressController {
        // Policies that admit the controller by its namespace or labels
        // cannot match pods the input does not have.
        let summary =
            format!("{summary}, unless a rule admits the controller's pods, which are not in the input");
        walk.add(
            Step::new(Layer::NetworkPolicyIngress, Status::Warn, summary)
                .evidence(evidence)
                .fix(fix)
                .kubectl(kubectl),
        )?;
        return Ok(all);
    }
    let (status, summary) = unenforced(ctx, Layer::NetworkPolicyIngress, summary);
    walk.add(
        Step::new(Layer::NetworkPolicyIngress, status, summary).evidence(evidence).fix(fix).kubectl(kubectl),
    )?;
    Ok(all)
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

pub(super) fn ingress_fix(
    ctx: &Ctx<'_, '_>,
    client: Client,
    judged: &Judged,
    hop: Hop<'_>,
    protocol: Protocol,
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
    let peer = match client {
        Client::Pod(id)
            if cluster.pod(id).host_network()
                && judged.explanation.as_ref().is_some_and(|e| !e.egress.policies_apply) =>
        {
            node_peer(cluster, id)
        }
        Client::Pod(id) => {
            let source = cluster.pod(id);
            let source_labels = code(labels_text(&identifying_labels(cluster, source)));
            if source.namespace == target.namespace {
                format!("pods {source_labels}")
            } else {
                format!("namespace {} pods {source_labels}", code(&source.namespace))
            }
        }
        Client::External(Some(_)) if !ctx.snat_nodes.is_empty() => snat_layers::node_blocks(&ctx.snat_nodes),
        Client::External(Some(address)) => format!("`ipBlock` {}", code(IpRange::from_addr(address).id())),
        // The clients' ranges would not match: the node's address replaces them.
        Client::External(None) if ctx.snat_hidden => "an `ipBlock` of the nodes' addresses (under `externalTrafficPolicy: Cluster` the receiving node's address replaces the client's)".to_owned(),
        Client::External(None) => "`ipBlock` `0.0.0.0/0` (or the clients' ranges)".to_owned(),
        Client::IngressController => "the ingress controller's namespace".to_owned(),
    };
    format!(
        "add a NetworkPolicy in {} selecting {} with an ingress rule from {peer} on {protocol} {port}{named}",
        code(&target.namespace),
        code(labels)
    )
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

/// The `cni` layer: whether the plugin enforces the policies the trace met.
pub(super) fn cni_step(ctx: &Ctx<'_, '_>, walk: &mut Walk) {
    let detection = ctx.cni();
    let verdict = &detection.network_policy;
    let plugin = verdict.by.map(|cni| code(cni.name()));
    let mut evidence = Vec::new();
    for found in &detection.found {
        let mut objects: Vec<(String, Vec<String>, String)> = Vec::new();
        for item in &found.evidence {
            let object = match &item.object.namespace {
                Some(namespace) => {
                    format!("{} {}", item.object.kind, code(format!("{namespace}/{}", item.object.name)))
                }
                None => format!("{} {}", item.object.kind, code(&item.object.name)),
            };
            let clue = match &item.clue {
                Clue::Name => "its name".to_owned(),
                Clue::Image { image, .. } => format!("image {}", code(image)),
                Clue::Annotation { key } => format!("annotation {}", code(key)),
                Clue::Resource => "its resource".to_owned(),
            };
            match objects.iter_mut().find(|(o, _, _)| *o == object) {
                Some((_, clues, _)) => clues.push(clue),
                None => objects.push((object, vec![clue], at(&item.location))),
            }
        }
        for (object, clues, location) in objects {
            evidence.push(format!(
                "{} runs as {object}{location}, recognised by {}",
                code(found.cni.name()),
                clues.join(" and ")
            ));
        }
    }
    if let CniSource::Given { name } = &detection.source {
        evidence.push(format!("named with `--cni {name}`"));
    }
    evidence.push(reason_text(&verdict.reason));
    let kubectl = "kubectl get daemonsets -n kube-system -o wide";
    let involved = ctx.policies.involved || !ctx.policies.unenforced_denials.is_empty();
    let (status, summary, fix) = match verdict.enforcement {
        Enforcement::Enforced => {
            let plugin = plugin.unwrap_or_else(|| "the network plugin".to_owned());
            (Status::Pass, format!("{plugin} enforces NetworkPolicy"), String::new())
        }
        Enforcement::NotEnforced => {
            let plugin = plugin.unwrap_or_else(|| "the network plugin".to_owned());
            let fix = "if the policies are meant to apply, run a plugin that enforces NetworkPolicy (Calico, Cilium, …; Canal adds Calico's policy engine to Flannel)".to_owned();
            if !ctx.policies.unenforced_denials.is_empty() {
                let layers: Vec<String> = ctx.policies.unenforced_denials.iter().map(code).collect();
                (
                    Status::Warn,
                    format!("{plugin} does not enforce NetworkPolicy: the denials at {} are stored in the API but have no effect", layers.join(", ")),
                    fix,
                )
            } else if involved {
                (
                    Status::Warn,
                    format!("{plugin} does not enforce NetworkPolicy: the policies above have no effect"),
                    fix,
                )
            } else {
                (
                    Status::Pass,
                    format!("{plugin} does not enforce NetworkPolicy; none applies here anyway"),
                    String::new(),
                )
            }
        }
        Enforcement::Unknown if involved => (
            Status::Warn,
            "the network plugin is not known: NetworkPolicy is assumed enforced".to_owned(),
            "name the plugin with `--cni NAME` if it is not in the input".to_owned(),
        ),
        Enforcement::Unknown => (
            Status::Pass,
            "no policy applies to this connection (the network plugin is not known)".to_owned(),
            String::new(),
        ),
    };
    walk.steps.push(Step::new(Layer::Cni, status, summary).evidence(evidence).fix(fix).kubectl(kubectl));
}

fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Supported => "it implements NetworkPolicy".to_owned(),
        Reason::NotSupported => "it does not implement NetworkPolicy".to_owned(),
        Reason::EnabledBy { setting } => format!("enabled by {}", code(setting)),
        Reason::DisabledBy { setting } => format!("disabled by {}", code(setting)),
        Reason::SettingUnknown { setting } => {
            format!("enforced only with {}, which the input does not show", code(setting))
        }
        Reason::ContainerMissing { container } => format!("its {} container is missing", code(container)),
        Reason::VersionSupported { version, minimum } => {
            format!("version {version} (enforced since {minimum})")
        }
        Reason::VersionTooOld { version, minimum } => {
            format!("version {version} predates enforcement ({minimum})")
        }
        Reason::VersionUnknown { minimum } => {
            format!("enforced since version {minimum}; the version is not known")
        }
        Reason::FeatureGate { gate } => format!("enforced behind the {} feature gate", code(gate)),
        Reason::NoPolicyEngine => "it needs a policy engine beside it, and none was found".to_owned(),
        Reason::KindRelease { minimum } => format!("enforced since kind {minimum}; the release is not known"),
        Reason::NothingDetected => "no network plugin recognised in the input".to_owned(),
        Reason::Unrecognised { name } => format!("{} is not a plugin kubereach knows", code(name)),
    }
}

/// The `destination` layer: the reached pods serve the port.
pub(super) fn destination_step(ctx: &Ctx<'_, '_>, walk: &mut Walk, reachable: &[Backend]) -> Flow<()> {
    let cluster = ctx.cluster;
    let protocol = ctx.protocol;
    let mut seen = BTreeSet::new();
    let pods: Vec<(PodId, i32)> = reachable
        .iter()
        .filter_map(|b| Some((b.pod?, b.port)))
        .filter(|(pod, port)| seen.insert((cluster.workload_ref(cluster.pod(*pod)), *port)))
        .collect();
    let Some(&(first, _)) = pods.first() else {
        walk.skip(
            Layer::Destination,
            "the endpoints are not pods of the input: whether they serve the port is not known",
        );
        return Ok(());
    };
    let first_pod = cluster.pod(first);
    // The listening sockets of the protocol traced: UDP and SCTP listeners
    // are not in `netstat -ltn`'s TCP list.
    let listeners = match protocol {
        Protocol::Tcp => "netstat -ltn",
        Protocol::Udp => "ss -lun",
        Protocol::Sctp => "ss -ln --sctp",
    };
    let target = match ctx.replica(first) {
        Some(replica) => replica.name.rsplit('/').next().unwrap_or_default().to_owned(),
        None => exec_target(cluster, first_pod),
    };
    let kubectl =
        format!("kubectl exec -n {} {} -- {listeners}", quote(&first_pod.namespace), quote(&target));
    let mut status = Status::Pass;
    let mut lines = Vec::new();
    let mut evidence = Vec::new();
    for (pod, port) in &pods {
        let value = cluster.pod(*pod);
        let name = match ctx.replica(*pod) {
            Some(replica) => code(&replica.name),
            None => code(pod_id(value)),
        };
        let declared = value.container_ports().find(|p| p.port == *port && p.protocol == protocol.as_str());
        match declared {
            Some(declared) => {
                let label = declared.name.map(|n| format!(" ({})", code(n))).unwrap_or_default();
                lines.push(format!(
                    "{name} serves {protocol} {port}{label} in container {}",
                    code(&declared.container)
                ));
            }
            None => {
                status = Status::Warn;
                lines.push(format!(
                    "{name} does not declare {protocol} {port}: nothing shows a listener there"
                ));
                evidence.extend(declared_ports(cluster, *pod));
            }
        }
        if value.host_network() {
            evidence.push(format!("{name} uses the node's network: it listens on the node's port {port}"));
        }
    }
    let fix = if status == Status::Warn {
        "check that the container listens on the port (declared ports are informational, but document it)"
            .to_owned()
    } else {
        String::new()
    };
    let summary = lines.join("; ");
    walk.add(Step::new(Layer::Destination, status, summary).evidence(evidence).fix(fix).kubectl(kubectl))
}

/// A connection that leaves the cluster: only the client's egress applies.
#[expect(clippy::too_many_lines, reason = "longer than 80 lines; to be split")]
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
    let protocol = ctx.protocol;
    match (client, port) {
        (Client::Pod(id), PortRef::Number(number)) => {
            let pod = ctx.cluster.pod(id);
            let kubectl = format!("kubectl get networkpolicy -n {}", quote(&pod.namespace));
            let from = Endpoint::Pod(id);
            let number = u16::try_from(*number).unwrap_or(0);
            let blocks: Vec<IpRange> = match address {
                Some(address) => vec![IpRange::from_addr(address)],
                None => ctx.engine.external_destinations().iter().filter(|b| !b.is_v6()).copied().collect(),
            };
            let allowed: Vec<IpRange> = blocks
                .iter()
                .filter(|b| ctx.engine.allowed(&from, &Endpoint::External(**b)).contains(protocol, number))
                .copied()
                .collect();
            let explanation = ctx
                .engine
                .explain(&from, &Endpoint::External(blocks.first().copied().unwrap_or(IpRange::ALL_V4)));
            if involves_policies(&explanation) {
                ctx.policies.involved = true;
            }
            let name_shown = code(name);
            let client_name = code(pod_id(pod));
            let mut evidence = direction_evidence(&explanation.egress, protocol, number);
            let fqdn = fqdn_caveat(&explanation.egress, Some(name));
            if allowed.len() != blocks.len() {
                evidence.extend(fqdn.as_ref().map(|(_, line)| line.clone()));
            }
            if allowed.len() == blocks.len() {
                let summary = if explanation.egress.isolated_by.is_empty() {
                    format!(
                        "{client_name} is not isolated for egress: no NetworkPolicy selects it for `Egress`"
                    )
                } else {
                    format!("egress of {client_name} allows {protocol} {number} to {name_shown}")
                };
                walk.add(
                    Step::new(Layer::NetworkPolicyEgress, Status::Pass, summary)
                        .evidence(evidence)
                        .kubectl(kubectl),
                )?;
            } else if !allowed.is_empty() {
                let shown: Vec<String> = allowed.iter().map(|b| code(b.id())).collect();
                let summary = format!("egress of {client_name} allows {protocol} {number} only to {}: is {name_shown} among them?", shown.join(", "));
                walk.add(
                    Step::new(Layer::NetworkPolicyEgress, Status::Warn, summary)
                        .evidence(evidence)
                        .kubectl(kubectl),
                )?;
            } else {
                let summary =
                    format!("egress policies of {client_name} deny {protocol} {number} to {name_shown}");
                let mut fix = format!(
                    "allow egress from pods {} in {} to an `ipBlock` holding {name_shown}'s addresses on {protocol} {number}",
                    code(labels_text(&identifying_labels(ctx.cluster, pod))),
                    code(&pod.namespace)
                );
                if let Some(lines) = intended_block(ctx.cluster, &explanation.egress, protocol, number, &fix)
                {
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
                    Step::new(Layer::NetworkPolicyEgress, status, summary)
                        .evidence(evidence)
                        .fix(fix)
                        .kubectl(kubectl),
                )?;
            }
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

/// Labels the fix text uses for a Service's pods: its selector, else the
/// pod's identifying labels.
pub(super) fn destination_labels(cluster: &Cluster, service: Option<&Service>, pod: PodId) -> String {
    if let Some(selector) = service.and_then(selector) {
        return labels_text(selector);
    }
    labels_text(&identifying_labels(cluster, cluster.pod(pod)))
}
