//! [`FieldLines`] through serde as the table is held in memory (binary
//! snapshots): the front-coded text, then the entries as one byte string
//! of 12 bytes each (start, line: `u32`; shared, column: `u16`;
//! little-endian). Reading it back copies the two parts rather than
//! building the table again, and checks every invariant the lookups rely
//! on, so a damaged or crafted input is an error, never a panic or a wrong
//! slice of the text.

use std::borrow::Cow;

use serde::de::Error as _;
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Entry, FieldLines, RESTART};

/// The size of one encoded entry.
const ENTRY_BYTES: usize = 12;

impl Serialize for FieldLines {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries = Vec::with_capacity(self.entries.len() * ENTRY_BYTES);
        for entry in &self.entries {
            entries.extend_from_slice(&entry.start.to_le_bytes());
            entries.extend_from_slice(&entry.line.to_le_bytes());
            entries.extend_from_slice(&entry.shared.to_le_bytes());
            entries.extend_from_slice(&entry.column.to_le_bytes());
        }
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(&*self.text)?;
        tuple.serialize_element(&Bytes(&entries))?;
        tuple.end()
    }
}

/// A byte string (serde writes a `&[u8]` as a sequence of numbers).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// The two parts as read, borrowed from the input where it allows.
#[derive(Deserialize)]
struct Parts<'a>(#[serde(borrow)] Cow<'a, str>, #[serde(borrow)] Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for FieldLines {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FieldLines, D::Error> {
        let Parts(text, entries) = Parts::deserialize(deserializer)?;
        from_parts(&text, &entries).map_err(|reason| D::Error::custom(format!("field lines: {reason}")))
    }
}

/// The table of `text` and encoded `entries`, or why they are not one.
fn from_parts(text: &str, entries: &[u8]) -> Result<FieldLines, String> {
    if !entries.len().is_multiple_of(ENTRY_BYTES) {
        return Err(format!("{} bytes of entries, not a multiple of {ENTRY_BYTES}", entries.len()));
    }
    if u32::try_from(text.len()).is_err() {
        return Err("more than 4 GiB of paths".to_owned());
    }
    let entries: Box<[Entry]> = entries.chunks_exact(ENTRY_BYTES).map(entry).collect();
    let lines = FieldLines { text: text.into(), entries };
    check(&lines)?;
    Ok(lines)
}

fn entry(bytes: &[u8]) -> Entry {
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    Entry { start: u32_at(0), line: u32_at(4), shared: u16_at(8), column: u16_at(10) }
}

/// Checks what [`FieldLines`]'s lookups rely on: each suffix a slice of
/// the text on character boundaries, starts in order; a block's first
/// path stored whole; each shared prefix within the previous path and on
/// one of its character boundaries; the paths in order.
fn check(lines: &FieldLines) -> Result<(), String> {
    let (mut previous, mut path) = (String::new(), String::new());
    for (index, entry) in lines.entries.iter().enumerate() {
        let end = lines.entries.get(index + 1).map_or(lines.text.len(), |next| next.start as usize);
        let suffix = lines
            .text
            .get(entry.start as usize..end)
            .ok_or_else(|| format!("entry {index}: its path is not a slice of the text"))?;
        let shared = usize::from(entry.shared);
        if (index % RESTART == 0 && shared != 0) || !previous.is_char_boundary(shared) {
            return Err(format!("entry {index}: a prefix of {shared} bytes shared with the path before"));
        }
        path.clear();
        path.push_str(&previous[..shared]);
        path.push_str(suffix);
        if index > 0 && path < previous {
            return Err(format!("entry {index}: paths out of order"));
        }
        std::mem::swap(&mut previous, &mut path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FieldLines {
        let mut paths: Vec<String> = (0..40).map(|i| format!("spec.ports[{i}].port")).collect();
        paths.extend(["", "metadata.name", "spec.é.ü"].map(str::to_owned));
        paths.sort();
        FieldLines::from_sorted_with_columns(paths.iter().enumerate().map(|(i, p)| (p.as_str(), i as u32, 3)))
    }

    fn encoded(lines: &FieldLines) -> (String, Vec<u8>) {
        let value = serde_json::to_value(lines).unwrap();
        let text = value[0].as_str().unwrap().to_owned();
        let entries = value[1].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as u8).collect();
        (text, entries)
    }

    #[test]
    fn a_table_reads_back_as_it_was_written() {
        let lines = table();
        let (text, entries) = encoded(&lines);
        assert_eq!(entries.len(), lines.len() * ENTRY_BYTES);
        assert_eq!(from_parts(&text, &entries), Ok(lines.clone()));
        assert_eq!(from_parts("", &[]), Ok(FieldLines::default()));
    }

    /// Reads `text` and `entries` back: an error, or a table whose every
    /// lookup works (never a panic).
    fn read_or_refuse(text: &str, entries: &[u8]) -> bool {
        let Ok(read) = from_parts(text, entries) else { return false };
        let paths = read.to_triples();
        for (path, _, _) in &paths {
            assert!(read.get(path).is_some() || paths.iter().filter(|(p, _, _)| p == path).count() > 1);
        }
        let _ = (read.get("spec.ports[7].port"), read.below("spec"), read.below("spec.ports[3]"));
        true
    }

    #[test]
    fn damaged_parts_are_errors_not_panics() {
        let lines = table();
        let (text, entries) = encoded(&lines);
        assert!(from_parts(&text, &entries[1..]).unwrap_err().contains("not a multiple of 12"));
        for at in 0..entries.len() {
            for value in [0, 1, 0x7f, 0x80, 0xff] {
                let mut damaged = entries.clone();
                damaged[at] = value;
                read_or_refuse(&text, &damaged);
            }
        }
        for cut in (0..text.len()).filter(|&cut| text.is_char_boundary(cut)) {
            read_or_refuse(&text[..cut], &entries);
        }
        assert!(!read_or_refuse(&text[..text.len() / 2], &entries), "most of the paths gone");
        let mut swapped = entries.clone();
        swapped[12..24].copy_from_slice(&entries[24..36]);
        swapped[24..36].copy_from_slice(&entries[12..24]);
        assert!(!read_or_refuse(&text, &swapped), "suffixes out of the text's order");
        let (text, entries) = encoded(&FieldLines::from_sorted([("b", 1), ("a", 2)]));
        assert_eq!(from_parts(&text, &entries), Err("entry 1: paths out of order".to_owned()));
        let (text, mut entries) = encoded(&FieldLines::from_sorted([("é", 1), ("éa", 2)]));
        entries[12 + 8] = 1;
        assert!(from_parts(&text, &entries).unwrap_err().contains("a prefix of 1 bytes"), "inside `é`");
    }
}
