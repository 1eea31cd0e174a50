//! The DNS names of StatefulSet pods the input does not have.
//!
//! The StatefulSet controller names its pods `<statefulset>-<ordinal>`, for
//! ordinals `spec.ordinals.start` up to `start + replicas - 1`, and sets
//! each pod's `hostname` to its name and `subdomain` to `spec.serviceName`
//! (<https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id>).
//! The EndpointSlice controller then gives the pod's endpoint in the
//! Service named by `subdomain` that hostname, and cluster DNS answers
//! `<hostname>.<service>.<ns>.svc.<zone>` when that Service is headless
//! (<https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-hostname-and-subdomain-fields>).
//! Real pods carry those fields in a dump; a StatefulSet from a manifest is
//! one representative pod, which stands for every ordinal.

use k8s_openapi::api::core::v1::Service;

use crate::model::{Cluster, Pod, WorkloadKind};
use crate::service::ServiceRef;

/// At most this many hostnames are listed for one representative pod (an
/// SRV answer), so a huge `replicas` cannot exhaust memory.
pub(super) const MAX_LISTED: u32 = 256;

/// The hostnames of the pods `pod` stands for when it is the representative
/// of a StatefulSet whose `serviceName` is `service`, in ordinal order (at
/// most [`MAX_LISTED`]); empty otherwise.
pub(super) fn representative_hostnames(cluster: &Cluster, pod: &Pod, service: &Service) -> Vec<String> {
    let Some((name, first)) = identity(cluster, pod, service) else { return Vec::new() };
    let first = i64::from(first);
    let count = i64::from(pod.replicas.min(MAX_LISTED));
    (first..first + count).map(|ordinal| format!("{name}-{ordinal}")).collect()
}

/// Whether `host` is the hostname of one of the pods the representative
/// `pod` stands for, as in [`representative_hostnames`] (without a limit).
pub(super) fn is_representative_hostname(
    cluster: &Cluster,
    pod: &Pod,
    service: &Service,
    host: &str,
) -> bool {
    let Some((name, first)) = identity(cluster, pod, service) else { return false };
    let Some(ordinal) = host.strip_prefix(name).and_then(|rest| rest.strip_prefix('-')) else { return false };
    // Ordinals are written without sign or leading zeros.
    if ordinal.is_empty()
        || !ordinal.bytes().all(|b| b.is_ascii_digit())
        || (ordinal.len() > 1 && ordinal.starts_with('0'))
    {
        return false;
    }
    let Ok(ordinal) = ordinal.parse::<u32>() else { return false };
    let first = first.max(0) as u32;
    ordinal >= first && u64::from(ordinal) < u64::from(first) + u64::from(pod.replicas)
}

/// The StatefulSet name and first ordinal, when `pod` is the representative
/// of a StatefulSet of `service`'s namespace whose `serviceName` is it.
fn identity<'c>(cluster: &'c Cluster, pod: &Pod, service: &Service) -> Option<(&'c str, i32)> {
    let workload = cluster.workload(pod.template_of?);
    let identity = workload.stateful.as_ref().filter(|_| workload.kind == WorkloadKind::StatefulSet)?;
    let service = ServiceRef::of(service);
    if identity.service_name != service.name || workload.namespace != service.namespace {
        return None;
    }
    Some((workload.name.as_str(), identity.first_ordinal))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::dns::{lookup, Answer, QueryType, RecordData};
    use crate::testing::cluster;

    fn objects(statefulset_spec: Value, service_spec: Value) -> Vec<Value> {
        let mut spec = statefulset_spec;
        spec["selector"] = json!({"matchLabels": {"app": "db"}});
        spec["template"] = json!({"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "pg", "ports": [{"name": "pg", "containerPort": 5432}]}]}});
        vec![
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                   "metadata": {"name": "db", "namespace": "prod"}, "spec": spec}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "prod"},
                   "spec": service_spec}),
        ]
    }

    fn headless() -> Value {
        json!({"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"name": "pg", "port": 5432}]})
    }

    /// `A` answers as `pod@address` (`?` for an address assigned at
    /// creation), SRV as `port target`, others by kind.
    fn answer(objects: Vec<Value>, name: &str, qtype: QueryType) -> String {
        let cluster = cluster(objects);
        match lookup(&cluster, name, qtype) {
            Answer::Records { records } => records
                .iter()
                .map(|r| match &r.data {
                    RecordData::A { address } => format!(
                        "{}@{}",
                        r.pod.map(|p| cluster.pod(p).name.clone()).unwrap_or_default(),
                        address.as_deref().unwrap_or("?")
                    ),
                    RecordData::Srv { port, target } => {
                        format!("{port} {}", target.as_deref().unwrap_or("?"))
                    }
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => format!("{other:?}"),
        }
    }

    // A StatefulSet's pods are `<name>-0` … `<name>-(replicas-1)`, each with
    // `<pod>.<serviceName>.<ns>.svc.<zone>` when the Service is headless:
    // https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id
    #[test]
    fn ordinals_of_a_statefulset_without_its_pods() {
        let spec = json!({"serviceName": "db", "replicas": 3});
        let a = |name: &str| answer(objects(spec.clone(), headless()), name, QueryType::A);
        assert_eq!(a("db-0.db.prod.svc.cluster.local"), "db@?");
        assert_eq!(a("db-2.db.prod.svc.cluster.local"), "db@?");
        assert_eq!(a("db-3.db.prod.svc.cluster.local"), "NxDomain");
        assert_eq!(a("db-01.db.prod.svc.cluster.local"), "NxDomain");
        assert_eq!(a("db-+1.db.prod.svc.cluster.local"), "NxDomain");
        assert_eq!(a("web-0.db.prod.svc.cluster.local"), "NxDomain");
    }

    // `spec.ordinals.start` (GA in 1.31) shifts the ordinals:
    // https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#start-ordinal
    #[test]
    fn start_ordinal() {
        let spec = json!({"serviceName": "db", "replicas": 2, "ordinals": {"start": 5}});
        let a = |name: &str| answer(objects(spec.clone(), headless()), name, QueryType::A);
        assert_eq!(a("db-4.db.prod.svc.cluster.local"), "NxDomain");
        assert_eq!(a("db-5.db.prod.svc.cluster.local"), "db@?");
        assert_eq!(a("db-6.db.prod.svc.cluster.local"), "db@?");
        assert_eq!(a("db-7.db.prod.svc.cluster.local"), "NxDomain");
    }

    // Only a headless Service named by `serviceName` has the pod records
    // (DNS spec 2.4.1: records for ready endpoints of headless Services):
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#241---a--aaaa-records
    #[test]
    fn only_the_governing_headless_service() {
        let spec = json!({"serviceName": "db", "replicas": 1});
        let cluster_ip = json!({"clusterIP": "10.96.5.5", "selector": {"app": "db"}, "ports": [{"name": "pg", "port": 5432}]});
        assert_eq!(
            answer(objects(spec.clone(), cluster_ip), "db-0.db.prod.svc.cluster.local", QueryType::A),
            "NxDomain"
        );
        let other = json!({"serviceName": "pg", "replicas": 1});
        assert_eq!(
            answer(objects(other, headless()), "db-0.db.prod.svc.cluster.local", QueryType::A),
            "NxDomain"
        );
    }

    // SRV for a named port of a headless Service: one record per pod,
    // targeting its hostname (spec 2.4.2):
    // https://github.com/kubernetes/dns/blob/master/docs/specification.md#242---srv-records
    #[test]
    fn srv_records_name_each_pod() {
        let spec = json!({"serviceName": "db", "replicas": 2});
        assert_eq!(
            answer(objects(spec.clone(), headless()), "_pg._tcp.db.prod.svc.cluster.local", QueryType::Srv),
            "5432 db-0.db.prod.svc.cluster.local, 5432 db-1.db.prod.svc.cluster.local"
        );
        assert_eq!(
            answer(objects(spec, headless()), "_http._tcp.db.prod.svc.cluster.local", QueryType::Srv),
            "NxDomain"
        );
    }
}
