//! `dns`: the resolver, every query in order, and the answer.

use std::fmt::Write;

use kubereach_core::dns::{Answer, Nameserver, Record, RecordData, Resolution};
use kubereach_core::model::PodId;
use kubereach_core::trace::{Status, Step};
use kubereach_core::Cluster;
use serde::Serialize;
use serde_json::Value;

/// The JSON form: `kubereach.dns/v1`, pods named `namespace/name`.
#[derive(Debug, Serialize)]
pub struct DnsReport {
    schema: &'static str,
    /// The name as given.
    name: String,
    #[serde(rename = "type")]
    qtype: &'static str,
    /// The pod that resolves it.
    from: String,
    resolver: Value,
    queries: Vec<Value>,
    answer: Value,
    /// Whether the pod reaches the DNS server (`null` when no query goes to cluster DNS).
    server: Option<Step>,
}

/// The report for `--format json`.
pub fn json(cluster: &Cluster, pod: PodId, resolution: &Resolution, server: Option<&Step>) -> DnsReport {
    let answer = |a: &Answer| name_pods(cluster, serde_json::to_value(a).unwrap_or(Value::Null));
    DnsReport {
        schema: "kubereach.dns/v1",
        name: resolution.name.clone(),
        qtype: resolution.qtype.as_str(),
        from: pod_name(cluster, pod),
        resolver: serde_json::to_value(&resolution.resolver).unwrap_or(Value::Null),
        queries: resolution
            .queries
            .iter()
            .map(|q| {
                serde_json::json!({
                    "name": q.name,
                    "type": q.qtype.as_str(),
                    "answer": answer(&q.answer),
                })
            })
            .collect(),
        answer: answer(&resolution.answer),
        server: server.cloned(),
    }
}

/// Replaces the pod indices of serialized records with `namespace/name`.
fn name_pods(cluster: &Cluster, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| match (key.as_str(), &value) {
                    ("pod", Value::Number(n)) => {
                        let id = PodId(n.as_u64().unwrap_or_default() as u32);
                        (key, Value::String(pod_name(cluster, id)))
                    }
                    _ => (key, name_pods(cluster, value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| name_pods(cluster, v)).collect()),
        other => other,
    }
}

fn pod_name(cluster: &Cluster, id: PodId) -> String {
    let pod = cluster.pod(id);
    format!("{}/{}", pod.namespace, pod.name)
}

/// The human form.
pub fn human(cluster: &Cluster, pod: PodId, resolution: &Resolution, server: Option<&Step>) -> String {
    let mut out = String::new();
    let resolver = &resolution.resolver;
    let _ =
        writeln!(out, "{} {} from {}", resolution.name, resolution.qtype.as_str(), pod_name(cluster, pod));
    let mut policy = format!("dnsPolicy {}", resolver.policy.as_str());
    if resolver.effective_policy != resolver.policy {
        policy.push_str(&format!(" (acts as {} on the host network)", resolver.effective_policy.as_str()));
    }
    let _ = writeln!(out, "resolver: {policy}");
    for nameserver in &resolver.nameservers {
        let text = match nameserver {
            Nameserver::ClusterDns { address: Some(address) } => format!("{address} (cluster DNS)"),
            Nameserver::ClusterDns { address: None } => "cluster DNS (address not in the input)".to_owned(),
            Nameserver::Node => "the node's nameservers (not in the input)".to_owned(),
            Nameserver::Address { address } => address.clone(),
        };
        let _ = writeln!(out, "  nameserver {text}");
    }
    if !resolver.searches.is_empty() || resolver.node_searches {
        let mut searches = resolver.searches.join(" ");
        if resolver.node_searches {
            searches.push_str(if searches.is_empty() { "" } else { " " });
            searches.push_str("(+ the node's search domains, not in the input)");
        }
        let _ = writeln!(out, "  search {searches}");
    }
    let options: Vec<String> = resolver
        .options
        .iter()
        .map(|o| match &o.value {
            Some(value) => format!("{}:{value}", o.name),
            None => o.name.clone(),
        })
        .collect();
    let _ = writeln!(out, "  options ndots:{}{}", resolver.ndots, rest_options(&options));
    if resolution.queries.is_empty() {
        let why = match &resolution.answer {
            Answer::HostsFile { .. } => "found in the pod's /etc/hosts",
            Answer::Literal { .. } => "the name is an address",
            _ => "nothing to ask",
        };
        let _ = writeln!(out, "no query: {why}");
    } else {
        let _ = writeln!(out, "queries, in order:");
        let width = resolution.queries.iter().map(|q| q.name.len()).max().unwrap_or(0);
        for (i, query) in resolution.queries.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {:width$}  {}  → {}",
                i + 1,
                query.name,
                query.qtype.as_str(),
                answer_text(cluster, &query.answer)
            );
        }
    }
    let blocked = server.is_some_and(|s| s.status == Status::Fail);
    if blocked {
        // What cluster DNS would answer never comes back: the pod times out.
        let _ = writeln!(
            out,
            "answer: none, the lookup times out (cluster DNS would answer {})",
            answer_text(cluster, &resolution.answer)
        );
    } else {
        let _ = writeln!(out, "answer: {}", answer_text(cluster, &resolution.answer));
    }
    if resolution.answer == Answer::NxDomain {
        let close: Vec<String> = kubereach_core::dns::close_services(cluster, &resolution.name)
            .iter()
            .map(|s| format!("`{}.{}`", s.name, s.namespace))
            .collect();
        if !close.is_empty() {
            let _ = writeln!(out, "  did you mean {}?", close.join(" or "));
        }
    }
    if let Some(server) = server.filter(|s| matches!(s.status, Status::Fail | Status::Warn)) {
        let what = if blocked { "blocked" } else { "warning" };
        let _ = writeln!(out, "{what}: {}", server.summary);
        for evidence in &server.evidence {
            let _ = writeln!(out, "  {evidence}");
        }
        if !server.fix.is_empty() {
            let _ = writeln!(out, "  fix: {}", server.fix);
        }
    }
    out
}

fn rest_options(options: &[String]) -> String {
    let rest: Vec<&String> = options.iter().filter(|o| !o.starts_with("ndots")).collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(" {}", rest.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
    }
}

fn answer_text(cluster: &Cluster, answer: &Answer) -> String {
    match answer {
        Answer::Records { records } => {
            records.iter().map(|r| record_text(cluster, r)).collect::<Vec<_>>().join(", ")
        }
        Answer::HostsFile { records } => format!(
            "{} (/etc/hosts)",
            records.iter().map(|r| record_text(cluster, r)).collect::<Vec<_>>().join(", ")
        ),
        Answer::Alias { records, target } => format!(
            "{} → {}",
            records.iter().map(|r| record_text(cluster, r)).collect::<Vec<_>>().join(", "),
            answer_text(cluster, target)
        ),
        Answer::NxDomain => "NXDOMAIN".to_owned(),
        Answer::NoData => "NODATA (the name exists, without records of this type)".to_owned(),
        Answer::External => "outside the cluster domain: forwarded upstream (not modelled)".to_owned(),
        Answer::Upstream => "sent to a nameserver outside the cluster (not modelled)".to_owned(),
        Answer::NotServed => "not found: that nameserver is not cluster DNS".to_owned(),
        Answer::Literal { address } => format!("{address} (an address, no query)"),
    }
}

fn record_text(cluster: &Cluster, record: &Record) -> String {
    let data = match &record.data {
        RecordData::A { address } => {
            format!("A {}", address.as_deref().unwrap_or("(address assigned at creation)"))
        }
        RecordData::Aaaa { address } => {
            format!("AAAA {}", address.as_deref().unwrap_or("(address assigned at creation)"))
        }
        RecordData::Srv { port, target } => {
            format!("SRV {port} {}", target.as_deref().unwrap_or("(address not in the input)"))
        }
        RecordData::Ptr { target } => format!("PTR {target}"),
        RecordData::Cname { target } => format!("CNAME {target}"),
    };
    match (&record.service, record.pod) {
        (Some(service), Some(pod)) => {
            format!("{data} (Service {}, pod {})", service.id(), pod_name(cluster, pod))
        }
        (Some(service), None) => format!("{data} (Service {})", service.id()),
        (None, Some(pod)) => format!("{data} (pod {})", pod_name(cluster, pod)),
        (None, None) => data,
    }
}
