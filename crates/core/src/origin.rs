//! Where an object came from, so findings can point at `file:line`.

use std::sync::Arc;

use serde::Serialize;

mod encoding;

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

/// Field paths and their lines and columns, stored compactly: sorted paths share long
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
    /// next one starts), the line and column, and the length of the prefix
    /// shared with the previous path.
    entries: Box<[Entry]>,
}

/// 12 bytes: a large dump has millions. `shared` may be less than the whole
/// shared prefix (it is capped), which only stores more of the suffix;
/// `column` saturates (0 is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    start: u32,
    line: u32,
    shared: u16,
    column: u16,
}

/// Paths per block: the first of a block is stored whole.
const RESTART: usize = 16;

impl FieldLines {
    /// Builds the table from `(path, line)` pairs sorted by path, columns
    /// unknown.
    pub fn from_sorted<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> FieldLines {
        FieldLines::from_sorted_with_columns(pairs.into_iter().map(|(path, line)| (path, line, 0)))
    }

    /// Builds the table from `(path, line, column)` triples sorted by path;
    /// columns are 1-based, 0 when unknown.
    pub fn from_sorted_with_columns<'a>(
        triples: impl IntoIterator<Item = (&'a str, u32, u32)>,
    ) -> FieldLines {
        let mut text = String::new();
        let mut entries = Vec::new();
        let mut previous = "";
        for (index, (path, line, column)) in triples.into_iter().enumerate() {
            let mut shared = 0;
            if index % RESTART != 0 {
                shared = previous.bytes().zip(path.bytes()).take_while(|(a, b)| a == b).count();
                shared = shared.min(usize::from(u16::MAX));
                while !path.is_char_boundary(shared) {
                    shared -= 1;
                }
            }
            let column = u16::try_from(column).unwrap_or(0);
            entries.push(Entry { start: text.len() as u32, line, shared: shared as u16, column });
            text.push_str(&path[shared..]);
            previous = path;
        }
        FieldLines { text: text.into_boxed_str(), entries: entries.into_boxed_slice() }
    }

    /// The line of exactly `path`.
    pub fn get(&self, path: &str) -> Option<u32> {
        self.line_and_column(path).map(|(line, _)| line)
    }

    /// The line and column (0 when unknown) of exactly `path`.
    pub fn line_and_column(&self, path: &str) -> Option<(u32, u32)> {
        let mut found = None;
        self.walk(self.block_of(path), |candidate, entry| match candidate.cmp(path) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => {
                found = Some((entry.line, u32::from(entry.column)));
                false
            }
            std::cmp::Ordering::Greater => false,
        });
        found
    }

    /// The fields below `prefix` (`items[3]`), with the prefix and its dot
    /// removed; `prefix` itself becomes the root path `""`.
    pub fn below(&self, prefix: &str) -> FieldLines {
        let with_dot = format!("{prefix}.");
        let mut triples: Vec<(String, u32, u32)> = Vec::new();
        if let Some((line, column)) = self.line_and_column(prefix) {
            triples.push((String::new(), line, column));
        }
        self.walk(self.block_of(&with_dot), |path, entry| {
            if path < with_dot.as_str() {
                return true;
            }
            let Some(rest) = path.strip_prefix(&with_dot) else { return false };
            triples.push((rest.to_owned(), entry.line, u32::from(entry.column)));
            true
        });
        FieldLines::from_sorted_with_columns(
            triples.iter().map(|(path, line, column)| (path.as_str(), *line, *column)),
        )
    }

    /// Every path with its line and column (0 when unknown), in path
    /// order: what [`FieldLines::from_sorted_with_columns`] takes to build
    /// the same table again.
    pub fn to_triples(&self) -> Vec<(String, u32, u32)> {
        let mut triples = Vec::with_capacity(self.entries.len());
        self.walk(0, |path, entry| {
            triples.push((path.to_owned(), entry.line, u32::from(entry.column)));
            true
        });
        triples
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
    fn walk(&self, first: usize, mut visit: impl FnMut(&str, Entry) -> bool) {
        let mut path = String::new();
        for index in first..self.entries.len() {
            let entry = self.entries[index];
            path.truncate(entry.shared as usize);
            path.push_str(self.suffix(index));
            if !visit(&path, entry) {
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
    /// 1-based column where the line's field starts (after a sequence
    /// item's `- `), 0 when unknown. Human and SARIF output print it;
    /// JSON documents leave it out, as they always have.
    #[serde(skip)]
    pub column: u32,
}

impl Location {
    /// A location whose column is unknown.
    pub fn new(file: Option<String>, line: u32) -> Location {
        Location { file, line, column: 0 }
    }
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
        self.line_and_column_of(path).0
    }

    /// [`Origin::line_of`] with the column recorded for that line (0 when
    /// unknown).
    fn line_and_column_of(&self, path: &str) -> (u32, u32) {
        let mut path = path;
        loop {
            if let Some(found) = self.fields.line_and_column(path) {
                return found;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return (self.line, self.document_column()),
            }
        }
    }

    /// The column of the document's first line, when recorded (as the root
    /// path `""`).
    fn document_column(&self) -> u32 {
        match self.fields.line_and_column("") {
            Some((line, column)) if line == self.line => column,
            _ => 0,
        }
    }

    /// The location of the document.
    pub fn location(&self) -> Location {
        let file = self.file.as_deref().map(str::to_owned);
        Location { file, line: self.line, column: self.document_column() }
    }

    /// The location of the field at `path` (see [`Origin::line_of`]).
    pub fn field_location(&self, path: &str) -> Location {
        let (line, column) = self.line_and_column_of(path);
        Location { file: self.file.as_deref().map(str::to_owned), line, column }
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
    fn locations_carry_the_column_of_their_line() {
        let fields = FieldLines::from_sorted_with_columns([
            ("", 3, 1),
            ("spec.ports[0]", 8, 7),
            ("spec.ports[0].port", 9, 9),
        ]);
        let o = Origin { file: Some("a.yaml".into()), line: 3, fields: fields.into() };
        assert_eq!(o.field_location("spec.ports[0].port").column, 9);
        assert_eq!(o.field_location("spec.ports[0].name").column, 7);
        assert_eq!((o.field_location("metadata").column, o.location().column), (1, 1));
        assert_eq!(
            Origin { line: 4, ..o.clone() }.location().column,
            0,
            "a root entry of another line is not the document's"
        );
        assert_eq!(origin().field_location("spec").column, 0, "no column recorded");
        assert_eq!(o.field_location("spec.ports[0]").to_string(), "a.yaml:8", "Display is file:line");
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
        assert_eq!((below.len(), below.get("name")), (2, fields.get("spec.containers[42].name")));
        assert_eq!(below.get(""), fields.get("spec.containers[42]"));
        assert!(fields.below("nothing").is_empty());
        assert!(FieldLines::default().get("").is_none());
    }

    #[test]
    fn fields_below_a_prefix() {
        let fields = FieldLines::from_sorted([("items[1].a", 2), ("items[1].b", 3), ("items[10].a", 9)]);
        let below = fields.below("items[1]");
        assert_eq!((below.len(), below.get("a"), below.get("b")), (2, Some(2), Some(3)));
        let with_root = FieldLines::from_sorted_with_columns([("items[1]", 1, 3), ("items[1].a", 2, 5)]);
        let below = with_root.below("items[1]");
        assert_eq!((below.line_and_column(""), below.line_and_column("a")), (Some((1, 3)), Some((2, 5))));
    }
}
