//! [`YamlError`]: why a document could not be read, and where.

use super::{MAX_ALIAS_NODES, MAX_DEPTH};

/// A syntax or structure error in a document. Lines are 1-based in the whole
/// input, columns 1-based in characters on that line; messages are
/// lowercase, without a trailing period.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YamlError {
    /// The YAML scanner or parser (or, for JSON it rejects, the JSON parser)
    /// refused the text; `message` is its reason.
    #[error("line {line} column {column}: {message}")]
    Syntax { line: u32, column: u32, message: String },
    /// A scalar whose `!!` tag does not fit its text (`!!int abc`).
    #[error("line {line} column {column}: `{text}` is not a valid `!!{tag}`")]
    InvalidTagged { line: u32, column: u32, text: String, tag: &'static str },
    /// A mapping key given twice, as kubectl's strict decoding refuses it;
    /// `key` is cut to 64 characters (with `…`), `first_line` is the first
    /// one's line when known.
    #[error("line {line} column {column}: mapping key `{key}` already defined{}", at_line(*.first_line))]
    DuplicateKey { line: u32, column: u32, key: String, first_line: Option<u32> },
    /// Sequences and mappings nested deeper than [`MAX_DEPTH`].
    #[error("line {line} column {column}: nesting deeper than {MAX_DEPTH} levels")]
    TooDeep { line: u32, column: u32 },
    /// Anchors and aliases copying more than [`MAX_ALIAS_NODES`] nodes.
    #[error("line {line} column {column}: anchors and aliases expand to more than {MAX_ALIAS_NODES} nodes")]
    TooManyAliasNodes { line: u32, column: u32 },
    /// An alias inside the node its anchor names.
    #[error("line {line} column {column}: alias to an anchor whose node is not complete")]
    IncompleteAlias { line: u32, column: u32 },
    /// A merge key `<<` whose value is not a mapping or a list of mappings.
    #[error("line {line} column {column}: merge key `<<` needs a mapping or a list of mappings")]
    BadMerge { line: u32, column: u32 },
}

fn at_line(line: Option<u32>) -> String {
    line.map(|line| format!(" at line {line}")).unwrap_or_default()
}

impl YamlError {
    /// The 1-based line in the whole input.
    pub fn line(&self) -> u32 {
        self.position().0
    }

    /// The 1-based column, in characters, on that line.
    pub fn column(&self) -> u32 {
        self.position().1
    }

    /// What went wrong, without the position.
    pub fn message(&self) -> String {
        let (line, column) = self.position();
        let text = self.to_string();
        let prefix = format!("line {line} column {column}: ");
        text.strip_prefix(&prefix).map_or_else(|| text.clone(), str::to_owned)
    }

    fn position(&self) -> (u32, u32) {
        match *self {
            YamlError::Syntax { line, column, .. }
            | YamlError::InvalidTagged { line, column, .. }
            | YamlError::DuplicateKey { line, column, .. }
            | YamlError::TooDeep { line, column }
            | YamlError::TooManyAliasNodes { line, column }
            | YamlError::IncompleteAlias { line, column }
            | YamlError::BadMerge { line, column } => (line, column),
        }
    }
}
