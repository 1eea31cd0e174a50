//! Label selectors compiled to interned ids, so matching compares integers.
//!
//! Semantics are those of [`crate::labels::selector_matches`] (a test below
//! checks they agree): `matchLabels` and `matchExpressions` are ANDed, `In`
//! needs the key with one of the values, `NotIn` and `DoesNotExist` match
//! objects without the key, and an unknown operator matches nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::labels::Labels;

/// A small, fast hasher for integer keys (the Fx hash of rustc).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.hash = (self.hash.rotate_left(5) ^ i).wrapping_mul(SEED);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Interned label keys and values.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: FxHashMap<String, u32>,
}

impl Interner {
    pub(crate) fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(text.to_owned(), id);
        id
    }

    /// Labels as `(key, value)` ids sorted by key id.
    pub(crate) fn labels(&mut self, labels: &Labels) -> Vec<(u32, u32)> {
        let mut ids: Vec<(u32, u32)> = labels.iter().map(|(k, v)| (self.id(k), self.id(v))).collect();
        ids.sort_unstable();
        ids
    }
}

/// One requirement of a compiled selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Requirement {
    /// `key=value` (`matchLabels`).
    Equals(u32, u32),
    /// `key in (values)`; values sorted.
    In(u32, Vec<u32>),
    /// `key notin (values)`; values sorted.
    NotIn(u32, Vec<u32>),
    /// `key`.
    Exists(u32),
    /// `!key`.
    DoesNotExist(u32),
    /// An unknown operator: nothing matches.
    Never,
}

/// A compiled label selector; no requirement selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// The selector that selects everything.
    pub(crate) fn everything() -> Selector {
        Selector::default()
    }

    pub(crate) fn compile(selector: &LabelSelector, interner: &mut Interner) -> Selector {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::Equals(interner.id(key), interner.id(value)));
        }
        for expression in selector.match_expressions.iter().flatten() {
            let key = interner.id(&expression.key);
            let mut values: Vec<u32> = expression.values.iter().flatten().map(|v| interner.id(v)).collect();
            values.sort_unstable();
            values.dedup();
            requirements.push(match expression.operator.as_str() {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                _ => Requirement::Never,
            });
        }
        requirements.sort();
        requirements.dedup();
        Selector { requirements }
    }

    /// Whether it selects everything.
    pub(crate) fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub(crate) fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether it selects an object with `labels` (sorted by key id).
    pub(crate) fn matches(&self, labels: &[(u32, u32)]) -> bool {
        let value_of = |key: u32| labels.binary_search_by_key(&key, |&(k, _)| k).ok().map(|i| labels[i].1);
        self.requirements.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => value_of(*key) == Some(*value),
            Requirement::In(key, values) => value_of(*key).is_some_and(|v| values.binary_search(&v).is_ok()),
            Requirement::NotIn(key, values) => {
                value_of(*key).is_none_or(|v| values.binary_search(&v).is_err())
            }
            Requirement::Exists(key) => value_of(*key).is_some(),
            Requirement::DoesNotExist(key) => value_of(*key).is_none(),
            Requirement::Never => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    use super::*;
    use crate::labels::selector_matches;

    fn selector(labels: &[(&str, &str)], expressions: &[(&str, &str, &[&str])]) -> LabelSelector {
        LabelSelector {
            match_labels: (!labels.is_empty())
                .then(|| labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            match_expressions: (!expressions.is_empty()).then(|| {
                expressions
                    .iter()
                    .map(|(key, operator, values)| LabelSelectorRequirement {
                        key: key.to_string(),
                        operator: operator.to_string(),
                        values: Some(values.iter().map(|v| v.to_string()).collect()),
                    })
                    .collect()
            }),
        }
    }

    // The compiled form must agree with `labels::selector_matches`, which
    // follows https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors.
    #[test]
    fn agrees_with_the_reference_matcher() {
        let selectors = [
            selector(&[], &[]),
            selector(&[("app", "web")], &[]),
            selector(&[("app", "web")], &[("tier", "In", &["a", "b"])]),
            selector(&[], &[("tier", "NotIn", &["a"])]),
            selector(&[], &[("tier", "Exists", &[])]),
            selector(&[], &[("tier", "DoesNotExist", &[])]),
            selector(&[], &[("tier", "In", &[])]),
            selector(&[], &[("tier", "NotIn", &[])]),
            selector(&[], &[("tier", "Gt", &["1"])]),
        ];
        let objects: [&[(&str, &str)]; 5] = [
            &[],
            &[("app", "web")],
            &[("app", "web"), ("tier", "a")],
            &[("tier", "c")],
            &[("app", "db"), ("tier", "b")],
        ];
        let mut interner = Interner::default();
        for s in &selectors {
            let compiled = Selector::compile(s, &mut interner);
            for object in objects {
                let labels: Labels = object.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                let ids = interner.labels(&labels);
                assert_eq!(compiled.matches(&ids), selector_matches(s, &labels), "{s:?} on {object:?}");
            }
        }
    }
}
