//! The realistic shape (`--shape realistic`): namespaces of a dozen teams
//! and three environments, Deployments and StatefulSets of varied tiers and
//! sizes with full pod templates (probes, env, volumes, sidecars), DaemonSets,
//! every Service type, Ingresses, and NetworkPolicies cycling through every
//! form the API allows. It looks like a real cluster, so loading and `check`
//! meet what they meet in the field.
//!
//! Files: `namespaces.yaml` (every Namespace), `kube-system.yaml` (CoreDNS),
//! `ingress-nginx.yaml` (the ingress controller and its IngressClass) and one
//! `ns-NNNN.yaml` per generated namespace with its workloads, Services,
//! Ingresses and NetworkPolicies. The Deployment and StatefulSet replicas add
//! up to exactly `--pods`; DaemonSets (whose pod count depends on the node
//! count) and the system add-ons come on top. The NetworkPolicies add up to
//! exactly `--policies`.

mod plan;
mod policies;
mod services;
mod system;
mod vocab;

pub(crate) use system::kube_system_file;
pub(crate) use vocab::{ENVS, TEAMS};
mod workloads;

use std::fs;
use std::path::PathBuf;

use crate::out::{write_file, Totals};
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;
use plan::{plan_namespaces, Allocator, Namespace, Workload};
use policies::{write_policy, PolicyContext, PolicyForm};
use services::{write_ingress, write_service};
use system::{ingress_nginx_file, namespaces_file};
use vocab::WorkloadKind;
use workloads::write_workload;

/// What the realistic shape is asked for.
pub(crate) struct Args {
    pub(crate) pods: u64,
    pub(crate) policies: u64,
    pub(crate) namespaces: u64,
    pub(crate) seed: u64,
    pub(crate) out: PathBuf,
}

/// Writes one namespace's manifests; `policy_cursor` is the global count of
/// policies written so far, which picks each policy's form.
fn namespace_file(
    ns: &Namespace,
    all: &[Namespace],
    policy_cursor: &mut u64,
    rng: &mut Rng,
    totals: &mut Totals,
) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespace {} (team {}, env {}).", ns.name, ns.team, ns.env);
    for w in &ns.workloads {
        write_workload(&mut y, ns, w, rng);
        if w.kind == WorkloadKind::DaemonSet {
            totals.daemonsets += 1;
        } else {
            totals.workloads += 1;
            totals.pods += w.replicas;
        }
        for s in &w.services {
            write_service(&mut y, ns, w, s);
            totals.services += 1;
        }
        if w.ingress {
            write_ingress(&mut y, ns, w, rng);
            totals.ingresses += 1;
        }
    }
    let with_ports: Vec<&Workload> = ns.workloads.iter().filter(|w| !w.ports.is_empty()).collect();
    for n in 0..ns.policy_budget {
        let form = PolicyForm::ALL[(*policy_cursor % PolicyForm::ALL.len() as u64) as usize];
        *policy_cursor += 1;
        let ctx = PolicyContext { ns, all, target: (!with_ports.is_empty()).then(|| rng.pick(&with_ports)) };
        write_policy(&mut y, &ctx, form, n, rng);
        totals.policies += 1;
    }
    y
}

pub(crate) fn generate(args: &Args) -> std::io::Result<Totals> {
    let mut rng = Rng::new(args.seed);
    let mut alloc = Allocator::new();
    let namespaces = plan_namespaces(args, &mut rng, &mut alloc);
    fs::create_dir_all(&args.out)?;
    let mut totals = Totals::default();
    write_file(&args.out, "namespaces.yaml", &namespaces_file(&namespaces, &mut rng), &mut totals)?;
    write_file(&args.out, "kube-system.yaml", &kube_system_file(), &mut totals)?;
    write_file(&args.out, "ingress-nginx.yaml", &ingress_nginx_file(), &mut totals)?;
    let mut policy_cursor = 0;
    for ns in &namespaces {
        let y = namespace_file(ns, &namespaces, &mut policy_cursor, &mut rng, &mut totals);
        write_file(&args.out, &format!("ns-{:04}.yaml", ns.index), &y, &mut totals)?;
    }
    Ok(totals)
}
