//! `kubereach lab`: a cluster's networking built for real on one Linux
//! machine, inside network namespaces the lab creates, so that real packets
//! can check the model.
//!
//! The crate has two halves:
//!
//! - the plan, pure data built from a [`kubereach_core::Cluster`]:
//!   [`topology`] (namespaces, addresses, links), [`services`] (the
//!   nftables rulesets kube-proxy's nftables mode would program),
//!   [`policy`] (a small NetworkPolicy → nftables compiler, independent of
//!   the core's policy engine so probes test semantics, not plumbing) and
//!   [`plan`] (the commands, in order, and their dry-run text), with
//!   [`counters`] on the deciding rules, and each pod's [`resolv`]`.conf`;
//! - the edges that touch the kernel: [`exec`] (applies a plan with `ip`
//!   and `nft`, keeps the intent log and lock under `/run`, tears down),
//!   [`supervisor`] (the one process that owns every pod's listening
//!   sockets) and [`probe`] (real connections compared with the model).
//!
//! Linux and root only; nothing here touches the host's own interfaces,
//! routes or tables: every link and address lives inside the lab's
//! namespaces.

mod admin;
pub mod cluster_dns;
pub mod counters;
pub mod dns_probe;
mod enforcement;
pub mod exec;
pub mod ingress_controller;
pub mod ingress_probe;
pub mod ingress_proxy;
pub mod ingress_route;
pub mod ingress_tls;
mod listener;
pub mod native_policy;
pub mod netns;
pub mod plan;
pub mod policy;
pub mod probe;
pub mod resolv;
pub mod services;
pub mod supervisor;
pub mod topology;

/// The cluster DNS Service and its pod, for the unit tests.
#[cfg(test)]
const KUBE_DNS_YAML: &str = "
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports: [{name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  containers: [{name: c, image: coredns, ports: [{containerPort: 53, protocol: UDP}]}]
---
";

/// A cluster from YAML, for the unit tests.
#[cfg(test)]
fn test_cluster(yaml: &str) -> kubereach_core::Cluster {
    let mut builder = kubereach_core::ClusterBuilder::new();
    kubereach_load::load_str(Some("test.yaml"), yaml, &mut builder);
    builder.build()
}
