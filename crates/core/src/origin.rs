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

/// Field paths and their lines, stored compactly: one string holding every
/// path and one sorted table, instead of an allocation per field (a large
/// dump has millions of fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldLines {
    text: Box<str>,
    /// `(start, end, line)`: the path is `text[start..end]`; sorted by path.
    entries: Box<[(u32, u32, u32)]>,
}

impl FieldLines {
    /// Builds the table from `(path, line)` pairs sorted by path.
    pub fn from_sorted<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> FieldLines {
        let mut text = String::new();
        let mut entries = Vec::new();
        for (path, line) in pairs {
            let start = text.len() as u32;
            text.push_str(path);
            entries.push((start, text.len() as u32, line));
        }
        FieldLines { text: text.into_boxed_str(), entries: entries.into_boxed_slice() }
    }

    /// The line of exactly `path`.
    pub fn get(&self, path: &str) -> Option<u32> {
        self.entries.binary_search_by(|entry| self.path(entry).cmp(path)).ok().map(|i| self.entries[i].2)
    }

    /// The fields below `prefix` (`items[3]`), with the prefix and its dot removed.
    pub fn below(&self, prefix: &str) -> FieldLines {
        let with_dot = format!("{prefix}.");
        let start = self.entries.partition_point(|entry| self.path(entry) < with_dot.as_str());
        let pairs = self.entries[start..]
            .iter()
            .map(|entry| (self.path(entry), entry.2))
            .take_while(|(path, _)| path.starts_with(&with_dot))
            .map(|(path, line)| (&path[with_dot.len()..], line));
        FieldLines::from_sorted(pairs)
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no field line is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn path(&self, &(start, end, _): &(u32, u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
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
    fn fields_below_a_prefix() {
        let fields = FieldLines::from_sorted([("items[1].a", 2), ("items[1].b", 3), ("items[10].a", 9)]);
        let below = fields.below("items[1]");
        assert_eq!((below.len(), below.get("a"), below.get("b")), (2, Some(2), Some(3)));
    }
}
