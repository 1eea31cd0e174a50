//! Tabs before the content of a line inside a flow collection nested in a
//! block one: Go's YAML library (kubectl) accepts them, `saphyr-parser`
//! does not; the lines are re-indented with spaces and parsed again.

use super::events::{parse_yaml, ChunkError};
use super::split::{is_blank_or_comment, Chunk, Lines};
use super::Parsed;

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
pub(super) fn untab_and_parse(text: &str, chunk: &Chunk<'_>, line: u32) -> Option<Parsed> {
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
