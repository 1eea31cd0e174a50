//! Where the matrix reads its cells: the whole class matrix, or, for a
//! matrix filtered to a few nodes, only the rows and columns of their
//! classes ([`FocusedMatrix`]). Both give the same cells; the focused one
//! skips sweeping every source of a large cluster for a `--focus`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Role, SourceEdges, Visit};
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

    fn set(&self, id: usize) -> &ConnectionSet {
        match self {
            Cells::Whole(classes) => classes.set(id),
            Cells::Focused(focused) => focused.set(id),
        }
    }

    fn distinct_sets(&self) -> usize {
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

/// The edges per source node from the class matrix, a row at a time.
pub(super) fn class_edges<K: Fn(usize, usize) -> bool + Sync>(
    cells: &Cells<'_>,
    roles: &[Role],
    visit: &Visit<'_, K>,
) -> Vec<Vec<(usize, Arc<ConnectionSet>)>> {
    let mut by_peer: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut destination_peer: Vec<Option<usize>> = vec![None; roles.len()];
    for (node, role) in roles.iter().enumerate() {
        match *role {
            Role::Member { class, .. } => {
                by_peer.entry(class).or_default().push(node);
                destination_peer[node] = Some(class);
            }
            Role::External { index, source, destination } => {
                if source {
                    by_peer.entry(index).or_default().push(node);
                }
                if destination {
                    destination_peer[node] = Some(index);
                }
            }
            Role::IngressController | Role::Gateway => {}
        }
    }
    let sources: Vec<usize> = by_peer.keys().copied().collect();
    // A source outside the namespace and focus filters keeps only edges
    // into selected nodes: visiting just those keeps a filtered matrix of a
    // large cluster from walking every pair.
    let destinations: Vec<usize> =
        (0..destination_peer.len()).filter(|&to| destination_peer[to].is_some()).collect();
    let selected_destinations: Vec<usize> =
        destinations.iter().copied().filter(|&to| visit.selected[to]).collect();
    let walk = Walk {
        roles,
        visit,
        by_peer: &by_peer,
        destination_peer: &destination_peer,
        destinations: &destinations,
        selected_destinations: &selected_destinations,
    };
    let found: Vec<Vec<SourceEdges>> = match cells {
        Cells::Whole(classes) => classes.map_rows(&sources, |peer, row| walk.edges(peer, |to| row[to])),
        Cells::Focused(focused) => {
            sources.iter().map(|&peer| walk.edges(peer, |to| focused_id(focused, peer, to))).collect()
        }
    };
    let mut shared: Vec<Option<Arc<ConnectionSet>>> = vec![None; cells.distinct_sets()];
    let mut share = |id: usize| shared[id].get_or_insert_with(|| Arc::new(cells.set(id).clone())).clone();
    let mut buckets: Vec<Vec<(usize, Arc<ConnectionSet>)>> = vec![Vec::new(); roles.len()];
    for (from, out) in found.into_iter().flatten() {
        buckets[from] = out.into_iter().map(|(to, id)| (to as usize, share(id as usize))).collect();
    }
    buckets
}

/// What [`class_edges`] walks: the nodes by source peer and by
/// destination peer.
struct Walk<'a, K> {
    roles: &'a [Role],
    visit: &'a Visit<'a, K>,
    by_peer: &'a BTreeMap<usize, Vec<usize>>,
    destination_peer: &'a [Option<usize>],
    destinations: &'a [usize],
    selected_destinations: &'a [usize],
}

impl<K: Fn(usize, usize) -> bool> Walk<'_, K> {
    /// The edges of the source nodes of peer `peer`, `cell(to)` being the
    /// set id from `peer` to destination peer `to`.
    fn edges(&self, peer: usize, cell: impl Fn(usize) -> u32) -> Vec<SourceEdges> {
        let (roles, selected, restricted, keep) =
            (self.roles, self.visit.selected, self.visit.restricted, self.visit.keep);
        self.by_peer[&peer]
            .iter()
            .map(|&from| {
                let external_source = matches!(roles[from], Role::External { .. });
                let candidates = if restricted && !selected[from] {
                    self.selected_destinations
                } else {
                    self.destinations
                };
                let out = candidates
                    .iter()
                    .filter_map(|&to| {
                        let destination = self.destination_peer[to]?;
                        let skip = from == to
                            || (external_source && matches!(roles[to], Role::External { .. }))
                            || !keep(from, to);
                        let id = if skip { 0 } else { cell(destination) };
                        (id != 0).then_some((to as u32, id))
                    })
                    .collect();
                (from, out)
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
