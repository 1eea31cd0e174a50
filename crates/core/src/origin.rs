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
    /// Lines of individual fields by path (`spec.ports[0].targetPort`),
    /// sorted by path. Shared: the builder clones origins into derived objects.
    pub fields: Arc<[(Box<str>, u32)]>,
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
            if let Ok(i) = self.fields.binary_search_by(|(p, _)| (**p).cmp(path)) {
                return self.fields[i].1;
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
            fields: vec![("spec".into(), 6), ("spec.ports[0]".into(), 8), ("spec.ports[0].port".into(), 9)]
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
}
