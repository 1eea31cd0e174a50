//! A fixed-size bit set over indices `0..len`.

/// A set of indices below a fixed length, one bit each.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// An empty set for indices below `len`.
    pub(crate) fn new(len: usize) -> BitSet {
        BitSet { words: vec![0; len.div_ceil(64)] }
    }

    /// The set of every index below `len`.
    pub(crate) fn full(len: usize) -> BitSet {
        let mut set = BitSet::new(len);
        set.insert_range(0, len);
        set
    }

    pub(crate) fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    pub(crate) fn remove(&mut self, index: usize) {
        self.words[index / 64] &= !(1 << (index % 64));
    }

    pub(crate) fn contains(&self, index: usize) -> bool {
        self.words.get(index / 64).is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// Inserts `start..end`.
    pub(crate) fn insert_range(&mut self, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            if i.is_multiple_of(64) && i + 64 <= end {
                self.words[i / 64] = u64::MAX;
                i += 64;
            } else {
                self.insert(i);
                i += 1;
            }
        }
    }

    pub(crate) fn union_with(&mut self, other: &BitSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub(crate) fn intersect_with(&mut self, other: &BitSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    /// Removes the indices of `other`.
    pub(crate) fn subtract(&mut self, other: &BitSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// The indices in the set, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(i * 64 + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_iteration() {
        let mut set = BitSet::new(200);
        set.insert_range(3, 130);
        set.insert(199);
        assert!(set.contains(3) && set.contains(64) && set.contains(129) && set.contains(199));
        assert!(!set.contains(2) && !set.contains(130) && !set.contains(500));
        assert_eq!(set.iter().count(), 128);
        let mut other = BitSet::new(200);
        other.insert(5);
        other.insert(150);
        other.union_with(&set);
        assert_eq!(other.iter().count(), 129);
        other.remove(150);
        assert!(!other.contains(150));
        assert_eq!(BitSet::full(0).iter().count(), 0);
        assert_eq!(BitSet::full(65).iter().count(), 65);
    }
}
