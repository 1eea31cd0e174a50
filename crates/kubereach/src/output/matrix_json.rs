//! `matrix --format json`, written as the matrix is computed
//! ([`kubereach_core::matrix::stream`]): a large cluster's matrix is
//! hundreds of MiB of JSON, which is never held, as text or as edges.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use kubereach_core::matrix::{self, Matrix, MatrixOptions, MatrixSink, Node};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::ConnectionSet;

/// Text gathered before it is written: large writes cost the fewest
/// system calls, and the buffer is reused, so it is allocated once.
const BUFFER: usize = 1 << 20;

/// Computes the matrix of `engine` with `options` and writes its
/// `kubereach.matrix/v1` JSON to stdout as it comes.
pub fn write_json(engine: &PolicyEngine<'_>, options: &MatrixOptions) -> Result<()> {
    let mut writer = JsonWriter::new(std::io::stdout().lock());
    matrix::stream(engine, options, &mut writer)?;
    writer.finish()?;
    Ok(())
}

/// Byte for byte what `serde_json::to_writer_pretty` writes for the
/// matrix, plus a newline, but each node id and each distinct connection
/// set is rendered once rather than once per edge: a large cluster's edges
/// are millions of repetitions of a few thousand ids and a few hundred
/// sets.
pub(crate) struct JsonWriter<W: Write> {
    out: W,
    buffer: Vec<u8>,
    /// Each node's id as a JSON string.
    ids: Vec<String>,
    sets: Vec<Arc<ConnectionSet>>,
    /// Each set's JSON, indented as an edge's `ports`, once rendered.
    rendered: Vec<Option<String>>,
    edges: usize,
}

impl<W: Write> JsonWriter<W> {
    pub(crate) fn new(out: W) -> JsonWriter<W> {
        JsonWriter {
            out,
            buffer: Vec::with_capacity(BUFFER),
            ids: Vec::new(),
            sets: Vec::new(),
            rendered: Vec::new(),
            edges: 0,
        }
    }

    /// Ends the document and writes what is left.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        let end: &[u8] = if self.edges == 0 { b"[]\n}\n" } else { b"\n  ]\n}\n" };
        self.buffer.extend_from_slice(end);
        self.out.write_all(&self.buffer)?;
        self.out.flush()
    }

    fn ports(&mut self, set: usize) -> std::io::Result<&str> {
        if self.rendered[set].is_none() {
            let pretty = serde_json::to_string_pretty(&*self.sets[set]).map_err(std::io::Error::from)?;
            // Nested three levels deep: six spaces more on every line.
            self.rendered[set] = Some(pretty.replace('\n', "\n      "));
        }
        Ok(self.rendered[set].as_deref().unwrap_or_default())
    }
}

impl<W: Write> MatrixSink for JsonWriter<W> {
    type Error = std::io::Error;

    fn start(&mut self, nodes: &[Node], sets: &[Arc<ConnectionSet>]) -> std::io::Result<()> {
        // Everything but the edges, as serde writes it, ends in `"edges": []\n}`.
        let head = Matrix { nodes: nodes.to_vec(), edges: Vec::new() };
        let head = serde_json::to_string_pretty(&head).map_err(std::io::Error::from)?;
        let Some(head) = head.strip_suffix("[]\n}") else {
            return Err(std::io::Error::other("unexpected matrix JSON layout"));
        };
        self.buffer.extend_from_slice(head.as_bytes());
        self.ids = nodes.iter().map(|n| serde_json::Value::from(n.id.as_str()).to_string()).collect();
        self.sets = sets.to_vec();
        self.rendered = vec![None; sets.len()];
        Ok(())
    }

    fn edge(&mut self, from: usize, to: usize, set: usize) -> std::io::Result<()> {
        let first = self.edges == 0;
        self.edges += 1;
        // Rendered first: `ports` borrows the writer.
        self.ports(set)?;
        let ports = self.rendered[set].as_deref().unwrap_or_default();
        let buffer = &mut self.buffer;
        buffer.extend_from_slice(if first {
            b"[\n    {\n      \"from\": "
        } else {
            b",\n    {\n      \"from\": "
        });
        buffer.extend_from_slice(self.ids[from].as_bytes());
        buffer.extend_from_slice(b",\n      \"to\": ");
        buffer.extend_from_slice(self.ids[to].as_bytes());
        buffer.extend_from_slice(b",\n      \"ports\": ");
        buffer.extend_from_slice(ports.as_bytes());
        buffer.extend_from_slice(b"\n    }");
        if buffer.len() >= BUFFER - 4096 {
            self.out.write_all(buffer)?;
            buffer.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubereach_core::matrix::{Filters, Granularity};
    use kubereach_core::policy::{Direction, PolicyOptions};
    use kubereach_core::ports::Protocol;

    fn demo_cluster() -> kubereach_core::Cluster {
        let mut builder = kubereach_core::ClusterBuilder::new();
        for (name, text) in crate::commands::DEMO_FILES {
            kubereach_load::load_str(Some(name), text, &mut builder);
        }
        builder.build()
    }

    fn streamed(engine: &PolicyEngine<'_>, options: &MatrixOptions) -> String {
        let mut out = Vec::new();
        let mut writer = JsonWriter::new(&mut out);
        matrix::stream(engine, options, &mut writer).unwrap();
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The streamed JSON is serde's JSON of the held matrix, whole and
    /// filtered (the nodes of a filtered matrix are known only after its
    /// edges), with a port filter and when no edge is left.
    #[test]
    fn the_streamed_json_is_what_serde_writes_for_the_matrix() {
        let cluster = demo_cluster();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let filters = [
            Filters::default(),
            Filters { namespaces: vec!["production".to_owned()], ..Filters::default() },
            Filters {
                focus: vec!["ingress-controller".to_owned()],
                direction: Some(Direction::Egress),
                ..Filters::default()
            },
            Filters { port: Some((Protocol::Tcp, 8080)), ..Filters::default() },
            Filters {
                port: Some((Protocol::Udp, 53)),
                namespaces: vec!["monitoring".to_owned()],
                ..Filters::default()
            },
            Filters {
                focus: vec!["ingress-controller".to_owned()],
                focus_peer: vec!["nothing".to_owned()],
                ..Filters::default()
            },
        ];
        let mut sizes = Vec::new();
        for granularity in [Granularity::Workloads, Granularity::Pods] {
            for filters in &filters {
                let options =
                    MatrixOptions { granularity, ingress_controller: true, filters: filters.clone() };
                let held = matrix::matrix(&engine, &options);
                sizes.push(held.edges.len());
                let expected = serde_json::to_string_pretty(&held).unwrap() + "\n";
                assert_eq!(streamed(&engine, &options), expected, "{granularity:?} {filters:?}");
            }
        }
        assert!(sizes.iter().any(|n| *n > 10) && sizes.contains(&0), "{sizes:?}");
    }
}
