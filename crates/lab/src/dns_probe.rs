//! `lab probe`'s name lookups: every Service's name (`<service>.<namespace>`,
//! so the search list and `ndots` take part) resolved from every pod
//! through the real libc resolver (`getent ahostsv4` inside
//! `ip netns exec`, which puts the pod's `resolv.conf` in place), compared
//! with the core's answer for that pod (`dns::resolve`, the resolver and
//! cluster DNS, and `dns::with_dns_reach`, whether policies let the pod's
//! queries through).
//!
//! A lookup that finds nothing is asked once more with `dig +search` to
//! tell "no such name" (an answer came) from "no answer" (the queries were
//! dropped or refused): libc says the same for both.

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kubereach_core::dns::{self, Answer, DnsPodsFound, DnsServer, QueryType};
use kubereach_core::model::PodId;
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::Cluster;

use crate::cluster_dns::LabAddresses;
use crate::plan::Plan;
use crate::probe::{Disagreement, ProbeReport, Skipped};

/// The most lookups one `lab probe` sends; the rest are skipped.
pub const MAX_LOOKUPS: usize = 4000;
/// Lookups running at once.
const PARALLEL: usize = 16;
/// How long one lookup command may take before it is killed.
const COMMAND_DEADLINE: Duration = Duration::from_secs(30);
/// The most output read from one lookup command.
const MAX_OUTPUT: u64 = 64 * 1024;

/// One name to resolve from one pod.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The source pod, `namespace/name`.
    pub source: String,
    /// Its network namespace.
    pub netns: String,
    /// The name, as the pod's program would write it.
    pub name: String,
    /// The model's prediction.
    pub expected: Resolved,
    /// The model's reasoning: the queries the resolver sends and their answers.
    pub explanation: String,
}

/// The outcome of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// These IPv4 addresses, sorted.
    Addresses(Vec<Ipv4Addr>),
    /// Every query got an answer, none with an address (NXDOMAIN or NODATA).
    NotFound,
    /// No query got an answer (dropped by policy, or refused by kube-proxy).
    NoAnswer,
    /// The lookup itself failed (observed only).
    Error(String),
}

impl Resolved {
    /// How the report writes it.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Addresses(addresses) => {
                let list: Vec<String> = addresses.iter().map(Ipv4Addr::to_string).collect();
                format!("resolves to {}", list.join(", "))
            }
            Resolved::NotFound => "not found".to_owned(),
            Resolved::NoAnswer => "no answer".to_owned(),
            Resolved::Error(message) => format!("error: {message}"),
        }
    }

    /// The row or column of the report's table.
    pub fn class(&self) -> &'static str {
        match self {
            Resolved::Addresses(_) => "resolved",
            Resolved::NotFound => "not found",
            Resolved::NoAnswer => "no answer",
            Resolved::Error(_) => "error",
        }
    }
}

/// The lookups of `plan`, each with the model's prediction. `engine` must
/// be compiled from `cluster` in `PolicyView::Effective` (the policies the
/// plugin enforces: under Flannel alone, none block DNS).
pub fn plan_lookups(
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    plan: &Plan,
) -> (Vec<Lookup>, Vec<Skipped>) {
    let addresses = LabAddresses::new(plan);
    let names = names(cluster);
    let mut lookups = Vec::new();
    let mut skipped = Vec::new();
    dns::with_dns_reach(engine, |server, reach| {
        for pod in &plan.topology.pods {
            let source = format!("{}/{}", pod.namespace, pod.name);
            let skip = |reason: &str, skipped: &mut Vec<Skipped>| {
                skipped.push(Skipped { what: format!("{source}: name lookups"), reason: reason.to_owned() })
            };
            if pod.host_network {
                skip(HOST_NETWORK, &mut skipped);
                continue;
            }
            let id = PodId(pod.pod);
            let config = dns::resolver_config(cluster, cluster.pod(id));
            if !config.cluster_dns {
                skip(NOT_CLUSTER_DNS, &mut skipped);
                continue;
            }
            let blocked = match server {
                DnsServer::NoPort { .. } | DnsServer::NoReadyEndpoints { .. } => true,
                DnsServer::Pods(pods) if pods.found != DnsPodsFound::Service => {
                    skip(NO_DNS_SERVICE, &mut skipped);
                    continue;
                }
                DnsServer::Pods(_) => reach(id).is_some_and(|r| !r.udp),
            };
            let own_missing = format!("{MISSING}.{}", pod.namespace);
            for (index, name) in names.iter().chain([&own_missing]).enumerate() {
                // Policy decides for the pod, not per name: when its queries
                // get no answer, one lookup shows it.
                if blocked && index > 0 {
                    skipped
                        .push(Skipped { what: format!("{source}: {name}"), reason: ONE_BLOCKED.to_owned() });
                    continue;
                }
                if lookups.len() >= MAX_LOOKUPS {
                    skipped.push(Skipped { what: format!("{source}: {name}"), reason: TOO_MANY.to_owned() });
                    continue;
                }
                let resolution = dns::resolve(cluster, cluster.pod(id), name, QueryType::A);
                let expected = if blocked {
                    Resolved::NoAnswer
                } else {
                    match predicted(&addresses, &resolution.answer) {
                        Ok(expected) => expected,
                        Err(reason) => {
                            skipped.push(Skipped {
                                what: format!("{source}: {name}"),
                                reason: reason.to_owned(),
                            });
                            continue;
                        }
                    }
                };
                lookups.push(Lookup {
                    source: source.clone(),
                    netns: pod.netns.clone(),
                    name: name.clone(),
                    expected,
                    explanation: explain(&resolution, blocked),
                });
            }
        }
    });
    (lookups, skipped)
}

/// Why hostNetwork pods look up nothing: they share their node's
/// `resolv.conf`, which is not in the input.
const HOST_NETWORK: &str =
    "hostNetwork source: it uses its node's resolv.conf, which is not in the input (no name lookups)";
/// Why pods that do not ask cluster DNS look up nothing.
const NOT_CLUSTER_DNS: &str =
    "the pod's dnsPolicy does not use cluster DNS: its nameservers are not in the lab (no name lookups)";
/// Why nothing is looked up without a DNS Service.
const NO_DNS_SERVICE: &str =
    "the input has no cluster DNS Service: the lab has no address for it (no name lookups)";
/// Why only one name is looked up from a pod whose queries get no answer.
const ONE_BLOCKED: &str = "the pod's DNS queries get no answer: one name lookup checks it";
/// A Service name no cluster has, looked up from each pod in its own
/// namespace: NXDOMAIN through the whole search list, then the name as is
/// upstream (NXDOMAIN or the stub's answer, as the core says).
const MISSING: &str = "kubereach-no-such-service";
/// Why lookups beyond [`MAX_LOOKUPS`] are not sent.
const TOO_MANY: &str = "more name lookups than one probe run sends (4000)";

/// The names to look up: every Service's, `<service>.<namespace>`, and
/// every pod's with a hostname and subdomain,
/// `<hostname>.<subdomain>.<namespace>` (spec 2.4.2 of the Kubernetes DNS
/// specification), sorted.
fn names(cluster: &Cluster) -> Vec<String> {
    let services = cluster.services().iter().filter_map(|s| {
        let metadata = &s.value.metadata;
        Some(format!("{}.{}", metadata.name.as_deref()?, metadata.namespace.as_deref()?))
    });
    let pods = cluster.pods().iter().filter_map(|pod| {
        Some(format!(
            "{}.{}.{}",
            pod.spec.hostname.as_deref()?,
            pod.spec.subdomain.as_deref()?,
            pod.namespace
        ))
    });
    let mut names: Vec<String> = services.chain(pods).collect();
    names.sort();
    names.dedup();
    names
}

/// What a lookup ends with when the core answers `answer`: the lab's
/// addresses of its records, aliases followed.
fn predicted(addresses: &LabAddresses, answer: &Answer) -> Result<Resolved, &'static str> {
    match answer {
        Answer::Records { .. } | Answer::Alias { .. } | Answer::External => {
            let found = addresses.addresses(answer);
            Ok(if found.is_empty() { Resolved::NotFound } else { Resolved::Addresses(found) })
        }
        Answer::NxDomain | Answer::NoData | Answer::NotServed => Ok(Resolved::NotFound),
        Answer::HostsFile { .. } => {
            Err("found in the pod's /etc/hosts (hostAliases), which the lab does not write")
        }
        Answer::Upstream | Answer::Literal { .. } => Err("not a cluster DNS query"),
    }
}

/// The model's reasoning, in one line.
fn explain(resolution: &dns::Resolution, blocked: bool) -> String {
    if blocked {
        return "dns: the pod's queries do not reach cluster DNS (policy, or no DNS endpoint or port 53)"
            .to_owned();
    }
    let queries: Vec<String> = resolution
        .queries
        .iter()
        .map(|q| {
            let answer = match &q.answer {
                Answer::Records { records } => format!("{} records", records.len()),
                Answer::Alias { .. } => "alias".to_owned(),
                Answer::NxDomain => "NXDOMAIN".to_owned(),
                Answer::NoData => "NODATA".to_owned(),
                Answer::External => "upstream".to_owned(),
                other => format!("{:?}", other.outcome()),
            };
            format!("{} ({answer})", q.name)
        })
        .collect();
    format!("dns: {}", queries.join(", "))
}

/// Sends every lookup, 16 at once; a lookup that disagrees is
/// sent once more with a longer timeout (a lost datagram on a loaded
/// machine must not pass for a drop), except predicted drops. `dig` tells
/// "no answer" from "not found"; without it, both are `not found`.
pub fn run(lookups: &[Lookup]) -> Vec<Resolved> {
    let all: Vec<usize> = (0..lookups.len()).collect();
    let mut observed = run_some(lookups, &all, "timeout:1 attempts:1");
    let again: Vec<usize> = (0..lookups.len())
        .filter(|&i| observed[i] != lookups[i].expected && lookups[i].expected != Resolved::NoAnswer)
        .collect();
    let second = run_some(lookups, &again, "timeout:2 attempts:2");
    for index in again {
        observed[index] = second[index].clone();
    }
    observed
}

/// Runs the lookups at `which`; outcomes at the lookups' indices (others
/// `NotFound`, unused).
fn run_some(lookups: &[Lookup], which: &[usize], options: &str) -> Vec<Resolved> {
    let mut observed = vec![Resolved::NotFound; lookups.len()];
    for chunk in which.chunks(PARALLEL) {
        let handles: Vec<(usize, std::thread::JoinHandle<Resolved>)> = chunk
            .iter()
            .map(|&index| {
                let lookup = lookups[index].clone();
                let options = options.to_owned();
                (index, std::thread::spawn(move || resolve(&lookup, &options)))
            })
            .collect();
        for (index, handle) in handles {
            observed[index] = handle.join().unwrap_or(Resolved::Error("a lookup thread panicked".into()));
        }
    }
    observed
}

/// Resolves one name in the lookup's namespace through libc, then `dig`.
fn resolve(lookup: &Lookup, options: &str) -> Resolved {
    let mut getent = Command::new("ip");
    getent.args(["netns", "exec", &lookup.netns, "getent", "ahostsv4", &lookup.name]);
    // glibc's resolver reads extra options from the environment; the
    // pod's resolv.conf stays as the kubelet writes it.
    getent.env("RES_OPTIONS", options);
    let (code, output) = match run_bounded(getent) {
        Ok(done) => done,
        Err(message) => return Resolved::Error(message),
    };
    match code {
        Some(0) => return Resolved::Addresses(parse_ahosts(&output)),
        Some(2) => {}
        _ => return Resolved::Error(format!("getent: {}", output.trim())),
    }
    let mut dig = Command::new("ip");
    dig.args(["netns", "exec", &lookup.netns, "dig", "+search", "+tries=1", "+timeout=2", &lookup.name]);
    match run_bounded(dig) {
        // dig exits 9 when no server answered.
        Ok((Some(9), _)) => Resolved::NoAnswer,
        Ok((Some(0), _)) => Resolved::NotFound,
        Ok((_, output)) => Resolved::Error(format!("dig: {}", output.lines().last().unwrap_or_default())),
        Err(_) => Resolved::NotFound,
    }
}

/// The addresses of `getent ahostsv4` output (`ADDRESS TYPE [NAME]` lines).
fn parse_ahosts(output: &str) -> Vec<Ipv4Addr> {
    let mut addresses: Vec<Ipv4Addr> =
        output.lines().filter_map(|line| line.split_whitespace().next()?.parse().ok()).collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// Runs `command`, reading at most [`MAX_OUTPUT`] of its stdout and killing
/// it after [`COMMAND_DEADLINE`]: its exit code and output.
pub(crate) fn run_bounded(mut command: Command) -> Result<(Option<i32>, String), String> {
    let mut child: Child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", command.get_program().to_string_lossy()))?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stdout) = stdout {
            let _ = stdout.take(MAX_OUTPUT).read_to_string(&mut text);
        }
        text
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < COMMAND_DEADLINE => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let text = reader.join().unwrap_or_default();
    match status {
        Some(status) => Ok((status.code(), text)),
        None => Err("the lookup did not finish in 30 s".to_owned()),
    }
}

/// Adds the lookups, their outcomes and what was skipped to `report`.
pub fn merge(report: &mut ProbeReport, lookups: &[Lookup], observed: &[Resolved], skipped: Vec<Skipped>) {
    report.probes += lookups.len();
    report.skipped += skipped.len();
    report.skipped_list.extend(skipped);
    for (lookup, outcome) in lookups.iter().zip(observed) {
        let key = (lookup.expected.class().to_owned(), outcome.class().to_owned());
        *report.dns_confusion.entry(key).or_default() += 1;
        if *outcome == lookup.expected {
            report.agree += 1;
            continue;
        }
        report.disagree += 1;
        report.disagreements.push(Disagreement {
            source: lookup.source.clone(),
            destination: format!("dns {}", lookup.name),
            port: 53,
            protocol: Protocol::Udp,
            expected: lookup.expected.describe(),
            observed: outcome.describe(),
            explanation: lookup.explanation.clone(),
            lab_rules: None,
        });
    }
    crate::probe::sort(&mut report.disagreements);
}

/// The rows and columns of the human report's name-lookup table.
pub const CLASSES: [&str; 4] = ["resolved", "not found", "no answer", "error"];

#[cfg(test)]
mod tests {
    use super::*;
    use kubereach_core::cni::{self, PluginOverrides, PolicyView};

    /// The cluster of `cluster_dns`'s tests, and a pod whose egress is denied.
    const WORKER: &str = "
apiVersion: v1
kind: Pod
metadata: {name: worker, namespace: jobs, labels: {app: worker}}
spec:
  containers: [{name: c, image: worker}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-egress, namespace: jobs}
spec:
  podSelector: {}
  policyTypes: [Egress]
";

    /// `(source, name, expected)` of every lookup.
    fn check(yaml: &str) -> Vec<(String, String, String)> {
        let cluster = crate::test_cluster(&format!(
            "{}{}---{yaml}",
            crate::KUBE_DNS_YAML,
            crate::cluster_dns::tests::CLUSTER
        ));
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let plugin = cni::behaviour(&cluster, &PluginOverrides::default());
        let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::Effective);
        let (lookups, _) = plan_lookups(&cluster, &engine, &plan);
        lookups.into_iter().map(|l| (l.source, l.name, l.expected.describe())).collect()
    }

    // A pod whose egress is denied gets no answer at all: the policy drops
    // its queries to the DNS Service (NetworkPolicy docs, "Default deny all
    // egress traffic"); the others get the Service's ClusterIP in the lab.
    #[test]
    fn every_pod_resolves_every_service_name_unless_its_dns_egress_is_denied() {
        let lookups = check(WORKER);
        let api = lookups.iter().find(|l| l.0 == "prod/api" && l.1 == "api.prod").unwrap();
        assert!(api.2.starts_with("resolves to 10.97."), "{api:?}");
        let worker: Vec<_> = lookups.iter().filter(|l| l.0 == "jobs/worker").collect();
        assert_eq!(worker.len(), 1, "one lookup shows the pod gets no answer: {worker:?}");
        assert_eq!(worker[0].2, "no answer");
        // A name in no zone: NXDOMAIN through the search list, then as is
        // upstream, where the root delegates `prod` (the stub answers) but
        // not `kube-system` (NXDOMAIN).
        let find = |source: &str, name: &str| {
            lookups.iter().find(|l| l.0 == source && l.1 == name).unwrap().2.clone()
        };
        assert_eq!(find("prod/api", "kubereach-no-such-service.prod"), "resolves to 192.0.2.53");
        assert_eq!(find("kube-system/coredns", "kubereach-no-such-service.kube-system"), "not found");
        // The ExternalName's target is answered by the stub upstream; the
        // pod with hostname and subdomain has a name of its own.
        assert_eq!(find("prod/api", "mail.prod"), "resolves to 192.0.2.53");
        assert!(find("prod/api", "db-0.db.prod").starts_with("resolves to 10.244."));
        // 3 pods × (4 Services, 1 pod name, 1 missing name), 1 for the worker.
        assert_eq!(lookups.len(), 3 * 6 + 1, "{lookups:?}");
    }

    #[test]
    fn getent_output_gives_sorted_unique_addresses() {
        let output =
            "10.97.0.4       STREAM api.prod.svc.cluster.local\n10.97.0.4       DGRAM  \n10.0.0.1 RAW\n";
        assert_eq!(parse_ahosts(output), vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 97, 0, 4)]);
    }
}
