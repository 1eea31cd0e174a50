//! Answers the layers above the model derive from a whole [`Cluster`] and
//! keep for its lifetime ([`Cluster::memo`]): the network plugins its
//! objects show, the address blocks its policies cut. A question about a
//! few pods (`trace`) then costs what its own pods cost, not a walk over
//! every workload and every policy each time it is asked.
//!
//! The model cannot name those answers' types (the layers import the
//! model, never the reverse), so each answer is kept under a key of a type
//! private to the one function that computes it, and is that function's
//! answer: a remembered value is never a second derivation.
//!
//! [`Cluster`]: crate::model::Cluster
//! [`Cluster::memo`]: crate::model::Cluster::memo

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

/// The remembered answers of one cluster, each computed on first use.
///
/// A copy of the cluster starts with none ([`Clone`] gives an empty memo):
/// a copy may be changed (`Cluster::with_pod`), and an answer kept for
/// the original would not be the copy's.
#[derive(Default)]
pub struct Memo {
    /// One entry per key asked for: as many as the callers' key values,
    /// a handful.
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    key: Box<dyn Any + Send + Sync>,
    value: Arc<dyn Any + Send + Sync>,
}

impl Memo {
    /// The answer kept under `key`, computed by `compute` on first use.
    /// `K` must be a type only the function computing the answer uses, so
    /// that no two functions share a key.
    pub fn get_or_init<K, V>(&self, key: K, compute: impl FnOnce() -> V) -> Arc<V>
    where
        K: Any + PartialEq + Send + Sync,
        V: Any + Send + Sync,
    {
        if let Some(value) = find(&self.lock(), &key) {
            return value;
        }
        // Computed without the lock: `compute` may ask for another answer.
        let value = Arc::new(compute());
        let mut entries = self.lock();
        // Another thread may have been first; either answer is the same.
        if let Some(first) = find(&entries, &key) {
            return first;
        }
        entries.push(Entry { key: Box::new(key), value: Arc::clone(&value) as Arc<dyn Any + Send + Sync> });
        value
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        // A panic while the lock was held left the entries as they were
        // (pushing is the only change): still usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn find<K: Any + PartialEq, V: Any + Send + Sync>(entries: &[Entry], key: &K) -> Option<Arc<V>> {
    entries
        .iter()
        .filter(|entry| entry.key.downcast_ref::<K>() == Some(key))
        .find_map(|entry| Arc::clone(&entry.value).downcast::<V>().ok())
}

impl Clone for Memo {
    fn clone(&self) -> Memo {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("entries", &self.lock().len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[derive(PartialEq)]
    struct Key(u8);

    #[derive(PartialEq)]
    struct OtherKey(u8);

    #[test]
    fn answers_are_computed_once_per_key_and_not_copied() {
        let memo = Memo::default();
        let calls = Cell::new(0);
        let compute = |answer: &'static str| {
            calls.set(calls.get() + 1);
            answer.to_owned()
        };
        assert_eq!(*memo.get_or_init(Key(1), || compute("one")), "one");
        assert_eq!(*memo.get_or_init(Key(1), || compute("again")), "one");
        assert_eq!(calls.get(), 1);
        // Another key value, and the same value of another key type, are other answers.
        assert_eq!(*memo.get_or_init(Key(2), || compute("two")), "two");
        assert_eq!(*memo.get_or_init(OtherKey(1), || compute("other")), "other");
        assert_eq!(calls.get(), 3);
        // A copy remembers nothing.
        let copy = memo.clone();
        assert_eq!(*copy.get_or_init(Key(1), || compute("copy")), "copy");
        assert_eq!(*memo.get_or_init(Key(1), || compute("again")), "one");
        // Asking for another answer while computing one does not deadlock.
        let nested = memo.get_or_init(Key(3), || format!("{}+", memo.get_or_init(Key(4), || 4u32)));
        assert_eq!(*nested, "4+");
    }
}
