//! Reading a snapshot: its parts read, checked against their checksums and
//! decoded on several threads, each into a [`Recorded`] list; the lists are
//! handed to the sink in the parts' order only once every part has been
//! read, so a damaged part anywhere gives an error and no object at all.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use super::header::{self, Part, SnapshotFileError};
use super::records::{FileTable, Record};
use super::source::Source;
use crate::kinds::{Recorded, Sink};

/// How deep the content may nest: the typed objects nest a few dozen
/// levels; a crafted file must not exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Parts decoded at once, at most, whatever the machine has.
const MAX_THREADS: usize = 4;

/// Reads a snapshot (header checked first) and makes its calls on `sink`.
pub(super) fn replay(source: &(impl Source + ?Sized), sink: &mut impl Sink) -> Result<(), SnapshotFileError> {
    let parts = header::decode(source)?;
    let Some((&table, records)) = parts.split_first() else {
        return Err(SnapshotFileError::Content("no file table".to_owned()));
    };
    let mut buffer = Vec::new();
    let bytes = header::read_part(source, table, &mut buffer)?;
    let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes);
    deserializer.set_max_depth(MAX_DEPTH);
    let names = Vec::<String>::deserialize(&mut deserializer)
        .map_err(|error| SnapshotFileError::Content(format!("the file table: {error}")))?;
    at_end(&mut deserializer)
        .map_err(|reason| SnapshotFileError::Content(format!("the file table: {reason}")))?;
    drop(buffer);
    let files = FileTable::from_names(names);
    for recorded in decode_parts(source, records, &files)? {
        recorded.replay(sink);
    }
    Ok(())
}

/// The records of every part, in order; the first damaged part's error.
fn decode_parts(
    source: &(impl Source + ?Sized),
    parts: &[Part],
    files: &FileTable,
) -> Result<Vec<Recorded>, SnapshotFileError> {
    let threads =
        std::thread::available_parallelism().map_or(1, usize::from).min(MAX_THREADS).min(parts.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Recorded, SnapshotFileError>>>> =
        Mutex::new(parts.iter().map(|_| None).collect());
    // Parts are taken in order: once one is taken, every earlier one was,
    // so the error given is always the first damaged part's.
    let work = || {
        let mut buffer = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(&part) = parts.get(index) else { return };
            let result = decode_part(source, part, files, &mut buffer).map_err(|reason| match reason {
                SnapshotFileError::Content(reason) => {
                    SnapshotFileError::Content(format!("part {}: {reason}", index + 1))
                }
                other => other,
            });
            failed.fetch_or(result.is_err(), Ordering::Relaxed);
            results.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[index] = Some(result);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    let results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Parts never taken follow every part taken, among them the damaged one.
    results.into_iter().flatten().collect()
}

/// One part's records, read into `buffer` and checked against its checksum.
fn decode_part(
    source: &(impl Source + ?Sized),
    part: Part,
    files: &FileTable,
    buffer: &mut Vec<u8>,
) -> Result<Recorded, SnapshotFileError> {
    let bytes = header::read_part(source, part, buffer)?;
    let damaged = |error: rmp_serde::decode::Error| SnapshotFileError::Content(error.to_string());
    let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes);
    deserializer.set_max_depth(MAX_DEPTH);
    let mut recorded = Recorded::default();
    Replay { files, sink: &mut recorded }.deserialize(&mut deserializer).map_err(damaged)?;
    at_end(&mut deserializer).map_err(SnapshotFileError::Content)?;
    Ok(recorded)
}

/// Whether `deserializer` read its part whole: a part holds one value.
fn at_end<'de>(
    deserializer: &mut rmp_serde::Deserializer<rmp_serde::decode::ReadRefReader<'de, [u8]>>,
) -> Result<(), String> {
    match IgnoredAny::deserialize(deserializer) {
        Err(rmp_serde::decode::Error::InvalidMarkerRead(error))
            if error.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            Ok(())
        }
        _ => Err("bytes after its records".to_owned()),
    }
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
