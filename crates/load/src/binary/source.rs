//! Where a snapshot is read from: bytes already in memory (standard
//! input), or a file read a part at a time, so that loading never holds
//! the whole file besides the model it becomes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;

/// Bytes at an offset, by reference for bytes in memory, through a
/// caller's buffer for a file. Shared by the decoding threads.
pub(crate) trait Source: Sync {
    /// The length of the whole snapshot.
    fn len(&self) -> u64;

    /// `length` bytes from `offset`, which the caller checked are within [`Source::len`].
    fn read<'b>(&'b self, offset: u64, length: usize, buffer: &'b mut Vec<u8>) -> std::io::Result<&'b [u8]>;
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read<'b>(&'b self, offset: u64, length: usize, _: &'b mut Vec<u8>) -> std::io::Result<&'b [u8]> {
        usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(length)?))
            .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// A snapshot file, its length taken when it was opened: a file that
/// changes while being read is an error (a read cut short, or a part whose
/// checksum does not match), never a misreading.
pub(crate) struct FileSource {
    file: Mutex<File>,
    length: u64,
}

impl FileSource {
    pub(crate) fn open(path: &std::path::Path) -> std::io::Result<FileSource> {
        let file = File::open(path)?;
        let length = file.metadata()?.len();
        Ok(FileSource { file: Mutex::new(file), length })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.length
    }

    fn read<'b>(&'b self, offset: u64, length: usize, buffer: &'b mut Vec<u8>) -> std::io::Result<&'b [u8]> {
        // The caller checked `length` against the file's: a buffer as large
        // as the part, reused from part to part.
        buffer.clear();
        buffer.resize(length, 0);
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buffer)?;
        Ok(buffer)
    }
}
