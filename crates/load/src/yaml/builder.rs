//! Building one document's `serde_json::Value` from parser events with an
//! explicit stack (no recursion), recording field lines, expanding anchors
//! and aliases under a cap, applying merge keys and refusing duplicate keys.

use std::borrow::Cow;
use std::fmt::Write as _;

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::{Map, Value};

use super::fields::{Fields, BULKY_FIELDS, MAX_FIELD_SEGMENTS, UNRECORDED_PATHS};
use super::scalar::{resolve_plain, scalar_value, CORE_TAG_HANDLE};
use super::{Parsed, YamlError, MAX_ALIAS_NODES, MAX_DEPTH};

/// A position in the whole input: 1-based line and column.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos {
    pub(super) line: u32,
    pub(super) column: u32,
}

impl Pos {
    /// The error `make` builds from a line and column, at this position.
    pub(super) fn error(self, make: impl FnOnce(u32, u32) -> YamlError) -> YamlError {
        make(self.line, self.column)
    }
}

/// What a mapping under construction expects next.
pub(super) enum MapState {
    /// A key.
    Key,
    /// The value of this key.
    Value(String),
    /// The value of a `<<` merge key.
    Merge,
}

/// A sequence or mapping under construction.
pub(super) enum Container {
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
pub(super) struct Size {
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
pub(super) struct Frame {
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
    pub(super) flow: bool,
}

/// Builds one document's value from parser events.
pub(super) struct Builder {
    pub(super) stack: Vec<Frame>,
    pub(super) root: Option<Value>,
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
    pub(super) fn new(keep_anchors: bool, lines: u32) -> Builder {
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

    pub(super) fn finish(mut self) -> Parsed {
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
    pub(super) fn start(
        &mut self,
        container: Container,
        anchor: usize,
        pos: Pos,
        flow: bool,
    ) -> Result<(), YamlError> {
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

    pub(super) fn end(&mut self) -> Result<(), YamlError> {
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

    pub(super) fn alias(&mut self, id: usize, pos: Pos) -> Result<(), YamlError> {
        self.begin_node(pos);
        let Some(Some((value, size))) = self.anchors.get(id) else {
            return Err(pos.error(|line, column| YamlError::IncompleteAlias { line, column }));
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

    pub(super) fn scalar(
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
        let value = scalar_value(text, style, tag).map_err(|(text, tag)| {
            pos.error(|line, column| YamlError::InvalidTagged { line, column, text, tag })
        })?;
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
        let key = format!("{shown}{ellipsis}");
        pos.error(|line, column| YamlError::DuplicateKey { line, column, key, first_line: first })
    }
}

/// Adds `nodes` to the count of nodes copied for anchors and aliases, failing
/// past [`MAX_ALIAS_NODES`].
fn count_copies(copied: &mut u64, nodes: u64, pos: Pos) -> Result<(), YamlError> {
    *copied = copied.saturating_add(nodes);
    if *copied > MAX_ALIAS_NODES {
        return Err(pos.error(|line, column| YamlError::TooManyAliasNodes { line, column }));
    }
    Ok(())
}

fn depth_error(pos: Pos) -> YamlError {
    pos.error(|line, column| YamlError::TooDeep { line, column })
}

fn merge_error(pos: Pos) -> YamlError {
    pos.error(|line, column| YamlError::BadMerge { line, column })
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
