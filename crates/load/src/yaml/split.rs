//! Cutting a stream into documents at `---` and `...` lines, before any
//! parsing, so that a syntax error in one document does not hide the others.

use std::borrow::Cow;

/// Removes byte order marks that start a line (left by concatenating files),
/// which the YAML parser rejects inside a stream.
pub(super) fn strip_line_boms(text: &str) -> Cow<'_, str> {
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
pub(super) struct Chunk<'a> {
    pub(super) text: &'a str,
    /// Line of the whole input on which `text` begins.
    pub(super) first_line: u32,
    /// Number of lines in `text`.
    pub(super) lines: u32,
}

/// Where a chunk's content begins.
pub(super) struct Content {
    /// Byte offset of the first content character in the chunk.
    pub(super) offset: usize,
    /// 0-based line of that character within the chunk.
    pub(super) line_index: u32,
    /// 0-based column (in characters) of that character.
    pub(super) column: u32,
}

/// Whether a line (without its line break) is a `---` document start marker.
pub(super) fn is_document_start(line: &str) -> bool {
    let b = line.as_bytes();
    b.starts_with(b"---") && matches!(b.get(3), None | Some(b' ' | b'\t'))
}

/// Whether a line (without its line break) is a `...` document end marker.
pub(super) fn is_document_end(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("...") else {
        return false;
    };
    let trimmed = rest.trim_start_matches([' ', '\t']);
    trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))
}

/// Whether a line holds nothing but white space or a comment.
pub(super) fn is_blank_or_comment(line: &str) -> bool {
    // Bytes, not characters: both blanks are ASCII, and a line is read
    // several times on its way (a pattern of two `char`s costs more).
    let bytes = line.as_bytes();
    bytes.iter().position(|&b| b != b' ' && b != b'\t').is_none_or(|first| bytes[first] == b'#')
}

/// The lines of a text as `(byte offset, line without its break, offset of
/// the next line)`. Line breaks are `\n`, `\r\n` and a lone `\r`, as in
/// YAML.
pub(super) struct Lines<'a> {
    text: &'a str,
    pos: usize,
    /// Whether the text has any `\r` (else a faster search is used).
    has_cr: bool,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Lines<'a> {
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
pub(super) fn split_documents<'a>(text: &'a str) -> Vec<Chunk<'a>> {
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
        if starts_content(line) {
            directives = None;
            continue;
        }
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

/// Whether `line` starts with a character that makes it content for
/// [`split_documents`] (no marker, directive, blank, comment or byte order
/// mark can start so): most lines of a manifest, decided without the
/// checks below.
fn starts_content(line: &str) -> bool {
    line.as_bytes().first().is_some_and(|b| !matches!(b, b'-' | b'.' | b'%' | b'#' | b' ' | b'\t' | 0xEF))
}

/// Finds the first content character of a chunk: past a `---` marker,
/// directives, blank lines and comments. `None` when there is no content.
pub(super) fn find_content(chunk: &str) -> Option<Content> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A line the shortcut calls content is content by the full checks:
    /// no marker, directive, blank line or comment, after any byte order mark.
    #[test]
    fn a_line_the_shortcut_takes_is_content() {
        let lines = [
            "kind: Pod",
            "  name: a",
            "- item",
            "---",
            "--- x",
            "...",
            "... # c",
            "%YAML 1.2",
            "# c",
            "  # c",
            "",
            "\t",
            "\u{feff}---",
            "\u{feff}kind: Pod",
            "é: v",
            "-x",
            ".x",
            "\r",
        ];
        for line in lines {
            if !starts_content(line) {
                continue;
            }
            let line = line.strip_prefix('\u{feff}').unwrap_or(line);
            assert!(!is_document_start(line) && !is_document_end(line), "{line:?}");
            assert!(!line.starts_with('%') && !is_blank_or_comment(line), "{line:?}");
        }
        assert!(["kind: Pod", "é: v", "\r"].into_iter().all(starts_content));
        assert!(!["---", "  name: a", "", "\u{feff}kind: Pod", "# c"].into_iter().any(starts_content));
    }

    #[test]
    fn blank_and_comment_lines() {
        for (line, expected) in
            [("", true), ("  \t ", true), ("# c", true), ("\t # c", true), ("a # c", false), ("  \r", false)]
        {
            assert_eq!(is_blank_or_comment(line), expected, "{line:?}");
        }
    }
}
