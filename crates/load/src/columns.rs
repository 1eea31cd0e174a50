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
        let text = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
        content_column(text)
    }
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
}
