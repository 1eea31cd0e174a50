//! Synthetic cluster generator.
//!
//! Writes a deterministic, realistic-looking cluster as multi-document YAML
//! manifests, for benchmarks and scale tests:
//!
//! ```text
//! cargo run --release -p kubereach --example gen-cluster -- \
//!     --pods 10000 --policies 2000 --namespaces 200 --out DIR [--seed 42]
//! ```
//!
//! The output directory receives `namespaces.yaml` (every Namespace),
//! `kube-system.yaml` (CoreDNS), `ingress-nginx.yaml` (the ingress controller
//! and its IngressClass) and one `ns-NNNN.yaml` per generated namespace with
//! its workloads, Services, Ingresses and NetworkPolicies.
//!
//! The Deployment and StatefulSet replicas add up to exactly `--pods`;
//! DaemonSets (whose Pod count depends on the node count) and the system
//! add-ons come on top. The NetworkPolicies add up to exactly `--policies` and
//! cycle through every form the NetworkPolicy API allows. Only the standard
//! library is used, and the same seed always gives byte-identical output.

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: gen-cluster --out DIR [--pods N] [--policies P] [--namespaces K] [--seed S]

  --out DIR         directory to write the manifests into (created if missing)
  --pods N          Deployment and StatefulSet replicas in total (default 1000)
  --policies P      NetworkPolicies in total (default 200)
  --namespaces K    generated namespaces, besides the system ones (default 20)
  --seed S          seed of the pseudo-random generator (default 42)";

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Args {
    pods: u64,
    policies: u64,
    namespaces: u64,
    seed: u64,
    out: PathBuf,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args { pods: 1000, policies: 200, namespaces: 20, seed: 42, out: PathBuf::new() };
    let mut out = None;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--pods" => parsed.pods = parse_number(&flag, &value)?,
            "--policies" => parsed.policies = parse_number(&flag, &value)?,
            "--namespaces" => parsed.namespaces = parse_number(&flag, &value)?,
            "--seed" => parsed.seed = parse_number(&flag, &value)?,
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    parsed.out = out.ok_or("--out DIR is required")?;
    if parsed.namespaces == 0 || parsed.namespaces > 9999 {
        return Err("--namespaces must be between 1 and 9999".into());
    }
    Ok(parsed)
}

fn parse_number(flag: &str, value: &str) -> Result<u64, String> {
    value.parse().map_err(|_| format!("{flag} expects a non-negative integer, got {value:?}"))
}

// ---------------------------------------------------------------------------
// Pseudo-random numbers (SplitMix64)
// ---------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` must not be zero).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with the given probability in percent.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A copy of one of `items` (which must not be empty).
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick_ref(items)
    }

    /// A reference to one of `items` (which must not be empty).
    fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(digits);
        s
    }
}

// ---------------------------------------------------------------------------
// YAML output
// ---------------------------------------------------------------------------

/// A growing YAML text, written line by line with explicit indentation.
#[derive(Default)]
struct Yaml {
    buf: String,
}

impl Yaml {
    fn line(&mut self, indent: usize, args: fmt::Arguments) {
        for _ in 0..indent {
            self.buf.push_str("  ");
        }
        fmt::Write::write_fmt(&mut self.buf, args).expect("writing to a String cannot fail");
        self.buf.push('\n');
    }

    fn start_document(&mut self) {
        self.buf.push_str("---\n");
    }

    fn map(&mut self, indent: usize, pairs: &[(&str, &str)]) {
        for (key, value) in pairs {
            self.line(indent, format_args!("{key}: {}", scalar(value)));
        }
    }

    fn len(&self) -> usize {
        self.buf.len()
    }
}

macro_rules! emit {
    ($yaml:expr, $indent:expr, $($arg:tt)*) => {
        $yaml.line($indent, format_args!($($arg)*))
    };
}

/// A YAML scalar for `s`, quoted when some YAML parser could read it as
/// anything but a string: a number, a YAML 1.1 timestamp or sexagesimal (so
/// anything starting with a digit), a boolean, null or a structure.
fn scalar(s: &str) -> Cow<'_, str> {
    let ambiguous = s.is_empty()
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+')
        || s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        )
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':');
    if ambiguous {
        Cow::Owned(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
    } else {
        Cow::Borrowed(s)
    }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const TEAMS: &[&str] = &[
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
const ENVS: &[&str] = &["prod", "staging", "dev"];
const NS_TIERS: &[&str] = &["frontend", "backend", "data", "shared"];
const WORDS: &[&str] = &[
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
const ZONES: &[&str] = &["eu-west-1a", "eu-west-1b", "eu-west-1c"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tier {
    Web,
    Api,
    Db,
    Cache,
    Worker,
}

impl Tier {
    const ALL: [Tier; 5] = [Tier::Web, Tier::Api, Tier::Db, Tier::Cache, Tier::Worker];

    fn as_str(self) -> &'static str {
        match self {
            Tier::Web => "web",
            Tier::Api => "api",
            Tier::Db => "db",
            Tier::Cache => "cache",
            Tier::Worker => "worker",
        }
    }

    /// Weighted choice: web 25%, api 35%, db 10%, cache 10%, worker 20%.
    fn choose(rng: &mut Rng) -> Tier {
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
enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Port {
    name: &'static str,
    number: u16,
    protocol: &'static str,
}

const fn tcp(name: &'static str, number: u16) -> Port {
    Port { name, number, protocol: "TCP" }
}

/// The container ports of a workload of the given tier.
fn tier_ports(tier: Tier, rng: &mut Rng) -> Vec<Port> {
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

fn tier_image(tier: Tier, team: &str, app: &str, release: &str) -> String {
    match tier {
        Tier::Db => "docker.io/library/postgres:16.4".to_string(),
        Tier::Cache => "docker.io/library/redis:7.4.0".to_string(),
        _ => format!("registry.example.com/{team}/{app}:{release}"),
    }
}

// ---------------------------------------------------------------------------
// Cluster plan
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ServiceKind {
    ClusterIp,
    NodePort,
    LoadBalancer,
    Headless,
}

#[derive(Debug)]
struct ServicePlan {
    name: String,
    kind: ServiceKind,
    /// Named `targetPort` (the container port's name) or its number.
    named_target: bool,
    cluster_ip: Option<String>,
    node_port_base: Option<u16>,
    lb_ip: Option<String>,
}

#[derive(Debug)]
struct Workload {
    name: String,
    kind: WorkloadKind,
    tier: Tier,
    team: &'static str,
    version: String,
    release: String,
    replicas: u64,
    canary: bool,
    ports: Vec<Port>,
    sidecar: bool,
    services: Vec<ServicePlan>,
    ingress: bool,
}

impl Workload {
    fn front_service(&self) -> Option<&ServicePlan> {
        self.services.iter().find(|s| s.kind != ServiceKind::Headless)
    }

    fn named_port(&self) -> Option<&Port> {
        self.ports.first()
    }
}

#[derive(Debug)]
struct Namespace {
    index: u64,
    name: String,
    team: &'static str,
    env: &'static str,
    tier: &'static str,
    pod_budget: u64,
    policy_budget: u64,
    workloads: Vec<Workload>,
}

/// Hands out cluster-unique addresses and node ports.
struct Allocator {
    next_cluster_ip: u32,
    next_node_port: u16,
    next_lb_ip: u32,
}

impl Allocator {
    fn new() -> Self {
        Allocator {
            // 10.96.1.0 onwards: clear of 10.96.0.1 (kubernetes) and
            // 10.96.0.10 (kube-dns), inside the default 10.96.0.0/12.
            next_cluster_ip: u32::from_be_bytes([10, 96, 1, 0]),
            next_node_port: 30000,
            next_lb_ip: u32::from_be_bytes([100, 64, 0, 1]),
        }
    }

    fn cluster_ip(&mut self) -> String {
        let ip = ipv4(self.next_cluster_ip);
        self.next_cluster_ip += 1;
        ip
    }

    /// A run of `count` consecutive node ports, or none once the default
    /// range 30000-32767 is used up (the API server then picks them).
    fn node_ports(&mut self, count: u16) -> Option<u16> {
        let base = self.next_node_port;
        if u32::from(base) + u32::from(count) > 32768 {
            return None;
        }
        self.next_node_port += count;
        Some(base)
    }

    fn lb_ip(&mut self) -> String {
        let ip = ipv4(self.next_lb_ip);
        self.next_lb_ip += 1;
        ip
    }
}

fn ipv4(n: u32) -> String {
    let [a, b, c, d] = n.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

fn split_evenly(total: u64, parts: u64, index: u64) -> u64 {
    total / parts + u64::from(index < total % parts)
}

fn plan_namespaces(args: &Args, rng: &mut Rng, alloc: &mut Allocator) -> Vec<Namespace> {
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

fn plan_workloads(ns: &Namespace, rng: &mut Rng, alloc: &mut Allocator) -> Vec<Workload> {
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

fn unique_name(existing: &[Workload], base: &str) -> String {
    let taken = |n: &str| existing.iter().any(|w| w.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|i| format!("{base}-{i}")).find(|n| !taken(n)).expect("an unused name exists")
}

fn plan_workload(
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

fn plan_services(w: &Workload, rng: &mut Rng, alloc: &mut Allocator) -> Vec<ServicePlan> {
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

// ---------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------

fn write_workload(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    y.start_document();
    emit!(y, 0, "apiVersion: apps/v1");
    emit!(y, 0, "kind: {}", w.kind.as_str());
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", w.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    let chart = format!("{}-{}", w.name, w.release);
    y.map(
        2,
        &[
            ("app", &w.name),
            ("tier", w.tier.as_str()),
            ("version", &w.version),
            ("team", w.team),
            ("app.kubernetes.io/name", &w.name),
            ("app.kubernetes.io/part-of", ns.team),
            ("app.kubernetes.io/managed-by", "Helm"),
            ("helm.sh/chart", &chart),
        ],
    );
    emit!(y, 1, "annotations:");
    let revision = rng.range(1, 40).to_string();
    y.map(
        2,
        &[
            ("deployment.kubernetes.io/revision", &revision),
            ("meta.helm.sh/release-name", &w.name),
            ("meta.helm.sh/release-namespace", &ns.name),
            ("description", &format!("{} {} service owned by team {}", w.name, w.tier.as_str(), w.team)),
        ],
    );
    emit!(y, 0, "spec:");
    match w.kind {
        WorkloadKind::Deployment => {
            emit!(y, 1, "replicas: {}", w.replicas);
            emit!(y, 1, "revisionHistoryLimit: 10");
            emit!(y, 1, "progressDeadlineSeconds: 600");
            emit!(y, 1, "strategy:");
            emit!(y, 2, "type: RollingUpdate");
            emit!(y, 2, "rollingUpdate:");
            emit!(y, 3, "maxSurge: 25%");
            emit!(y, 3, "maxUnavailable: 0");
        }
        WorkloadKind::StatefulSet => {
            emit!(y, 1, "replicas: {}", w.replicas);
            emit!(y, 1, "serviceName: {}-headless", w.name);
            emit!(y, 1, "podManagementPolicy: OrderedReady");
            emit!(y, 1, "updateStrategy:");
            emit!(y, 2, "type: RollingUpdate");
        }
        WorkloadKind::DaemonSet => {
            emit!(y, 1, "updateStrategy:");
            emit!(y, 2, "type: RollingUpdate");
            emit!(y, 2, "rollingUpdate:");
            emit!(y, 3, "maxUnavailable: 1");
        }
    }
    emit!(y, 1, "selector:");
    emit!(y, 2, "matchLabels:");
    y.map(3, &[("app", &w.name), ("tier", w.tier.as_str())]);
    emit!(y, 1, "template:");
    write_pod_template(y, ns, w, rng);
    if w.kind == WorkloadKind::StatefulSet {
        write_volume_claim(y, w);
    }
}

fn write_pod_template(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 2, "metadata:");
    emit!(y, 3, "labels:");
    y.map(
        4,
        &[
            ("app", &w.name),
            ("tier", w.tier.as_str()),
            ("version", &w.version),
            ("team", w.team),
            ("app.kubernetes.io/name", &w.name),
            ("app.kubernetes.io/version", &w.release),
        ],
    );
    if w.canary {
        emit!(y, 4, "canary: \"true\"");
    }
    emit!(y, 3, "annotations:");
    let metrics_port = w.ports.iter().find(|p| p.name == "metrics").map(|p| p.number.to_string());
    if let Some(port) = &metrics_port {
        y.map(4, &[("prometheus.io/scrape", "true"), ("prometheus.io/port", port)]);
        emit!(y, 4, "prometheus.io/path: /metrics");
    }
    let restarted = format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.range(1, 12),
        rng.range(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    y.map(
        4,
        &[
            ("checksum/config", &rng.hex(64)),
            ("checksum/secret", &rng.hex(64)),
            ("kubectl.kubernetes.io/restartedAt", &restarted),
            ("kubectl.kubernetes.io/default-container", &w.name),
        ],
    );
    emit!(y, 2, "spec:");
    emit!(y, 3, "serviceAccountName: {}", w.name);
    emit!(y, 3, "automountServiceAccountToken: false");
    emit!(y, 3, "enableServiceLinks: false");
    emit!(y, 3, "imagePullSecrets:");
    emit!(y, 4, "- name: registry-credentials");
    emit!(y, 3, "dnsConfig:");
    emit!(y, 4, "options:");
    emit!(y, 5, "- name: ndots");
    emit!(y, 6, "value: \"2\"");
    emit!(y, 5, "- name: single-request-reopen");
    emit!(y, 3, "terminationGracePeriodSeconds: {}", rng.pick(&[30, 45, 60]));
    emit!(y, 3, "securityContext:");
    emit!(y, 4, "runAsNonRoot: true");
    emit!(y, 4, "runAsUser: 10001");
    emit!(y, 4, "runAsGroup: 10001");
    emit!(y, 4, "fsGroup: 10001");
    emit!(y, 4, "seccompProfile:");
    emit!(y, 5, "type: RuntimeDefault");
    if w.kind == WorkloadKind::DaemonSet {
        emit!(y, 3, "tolerations:");
        emit!(y, 4, "- operator: Exists");
    } else {
        write_scheduling(y, ns, w, rng);
    }
    if w.tier == Tier::Api && rng.chance(50) {
        write_init_container(y, w);
    }
    emit!(y, 3, "containers:");
    write_main_container(y, ns, w, rng);
    if w.sidecar {
        write_sidecar(y);
    }
    write_volumes(y, w);
}

fn write_scheduling(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 3, "nodeSelector:");
    emit!(y, 4, "kubernetes.io/os: linux");
    emit!(y, 4, "node.example.com/pool: {}", ns.env);
    emit!(y, 3, "affinity:");
    emit!(y, 4, "podAntiAffinity:");
    emit!(y, 5, "preferredDuringSchedulingIgnoredDuringExecution:");
    emit!(y, 6, "- weight: 100");
    emit!(y, 7, "podAffinityTerm:");
    emit!(y, 8, "topologyKey: kubernetes.io/hostname");
    emit!(y, 8, "labelSelector:");
    emit!(y, 9, "matchLabels:");
    emit!(y, 10, "app: {}", w.name);
    emit!(y, 4, "nodeAffinity:");
    emit!(y, 5, "requiredDuringSchedulingIgnoredDuringExecution:");
    emit!(y, 6, "nodeSelectorTerms:");
    emit!(y, 7, "- matchExpressions:");
    emit!(y, 9, "- key: topology.kubernetes.io/zone");
    emit!(y, 10, "operator: In");
    emit!(y, 10, "values:");
    for zone in ZONES {
        emit!(y, 11, "- {zone}");
    }
    emit!(y, 3, "topologySpreadConstraints:");
    emit!(y, 4, "- maxSkew: 1");
    emit!(y, 5, "topologyKey: topology.kubernetes.io/zone");
    emit!(y, 5, "whenUnsatisfiable: ScheduleAnyway");
    emit!(y, 5, "labelSelector:");
    emit!(y, 6, "matchLabels:");
    emit!(y, 7, "app: {}", w.name);
    if rng.chance(30) {
        emit!(y, 3, "tolerations:");
        emit!(y, 4, "- key: dedicated");
        emit!(y, 5, "operator: Equal");
        emit!(y, 5, "value: {}", w.team);
        emit!(y, 5, "effect: NoSchedule");
    }
}

fn write_init_container(y: &mut Yaml, w: &Workload) {
    emit!(y, 3, "initContainers:");
    emit!(y, 4, "- name: migrate");
    emit!(y, 5, "image: registry.example.com/{}/{}-migrations:{}", w.team, w.name, w.release);
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    emit!(y, 5, "args: [\"migrate\", \"--to=latest\", \"--timeout=120s\"]");
    emit!(y, 5, "envFrom:");
    emit!(y, 6, "- secretRef:");
    emit!(y, 8, "name: {}-db-credentials", w.name);
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests: {{cpu: 50m, memory: 64Mi}}");
    emit!(y, 6, "limits: {{memory: 128Mi}}");
}

fn write_main_container(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 4, "- name: {}", w.name);
    emit!(y, 5, "image: {}", tier_image(w.tier, w.team, &w.name, &w.release));
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    if matches!(w.tier, Tier::Web | Tier::Api | Tier::Worker) {
        emit!(y, 5, "args:");
        emit!(y, 6, "- --config=/etc/{}/config.yaml", w.name);
        emit!(y, 6, "- --log-format=json");
        emit!(y, 6, "- --shutdown-grace=20s");
    }
    if !w.ports.is_empty() {
        emit!(y, 5, "ports:");
        for p in &w.ports {
            emit!(y, 6, "- name: {}", p.name);
            emit!(y, 7, "containerPort: {}", p.number);
            emit!(y, 7, "protocol: {}", p.protocol);
        }
    }
    write_env(y, ns, w, rng);
    emit!(y, 5, "envFrom:");
    emit!(y, 6, "- configMapRef:");
    emit!(y, 8, "name: {}-config", w.name);
    emit!(y, 8, "optional: true");
    let (cpu, memory) = match w.tier {
        Tier::Db => ("1", "4Gi"),
        Tier::Cache => ("500m", "2Gi"),
        _ => (rng.pick(&["100m", "250m", "500m"]), rng.pick(&["128Mi", "256Mi", "512Mi"])),
    };
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests:");
    emit!(y, 7, "cpu: {}", scalar(cpu));
    emit!(y, 7, "memory: {memory}");
    emit!(y, 6, "limits:");
    emit!(y, 7, "memory: {memory}");
    emit!(y, 7, "ephemeral-storage: 1Gi");
    write_probes(y, w);
    emit!(y, 5, "securityContext:");
    emit!(y, 6, "allowPrivilegeEscalation: false");
    emit!(y, 6, "readOnlyRootFilesystem: true");
    emit!(y, 6, "capabilities:");
    emit!(y, 7, "drop: [\"ALL\"]");
    emit!(y, 5, "volumeMounts:");
    emit!(y, 6, "- name: config");
    emit!(y, 7, "mountPath: /etc/{}", w.name);
    emit!(y, 7, "readOnly: true");
    emit!(y, 6, "- name: tmp");
    emit!(y, 7, "mountPath: /tmp");
    if w.kind == WorkloadKind::StatefulSet {
        emit!(y, 6, "- name: data");
        emit!(y, 7, "mountPath: /var/lib/{}", w.tier.as_str());
    }
    emit!(y, 5, "terminationMessagePolicy: FallbackToLogsOnError");
}

fn write_env(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 5, "env:");
    let field = |y: &mut Yaml, name: &str, path: &str| {
        emit!(y, 6, "- name: {name}");
        emit!(y, 7, "valueFrom:");
        emit!(y, 8, "fieldRef:");
        emit!(y, 9, "fieldPath: {path}");
    };
    field(y, "POD_NAME", "metadata.name");
    field(y, "POD_NAMESPACE", "metadata.namespace");
    field(y, "POD_IP", "status.podIP");
    field(y, "NODE_NAME", "spec.nodeName");
    emit!(y, 6, "- name: GOMEMLIMIT");
    emit!(y, 7, "valueFrom:");
    emit!(y, 8, "resourceFieldRef:");
    emit!(y, 9, "containerName: {}", w.name);
    emit!(y, 9, "resource: limits.memory");
    let plain: [(&str, String); 12] = [
        ("TZ", "UTC".to_string()),
        ("LANG", "C.UTF-8".to_string()),
        ("SERVICE_NAME", w.name.clone()),
        ("SERVICE_VERSION", w.release.clone()),
        ("ENVIRONMENT", ns.env.to_string()),
        ("LOG_LEVEL", rng.pick(&["info", "info", "debug", "warn"]).to_string()),
        ("HTTP_PORT", "8080".to_string()),
        ("METRICS_PORT", "9100".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317".to_string()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            format!("service.namespace={},deployment.environment={}", ns.name, ns.env),
        ),
        ("FEATURE_FLAGS", format!("new-{}-flow,fast-{}", rng.pick(WORDS), rng.pick(WORDS))),
        ("REQUEST_TIMEOUT", format!("{}s", rng.range(2, 30))),
    ];
    for (name, value) in &plain {
        emit!(y, 6, "- name: {name}");
        emit!(y, 7, "value: {}", scalar(value));
    }
    for dep in 0..rng.range(2, 4) {
        emit!(y, 6, "- name: UPSTREAM_{dep}_URL");
        emit!(y, 7, "value: http://{}-api.{}.svc.cluster.local:80", rng.pick(WORDS), ns.name);
    }
    for key in ["DATABASE_PASSWORD", "API_TOKEN", "SIGNING_KEY"] {
        emit!(y, 6, "- name: {key}");
        emit!(y, 7, "valueFrom:");
        emit!(y, 8, "secretKeyRef:");
        emit!(y, 9, "name: {}-secrets", w.name);
        emit!(y, 9, "key: {}", key.to_ascii_lowercase().replace('_', "-"));
    }
    emit!(y, 6, "- name: CACHE_TTL");
    emit!(y, 7, "valueFrom:");
    emit!(y, 8, "configMapKeyRef:");
    emit!(y, 9, "name: {}-config", w.name);
    emit!(y, 9, "key: cache-ttl");
    emit!(y, 9, "optional: true");
}

fn write_probes(y: &mut Yaml, w: &Workload) {
    let Some(port) = w.named_port() else {
        emit!(y, 5, "livenessProbe:");
        emit!(y, 6, "exec:");
        emit!(y, 7, "command: [\"/bin/healthcheck\", \"--liveness\"]");
        emit!(y, 6, "periodSeconds: 30");
        return;
    };
    let http = matches!(port.name, "http" | "metrics");
    for (probe, path, period) in [
        ("startupProbe", "/healthz", 5),
        ("livenessProbe", "/healthz", 20),
        ("readinessProbe", "/readyz", 10),
    ] {
        emit!(y, 5, "{probe}:");
        if http {
            emit!(y, 6, "httpGet:");
            emit!(y, 7, "path: {path}");
            emit!(y, 7, "port: {}", port.name);
            emit!(y, 7, "scheme: HTTP");
        } else {
            emit!(y, 6, "tcpSocket:");
            emit!(y, 7, "port: {}", port.name);
        }
        emit!(y, 6, "periodSeconds: {period}");
        emit!(y, 6, "timeoutSeconds: 3");
        emit!(y, 6, "failureThreshold: {}", if probe == "startupProbe" { 30 } else { 3 });
    }
}

fn write_sidecar(y: &mut Yaml) {
    emit!(y, 4, "- name: log-shipper");
    emit!(y, 5, "image: cr.fluentbit.io/fluent/fluent-bit:3.1.7");
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    emit!(y, 5, "ports:");
    emit!(y, 6, "- name: fb-http");
    emit!(y, 7, "containerPort: 2020");
    emit!(y, 7, "protocol: TCP");
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests: {{cpu: 20m, memory: 32Mi}}");
    emit!(y, 6, "limits: {{memory: 64Mi}}");
    emit!(y, 5, "volumeMounts:");
    emit!(y, 6, "- name: tmp");
    emit!(y, 7, "mountPath: /var/log/app");
    emit!(y, 7, "readOnly: true");
}

fn write_volumes(y: &mut Yaml, w: &Workload) {
    emit!(y, 3, "volumes:");
    emit!(y, 4, "- name: config");
    emit!(y, 5, "configMap:");
    emit!(y, 6, "name: {}-config", w.name);
    emit!(y, 6, "optional: true");
    emit!(y, 4, "- name: tmp");
    emit!(y, 5, "emptyDir:");
    emit!(y, 6, "sizeLimit: 256Mi");
}

fn write_volume_claim(y: &mut Yaml, w: &Workload) {
    emit!(y, 1, "volumeClaimTemplates:");
    emit!(y, 2, "- metadata:");
    emit!(y, 4, "name: data");
    emit!(y, 4, "labels:");
    emit!(y, 5, "app: {}", w.name);
    emit!(y, 3, "spec:");
    emit!(y, 4, "accessModes: [\"ReadWriteOnce\"]");
    emit!(y, 4, "storageClassName: fast-ssd");
    emit!(y, 4, "resources:");
    emit!(y, 5, "requests:");
    emit!(y, 6, "storage: {}Gi", if w.tier == Tier::Db { 100 } else { 10 });
}

// ---------------------------------------------------------------------------
// Services and Ingresses
// ---------------------------------------------------------------------------

/// The Service port published for a container port.
fn service_port(p: &Port) -> u16 {
    match p.name {
        "http" => 80,
        _ => p.number,
    }
}

fn write_service(y: &mut Yaml, ns: &Namespace, w: &Workload, s: &ServicePlan) {
    y.start_document();
    emit!(y, 0, "apiVersion: v1");
    emit!(y, 0, "kind: Service");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", s.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    y.map(2, &[("app", &w.name), ("tier", w.tier.as_str()), ("team", w.team)]);
    if s.kind == ServiceKind::LoadBalancer {
        emit!(y, 1, "annotations:");
        emit!(y, 2, "service.beta.kubernetes.io/aws-load-balancer-type: nlb");
    }
    emit!(y, 0, "spec:");
    let type_name = match s.kind {
        ServiceKind::ClusterIp | ServiceKind::Headless => "ClusterIP",
        ServiceKind::NodePort => "NodePort",
        ServiceKind::LoadBalancer => "LoadBalancer",
    };
    emit!(y, 1, "type: {type_name}");
    match &s.cluster_ip {
        Some(ip) => {
            emit!(y, 1, "clusterIP: {ip}");
            emit!(y, 1, "clusterIPs: [\"{ip}\"]");
        }
        None => emit!(y, 1, "clusterIP: None"),
    }
    if s.kind == ServiceKind::Headless {
        emit!(y, 1, "publishNotReadyAddresses: true");
    }
    if matches!(s.kind, ServiceKind::NodePort | ServiceKind::LoadBalancer) {
        emit!(y, 1, "externalTrafficPolicy: Cluster");
    }
    emit!(y, 1, "ipFamilyPolicy: SingleStack");
    emit!(y, 1, "ipFamilies: [\"IPv4\"]");
    emit!(y, 1, "sessionAffinity: None");
    emit!(y, 1, "selector:");
    y.map(2, &[("app", &w.name), ("tier", w.tier.as_str())]);
    emit!(y, 1, "ports:");
    for (i, p) in w.ports.iter().enumerate() {
        emit!(y, 2, "- name: {}", p.name);
        emit!(y, 3, "port: {}", service_port(p));
        emit!(y, 3, "protocol: {}", p.protocol);
        if s.named_target {
            emit!(y, 3, "targetPort: {}", p.name);
        } else {
            emit!(y, 3, "targetPort: {}", p.number);
        }
        if let Some(base) = s.node_port_base {
            emit!(y, 3, "nodePort: {}", base + i as u16);
        }
    }
    if let Some(ip) = &s.lb_ip {
        emit!(y, 0, "status:");
        emit!(y, 1, "loadBalancer:");
        emit!(y, 2, "ingress:");
        emit!(y, 3, "- ip: {ip}");
        emit!(y, 4, "ipMode: VIP");
    }
}

fn write_ingress(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    let Some(svc) = w.front_service() else {
        return;
    };
    let api = ns.workloads.iter().find(|o| o.tier == Tier::Api && o.front_service().is_some());
    let host = format!("{}.{}.example.com", w.name, ns.name);
    y.start_document();
    emit!(y, 0, "apiVersion: networking.k8s.io/v1");
    emit!(y, 0, "kind: Ingress");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", w.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    y.map(2, &[("app", &w.name), ("team", w.team)]);
    emit!(y, 1, "annotations:");
    emit!(y, 2, "nginx.ingress.kubernetes.io/proxy-body-size: 8m");
    emit!(y, 2, "nginx.ingress.kubernetes.io/proxy-read-timeout: \"60\"");
    let tls = rng.chance(60);
    if tls {
        emit!(y, 2, "cert-manager.io/cluster-issuer: letsencrypt-prod");
    }
    emit!(y, 0, "spec:");
    emit!(y, 1, "ingressClassName: nginx");
    if tls {
        emit!(y, 1, "tls:");
        emit!(y, 2, "- hosts:");
        emit!(y, 4, "- {host}");
        emit!(y, 3, "secretName: {}-tls", w.name);
    }
    emit!(y, 1, "rules:");
    emit!(y, 2, "- host: {host}");
    emit!(y, 3, "http:");
    emit!(y, 4, "paths:");
    if let Some((api, api_svc)) = api.and_then(|a| Some((a, a.front_service()?))) {
        let path_type = rng.pick(&["Prefix", "Prefix", "ImplementationSpecific"]);
        write_ingress_path(y, "/api", path_type, &api_svc.name, api.named_port(), true);
    }
    if rng.chance(15) {
        write_ingress_path(y, "/robots.txt", "Exact", &svc.name, w.named_port(), false);
    }
    write_ingress_path(y, "/", "Prefix", &svc.name, w.named_port(), rng.chance(50));
}

fn write_ingress_path(
    y: &mut Yaml,
    path: &str,
    path_type: &str,
    service: &str,
    port: Option<&Port>,
    by_name: bool,
) {
    let Some(port) = port else {
        return;
    };
    emit!(y, 5, "- path: {path}");
    emit!(y, 6, "pathType: {path_type}");
    emit!(y, 6, "backend:");
    emit!(y, 7, "service:");
    emit!(y, 8, "name: {service}");
    emit!(y, 8, "port:");
    if by_name {
        emit!(y, 9, "name: {}", port.name);
    } else {
        emit!(y, 9, "number: {}", service_port(port));
    }
}

// ---------------------------------------------------------------------------
// NetworkPolicies
// ---------------------------------------------------------------------------

/// Every shape of NetworkPolicy the generator produces, cycled in order so
/// that any `--policies` at least this long covers them all.
#[derive(Clone, Copy, Debug)]
enum PolicyForm {
    DefaultDenyIngress,
    DefaultDenyEgress,
    DefaultDenyAll,
    AllowDnsEgress,
    PodSelectorNamedPort,
    MatchExpressionsInNotIn,
    MatchExpressionsExists,
    NamespaceSelectorOnly,
    NamespaceAndPodSelector,
    MultiplePeers,
    IpBlockV4Egress,
    IpBlockV6,
    PortRange,
    UdpAndSctp,
    AllowAllIngressRule,
    PortsWithoutPeers,
    EmptySelectorPeers,
    IngressAndEgress,
}

impl PolicyForm {
    const ALL: [PolicyForm; 18] = [
        PolicyForm::DefaultDenyIngress,
        PolicyForm::AllowDnsEgress,
        PolicyForm::PodSelectorNamedPort,
        PolicyForm::MatchExpressionsInNotIn,
        PolicyForm::NamespaceSelectorOnly,
        PolicyForm::MatchExpressionsExists,
        PolicyForm::NamespaceAndPodSelector,
        PolicyForm::MultiplePeers,
        PolicyForm::IpBlockV4Egress,
        PolicyForm::DefaultDenyEgress,
        PolicyForm::IpBlockV6,
        PolicyForm::PortRange,
        PolicyForm::UdpAndSctp,
        PolicyForm::AllowAllIngressRule,
        PolicyForm::PortsWithoutPeers,
        PolicyForm::EmptySelectorPeers,
        PolicyForm::IngressAndEgress,
        PolicyForm::DefaultDenyAll,
    ];

    fn slug(self) -> &'static str {
        match self {
            PolicyForm::DefaultDenyIngress => "default-deny-ingress",
            PolicyForm::DefaultDenyEgress => "default-deny-egress",
            PolicyForm::DefaultDenyAll => "default-deny-all",
            PolicyForm::AllowDnsEgress => "allow-dns",
            PolicyForm::PodSelectorNamedPort => "allow-from-app",
            PolicyForm::MatchExpressionsInNotIn => "allow-tiers",
            PolicyForm::MatchExpressionsExists => "allow-stable-team",
            PolicyForm::NamespaceSelectorOnly => "allow-from-env",
            PolicyForm::NamespaceAndPodSelector => "allow-from-ns-app",
            PolicyForm::MultiplePeers => "allow-mixed",
            PolicyForm::IpBlockV4Egress => "egress-corp-net",
            PolicyForm::IpBlockV6 => "allow-ipv6",
            PolicyForm::PortRange => "port-range",
            PolicyForm::UdpAndSctp => "allow-udp-sctp",
            PolicyForm::AllowAllIngressRule => "allow-all-ingress",
            PolicyForm::PortsWithoutPeers => "allow-port-any-source",
            PolicyForm::EmptySelectorPeers => "allow-any-pod",
            PolicyForm::IngressAndEgress => "app-ingress-egress",
        }
    }

    /// Forms that need a workload to select and fall back to a default
    /// deny when the namespace has none.
    fn needs_target(self) -> bool {
        !matches!(
            self,
            PolicyForm::DefaultDenyIngress
                | PolicyForm::DefaultDenyEgress
                | PolicyForm::DefaultDenyAll
                | PolicyForm::AllowDnsEgress
                | PolicyForm::AllowAllIngressRule
        )
    }
}

/// What a policy body needs to know about the cluster.
struct PolicyContext<'a> {
    ns: &'a Namespace,
    all: &'a [Namespace],
    target: Option<&'a Workload>,
}

impl PolicyContext<'_> {
    fn other_app(&self, rng: &mut Rng) -> &Workload {
        rng.pick_ref(&self.ns.workloads)
    }

    fn other_namespace(&self, rng: &mut Rng) -> &Namespace {
        rng.pick_ref(self.all)
    }
}

fn write_policy(y: &mut Yaml, ctx: &PolicyContext, form: PolicyForm, n: u64, rng: &mut Rng) {
    let form = match (form.needs_target(), ctx.target) {
        (true, None) => PolicyForm::DefaultDenyIngress,
        _ => form,
    };
    y.start_document();
    emit!(y, 0, "apiVersion: networking.k8s.io/v1");
    emit!(y, 0, "kind: NetworkPolicy");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}-{n:04}", form.slug());
    emit!(y, 1, "namespace: {}", ctx.ns.name);
    emit!(y, 1, "labels:");
    y.map(2, &[("team", ctx.ns.team), ("app.kubernetes.io/managed-by", "Helm")]);
    emit!(y, 0, "spec:");
    match (form, ctx.target) {
        (PolicyForm::DefaultDenyIngress, _) => {
            emit!(y, 1, "podSelector: {{}}");
            policy_types(y, &["Ingress"]);
        }
        (PolicyForm::DefaultDenyEgress, _) => {
            emit!(y, 1, "podSelector: {{}}");
            policy_types(y, &["Egress"]);
        }
        (PolicyForm::DefaultDenyAll, _) => {
            emit!(y, 1, "podSelector: {{}}");
            policy_types(y, &["Ingress", "Egress"]);
        }
        (PolicyForm::AllowDnsEgress, _) => allow_dns(y),
        (PolicyForm::AllowAllIngressRule, _) => {
            emit!(y, 1, "podSelector:");
            emit!(y, 2, "matchLabels:");
            emit!(y, 3, "tier: {}", rng.pick(&Tier::ALL).as_str());
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- {{}}");
            if rng.chance(50) {
                emit!(y, 1, "egress:");
                emit!(y, 2, "- {{}}");
                policy_types(y, &["Ingress", "Egress"]);
            } else {
                policy_types(y, &["Ingress"]);
            }
        }
        (form, Some(target)) => write_targeted_policy(y, ctx, form, target, rng),
        (_, None) => unreachable!("forms that need a target fell back above"),
    }
}

fn policy_types(y: &mut Yaml, types: &[&str]) {
    emit!(y, 1, "policyTypes:");
    for t in types {
        emit!(y, 2, "- {t}");
    }
}

/// `key: {matchLabels: {app: APP}}`; a key written as `- key` opens a list
/// item, whose fields sit one level deeper.
fn select_app(y: &mut Yaml, indent: usize, key: &str, app: &str) {
    let inner = indent + 1 + usize::from(key.starts_with("- "));
    emit!(y, indent, "{key}:");
    emit!(y, inner, "matchLabels:");
    emit!(y, inner + 1, "app: {app}");
}

fn port_entry(y: &mut Yaml, indent: usize, protocol: &str, port: &str) {
    emit!(y, indent, "- protocol: {protocol}");
    emit!(y, indent + 1, "port: {port}");
}

fn target_port(target: &Workload, named: bool) -> (&'static str, String) {
    match target.named_port() {
        Some(p) if named => (p.protocol, p.name.to_string()),
        Some(p) => (p.protocol, p.number.to_string()),
        None => ("TCP", "8080".to_string()),
    }
}

fn allow_dns(y: &mut Yaml) {
    emit!(y, 1, "podSelector: {{}}");
    policy_types(y, &["Egress"]);
    emit!(y, 1, "egress:");
    emit!(y, 2, "- to:");
    emit!(y, 4, "- namespaceSelector:");
    emit!(y, 6, "matchLabels:");
    emit!(y, 7, "kubernetes.io/metadata.name: kube-system");
    emit!(y, 5, "podSelector:");
    emit!(y, 6, "matchLabels:");
    emit!(y, 7, "k8s-app: kube-dns");
    emit!(y, 3, "ports:");
    port_entry(y, 4, "UDP", "53");
    port_entry(y, 4, "TCP", "53");
}

fn write_targeted_policy(
    y: &mut Yaml,
    ctx: &PolicyContext,
    form: PolicyForm,
    target: &Workload,
    rng: &mut Rng,
) {
    select_app(y, 1, "podSelector", &target.name);
    match form {
        PolicyForm::PodSelectorNamedPort => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            select_app(y, 4, "- podSelector", &ctx.other_app(rng).name);
            emit!(y, 3, "ports:");
            let (protocol, port) = target_port(target, true);
            port_entry(y, 4, protocol, &port);
        }
        PolicyForm::MatchExpressionsInNotIn => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- podSelector:");
            emit!(y, 6, "matchExpressions:");
            emit!(y, 7, "- key: tier");
            emit!(y, 8, "operator: In");
            emit!(y, 8, "values: [\"web\", \"api\"]");
            emit!(y, 7, "- key: version");
            emit!(y, 8, "operator: NotIn");
            emit!(y, 8, "values: [\"v1\"]");
            emit!(y, 3, "ports:");
            let (protocol, port) = target_port(target, false);
            port_entry(y, 4, protocol, &port);
        }
        PolicyForm::MatchExpressionsExists => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- podSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "team: {}", target.team);
            emit!(y, 6, "matchExpressions:");
            emit!(y, 7, "- key: app");
            emit!(y, 8, "operator: Exists");
            emit!(y, 7, "- key: canary");
            emit!(y, 8, "operator: DoesNotExist");
        }
        PolicyForm::NamespaceSelectorOnly => {
            // policyTypes left out on purpose: it then defaults to Ingress.
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            if rng.chance(50) {
                emit!(y, 7, "env: {}", ctx.ns.env);
            } else {
                emit!(y, 7, "team: {}", rng.pick(TEAMS));
            }
        }
        PolicyForm::NamespaceAndPodSelector => {
            let other = ctx.other_namespace(rng);
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "kubernetes.io/metadata.name: {}", other.name);
            emit!(y, 5, "podSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "tier: {}", rng.pick(&[Tier::Web, Tier::Api]).as_str());
            emit!(y, 3, "ports:");
            let (protocol, port) = target_port(target, rng.chance(50));
            port_entry(y, 4, protocol, &port);
        }
        PolicyForm::MultiplePeers => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            select_app(y, 4, "- podSelector", &ctx.other_app(rng).name);
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchExpressions:");
            emit!(y, 7, "- key: env");
            emit!(y, 8, "operator: In");
            emit!(y, 8, "values: [\"staging\", \"dev\"]");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "kubernetes.io/metadata.name: ingress-nginx");
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: 172.{}.0.0/16", rng.range(16, 31));
            emit!(y, 3, "ports:");
            for p in &target.ports {
                port_entry(y, 4, p.protocol, p.name);
            }
        }
        PolicyForm::IpBlockV4Egress => {
            let net = rng.range(1, 250);
            policy_types(y, &["Egress"]);
            emit!(y, 1, "egress:");
            emit!(y, 2, "- to:");
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: 10.{net}.0.0/16");
            emit!(y, 6, "except:");
            emit!(y, 7, "- 10.{net}.{}.0/24", rng.below(128));
            emit!(y, 7, "- 10.{net}.{}.0/25", rng.range(128, 255));
            emit!(y, 3, "ports:");
            port_entry(y, 4, "TCP", "443");
            port_entry(y, 4, "TCP", rng.pick(&["5432", "3306", "6379"]));
        }
        PolicyForm::IpBlockV6 => {
            let site = rng.range(1, 0xfff);
            policy_types(y, &["Ingress", "Egress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: 2001:db8:{site:x}::/48");
            emit!(y, 6, "except:");
            emit!(y, 7, "- 2001:db8:{site:x}:{:x}::/64", rng.below(0xffff));
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: 198.51.100.0/24");
            emit!(y, 1, "egress:");
            emit!(y, 2, "- to:");
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: \"::/0\"");
            emit!(y, 6, "except:");
            emit!(y, 7, "- fd00::/8");
            emit!(y, 7, "- fe80::/10");
            emit!(y, 3, "ports:");
            port_entry(y, 4, "TCP", "443");
        }
        PolicyForm::PortRange => {
            policy_types(y, &["Ingress", "Egress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            select_app(y, 4, "- podSelector", &ctx.other_app(rng).name);
            emit!(y, 3, "ports:");
            let start = 8000 + 10 * rng.below(10);
            port_entry(y, 4, "TCP", &start.to_string());
            emit!(y, 5, "endPort: {}", start + 99);
            emit!(y, 1, "egress:");
            emit!(y, 2, "- to:");
            emit!(y, 4, "- ipBlock:");
            emit!(y, 6, "cidr: 0.0.0.0/0");
            emit!(y, 3, "ports:");
            port_entry(y, 4, "TCP", "30000");
            emit!(y, 5, "endPort: 32767");
            port_entry(y, 4, "UDP", "33434");
            emit!(y, 5, "endPort: 33534");
        }
        PolicyForm::UdpAndSctp => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "team: {}", ctx.ns.team);
            emit!(y, 3, "ports:");
            port_entry(y, 4, "UDP", "8125");
            port_entry(y, 4, "SCTP", "3868");
            port_entry(y, 4, "UDP", "statsd");
        }
        PolicyForm::PortsWithoutPeers => {
            policy_types(y, &["Ingress"]);
            emit!(y, 1, "ingress:");
            if rng.chance(50) {
                emit!(y, 2, "- from: []");
                emit!(y, 3, "ports:");
            } else {
                emit!(y, 2, "- ports:");
            }
            let (protocol, port) = target_port(target, true);
            port_entry(y, 4, protocol, &port);
            emit!(y, 4, "- port: 9100");
        }
        PolicyForm::EmptySelectorPeers => {
            policy_types(y, &["Ingress", "Egress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- podSelector: {{}}");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector: {{}}");
            emit!(y, 5, "podSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "app.kubernetes.io/name: prometheus");
            emit!(y, 3, "ports:");
            port_entry(y, 4, "TCP", "metrics");
            emit!(y, 1, "egress:");
            emit!(y, 2, "- to:");
            emit!(y, 4, "- namespaceSelector: {{}}");
        }
        PolicyForm::IngressAndEgress => {
            let other = ctx.other_namespace(rng);
            let db = other.workloads.iter().find(|w| w.tier == Tier::Db);
            policy_types(y, &["Ingress", "Egress"]);
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "kubernetes.io/metadata.name: ingress-nginx");
            emit!(y, 5, "podSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "app.kubernetes.io/component: controller");
            emit!(y, 3, "ports:");
            let (protocol, port) = target_port(target, true);
            port_entry(y, 4, protocol, &port);
            emit!(y, 1, "egress:");
            emit!(y, 2, "- to:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "kubernetes.io/metadata.name: {}", other.name);
            emit!(y, 5, "podSelector:");
            match db {
                Some(db) => {
                    emit!(y, 6, "matchLabels:");
                    emit!(y, 7, "app: {}", db.name);
                    emit!(y, 3, "ports:");
                    let (protocol, port) = target_port(db, true);
                    port_entry(y, 4, protocol, &port);
                }
                None => {
                    emit!(y, 6, "matchLabels:");
                    emit!(y, 7, "tier: db");
                    emit!(y, 3, "ports:");
                    port_entry(y, 4, "TCP", "db");
                }
            }
        }
        PolicyForm::DefaultDenyIngress
        | PolicyForm::DefaultDenyEgress
        | PolicyForm::DefaultDenyAll
        | PolicyForm::AllowDnsEgress
        | PolicyForm::AllowAllIngressRule => unreachable!("handled without a target"),
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Totals {
    files: u64,
    bytes: u64,
    pods: u64,
    workloads: u64,
    daemonsets: u64,
    services: u64,
    ingresses: u64,
    policies: u64,
}

fn write_file(dir: &Path, name: &str, y: &Yaml, totals: &mut Totals) -> std::io::Result<()> {
    fs::write(dir.join(name), &y.buf)?;
    totals.files += 1;
    totals.bytes += y.len() as u64;
    Ok(())
}

fn namespaces_file(namespaces: &[Namespace], rng: &mut Rng) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespaces of the synthetic cluster.");
    for (name, extra) in
        [("kube-system", &[][..]), ("ingress-nginx", &[("app.kubernetes.io/name", "ingress-nginx")][..])]
    {
        y.start_document();
        emit!(y, 0, "apiVersion: v1");
        emit!(y, 0, "kind: Namespace");
        emit!(y, 0, "metadata:");
        emit!(y, 1, "name: {name}");
        emit!(y, 1, "labels:");
        emit!(y, 2, "kubernetes.io/metadata.name: {name}");
        y.map(2, extra);
    }
    for ns in namespaces {
        y.start_document();
        emit!(y, 0, "apiVersion: v1");
        emit!(y, 0, "kind: Namespace");
        emit!(y, 0, "metadata:");
        emit!(y, 1, "name: {}", ns.name);
        emit!(y, 1, "labels:");
        let cost_center = format!("cc-{}", 1000 + rng.below(9000));
        let enforce = rng.pick(&["baseline", "restricted"]);
        y.map(
            2,
            &[
                ("kubernetes.io/metadata.name", &ns.name),
                ("team", ns.team),
                ("env", ns.env),
                ("tier", ns.tier),
                ("cost-center", &cost_center),
                ("pod-security.kubernetes.io/enforce", enforce),
            ],
        );
        if rng.chance(30) {
            emit!(y, 2, "istio-injection: disabled");
        }
        emit!(y, 1, "annotations:");
        emit!(y, 2, "owner: {}@example.com", ns.team);
    }
    y
}

fn kube_system_file() -> Yaml {
    let mut y = Yaml::default();
    y.buf.push_str(
        "\
# Cluster DNS, as installed by kubeadm.
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
spec:
  replicas: 2
  selector:
    matchLabels:
      k8s-app: kube-dns
  template:
    metadata:
      labels:
        k8s-app: kube-dns
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      dnsPolicy: Default
      containers:
        - name: coredns
          image: registry.k8s.io/coredns/coredns:v1.11.3
          args: [\"-conf\", \"/etc/coredns/Corefile\"]
          ports:
            - name: dns
              containerPort: 53
              protocol: UDP
            - name: dns-tcp
              containerPort: 53
              protocol: TCP
            - name: metrics
              containerPort: 9153
              protocol: TCP
          resources:
            requests: {cpu: 100m, memory: 70Mi}
            limits: {memory: 170Mi}
          livenessProbe:
            httpGet: {path: /health, port: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: 8181}
          volumeMounts:
            - name: config-volume
              mountPath: /etc/coredns
              readOnly: true
      volumes:
        - name: config-volume
          configMap:
            name: coredns
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
    kubernetes.io/name: CoreDNS
spec:
  clusterIP: 10.96.0.10
  selector:
    k8s-app: kube-dns
  ports:
    - name: dns
      port: 53
      protocol: UDP
      targetPort: 53
    - name: dns-tcp
      port: 53
      protocol: TCP
      targetPort: 53
    - name: metrics
      port: 9153
      protocol: TCP
      targetPort: 9153
",
    );
    y
}

fn ingress_nginx_file() -> Yaml {
    let mut y = Yaml::default();
    y.buf.push_str(
        "\
# The ingress controller serving the generated Ingresses.
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations:
    ingressclass.kubernetes.io/is-default-class: \"true\"
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels:
    app.kubernetes.io/name: ingress-nginx
    app.kubernetes.io/component: controller
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: ingress-nginx
      app.kubernetes.io/component: controller
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ingress-nginx
        app.kubernetes.io/component: controller
    spec:
      serviceAccountName: ingress-nginx
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.11.2
          args:
            - /nginx-ingress-controller
            - --controller-class=k8s.io/ingress-nginx
            - --ingress-class=nginx
            - --publish-service=$(POD_NAMESPACE)/ingress-nginx-controller
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
            - name: https
              containerPort: 443
              protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector:
    app.kubernetes.io/name: ingress-nginx
    app.kubernetes.io/component: controller
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: https
      port: 443
      targetPort: https
status:
  loadBalancer:
    ingress:
      - ip: 203.0.113.10
",
    );
    y
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

fn generate(args: &Args) -> std::io::Result<Totals> {
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

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("gen-cluster: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if message.is_empty() { 0 } else { 2 });
        }
    };
    match generate(&args) {
        Ok(t) => {
            eprintln!(
                "gen-cluster: {} files, {} bytes, {} pods in {} workloads (+{} daemonsets), \
                 {} services, {} ingresses, {} policies, {} namespaces, seed {}",
                t.files,
                t.bytes,
                t.pods,
                t.workloads,
                t.daemonsets,
                t.services,
                t.ingresses,
                t.policies,
                args.namespaces,
                args.seed
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen-cluster: writing {}: {err}", args.out.display());
            ExitCode::FAILURE
        }
    }
}
