//! A fast reader for the plain block YAML that generated manifests are made
//! of (`helm template`, `kubectl get -o yaml`, the benchmark's generator):
//! block mappings and sequences, single-line plain and quoted scalars without
//! escapes, one-line flow collections of such scalars, and comments.
//!
//! It drives the same [`Builder`] as the `saphyr-parser` events do, with the
//! same lines, so a document it reads gives the same value and field lines.
//! Anything else (anchors, tags, block scalars, escapes, multi-line scalars,
//! tabs, non-ASCII text, anything doubtful and every error) makes it give up
//! on the whole document, which is then parsed by `saphyr-parser`: the fast
//! path never decides what a document means when it is unsure, nor reports an
//! error.

use std::borrow::Cow;

use saphyr_parser::ScalarStyle;
use serde_json::Map;

use super::builder::{Builder, Container, MapState, Pos};
use super::{to_u32, Parsed};

/// Gives up: the document is left to the full parser.
struct Unsupported;

type Step<T = ()> = Result<T, Unsupported>;

/// Reads a document chunk, or `None` when it uses anything outside the
/// subset (or has an error). `line_offset` is added to the chunk's 1-based
/// lines.
pub(super) fn parse(text: &str, line_offset: u32, lines: u32) -> Option<Parsed> {
    // Printable ASCII and line feeds only: no tabs, carriage returns, byte
    // order marks or characters whose treatment differs between YAML versions.
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b) || b == b'\n') {
        return None;
    }
    let mut reader = Reader { builder: Builder::new(false, lines), frames: Vec::new(), pending: None };
    let mut root_done = false;
    for (index, line) in text.split('\n').enumerate() {
        let number = to_u32(index + 1).saturating_add(line_offset);
        let line = if index == 0 && (line == "---" || line.starts_with("--- ")) {
            // The marker's line holds nothing else here (content after it
            // is left to the full parser).
            if !is_blank_or_comment(&line[3..]) {
                return None;
            }
            ""
        } else {
            line
        };
        if line.starts_with('%') {
            return None;
        }
        if is_blank_or_comment(line) {
            continue;
        }
        if root_done {
            return None;
        }
        reader.line(line, number).ok()?;
        root_done = reader.frames.is_empty();
    }
    reader.close(0, None).ok()?;
    reader.frames.is_empty().then(|| reader.builder.finish())
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    trimmed.is_empty() || trimmed.starts_with('#')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// An open block collection: its kind and the column of its entries.
#[derive(Clone, Copy)]
struct Frame {
    kind: Kind,
    indent: usize,
}

struct Reader {
    builder: Builder,
    frames: Vec<Frame>,
    /// The indentation of a key whose value starts on a later line (or is
    /// empty).
    pending: Option<usize>,
}

impl Reader {
    fn line(&mut self, line: &str, number: u32) -> Step {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let is_item = rest.starts_with("- ") || rest == "-";
        // A key without a value on its line is followed by the value's block:
        // more indented, or a sequence at the key's own indentation.
        let opens_value = self.pending.is_some_and(|key| indent > key || (indent == key && is_item));
        if !opens_value {
            self.close(indent, Some(is_item))?;
        }
        self.pending = None;
        let top = self.frames.last().copied();
        let kind = if is_item { Kind::Seq } else { Kind::Map };
        let continues = top.is_some_and(|f| f.kind == kind && f.indent == indent);
        if !continues {
            let at_root = top.is_none() && self.builder.root.is_none();
            if !(opens_value || at_root) {
                return Err(Unsupported);
            }
            self.open(kind, indent, number)?;
        }
        if is_item {
            self.item(line, indent, number)
        } else {
            self.entry(line, indent, number)
        }
    }

    /// Ends the collections that a line at `indent` closes (all of them for
    /// `None`), giving a pending key its empty value first.
    fn close(&mut self, indent: usize, is_item: Option<bool>) -> Step {
        if self.pending.take().is_some() {
            self.scalar("", ScalarStyle::Plain, Pos { line: 0, column: 0 })?;
        }
        while let Some(top) = self.frames.last().copied() {
            let ends = match is_item {
                None => true,
                // A sequence at its mapping's indentation ends at the next key.
                Some(is_item) => {
                    top.indent > indent || (top.indent == indent && top.kind == Kind::Seq && !is_item)
                }
            };
            if !ends {
                break;
            }
            self.frames.pop();
            self.builder.end().map_err(|_| Unsupported)?;
        }
        Ok(())
    }

    fn open(&mut self, kind: Kind, indent: usize, line: u32) -> Step {
        let pos = Pos { line, column: to_u32(indent + 1) };
        let container = match kind {
            Kind::Map => Container::Map { map: Map::new(), state: MapState::Key, merges: Vec::new() },
            Kind::Seq => Container::Seq(Vec::new()),
        };
        self.builder.start(container, 0, pos, false).map_err(|_| Unsupported)?;
        self.frames.push(Frame { kind, indent });
        Ok(())
    }

    /// `- content`: a scalar, a flow collection, or a mapping's first entry.
    fn item(&mut self, line: &str, indent: usize, number: u32) -> Step {
        let after = &line[indent + 1..];
        let content = indent + 1 + (after.len() - after.trim_start_matches(' ').len());
        let rest = &line[content..];
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with("- ") || rest == "-" {
            return Err(Unsupported);
        }
        if split_key(rest)?.is_some() {
            self.open(Kind::Map, content, number)?;
            return self.entry(line, content, number);
        }
        self.value(rest, Pos { line: number, column: to_u32(content + 1) })
    }

    /// `key: value` or `key:` at `indent`.
    fn entry(&mut self, line: &str, indent: usize, number: u32) -> Step {
        let rest = &line[indent..];
        let Some((key, style, value)) = split_key(rest)? else { return Err(Unsupported) };
        if key == "<<" && style == ScalarStyle::Plain {
            return Err(Unsupported);
        }
        self.scalar(key, style, Pos { line: number, column: to_u32(indent + 1) })?;
        let trimmed = value.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            self.pending = Some(indent);
            return Ok(());
        }
        let column = line.len() - trimmed.len() + 1;
        self.value(trimmed, Pos { line: number, column: to_u32(column) })
    }

    /// A value that fits on the rest of its line.
    fn value(&mut self, text: &str, pos: Pos) -> Step {
        match text.as_bytes()[0] {
            b'[' | b'{' => self.flow(text, pos),
            b'"' | b'\'' => {
                let (scalar, style, after) = quoted(text)?;
                end_of_line(after)?;
                self.scalar(scalar, style, pos)
            }
            _ => {
                let scalar = plain(text)?;
                self.scalar(scalar, ScalarStyle::Plain, pos)
            }
        }
    }

    /// A one-line flow sequence or mapping of simple scalars.
    fn flow(&mut self, text: &str, pos: Pos) -> Step {
        let (kind, close) = if text.starts_with('[') { (Kind::Seq, ']') } else { (Kind::Map, '}') };
        let end = text.find(close).ok_or(Unsupported)?;
        end_of_line(&text[end + 1..])?;
        let inner = &text[1..end];
        let container = match kind {
            Kind::Map => Container::Map { map: Map::new(), state: MapState::Key, merges: Vec::new() },
            Kind::Seq => Container::Seq(Vec::new()),
        };
        self.builder.start(container, 0, pos, false).map_err(|_| Unsupported)?;
        if !inner.trim_matches(' ').is_empty() {
            for item in inner.split(',') {
                match kind {
                    Kind::Seq => self.flow_scalar(item, pos)?,
                    Kind::Map => {
                        let (key, value) = item.split_once(": ").ok_or(Unsupported)?;
                        self.flow_scalar(key, pos)?;
                        self.flow_scalar(value, pos)?;
                    }
                }
            }
        }
        self.builder.end().map_err(|_| Unsupported)
    }

    /// One item of a flow collection: quoted, or plain of the safest
    /// characters (no indicators, no spaces inside).
    fn flow_scalar(&mut self, item: &str, pos: Pos) -> Step {
        let item = item.trim_matches(' ');
        let Some(&first) = item.as_bytes().first() else { return Err(Unsupported) };
        if first == b'"' || first == b'\'' {
            let (scalar, style, after) = quoted(item)?;
            if !after.is_empty() {
                return Err(Unsupported);
            }
            return self.scalar(scalar, style, pos);
        }
        let safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'_' | b'=' | b'+' | b'%');
        let starts_plain = first.is_ascii_alphanumeric() || first == b'.' || first == b'/';
        if !(starts_plain || (first == b'-' && item.len() > 1 && !item.starts_with("---")))
            || !item.bytes().all(|b| safe(b) || b == b'-')
        {
            return Err(Unsupported);
        }
        self.scalar(item, ScalarStyle::Plain, pos)
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, pos: Pos) -> Step {
        self.builder.scalar(Cow::Borrowed(text), style, 0, None, pos).map_err(|_| Unsupported)
    }
}

/// Splits `key: value` (or `key:`), for a plain or quoted key; `None` when
/// the text is not a key (a scalar).
fn split_key(text: &str) -> Step<Option<(&str, ScalarStyle, &str)>> {
    let first = text.as_bytes()[0];
    if first == b'"' || first == b'\'' {
        let (key, style, after) = quoted(text)?;
        return match after.strip_prefix(':') {
            Some(value) if value.is_empty() || value.starts_with(' ') => Ok(Some((key, style, value))),
            _ => {
                // A quoted scalar that is not a key.
                end_of_line(after)?;
                Ok(None)
            }
        };
    }
    let colon = match find_colon_space(text) {
        Some(i) => Some(i),
        None => text.strip_suffix(':').map(str::len),
    };
    let Some(colon) = colon else { return Ok(None) };
    let key = text[..colon].trim_end_matches(' ');
    if key.is_empty() || key.len() > 1024 || !plain_start(key) || has_special(key) {
        return Err(Unsupported);
    }
    Ok(Some((key, ScalarStyle::Plain, &text[colon + 1..])))
}

/// Whether a plain scalar may start like `text`: no indicator, and `-` only
/// before a character that is not a space (`?` and `:`, which YAML also
/// allows there, are left to the full parser).
fn plain_start(text: &str) -> bool {
    let b = text.as_bytes();
    match b[0] {
        b'-' => b.get(1).is_some_and(|c| *c != b' ') && !text.starts_with("---"),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

/// A plain scalar that runs to the end of the line (or a comment).
fn plain(text: &str) -> Step<&str> {
    let b = text.as_bytes();
    let text = match (1..b.len()).find(|&i| b[i] == b'#' && b[i - 1] == b' ') {
        Some(i) => &text[..i - 1],
        None => text,
    };
    let text = text.trim_end_matches(' ');
    if !plain_start(text) || has_special(text) || text.ends_with(':') {
        return Err(Unsupported);
    }
    Ok(text)
}

/// The first `: ` (where a plain key ends).
fn find_colon_space(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == b':') {
        let i = from + i;
        if b.get(i + 1) == Some(&b' ') {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// Whether a plain scalar holds what is left to the full parser: flow
/// indicators, `: ` or ` #`.
fn has_special(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'[' | b']' | b'{' | b'}' => true,
        b' ' => b.get(i + 1) == Some(&b'#'),
        b':' => b.get(i + 1) == Some(&b' '),
        _ => false,
    })
}

/// A quoted scalar without escapes that closes on its line: its text, style
/// and what follows the closing quote.
fn quoted(text: &str) -> Step<(&str, ScalarStyle, &str)> {
    let quote = text.as_bytes()[0];
    let body = &text[1..];
    let end = body.bytes().position(|b| b == quote).ok_or(Unsupported)?;
    let scalar = &body[..end];
    let after = &body[end + 1..];
    if quote == b'"' && scalar.contains('\\') {
        return Err(Unsupported);
    }
    if quote == b'\'' && after.starts_with('\'') {
        return Err(Unsupported);
    }
    let style = if quote == b'"' { ScalarStyle::DoubleQuoted } else { ScalarStyle::SingleQuoted };
    Ok((scalar, style, after))
}

/// Only spaces and a comment may follow a value.
fn end_of_line(rest: &str) -> Step {
    let trimmed = rest.trim_start_matches(' ');
    if trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len()) {
        Ok(())
    } else {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::events::parse_yaml;
    use super::super::split::{find_content, split_documents, strip_line_boms};
    use super::*;

    /// Every document the fast path reads gives the same value and field
    /// lines as the full parser; returns how many it read.
    fn agrees_with_full_parser(text: &str) -> usize {
        let mut read = 0;
        for chunk in split_documents(text) {
            let body = strip_line_boms(chunk.text);
            if find_content(&body).is_none() {
                continue;
            }
            let offset = chunk.first_line.saturating_sub(1);
            let Some(fast) = parse(&body, offset, chunk.lines) else { continue };
            let full = parse_yaml(&body, offset, chunk.lines, &[])
                .result
                .unwrap_or_else(|e| panic!("fast path read a document with an error: {:?}\n{body}", e.error));
            assert_eq!(fast.value, full.value, "{body}");
            assert_eq!(
                fast.fields.iter().collect::<Vec<_>>(),
                full.fields.iter().collect::<Vec<_>>(),
                "{body}"
            );
            read += 1;
        }
        read
    }

    #[test]
    fn reads_generated_manifests_as_the_full_parser_does() {
        let text = "\
---
# A deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web   # trailing comment
    helm.sh/chart: \"web-1.2.3\"
  annotations:
    description: 'it is #1, the: best'
spec:
  replicas: 2
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    spec:
      containers:
      - name: web
        args: [\"--a=1\", --b, 'c']
        ports:
          - containerPort: 80
            name: http
          -   containerPort: 443
              protocol:
        resources: {}
        volumeMounts: []
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: a
      empty:
      nulls: ~
      numbers: [1, 0x1F, 1.5, -2, .5]
      bools: [true, False, yes]
      dashes: -x
      url: http://a.b/c?d=e#f
      list:
        - a
        -  b # comment
";
        assert_eq!(agrees_with_full_parser(text), 1);
        assert_eq!(
            agrees_with_full_parser("a: 1\n---\n- x\n- y: 2\n  z:\n  - w\n---\n\"q\": 1\n'r': [x]\n"),
            3
        );
    }

    #[test]
    fn gives_up_on_anything_else() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: \"esc\\n\"\n",
            "a: 'it''s'\n",
            "a: \"multi\n  line\"\n",
            "a: plain\n  continued\n",
            "a:\n\tb: 1\n",
            "a: 1\r\nb: 2\r\n",
            "a: é\n",
            "%YAML 1.2\n---\na: 1\n",
            "--- a: 1\n",
            "---#x\na: 1\n",
            "scalar\n",
            "- - a\n",
            "-\n  a: 1\n",
            "a: [[1]]\n",
            "a: [\"x,y\"]\n",
            "a: {b: {c: 1}}\n",
            "a: [x, ]\n",
            "<<: {a: 1}\n",
            "? a\n: b\n",
            "a: b: c\n",
            "a: 1\n b: 2\n",
            "a:\n    b: 1\n  c: 2\n",
            "  a: 1\nb: 2\n",
            "- a: 1\n  - b\n",
            "a: \"x\"y\n",
            "a: x]\n",
            "a: @x\n",
            "a: `x`\n",
            "a: - x\n",
            "a: ---\n",
            "?a: 1\n",
            "a: :b\n",
            "a: -\n",
            "a: %x\n",
        ] {
            let chunks = split_documents(text);
            let chunk = chunks.last().expect("a chunk");
            let offset = chunk.first_line - 1;
            assert!(parse(chunk.text, offset, chunk.lines).is_none(), "{text:?}");
        }
    }

    #[test]
    fn agrees_on_the_repository_manifests() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut stack = vec![root.join("kubereach"), root.join("load")];
        if let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR") {
            stack.push(dir.into());
        }
        let mut read = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("a directory") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    read += agrees_with_full_parser(text.strip_prefix('\u{feff}').unwrap_or(&text));
                }
            }
        }
        assert!(read > 10, "{read}");
    }

    #[test]
    fn agrees_on_random_documents() {
        // Random lines from a small vocabulary of YAML pieces.
        let pieces = [
            "a: 1",
            "b:",
            "- c",
            "- d: 2",
            "e: [x, 'y']",
            "f: {g: h}",
            "  ",
            "# c",
            "i: \"j\"",
            "k: l # m",
            "-",
            "n: -o",
            "p: q: r",
            "'s': t",
            "u: ~",
            "v: {}",
            "w: []",
            "x: y z",
            "- -x",
            "-  y: 1",
            "z: a #b: c",
            "\"k\": [1, -2, .5]",
            "l: 'm' # n",
            "o: p#q",
            "r: s:t",
            "t: 0x1F",
            "u: yes",
            "v: a b  ",
            "- [a, b]",
            "- 'c'",
            "w: \"\"",
            "x: ''",
            "y: -",
            "z: [a, ]",
            "a: \"b\" c",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut read = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next() % 8 + 1 {
                let indent = (next() % 4) as usize * 2;
                text.push_str(&" ".repeat(indent));
                text.push_str(pieces[next() as usize % pieces.len()]);
                text.push('\n');
            }
            read += agrees_with_full_parser(&text);
        }
        assert!(read > 500, "{read}");
    }
}
