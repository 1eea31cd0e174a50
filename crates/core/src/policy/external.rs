//! What addresses outside the cluster may open to a pod, asked once per
//! class of pods rather than once per address range.
//!
//! Rules about Services exposed outside the cluster (a `NodePort` or
//! `LoadBalancer` Service's pods) ask whether *any* client outside the
//! cluster reaches a pod on a port. Asking [`Compiled::allowed`] for every
//! source range ([`super::PolicyEngine::external_sources`]) costs the number
//! of ranges, and every ingress `ipBlock` of the cluster cuts them: at
//! scale that is thousands of evaluations per pod and port. The verdict
//! from a range depends only on which rules of the pod's ingress profile
//! match it, so the ranges are grouped by that and each group evaluated
//! once, and the answer is kept per class (every pod of a class gets the
//! same answer from every query).
//!
//! The one answer that is not the class's: a source range that is a single
//! address of the pod's own node, which reaches the pod whatever the
//! policies ([`super::Exemption::Node`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::compile::Compiled;
use super::eval::{Peer, Target};
use super::{ip, Direction, Endpoint, IpRange};
use crate::model::PodId;
use crate::ports::ConnectionSet;

/// The answers already computed, per class.
pub(crate) struct ExternalIngressMemo {
    by_class: Vec<OnceLock<ConnectionSet>>,
    /// The source ranges that are a single address (which may be a node's).
    single_addresses: OnceLock<Vec<IpRange>>,
}

impl ExternalIngressMemo {
    pub(crate) fn new(classes: usize) -> ExternalIngressMemo {
        ExternalIngressMemo {
            by_class: (0..classes).map(|_| OnceLock::new()).collect(),
            single_addresses: OnceLock::new(),
        }
    }
}

impl Compiled<'_> {
    /// The connections some source outside the cluster may open to `pod`:
    /// the union, over the source ranges, of [`Compiled::allowed`] from the
    /// range to the pod.
    pub(crate) fn external_ingress(&self, pod: PodId, memo: &ExternalIngressMemo) -> ConnectionSet {
        let to = Endpoint::Pod(pod);
        let singles = memo.single_addresses.get_or_init(|| {
            self.source_ranges
                .iter()
                .copied()
                .filter(|range| match *range {
                    IpRange::V4 { first, last } => first == last,
                    IpRange::V6 { first, last } => first == last,
                })
                .collect()
        });
        if singles.iter().any(|range| self.exemption(&Endpoint::External(*range), &to).is_some()) {
            return ConnectionSet::all();
        }
        let class = self.pod_class[pod.0 as usize];
        if self.classes[class as usize].host_network {
            // Policies do not apply to it: everything is allowed.
            return ConnectionSet::all();
        }
        memo.by_class[class as usize].get_or_init(|| self.class_external_ingress(class)).clone()
    }

    /// The union, over the source ranges, of what `class`'s ingress
    /// profile allows from each.
    fn class_external_ingress(&self, class: u32) -> ConnectionSet {
        let profile =
            &self.profiles[self.classes[class as usize].profiles[Direction::Ingress.index()] as usize];
        if profile.is_trivial() {
            return ConnectionSet::all();
        }
        let target = Target::Ports(self.classes[class as usize].ports);
        // Which of the profile's rules a peer matches.
        let matched_by = |peer: Peer| -> Vec<bool> {
            profile.rules.iter().map(|&rule| self.rule_matches(rule, peer)).collect()
        };
        // A range spanning several blocks gets what every one of them gets
        // (as `allowed` computes it): its signature is the set of theirs.
        let mut signatures: BTreeSet<Vec<Vec<bool>>> = BTreeSet::new();
        for range in &self.source_ranges {
            let blocks = ip::blocks_overlapping(&self.blocks, range);
            let mut signature: Vec<Vec<bool>> = if blocks.is_empty() {
                vec![matched_by(Peer::Unlisted)]
            } else {
                blocks.map(|b| matched_by(Peer::Block(b as u32))).collect()
            };
            signature.sort_unstable();
            signature.dedup();
            signatures.insert(signature);
        }
        let mut verdicts: BTreeMap<Vec<bool>, ConnectionSet> = BTreeMap::new();
        let mut union = ConnectionSet::none();
        for signature in signatures {
            let mut allowed = ConnectionSet::all();
            for matched in signature {
                let verdict = verdicts
                    .entry(matched)
                    .or_insert_with_key(|matched| self.evaluate(profile, &|i| matched[i], target, None));
                allowed = allowed.intersection(verdict);
            }
            union = union.union(&allowed);
            if union.is_all() {
                break;
            }
        }
        union
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{PolicyEngine, PolicyOptions};
    use super::*;
    use crate::ports::Protocol;
    use crate::testing::cluster;

    fn pod(name: &str, labels: Value, extra: Value) -> Value {
        let mut pod = json!({"kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": labels},
                             "spec": {"containers": [{"name": "c", "image": "app",
                                                      "ports": [{"name": "http", "containerPort": 8080}]}]}});
        if let (Some(pod), Some(extra)) = (pod.as_object_mut(), extra.as_object()) {
            for (key, value) in extra {
                pod.insert(key.clone(), value.clone());
            }
        }
        pod
    }

    fn policy(name: &str, spec: Value) -> Value {
        json!({"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
    }

    /// `external_ingress` against the definition it shortcuts: the union of
    /// `allowed` from every source range.
    fn agrees(objects: Vec<Value>) -> Vec<ConnectionSet> {
        let cluster = cluster(objects);
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        (0..cluster.pods().len())
            .map(|i| {
                let pod = PodId(i as u32);
                let expected =
                    engine.external_sources().iter().fold(ConnectionSet::none(), |union, range| {
                        union.union(&engine.allowed(&Endpoint::External(*range), &Endpoint::Pod(pod)))
                    });
                assert_eq!(engine.external_ingress(pod), expected, "pod {}", cluster.pod(pod).name);
                // Asked again, from the memo.
                assert_eq!(engine.external_ingress(pod), expected);
                expected
            })
            .collect()
    }

    // ipBlock peers with `except`, on numbered and named ports; a range
    // split by an `except` is allowed only where every part is
    // (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#IPBlock).
    #[test]
    fn the_union_over_source_ranges_is_computed_once_per_class() {
        let found = agrees(vec![
            pod("open", json!({"app": "open"}), json!({})),
            pod("web", json!({"app": "web"}), json!({})),
            pod("web-2", json!({"app": "web"}), json!({})),
            pod("closed", json!({"app": "closed"}), json!({})),
            pod("office", json!({"app": "office"}), json!({})),
            policy(
                "deny",
                json!({"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "NotIn", "values": ["open"]}]}, "policyTypes": ["Ingress"]}),
            ),
            policy(
                "web",
                json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
                {"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": "http"}]},
                {"from": [{"ipBlock": {"cidr": "10.1.0.0/16"}}], "ports": [{"port": 9090}]}]}),
            ),
            policy(
                "office",
                json!({"podSelector": {"matchLabels": {"app": "office"}}, "ingress": [
                {"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 8080, "protocol": "UDP"}]},
                {"from": [{"podSelector": {}}]}]}),
            ),
        ]);
        // Pods in the order of the model: by namespace, then name.
        let [closed, office, open, web, web_2] = &found[..] else { panic!("five pods") };
        assert!(open.is_all());
        assert!(web.contains(Protocol::Tcp, 8080) && web.contains(Protocol::Tcp, 9090));
        assert!(!web.contains(Protocol::Tcp, 80));
        assert_eq!(web, web_2);
        assert!(closed.is_empty());
        assert!(office.contains(Protocol::Udp, 8080) && !office.contains(Protocol::Tcp, 8080));
    }

    // "Traffic to and from the node where a Pod is running is always
    // allowed, regardless of the IP address of the Pod or the node"
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
    // a source range that is exactly the node's address is such traffic.
    #[test]
    fn a_source_range_that_is_the_pods_node_reaches_it() {
        let on_node = json!({"spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "app"}]},
                             "status": {"hostIP": "192.0.2.10"}});
        let found = agrees(vec![
            pod("closed", json!({"app": "closed"}), on_node.clone()),
            pod("elsewhere", json!({"app": "closed"}), json!({})),
            policy(
                "deny",
                json!({"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 1}]}]}),
            ),
        ]);
        assert!(found[0].is_all());
        assert!(!found[1].is_all() && found[1].contains(Protocol::Tcp, 1));
    }
}
