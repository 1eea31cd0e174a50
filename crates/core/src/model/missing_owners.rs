//! Pods whose controller reference names an object missing from the input,
//! attributed to the top-level workload that created that object.
//!
//! `kubectl get deploy,pods -o yaml` has the Deployment and its pods, but
//! not the ReplicaSet between them. The Deployment controller names each
//! ReplicaSet `<deployment>-<pod-template-hash>` and gives the ReplicaSet's
//! pods the label `pod-template-hash` with the same value
//! (<https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label>);
//! the pods are also selected by the Deployment's selector. The CronJob
//! controller names each Job `<cronjob>-<scheduled time in minutes>`
//! (`getJobName` in `pkg/controller/cronjob/utils.go`). Pods owned directly
//! by a StatefulSet, DaemonSet or Job name it in their reference and need
//! nothing from here.

use super::{Labels, Workload, WorkloadId, WorkloadKind};
use crate::labels::selector_matches;

/// The label the Deployment controller puts on the pods of each ReplicaSet.
pub(super) const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// The top-level workload of `namespace` that created the missing owner
/// `kind`/`name` of a pod with `labels`: a Deployment for a ReplicaSet named
/// `<deployment>-<pod-template-hash>` whose selector matches the pod, a
/// CronJob for a Job named `<cronjob>-<minutes>`.
pub(super) fn creator_of_missing_owner(
    workloads: &[Workload],
    namespace: &str,
    kind: WorkloadKind,
    name: &str,
    labels: &Labels,
) -> Option<WorkloadId> {
    let top_level =
        workloads.iter().enumerate().filter(|(_, w)| w.owner.is_none() && w.namespace == namespace);
    let found = match kind {
        WorkloadKind::ReplicaSet => {
            let hash = labels.get(POD_TEMPLATE_HASH_LABEL).filter(|h| !h.is_empty())?;
            let deployment = name.strip_suffix(hash.as_str())?.strip_suffix('-')?;
            top_level
                .filter(|(_, w)| w.kind == WorkloadKind::Deployment && w.name == deployment)
                .find(|(_, w)| w.selector.as_ref().is_some_and(|s| selector_matches(s, labels)))
        }
        WorkloadKind::Job => {
            let (cronjob, minutes) = name.rsplit_once('-')?;
            if minutes.is_empty() || !minutes.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            top_level.filter(|(_, w)| w.kind == WorkloadKind::CronJob).find(|(_, w)| w.name == cronjob)
        }
        _ => None,
    };
    found.map(|(i, _)| WorkloadId(i as u32))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::model::{PodOwner, Readiness};
    use crate::testing::cluster;

    fn workload(kind: &str, name: &str, spec: Value) -> Value {
        let api = if kind == "Job" || kind == "CronJob" { "batch/v1" } else { "apps/v1" };
        json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "spec": spec})
    }

    fn template(app: &str) -> Value {
        json!({"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c"}]}})
    }

    fn pod(name: &str, labels: Value, owner_kind: &str, owner: &str, ready: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "ns", "labels": labels,
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner,
                                                 "uid": "u", "controller": true}]},
               "spec": {"containers": [{"name": "c"}]},
               "status": {"phase": "Running", "podIP": "10.244.0.9",
                          "conditions": [{"type": "Ready", "status": ready}]}})
    }

    /// Each pod's name, owner (`kind/name`, `?kind/name` when unresolved)
    /// and readiness, and the representative pods, sorted.
    fn owners(objects: Vec<Value>) -> Vec<String> {
        let cluster = cluster(objects);
        let mut lines: Vec<String> = cluster
            .pods()
            .iter()
            .map(|pod| {
                let owner = match &pod.owner {
                    Some(PodOwner::Workload(id)) => {
                        let w = cluster.workload(*id);
                        format!("{}/{}", w.kind.as_str(), w.name)
                    }
                    Some(PodOwner::Unresolved { kind, name }) => format!("?{kind}/{name}"),
                    None => "-".to_owned(),
                };
                let what = if pod.is_representative() { "template" } else { "pod" };
                let ready = match pod.readiness() {
                    Readiness::Ready => "ready",
                    Readiness::NotReady => "not-ready",
                    Readiness::Unknown => "assumed",
                };
                format!("{what} {} {owner} {ready}", pod.name)
            })
            .collect();
        lines.sort();
        lines
    }

    // The ReplicaSet `<deployment>-<pod-template-hash>` is not in a
    // `kubectl get deploy,pods` dump; its pods belong to the Deployment, and
    // the template does not stand in beside them:
    // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label
    #[test]
    fn pods_of_a_missing_replicaset_belong_to_their_deployment() {
        let labels = json!({"app": "web", "pod-template-hash": "5d4f8b7c9"});
        let objects = vec![
            workload(
                "Deployment",
                "web",
                json!({"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template("web")}),
            ),
            pod("web-5d4f8b7c9-abcde", labels.clone(), "ReplicaSet", "web-5d4f8b7c9", "True"),
            pod("web-5d4f8b7c9-fghij", labels, "ReplicaSet", "web-5d4f8b7c9", "False"),
        ];
        assert_eq!(
            owners(objects),
            [
                "pod web-5d4f8b7c9-abcde Deployment/web ready",
                "pod web-5d4f8b7c9-fghij Deployment/web not-ready"
            ]
        );
    }

    // Without the hash label naming the ReplicaSet, or outside the
    // Deployment's selector, the pod is not the Deployment's.
    #[test]
    fn the_hash_and_the_selector_must_agree() {
        let deployment = workload(
            "Deployment",
            "web",
            json!({"selector": {"matchLabels": {"app": "web"}}, "template": template("web")}),
        );
        let objects = vec![
            deployment,
            pod("web-1-a", json!({"app": "web", "pod-template-hash": "2"}), "ReplicaSet", "web-1", "True"),
            pod("web-3-a", json!({"app": "api", "pod-template-hash": "3"}), "ReplicaSet", "web-3", "True"),
        ];
        assert_eq!(
            owners(objects),
            [
                "pod web-1-a ?ReplicaSet/web-1 ready",
                "pod web-3-a ?ReplicaSet/web-3 ready",
                "template web Deployment/web assumed"
            ]
        );
    }

    // StatefulSet, DaemonSet and Job pods name their controller directly;
    // a CronJob's Job is `<cronjob>-<scheduled time in minutes>`
    // (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#job-creation).
    #[test]
    fn controllers_named_directly_and_cronjob_jobs() {
        let selector = |app: &str| json!({"matchLabels": {"app": app}});
        let objects = vec![
            workload(
                "StatefulSet",
                "db",
                json!({"serviceName": "db", "selector": selector("db"), "template": template("db")}),
            ),
            workload(
                "DaemonSet",
                "agent",
                json!({"selector": selector("agent"), "template": template("agent")}),
            ),
            workload("Job", "migrate", json!({"template": template("migrate")})),
            workload(
                "CronJob",
                "backup",
                json!({"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template("backup")}}}),
            ),
            pod("db-0", json!({"app": "db"}), "StatefulSet", "db", "True"),
            pod("agent-x1", json!({"app": "agent"}), "DaemonSet", "agent", "True"),
            pod("migrate-q", json!({"app": "migrate"}), "Job", "migrate", "False"),
            pod("backup-28934560-z", json!({"app": "backup"}), "Job", "backup-28934560", "True"),
        ];
        assert_eq!(
            owners(objects),
            [
                "pod agent-x1 DaemonSet/agent ready",
                "pod backup-28934560-z CronJob/backup ready",
                "pod db-0 StatefulSet/db ready",
                "pod migrate-q Job/migrate not-ready"
            ]
        );
    }
}
