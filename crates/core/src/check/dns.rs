//! Rules about cluster DNS.

use std::collections::BTreeMap;

use crate::check::{declare_rule, list, Context, Emitter, Subject};
use crate::model::{Cluster, Pod, PodId, Readiness};

declare_rule! {
    /// ## What it does
    /// Finds cluster DNS (CoreDNS) pods, in a dump of a running cluster,
    /// that are not ready, restarting (`CrashLoopBackOff`), or whose last
    /// run was killed for using too much memory (`OOMKilled`). The pods are
    /// those the `kube-dns` Service selects, else the `kube-system` pods
    /// labelled `k8s-app: kube-dns`.
    ///
    /// ## Why does this break traffic?
    /// Every pod resolves Service names through these pods. A pod that is
    /// not ready receives no queries, so the others carry the load; when
    /// none is ready, every name lookup in the cluster fails, and with it
    /// every connection made by name. An OOM-killed CoreDNS drops the
    /// queries in flight and is usually short of memory under load.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: coredns-5d78c9869d-4xk2p
    ///   namespace: kube-system
    ///   labels:
    ///     k8s-app: kube-dns
    /// spec:
    ///   containers:
    ///     - name: coredns
    ///       image: registry.k8s.io/coredns/coredns:v1.11.3
    ///       ports:
    ///         - name: dns
    ///           containerPort: 53
    ///           protocol: UDP
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.0.3
    ///   conditions:
    ///     - type: Ready
    ///       status: "False"
    ///   containerStatuses:
    ///     - name: coredns
    ///       image: registry.k8s.io/coredns/coredns:v1.11.3
    ///       imageID: ""
    ///       ready: false
    ///       restartCount: 14
    ///       state:
    ///         waiting:
    ///           reason: CrashLoopBackOff
    ///       lastState:
    ///         terminated:
    ///           exitCode: 137
    ///           reason: OOMKilled
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: kube-dns
    ///   namespace: kube-system
    /// spec:
    ///   clusterIP: 10.96.0.10
    ///   selector:
    ///     k8s-app: kube-dns
    ///   ports:
    ///     - name: dns
    ///       port: 53
    ///       protocol: UDP
    /// ```
    ///
    /// Use instead (a higher memory limit, and the pod runs):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: coredns-5d78c9869d-4xk2p
    ///   namespace: kube-system
    ///   labels:
    ///     k8s-app: kube-dns
    /// spec:
    ///   containers:
    ///     - name: coredns
    ///       image: registry.k8s.io/coredns/coredns:v1.11.3
    ///       resources:
    ///         limits:
    ///           memory: 340Mi
    ///       ports:
    ///         - name: dns
    ///           containerPort: 53
    ///           protocol: UDP
    /// status:
    ///   phase: Running
    ///   podIP: 10.244.0.3
    ///   conditions:
    ///     - type: Ready
    ///       status: "True"
    ///   containerStatuses:
    ///     - name: coredns
    ///       image: registry.k8s.io/coredns/coredns:v1.11.3
    ///       imageID: ""
    ///       ready: true
    ///       restartCount: 0
    ///       state:
    ///         running: {}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: kube-dns
    ///   namespace: kube-system
    /// spec:
    ///   clusterIP: 10.96.0.10
    ///   selector:
    ///     k8s-app: kube-dns
    ///   ports:
    ///     - name: dns
    ///       port: 53
    ///       protocol: UDP
    /// ```
    ///
    /// ## Known problems
    /// Manifests have no status: the rule needs a dump. A dump is a
    /// snapshot, and a pod that was restarting when it was taken may have
    /// recovered since.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/>
    /// - <https://github.com/coredns/deployment/blob/master/kubernetes/Scaling_CoreDNS.md>
    pub struct CorednsUnhealthy {
        code: "KR401",
        name: "coredns-unhealthy",
        severity: Warning,
        summary: "cluster DNS pods that are not ready, restarting or OOM-killed",
        check: coredns_unhealthy,
    }
}

fn coredns_unhealthy(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    let pods = dns_pods(cluster);
    let total = pods.len();
    // Per workload (kind, namespace, name): the pods' problems, whether one
    // was OOM-killed, and a pod to locate the finding.
    type Unhealthy = (Vec<String>, bool, PodId);
    let mut unhealthy: BTreeMap<(String, String, String), Unhealthy> = BTreeMap::new();
    for id in pods {
        let pod = cluster.pod(id);
        let Some(problems) = pod_problems(pod) else { continue };
        let workload = cluster.workload_ref(pod);
        let entry = unhealthy.entry((workload.kind, workload.namespace, workload.name)).or_insert((
            Vec::new(),
            false,
            id,
        ));
        entry.0.push(format!("{} ({})", pod.name, problems.0));
        entry.1 |= problems.1;
    }
    for (described, oom, first) in unhealthy.into_values() {
        let pod = cluster.pod(first);
        let fix = if oom {
            "raise the memory limit of the CoreDNS containers (`resources.limits.memory`), and scale CoreDNS with \
             the cluster's size"
                .to_owned()
        } else {
            "read the CoreDNS logs (`kubectl logs -n kube-system -l k8s-app=kube-dns --previous`): a forwarding \
             loop, an unreachable upstream server or a Corefile error are the usual causes"
                .to_owned()
        };
        out.emit(
            &Subject::pod(cluster, pod),
            "",
            format!("{} of {total} cluster DNS pods are unhealthy: {}", described.len(), list(&described, 4)),
            fix,
        );
    }
}

/// The cluster DNS pods of the input (as the dns layer finds them) that
/// have a status.
fn dns_pods(cluster: &Cluster) -> Vec<PodId> {
    crate::dns::dns_pods(cluster)
        .into_iter()
        .filter(|id| cluster.pod(*id).status.is_some() && !cluster.pod(*id).is_representative())
        .collect()
}

/// What is wrong with a DNS pod, and whether it was OOM-killed; `None` when healthy.
fn pod_problems(pod: &Pod) -> Option<(String, bool)> {
    let mut problems = Vec::new();
    if pod.readiness() == Readiness::NotReady {
        problems.push("not ready".to_owned());
    }
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()).into_iter().flatten();
    let mut oom = false;
    for status in statuses {
        let waiting =
            status.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_deref());
        if waiting == Some("CrashLoopBackOff") {
            problems.push(format!("`CrashLoopBackOff` after {} restarts", status.restart_count));
        }
        let last =
            status.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.reason.as_deref());
        if last == Some("OOMKilled") {
            oom = true;
            problems.push("last run `OOMKilled`".to_owned());
        }
    }
    (!problems.is_empty()).then(|| (problems.join(", "), oom))
}
