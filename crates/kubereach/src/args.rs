//! Command-line arguments. Validation only; commands turn them into loads
//! and queries.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

/// Kubernetes networking, modeled exactly and made debuggable.
#[derive(Debug, Parser)]
#[command(name = "kubereach", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on the built-in example cluster: a short guided tour.
    Demo(DemoArgs),
    /// What was loaded, per namespace: workloads, services, ingresses, policies.
    Inventory(InventoryArgs),
}

/// Where the cluster comes from (every query command).
#[derive(Debug, Clone, ClapArgs)]
pub struct SourceArgs {
    /// A manifest file or directory (read recursively); `-` for standard input. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub filenames: Vec<String>,
    /// The cluster DNS domain, if not `cluster.local` and not given by the CoreDNS ConfigMap.
    #[arg(long, value_name = "DOMAIN")]
    pub cluster_domain: Option<String>,
    /// Load what can be loaded and exit as if the broken documents were absent.
    #[arg(long)]
    pub keep_going: bool,
    /// Refuse files larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, ClapArgs)]
pub struct DemoArgs {
    /// Write the demo manifests into DIR instead of running the tour.
    #[arg(long, value_name = "DIR")]
    pub export: Option<std::path::PathBuf>,
}
