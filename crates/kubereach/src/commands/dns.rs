//! `kubereach dns NAME --from NAMESPACE/POD`.

use anyhow::{bail, Result};
use kubereach_core::cni::{self, PluginOverrides, PolicyView};
use kubereach_core::dns::{self, QueryType, Resolution};
use kubereach_core::model::PodId;
use kubereach_core::policy::PolicyEngine;
use kubereach_core::trace::{dns_server_step, find_pod, Status, Step};
use kubereach_core::Cluster;

use crate::args::{DnsArgs, Format, QueryTypeArg};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &DnsArgs) -> Result<ExitStatus> {
    let (namespace, name) = from(&args.from)?;
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let qtype = query_type(args.query_type);
    let cluster = &loaded.cluster;
    let (pod, resolution, server) =
        resolve(cluster, &args.plugin.overrides(), namespace, name, &args.name, qtype)?;
    match args.format {
        Format::Human => {
            output::write_stdout(&output::dns::human(cluster, pod, &resolution, server.as_ref()))?
        }
        Format::Json => output::write_json(&output::dns::json(cluster, pod, &resolution, server.as_ref()))?,
        Format::Yaml => output::write_yaml(&output::dns::json(cluster, pod, &resolution, server.as_ref()))?,
    }
    // The queries never arrive: the lookup fails, as `trace` says at its `dns` layer.
    let blocked = server.as_ref().is_some_and(|step| step.status == Status::Fail);
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
    let (pod, resolution, server) = resolve(cluster, overrides, namespace, pod_name, &query.name, qtype)?;
    Ok(serde_json::to_value(output::dns::json(cluster, pod, &resolution, server.as_ref()))?)
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

/// The pod, how it resolves `name`, and whether it reaches the DNS server.
fn resolve(
    cluster: &Cluster,
    plugin: &PluginOverrides,
    namespace: &str,
    pod_name: &str,
    name: &str,
    qtype: QueryType,
) -> Result<(PodId, Resolution, Option<Step>)> {
    let pod = match find_pod(cluster, namespace, pod_name) {
        Ok(pod) => pod,
        Err(not_found) => {
            let hint = not_found.hint().map(|h| format!("; {h}")).unwrap_or_default();
            bail!("no pod or workload `{namespace}/{pod_name}` in the input{hint}");
        }
    };
    let resolution = dns::resolve(cluster, cluster.pod(pod), name, qtype);
    // The queries go nowhere if the pod cannot reach the DNS server.
    let server = (resolution.resolver.cluster_dns && !resolution.queries.is_empty()).then(|| {
        let engine =
            PolicyEngine::for_plugin(cluster, cni::behaviour(cluster, plugin), PolicyView::AsWritten);
        dns_server_step(cluster, &engine, pod)
    });
    Ok((pod, resolution, server))
}
