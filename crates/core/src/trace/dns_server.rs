//! The second half of the `dns` layer: whether the pod reaches the cluster
//! DNS server at all. The answer is the dns layer's
//! ([`crate::dns::with_dns_reach`]); this module words it.

use k8s_openapi::api::core::v1::Service;

use super::policy_layers;
use super::text::{at, code, count, identifying_labels, labels_text, pod_id};
use super::{Ctx, Layer, Status};
use crate::dns::{with_dns_reach, DnsPods, DnsPodsFound, DnsReach, DnsServer};
use crate::model::{Object, PodId};
use crate::service::{cluster_ips, ServiceRef};
use crate::shell::quote;

/// Whether the cluster DNS server is reachable from a pod.
pub(super) struct ServerCheck {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<String>,
    pub fix: String,
    pub kubectl: Option<String>,
}

/// The DNS server must have ready endpoints, and the pod's egress (and the
/// DNS pods' ingress) must allow UDP 53, and TCP 53 for large answers
/// (<https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>).
pub(super) fn dns_server(ctx: &mut Ctx<'_, '_>, client: PodId) -> ServerCheck {
    let engine = ctx.engine;
    let found = with_dns_reach(engine, |server, reach| match server {
        DnsServer::NoPort { service } => Err(no_port(service)),
        DnsServer::NoReadyEndpoints { service } => Err(no_ready_endpoints(service)),
        DnsServer::Pods(pods) => Ok((pods_evidence(pods), reach(client).expect("the DNS pods are known"))),
    });
    match found {
        Ok((evidence, answer)) => judge(ctx, client, answer, evidence),
        Err(check) => check,
    }
}

fn no_port(service: &Object<Service>) -> ServerCheck {
    let service_id = ServiceRef::of(&service.value).id();
    ServerCheck {
        status: Status::Fail,
        summary: format!("cluster DNS {} has no port 53", code(&service_id)),
        evidence: vec![format!("defined{}", at(&service.origin.location()))],
        fix: format!("give {} UDP and TCP ports 53", code(&service_id)),
        kubectl: Some(format!(
            "kubectl get service -n kube-system {}",
            quote(service.value.metadata.name.as_deref().unwrap_or_default())
        )),
    }
}

fn no_ready_endpoints(service: &Object<Service>) -> ServerCheck {
    let service_id = ServiceRef::of(&service.value).id();
    ServerCheck {
        status: Status::Fail,
        summary: format!("cluster DNS {} has no ready endpoints: every lookup times out", code(&service_id)),
        evidence: Vec::new(),
        fix: "get the DNS pods running and ready (`kubectl get pods -n kube-system -l k8s-app=kube-dns`)"
            .to_owned(),
        kubectl: Some(format!(
            "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
            quote(service_id.split('/').next().unwrap_or_default()),
            quote(service.value.metadata.name.as_deref().unwrap_or_default())
        )),
    }
}

/// What the evidence says about the DNS pods.
fn pods_evidence(pods: &DnsPods<'_>) -> Vec<String> {
    let text = match (pods.found, pods.service) {
        (DnsPodsFound::Service, Some(service)) => {
            let ready = [&pods.udp, &pods.tcp]
                .iter()
                .map(|targets| targets.iter().flatten().map(|t| t.replicas).sum::<u32>())
                .max()
                .unwrap_or(0);
            let address =
                cluster_ips(&service.value).first().map(|ip| format!(" at {}", code(ip))).unwrap_or_default();
            format!(
                "cluster DNS is {}{address}, with {} ready",
                code(ServiceRef::of(&service.value).id()),
                count(ready, "endpoint")
            )
        }
        (DnsPodsFound::Assumed, _) => "the cluster DNS Service and pods are not in the input: assumed to be \
                                       `kube-system` pods labelled `k8s-app=kube-dns`, as kubeadm runs them"
            .to_owned(),
        _ => "the cluster DNS Service is not in the input: its pods are taken to be the `kube-system` pods \
              labelled `k8s-app=kube-dns` or `k8s-app=coredns`"
            .to_owned(),
    };
    vec![text]
}

/// The step from the dns layer's answer.
fn judge(ctx: &mut Ctx<'_, '_>, client: PodId, answer: DnsReach, mut evidence: Vec<String>) -> ServerCheck {
    let cluster = ctx.cluster;
    let pod = cluster.pod(client);
    ctx.policies.involved |= answer.policies_involved;
    let pass = |evidence: Vec<String>| ServerCheck {
        status: Status::Pass,
        summary: String::new(),
        evidence,
        fix: String::new(),
        kubectl: None,
    };
    let (udp, tcp) = (answer.udp, answer.tcp);
    if udp && tcp {
        return pass(evidence);
    }
    let Some(denial) = answer.denials.first() else { return pass(evidence) };
    let denied_ports = match (udp, tcp) {
        (false, false) => "UDP and TCP 53",
        (false, true) => "UDP 53",
        _ => "TCP 53",
    };
    evidence.extend(policy_layers::denial_evidence(&denial.explanation, denial.protocol, denial.port));
    let egress_denies = !denial.explanation.egress.allowed.contains(denial.protocol, denial.port);
    let dns_labels = match denial.pod {
        Some(id) => identifying_labels(cluster, cluster.pod(id)),
        None => denial.labels.clone().into_iter().collect(),
    };
    let fix = if egress_denies {
        format!(
            "allow egress from pods {} in {} to namespace {} pods {} on UDP and TCP 53",
            code(labels_text(&identifying_labels(cluster, pod))),
            code(&pod.namespace),
            code(&denial.namespace),
            code(labels_text(&dns_labels))
        )
    } else {
        format!(
            "allow ingress to the DNS pods in {} from namespace {} on UDP and TCP 53",
            code(&denial.namespace),
            code(&pod.namespace)
        )
    };
    let side = if egress_denies { &pod.namespace } else { &denial.namespace };
    let kubectl = Some(format!("kubectl get networkpolicy -n {}", quote(side)));
    let enforced = ctx.cni().network_policy.enforcement.assumed();
    if !udp {
        let service = crate::dns::dns_service(cluster)
            .map(|service| format!(" {}", code(ServiceRef::of(&service.value).id())))
            .unwrap_or_default();
        let summary =
            format!("{} cannot reach cluster DNS{service}: policies deny {denied_ports}", code(pod_id(pod)));
        if enforced {
            return ServerCheck { status: Status::Fail, summary, evidence, fix, kubectl };
        }
        ctx.policies.unenforced_denials.push(Layer::Dns);
        evidence.insert(0, format!("{summary}, but the network plugin does not enforce NetworkPolicy"));
        return ServerCheck { status: Status::Warn, summary: String::new(), evidence, fix, kubectl };
    }
    evidence.insert(0, "TCP 53 is denied: answers too large for UDP (truncated) fail".to_owned());
    if !enforced {
        ctx.policies.unenforced_denials.push(Layer::Dns);
    }
    ServerCheck { status: Status::Warn, summary: String::new(), evidence, fix, kubectl }
}
