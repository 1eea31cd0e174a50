//! Reading YAML (and JSON) streams into `serde_json::Value` documents with
//! line numbers.
//!
//! The stream is first split into documents at `---` and `...` lines, so a
//! syntax error in one document does not hide the others. Each document is
//! then parsed on its own with the `saphyr-parser` event API and built into a
//! [`serde_json::Value`] with an explicit stack (no recursion), while the lines
//! of selected fields are recorded by path for diagnostics. Documents in the
//! plain block style of generated manifests are read by the faster `fast`
//! module instead, which builds the same value and lines and leaves anything
//! else, errors included, to `saphyr-parser`.
//!
//! Scalars are typed by the YAML 1.2 core schema. Anchors and aliases are
//! expanded, with a cap on the number of nodes this may create, and YAML 1.1
//! merge keys (`<<`) are applied as Kubernetes manifests expect. JSON is YAML
//! flow syntax and takes the same path; JSON that the YAML parser rejects
//! (such as surrogate pair escapes) is read by `serde_json` instead.
//!
//! Limits: [`MAX_DEPTH`] levels of nesting (alias copies included) and
//! [`MAX_ALIAS_NODES`] nodes copied for anchors and aliases per document.
//!
//! One file per step: `split` cuts the stream into documents, `fast` reads
//! plain block documents, `events` drives `saphyr-parser` for the rest (and
//! `tabs` retries flow lines indented with tabs), `builder` turns either's
//! events into a value, `scalar` types scalars, `fields` says which field
//! lines are recorded and keeps them compact.

use serde_json::Value;

mod builder;
mod error;
mod events;
mod fast;
mod fields;
mod scalar;
mod split;
mod tabs;
#[cfg(test)]
mod tests;

pub use error::YamlError;
use events::{parse_yaml, tidy_message};
use fields::Fields;
use split::{find_content, split_documents, strip_line_boms, Chunk, Content};
use tabs::untab_and_parse;

/// Deepest nesting of sequences and mappings accepted in a document.
pub const MAX_DEPTH: usize = 512;

/// Most nodes that anchors and aliases may copy into one document: an
/// anchored node counts once where it is defined (when the document has an
/// alias at all) and again at each alias.
pub const MAX_ALIAS_NODES: u64 = 1_000_000;

/// One YAML document of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RawDocument {
    /// 1-based line where the document's content starts (first non-comment,
    /// non-blank line after its `---`, or the `---` line itself when content
    /// follows the marker on that line).
    pub line: u32,
    /// The parsed document, or why it could not be parsed.
    pub content: Result<ParsedDocument, YamlError>,
}

/// A document that parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDocument {
    /// The document's content; `Value::Null` for an empty document.
    pub value: serde_json::Value,
    /// Line of selected fields, by path, e.g. `("metadata.name", 4)`,
    /// `("spec.ports[0].targetPort", 12)`. Sorted by path string, each path
    /// once.
    ///
    /// `""` is the document root. A mapping value has the line of its key, a
    /// sequence item the line where its content starts. Nothing is recorded
    /// below `status`, `metadata.managedFields`, `metadata.annotations`,
    /// `data`, `stringData` and `binaryData`, deeper than 10 path segments,
    /// inside mapping keys or inside alias copies; for the items of a
    /// top-level `items` list (`kind: List` and typed lists) these rules
    /// apply from the item (`items[3].status` is kept, what is below it is
    /// not). A JSON document that only the JSON fallback could read records
    /// the root alone.
    pub field_lines: Vec<(String, u32)>,
}

/// Splits `text` into documents and parses each one.
///
/// Documents are cut at lines that start with `---` followed by the end of
/// the line, a space or a tab (text after the marker belongs to the
/// document), and after lines that are `...` (optionally followed by blanks
/// and a comment). `%` directive lines just before a `---` belong to the
/// document it starts. Documents that are empty or hold only comments are
/// left out, so an empty input gives an empty list. Errors are per document:
/// the others still load.
#[must_use]
pub fn parse_stream(text: &str) -> Vec<RawDocument> {
    documents(text)
        .map(|document| RawDocument {
            line: document.line,
            content: document.content.map(|parsed| ParsedDocument {
                value: parsed.value,
                field_lines: parsed.fields.iter().map(|(path, line)| (path.to_owned(), line)).collect(),
            }),
        })
        .collect()
}

/// A document as [`parse_stream`] gives it, with its field lines in the
/// compact form the loader keeps.
pub(crate) struct Document {
    pub line: u32,
    pub content: Result<Parsed, YamlError>,
}

/// A document that parsed, with its field lines in one buffer.
pub(crate) struct Parsed {
    pub value: Value,
    pub fields: Fields,
}

/// The documents of a stream, parsed one at a time as the iterator is
/// advanced, so a caller that lowers each before taking the next holds one
/// document's tree at a time.
pub(crate) fn documents(text: &str) -> impl Iterator<Item = Document> + '_ {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    split_documents(text).into_iter().filter_map(|chunk| {
        let text = strip_line_boms(chunk.text);
        let content = find_content(&text)?;
        let line = chunk.first_line.saturating_add(content.line_index);
        Some(Document { line, content: parse_chunk(&text, &chunk, &content) })
    })
}

/// Converts a count or position to `u32`, saturating.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses one document chunk, falling back to a JSON parser for JSON-looking
/// content that the YAML parser rejects.
fn parse_chunk(text: &str, chunk: &Chunk<'_>, content: &Content) -> Result<Parsed, YamlError> {
    let line_offset = chunk.first_line.saturating_sub(1);
    if let Some(doc) = fast::parse(text, line_offset, chunk.lines) {
        return Ok(doc);
    }
    let yaml_error = match parse_yaml(text, line_offset, chunk.lines, &[]).result {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    if let Some(doc) = yaml_error.tab_line.and_then(|line| untab_and_parse(text, chunk, line)) {
        return Ok(doc);
    }
    let body = &text[content.offset..];
    if !(body.starts_with('{') || body.starts_with('[')) || !yaml_error.from_scanner {
        return Err(yaml_error.error);
    }
    let content_line = chunk.first_line.saturating_add(content.line_index);
    match serde_json::from_str::<Value>(body) {
        Ok(value) => Ok(Parsed { value, fields: Fields::root(content_line) }),
        Err(e) => {
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let text = e.to_string();
            let message = text.strip_suffix(&suffix).unwrap_or(&text);
            let message = match message.strip_prefix("EOF ") {
                Some(rest) => format!("end of input {rest}"),
                None => message.to_owned(),
            };
            let line_in_body = to_u32(e.line().max(1) - 1);
            let mut column = to_u32(e.column().max(1));
            if line_in_body == 0 {
                column = column.saturating_add(content.column);
            }
            Err(YamlError::Syntax {
                line: content_line.saturating_add(line_in_body),
                column,
                message: tidy_message(&message),
            })
        }
    }
}
