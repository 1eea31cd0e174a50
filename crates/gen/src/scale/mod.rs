//! The scale shape (the default), on which the scale targets are measured:
//! `N` namespaces labelled by team and env, each with 10 Deployments of 5
//! replicas (`app0`…`app9`, tiers web, api, db, cache and worker in turn,
//! with named ports, a metrics port on every pod and a UDP gossip port on
//! caches), a Service for each, and 10 NetworkPolicies mixing default-deny,
//! pod selectors, namespace selectors, both together, ipBlocks with except
//! and named ports.
//!
//! Files: `namespaces.yaml` and one `ns-NNNNN.yaml` per namespace. The
//! replicas add up to exactly `--pods` and the policies to `--policies`, split
//! evenly over the namespaces (and the replicas over the Deployments).

pub(crate) mod objects;
pub(crate) mod policies;

use std::fs;
use std::path::Path;

use crate::out::{write_file, Totals};
use crate::realistic::{ENVS, TEAMS};
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;

/// Deployments per namespace.
pub(crate) const DEPLOYMENTS: u64 = 10;
/// Pods per namespace at the default replica count (5 per Deployment).
pub(crate) const PODS_PER_NAMESPACE: u64 = DEPLOYMENTS * 5;
/// Policy forms, one of each per namespace at the default policy count.
pub(crate) const POLICY_FORMS: u64 = policies::FORMS.len() as u64;

/// What the scale shape is asked for, defaults filled in.
pub(crate) struct Args {
    pub(crate) pods: u64,
    pub(crate) policies: u64,
    pub(crate) namespaces: u64,
    pub(crate) seed: u64,
}

/// One generated namespace and the labels its policies select on.
pub(crate) struct Namespace {
    pub(crate) index: u64,
    pub(crate) name: String,
    pub(crate) team: &'static str,
    pub(crate) env: &'static str,
}

/// The tier of Deployment `app{index}`: web, api, db, cache, worker in turn.
pub(crate) fn tier(index: u64) -> &'static str {
    ["web", "api", "db", "cache", "worker"][(index % 5) as usize]
}

/// Namespaces `ns0`… of `count`, each of a team and an env drawn from `rng`.
pub(crate) fn namespaces(count: u64, rng: &mut Rng) -> Vec<Namespace> {
    (0..count)
        .map(|index| Namespace {
            index,
            name: format!("ns{index}"),
            team: rng.pick(TEAMS),
            env: rng.pick(ENVS),
        })
        .collect()
}

pub(crate) fn generate(args: &Args, out: &Path) -> std::io::Result<Totals> {
    let mut rng = Rng::new(args.seed);
    let namespaces = namespaces(args.namespaces, &mut rng);
    fs::create_dir_all(out)?;
    let mut totals = Totals::default();
    write_file(out, "namespaces.yaml", &namespaces_file(&namespaces), &mut totals)?;
    for ns in &namespaces {
        let pods = split_evenly(args.pods, args.namespaces, ns.index);
        let policies = split_evenly(args.policies, args.namespaces, ns.index);
        let y = namespace_file(ns, pods, policies, &mut totals);
        write_file(out, &format!("ns-{:05}.yaml", ns.index), &y, &mut totals)?;
    }
    Ok(totals)
}

/// Part `index` of `total` split into `parts` as evenly as can be.
pub(crate) fn split_evenly(total: u64, parts: u64, index: u64) -> u64 {
    total / parts + u64::from(index < total % parts)
}

pub(crate) fn namespaces_file(namespaces: &[Namespace]) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespaces of the synthetic cluster (scale shape).");
    for ns in namespaces {
        y.start_document();
        emit!(y, 0, "apiVersion: v1");
        emit!(y, 0, "kind: Namespace");
        emit!(y, 0, "metadata:");
        emit!(y, 1, "name: {}", ns.name);
        emit!(y, 1, "labels:");
        y.map(2, &[("team", ns.team), ("env", ns.env)]);
    }
    y
}

fn namespace_file(ns: &Namespace, pods: u64, policies: u64, totals: &mut Totals) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespace {} (team {}, env {}).", ns.name, ns.team, ns.env);
    for app in 0..DEPLOYMENTS {
        let replicas = split_evenly(pods, DEPLOYMENTS, app);
        objects::write_deployment(&mut y, ns, app, replicas);
        objects::write_service(&mut y, ns, app);
        totals.workloads += 1;
        totals.pods += replicas;
        totals.services += 1;
    }
    for n in 0..policies {
        policies::write_policy(&mut y, ns, n);
        totals.policies += 1;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace() -> Namespace {
        Namespace { index: 0, name: "ns0".into(), team: "payments", env: "prod" }
    }

    #[test]
    fn replicas_and_policies_add_up_to_what_was_asked() {
        let mut totals = Totals::default();
        let y = namespace_file(&namespace(), 53, 23, &mut totals);
        assert_eq!((totals.pods, totals.workloads, totals.services, totals.policies), (53, 10, 10, 23));
        let replicas: u64 = y
            .buf
            .lines()
            .filter_map(|l| l.trim().strip_prefix("replicas: "))
            .map(|n| n.parse::<u64>().unwrap())
            .sum();
        assert_eq!(replicas, 53);
        assert_eq!(y.buf.matches("kind: NetworkPolicy").count(), 23);
    }

    #[test]
    fn policy_names_stay_unique_past_one_round_of_forms() {
        let mut totals = Totals::default();
        let y = namespace_file(&namespace(), 50, 25, &mut totals);
        let mut names: Vec<&str> = y
            .buf
            .split("kind: NetworkPolicy\nmetadata:\n")
            .skip(1)
            .map(|doc| doc.lines().next().unwrap().trim_start_matches("  name: "))
            .collect();
        assert!(names.contains(&"default-deny-ingress-3"), "{names:?}");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 25);
    }

    #[test]
    fn the_same_seed_writes_the_same_namespaces() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50).map(|_| (rng.pick(TEAMS), rng.pick(ENVS))).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
