//! `kubereach dns NAME --from NAMESPACE/POD`.

use anyhow::{bail, Result};
use kubereach_core::cni::{self, PluginOverrides};
use kubereach_core::dns::QueryType;
use kubereach_core::dns_report::{self, DnsReport};
use kubereach_core::trace::find_pod;
use kubereach_core::Cluster;

use crate::args::{DnsArgs, Format, QueryTypeArg};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &DnsArgs) -> Result<ExitStatus> {
    let (namespace, name) = from(&args.from)?;
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let qtype = query_type(args.query_type);
    let cluster = &loaded.cluster;
    let report = report(cluster, &args.plugin.overrides(), namespace, name, &args.name, qtype)?;
    match args.format {
        Format::Human => output::write_stdout(&output::dns::human(&report))?,
        Format::Json => output::write_json(&report)?,
        Format::Yaml => output::write_yaml(&report)?,
    }
    // The queries never arrive: the lookup fails, as `trace` says at its `dns` layer.
    let blocked = report.blocked();
    Ok(if loaded.failed {
        ExitStatus::Error
    } else if blocked {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The `kubereach.dns/v1` document of NAME resolved from FROM: what
/// `kubereach serve` answers, the same as `--format json`.
pub fn document(
    cluster: &Cluster,
    query: &kubereach_serve::DnsQuery,
    overrides: &PluginOverrides,
) -> Result<serde_json::Value> {
    let (namespace, pod_name) = from(&query.from)?;
    let qtype = match <QueryTypeArg as clap::ValueEnum>::from_str(&query.query_type, true) {
        Ok(arg) => query_type(arg),
        Err(_) if query.query_type.is_empty() => QueryType::A,
        Err(_) => bail!("unknown query type `{}`: use A, AAAA, SRV, PTR or CNAME", query.query_type),
    };
    let report = report(cluster, overrides, namespace, pod_name, &query.name, qtype)?;
    Ok(serde_json::to_value(report)?)
}

fn from(text: &str) -> Result<(&str, &str)> {
    match text.split_once('/').filter(|(ns, n)| !ns.is_empty() && !n.is_empty()) {
        Some(parts) => Ok(parts),
        None => bail!("`--from {text}` is not `NAMESPACE/POD`"),
    }
}

fn query_type(arg: QueryTypeArg) -> QueryType {
    match arg {
        QueryTypeArg::A => QueryType::A,
        QueryTypeArg::Aaaa => QueryType::Aaaa,
        QueryTypeArg::Srv => QueryType::Srv,
        QueryTypeArg::Ptr => QueryType::Ptr,
        QueryTypeArg::Cname => QueryType::Cname,
    }
}

/// The report of how the pod `namespace/pod_name` resolves `name`.
fn report(
    cluster: &Cluster,
    plugin: &PluginOverrides,
    namespace: &str,
    pod_name: &str,
    name: &str,
    qtype: QueryType,
) -> Result<DnsReport> {
    let pod = match find_pod(cluster, namespace, pod_name) {
        Ok(pod) => pod,
        Err(not_found) => {
            let hint = not_found.hint().map(|h| format!("; {h}")).unwrap_or_default();
            bail!("no pod or workload `{namespace}/{pod_name}` in the input{hint}");
        }
    };
    Ok(dns_report::report(cluster, cni::behaviour(cluster, plugin), pod, name, qtype))
}
