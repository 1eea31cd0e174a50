//! Why an object the trace looks for is absent when the input has it but
//! the API server would reject it ([`crate::model::validate`]): the trace names
//! the object, where it is defined, and the API server's complaint.

use crate::model::validate::Rejected;
use crate::model::Cluster;

use super::text::{at, code};

/// The kinds a `NAMESPACE/NAME` source or destination may name.
const POD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// The rejected pod or workload `namespace/name`, if any.
pub(super) fn rejected_workload<'c>(
    cluster: &'c Cluster,
    namespace: &str,
    name: &str,
) -> Option<&'c Rejected> {
    POD_KINDS.iter().find_map(|kind| cluster.rejected_object(kind, namespace, name))
}

/// The rejected Service `namespace/name`, if any.
pub(super) fn rejected_service<'c>(
    cluster: &'c Cluster,
    namespace: &str,
    name: &str,
) -> Option<&'c Rejected> {
    cluster.rejected_object("Service", namespace, name)
}

/// The rejected Service a DNS query (`name.namespace.svc.zone`) asks for.
pub(super) fn rejected_service_queried<'c>(cluster: &'c Cluster, query: &str) -> Option<&'c Rejected> {
    let suffix = format!(".svc.{}", cluster.cluster_domain());
    let bare = query.trim_end_matches('.').strip_suffix(&suffix)?;
    let (name, namespace) = bare.split_once('.')?;
    rejected_service(cluster, namespace, name)
}

/// The evidence line and the fix for a rejected object.
pub(super) fn explain(rejected: &Rejected) -> (String, String) {
    let first = &rejected.violations[0];
    let location = rejected.object.origin.field_location(&first.field);
    let evidence = format!(
        "{}{} is not in the cluster: the API server rejects it ({})",
        rejected.describe(),
        at(&location),
        first.message
    );
    let fix =
        format!("fix {} of {} so that the API server accepts it", code(&first.field), rejected.describe());
    (evidence, fix)
}
