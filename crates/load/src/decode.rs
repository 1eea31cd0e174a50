//! From a file's (or standard input's) bytes to text.
//!
//! Manifests are UTF-8 (YAML 1.2, 5.2 "Character Encodings", also allows
//! UTF-16 and UTF-32, told apart by a byte order mark). Windows tools write
//! UTF-16 with a byte order mark: PowerShell's `>` and `Out-File` (before
//! PowerShell 7) turn `kubectl get -o yaml > dump.yaml` into UTF-16 LE, so
//! UTF-16 LE and BE with a byte order mark are decoded here; a UTF-8 byte
//! order mark is dropped. A byte that is not UTF-8 (a Latin-1 `é`) spoils
//! only the document it is in: it is kept as U+FFFD and listed in
//! [`Text::invalid`], and the loader leaves that document out with an
//! error at its line, as kubectl, which splits the stream into documents
//! before decoding each, fails only that document.

use std::borrow::Cow;

/// Decoded text, and where it was not valid.
pub(crate) struct Text<'a> {
    /// The text, without a byte order mark; each invalid sequence is one
    /// U+FFFD.
    pub text: Cow<'a, str>,
    /// The places that were not valid, by line.
    pub invalid: Vec<Invalid>,
}

/// A byte sequence that is not valid text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What is there (``byte `0xE9` ``).
    pub what: String,
    /// The encoding it is not valid in.
    pub encoding: Encoding,
}

impl Invalid {
    /// The error for the document the sequence is in.
    pub(crate) fn message(&self) -> String {
        format!(
            "not valid {} text: {} at column {}; the document is left out",
            self.encoding.name(),
            self.what,
            self.column
        )
    }
}

/// Why bytes are refused as a whole.
pub(crate) const BINARY_FILE: &str = "not a text file: it contains binary data";
/// How much of a file is looked at for NUL bytes (which mean binary data
/// in UTF-8), so that a large binary file is refused after reading its head.
pub(crate) const BINARY_PROBE: usize = 8192;
const UTF32: &str = "UTF-32 text is not supported: save the file as UTF-8";

/// The encoding of `bytes` by its byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32,
}

impl Encoding {
    /// The encoding a byte order mark at the start of `bytes` names, UTF-8
    /// without one.
    pub(crate) fn of(bytes: &[u8]) -> Encoding {
        match bytes {
            [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => Encoding::Utf32,
            [0xFF, 0xFE, ..] => Encoding::Utf16Le,
            [0xFE, 0xFF, ..] => Encoding::Utf16Be,
            _ => Encoding::Utf8,
        }
    }

    /// The name used in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf32 => "UTF-32",
        }
    }

    /// Whether NUL bytes are part of the text (so do not mean binary data).
    pub(crate) fn has_nul_bytes(self) -> bool {
        !matches!(self, Encoding::Utf8)
    }
}

/// Decodes `bytes` by their byte order mark, or refuses them with the
/// reason (binary data, UTF-32).
pub(crate) fn decode(bytes: &[u8]) -> Result<Text<'_>, &'static str> {
    match Encoding::of(bytes) {
        Encoding::Utf32 => Err(UTF32),
        Encoding::Utf16Le => Ok(utf16(&bytes[2..], Encoding::Utf16Le, u16::from_le_bytes)),
        Encoding::Utf16Be => Ok(utf16(&bytes[2..], Encoding::Utf16Be, u16::from_be_bytes)),
        Encoding::Utf8 if bytes[..bytes.len().min(BINARY_PROBE)].contains(&0) => Err(BINARY_FILE),
        Encoding::Utf8 => Ok(utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))),
    }
}

fn utf8(bytes: &[u8]) -> Text<'_> {
    let first = match std::str::from_utf8(bytes) {
        Ok(text) => return Text { text: Cow::Borrowed(text), invalid: Vec::new() },
        Err(error) => error,
    };
    let mut out = TextBuilder::new(Encoding::Utf8);
    let mut rest = bytes;
    let mut error = Some(first);
    while let Some(found) = error {
        let (valid, after) = rest.split_at(found.valid_up_to());
        out.push_str(std::str::from_utf8(valid).unwrap_or_default());
        // `None`: the input ends inside a sequence.
        let len = found.error_len().unwrap_or(after.len());
        out.push_invalid(format!("byte `0x{:02X}`", after[0]));
        rest = &after[len..];
        error = std::str::from_utf8(rest).err();
    }
    out.push_str(std::str::from_utf8(rest).unwrap_or_default());
    out.finish()
}

fn utf16(bytes: &[u8], encoding: Encoding, unit: fn([u8; 2]) -> u16) -> Text<'static> {
    let units = bytes.chunks(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        // An odd byte at the end: not a whole code unit.
        _ => 0xDC00,
    });
    let mut out = TextBuilder::new(encoding);
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => out.push_char(c),
            Err(error) => {
                out.push_invalid(format!("unpaired surrogate `{:#06x}`", error.unpaired_surrogate()))
            }
        }
    }
    out.finish()
}

/// Text being built, and the invalid sequences met, the first of each
/// line (the document of a line is left out for any of them).
struct TextBuilder {
    encoding: Encoding,
    text: String,
    invalid: Vec<Invalid>,
    /// Lines counted in `text[..counted]`, and where the last one starts:
    /// counted as the text grows, so many invalid bytes cost one pass.
    counted: usize,
    line: usize,
    line_start: usize,
}

impl TextBuilder {
    fn new(encoding: Encoding) -> TextBuilder {
        TextBuilder { encoding, text: String::new(), invalid: Vec::new(), counted: 0, line: 0, line_start: 0 }
    }

    fn push_str(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn push_char(&mut self, c: char) {
        self.text.push(c);
    }

    fn push_invalid(&mut self, what: String) {
        for (i, _) in self.text[self.counted..].match_indices('\n') {
            self.line += 1;
            self.line_start = self.counted + i + 1;
        }
        self.counted = self.text.len();
        let line = to_u32(self.line + 1);
        if self.invalid.last().is_none_or(|last| last.line != line) {
            let column = to_u32(self.text[self.line_start..].chars().count() + 1);
            self.invalid.push(Invalid { line, column, what, encoding: self.encoding });
        }
        self.text.push(char::REPLACEMENT_CHARACTER);
    }

    fn finish(self) -> Text<'static> {
        Text { text: Cow::Owned(self.text), invalid: self.invalid }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The first of `invalid` (sorted by line) on a line of `lines`.
pub(crate) fn first_within(invalid: &[Invalid], lines: std::ops::Range<u32>) -> Option<&Invalid> {
    invalid.iter().find(|i| lines.contains(&i.line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    fn utf16be(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        bytes
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let text = "kind: Pod\nmetadata: {name: café}\n";
        for bytes in [utf16le(text), utf16be(text)] {
            let decoded = decode(&bytes).unwrap();
            assert_eq!(decoded.text, text);
            assert!(decoded.invalid.is_empty());
        }
        assert_eq!(Encoding::of(&utf16le(text)).name(), "UTF-16LE");
        assert_eq!(Encoding::of(&utf16be(text)).name(), "UTF-16BE");
    }

    #[test]
    fn a_utf8_byte_order_mark_is_dropped() {
        let decoded = decode(b"\xEF\xBB\xBFkind: Pod\n").unwrap();
        assert_eq!(decoded.text, "kind: Pod\n");
        assert!(matches!(decoded.text, Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_is_located_and_replaced() {
        let decoded = decode(b"a: 1\nname: caf\xe9\nb: \xff\xfe2\n").unwrap();
        assert_eq!(decoded.text, "a: 1\nname: caf\u{fffd}\nb: \u{fffd}\u{fffd}2\n");
        let at = |i: &Invalid| (i.line, i.column, i.what.clone());
        assert_eq!(
            decoded.invalid.iter().map(at).collect::<Vec<_>>(),
            [(2, 10, "byte `0xE9`".to_owned()), (3, 4, "byte `0xFF`".to_owned())]
        );
        assert_eq!(
            decoded.invalid[0].message(),
            "not valid UTF-8 text: byte `0xE9` at column 10; the document is left out"
        );
        // A sequence cut off by the end of the input.
        assert_eq!(decode(b"a: \xe2\x82").unwrap().invalid.len(), 1);
    }

    #[test]
    fn an_unpaired_surrogate_is_located() {
        let mut bytes = utf16le("a: 1\nb: ");
        bytes.extend([0x00, 0xD8, b'x', 0]);
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.text, "a: 1\nb: \u{fffd}x");
        assert_eq!(decoded.invalid[0].what, "unpaired surrogate `0xd800`");
        assert_eq!((decoded.invalid[0].line, decoded.invalid[0].column), (2, 4));
    }

    #[test]
    fn binary_data_and_utf32_are_refused() {
        assert_eq!(decode(b"kind: Pod\n\0\0").err(), Some(BINARY_FILE));
        assert_eq!(decode(b"\xFF\xFE\0\0k\0\0\0").err(), Some(UTF32));
    }

    #[test]
    fn first_within_finds_the_document_of_a_line() {
        let invalid = decode(b"a\nb\n\xff\n").unwrap().invalid;
        assert!(first_within(&invalid, 1..3).is_none());
        assert_eq!(first_within(&invalid, 3..u32::MAX).map(|i| i.line), Some(3));
    }
}
