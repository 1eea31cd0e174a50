//! The matrix's edges produced source by source, in the order of
//! [`Matrix::edges`], and handed to a [`MatrixSink`] as they are: a whole
//! matrix of a large cluster is millions of edges, which a writer should
//! not need to hold. [`super::matrix`] collects the same stream, so the
//! order of the pairs has one source.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cells::{Cells, ClassEdges};
use super::{Edge, Matrix, Node};
use crate::ports::{ConnectionSet, PortSet, Protocol};

/// Where [`super::stream`] puts the matrix: first its nodes and the
/// connection sets its edges name by index, then each edge.
pub trait MatrixSink {
    /// What stops the stream (a failed write).
    type Error;

    /// The nodes ([`Matrix::nodes`]) and the connection sets the edges
    /// name by index, before any edge.
    fn start(&mut self, nodes: &[Node], sets: &[Arc<ConnectionSet>]) -> Result<(), Self::Error>;

    /// An allowed pair, as indices into the nodes and the sets given to
    /// [`MatrixSink::start`]; edges come in the order of [`Matrix::edges`].
    fn edge(&mut self, from: usize, to: usize, set: usize) -> Result<(), Self::Error>;
}

/// Source nodes whose class edges are computed together: their rows at
/// most this many cells in all, so memory stays bounded whatever the size
/// of the matrix.
const CHUNK_CELLS: usize = 1 << 18;

/// The edges besides the class matrix's, by source node, and the table of
/// connection sets every edge names by index.
pub(super) struct Extras {
    /// By source node: `(destination node, set id)`, sorted by destination.
    by_source: BTreeMap<usize, Vec<(usize, u32)>>,
    sets: Vec<Arc<ConnectionSet>>,
}

impl Extras {
    /// No edges yet; the sets of `cells` keep their ids.
    pub(super) fn new(cells: &Cells<'_>) -> Extras {
        let sets = (0..cells.distinct_sets()).map(|id| Arc::new(cells.set(id).clone())).collect();
        Extras { by_source: BTreeMap::new(), sets }
    }

    /// A new id for `set`.
    pub(super) fn add_set(&mut self, set: ConnectionSet) -> u32 {
        self.sets.push(Arc::new(set));
        (self.sets.len() - 1) as u32
    }

    /// The edge `from` → `to` with set `id`, in place of what the class
    /// matrix or an earlier extra edge gives that pair.
    pub(super) fn put(&mut self, from: usize, to: usize, id: u32) {
        let bucket = self.by_source.entry(from).or_default();
        match bucket.binary_search_by_key(&to, |(t, _)| *t) {
            Ok(at) => bucket[at].1 = id,
            Err(at) => bucket.insert(at, (to, id)),
        }
    }
}

/// Sends `nodes` and their edges to `sink`: the class edges of
/// `class_edges` merged with `extras` (which win on the same pair),
/// reduced to `port` when the filter names one. With `selected` (a
/// namespace or focus filter), the nodes neither selected nor touched by
/// an edge are left out, which is known only after the last edge: the
/// edges are then gathered first.
pub(super) fn send<S: MatrixSink>(
    nodes: Vec<Node>,
    class_edges: &ClassEdges<'_, '_, impl Fn(usize, usize) -> bool + Sync>,
    mut extras: Extras,
    port: Option<(Protocol, u16)>,
    selected: Option<Vec<bool>>,
    sink: &mut S,
) -> Result<(), S::Error> {
    let single = port.map(|(protocol, port)| {
        extras.add_set(ConnectionSet::from_ports(protocol, PortSet::single(i64::from(port))))
    });
    let Extras { by_source, sets } = extras;
    let reduce = |id: u32| -> Option<u32> {
        match (port, single) {
            (Some((protocol, port)), Some(single)) => {
                sets[id as usize].contains(protocol, port).then_some(single)
            }
            _ => Some(id),
        }
    };
    let Some(selected) = selected else {
        sink.start(&nodes, &sets)?;
        return for_each_edge(nodes.len(), class_edges, &by_source, |from, to, id| match reduce(id) {
            Some(id) => sink.edge(from, to, id as usize),
            None => Ok(()),
        });
    };
    let mut edges: Vec<(usize, usize, u32)> = Vec::new();
    for_each_edge(nodes.len(), class_edges, &by_source, |from, to, id| {
        if let Some(id) = reduce(id) {
            edges.push((from, to, id));
        }
        Ok::<(), S::Error>(())
    })?;
    let (nodes, renumber) = prune(nodes, &edges, selected);
    sink.start(&nodes, &sets)?;
    for (from, to, id) in edges {
        sink.edge(renumber[from], renumber[to], id as usize)?;
    }
    Ok(())
}

/// Calls `visit(from, to, set id)` for every edge, sources in node order,
/// a chunk of sources' class edges at a time.
fn for_each_edge<E>(
    n_nodes: usize,
    class_edges: &ClassEdges<'_, '_, impl Fn(usize, usize) -> bool + Sync>,
    extras: &BTreeMap<usize, Vec<(usize, u32)>>,
    mut visit: impl FnMut(usize, usize, u32) -> Result<(), E>,
) -> Result<(), E> {
    let chunk = (CHUNK_CELLS / class_edges.destinations().max(1)).max(1);
    let sources: Vec<usize> = (0..n_nodes).collect();
    for part in sources.chunks(chunk) {
        let found = class_edges.of_sources(part);
        for (&from, class) in part.iter().zip(found) {
            let extra = extras.get(&from).map_or(&[][..], Vec::as_slice);
            merge(&class, extra, |to, id| visit(from, to, id))?;
        }
    }
    Ok(())
}

/// The edges of one source, `class` and `extra` (both sorted by
/// destination) merged in destination order, `extra` winning a pair
/// both give.
fn merge<E>(
    class: &[(u32, u32)],
    extra: &[(usize, u32)],
    mut visit: impl FnMut(usize, u32) -> Result<(), E>,
) -> Result<(), E> {
    let (mut i, mut k) = (0, 0);
    while i < class.len() || k < extra.len() {
        let next_class = class.get(i).map(|&(to, id)| (to as usize, id));
        match (next_class, extra.get(k)) {
            (Some((to, _)), Some(&(extra_to, id))) if extra_to <= to => {
                if extra_to == to {
                    i += 1;
                }
                k += 1;
                visit(extra_to, id)?;
            }
            (Some((to, id)), _) => {
                i += 1;
                visit(to, id)?;
            }
            (None, Some(&(to, id))) => {
                k += 1;
                visit(to, id)?;
            }
            (None, None) => break,
        }
    }
    Ok(())
}

/// The nodes `selected` or touched by one of `edges`, and the new index of
/// every kept node by its old one.
fn prune(nodes: Vec<Node>, edges: &[(usize, usize, u32)], mut kept: Vec<bool>) -> (Vec<Node>, Vec<usize>) {
    for &(from, to, _) in edges {
        kept[from] = true;
        kept[to] = true;
    }
    let mut renumber = vec![usize::MAX; nodes.len()];
    let mut next = 0;
    for (i, k) in kept.iter().enumerate() {
        if *k {
            renumber[i] = next;
            next += 1;
        }
    }
    let nodes = nodes.into_iter().zip(kept).filter_map(|(n, k)| k.then_some(n)).collect();
    (nodes, renumber)
}

/// A [`MatrixSink`] that holds the whole [`Matrix`].
#[derive(Default)]
pub(super) struct Collect {
    pub(super) matrix: Option<Matrix>,
    sets: Vec<Arc<ConnectionSet>>,
}

impl MatrixSink for Collect {
    type Error = std::convert::Infallible;

    fn start(&mut self, nodes: &[Node], sets: &[Arc<ConnectionSet>]) -> Result<(), Self::Error> {
        self.matrix = Some(Matrix { nodes: nodes.to_vec(), edges: Vec::new() });
        self.sets = sets.to_vec();
        Ok(())
    }

    fn edge(&mut self, from: usize, to: usize, set: usize) -> Result<(), Self::Error> {
        let connections = self.sets[set].clone();
        if let Some(matrix) = &mut self.matrix {
            matrix.edges.push(Edge { from, to, connections });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn merged_edges_are_in_destination_order_and_extras_win() {
        type Case<'a> = (&'a [(u32, u32)], &'a [(usize, u32)], &'a [(usize, u32)]);
        let cases: [Case; 4] = [
            (&[(1, 5), (3, 5), (7, 6)], &[], &[(1, 5), (3, 5), (7, 6)]),
            (&[], &[(2, 9)], &[(2, 9)]),
            (&[(1, 5), (3, 5), (7, 6)], &[(0, 9), (3, 9), (8, 9)], &[(0, 9), (1, 5), (3, 9), (7, 6), (8, 9)]),
            (&[(4, 2)], &[(4, 1), (5, 1)], &[(4, 1), (5, 1)]),
        ];
        for (class, extra, expected) in cases {
            let mut out = Vec::new();
            merge(class, extra, |to, id| {
                out.push((to, id));
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(out, expected, "{class:?} {extra:?}");
        }
    }
}
