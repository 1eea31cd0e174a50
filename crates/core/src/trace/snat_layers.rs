//! The policy layers for a connection from outside that a node SNATs.
//!
//! Behind `externalTrafficPolicy: Cluster` (the default), the node that
//! receives a connection on a node port, a load balancer's address or an
//! external IP forwards it to any ready endpoint, on any node, and SNATs
//! the client's address to its own: "the source IP seen by the pod is the
//! node's" (<https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-nodeport>,
//! "Preserving the client source IP";
//! <https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy>).
//! Which node receives it is not the client's choice there (the load
//! balancer, or the network, picks one), so the policies on the pods are
//! judged once per node address: allowed when every node's address is
//! admitted, blocked when none is, and in between a warning that names the
//! nodes whose traffic is denied. The pod's own node is one of them, and
//! traffic from it is always allowed ([`crate::policy::Exemption::Node`]).
//!
//! Which policy peers match a node's address is the plugin's choice
//! ([`crate::cni::PluginBehaviour::ip_blocks_match_nodes`]): on Cilium an
//! `ipBlock` does not ("By default, CIDR-based selectors do not match
//! in-cluster entities (pods or nodes)", docs.cilium.io, Layer 3 Policies),
//! and the step says so.
//!
//! `internalTrafficPolicy` has no such step: kube-proxy does not SNAT a
//! pod's connection to a cluster IP, so the pods see the client pod's own
//! address on whatever node it runs.

use std::net::IpAddr;

use super::exposure_steps;
use super::policy_layers::{self, Judged};
use super::text::{cidr_note, code};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Walk};
use crate::shell::quote;

/// The policy layers, `cni` and `destination` for a connection from
/// outside that any of `sources` (node name, address) may receive and SNAT.
pub(super) fn policy_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    sources: &[(String, IpAddr)],
    backends: &[Backend],
    hop: Hop<'_>,
) -> Flow<()> {
    let clients: Vec<Client> = sources.iter().map(|(_, address)| Client::External(Some(*address))).collect();
    let SourcesJudged { judged, denied, none_admitted } = judge_sources(ctx, &clients, backends);
    ctx.snat_nodes = denied.iter().map(|&i| sources[i].clone()).collect();
    if denied.is_empty() || none_admitted {
        return uniform_path(ctx, walk, sources, &judged, backends, hop);
    }
    walk.skip(
        Layer::NetworkPolicyEgress,
        "the client is outside the cluster: no egress policy of the cluster applies",
    );
    let reachable = partial_step(ctx, walk, sources, &judged, &denied, hop)?;
    policy_layers::cni_step(ctx, walk);
    policy_layers::destination_step(ctx, walk, &reachable)
}

/// The policies on some backends judged for a connection from each of
/// several sources (the nodes that may SNAT it, or the one client).
pub(super) struct SourcesJudged {
    /// Per source, per backend.
    pub(super) judged: Vec<Vec<Judged>>,
    /// The sources whose connection some backend's policies deny.
    pub(super) denied: Vec<usize>,
    /// No backend admits any source.
    pub(super) none_admitted: bool,
}

/// Judges the ingress policies of `backends` for a connection from each
/// of `clients`: the one answer for a Service's pods and for an ingress
/// controller's pods behind its Service.
pub(super) fn judge_sources(
    ctx: &mut Ctx<'_, '_>,
    clients: &[Client],
    backends: &[Backend],
) -> SourcesJudged {
    let protocol = ctx.protocol;
    let judged: Vec<Vec<Judged>> = clients
        .iter()
        .map(|client| {
            backends.iter().map(|backend| policy_layers::judge(ctx, *client, backend, protocol)).collect()
        })
        .collect();
    let denied: Vec<usize> = (0..clients.len()).filter(|&i| judged[i].iter().any(|j| !j.ingress)).collect();
    let none_admitted = judged.iter().all(|each| each.iter().all(|j| !j.ingress));
    SourcesJudged { judged, denied, none_admitted }
}

/// Every node's address gets the same answer: one of them stands for all
/// (one the policies decide, not the exemption of a pod's own node), and
/// the `network-policy-ingress` step says each was judged.
fn uniform_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    sources: &[(String, IpAddr)],
    judged: &[Vec<Judged>],
    backends: &[Backend],
    hop: Hop<'_>,
) -> Flow<()> {
    let decided_by_policies = |each: &Vec<Judged>| {
        each.iter().all(|j| j.explanation.as_ref().is_some_and(|e| e.exemption.is_none()))
    };
    let index = judged.iter().position(decided_by_policies).unwrap_or(0);
    let client = Client::External(Some(sources[index].1));
    let admitted = judged[index].iter().all(|j| j.ingress);
    let result = policy_layers::policy_path(ctx, walk, client, backends, hop);
    if backends.iter().any(|b| b.pod.is_some()) {
        let verdict = if admitted { "admitted" } else { "denied" };
        let judged_text = format!(
            "judged for the address of each node that may receive the connection: {}, each {verdict}",
            exposure_steps::node_addresses_text(sources)
        );
        walk.note(
            Layer::NetworkPolicyIngress,
            [judged_text].into_iter().chain(cidr_note(ctx.engine.plugin())),
        );
    }
    result
}

/// Some nodes' addresses are admitted, others not: a warning naming the
/// nodes whose traffic is denied, and the backends reachable through the
/// others.
fn partial_step(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    sources: &[(String, IpAddr)],
    judged: &[Vec<Judged>],
    denied: &[usize],
    hop: Hop<'_>,
) -> Flow<Vec<Backend>> {
    let protocol = ctx.protocol;
    let first = denied[0];
    let denying: Vec<&Judged> = judged[first].iter().filter(|j| !j.ingress).collect();
    let j = denying[0];
    let port = j.backend.port;
    let mut evidence: Vec<String> = j
        .explanation
        .iter()
        .flat_map(|e| policy_layers::direction_evidence(&e.ingress, protocol, port as u16))
        .collect();
    for ((node, address), each) in sources.iter().zip(judged) {
        let admitting = each.iter().filter(|j| j.ingress).count();
        let own_node = each.iter().all(|j| j.explanation.as_ref().is_some_and(|e| e.exemption.is_some()));
        let how = match admitting {
            0 => "denied",
            _ if own_node => "admitted (the pod's own node, whose traffic is always allowed)",
            n if n == each.len() => "admitted",
            _ => "admitted by some endpoints only",
        };
        evidence.push(format!("through node {} ({}): {how}", code(node), code(address)));
    }
    evidence.extend(cidr_note(ctx.engine.plugin()));
    let blocked: Vec<String> = denied.iter().map(|&i| code(&sources[i].0)).collect();
    let summary = format!(
        "{} does not admit connections arriving through {} {} on {protocol} {port}: the node SNATs them to its own address (`externalTrafficPolicy: Cluster`); through the other nodes they get through",
        policy_layers::destination_phrase(&denying),
        if blocked.len() == 1 { "node" } else { "nodes" },
        blocked.join(", ")
    );
    let snat = policy_layers::SnatSeen { nodes: &ctx.snat_nodes, hidden: ctx.snat_hidden };
    let fix =
        policy_layers::ingress_fix(ctx, Client::External(Some(sources[first].1)), j, hop, protocol, snat);
    let (_, summary) = policy_layers::unenforced(ctx, Layer::NetworkPolicyIngress, summary);
    let namespace = j.backend.pod.map(|p| ctx.cluster.pod(p).namespace.clone()).unwrap_or_default();
    let kubectl = format!("kubectl get networkpolicy -n {}", quote(&namespace));
    walk.add(
        Step::new(Layer::NetworkPolicyIngress, Status::Warn, summary)
            .evidence(evidence)
            .fix(fix)
            .kubectl(kubectl),
    )?;
    let reachable = (0..judged[first].len())
        .filter(|&b| judged.iter().any(|each| each[b].ingress))
        .map(|b| judged[first][b].backend.clone())
        .collect();
    Ok(reachable)
}
