//! Wording shared by the layers of a trace: names, selectors, locations,
//! `kubectl` commands and "did you mean" suggestions.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::net::IpAddr;

use crate::cni::{ChoiceSource, PluginBehaviour};
use crate::labels::Labels;
use crate::model::{Cluster, Pod, PodId, PodOwner, WorkloadKind};
use crate::origin::Location;
use crate::policy::{IpRange, PolicyRef};
use crate::shell::quote;

/// `text` in backticks.
pub(super) fn code(text: impl Display) -> String {
    format!("`{text}`")
}

/// `1 endpoint`, `3 endpoints`.
pub(super) fn count(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1 receives`, `3 receive`: `n` and the form of a word that agrees with
/// it, for words [`count`] cannot pluralise by adding an `s` (verbs).
pub(super) fn count_with(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// ` (file:line)`, or nothing for objects that come from no file.
pub(super) fn at(location: &Location) -> String {
    if location.file.is_none() && location.line == 0 {
        return String::new();
    }
    format!(" ({location})")
}

/// A map selector or label set as `k=v,k2=v2`.
pub(super) fn labels_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return "{}".to_owned();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// Labels that select `pod`'s siblings in a policy or Service: its
/// workload's `matchLabels`, else its labels without the per-pod ones the
/// controllers add.
pub(super) fn identifying_labels(cluster: &Cluster, pod: &Pod) -> Labels {
    if let Some(PodOwner::Workload(id)) = &pod.owner {
        let workload = cluster.workload(*id);
        let from_selector = workload
            .selector
            .as_ref()
            .filter(|s| s.match_expressions.as_ref().is_none_or(Vec::is_empty))
            .and_then(|s| s.match_labels.clone())
            .filter(|m| !m.is_empty());
        if let Some(labels) = from_selector {
            return labels;
        }
    }
    const PER_POD: [&str; 4] = [
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
    ];
    pod.labels
        .iter()
        .filter(|(k, _)| !PER_POD.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// How a pod is named in a trace: `namespace/name`, and for the
/// representative of a workload, its kind and replicas.
pub(super) fn pod_title(cluster: &Cluster, id: PodId) -> String {
    let pod = cluster.pod(id);
    let workload = cluster.workload_ref(pod);
    if pod.is_representative() {
        return format!("{} ({}, {})", code(workload.id()), workload.kind, count(pod.replicas, "replica"));
    }
    if workload.kind == "Pod" {
        return format!("{} (pod)", code(pod_id(pod)));
    }
    format!("{} (pod of {} {})", code(pod_id(pod)), workload.kind, code(workload.id()))
}

/// `namespace/name` of a pod.
pub(super) fn pod_id(pod: &Pod) -> String {
    format!("{}/{}", pod.namespace, pod.name)
}

/// `` `ns/name` `` and, for a representative pod, its replicas.
pub(super) fn pod_name_with_replicas(cluster: &Cluster, id: PodId) -> String {
    let pod = cluster.pod(id);
    if pod.is_representative() {
        format!("{} ({})", code(pod_id(pod)), count(pod.replicas, "replica"))
    } else {
        code(pod_id(pod))
    }
}

/// What `kubectl exec` takes for `pod`: `deploy/frontend`, or the pod's name.
pub(super) fn exec_target(cluster: &Cluster, pod: &Pod) -> String {
    if let Some(PodOwner::Workload(id)) = &pod.owner {
        let workload = cluster.workload(*id);
        let short = match workload.kind {
            WorkloadKind::Deployment => Some("deploy"),
            WorkloadKind::StatefulSet => Some("sts"),
            WorkloadKind::DaemonSet => Some("ds"),
            WorkloadKind::ReplicaSet => Some("rs"),
            WorkloadKind::ReplicationController => Some("rc"),
            WorkloadKind::Job => Some("job"),
            WorkloadKind::CronJob => None,
        };
        if let Some(short) = short.filter(|_| pod.is_representative()) {
            return format!("{short}/{}", workload.name);
        }
    }
    pod.name.clone()
}

/// `kubectl get pods` for `pod` and its siblings.
pub(super) fn kubectl_pods(cluster: &Cluster, pod: &Pod) -> String {
    if pod.is_representative() || matches!(pod.owner, Some(PodOwner::Workload(_))) {
        let labels = identifying_labels(cluster, pod);
        if !labels.is_empty() {
            return format!(
                "kubectl get pods -n {} -l {} -o wide",
                quote(&pod.namespace),
                quote(&labels_text(&labels))
            );
        }
    }
    format!("kubectl get pod -n {} {} -o wide", quote(&pod.namespace), quote(&pod.name))
}

pub(super) use crate::typo::close_matches;

/// `a`, `a or b`, `a, b or c`.
pub(super) fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// `` `web` TCP 3000, TCP 9090 `` or "no container ports".
pub(super) fn ports_list(cluster: &Cluster, pod: PodId) -> String {
    let ports: Vec<String> = cluster
        .pod(pod)
        .container_ports()
        .map(|p| match p.name {
            Some(name) => format!("{} {} {}", code(name), p.protocol, p.port),
            None => format!("{} {}", p.protocol, p.port),
        })
        .collect();
    if ports.is_empty() {
        "no container ports".to_owned()
    } else {
        format!("ports {}", ports.join(", "))
    }
}

/// Evidence about a pod's declared ports.
pub(super) fn declared_ports(cluster: &Cluster, pod: PodId) -> Vec<String> {
    vec![format!("{} declares {}", code(pod_id(cluster.pod(pod))), ports_list(cluster, pod))]
}

pub(super) fn policy_name(policy: &PolicyRef) -> String {
    format!("{} {}", policy.kind.as_str(), code(policy.id()))
}

pub(super) fn rule_name(rule: Option<usize>, name: Option<&str>, policy: &PolicyRef) -> String {
    match (rule, name) {
        (_, Some(name)) => format!("rule {} of {}", code(name), policy_name(policy)),
        (Some(rule), None) => format!("rule {rule} of {}", policy_name(policy)),
        (None, None) => policy_name(policy),
    }
}

/// `` `a/32`, `b/32` (…) ``: the `ipBlock` peer that admits the addresses
/// of `nodes`, for a fix.
pub(super) fn node_blocks(nodes: &[(String, IpAddr)]) -> String {
    let blocks: Vec<String> = nodes.iter().map(|(_, a)| code(IpRange::from_addr(*a).id())).collect();
    let names: Vec<String> =
        nodes.iter().map(|(n, _)| code(n)).collect::<BTreeSet<_>>().into_iter().collect();
    let (noun, whose) = if names.len() == 1 { ("node", "its") } else { ("nodes", "their") };
    format!(
        "`ipBlock` {} (the {noun} {}: under `externalTrafficPolicy: Cluster` {whose} address replaces the client's)",
        blocks.join(", "),
        names.join(", ")
    )
}

/// Where `ipBlock`s do not match node addresses, the evidence that says
/// so: node traffic (a node's SNATed connections, a `hostNetwork` pod)
/// meets only the peers that select nodes.
pub(super) fn cidr_note(plugin: &PluginBehaviour) -> Option<String> {
    let choice = plugin.ip_blocks_match_nodes;
    if choice.value {
        return None;
    }
    let whose = match choice.source {
        ChoiceSource::Plugin { cni } => format!("as {} does", cni.name()),
        ChoiceSource::Flag => "`--ip-blocks-match-nodes=false`".to_owned(),
        ChoiceSource::Default => "by default".to_owned(),
    };
    Some(format!(
        "`ipBlock`s do not match the nodes' addresses ({whose}; `--ip-blocks-match-nodes` if the agent runs with \
         `policy-cidr-match-mode: nodes`): only an empty `from` or Cilium's `remote-node` and `host` entities admit them"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(crate::typo::distance("frontend", "frontend"), 0);
        assert_eq!(crate::typo::distance("frontnd", "frontend"), 1);
        assert_eq!(crate::typo::distance("api", "apx"), 1);
        assert_eq!(crate::typo::distance("", "abc"), 3);
        assert_eq!(crate::typo::distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions_are_near_and_sorted() {
        let candidates = ["production/frontend", "production/api", "staging/frontend", "production/fronted"];
        assert_eq!(
            close_matches("production/frontnd", candidates.iter().map(|c| c.to_string())),
            vec!["production/fronted".to_owned(), "production/frontend".to_owned()]
        );
        assert!(close_matches("x/y", candidates.iter().map(|c| c.to_string())).is_empty());
        assert_eq!(either(&["a".into(), "b".into(), "c".into()]), "a, b or c");
    }

    #[test]
    fn a_verb_agrees_with_its_count() {
        assert_eq!(count_with(1, "receives", "receive"), "1 receives");
        assert_eq!(count_with(0, "receives", "receive"), "0 receive");
        assert_eq!(count_with(3, "receives", "receive"), "3 receive");
    }
}
