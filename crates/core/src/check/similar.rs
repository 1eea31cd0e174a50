//! Near misses: names that differ by a typo, and pods whose labels almost
//! match a selector.

use std::collections::{BTreeMap, BTreeSet};

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
    let allowed = (short.chars().count() / 4).max(1);
    short.chars().count() >= 3 && distance(a, b) <= allowed
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
    let mut found = BTreeSet::new();
    for &id in pods {
        let pod = cluster.pod(id);
        let unmatched: Vec<(&String, &String)> =
            selector.iter().filter(|(k, v)| pod.labels.get(*k) != Some(*v)).collect();
        let [(key, wanted)] = unmatched.as_slice() else { continue };
        let reference = cluster.workload_ref(pod);
        let workload = format!("{}/{}", reference.kind, reference.name);
        if let Some(value) = pod.labels.get(*key) {
            if similar(wanted, value) {
                found.insert((
                    0,
                    NearMiss::Value {
                        workload,
                        key: (*key).clone(),
                        wanted: (*wanted).clone(),
                        found: value.clone(),
                    },
                ));
            }
            continue;
        }
        let similar_key =
            pod.labels.iter().find(|(k, v)| similar(key, k) && (v == wanted || similar(wanted, v)));
        if let Some((other, value)) = similar_key.filter(|(_, v)| *v == *wanted) {
            found.insert((
                0,
                NearMiss::Key {
                    workload,
                    wanted: (*key).clone(),
                    found: other.clone(),
                    value: value.clone(),
                },
            ));
        } else if selector.len() >= 2 {
            found.insert((1, NearMiss::Missing { workload, key: (*key).clone(), value: (*wanted).clone() }));
        }
    }
    found.into_iter().map(|(_, miss)| miss).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
