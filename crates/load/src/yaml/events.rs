//! Parsing one document with the `saphyr-parser` event API, feeding the
//! value builder, and turning the scanner's errors into positions in the
//! whole input.

use saphyr_parser::{Event, Marker, Parser, ScanError};
use serde_json::Map;

use super::builder::{Builder, Container, MapState, Pos};
use super::split::Lines;
use super::{to_u32, Parsed, YamlError};

/// The scanner's message for a tab where it expects block indentation.
const TAB_INDENT_MESSAGE: &str = "tabs disallowed within this context (block indentation)";

/// A YAML error, and whether the scanner/parser raised it (rather than the
/// value builder's limits).
pub(super) struct ChunkError {
    pub(super) error: YamlError,
    pub(super) from_scanner: bool,
    /// For a tab in block indentation, its 1-based line in the chunk.
    pub(super) tab_line: Option<u32>,
}

/// The result of parsing a chunk as YAML.
pub(super) struct YamlOutcome {
    pub(super) result: Result<Parsed, ChunkError>,
    /// Whether, for each line to check, the first event at or after it came
    /// inside a flow collection.
    pub(super) lines_in_flow: bool,
}

/// Lowercases the first letter of a message (unless it starts an acronym) and
/// drops a trailing period.
pub(super) fn tidy_message(message: &str) -> String {
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
        error: YamlError::Syntax {
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
pub(super) fn parse_yaml(text: &str, line_offset: u32, lines: u32, check_lines: &[u32]) -> YamlOutcome {
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
