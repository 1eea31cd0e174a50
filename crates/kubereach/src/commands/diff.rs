//! `kubereach diff OLD NEW`.

use anyhow::Result;
use kubereach_core::cni::{self, PolicyView};
use kubereach_core::diff::{self, Side};
use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::PolicyEngine;

use crate::args::{DiffArgs, DiffFormat};
use crate::exit::ExitStatus;
use crate::output;

use super::LIVE;

pub fn run(args: &DiffArgs) -> Result<ExitStatus> {
    let (old_paths, new_paths) = match (&args.old, &args.new) {
        // `diff --context prod -f new/`: the running cluster against the files.
        (old, None) if !args.filenames.is_empty() => {
            (vec![old.clone().unwrap_or_else(|| LIVE.to_owned())], args.filenames.clone())
        }
        (Some(old), Some(new)) => (vec![old.clone()], vec![new.clone()]),
        _ => {
            eprintln!(
                "error: diff needs OLD and NEW (manifest paths, or `{LIVE}` for the live cluster), \
                 or `-f NEW` to compare the live cluster with files"
            );
            return Ok(ExitStatus::Error);
        }
    };
    let (Some((old, old_name)), Some((new, new_name))) = (side(&old_paths, args), side(&new_paths, args))
    else {
        return Ok(ExitStatus::Error);
    };
    let matrix_options = MatrixOptions {
        granularity: if args.pods { Granularity::Pods } else { Granularity::Workloads },
        ingress_controller: true,
        filters: Filters::default(),
    };
    // Each side with its own plugin: a change of plugin changes connectivity too.
    let view = if args.as_written { PolicyView::AsWritten } else { PolicyView::Effective };
    let engine =
        |cluster| PolicyEngine::for_plugin(cluster, cni::behaviour(cluster, &args.plugin.overrides()), view);
    let old_engine = engine(&old.cluster);
    let new_engine = engine(&new.cluster);
    let old_matrix = matrix::matrix(&old_engine, &matrix_options);
    let new_matrix = matrix::matrix(&new_engine, &matrix_options);
    let report = diff::diff(
        &Side { engine: &old_engine, matrix: &old_matrix },
        &Side { engine: &new_engine, matrix: &new_matrix },
    );
    match args.format {
        DiffFormat::Json => output::write_json(&report)?,
        DiffFormat::Yaml => output::write_yaml(&report)?,
        DiffFormat::Human => output::write_stdout(&output::diff::human(&report, &old_name, &new_name))?,
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

/// Loads one side (see [`super::load_side`]).
fn side(paths: &[String], args: &DiffArgs) -> Option<(super::Loaded, String)> {
    super::load_side(paths, &args.live, &args.load)
}
