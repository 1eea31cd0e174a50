//! The `endpoints` layer: what a Service port sends to, where that list
//! comes from (EndpointSlices of the input, or the selector as the
//! EndpointSlice controller would apply it), and why each selected pod is
//! left out (<https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/>).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;

use super::text::{at, close_matches, code, count, labels_text, pod_name_with_replicas};
use super::{Ctx, Flow, Layer, Status, Step, Walk};
use crate::endpoints::{EndpointExclusion, EndpointSource, PortEndpoint, PortEndpoints};
use crate::model::{Cluster, Object};
use crate::service::{selector, ServiceRef};
use crate::shell::quote;

/// How many endpoints the evidence of a passing step lists by name.
const LISTED: usize = 8;

/// The `endpoints` layer of a Service port: blocks when nothing is
/// published for it.
pub(super) fn endpoints_step(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    service: &Object<Service>,
    endpoints: &PortEndpoints,
) -> Flow<()> {
    let cluster = ctx.cluster;
    let kubectl = endpoint_slices_kubectl(&service.value);
    if let Some(step) = no_endpoints_step(cluster, service, endpoints) {
        return walk.block(step.kubectl(kubectl));
    }
    let mut evidence: Vec<String> = endpoints
        .endpoints
        .iter()
        .take(LISTED)
        .map(|e| match (&e.exclusion, e.port) {
            (None, Some(port))
            | (Some(EndpointExclusion::NotReady | EndpointExclusion::Terminating), Some(port)) => {
                format!("{} → port {port}", backend_name(cluster, e))
            }
            (exclusion, _) => format!("{}: {}", backend_name(cluster, e), exclusion_text(exclusion.as_ref())),
        })
        .collect();
    if endpoints.endpoints.len() > LISTED {
        evidence.push(format!("… and {} more", endpoints.endpoints.len() - LISTED));
    }
    let summary = format!(
        "{} {}",
        count(endpoints.counts().published, "endpoint"),
        source_text(&service.value, &endpoints.source)
    );
    walk.add(Step::new(Layer::Endpoints, Status::Pass, summary).evidence(evidence).kubectl(kubectl))
}

/// `kubectl get endpointslices` for the Service's slices.
pub(super) fn endpoint_slices_kubectl(service: &Service) -> String {
    let reference = ServiceRef::of(service);
    format!(
        "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
        quote(&reference.namespace),
        quote(&reference.name)
    )
}

/// The failing `endpoints` step when the port has nothing to send to: no
/// selector and no EndpointSlices, a selector that selects no pod, or pods
/// none of which is published for the port.
fn no_endpoints_step(
    cluster: &Cluster,
    service: &Object<Service>,
    endpoints: &PortEndpoints,
) -> Option<Step> {
    let value = &service.value;
    let reference = ServiceRef::of(value);
    let id = code(reference.id());
    let fail = |summary: String| Step::new(Layer::Endpoints, Status::Fail, summary);
    if endpoints.source == EndpointSource::None {
        return Some(
            fail(format!("{id} has no selector, and the input has no EndpointSlices for it: nothing receives its traffic"))
                .fix(format!("add a `selector` to {id}, or EndpointSlices labelled `kubernetes.io/service-name: {}`", reference.name)),
        );
    }
    if endpoints.endpoints.is_empty() {
        let Some(wanted) = selector(value) else {
            return Some(
                fail(format!("the endpoint objects of {id} list no endpoints"))
                    .fix("check the endpoints' controller"),
            );
        };
        let (evidence, fix) = near_misses(cluster, service, wanted);
        let summary = format!(
            "the selector {} of {id} selects no pods in {}",
            code(labels_text(wanted)),
            code(&reference.namespace)
        );
        return Some(fail(summary).evidence(evidence).fix(fix));
    }
    let counts = endpoints.counts();
    if counts.published > 0 {
        return None;
    }
    let evidence = endpoints
        .endpoints
        .iter()
        .map(|e| format!("{}: {}", backend_name(cluster, e), exclusion_text(e.exclusion.as_ref())));
    let summary =
        format!("none of the {} selected by {id} is an endpoint of the port", count(counts.total, "pod"));
    Some(fail(summary).evidence(evidence).fix("see why each pod is left out above"))
}

/// Where the endpoints come from: `from EndpointSlice …`, `computed from
/// the selector …`.
fn source_text(service: &Service, source: &EndpointSource) -> String {
    let slices = |names: &[String]| {
        format!(
            "EndpointSlice{} {}",
            if names.len() == 1 { "" } else { "s" },
            names.iter().map(code).collect::<Vec<_>>().join(", ")
        )
    };
    match source {
        EndpointSource::EndpointSlices { names } => format!("from {}", slices(names)),
        EndpointSource::Endpoints { name } => format!("from Endpoints {}", code(name)),
        EndpointSource::ComputedWithEndpointSlices { names } => format!(
            "computed from the selector {}, plus custom {}",
            code(selector(service).map(labels_text).unwrap_or_default()),
            slices(names)
        ),
        EndpointSource::Computed => match selector(service) {
            Some(selector) => format!("computed from the selector {}", code(labels_text(selector))),
            None => "computed".to_owned(),
        },
        EndpointSource::None => String::new(),
    }
}

/// Pods of the Service's namespace that almost match its selector.
pub(super) fn near_misses(
    cluster: &Cluster,
    service: &Object<Service>,
    wanted: &BTreeMap<String, String>,
) -> (Vec<String>, String) {
    let reference = ServiceRef::of(&service.value);
    let id = code(reference.id());
    let location = at(&service.origin.field_location("spec.selector"));
    let mut evidence = Vec::new();
    let mut seen = BTreeSet::new();
    let mut fixes = Vec::new();
    for &pod_id_ in cluster.pods_in(&reference.namespace) {
        let pod = cluster.pod(pod_id_);
        let workload = cluster.workload_ref(pod);
        if !seen.insert(workload.clone()) {
            continue;
        }
        let differing: Vec<(&String, &String, Option<&String>)> = wanted
            .iter()
            .filter(|(k, v)| pod.labels.get(*k) != Some(*v))
            .map(|(k, v)| (k, v, pod.labels.get(k)))
            .collect();
        let near = |wanted: &str, actual: &str| {
            wanted.contains(actual)
                || actual.contains(wanted)
                || close_matches(wanted, [actual.to_owned()]).len() == 1
        };
        let missing = differing.iter().filter(|(_, _, actual)| actual.is_none()).count();
        let close = differing.iter().all(|(_, wanted, actual)| actual.is_none_or(|a| near(wanted, a)))
            && (missing == 0 || (missing == 1 && differing.len() == 1 && wanted.len() > 1));
        if differing.is_empty() || !close || differing.len() > 2 {
            continue;
        }
        let name = if workload.kind == "Pod" {
            format!("pod {}", code(workload.id()))
        } else {
            format!("{} {}", workload.kind, code(workload.id()))
        };
        for (key, value, actual) in &differing {
            evidence.push(match actual {
                Some(actual) => format!(
                    "{name} has {}, not {}",
                    code(format!("{key}={actual}")),
                    code(format!("{key}={value}"))
                ),
                None => format!("{name} has no label {}", code(key)),
            });
        }
        if differing.iter().all(|(_, _, actual)| actual.is_some()) {
            let mut fixed = wanted.clone();
            for (key, _, actual) in &differing {
                fixed.insert((*key).clone(), (*actual).cloned().unwrap_or_default());
            }
            fixes.push(fixed);
        }
    }
    if evidence.is_empty() {
        evidence.push(format!(
            "no pod in {} has the labels {}",
            code(&reference.namespace),
            code(labels_text(wanted))
        ));
    }
    let fix = match fixes.as_slice() {
        [fixed] => format!(
            "set the selector of {id}{location} to {}, or label the pods {}",
            code(labels_text(fixed)),
            code(labels_text(wanted))
        ),
        _ => format!("change the selector of {id}{location} to the labels of the pods it is for"),
    };
    (evidence, fix)
}

/// How an endpoint is named in evidence: its pod, else its address and
/// target.
pub(super) fn backend_name(cluster: &Cluster, endpoint: &PortEndpoint) -> String {
    match (endpoint.pod, endpoint.addresses.first(), &endpoint.target) {
        (Some(pod), _, _) => pod_name_with_replicas(cluster, pod),
        (None, Some(address), Some(target)) => format!(
            "{} ({} {})",
            code(address),
            target.kind,
            code(format!("{}/{}", target.namespace, target.name))
        ),
        (None, Some(address), None) => code(address),
        (None, None, Some(target)) => code(format!("{}/{}", target.namespace, target.name)),
        (None, None, None) => "an endpoint".to_owned(),
    }
}

/// Why an endpoint receives no traffic, or that it does.
pub(super) fn exclusion_text(exclusion: Option<&EndpointExclusion>) -> String {
    match exclusion {
        None => "receives traffic".to_owned(),
        Some(EndpointExclusion::NotReady) => "not ready (its `Ready` condition is not `True`)".to_owned(),
        Some(EndpointExclusion::Terminating) => "terminating".to_owned(),
        Some(EndpointExclusion::TargetPortNotFound { name, protocol }) => {
            format!("declares no {protocol} container port named {}", code(name))
        }
        Some(EndpointExclusion::PortNotPublished) => "published without this port".to_owned(),
        Some(EndpointExclusion::Terminal { phase }) => format!("has finished ({phase})"),
        Some(EndpointExclusion::NoAddress) => "has no IP address yet".to_owned(),
        Some(EndpointExclusion::NoReplicas) => "its workload has 0 replicas".to_owned(),
        Some(EndpointExclusion::NotInEndpointObjects) => {
            "selected, but missing from the EndpointSlices of the input (stale, or a newer pod)".to_owned()
        }
        Some(EndpointExclusion::NotLocal { node }) => format!("on node {}, not the local one", code(node)),
        Some(EndpointExclusion::NodeUnknown) => "on a node the input does not show".to_owned(),
    }
}
