//! From outside the cluster: an address (a node port, a load balancer, an
//! external IP) or a host name, which an Ingress rule routes through its
//! controller (`ingress-class`, `ingress-rule`).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::Ingress;

use super::exposure_steps::exposed_by;
use super::front::land;
use super::service_layers;
use super::text::{at, close_matches, code, either};
use super::{exposure_steps, ingress_tls};
use super::{Client, Ctx, Flow, Landing, Layer, Scheme, Status, Step, Via, Walk, INGRESS_ORDER};
use crate::dns::{self, QueryType};
use crate::ingress::{
    self, check_backend, host_matches, ingress_class_of, path_matches, Alternative, BackendCheck, BackendRef,
    BackendSite, BackendStatus, ClassProblem, ClassResolution, ClassRoute, ControllerInfo, ControllerKind,
    HostMatch, IngressRef, LossReason, PathMatch, PathType, RouteTarget,
};
use crate::model::{Cluster, Object, PodId, Readiness};
use crate::routes::{controller_proxies, Proxies};
use crate::service::{lb_addresses, PortRef, ServiceRef};
use crate::shell::quote;

/// A trace from outside the cluster to `host`.
pub(super) fn from_outside(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    client: Client,
    host: &str,
    port: u16,
    path: &str,
    scheme: Scheme,
) -> Flow<()> {
    let cluster = ctx.cluster;
    let port_ref = PortRef::Number(i32::from(port));
    if let Ok(address) = host.parse::<IpAddr>() {
        walk.skip(Layer::Dns, format!("{} is an address: no lookup", code(address)));
        return match land(ctx, address, port) {
            Landing::Outside { .. } => {
                let step = Step::new(
                    Layer::ServiceType,
                    Status::Fail,
                    format!("{} is no address of the cluster in the input: not a node, a load balancer or an external IP of a Service", code(address)),
                )
                .fix("connect to a load-balancer address, a node's address on a node port, or an Ingress host")
                .kubectl("kubectl get services -A -o wide");
                walk.block(step)
            }
            landing => super::follow(ctx, walk, client, landing, &port_ref),
        };
    }
    if let Some(flow) = super::gateway_layers::through_gateway(ctx, walk, host, port, path, scheme) {
        return flow;
    }
    let routes = ingress::route(cluster, host, path);
    if !routes.is_empty() {
        return ingress_path(ctx, walk, client, host, port, path, scheme, &routes);
    }
    let balancer = cluster
        .services()
        .iter()
        .find(|s| lb_addresses(&s.value).iter().any(|lb| lb.hostname.as_deref() == Some(host)));
    if let Some(service) = balancer {
        walk.add(Step::new(
            Layer::Dns,
            Status::Pass,
            format!(
                "{} is the load-balancer hostname of {}",
                code(host),
                code(ServiceRef::of(&service.value).id())
            ),
        ))?;
        return service_layers::service_path(
            ctx,
            walk,
            client,
            service,
            &port_ref,
            Via::LoadBalancer { address: host.to_owned() },
        );
    }
    if let Some(service) = cluster_service_named(cluster, host) {
        let id = code(ServiceRef::of(&service.value).id());
        let step = Step::new(
            Layer::Dns,
            Status::Fail,
            format!("{} is a cluster DNS name (Service {id}): it does not resolve outside the cluster", code(host)),
        )
        .fix(format!(
            "expose {id} with an Ingress, or make it `type: LoadBalancer` or `type: NodePort`, and use that host or address"
        ))
        .kubectl(format!(
            "kubectl get service -n {} {}",
            quote(&ServiceRef::of(&service.value).namespace),
            quote(&ServiceRef::of(&service.value).name)
        ));
        return walk.block(step);
    }
    if cluster.ingresses().is_empty() {
        let step = Step::new(
            Layer::Dns,
            Status::Fail,
            format!(
                "{} leads nowhere in the cluster: no Ingress, load-balancer hostname or Service names it",
                code(host)
            ),
        )
        .fix("connect to a load-balancer address or a node port, or add an Ingress for the host")
        .kubectl("kubectl get ingress,services -A");
        return walk.block(step);
    }
    no_matching_host(ctx, walk, host)
}

/// `host` as a cluster DNS name: `svc.ns`, `svc.ns.svc`, `svc.ns.svc.<zone>`.
fn cluster_service_named<'c>(
    cluster: &'c Cluster,
    host: &str,
) -> Option<&'c Object<k8s_openapi::api::core::v1::Service>> {
    let zone = cluster.cluster_domain();
    let candidates = [format!("{host}.svc.{zone}"), format!("{host}.{zone}"), host.to_owned()];
    candidates.iter().find_map(|name| {
        let answer = dns::lookup(cluster, name, QueryType::A);
        let record = answer.records().into_iter().find_map(|r| r.service.clone())?;
        cluster.service(&record.namespace, &record.name)
    })
}

/// The Ingress path: the controller owns the Ingress, a rule routes the
/// request, then the controller connects to the backend Service's endpoints.
#[allow(clippy::too_many_arguments)]
fn ingress_path(
    ctx: &mut Ctx<'_, '_>,
    walk: &mut Walk,
    outside: Client,
    host: &str,
    port: u16,
    path: &str,
    scheme: Scheme,
    routes: &[ClassRoute],
) -> Flow<()> {
    walk.order = &INGRESS_ORDER;
    let cluster = ctx.cluster;
    // Several classes may serve the host; the one with a working controller
    // is the one public DNS most likely points at.
    let resolved: Vec<(&ClassRoute, &Object<Ingress>, ClassResolution)> = routes
        .iter()
        .filter_map(|route| {
            let ingress = route_ingress(cluster, route, host)?;
            Some((route, ingress, ingress_class_of(cluster, &ingress.value)))
        })
        .collect();
    let Some(best) = resolved
        .iter()
        .position(|(_, _, class)| class.controller.is_some() && !blocking(class))
        .or(if resolved.is_empty() { None } else { Some(0) })
    else {
        return no_matching_host(ctx, walk, host);
    };
    let (route, ingress, class) = &resolved[best];
    let ingress_id = IngressRef::of(&ingress.value).id();

    // dns: public DNS is outside the model; say where it must point.
    let mut evidence = controller_addresses(cluster, class, &ingress.value);
    for (other, other_ingress, other_class) in resolved.iter().filter(|(r, _, _)| !std::ptr::eq(*r, *route)) {
        evidence.push(format!(
            "Ingress {} of class {} also serves it",
            code(IngressRef::of(&other_ingress.value).id()),
            code(other_class.class.as_deref().unwrap_or("(none)"))
        ));
        let _ = other;
    }
    let named = rules(&ingress.value).any(|(rule_host, _)| host_matches(rule_host, host).is_some());
    let summary = if named {
        format!(
            "{} is a host of Ingress {}; public DNS, outside the model, must point it at the ingress controller",
            code(host),
            code(&ingress_id)
        )
    } else {
        format!(
            "no Ingress rule names {}; if public DNS, outside the model, points it at the controller of Ingress {}, the controller answers",
            code(host),
            code(&ingress_id)
        )
    };
    let step = Step::new(Layer::Dns, Status::Pass, summary).evidence(evidence).kubectl(format!(
        "kubectl get ingress -n {} {} -o wide",
        quote(ingress.value.metadata.namespace.as_deref().unwrap_or("default")),
        quote(ingress.value.metadata.name.as_deref().unwrap_or_default())
    ));
    walk.add(step)?;

    let client = class_step(ctx, walk, ingress, class, port)?;
    super::controller_source::controller_policies(ctx, walk, outside, class, port)?;
    let Some((service, port)) = rule_step(ctx, walk, ingress, route, host, path, scheme)? else {
        return Ok(());
    };
    service_layers::service_path(ctx, walk, client, service, &port, Via::Ingress)
}

/// Whether a class problem means no controller serves the Ingress.
fn blocking(class: &ClassResolution) -> bool {
    class.problems.iter().any(|p| {
        matches!(
            p,
            ClassProblem::NoClass | ClassProblem::ClassNotFound { .. } | ClassProblem::UnknownClass { .. }
        )
    })
}

/// The Ingress a route came from: the winning rule's or default backend's,
/// else (the controller's default answers) the oldest of the class whose
/// rules name the host.
fn route_ingress<'c>(cluster: &'c Cluster, route: &ClassRoute, host: &str) -> Option<&'c Object<Ingress>> {
    let find =
        |reference: &IngressRef| cluster.ingresses().iter().find(|i| IngressRef::of(&i.value) == *reference);
    match &route.target {
        RouteTarget::Rule(candidate) => find(&candidate.ingress),
        RouteTarget::DefaultBackend { ingress, .. } => find(ingress),
        RouteTarget::ControllerDefault => {
            let noted = route.notes.iter().find_map(|note| match note {
                ingress::RouteNote::DefaultBackendNotCatchAll { ingress } => find(ingress),
                _ => None,
            });
            let mut matching: Vec<(HostMatch, &Object<Ingress>)> = cluster
                .ingresses()
                .iter()
                .filter(|i| ingress_class_of(cluster, &i.value).class == route.class)
                .filter_map(|i| {
                    let best =
                        rules(&i.value).filter_map(|(rule_host, _)| host_matches(rule_host, host)).max()?;
                    Some((best, i))
                })
                .collect();
            matching.sort_by_key(|(host_match, _)| std::cmp::Reverse(*host_match));
            matching.first().map(|(_, i)| *i).or(noted)
        }
    }
}

/// The rules of an Ingress: host and paths (with their sites).
fn rules(
    ingress: &Ingress,
) -> impl Iterator<Item = (Option<&str>, Vec<(BackendSite, &k8s_openapi::api::networking::v1::HTTPIngressPath)>)>
{
    ingress.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate().map(|(r, rule)| {
        let paths = rule
            .http
            .iter()
            .flat_map(|h| h.paths.iter())
            .enumerate()
            .map(|(p, path)| (BackendSite::Path { rule: r, path: p }, path))
            .collect();
        (rule.host.as_deref().filter(|h| !h.is_empty()), paths)
    })
}

/// Where the controller can be reached from outside: its Services' load
/// balancers and node ports, and the Ingress's published addresses.
fn controller_addresses(cluster: &Cluster, class: &ClassResolution, ingress: &Ingress) -> Vec<String> {
    let mut evidence = Vec::new();
    let published: Vec<String> = ingress
        .status
        .iter()
        .flat_map(|s| s.load_balancer.iter())
        .flat_map(|lb| lb.ingress.iter().flatten())
        .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
        .collect();
    if !published.is_empty() {
        evidence.push(format!(
            "the Ingress publishes {}",
            published.iter().map(code).collect::<Vec<_>>().join(", ")
        ));
    }
    let Some(controller) = &class.controller else { return evidence };
    let pods: BTreeSet<PodId> = controller.pods.iter().copied().collect();
    evidence.extend(exposed_by(cluster, &pods, "the controller is", "the controller's"));
    evidence
}

/// The `ingress-class` layer; returns the client the backend sees: the
/// controller's pods, the outside for a cloud load balancer.
fn class_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    ingress: &Object<Ingress>,
    class: &ClassResolution,
    port: u16,
) -> Flow<Client> {
    let cluster = ctx.cluster;
    let id = code(IngressRef::of(&ingress.value).id());
    let kubectl = "kubectl get ingressclass";
    let mut evidence = Vec::new();
    let status = class_problems(cluster, walk, ingress, class, &mut evidence)?;
    let source = match class.source {
        ingress::ClassSource::Field => "`spec.ingressClassName`",
        ingress::ClassSource::Annotation => "the `kubernetes.io/ingress.class` annotation",
        ingress::ClassSource::Default => "the default IngressClass",
        ingress::ClassSource::WithoutClass => "a controller that takes Ingresses without class",
        ingress::ClassSource::None => "nothing",
    };
    let class_name = class.class.as_deref().map(code).unwrap_or_else(|| "no class".to_owned());
    let Some(controller) = &class.controller else {
        let step = Step::new(
            Layer::IngressClass,
            Status::Fail,
            format!("no controller serves class {class_name} of {id}"),
        )
        .evidence(evidence)
        .fix("install the class's controller")
        .kubectl(kubectl);
        return walk.block(step);
    };
    let workloads: Vec<String> = controller.workloads.iter().map(|w| code(w.id())).collect();
    let served_by = if workloads.is_empty() {
        controller_name(controller.kind)
    } else {
        format!("{} ({})", controller_name(controller.kind), workloads.join(", "))
    };
    let summary = format!("{id} has {class_name} (from {source}), served by {served_by}");
    if let Some(location) = &class.ingress_class {
        evidence.insert(0, format!("IngressClass {class_name}{}", at(location)));
    }
    let client = controller_client(ctx, walk, controller, &summary, &mut evidence)?;
    match exposure_steps::controller_port(cluster, controller, port) {
        Ok(more) => evidence.extend(more),
        Err((why, more, fix)) => {
            evidence.insert(0, summary);
            evidence.extend(more);
            let step = Step::new(Layer::IngressClass, Status::Fail, why)
                .evidence(evidence)
                .fix(fix)
                .kubectl("kubectl get services -A -o wide");
            return walk.block(step);
        }
    }
    walk.add(Step::new(Layer::IngressClass, status, summary).evidence(evidence).kubectl(kubectl))?;
    Ok(client)
}

/// The class's problems: no class or an unknown one blocks; the others
/// are evidence, and some make the step a warning (its status).
fn class_problems(
    cluster: &Cluster,
    walk: &mut Walk,
    ingress: &Object<Ingress>,
    class: &ClassResolution,
    evidence: &mut Vec<String>,
) -> Flow<Status> {
    let mut status = Status::Pass;
    for problem in &class.problems {
        match problem {
            ClassProblem::NoClass => return no_class(cluster, walk, ingress, std::mem::take(evidence)),
            ClassProblem::ClassNotFound { name } | ClassProblem::UnknownClass { name } => {
                return unknown_class(cluster, walk, ingress, name);
            }
            ClassProblem::AnnotationConflict { field, annotation } => {
                status = Status::Warn;
                evidence.push(format!(
                    "`spec.ingressClassName` is {} but the annotation says {}: controllers read the annotation",
                    code(field),
                    code(annotation)
                ));
            }
            ClassProblem::DeprecatedAnnotation => evidence.push(
                "the class comes from the deprecated `kubernetes.io/ingress.class` annotation".to_owned(),
            ),
            ClassProblem::SeveralDefaults { classes, chosen } => {
                status = Status::Warn;
                evidence.push(format!(
                    "IngressClasses {} are all default: admission picks the newest, {}",
                    classes.iter().map(code).collect::<Vec<_>>().join(", "),
                    code(chosen)
                ));
            }
            ClassProblem::UnknownController { controller } => {
                status = Status::Warn;
                evidence.push(format!(
                    "controller {} is not one kubereach knows, and no pod of the input claims it",
                    code(controller)
                ));
            }
            ClassProblem::ControllerNotFound { kind } => {
                status = Status::Warn;
                evidence.push(format!("the input has no pods of the {} controller", controller_name(*kind)));
            }
        }
    }
    Ok(status)
}

/// The Ingress names no class and no IngressClass is the default: no
/// controller serves it. `evidence`: the class's problems found so far.
fn no_class<T>(
    cluster: &Cluster,
    walk: &mut Walk,
    ingress: &Object<Ingress>,
    mut evidence: Vec<String>,
) -> Flow<T> {
    let id = code(IngressRef::of(&ingress.value).id());
    let classes = class_inventory(cluster);
    let names: Vec<String> = classes.iter().map(|(name, _)| code(name)).collect();
    let fix = if names.is_empty() {
        format!(
            "install an ingress controller and set `spec.ingressClassName` on {id}{}",
            at(&ingress.origin.location())
        )
    } else {
        format!(
            "set `spec.ingressClassName` to {} on {id}{}, or mark one IngressClass default (`ingressclass.kubernetes.io/is-default-class: \"true\"`)",
            either(&names),
            at(&ingress.origin.location())
        )
    };
    let summary = if names.len() > 1 {
        format!("{id} names no class, no IngressClass is the default, and {} controllers could serve it: none does", names.len())
    } else {
        format!("{id} names no class and no IngressClass is the default: no controller serves it")
    };
    evidence.extend(class_lines(&classes));
    let step = Step::new(Layer::IngressClass, Status::Fail, summary)
        .evidence(evidence)
        .fix(fix)
        .kubectl("kubectl get ingressclass");
    walk.block(step)
}

/// The Ingress asks for class `name`, which no IngressClass or controller has.
fn unknown_class<T>(cluster: &Cluster, walk: &mut Walk, ingress: &Object<Ingress>, name: &str) -> Flow<T> {
    let id = code(IngressRef::of(&ingress.value).id());
    let classes = class_inventory(cluster);
    let names: Vec<String> = classes.iter().map(|(name, _)| code(name)).collect();
    let close = close_matches(name, classes.iter().map(|(n, _)| n.clone()));
    let fix = match close.first() {
        Some(close) => format!("did you mean {}? set `spec.ingressClassName` of {id} to it", code(close)),
        None if names.is_empty() => "create the IngressClass, or install its controller".to_owned(),
        None => format!("use one of {}", either(&names)),
    };
    let step = Step::new(
        Layer::IngressClass,
        Status::Fail,
        format!(
            "{id} asks for class {}, which no IngressClass or controller has: no controller serves it",
            code(name)
        ),
    )
    .evidence(class_lines(&classes))
    .fix(fix)
    .kubectl("kubectl get ingressclass");
    walk.block(step)
}

/// `IngressClass `nginx` → `k8s.io/ingress-nginx``, one line per class.
fn class_lines(classes: &[(String, String)]) -> Vec<String> {
    classes
        .iter()
        .map(|(name, controller)| format!("IngressClass {} → {}", code(name), code(controller)))
        .collect()
}

/// Who connects to the backends for the controller, as
/// [`controller_proxies`] decides it: one of its pods that receive
/// requests, the outside for a load balancer outside the cluster, else the
/// symbolic controller; pods none of which receives requests block.
fn controller_client(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    controller: &ControllerInfo,
    summary: &str,
    evidence: &mut Vec<String>,
) -> Flow<Client> {
    let cluster = ctx.cluster;
    match controller_proxies(cluster, Some(controller)) {
        Proxies::Pods(pods) => {
            let pod = cluster.pod(pods[0]);
            if pod.readiness() == Readiness::NotReady {
                let binding = if pod.host_network() { "`hostNetwork`" } else { "a `hostPort`" };
                evidence.push(format!("{} is not ready, so its Service sends it nothing, but it is bound on its node ({binding}): a client that sends to the node's address reaches it", ctx.pod_name(pods[0])));
            }
            Ok(Client::Pod(pods[0]))
        }
        Proxies::Outside => {
            evidence.push(
                "the controller is a load balancer outside the cluster: its connections come from outside"
                    .to_owned(),
            );
            Ok(Client::External(None))
        }
        Proxies::Symbolic => {
            evidence.push("the controller's pods are not in the input: policies are checked against a pod of an unlabelled namespace of its own".to_owned());
            Ok(Client::IngressController)
        }
        Proxies::NotReady(pods) => {
            let first = cluster.pod(pods[0]);
            let names: Vec<String> = pods.iter().map(|p| ctx.pod_name(*p)).collect();
            let step = Step::new(
                Layer::IngressClass,
                Status::Fail,
                "no pod of the ingress controller is ready: the Service in front of them has no ready endpoints, so nothing answers".to_owned(),
            )
            .evidence([summary.to_owned()].into_iter().chain(evidence.drain(..)).chain([format!("the controller's pods: {}; none is ready, and none is bound on its node (`hostNetwork`, `hostPort`)", names.join(", "))]))
            .fix("make the controller's pods ready: their conditions and events say why they are not")
            .kubectl(format!("kubectl describe pod -n {} {}", quote(&first.namespace), quote(&first.name)));
            walk.block(step)
        }
    }
}

/// Every IngressClass with its controller, sorted.
fn class_inventory(cluster: &Cluster) -> Vec<(String, String)> {
    let mut classes: Vec<(String, String)> = cluster
        .ingress_classes()
        .iter()
        .map(|c| {
            (
                c.value.metadata.name.clone().unwrap_or_default(),
                c.value.spec.as_ref().and_then(|s| s.controller.clone()).unwrap_or_default(),
            )
        })
        .collect();
    classes.sort();
    classes
}

fn controller_name(kind: ControllerKind) -> String {
    match kind {
        ControllerKind::IngressNginx => "ingress-nginx",
        ControllerKind::NginxInc => "NGINX Ingress Controller",
        ControllerKind::Traefik => "Traefik",
        ControllerKind::Haproxy => "HAProxy Kubernetes Ingress",
        ControllerKind::HaproxyIngress => "HAProxy Ingress",
        ControllerKind::Contour => "Contour",
        ControllerKind::Kong => "Kong",
        ControllerKind::Istio => "Istio",
        ControllerKind::Gce => "the GCE load balancer",
        ControllerKind::AwsLoadBalancer => "the AWS Load Balancer Controller",
        ControllerKind::AzureApplicationGateway => "Azure Application Gateway",
        ControllerKind::Other => "an unknown controller",
    }
    .to_owned()
}

/// The `ingress-rule` layer: the matching rule, its backend and TLS.
/// Returns the backend Service and port, or `None` when the backend is not
/// a Service (the trace ends there).
fn rule_step<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    ingress: &'c Object<Ingress>,
    route: &ClassRoute,
    host: &str,
    path: &str,
    scheme: Scheme,
) -> Flow<Option<(&'c Object<k8s_openapi::api::core::v1::Service>, PortRef)>> {
    let cluster = ctx.cluster;
    let reference = IngressRef::of(&ingress.value);
    let id = code(reference.id());
    let kubectl =
        format!("kubectl describe ingress -n {} {}", quote(&reference.namespace), quote(&reference.name));
    let mut evidence = Vec::new();
    let Some((site, summary, mut status)) = matched_rule(route, &id, path, &mut evidence) else {
        return no_matching_path(cluster, walk, ingress, route, host, path, kubectl);
    };
    evidence.extend(route.notes.iter().map(note_text));
    let check = check_backend(cluster, ingress, site).expect("the route's site has a backend");
    let Some((service_ref, port)) = rule_backend(walk, &check, &summary, &mut evidence, &kubectl, &id)?
    else {
        return Ok(None);
    };
    evidence.push(format!(
        "backend: Service {} port {}{}",
        code(service_ref.id()),
        code(&port),
        at(&check.location)
    ));
    match ingress_tls::tls_outcome(cluster, ingress, route.controller, host, path, scheme) {
        ingress_tls::TlsOutcome::Through { evidence: more, warn } => {
            evidence.extend(more);
            if warn {
                status = Status::Warn;
            }
        }
        ingress_tls::TlsOutcome::Blocked { why, fix } => {
            evidence.insert(0, summary);
            let step = Step::new(Layer::IngressRule, Status::Fail, why)
                .evidence(evidence)
                .fix(fix)
                .kubectl(format!("kubectl get secret -n {}", quote(&reference.namespace)));
            return walk.block(step);
        }
    }
    let fix = if status == Status::Warn && matches!(route.target, RouteTarget::DefaultBackend { .. }) {
        format!("add a rule path for {} if the default backend is not meant to answer it", code(path))
    } else {
        String::new()
    };
    let Some(service) = cluster.service(&service_ref.namespace, &service_ref.name) else {
        unreachable!("check_backend found the Service");
    };
    walk.add(Step::new(Layer::IngressRule, status, summary).evidence(evidence).fix(fix).kubectl(kubectl))?;
    Ok(Some((service, port)))
}

/// What in the Ingress `id` takes `path`: a rule path (with the paths it
/// wins over) or the `defaultBackend` (a warning), with the step's summary
/// and status; `None` when only the controller's default backend answers.
fn matched_rule(
    route: &ClassRoute,
    id: &str,
    path: &str,
    evidence: &mut Vec<String>,
) -> Option<(BackendSite, String, Status)> {
    match &route.target {
        RouteTarget::Rule(candidate) => {
            evidence.push(format!(
                "rule path {}, {}{}",
                code(&candidate.path),
                path_type_text(candidate.path_type, candidate.path_match),
                at(&candidate.location)
            ));
            evidence.extend(route.alternatives.iter().map(alternative_text));
            let summary = format!(
                "{} path {} of {id} matches {}",
                host_text(candidate.host.as_deref()),
                code(&candidate.path),
                code(path)
            );
            Some((candidate.site, summary, Status::Pass))
        }
        RouteTarget::DefaultBackend { ingress: owner, location, .. } => {
            evidence.push(format!("`defaultBackend` of {}{}", code(owner.id()), at(location)));
            let summary = format!(
                "no rule path matches {}: the `defaultBackend` of {} answers",
                code(path),
                code(owner.id())
            );
            Some((BackendSite::DefaultBackend, summary, Status::Warn))
        }
        RouteTarget::ControllerDefault => None,
    }
}

/// A path that also matches the request but loses, and why.
fn alternative_text(alternative: &Alternative) -> String {
    let why = match &alternative.reason {
        LossReason::LessSpecificHost => "a more specific host wins".to_owned(),
        LossReason::ShorterPath => "the longest path wins".to_owned(),
        LossReason::ExactPreferred => "`Exact` wins over `Prefix`".to_owned(),
        LossReason::Tie => "an older Ingress or earlier rule wins".to_owned(),
        LossReason::ShadowedByHost { host } => {
            format!("the controller serves only host {}'s paths", code(host))
        }
    };
    format!(
        "{} {} of {} also matches, but {why}",
        host_text(alternative.candidate.host.as_deref()),
        code(&alternative.candidate.path),
        code(alternative.candidate.ingress.id())
    )
}

/// No path of the host matches: the controller's default backend answers 404.
fn no_matching_path<T>(
    cluster: &Cluster,
    walk: &mut Walk,
    ingress: &Object<Ingress>,
    route: &ClassRoute,
    host: &str,
    path: &str,
    kubectl: String,
) -> Flow<T> {
    let (mut paths, fix) = near_paths(cluster, ingress, host, path, route.controller);
    paths.extend(route.notes.iter().map(note_text));
    let step = Step::new(
        Layer::IngressRule,
        Status::Fail,
        format!(
            "no path of host {} matches {}: the controller's default backend answers (404)",
            code(host),
            code(path)
        ),
    )
    .evidence(paths)
    .fix(fix)
    .kubectl(kubectl);
    walk.block(step)
}

/// The Service and port the rule's backend names; `None` (after a
/// warning step) when it is another kind of resource; blocks when it does
/// not lead to a Service port.
fn rule_backend(
    walk: &mut Walk,
    check: &BackendCheck,
    summary: &str,
    evidence: &mut Vec<String>,
    kubectl: &str,
    id: &str,
) -> Flow<Option<(ServiceRef, PortRef)>> {
    match (&check.backend, &check.status) {
        (
            BackendRef::Service { service, port: Some(port) },
            BackendStatus::Ok { .. } | BackendStatus::ExternalName { .. },
        ) => Ok(Some((service.clone(), port.clone()))),
        (BackendRef::Resource { kind, name, .. }, _) => {
            let step = Step::new(
                Layer::IngressRule,
                Status::Warn,
                format!(
                    "{summary}; its backend is {kind} {}, not a Service: the trace ends here",
                    code(name)
                ),
            )
            .evidence(std::mem::take(evidence))
            .kubectl(kubectl);
            walk.add(step)?;
            Ok(None)
        }
        (backend, problem) => {
            let (why, fix) = backend_problem(backend, problem, &at(&check.location), id);
            let evidence = std::iter::once(summary.to_owned()).chain(std::mem::take(evidence));
            walk.block(
                Step::new(Layer::IngressRule, Status::Fail, why).evidence(evidence).fix(fix).kubectl(kubectl),
            )
        }
    }
}

/// A caveat of a route, as evidence.
fn note_text(note: &ingress::RouteNote) -> String {
    match note {
        ingress::RouteNote::RegexPaths { ingress } => format!(
            "ingress-nginx reads the paths of {} as regular expressions; they were matched as prefixes",
            code(ingress.id())
        ),
        ingress::RouteNote::DefaultBackendNotCatchAll { ingress } => format!(
            "the `defaultBackend` of {} is no catch-all on this controller: only an Ingress without rules makes one",
            code(ingress.id())
        ),
        ingress::RouteNote::DefaultBackendDependsOnController { ingress } => format!(
            "whether the `defaultBackend` of {} (an Ingress with rules) answers other hosts depends on the controller",
            code(ingress.id())
        ),
    }
}

fn host_text(host: Option<&str>) -> String {
    match host {
        Some(host) => format!("host {}", code(host)),
        None => "any host".to_owned(),
    }
}

fn path_type_text(path_type: PathType, how: PathMatch) -> String {
    match (path_type, how) {
        (PathType::Exact, _) => "`Exact`".to_owned(),
        (PathType::Prefix, _) => "`Prefix`".to_owned(),
        (PathType::ImplementationSpecific, PathMatch::StringPrefix) => {
            "`ImplementationSpecific`, a string prefix for this controller".to_owned()
        }
        (PathType::ImplementationSpecific, _) => "`ImplementationSpecific`, read as `Prefix`".to_owned(),
    }
}

/// Why a backend does not reach a Service port, and the fix.
fn backend_problem(
    backend: &BackendRef,
    status: &BackendStatus,
    location: &str,
    ingress: &str,
) -> (String, String) {
    let service = match backend {
        BackendRef::Service { service, .. } => code(service.id()),
        _ => "the Service".to_owned(),
    };
    let asked = match backend {
        BackendRef::Service { port: Some(port), .. } => code(port),
        _ => "?".to_owned(),
    };
    match status {
        BackendStatus::MissingService => (
            format!("its backend{location} names no Service"),
            format!("give the backend a `service` with a name and port in {ingress}"),
        ),
        BackendStatus::MissingPort => (
            format!("its backend{location} names no port of {service}"),
            format!("set `port.number` or `port.name` of the backend{location}"),
        ),
        BackendStatus::ServiceNotFound => (
            format!("backend {service}{location} is not in the input"),
            format!("create {service}, or point the backend at an existing Service"),
        ),
        BackendStatus::PortNotFound { service_ports, container_port, suggestion } => {
            let ports: Vec<String> = service_ports.iter().map(|p| p.port.to_string()).collect();
            let why = if *container_port {
                format!(
                    "backend port {asked}{location} is a container port of the pods, not a port of {service} (an Ingress backend names a Service port)"
                )
            } else {
                format!("{service} has no port {asked} (backend{location})")
            };
            let fix = match suggestion {
                Some(port) => {
                    let name = port.name.as_deref().map(|n| format!(" ({})", code(n))).unwrap_or_default();
                    format!(
                        "set the backend's port to {}{name}, the Service port that leads there",
                        port.port
                    )
                }
                None if ports.is_empty() => format!("give {service} a port"),
                None => format!("use a port of {service}: {}", ports.join(", ")),
            };
            (why, fix)
        }
        BackendStatus::NotTcp { port } => (
            format!(
                "port {} of {service} is {}, and Ingress traffic is HTTP over TCP",
                port.port, port.protocol
            ),
            "point the backend at a TCP port".to_owned(),
        ),
        BackendStatus::Ok { .. } | BackendStatus::ExternalName { .. } | BackendStatus::Resource => {
            (String::new(), String::new())
        }
    }
}

/// The paths of `host` in the route's Ingress (and others of its class),
/// and the change that would make one match `path`.
fn near_paths(
    cluster: &Cluster,
    ingress: &Object<Ingress>,
    host: &str,
    path: &str,
    controller: Option<ControllerKind>,
) -> (Vec<String>, String) {
    let class = ingress_class_of(cluster, &ingress.value).class;
    let mut evidence = Vec::new();
    let mut fixes = Vec::new();
    for candidate in cluster.ingresses().iter().filter(|i| ingress_class_of(cluster, &i.value).class == class)
    {
        let id = code(IngressRef::of(&candidate.value).id());
        for (rule_host, paths) in rules(&candidate.value) {
            if host_matches(rule_host, host).is_none() {
                continue;
            }
            for (site, http_path) in paths {
                let written =
                    http_path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
                let path_type = PathType::parse(&http_path.path_type);
                let location = at(&candidate.origin.field_location(&format!(
                    "spec.rules[{}].http.paths[{}]",
                    match site {
                        BackendSite::Path { rule, .. } => rule,
                        BackendSite::DefaultBackend => 0,
                    },
                    match site {
                        BackendSite::Path { path, .. } => path,
                        BackendSite::DefaultBackend => 0,
                    }
                )));
                evidence.push(format!(
                    "{} of {id}: {} ({}){location}",
                    host_text(rule_host),
                    code(&written),
                    path_type_text(path_type, PathMatch::of(path_type, controller))
                ));
                if path_type == PathType::Exact && path_matches(PathMatch::Prefix, &written, path) {
                    evidence.push(format!("`Exact` matches {} only, not the paths below it", code(&written)));
                    fixes.push(format!("use `pathType: Prefix` for {} in {id}{location}", code(&written)));
                }
            }
        }
    }
    let fix = match fixes.first() {
        Some(fix) => fix.clone(),
        None => format!("add a path matching {} to a rule for host {}", code(path), code(host)),
    };
    (evidence, fix)
}

/// No Ingress rule names the host: say which hosts come close.
fn no_matching_host(ctx: &mut Ctx<'_, '_>, walk: &mut Walk, host: &str) -> Flow<()> {
    walk.order = &INGRESS_ORDER;
    let cluster = ctx.cluster;
    walk.add(Step::new(
        Layer::Dns,
        Status::Pass,
        format!("{} is not a cluster name: public DNS, outside the model, decides where it goes", code(host)),
    ))?;
    let classes: BTreeSet<Option<String>> =
        cluster.ingresses().iter().map(|i| ingress_class_of(cluster, &i.value).class).collect();
    walk.skip(
        Layer::IngressClass,
        format!(
            "no Ingress names host {}; the cluster's Ingresses have {}",
            code(host),
            count_classes(&classes)
        ),
    );
    let mut evidence = Vec::new();
    let mut hosts: BTreeSet<(String, String)> = BTreeSet::new();
    for ingress in cluster.ingresses() {
        let id = IngressRef::of(&ingress.value).id();
        for (rule_host, _) in rules(&ingress.value) {
            if let Some(rule_host) = rule_host {
                hosts.insert((rule_host.to_ascii_lowercase(), id.clone()));
            }
        }
    }
    let mut options = Vec::new();
    for (rule_host, id) in &hosts {
        if let Some(suffix) = rule_host.strip_prefix("*.") {
            let labels_more = host.strip_suffix(suffix).and_then(|rest| rest.strip_suffix('.'));
            if host == suffix || labels_more.is_some_and(|rest| rest.contains('.')) {
                evidence.push(format!(
                    "{} of {} matches exactly one label before {}: not {}",
                    code(rule_host),
                    code(id),
                    code(suffix),
                    code(host)
                ));
                options.push(format!("add host {} to a rule of {}", code(host), code(id)));
            }
        }
    }
    for close in close_matches(host, hosts.iter().map(|(h, _)| h.clone())) {
        let owner = hosts.iter().find(|(h, _)| *h == close).map(|(_, id)| id.clone()).unwrap_or_default();
        evidence.push(format!("{} is a host of {}", code(&close), code(owner)));
        options.push(format!("did you mean {}?", code(&close)));
    }
    let fix =
        options.into_iter().next().unwrap_or_else(|| format!("add an Ingress rule for host {}", code(host)));
    let step =
        Step::new(Layer::IngressRule, Status::Fail, format!("no Ingress rule matches host {}", code(host)))
            .evidence(evidence)
            .fix(fix)
            .kubectl("kubectl get ingress -A");
    walk.block(step)
}

fn count_classes(classes: &BTreeSet<Option<String>>) -> String {
    let names: Vec<String> =
        classes.iter().map(|c| c.as_deref().map(code).unwrap_or_else(|| "no class".to_owned())).collect();
    match names.as_slice() {
        [one] => format!("class {one}"),
        _ => format!("classes {}", names.join(", ")),
    }
}
