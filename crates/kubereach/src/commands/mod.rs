//! One module per command.

use anyhow::Result;

use crate::args::{Args, Command, SourceArgs};
use crate::exit::ExitStatus;

mod demo;
mod inventory;
mod matrix;

pub fn run(args: Args) -> Result<ExitStatus> {
    match args.command {
        Command::Demo(args) => demo::run(&args),
        Command::Inventory(args) => inventory::run(&args),
        Command::Matrix(args) => matrix::run(&args),
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
    let inputs: Vec<kubereach_load::Input> =
        source.filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
    let options = kubereach_load::LoadOptions {
        cluster_domain: source.cluster_domain.clone(),
        max_file_size: source.max_file_size.saturating_mul(1024 * 1024),
    };
    let cluster = kubereach_load::load(&inputs, &options);
    let errors = crate::output::print_diagnostics(cluster.diagnostics());
    Loaded { cluster, failed: errors > 0 && !source.keep_going }
}
