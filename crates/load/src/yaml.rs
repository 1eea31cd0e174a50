//! Reading YAML (and JSON) streams into `serde_json::Value` documents with
//! line numbers.
//!
//! The stream is first split into documents at `---` and `...` lines, so a
//! syntax error in one document does not hide the others. Each document is
//! then parsed on its own with the `saphyr-parser` event API and built into a
//! [`serde_json::Value`] with an explicit stack (no recursion), while the lines
//! of selected fields are recorded by path for diagnostics.
//!
//! Scalars are typed by the YAML 1.2 core schema. Anchors and aliases are
//! expanded, with a cap on the number of nodes this may create, and YAML 1.1
//! merge keys (`<<`) are applied as Kubernetes manifests expect.

use std::borrow::Cow;
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Number, Value};

/// Deepest nesting of sequences and mappings accepted in a document.
pub const MAX_DEPTH: usize = 512;

/// Most nodes that anchors and aliases may copy into one document.
pub const MAX_ALIAS_NODES: u64 = 1_000_000;

/// Field lines are recorded down to this many path segments.
const MAX_FIELD_SEGMENTS: usize = 10;

/// Paths below which no field line is recorded (large, free-form or
/// irrelevant content).
const UNRECORDED_PATHS: [&str; 6] =
    ["status", "metadata.managedFields", "metadata.annotations", "data", "stringData", "binaryData"];

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
    /// `("spec.ports[0].targetPort", 12)`; `""` is the document root.
    /// Sorted by path string.
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
/// Documents that are empty or hold only comments are left out, so an empty
/// input gives an empty list. Errors are per document: the others still load.
pub fn parse_stream(text: &str) -> Vec<RawDocument> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    for chunk in split_documents(text) {
        let Some(content) = find_content(chunk.text) else {
            continue;
        };
        let line = chunk.first_line.saturating_add(content.line_index);
        let parsed = parse_chunk(&chunk, &content);
        docs.push(RawDocument { line, content: parsed });
    }
    docs
}

/// The text of one document, as cut from the stream.
struct Chunk<'a> {
    text: &'a str,
    /// Line of the whole input on which `text` begins.
    first_line: u32,
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
    b.starts_with(b"---") && matches!(b.get(3), None | Some(b' ' | b'\t' | b'\r'))
}

/// Whether a line (without its line break) is a `...` document end marker.
fn is_document_end(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("...") else {
        return false;
    };
    let trimmed = rest.trim_start_matches([' ', '\t', '\r']);
    trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))
}

/// Whether a line holds nothing but white space or a comment.
fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '\t', '\r']);
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Iterates over `(byte offset, line without its '\n')`.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, raw.strip_suffix('\n').unwrap_or(raw))
    })
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
    let push = |chunks: &mut Vec<Chunk<'a>>, from: usize, to: usize, first_line: u32| {
        if from < to {
            chunks.push(Chunk { text: &text[from..to], first_line });
        }
    };
    for (offset, line) in lines_with_offsets(text) {
        line_no = line_no.saturating_add(1);
        if is_document_start(line) {
            let (cut, cut_line) = directives.take().unwrap_or((offset, line_no));
            push(&mut chunks, start, cut, start_line);
            start = cut;
            start_line = cut_line;
        } else if is_document_end(line) {
            push(&mut chunks, start, offset, start_line);
            start = (offset + line.len() + 1).min(text.len());
            start_line = line_no.saturating_add(1);
            directives = None;
        } else if line.starts_with('%') {
            directives.get_or_insert((offset, line_no));
        } else if !is_blank_or_comment(line) {
            directives = None;
        }
    }
    push(&mut chunks, start, text.len(), start_line);
    chunks
}

/// Finds the first content character of a chunk: past a `---` marker,
/// directives, blank lines and comments. `None` when there is no content.
fn find_content(chunk: &str) -> Option<Content> {
    for (index, (offset, line)) in lines_with_offsets(chunk).enumerate() {
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
fn parse_chunk(chunk: &Chunk<'_>, content: &Content) -> Result<ParsedDocument, YamlError> {
    let line_offset = chunk.first_line.saturating_sub(1);
    let yaml_error = match parse_yaml(chunk.text, line_offset) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    let body = &chunk.text[content.offset..];
    if !(body.starts_with('{') || body.starts_with('[')) || !yaml_error.from_scanner {
        return Err(yaml_error.error);
    }
    let content_line = chunk.first_line.saturating_add(content.line_index);
    match serde_json::from_str::<Value>(body) {
        Ok(value) => Ok(ParsedDocument { value, field_lines: vec![(String::new(), content_line)] }),
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

/// A YAML error, and whether the scanner/parser raised it (rather than the
/// value builder's limits).
struct ChunkError {
    error: YamlError,
    from_scanner: bool,
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
    }
}

/// Parses a chunk as YAML.
fn parse_yaml(text: &str, line_offset: u32) -> Result<ParsedDocument, ChunkError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::new(text.contains('*'));
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&e, line_offset))?;
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
            Event::SequenceStart(anchor, _) => builder.start(Container::Seq(Vec::new()), anchor, pos),
            Event::MappingStart(anchor, _) => builder.start(
                Container::Map { map: Map::new(), state: MapState::Key, merges: Vec::new() },
                anchor,
                pos,
            ),
            Event::SequenceEnd | Event::MappingEnd => builder.end(),
        };
        step.map_err(|error| ChunkError { error, from_scanner: false })?;
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

/// A container under construction, with what is needed to finish it.
struct Frame {
    container: Container,
    /// Anchor id of the container, 0 for none.
    anchor: usize,
    /// Number of nodes in the container so far, itself included.
    nodes: u64,
    /// Where the container starts.
    pos: Pos,
    /// Length of the container's own path in the path buffer.
    path_len: usize,
    /// Number of segments of the container's path.
    segments: usize,
    /// Whether field lines are recorded for the container's children.
    record_children: bool,
}

/// Builds one document's value from parser events.
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    /// Path of the node being built, when its lines are recorded.
    path: String,
    field_lines: Vec<(String, u32)>,
    /// Copies of anchored nodes by anchor id, with their node counts.
    anchors: Vec<Option<(Value, u64)>>,
    /// Whether anchored nodes must be kept (the text may hold aliases).
    keep_anchors: bool,
    /// Nodes copied so far for anchors and aliases.
    copied_nodes: u64,
}

impl Builder {
    fn new(keep_anchors: bool) -> Builder {
        Builder {
            stack: Vec::new(),
            root: None,
            path: String::new(),
            field_lines: Vec::new(),
            anchors: Vec::new(),
            keep_anchors,
            copied_nodes: 0,
        }
    }

    fn finish(mut self) -> ParsedDocument {
        // Sort by path; for paths given twice (duplicate keys) keep the last.
        self.field_lines.reverse();
        self.field_lines.sort_by(|a, b| a.0.cmp(&b.0));
        self.field_lines.dedup_by(|later, earlier| later.0 == earlier.0);
        ParsedDocument { value: self.root.unwrap_or(Value::Null), field_lines: self.field_lines }
    }

    /// Records the path of a node that starts at `pos`, when it is a
    /// sequence item or the root (mapping values are recorded with their
    /// key).
    fn begin_node(&mut self, pos: Pos) {
        match self.stack.last() {
            None => {
                if self.root.is_none() {
                    self.path.clear();
                    self.field_lines.push((String::new(), pos.line));
                }
            }
            Some(frame) => {
                if let Container::Seq(items) = &frame.container {
                    if frame.record_children {
                        self.path.truncate(frame.path_len);
                        let _ = write!(self.path, "[{}]", items.len());
                        self.field_lines.push((self.path.clone(), pos.line));
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

    fn start(&mut self, container: Container, anchor: usize, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(pos.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.begin_node(pos);
        let (path_len, segments, record_children) = match self.stack.last() {
            None => (0, 0, true),
            Some(parent) => {
                let is_key = matches!(parent.container, Container::Map { state: MapState::Key, .. });
                let segments = parent.segments + 1;
                let record = parent.record_children
                    && !is_key
                    && segments < MAX_FIELD_SEGMENTS
                    && !(segments <= 2 && UNRECORDED_PATHS.contains(&self.path.as_str()));
                (self.path.len(), segments, record)
            }
        };
        self.stack.push(Frame { container, anchor, nodes: 1, pos, path_len, segments, record_children });
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
        self.complete(value, frame.nodes, frame.anchor, frame.pos, false)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), YamlError> {
        self.begin_node(pos);
        let Some(Some((_, nodes))) = self.anchors.get(id) else {
            return Err(pos.error("alias to an anchor whose node is not complete"));
        };
        self.count_copies(*nodes, pos)?;
        let Some(Some((value, nodes))) = self.anchors.get(id) else {
            return Ok(());
        };
        let (value, nodes) = (value.clone(), *nodes);
        self.complete(value, nodes, 0, pos, false)
    }

    fn count_copies(&mut self, nodes: u64, pos: Pos) -> Result<(), YamlError> {
        self.copied_nodes = self.copied_nodes.saturating_add(nodes);
        if self.copied_nodes > MAX_ALIAS_NODES {
            return Err(pos.error(format!("anchors and aliases expand to more than {MAX_ALIAS_NODES} nodes")));
        }
        Ok(())
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
            let key = if style != ScalarStyle::Plain {
                text.into_owned()
            } else {
                match resolve_plain(&text) {
                    None => text.into_owned(),
                    Some(value) => key_string(value),
                }
            };
            return self.complete_key(key, 1, pos, is_merge);
        }
        let is_merge = style == ScalarStyle::Plain
            && text == "<<"
            && tag.is_none_or(|t| t.handle == CORE_TAG_HANDLE && t.suffix == "merge");
        let value = scalar_value(text, style, tag).map_err(|m| pos.error(m))?;
        self.complete(value, 1, anchor, pos, is_merge)
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn complete(
        &mut self,
        value: Value,
        nodes: u64,
        anchor: usize,
        pos: Pos,
        is_merge: bool,
    ) -> Result<(), YamlError> {
        if anchor > 0 && self.keep_anchors {
            self.count_copies(nodes, pos)?;
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((value.clone(), nodes));
        }
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(value);
            }
            return Ok(());
        };
        frame.nodes = frame.nodes.saturating_add(nodes);
        match &mut frame.container {
            Container::Seq(items) => items.push(value),
            Container::Map { map, state, merges } => match std::mem::replace(state, MapState::Key) {
                MapState::Key => {
                    let key = key_string(value);
                    return self.complete_key(key, 0, pos, is_merge);
                }
                MapState::Value(key) => {
                    map.insert(key, value);
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

    /// Sets the key of the mapping on top of the stack, recording its line.
    fn complete_key(&mut self, key: String, nodes: u64, pos: Pos, is_merge: bool) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        frame.nodes = frame.nodes.saturating_add(nodes);
        let Container::Map { state, .. } = &mut frame.container else {
            return Ok(());
        };
        if is_merge {
            *state = MapState::Merge;
            return Ok(());
        }
        if frame.record_children {
            self.path.truncate(frame.path_len);
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&key);
            self.field_lines.push((self.path.clone(), pos.line));
        }
        *state = MapState::Value(key);
        Ok(())
    }
}

fn merge_error(pos: Pos) -> YamlError {
    pos.error("merge key '<<' needs a mapping or a list of mappings")
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
            let invalid = |kind: &str| format!("invalid !!{kind} value {:?}", text.as_ref());
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
        // Tabs before a closing bracket on its own line trip some YAML
        // scanners but are valid JSON; either way the value must match.
        let text = "{\"a\":\n\t[1,\n\t 2\n\t]\n}";
        assert_eq!(value(text), json!({"a": [1, 2]}));
        // Deep JSON beyond the YAML parser's flow limit is an error, not a
        // crash.
        let deep = "[".repeat(300) + &"]".repeat(300);
        assert!(error(&deep).message.contains("recursion"), "{:?}", error(&deep));
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
        // Duplicate keys: the last one wins.
        let doc = one("a: 1\nb: 2\na: 3\n");
        assert_eq!(doc.value, json!({"a": 3, "b": 2}));
        assert_eq!(line_of(&doc, "a"), Some(3));
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
                let b = if state % 5 == 0 {
                    (state >> 8) as u8
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
