//! One reading of the sources and the documents that do not depend on a
//! question: the graph, the findings and, in diff mode, the diff. They are
//! serialized once per reading; questions (trace, explain, a namespace's
//! matrix) are answered per request on the same cluster.

use kubereach_core::check;
use kubereach_core::cni::{self, PluginBehaviour, PolicyView};
use kubereach_core::diff::{self, Side};
use kubereach_core::matrix::{self, Filters, Granularity, Matrix, MatrixOptions};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::Cluster;
use serde::Serialize;

use crate::{graph, Sources};

/// A reading of the cluster and its precomputed documents.
pub struct Snapshot {
    /// The cluster (the new version in diff mode).
    pub cluster: Cluster,
    /// What its network plugin does: detected once per reading, with the
    /// overrides of the command line, as each CLI command derives it.
    pub plugin: PluginBehaviour,
    /// `kubereach.graph/v1`.
    pub graph: Vec<u8>,
    /// `kubereach.check/v1`.
    pub check: Vec<u8>,
    /// `kubereach.diff/v1`, in diff mode.
    pub diff: Option<Vec<u8>>,
    /// The policies the graph, the matrix, the diff and explanations
    /// evaluate ([`Sources::view`]).
    pub view: PolicyView,
}

impl Snapshot {
    /// The policy engine of a query: [`Snapshot::view`] for the matrix,
    /// the diff and explanations (as `matrix` and `diff`), `AsWritten` for
    /// traces.
    pub fn engine(&self, view: PolicyView) -> PolicyEngine<'_> {
        PolicyEngine::for_plugin(&self.cluster, self.plugin.clone(), view)
    }
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
    let plugin = cni::behaviour(&cluster, &sources.plugin);
    let view = sources.view;
    let engine = PolicyEngine::for_plugin(&cluster, plugin.clone(), view);
    let matrix = matrix::matrix(&engine, &workload_options(Filters::default()));
    let (graph, diff) = match &old {
        None => (graph::graph(&engine, &matrix, None), None),
        Some(old) => {
            let old_plugin = cni::behaviour(old, &sources.plugin);
            let old_engine = PolicyEngine::for_plugin(old, old_plugin, view);
            let old_matrix: Matrix = matrix::matrix(&old_engine, &workload_options(Filters::default()));
            let report = diff::diff(
                &Side { engine: &old_engine, matrix: &old_matrix },
                &Side { engine: &engine, matrix: &matrix },
            );
            (graph::graph(&engine, &matrix, Some((&old_matrix, &report))), Some(to_json(&report)?))
        }
    };
    let report = check::check(&cluster, &sources.rules, engine.plugin());
    let check = to_json(&check::document(&report, &cluster))?;
    let graph = to_json(&graph)?;
    drop(engine);
    Ok(Snapshot { cluster, plugin, graph, check, diff, view })
}

/// Serializes a document.
pub fn to_json(value: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| format!("cannot serialize a document: {e}"))
}
