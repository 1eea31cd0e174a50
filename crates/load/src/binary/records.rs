//! What a binary snapshot holds: the loader's output for the builder, one
//! record per call ([`crate::kinds::Sink`]), in the order the calls came.
//! Written from borrowed values ([`RecordRef`]) and read into owned ones
//! ([`Record`]); the objects are [`Resource`]s, through their own serde
//! implementations.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use kubereach_core::diagnostic::Severity;
use kubereach_core::origin::{FieldLines, Location};
use kubereach_core::unmodelled::UnmodelledRoute;
use kubereach_core::{Diagnostic, Origin, Resource};

/// One call of the loader to the builder, to write.
#[derive(Serialize)]
pub(super) enum RecordRef<'a> {
    Add(&'a Resource, OriginRef<'a>),
    Diagnostic(DiagnosticRecord<'a>),
    SkipObject(SkipRecord<'a>, OriginRef<'a>),
    UnmodelledRoute(UnmodelledRecord<'a>, OriginRef<'a>),
}

/// One call of the loader to the builder, read back: strings borrow from
/// the file's bytes until they become the builder's.
#[derive(Deserialize)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Record<'a> {
    Add(Resource, OriginRecord),
    Diagnostic(#[serde(borrow)] DiagnosticRecord<'a>),
    SkipObject(#[serde(borrow)] SkipRecord<'a>, OriginRecord),
    UnmodelledRoute(#[serde(borrow)] UnmodelledRecord<'a>, OriginRecord),
}

/// An [`Origin`] to write: the file by its index in the snapshot's file
/// table, the field lines as the table is held in memory.
#[derive(Serialize)]
pub(super) struct OriginRef<'a> {
    file: Option<u32>,
    line: u32,
    fields: &'a FieldLines,
}

/// An [`OriginRef`] read back (the field lines checked as they are read).
#[derive(Deserialize)]
pub(super) struct OriginRecord {
    file: Option<u32>,
    line: u32,
    fields: FieldLines,
}

/// A [`Diagnostic`], column included.
#[derive(Serialize, Deserialize)]
pub(super) struct DiagnosticRecord<'a> {
    #[serde(borrow)]
    file: Option<std::borrow::Cow<'a, str>>,
    line: u32,
    column: u32,
    /// 0 note, 1 warning, 2 error.
    severity: u8,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

/// An object of a kind the model does not use.
#[derive(Serialize, Deserialize)]
pub(super) struct SkipRecord<'a> {
    #[serde(borrow)]
    pub(super) kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub(super) api_version: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub(super) namespace: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) name: std::borrow::Cow<'a, str>,
}

/// An [`UnmodelledRoute`].
#[derive(Serialize, Deserialize)]
pub(super) struct UnmodelledRecord<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    namespace: String,
    name: String,
    hosts: Vec<String>,
}

/// The files origins name, each stored once.
#[derive(Default)]
pub(super) struct FileTable {
    names: Vec<Arc<str>>,
    index: std::collections::HashMap<Arc<str>, u32>,
}

impl FileTable {
    /// The table read back.
    pub(super) fn from_names(names: Vec<String>) -> FileTable {
        FileTable { names: names.into_iter().map(Arc::from).collect(), index: Default::default() }
    }

    /// The names, in index order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }

    fn intern(&mut self, file: &Arc<str>) -> u32 {
        if let Some(&index) = self.index.get(file) {
            return index;
        }
        let index = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(file.clone());
        self.index.insert(file.clone(), index);
        index
    }
}

impl<'a> OriginRef<'a> {
    pub(super) fn of(origin: &'a Origin, files: &mut FileTable) -> OriginRef<'a> {
        OriginRef {
            file: origin.file.as_ref().map(|file| files.intern(file)),
            line: origin.line,
            fields: &origin.fields,
        }
    }
}

impl OriginRecord {
    /// The origin, or why the record is not one (a file index past the table).
    pub(super) fn into_origin(self, files: &FileTable) -> Result<Origin, String> {
        let file = match self.file {
            None => None,
            Some(index) => Some(
                files
                    .names
                    .get(index as usize)
                    .cloned()
                    .ok_or_else(|| format!("file number {index} is not in its file table"))?,
            ),
        };
        Ok(Origin { file, line: self.line, fields: Arc::new(self.fields) })
    }
}

impl<'a> DiagnosticRecord<'a> {
    pub(super) fn of(diagnostic: &'a Diagnostic) -> DiagnosticRecord<'a> {
        let location = &diagnostic.location;
        DiagnosticRecord {
            file: location.file.as_deref().map(Into::into),
            line: location.line,
            column: location.column,
            severity: match diagnostic.severity {
                Severity::Note => 0,
                Severity::Warning => 1,
                Severity::Error => 2,
            },
            message: diagnostic.message.as_str().into(),
        }
    }

    pub(super) fn into_diagnostic(self) -> Result<Diagnostic, String> {
        let severity = match self.severity {
            0 => Severity::Note,
            1 => Severity::Warning,
            2 => Severity::Error,
            other => return Err(format!("unknown severity {other}")),
        };
        let location = Location { file: self.file.map(Into::into), line: self.line, column: self.column };
        Ok(Diagnostic { location, severity, message: self.message.into() })
    }
}

impl<'a> UnmodelledRecord<'a> {
    pub(super) fn of(route: &UnmodelledRoute) -> UnmodelledRecord<'a> {
        UnmodelledRecord {
            kind: route.kind.into(),
            namespace: route.namespace.clone(),
            name: route.name.clone(),
            hosts: route.hosts.clone(),
        }
    }

    pub(super) fn into_route(self) -> Result<UnmodelledRoute, String> {
        let kind = kubereach_core::unmodelled::kind_named(&self.kind)
            .ok_or_else(|| format!("unknown routing kind `{}`", self.kind))?;
        Ok(UnmodelledRoute { kind, namespace: self.namespace, name: self.name, hosts: self.hosts })
    }
}
