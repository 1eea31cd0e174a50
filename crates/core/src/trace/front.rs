//! The front of a trace: the `source` layer, the `dns` layer from a pod
//! (the name and the DNS server's reachability), and where a name or an
//! address leads.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::text::{at, close_matches, code, either, exec_target, kubectl_pods, pod_id, pod_title};
use super::{Client, Ctx, Flow, Landing, Layer, Status, Step, TraceDestination, TraceSource, Via, Walk};
use crate::dns::{self, Answer, Nameserver, Outcome, QueryType, Record, RecordData, Resolution};
use crate::model::{Cluster, Object, PodId, Readiness};
use crate::service::{
    cluster_ips, external_ips, find_node_port, lb_addresses, service_kind, ServiceKind, ServiceRef,
    NODE_PORT_RANGE,
};
use crate::shell::quote;

/// Why `NAMESPACE/NAME` names no pod or workload, with what it may have meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodNotFound {
    /// Whether the namespace is in the input.
    pub namespace_exists: bool,
    /// Pods and workloads whose `namespace/name` is a typo away, nearest first.
    pub close: Vec<String>,
    /// The same name in other namespaces (`namespace/name`), sorted.
    pub elsewhere: Vec<String>,
}

/// The objects SOURCE and DESTINATION name that are not in `cluster`
/// (`ns/name` pods or workloads, `svc/ns/name` Services), as `kind ns/name`.
/// A name that does not exist is a usage error, never a verdict: a CI gate
/// "frontend must not reach db" must not pass on a misspelling. Hosts and
/// URLs are not names here: they go through DNS, and NXDOMAIN is a verdict.
pub fn missing_objects(
    cluster: &Cluster,
    source: &TraceSource,
    destination: &TraceDestination,
) -> Vec<String> {
    let mut missing = Vec::new();
    if let TraceSource::Workload { namespace, name } = source {
        if find_pod(cluster, namespace, name).is_err() {
            missing.push(format!("pod or workload `{namespace}/{name}`"));
        }
    }
    match destination {
        TraceDestination::Workload { namespace, name, .. } if find_pod(cluster, namespace, name).is_err() => {
            missing.push(format!("pod or workload `{namespace}/{name}`"));
        }
        TraceDestination::Service { namespace, name, .. } if cluster.service(namespace, name).is_none() => {
            missing.push(format!("Service `{namespace}/{name}`"));
        }
        _ => {}
    }
    missing
}

/// The pod `namespace/name` stands for: the pod of that name, else a pod of
/// the workload of that name (a ready, running one when there is a choice).
pub fn find_pod(cluster: &Cluster, namespace: &str, name: &str) -> Result<PodId, PodNotFound> {
    let pods = matching_pods(cluster, namespace, name);
    let running = |id: &&PodId| {
        let pod = cluster.pod(**id);
        pod.readiness() != Readiness::NotReady && !pod.terminating
    };
    if let Some(id) = pods.iter().find(running).or(pods.first()) {
        return Ok(*id);
    }
    Err(not_found(cluster, namespace, name))
}

impl PodNotFound {
    /// The suggestions as one sentence fragment: "did you mean …?", or the
    /// namespaces that have the name.
    pub fn hint(&self) -> Option<String> {
        let mut options: Vec<String> = self.close.iter().map(code).collect();
        for other in self.elsewhere.iter().map(code) {
            if !options.contains(&other) {
                options.push(other);
            }
        }
        (!options.is_empty()).then(|| format!("did you mean {}?", either(&options)))
    }
}

/// The namespaces of the input a typo away from `namespace`, nearest
/// first, at most three (for `-n` filters naming no namespace).
pub fn close_namespaces(cluster: &Cluster, namespace: &str) -> Vec<String> {
    close_matches(namespace, cluster.namespaces().keys().cloned())
}

/// Pods named `name` in `namespace`, else the pods of the workload `name`.
pub(super) fn matching_pods(cluster: &Cluster, namespace: &str, name: &str) -> Vec<PodId> {
    let in_namespace = cluster.pods_in(namespace);
    let named: Vec<PodId> = in_namespace.iter().copied().filter(|id| cluster.pod(*id).name == name).collect();
    if !named.is_empty() {
        return named;
    }
    in_namespace
        .iter()
        .copied()
        .filter(|id| {
            let workload = cluster.workload_ref(cluster.pod(*id));
            workload.kind != "Pod" && workload.name == name
        })
        .collect()
}

fn not_found(cluster: &Cluster, namespace: &str, name: &str) -> PodNotFound {
    let mut names: Vec<(String, String)> = cluster
        .pods()
        .iter()
        .filter(|p| !p.is_representative())
        .map(|p| (p.namespace.clone(), p.name.clone()))
        .collect();
    names.extend(
        cluster
            .workloads()
            .iter()
            .filter(|w| w.owner.is_none())
            .map(|w| (w.namespace.clone(), w.name.clone())),
    );
    names.sort();
    names.dedup();
    let wanted = format!("{namespace}/{name}");
    let close = close_matches(&wanted, names.iter().map(|(ns, n)| format!("{ns}/{n}")));
    let elsewhere: Vec<String> = names
        .iter()
        .filter(|(ns, n)| n == name && ns != namespace)
        .map(|(ns, n)| format!("{ns}/{n}"))
        .collect();
    PodNotFound { namespace_exists: cluster.namespace(namespace).is_some(), close, elsewhere }
}

/// "defined at file:line", for objects that come from a file.
pub(super) fn defined_at(location: &crate::origin::Location) -> Option<String> {
    let at = at(location);
    (!at.is_empty())
        .then(|| format!("defined at {}", at.trim_start().trim_start_matches('(').trim_end_matches(')')))
}

/// The `source` layer.
pub(super) fn source_step(ctx: &mut Ctx<'_, '_>, walk: &mut Walk, source: &TraceSource) -> Flow<Client> {
    let cluster = ctx.cluster;
    let (namespace, name) = match source {
        TraceSource::External { address } => {
            let summary = match address {
                Some(address) => format!("a client at {} outside the cluster", code(address)),
                None => "a client outside the cluster, from any address".to_owned(),
            };
            walk.add(Step::new(Layer::Source, Status::Pass, summary))?;
            return Ok(Client::External(*address));
        }
        TraceSource::Workload { namespace, name } => (namespace, name),
    };
    let id = match find_pod(cluster, namespace, name) {
        Ok(id) => id,
        Err(not_found) => return source_not_found(cluster, walk, namespace, name, &not_found),
    };
    let pod = cluster.pod(id);
    let mut status = Status::Pass;
    let mut evidence: Vec<String> = defined_at(&pod.origin.location()).into_iter().collect();
    if pod.is_representative() {
        evidence.push("its pods are not in the input: the pod template stands for them".to_owned());
    }
    if let Some(node) = pod.spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        evidence.push(format!("runs on node {}", code(node)));
    }
    if pod.host_network() {
        evidence.push(
            "uses the node's network (`hostNetwork: true`): policies see its traffic as the node's"
                .to_owned(),
        );
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let mut summary = pod_title(cluster, id);
    let mut fix = String::new();
    match phase {
        Some(phase @ ("Succeeded" | "Failed")) => {
            status = Status::Fail;
            summary = format!("{summary} has finished ({phase}): it opens no connections");
            fix = "trace from a running pod of the workload".to_owned();
        }
        Some("Pending") => {
            status = Status::Warn;
            summary = format!("{summary} is `Pending`: it opens no connections until it runs");
        }
        _ if pod.terminating => {
            status = Status::Warn;
            summary = format!("{summary} is terminating");
        }
        _ => {}
    }
    let step = Step::new(Layer::Source, status, summary)
        .evidence(evidence)
        .fix(fix)
        .kubectl(kubectl_pods(cluster, pod));
    walk.add(step)?;
    Ok(Client::Pod(id))
}

/// The `source` layer when no pod or workload has the name: blocked, with
/// the close names and any object the API server would have rejected.
fn source_not_found(
    cluster: &Cluster,
    walk: &mut Walk,
    namespace: &str,
    name: &str,
    not_found: &PodNotFound,
) -> Flow<Client> {
    let wanted = code(format!("{namespace}/{name}"));
    let mut evidence = Vec::new();
    if !not_found.namespace_exists {
        evidence.push(format!("namespace {} is not in the input", code(namespace)));
    }
    evidence.extend(not_found.elsewhere.iter().map(|id| format!("{} exists", code(id))));
    let mut fix = match not_found.hint() {
        Some(hint) => hint,
        None => format!("check the name: no pod or workload in {} is close to it", code(namespace)),
    };
    if let Some(rejected) = super::rejected::rejected_workload(cluster, namespace, name) {
        let (why, rejected_fix) = super::rejected::explain(rejected);
        evidence.push(why);
        fix = rejected_fix;
    }
    let step = Step::new(Layer::Source, Status::Fail, format!("no pod or workload {wanted} in the input"))
        .evidence(evidence)
        .fix(fix)
        .kubectl(format!("kubectl get pods,deployments,statefulsets,daemonsets -n {}", quote(namespace)));
    walk.add(step).map(|()| Client::External(None))
}

/// The `dns` layer from a pod: `host` resolved as the pod's resolver would,
/// the DNS server reachable, and where the answer leads.
pub(super) fn dns_from_pod<'c>(
    ctx: &mut Ctx<'_, 'c>,
    walk: &mut Walk,
    client: PodId,
    host: &str,
    port: u16,
) -> Flow<Landing<'c>> {
    let cluster = ctx.cluster;
    if let Ok(address) = host.parse::<IpAddr>() {
        walk.skip(Layer::Dns, format!("{} is an address: no lookup", code(address)));
        return Ok(land(ctx, address, port));
    }
    let pod = cluster.pod(client);
    let resolution = dns::resolve(cluster, pod, host, QueryType::A);
    let lookup = format!(
        "kubectl exec -n {} {} -- nslookup {}",
        quote(&pod.namespace),
        quote(&exec_target(cluster, pod)),
        quote(host)
    );
    let mut evidence = query_evidence(ctx, &resolution);
    let mut status = Status::Pass;
    let mut fix = String::new();
    if resolution.resolver.cluster_dns && !resolution.queries.is_empty() {
        let server = super::dns_server::dns_server(ctx, client);
        match server.status {
            Status::Fail => {
                let mut step = Step::new(Layer::Dns, Status::Fail, server.summary)
                    .evidence(server.evidence)
                    .fix(server.fix)
                    .kubectl(server.kubectl.unwrap_or(lookup));
                step.evidence.extend(evidence.into_iter().skip(1).map(|q| format!("would send {q}")));
                return walk.add(step).map(|()| Landing::Outside { name: String::new(), address: None });
            }
            Status::Warn => {
                status = Status::Warn;
                fix = server.fix;
            }
            _ => {}
        }
        evidence.extend(server.evidence);
    }
    let alias = matches!(resolution.answer, Answer::Alias { .. });
    match resolution.answer.outcome() {
        Outcome::Unknown if !alias && cluster_looking(cluster, host).is_some() => {
            let summary = cluster_looking(cluster, host).unwrap_or_default();
            let (_, hints, hint_fix) = unresolved(ctx, host, &resolution);
            evidence.extend(hints);
            let step =
                Step::new(Layer::Dns, Status::Fail, summary).evidence(evidence).fix(hint_fix).kubectl(lookup);
            walk.block(step)
        }
        Outcome::NotFound if !alias => {
            let (mut summary, hints, mut hint_fix) = unresolved(ctx, host, &resolution);
            if resolution.answer == Answer::NxDomain {
                if let Some((why, fix)) = missing_pod_hostname(cluster, &pod.namespace, host) {
                    (summary, hint_fix) = (why, fix);
                } else {
                    summary = nxdomain_reason(cluster, host).unwrap_or(summary);
                }
            }
            evidence.extend(hints);
            let step =
                Step::new(Layer::Dns, Status::Fail, summary).evidence(evidence).fix(hint_fix).kubectl(lookup);
            walk.block(step)
        }
        Outcome::Unknown if !alias => {
            let summary = upstream_summary(cluster, host, &resolution.answer);
            walk.add(Step::new(Layer::Dns, status, summary).evidence(evidence).fix(fix).kubectl(lookup))?;
            Ok(Landing::Outside { name: host.to_owned(), address: None })
        }
        Outcome::Found | Outcome::NotFound | Outcome::Unknown => {
            let (landing, summary) = landing_of_answer(ctx, client, host, &resolution.answer, port);
            walk.add(Step::new(Layer::Dns, status, summary).evidence(evidence).fix(fix).kubectl(lookup))?;
            Ok(landing)
        }
    }
}

/// The resolver's settings, then each query the pod sends and its answer.
fn query_evidence(ctx: &Ctx<'_, '_>, resolution: &Resolution) -> Vec<String> {
    let mut evidence = vec![resolver_line(resolution)];
    for (i, query) in resolution.queries.iter().enumerate() {
        evidence.push(format!(
            "query {}: {} A → {}",
            i + 1,
            code(&query.name),
            answer_text(ctx, &query.answer)
        ));
    }
    evidence
}

/// The `dns` summary of a name answered outside the model.
fn upstream_summary(cluster: &Cluster, host: &str, answer: &Answer) -> String {
    match answer {
        Answer::Upstream => {
            format!("{} is resolved by the pod's own nameservers, outside the model", code(host))
        }
        _ => format!(
            "{} is outside the cluster domain {}: cluster DNS forwards it upstream",
            code(host),
            code(cluster.cluster_domain())
        ),
    }
}

/// Where a found answer leads, and the `dns` summary that says so.
fn landing_of_answer<'c>(
    ctx: &Ctx<'_, 'c>,
    client: PodId,
    host: &str,
    answer: &Answer,
    port: u16,
) -> (Landing<'c>, String) {
    let cluster = ctx.cluster;
    let records = answer.records();
    if let Answer::Literal { address } = answer {
        let address: IpAddr = address.parse().expect("a literal answer holds an address");
        return (land(ctx, address, port), format!("{} is an address: no lookup", code(address)));
    }
    let hosts_file = matches!(answer, Answer::HostsFile { .. });
    // An ExternalName Service answers with its CNAME first.
    if let Some(record) = records.first().filter(|r| matches!(r.data, RecordData::Cname { .. })) {
        if let (RecordData::Cname { target }, Some(service)) =
            (&record.data, service_of(cluster, record.service.as_ref()))
        {
            let summary = format!(
                "{} is a CNAME to {} (ExternalName Service {})",
                code(host),
                code(target),
                code(ServiceRef::of(&service.value).id())
            );
            return (Landing::Service { service, via: Via::ClusterIp }, summary);
        }
    }
    let addresses: Vec<&Record> = records
        .iter()
        .copied()
        .filter(|r| matches!(r.data, RecordData::A { .. } | RecordData::Aaaa { .. }))
        .collect();
    let shown: Vec<String> = addresses
        .iter()
        .map(|r| match &r.data {
            RecordData::A { address: Some(a) } | RecordData::Aaaa { address: Some(a) } => code(a),
            _ => "an address assigned at creation".to_owned(),
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let resolved = if hosts_file {
        format!("{} is in the pod's `/etc/hosts`: {}", code(host), shown.join(", "))
    } else {
        format!("{} resolves to {}", code(host), shown.join(", "))
    };
    let Some(first) = addresses.first() else {
        return (Landing::Outside { name: host.to_owned(), address: None }, resolved);
    };
    if let Some(service) = service_of(cluster, first.service.as_ref()) {
        return service_landing(cluster, service, host, &addresses, &shown, &resolved);
    }
    if let Some(pod) = first.pod {
        let title = if pod == client { "the pod itself".to_owned() } else { pod_title(cluster, pod) };
        return (Landing::Pods(vec![pod]), format!("{resolved}, {title}"));
    }
    match &first.data {
        RecordData::A { address: Some(a) } | RecordData::Aaaa { address: Some(a) } => {
            let address: IpAddr = a.parse().expect("records hold parsed addresses");
            (land(ctx, address, port), resolved)
        }
        _ => (Landing::Outside { name: host.to_owned(), address: None }, resolved),
    }
}

/// Where an answer of `service`'s records leads: the Service, or for a
/// headless Service's `hostname.service` name, its one endpoint's pods.
fn service_landing<'c>(
    cluster: &'c Cluster,
    service: &'c Object<Service>,
    host: &str,
    addresses: &[&Record],
    shown: &[String],
    resolved: &str,
) -> (Landing<'c>, String) {
    let first = addresses[0];
    let id = code(ServiceRef::of(&service.value).id());
    let headless = service_kind(&service.value) == Some(ServiceKind::Headless);
    if headless && first.name.trim_end_matches('.') != dns::service_fqdn(cluster, &service.value) {
        // `hostname.service.ns.svc`: one endpoint of a headless Service.
        let pods: Vec<PodId> = addresses.iter().filter_map(|r| r.pod).collect();
        if let [pod] = pods[..] {
            if cluster.pod(pod).is_representative() {
                // A StatefulSet's pod by its own name: one replica of the template.
                let hostname = first.name.split('.').next().unwrap_or_default();
                let name = format!("{}/{hostname}", cluster.pod(pod).namespace);
                let summary = format!("{resolved}, an endpoint of headless Service {id}");
                return (Landing::Replica { pod, name }, summary);
            }
        }
        if !pods.is_empty() {
            return (Landing::Pods(pods), format!("{resolved}, an endpoint of headless Service {id}"));
        }
    }
    let summary = if headless {
        format!(
            "{} resolves to the ready endpoints of headless Service {id}: {}",
            code(host),
            shown.join(", ")
        )
    } else {
        let address = match &first.data {
            RecordData::A { address: Some(a) } | RecordData::Aaaa { address: Some(a) } => {
                format!("at {}", code(a))
            }
            _ => "(cluster IP assigned at creation)".to_owned(),
        };
        format!("{} resolves to Service {id} {address}", code(host))
    };
    (Landing::Service { service, via: Via::ClusterIp }, summary)
}

/// The summary, evidence and fix for a name that does not resolve.
fn unresolved(ctx: &Ctx<'_, '_>, host: &str, resolution: &Resolution) -> (String, Vec<String>, String) {
    let cluster = ctx.cluster;
    let mut evidence = Vec::new();
    let what = match resolution.answer {
        Answer::NoData => "the name exists without an A record (NODATA)",
        Answer::NotServed => "the pod's nameserver is not cluster DNS, which alone knows cluster names",
        _ => "no such name (NXDOMAIN) for every name tried",
    };
    let summary = format!("{} does not resolve: {what}", code(host));
    if resolution.answer == Answer::NotServed {
        let fix = format!(
            "give the pod `dnsPolicy: ClusterFirst` (`ClusterFirstWithHostNet` on the host network); it has {}",
            code(resolution.resolver.policy.as_str())
        );
        return (summary, evidence, fix);
    }
    // A Service the API server would reject has no records: say why.
    if let Some(rejected) =
        resolution.queries.iter().find_map(|q| super::rejected::rejected_service_queried(cluster, &q.name))
    {
        let (why, fix) = super::rejected::explain(rejected);
        evidence.push(why);
        return (summary, evidence, fix);
    }
    // A headless Service without ready endpoints has no records.
    for query in &resolution.queries {
        if let Some(service) = service_named_by(cluster, &query.name) {
            if service_kind(&service.value) == Some(ServiceKind::Headless) {
                let id = code(ServiceRef::of(&service.value).id());
                evidence.push(format!(
                    "{id} is headless: its name resolves to its ready endpoints, and it has none"
                ));
                let fix = format!("make the pods behind {id} ready (`kubectl get endpointslices`)");
                return (summary, evidence, fix);
            }
        }
    }
    let zone = cluster.cluster_domain();
    let close = dns::close_services(cluster, host);
    let options: Vec<String> = close.iter().map(|s| format!("{}.{}", s.name, s.namespace)).collect();
    for (service, option) in close.iter().zip(&options) {
        evidence.push(format!(
            "Service {} exists: {}",
            code(service.id()),
            code(format!("{option}.svc.{zone}"))
        ));
    }
    let fix = if options.is_empty() {
        format!("check the name: no Service of the input is close to {}", code(host))
    } else {
        format!("use {}", either(&options.iter().map(code).collect::<Vec<_>>()))
    };
    (summary, evidence, fix)
}

/// `<hostname>.<service>` naming a headless Service of the pod's namespace
/// that has no ready pod of that hostname: the summary, and a fix naming the
/// hostnames it has (from its SRV records, as `dig SRV` would show them).
fn missing_pod_hostname(cluster: &Cluster, namespace: &str, host: &str) -> Option<(String, String)> {
    let (hostname, service_name) = host.trim_end_matches('.').split_once('.')?;
    let service = cluster
        .service(namespace, service_name)
        .filter(|s| service_kind(&s.value) == Some(ServiceKind::Headless))?;
    let fqdn = dns::service_fqdn(cluster, &service.value);
    let known: BTreeSet<String> = dns::lookup(cluster, &fqdn, QueryType::Srv)
        .records()
        .iter()
        .filter_map(|r| match &r.data {
            RecordData::Srv { target: Some(target), .. } => {
                target.strip_suffix(&format!(".{fqdn}")).map(|h| format!("{h}.{service_name}"))
            }
            _ => None,
        })
        .collect();
    let id = code(ServiceRef::of(&service.value).id());
    let summary = format!(
        "{} does not resolve: headless Service {id} has no ready pod with hostname {}",
        code(host),
        code(hostname)
    );
    let fix = if known.is_empty() {
        format!("make the pods behind {id} ready, with `hostname` and `subdomain: {service_name}` (a StatefulSet sets them)")
    } else {
        format!("use {}", either(&known.iter().map(code).collect::<Vec<_>>()))
    };
    Some((summary, fix))
}

/// Why a name every query of which got NXDOMAIN was meant for the cluster:
/// a Service name under another cluster domain, or [`cluster_looking`].
fn nxdomain_reason(cluster: &Cluster, host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    let zone = cluster.cluster_domain();
    if let Some((_, domain)) = host.split_once(".svc.").filter(|(_, d)| !d.eq_ignore_ascii_case(zone)) {
        return Some(format!(
            "{} does not resolve: the cluster domain is {}, not {}",
            code(host),
            code(zone),
            code(domain)
        ));
    }
    cluster_looking(cluster, host)
}

/// Why a name that cluster DNS forwards upstream was surely meant for the
/// cluster: a single label (no public name has one), `name.namespace` with a
/// namespace of the cluster, or `name.namespace` with a namespace that does
/// not exist (when upstream has NXDOMAIN for it: a typo).
fn cluster_looking(cluster: &Cluster, host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [_] => Some(format!(
            "{} does not resolve: no Service of that name in the pod's namespace, and upstream DNS has no single-label names",
            code(host)
        )),
        [service, namespace] | [service, namespace, "svc"] if cluster.namespace(namespace).is_some() => Some(format!(
            "{} does not resolve: namespace {} has no Service {}",
            code(host),
            code(namespace),
            code(service)
        )),
        [_, namespace] | [_, namespace, "svc"]
            if dns::lookup(cluster, &format!("{host}."), QueryType::A) == Answer::NxDomain =>
        {
            Some(format!(
                "{} does not resolve: there is no namespace {}, and upstream DNS has no such name (NXDOMAIN)",
                code(host),
                code(namespace)
            ))
        }
        _ => None,
    }
}

/// `<service>.<namespace>.svc.<zone>`'s Service, if `name` has that form.
fn service_named_by<'c>(cluster: &'c Cluster, name: &str) -> Option<&'c Object<Service>> {
    let zone = cluster.cluster_domain();
    let rest = name.trim_end_matches('.').strip_suffix(&format!(".svc.{zone}"))?;
    let (service, namespace) = rest.split_once('.')?;
    cluster.service(namespace, service)
}

fn service_of<'c>(cluster: &'c Cluster, service: Option<&ServiceRef>) -> Option<&'c Object<Service>> {
    let service = service?;
    cluster.service(&service.namespace, &service.name)
}

/// The resolver, in one evidence line.
fn resolver_line(resolution: &Resolution) -> String {
    let resolver = &resolution.resolver;
    let nameserver = match resolver.nameservers.first() {
        Some(Nameserver::ClusterDns { address: Some(address) }) => format!("cluster DNS {}", code(address)),
        Some(Nameserver::ClusterDns { address: None }) => "cluster DNS".to_owned(),
        Some(Nameserver::Node) => "the node's nameservers".to_owned(),
        Some(Nameserver::Address { address }) => code(address),
        None => "no nameserver".to_owned(),
    };
    let searches = if resolver.searches.is_empty() {
        "no search domains".to_owned()
    } else {
        format!("search {}", resolver.searches.iter().map(code).collect::<Vec<_>>().join(" "))
    };
    format!(
        "resolver (`dnsPolicy: {}`): {nameserver}, {searches}, `ndots:{}`",
        resolver.policy.as_str(),
        resolver.ndots
    )
}

/// A DNS answer in a few words.
pub(super) fn answer_text(ctx: &Ctx<'_, '_>, answer: &Answer) -> String {
    match answer {
        Answer::Records { records } | Answer::HostsFile { records } => {
            let parts: Vec<String> = records
                .iter()
                .map(|r| {
                    let data = match &r.data {
                        RecordData::A { address } | RecordData::Aaaa { address } => {
                            address.clone().unwrap_or_else(|| "an address assigned at creation".to_owned())
                        }
                        RecordData::Srv { port, target } => {
                            format!("{port} {}", target.as_deref().unwrap_or("?"))
                        }
                        RecordData::Ptr { target } | RecordData::Cname { target } => target.clone(),
                    };
                    match (&r.service, r.pod) {
                        (Some(service), _) => format!("{data} (Service {})", code(service.id())),
                        (None, Some(pod)) => format!("{data} (pod {})", code(pod_id(ctx.cluster.pod(pod)))),
                        _ => data,
                    }
                })
                .collect();
            parts.join(", ")
        }
        Answer::Alias { records, target } => {
            let cname: Vec<String> = records
                .iter()
                .filter_map(|r| match &r.data {
                    RecordData::Cname { target } => Some(format!("CNAME {target}")),
                    _ => None,
                })
                .collect();
            format!("{} → {}", cname.join(", "), answer_text(ctx, target))
        }
        Answer::NxDomain => "NXDOMAIN".to_owned(),
        Answer::NoData => "no record of that type (NODATA)".to_owned(),
        Answer::External => "forwarded upstream".to_owned(),
        Answer::Upstream => "asked of a nameserver outside the model".to_owned(),
        Answer::NotServed => "not served: that nameserver is not cluster DNS".to_owned(),
        Answer::Literal { address } => address.clone(),
    }
}

/// [`dns_server`] as a step of its own.
pub(super) fn dns_server_step(ctx: &mut Ctx<'_, '_>, pod: PodId) -> Step {
    let check = super::dns_server::dns_server(ctx, pod);
    let summary = match check.status {
        Status::Pass => "the pod reaches cluster DNS".to_owned(),
        _ if check.summary.is_empty() => check.evidence.first().cloned().unwrap_or_default(),
        _ => check.summary,
    };
    let mut step = Step::new(Layer::Dns, check.status, summary).evidence(check.evidence).fix(check.fix);
    step.kubectl = check.kubectl;
    step
}

/// Where a connection to `address` on `port` lands.
pub(super) fn land<'c>(ctx: &Ctx<'_, 'c>, address: IpAddr, port: u16) -> Landing<'c> {
    let cluster = ctx.cluster;
    let same = |text: &str| text.parse::<IpAddr>().ok() == Some(address);
    let text = address.to_string();
    for service in cluster.services() {
        if cluster_ips(&service.value).iter().any(|ip| same(ip)) {
            return Landing::Service { service, via: Via::ClusterIp };
        }
        if lb_addresses(&service.value).iter().any(|lb| lb.ip.as_deref().is_some_and(same)) {
            return Landing::Service { service, via: Via::LoadBalancer { address: text } };
        }
        if external_ips(&service.value).iter().any(|ip| same(ip)) {
            return Landing::Service { service, via: Via::ExternalIp { address: text } };
        }
    }
    let pods: Vec<PodId> = (0..cluster.pods().len() as u32)
        .map(PodId)
        .filter(|id| {
            let pod = cluster.pod(*id);
            !pod.host_network() && pod.ips().iter().any(|ip| same(ip))
        })
        .collect();
    if !pods.is_empty() {
        return Landing::Pods(pods);
    }
    let node_port = |node: Option<String>| {
        cluster.services().iter().find_map(|service| {
            let kind = service_kind(&service.value)?;
            if !kind.has_node_ports() {
                return None;
            }
            find_node_port(&service.value, i32::from(port), ctx.protocol)?;
            Some(Landing::Service {
                service,
                via: Via::NodePort { node: node.clone(), address: text.clone() },
            })
        })
    };
    let node = cluster.nodes().iter().find(|node| {
        node.value.status.iter().flat_map(|s| s.addresses.iter().flatten()).any(|a| same(&a.address))
    });
    if let Some(node) = node {
        let name = node.value.metadata.name.clone().unwrap_or_default();
        return node_port(Some(name.clone())).unwrap_or(Landing::Node { node: name, address: text });
    }
    if NODE_PORT_RANGE.contains(&i32::from(port)) {
        if let Some(landing) = node_port(None) {
            return landing;
        }
    }
    Landing::Outside { name: text, address: Some(address) }
}

/// The Service `namespace/name`, or a failing `service-type` step.
pub(super) fn find_service<'c>(
    ctx: &Ctx<'_, 'c>,
    walk: &mut Walk,
    namespace: &str,
    name: &str,
) -> Flow<&'c Object<Service>> {
    if let Some(service) = ctx.cluster.service(namespace, name) {
        return Ok(service);
    }
    let ids: Vec<String> = ctx.cluster.services().iter().map(|s| ServiceRef::of(&s.value).id()).collect();
    let mut options = close_matches(&format!("{namespace}/{name}"), ids.iter().cloned());
    for id in &ids {
        if id.split_once('/').is_some_and(|(_, n)| n == name) && !options.contains(id) {
            options.push(id.clone());
        }
    }
    let mut fix = if options.is_empty() {
        format!("check the name: no Service of the input is close to {}", code(format!("{namespace}/{name}")))
    } else {
        format!("did you mean {}?", either(&options.iter().map(code).collect::<Vec<_>>()))
    };
    let mut evidence = Vec::new();
    if let Some(rejected) = super::rejected::rejected_service(ctx.cluster, namespace, name) {
        let (why, rejected_fix) = super::rejected::explain(rejected);
        evidence.push(why);
        fix = rejected_fix;
    }
    let step = Step::new(
        Layer::ServiceType,
        Status::Fail,
        format!("no Service {} in the input", code(format!("{namespace}/{name}"))),
    )
    .evidence(evidence)
    .fix(fix)
    .kubectl(format!("kubectl get services -n {}", quote(namespace)));
    walk.block(step)
}

/// The pods `namespace/name` names as a destination, or a failing
/// `destination` step.
pub(super) fn find_destination_pods(
    ctx: &Ctx<'_, '_>,
    walk: &mut Walk,
    namespace: &str,
    name: &str,
) -> Flow<Vec<PodId>> {
    let pods = matching_pods(ctx.cluster, namespace, name);
    if !pods.is_empty() {
        return Ok(pods);
    }
    let not_found = not_found(ctx.cluster, namespace, name);
    for layer in [
        Layer::ServiceType,
        Layer::ServicePort,
        Layer::Endpoints,
        Layer::Readiness,
        Layer::NetworkPolicyEgress,
        Layer::NetworkPolicyIngress,
        Layer::Cni,
    ] {
        walk.skip(layer, "not checked: the destination is not in the input");
    }
    let mut evidence = Vec::new();
    if !not_found.namespace_exists {
        evidence.push(format!("namespace {} is not in the input", code(namespace)));
    }
    let mut fix = not_found.hint().unwrap_or_else(|| "check the name".to_owned());
    if let Some(rejected) = super::rejected::rejected_workload(ctx.cluster, namespace, name) {
        let (why, rejected_fix) = super::rejected::explain(rejected);
        evidence.push(why);
        fix = rejected_fix;
    }
    let step = Step::new(
        Layer::Destination,
        Status::Fail,
        format!("no pod or workload {} in the input", code(format!("{namespace}/{name}"))),
    )
    .evidence(evidence)
    .fix(fix)
    .kubectl(format!("kubectl get pods,deployments,statefulsets,daemonsets -n {}", quote(namespace)));
    walk.block(step)
}
