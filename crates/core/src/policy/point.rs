//! The engine compiled for a few namespaces, for questions about a few
//! pods (`trace`).
//!
//! Compiling every pod into classes and every policy into peer sets costs
//! about 0.2 s at 100,000 pods, while a trace asks about two endpoints and
//! a few pods more (a Service's endpoints, cluster DNS, an ingress
//! controller). What decides a pair is the same in an engine compiled only
//! for the pods of some namespaces ([`Scope::Namespaces`]):
//!
//! - A pod's class is the same key (namespace, labels, named ports,
//!   addresses): pods of other namespaces never share it.
//! - A rule's peer set holds a class when the rule's selectors match that
//!   class's own labels and its namespace's: the other classes only make
//!   the set larger, never change whether it holds this one.
//! - A pod's profile is made of the policies that select it. A
//!   NetworkPolicy selects pods of its own namespace only, so those of the
//!   other namespaces are left out; the other kinds (admin tiers, Cilium,
//!   Calico) may select anywhere and are all compiled. Left-out policies
//!   keep the relative order of the others, so profiles list the same
//!   policies and rules in the same order.
//! - Address blocks depend on every policy and on no pod: they are cut
//!   once per cluster and kept ([`super::compile::Addresses::of`]), the
//!   same as the whole engine's.
//! - Only the scope's namespaces are numbered (and their labels
//!   interned): a namespace without classes adds nothing to any class
//!   set. The NetworkPolicies of the scope are found by namespace, not by
//!   reading every one.
//!
//! What is left proportional to the cluster is a pod-to-class table (one
//! `u32` per pod), the nodes, and the cluster-wide kinds of policy.
//!
//! So [`Compiled::allowed`] and [`Compiled::explain`] give the same answers
//! from either; a question naming a pod whose namespace is not compiled yet
//! compiles again, for the namespaces asked about so far and that one.

use std::sync::{Arc, Mutex, PoisonError};

use super::compile::{Compiled, Scope};
use super::{Endpoint, PolicyEngine};

/// The engine compiled for the namespaces asked about so far.
#[derive(Default)]
pub(crate) struct PointCompiled<'c> {
    state: Mutex<Option<Compilation<'c>>>,
}

/// One compilation, and the namespaces it holds (sorted, distinct).
struct Compilation<'c> {
    namespaces: Vec<String>,
    compiled: Arc<Compiled<'c>>,
}

impl<'c> PolicyEngine<'c> {
    /// Answers with an engine compiled for (at least) the pods among
    /// `endpoints`: the whole engine once it is compiled, else the one
    /// compiled for point queries, compiled again when it lacks one of
    /// their namespaces.
    pub(super) fn for_endpoints<T>(
        &self,
        endpoints: &[&Endpoint],
        answer: impl FnOnce(&Compiled<'c>) -> T,
    ) -> T {
        let (Some(point), None) = (&self.point, self.whole.get()) else { return answer(self.whole()) };
        let compiled = self.covering(point, endpoints);
        answer(&compiled)
    }

    fn covering(&self, point: &PointCompiled<'c>, endpoints: &[&Endpoint]) -> Arc<Compiled<'c>> {
        let cluster = self.cluster;
        let needed = endpoints.iter().filter_map(|endpoint| match endpoint {
            Endpoint::Pod(pod) => Some(cluster.pod(*pod).namespace.as_str()),
            Endpoint::External(_) | Endpoint::IngressController => None,
        });
        // A poisoned lock means a compilation panicked: what it left is
        // either the previous compilation or nothing, both usable.
        let mut state = point.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut namespaces = state.as_ref().map(|c| c.namespaces.clone()).unwrap_or_default();
        let known = namespaces.len();
        for namespace in needed {
            if let Err(at) = namespaces.binary_search_by(|n| n.as_str().cmp(namespace)) {
                namespaces.insert(at, namespace.to_owned());
            }
        }
        if let Some(current) = state.as_ref().filter(|_| namespaces.len() == known) {
            return Arc::clone(&current.compiled);
        }
        let compiled = Arc::new(self.compile(Scope::Namespaces(&namespaces)));
        *state = Some(Compilation { namespaces, compiled: Arc::clone(&compiled) });
        compiled
    }
}

/// Checks that an engine for point queries answers every question about
/// `engine`'s pods (each pair, and each pod with the ingress controller and
/// each address block) as `engine` does: once with one engine asked
/// everything in turn (its namespaces growing), once with a new engine per
/// pair (only that pair's namespaces compiled).
#[cfg(test)]
pub(crate) fn assert_point_agrees(engine: &PolicyEngine<'_>) {
    use super::Direction;
    let cluster = engine.cluster();
    // The blocks kept for the cluster are those its policies cut.
    assert_eq!(*engine.addresses, super::compile::Addresses::new(cluster, engine.tiers));
    let point =
        || PolicyEngine::uncompiled(cluster, engine.tiers, engine.plugin.clone(), Some(Default::default()));
    let shared = point();
    let pods = (0..cluster.pods().len()).map(|i| Endpoint::Pod(crate::model::PodId(i as u32)));
    let blocks = engine.external_ranges().iter().map(|block| Endpoint::External(*block));
    let endpoints: Vec<Endpoint> = pods.chain(blocks).chain([Endpoint::IngressController]).collect();
    for from in &endpoints {
        for to in &endpoints {
            let expected = engine.explain(from, to);
            for point in [&shared, &point()] {
                assert_eq!(point.explain(from, to), expected, "{from:?} => {to:?} (point engine)");
                assert_eq!(
                    point.allowed(from, to),
                    engine.allowed(from, to),
                    "{from:?} => {to:?} (point engine)"
                );
                assert_eq!(point.exemption(from, to), engine.exemption(from, to));
            }
        }
        let Endpoint::Pod(pod) = *from else { continue };
        for direction in [Direction::Ingress, Direction::Egress] {
            assert_eq!(point().is_isolated(pod, direction), engine.is_isolated(pod, direction));
            assert_eq!(point().selecting_policies(pod, direction), engine.selecting_policies(pod, direction));
        }
    }
    assert!(shared.whole.get().is_none(), "a point query compiled the whole engine");
}
