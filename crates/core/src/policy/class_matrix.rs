//! The connections between every pair of pod classes and address blocks.
//!
//! Peers are numbered classes first (in namespace order, so a namespace's
//! classes are contiguous), then address blocks. A rule's peers are then a
//! short list of index intervals. A class's egress verdicts over all
//! destinations form a row that depends only on its egress profile; its
//! ingress verdicts over all sources a row that depends only on its ingress
//! profile (and, with named ports, its container ports). Sweeping a
//! profile's rule intervals cuts a row into segments where the same rules
//! match, so a row is a short list of `(first peer, verdict)` segments, and
//! verdicts are memoized by the set of matching rules. A cell is the
//! intersection of an egress and an ingress verdict, looked up in a table.
//!
//! Whole rows are swept per group rather than per peer: sources with the
//! same egress row, held by the same ingress rules' peers, have equal rows;
//! destinations with the same ingress row and ports, held by the same
//! egress rules' peers, have equal columns. Many classes are told apart
//! only by the policies that select them, not as peers, so there are fewer
//! groups than peers (a third to a half in the generated benchmark clusters).

use super::compile::{Compiled, Profile};
use super::eval::{Peer, Target};
use super::ip;
use super::select::FxHashMap;
use super::{Direction, Endpoint};
use crate::ports::ConnectionSet;

pub(super) const NONE: u32 = 0;
pub(super) const ALL: u32 = 1;

/// Every pairwise verdict of a [`super::PolicyEngine`], computed once.
///
/// Peers are indexed `0..classes` for pod classes (the ingress
/// controller's class last), then by address block
/// ([`super::PolicyEngine::external_ranges`]).
pub struct ClassMatrix<'e> {
    compiled: &'e Compiled<'e>,
    sets: Vec<ConnectionSet>,
    egress_rows: Vec<Row>,
    egress_row_of: Vec<u32>,
    ingress_rows: Vec<Row>,
    ingress_row_of: Vec<u32>,
    meet: Meet,
    /// Segment starts of every ingress row `(start, row, verdict)`, in
    /// source order: applying them as the source advances keeps each row's
    /// current verdict.
    changes: Vec<(u32, u32, u32)>,
    sources: Groups,
    destinations: Groups,
}

/// Peers alike on one side of the matrix: sources with equal rows, or
/// destinations with equal columns. Groups are numbered in the order of
/// their first peer, so `first` is ascending.
struct Groups {
    of: Vec<u32>,
    first: Vec<u32>,
}

impl Groups {
    /// Groups peers by `key(peer)` and by which of `sets` (peer sets,
    /// ascending) hold them.
    fn new(peers: usize, sets: &[u32], runs: &mut Runs<'_>, key: impl Fn(usize) -> u64) -> Groups {
        // Memberships, flat: peer `p`'s sets are `members[start[p]..start[p + 1]]`,
        // ascending since sets are visited in order.
        let mut start = vec![0u32; peers + 1];
        for &set in sets {
            for &(a, b) in runs.of(set) {
                for p in a..b {
                    start[p as usize + 1] += 1;
                }
            }
        }
        for p in 0..peers {
            start[p + 1] += start[p];
        }
        let mut fill = start.clone();
        let mut members = vec![0u32; start[peers] as usize];
        for &set in sets {
            for &(a, b) in runs.of(set) {
                for p in a..b {
                    members[fill[p as usize] as usize] = set;
                    fill[p as usize] += 1;
                }
            }
        }
        let mut ids: FxHashMap<(u64, &[u32]), u32> = FxHashMap::default();
        let mut of = Vec::with_capacity(peers);
        let mut first = Vec::new();
        for p in 0..peers {
            let list = &members[start[p] as usize..start[p + 1] as usize];
            let next = first.len() as u32;
            let id = *ids.entry((key(p), list)).or_insert_with(|| {
                first.push(p as u32);
                next
            });
            of.push(id);
        }
        Groups { of, first }
    }
}

/// Verdicts over all peers: `(first peer, verdict)` segments, sorted.
pub(super) struct Row {
    segments: Vec<(u32, u32)>,
}

impl Row {
    pub(super) fn constant(id: u32) -> Row {
        Row { segments: vec![(0, id)] }
    }

    /// The verdict ids the row holds (with repeats).
    pub(super) fn verdicts(&self) -> impl Iterator<Item = u32> + '_ {
        self.segments.iter().map(|s| s.1)
    }

    pub(super) fn get(&self, peer: usize) -> u32 {
        let i = self.segments.partition_point(|&(start, _)| start as usize <= peer);
        self.segments[i - 1].1
    }
}

/// Intersections of egress and ingress verdicts: a dense table by rank
/// (ranks cover every verdict rows hold, `NONE` and `ALL` included).
pub(super) struct Meet {
    egress_rank: Vec<u32>,
    ingress_rank: Vec<u32>,
    width: usize,
    table: Vec<u32>,
}

impl Meet {
    pub(super) fn get(&self, egress: u32, ingress: u32) -> u32 {
        let (e, i) = (self.egress_rank[egress as usize], self.ingress_rank[ingress as usize]);
        self.table[e as usize * self.width + i as usize]
    }
}

#[derive(Default)]
pub(super) struct Interner {
    pub(super) sets: Vec<ConnectionSet>,
    ids: FxHashMap<ConnectionSet, u32>,
}

impl Interner {
    pub(super) fn new() -> Interner {
        let mut interner = Interner::default();
        interner.id(ConnectionSet::none());
        interner.id(ConnectionSet::all());
        interner
    }

    pub(super) fn id(&mut self, set: ConnectionSet) -> u32 {
        if let Some(&id) = self.ids.get(&set) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }
}

impl<'e> ClassMatrix<'e> {
    pub(crate) fn new(compiled: &'e Compiled<'e>) -> ClassMatrix<'e> {
        let mut interner = Interner::new();
        let mut runs = Runs::new(compiled);
        let mut scratch = Scratch::default();

        let mut egress_rows = Vec::new();
        let mut egress_row_ids: FxHashMap<u32, u32> = FxHashMap::default();
        let mut egress_row_of = Vec::with_capacity(compiled.classes.len());
        for class in &compiled.classes {
            let profile_id = class.profiles[1];
            let next = egress_rows.len() as u32;
            let row = *egress_row_ids.entry(profile_id).or_insert_with(|| {
                let profile = &compiled.profiles[profile_id as usize];
                egress_rows.push(row(compiled, profile, None, &mut runs, &mut interner, &mut scratch));
                next
            });
            egress_row_of.push(row);
        }

        let mut ingress_rows = Vec::new();
        let mut ingress_row_ids: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut ingress_row_of = Vec::with_capacity(compiled.classes.len());
        for class in &compiled.classes {
            let profile_id = class.profiles[0];
            let profile = &compiled.profiles[profile_id as usize];
            let ports = if profile.has_named { class.ports } else { u32::MAX };
            let next = ingress_rows.len() as u32;
            let row = *ingress_row_ids.entry((profile_id, ports)).or_insert_with(|| {
                ingress_rows.push(row(
                    compiled,
                    profile,
                    Some(class.ports),
                    &mut runs,
                    &mut interner,
                    &mut scratch,
                ));
                next
            });
            ingress_row_of.push(row);
        }

        let verdicts = |rows: &[Row]| rows.iter().flat_map(Row::verdicts).collect();
        let meet = meet_table(verdicts(&egress_rows), verdicts(&ingress_rows), &mut interner);
        let mut changes: Vec<(u32, u32, u32)> = Vec::new();
        for (r, ingress) in ingress_rows.iter().enumerate() {
            changes.extend(ingress.segments.iter().map(|&(start, id)| (start, r as u32, id)));
        }
        changes.sort_unstable();

        // A source's row depends only on its egress row and on which
        // ingress rules' peers hold it (that picks its verdict in every
        // ingress row); a destination's column only on its ingress row and
        // ports and on which egress rules' peers hold it.
        let classes = compiled.classes.len();
        let peers = classes + compiled.blocks.len();
        let peer_sets = |direction: Direction| {
            let mut sets: Vec<u32> =
                compiled.rules.iter().filter(|r| r.direction == direction).map(|r| r.peers).collect();
            sets.sort_unstable();
            sets.dedup();
            sets
        };
        let sources = Groups::new(peers, &peer_sets(Direction::Ingress), &mut runs, |p| {
            if p < classes {
                u64::from(egress_row_of[p])
            } else {
                u64::MAX
            }
        });
        let destinations = Groups::new(peers, &peer_sets(Direction::Egress), &mut runs, |p| {
            if p < classes {
                (u64::from(ingress_row_of[p]) << 32) | u64::from(compiled.classes[p].ports)
            } else {
                u64::MAX
            }
        });
        ClassMatrix {
            compiled,
            sets: interner.sets,
            egress_rows,
            egress_row_of,
            ingress_rows,
            ingress_row_of,
            meet,
            changes,
            sources,
            destinations,
        }
    }

    /// `(egress verdict of from towards to, ingress verdict of to from from)`.
    fn verdicts(&self, from: usize, to: usize) -> (u32, u32) {
        let classes = self.compiled.classes.len();
        let egress =
            if from < classes { self.egress_rows[self.egress_row_of[from] as usize].get(to) } else { ALL };
        let ingress =
            if to < classes { self.ingress_rows[self.ingress_row_of[to] as usize].get(from) } else { ALL };
        (egress, ingress)
    }

    /// The connections from peer `from` to peer `to` (indices as described
    /// on the type).
    pub fn get(&self, from: usize, to: usize) -> &ConnectionSet {
        &self.sets[self.set_id(from, to)]
    }

    /// The id of [`ClassMatrix::get`]'s answer: equal ids are equal sets;
    /// `0` is the empty set and `1` every connection.
    pub fn set_id(&self, from: usize, to: usize) -> usize {
        let (egress, ingress) = self.verdicts(from, to);
        self.meet.get(egress, ingress) as usize
    }

    /// The set with id `id` (see [`ClassMatrix::set_id`]).
    pub fn set(&self, id: usize) -> &ConnectionSet {
        &self.sets[id]
    }

    /// Calls `visit(from, row)` for every source peer in order, `row[to]`
    /// being [`ClassMatrix::set_id`]`(from, to)` for every destination peer.
    /// The whole matrix in time proportional to its size, without storing it.
    pub fn for_each_row(&self, visit: impl FnMut(usize, &[u32])) {
        let all: Vec<usize> = (0..self.peers()).collect();
        self.for_each_row_of(&all, visit);
    }

    /// [`ClassMatrix::for_each_row`] for the source peers in `sources`
    /// (ascending).
    pub fn for_each_row_of(&self, sources: &[usize], mut visit: impl FnMut(usize, &[u32])) {
        let mut sweep = Sweep::new(self);
        let mut row = vec![NONE; self.peers()];
        let mut group = u32::MAX;
        for &from in sources {
            // A source's row is its group's, which the sweep computes at any
            // of the group's peers.
            if self.sources.of[from] != group {
                group = self.sources.of[from];
                let compact = sweep.row_at(from);
                for (cell, &to) in row.iter_mut().zip(&self.destinations.of) {
                    *cell = compact[to as usize];
                }
            }
            visit(from, &row);
        }
    }

    /// [`ClassMatrix::for_each_row_of`] on every core: `map(from, row)` for
    /// each source peer of `sources` (ascending), results in that order.
    pub fn map_rows<T: Send>(&self, sources: &[usize], map: impl Fn(usize, &[u32]) -> T + Sync) -> Vec<T> {
        parallel(sources, |part, out| self.for_each_row_of(part, |from, row| out.push(map(from, row))))
    }

    /// The number of source groups: peers whose rows are equal share one.
    pub fn source_groups(&self) -> usize {
        self.sources.first.len()
    }

    /// The number of destination groups: peers whose columns are equal
    /// share one.
    pub fn destination_groups(&self) -> usize {
        self.destinations.first.len()
    }

    /// The source group of peer `peer`.
    pub fn source_group(&self, peer: usize) -> usize {
        self.sources.of[peer] as usize
    }

    /// The destination group of peer `peer`.
    pub fn destination_group(&self, peer: usize) -> usize {
        self.destinations.of[peer] as usize
    }

    /// The whole matrix, compressed: `map(group, row)` for every source
    /// group on every core, `row[g]` being the set id from the group's peers
    /// to destination group `g`'s. Results in group order.
    pub fn map_group_rows<T: Send>(&self, map: impl Fn(usize, &[u32]) -> T + Sync) -> Vec<T> {
        let groups: Vec<usize> = (0..self.source_groups()).collect();
        parallel(&groups, |part, out| {
            let mut sweep = Sweep::new(self);
            for &group in part {
                out.push(map(group, sweep.row_at(self.sources.first[group] as usize)));
            }
        })
    }

    /// Checks that the rows the sweeps give, by peer and by group, are the
    /// cells looked up one by one from the segment rows.
    #[cfg(test)]
    pub(crate) fn assert_rows_agree(&self) {
        let peers = self.peers();
        let sources: Vec<usize> = (0..peers).collect();
        let rows = self.map_rows(&sources, |_, row| row.to_vec());
        let groups = self.map_group_rows(|_, row| row.to_vec());
        for from in 0..peers {
            for to in 0..peers {
                let expected = self.set_id(from, to) as u32;
                assert_eq!(rows[from][to], expected, "row of peer {from}, peer {to}");
                let group = &groups[self.source_group(from)];
                assert_eq!(
                    group[self.destination_group(to)],
                    expected,
                    "group row of peer {from}, peer {to}"
                );
            }
        }
        self.assert_focused_agree();
    }

    /// Checks that a [`super::FocusedMatrix`] on each peer, and on every
    /// other peer at once, gives this matrix's cells in their rows and
    /// columns, and no answer for other pairs.
    #[cfg(test)]
    fn assert_focused_agree(&self) {
        let peers = self.peers();
        let every_other: Vec<usize> = (0..peers).step_by(2).collect();
        let focuses = (0..peers).map(|p| vec![p]).chain([every_other]);
        for focus in focuses {
            let focused = super::FocusedMatrix::new(self.compiled, &focus);
            for from in 0..peers {
                for to in 0..peers {
                    let id = focused.set_id(from, to);
                    if !focus.contains(&from) && !focus.contains(&to) {
                        assert_eq!(id, None, "focus {focus:?}, peer {from} to peer {to}");
                        continue;
                    }
                    let got = id.map(|id| focused.set(id));
                    assert_eq!(got, Some(self.get(from, to)), "focus {focus:?}, peer {from} to peer {to}");
                }
            }
        }
    }

    /// The index of an endpoint: a pod's class, the ingress controller's
    /// class, or the block holding an external range's first address.
    pub fn index(&self, endpoint: &Endpoint) -> usize {
        peer_index(self.compiled, endpoint)
    }

    /// The connections from `from` to `to`. An external range must lie in
    /// one block of behaviour (any of [`super::PolicyEngine::external_sources`]
    /// as a source, [`super::PolicyEngine::external_destinations`] as a
    /// destination, or [`super::PolicyEngine::external_ranges`]); for other
    /// ranges use [`super::PolicyEngine::allowed`].
    pub fn allowed(&self, from: &Endpoint, to: &Endpoint) -> &ConnectionSet {
        self.get(self.index(from), self.index(to))
    }

    /// The number of distinct connection sets in the matrix.
    pub fn distinct_sets(&self) -> usize {
        self.sets.len()
    }

    /// The number of peers (classes, then blocks).
    pub fn peers(&self) -> usize {
        self.compiled.classes.len() + self.compiled.blocks.len()
    }
}

/// The peer index of an endpoint ([`ClassMatrix::index`]).
pub(super) fn peer_index(compiled: &Compiled<'_>, endpoint: &Endpoint) -> usize {
    match endpoint {
        Endpoint::Pod(pod) => compiled.pod_class[pod.0 as usize] as usize,
        Endpoint::IngressController => compiled.ingress_controller as usize,
        Endpoint::External(range) => {
            let blocks = ip::blocks_overlapping(&compiled.blocks, range);
            compiled.classes.len() + blocks.start.min(compiled.blocks.len().saturating_sub(1))
        }
    }
}

/// Runs `work(part, out)` on parts of `items` on every core, and joins
/// the outputs in order.
fn parallel<I: Sync, T: Send>(items: &[I], work: impl Fn(&[I], &mut Vec<T>) + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    if threads <= 1 {
        let mut out = Vec::with_capacity(items.len());
        work(items, &mut out);
        return out;
    }
    let chunk = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    work(part, &mut out);
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("row worker panicked")).collect()
    })
}

/// Rows of a [`ClassMatrix`] over destination groups, for sources visited
/// in ascending order. From one source to the next, few cells change: the
/// egress rows of neighbouring classes differ in a few segments, and few
/// ingress rows change verdict. So the row is kept and only those cells are
/// recomputed.
struct Sweep<'m> {
    matrix: &'m ClassMatrix<'m>,
    next_change: usize,
    /// Per ingress row (and a last slot for blocks, always `ALL`): its
    /// verdict's rank at the current source.
    ingress_now: Vec<u32>,
    /// Per destination group: its slot in `ingress_now`.
    ingress_slot: Vec<u32>,
    /// The destination groups of each slot: `groups_of[start[s]..start[s + 1]]`.
    slot_start: Vec<u32>,
    groups_of: Vec<u32>,
    /// Slots whose verdict changed since the last row, each once.
    touched: Vec<u32>,
    is_touched: Vec<bool>,
    /// Per destination group: the egress verdict of `egress_row` towards
    /// it, as a row offset into the meet table.
    egress: Vec<u32>,
    /// The egress row `egress` and `row` hold (`None` before the first row).
    egress_row: Option<usize>,
    /// Sources outside the cluster: no egress policy applies.
    all: Row,
    row: Vec<u32>,
}

impl<'m> Sweep<'m> {
    fn new(matrix: &'m ClassMatrix<'m>) -> Sweep<'m> {
        let classes = matrix.compiled.classes.len();
        let meet = &matrix.meet;
        let slots = matrix.ingress_rows.len() + 1;
        let ingress_slot: Vec<u32> =
            matrix
                .destinations
                .first
                .iter()
                .map(|&to| {
                    if (to as usize) < classes {
                        matrix.ingress_row_of[to as usize]
                    } else {
                        slots as u32 - 1
                    }
                })
                .collect();
        let mut slot_start = vec![0u32; slots + 1];
        for &slot in &ingress_slot {
            slot_start[slot as usize + 1] += 1;
        }
        for s in 0..slots {
            slot_start[s + 1] += slot_start[s];
        }
        let mut fill = slot_start.clone();
        let mut groups_of = vec![0u32; ingress_slot.len()];
        for (group, &slot) in ingress_slot.iter().enumerate() {
            groups_of[fill[slot as usize] as usize] = group as u32;
            fill[slot as usize] += 1;
        }
        let groups = matrix.destinations.first.len();
        Sweep {
            matrix,
            next_change: 0,
            ingress_now: vec![meet.ingress_rank[ALL as usize]; slots],
            ingress_slot,
            slot_start,
            groups_of,
            touched: Vec::new(),
            is_touched: vec![false; slots],
            egress: vec![0; groups],
            egress_row: None,
            all: Row::constant(ALL),
            row: vec![NONE; groups],
        }
    }

    /// The row of source peer `from` over destination groups; `from` must
    /// not be below the previous call's.
    fn row_at(&mut self, from: usize) -> &[u32] {
        let m = self.matrix;
        let meet = &m.meet;
        let width = meet.width as u32;
        while self.next_change < m.changes.len() && m.changes[self.next_change].0 as usize <= from {
            let (_, r, id) = m.changes[self.next_change];
            let rank = meet.ingress_rank[id as usize];
            if self.ingress_now[r as usize] != rank {
                self.ingress_now[r as usize] = rank;
                if !self.is_touched[r as usize] {
                    self.is_touched[r as usize] = true;
                    self.touched.push(r);
                }
            }
            self.next_change += 1;
        }
        let classes = m.compiled.classes.len();
        // `egress_rows.len()` stands for the constant row of sources outside the cluster.
        let wanted = if from < classes { m.egress_row_of[from] as usize } else { m.egress_rows.len() };
        let row_of = |r: usize| m.egress_rows.get(r).unwrap_or(&self.all);
        let first = &m.destinations.first;
        match self.egress_row {
            None => {
                sample(row_of(wanted), first, &mut self.egress);
                // Egress verdicts as row offsets into the meet table.
                for e in self.egress.iter_mut() {
                    *e = meet.egress_rank[*e as usize] * width;
                }
                for ((cell, &e), &slot) in self.row.iter_mut().zip(&self.egress).zip(&self.ingress_slot) {
                    *cell = meet.table[(e + self.ingress_now[slot as usize]) as usize];
                }
            }
            Some(current) if current != wanted => {
                let peers = m.peers() as u32;
                let (egress, row) = (&mut self.egress, &mut self.row);
                let (ingress_now, ingress_slot) = (&self.ingress_now, &self.ingress_slot);
                differences(row_of(current), row_of(wanted), peers, |start, end, id| {
                    let lo = first.partition_point(|&p| p < start);
                    let hi = first.partition_point(|&p| p < end);
                    let e = meet.egress_rank[id as usize] * width;
                    for group in lo..hi {
                        egress[group] = e;
                        row[group] = meet.table[(e + ingress_now[ingress_slot[group] as usize]) as usize];
                    }
                });
            }
            Some(_) => {}
        }
        self.egress_row = Some(wanted);
        for &slot in &self.touched {
            let now = self.ingress_now[slot as usize];
            let groups = self.slot_start[slot as usize] as usize..self.slot_start[slot as usize + 1] as usize;
            for &group in &self.groups_of[groups] {
                self.row[group as usize] = meet.table[(self.egress[group as usize] + now) as usize];
            }
            self.is_touched[slot as usize] = false;
        }
        self.touched.clear();
        &self.row
    }
}

/// Calls `visit(start, end, verdict)` for runs of peers `start..end`
/// covering exactly the peers where `new` differs from `old`, with `new`'s
/// verdict there.
fn differences(old: &Row, new: &Row, peers: u32, mut visit: impl FnMut(u32, u32, u32)) {
    let (mut i, mut k, mut position) = (0, 0, 0);
    while position < peers {
        let end_old = old.segments.get(i + 1).map_or(peers, |s| s.0);
        let end_new = new.segments.get(k + 1).map_or(peers, |s| s.0);
        let end = end_old.min(end_new);
        if old.segments[i].1 != new.segments[k].1 {
            visit(position, end, new.segments[k].1);
        }
        position = end;
        if end == end_old {
            i += 1;
        }
        if end == end_new {
            k += 1;
        }
    }
}

/// `out[i]` = the verdict of `row` at peer `at[i]` (`at` ascending).
fn sample(row: &Row, at: &[u32], out: &mut [u32]) {
    let mut segment = 0;
    for (cell, &peer) in out.iter_mut().zip(at) {
        while segment + 1 < row.segments.len() && row.segments[segment + 1].0 <= peer {
            segment += 1;
        }
        *cell = row.segments[segment].1;
    }
}

/// The table of intersections of every egress verdict with every ingress
/// verdict (ids, with repeats) that rows hold. Distinct verdicts are few
/// (one per combination of rule ports that occurs), so the table is small.
pub(super) fn meet_table(egress: Vec<u32>, ingress: Vec<u32>, interner: &mut Interner) -> Meet {
    let ranks = |mut ids: Vec<u32>, interner: &Interner| {
        ids.extend([NONE, ALL]);
        ids.sort_unstable();
        ids.dedup();
        let mut rank = vec![u32::MAX; interner.sets.len()];
        for (r, &id) in ids.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        (ids, rank)
    };
    let (egress_ids, egress_rank) = ranks(egress, interner);
    let (ingress_ids, ingress_rank) = ranks(ingress, interner);
    let mut table = Vec::with_capacity(egress_ids.len() * ingress_ids.len());
    for &e in &egress_ids {
        for &i in &ingress_ids {
            let id = match (e, i) {
                (ALL, id) | (id, ALL) => id,
                (NONE, _) | (_, NONE) => NONE,
                _ => {
                    let set = interner.sets[e as usize].intersection(&interner.sets[i as usize]);
                    interner.id(set)
                }
            };
            table.push(id);
        }
    }
    Meet { egress_rank, ingress_rank, width: ingress_ids.len(), table }
}

/// Each peer set as sorted, disjoint `[start, end)` peer-index intervals.
pub(super) struct Runs<'a> {
    compiled: &'a Compiled<'a>,
    runs: Vec<Option<Vec<(u32, u32)>>>,
}

impl<'a> Runs<'a> {
    pub(super) fn new(compiled: &'a Compiled<'a>) -> Runs<'a> {
        Runs { compiled, runs: vec![None; compiled.peer_sets.len()] }
    }

    fn of(&mut self, peer_set: u32) -> &[(u32, u32)] {
        let compiled = self.compiled;
        self.runs[peer_set as usize].get_or_insert_with(|| {
            let set = &compiled.peer_sets[peer_set as usize];
            let classes = compiled.classes.len() as u32;
            let mut runs: Vec<(u32, u32)> = Vec::new();
            let mut add = |index: u32| match runs.last_mut() {
                Some(last) if last.1 == index => last.1 += 1,
                _ => runs.push((index, index + 1)),
            };
            for class in set.classes.iter() {
                add(class as u32);
            }
            for block in set.blocks.iter() {
                add(classes + block as u32);
            }
            runs
        })
    }
}

/// Buffers reused from row to row.
#[derive(Default)]
pub(super) struct Scratch {
    events: Vec<(u32, u32)>,
    signature: Vec<u64>,
    named: Vec<u64>,
    memo: Memo,
}

/// Verdicts of one profile by the set of its rules that match (a
/// signature, one bit per rule) and the target named ports resolve on.
#[derive(Default)]
struct Memo {
    key: Vec<u64>,
    /// By signature and target, for profiles of at most 64 rules.
    small: FxHashMap<(u64, u64), u32>,
    /// By signature words and target, for larger profiles.
    large: FxHashMap<Vec<u64>, u32>,
}

impl Memo {
    fn clear(&mut self) {
        self.small.clear();
        self.large.clear();
    }

    /// The verdict id for the rules of `profile` that `signature` marks,
    /// evaluated once per signature and target.
    fn verdict(
        &mut self,
        compiled: &Compiled<'_>,
        profile: &Profile,
        interner: &mut Interner,
        signature: &[u64],
        target: Target,
    ) -> u32 {
        let target_word = match target {
            Target::Ports(p) => u64::from(p),
            Target::External => u64::MAX,
        };
        let small = signature.len() == 1;
        let cached = if small {
            self.small.get(&(signature[0], target_word)).copied()
        } else {
            self.key.clear();
            self.key.extend_from_slice(signature);
            self.key.push(target_word);
            self.large.get(self.key.as_slice()).copied()
        };
        if let Some(id) = cached {
            return id;
        }
        let matched = |i: usize| signature[i / 64] & (1 << (i % 64)) != 0;
        let id = interner.id(compiled.evaluate(profile, &matched, target, None));
        if small {
            self.small.insert((signature[0], target_word), id);
        } else {
            self.large.insert(self.key.clone(), id);
        }
        id
    }
}

/// The row of a profile: egress (`ports` is `None`: named ports resolve on
/// each destination) or ingress (`ports` is the subject's port profile).
pub(super) fn row(
    compiled: &Compiled<'_>,
    profile: &Profile,
    ports: Option<u32>,
    runs: &mut Runs<'_>,
    interner: &mut Interner,
    scratch: &mut Scratch,
) -> Row {
    if profile.is_trivial() {
        return Row::constant(ALL);
    }
    let classes = compiled.classes.len();
    let peers = (classes + compiled.blocks.len()) as u32;
    row_events(compiled, profile, ports.is_none(), runs, scratch);
    let Scratch { events, signature, named, memo } = scratch;
    let mut segments: Vec<(u32, u32)> = Vec::new();
    let push = |segments: &mut Vec<(u32, u32)>, start: u32, id: u32| match segments.last() {
        Some(&(_, last)) if last == id => {}
        _ => segments.push((start, id)),
    };
    let mut next = 0;
    let mut position = 0u32;
    while position < peers {
        // Toggle the rules whose intervals start or end here.
        while next < events.len() && events[next].0 == position {
            let bit = events[next].1 as usize;
            signature[bit / 64] ^= 1 << (bit % 64);
            next += 1;
        }
        let end = events.get(next).map_or(peers, |e| e.0).min(peers);
        let needs_ports = signature.iter().zip(named.iter()).any(|(s, n)| s & n != 0);
        let mut verdict = |target| memo.verdict(compiled, profile, interner, signature, target);
        match ports {
            Some(p) => push(&mut segments, position, verdict(Target::Ports(p))),
            None if !needs_ports => push(&mut segments, position, verdict(Target::External)),
            None => {
                for peer in position..end {
                    let target = if (peer as usize) < classes {
                        compiled.target_of(Peer::Class(peer))
                    } else {
                        Target::External
                    };
                    push(&mut segments, peer, verdict(target));
                }
            }
        }
        position = end;
    }
    Row { segments }
}

/// Fills `scratch` for a sweep of `profile`'s rules: the sorted events
/// `(peer, rule position)` where a rule's peer intervals start or end, an
/// empty signature, and (for an egress row, `egress`) the rules whose
/// verdict depends on the destination's container ports.
fn row_events(
    compiled: &Compiled<'_>,
    profile: &Profile,
    egress: bool,
    runs: &mut Runs<'_>,
    scratch: &mut Scratch,
) {
    let width = profile.rules.len().div_ceil(64).max(1);
    let Scratch { events, signature, named, memo } = scratch;
    events.clear();
    memo.clear();
    signature.clear();
    signature.resize(width, 0);
    named.clear();
    named.resize(width, 0);
    for (position, &rule) in profile.rules.iter().enumerate() {
        let rule = &compiled.rules[rule as usize];
        if egress && !rule.ports.named.is_empty() {
            named[position / 64] |= 1 << (position % 64);
        }
        for &(start, end) in runs.of(rule.peers) {
            events.push((start, position as u32));
            events.push((end, position as u32));
        }
    }
    events.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_cover_exactly_the_changed_peers() {
        let old = Row { segments: vec![(0, 5), (3, 6), (7, 5)] };
        let new = Row { segments: vec![(0, 5), (2, 6), (4, 7), (8, 5)] };
        let mut expanded = [u32::MAX; 10];
        let mut runs = Vec::new();
        differences(&old, &new, 10, |start, end, id| runs.push((start, end, id)));
        assert_eq!(runs, [(2, 3, 6), (4, 7, 7), (7, 8, 7)]);
        let value = |row: &Row, peer: u32| row.get(peer as usize);
        for (start, end, id) in runs {
            for peer in start..end {
                expanded[peer as usize] = id;
            }
        }
        for peer in 0..10u32 {
            match expanded[peer as usize] {
                u32::MAX => assert_eq!(value(&old, peer), value(&new, peer), "peer {peer}"),
                id => assert_eq!(id, value(&new, peer), "peer {peer}"),
            }
        }
        let mut none = 0;
        differences(&new, &new, 10, |_, _, _| none += 1);
        assert_eq!(none, 0);
    }
}
