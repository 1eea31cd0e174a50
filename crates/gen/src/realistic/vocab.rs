//! The words, tiers, kinds and ports the realistic clusters are made of.

use crate::rng::Rng;

pub(crate) const TEAMS: &[&str] = &[
    "checkout",
    "payments",
    "catalog",
    "search",
    "identity",
    "growth",
    "logistics",
    "platform",
    "data",
    "support",
    "media",
    "billing",
];
pub(crate) const ENVS: &[&str] = &["prod", "staging", "dev"];
pub(crate) const NS_TIERS: &[&str] = &["frontend", "backend", "data", "shared"];
pub(crate) const WORDS: &[&str] = &[
    "cart",
    "orders",
    "inventory",
    "pricing",
    "reviews",
    "users",
    "sessions",
    "auth",
    "profile",
    "search",
    "recommend",
    "shipping",
    "tracking",
    "invoice",
    "ledger",
    "refunds",
    "coupons",
    "catalog",
    "media",
    "thumbnails",
    "notify",
    "email",
    "sms",
    "audit",
    "reports",
    "export",
    "import",
    "gateway",
    "checkout",
    "wishlist",
    "loyalty",
    "fraud",
    "tax",
    "currency",
    "geo",
    "feeds",
    "ratings",
    "returns",
    "support",
    "chat",
];
pub(crate) const ZONES: &[&str] = &["eu-west-1a", "eu-west-1b", "eu-west-1c"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tier {
    Web,
    Api,
    Db,
    Cache,
    Worker,
}

impl Tier {
    pub(crate) const ALL: [Tier; 5] = [Tier::Web, Tier::Api, Tier::Db, Tier::Cache, Tier::Worker];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tier::Web => "web",
            Tier::Api => "api",
            Tier::Db => "db",
            Tier::Cache => "cache",
            Tier::Worker => "worker",
        }
    }

    /// Weighted choice: web 25%, api 35%, db 10%, cache 10%, worker 20%.
    pub(crate) fn choose(rng: &mut Rng) -> Tier {
        match rng.below(100) {
            0..=24 => Tier::Web,
            25..=59 => Tier::Api,
            60..=69 => Tier::Db,
            70..=79 => Tier::Cache,
            _ => Tier::Worker,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Port {
    pub(crate) name: &'static str,
    pub(crate) number: u16,
    pub(crate) protocol: &'static str,
}

pub(crate) const fn tcp(name: &'static str, number: u16) -> Port {
    Port { name, number, protocol: "TCP" }
}

/// The container ports of a workload of the given tier.
pub(crate) fn tier_ports(tier: Tier, rng: &mut Rng) -> Vec<Port> {
    let mut ports = match tier {
        Tier::Web => vec![tcp("http", 8080), tcp("metrics", 9100)],
        Tier::Api => vec![tcp("http", 8080), tcp("grpc", 9090), tcp("metrics", 9100)],
        Tier::Db if rng.chance(70) => vec![tcp("db", 5432), tcp("metrics", 9187)],
        Tier::Db => vec![tcp("mysql", 3306), tcp("metrics", 9104)],
        Tier::Cache => vec![tcp("redis", 6379), tcp("metrics", 9121)],
        Tier::Worker if rng.chance(60) => vec![tcp("metrics", 9100)],
        Tier::Worker => Vec::new(),
    };
    if tier == Tier::Api && rng.chance(15) {
        ports.push(Port { name: "statsd", number: 8125, protocol: "UDP" });
    }
    if tier == Tier::Api && rng.chance(5) {
        ports.push(Port { name: "diameter", number: 3868, protocol: "SCTP" });
    }
    ports
}

pub(crate) fn tier_image(tier: Tier, team: &str, app: &str, release: &str) -> String {
    match tier {
        Tier::Db => "docker.io/library/postgres:16.4".to_string(),
        Tier::Cache => "docker.io/library/redis:7.4.0".to_string(),
        _ => format!("registry.example.com/{team}/{app}:{release}"),
    }
}
