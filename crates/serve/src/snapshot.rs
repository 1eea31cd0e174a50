//! One reading of the sources and the documents that do not depend on a
//! question: the graph, the findings and, in diff mode, the diff. They are
//! serialized once per reading; questions (trace, explain, a namespace's
//! matrix) are answered per request on the same cluster.

use kubereach_core::check::{self, Config};
use kubereach_core::cni::{self, PluginBehaviour, PluginOverrides, PolicyView};
use kubereach_core::diff::{self, Side};
use kubereach_core::matrix::{self, Filters, Granularity, Matrix, MatrixOptions};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::Cluster;
use serde::Serialize;

use crate::{graph, Sources};

/// The plugin behaviour of every query: detected from the cluster, as the
/// CLI's commands do without overrides.
pub fn plugin(cluster: &Cluster) -> PluginBehaviour {
    cni::behaviour(cluster, &PluginOverrides::default())
}

/// The policy engine of a query: `Effective` for the matrix, the diff and
/// explanations (as `matrix` and `diff`), `AsWritten` for traces.
pub fn query_engine(cluster: &Cluster, view: PolicyView) -> PolicyEngine<'_> {
    PolicyEngine::for_plugin(cluster, plugin(cluster), view)
}

/// A reading of the cluster and its precomputed documents.
pub struct Snapshot {
    /// The cluster (the new version in diff mode).
    pub cluster: Cluster,
    /// `kubereach.graph/v1`.
    pub graph: Vec<u8>,
    /// `kubereach.check/v1`.
    pub check: Vec<u8>,
    /// `kubereach.diff/v1`, in diff mode.
    pub diff: Option<Vec<u8>>,
}

/// The `kubereach.check/v1` document, as `kubereach check --format json`
/// writes it.
#[derive(Serialize)]
struct CheckDocument<'a> {
    schema: &'static str,
    findings: &'a [check::Finding],
    /// What failed to load, as `check --format json` lists it.
    errors: Vec<InputError<'a>>,
    skipped_kinds: &'a std::collections::BTreeMap<String, usize>,
}

/// A document or source that failed to load.
#[derive(Serialize)]
struct InputError<'a> {
    file: Option<&'a str>,
    line: Option<u32>,
    message: &'a str,
}

/// The workload matrix the graph and the diff are made of: the one
/// `kubereach matrix` and `kubereach diff` compute by default.
pub fn workload_options(filters: Filters) -> MatrixOptions {
    MatrixOptions { granularity: Granularity::Workloads, ingress_controller: true, filters }
}

/// Reads the sources and computes the documents.
pub fn read(sources: &Sources) -> Result<Snapshot, String> {
    let cluster = (sources.current)()?;
    let old = sources.old.as_ref().map(|load| load()).transpose()?;
    let engine = query_engine(&cluster, PolicyView::Effective);
    let matrix = matrix::matrix(&engine, &workload_options(Filters::default()));
    let (graph, diff) = match &old {
        None => (graph::graph(&engine, &matrix, None), None),
        Some(old) => {
            let old_engine = query_engine(old, PolicyView::Effective);
            let old_matrix: Matrix = matrix::matrix(&old_engine, &workload_options(Filters::default()));
            let report = diff::diff(
                &Side { engine: &old_engine, matrix: &old_matrix },
                &Side { engine: &engine, matrix: &matrix },
            );
            (graph::graph(&engine, &matrix, Some((&old_matrix, &report))), Some(to_json(&report)?))
        }
    };
    let report = check::check(&cluster, &Config::default(), engine.plugin());
    let errors = cluster
        .diagnostics()
        .iter()
        .filter(|d| d.severity == kubereach_core::Severity::Error)
        .map(|d| InputError {
            file: d.location.file.as_deref(),
            line: (d.location.line > 0).then_some(d.location.line),
            message: &d.message,
        })
        .collect();
    let check = to_json(&CheckDocument {
        schema: check::SCHEMA,
        findings: &report.findings,
        errors,
        skipped_kinds: cluster.skipped_kinds(),
    })?;
    let graph = to_json(&graph)?;
    drop(engine);
    Ok(Snapshot { cluster, graph, check, diff })
}

/// Serializes a document.
pub fn to_json(value: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| format!("cannot serialize a document: {e}"))
}
