//! The `kubereach.check/v1` document: one definition for every command and
//! the web page's API that writes it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CheckReport, Finding, SCHEMA};
use crate::diagnostic::Severity as DiagnosticSeverity;
use crate::model::Cluster;

/// `schema` first, then the findings with their fields in the contract's
/// order, then what loading the input said: the documents that failed to
/// load (a gate reading only the findings would pass on a broken file) and
/// the kinds skipped.
#[derive(Debug, Serialize)]
pub struct CheckDocument<'a> {
    schema: &'static str,
    findings: &'a [Finding],
    errors: Vec<LoadError>,
    skipped_kinds: &'a BTreeMap<String, usize>,
}

/// A document or source that failed to load.
#[derive(Debug, Serialize)]
struct LoadError {
    file: Option<String>,
    line: Option<u32>,
    message: String,
}

/// The document of `report` on `cluster`, whose loading diagnostics and
/// skipped kinds it carries.
pub fn document<'a>(report: &'a CheckReport, cluster: &'a Cluster) -> CheckDocument<'a> {
    let errors = cluster
        .diagnostics()
        .iter()
        .filter(|d| d.severity == DiagnosticSeverity::Error)
        .map(|d| LoadError {
            file: d.location.file.clone(),
            line: (d.location.line > 0).then_some(d.location.line),
            message: d.message.clone(),
        })
        .collect();
    CheckDocument {
        schema: SCHEMA,
        findings: &report.findings,
        errors,
        skipped_kinds: cluster.skipped_kinds(),
    }
}
