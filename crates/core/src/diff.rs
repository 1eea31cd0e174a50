//! How connectivity changes between two versions of a cluster: the answer of
//! `kubereach diff`. A composition of two [`Matrix`] reports; it never
//! re-evaluates policy itself.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::matrix::{Matrix, Node, NodeKind};
use crate::policy::{Endpoint, IpRange, PolicyEngine, PolicyRef};
use crate::ports::ConnectionSet;

/// Schema id of the JSON form.
pub const SCHEMA: &str = "kubereach.diff/v1";

/// What happened to a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Denied before, allowed now.
    Added,
    /// Allowed before, denied now.
    Removed,
    /// Allowed on both sides, with different connection sets.
    Changed,
}

impl ChangeKind {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One end of a changed pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DiffNode {
    /// The matrix node id (`namespace/name`, a range, `{ingress-controller}`).
    pub id: String,
    /// `ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]` or `{ingress-controller}`.
    pub label: String,
}

/// A pair whose allowed connections differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// Source.
    pub from: DiffNode,
    /// Destination.
    pub to: DiffNode,
    /// What the old version allowed.
    pub old: ConnectionSet,
    /// What the new version allows.
    pub new: ConnectionSet,
    /// Ends of the pair that exist on one side only, e.g. `workload x/y[Deployment] added`.
    pub workloads: Vec<String>,
    /// Policies that decided the pair in the old version.
    pub old_policies: Vec<PolicyRef>,
    /// Policies that decide the pair in the new version.
    pub new_policies: Vec<PolicyRef>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectivityDiff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Changed pairs, sorted by kind, source and destination.
    pub changes: Vec<Change>,
    /// Workloads only in the new version (labels).
    pub added_workloads: Vec<String>,
    /// Workloads only in the old version (labels).
    pub removed_workloads: Vec<String>,
}

impl ConnectivityDiff {
    /// Whether the two versions allow exactly the same connections.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.added_workloads.is_empty() && self.removed_workloads.is_empty()
    }
}

/// One side of the comparison.
pub struct Side<'a, 'c> {
    /// The policies of that version.
    pub engine: &'a PolicyEngine<'c>,
    /// Its matrix (same granularity on both sides, no filters).
    pub matrix: &'a Matrix,
}

/// Compares two versions. External nodes are cut into the ranges both
/// versions' ipBlocks induce, so a range split differently on each side
/// still compares address by address.
pub fn diff(old: &Side<'_, '_>, new: &Side<'_, '_>) -> ConnectivityDiff {
    let refined = refine(&external_ranges(old.matrix).chain(external_ranges(new.matrix)).collect::<Vec<_>>());
    let mut nodes = DiffNodes::default();
    let old_edges = edges(old.matrix, &refined, &mut nodes);
    let new_edges = edges(new.matrix, &refined, &mut nodes);
    let old_workloads = workload_labels(old.matrix);
    let new_workloads = workload_labels(new.matrix);
    let mut changes = Vec::new();
    let none = ConnectionSet::none();
    // Only the pairs that differ become `DiffNode` pairs, in their order.
    let mut differing: Vec<(&DiffNode, &DiffNode, &ConnectionSet, &ConnectionSet)> =
        differing_pairs(&old_edges, &new_edges, &none)
            .into_iter()
            .map(|(from, to, old_set, new_set)| {
                (&nodes.all[from as usize], &nodes.all[to as usize], old_set, new_set)
            })
            .collect();
    differing.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (from, to, old_set, new_set) in differing {
        let pair = (from.clone(), to.clone());
        let kind = if old_set.is_empty() {
            ChangeKind::Added
        } else if new_set.is_empty() {
            ChangeKind::Removed
        } else {
            ChangeKind::Changed
        };
        let mut workloads = Vec::new();
        for node in [&pair.0, &pair.1] {
            let in_old = old_workloads.contains(&node.label);
            let in_new = new_workloads.contains(&node.label);
            if in_new && !in_old {
                workloads.push(format!("workload {} added", node.label));
            } else if in_old && !in_new {
                workloads.push(format!("workload {} removed", node.label));
            }
        }
        changes.push(Change {
            kind,
            from: pair.0.clone(),
            to: pair.1.clone(),
            old: old_set.clone(),
            new: new_set.clone(),
            workloads,
            old_policies: responsible(old, &pair.0, &pair.1),
            new_policies: responsible(new, &pair.0, &pair.1),
        });
    }
    let mut changes = merge_adjacent_ranges(changes);
    changes.sort_by(|a, b| (a.kind, &a.from, &a.to).cmp(&(b.kind, &b.from, &b.to)));
    ConnectivityDiff {
        schema: SCHEMA,
        changes,
        added_workloads: new_workloads.difference(&old_workloads).cloned().collect(),
        removed_workloads: old_workloads.difference(&new_workloads).cloned().collect(),
    }
}

/// Joins changes that differ only in an external end whose ranges touch,
/// so the refinement shows only where it matters.
fn merge_adjacent_ranges(changes: Vec<Change>) -> Vec<Change> {
    let range_of = |node: &DiffNode| -> Option<IpRange> {
        node.label
            .ends_with("[External]")
            .then(|| parse_dash_range(&node.id).or_else(|| IpRange::parse_cidr(&node.id)))
            .flatten()
    };
    let mut merged: Vec<(Change, Option<IpRange>, Option<IpRange>)> = Vec::new();
    let mut keyed: Vec<(Change, Option<IpRange>, Option<IpRange>)> = changes
        .into_iter()
        .map(|c| {
            let (from, to) = (range_of(&c.from), range_of(&c.to));
            (c, from, to)
        })
        .collect();
    // Sort so that mergeable changes are neighbours, in address order.
    keyed.sort_by(|a, b| {
        let key = |c: &(Change, Option<IpRange>, Option<IpRange>)| {
            let from = if c.1.is_some() { String::new() } else { c.0.from.label.clone() };
            let to = if c.2.is_some() { String::new() } else { c.0.to.label.clone() };
            (c.0.kind, from, to, c.0.old.to_string(), c.0.new.to_string(), c.1, c.2)
        };
        key(a).cmp(&key(b))
    });
    for (change, from, to) in keyed {
        if let Some((last, last_from, last_to)) = merged.last_mut() {
            let same_sets = last.kind == change.kind && last.old == change.old && last.new == change.new;
            let joined = match (*last_from, from, *last_to, to) {
                (Some(a), Some(b), None, None) if last.to == change.to => join(a, b),
                (None, None, Some(a), Some(b)) if last.from == change.from => join(a, b),
                _ => None,
            };
            if let (true, Some(range)) = (same_sets, joined) {
                let node = DiffNode { id: range.id(), label: format!("{range}[External]") };
                if from.is_some() {
                    *last_from = Some(range);
                    last.from = node;
                } else {
                    *last_to = Some(range);
                    last.to = node;
                }
                continue;
            }
        }
        merged.push((change, from, to));
    }
    merged.into_iter().map(|(c, _, _)| c).collect()
}

/// `a` and `b` as one range when `b` starts right after `a`.
fn join(a: IpRange, b: IpRange) -> Option<IpRange> {
    match (a, b) {
        (IpRange::V4 { first, last }, IpRange::V4 { first: next, last: end })
            if last.checked_add(1) == Some(next) =>
        {
            Some(IpRange::V4 { first, last: end })
        }
        (IpRange::V6 { first, last }, IpRange::V6 { first: next, last: end })
            if last.checked_add(1) == Some(next) =>
        {
            Some(IpRange::V6 { first, last: end })
        }
        _ => None,
    }
}

fn workload_labels(matrix: &Matrix) -> BTreeSet<String> {
    matrix.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Workload(_))).map(Node::label).collect()
}

fn external_ranges(matrix: &Matrix) -> impl Iterator<Item = IpRange> + '_ {
    matrix.nodes.iter().filter_map(|n| match n.kind {
        NodeKind::External(range) => Some(range),
        _ => None,
    })
}

/// The coarsest ranges that cut every input range at its ends.
fn refine(ranges: &[IpRange]) -> Vec<IpRange> {
    let mut v4: BTreeSet<u64> = BTreeSet::new();
    let mut v6: BTreeSet<u128> = BTreeSet::new();
    let (mut has_v4, mut has_v6) = (false, false);
    for range in ranges {
        match *range {
            IpRange::V4 { first, last } => {
                has_v4 = true;
                v4.insert(u64::from(first));
                v4.insert(u64::from(last) + 1);
            }
            IpRange::V6 { first, last } => {
                has_v6 = true;
                v6.insert(first);
                if last < u128::MAX {
                    v6.insert(last + 1);
                }
            }
        }
    }
    let mut refined = Vec::new();
    if has_v4 {
        let cuts: Vec<u64> = v4.into_iter().collect();
        for pair in cuts.windows(2) {
            refined.push(IpRange::V4 { first: pair[0] as u32, last: (pair[1] - 1) as u32 });
        }
    }
    if has_v6 {
        let cuts: Vec<u128> = v6.into_iter().collect();
        for (i, &first) in cuts.iter().enumerate() {
            let last = cuts.get(i + 1).map_or(u128::MAX, |next| next - 1);
            refined.push(IpRange::V6 { first, last });
        }
    }
    refined
}

/// The ends of both sides' edges, each stored once and numbered, so that
/// the edges of a large matrix are pairs of numbers rather than of strings.
#[derive(Default)]
struct DiffNodes {
    /// Every node, by number.
    all: Vec<DiffNode>,
    /// The number of each node.
    ids: BTreeMap<DiffNode, u32>,
}

impl DiffNodes {
    fn id(&mut self, node: DiffNode) -> u32 {
        if let Some(&id) = self.ids.get(&node) {
            return id;
        }
        let id = self.all.len() as u32;
        self.all.push(node.clone());
        self.ids.insert(node, id);
        id
    }
}

/// An edge between node numbers ([`DiffNodes`]), with its connections.
type NumberedEdge<'m> = (u32, u32, &'m ConnectionSet);

/// The edges of `matrix` between node numbers, sorted by pair, with
/// external ends cut into `refined` ranges.
fn edges<'m>(matrix: &'m Matrix, refined: &[IpRange], nodes: &mut DiffNodes) -> Vec<NumberedEdge<'m>> {
    let pieces: Vec<Vec<u32>> = matrix
        .nodes
        .iter()
        .map(|node| match node.kind {
            NodeKind::External(range) => refined
                .iter()
                .filter(|r| range.contains(r))
                .map(|r| nodes.id(DiffNode { id: r.id(), label: format!("{r}[External]") }))
                .collect(),
            _ => vec![nodes.id(DiffNode { id: node.id.clone(), label: node.label() })],
        })
        .collect();
    let mut edges = Vec::with_capacity(matrix.edges.len());
    for edge in &matrix.edges {
        for &from in &pieces[edge.from] {
            for &to in &pieces[edge.to] {
                edges.push((from, to, &*edge.connections));
            }
        }
    }
    // The numbers follow the first matrix's node order, so its edges come
    // sorted already and a stable sort is one pass over them. Of two edges
    // on one pair (none in a well-formed matrix) the later wins.
    edges.sort_by_key(|&(from, to, _)| (from, to));
    edges.dedup_by(|later, kept| {
        let same = (later.0, later.1) == (kept.0, kept.1);
        if same {
            kept.2 = later.2;
        }
        same
    });
    edges
}

/// The pairs of `old` and `new` (each sorted by pair, as [`edges`] gives
/// them) whose sets differ, with the old and the new set; a pair absent
/// from one side has `none` there.
fn differing_pairs<'s>(
    old: &[NumberedEdge<'s>],
    new: &[NumberedEdge<'s>],
    none: &'s ConnectionSet,
) -> Vec<(u32, u32, &'s ConnectionSet, &'s ConnectionSet)> {
    let mut differing = Vec::new();
    let (mut i, mut k) = (0, 0);
    while i < old.len() || k < new.len() {
        let old_pair = old.get(i).map(|&(from, to, _)| (from, to));
        let new_pair = new.get(k).map(|&(from, to, _)| (from, to));
        let (pair, old_set, new_set) = match (old_pair, new_pair) {
            (Some(a), Some(b)) if a == b => {
                (i, k) = (i + 1, k + 1);
                (a, old[i - 1].2, new[k - 1].2)
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                i += 1;
                (a, old[i - 1].2, none)
            }
            (_, Some(b)) => {
                k += 1;
                (b, none, new[k - 1].2)
            }
            (_, None) => break,
        };
        if old_set != new_set {
            differing.push((pair.0, pair.1, old_set, new_set));
        }
    }
    differing
}

/// The policies whose rules decided the pair, from the engine's explanation.
fn responsible(side: &Side<'_, '_>, from: &DiffNode, to: &DiffNode) -> Vec<PolicyRef> {
    let (Some(from), Some(to)) = (endpoint(side.engine, from), endpoint(side.engine, to)) else {
        return Vec::new();
    };
    let explanation = side.engine.explain(&from, &to);
    let steps = explanation.egress.steps.iter().chain(&explanation.ingress.steps);
    // Isolation decides too: a new default-deny policy has no rule that
    // matches, but it is why the connection went away.
    let isolating = explanation.egress.isolated_by.iter().chain(&explanation.ingress.isolated_by);
    let policies: BTreeSet<PolicyRef> =
        steps.filter_map(|s| s.policy.clone()).chain(isolating.cloned()).collect();
    policies.into_iter().collect()
}

fn endpoint(engine: &PolicyEngine<'_>, node: &DiffNode) -> Option<Endpoint> {
    if node.id == crate::matrix::INGRESS_CONTROLLER_ID {
        return Some(Endpoint::IngressController);
    }
    if crate::matrix::parse_gateway_peer_id(&node.id).is_some() {
        // No such Gateway, or none of its proxies ready: no policy decides.
        return crate::matrix::peer_endpoint(engine, &node.id);
    }
    if let Some(range) = IpRange::parse_cidr(&node.id).or_else(|| parse_dash_range(&node.id)) {
        return Some(Endpoint::External(range));
    }
    let (namespace, name) = node.id.split_once('/')?;
    let cluster = engine.cluster();
    let pods = cluster.pods_in(namespace);
    pods.iter()
        .find(|id| cluster.workload_ref(cluster.pod(**id)).name == name)
        .or_else(|| pods.iter().find(|id| cluster.pod(**id).name == name))
        .map(|id| Endpoint::Pod(*id))
}

fn parse_dash_range(text: &str) -> Option<IpRange> {
    let (first, last) = text.split_once('-')?;
    let first = IpRange::parse_cidr(first)?;
    let last = IpRange::parse_cidr(last)?;
    match (first, last) {
        (IpRange::V4 { first, .. }, IpRange::V4 { last, .. }) => Some(IpRange::V4 { first, last }),
        (IpRange::V6 { first, .. }, IpRange::V6 { last, .. }) => Some(IpRange::V6 { first, last }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refinement_cuts_at_every_boundary() {
        let a = IpRange::parse_cidr("10.0.0.0/8").unwrap();
        let all = IpRange::ALL_V4;
        let refined = refine(&[all, a]);
        let ids: Vec<String> = refined.iter().map(|r| r.to_string()).collect();
        assert_eq!(ids, ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"]);
    }

    #[test]
    fn differing_pairs_walk_both_sides_in_pair_order() {
        let none = ConnectionSet::none();
        let all = ConnectionSet::all();
        let tcp = ConnectionSet::from_ports(crate::ports::Protocol::Tcp, crate::ports::PortSet::single(80));
        let old = [(0, 1, &all), (0, 2, &tcp), (1, 0, &all), (2, 2, &tcp)];
        let new = [(0, 1, &all), (0, 3, &tcp), (1, 0, &tcp), (2, 2, &tcp), (3, 0, &all)];
        let found: Vec<(u32, u32, String, String)> = differing_pairs(&old, &new, &none)
            .into_iter()
            .map(|(from, to, a, b)| (from, to, a.to_string(), b.to_string()))
            .collect();
        let expected = [(0, 2, &tcp, &none), (0, 3, &none, &tcp), (1, 0, &all, &tcp), (3, 0, &none, &all)];
        let expected: Vec<(u32, u32, String, String)> =
            expected.iter().map(|(from, to, a, b)| (*from, *to, a.to_string(), b.to_string())).collect();
        assert_eq!(found, expected);
        assert!(differing_pairs(&old, &old, &none).is_empty());
    }

    #[test]
    fn dash_ranges_parse_back() {
        let range = parse_dash_range("10.0.0.0-10.255.255.255").unwrap();
        assert_eq!(range, IpRange::parse_cidr("10.0.0.0/8").unwrap());
    }
}
