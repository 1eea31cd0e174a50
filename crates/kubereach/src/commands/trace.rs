//! `kubereach trace SOURCE DESTINATION`.

use anyhow::Result;
use kubereach_core::cni::{self, PolicyView};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, HttpRequestOptions, TraceDestination, TraceOptions, TraceSource, Verdict};

use crate::args::{Format, LiveArgs, ProtocolArg, TraceArgs};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &TraceArgs) -> Result<ExitStatus> {
    // Read once before loading, so that a malformed argument stops at once;
    // again after, in the live context's namespace, kubectl's default for `-n`.
    TraceSource::parse_in(&args.source, kubectl_namespace(&args.source_args.live, None))?;
    TraceDestination::parse_in(&args.destination, kubectl_namespace(&args.source_args.live, None))?;
    let Some(loaded) = super::load(&args.source_args) else { return Ok(ExitStatus::Error) };
    let namespace = kubectl_namespace(&args.source_args.live, loaded.context_namespace.as_deref());
    let source = TraceSource::parse_in(&args.source, namespace)?;
    let destination = TraceDestination::parse_in(&args.destination, namespace)?;
    // `deploy/api` names a Deployment, which the trace resolves by name alone.
    for argument in [&args.source, &args.destination] {
        let Some(reference) = trace::kubectl::in_argument(argument) else { continue };
        if let Err(message) = trace::kubectl::find(&loaded.cluster, namespace.unwrap_or_default(), &reference)
        {
            eprintln!("kubereach: {message}");
            return Ok(ExitStatus::Error);
        }
    }
    let plugin = cni::behaviour(&loaded.cluster, &args.plugin.overrides());
    // The `cni` layer says whether the plugin enforces the policies met.
    let engine = PolicyEngine::for_point_queries(&loaded.cluster, plugin, PolicyView::AsWritten);
    let options = TraceOptions {
        protocol: match args.protocol {
            ProtocolArg::Tcp => Protocol::Tcp,
            ProtocolArg::Udp => Protocol::Udp,
            ProtocolArg::Sctp => Protocol::Sctp,
        },
        http: HttpRequestOptions { method: args.method.clone(), headers: parse_headers(&args.headers)? },
    };
    let report = trace::trace(&loaded.cluster, &engine, &source, &destination, &options);
    match args.format {
        Format::Human => output::write_stdout(&output::trace::human(&report))?,
        Format::Json => output::write_json(&report)?,
        Format::Yaml => output::write_yaml(&report)?,
    }
    let missing = trace::missing_objects(&loaded.cluster, &source, &destination);
    if !missing.is_empty() {
        eprintln!(
            "kubereach: no {} in the input: a name that does not exist is a usage error, not a verdict",
            missing.join(" and no ")
        );
    }
    let status = if loaded.failed || !missing.is_empty() {
        ExitStatus::Error
    } else if report.verdict == Verdict::Blocked {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    // The process ends right after this: freeing the engine and a large
    // cluster would only cost time, as in `matrix`.
    std::mem::forget(engine);
    std::mem::forget(loaded);
    Ok(status)
}

/// The namespace of kubectl's `TYPE/NAME` forms: the one `-n` gives, else
/// the live cluster's `context` namespace, else `default`; `None` with `-A`
/// or several `-n`.
fn kubectl_namespace<'a>(live: &'a LiveArgs, context: Option<&'a str>) -> Option<&'a str> {
    if live.all_namespaces {
        return None;
    }
    match live.namespaces.as_slice() {
        [] => Some(context.unwrap_or(trace::kubectl::DEFAULT_NAMESPACE)),
        [one] => Some(one),
        _ => None,
    }
}

/// `--header 'NAME: VALUE'` as `(NAME, VALUE)`, as curl's `-H` writes them.
fn parse_headers(headers: &[String]) -> Result<Vec<(String, String)>> {
    headers
        .iter()
        .map(|header| match header.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() && !name.contains(char::is_whitespace) => {
                Ok((name.to_owned(), value.trim().to_owned()))
            }
            _ => anyhow::bail!("invalid --header `{header}`: expected `NAME: VALUE`"),
        })
        .collect()
}
