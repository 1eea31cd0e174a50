//! Near misses: names that differ by a typo, and pods whose labels almost
//! match a selector.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use crate::model::{Cluster, PodId};
use crate::typo::distance;

/// Whether `a` and `b` differ but look like one was meant for the other:
/// equal ignoring case and `-`/`_`/`.`, one a prefix or suffix of the
/// other (`prometheus` and `prometheus-server`), or a small edit distance
/// (1 for short names, up to a quarter of the length for longer ones).
pub(crate) fn similar(a: &str, b: &str) -> bool {
    if a == b || a.is_empty() || b.is_empty() {
        return false;
    }
    let normalize = |s: &str| -> String {
        s.chars().filter(|c| !matches!(c, '-' | '_' | '.')).flat_map(char::to_lowercase).collect()
    };
    if normalize(a) == normalize(b) {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 3 && (long.starts_with(short) || long.ends_with(short)) {
        return true;
    }
    let short_chars = short.chars().count();
    let allowed = (short_chars / 4).max(1);
    // The distance is at least the difference in length: skip it when that
    // alone is too much.
    short_chars >= 3 && long.chars().count().abs_diff(short_chars) <= allowed && distance(a, b) <= allowed
}

/// A workload whose pods' labels miss a map selector by one pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NearMiss {
    /// The pods have the key with a similar value.
    Value { workload: String, key: String, wanted: String, found: String },
    /// The pods have the value under a similar key.
    Key { workload: String, wanted: String, found: String, value: String },
    /// The pods match every other pair and lack this key (selectors of two
    /// pairs or more only).
    Missing { workload: String, key: String, value: String },
}

/// The workloads among `pods` (`Kind/name`) whose labels miss `selector` by
/// exactly one pair, in a way that looks like a typo or an omission; typos
/// first, then sorted.
pub(crate) fn near_misses(
    cluster: &Cluster,
    pods: &[PodId],
    selector: &BTreeMap<String, String>,
) -> Vec<NearMiss> {
    let found: BTreeSet<(u8, NearMiss)> =
        pods.iter().filter_map(|&id| near_miss_of(cluster, id, selector)).collect();
    found.into_iter().map(|(_, miss)| miss).collect()
}

/// [`near_misses`] among the pods `in_scope` accepts, looking only at the
/// pods that could miss `selector` by one pair ([`Candidates`]) rather than
/// at every pod in scope.
pub(crate) fn near_misses_among(
    cluster: &Cluster,
    candidates: &Candidates,
    in_scope: impl Fn(PodId) -> bool,
    selector: &BTreeMap<String, String>,
) -> Vec<NearMiss> {
    let pods: Vec<PodId> = candidates.of(cluster, selector).into_iter().filter(|&id| in_scope(id)).collect();
    near_misses(cluster, &pods, selector)
}

/// The pods that may miss a selector by one pair, from the cluster's label
/// index, with the typo searches over label values remembered per key and
/// wanted value (many policies repeat a selector).
#[derive(Default)]
pub(crate) struct Candidates {
    similar_values: RefCell<HashMap<LabelPair, Rc<Vec<PodId>>>>,
}

/// A label key and value.
type LabelPair = (String, String);

impl Candidates {
    /// A superset of the pods [`near_miss_of`] reports for `selector`,
    /// sorted: with two pairs or more, the pods matching one of them; with
    /// one pair `key=wanted`, the pods with `key` at a value similar to
    /// `wanted`, or with `wanted` under a key similar to `key`.
    fn of(&self, cluster: &Cluster, selector: &BTreeMap<String, String>) -> Vec<PodId> {
        let index = cluster.index();
        let mut pods: Vec<PodId> = match selector.iter().collect::<Vec<_>>().as_slice() {
            [] => Vec::new(),
            [(key, wanted)] => self.similar_values(cluster, key, wanted).to_vec(),
            pairs => pairs.iter().flat_map(|(k, v)| index.pods_with_label(k, v)).copied().collect(),
        };
        pods.sort_unstable();
        pods.dedup();
        pods
    }

    fn similar_values(&self, cluster: &Cluster, key: &str, wanted: &str) -> Rc<Vec<PodId>> {
        let memo_key = (key.to_owned(), wanted.to_owned());
        if let Some(pods) = self.similar_values.borrow().get(&memo_key) {
            return Rc::clone(pods);
        }
        let index = cluster.index();
        let by_value = index.label_values(key).filter(|(value, _)| similar(wanted, value)).map(|(_, p)| p);
        let by_key = index.label_keys().filter(|k| similar(key, k)).map(|k| index.pods_with_label(k, wanted));
        let pods: Rc<Vec<PodId>> = Rc::new(by_value.chain(by_key).flatten().copied().collect());
        self.similar_values.borrow_mut().insert(memo_key, Rc::clone(&pods));
        pods
    }
}

/// How `pod` misses `selector`, if by exactly one pair that looks like a
/// typo or an omission; typos rank 0, omissions 1.
fn near_miss_of(cluster: &Cluster, id: PodId, selector: &BTreeMap<String, String>) -> Option<(u8, NearMiss)> {
    let pod = cluster.pod(id);
    let unmatched: Vec<(&String, &String)> =
        selector.iter().filter(|(k, v)| pod.labels.get(*k) != Some(*v)).collect();
    let [(key, wanted)] = unmatched.as_slice() else { return None };
    let reference = cluster.workload_ref(pod);
    let workload = format!("{}/{}", reference.kind, reference.name);
    if let Some(value) = pod.labels.get(*key) {
        return similar(wanted, value).then(|| {
            let miss = NearMiss::Value {
                workload,
                key: (*key).clone(),
                wanted: (*wanted).clone(),
                found: value.clone(),
            };
            (0, miss)
        });
    }
    let similar_key = pod.labels.iter().find(|(k, v)| similar(key, k) && (v == wanted || similar(wanted, v)));
    if let Some((other, value)) = similar_key.filter(|(_, v)| *v == *wanted) {
        let miss =
            NearMiss::Key { workload, wanted: (*key).clone(), found: other.clone(), value: value.clone() };
        Some((0, miss))
    } else if selector.len() >= 2 {
        Some((1, NearMiss::Missing { workload, key: (*key).clone(), value: (*wanted).clone() }))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // The candidates only narrow the search: among every pod of the cluster
    // they find the near misses a walk over every pod finds.
    #[test]
    fn candidates_find_every_near_miss() {
        let pod = |name: &str, namespace: &str, labels: serde_json::Value| json!({"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels}});
        let cluster = crate::testing::cluster(vec![
            pod("web", "a", json!({"app": "frontend", "tier": "web"})),
            pod("api", "a", json!({"App": "backend", "tier": "api"})),
            pod("db", "b", json!({"app": "database", "tier": "db", "zone": "x"})),
            pod("cache", "b", json!({"app": "cache-server"})),
            pod("bare", "b", json!({})),
        ]);
        let selectors = [
            json!({"app": "fronted"}),
            json!({"app": "backend"}),
            json!({"app": "cache"}),
            json!({"app": "frontend", "tier": "db"}),
            json!({"app": "database", "tier": "db", "zone": "y"}),
            json!({"app": "nothing-like-it"}),
            json!({}),
        ];
        let candidates = Candidates::default();
        let every: Vec<PodId> = (0..cluster.pods().len()).map(|i| PodId(i as u32)).collect();
        for selector in selectors {
            let selector: BTreeMap<String, String> = serde_json::from_value(selector).unwrap();
            let expected = near_misses(&cluster, &every, &selector);
            assert_eq!(
                near_misses_among(&cluster, &candidates, |_| true, &selector),
                expected,
                "{selector:?}"
            );
            let in_b = |id: PodId| cluster.pod(id).namespace == "b";
            let expected_b: Vec<PodId> = every.iter().copied().filter(|id| in_b(*id)).collect();
            let expected_b = near_misses(&cluster, &expected_b, &selector);
            assert_eq!(near_misses_among(&cluster, &candidates, in_b, &selector), expected_b, "{selector:?}");
        }
        let found = near_misses_among(
            &cluster,
            &candidates,
            |_| true,
            &BTreeMap::from([("app".into(), "fronted".into())]),
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn typos_are_similar_and_other_words_are_not() {
        assert!(similar("prometheus-server", "prometheus"));
        assert!(similar("frontend", "fronted"));
        assert!(similar("app.kubernetes.io/name", "app.kubernetes.io/Name"));
        assert!(similar("my_app", "my-app"));
        assert!(!similar("web", "db"));
        assert!(!similar("api", "api"));
        assert!(!similar("ab", "abc"));
        assert!(!similar("backend", "frontend"));
        // Fewer bytes is not fewer characters: no underflow in the length window.
        assert!(!similar("aaa", "éé"));
        assert!(similar("cafés", "cafes"));
    }
}
