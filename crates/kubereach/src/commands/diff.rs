//! `kubereach diff OLD NEW`.

use anyhow::Result;
use kubereach_core::diff::{self, Side};
use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::{HostNetwork, PolicyEngine, PolicyOptions};

use crate::args::{DiffArgs, DiffFormat};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &DiffArgs) -> Result<ExitStatus> {
    let old = super::load_paths(std::slice::from_ref(&args.old), &args.load);
    let new = super::load_paths(std::slice::from_ref(&args.new), &args.load);
    let policy_options = PolicyOptions { ip_blocks_match_pods: args.ip_blocks_match_pods };
    let matrix_options = MatrixOptions {
        granularity: if args.pods { Granularity::Pods } else { Granularity::Workloads },
        ingress_controller: true,
        filters: Filters::default(),
    };
    let host_network = if args.host_network_as_pods { HostNetwork::Pod } else { HostNetwork::Node };
    let old_engine = PolicyEngine::with_host_network(&old.cluster, policy_options, host_network);
    let new_engine = PolicyEngine::with_host_network(&new.cluster, policy_options, host_network);
    let old_matrix = matrix::matrix(&old_engine, &matrix_options);
    let new_matrix = matrix::matrix(&new_engine, &matrix_options);
    let report = diff::diff(
        &Side { engine: &old_engine, matrix: &old_matrix },
        &Side { engine: &new_engine, matrix: &new_matrix },
    );
    match args.format {
        DiffFormat::Json => output::write_json(&report)?,
        DiffFormat::Human => output::write_stdout(&output::diff::human(&report, &args.old, &args.new))?,
        DiffFormat::Csv => output::write_stdout(&output::diff::csv(&report))?,
        DiffFormat::Md => output::write_stdout(&output::diff::markdown(&report))?,
        DiffFormat::Connlist => output::write_stdout(&output::diff::connlist(&report))?,
    }
    Ok(if old.failed || new.failed {
        ExitStatus::Error
    } else if report.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
