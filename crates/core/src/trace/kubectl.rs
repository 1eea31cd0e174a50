//! kubectl's way of naming an object, `TYPE/NAME` in the namespace of `-n`
//! (`deploy/api`, `pod/web-0`, `svc/api-service`), as `kubectl exec`,
//! `kubectl port-forward` and `kubectl logs` take it
//! (<https://kubernetes.io/docs/reference/kubectl/#resource-types>: the
//! names, plural names and short names of each resource type, optionally
//! with the API group, `deployments.apps`).
//!
//! `parse.rs` turns these names into the `NAMESPACE/NAME` forms the trace
//! resolves; [`find`] confirms that an object of that type exists, since
//! the trace itself resolves a name to a pod or any workload.

use crate::model::{Cluster, WorkloadKind};

/// What a kubectl resource type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// `pod`, `pods`, `po`.
    Pod,
    /// A workload controller: `deploy`, `sts`, `ds`, `rs`, `rc`, `job`, `cj` and their long names.
    Workload(WorkloadKind),
    /// `svc`, `service`, `services`.
    Service,
}

/// `TYPE/NAME`, kubectl's reference to one object of the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubectlRef {
    /// The type.
    pub kind: ObjectKind,
    /// The object's name.
    pub name: String,
}

impl KubectlRef {
    /// Reads `TYPE/NAME` when `TYPE` is a resource type kubectl knows for a
    /// pod, a workload or a Service (case-insensitive, as kubectl matches
    /// them); `None` for any other text, such as `NAMESPACE/NAME`.
    pub fn parse(text: &str) -> Option<KubectlRef> {
        let (kind, name) = text.split_once('/')?;
        let kind = object_kind(&kind.to_ascii_lowercase())?;
        if name.is_empty() || name.contains(['/', ':']) {
            return None;
        }
        Some(KubectlRef { kind, name: name.to_owned() })
    }
}

impl ObjectKind {
    /// The resource's name in messages, as kubectl writes it (`deployment`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Pod => "pod",
            ObjectKind::Service => "service",
            ObjectKind::Workload(kind) => match kind {
                WorkloadKind::Deployment => "deployment",
                WorkloadKind::StatefulSet => "statefulset",
                WorkloadKind::DaemonSet => "daemonset",
                WorkloadKind::ReplicaSet => "replicaset",
                WorkloadKind::ReplicationController => "replicationcontroller",
                WorkloadKind::Job => "job",
                WorkloadKind::CronJob => "cronjob",
            },
        }
    }
}

/// The type of a lowercase kubectl resource name: singular, plural, short
/// name, each also with its API group.
fn object_kind(resource: &str) -> Option<ObjectKind> {
    let (resource, group) = resource.split_once('.').unwrap_or((resource, ""));
    let (kind, groups): (ObjectKind, &[&str]) = match resource {
        "po" | "pod" | "pods" => (ObjectKind::Pod, &[""]),
        "svc" | "service" | "services" => (ObjectKind::Service, &[""]),
        "deploy" | "deployment" | "deployments" => {
            (ObjectKind::Workload(WorkloadKind::Deployment), &["apps"])
        }
        "sts" | "statefulset" | "statefulsets" => {
            (ObjectKind::Workload(WorkloadKind::StatefulSet), &["apps"])
        }
        "ds" | "daemonset" | "daemonsets" => (ObjectKind::Workload(WorkloadKind::DaemonSet), &["apps"]),
        "rs" | "replicaset" | "replicasets" => (ObjectKind::Workload(WorkloadKind::ReplicaSet), &["apps"]),
        "rc" | "replicationcontroller" | "replicationcontrollers" => {
            (ObjectKind::Workload(WorkloadKind::ReplicationController), &[""])
        }
        "job" | "jobs" => (ObjectKind::Workload(WorkloadKind::Job), &["batch"]),
        "cj" | "cronjob" | "cronjobs" => (ObjectKind::Workload(WorkloadKind::CronJob), &["batch"]),
        _ => return None,
    };
    // The core group has no name: `pods.` is not a resource, `pods` is.
    (group.is_empty() || groups.contains(&group)).then_some(kind)
}

/// The kubectl reference in a `SOURCE` or `DESTINATION` argument:
/// `TYPE/NAME`, or `TYPE/NAME:PORT` with the port left out.
pub fn in_argument(text: &str) -> Option<KubectlRef> {
    let text = text.trim();
    KubectlRef::parse(text).or_else(|| KubectlRef::parse(text.rsplit_once(':')?.0))
}

/// The namespace kubectl uses when `-n` is not given and the kubeconfig
/// context names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Whether `namespace` holds an object of `reference`'s type and name: a
/// pod in the input (not one standing for a workload's template), a
/// workload of that kind, or a Service. The error says what is missing,
/// as kubectl does (`deployment `api` not found in namespace `prod``).
pub fn find(cluster: &Cluster, namespace: &str, reference: &KubectlRef) -> Result<(), String> {
    let name = reference.name.as_str();
    let found = match reference.kind {
        ObjectKind::Pod => cluster.pods_in(namespace).iter().any(|id| {
            let pod = cluster.pod(*id);
            pod.name == name && !pod.is_representative()
        }),
        ObjectKind::Workload(kind) => {
            cluster.workloads().iter().any(|w| w.kind == kind && w.namespace == namespace && w.name == name)
        }
        ObjectKind::Service => cluster.service(namespace, name).is_some(),
    };
    if found {
        return Ok(());
    }
    Err(format!("{} `{name}` not found in namespace `{namespace}`", reference.kind.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<(ObjectKind, String)> {
        KubectlRef::parse(text).map(|r| (r.kind, r.name))
    }

    // The names, plural names, short names and groups of
    // https://kubernetes.io/docs/reference/kubectl/#resource-types
    #[test]
    fn resource_types() {
        let deployment = ObjectKind::Workload(WorkloadKind::Deployment);
        for text in
            ["deploy/api", "deployment/api", "deployments/api", "deployments.apps/api", "Deployment/api"]
        {
            assert_eq!(parsed(text), Some((deployment, "api".to_owned())), "{text}");
        }
        assert_eq!(parsed("po/web-0"), Some((ObjectKind::Pod, "web-0".to_owned())));
        assert_eq!(parsed("svc/api-service"), Some((ObjectKind::Service, "api-service".to_owned())));
        assert_eq!(
            parsed("sts/db"),
            Some((ObjectKind::Workload(WorkloadKind::StatefulSet), "db".to_owned()))
        );
        assert_eq!(
            parsed("cj/nightly"),
            Some((ObjectKind::Workload(WorkloadKind::CronJob), "nightly".to_owned()))
        );
        assert_eq!(
            parsed("jobs.batch/once"),
            Some((ObjectKind::Workload(WorkloadKind::Job), "once".to_owned()))
        );
        // Not kubectl's form: namespaces, wrong groups, empty or nested names.
        assert_eq!(parsed("production/api"), None);
        assert_eq!(parsed("deployments.batch/api"), None);
        assert_eq!(parsed("pods.apps/x"), None);
        assert_eq!(parsed("deploy/"), None);
        assert_eq!(parsed("svc/production/api"), None);
        assert_eq!(parsed("deploy"), None);
        assert_eq!(in_argument("svc/api:80").map(|r| r.name), Some("api".to_owned()));
        assert_eq!(in_argument("deploy/api").map(|r| r.name), Some("api".to_owned()));
        assert_eq!(in_argument("svc/prod/api:80"), None);
        assert_eq!(in_argument("http://svc/x:80"), None);
    }

    #[test]
    fn find_checks_the_type() {
        let cluster = crate::testing::cluster([
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "api", "namespace": "prod"},
                "spec": {"selector": {"matchLabels": {"app": "api"}},
                         "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c"}]}}}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-0", "namespace": "prod"}, "spec": {"containers": [{"name": "c"}]}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "api", "namespace": "prod"}, "spec": {"ports": [{"port": 80}]}}),
        ]);
        let find = |text: &str, namespace: &str| find(&cluster, namespace, &KubectlRef::parse(text).unwrap());
        assert_eq!(find("deploy/api", "prod"), Ok(()));
        assert_eq!(find("pod/web-0", "prod"), Ok(()));
        assert_eq!(find("svc/api", "prod"), Ok(()));
        assert_eq!(
            find("sts/api", "prod"),
            Err("statefulset `api` not found in namespace `prod`".to_owned())
        );
        assert_eq!(find("pod/api", "prod"), Err("pod `api` not found in namespace `prod`".to_owned()));
        assert_eq!(
            find("deploy/api", "default"),
            Err("deployment `api` not found in namespace `default`".to_owned())
        );
    }
}
