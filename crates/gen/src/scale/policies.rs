//! The 10 NetworkPolicies of a scale-shape namespace, each a different mix
//! of the API's peer forms (policy `n` of a namespace takes form `n % 10`).

use super::Namespace;
use crate::yaml::emit;
use crate::yaml::Yaml;

/// The forms in the order a namespace's policies take them.
pub(crate) const FORMS: [Form; 10] = [
    Form::DefaultDeny,
    Form::WebFromAnywhere,
    Form::ApiFromWeb,
    Form::DbFromApi,
    Form::Cache,
    Form::MetricsFromPlatform,
    Form::ApiFromTeamWeb,
    Form::WebFromIpBlock,
    Form::WorkerEgress,
    Form::ApiFromEnv,
];

/// One shape of NetworkPolicy.
#[derive(Clone, Copy)]
pub(crate) enum Form {
    /// Every pod isolated for ingress: `podSelector: {}`, no rule.
    DefaultDeny,
    /// Web pods open to any source on the named port `http`.
    WebFromAnywhere,
    /// API pods from web pods of the namespace (a pod selector), named ports.
    ApiFromWeb,
    /// Databases from api and worker pods (`matchExpressions` `In`), a numeric port.
    DbFromApi,
    /// Caches: redis from api and workers, UDP gossip between caches.
    Cache,
    /// Metrics of every pod from namespaces of the platform team (a namespace selector).
    MetricsFromPlatform,
    /// API pods from web pods of the team's namespaces (both selectors together).
    ApiFromTeamWeb,
    /// Web pods from the internet except private ranges (an ipBlock with except).
    WebFromIpBlock,
    /// Workers' egress: cluster DNS, the internet except private ranges, the data tiers.
    WorkerEgress,
    /// API pods from the same environment's namespaces, any tier but db (`NotIn`).
    ApiFromEnv,
}

impl Form {
    fn slug(self) -> &'static str {
        match self {
            Form::DefaultDeny => "default-deny-ingress",
            Form::WebFromAnywhere => "allow-web",
            Form::ApiFromWeb => "allow-api-from-web",
            Form::DbFromApi => "allow-db-from-api",
            Form::Cache => "allow-cache",
            Form::MetricsFromPlatform => "allow-metrics",
            Form::ApiFromTeamWeb => "allow-api-from-team",
            Form::WebFromIpBlock => "allow-web-from-internet",
            Form::WorkerEgress => "worker-egress",
            Form::ApiFromEnv => "allow-api-from-env",
        }
    }
}

/// Writes policy `n` of the namespace.
pub(crate) fn write_policy(y: &mut Yaml, ns: &Namespace, n: u64) {
    let form = FORMS[(n % FORMS.len() as u64) as usize];
    let round = n / FORMS.len() as u64;
    y.start_document();
    emit!(y, 0, "apiVersion: networking.k8s.io/v1");
    emit!(y, 0, "kind: NetworkPolicy");
    emit!(y, 0, "metadata:");
    if round == 0 {
        emit!(y, 1, "name: {}", form.slug());
    } else {
        emit!(y, 1, "name: {}-{}", form.slug(), round + 1);
    }
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 0, "spec:");
    write_spec(y, ns, form);
}

/// The `spec` of a policy of form `form`.
fn write_spec(y: &mut Yaml, ns: &Namespace, form: Form) {
    match form {
        Form::DefaultDeny => {
            emit!(y, 1, "podSelector: {{}}");
            emit!(y, 1, "policyTypes: [Ingress]");
        }
        Form::WebFromAnywhere => {
            select_tier(y, "web");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- ports:");
            named_port(y, 4, "http");
        }
        Form::ApiFromWeb => {
            select_tier(y, "api");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            pod_tier(y, 4, "- podSelector:", "web");
            emit!(y, 3, "ports:");
            named_port(y, 4, "http");
            named_port(y, 4, "grpc");
        }
        Form::DbFromApi => {
            select_tier(y, "db");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            tiers_in(y, 4, "- podSelector:", "In", "[api, worker]");
            emit!(y, 3, "ports:");
            emit!(y, 4, "- protocol: TCP");
            emit!(y, 5, "port: 5432");
        }
        Form::Cache => write_cache(y),
        Form::MetricsFromPlatform => {
            emit!(y, 1, "podSelector: {{}}");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "team: platform");
            emit!(y, 3, "ports:");
            named_port(y, 4, "metrics");
        }
        Form::ApiFromTeamWeb => {
            select_tier(y, "api");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "team: {}", ns.team);
            pod_tier(y, 5, "podSelector:", "web");
            emit!(y, 3, "ports:");
            named_port(y, 4, "http");
        }
        Form::WebFromIpBlock => {
            select_tier(y, "web");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            internet(y);
            emit!(y, 3, "ports:");
            named_port(y, 4, "http");
        }
        Form::WorkerEgress => write_worker_egress(y),
        Form::ApiFromEnv => {
            select_tier(y, "api");
            emit!(y, 1, "ingress:");
            emit!(y, 2, "- from:");
            emit!(y, 4, "- namespaceSelector:");
            emit!(y, 6, "matchLabels:");
            emit!(y, 7, "env: {}", ns.env);
            tiers_in(y, 5, "podSelector:", "NotIn", "[db]");
            emit!(y, 3, "ports:");
            named_port(y, 4, "grpc");
        }
    }
}

fn write_cache(y: &mut Yaml) {
    select_tier(y, "cache");
    emit!(y, 1, "ingress:");
    emit!(y, 2, "- from:");
    tiers_in(y, 4, "- podSelector:", "In", "[api, worker]");
    emit!(y, 3, "ports:");
    named_port(y, 4, "redis");
    emit!(y, 2, "- from:");
    pod_tier(y, 4, "- podSelector:", "cache");
    emit!(y, 3, "ports:");
    emit!(y, 4, "- protocol: UDP");
    emit!(y, 5, "port: gossip");
}

fn write_worker_egress(y: &mut Yaml) {
    select_tier(y, "worker");
    emit!(y, 1, "policyTypes: [Egress]");
    emit!(y, 1, "egress:");
    emit!(y, 2, "- to:");
    emit!(y, 4, "- namespaceSelector:");
    emit!(y, 6, "matchLabels:");
    emit!(y, 7, "kubernetes.io/metadata.name: kube-system");
    emit!(y, 3, "ports:");
    emit!(y, 4, "- protocol: UDP");
    emit!(y, 5, "port: 53");
    emit!(y, 4, "- protocol: TCP");
    emit!(y, 5, "port: 53");
    emit!(y, 2, "- to:");
    internet(y);
    emit!(y, 3, "ports:");
    emit!(y, 4, "- port: 443");
    emit!(y, 2, "- to:");
    tiers_in(y, 4, "- podSelector:", "In", "[api, db, cache]");
}

/// `podSelector` of the policy: the pods of one tier.
fn select_tier(y: &mut Yaml, tier: &str) {
    emit!(y, 1, "podSelector:");
    emit!(y, 2, "matchLabels:");
    emit!(y, 3, "tier: {tier}");
}

/// A peer's pod selector on one tier, `head` written at `indent`.
fn pod_tier(y: &mut Yaml, indent: usize, head: &str, tier: &str) {
    emit!(y, indent, "{head}");
    emit!(y, indent + 2, "matchLabels:");
    emit!(y, indent + 3, "tier: {tier}");
}

/// A peer's pod selector on a set of tiers (`operator` `In` or `NotIn`).
fn tiers_in(y: &mut Yaml, indent: usize, head: &str, operator: &str, values: &str) {
    emit!(y, indent, "{head}");
    emit!(y, indent + 2, "matchExpressions:");
    emit!(y, indent + 3, "- key: tier");
    emit!(y, indent + 4, "operator: {operator}");
    emit!(y, indent + 4, "values: {values}");
}

/// The internet: every IPv4 address but the private ranges and the cloud
/// metadata address.
fn internet(y: &mut Yaml) {
    emit!(y, 4, "- ipBlock:");
    emit!(y, 6, "cidr: 0.0.0.0/0");
    emit!(y, 6, "except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.169.254/32]");
}

fn named_port(y: &mut Yaml, indent: usize, name: &str) {
    emit!(y, indent, "- port: {name}");
}
