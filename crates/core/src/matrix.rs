//! The connectivity matrix: who can talk to whom, on which ports.
//!
//! A composition of the policy engine ([`crate::policy`]) and, for the
//! optional ingress controller, of Ingress routes and Services. Nodes are
//! workloads (or pods), the external address ranges policies tell apart,
//! and netpol-analyzer's symbolic `{ingress-controller}`. An edge carries
//! the allowed [`ConnectionSet`]; an absent pair is denied; self pairs are
//! left out.
//!
//! A workload's node takes the connections of its first pod in the
//! cluster's order (the pods of a workload are normally alike), plus
//! every connection where some of its pods and the other end's are a pod
//! and its own node, which policies never block.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::model::{Cluster, PodId};
use crate::policy::{Direction, Endpoint, IpRange, PolicyEngine};
use crate::ports::{ConnectionSet, PortSet, Protocol};

mod cells;
mod gateway;
mod stream;
use cells::{Cells, ClassEdges};
pub use gateway::{gateway_peer_id, parse_gateway_peer_id, peer_endpoint};
use stream::Extras;
pub use stream::MatrixSink;

/// Schema id of the JSON form.
pub const SCHEMA: &str = "kubereach.matrix/v1";

/// The id and label of the symbolic ingress controller node.
pub const INGRESS_CONTROLLER_ID: &str = "{ingress-controller}";

/// What a node of the matrix stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Granularity {
    /// One node per workload (a pod without controller is its own node).
    Workloads,
    /// One node per pod (a workload without pods in the input by its
    /// representative pod).
    Pods,
}

/// Which part of the matrix to keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    /// Keep edges with an end in one of these namespaces (all when empty).
    pub namespaces: Vec<String>,
    /// Keep edges with an end that is one of these workloads or pods, each
    /// `namespace/name` or `name` (netpol-analyzer's `--focusworkload`).
    pub focus: Vec<String>,
    /// With `focus`: keep only edges whose other end is one of these
    /// (netpol-analyzer's `--focusworkload-peer`).
    pub focus_peer: Vec<String>,
    /// With `focus` (else `namespace`): keep only edges into it (`Ingress`)
    /// or out of it (`Egress`).
    pub direction: Option<Direction>,
    /// Keep edges allowing this port, reduced to it.
    pub port: Option<(Protocol, u16)>,
}

/// How to build the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixOptions {
    /// Workloads or pods.
    pub granularity: Granularity,
    /// Whether to add netpol-analyzer's `{ingress-controller}` source with
    /// edges to the pods Ingresses route to.
    pub ingress_controller: bool,
    /// What to keep.
    pub filters: Filters,
}

/// The kind of a node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A workload (`Deployment`, …) or a pod (`Pod`).
    Workload(String),
    /// A range of addresses outside the cluster.
    External(IpRange),
    /// The symbolic ingress controller.
    IngressController,
    /// A Gateway's data plane (`{gateway:NAMESPACE/NAME}`).
    Gateway,
}

/// A node of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `namespace/name`, the range's CIDR (or `first-last`), or
    /// `{ingress-controller}`.
    pub id: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// The namespace, for workloads and pods.
    pub namespace: Option<String>,
    /// The name (for an external node, its id).
    pub name: String,
}

impl Node {
    /// The `kind` string of the JSON contract.
    pub fn kind_str(&self) -> &str {
        match &self.kind {
            NodeKind::Workload(kind) => kind,
            NodeKind::External(_) => "External",
            NodeKind::IngressController => "IngressController",
            NodeKind::Gateway => "Gateway",
        }
    }

    /// netpol-analyzer's label: `ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`
    /// or `{ingress-controller}`.
    pub fn label(&self) -> String {
        match &self.kind {
            NodeKind::Workload(kind) => {
                format!("{}/{}[{kind}]", self.namespace.as_deref().unwrap_or_default(), self.name)
            }
            NodeKind::External(range) => format!("{range}[External]"),
            NodeKind::IngressController => INGRESS_CONTROLLER_ID.to_owned(),
            NodeKind::Gateway => self.id.clone(),
        }
    }
}

/// An allowed pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Index of the source in [`Matrix::nodes`].
    pub from: usize,
    /// Index of the destination in [`Matrix::nodes`].
    pub to: usize,
    /// What is allowed (never empty).
    pub connections: Arc<ConnectionSet>,
}

/// The connectivity report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// Nodes, sorted by [`Node::label`].
    pub nodes: Vec<Node>,
    /// Allowed pairs, sorted by source then destination label.
    pub edges: Vec<Edge>,
}

impl Serialize for Matrix {
    /// The `kubereach.matrix/v1` JSON form.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct NodeJson<'a> {
            id: &'a str,
            kind: &'a str,
            namespace: Option<&'a str>,
            name: &'a str,
        }
        #[derive(Serialize)]
        struct EdgeJson<'a> {
            from: &'a str,
            to: &'a str,
            ports: &'a ConnectionSet,
        }
        // Serialized as they are produced, not collected first: a large
        // matrix has millions of edges.
        struct Nodes<'a>(&'a [Node]);
        impl Serialize for Nodes<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter().map(|n| NodeJson {
                    id: &n.id,
                    kind: n.kind_str(),
                    namespace: n.namespace.as_deref(),
                    name: &n.name,
                }))
            }
        }
        struct Edges<'a>(&'a Matrix);
        impl Serialize for Edges<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let nodes = &self.0.nodes;
                serializer.collect_seq(self.0.edges.iter().map(|e| EdgeJson {
                    from: &nodes[e.from].id,
                    to: &nodes[e.to].id,
                    ports: &e.connections,
                }))
            }
        }
        let (nodes, edges) = (Nodes(&self.nodes), Edges(self));
        let mut state = serializer.serialize_struct("Matrix", 3)?;
        state.serialize_field("schema", SCHEMA)?;
        state.serialize_field("nodes", &nodes)?;
        state.serialize_field("edges", &edges)?;
        state.end()
    }
}

/// The matrix of `engine`'s cluster.
pub fn matrix(engine: &PolicyEngine<'_>, options: &MatrixOptions) -> Matrix {
    matrix_with(engine, options, cells::focus_pays)
}

/// [`matrix`], put into `sink` as it is computed instead of held: its
/// nodes, then its edges in the order of [`Matrix::edges`]. A matrix with
/// a namespace or focus filter is gathered before its nodes are known.
pub fn stream<S: MatrixSink>(
    engine: &PolicyEngine<'_>,
    options: &MatrixOptions,
    sink: &mut S,
) -> Result<(), S::Error> {
    stream_with(engine, options, cells::focus_pays, sink)
}

/// [`matrix`], reading a filtered matrix's cells from the focused class
/// matrix when `choose` says it pays.
fn matrix_with(engine: &PolicyEngine<'_>, options: &MatrixOptions, choose: cells::Choose) -> Matrix {
    let mut collect = stream::Collect::default();
    let Ok(()) = stream_with(engine, options, choose, &mut collect);
    collect.matrix.unwrap_or(Matrix { nodes: Vec::new(), edges: Vec::new() })
}

/// [`stream`], reading a filtered matrix's cells from the focused class
/// matrix when `choose` says it pays.
fn stream_with<S: MatrixSink>(
    engine: &PolicyEngine<'_>,
    options: &MatrixOptions,
    choose: cells::Choose,
    sink: &mut S,
) -> Result<(), S::Error> {
    let cluster = engine.cluster();
    let mut peers = Peers::default();
    peers.add_members(cluster, engine, options.granularity);
    peers.add_externals(engine);
    let routes = if options.ingress_controller {
        ingress_routes(cluster, &peers.nodes, &peers.roles)
    } else {
        BTreeMap::new()
    };
    if !routes.is_empty() {
        peers.push(
            Node {
                id: INGRESS_CONTROLLER_ID.to_owned(),
                kind: NodeKind::IngressController,
                namespace: None,
                name: "ingress-controller".to_owned(),
            },
            Role::IngressController,
            Vec::new(),
        );
    }
    let gateways =
        if options.ingress_controller { gateway::gateway_peers(engine, &peers.roles) } else { Vec::new() };
    let mut gateway_nodes: Vec<usize> = Vec::with_capacity(gateways.len());
    for peer in &gateways {
        gateway_nodes.push(peers.nodes.len());
        peers.push(peer.node.clone(), Role::Gateway, Vec::new());
    }
    // Sort nodes by label, so edges come out sorted as they are emitted.
    let (peers, routes, position) = peers.sorted(routes);
    let gateway_nodes: Vec<usize> = gateway_nodes.into_iter().map(|i| position[i]).collect();

    let filters = &options.filters;
    let restricted = !filters.focus.is_empty() || !filters.namespaces.is_empty();
    let selected: Vec<bool> = peers.nodes.iter().map(|n| filters.selects(n)).collect();
    let peer_filter: Vec<bool> = peers.nodes.iter().map(|n| filters.selects_peer(n)).collect();
    let keep = |from: usize, to: usize| {
        let into = selected[to] && peer_filter[from];
        let out = selected[from] && peer_filter[to];
        match (restricted, filters.direction) {
            (false, _) => true,
            (true, None) => into || out,
            (true, Some(Direction::Ingress)) => into,
            (true, Some(Direction::Egress)) => out,
        }
    };
    let visit = Visit { selected: &selected, restricted, keep: &keep };
    let classes = &Cells::new(engine, &peers.roles, &selected, restricted, choose);
    let mut extras = Extras::new(classes);
    controller_edges(engine, classes, &peers.roles, &routes, &keep, &mut extras);
    gateway::add_gateway_edges(&gateways, &gateway_nodes, &position, &keep, &mut extras);
    add_node_exemptions(engine, &peers.members, &keep, &mut extras);
    let class_edges = ClassEdges::new(classes, &peers.roles, &visit);
    let selected = if restricted { Some(selected.clone()) } else { None };
    stream::send(peers.nodes, &class_edges, extras, filters.port, selected, sink)
}

/// The nodes of the matrix as they are gathered: each with its role and
/// the pods it stands for (all of a workload's pods in the input).
#[derive(Default)]
struct Peers {
    nodes: Vec<Node>,
    roles: Vec<Role>,
    members: Vec<Vec<PodId>>,
}

impl Peers {
    fn push(&mut self, node: Node, role: Role, members: Vec<PodId>) {
        self.nodes.push(node);
        self.roles.push(role);
        self.members.push(members);
    }

    /// Workload or pod nodes, each with the pod that stands for it (the
    /// first in the cluster's order) and every pod it holds.
    fn add_members(&mut self, cluster: &Cluster, engine: &PolicyEngine<'_>, granularity: Granularity) {
        let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
        for (index, pod) in cluster.pods().iter().enumerate() {
            let id = PodId(index as u32);
            let workload = cluster.workload_ref(pod);
            let (kind, name) = match granularity {
                Granularity::Workloads => (workload.kind, workload.name),
                Granularity::Pods if pod.is_representative() => (workload.kind, pod.name.clone()),
                Granularity::Pods => ("Pod".to_owned(), pod.name.clone()),
            };
            let key = (kind.clone(), pod.namespace.clone(), name.clone());
            if let Some(&node) = seen.get(&key) {
                self.members[node].push(id);
                continue;
            }
            seen.insert(key, self.nodes.len());
            let node = Node {
                id: format!("{}/{name}", pod.namespace),
                kind: NodeKind::Workload(kind),
                namespace: Some(pod.namespace.clone()),
                name,
            };
            self.push(node, Role::Member { pod: id, class: engine.peer_index(&Endpoint::Pod(id)) }, vec![id]);
        }
    }

    /// External nodes: the ranges sources and destinations are told apart by.
    fn add_externals(&mut self, engine: &PolicyEngine<'_>) {
        let mut externals: BTreeMap<IpRange, (bool, bool)> = BTreeMap::new();
        for range in engine.external_sources() {
            externals.entry(*range).or_default().0 = true;
        }
        for range in engine.external_destinations() {
            externals.entry(*range).or_default().1 = true;
        }
        for (range, (source, destination)) in externals {
            let node =
                Node { id: range.id(), kind: NodeKind::External(range), namespace: None, name: range.id() };
            let index = engine.peer_index(&Endpoint::External(range));
            self.push(node, Role::External { index, source, destination }, Vec::new());
        }
    }

    /// The nodes sorted by label (then id), with `routes` renumbered to match.
    /// Also the new position of every node, by its old index.
    fn sorted(
        self,
        routes: BTreeMap<usize, ConnectionSet>,
    ) -> (Peers, BTreeMap<usize, ConnectionSet>, Vec<usize>) {
        let labels: Vec<String> = self.nodes.iter().map(Node::label).collect();
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by(|&a, &b| {
            labels[a].cmp(&labels[b]).then_with(|| self.nodes[a].id.cmp(&self.nodes[b].id))
        });
        let mut position = vec![0; self.nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let routes = routes.into_iter().map(|(k, v)| (position[k], v)).collect();
        let mut slots: Vec<Option<(Node, Vec<PodId>)>> =
            self.nodes.into_iter().zip(self.members).map(Some).collect();
        let mut sorted = Peers::default();
        for &i in &order {
            let (node, members) = slots[i].take().expect("each node once");
            sorted.push(node, self.roles[i], members);
        }
        (sorted, routes, position)
    }
}

/// Which pairs the filters keep, for [`class_edges`].
struct Visit<'a, K> {
    selected: &'a [bool],
    restricted: bool,
    keep: &'a K,
}

/// The `{ingress-controller}` node's edges: the routed ports its policies allow.
fn controller_edges(
    engine: &PolicyEngine<'_>,
    classes: &Cells<'_>,
    roles: &[Role],
    routes: &BTreeMap<usize, ConnectionSet>,
    keep: &impl Fn(usize, usize) -> bool,
    extras: &mut Extras,
) {
    let Some(controller) = roles.iter().position(|r| matches!(r, Role::IngressController)) else { return };
    let source = engine.peer_index(&Endpoint::IngressController);
    for (&to, ports) in routes {
        let Role::Member { pod, .. } = roles[to] else { continue };
        if !keep(controller, to) {
            continue;
        }
        let allowed = classes.get(source, engine.peer_index(&Endpoint::Pod(pod))).intersection(ports);
        if !allowed.is_empty() {
            let id = extras.add_set(allowed);
            extras.put(controller, to, id);
        }
    }
}

/// Every connection between two matrix nodes some pods of which are a pod
/// and its node (a `hostNetwork` pod on the same node): policies never
/// block traffic between a pod and its node ([`PolicyEngine::exemption`]),
/// which the class matrix, answering for classes of pods, cannot tell. A
/// workload node stands for all its pods: its edge gets every connection
/// when any of its pods is exempt with a pod of the other end, as a trace
/// from that pod finds the other end reachable.
fn add_node_exemptions(
    engine: &PolicyEngine<'_>,
    members: &[Vec<PodId>],
    keep: &impl Fn(usize, usize) -> bool,
    extras: &mut Extras,
) {
    let cluster = engine.cluster();
    // (matrix node, pod) by the node the pod runs on: (all, hostNetwork ones).
    type OnNode = (Vec<(usize, PodId)>, Vec<(usize, PodId)>);
    let mut by_node: BTreeMap<&str, OnNode> = BTreeMap::new();
    for (index, pods) in members.iter().enumerate() {
        for &id in pods {
            let pod = cluster.pod(id);
            let Some(node) = pod.spec.node_name.as_deref().filter(|n| !n.is_empty()) else { continue };
            let entry = by_node.entry(node).or_default();
            entry.0.push((index, id));
            if pod.host_network() {
                entry.1.push((index, id));
            }
        }
    }
    let mut exempt: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (all, host_network) in by_node.values() {
        let pairs = host_network.iter().flat_map(|&h| all.iter().flat_map(move |&m| [(h, m), (m, h)]));
        for ((from, a), (to, b)) in pairs {
            if from == to || exempt.contains(&(from, to)) || !keep(from, to) {
                continue;
            }
            if engine.exemption(&Endpoint::Pod(a), &Endpoint::Pod(b)).is_some() {
                exempt.insert((from, to));
            }
        }
    }
    if exempt.is_empty() {
        return;
    }
    let all = extras.add_set(ConnectionSet::all());
    for (from, to) in exempt {
        extras.put(from, to, all);
    }
}

/// What a node stands for when computing edges.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A workload or pod: the pod standing for it and its class-matrix index.
    Member {
        pod: PodId,
        class: usize,
    },
    /// An external range: its class-matrix index, and whether it is a
    /// source range, a destination range, or both.
    External {
        index: usize,
        source: bool,
        destination: bool,
    },
    IngressController,
    /// A Gateway's data plane ([`gateway`]).
    Gateway,
}

impl Filters {
    /// Whether the namespace and focus filters select `node`.
    fn selects(&self, node: &Node) -> bool {
        let focus = self.focus.is_empty() || self.focus.iter().any(|f| names(f, node));
        let namespace = self.namespaces.is_empty()
            || node.namespace.as_deref().is_some_and(|n| self.namespaces.iter().any(|wanted| wanted == n));
        focus && namespace
    }

    /// Whether the peer filter admits `node` as the other end of an edge.
    fn selects_peer(&self, node: &Node) -> bool {
        self.focus_peer.is_empty() || self.focus_peer.iter().any(|f| names(f, node))
    }
}

/// Whether `reference` (`namespace/name`, `name`, the ingress controller
/// or a Gateway peer) names `node`.
fn names(reference: &str, node: &Node) -> bool {
    match node.kind {
        NodeKind::Workload(_) => node.id == reference || node.name == reference,
        NodeKind::IngressController => {
            reference == "ingress-controller" || reference == INGRESS_CONTROLLER_ID
        }
        NodeKind::External(_) => false,
        NodeKind::Gateway => gateway::names(reference, node),
    }
}

/// netpol-analyzer's `list` lines: `src => dst : connections`, sorted.
pub fn connlist_lines(matrix: &Matrix) -> Vec<String> {
    let labels: Vec<String> = matrix.nodes.iter().map(Node::label).collect();
    let mut lines: Vec<String> = matrix
        .edges
        .iter()
        .map(|e| format!("{} => {} : {}", labels[e.from], labels[e.to], e.connections))
        .collect();
    lines.sort();
    lines
}

/// The TCP ports Ingresses and OpenShift Routes route to, per member node:
/// the container ports the ingress layer says each backend reaches on the
/// member's pod ([`crate::ingress::controller_backends`]).
fn ingress_routes(cluster: &Cluster, nodes: &[Node], roles: &[Role]) -> BTreeMap<usize, ConnectionSet> {
    let mut routes: BTreeMap<usize, ConnectionSet> = BTreeMap::new();
    for backend in crate::ingress::controller_backends(cluster) {
        // A controller none of whose pods receives requests serves nothing.
        let proxies = backend.ingress.map(|ingress| crate::routes::ingress_proxies(cluster, ingress));
        if matches!(proxies, Some(crate::routes::Proxies::NotReady(_))) {
            continue;
        }
        let selected: std::collections::HashSet<PodId> =
            cluster.pods_selected_by_service(&backend.service.value).into_iter().collect();
        for (member, role) in roles.iter().enumerate() {
            let Role::Member { pod: pod_id, .. } = *role else { continue };
            debug_assert!(matches!(nodes[member].kind, NodeKind::Workload(_)));
            if !selected.contains(&pod_id) {
                continue;
            }
            for port in backend.target_ports_on(cluster.pod(pod_id)) {
                let set = ConnectionSet::from_ports(Protocol::Tcp, PortSet::single(i64::from(port)));
                let entry = routes.entry(member).or_default();
                *entry = entry.union(&set);
            }
        }
    }
    routes
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::policy::testing::{cluster, namespace, network_policy, pod, pod_with_ports, EXTERNAL_ONLY};

    fn deployment(namespace: &str, name: &str, replicas: i32, ports: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"namespace": namespace, "name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "i", "ports": ports}]}}}
        })
    }

    fn options(granularity: Granularity, filters: Filters) -> MatrixOptions {
        MatrixOptions { granularity, ingress_controller: true, filters }
    }

    fn check_with(objects: &[Value], options: &MatrixOptions, expect: &[&str]) {
        let cluster = cluster(objects);
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let lines = connlist_lines(&matrix(&engine, options));
        assert_eq!(lines, expect, "\n{}", lines.join("\n"));
    }

    fn check(objects: &[Value], expect: &[&str]) {
        check_with(objects, &options(Granularity::Workloads, Filters::default()), expect);
    }

    fn shop() -> Vec<Value> {
        vec![
            namespace("shop", json!({})),
            deployment("shop", "web", 2, json!([{"name": "http", "containerPort": 8080}])),
            deployment("shop", "db", 1, json!([{"containerPort": 5432}])),
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
                "egress": [{"to": [{"podSelector": {}}]}, {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443}]}]}),
            ),
        ]
    }

    /// Filtering while sweeping gives exactly the edges of the whole matrix
    /// that the filter keeps.
    #[test]
    fn a_filtered_matrix_is_the_whole_one_filtered() {
        let mut objects = shop();
        objects.push(namespace("bank", json!({"team": "bank"})));
        objects.push(deployment("bank", "ledger", 1, json!([{"containerPort": 9000}])));
        objects.push(network_policy(
            "bank",
            "ledger",
            json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}]}]}),
        ));
        let cluster = cluster(&objects);
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let whole = matrix(&engine, &options(Granularity::Workloads, Filters::default()));
        let edge_ids = |m: &Matrix| -> Vec<(String, String)> {
            m.edges.iter().map(|e| (m.nodes[e.from].id.clone(), m.nodes[e.to].id.clone())).collect()
        };
        for (namespaces, direction) in [
            (vec!["shop"], None),
            (vec!["bank"], None),
            (vec!["bank"], Some(Direction::Ingress)),
            (vec!["shop"], Some(Direction::Egress)),
            (vec!["shop", "bank"], None),
        ] {
            let filters = Filters {
                namespaces: namespaces.iter().map(|n| (*n).to_owned()).collect(),
                direction,
                ..Filters::default()
            };
            let filtered = matrix(&engine, &options(Granularity::Workloads, filters));
            let in_filter = |m: &Matrix, node: usize| {
                m.nodes[node].namespace.as_deref().is_some_and(|n| namespaces.contains(&n))
            };
            let expected: Vec<(String, String)> = whole
                .edges
                .iter()
                .filter(|e| match direction {
                    None => in_filter(&whole, e.from) || in_filter(&whole, e.to),
                    Some(Direction::Ingress) => in_filter(&whole, e.to),
                    Some(Direction::Egress) => in_filter(&whole, e.from),
                })
                .map(|e| (whole.nodes[e.from].id.clone(), whole.nodes[e.to].id.clone()))
                .collect();
            assert!(!expected.is_empty(), "{namespaces:?}");
            assert_eq!(edge_ids(&filtered), expected, "{namespaces:?} {direction:?}");
        }
    }

    // netpol-analyzer's `list` lines: workloads as `ns/name[Kind]`, external
    // ranges `first-last[External]`, self pairs left out, sorted.
    #[test]
    fn workloads_and_external_ranges() {
        check(
            &shop(),
            &[
                "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections",
                "shop/db[Deployment] => 0.0.0.0-9.255.255.255[External] : All Connections",
                "shop/db[Deployment] => 10.0.0.0-10.255.255.255[External] : All Connections",
                "shop/db[Deployment] => 11.0.0.0-255.255.255.255[External] : All Connections",
                "shop/db[Deployment] => shop/web[Deployment] : All Connections",
                "shop/web[Deployment] => 10.0.0.0-10.255.255.255[External] : TCP 443",
                "shop/web[Deployment] => shop/db[Deployment] : TCP 5432",
            ],
        );
    }

    // The example: an `except` list of `10.0.0.0/9` and
    // `10.128.0.0/9` is one hole, printed as one range as netpol-analyzer
    // prints it, not two.
    #[test]
    fn adjacent_excepts_are_one_range() {
        let objects = vec![
            namespace("x", json!({})),
            pod("x", "a", json!({"app": "a"})),
            pod("x", "b", json!({"app": "b"})),
            network_policy(
                "x",
                "egress",
                json!({"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/9", "10.128.0.0/9"]}}]}]}),
            ),
        ];
        check(
            &objects,
            &[
                "0.0.0.0-255.255.255.255[External] => x/a[Pod] : All Connections",
                "0.0.0.0-255.255.255.255[External] => x/b[Pod] : All Connections",
                "x/a[Pod] => 0.0.0.0-9.255.255.255[External] : All Connections",
                "x/a[Pod] => 11.0.0.0-255.255.255.255[External] : All Connections",
                "x/b[Pod] => 0.0.0.0-9.255.255.255[External] : All Connections",
                "x/b[Pod] => 10.0.0.0-10.255.255.255[External] : All Connections",
                "x/b[Pod] => 11.0.0.0-255.255.255.255[External] : All Connections",
                "x/b[Pod] => x/a[Pod] : All Connections",
            ],
        );
    }

    #[test]
    fn pods_granularity() {
        let objects = vec![
            namespace("x", json!({})),
            pod("x", "a", json!({"app": "a"})),
            pod("x", "b", json!({"app": "a"})),
        ];
        check_with(
            &objects,
            &options(Granularity::Pods, Filters::default()),
            &[
                "0.0.0.0-255.255.255.255[External] => x/a[Pod] : All Connections",
                "0.0.0.0-255.255.255.255[External] => x/b[Pod] : All Connections",
                "x/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                "x/a[Pod] => x/b[Pod] : All Connections",
                "x/b[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                "x/b[Pod] => x/a[Pod] : All Connections",
            ],
        );
    }

    #[test]
    fn filters() {
        let focus = Filters { focus: vec!["shop/db".to_owned()], ..Filters::default() };
        check_with(
            &shop(),
            &options(Granularity::Workloads, focus),
            &[
                "shop/db[Deployment] => 0.0.0.0-9.255.255.255[External] : All Connections",
                "shop/db[Deployment] => 10.0.0.0-10.255.255.255[External] : All Connections",
                "shop/db[Deployment] => 11.0.0.0-255.255.255.255[External] : All Connections",
                "shop/db[Deployment] => shop/web[Deployment] : All Connections",
                "shop/web[Deployment] => shop/db[Deployment] : TCP 5432",
            ],
        );
        let ingress = Filters {
            focus: vec!["db".to_owned()],
            direction: Some(Direction::Ingress),
            ..Filters::default()
        };
        check_with(
            &shop(),
            &options(Granularity::Workloads, ingress),
            &["shop/web[Deployment] => shop/db[Deployment] : TCP 5432"],
        );
        let port = Filters {
            port: Some((Protocol::Tcp, 443)),
            namespaces: vec!["shop".to_owned()],
            ..Filters::default()
        };
        check_with(
            &shop(),
            &options(Granularity::Workloads, port),
            &[
                "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : TCP 443",
                "shop/db[Deployment] => 0.0.0.0-9.255.255.255[External] : TCP 443",
                "shop/db[Deployment] => 10.0.0.0-10.255.255.255[External] : TCP 443",
                "shop/db[Deployment] => 11.0.0.0-255.255.255.255[External] : TCP 443",
                "shop/db[Deployment] => shop/web[Deployment] : TCP 443",
                "shop/web[Deployment] => 10.0.0.0-10.255.255.255[External] : TCP 443",
            ],
        );
    }

    // The ingress layer's backends: Ingress → Service port (by number or
    // name, https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend)
    // → its targetPort on each selected pod, as the EndpointSlice controller
    // resolves it, intersected with what the pods' policies allow from a pod
    // of another namespace. A number need not be declared as a container
    // port ("not specifying a port here does not prevent that port from
    // being exposed", the Container `ports` field).
    #[test]
    fn ingress_controller_edges() {
        let mut objects = shop();
        objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "www", "port": 80, "targetPort": "http"}, {"port": 9999}]}}));
        objects.push(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "db"},
            "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]}}),
        );
        objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"namespace": "shop", "name": "shop"},
            "spec": {"defaultBackend": {"service": {"name": "db", "port": {"number": 5432}}},
                     "rules": [{"host": "shop.example.com", "http": {"paths": [
                         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "www"}}}},
                         {"path": "/x", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 9999}}}},
                         {"path": "/y", "pathType": "Prefix", "backend": {"service": {"name": "missing", "port": {"number": 1}}}}
                     ]}}]}}));
        let cluster = cluster(&objects);
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let report = matrix(
            &engine,
            &options(
                Granularity::Workloads,
                Filters { focus: vec!["ingress-controller".to_owned()], ..Filters::default() },
            ),
        );
        // db only admits web; web's undeclared 9999 still receives traffic.
        assert_eq!(connlist_lines(&report), ["{ingress-controller} => shop/web[Deployment] : TCP 8080,9999"]);
        let without = MatrixOptions {
            ingress_controller: false,
            ..options(Granularity::Workloads, Filters::default())
        };
        assert!(matrix(&engine, &without).nodes.iter().all(|n| n.kind != NodeKind::IngressController));
    }

    // An OpenShift Route is a source of `{ingress-controller}` edges like an
    // Ingress: `spec.port.targetPort` names a Service port (by name, number
    // or target port); without it, every port of the Service.
    #[test]
    fn route_edges() {
        let mut objects = shop();
        objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "www", "port": 80, "targetPort": "http"}]}}));
        let route = |port: Value| {
            json!({"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"namespace": "shop", "name": "web"},
                   "spec": {"to": {"kind": "Service", "name": "web", "weight": 100}, "port": port}})
        };
        let focus = Filters { focus: vec!["ingress-controller".to_owned()], ..Filters::default() };
        for port in [json!({"targetPort": "www"}), json!({"targetPort": 80}), json!(null)] {
            let mut objects = objects.clone();
            objects.push(route(port));
            check_with(
                &objects,
                &options(Granularity::Workloads, focus.clone()),
                &["{ingress-controller} => shop/web[Deployment] : TCP 8080"],
            );
        }
        let mut objects = objects.clone();
        objects.push(route(json!({"targetPort": 9999})));
        check_with(&objects, &options(Granularity::Workloads, focus), &[]);
    }

    // netpol-analyzer's `--focusworkload` (several), `--focusworkload-peer`
    // and `--focus-direction`.
    #[test]
    fn focus_peers() {
        let mut objects = shop();
        objects.push(deployment("shop", "cache", 1, json!([])));
        let filters = Filters {
            focus: vec!["shop/db".to_owned(), "cache".to_owned()],
            focus_peer: vec!["web".to_owned()],
            ..Filters::default()
        };
        check_with(
            &objects,
            &options(Granularity::Workloads, filters.clone()),
            &[
                "shop/cache[Deployment] => shop/web[Deployment] : All Connections",
                "shop/db[Deployment] => shop/web[Deployment] : All Connections",
                "shop/web[Deployment] => shop/cache[Deployment] : All Connections",
                "shop/web[Deployment] => shop/db[Deployment] : TCP 5432",
            ],
        );
        let ingress = Filters { direction: Some(Direction::Ingress), ..filters };
        check_with(
            &objects,
            &options(Granularity::Workloads, ingress),
            &[
                "shop/web[Deployment] => shop/cache[Deployment] : All Connections",
                "shop/web[Deployment] => shop/db[Deployment] : TCP 5432",
            ],
        );
    }

    // A controller reference without `kind` still groups pods under the
    // owner's name; with no kind to tell, the node is a `Pod`.
    #[test]
    fn owner_without_kind() {
        let owned = |name: &str, app: &str| {
            let mut pod = pod("x", name, json!({"app": app}));
            pod["metadata"]["ownerReferences"] =
                json!([{"apiVersion": "v1", "name": "owner", "uid": "u", "controller": true}]);
            pod
        };
        let objects = vec![namespace("x", json!({})), owned("a", "a"), owned("b", "b")];
        let mut objects = objects;
        objects.push(pod("x", "c", json!({"app": "c"})));
        check(
            &objects,
            &[
                "0.0.0.0-255.255.255.255[External] => x/c[Pod] : All Connections",
                "0.0.0.0-255.255.255.255[External] => x/owner[Pod] : All Connections",
                "x/c[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                "x/c[Pod] => x/owner[Pod] : All Connections",
                "x/owner[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                "x/owner[Pod] => x/c[Pod] : All Connections",
            ],
        );
    }

    #[test]
    fn serializes_to_the_matrix_contract() {
        let objects = vec![
            namespace("x", json!({})),
            pod_with_ports("x", "a", json!({"app": "a"}), json!([])),
            pod("x", "b", json!({"app": "b"})),
            network_policy(
                "x",
                "a",
                json!({"podSelector": {"matchLabels": {"app": "a"}}, "ingress": [{"ports": [{"port": 80, "endPort": 81}]}]}),
            ),
        ];
        let cluster = cluster(&objects);
        let engine = PolicyEngine::new(&cluster, EXTERNAL_ONLY);
        let report = matrix(&engine, &options(Granularity::Workloads, Filters::default()));
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["schema"], "kubereach.matrix/v1");
        assert_eq!(
            value["nodes"][0],
            json!({"id": "0.0.0.0/0", "kind": "External", "namespace": null, "name": "0.0.0.0/0"})
        );
        assert_eq!(value["nodes"][1], json!({"id": "x/a", "kind": "Pod", "namespace": "x", "name": "a"}));
        let edge = value["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["to"] == "x/a" && e["from"] == "x/b")
            .unwrap();
        assert_eq!(edge["ports"], json!([{"protocol": "TCP", "from": 80, "to": 81}]));
        let all = value["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["from"] == "x/a" && e["to"] == "x/b")
            .unwrap();
        assert_eq!(all["ports"].as_array().unwrap().len(), 3);
    }
}
