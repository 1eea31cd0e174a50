//! NetworkPolicies in every form the API allows, cycled in order.

use super::plan::*;
use super::vocab::*;
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;

/// Every shape of NetworkPolicy the generator produces, cycled in order so
/// that any `--policies` at least this long covers them all.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PolicyForm {
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
    pub(crate) const ALL: [PolicyForm; 18] = [
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

    pub(crate) fn slug(self) -> &'static str {
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
    pub(crate) fn needs_target(self) -> bool {
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
pub(crate) struct PolicyContext<'a> {
    pub(crate) ns: &'a Namespace,
    pub(crate) all: &'a [Namespace],
    pub(crate) target: Option<&'a Workload>,
}

impl PolicyContext<'_> {
    pub(crate) fn other_app(&self, rng: &mut Rng) -> &Workload {
        rng.pick_ref(&self.ns.workloads)
    }

    pub(crate) fn other_namespace(&self, rng: &mut Rng) -> &Namespace {
        rng.pick_ref(self.all)
    }
}

pub(crate) fn write_policy(y: &mut Yaml, ctx: &PolicyContext, form: PolicyForm, n: u64, rng: &mut Rng) {
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

pub(crate) fn policy_types(y: &mut Yaml, types: &[&str]) {
    emit!(y, 1, "policyTypes:");
    for t in types {
        emit!(y, 2, "- {t}");
    }
}

/// `key: {matchLabels: {app: APP}}`; a key written as `- key` opens a list
/// item, whose fields sit one level deeper.
pub(crate) fn select_app(y: &mut Yaml, indent: usize, key: &str, app: &str) {
    let inner = indent + 1 + usize::from(key.starts_with("- "));
    emit!(y, indent, "{key}:");
    emit!(y, inner, "matchLabels:");
    emit!(y, inner + 1, "app: {app}");
}

pub(crate) fn port_entry(y: &mut Yaml, indent: usize, protocol: &str, port: &str) {
    emit!(y, indent, "- protocol: {protocol}");
    emit!(y, indent + 1, "port: {port}");
}

pub(crate) fn target_port(target: &Workload, named: bool) -> (&'static str, String) {
    match target.named_port() {
        Some(p) if named => (p.protocol, p.name.to_string()),
        Some(p) => (p.protocol, p.number.to_string()),
        None => ("TCP", "8080".to_string()),
    }
}

pub(crate) fn allow_dns(y: &mut Yaml) {
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

pub(crate) fn write_targeted_policy(
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
        PolicyForm::MatchExpressionsInNotIn => match_expressions_in_not_in(y, target),
        PolicyForm::MatchExpressionsExists => match_expressions_exists(y, target),
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
        PolicyForm::NamespaceAndPodSelector => namespace_and_pod_selector(y, ctx, target, rng),
        PolicyForm::MultiplePeers => multiple_peers(y, ctx, target, rng),
        PolicyForm::IpBlockV4Egress => ip_block_v4_egress(y, rng),
        PolicyForm::IpBlockV6 => ip_block_v6(y, rng),
        PolicyForm::PortRange => port_range(y, ctx, rng),
        PolicyForm::UdpAndSctp => udp_and_sctp(y, ctx),
        PolicyForm::PortsWithoutPeers => ports_without_peers(y, target, rng),
        PolicyForm::EmptySelectorPeers => empty_selector_peers(y),
        PolicyForm::IngressAndEgress => ingress_and_egress(y, ctx, target, rng),
        PolicyForm::DefaultDenyIngress
        | PolicyForm::DefaultDenyEgress
        | PolicyForm::DefaultDenyAll
        | PolicyForm::AllowDnsEgress
        | PolicyForm::AllowAllIngressRule => unreachable!("handled without a target"),
    }
}

fn multiple_peers(y: &mut Yaml, ctx: &PolicyContext, target: &Workload, rng: &mut Rng) {
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

fn ip_block_v6(y: &mut Yaml, rng: &mut Rng) {
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

fn port_range(y: &mut Yaml, ctx: &PolicyContext, rng: &mut Rng) {
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

fn empty_selector_peers(y: &mut Yaml) {
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

fn ingress_and_egress(y: &mut Yaml, ctx: &PolicyContext, target: &Workload, rng: &mut Rng) {
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

fn ip_block_v4_egress(y: &mut Yaml, rng: &mut Rng) {
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

fn match_expressions_in_not_in(y: &mut Yaml, target: &Workload) {
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

fn match_expressions_exists(y: &mut Yaml, target: &Workload) {
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

fn namespace_and_pod_selector(y: &mut Yaml, ctx: &PolicyContext, target: &Workload, rng: &mut Rng) {
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

fn udp_and_sctp(y: &mut Yaml, ctx: &PolicyContext) {
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

fn ports_without_peers(y: &mut Yaml, target: &Workload, rng: &mut Rng) {
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
