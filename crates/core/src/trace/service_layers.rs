//! The path through a Service: its `service-type` layer here, then
//! `service-port` (`service_port_steps.rs`), `endpoints`
//! (`endpoints_steps.rs`) and `readiness` (`readiness_steps.rs`), or the
//! headless path (`headless_layers.rs`), then the policy layers on the
//! endpoints. The pod-to-pod path, which has none of them, is in
//! `pod_layers.rs`.

use k8s_openapi::api::core::v1::Service;

use super::endpoints_steps::endpoints_step;
use super::headless_layers::headless_path;
use super::readiness_steps::readiness_step;
use super::service_port_steps::service_port_step;
use super::text::{at, code};
use super::{exposure_steps, policy_layers, snat_layers};
use super::{Client, Ctx, Flow, Hop, Layer, Status, Step, Via, Walk};
use crate::dns;
use crate::model::{Cluster, Object};
use crate::service::{
    cluster_ips, external_ips, external_name, service_kind, PortRef, ServiceKind, ServiceRef,
};
use crate::shell::quote;

/// What a Service leads to after its `service-type` layer.
enum Target<'c> {
    /// This Service (or the in-cluster Service an `ExternalName` aliases).
    Service(&'c Object<Service>),
    /// An `ExternalName` outside the cluster.
    Outside(String),
}

/// A connection to a Service: `service-type`, `service-port`, `endpoints`,
/// `readiness`, then the policy layers on the endpoints.
pub(super) fn service_path<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    client: Client,
    service: &'c Object<Service>,
    port: &PortRef,
    via: Via,
) -> Flow<()> {
    let service = match service_type_step(ctx, walk, client, service, &via)? {
        Target::Service(service) => service,
        Target::Outside(name) => {
            let reason = "an `ExternalName` Service has no ports, endpoints or proxying";
            for layer in [Layer::ServicePort, Layer::Endpoints, Layer::Readiness] {
                walk.skip(layer, reason);
            }
            return policy_layers::outside_path(ctx, walk, client, &name, None, port);
        }
    };
    if service_kind(&service.value) == Some(ServiceKind::Headless) {
        return headless_path(ctx, walk, client, service, port, &via);
    }
    let outside = matches!(client, Client::External(_));
    let (service_port, endpoints) = service_port_step(ctx, walk, service, port, &via, outside)?;
    endpoints_step(ctx, walk, service, &endpoints)?;
    let backends = readiness_step(ctx, walk, client, service, endpoints, &via)?;
    let hop = Hop { service: Some(&service.value), service_port: Some(service_port.port) };
    let nodes = exposure_steps::snat_sources(ctx.cluster, client, &service.value, &via);
    if !nodes.is_empty() {
        return snat_layers::policy_path(ctx, walk, &nodes, &backends, hop);
    }
    ctx.snat_hidden = exposure_steps::snat_hides_nodes(ctx.cluster, client, &service.value, &via);
    let (client, _) = exposure_steps::client_at_pods(ctx.cluster, client, &service.value, &via);
    policy_layers::policy_path(ctx, walk, client, &backends, hop)
}

/// The `service-type` layer: whether the Service's type exposes it to this
/// client, the way the connection arrives (`ClusterIP` inside the cluster
/// only, node ports, load-balancer and external IPs from outside too,
/// `ExternalName` a DNS CNAME), and what the connection goes on to
/// (<https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types>).
fn service_type_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    client: Client,
    service: &'c Object<Service>,
    via: &Via,
) -> Flow<Target<'c>> {
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let kubectl =
        format!("kubectl get service -n {} {} -o wide", quote(&reference.namespace), quote(&reference.name));
    let Some(kind) = service_kind(value) else {
        let id = code(reference.id());
        let type_ = value.spec.as_ref().and_then(|s| s.type_.clone()).unwrap_or_default();
        let defined = at(&service.origin.field_location("spec.type"));
        let step =
            Step::new(Layer::ServiceType, Status::Fail, format!("{id} has an unknown type {}", code(type_)))
                .evidence([format!("type{defined}")])
                .fix("use `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`")
                .kubectl(kubectl);
        return walk.block(step);
    };
    if kind == ServiceKind::ExternalName {
        return external_name_step(ctx.cluster, walk, client, service, via, kubectl);
    }
    let step = match kind {
        ServiceKind::Headless => headless_type_step(value, client, via),
        _ => arrival_step(ctx.cluster, client, service, kind, via),
    };
    walk.add(step.kubectl(kubectl))?;
    Ok(Target::Service(service))
}

/// Whether the client is outside the cluster and connects to the Service
/// itself (not through a proxy inside it).
fn from_outside(client: Client, via: &Via) -> bool {
    matches!(client, Client::External(_)) && !via.proxied()
}

/// What to do for a Service that only the cluster's inside reaches.
fn expose_fix(id: &str) -> String {
    format!(
        "expose it with an Ingress whose backend is {id}, or make it `type: LoadBalancer` (with a load-balancer provisioner) or `type: NodePort`"
    )
}

/// An `ExternalName` Service: a CNAME in cluster DNS, with no proxying or
/// ports, so nothing to connect to from outside the cluster. A name inside
/// the cluster domain aliases the Service it resolves to, which the
/// connection goes on to.
fn external_name_step<'c>(
    cluster: &'c Cluster,
    walk: &mut Walk,
    client: Client,
    service: &Object<Service>,
    via: &Via,
    kubectl: String,
) -> Flow<Target<'c>> {
    let value = &service.value;
    let id = code(ServiceRef::of(value).id());
    let Some(target) = external_name(value) else {
        let step = Step::new(
            Layer::ServiceType,
            Status::Fail,
            format!("{id} is `ExternalName` without `externalName`"),
        )
        .fix("set `spec.externalName` to the DNS name the Service stands for")
        .kubectl(kubectl);
        return walk.block(step);
    };
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    if from_outside(client, via) {
        let step = Step::new(
            Layer::ServiceType,
            Status::Fail,
            format!("{id} is `ExternalName`: a CNAME in cluster DNS, with nothing to connect to from outside the cluster"),
        )
        .fix(format!("connect to {} directly", code(&target)))
        .kubectl(kubectl);
        return walk.block(step);
    }
    let summary = format!(
        "{id} is `ExternalName`: a DNS CNAME to {}; no proxying, no ports, no NetworkPolicy on the Service",
        code(&target)
    );
    let status = if via.proxied() { Status::Warn } else { Status::Pass };
    let mut step = Step::new(Layer::ServiceType, status, summary).kubectl(kubectl);
    if *via == Via::Ingress {
        step.evidence.push(
            "the controller proxies to the name: ingress-nginx does, not every controller does".to_owned(),
        );
    } else if *via == Via::Gateway {
        step.evidence.push(
            "whether the Gateway proxies to the name depends on its implementation: the Gateway API leaves `ExternalName` backends implementation-specific".to_owned(),
        );
    }
    let zone = cluster.cluster_domain();
    if target != zone && !target.ends_with(&format!(".{zone}")) {
        walk.add(step)?;
        return Ok(Target::Outside(target));
    }
    let Some(inner) = aliased_service(cluster, &target) else {
        step.status = Status::Fail;
        step.summary = format!("{id} is a CNAME to {}, which does not resolve in the cluster", code(&target));
        step.fix = format!("point `externalName` of {id} at an existing Service");
        return walk.block(step);
    };
    let inner_id = ServiceRef::of(&inner.value).id();
    step.evidence.push(format!("{} is Service {}", code(&target), code(&inner_id)));
    walk.add(step)?;
    Ok(Target::Service(inner))
}

/// The Service a name in the cluster domain resolves to, as cluster DNS
/// answers its `A` query.
fn aliased_service<'c>(cluster: &'c Cluster, name: &str) -> Option<&'c Object<Service>> {
    let answer = dns::lookup(cluster, name, dns::QueryType::A);
    answer
        .records()
        .into_iter()
        .filter(|r| matches!(r.data, dns::RecordData::A { .. }))
        .find_map(|r| r.service.as_ref())
        .and_then(|s| cluster.service(&s.namespace, &s.name))
}

/// A headless Service has no virtual IP: clients inside connect to the
/// ready pods, whose addresses outside the cluster does not reach.
fn headless_type_step(value: &Service, client: Client, via: &Via) -> Step {
    let id = code(ServiceRef::of(value).id());
    if from_outside(client, via) {
        return Step::new(
            Layer::ServiceType,
            Status::Fail,
            format!("{id} is headless (`clusterIP: None`): it has no address, and its pods' addresses are not reachable from outside the cluster"),
        )
        .fix(expose_fix(&id));
    }
    Step::new(
        Layer::ServiceType,
        Status::Pass,
        format!(
            "{id} is headless (`clusterIP: None`): no virtual IP, clients connect to the ready pods directly"
        ),
    )
}

/// A Service with a virtual IP, by the way the connection arrives at it.
fn arrival_step(
    cluster: &Cluster,
    client: Client,
    service: &Object<Service>,
    kind: ServiceKind,
    via: &Via,
) -> Step {
    let value = &service.value;
    let id = code(ServiceRef::of(value).id());
    let pass = |summary: String| Step::new(Layer::ServiceType, Status::Pass, summary);
    match via {
        Via::ClusterIp | Via::Named if from_outside(client, via) => {
            outside_by_name_step(cluster, client, service, kind, via)
        }
        Via::ClusterIp | Via::Named => {
            let address = match cluster_ips(value).first() {
                Some(ip) => format!("cluster IP {}", code(ip)),
                None => "a cluster IP assigned at creation".to_owned(),
            };
            pass(format!("{id} is `{}`, with {address}", kind.as_str()))
        }
        Via::Ingress | Via::Gateway => {
            pass(format!("{id} is `{}`: {} to its endpoints", kind.as_str(), via.proxy_sends()))
        }
        Via::NodePort { node, address } => {
            let at_node = match node {
                Some(node) => format!("{} is node {}", code(address), code(node)),
                None => format!("{} is not a node of the input: assumed to be one", code(address)),
            };
            pass(format!("{id} is `{}`: every node listens on its node ports", kind.as_str()))
                .evidence([at_node])
        }
        Via::LoadBalancer { address } => exposure_steps::apply_source_ranges(
            pass(format!("{id} is `LoadBalancer`, provisioned at {}", code(address))),
            value,
            client,
        ),
        Via::ExternalIp { address } => pass(format!(
            "{id} lists {} in `externalIPs`: nodes receiving traffic for it forward it",
            code(address)
        )),
    }
}

/// From outside, by its cluster IP or its name: only node ports, a load
/// balancer or `externalIPs` expose the Service there; a cluster IP is
/// internal by design.
fn outside_by_name_step(
    cluster: &Cluster,
    client: Client,
    service: &Object<Service>,
    kind: ServiceKind,
    via: &Via,
) -> Step {
    let value = &service.value;
    let id = code(ServiceRef::of(value).id());
    let externals = external_ips(value);
    if via == &Via::Named && (kind.has_node_ports() || !externals.is_empty()) {
        let step = exposed_step(cluster, value, kind, &id, &externals);
        return if kind == ServiceKind::LoadBalancer {
            exposure_steps::apply_source_ranges(step, value, client)
        } else {
            step
        };
    }
    let defined = at(&service.origin.field_location("spec.type"));
    Step::new(
        Layer::ServiceType,
        Status::Fail,
        format!("{id} is `ClusterIP`: reachable only from inside the cluster, by design"),
    )
    .evidence([format!("type `{}`{defined}", kind.as_str())])
    .fix(expose_fix(&id))
}

/// A `NodePort` or `LoadBalancer` Service (or one with `externalIPs`)
/// reached from outside by name.
fn exposed_step(
    cluster: &Cluster,
    value: &Service,
    kind: ServiceKind,
    id: &str,
    externals: &[String],
) -> Step {
    if kind == ServiceKind::LoadBalancer {
        return exposure_steps::load_balancer_step(cluster, value, id);
    }
    if kind == ServiceKind::NodePort {
        return Step::new(
            Layer::ServiceType,
            Status::Pass,
            format!("{id} is `NodePort`: every node listens on its node ports"),
        );
    }
    Step::new(
        Layer::ServiceType,
        Status::Pass,
        format!(
            "{id} is `ClusterIP` with `externalIPs` {}",
            externals.iter().map(code).collect::<Vec<_>>().join(", ")
        ),
    )
}
