//! How far apart two names are, to suggest the one a typo meant.

use std::collections::BTreeMap;

/// The candidates close to `query` (a typo away), nearest first, at most three.
pub(crate) fn close_matches(query: &str, candidates: impl IntoIterator<Item = String>) -> Vec<String> {
    let limit = (query.chars().count() / 3).max(2);
    let mut scored: BTreeMap<(usize, String), ()> = BTreeMap::new();
    for candidate in candidates {
        let distance = distance(query, &candidate);
        if distance > 0 && distance <= limit {
            scored.insert((distance, candidate), ());
        }
    }
    scored.into_keys().take(3).map(|(_, candidate)| candidate).collect()
}

/// The optimal string alignment distance between `a` and `b`: insertions,
/// deletions, substitutions and transpositions of adjacent characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("fronted", "frontend"), 1);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
