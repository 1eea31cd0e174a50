//! The column of a field's line, recorded while loading so findings print
//! `file:line:column` without reading the file again (and from standard
//! input too).

/// Finds lines of one text by number; the index of line starts is built
/// the first time a column is asked for, in one pass.
pub(crate) struct LineColumns<'a> {
    text: &'a str,
    starts: Vec<u32>,
}

impl<'a> LineColumns<'a> {
    pub(crate) fn new(text: &'a str) -> LineColumns<'a> {
        LineColumns { text, starts: Vec::new() }
    }

    /// The 1-based column where the content of 1-based `line` starts: after
    /// the indentation and, on a sequence item, after its `- ` (where the
    /// item's first key is). 0 when the line does not exist.
    pub(crate) fn column(&mut self, line: u32) -> u32 {
        if self.starts.is_empty() {
            self.starts.push(0);
            let newlines = self.text.bytes().enumerate().filter(|(_, b)| *b == b'\n');
            self.starts.extend(newlines.map(|(at, _)| (at + 1) as u32));
        }
        let Some(&start) = (line as usize).checked_sub(1).and_then(|index| self.starts.get(index)) else {
            return 0;
        };
        let rest = &self.text[start as usize..];
        if let Some(column) = ascii_content_column(rest.as_bytes()) {
            return column;
        }
        let text = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
        content_column(text)
    }
}

/// [`content_column`] of the line `rest` starts with, for the common line
/// (indented with spaces, an optional `- ` and spaces, then a printable
/// ASCII character) without finding the line's end or counting characters:
/// every field's line is asked for, and this is most of what loading a
/// small cluster spends on columns. `None` for any other line (tabs,
/// non-ASCII white space, a blank line), which [`content_column`] answers.
fn ascii_content_column(rest: &[u8]) -> Option<u32> {
    let spaces = |from: usize| from + rest[from..].iter().take_while(|&&b| b == b' ').count();
    let mut at = spaces(0);
    if rest[at..].starts_with(b"- ") {
        at = spaces(at + 2);
    }
    // Past the spaces, a character `trim_start` keeps: all bytes before it
    // are ASCII, so the column is their count.
    let next = *rest.get(at)?;
    ((b'!'..=b'~').contains(&next)).then(|| u32::try_from(at + 1).unwrap_or(u32::MAX))
}

/// The column of the content of one line (see [`LineColumns::column`]).
fn content_column(line: &str) -> u32 {
    let indent = line.len() - line.trim_start().len();
    let item = match line[indent..].strip_prefix("- ") {
        Some(after) => 2 + (after.len() - after.trim_start().len()),
        None => 0,
    };
    (line[..indent + item].chars().count() + 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_after_indentation_and_item_dash() {
        let text = "apiVersion: v1\r\nspec:\n  ports:\n    -   port: 80\n\t- x\n-\n";
        let mut columns = LineColumns::new(text);
        let found: Vec<u32> = (0..=8).map(|line| columns.column(line)).collect();
        assert_eq!(found, [0, 1, 1, 3, 9, 4, 1, 1, 0]);
    }

    /// The shortcut for ASCII lines gives the column the general rule
    /// gives, and leaves every other line to it.
    #[test]
    fn the_ascii_shortcut_agrees_with_the_general_rule() {
        let lines = [
            "key: v",
            "    key: v",
            "  - name: a",
            "  -   name: a",
            "- x",
            "-x",
            "  -\tx",
            "\tkey: v",
            "  \u{3000}key: v",
            "  é: v",
            "   ",
            "  - ",
            "",
            "  key: v\r",
            "  \r",
        ];
        for line in lines {
            let general = content_column(line.trim_end_matches('\r'));
            for end in ["", "\n", "\nnext: line\n"] {
                let text = format!("{line}{end}");
                if let Some(column) = ascii_content_column(text.as_bytes()) {
                    assert_eq!(column, general, "{line:?}");
                }
                assert_eq!(LineColumns::new(&text).column(1), general, "{line:?}");
            }
        }
        for taken in ["key: v", "  - name: a", "-x"] {
            assert!(ascii_content_column(taken.as_bytes()).is_some(), "{taken:?}");
        }
        for left in ["\tkey: v", "  \u{3000}key: v", "  é: v", "   ", "  - ", "", "  \r"] {
            assert_eq!(ascii_content_column(left.as_bytes()), None, "{left:?}");
        }
    }
}
