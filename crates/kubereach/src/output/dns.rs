//! `dns`: the resolver, every query in order, and the answer, rendered
//! from the core's [`DnsReport`] (the JSON form is the report serialized).

use std::fmt::Write;

use kubereach_core::dns::{Answer, Nameserver, Record, RecordData, Resolution, ResolverConfig};
use kubereach_core::dns_report::DnsReport;
use kubereach_core::trace::Status;

/// The human form.
pub fn human(report: &DnsReport) -> String {
    let mut out = String::new();
    let resolution = &report.resolution;
    let _ = writeln!(out, "{} {} from {}", resolution.name, resolution.qtype.as_str(), report.from);
    resolver(&mut out, &resolution.resolver);
    queries(&mut out, report, resolution);
    answer(&mut out, report);
    if let Some(server) = report.server.as_ref().filter(|s| matches!(s.status, Status::Fail | Status::Warn)) {
        let what = if report.blocked() { "blocked" } else { "warning" };
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

/// The pod's resolv.conf, as the kubelet writes it.
fn resolver(out: &mut String, resolver: &ResolverConfig) {
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
}

/// The queries sent, in order, or why none is.
fn queries(out: &mut String, report: &DnsReport, resolution: &Resolution) {
    if resolution.queries.is_empty() {
        let why = match &resolution.answer {
            Answer::HostsFile { .. } => "found in the pod's /etc/hosts",
            Answer::Literal { .. } => "the name is an address",
            _ => "nothing to ask",
        };
        let _ = writeln!(out, "no query: {why}");
        return;
    }
    let _ = writeln!(out, "queries, in order:");
    let width = resolution.queries.iter().map(|q| q.name.len()).max().unwrap_or(0);
    for (i, query) in resolution.queries.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {:width$}  {}  → {}",
            i + 1,
            query.name,
            query.qtype.as_str(),
            answer_text(report, &query.answer)
        );
    }
}

/// The answer the pod gets, and the Services an NXDOMAIN may have meant.
fn answer(out: &mut String, report: &DnsReport) {
    let answer = &report.resolution.answer;
    if report.blocked() {
        // What cluster DNS would answer never comes back: the pod times out.
        let _ = writeln!(
            out,
            "answer: none, the lookup times out (cluster DNS would answer {})",
            answer_text(report, answer)
        );
    } else {
        let _ = writeln!(out, "answer: {}", answer_text(report, answer));
    }
    if !report.close_services.is_empty() {
        let close: Vec<String> =
            report.close_services.iter().map(|s| format!("`{}.{}`", s.name, s.namespace)).collect();
        let _ = writeln!(out, "  did you mean {}?", close.join(" or "));
    }
}

fn rest_options(options: &[String]) -> String {
    let rest: Vec<&String> = options.iter().filter(|o| !o.starts_with("ndots")).collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(" {}", rest.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
    }
}

fn answer_text(report: &DnsReport, answer: &Answer) -> String {
    let records =
        |records: &[Record]| records.iter().map(|r| record_text(report, r)).collect::<Vec<_>>().join(", ");
    match answer {
        Answer::Records { records: found } => records(found),
        Answer::HostsFile { records: found } => format!("{} (/etc/hosts)", records(found)),
        Answer::Alias { records: found, target } => {
            format!("{} → {}", records(found), answer_text(report, target))
        }
        Answer::NxDomain => "NXDOMAIN".to_owned(),
        Answer::NoData => "NODATA (the name exists, without records of this type)".to_owned(),
        Answer::External => "outside the cluster domain: forwarded upstream (not modelled)".to_owned(),
        Answer::Upstream => "sent to a nameserver outside the cluster (not modelled)".to_owned(),
        Answer::NotServed => "not found: that nameserver is not cluster DNS".to_owned(),
        Answer::Literal { address } => format!("{address} (an address, no query)"),
    }
}

fn record_text(report: &DnsReport, record: &Record) -> String {
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
    match (&record.service, report.pod_of(record)) {
        (Some(service), Some(pod)) => format!("{data} (Service {}, pod {pod})", service.id()),
        (Some(service), None) => format!("{data} (Service {})", service.id()),
        (None, Some(pod)) => format!("{data} (pod {pod})"),
        (None, None) => data,
    }
}
