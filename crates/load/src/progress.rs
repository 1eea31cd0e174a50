//! Progress of loading manifest files, on standard error and only when it
//! is a terminal: a line counting the files read, redrawn at most ten times
//! a second and erased when loading ends, as the live listing's is.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The progress line of one load.
pub(crate) struct FileProgress {
    enabled: bool,
    files: usize,
    last: Option<Instant>,
}

impl FileProgress {
    /// A progress line, drawn only if `wanted` and standard error is a terminal.
    pub(crate) fn new(wanted: bool) -> FileProgress {
        FileProgress { enabled: wanted && std::io::stderr().is_terminal(), files: 0, last: None }
    }

    /// One more file is being read.
    pub(crate) fn file(&mut self) {
        self.files += 1;
        if !self.enabled {
            return;
        }
        // A terminal redrawn more often than this only flickers.
        if self.last.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(Instant::now());
        let plural = if self.files == 1 { "" } else { "s" };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2Kloading manifests: {} file{plural}", self.files);
        let _ = stderr.flush();
    }

    /// Erases the line.
    pub(crate) fn finish(&self) {
        if self.enabled && self.last.is_some() {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}
