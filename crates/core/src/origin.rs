//! Where an object came from, so findings can point at `file:line`.

use std::sync::Arc;

use serde::Serialize;

/// The place a document was read from: a file path as the user gave it, or
/// `None` for standard input and objects built in code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file, or `None` for stdin or generated objects.
    pub file: Option<Arc<str>>,
    /// 1-based line of the document's first line; 0 when unknown.
    pub line: u32,
    /// Lines of individual fields by path (`spec.ports[0].targetPort`).
    /// Shared: the builder clones origins into derived objects.
    pub fields: Arc<FieldLines>,
}

/// Field paths and their lines, stored compactly: sorted paths share long
/// prefixes (`spec.template.spec.containers[0].…`), so each path is stored
/// as the length of the prefix it shares with the one before and the rest,
/// in one string (a large dump has millions of fields). Every
/// `RESTART`th path is stored whole, so a lookup binary-searches those and
/// decodes one block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldLines {
    /// The paths' suffixes, one after the other.
    text: Box<str>,
    /// In path order: where the suffix starts in `text` (it ends where the
    /// next one starts), the length of the prefix shared with the previous
    /// path, and the line.
    entries: Box<[Entry]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    start: u32,
    shared: u32,
    line: u32,
}

/// Paths per block: the first of a block is stored whole.
const RESTART: usize = 16;

impl FieldLines {
    /// Builds the table from `(path, line)` pairs sorted by path.
    pub fn from_sorted<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> FieldLines {
        let mut text = String::new();
        let mut entries = Vec::new();
        let mut previous = "";
        for (index, (path, line)) in pairs.into_iter().enumerate() {
            let mut shared = 0;
            if index % RESTART != 0 {
                shared = previous.bytes().zip(path.bytes()).take_while(|(a, b)| a == b).count();
                while !path.is_char_boundary(shared) {
                    shared -= 1;
                }
            }
            entries.push(Entry { start: text.len() as u32, shared: shared as u32, line });
            text.push_str(&path[shared..]);
            previous = path;
        }
        FieldLines { text: text.into_boxed_str(), entries: entries.into_boxed_slice() }
    }

    /// The line of exactly `path`.
    pub fn get(&self, path: &str) -> Option<u32> {
        let mut found = None;
        self.walk(self.block_of(path), |candidate, line| match candidate.cmp(path) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => {
                found = Some(line);
                false
            }
            std::cmp::Ordering::Greater => false,
        });
        found
    }

    /// The fields below `prefix` (`items[3]`), with the prefix and its dot removed.
    pub fn below(&self, prefix: &str) -> FieldLines {
        let with_dot = format!("{prefix}.");
        let mut pairs: Vec<(String, u32)> = Vec::new();
        self.walk(self.block_of(&with_dot), |path, line| {
            if path < with_dot.as_str() {
                return true;
            }
            let Some(rest) = path.strip_prefix(&with_dot) else { return false };
            pairs.push((rest.to_owned(), line));
            true
        });
        FieldLines::from_sorted(pairs.iter().map(|(path, line)| (path.as_str(), *line)))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no field line is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry of the block where `path` would be: the last block
    /// whose first path is not after it.
    fn block_of(&self, path: &str) -> usize {
        let (mut low, mut high) = (0, self.entries.len().div_ceil(RESTART));
        while low < high {
            let middle = (low + high) / 2;
            if self.suffix(middle * RESTART) <= path {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low.saturating_sub(1) * RESTART
    }

    /// The stored part of entry `index`'s path (all of it for a block's first).
    fn suffix(&self, index: usize) -> &str {
        let start = self.entries[index].start as usize;
        let end = self.entries.get(index + 1).map_or(self.text.len(), |next| next.start as usize);
        &self.text[start..end]
    }

    /// Decodes the paths from entry `first` (a block's first) on, while `visit`
    /// returns true.
    fn walk(&self, first: usize, mut visit: impl FnMut(&str, u32) -> bool) {
        let mut path = String::new();
        for index in first..self.entries.len() {
            let entry = self.entries[index];
            path.truncate(entry.shared as usize);
            path.push_str(self.suffix(index));
            if !visit(&path, entry.line) {
                return;
            }
        }
    }
}

/// A `file:line` location, the serializable form of an [`Origin`] or of one
/// of its fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// File path, or `None` when the object did not come from a file.
    pub file: Option<String>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
}

impl Origin {
    /// An origin for objects that do not come from a document (implicit
    /// namespaces, objects built in tests).
    pub fn synthetic() -> Origin {
        Origin::default()
    }

    /// The line of the field at `path`, or of its closest recorded ancestor,
    /// or of the document.
    pub fn line_of(&self, path: &str) -> u32 {
        let mut path = path;
        loop {
            if let Some(line) = self.fields.get(path) {
                return line;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return self.line,
            }
        }
    }

    /// The location of the document.
    pub fn location(&self) -> Location {
        Location { file: self.file.as_deref().map(str::to_owned), line: self.line }
    }

    /// The location of the field at `path` (see [`Origin::line_of`]).
    pub fn field_location(&self, path: &str) -> Location {
        Location { file: self.file.as_deref().map(str::to_owned), line: self.line_of(path) }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.as_deref().unwrap_or("<stdin>");
        if self.line == 0 {
            write!(f, "{file}")
        } else {
            write!(f, "{file}:{}", self.line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: Some("a.yaml".into()),
            line: 3,
            fields: FieldLines::from_sorted([("spec", 6), ("spec.ports[0]", 8), ("spec.ports[0].port", 9)])
                .into(),
        }
    }

    #[test]
    fn field_lines_fall_back_to_the_closest_ancestor() {
        let o = origin();
        assert_eq!(o.line_of("spec.ports[0].port"), 9);
        assert_eq!(o.line_of("spec.ports[0].targetPort"), 8);
        assert_eq!(o.line_of("spec.selector.app"), 6);
        assert_eq!(o.line_of("metadata.name"), 3);
        assert_eq!(o.field_location("spec.ports[0]").to_string(), "a.yaml:8");
    }

    #[test]
    fn every_path_of_many_blocks_is_found() {
        let mut paths: Vec<String> = (0..100)
            .flat_map(|i| {
                [format!("spec.containers[{i}]"), format!("spec.containers[{i}].name"), format!("é{i}.ü")]
            })
            .collect();
        paths.push(String::new());
        paths.sort();
        let fields = FieldLines::from_sorted(paths.iter().enumerate().map(|(i, p)| (p.as_str(), i as u32)));
        assert_eq!(fields.len(), paths.len());
        for (line, path) in paths.iter().enumerate() {
            assert_eq!(fields.get(path), Some(line as u32), "{path}");
        }
        for absent in ["a", "spec", "spec.containers[1].image", "zz", "é", "spec.containers[99].namf"] {
            assert_eq!(fields.get(absent), None, "{absent}");
        }
        let below = fields.below("spec.containers[42]");
        assert_eq!((below.len(), below.get("name")), (1, fields.get("spec.containers[42].name")));
        assert!(fields.below("nothing").is_empty());
        assert!(FieldLines::default().get("").is_none());
    }

    #[test]
    fn fields_below_a_prefix() {
        let fields = FieldLines::from_sorted([("items[1].a", 2), ("items[1].b", 3), ("items[10].a", 9)]);
        let below = fields.below("items[1]");
        assert_eq!((below.len(), below.get("a"), below.get("b")), (2, Some(2), Some(3)));
    }
}
