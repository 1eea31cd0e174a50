//! Progress lines on standard error, only when it is a terminal: rewritten
//! in place at most ten times a second and erased when the work ends. The
//! loaders count the manifest files read with one; `lab up` counts the
//! namespaces it creates.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// One progress line.
pub struct ProgressLine {
    enabled: bool,
    last: Option<Instant>,
}

impl ProgressLine {
    /// A line, drawn only if `wanted` and standard error is a terminal.
    pub fn new(wanted: bool) -> ProgressLine {
        ProgressLine { enabled: wanted && std::io::stderr().is_terminal(), last: None }
    }

    /// Shows `text()` in place of the line, unless it was drawn less than
    /// a tenth of a second ago (a terminal redrawn more often only
    /// flickers); `text` is only called when the line is drawn.
    pub fn draw(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled || self.last.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(Instant::now());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{}", text());
        let _ = stderr.flush();
    }

    /// Erases the line, if it was drawn.
    pub fn finish(&self) {
        if self.enabled && self.last.is_some() {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

/// The progress of loading manifest files: a count of the files read.
pub(crate) struct FileProgress {
    line: ProgressLine,
    files: usize,
}

impl FileProgress {
    /// A progress line, drawn only if `wanted` and standard error is a terminal.
    pub(crate) fn new(wanted: bool) -> FileProgress {
        FileProgress { line: ProgressLine::new(wanted), files: 0 }
    }

    /// One more file is being read.
    pub(crate) fn file(&mut self) {
        self.files += 1;
        let files = self.files;
        self.line.draw(|| {
            let plural = if files == 1 { "" } else { "s" };
            format!("loading manifests: {files} file{plural}")
        });
    }

    /// Erases the line.
    pub(crate) fn finish(&self) {
        self.line.finish();
    }
}
