//! The pure core of kubereach: an immutable, indexed model of a cluster's
//! networking objects and the semantics of each layer (labels, policy, …).
//!
//! Nothing here reads a file, opens a socket or prints. Loaders build a
//! [`Cluster`] with a [`ClusterBuilder`]; queries take `&Cluster` and return
//! plain data that renderers turn into text.
#![deny(missing_docs)]

pub mod admin_policy;
pub mod api_kinds;
pub mod calico;
pub mod check;
pub mod cilium;
pub mod cni;
pub mod container;
pub mod diagnostic;
pub mod diff;
pub mod dns;
pub mod dns_report;
pub mod endpoints;
pub mod exposure;
pub mod gateway;
pub mod ingress;
pub mod inventory;
pub mod ip;
pub mod label_query;
pub mod labels;
pub mod matrix;
pub mod model;
pub mod origin;
pub mod policy;
pub mod ports;
pub mod route;
pub mod routes;
pub mod service;
pub mod shell;
pub mod trace;
mod typo;
pub mod unmodelled;

#[cfg(test)]
mod testing;

pub use diagnostic::{Diagnostic, Severity};
pub use model::PreparedObject;
pub use model::{Cluster, ClusterBuilder, Object, Resource};
pub use origin::Origin;

/// Re-export of the Kubernetes API types the model is built from.
pub use k8s_openapi;
