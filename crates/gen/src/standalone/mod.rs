//! The standalone shape (`--shape standalone`): Pods with no controller,
//! as `kubectl get pods -o yaml` dumps them (`status.phase`, `status.podIP`
//! and a `Ready` condition), in `K` namespaces labelled by team and env.
//! Pod `n` of a namespace is `app{n % 10}-{n / 10}`, of the scale shape's
//! tier `app{n % 10}` (web, api, db, cache, worker in turn, with its named
//! ports); the NetworkPolicies are the scale shape's 10 forms (default-deny,
//! pod selectors, namespace selectors, both together, ipBlocks with except,
//! named ports and an egress DNS rule). kube-system holds cluster DNS.
//!
//! Files: `namespaces.yaml`, `kube-system.yaml` and one `ns-NNNNN.yaml` per
//! namespace (its Pods, then its policies). With `--shuffle-seed`, the same
//! documents, byte for byte, in another order and other files
//! (`part-NNNN.yaml`): the other side of a `diff` that must find no change.

mod pods;
mod shuffle;

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;

use crate::out::{write_file, Totals};
use crate::realistic::kube_system_file;
use crate::rng::Rng;
use crate::scale::{self, policies::write_policy, split_evenly, Namespace};
use crate::yaml::emit;
use crate::yaml::Yaml;

/// Pods per namespace when `--namespaces` is not given.
pub(crate) const PODS_PER_NAMESPACE: u64 = 100;

/// The most Pods the shape can address (see [`pod_ip`]).
pub(crate) const MAX_PODS: u64 = 250 * 256 * 255;

/// What the standalone shape is asked for, defaults filled in.
pub(crate) struct Args {
    pub(crate) pods: u64,
    pub(crate) policies: u64,
    pub(crate) namespaces: u64,
    pub(crate) seed: u64,
    /// Writes the documents shuffled with this seed.
    pub(crate) shuffle_seed: Option<u64>,
}

pub(crate) fn generate(args: &Args, out: &Path) -> std::io::Result<Totals> {
    let mut totals = Totals::default();
    let files = files(args, &mut totals);
    fs::create_dir_all(out)?;
    for (name, y) in &files {
        write_file(out, name, y, &mut totals)?;
    }
    Ok(totals)
}

/// The files of the cluster, by name, in the order they are written;
/// `totals` counts the objects.
fn files(args: &Args, totals: &mut Totals) -> Vec<(String, Yaml)> {
    let mut rng = Rng::new(args.seed);
    let namespaces = scale::namespaces(args.namespaces, &mut rng);
    let mut files = vec![("namespaces.yaml".to_owned(), scale::namespaces_file(&namespaces)), kube_system()];
    let mut first_pod = 0;
    for ns in &namespaces {
        let pods = split_evenly(args.pods, args.namespaces, ns.index);
        let policies = split_evenly(args.policies, args.namespaces, ns.index);
        let y = namespace_file(ns, first_pod, pods, policies, totals);
        files.push((format!("ns-{:05}.yaml", ns.index), y));
        first_pod += pods;
    }
    match args.shuffle_seed {
        Some(seed) => shuffle::shuffled(&files, seed),
        None => files,
    }
}

/// kube-system: its Namespace (which the egress DNS rule selects by its
/// `kubernetes.io/metadata.name` label) and cluster DNS.
fn kube_system() -> (String, Yaml) {
    let mut y = Yaml::default();
    emit!(y, 0, "apiVersion: v1");
    emit!(y, 0, "kind: Namespace");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: kube-system");
    emit!(y, 1, "labels:");
    emit!(y, 2, "kubernetes.io/metadata.name: kube-system");
    y.start_document();
    y.buf.push_str(&kube_system_file().buf);
    ("kube-system.yaml".to_owned(), y)
}

/// A namespace's Pods (`first_pod` is the cluster-wide number of its first,
/// which gives its address) and policies.
fn namespace_file(ns: &Namespace, first_pod: u64, pods: u64, policies: u64, totals: &mut Totals) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespace {} (team {}, env {}): standalone Pods.", ns.name, ns.team, ns.env);
    for n in 0..pods {
        pods::write_pod(&mut y, ns, n, pod_ip(first_pod + n));
    }
    for n in 0..policies {
        write_policy(&mut y, ns, n);
    }
    totals.pods += pods;
    totals.policies += policies;
    y
}

/// The address of the cluster's pod `n`: 250 pods per node-sized /24
/// (`.2` to `.251`) from 10.1.0.0, so no two pods share one and none is a
/// network or broadcast address. `n` is below [`MAX_PODS`].
fn pod_ip(n: u64) -> Ipv4Addr {
    let (node, host) = (n / 250, n % 250 + 2);
    Ipv4Addr::new(10, (1 + node / 256) as u8, (node % 256) as u8, host as u8)
}

#[cfg(test)]
mod tests;
