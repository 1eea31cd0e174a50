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

use std::borrow::Cow;
use std::fmt::Write as _;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Number, Value};

mod fast;

/// Deepest nesting of sequences and mappings accepted in a document.
pub const MAX_DEPTH: usize = 512;

/// Most nodes that anchors and aliases may copy into one document: an
/// anchored node counts once where it is defined (when the document has an
/// alias at all) and again at each alias.
pub const MAX_ALIAS_NODES: u64 = 1_000_000;

/// Field lines are recorded down to this many path segments.
const MAX_FIELD_SEGMENTS: usize = 10;

/// Paths below which no field line is recorded (large, free-form or
/// irrelevant content).
const UNRECORDED_PATHS: [&str; 6] =
    ["status", "metadata.managedFields", "metadata.annotations", "data", "stringData", "binaryData"];

/// Fields of a pod spec whose contents are bulky and never the subject of a
/// finding: their own line is recorded, not the lines inside them. A type
/// error inside one points at the field's line and names the full path.
const BULKY_FIELDS: [&str; 14] = [
    "env",
    "envFrom",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "volumeMounts",
    "volumes",
    "securityContext",
    "affinity",
    "tolerations",
    "lifecycle",
    "args",
    "command",
];

/// The handle `!!` resolves to.
const CORE_TAG_HANDLE: &str = "tag:yaml.org,2002:";

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

/// A syntax or structure error in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// 1-based line in the whole input.
    pub line: u32,
    /// 1-based column (in characters) on that line.
    pub column: u32,
    /// What went wrong, lowercase, without a trailing period.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

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

/// Field paths and their lines, sorted by path, each path once: the paths
/// are slices of one string, so a document costs two allocations for them
/// rather than one per field.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    text: String,
    /// `(start, end, line)`: the path is `text[start..end]`.
    entries: Vec<(u32, u32, u32)>,
}

impl Fields {
    fn root(line: u32) -> Fields {
        Fields { text: String::new(), entries: vec![(0, 0, line)] }
    }

    fn push(&mut self, path: &str, line: u32) {
        let start = to_u32(self.text.len());
        self.text.push_str(path);
        self.entries.push((start, to_u32(self.text.len()), line));
    }

    /// `(path, line)` pairs in path order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.entries.iter().map(|&(start, end, line)| (&self.text[start as usize..end as usize], line))
    }

    /// Sorts by path and keeps one line per path: the last one recorded when
    /// `keep_last`, else any (the paths are then distinct but for odd keys).
    fn sort(&mut self, keep_last: bool) {
        let text = &self.text;
        let path = |&(start, end, _): &(u32, u32, u32)| &text[start as usize..end as usize];
        if keep_last {
            self.entries.reverse();
            self.entries.sort_by(|a, b| path(a).cmp(path(b)));
        } else {
            self.entries.sort_unstable_by(|a, b| path(a).cmp(path(b)));
        }
        self.entries.dedup_by(|later, earlier| path(later) == path(earlier));
    }
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

/// Removes byte order marks that start a line (left by concatenating files),
/// which the YAML parser rejects inside a stream.
fn strip_line_boms(text: &str) -> Cow<'_, str> {
    const BOM: char = '\u{feff}';
    if !text.contains(BOM) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (offset, line, next) in Lines::new(text) {
        out.push_str(line.strip_prefix(BOM).unwrap_or(line));
        out.push_str(&text[offset + line.len()..next]);
    }
    Cow::Owned(out)
}

/// The text of one document, as cut from the stream.
struct Chunk<'a> {
    text: &'a str,
    /// Line of the whole input on which `text` begins.
    first_line: u32,
    /// Number of lines in `text`.
    lines: u32,
}

/// Where a chunk's content begins.
struct Content {
    /// Byte offset of the first content character in the chunk.
    offset: usize,
    /// 0-based line of that character within the chunk.
    line_index: u32,
    /// 0-based column (in characters) of that character.
    column: u32,
}

/// Whether a line (without its line break) is a `---` document start marker.
fn is_document_start(line: &str) -> bool {
    let b = line.as_bytes();
    b.starts_with(b"---") && matches!(b.get(3), None | Some(b' ' | b'\t'))
}

/// Whether a line (without its line break) is a `...` document end marker.
fn is_document_end(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("...") else {
        return false;
    };
    let trimmed = rest.trim_start_matches([' ', '\t']);
    trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))
}

/// Whether a line holds nothing but white space or a comment.
fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '\t']);
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The lines of a text as `(byte offset, line without its break, offset of
/// the next line)`. Line breaks are `\n`, `\r\n` and a lone `\r`, as in
/// YAML.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    /// Whether the text has any `\r` (else a faster search is used).
    has_cr: bool,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines { text, pos: 0, has_cr: text.contains('\r') }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.text.get(self.pos..).filter(|rest| !rest.is_empty())?;
        let (len, break_len) = if self.has_cr {
            match rest.find(['\n', '\r']) {
                Some(i) if rest[i..].starts_with("\r\n") => (i, 2),
                Some(i) => (i, 1),
                None => (rest.len(), 0),
            }
        } else {
            rest.find('\n').map_or((rest.len(), 0), |i| (i, 1))
        };
        let start = self.pos;
        self.pos += len + break_len;
        Some((start, &rest[..len], self.pos))
    }
}

/// Cuts the stream at `---` lines (directives just before one go with the
/// document it starts) and after `...` lines (which are dropped).
fn split_documents<'a>(text: &'a str) -> Vec<Chunk<'a>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    // Start of a run of directive lines seen since the last content line.
    let mut directives: Option<(usize, u32)> = None;
    let mut line_no = 0u32;
    let push = |chunks: &mut Vec<Chunk<'a>>, from: usize, to: usize, first_line: u32, end: u32| {
        if from < to {
            let lines = end.saturating_sub(first_line);
            chunks.push(Chunk { text: &text[from..to], first_line, lines });
        }
    };
    for (offset, line, next) in Lines::new(text) {
        line_no = line_no.saturating_add(1);
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if is_document_start(line) {
            let (cut, cut_line) = directives.take().unwrap_or((offset, line_no));
            push(&mut chunks, start, cut, start_line, cut_line);
            start = cut;
            start_line = cut_line;
        } else if is_document_end(line) {
            push(&mut chunks, start, offset, start_line, line_no);
            start = next;
            start_line = line_no.saturating_add(1);
            directives = None;
        } else if line.starts_with('%') {
            directives.get_or_insert((offset, line_no));
        } else if !is_blank_or_comment(line) {
            directives = None;
        }
    }
    push(&mut chunks, start, text.len(), start_line, line_no.saturating_add(1));
    chunks
}

/// Finds the first content character of a chunk: past a `---` marker,
/// directives, blank lines and comments. `None` when there is no content.
fn find_content(chunk: &str) -> Option<Content> {
    for (index, (offset, line, _)) in Lines::new(chunk).enumerate() {
        let (skip, rest) = if is_document_start(line) {
            (3, &line[3..])
        } else if line.starts_with('%') {
            continue;
        } else {
            (0, line)
        };
        if is_blank_or_comment(rest) {
            continue;
        }
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let blank = rest.len() - trimmed.len();
        return Some(Content {
            offset: offset + skip + blank,
            line_index: u32::try_from(index).unwrap_or(u32::MAX),
            column: u32::try_from(skip + blank).unwrap_or(u32::MAX),
        });
    }
    None
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
            Err(YamlError {
                line: content_line.saturating_add(line_in_body),
                column,
                message: tidy_message(&message),
            })
        }
    }
}

/// The scanner's message for a tab where it expects block indentation.
const TAB_INDENT_MESSAGE: &str = "tabs disallowed within this context (block indentation)";

/// Most lines of one document whose leading tabs may be turned into spaces.
const MAX_TAB_FIXES: usize = 64;

/// Most bytes parsed again, in all, while turning tabs into spaces in one
/// document.
const MAX_TAB_FIX_BYTES: usize = 16 << 20;

/// The scanner rejects tabs before the content of a line inside a flow
/// collection that is nested in a block one; Go's YAML library (kubectl)
/// takes them as the separation space they are in flow context. This
/// re-indents such lines with spaces, starting at `line` (1-based in the
/// chunk), and parses again; the result counts only if it shows every changed
/// line inside a flow collection. Line numbers do not move.
fn untab_and_parse(text: &str, chunk: &Chunk<'_>, line: u32) -> Option<Parsed> {
    let line_offset = chunk.first_line.saturating_sub(1);
    let mut text = text.to_owned();
    let mut changed = Vec::new();
    let mut line = line;
    let attempts = MAX_TAB_FIXES.min(MAX_TAB_FIX_BYTES / text.len().max(1));
    for _ in 0..attempts {
        if changed.contains(&line) || !untab_line(&mut text, line) {
            return None;
        }
        changed.push(line);
        changed.sort_unstable();
        let outcome = parse_yaml(&text, line_offset, chunk.lines, &changed);
        match outcome.result {
            Ok(doc) => return outcome.lines_in_flow.then_some(doc),
            Err(ChunkError { tab_line: Some(next), .. }) => line = next,
            Err(_) => return None,
        }
    }
    None
}

/// Replaces the leading white space of a line (1-based) that has tabs with
/// spaces, indented past the closest line above with content (as a line
/// inside a flow collection must be). Returns whether the line had tabs.
fn untab_line(text: &mut String, line: u32) -> bool {
    let index = (line as usize).saturating_sub(1);
    let mut above = 0;
    let mut found = None;
    for (i, (offset, content, _)) in Lines::new(text).enumerate().take(index + 1) {
        let lead = content.len() - content.trim_start_matches([' ', '\t']).len();
        if i == index {
            found = Some((offset, lead, content[..lead].contains('\t')));
        } else if !is_blank_or_comment(content) {
            above = lead;
        }
    }
    let Some((offset, lead, true)) = found else {
        return false;
    };
    text.replace_range(offset..offset + lead, &" ".repeat(lead.max(above + 1)));
    true
}

/// A YAML error, and whether the scanner/parser raised it (rather than the
/// value builder's limits).
struct ChunkError {
    error: YamlError,
    from_scanner: bool,
    /// For a tab in block indentation, its 1-based line in the chunk.
    tab_line: Option<u32>,
}

/// The result of parsing a chunk as YAML.
struct YamlOutcome {
    result: Result<Parsed, ChunkError>,
    /// Whether, for each line to check, the first event at or after it came
    /// inside a flow collection.
    lines_in_flow: bool,
}

/// Lowercases the first letter of a message (unless it starts an acronym) and
/// drops a trailing period.
fn tidy_message(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second) if first.is_uppercase() && !second.is_some_and(char::is_uppercase) => {
            let mut out: String = first.to_lowercase().collect();
            out.push_str(&message[first.len_utf8()..]);
            out
        }
        _ => message.to_owned(),
    }
}

/// Converts a scanner error to a file position.
fn scan_error(e: &ScanError, line_offset: u32) -> ChunkError {
    let marker = e.marker();
    ChunkError {
        error: YamlError {
            line: to_u32(marker.line().max(1)).saturating_add(line_offset),
            column: to_u32(marker.col()).saturating_add(1),
            message: tidy_message(e.info()),
        },
        from_scanner: true,
        tab_line: (e.info() == TAB_INDENT_MESSAGE).then(|| to_u32(marker.line())),
    }
}

/// Whether a collection whose start event ends at `end` is a flow one (its
/// start event ends just after `[` or `{`).
fn opens_flow(text: &str, line_starts: &[usize], end: &Marker) -> bool {
    let Some(&start) = end.line().checked_sub(1).and_then(|i| line_starts.get(i)) else {
        return false;
    };
    end.col()
        .checked_sub(1)
        .and_then(|col| text[start..].chars().nth(col))
        .is_some_and(|c| matches!(c, '[' | '{'))
}

/// Parses a chunk as YAML. With `check_lines` (sorted, 1-based in the
/// chunk), also tells whether these lines are inside flow collections.
fn parse_yaml(text: &str, line_offset: u32, lines: u32, check_lines: &[u32]) -> YamlOutcome {
    let mut unchecked = check_lines;
    let mut lines_in_flow = true;
    let result = build_yaml(text, line_offset, lines, &mut unchecked, &mut lines_in_flow);
    YamlOutcome { result, lines_in_flow: lines_in_flow && unchecked.is_empty() }
}

fn build_yaml(
    text: &str,
    line_offset: u32,
    lines: u32,
    unchecked: &mut &[u32],
    lines_in_flow: &mut bool,
) -> Result<Parsed, ChunkError> {
    // Line starts, to tell flow collections from block ones when checking.
    let line_starts: Vec<usize> =
        if unchecked.is_empty() { Vec::new() } else { Lines::new(text).map(|(start, _, _)| start).collect() };
    let is_flow = |end: &Marker| !line_starts.is_empty() && opens_flow(text, &line_starts, end);
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::new(text.contains('*'), lines);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&e, line_offset))?;
        while let Some((&line, rest)) = unchecked.split_first() {
            if to_u32(span.start.line()) < line {
                break;
            }
            *lines_in_flow &= builder.stack.last().is_some_and(|frame| frame.flow);
            *unchecked = rest;
        }
        let pos = Pos {
            line: to_u32(span.start.line()).saturating_add(line_offset),
            column: to_u32(span.start.col()).saturating_add(1),
        };
        let step = match event {
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => Ok(()),
            Event::StreamEnd => break,
            Event::Alias(id) => builder.alias(id, pos),
            Event::Scalar(text, style, anchor, tag) => {
                builder.scalar(text, style, anchor, tag.as_deref(), pos)
            }
            Event::SequenceStart(anchor, _) => {
                builder.start(Container::Seq(Vec::new()), anchor, pos, is_flow(&span.end))
            }
            Event::MappingStart(anchor, _) => builder.start(
                Container::Map { map: Map::new(), state: MapState::Key, merges: Vec::new() },
                anchor,
                pos,
                is_flow(&span.end),
            ),
            Event::SequenceEnd | Event::MappingEnd => builder.end(),
        };
        step.map_err(|error| ChunkError { error, from_scanner: false, tab_line: None })?;
    }
    Ok(builder.finish())
}

/// A position in the whole input: 1-based line and column.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u32,
    column: u32,
}

impl Pos {
    fn error(self, message: impl Into<String>) -> YamlError {
        YamlError { line: self.line, column: self.column, message: message.into() }
    }
}

/// What a mapping under construction expects next.
enum MapState {
    /// A key.
    Key,
    /// The value of this key.
    Value(String),
    /// The value of a `<<` merge key.
    Merge,
}

/// A sequence or mapping under construction.
enum Container {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        state: MapState,
        /// Mappings merged in with `<<`, applied when the mapping ends.
        merges: Vec<Map<String, Value>>,
    },
}

/// The size of a node: how many nodes it holds and how deeply they nest.
#[derive(Debug, Clone, Copy)]
struct Size {
    /// Nodes, the node itself included.
    nodes: u64,
    /// Levels of sequences and mappings: 0 for a scalar.
    height: usize,
}

impl Size {
    const SCALAR: Size = Size { nodes: 1, height: 0 };

    /// Adds a child's size to its container's.
    fn add_child(&mut self, child: Size) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.height = self.height.max(child.height + 1);
    }
}

/// A container under construction, with what is needed to finish it.
struct Frame {
    container: Container,
    /// Anchor id of the container, 0 for none.
    anchor: usize,
    /// Size of the container so far.
    size: Size,
    /// Where the container starts.
    pos: Pos,
    /// Length of the container's own path in the path buffer.
    path_len: usize,
    /// Number of segments of the container's path (from the list item, for
    /// the items of a `List`).
    segments: usize,
    /// Where the path that [`UNRECORDED_PATHS`] are matched against starts in
    /// the path buffer: 0, or past `items[N].` for the items of a `List`.
    relative_start: usize,
    /// Whether field lines are recorded for the container's children.
    record_children: bool,
    /// Whether the container is a flow one (`[...]`, `{...}`), when known.
    flow: bool,
}

/// Builds one document's value from parser events.
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    /// Path of the node being built, when its lines are recorded.
    path: String,
    fields: Fields,
    /// Copies of anchored nodes by anchor id, with their sizes.
    anchors: Vec<Option<(Value, Size)>>,
    /// Whether anchored nodes must be kept (the text may hold aliases).
    keep_anchors: bool,
    /// Nodes copied so far for anchors and aliases.
    copied_nodes: u64,
    /// Whether a mapping had a key twice (so a path may be recorded twice).
    duplicate_keys: bool,
}

impl Builder {
    /// A builder for a document of about `lines` lines.
    fn new(keep_anchors: bool, lines: u32) -> Builder {
        Builder {
            stack: Vec::new(),
            root: None,
            path: String::new(),
            // About one recorded field per line, capped for huge documents.
            fields: Fields {
                text: String::with_capacity(lines.min(4096) as usize * 32),
                entries: Vec::with_capacity(lines.min(4096) as usize + 1),
            },
            anchors: Vec::new(),
            keep_anchors,
            copied_nodes: 0,
            duplicate_keys: false,
        }
    }

    fn finish(mut self) -> Parsed {
        // Keep the last line recorded for a key given twice. Odd keys (`""`,
        // `a.b` beside `a: {b: ..}`) can still give a path twice otherwise.
        self.fields.sort(self.duplicate_keys);
        Parsed { value: self.root.unwrap_or(Value::Null), fields: self.fields }
    }

    /// Records the path of a node that starts at `pos`, when it is a
    /// sequence item or the root (mapping values are recorded with their
    /// key).
    fn begin_node(&mut self, pos: Pos) {
        match self.stack.last() {
            None => {
                if self.root.is_none() {
                    self.path.clear();
                    self.fields.push("", pos.line);
                }
            }
            Some(frame) => {
                if let Container::Seq(items) = &frame.container {
                    if frame.record_children {
                        self.path.truncate(frame.path_len);
                        let _ = write!(self.path, "[{}]", items.len());
                        self.fields.push(&self.path, pos.line);
                    }
                }
            }
        }
    }

    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame { container: Container::Map { state: MapState::Key, .. }, .. })
        )
    }

    /// Opens a container; `flow` tells whether it is a flow one (only known
    /// when checking lines for tabs).
    fn start(&mut self, container: Container, anchor: usize, pos: Pos, flow: bool) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(depth_error(pos));
        }
        self.begin_node(pos);
        let (path_len, segments, relative_start, record_children) = match self.stack.last() {
            None => (0, 0, 0, true),
            Some(parent) => {
                let is_key = matches!(parent.container, Container::Map { state: MapState::Key, .. });
                let (segments, relative_start) = if self.stack.len() == 2
                    && matches!(parent.container, Container::Seq(_))
                    && self.path.starts_with("items[")
                {
                    // An item of a `List`: its fields are counted and skipped
                    // as if it were a document of its own.
                    (0, self.path.len() + 1)
                } else {
                    (parent.segments + 1, parent.relative_start)
                };
                let unrecorded = (1..=2).contains(&segments)
                    && self.path.get(relative_start..).is_some_and(|p| UNRECORDED_PATHS.contains(&p));
                let last_key = self.path.rsplit('.').next().unwrap_or_default();
                let unrecorded = unrecorded || (segments > 2 && BULKY_FIELDS.contains(&last_key));
                let record =
                    parent.record_children && !is_key && segments < MAX_FIELD_SEGMENTS && !unrecorded;
                (self.path.len(), segments, relative_start, record)
            }
        };
        self.stack.push(Frame {
            container,
            anchor,
            size: Size { nodes: 1, height: 1 },
            pos,
            path_len,
            segments,
            relative_start,
            record_children,
            flow,
        });
        Ok(())
    }

    fn end(&mut self) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.container {
            Container::Seq(items) => Value::Array(items),
            Container::Map { mut map, merges, .. } => {
                for merged in merges {
                    for (key, value) in merged {
                        map.entry(key).or_insert(value);
                    }
                }
                Value::Object(map)
            }
        };
        self.complete(value, frame.size, frame.anchor, frame.pos, false)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), YamlError> {
        self.begin_node(pos);
        let Some(Some((value, size))) = self.anchors.get(id) else {
            return Err(pos.error("alias to an anchor whose node is not complete"));
        };
        let size = *size;
        // The copy must not nest deeper than a node written out could.
        if self.stack.len() + size.height > MAX_DEPTH {
            return Err(depth_error(pos));
        }
        count_copies(&mut self.copied_nodes, size.nodes, pos)?;
        let value = value.clone();
        self.complete(value, size, 0, pos, false)
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        pos: Pos,
    ) -> Result<(), YamlError> {
        self.begin_node(pos);
        if anchor == 0 && tag.is_none() && self.at_key() {
            // Fast path for the most common node: an untagged mapping key.
            let is_merge = style == ScalarStyle::Plain && text == "<<";
            let key = if style == ScalarStyle::Plain {
                match resolve_plain(&text) {
                    None => text.into_owned(),
                    Some(value) => key_string(value),
                }
            } else {
                text.into_owned()
            };
            if let Some(frame) = self.stack.last_mut() {
                frame.size.add_child(Size::SCALAR);
            }
            return self.set_key(key, pos, is_merge);
        }
        let is_merge = style == ScalarStyle::Plain
            && text == "<<"
            && tag.is_none_or(|t| t.handle == CORE_TAG_HANDLE && t.suffix == "merge");
        let value = scalar_value(text, style, tag).map_err(|m| pos.error(m))?;
        self.complete(value, Size::SCALAR, anchor, pos, is_merge)
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn complete(
        &mut self,
        value: Value,
        size: Size,
        anchor: usize,
        pos: Pos,
        is_merge: bool,
    ) -> Result<(), YamlError> {
        if anchor > 0 && self.keep_anchors {
            count_copies(&mut self.copied_nodes, size.nodes, pos)?;
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((value.clone(), size));
        }
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(value);
            }
            return Ok(());
        };
        frame.size.add_child(size);
        match &mut frame.container {
            Container::Seq(items) => items.push(value),
            Container::Map { map, state, merges } => match std::mem::replace(state, MapState::Key) {
                MapState::Key => self.set_key(key_string(value), pos, is_merge)?,
                MapState::Value(key) => {
                    if map.insert(key, value).is_some() {
                        self.duplicate_keys = true;
                    }
                }
                MapState::Merge => match value {
                    Value::Object(merged) => merges.push(merged),
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Object(merged) => merges.push(merged),
                                _ => return Err(merge_error(pos)),
                            }
                        }
                    }
                    _ => return Err(merge_error(pos)),
                },
            },
        }
        Ok(())
    }

    /// Sets the key of the mapping on top of the stack (whose size already
    /// counts the key), recording its line. A key the mapping already has
    /// is an error, as in kubectl's strict decoding (sigs.k8s.io/yaml:
    /// `mapping key "x" already defined at line N`): silently keeping the
    /// last one hides mistakes, such as two files concatenated without a
    /// `---` between them merging into one object. Keys merged with `<<`
    /// may be overridden, as YAML's merge key specifies.
    fn set_key(&mut self, key: String, pos: Pos, is_merge: bool) -> Result<(), YamlError> {
        let Some(Frame { container: Container::Map { map, state, .. }, record_children, path_len, .. }) =
            self.stack.last_mut()
        else {
            return Ok(());
        };
        if is_merge {
            *state = MapState::Merge;
            return Ok(());
        }
        if map.contains_key(&key) {
            let (record_children, path_len) = (*record_children, *path_len);
            return Err(self.duplicate_key(&key, pos, record_children.then_some(path_len)));
        }
        if *record_children {
            self.path.truncate(*path_len);
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&key);
            self.fields.push(&self.path, pos.line);
        }
        *state = MapState::Value(key);
        Ok(())
    }

    /// The error for `key` given twice; the first one's line is known when
    /// the mapping's field lines are recorded (`path_len` of its path).
    fn duplicate_key(&self, key: &str, pos: Pos, path_len: Option<usize>) -> YamlError {
        let first = path_len.and_then(|path_len| {
            let parent = &self.path[..path_len.min(self.path.len())];
            let path = if parent.is_empty() { key.to_owned() } else { format!("{parent}.{key}") };
            self.fields.iter().filter(|(p, _)| *p == path).map(|(_, line)| line).last()
        });
        let shown: String = key.chars().take(64).collect();
        let ellipsis = if shown.len() < key.len() { "…" } else { "" };
        match first {
            Some(line) => {
                pos.error(format!("mapping key `{shown}{ellipsis}` already defined at line {line}"))
            }
            None => pos.error(format!("mapping key `{shown}{ellipsis}` already defined")),
        }
    }
}

/// Adds `nodes` to the count of nodes copied for anchors and aliases, failing
/// past [`MAX_ALIAS_NODES`].
fn count_copies(copied: &mut u64, nodes: u64, pos: Pos) -> Result<(), YamlError> {
    *copied = copied.saturating_add(nodes);
    if *copied > MAX_ALIAS_NODES {
        return Err(pos.error(format!("anchors and aliases expand to more than {MAX_ALIAS_NODES} nodes")));
    }
    Ok(())
}

fn depth_error(pos: Pos) -> YamlError {
    pos.error(format!("nesting deeper than {MAX_DEPTH} levels"))
}

fn merge_error(pos: Pos) -> YamlError {
    pos.error("merge key `<<` needs a mapping or a list of mappings")
}

/// The string form of a mapping key.
fn key_string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => serde_json::to_string(&other).unwrap_or_default(),
    }
}

/// The value of a scalar, by its tag, then its style and text.
fn scalar_value(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if tag.handle == CORE_TAG_HANDLE {
            let invalid = |kind: &str| format!("`{text}` is not a valid `!!{kind}`");
            match tag.suffix.as_str() {
                "str" => return Ok(Value::String(text.into_owned())),
                "null" => return Ok(Value::Null),
                "bool" => {
                    return match resolve_plain(&text) {
                        Some(Value::Bool(b)) => Ok(Value::Bool(b)),
                        _ => Err(invalid("bool")),
                    }
                }
                "int" => {
                    return match parse_int(&text) {
                        Some(n) => Ok(Value::Number(n)),
                        None => Err(invalid("int")),
                    }
                }
                "float" => {
                    if is_special_float(&text) {
                        return Ok(Value::String(text.into_owned()));
                    }
                    return match parse_float(&text).or_else(|| parse_int(&text)) {
                        Some(n) => Ok(Value::Number(n.as_f64().and_then(Number::from_f64).unwrap_or(n))),
                        None => Err(invalid("float")),
                    };
                }
                _ => {}
            }
        } else if (tag.handle.is_empty() && tag.suffix == "!") || (tag.handle == "!" && tag.suffix.is_empty())
        {
            // The non-specific tag `!` makes a plain scalar a string.
            return Ok(Value::String(text.into_owned()));
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into_owned()));
    }
    Ok(resolve_plain(&text).unwrap_or_else(|| Value::String(text.into_owned())))
}

/// Resolves a plain scalar by the YAML 1.2 core schema; `None` when it is a
/// string.
fn resolve_plain(text: &str) -> Option<Value> {
    let first = match text.as_bytes().first() {
        None => return Some(Value::Null),
        Some(&b) => b,
    };
    match first {
        b'~' | b'n' | b'N' => matches!(text, "~" | "null" | "Null" | "NULL").then_some(Value::Null),
        b't' | b'T' => matches!(text, "true" | "True" | "TRUE").then_some(Value::Bool(true)),
        b'f' | b'F' => matches!(text, "false" | "False" | "FALSE").then_some(Value::Bool(false)),
        b'0'..=b'9' | b'+' | b'-' | b'.' => parse_int(text).or_else(|| parse_float(text)).map(Value::Number),
        _ => None,
    }
}

/// Parses a core schema integer: decimal with an optional sign, `0o` octal or
/// `0x` hexadecimal. Decimals beyond 64 bits become floats.
fn parse_int(text: &str) -> Option<Number> {
    if let Some(digits) = text.strip_prefix("0o") {
        return radix_int(digits, 8);
    }
    if let Some(digits) = text.strip_prefix("0x") {
        return radix_int(digits, 16);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Number::from(n));
    }
    if let Ok(n) = unsigned.parse::<u64>() {
        if !text.starts_with('-') {
            return Some(Number::from(n));
        }
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Parses unsigned digits in a radix (as a core schema octal or hex int).
fn radix_int(digits: &str, radix: u32) -> Option<Number> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().map(Number::from)
}

/// Parses a finite core schema float:
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn parse_float(text: &str) -> Option<Number> {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = digits(&mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Whether a scalar is one of the core schema's infinities or NaNs, which
/// JSON numbers cannot hold.
fn is_special_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses `text` and returns, per document, its line and either its value
    /// or its error as `"line:column: message"`.
    fn check(text: &str) -> Vec<(u32, Result<Value, String>)> {
        parse_stream(text)
            .into_iter()
            .map(|d| {
                let content =
                    d.content.map(|p| p.value).map_err(|e| format!("{}:{}: {}", e.line, e.column, e.message));
                (d.line, content)
            })
            .collect()
    }

    /// Parses a single document that must be valid.
    fn one(text: &str) -> ParsedDocument {
        let mut docs = parse_stream(text);
        assert_eq!(docs.len(), 1, "{text:?}");
        docs.remove(0).content.unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn value(text: &str) -> Value {
        one(text).value
    }

    fn error(text: &str) -> YamlError {
        let mut docs = parse_stream(text);
        assert_eq!(docs.len(), 1, "{text:?}");
        docs.remove(0).content.expect_err(text)
    }

    fn line_of(doc: &ParsedDocument, path: &str) -> Option<u32> {
        doc.field_lines.iter().find(|(p, _)| p == path).map(|(_, l)| *l)
    }

    #[test]
    fn empty_inputs_give_no_documents() {
        for text in ["", "\n\n", "# only\n# comments\n", "---\n", "---\n---\n...\n", "\u{feff}", "--- # c\n"]
        {
            assert!(check(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn single_document_without_marker() {
        assert_eq!(check("a: 1\n"), vec![(1, Ok(json!({"a": 1})))]);
        assert_eq!(check("\u{feff}a: 1"), vec![(1, Ok(json!({"a": 1})))]);
        assert_eq!(check("a: 1\r\nb: 2\r\n"), vec![(1, Ok(json!({"a": 1, "b": 2})))]);
        // `\r\n` and a lone `\r` are line breaks too.
        let text = "a: 1\r\n---\r\n\r\nb: 2\r\n...\r\nc: 3\r---\rd: [\r";
        let docs = check(text);
        assert_eq!(docs[..3], [(1, Ok(json!({"a": 1}))), (4, Ok(json!({"b": 2}))), (6, Ok(json!({"c": 3})))]);
        assert_eq!(docs[3].0, 8);
        assert!(docs[3].1.as_ref().is_err_and(|e| e.starts_with("9:")), "{:?}", docs[3]);
    }

    #[test]
    fn multi_document_stream() {
        let text = "\
# leading comment
a: 1
--- # first
# comment
b: 2
---
---\t
c: 3
--- {d: 4}
--- !!str
--- |
  text
";
        assert_eq!(
            check(text),
            vec![
                (2, Ok(json!({"a": 1}))),
                (5, Ok(json!({"b": 2}))),
                (8, Ok(json!({"c": 3}))),
                (9, Ok(json!({"d": 4}))),
                (10, Ok(json!(""))),
                (11, Ok(json!("text\n"))),
            ]
        );
    }

    #[test]
    fn dashes_that_are_not_markers() {
        let text = "a: ---\n----\n---x: 1\n";
        // `----` and `---x` do not start documents: they are plain scalars
        // here, making the document invalid, but there is only one.
        assert_eq!(check(text).len(), 1);
        assert_eq!(value("s: |\n  ---\n  x\n"), json!({"s": "---\nx\n"}));
    }

    #[test]
    fn byte_order_marks_of_concatenated_files() {
        let text = "\u{feff}a: 1\n---\n\u{feff}b: 2\n\u{feff}---\nc: 3\n";
        assert_eq!(
            check(text),
            vec![(1, Ok(json!({"a": 1}))), (3, Ok(json!({"b": 2}))), (5, Ok(json!({"c": 3})))]
        );
    }

    #[test]
    fn document_end_marker() {
        let text = "a: 1\n...\n# between\n...   # comment\nb: 2\n...\n";
        assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (5, Ok(json!({"b": 2})))]);
        let text = "--- a\n...\n--- b\n";
        assert_eq!(check(text), vec![(1, Ok(json!("a"))), (3, Ok(json!("b")))]);
    }

    #[test]
    fn directives_go_with_the_next_document() {
        let text = "a: 1\n...\n%YAML 1.2\n%TAG !e! tag:example.com,2000:\n---\nb: !e!x 2\n";
        assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (6, Ok(json!({"b": 2})))]);
        let text = "%YAML 1.2\n---\nc: 3\n";
        assert_eq!(check(text), vec![(3, Ok(json!({"c": 3})))]);
        // Without `...` the directive is still moved to the next document.
        let text = "a: 1\n%YAML 1.2\n---\nb: 2\n";
        assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (4, Ok(json!({"b": 2})))]);
    }

    #[test]
    fn explicit_null_documents_are_kept() {
        assert_eq!(check("---\n~\n---\nnull\n"), vec![(2, Ok(Value::Null)), (4, Ok(Value::Null))]);
    }

    #[test]
    fn syntax_error_in_middle_document() {
        let text = "\
a: 1
---
b: 2
c: [1, 2
d: 3
---
e: 5
";
        let docs = check(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], (1, Ok(json!({"a": 1}))));
        assert_eq!(docs[1].0, 3);
        let err = docs[1].1.clone().unwrap_err();
        assert!(err.starts_with("5:"), "{err}");
        assert_eq!(docs[2], (7, Ok(json!({"e": 5}))));
    }

    #[test]
    fn error_lines_and_messages() {
        let e = error("a: 1\nb: \"open\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("quoted scalar"), "{}", e.message);
        // The first document is fine; this is the second one.
        let docs = parse_stream("x: 1\n---\na:\n\tb: 1\n");
        assert!(docs[0].content.is_ok());
        let e2 = docs[1].content.clone().unwrap_err();
        assert_eq!(e2.line, 4);
        assert!(e2.message.contains("tab"), "{}", e2.message);
        let e = error("]\n");
        assert_eq!((e.line, e.column), (1, 1));
        let e = error("a: *nothing\n");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("anchor"), "{}", e.message);
        for e in [error("a: 1\n  b: 2\n"), error("- a\nb: 1\n")] {
            assert!(!e.message.ends_with('.'));
            assert!(!e.message.starts_with(char::is_uppercase), "{}", e.message);
        }
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "\
base: &base
  a: 1
  b: 2
list: &list [x, y]
copy: *base
items: *list
merged:
  <<: *base
  b: 3
  c: 4
override_before:
  b: 5
  <<: *base
multi:
  <<: [*base, {a: 10, z: 26}]
flow: {<<: *base, a: 0}
scalar: &s hello
again: *s
";
        assert_eq!(
            value(text),
            json!({
                "base": {"a": 1, "b": 2},
                "list": ["x", "y"],
                "copy": {"a": 1, "b": 2},
                "items": ["x", "y"],
                "merged": {"a": 1, "b": 3, "c": 4},
                "override_before": {"a": 1, "b": 5},
                "multi": {"a": 1, "b": 2, "z": 26},
                "flow": {"a": 0, "b": 2},
                "scalar": "hello",
                "again": "hello",
            })
        );
        // A quoted `<<` is an ordinary key.
        assert_eq!(value("\"<<\": 1\n"), json!({"<<": 1}));
        let e = error("a: &a 1\nb:\n  <<: *a\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("merge"), "{}", e.message);
        // Anchors are redefinable; an alias takes the latest.
        assert_eq!(value("- &a 1\n- *a\n- &a 2\n- *a\n"), json!([1, 1, 2, 2]));
        // An alias inside its own anchor cannot be expanded.
        assert!(parse_stream("&a [*a]\n")[0].content.is_err());
    }

    #[test]
    fn billion_laughs_is_capped() {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let names: Vec<char> = ('b'..='j').collect();
        let mut previous = 'a';
        for name in names {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            let _ = writeln!(text, "{name}: &{name} [{refs}]");
            previous = name;
        }
        let e = error(&text);
        assert!(e.message.contains("more than 1000000 nodes"), "{}", e.message);
        // A small expansion is fine.
        assert_eq!(value("a: &a [1, 2]\nb: [*a, *a]\n")["b"], json!([[1, 2], [1, 2]]));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let flow = "[".repeat(100_000);
        let docs = check(&flow);
        assert_eq!(docs.len(), 1);
        assert!(docs[0].1.is_err());
        let flow = "{a: ".repeat(100_000);
        assert!(check(&flow)[0].1.is_err());

        let block = "- ".repeat(100_000) + "x\n";
        let e = error(&block);
        assert_eq!(e.message, "nesting deeper than 512 levels");
        assert_eq!(e.line, 1);

        let mut indented = String::new();
        for i in 0..1000 {
            let _ = writeln!(indented, "{}k{i}:", " ".repeat(i));
        }
        assert_eq!(error(&indented).message, "nesting deeper than 512 levels");

        // Aliases cannot nest values deeper either.
        let mut text = String::from("a0: &a0 x\n");
        for i in 1..40 {
            let _ = writeln!(text, "a{i}: &a{i} {}*a{}{}", "[".repeat(100), i - 1, "]".repeat(100));
        }
        let e = error(&text);
        assert_eq!(e.message, "nesting deeper than 512 levels");
        assert_eq!(e.line, 7);

        // 512 levels are fine.
        let ok = "- ".repeat(MAX_DEPTH) + "x\n";
        let mut v = &value(&ok);
        for _ in 0..MAX_DEPTH {
            v = &v[0];
        }
        assert_eq!(v, &json!("x"));
    }

    #[test]
    fn json_documents() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [{\"a\": 1.5}, null, true]\n}\n";
        assert_eq!(
            check(text),
            vec![(1, Ok(json!({"apiVersion": "v1", "kind": "List", "items": [{"a": 1.5}, null, true]})))]
        );
        let tabs = "[\n\t{\n\t\t\"name\": \"a\",\n\t\t\"port\": 80\n\t},\n\t\"x\"\n]\n";
        assert_eq!(check(tabs), vec![(1, Ok(json!([{"name": "a", "port": 80}, "x"])))]);
        // JSON after a marker, with an error on a later line.
        let bad = "a: 1\n---\n{\n\t\"a\": 1\n\t\"b\": 2\n}\n";
        let docs = parse_stream(bad);
        assert_eq!(docs.len(), 2);
        let e = docs[1].content.clone().unwrap_err();
        assert_eq!(docs[1].line, 3);
        assert!(e.line == 4 || e.line == 5, "{e:?}");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn json_fallback_on_saphyr_rejection() {
        // Surrogate pair escapes and a tab after `:` are valid JSON that the
        // YAML parser rejects: the JSON parser reads them, and only the root
        // gets a line.
        let text = "a: 1\n---\n{\"s\": \"\\ud83d\\ude00\", \"t\":\t1}\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 2);
        let doc = docs[1].content.clone().unwrap();
        assert_eq!(doc.value, json!({"s": "\u{1f600}", "t": 1}));
        assert_eq!(doc.field_lines, vec![(String::new(), 3)]);
        // Tabs that the YAML parser accepts: same value either way.
        let text = "{\"a\":\n\t[1,\n\t 2\n\t]\n}";
        assert_eq!(value(text), json!({"a": [1, 2]}));
        // A JSON error on the first line is placed after the `---` marker.
        let e = parse_stream("x: 1\n--- {\"a\":\t1,,}\n")[1].content.clone().unwrap_err();
        assert_eq!((e.line, e.column), (2, 13));
        // Deep JSON beyond the YAML parser's flow limit is an error, not a
        // crash.
        let deep = "[".repeat(300) + &"]".repeat(300);
        assert!(error(&deep).message.contains("recursion"), "{:?}", error(&deep));
    }

    #[test]
    fn tabs_before_content_inside_a_flow_collection() {
        // Tabs are separation space in flow context, even at the start of a
        // line of a flow collection nested in a block one.
        let text = "spec:\n  args:\n    [\n      \"-a\",\n\t      \"-b\",\n\t\t\"-c\",\n    ]\n  m: {a: 1,\n\t  b: 2}\n";
        let doc = one(text);
        assert_eq!(doc.value, json!({"spec": {"args": ["-a", "-b", "-c"], "m": {"a": 1, "b": 2}}}));
        assert_eq!(line_of(&doc, "spec.args[2]"), Some(6));
        assert_eq!(line_of(&doc, "spec.m.b"), Some(9));
        // In block indentation a tab stays an error, on its line.
        let e = error("a:\n  b: [1,\n    2]\n  c:\n\td: 1\n");
        assert_eq!(e.line, 5);
        assert!(e.message.starts_with("tabs disallowed"), "{}", e.message);
        let e = error("a:\n\t[1, 2]\n");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn scalar_types() {
        let text = "\
nulls: [null, Null, NULL, ~, '', ]
colon: 12:30
dash: -x
dot: .
empty:
bools: [true, True, TRUE, false, False, FALSE, yes, no, on, tRUE]
ints: [0, 42, -17, +5, 0o17, 0x1F, 0xff, 007, 9223372036854775807, 18446744073709551615]
big: -99999999999999999999
floats: [1.5, -2.25, 1e3, .5, 1., +1.5e-2, 6.02E23]
special: [.inf, -.Inf, +.INF, .nan, .NaN]
strings: [\"1\", '2', 1.2.3, 0o8, 0x, 0xg, 1e, v1]
block: |
  1
folded: >
  true
tagged:
  - !!str 12
  - !!str true
  - !!int \"42\"
  - !!float 1
  - !!bool 'true'
  - !!null ''
  - !custom 12
  - ! 12
  - !<!> 13
  - !!float .inf
";
        assert_eq!(
            value(text),
            json!({
                "nulls": [null, null, null, null, ""],
                "colon": "12:30",
                "dash": "-x",
                "dot": ".",
                "empty": null,
                "bools": [true, true, true, false, false, false, "yes", "no", "on", "tRUE"],
                "ints": [0, 42, -17, 5, 15, 31, 255, 7, 9_223_372_036_854_775_807_i64, 18_446_744_073_709_551_615_u64],
                "big": -1e20,
                "floats": [1.5, -2.25, 1000.0, 0.5, 1.0, 0.015, 6.02e23],
                "special": [".inf", "-.Inf", "+.INF", ".nan", ".NaN"],
                "strings": ["1", "2", "1.2.3", "0o8", "0x", "0xg", "1e", "v1"],
                "block": "1\n",
                "folded": "true\n",
                "tagged": ["12", "true", 42, 1.0, true, null, 12, "12", "13", ".inf"],
            })
        );
        let e = error("a:\n  b: !!int abc\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("!!int"), "{}", e.message);
    }

    #[test]
    fn keys_become_strings() {
        assert_eq!(
            value("80: a\ntrue: b\n~: c\n1.5: d\n0x10: e\n[1, 2]: f\n{x: 1}: g\n\"q\": h\n"),
            json!({
                "80": "a", "true": "b", "null": "c", "1.5": "d", "16": "e",
                "[1,2]": "f", "{\"x\":1}": "g", "q": "h",
            })
        );
    }

    /// kubectl's strict decoding (sigs.k8s.io/yaml, `yaml.UnmarshalStrict`)
    /// refuses a key given twice in one mapping: "mapping key "a" already
    /// defined at line 1".
    #[test]
    fn duplicate_keys_are_an_error_at_the_second_one() {
        let e = error("a: 1\nb: 2\na: 3\n");
        assert_eq!((e.line, e.message.as_str()), (3, "mapping key `a` already defined at line 1"));
        let e = error("metadata:\n  name: x\n  labels: {app: a, app: b}\n");
        assert_eq!((e.line, e.message.as_str()), (3, "mapping key `app` already defined at line 3"));
        let e = error("{\"a\": 1, \"a\": 2}");
        assert_eq!(e.message, "mapping key `a` already defined at line 1");
        // Two files concatenated without `---`: the second starts with a comment.
        let e = error("kind: Service\nmetadata: {name: a}\n# b.yaml\nkind: Pod\nmetadata: {name: b}\n");
        assert_eq!((e.line, e.message.as_str()), (4, "mapping key `kind` already defined at line 1"));
        // Keys merged with `<<` may be overridden.
        assert_eq!(value("base: &b {a: 1}\nm:\n  <<: *b\n  a: 2\n")["m"], json!({"a": 2}));
    }

    #[test]
    fn field_lines_of_a_deployment() {
        let text = "\
---
# A deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
  annotations:
    note: x
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
          name: http
        -
          containerPort: 443
          name: https
status:
  replicas: 2
  conditions:
  - type: Available
data:
  key: value
";
        let doc = one(text);
        assert_eq!(parse_stream(text)[0].line, 3);
        let expect = [
            ("", 3),
            ("apiVersion", 3),
            ("kind", 4),
            ("metadata", 5),
            ("metadata.name", 6),
            ("metadata.labels", 8),
            ("metadata.labels.app.kubernetes.io/name", 9),
            ("metadata.annotations", 10),
            ("spec.replicas", 13),
            ("spec.template.spec.containers", 16),
            ("spec.template.spec.containers[0]", 17),
            ("spec.template.spec.containers[0].name", 17),
            ("spec.template.spec.containers[0].ports[0].containerPort", 20),
            // An item's line is where its content starts.
            ("spec.template.spec.containers[0].ports[1]", 23),
            ("spec.template.spec.containers[0].ports[1].name", 24),
            ("status", 25),
            ("data", 29),
        ];
        for (path, line) in expect {
            assert_eq!(line_of(&doc, path), Some(line), "{path}");
        }
        for path in ["metadata.annotations.note", "status.replicas", "status.conditions[0]", "data.key"] {
            assert_eq!(line_of(&doc, path), None, "{path}");
        }
        let mut sorted = doc.field_lines.clone();
        sorted.sort();
        assert_eq!(sorted, doc.field_lines);
        assert_eq!(
            doc.value["spec"]["template"]["spec"]["containers"][0]["ports"][1]["containerPort"],
            json!(443)
        );
    }

    #[test]
    fn field_lines_depth_limit() {
        let text = "a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n         j:\n          k:\n           l: 1\n";
        let doc = one(text);
        assert_eq!(line_of(&doc, "a.b.c.d.e.f.g.h.i.j"), Some(10));
        assert_eq!(line_of(&doc, "a.b.c.d.e.f.g.h.i.j.k"), None);
        let doc = one("[[[[[[[[[[[1]]]]]]]]]]]\n");
        assert_eq!(line_of(&doc, "[0][0][0][0][0][0][0][0][0][0]"), Some(1));
        assert_eq!(line_of(&doc, "[0][0][0][0][0][0][0][0][0][0][0]"), None);
        // Nothing is recorded inside aliases or keys.
        let doc = one("a: &x {b: 1}\nc: *x\n? [k]\n: v\n");
        assert_eq!(line_of(&doc, "a.b"), Some(1));
        assert_eq!(line_of(&doc, "c"), Some(2));
        assert_eq!(line_of(&doc, "c.b"), None);
        assert_eq!(line_of(&doc, "[\"k\"]"), Some(3));
        assert_eq!(doc.field_lines.len(), 5, "{:?}", doc.field_lines);
    }

    #[test]
    fn field_lines_of_list_items() {
        let text = "\
apiVersion: v1
kind: List
items:
- kind: Pod
  metadata:
    name: a
    managedFields:
    - manager: kubectl
    annotations:
      x: y
  spec:
    containers:
    - name: c
      env:
      - name: E
        valueFrom:
          secretKeyRef:
            name: s
  status:
    phase: Running
";
        let doc = one(text);
        for (path, line) in [
            ("items[0]", 4),
            ("items[0].metadata.name", 6),
            ("items[0].metadata.managedFields", 7),
            ("items[0].metadata.annotations", 9),
            ("items[0].spec.containers[0].env", 14),
            ("items[0].status", 19),
        ] {
            assert_eq!(line_of(&doc, path), Some(line), "{path}");
        }
        for path in [
            "items[0].metadata.managedFields[0]",
            "items[0].metadata.annotations.x",
            "items[0].status.phase",
            // Bulky pod spec fields keep only their own line.
            "items[0].spec.containers[0].env[0].valueFrom.secretKeyRef.name",
        ] {
            assert_eq!(line_of(&doc, path), None, "{path}");
        }
    }

    #[test]
    fn compact_fields_sort_and_keep_one_line_per_path() {
        let mut fields = Fields::default();
        for (path, line) in [("b", 1), ("a.x", 2), ("a", 3), ("b", 4), ("", 5)] {
            fields.push(path, line);
        }
        let mut last = Fields { text: fields.text.clone(), entries: fields.entries.clone() };
        last.sort(true);
        assert_eq!(last.iter().collect::<Vec<_>>(), [("", 5), ("a", 3), ("a.x", 2), ("b", 4)]);
        fields.sort(false);
        let paths: Vec<&str> = fields.iter().map(|(path, _)| path).collect();
        assert_eq!(paths, ["", "a", "a.x", "b"]);
    }

    #[test]
    fn documents_match_parse_stream() {
        let text = "a: 1\n---\nb: [1,\n---\nc:\n  d: 2\n  e: 3\n";
        let lazy: Vec<_> = documents(text)
            .map(|d| {
                let content = d.content.map(|p| {
                    let fields: Vec<_> =
                        p.fields.iter().map(|(path, line)| (path.to_owned(), line)).collect();
                    ParsedDocument { value: p.value, field_lines: fields }
                });
                RawDocument { line: d.line, content }
            })
            .collect();
        assert_eq!(lazy, parse_stream(text));
        assert_eq!(line_of(&one("c:\n  d: 2\n  e: 3\n"), "c.e"), Some(3));
    }

    #[test]
    fn line_numbers_across_documents() {
        let text = "a: 1\n---\n\n# x\nb:\n  c: [1,\n    2]\n  d: 4\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 5);
        let doc = docs[1].content.clone().unwrap();
        assert_eq!(line_of(&doc, ""), Some(5));
        assert_eq!(line_of(&doc, "b.c[1]"), Some(7));
        assert_eq!(line_of(&doc, "b.d"), Some(8));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let samples = [
            "\"unterminated",
            "'unterminated\n---\nb: 1",
            "a:\n\t- b",
            "]",
            "}",
            "[",
            "{",
            "- [}",
            "&",
            "*",
            "!",
            "!!",
            "%",
            "%YAML",
            "%YAML 1.2\n",
            "%YAML 1.2\n%YAML 1.2\n---\n",
            "? ",
            ": ",
            "a: |\n b\n  c",
            "a: >-\n\n",
            "--- |\n---",
            "\u{0}",
            "\u{feff}\u{feff}",
            "a: &x\nb: *x",
            "<<: 1",
            "<<: [1]",
            "a: !!binary aGVsbG8=",
            "a: !<tag:x> b",
            "- !!int",
            "--- !!map\n",
            "\r",
            "\r\r\n---\r\n",
            "...\n...",
            "a:\n  - b\n  c: d",
            "{a: 1, a: 2}",
            "[a, b]: c",
            "- - - -",
            "?\n?\n?",
            "'\\'",
            "\"\\u12\"",
            "\"\\xZZ\"",
            "0x",
            "-.inf",
            "a: 'b\n---\nc'",
            "--- &a\n--- *a",
        ];
        for s in samples {
            let _ = parse_stream(s);
        }
        // Pseudo-random bytes, made valid UTF-8.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet = b"-:[]{}&*!|>'\"#%@`,? \t\n\r.~0aZ<\\";
        for _ in 0..3000 {
            let mut bytes = Vec::new();
            let len = (state % 64) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let b = if state.is_multiple_of(5) {
                    state.to_le_bytes()[1]
                } else {
                    alphabet[(state >> 8) as usize % alphabet.len()]
                };
                bytes.push(b);
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_stream(&text);
        }
    }
}
