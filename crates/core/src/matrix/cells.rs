//! Where the matrix reads its cells: the whole class matrix, or, for a
//! matrix filtered to a few nodes, only the rows and columns of their
//! classes ([`FocusedMatrix`]). Both give the same cells; the focused one
//! skips sweeping every source of a large cluster for a `--focus`.

use std::collections::BTreeMap;

use super::{Role, Visit};
use crate::policy::{ClassMatrix, Endpoint, FocusedMatrix, PolicyEngine};
use crate::ports::ConnectionSet;

/// The class matrix's cells, whole or for the selected nodes' classes.
pub(super) enum Cells<'e> {
    Whole(ClassMatrix<'e>),
    Focused(FocusedMatrix<'e>),
}

/// Which of [`Cells`] to compute, from the number of focused peers and
/// of all peers.
pub(super) type Choose = fn(usize, usize) -> bool;

/// Whether the rows and columns of `focused` peers cost less than the
/// whole class matrix of `peers`: each focused peer costs about one
/// evaluation per profile of the cluster, the whole matrix a row per
/// profile and a sweep of every source group.
pub(super) fn focus_pays(focused: usize, peers: usize) -> bool {
    focused.saturating_mul(FOCUS_COST) <= peers
}

/// Peers of the cluster one focused peer costs about as much as.
const FOCUS_COST: usize = 64;

impl<'e> Cells<'e> {
    /// The cells for a matrix whose selected nodes are those of
    /// `selected` (all of them when not `restricted`).
    pub(super) fn new(
        engine: &'e PolicyEngine<'_>,
        roles: &[Role],
        selected: &[bool],
        restricted: bool,
        choose: Choose,
    ) -> Cells<'e> {
        if restricted {
            let mut focus: Vec<usize> = roles
                .iter()
                .zip(selected)
                .filter(|(_, s)| **s)
                .filter_map(|(role, _)| match *role {
                    Role::Member { class, .. } => Some(class),
                    Role::IngressController => Some(engine.peer_index(&Endpoint::IngressController)),
                    Role::External { .. } | Role::Gateway => None,
                })
                .collect();
            focus.sort_unstable();
            focus.dedup();
            if choose(focus.len(), engine.peer_count()) {
                return Cells::Focused(engine.focused_matrix(&focus));
            }
        }
        Cells::Whole(engine.class_matrix())
    }

    /// The connections from peer `from` to peer `to`; with focused cells
    /// one of them must be a selected node's.
    pub(super) fn get(&self, from: usize, to: usize) -> &ConnectionSet {
        match self {
            Cells::Whole(classes) => classes.get(from, to),
            Cells::Focused(focused) => focused.set(focused_id(focused, from, to) as usize),
        }
    }

    pub(super) fn set(&self, id: usize) -> &ConnectionSet {
        match self {
            Cells::Whole(classes) => classes.set(id),
            Cells::Focused(focused) => focused.set(id),
        }
    }

    pub(super) fn distinct_sets(&self) -> usize {
        match self {
            Cells::Whole(classes) => classes.distinct_sets(),
            Cells::Focused(focused) => focused.distinct_sets(),
        }
    }
}

fn focused_id(focused: &FocusedMatrix<'_>, from: usize, to: usize) -> u32 {
    let id =
        focused.set_id(from, to).expect("the matrix asks focused cells only about pairs with a selected end");
    id as u32
}

/// The class matrix's edges of source nodes, a chunk of sources at a time
/// ([`ClassEdges::of_sources`]).
pub(super) struct ClassEdges<'a, 'e, K> {
    cells: &'a Cells<'e>,
    /// Per node: the peer whose row its edges are read from, for sources.
    source_peer: Vec<Option<usize>>,
    walk: Walk<'a, K>,
}

impl<'a, 'e, K: Fn(usize, usize) -> bool + Sync> ClassEdges<'a, 'e, K> {
    /// The class edges of the nodes of `roles`, as `visit` filters them.
    pub(super) fn new(cells: &'a Cells<'e>, roles: &'a [Role], visit: &'a Visit<'a, K>) -> Self {
        let mut source_peer: Vec<Option<usize>> = vec![None; roles.len()];
        let mut destination_peer: Vec<Option<usize>> = vec![None; roles.len()];
        for (node, role) in roles.iter().enumerate() {
            match *role {
                Role::Member { class, .. } => {
                    source_peer[node] = Some(class);
                    destination_peer[node] = Some(class);
                }
                Role::External { index, source, destination } => {
                    source_peer[node] = source.then_some(index);
                    destination_peer[node] = destination.then_some(index);
                }
                Role::IngressController | Role::Gateway => {}
            }
        }
        // A source outside the namespace and focus filters keeps only edges
        // into selected nodes: visiting just those keeps a filtered matrix of a
        // large cluster from walking every pair.
        let destinations: Vec<usize> =
            (0..destination_peer.len()).filter(|&to| destination_peer[to].is_some()).collect();
        let selected_destinations: Vec<usize> =
            destinations.iter().copied().filter(|&to| visit.selected[to]).collect();
        let walk = Walk { roles, visit, destination_peer, destinations, selected_destinations };
        ClassEdges { cells, source_peer, walk }
    }

    /// The number of destination nodes (the width of a source's row).
    pub(super) fn destinations(&self) -> usize {
        self.walk.destinations.len()
    }

    /// The edges `(destination node, set id)` of each node of `sources`,
    /// in that order, sorted by destination; none for a node that is no
    /// class source.
    pub(super) fn of_sources(&self, sources: &[usize]) -> Vec<Vec<(u32, u32)>> {
        // Positions in `sources` by peer: the rows are swept in peer order.
        let mut by_peer: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (at, &from) in sources.iter().enumerate() {
            if let Some(peer) = self.source_peer[from] {
                by_peer.entry(peer).or_default().push(at);
            }
        }
        let peers: Vec<usize> = by_peer.keys().copied().collect();
        let (walk, by_peer) = (&self.walk, &by_peer);
        let of_peer = |peer: usize, cell: &dyn Fn(usize) -> u32| -> Vec<Positioned> {
            by_peer[&peer].iter().map(|&at| (at, walk.source(sources[at], cell))).collect()
        };
        let found: Vec<Vec<Positioned>> = match self.cells {
            Cells::Whole(classes) => classes.map_rows(&peers, |peer, row| of_peer(peer, &|to| row[to])),
            Cells::Focused(focused) => {
                peers.iter().map(|&peer| of_peer(peer, &|to| focused_id(focused, peer, to))).collect()
            }
        };
        let mut out = vec![Vec::new(); sources.len()];
        for (at, edges) in found.into_iter().flatten() {
            out[at] = edges;
        }
        out
    }
}

/// A source's edges `(destination node, set id)`, by its position in a chunk.
type Positioned = (usize, Vec<(u32, u32)>);

/// What [`ClassEdges`] walks: the destination nodes and their peers.
struct Walk<'a, K> {
    roles: &'a [Role],
    visit: &'a Visit<'a, K>,
    destination_peer: Vec<Option<usize>>,
    destinations: Vec<usize>,
    selected_destinations: Vec<usize>,
}

impl<K: Fn(usize, usize) -> bool> Walk<'_, K> {
    /// The edges of source node `from`, `cell(to)` being the set id from
    /// its peer to destination peer `to`.
    fn source(&self, from: usize, cell: &dyn Fn(usize) -> u32) -> Vec<(u32, u32)> {
        let (roles, selected, restricted, keep) =
            (self.roles, self.visit.selected, self.visit.restricted, self.visit.keep);
        let external_source = matches!(roles[from], Role::External { .. });
        let candidates =
            if restricted && !selected[from] { &self.selected_destinations } else { &self.destinations };
        candidates
            .iter()
            .filter_map(|&to| {
                let destination = self.destination_peer[to]?;
                let skip = from == to
                    || (external_source && matches!(roles[to], Role::External { .. }))
                    || !keep(from, to);
                let id = if skip { 0 } else { cell(destination) };
                (id != 0).then_some((to as u32, id))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{matrix_with, Filters, Granularity, MatrixOptions};
    use crate::policy::testing::{cluster, namespace, network_policy, pod_with_ports, EXTERNAL_ONLY};
    use crate::policy::{Direction, PolicyEngine};
    use crate::ports::Protocol;

    fn objects() -> Vec<Value> {
        let http = json!([{"name": "http", "containerPort": 8080}, {"containerPort": 5432}]);
        vec![
            namespace("shop", json!({"team": "shop"})),
            namespace("bank", json!({"team": "bank"})),
            pod_with_ports("shop", "web", json!({"app": "web"}), http.clone()),
            pod_with_ports("shop", "db", json!({"app": "db"}), http.clone()),
            pod_with_ports("bank", "ledger", json!({"app": "ledger"}), http),
            network_policy(
                "shop",
                "db",
                json!({"podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}]}),
            ),
            network_policy(
                "shop",
                "web-egress",
                json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {}}], "ports": [{"port": "http"}]},
                           {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 443}]}]}),
            ),
            network_policy(
                "bank",
                "ledger",
                json!({"podSelector": {}, "ingress": [
                    {"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}], "ports": [{"port": "http"}]},
                    {"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}]}),
            ),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "bank", "name": "ledger"},
                "spec": {"selector": {"app": "ledger"}, "ports": [{"port": 80, "targetPort": "http"}]}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"namespace": "bank", "name": "ledger"},
                "spec": {"defaultBackend": {"service": {"name": "ledger", "port": {"number": 80}}}}}),
        ]
    }

    /// Every filter a `--focus` or `--namespace` can give, each read from
    /// focused cells and from the whole class matrix: the same matrix.
    #[test]
    fn focused_cells_give_the_same_matrix_as_the_whole_one() {
        let cluster = cluster(&objects());
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let mut filters = Vec::new();
        for focus in [&["shop/web"][..], &["db"], &["bank/ledger", "shop/db"], &["ingress-controller"]] {
            for direction in [None, Some(Direction::Ingress), Some(Direction::Egress)] {
                filters.push(Filters { focus: names(focus), direction, ..Filters::default() });
            }
            filters.push(Filters { focus: names(focus), focus_peer: names(&["web"]), ..Filters::default() });
            filters.push(Filters {
                focus: names(focus),
                port: Some((Protocol::Tcp, 8080)),
                ..Filters::default()
            });
        }
        for namespaces in [&["shop"][..], &["bank"], &["shop", "bank"]] {
            filters.push(Filters { namespaces: names(namespaces), ..Filters::default() });
            let direction = Some(Direction::Egress);
            filters.push(Filters { namespaces: names(namespaces), direction, ..Filters::default() });
        }
        for filters in filters {
            for granularity in [Granularity::Workloads, Granularity::Pods] {
                let options =
                    MatrixOptions { granularity, ingress_controller: true, filters: filters.clone() };
                let whole = matrix_with(&engine, &options, |_, _| false);
                let focused = matrix_with(&engine, &options, |_, _| true);
                assert!(!whole.nodes.is_empty(), "{filters:?}");
                assert_eq!(focused, whole, "{filters:?}");
            }
        }
    }
}
