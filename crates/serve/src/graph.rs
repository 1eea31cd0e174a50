//! The graph document (`kubereach.graph/v1`): what the page draws. It is a
//! view of the workload [`Matrix`] grouped by namespace, plus the markers the
//! layers answer for each workload (isolation from the policy engine,
//! exposure from Services and the matrix's ingress-controller and external
//! edges), a policy coverage figure per namespace, and positions computed
//! here so that they are the same on every refresh and on both sides of a
//! diff. It never decides connectivity itself.

use std::collections::{BTreeMap, BTreeSet};

use kubereach_core::diff::{ChangeKind, ConnectivityDiff};
use kubereach_core::ingress::{self, BackendRef, BackendStatus};
use kubereach_core::k8s_openapi::api::core::v1::Service;
use kubereach_core::labels::Labels;
use kubereach_core::matrix::{Matrix, NodeKind};
use kubereach_core::model::PodId;
use kubereach_core::policy::{Direction, PolicyEngine, PolicyRef};
use kubereach_core::ports::ConnectionSet;
use kubereach_core::service;
use kubereach_core::Cluster;
use serde::Serialize;

/// Schema id of the graph document.
pub const SCHEMA: &str = "kubereach.graph/v1";

/// The group of nodes outside every namespace: external address ranges and
/// the symbolic ingress controller. Braces cannot occur in a namespace name.
pub const OUTSIDE: &str = "{outside}";

/// Space between two workloads in the computed layout, in pixels.
const SPACING: f64 = 80.0;

/// The document.
#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Namespaces (and [`OUTSIDE`]), sorted by name.
    pub namespaces: Vec<NamespaceNode>,
    /// Workloads, pods without a controller, external ranges and the
    /// ingress controller, sorted by id.
    pub workloads: Vec<WorkloadNode>,
    /// Connections between namespaces (a namespace to itself included),
    /// sorted by source then destination.
    pub namespace_edges: Vec<NamespaceEdge>,
    /// The connectivity classes, by namespace then number, with their
    /// places in the computed layout.
    pub classes: Vec<ClassNode>,
    /// Whether the document compares two versions (`--diff`).
    pub diff: bool,
}

/// A namespace, collapsed.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceNode {
    /// Its name, or [`OUTSIDE`].
    pub name: String,
    /// Its workloads (nodes of the matrix).
    pub workloads: usize,
    /// Its pods (a workload without pods in the input counts its replicas).
    pub pods: u64,
    /// Pods isolated for ingress by a NetworkPolicy.
    pub ingress_isolated_pods: u64,
    /// Pods isolated for egress by a NetworkPolicy.
    pub egress_isolated_pods: u64,
    /// Its connectivity classes (see [`WorkloadNode::class`]).
    pub classes: usize,
    /// Where its box is centred in the computed layout.
    pub position: Position,
}

/// A node of the matrix, with markers.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadNode {
    /// The matrix node id.
    pub id: String,
    /// The namespace, or [`OUTSIDE`].
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `Deployment`, …, `Pod`, `External` or `IngressController`.
    pub kind: String,
    /// How many pods it stands for.
    pub pods: u64,
    /// Whether a NetworkPolicy isolates its pods for ingress.
    pub ingress_isolated: bool,
    /// Whether a NetworkPolicy isolates its pods for egress.
    pub egress_isolated: bool,
    /// How traffic from outside the cluster reaches it: `Ingress`,
    /// `NodePort`, `LoadBalancer`, `ipBlock`. Sorted.
    pub exposed: Vec<&'static str>,
    /// The policies that select it (either direction), in evaluation order.
    pub policies: Vec<PolicyRef>,
    /// The labels of its pods (of one of them, for a workload).
    pub labels: Labels,
    /// Its connectivity class (`NAMESPACE#N`, see [`crate::classes`]):
    /// the workloads of a class have the same connections. `None` outside
    /// namespaces and for workloads only in the old version.
    pub class: Option<String>,
    /// `added` or `removed` in diff mode when it exists on one side only.
    pub change: Option<&'static str>,
    /// Its position in the computed layout.
    pub position: Position,
}

/// A connectivity class (see [`WorkloadNode::class`]), drawn as one node
/// when its namespace is expanded into classes.
#[derive(Debug, Clone, Serialize)]
pub struct ClassNode {
    /// `NAMESPACE#N`.
    pub id: String,
    /// Its namespace.
    pub namespace: String,
    /// Its place in the computed layout: the `N`th place of its
    /// namespace's grid, so that classes sit apart like workloads.
    pub position: Position,
}

/// Connections from the workloads of one namespace to those of another.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceEdge {
    /// Source namespace.
    pub from: String,
    /// Destination namespace.
    pub to: String,
    /// Allowed workload pairs.
    pub connections: usize,
    /// The ports any of them allows.
    pub ports: ConnectionSet,
    /// Diff mode: pairs added, removed and changed.
    pub added: usize,
    /// Diff mode: pairs removed.
    pub removed: usize,
    /// Diff mode: pairs whose ports changed.
    pub changed: usize,
}

/// A point of the computed layout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Position {
    /// Horizontal, pixels.
    pub x: f64,
    /// Vertical, pixels.
    pub y: f64,
}

/// The graph of `matrix` (workload granularity, no filters), computed on
/// `engine`'s cluster. With `old` (diff mode), workloads only in the old
/// version are added and edges carry the changes of `diff`.
pub fn graph(engine: &PolicyEngine<'_>, matrix: &Matrix, old: Option<(&Matrix, &ConnectivityDiff)>) -> Graph {
    let cluster = engine.cluster();
    let representatives = representatives(cluster);
    let exposure = exposure(engine, matrix, &representatives);
    let classes = crate::classes::connectivity_classes(engine, matrix, &representatives);
    let mut workloads: BTreeMap<String, WorkloadNode> = BTreeMap::new();
    for node in &matrix.nodes {
        let namespace = node.namespace.clone().unwrap_or_else(|| OUTSIDE.to_owned());
        let mut entry = WorkloadNode {
            id: node.id.clone(),
            namespace,
            name: node.name.clone(),
            kind: node.kind_str().to_owned(),
            pods: 0,
            ingress_isolated: false,
            egress_isolated: false,
            exposed: exposure.get(&node.id).map(|e| e.iter().copied().collect()).unwrap_or_default(),
            policies: Vec::new(),
            labels: Labels::new(),
            class: classes.get(&node.id).cloned(),
            change: None,
            position: Position { x: 0.0, y: 0.0 },
        };
        if let Some((pod, pods)) = representatives.get(&node.id) {
            entry.pods = *pods;
            entry.ingress_isolated = engine.is_isolated(*pod, Direction::Ingress);
            entry.egress_isolated = engine.is_isolated(*pod, Direction::Egress);
            let mut policies = engine.selecting_policies(*pod, Direction::Ingress);
            for policy in engine.selecting_policies(*pod, Direction::Egress) {
                if !policies.contains(&policy) {
                    policies.push(policy);
                }
            }
            entry.policies = policies;
            entry.labels = cluster.pod(*pod).labels.clone();
        }
        workloads.insert(node.id.clone(), entry);
    }
    let mut namespace_edges = edges(matrix, &workloads);
    if let Some((old_matrix, diff)) = old {
        mark_changes(&mut workloads, &mut namespace_edges, old_matrix, diff);
    }
    let mut workloads: Vec<WorkloadNode> = workloads.into_values().collect();
    let (namespaces, classes) = namespaces(cluster, &mut workloads);
    Graph {
        schema: SCHEMA,
        namespaces,
        workloads,
        namespace_edges: namespace_edges.into_values().collect(),
        classes,
        diff: old.is_some(),
    }
}

/// For each matrix node id of a workload or pod: one of its pods, and how
/// many pods it stands for.
pub(crate) fn representatives(cluster: &Cluster) -> BTreeMap<String, (PodId, u64)> {
    let mut found: BTreeMap<String, (PodId, u64)> = BTreeMap::new();
    for (index, pod) in cluster.pods().iter().enumerate() {
        let entry = found.entry(cluster.workload_ref(pod).id()).or_insert((PodId(index as u32), 0));
        entry.1 += u64::from(pod.replicas);
    }
    found
}

/// How each workload is reachable from outside the cluster: as the
/// backend of an Ingress (a backend the ingress layer finds a Service port
/// for), through a Gateway (an edge of its matrix peer), through a NodePort or LoadBalancer Service selecting its pods, or
/// through an `ipBlock` that a policy isolating it admits (an edge from an
/// external range into a workload isolated for ingress; one that is not
/// isolated admits everything, and has its own marker).
fn exposure(
    engine: &PolicyEngine<'_>,
    matrix: &Matrix,
    representatives: &BTreeMap<String, (PodId, u64)>,
) -> BTreeMap<String, BTreeSet<&'static str>> {
    let cluster = engine.cluster();
    let mut exposure: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut mark = |service: &Service, how: &'static str| {
        for pod in cluster.pods_selected_by_service(service) {
            exposure.entry(cluster.workload_ref(cluster.pod(pod)).id()).or_default().insert(how);
        }
    };
    for object in cluster.services() {
        if let Some(kind) = service::service_kind(&object.value).filter(|k| k.has_node_ports()) {
            mark(&object.value, kind.as_str());
        }
    }
    for object in cluster.ingresses() {
        for backend in ingress::check_backends(cluster, object) {
            let (BackendStatus::Ok { .. }, BackendRef::Service { service, .. }) =
                (&backend.status, &backend.backend)
            else {
                continue;
            };
            if let Some(found) = cluster.service(&service.namespace, &service.name) {
                mark(&found.value, "Ingress");
            }
        }
    }
    for edge in &matrix.edges {
        let (from, to) = (&matrix.nodes[edge.from], &matrix.nodes[edge.to]);
        // A Gateway's data plane reaches it (the matrix's `{gateway:…}` peer).
        if from.kind == NodeKind::Gateway {
            exposure.entry(to.id.clone()).or_default().insert("Gateway");
            continue;
        }
        let NodeKind::External(_) = from.kind else { continue };
        let Some((pod, _)) = representatives.get(&to.id) else { continue };
        if engine.is_isolated(*pod, Direction::Ingress) {
            exposure.entry(to.id.clone()).or_default().insert("ipBlock");
        }
    }
    exposure
}

/// The matrix's edges summed per pair of namespaces.
fn edges(
    matrix: &Matrix,
    workloads: &BTreeMap<String, WorkloadNode>,
) -> BTreeMap<(String, String), NamespaceEdge> {
    let mut edges: BTreeMap<(String, String), NamespaceEdge> = BTreeMap::new();
    for edge in &matrix.edges {
        let from = &workloads[&matrix.nodes[edge.from].id].namespace;
        let to = &workloads[&matrix.nodes[edge.to].id].namespace;
        let entry = namespace_edge(&mut edges, from, to);
        entry.connections += 1;
        entry.ports = entry.ports.union(&edge.connections);
    }
    edges
}

fn namespace_edge<'e>(
    edges: &'e mut BTreeMap<(String, String), NamespaceEdge>,
    from: &str,
    to: &str,
) -> &'e mut NamespaceEdge {
    edges.entry((from.to_owned(), to.to_owned())).or_insert_with(|| NamespaceEdge {
        from: from.to_owned(),
        to: to.to_owned(),
        connections: 0,
        ports: ConnectionSet::none(),
        added: 0,
        removed: 0,
        changed: 0,
    })
}

/// Diff mode: adds the old version's workloads that are gone (marked
/// `removed`), marks the new ones `added`, and counts each change on its
/// namespace edge.
fn mark_changes(
    workloads: &mut BTreeMap<String, WorkloadNode>,
    edges: &mut BTreeMap<(String, String), NamespaceEdge>,
    old: &Matrix,
    diff: &ConnectivityDiff,
) {
    let old_ids: BTreeSet<&str> = old.nodes.iter().map(|n| n.id.as_str()).collect();
    for node in workloads.values_mut() {
        if !old_ids.contains(node.id.as_str()) {
            node.change = Some("added");
        }
    }
    for node in &old.nodes {
        if workloads.contains_key(&node.id) {
            continue;
        }
        workloads.insert(
            node.id.clone(),
            WorkloadNode {
                id: node.id.clone(),
                namespace: node.namespace.clone().unwrap_or_else(|| OUTSIDE.to_owned()),
                name: node.name.clone(),
                kind: node.kind_str().to_owned(),
                pods: 0,
                ingress_isolated: false,
                egress_isolated: false,
                exposed: Vec::new(),
                policies: Vec::new(),
                labels: Labels::new(),
                class: None,
                change: Some("removed"),
                position: Position { x: 0.0, y: 0.0 },
            },
        );
    }
    for change in &diff.changes {
        // Ranges cut finer than either matrix's have no node: they are outside.
        let namespace_of =
            |id: &str| workloads.get(id).map(|w| w.namespace.clone()).unwrap_or_else(|| OUTSIDE.to_owned());
        let (from, to) = (namespace_of(&change.from.id), namespace_of(&change.to.id));
        let entry = namespace_edge(edges, &from, &to);
        match change.kind {
            ChangeKind::Added => entry.added += 1,
            ChangeKind::Removed => entry.removed += 1,
            ChangeKind::Changed => entry.changed += 1,
        }
    }
}

/// The namespaces with their counts, and the computed layout: namespaces in
/// name order, left to right in rows about as wide as the whole is tall,
/// each a square grid of its workloads in id order; its classes take the
/// first places of the same grid, in number order.
fn namespaces(cluster: &Cluster, workloads: &mut [WorkloadNode]) -> (Vec<NamespaceNode>, Vec<ClassNode>) {
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for name in cluster.namespaces().keys() {
        members.entry(name.clone()).or_default();
    }
    for (index, workload) in workloads.iter().enumerate() {
        members.entry(workload.namespace.clone()).or_default().push(index);
    }
    let side = |n: usize| (n.max(1) as f64).sqrt().ceil();
    let total: f64 = members.values().map(|m| (side(m.len()) + 1.0).powi(2)).sum();
    let row_width = total.sqrt().ceil() * SPACING;
    let (mut x, mut y, mut row_height) = (0.0, 0.0, 0.0_f64);
    let mut namespaces = Vec::new();
    let mut class_nodes = Vec::new();
    for (name, indices) in members {
        let columns = side(indices.len());
        let width = (columns + 1.0) * SPACING;
        let height = ((indices.len() as f64 / columns).ceil().max(1.0) + 1.0) * SPACING;
        if x > 0.0 && x + width > row_width {
            (x, y, row_height) = (0.0, y + row_height, 0.0);
        }
        let mut node = NamespaceNode {
            name,
            workloads: indices.len(),
            pods: 0,
            ingress_isolated_pods: 0,
            egress_isolated_pods: 0,
            classes: 0,
            position: Position { x: x + width / 2.0, y: y + height / 2.0 },
        };
        let place = |slot: usize| {
            let (column, row) = ((slot as f64) % columns, (slot as f64 / columns).floor());
            Position { x: x + (column + 1.0) * SPACING, y: y + (row + 1.0) * SPACING }
        };
        let mut classes: BTreeSet<String> = BTreeSet::new();
        for (slot, &index) in indices.iter().enumerate() {
            let workload = &mut workloads[index];
            workload.position = place(slot);
            node.pods += workload.pods;
            node.ingress_isolated_pods += if workload.ingress_isolated { workload.pods } else { 0 };
            node.egress_isolated_pods += if workload.egress_isolated { workload.pods } else { 0 };
            classes.extend(workload.class.clone());
        }
        node.classes = classes.len();
        // Class ids sort by number only within one digit count: order by number.
        let mut numbered: Vec<(usize, String)> = classes
            .into_iter()
            .map(|id| (id.rsplit_once('#').and_then(|(_, n)| n.parse().ok()).unwrap_or(0), id))
            .collect();
        numbered.sort();
        for (slot, (_, id)) in numbered.into_iter().enumerate() {
            class_nodes.push(ClassNode { id, namespace: node.name.clone(), position: place(slot) });
        }
        namespaces.push(node);
        x += width;
        row_height = row_height.max(height);
    }
    (namespaces, class_nodes)
}

#[cfg(test)]
mod tests {
    use kubereach_core::matrix::{self, Filters};
    use kubereach_core::policy::PolicyOptions;
    use kubereach_core::ClusterBuilder;

    use super::*;

    /// Two namespaces: `web` (a Deployment behind a NodePort Service,
    /// isolated for ingress by a policy that admits `api`'s namespace and
    /// 0.0.0.0/0 on 8080) and `api` (a Deployment of 3 and a bare pod, not
    /// isolated).
    const CLUSTER: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: front, namespace: web}
spec:
  type: NodePort
  selector: {app: front}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front, namespace: web}
spec:
  podSelector: {matchLabels: {app: front}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: api}}
    - ipBlock: {cidr: 0.0.0.0/0}
    ports: [{port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: api, labels: {app: debug}}
spec: {containers: [{name: c, image: busybox}]}
"#;

    fn build() -> Graph {
        let mut builder = ClusterBuilder::new();
        kubereach_load::load_str(Some("cluster.yaml"), CLUSTER, &mut builder);
        let cluster = builder.build();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let options = crate::snapshot::workload_options(Filters::default());
        graph(&engine, &matrix::matrix(&engine, &options), None)
    }

    fn workload<'g>(graph: &'g Graph, id: &str) -> &'g WorkloadNode {
        graph.workloads.iter().find(|w| w.id == id).unwrap_or_else(|| panic!("no {id}"))
    }

    #[test]
    fn namespaces_count_workloads_pods_and_coverage() {
        let graph = build();
        let names: Vec<&str> = graph.namespaces.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["api", "web", OUTSIDE]);
        let api = &graph.namespaces[0];
        assert_eq!((api.workloads, api.pods, api.ingress_isolated_pods), (2, 4, 0));
        let web = &graph.namespaces[1];
        assert_eq!(
            (web.workloads, web.pods, web.ingress_isolated_pods, web.egress_isolated_pods),
            (1, 2, 2, 0)
        );
    }

    #[test]
    fn markers_come_from_the_layers() {
        let graph = build();
        let front = workload(&graph, "web/front");
        assert!(front.ingress_isolated && !front.egress_isolated);
        // NodePort Service, and an ipBlock admitted by the policy that isolates it.
        assert_eq!(front.exposed, ["NodePort", "ipBlock"]);
        assert_eq!(front.policies.len(), 1);
        assert_eq!(front.policies[0].name, "front");
        // Not isolated: reachable from outside by policy, but that is its own marker.
        let server = workload(&graph, "api/server");
        assert!(!server.ingress_isolated);
        assert!(server.exposed.is_empty());
        assert_eq!(server.pods, 3);
        assert_eq!(workload(&graph, "api/debug").kind, "Pod");
    }

    #[test]
    fn namespace_edges_sum_workload_pairs_and_ports() {
        let graph = build();
        let edge =
            graph.namespace_edges.iter().find(|e| e.from == "api" && e.to == "web").expect("api → web");
        // server → front and debug → front, on the port the policy allows.
        assert_eq!(edge.connections, 2);
        assert_eq!(edge.ports.to_string(), "TCP 8080");
        let inside =
            graph.namespace_edges.iter().find(|e| e.from == "api" && e.to == "api").expect("api → api");
        assert!(inside.ports.is_all());
    }

    #[test]
    fn positions_are_deterministic_and_inside_their_namespace() {
        let (first, second) = (build(), build());
        let positions =
            |g: &Graph| g.workloads.iter().map(|w| (w.id.clone(), w.position)).collect::<Vec<_>>();
        assert_eq!(positions(&first), positions(&second));
        for namespace in &first.namespaces {
            let members: Vec<&WorkloadNode> =
                first.workloads.iter().filter(|w| w.namespace == namespace.name).collect();
            let mut seen: Vec<(i64, i64)> =
                members.iter().map(|w| (w.position.x as i64, w.position.y as i64)).collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), members.len(), "no two workloads of {} share a place", namespace.name);
        }
    }

    #[test]
    fn classes_take_the_first_places_of_their_namespace() {
        let graph = build();
        let classes: Vec<(&str, &str, Position)> =
            graph.classes.iter().map(|c| (c.id.as_str(), c.namespace.as_str(), c.position)).collect();
        // `api`: `debug` and `server` (not told apart by any policy) are one class.
        let api_first = workload(&graph, "api/debug").position;
        let web_first = workload(&graph, "web/front").position;
        assert_eq!(classes, [("api#1", "api", api_first), ("web#1", "web", web_first)]);
    }
}
