//! Escaping of text that comes from the input (names, annotations, the
//! CoreDNS Corefile, an API server's error messages) on its way out, per
//! the destination: a terminal, a CSV cell, a Markdown table cell, a DOT
//! string. Input written to attack whoever reads the output (ANSI colours,
//! OSC 8 links that disguise URLs, window titles, clear-screen, carriage
//! returns that overwrite a line, spreadsheet formulas, forged table
//! columns) comes out as visible, inert text.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every C0 control but newline and tab, DEL and every C1
/// control written as `\x1b` or `\u{9b}`; with `colours`, the colour codes
/// of [`super::terminal::paint`] (and only those) are kept.
pub fn terminal(text: &str, colours: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_control(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if colours && c == '\x1b' {
            if let Some(code) = PAINT_CODES.iter().find(|code| rest.starts_with(*code)) {
                out.push_str(code);
                rest = &rest[code.len()..];
                continue;
            }
        }
        match c {
            '\n' | '\t' => out.push(c),
            c if is_control(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// A CSV cell (RFC 4180): controls escaped, a cell a spreadsheet would
/// run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
/// return; OWASP's "CSV injection") prefixed with `'`, and quoted when it
/// holds a comma, a quote or a line break.
pub fn csv_cell(text: &str) -> String {
    let mut cell = one_line(text, "\\n");
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.insert(0, '\'');
    }
    if cell.contains([',', '"', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// A Markdown table cell: `|` escaped (it would end the cell), a line
/// break as `<br>` (it would end the row), controls escaped.
pub fn markdown_cell(text: &str) -> String {
    one_line(text, "<br>").replace('|', "\\|")
}

/// The inside of a DOT double-quoted string: `\` and `"` escaped (a `"`
/// would end the string and let the rest be read as graph statements), a
/// line break as `\n`, controls escaped.
pub fn dot_string(text: &str) -> String {
    one_line(&text.replace('\\', "\\\\").replace('"', "\\\""), "\\n")
}

/// The colour codes `paint` writes.
const PAINT_CODES: [&str; 5] = ["\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m"];

/// C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    c.is_control()
}

fn push_escaped(out: &mut String, c: char) {
    if (c as u32) < 0x80 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// `text` on one line: line breaks (`\r\n`, `\n`, `\r`) as `line_break`,
/// every other control escaped.
fn one_line(text: &str, line_break: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str(line_break),
            c if is_control(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_every_control_but_newline_and_tab() {
        // A window title (OSC 0), an OSC 8 link, clear-screen, a carriage
        // return, DEL and a C1 CSI.
        let hostile =
            "a\x1b]0;pwned\x07b\x1b]8;;https://evil/\x1b\\ok\x1b]8;;\x1b\\\x1b[2J\rc\x7f\u{9b}31m\n\td";
        assert_eq!(
            terminal(hostile, false),
            "a\\x1b]0;pwned\\x07b\\x1b]8;;https://evil/\\x1b\\ok\\x1b]8;;\\x1b\\\\x1b[2J\\x0dc\\x7f\\u{9b}31m\n\td"
        );
        assert!(matches!(terminal("plain\ttext\n", false), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_keeps_only_the_palette_when_colour_is_on() {
        let painted = "\x1b[31mblocked\x1b[0m \x1b[8mhidden\x1b[0m";
        assert_eq!(terminal(painted, true), "\x1b[31mblocked\x1b[0m \\x1b[8mhidden\x1b[0m");
        assert_eq!(terminal(painted, false), "\\x1b[31mblocked\\x1b[0m \\x1b[8mhidden\\x1b[0m");
    }

    #[test]
    fn csv_cells_are_neither_formulas_nor_broken_rows() {
        assert_eq!(csv_cell("shop/web"), "shop/web");
        assert_eq!(csv_cell("=HYPERLINK(\"http://evil\")"), "\"'=HYPERLINK(\"\"http://evil\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("TCP 80,443"), "\"TCP 80,443\"");
        assert_eq!(csv_cell("a\r\nb\x1b"), "a\\nb\\x1b");
    }

    #[test]
    fn markdown_cells_stay_in_their_column_and_row() {
        assert_eq!(markdown_cell("a | b\nc"), "a \\| b<br>c");
    }

    #[test]
    fn dot_strings_cannot_end_early() {
        assert_eq!(dot_string("x\" -> \"y\\"), "x\\\" -> \\\"y\\\\");
        assert_eq!(dot_string("two\nlines\x07"), "two\\nlines\\x07");
    }
}
