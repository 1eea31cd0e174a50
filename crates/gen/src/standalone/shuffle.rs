//! The same documents in another order and other files, for the other side
//! of a `diff`: a reordering must change nothing the model answers.

use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;

/// Documents per part file, on average.
const DOCUMENTS_PER_PART: u64 = 100;

/// Every document of `files`, shuffled with `seed` (Fisher–Yates) and cut
/// into `part-NNNN.yaml` files of 1 to 2 × [`DOCUMENTS_PER_PART`] documents.
pub(crate) fn shuffled(files: &[(String, Yaml)], seed: u64) -> Vec<(String, Yaml)> {
    let mut documents: Vec<&str> = files.iter().flat_map(|(_, y)| documents(&y.buf)).collect();
    let mut rng = Rng::new(seed);
    for i in (1..documents.len()).rev() {
        documents.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut parts = Vec::new();
    let mut rest = &documents[..];
    while !rest.is_empty() {
        let size = (rng.range(1, 2 * DOCUMENTS_PER_PART) as usize).min(rest.len());
        let (part, after) = rest.split_at(size);
        let mut y = Yaml::default();
        emit!(y, 0, "# Part {} of the documents, shuffled with seed {seed}.", parts.len());
        for document in part {
            y.start_document();
            y.buf.push_str(document);
        }
        parts.push((format!("part-{:04}.yaml", parts.len()), y));
        rest = after;
    }
    parts
}

/// The documents of a YAML stream (each ending in a newline, as the
/// generator writes them), without their `---` lines; a stretch of comments
/// alone (a file's header) is none.
pub(crate) fn documents<'a>(text: &'a str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut keep = |document: &'a str| {
        if document.lines().any(|line| !line.is_empty() && !line.trim_start().starts_with('#')) {
            found.push(document);
        }
    };
    let (mut start, mut at) = (0, 0);
    for line in text.split_inclusive('\n') {
        if line == "---\n" {
            keep(&text[start..at]);
            start = at + line.len();
        }
        at += line.len();
    }
    keep(&text[start..]);
    found
}
