//! `kubereach routes`: the external routing table, or `--diff OLD NEW`.

use anyhow::Result;
use kubereach_core::cni::{self, PolicyView};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::routes;

use crate::args::{Format, RoutesArgs};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &RoutesArgs) -> Result<ExitStatus> {
    if let Some(sides) = &args.diff {
        return diff(args, &sides[0], &sides[1]);
    }
    let Some(loaded) = super::load(&args.source) else { return Ok(ExitStatus::Error) };
    let report = routes::table(&engine(&loaded.cluster, args));
    match args.format {
        Format::Human => output::write_stdout(&output::routes::human(&report))?,
        Format::Json => output::write_json(&report)?,
        Format::Yaml => output::write_yaml(&report)?,
    }
    Ok(if loaded.failed { ExitStatus::Error } else { ExitStatus::Success })
}

/// The policy engine of `cluster`, for the connectivity its plugin gives.
fn engine<'c>(cluster: &'c kubereach_core::Cluster, args: &RoutesArgs) -> PolicyEngine<'c> {
    PolicyEngine::for_plugin(
        cluster,
        cni::behaviour(cluster, &args.plugin.overrides()),
        PolicyView::Effective,
    )
}

/// `routes --diff OLD NEW`: each side manifest paths, or `@live` for the
/// live cluster the cluster flags choose.
fn diff(args: &RoutesArgs, old_path: &str, new_path: &str) -> Result<ExitStatus> {
    let side = |path: &str| super::load_side(&[path.to_owned()], &args.source.live, &args.source.load);
    let (Some((old, old_name)), Some((new, new_name))) = (side(old_path), side(new_path)) else {
        return Ok(ExitStatus::Error);
    };
    let (old_engine, new_engine) = (engine(&old.cluster, args), engine(&new.cluster, args));
    let report = routes::diff::diff(
        &old_engine,
        &routes::table(&old_engine),
        &new_engine,
        &routes::table(&new_engine),
    );
    match args.format {
        Format::Human => output::write_stdout(&output::routes::diff_human(&report, &old_name, &new_name))?,
        Format::Json => output::write_json(&report)?,
        Format::Yaml => output::write_yaml(&report)?,
    }
    Ok(if old.failed || new.failed {
        ExitStatus::Error
    } else if report.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
