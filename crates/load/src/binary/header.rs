//! The binary snapshot's header: what the file is, which format and which
//! kubereach wrote it, and the table of its parts (each part's length and
//! checksum), so that a file from another version, a truncated or a
//! damaged one is refused with the reason before anything in it is handed
//! to the model.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 11 | [`MAGIC`]: `\x89KRSNAP\r\n\x1a\n` (as PNG's: a transfer that strips the 8th bit or converts line ends changes it) |
//! | 4 | format version ([`FORMAT`]) |
//! | 1 + n | the version of kubereach that wrote it: length, then UTF-8 |
//! | 4 | the number of parts |
//! | 16 × parts | each part's length in bytes and its checksum ([`checksum`]) |
//! | … | the parts, one after the other |
//!
//! Parts are read and checked one at a time (a file is never held whole),
//! and decoded on several threads.

use super::source::Source;

/// The first bytes of every binary snapshot.
pub(crate) const MAGIC: &[u8; 11] = b"\x89KRSNAP\r\n\x1a\n";

/// The first bytes that tell a snapshot from a manifest, even one whose
/// line ends a transfer converted (then refused with that reason).
pub(crate) const MAGIC_PREFIX: &[u8; 7] = b"\x89KRSNAP";

/// The format version: a change of what the content holds or how it is
/// encoded takes the next number.
pub(crate) const FORMAT: u32 = 3;

/// The kubereach version that writes snapshots and reads them.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The bytes before the version's text: magic, format, the version's length.
const FIXED: usize = MAGIC.len() + 4 + 1;

/// Why a file that starts as a snapshot cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotFileError {
    /// The magic bytes were altered: line ends converted, or the 8th bit stripped.
    #[error("a kubereach snapshot whose first bytes were altered (a text transfer converting line ends?): copy it as a binary file, or re-create it")]
    Altered,
    /// Written by another kubereach, or in another format.
    #[error("a kubereach snapshot written by kubereach {written_by} (format {format}); this is kubereach {VERSION} (format {FORMAT}): re-create the snapshot with this version")]
    Version {
        /// The version that wrote it.
        written_by: String,
        /// Its format version.
        format: u32,
    },
    /// Shorter than its own header.
    #[error("a truncated kubereach snapshot: its header is cut short: re-create it")]
    HeaderTruncated,
    /// Shorter than its header says.
    #[error("a truncated kubereach snapshot: {found} bytes of content, {expected} expected: re-create it")]
    Truncated {
        /// The content's length the header gives.
        expected: u64,
        /// What the file holds after its header.
        found: u64,
    },
    /// Longer than its header says.
    #[error("a damaged kubereach snapshot: {extra} bytes after its content: re-create it")]
    TrailingBytes {
        /// Bytes past the content.
        extra: u64,
    },
    /// The content does not match its checksum.
    #[error("a damaged kubereach snapshot: its content does not match its checksum: re-create it")]
    Checksum,
    /// The file could not be read (it changed or vanished while being read).
    #[error("cannot read the snapshot: {0}")]
    Read(String),
    /// A record could not be encoded (writing).
    #[error("cannot encode the snapshot: {0}")]
    Encode(String),
    /// The content could not be decoded (a file whose checksum was made to match).
    #[error("a damaged kubereach snapshot: {0}: re-create it")]
    Content(String),
}

/// One part of the file: where it is, how long, its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    /// From the start of the file.
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) checksum: u64,
}

/// The header and the `parts` of a snapshot, one after the other.
pub(crate) fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let total: usize = parts.iter().map(|part| part.len()).sum();
    let mut bytes = Vec::with_capacity(total + 64 + 16 * parts.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    // A version is a few characters: its length fits a byte.
    let version = &VERSION.as_bytes()[..VERSION.len().min(255)];
    bytes.push(version.len() as u8);
    bytes.extend_from_slice(version);
    // Parts are about a MiB each: their number fits 32 bits.
    bytes.extend_from_slice(&(parts.len() as u32).to_le_bytes());
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&checksum(part).to_le_bytes());
    }
    for part in parts {
        bytes.extend_from_slice(part);
    }
    bytes
}

/// The parts of the snapshot `source` (which starts with [`MAGIC_PREFIX`]),
/// once its header is checked: magic, format, version, and the parts'
/// lengths against the file's. Each part's checksum is checked as it is read.
pub(crate) fn decode(source: &(impl Source + ?Sized)) -> Result<Vec<Part>, SnapshotFileError> {
    let mut buffer = Vec::new();
    let file_length = source.len();
    let cut = || SnapshotFileError::HeaderTruncated;
    let read = |offset: u64, length: usize, buffer: &mut Vec<u8>| -> Result<Vec<u8>, SnapshotFileError> {
        if offset.saturating_add(length as u64) > file_length {
            return Err(cut());
        }
        Ok(source.read(offset, length, buffer).map_err(|e| SnapshotFileError::Read(e.to_string()))?.to_vec())
    };
    let fixed = read(0, FIXED.min(file_length as usize), &mut buffer)?;
    if !fixed.starts_with(MAGIC) {
        return Err(SnapshotFileError::Altered);
    }
    let fixed: [u8; FIXED] = fixed.try_into().map_err(|_| cut())?;
    let format = u32::from_le_bytes([fixed[11], fixed[12], fixed[13], fixed[14]]);
    let version_length = usize::from(fixed[FIXED - 1]);
    let version = read(FIXED as u64, version_length, &mut buffer)?;
    let written_by = String::from_utf8_lossy(&version).into_owned();
    if format != FORMAT || written_by != VERSION {
        return Err(SnapshotFileError::Version { written_by, format });
    }
    let at = (FIXED + version_length) as u64;
    let count = u32::from_le_bytes(read(at, 4, &mut buffer)?.try_into().map_err(|_| cut())?);
    // Checked against the file before the table is read or allocated.
    let table = read(at + 4, (count as usize).saturating_mul(16), &mut buffer)?;
    parts_of(&table, at + 4 + table.len() as u64, file_length)
}

/// The parts the `table` lists, laid out from `start`, their lengths
/// checked against the file's.
fn parts_of(table: &[u8], start: u64, file_length: u64) -> Result<Vec<Part>, SnapshotFileError> {
    let mut parts = Vec::with_capacity(table.len() / 16);
    let mut offset = start;
    for entry in table.chunks_exact(16) {
        let length = u64::from_le_bytes(entry[..8].try_into().unwrap_or_default());
        let checksum = u64::from_le_bytes(entry[8..].try_into().unwrap_or_default());
        parts.push(Part { offset, length, checksum });
        offset = offset.saturating_add(length);
    }
    let expected = offset - start;
    let found = file_length - start;
    if found < expected {
        return Err(SnapshotFileError::Truncated { expected, found });
    }
    if found > expected {
        return Err(SnapshotFileError::TrailingBytes { extra: found - expected });
    }
    Ok(parts)
}

/// The bytes of `part`, read from `source` (into `buffer` for a file) and
/// checked against the part's checksum.
pub(crate) fn read_part<'b>(
    source: &'b (impl Source + ?Sized),
    part: Part,
    buffer: &'b mut Vec<u8>,
) -> Result<&'b [u8], SnapshotFileError> {
    let length = usize::try_from(part.length).map_err(|_| SnapshotFileError::Checksum)?;
    let bytes = source
        .read(part.offset, length, buffer)
        .map_err(|error| SnapshotFileError::Read(error.to_string()))?;
    if checksum(bytes) != part.checksum {
        return Err(SnapshotFileError::Checksum);
    }
    Ok(bytes)
}

/// A 64-bit checksum of `bytes`, eight bytes at a time (FNV-1a's prime on
/// words, rotated): it catches damage, not forgery, at several GB/s.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        hash = (hash ^ word).wrapping_mul(PRIME).rotate_left(23);
    }
    for &byte in words.remainder() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
    }
    hash ^ bytes.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Vec<Part>, SnapshotFileError> {
        super::decode(bytes)
    }

    /// The parts' contents, read back and checked.
    fn contents(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SnapshotFileError> {
        let mut buffer = Vec::new();
        decode(bytes)?.into_iter().map(|part| Ok(read_part(bytes, part, &mut buffer)?.to_vec())).collect()
    }

    #[test]
    fn a_header_reads_back_its_parts() {
        let bytes = encode(&[b"table", b"", b"records"]);
        assert!(bytes.starts_with(MAGIC_PREFIX));
        assert_eq!(contents(&bytes), Ok(vec![b"table".to_vec(), vec![], b"records".to_vec()]));
        assert_eq!(contents(&encode(&[])), Ok(vec![]));
    }

    #[test]
    fn another_version_or_format_is_refused_with_what_wrote_it() {
        let mut bytes = encode(&[b"content"]);
        let at = MAGIC.len() + 4 + 1;
        bytes[at..at + VERSION.len()].copy_from_slice(&b"9".repeat(VERSION.len()));
        let Err(error) = decode(&bytes) else { panic!("read a snapshot of another version") };
        assert_eq!(
            error,
            SnapshotFileError::Version { written_by: "9".repeat(VERSION.len()), format: FORMAT }
        );
        assert!(error.to_string().ends_with("re-create the snapshot with this version"), "{error}");
        let mut bytes = encode(&[b"content"]);
        bytes[MAGIC.len()] = 4;
        assert!(matches!(decode(&bytes), Err(SnapshotFileError::Version { format: 4, .. })));
    }

    /// Snapshots of older formats written by this very version (1: objects
    /// in the snapshot's own enum, field paths as text; 2: one content
    /// read whole, one checksum) are refused too, with both formats named.
    #[test]
    fn an_older_format_of_this_version_is_refused() {
        for old in [1u32, 2] {
            let mut bytes = encode(&[b"content"]);
            bytes[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&old.to_le_bytes());
            let Err(error) = decode(&bytes) else { panic!("read a snapshot of format {old}") };
            assert_eq!(error, SnapshotFileError::Version { written_by: VERSION.to_owned(), format: old });
            let expected = format!(
                "a kubereach snapshot written by kubereach {VERSION} (format {old}); this is kubereach {VERSION} (format {FORMAT}): re-create the snapshot with this version"
            );
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn truncation_damage_and_altered_magic_are_refused() {
        let bytes = encode(&[b"some", b"content"]);
        for cut in 0..bytes.len() {
            assert!(contents(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            decode(&bytes[..bytes.len() - 2]),
            Err(SnapshotFileError::Truncated { expected: 11, found: 9 })
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(SnapshotFileError::TrailingBytes { extra: 1 }));
        for at in [bytes.len() - 1, bytes.len() - 8] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert_eq!(contents(&damaged), Err(SnapshotFileError::Checksum), "byte {at}");
        }
        let converted = [&b"\x89KRSNAP\n\x1a\n"[..], &bytes[MAGIC.len()..]].concat();
        assert_eq!(decode(&converted), Err(SnapshotFileError::Altered));
    }

    /// A part count claiming billions of parts is refused against the
    /// file's length before the table is read or allocated.
    #[test]
    fn a_part_count_past_the_file_is_refused() {
        let mut bytes = encode(&[b"content"]);
        let at = FIXED + VERSION.len();
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bytes), Err(SnapshotFileError::HeaderTruncated));
    }
}
