//! `kubereach trace SOURCE DESTINATION`.

use anyhow::Result;
use kubereach_core::policy::{PolicyEngine, PolicyOptions};
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, HttpRequestOptions, TraceDestination, TraceOptions, TraceSource, Verdict};

use crate::args::{Format, ProtocolArg, TraceArgs};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &TraceArgs) -> Result<ExitStatus> {
    let source = TraceSource::parse(&args.source)?;
    let destination = TraceDestination::parse(&args.destination)?;
    let Some(loaded) = super::load(&args.source_args) else { return Ok(ExitStatus::Error) };
    let engine = PolicyEngine::new(&loaded.cluster, PolicyOptions { ip_blocks_match_pods: false });
    let options = TraceOptions {
        protocol: match args.protocol {
            ProtocolArg::Tcp => Protocol::Tcp,
            ProtocolArg::Udp => Protocol::Udp,
            ProtocolArg::Sctp => Protocol::Sctp,
        },
        cni: args.cni.clone(),
        http: HttpRequestOptions { method: args.method.clone(), headers: parse_headers(&args.headers)? },
    };
    let report = trace::trace(&loaded.cluster, &engine, &source, &destination, &options);
    match args.format {
        Format::Human => output::write_stdout(&output::trace::human(&report))?,
        Format::Json => output::write_json(&report)?,
    }
    Ok(if loaded.failed {
        ExitStatus::Error
    } else if report.verdict == Verdict::Blocked {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
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
