//! A headless Service (`clusterIP: None`): no virtual IP and no port
//! translation by a proxy; cluster DNS answers with the ready endpoints'
//! addresses and the client connects to them
//! (<https://kubernetes.io/docs/concepts/services-networking/service/#headless-services>).

use k8s_openapi::api::core::v1::{Service, ServicePort};

use super::endpoints_steps::{endpoint_slices_kubectl, exclusion_text, near_misses};
use super::policy_layers;
use super::service_port_steps::unknown_port_step;
use super::text::{code, count, pod_id, pod_name_with_replicas};
use super::{Backend, Client, Ctx, Flow, Hop, Layer, Status, Step, Via, Walk};
use crate::endpoints::{service_endpoints, Endpoint, ServiceEndpoints};
use crate::model::{Cluster, Object};
use crate::service::{find_service_port, resolve_target_port, selector, target_port, PortRef, ServiceRef};

/// A headless Service: no port translation, the ready endpoints straight.
pub(super) fn headless_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    service: &Object<Service>,
    asked: &PortRef,
    via: &Via,
) -> Flow<()> {
    let cluster = ctx.cluster;
    let value = &service.value;
    let named = headless_port_step(ctx, walk, value, asked, via)?;
    let all = service_endpoints(cluster, value);
    headless_endpoints_step(cluster, walk, service, &all)?;
    let ready = headless_readiness_step(walk, value, &all)?;
    let backends: Vec<Backend> = ready
        .iter()
        .filter_map(|e| {
            let port = match (named, asked, e.pod) {
                (Some(port), _, Some(pod)) => resolve_target_port(port, cluster.pod(pod)).ok()?,
                (None, PortRef::Number(number), _) => *number,
                _ => return None,
            };
            Some(Backend {
                pod: e.pod,
                address: e.addresses.first().and_then(|a| a.parse().ok()),
                port,
                replicas: e.replicas,
                name: match e.pod {
                    Some(pod) => pod_name_with_replicas(cluster, pod),
                    None => e.addresses.first().map(code).unwrap_or_default(),
                },
            })
        })
        .collect();
    policy_layers::policy_path(ctx, walk, client, &backends, Hop { service: Some(value), service_port: None })
}

/// The `service-port` layer of a headless Service. Named directly
/// (`svc/…:PORT`), by a proxy's backend, or by name, the port is a Service
/// port, which stands for its `targetPort` on each pod; reached by DNS
/// with a number, the client connects to the pods on that port.
fn headless_port_step<'s>(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    service: &'s Service,
    asked: &PortRef,
    via: &Via,
) -> Flow<Option<&'s ServicePort>> {
    let by_service_port = matches!(via, Via::Named) || via.proxied();
    if let (false, PortRef::Number(number)) = (by_service_port, asked) {
        let summary =
            format!("headless: no port translation, the client connects to port {number} on each pod");
        walk.add(Step::new(Layer::ServicePort, Status::Pass, summary))?;
        return Ok(None);
    }
    let Some(port) = find_service_port(service, asked, ctx.protocol) else {
        return walk.block(unknown_port_step(ctx.cluster, service, asked, ctx.protocol, false));
    };
    let summary = format!(
        "headless: port {} stands for targetPort {} on each pod",
        code(asked),
        code(target_port(port))
    );
    walk.add(Step::new(Layer::ServicePort, Status::Pass, summary))?;
    Ok(Some(port))
}

/// The `endpoints` layer of a headless Service: blocks when it has none.
fn headless_endpoints_step(
    cluster: &Cluster,
    walk: &mut Walk,
    service: &Object<Service>,
    all: &ServiceEndpoints,
) -> Flow<()> {
    let value = &service.value;
    let id = code(ServiceRef::of(value).id());
    let kubectl = endpoint_slices_kubectl(value);
    if !all.endpoints.is_empty() {
        let total: u32 = all.endpoints.iter().map(|e| e.replicas).sum();
        return walk
            .add(Step::new(Layer::Endpoints, Status::Pass, count(total, "endpoint")).kubectl(kubectl));
    }
    let (evidence, fix) = match selector(value) {
        Some(wanted) if all.excluded.is_empty() => near_misses(cluster, service, wanted),
        _ => (
            all.excluded
                .iter()
                .map(|e| format!("{}: {}", code(pod_id(cluster.pod(e.pod))), exclusion_text(Some(&e.reason))))
                .collect(),
            format!("give {id} pods to select"),
        ),
    };
    let step = Step::new(Layer::Endpoints, Status::Fail, format!("{id} has no endpoints"))
        .evidence(evidence)
        .fix(fix)
        .kubectl(kubectl);
    walk.block(step)
}

/// The `readiness` layer of a headless Service: DNS publishes only ready
/// endpoints, so with none the name has no records. Returns the ready ones.
fn headless_readiness_step<'e>(
    walk: &mut Walk,
    service: &Service,
    all: &'e ServiceEndpoints,
) -> Flow<Vec<&'e Endpoint>> {
    let id = code(ServiceRef::of(service).id());
    let kubectl = endpoint_slices_kubectl(service);
    let total: u32 = all.endpoints.iter().map(|e| e.replicas).sum();
    let ready: Vec<&Endpoint> = all.ready().collect();
    if ready.is_empty() {
        let step = Step::new(
            Layer::Readiness,
            Status::Fail,
            format!("0 of {} ready: DNS for {id} has no records", count(total, "endpoint")),
        )
        .fix("find why the pods are not ready (`kubectl describe pod`)")
        .kubectl(kubectl);
        return walk.block(step);
    }
    let ready_count: u32 = ready.iter().map(|e| e.replicas).sum();
    let assumed =
        if ready.iter().any(|e| e.assumed_ready) { " (assumed: the input has no pod status)" } else { "" };
    let summary = format!("{ready_count} of {} ready{assumed}", count(total, "endpoint"));
    walk.add(Step::new(Layer::Readiness, Status::Pass, summary).kubectl(kubectl))?;
    Ok(ready)
}
