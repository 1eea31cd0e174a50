//! Reads cluster descriptions into a [`Cluster`]: files and directories of
//! YAML or JSON manifests, `kind: List` and `kubectl get -o yaml|json` dumps,
//! `helm template` and `kustomize build` output, standard input, and a live
//! cluster's API server ([`load_live`]).
//!
//! Loading never fails as a whole: every problem becomes a [`Diagnostic`]
//! with `file:line`, and the documents around a broken one still load.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubereach_core::{Cluster, ClusterBuilder, Diagnostic, Origin};

mod binary;
mod columns;
mod decode;
pub mod fuzz;
mod kinds;
mod live;
mod parallel;
pub mod progress;
mod snapshot;
mod walk;
pub mod yaml;

pub use binary::{BinarySnapshot, SnapshotFileError};
pub use kinds::{lower_document, DocumentOutcome};
pub use live::LiveError;
pub use live::{
    listed_resources, load_live, lower_live, read_live, redact_userinfo, sanitize, LiveObject, LiveOptions,
    LiveRead, LiveSource,
};
pub use live::{sanitize_with, EnvValues};
pub use live::{DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_SIZE};
pub use snapshot::{snapshot_yaml, to_yaml, write_snapshot, SnapshotError};

/// Where to read manifests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file, or a directory read recursively.
    Path(PathBuf),
    /// Standard input (`-f -`).
    Stdin,
}

impl Input {
    /// `-` means standard input, anything else a path.
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// Settings for loading.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Overrides the cluster domain found in the CoreDNS ConfigMap.
    pub cluster_domain: Option<String>,
    /// Files larger than this are refused (a guard against mistakes such as
    /// pointing at a disk image).
    pub max_file_size: u64,
    /// Show how many files have been read on standard error (only when it
    /// is a terminal).
    pub progress: bool,
}

/// The default [`LoadOptions::max_file_size`]: 256 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

impl LoadOptions {
    /// Options with no overrides.
    pub fn new() -> LoadOptions {
        LoadOptions { cluster_domain: None, max_file_size: DEFAULT_MAX_FILE_SIZE, progress: false }
    }
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions::new()
    }
}

/// Loads every input into one cluster. Problems are in
/// [`Cluster::diagnostics`].
pub fn load(inputs: &[Input], options: &LoadOptions) -> Cluster {
    let mut builder = ClusterBuilder::new();
    load_into(inputs, options, &mut builder);
    builder.build()
}

/// Loads every input into `builder`, which may already hold objects (from
/// [`load_live`]).
pub fn load_into(inputs: &[Input], options: &LoadOptions, builder: &mut ClusterBuilder) {
    if let Some(domain) = &options.cluster_domain {
        builder.cluster_domain(domain);
    }
    load_inputs_into(inputs, options, builder);
}

/// [`load_into`] into any sink (a [`BinarySnapshot`] being made).
pub(crate) fn load_inputs_into(inputs: &[Input], options: &LoadOptions, builder: &mut impl kinds::Sink) {
    let mut progress = progress::FileProgress::new(options.progress);
    for input in inputs {
        match input {
            Input::Stdin => {
                let mut bytes = Vec::new();
                // Bounded like a file: `-f - < /dev/zero` must not grow without end.
                let limit = options.max_file_size;
                let stdin = std::io::Read::take(std::io::stdin(), limit.saturating_add(1));
                match std::io::Read::read_to_end(&mut { stdin }, &mut bytes) {
                    Ok(_) if bytes.len() as u64 > limit => {
                        builder.diagnostic(Diagnostic::error(
                            location(None),
                            too_large("standard input is", limit),
                        ));
                    }
                    Ok(_) => load_bytes(None, &bytes, builder),
                    Err(error) => {
                        builder.diagnostic(Diagnostic::error(
                            location(None),
                            format!("cannot read standard input: {error}"),
                        ));
                    }
                }
            }
            Input::Path(path) => load_path(path, options, builder, &mut progress),
        }
    }
    progress.finish();
}

/// Loads one text (a file's content) into `builder`; `name` is the file
/// name to report, `None` for standard input.
pub fn load_str(name: Option<&str>, text: &str, builder: &mut ClusterBuilder) {
    load_text(name, text, builder);
}

/// Loads one file's bytes into `builder`, decoded as [`load`] decodes a
/// file (UTF-8, or UTF-16 with a byte order mark; a document with a byte
/// that is not UTF-8 is left out with an error); `name` is the file name to
/// report, `None` for standard input.
pub fn load_raw(name: Option<&str>, bytes: &[u8], builder: &mut ClusterBuilder) {
    load_bytes(name.map(Path::new), bytes, builder);
}

/// [`load_str`] into any sink (a parsing thread's [`kinds::Recorded`]).
fn load_text(name: Option<&str>, text: &str, builder: &mut impl kinds::Sink) {
    load_decoded(name, text, &[], builder);
}

/// [`load_text`] of a text decoded with `invalid` sequences: the document
/// holding one is left out with an error (`decode`).
fn load_decoded(name: Option<&str>, text: &str, invalid: &[decode::Invalid], builder: &mut impl kinds::Sink) {
    let file: Option<Arc<str>> = name.map(Arc::from);
    // The scanner notices an unclosed bracket at the end of input, one line
    // past the last one: point at the last line instead. Counted only when
    // needed: it is a pass over the whole text.
    let last_line = || text.lines().count().max(1) as u32;
    let mut columns = columns::LineColumns::new(text);
    let mut documents = yaml::documents(text).peekable();
    // The lines of the document being lowered: from the end of the one
    // before (the first from line 1) to the start of the next.
    let mut start = 1;
    while let Some(document) = documents.next() {
        if !invalid.is_empty() {
            let end = documents.peek().map_or(u32::MAX, |next| next.line);
            let lines = std::mem::replace(&mut start, end)..end;
            if let Some(found) = decode::first_within(invalid, lines) {
                let at = kubereach_core::origin::Location::new(name.map(str::to_owned), found.line);
                builder.diagnostic(Diagnostic::error(at, found.message()));
                continue;
            }
        }
        match document.content {
            Err(error) => {
                builder.diagnostic(Diagnostic::error(
                    kubereach_core::origin::Location::new(
                        name.map(str::to_owned),
                        error.line().min(last_line()),
                    ),
                    error.message(),
                ));
            }
            Ok(parsed) => {
                let origin = Origin {
                    file: file.clone(),
                    line: document.line,
                    fields: kubereach_core::origin::FieldLines::from_sorted_with_columns(
                        parsed.fields.iter().map(|(path, line)| (path, line, columns.column(line))),
                    )
                    .into(),
                };
                kinds::lower_document_into(parsed.value, origin, builder);
            }
        }
    }
}

fn location(file: Option<&Path>) -> kubereach_core::origin::Location {
    kubereach_core::origin::Location::new(file.map(|f| f.display().to_string()), 0)
}

fn load_bytes(name: Option<&Path>, bytes: &[u8], builder: &mut impl kinds::Sink) {
    if binary::is_snapshot(bytes) {
        return binary::load(name, bytes, builder);
    }
    let display = name.map(|p| p.display().to_string());
    // Binary files (images, archives) are refused before parsing: the YAML
    // scanner would report a confusing syntax error.
    match decode::decode(bytes) {
        Ok(decoded) => load_decoded(display.as_deref(), &decoded.text, &decoded.invalid, builder),
        Err(reason) => builder.diagnostic(Diagnostic::error(location(name), reason)),
    }
}

fn load_path(
    path: &Path,
    options: &LoadOptions,
    builder: &mut impl kinds::Sink,
    progress: &mut progress::FileProgress,
) {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            builder.diagnostic(Diagnostic::error(location(Some(path)), format!("cannot read: {error}")));
            return;
        }
    };
    if metadata.is_dir() {
        let files = walk::manifest_files(path, builder);
        if files.is_empty() {
            builder.diagnostic(Diagnostic::error(
                location(Some(path)),
                "no manifests found: expected `.yaml`, `.yml` or `.json` files",
            ));
        }
        parallel::load_files(&files, options, builder, progress);
        return;
    }
    progress.file();
    load_file(path, options, builder, &mut Vec::new());
}

fn load_file(path: &Path, options: &LoadOptions, builder: &mut impl kinds::Sink, buffer: &mut Vec<u8>) {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.len() > options.max_file_size => {
            let what = format!("file is {} MiB,", metadata.len() / (1024 * 1024));
            builder
                .diagnostic(Diagnostic::error(location(Some(path)), too_large(&what, options.max_file_size)));
            return;
        }
        _ => {}
    }
    match read_text_file(path, buffer) {
        Ok(true) => load_bytes(Some(path), buffer, builder),
        // Read whole only now: the head showed binary data.
        // Read a part at a time, never whole.
        Ok(false) if binary::is_snapshot(buffer) => binary::load_file(path, builder),
        Ok(false) => {
            builder.diagnostic(Diagnostic::error(location(Some(path)), decode::BINARY_FILE));
        }
        Err(error) => {
            builder.diagnostic(Diagnostic::error(location(Some(path)), format!("cannot read: {error}")));
        }
    }
}

/// `WHAT larger than the limit of N MiB (raise it with `--max-file-size`)`.
fn too_large(what: &str, limit: u64) -> String {
    format!("{what} larger than the limit of {} MiB (raise it with `--max-file-size`)", limit / (1024 * 1024))
}

/// Reads the file into `bytes` (replacing what it held), or only its head
/// when that shows binary data: a large binary file is refused without being
/// read whole. Returns whether the file is text.
fn read_text_file(path: &Path, bytes: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::io::Read;
    bytes.clear();
    let mut file = std::fs::File::open(path)?;
    (&mut file).take(decode::BINARY_PROBE as u64).read_to_end(bytes)?;
    if bytes.contains(&0) && !decode::Encoding::of(bytes).has_nul_bytes() {
        return Ok(false);
    }
    file.read_to_end(bytes)?;
    Ok(true)
}
