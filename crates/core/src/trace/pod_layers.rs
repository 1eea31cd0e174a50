//! The pod-to-pod path: no Service, so no `service-type`, `service-port`
//! or `endpoints` layer and no NAT; the destination pods' state, their
//! container port, and the policies on them.

use super::policy_layers;
use super::text::{code, count, declared_ports, kubectl_pods, pod_id};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Walk};
use crate::model::{PodId, Readiness};
use crate::service::PortRef;

/// Pod to pod: no Service; the readiness of the pods and the policies on them.
pub(super) fn pod_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    pods: &[PodId],
    port: &PortRef,
) -> Flow<()> {
    no_service_steps(walk, client)?;
    let running = running_pods_step(ctx, walk, pods)?;
    let backends = container_port_backends(ctx, walk, pods[0], &running, port)?;
    policy_layers::policy_path(ctx, walk, client, &backends, Hop { service: None, service_port: None })
}

/// The Service layers a pod-to-pod connection goes without. From outside
/// the cluster a warning: pod addresses are routed there only on a flat
/// network.
fn no_service_steps(walk: &mut Walk, client: Client) -> Flow<()> {
    if matches!(client, Client::External(_)) {
        let step = Step::new(
            Layer::ServiceType,
            Status::Warn,
            "no Service: pod addresses are reachable from outside the cluster only where the network routes them (a flat cloud network); usually they are not",
        )
        .fix("expose the pods with a `NodePort` or `LoadBalancer` Service, or an Ingress");
        walk.add(step)?;
    } else {
        walk.skip(Layer::ServiceType, "pod to pod: no Service, no NAT");
    }
    walk.skip(Layer::ServicePort, "pod to pod: the port is the container port");
    walk.skip(Layer::Endpoints, "pod to pod: no Service endpoints");
    Ok(())
}

/// The destination pods that have not finished, and what their states say.
struct PodStates {
    /// Pods that have not finished, in the order given.
    running: Vec<PodId>,
    /// How many of the pods those stand for are not ready.
    not_ready: u32,
    /// A line per pod that has finished, is not ready, or has no status.
    evidence: Vec<String>,
}

/// Sorts the destination pods by phase and readiness. Readiness gates only
/// Service endpoints: a pod that is not ready still receives connections to
/// its own address, but one that has finished (`Succeeded`, `Failed`) runs
/// no container to receive them.
fn pod_states(ctx: &Ctx<'_, '_>, pods: &[PodId]) -> PodStates {
    let mut states = PodStates { running: Vec::new(), not_ready: 0, evidence: Vec::new() };
    for &id in pods {
        let pod = ctx.cluster.pod(id);
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if let Some(phase @ ("Succeeded" | "Failed")) = phase {
            states.evidence.push(format!("{} has finished ({phase})", code(pod_id(pod))));
            continue;
        }
        match pod.readiness() {
            Readiness::NotReady => {
                states.not_ready += ctx.replicas(id);
                states.evidence.push(format!(
                    "{} is not ready: Services send it nothing, direct connections still arrive",
                    code(pod_id(pod))
                ));
            }
            Readiness::Unknown => states
                .evidence
                .push(format!("{} has no status in the input: assumed running", code(pod_id(pod)))),
            Readiness::Ready => {}
        }
        states.running.push(id);
    }
    states
}

/// The `readiness` layer without a Service: blocks when every destination
/// pod has finished; returns the pods still running.
fn running_pods_step(ctx: &Ctx<'_, '_>, walk: &mut Walk, pods: &[PodId]) -> Flow<Vec<PodId>> {
    let cluster = ctx.cluster;
    let first = cluster.pod(pods[0]);
    let PodStates { running, not_ready, mut evidence } = pod_states(ctx, pods);
    let kubectl = match ctx.replica(pods[0]) {
        Some(replica) => {
            let name = replica.name.rsplit('/').next().unwrap_or_default();
            format!("kubectl get pod -n {} {name} -o wide", first.namespace)
        }
        None => kubectl_pods(cluster, first),
    };
    if running.is_empty() {
        let step = Step::new(Layer::Readiness, Status::Fail, "the destination pods have all finished")
            .evidence(evidence)
            .fix("trace to a running pod")
            .kubectl(kubectl);
        return walk.block(step);
    }
    let status = if not_ready > 0 { Status::Warn } else { Status::Pass };
    let total: u32 = pods.iter().map(|id| ctx.replicas(*id)).sum();
    let running_count: u32 = running.iter().map(|id| ctx.replicas(*id)).sum();
    let unknown = running.iter().all(|id| cluster.pod(*id).readiness() == Readiness::Unknown);
    let summary = if unknown {
        evidence.clear();
        format!("{} (assumed running: the input has no pod status)", count(total, "pod"))
    } else {
        format!("{} of {} running, {} ready", running_count, count(total, "pod"), running_count - not_ready)
    };
    walk.add(Step::new(Layer::Readiness, status, summary).evidence(evidence).kubectl(kubectl))?;
    Ok(running)
}

/// The port on each running pod: a number as given, a name resolved to the
/// pod's container port of that name and protocol. Blocks at `destination`
/// when no pod declares the name; `first` is the pod the destination names.
fn container_port_backends(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    first: PodId,
    running: &[PodId],
    port: &PortRef,
) -> Flow<Vec<Backend>> {
    let cluster = ctx.cluster;
    let protocol = ctx.protocol;
    let backends: Vec<Backend> = running
        .iter()
        .filter_map(|&id| {
            let number = match port {
                PortRef::Number(number) => Some(*number),
                PortRef::Name(name) => cluster.pod(id).named_port(name, protocol.as_str()),
            };
            number.map(|number| pod_backend(ctx, id, number))
        })
        .collect();
    if !backends.is_empty() {
        return Ok(backends);
    }
    for layer in [Layer::NetworkPolicyEgress, Layer::NetworkPolicyIngress, Layer::Cni] {
        walk.skip(layer, format!("not checked: no port number for {}", code(port)));
    }
    let first = cluster.pod(first);
    let step = Step::new(
        Layer::Destination,
        Status::Fail,
        format!("no container port named {} ({protocol}) on {}", code(port), code(pod_id(first))),
    )
    .evidence(declared_ports(cluster, running[0]))
    .fix("use a port number, or a port name the pod declares")
    .kubectl(kubectl_pods(cluster, first));
    walk.block(step)
}

fn pod_backend(ctx: &Ctx<'_, '_>, id: PodId, port: i32) -> Backend {
    let pod = ctx.cluster.pod(id);
    Backend {
        pod: Some(id),
        address: pod.ips().first().and_then(|a| a.parse().ok()),
        port,
        replicas: ctx.replicas(id),
        name: ctx.pod_name(id),
    }
}
