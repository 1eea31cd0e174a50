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
mod records;

use std::path::Path;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::Deserialize;

use kubereach_core::origin::Location;
use kubereach_core::unmodelled::UnmodelledRoute;
use kubereach_core::{Diagnostic, Origin, Resource};

pub use header::SnapshotFileError;

use crate::kinds::Sink;
use crate::live::{EnvValues, LiveRead};
use crate::{Input, LoadOptions};
use records::{DiagnosticRecord, FileTable, OriginRef, Record, RecordRef};

/// How deep the content may nest: the typed objects nest a few dozen
/// levels; a crafted file must not exhaust the stack.
const MAX_DEPTH: usize = 256;

/// A binary snapshot being made: the loader's calls, encoded as they come.
pub struct BinarySnapshot {
    records: Vec<u8>,
    count: u32,
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
            records: Vec::new(),
            count: 0,
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

    /// The file: header, then the file table and the records.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotFileError> {
        if let Some(reason) = &self.failed {
            return Err(SnapshotFileError::Encode(reason.clone()));
        }
        let names: Vec<&str> = self.files.names().collect();
        let mut content = rmp_serde::to_vec(&names).map_err(|e| SnapshotFileError::Encode(e.to_string()))?;
        // A MessagePack `array 32` header: the records follow, encoded.
        content.push(0xdd);
        content.extend_from_slice(&self.count.to_be_bytes());
        content.extend_from_slice(&self.records);
        Ok(header::encode(&content))
    }

    fn record(&mut self, record: &RecordRef<'_>) {
        if self.failed.is_some() {
            return;
        }
        // Structs as maps with field names: `k8s-openapi` reads only those.
        let written = rmp_serde::encode::write_named(&mut self.records, record);
        match (written, self.count.checked_add(1)) {
            (Ok(()), Some(count)) => self.count = count,
            (Err(error), _) => self.failed = Some(error.to_string()),
            (_, None) => self.failed = Some("more than 4294967295 records".to_owned()),
        }
    }
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
    if let Err(error) = replay(bytes, sink) {
        let file = name.map(|name| name.display().to_string());
        sink.diagnostic(Diagnostic::error(Location::new(file, 0), error.to_string()));
    }
}

/// Reads a snapshot (header checked first) and makes its calls on `sink`.
fn replay(bytes: &[u8], sink: &mut impl Sink) -> Result<(), SnapshotFileError> {
    let content = header::decode(bytes)?;
    let damaged = |error: rmp_serde::decode::Error| SnapshotFileError::Content(error.to_string());
    let mut deserializer = rmp_serde::Deserializer::from_read_ref(content);
    deserializer.set_max_depth(MAX_DEPTH);
    let names = Vec::<String>::deserialize(&mut deserializer).map_err(damaged)?;
    let files = FileTable::from_names(names);
    Replay { files: &files, sink }.deserialize(&mut deserializer).map_err(damaged)
}

/// The records, each handed to the sink as soon as it is read.
struct Replay<'a, S> {
    files: &'a FileTable,
    sink: &'a mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for Replay<'_, S> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for Replay<'_, S> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("the records of a snapshot")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut records: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(record) = records.next_element::<Record<'de>>()? {
            apply(record, self.files, self.sink)
                .map_err(|reason| serde::de::Error::custom(format!("record {index}: {reason}")))?;
            index += 1;
        }
        Ok(())
    }
}

fn apply(record: Record<'_>, files: &FileTable, sink: &mut impl Sink) -> Result<(), String> {
    match record {
        Record::Add(object, origin) => sink.add(object, origin.into_origin(files)?),
        Record::Diagnostic(diagnostic) => sink.diagnostic(diagnostic.into_diagnostic()?),
        Record::SkipObject(skipped, origin) => {
            let name = (skipped.namespace.as_deref(), &*skipped.name);
            sink.skip_object(&skipped.kind, &skipped.api_version, name, origin.into_origin(files)?);
        }
        Record::UnmodelledRoute(route, origin) => {
            sink.unmodelled_route(route.into_route()?, origin.into_origin(files)?)
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
