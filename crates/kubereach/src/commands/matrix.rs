//! `kubereach matrix`.

use anyhow::{bail, Result};
use kubereach_core::cni::{self, PolicyView};
use kubereach_core::label_query;
use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::{Direction, Endpoint, IpRange, PolicyEngine};
use kubereach_core::Cluster;

use crate::args::{DirectionArg, MatrixArgs, MatrixFormat};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &MatrixArgs) -> Result<ExitStatus> {
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let plugin = cni::behaviour(&loaded.cluster, &args.plugin.overrides());
    let view = if args.as_written { PolicyView::AsWritten } else { PolicyView::Effective };
    let engine = PolicyEngine::for_plugin(&loaded.cluster, plugin, view);
    let note = output::matrix::unenforced_note(&loaded.cluster, engine.plugin(), view);
    // What an L3/L4 matrix cannot show of Cilium's L7 rules and `toFQDNs`.
    let note = match (note, caveat_note(&engine)) {
        (Some(a), Some(b)) => Some(format!("{a}\nnote: {b}")),
        (a, b) => a.or(b),
    };
    if let Some(pair) = &args.explain {
        explain(&engine, pair, note.as_deref(), args.format)?;
        return Ok(exit(&loaded));
    }
    if let Some(unknown) = unknown_names(&loaded.cluster, args) {
        // An empty matrix would pass a gate "nothing reaches db" on a typo.
        eprintln!("kubereach: {unknown}: a name that does not exist is a usage error, not an empty matrix");
        return Ok(ExitStatus::Error);
    }
    let Some(focus) = focus(&loaded.cluster, args) else { return Ok(ExitStatus::Error) };
    let options = MatrixOptions {
        granularity: if args.pods { Granularity::Pods } else { Granularity::Workloads },
        ingress_controller: !args.no_ingress_controller,
        filters: Filters {
            namespaces: args.source.live.namespaces.clone(),
            focus,
            focus_peer: args.focus_peer.clone(),
            direction: args.direction.map(|d| match d {
                DirectionArg::Ingress => Direction::Ingress,
                DirectionArg::Egress => Direction::Egress,
            }),
            port: args.port,
        },
    };
    if args.format == MatrixFormat::Json {
        // Written as it is computed: no edge is held.
        output::matrix_json::write_json(&engine, &options)?;
        if let Some(note) = &note {
            eprintln!("note: {note}");
        }
    } else {
        let report = matrix::matrix(&engine, &options);
        write(&report, args, note.as_deref())?;
        // The process ends right after this: freeing millions of edges
        // would only cost time (tens of milliseconds at 10,000 pods).
        std::mem::forget(report);
    }
    let status = exit(&loaded);
    // Nor the cluster.
    std::mem::forget(engine);
    std::mem::forget(loaded);
    Ok(status)
}

/// `--explain FROM TO`: the policies' decision for one pair.
fn explain(
    engine: &PolicyEngine<'_>,
    pair: &[String],
    note: Option<&str>,
    format: MatrixFormat,
) -> Result<()> {
    let from = endpoint(engine.cluster(), &pair[0])?;
    let to = endpoint(engine.cluster(), &pair[1])?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    let explanation = engine.explain(&from, &to);
    match format {
        MatrixFormat::Json => output::write_json(&explanation),
        MatrixFormat::Yaml => output::write_yaml(&explanation),
        _ => output::write_stdout(&output::matrix::explanation(&pair[0], &pair[1], &explanation)),
    }
}

/// The `--focus` names and those `-l` selects; `None` (said on stderr)
/// when `-l` selects nothing.
fn focus(cluster: &Cluster, args: &MatrixArgs) -> Option<Vec<String>> {
    let mut focus = args.focus.clone();
    if let Some(selector) = &args.selector {
        let labelled = label_query::labelled(cluster, &selector.selector, args.pods);
        if labelled.is_empty() {
            eprintln!(
                "kubereach: no {} matches `-l {}`",
                if args.pods { "pod" } else { "workload" },
                selector.text
            );
            return None;
        }
        focus.extend(labelled);
    }
    Some(focus)
}

/// Writes `report` in `args.format`, with `note` after a human table and
/// on stderr otherwise.
fn write(report: &matrix::Matrix, args: &MatrixArgs, note: Option<&str>) -> Result<()> {
    let text = match args.format {
        // Streamed: hundreds of MiB for a large cluster (JSON in `run`).
        MatrixFormat::Json | MatrixFormat::Yaml | MatrixFormat::Connlist => None,
        MatrixFormat::Human => Some(output::matrix::human(report)),
        MatrixFormat::Csv => Some(output::matrix::csv(report)),
        MatrixFormat::Md => Some(output::matrix::markdown(report)),
        MatrixFormat::Dot => Some(output::matrix::dot(report)),
    };
    match text {
        Some(mut text) if args.format == MatrixFormat::Human => {
            if let Some(note) = note {
                text.push_str(&format!("note: {note}\n"));
            }
            output::write_stdout(&text)?
        }
        Some(text) => output::write_stdout(&text)?,
        None if args.format == MatrixFormat::Yaml => output::write_yaml(report)?,
        None if args.format == MatrixFormat::Connlist => output::matrix::write_connlist(report, args.port)?,
        None => output::write_json(report)?,
    }
    if let (Some(note), false) = (note, args.format == MatrixFormat::Human) {
        eprintln!("note: {note}");
    }
    Ok(())
}

fn exit(loaded: &super::Loaded) -> ExitStatus {
    if loaded.failed {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}

/// `NAMESPACE/NAME` (a workload, or a pod) or an IP address.
fn endpoint(cluster: &Cluster, text: &str) -> Result<Endpoint> {
    if let Ok(address) = text.parse::<std::net::IpAddr>() {
        return Ok(Endpoint::External(IpRange::from_addr(address)));
    }
    let Some((namespace, name)) = text.split_once('/') else {
        bail!("`{text}` is neither `NAMESPACE/NAME` nor an IP address");
    };
    let pods = cluster.pods_in(namespace);
    let found = pods
        .iter()
        .find(|id| cluster.pod(**id).name == name)
        .or_else(|| pods.iter().find(|id| cluster.workload_ref(cluster.pod(**id)).name == name));
    match found {
        Some(id) => Ok(Endpoint::Pod(*id)),
        None => bail!("no workload or pod `{text}` in the input"),
    }
}

/// The first `-n` namespace, `--focus` or `--focus-peer` workload or pod
/// that is not in the input, with the close names, as `no … in the input
/// (did you mean …?)`.
fn unknown_names(cluster: &Cluster, args: &MatrixArgs) -> Option<String> {
    for namespace in &args.source.live.namespaces {
        if cluster.namespace(namespace).is_none() {
            let close = kubereach_core::trace::close_namespaces(cluster, namespace);
            return Some(format!("no namespace `{namespace}` in the input{}", did_you_mean(close)));
        }
    }
    // Both name ends of an edge the same way (`Filters::focus_peer`).
    args.focus.iter().chain(&args.focus_peer).find_map(|reference| unknown_workload(cluster, reference))
}

/// `no workload or pod … in the input (did you mean …?)` when `reference`
/// (`NAMESPACE/NAME` or `NAME`) names no workload or pod.
fn unknown_workload(cluster: &Cluster, reference: &str) -> Option<String> {
    if reference == "ingress-controller" || reference == matrix::INGRESS_CONTROLLER_ID {
        return None;
    }
    // A Gateway's peer, `{gateway:NAMESPACE/NAME}`, with or without braces.
    let bare = reference.trim_start_matches('{').trim_end_matches('}');
    if let Some((namespace, name)) = matrix::parse_gateway_peer_id(&format!("{{{bare}}}")) {
        if cluster.gateway_api().gateway(namespace, name).is_some() {
            return None;
        }
    }
    // `NAME` alone is looked for in every namespace, as netpol-analyzer's
    // `--focusworkload` does.
    let (namespaces, name): (Vec<&str>, &str) = match reference.split_once('/') {
        Some((namespace, name)) => (vec![namespace], name),
        None => (cluster.namespaces().keys().map(String::as_str).collect(), reference),
    };
    let mut close = Vec::new();
    for namespace in namespaces {
        match kubereach_core::trace::find_pod(cluster, namespace, name) {
            Ok(_) => return None,
            // Close names are `NAMESPACE/NAME` a typo away: for a bare
            // `NAME`, compared with every namespace's names, they mislead.
            Err(not_found) if reference.contains('/') => {
                close.extend(not_found.close.into_iter().chain(not_found.elsewhere))
            }
            Err(_) => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    close.retain(|name| seen.insert(name.clone()));
    close.truncate(3);
    Some(format!("no workload or pod `{reference}` in the input{}", did_you_mean(close)))
}

/// ` (did you mean `a`, `b`?)`, or nothing without close names.
fn did_you_mean(close: Vec<String>) -> String {
    if close.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = close.iter().map(|n| format!("`{n}`")).collect();
    format!(" (did you mean {}?)", quoted.join(", "))
}

/// The rules the matrix holds only the L3/L4 part of, one clause each.
fn caveat_note(engine: &PolicyEngine<'_>) -> Option<String> {
    use kubereach_core::policy::Caveat;
    let clauses: Vec<String> = engine
        .caveats()
        .iter()
        .map(|(policy, location, caveat)| {
            let name = policy.id();
            let at = location.as_ref().unwrap_or(&policy.location);
            let what = match caveat {
                Caveat::L7 { protocols } => {
                    format!("L7 rules ({}) admit only the requests they match", protocols.join(", "))
                }
                Caveat::Fqdns { names } => {
                    format!(
                        "`toFQDNs` ({}) allows the addresses the names resolve to at run time",
                        names.join(", ")
                    )
                }
            };
            format!("{} `{name}` ({at}): {what}", policy.kind.as_str())
        })
        .collect();
    if clauses.is_empty() {
        return None;
    }
    Some(format!("the matrix shows L3/L4 only; {}", clauses.join("; ")))
}
