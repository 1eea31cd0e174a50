//! Binary snapshots (`kubereach snapshot --binary`): a cluster as the
//! loader handed it to the builder, so that reading it again skips YAML
//! parsing and typing, for repeated queries on a large cluster.
//!
//! A snapshot records every call the loader made for the builder
//! ([`crate::kinds::Sink`]: objects with their origins, diagnostics,
//! skipped and unmodelled objects), in order; loading it makes the same
//! calls again, so every command answers as it did from the manifests or
//! the live cluster it was taken from, `file:line:column` included. The
//! content is MessagePack (`rmp-serde`): the typed objects through their
//! own serde implementations, which need a self-describing format
//! (`k8s-openapi` leaves out fields that are `None`); `docs/snapshot.md`
//! says why this encoding. The header ([`header`]) makes a file from
//! another version, a truncated or a damaged one an error naming the file,
//! never a misreading.

mod header;
mod private;
mod read;
mod records;
mod source;

use std::path::Path;

use kubereach_core::origin::Location;
use kubereach_core::unmodelled::UnmodelledRoute;
use kubereach_core::{Diagnostic, Origin, Resource};

pub use header::SnapshotFileError;

use crate::kinds::Sink;
use crate::live::{EnvValues, LiveRead};
use crate::{Input, LoadOptions};
use records::{DiagnosticRecord, FileTable, OriginRef, RecordRef};

/// A part of the file is closed once it holds this many bytes: parts small
/// enough that reading one at a time holds little, large enough that
/// their table and the threads' hand-over cost nothing.
const PART_SIZE: usize = 1 << 20;

/// A binary snapshot being made: the loader's calls, encoded as they come.
pub struct BinarySnapshot {
    /// The closed parts of records.
    parts: Vec<Vec<u8>>,
    /// The part being filled: a MessagePack `array 32` header, its count
    /// written when the part is closed, then the records.
    part: Vec<u8>,
    count: u32,
    part_size: usize,
    files: FileTable,
    diagnostics: Vec<Diagnostic>,
    objects: usize,
    env_values: EnvValues,
    /// The first record that could not be encoded.
    failed: Option<String>,
}

impl BinarySnapshot {
    /// The snapshot of what loading `inputs` gives (files, directories,
    /// standard input), as every command loads them.
    pub fn from_inputs(inputs: &[Input], options: &LoadOptions, env_values: EnvValues) -> BinarySnapshot {
        let mut snapshot = BinarySnapshot::new(env_values);
        crate::load_inputs_into(inputs, options, &mut snapshot);
        snapshot
    }

    /// The snapshot of what was read from a live cluster (its warnings
    /// included, as loading it says them again).
    pub fn from_live(read: LiveRead, env_values: EnvValues) -> BinarySnapshot {
        let mut snapshot = BinarySnapshot::new(env_values);
        crate::live::lower_live_into(read, &mut snapshot);
        snapshot
    }

    fn new(env_values: EnvValues) -> BinarySnapshot {
        BinarySnapshot {
            parts: Vec::new(),
            part: Vec::new(),
            count: 0,
            part_size: PART_SIZE,
            files: FileTable::default(),
            diagnostics: Vec::new(),
            objects: 0,
            env_values,
            failed: None,
        }
    }

    /// What loading reported; each is in the snapshot too.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The objects recorded.
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// The file: header, then the file table and the parts of records.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotFileError> {
        if let Some(reason) = &self.failed {
            return Err(SnapshotFileError::Encode(reason.clone()));
        }
        let names: Vec<&str> = self.files.names().collect();
        let table = rmp_serde::to_vec(&names).map_err(|e| SnapshotFileError::Encode(e.to_string()))?;
        let last = (!self.part.is_empty()).then(|| closed(self.part.clone(), self.count));
        let parts: Vec<&[u8]> = std::iter::once(table.as_slice())
            .chain(self.parts.iter().map(Vec::as_slice))
            .chain(last.as_deref())
            .collect();
        Ok(header::encode(&parts))
    }

    fn record(&mut self, record: &RecordRef<'_>) {
        if self.failed.is_some() {
            return;
        }
        if self.part.is_empty() {
            self.part.extend_from_slice(&[0xdd, 0, 0, 0, 0]);
        }
        // Structs as maps with field names: `k8s-openapi` reads only those.
        let written = rmp_serde::encode::write_named(&mut self.part, record);
        match (written, self.count.checked_add(1)) {
            (Ok(()), Some(count)) => self.count = count,
            (Err(error), _) => self.failed = Some(error.to_string()),
            (_, None) => self.failed = Some("more than 4294967295 records in a part".to_owned()),
        }
        if self.part.len() >= self.part_size {
            let part = std::mem::take(&mut self.part);
            self.parts.push(closed(part, std::mem::take(&mut self.count)));
        }
    }
}

/// A part with its count of records written into its array header.
fn closed(mut part: Vec<u8>, count: u32) -> Vec<u8> {
    part[1..5].copy_from_slice(&count.to_be_bytes());
    part
}

impl Sink for BinarySnapshot {
    fn add(&mut self, mut resource: Resource, origin: Origin) {
        private::strip(&mut resource, self.env_values);
        let origin = OriginRef::of(&origin, &mut self.files);
        self.record(&RecordRef::Add(&resource, origin));
        self.objects += 1;
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.record(&RecordRef::Diagnostic(DiagnosticRecord::of(&diagnostic)));
        self.diagnostics.push(diagnostic);
    }

    fn skip_object(&mut self, kind: &str, api_version: &str, name: (Option<&str>, &str), origin: Origin) {
        let skipped = records::SkipRecord {
            kind: kind.into(),
            api_version: api_version.into(),
            namespace: name.0.map(Into::into),
            name: name.1.into(),
        };
        let origin = OriginRef::of(&origin, &mut self.files);
        self.record(&RecordRef::SkipObject(skipped, origin));
    }

    fn unmodelled_route(&mut self, route: UnmodelledRoute, origin: Origin) {
        let origin = OriginRef::of(&origin, &mut self.files);
        self.record(&RecordRef::UnmodelledRoute(records::UnmodelledRecord::of(&route), origin));
    }
}

/// Whether `bytes` are a binary snapshot (by their first bytes, whatever
/// the file is called).
pub(crate) fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.starts_with(header::MAGIC_PREFIX)
}

/// Loads the snapshot `bytes` into `sink`; a snapshot that cannot be read
/// is an error naming `name` (`None` for standard input).
pub(crate) fn load(name: Option<&Path>, bytes: &[u8], sink: &mut impl Sink) {
    report(name, read::replay(bytes, sink), sink);
}

/// Loads the snapshot file `path` into `sink`, a part at a time.
pub(crate) fn load_file(path: &Path, sink: &mut impl Sink) {
    let result = source::FileSource::open(path)
        .map_err(|error| SnapshotFileError::Read(error.to_string()))
        .and_then(|file| read::replay(&file, sink));
    report(Some(path), result, sink);
}

fn report(name: Option<&Path>, result: Result<(), SnapshotFileError>, sink: &mut impl Sink) {
    if let Err(error) = result {
        let file = name.map(|name| name.display().to_string());
        sink.diagnostic(Diagnostic::error(Location::new(file, 0), error.to_string()));
    }
}

#[cfg(test)]
mod tests;
