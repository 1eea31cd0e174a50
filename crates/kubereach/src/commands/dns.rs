//! `kubereach dns NAME --from NAMESPACE/POD`.

use anyhow::{bail, Result};
use kubereach_core::cni::{self, PolicyView};
use kubereach_core::dns::{self, QueryType};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::trace::{dns_server_step, find_pod, Status};

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
        let plugin = cni::behaviour(cluster, &args.plugin.overrides());
        let engine = PolicyEngine::for_plugin(cluster, plugin, PolicyView::AsWritten);
        dns_server_step(cluster, &engine, pod)
    });
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
