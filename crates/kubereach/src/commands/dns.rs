//! `kubereach dns NAME --from NAMESPACE/POD`.

use anyhow::{bail, Result};
use kubereach_core::dns::{self, QueryType};
use kubereach_core::policy::{PolicyEngine, PolicyOptions};
use kubereach_core::trace::{dns_server_step, find_pod};

use crate::args::{DnsArgs, Format, QueryTypeArg};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &DnsArgs) -> Result<ExitStatus> {
    let Some((namespace, name)) = args.from.split_once('/').filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
    else {
        bail!("`--from {}` is not `NAMESPACE/POD`", args.from);
    };
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let pod = match find_pod(&loaded.cluster, namespace, name) {
        Ok(pod) => pod,
        Err(not_found) => {
            let hint = not_found.hint().map(|h| format!("; {h}")).unwrap_or_default();
            bail!("no pod or workload `{namespace}/{name}` in the input{hint}");
        }
    };
    let qtype = match args.query_type {
        QueryTypeArg::A => QueryType::A,
        QueryTypeArg::Aaaa => QueryType::Aaaa,
        QueryTypeArg::Srv => QueryType::Srv,
        QueryTypeArg::Ptr => QueryType::Ptr,
        QueryTypeArg::Cname => QueryType::Cname,
    };
    let cluster = &loaded.cluster;
    let resolution = dns::resolve(cluster, cluster.pod(pod), &args.name, qtype);
    // The queries go nowhere if the pod cannot reach the DNS server.
    let server = (resolution.resolver.cluster_dns && !resolution.queries.is_empty()).then(|| {
        let engine = PolicyEngine::new(cluster, PolicyOptions { ip_blocks_match_pods: false });
        dns_server_step(cluster, &engine, pod, None)
    });
    match args.format {
        Format::Human => {
            output::write_stdout(&output::dns::human(cluster, pod, &resolution, server.as_ref()))?
        }
        Format::Json => output::write_json(&output::dns::json(cluster, pod, &resolution, server.as_ref()))?,
        Format::Yaml => output::write_yaml(&output::dns::json(cluster, pod, &resolution, server.as_ref()))?,
    }
    Ok(if loaded.failed { ExitStatus::Error } else { ExitStatus::Success })
}
