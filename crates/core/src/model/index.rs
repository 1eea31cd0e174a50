//! Indexes over a [`Cluster`]'s pods, built once per cluster on first use
//! ([`Cluster::index`]) and shared by every rule and query, so that a
//! question about one selector or one image costs what its answer costs,
//! not a walk over every pod of the cluster.
//!
//! The indexes only narrow the pods a question looks at: the answer still
//! comes from the layer that owns the semantics (label selectors from
//! [`crate::labels`], images from [`crate::container`]), run on the candidates.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::model::{Cluster, PodId};

/// The indexes of one cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterIndex {
    /// Label key → value → the pods with that label, sorted by id.
    labels: BTreeMap<String, BTreeMap<String, Vec<PodId>>>,
    /// Image repository ([`crate::container::image_repository`]) of a container
    /// (not init containers) → the pods running it, sorted by id.
    images: BTreeMap<String, Vec<PodId>>,
    /// Namespace → positions in [`Cluster::services`] of its Services, ascending.
    services: BTreeMap<String, Vec<usize>>,
    /// Namespace label key → value → the names of the namespaces with it, sorted.
    namespace_labels: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl ClusterIndex {
    /// Indexes `cluster`'s pods.
    pub(crate) fn new(cluster: &Cluster) -> ClusterIndex {
        let mut index = ClusterIndex::default();
        for (i, pod) in cluster.pods().iter().enumerate() {
            let id = PodId(i as u32);
            for (key, value) in &pod.labels {
                let values = match index.labels.get_mut(key) {
                    Some(values) => values,
                    None => index.labels.entry(key.clone()).or_default(),
                };
                match values.get_mut(value) {
                    Some(pods) => pods.push(id),
                    None => {
                        values.insert(value.clone(), vec![id]);
                    }
                }
            }
            for container in &pod.spec.containers {
                let Some(image) = container.image.as_deref() else { continue };
                let repository = crate::container::image_repository(image);
                let pods = match index.images.get_mut(repository) {
                    Some(pods) => pods,
                    None => index.images.entry(repository.to_owned()).or_default(),
                };
                // Pods come in id order: a second container with the same
                // image is the only way to repeat the last id.
                if pods.last() != Some(&id) {
                    pods.push(id);
                }
            }
        }
        for (position, service) in cluster.services().iter().enumerate() {
            // The namespace `Cluster::pods_selected_by_service` selects in.
            let namespace = service.value.metadata.namespace.as_deref().unwrap_or("default");
            index.services.entry(namespace.to_owned()).or_default().push(position);
        }
        for namespace in cluster.namespaces().values() {
            for (key, value) in &namespace.labels {
                let names = index.namespace_labels.entry(key.clone()).or_default().entry(value.clone());
                names.or_default().push(namespace.name.clone());
            }
        }
        index
    }

    /// The names of the namespaces `selector` may select: a sorted superset
    /// of those it does select, narrowed by one of its `matchLabels`; `None`
    /// when it has none (every namespace is a candidate then).
    pub fn namespace_candidates(&self, selector: &LabelSelector) -> Option<&[String]> {
        let lookup = |(key, value): (&String, &String)| {
            self.namespace_labels.get(key).and_then(|values| values.get(value)).map_or(&[][..], Vec::as_slice)
        };
        selector.match_labels.iter().flatten().map(lookup).min_by_key(|names| names.len())
    }

    /// Positions in [`Cluster::services`] of the Services of `namespace`, ascending.
    pub fn services_in(&self, namespace: &str) -> &[usize] {
        self.services.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The pods labelled `key=value`, sorted by id.
    pub fn pods_with_label(&self, key: &str, value: &str) -> &[PodId] {
        self.labels.get(key).and_then(|values| values.get(value)).map_or(&[], Vec::as_slice)
    }

    /// Every value of label `key` on some pod, with those pods, sorted by value.
    pub fn label_values(&self, key: &str) -> impl Iterator<Item = (&str, &[PodId])> {
        self.labels.get(key).into_iter().flatten().map(|(value, pods)| (value.as_str(), pods.as_slice()))
    }

    /// Every label key on some pod, sorted.
    pub fn label_keys(&self) -> impl Iterator<Item = &str> {
        self.labels.keys().map(String::as_str)
    }

    /// The pods `selector` may select: a sorted superset of those it does
    /// select, narrowed by its `matchLabels` and `In` requirements; `None`
    /// when it has neither (every pod is a candidate then).
    pub fn selector_candidates(&self, selector: &LabelSelector) -> Option<Vec<PodId>> {
        let mut narrowest: Option<Vec<PodId>> = None;
        let mut narrow = |pods: Vec<PodId>| {
            if narrowest.as_ref().is_none_or(|n| pods.len() < n.len()) {
                narrowest = Some(pods);
            }
        };
        for (key, value) in selector.match_labels.iter().flatten() {
            narrow(self.pods_with_label(key, value).to_vec());
        }
        for requirement in selector.match_expressions.iter().flatten() {
            if requirement.operator == "In" {
                let mut pods: Vec<PodId> = requirement
                    .values
                    .iter()
                    .flatten()
                    .flat_map(|value| self.pods_with_label(&requirement.key, value))
                    .copied()
                    .collect();
                pods.sort_unstable();
                pods.dedup();
                narrow(pods);
            }
        }
        narrowest
    }

    /// Image repositories run by some pod's containers, with those pods.
    pub fn image_repositories(&self) -> impl Iterator<Item = (&str, &[PodId])> {
        self.images.iter().map(|(repository, pods)| (repository.as_str(), pods.as_slice()))
    }

    /// The pods with a container whose image passes `matches` (given the
    /// image's repository), sorted by id.
    pub fn pods_with_image(&self, matches: impl Fn(&str) -> bool) -> Vec<PodId> {
        let mut pods: Vec<PodId> = self
            .image_repositories()
            .filter(|(repository, _)| matches(repository))
            .flat_map(|(_, pods)| pods.iter().copied())
            .collect();
        pods.sort_unstable();
        pods.dedup();
        pods
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::labels::selector_matches;
    use crate::testing::cluster;

    fn pod(name: &str, labels: serde_json::Value, images: &[&str]) -> serde_json::Value {
        let containers: Vec<serde_json::Value> = images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "labels": labels},
               "spec": {"containers": containers}})
    }

    #[test]
    fn candidates_are_a_superset_of_what_selectors_select() {
        let cluster = cluster(vec![
            pod("a", json!({"app": "web", "tier": "front"}), &["nginx:1.27"]),
            pod(
                "b",
                json!({"app": "api", "tier": "back"}),
                &["registry.k8s.io/ingress-nginx/controller:v1.11"],
            ),
            pod("c", json!({"app": "web"}), &["docker.io/library/nginx", "nginx:1.26"]),
            pod("d", json!({}), &[]),
        ]);
        let index = ClusterIndex::new(&cluster);
        let selectors: Vec<LabelSelector> = [
            json!({}),
            json!({"matchLabels": {"app": "web"}}),
            json!({"matchLabels": {"app": "web", "tier": "front"}}),
            json!({"matchLabels": {"app": "nope"}}),
            json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}),
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
        ]
        .into_iter()
        .map(|s| serde_json::from_value(s).unwrap())
        .collect();
        for selector in &selectors {
            let selected: Vec<PodId> = (0..cluster.pods().len())
                .map(|i| PodId(i as u32))
                .filter(|id| selector_matches(selector, &cluster.pod(*id).labels))
                .collect();
            match index.selector_candidates(selector) {
                Some(candidates) => {
                    assert!(candidates.windows(2).all(|w| w[0] < w[1]), "{selector:?}: sorted");
                    assert!(selected.iter().all(|id| candidates.contains(id)), "{selector:?}");
                }
                None => assert!(
                    selector.match_labels.is_none()
                        && selector.match_expressions.iter().flatten().all(|r| r.operator != "In")
                ),
            }
        }
        let names =
            |pods: &[PodId]| -> Vec<&str> { pods.iter().map(|id| cluster.pod(*id).name.as_str()).collect() };
        assert_eq!(names(index.pods_with_label("app", "web")), ["a", "c"]);
        assert_eq!(index.label_keys().collect::<Vec<_>>(), ["app", "tier"]);
        // Repositories as `cni::image_repository` reads them: registry and
        // `library/` dropped, tag dropped; a pod running an image twice is listed once.
        assert_eq!(names(&index.pods_with_image(|r| r == "nginx")), ["a", "c"]);
        assert_eq!(names(&index.pods_with_image(|r| r.ends_with("/controller"))), ["b"]);
        // Namespaces by label, implicit ones with their name label.
        let by_name: LabelSelector =
            serde_json::from_value(json!({"matchLabels": {"kubernetes.io/metadata.name": "ns"}})).unwrap();
        assert_eq!(index.namespace_candidates(&by_name), Some(&["ns".to_owned()][..]));
        let absent: LabelSelector = serde_json::from_value(json!({"matchLabels": {"team": "x"}})).unwrap();
        assert_eq!(index.namespace_candidates(&absent), Some(&[][..]));
        assert_eq!(index.namespace_candidates(&LabelSelector::default()), None);
        assert!(index.services_in("ns").is_empty());
    }
}
