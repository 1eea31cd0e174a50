//! The binary snapshot's header: what the file is, which format and which
//! kubereach wrote it, how long its content is and its checksum, so that a
//! file from another version, a truncated or a damaged one is refused with
//! the reason before anything in it is read.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 11 | [`MAGIC`]: `\x89KRSNAP\r\n\x1a\n` (as PNG's: a transfer that strips the 8th bit or converts line ends changes it) |
//! | 4 | format version ([`FORMAT`]) |
//! | 1 + n | the version of kubereach that wrote it: length, then UTF-8 |
//! | 8 | the content's length in bytes |
//! | 8 | the content's checksum ([`checksum`]) |
//! | … | the content |

/// The first bytes of every binary snapshot.
pub(crate) const MAGIC: &[u8; 11] = b"\x89KRSNAP\r\n\x1a\n";

/// The first bytes that tell a snapshot from a manifest, even one whose
/// line ends a transfer converted (then refused with that reason).
pub(crate) const MAGIC_PREFIX: &[u8; 7] = b"\x89KRSNAP";

/// The format version: a change of what the content holds or how it is
/// encoded takes the next number.
pub(crate) const FORMAT: u32 = 2;

/// The kubereach version that writes snapshots and reads them.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

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
    /// A record could not be encoded (writing).
    #[error("cannot encode the snapshot: {0}")]
    Encode(String),
    /// The content could not be decoded (a file whose checksum was made to match).
    #[error("a damaged kubereach snapshot: {0}: re-create it")]
    Content(String),
}

/// The header and content of a snapshot.
pub(crate) fn encode(content: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(content.len() + 64);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    // A version is a few characters: its length fits a byte.
    let version = &VERSION.as_bytes()[..VERSION.len().min(255)];
    bytes.push(version.len() as u8);
    bytes.extend_from_slice(version);
    bytes.extend_from_slice(&(content.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&checksum(content).to_le_bytes());
    bytes.extend_from_slice(content);
    bytes
}

/// The content of the snapshot `bytes` (which start with [`MAGIC_PREFIX`]),
/// once its header is checked: magic, format, version, length, checksum.
pub(crate) fn decode(bytes: &[u8]) -> Result<&[u8], SnapshotFileError> {
    let mut rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or(SnapshotFileError::Altered)?;
    let cut = || SnapshotFileError::HeaderTruncated;
    let format = u32::from_le_bytes(take(&mut rest, 4).ok_or_else(cut)?.try_into().map_err(|_| cut())?);
    let length = take(&mut rest, 1).ok_or_else(cut)?[0];
    let written_by =
        String::from_utf8_lossy(take(&mut rest, usize::from(length)).ok_or_else(cut)?).into_owned();
    if format != FORMAT || written_by != VERSION {
        return Err(SnapshotFileError::Version { written_by, format });
    }
    let expected = read_u64(&mut rest).ok_or_else(cut)?;
    let sum = read_u64(&mut rest).ok_or_else(cut)?;
    let found = rest.len() as u64;
    if found < expected {
        return Err(SnapshotFileError::Truncated { expected, found });
    }
    if found > expected {
        return Err(SnapshotFileError::TrailingBytes { extra: found - expected });
    }
    if checksum(rest) != sum {
        return Err(SnapshotFileError::Checksum);
    }
    Ok(rest)
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (taken, after) = rest.split_at(n);
    *rest = after;
    Some(taken)
}

fn read_u64(rest: &mut &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(take(rest, 8)?.try_into().ok()?))
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

    #[test]
    fn a_header_reads_back_its_content() {
        let bytes = encode(b"content");
        assert!(bytes.starts_with(MAGIC_PREFIX));
        assert_eq!(decode(&bytes), Ok(&b"content"[..]));
    }

    #[test]
    fn another_version_or_format_is_refused_with_what_wrote_it() {
        let mut bytes = encode(b"content");
        let at = MAGIC.len() + 4 + 1;
        bytes[at..at + VERSION.len()].copy_from_slice(&b"9".repeat(VERSION.len()));
        let Err(error) = decode(&bytes) else { panic!("read a snapshot of another version") };
        assert_eq!(
            error,
            SnapshotFileError::Version { written_by: "9".repeat(VERSION.len()), format: FORMAT }
        );
        assert!(error.to_string().ends_with("re-create the snapshot with this version"), "{error}");
        let mut bytes = encode(b"content");
        bytes[MAGIC.len()] = 3;
        assert!(matches!(decode(&bytes), Err(SnapshotFileError::Version { format: 3, .. })));
    }

    /// A snapshot of an older format (1: objects in the snapshot's own
    /// enum, field paths as text) written by this very version is refused
    /// too, with both formats named.
    #[test]
    fn an_older_format_of_this_version_is_refused() {
        let mut bytes = encode(b"content");
        bytes[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&1u32.to_le_bytes());
        let Err(error) = decode(&bytes) else { panic!("read a snapshot of format 1") };
        assert_eq!(error, SnapshotFileError::Version { written_by: VERSION.to_owned(), format: 1 });
        let expected = format!(
            "a kubereach snapshot written by kubereach {VERSION} (format 1); this is kubereach {VERSION} (format {FORMAT}): re-create the snapshot with this version"
        );
        assert_eq!(error.to_string(), expected);
    }

    #[test]
    fn truncation_damage_and_altered_magic_are_refused() {
        let bytes = encode(b"some content");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            decode(&bytes[..bytes.len() - 2]),
            Err(SnapshotFileError::Truncated { expected: 12, found: 10 })
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(SnapshotFileError::TrailingBytes { extra: 1 }));
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&damaged), Err(SnapshotFileError::Checksum));
        let converted = [&b"\x89KRSNAP\n\x1a\n"[..], &bytes[MAGIC.len()..]].concat();
        assert_eq!(decode(&converted), Err(SnapshotFileError::Altered));
    }
}
