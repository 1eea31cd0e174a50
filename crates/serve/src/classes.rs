//! Connectivity classes: the workloads of a namespace that the policy
//! engine cannot tell apart as a source or as a destination, so that every
//! connection from or to any of them is the same. The page draws a class
//! as one node when a namespace has more workloads than a reader can follow.
//!
//! The classes come from the engine's class matrix ([`ClassMatrix`]): peers
//! of one source group have equal rows (what they may reach), peers of one
//! destination group have equal columns (what may reach them). Two
//! workloads whose representative pods share both groups, and receive the
//! same connections from the symbolic ingress controller (which follow the
//! Ingress routes, not only policy), have the same edges in the workload
//! matrix, to every peer and to each other.

use std::collections::BTreeMap;

use kubereach_core::matrix::{Matrix, NodeKind};
use kubereach_core::model::PodId;
use kubereach_core::policy::{ClassMatrix, Endpoint, PolicyEngine};

/// For each workload or pod node of `matrix` (by id, with its
/// representative pod in `representatives`): the id of its connectivity
/// class, `NAMESPACE#N`, `N` counting from 1 in the order of each class's
/// first workload id. Deterministic for a given input.
pub fn connectivity_classes(
    engine: &PolicyEngine<'_>,
    matrix: &Matrix,
    representatives: &BTreeMap<String, (PodId, u64)>,
) -> BTreeMap<String, String> {
    let classes: ClassMatrix<'_> = engine.class_matrix();
    // What the ingress controller may open to each node: part of its edges.
    let mut from_controller: BTreeMap<&str, String> = BTreeMap::new();
    for edge in &matrix.edges {
        if matrix.nodes[edge.from].kind == NodeKind::IngressController {
            from_controller.insert(matrix.nodes[edge.to].id.as_str(), edge.connections.to_string());
        }
    }
    let mut keys: BTreeMap<(String, usize, usize, String), String> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut found = BTreeMap::new();
    // Representatives are keyed by id, so classes are numbered in id order.
    for (id, (pod, _)) in representatives {
        let Some(namespace) = id.split_once('/').map(|(ns, _)| ns.to_owned()) else { continue };
        let peer = classes.index(&Endpoint::Pod(*pod));
        let ingress = from_controller.get(id.as_str()).cloned().unwrap_or_default();
        let key = (namespace.clone(), classes.source_group(peer), classes.destination_group(peer), ingress);
        let class = keys.entry(key).or_insert_with(|| {
            let n = counts.entry(namespace.clone()).or_default();
            *n += 1;
            format!("{namespace}#{n}")
        });
        found.insert(id.clone(), class.clone());
    }
    found
}

#[cfg(test)]
mod tests {
    use kubereach_core::matrix::{self, Filters};
    use kubereach_core::policy::PolicyOptions;
    use kubereach_core::ClusterBuilder;

    use super::*;

    /// `shop`: `web-a` and `web-b` (labelled alike for policies, told apart
    /// only by `app`, which no policy reads), `db` (its own policy), and
    /// `cache`, alike `web-*` for policies but an Ingress backend.
    const CLUSTER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: web-a, namespace: shop, labels: {app: web-a, tier: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-b, namespace: shop, labels: {app: web-b, tier: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cache, namespace: shop, labels: {app: cache, tier: web}}
spec: {containers: [{name: c, image: redis, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db, tier: data}}
spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: data, namespace: shop}
spec:
  podSelector: {matchLabels: {tier: data}}
  ingress:
  - from:
    - podSelector: {matchLabels: {tier: web}}
---
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: shop}
spec:
  selector: {app: cache}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: cache, namespace: shop}
spec:
  defaultBackend: {service: {name: cache, port: {number: 80}}}
"#;

    fn classes() -> BTreeMap<String, String> {
        let mut builder = ClusterBuilder::new();
        kubereach_load::load_str(Some("cluster.yaml"), CLUSTER, &mut builder);
        let cluster = builder.build();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let matrix = matrix::matrix(&engine, &crate::snapshot::workload_options(Filters::default()));
        let representatives = crate::graph::representatives(&cluster);
        connectivity_classes(&engine, &matrix, &representatives)
    }

    #[test]
    fn workloads_no_query_tells_apart_share_a_class() {
        let classes = classes();
        assert_eq!(classes["shop/web-a"], classes["shop/web-b"]);
        // A policy selects `db`: its own class.
        assert_ne!(classes["shop/db"], classes["shop/web-a"]);
        // The ingress controller reaches `cache` and not `web-*`.
        assert_ne!(classes["shop/cache"], classes["shop/web-a"]);
        // Numbered in the order of their first workload id.
        assert_eq!(
            classes.iter().map(|(id, class)| format!("{id} {class}")).collect::<Vec<_>>(),
            ["shop/cache shop#1", "shop/db shop#2", "shop/web-a shop#3", "shop/web-b shop#3"]
        );
    }

    #[test]
    fn a_class_has_the_same_edges_in_the_matrix() {
        let classes = classes();
        let mut builder = ClusterBuilder::new();
        kubereach_load::load_str(Some("cluster.yaml"), CLUSTER, &mut builder);
        let cluster = builder.build();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let matrix = matrix::matrix(&engine, &crate::snapshot::workload_options(Filters::default()));
        // Each workload's edges, with the other end named by its class.
        let ends = |id: &str| -> Vec<String> {
            let name = |node: usize| {
                let node = &matrix.nodes[node].id;
                classes.get(node).cloned().unwrap_or_else(|| node.clone())
            };
            let mut ends: Vec<String> = matrix
                .edges
                .iter()
                .filter_map(|e| {
                    let (from, to) = (&matrix.nodes[e.from].id, &matrix.nodes[e.to].id);
                    (from == id)
                        .then(|| format!("to {} {}", name(e.to), e.connections))
                        .or_else(|| (to == id).then(|| format!("from {} {}", name(e.from), e.connections)))
                })
                .collect();
            ends.sort();
            ends.dedup();
            ends
        };
        assert_eq!(ends("shop/web-a"), ends("shop/web-b"));
        assert_ne!(ends("shop/web-a"), ends("shop/db"));
    }
}
