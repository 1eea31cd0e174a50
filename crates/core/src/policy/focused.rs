//! The cells of the class matrix that touch a few peers: their rows and
//! their columns, without sweeping the rest.
//!
//! A filtered matrix (`matrix --focus`, `--namespace`) needs only the pairs
//! with an end among the selected peers. [`super::ClassMatrix`] computes an
//! egress row for every egress profile and an ingress row for every
//! ingress profile before any pair is answered; here only the focused
//! peers get rows, and the other side of each pair is one verdict per
//! profile: the egress verdict of every egress profile towards a focused
//! peer, the ingress verdict of every ingress profile from it. Each is
//! the same evaluation of the same profile for the same peer
//! ([`Compiled::evaluate`]) that the class matrix's rows memoize, so every
//! cell is the class matrix's cell.

use super::class_matrix::{meet_table, peer_index, row, Interner, Meet, Row, Runs, Scratch, ALL};
use super::compile::Compiled;
use super::eval::{Peer, Target};
use super::select::FxHashMap;
use super::Endpoint;
use crate::ports::ConnectionSet;

/// The cells of the class matrix from and to a set of focused peers
/// (indexed as [`super::ClassMatrix`]'s).
pub struct FocusedMatrix<'e> {
    compiled: &'e Compiled<'e>,
    sets: Vec<ConnectionSet>,
    /// Per peer: its position among the focused peers, or `u32::MAX`.
    position: Vec<u32>,
    /// Per focused peer, its verdicts as a source and as a destination.
    focused: Vec<Focused>,
    meet: Meet,
}

/// One focused peer's verdicts.
struct Focused {
    /// Its egress verdicts towards every peer.
    egress_row: Row,
    /// Its ingress verdicts from every peer.
    ingress_row: Row,
    /// Per class: the egress verdict of the class towards the peer.
    egress_towards: Vec<u32>,
    /// Per class: the ingress verdict of the class from the peer.
    ingress_from: Vec<u32>,
}

impl<'e> FocusedMatrix<'e> {
    /// The rows and columns of the peers `focus` (duplicates allowed).
    pub(crate) fn new(compiled: &'e Compiled<'e>, focus: &[usize]) -> FocusedMatrix<'e> {
        let peers = compiled.classes.len() + compiled.blocks.len();
        let mut interner = Interner::new();
        let mut runs = Runs::new(compiled);
        let mut scratch = Scratch::default();
        let mut position = vec![u32::MAX; peers];
        let mut focused = Vec::new();
        for &peer in focus {
            if peer >= peers || position[peer] != u32::MAX {
                continue;
            }
            position[peer] = focused.len() as u32;
            focused.push(Focused::new(compiled, peer, &mut runs, &mut interner, &mut scratch));
        }
        let egress =
            focused.iter().flat_map(|f| f.egress_row.verdicts().chain(f.egress_towards.iter().copied()));
        let ingress =
            focused.iter().flat_map(|f| f.ingress_row.verdicts().chain(f.ingress_from.iter().copied()));
        let meet = meet_table(egress.collect(), ingress.collect(), &mut interner);
        FocusedMatrix { compiled, sets: interner.sets, position, focused, meet }
    }

    /// The index of an endpoint, as [`super::ClassMatrix::index`].
    pub fn index(&self, endpoint: &Endpoint) -> usize {
        peer_index(self.compiled, endpoint)
    }

    /// The id of the connections from peer `from` to peer `to` (equal ids
    /// are equal sets; `0` is the empty set and `1` every connection), as
    /// [`super::ClassMatrix::set_id`]; `None` when neither is focused.
    pub fn set_id(&self, from: usize, to: usize) -> Option<usize> {
        let classes = self.compiled.classes.len();
        let focused = |peer: usize| self.focused.get(*self.position.get(peer)? as usize);
        let (source, destination) = (focused(from), focused(to));
        if source.is_none() && destination.is_none() {
            return None;
        }
        let egress = match (source, destination) {
            _ if from >= classes => ALL,
            (Some(source), _) => source.egress_row.get(to),
            (None, Some(destination)) => destination.egress_towards[from],
            (None, None) => return None,
        };
        let ingress = match (destination, source) {
            _ if to >= classes => ALL,
            (Some(destination), _) => destination.ingress_row.get(from),
            (None, Some(source)) => source.ingress_from[to],
            (None, None) => return None,
        };
        Some(self.meet.get(egress, ingress) as usize)
    }

    /// The set with id `id` (see [`FocusedMatrix::set_id`]).
    pub fn set(&self, id: usize) -> &ConnectionSet {
        &self.sets[id]
    }

    /// The number of distinct connection sets.
    pub fn distinct_sets(&self) -> usize {
        self.sets.len()
    }

    /// The number of peers (classes, then blocks).
    pub fn peers(&self) -> usize {
        self.position.len()
    }
}

impl Focused {
    fn new(
        compiled: &Compiled<'_>,
        peer: usize,
        runs: &mut Runs<'_>,
        interner: &mut Interner,
        scratch: &mut Scratch,
    ) -> Focused {
        let classes = compiled.classes.len();
        let (egress_row, ingress_row) = match compiled.classes.get(peer) {
            Some(class) => {
                let [ingress, egress] = class.profiles.map(|p| &compiled.profiles[p as usize]);
                (
                    row(compiled, egress, None, runs, interner, scratch),
                    row(compiled, ingress, Some(class.ports), runs, interner, scratch),
                )
            }
            None => (Row::constant(ALL), Row::constant(ALL)),
        };
        let as_peer =
            if peer < classes { Peer::Class(peer as u32) } else { Peer::Block((peer - classes) as u32) };
        Focused {
            egress_row,
            ingress_row,
            egress_towards: towards(compiled, as_peer, interner),
            ingress_from: from(compiled, as_peer, interner),
        }
    }
}

/// Per class, the egress verdict of its profile towards `peer`: one
/// evaluation per distinct egress profile.
fn towards(compiled: &Compiled<'_>, peer: Peer, interner: &mut Interner) -> Vec<u32> {
    let target = compiled.target_of(peer);
    let mut memo: FxHashMap<u32, u32> = FxHashMap::default();
    compiled
        .classes
        .iter()
        .map(|class| {
            let profile_id = class.profiles[1];
            *memo.entry(profile_id).or_insert_with(|| verdict(compiled, profile_id, peer, target, interner))
        })
        .collect()
}

/// Per class, the ingress verdict of its profile from `peer`: one
/// evaluation per distinct ingress profile and, when the profile names
/// ports, the class's container ports.
fn from(compiled: &Compiled<'_>, peer: Peer, interner: &mut Interner) -> Vec<u32> {
    let mut memo: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    compiled
        .classes
        .iter()
        .map(|class| {
            let profile_id = class.profiles[0];
            let named = compiled.profiles[profile_id as usize].has_named;
            let key = (profile_id, if named { class.ports } else { u32::MAX });
            let target = Target::Ports(class.ports);
            *memo.entry(key).or_insert_with(|| verdict(compiled, profile_id, peer, target, interner))
        })
        .collect()
}

/// The verdict id of profile `profile_id` for `peer`, named ports
/// resolved on `target`.
fn verdict(
    compiled: &Compiled<'_>,
    profile_id: u32,
    peer: Peer,
    target: Target,
    interner: &mut Interner,
) -> u32 {
    let profile = &compiled.profiles[profile_id as usize];
    if profile.is_trivial() {
        return ALL;
    }
    let matched = |i: usize| compiled.rule_matches(profile.rules[i], peer);
    interner.id(compiled.evaluate(profile, &matched, target, None))
}
