//! One module per command.

use anyhow::Result;

use crate::args::{Args, Command, LoadArgs, SourceArgs};
use crate::exit::ExitStatus;

mod check;
mod demo;
mod diff;
mod dns;
mod inventory;
mod matrix;
mod trace;

pub fn run(args: Args) -> Result<ExitStatus> {
    match args.command {
        Command::Demo(args) => demo::run(&args),
        Command::Inventory(args) => inventory::run(&args),
        Command::Matrix(args) => matrix::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::Dns(args) => dns::run(&args),
        Command::Check(args) => check::run(&args),
    }
}

/// A loaded cluster and whether its input had errors.
pub struct Loaded {
    pub cluster: kubereach_core::Cluster,
    /// Input errors were printed and `--keep-going` was not given.
    pub failed: bool,
}

/// Loads the sources and prints the diagnostics to stderr.
pub fn load(source: &SourceArgs) -> Loaded {
    let Some(server) = &source.server else {
        return load_paths(&source.filenames, &source.load);
    };
    let mut builder = kubereach_core::ClusterBuilder::new();
    let token = match &source.token_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(token) => Some(token.trim().to_owned()),
            Err(error) => {
                builder.diagnostic(kubereach_core::Diagnostic::error(
                    kubereach_core::origin::Location { file: Some(path.display().to_string()), line: 0 },
                    format!("cannot read the token file: {error}"),
                ));
                None
            }
        },
    };
    let config = kubereach_load::LiveConfig {
        server: server.clone(),
        token,
        namespaces: Vec::new(),
        timeout: source.request_timeout,
    };
    kubereach_load::load_live(&config, &mut builder);
    let inputs: Vec<kubereach_load::Input> =
        source.filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
    kubereach_load::load_into(&inputs, &options(&source.load), &mut builder);
    finish(builder.build(), &source.load)
}

/// Loads `filenames` (`-` for stdin) and prints the diagnostics to stderr.
pub fn load_paths(filenames: &[String], load: &LoadArgs) -> Loaded {
    let inputs: Vec<kubereach_load::Input> =
        filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
    finish(kubereach_load::load(&inputs, &options(load)), load)
}

fn options(load: &LoadArgs) -> kubereach_load::LoadOptions {
    kubereach_load::LoadOptions {
        cluster_domain: load.cluster_domain.clone(),
        max_file_size: load.max_file_size.saturating_mul(1024 * 1024),
    }
}

fn finish(cluster: kubereach_core::Cluster, load: &LoadArgs) -> Loaded {
    let errors = crate::output::print_diagnostics(cluster.diagnostics());
    Loaded { cluster, failed: errors > 0 && !load.keep_going }
}
