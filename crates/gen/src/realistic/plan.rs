//! The plan of a realistic cluster: namespaces, workloads and Services,
//! decided before any YAML is written.

use super::vocab::*;
use super::Args;
use crate::rng::Rng;

// Cluster plan

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ServiceKind {
    ClusterIp,
    NodePort,
    LoadBalancer,
    Headless,
}

#[derive(Debug)]
pub(crate) struct ServicePlan {
    pub(crate) name: String,
    pub(crate) kind: ServiceKind,
    /// Named `targetPort` (the container port's name) or its number.
    pub(crate) named_target: bool,
    pub(crate) cluster_ip: Option<String>,
    pub(crate) node_port_base: Option<u16>,
    pub(crate) lb_ip: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Workload {
    pub(crate) name: String,
    pub(crate) kind: WorkloadKind,
    pub(crate) tier: Tier,
    pub(crate) team: &'static str,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) replicas: u64,
    pub(crate) canary: bool,
    pub(crate) ports: Vec<Port>,
    pub(crate) sidecar: bool,
    pub(crate) services: Vec<ServicePlan>,
    pub(crate) ingress: bool,
}

impl Workload {
    pub(crate) fn front_service(&self) -> Option<&ServicePlan> {
        self.services.iter().find(|s| s.kind != ServiceKind::Headless)
    }

    pub(crate) fn named_port(&self) -> Option<&Port> {
        self.ports.first()
    }
}

#[derive(Debug)]
pub(crate) struct Namespace {
    pub(crate) index: u64,
    pub(crate) name: String,
    pub(crate) team: &'static str,
    pub(crate) env: &'static str,
    pub(crate) tier: &'static str,
    pub(crate) pod_budget: u64,
    pub(crate) policy_budget: u64,
    pub(crate) workloads: Vec<Workload>,
}

/// Hands out cluster-unique addresses and node ports.
pub(crate) struct Allocator {
    pub(crate) next_cluster_ip: u32,
    pub(crate) next_node_port: u16,
    pub(crate) next_lb_ip: u32,
}

impl Allocator {
    pub(crate) fn new() -> Self {
        Allocator {
            // 10.96.1.0 onwards: clear of 10.96.0.1 (kubernetes) and
            // 10.96.0.10 (kube-dns), inside the default 10.96.0.0/12.
            next_cluster_ip: u32::from_be_bytes([10, 96, 1, 0]),
            next_node_port: 30000,
            next_lb_ip: u32::from_be_bytes([100, 64, 0, 1]),
        }
    }

    pub(crate) fn cluster_ip(&mut self) -> String {
        let ip = ipv4(self.next_cluster_ip);
        self.next_cluster_ip += 1;
        ip
    }

    /// A run of `count` consecutive node ports, or none once the default
    /// range 30000-32767 is used up (the API server then picks them).
    pub(crate) fn node_ports(&mut self, count: u16) -> Option<u16> {
        let base = self.next_node_port;
        if u32::from(base) + u32::from(count) > 32768 {
            return None;
        }
        self.next_node_port += count;
        Some(base)
    }

    pub(crate) fn lb_ip(&mut self) -> String {
        let ip = ipv4(self.next_lb_ip);
        self.next_lb_ip += 1;
        ip
    }
}

pub(crate) fn ipv4(n: u32) -> String {
    let [a, b, c, d] = n.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

pub(crate) fn split_evenly(total: u64, parts: u64, index: u64) -> u64 {
    total / parts + u64::from(index < total % parts)
}

pub(crate) fn plan_namespaces(args: &Args, rng: &mut Rng, alloc: &mut Allocator) -> Vec<Namespace> {
    (0..args.namespaces)
        .map(|index| {
            let team = rng.pick(TEAMS);
            let env = rng.pick(ENVS);
            let mut ns = Namespace {
                index,
                name: format!("{team}-{env}-{index:04}"),
                team,
                env,
                tier: rng.pick(NS_TIERS),
                pod_budget: split_evenly(args.pods, args.namespaces, index),
                policy_budget: split_evenly(args.policies, args.namespaces, index),
                workloads: Vec::new(),
            };
            ns.workloads = plan_workloads(&ns, rng, alloc);
            ns
        })
        .collect()
}

pub(crate) fn plan_workloads(ns: &Namespace, rng: &mut Rng, alloc: &mut Allocator) -> Vec<Workload> {
    let mut workloads: Vec<Workload> = Vec::new();
    let mut remaining = ns.pod_budget;
    while remaining > 0 {
        let tier = Tier::choose(rng);
        let replicas = rng.range(1, 5).min(remaining);
        remaining -= replicas;
        let kind = match tier {
            Tier::Db | Tier::Cache => WorkloadKind::StatefulSet,
            _ => WorkloadKind::Deployment,
        };
        let name = unique_name(&workloads, &format!("{}-{}", rng.pick(WORDS), tier.as_str()));
        workloads.push(plan_workload(name, kind, tier, replicas, ns, rng, alloc));
    }
    // Node agents: a DaemonSet in roughly one namespace out of eight.
    if rng.chance(12) {
        let name = unique_name(&workloads, &format!("{}-agent", rng.pick(WORDS)));
        let ds = plan_workload(name, WorkloadKind::DaemonSet, Tier::Worker, 0, ns, rng, alloc);
        workloads.push(ds);
    }
    workloads
}

pub(crate) fn unique_name(existing: &[Workload], base: &str) -> String {
    let taken = |n: &str| existing.iter().any(|w| w.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|i| format!("{base}-{i}")).find(|n| !taken(n)).expect("an unused name exists")
}

pub(crate) fn plan_workload(
    name: String,
    kind: WorkloadKind,
    tier: Tier,
    replicas: u64,
    ns: &Namespace,
    rng: &mut Rng,
    alloc: &mut Allocator,
) -> Workload {
    let team = if rng.chance(80) { ns.team } else { rng.pick(TEAMS) };
    let major = rng.range(1, 5);
    let mut ports = tier_ports(tier, rng);
    if kind == WorkloadKind::DaemonSet {
        ports = vec![tcp("metrics", 9100)];
    }
    let mut workload = Workload {
        version: format!("v{major}"),
        release: format!("{major}.{}.{}", rng.below(20), rng.below(30)),
        canary: rng.chance(8),
        sidecar: tier != Tier::Db && tier != Tier::Cache && rng.chance(40),
        services: Vec::new(),
        ingress: false,
        name,
        kind,
        tier,
        team,
        replicas,
        ports,
    };
    workload.services = plan_services(&workload, rng, alloc);
    workload.ingress = tier == Tier::Web && workload.front_service().is_some() && rng.chance(50);
    workload
}

pub(crate) fn plan_services(w: &Workload, rng: &mut Rng, alloc: &mut Allocator) -> Vec<ServicePlan> {
    if w.ports.is_empty() || w.kind == WorkloadKind::DaemonSet {
        return Vec::new();
    }
    let mut service = |name: String, kind: ServiceKind, rng: &mut Rng| ServicePlan {
        cluster_ip: (kind != ServiceKind::Headless).then(|| alloc.cluster_ip()),
        node_port_base: match kind {
            ServiceKind::NodePort | ServiceKind::LoadBalancer if rng.chance(70) => {
                alloc.node_ports(w.ports.len() as u16)
            }
            _ => None,
        },
        lb_ip: (kind == ServiceKind::LoadBalancer && rng.chance(85)).then(|| alloc.lb_ip()),
        named_target: rng.chance(70),
        name,
        kind,
    };
    match w.tier {
        Tier::Db | Tier::Cache => {
            let mut services = vec![service(format!("{}-headless", w.name), ServiceKind::Headless, rng)];
            if rng.chance(60) {
                services.push(service(w.name.clone(), ServiceKind::ClusterIp, rng));
            }
            services
        }
        Tier::Worker if rng.chance(80) => Vec::new(),
        Tier::Worker => vec![service(w.name.clone(), ServiceKind::ClusterIp, rng)],
        Tier::Web => {
            let kind = match rng.below(100) {
                0..=69 => ServiceKind::ClusterIp,
                70..=84 => ServiceKind::LoadBalancer,
                _ => ServiceKind::NodePort,
            };
            vec![service(w.name.clone(), kind, rng)]
        }
        Tier::Api if rng.chance(90) => {
            let kind = if rng.chance(85) { ServiceKind::ClusterIp } else { ServiceKind::NodePort };
            vec![service(w.name.clone(), kind, rng)]
        }
        _ => Vec::new(),
    }
}
