//! `kubereach lab` arguments (validation only; `commands::lab` runs them).

use clap::{Args as ClapArgs, Subcommand};

use super::{Format, LoadArgs};

/// `kubereach lab`: the cluster's networking built for real in network
/// namespaces (Linux, root only).
#[derive(Debug, ClapArgs)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Build the lab: namespaces for nodes, pods, a fabric and an external client; Services as
    /// kube-proxy's nftables mode programs them; NetworkPolicies when the plugin enforces them.
    Up(LabUpArgs),
    /// Send real connections for every pair the matrix covers and compare them with the model
    /// (exit 1 on any disagreement).
    Probe(LabProbeArgs),
    /// List the labs on this machine.
    Ls,
    /// Run a command inside a pod's network namespace (`NAMESPACE/POD`), a node's (`node/NAME`)
    /// or the external client's (`external`).
    Exec(LabExecArgs),
    /// Remove a lab and everything it created (idempotent).
    Down(LabDownArgs),
    /// The lab's socket supervisor (started by `up`).
    #[command(hide = true)]
    Supervise {
        /// The lab.
        name: String,
    },
}

#[derive(Debug, ClapArgs)]
pub struct LabUpArgs {
    /// A manifest file or directory (read recursively). Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub filenames: Vec<String>,
    /// The lab's name (1 to 8 lowercase letters or digits; namespaces are `kr-<name>-…`).
    #[arg(long, default_value = "lab")]
    pub name: String,
    /// Print every `ip` and `nft` command and ruleset instead of applying them (no root needed).
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, ClapArgs)]
pub struct LabProbeArgs {
    /// The lab.
    #[arg(default_value = "lab")]
    pub name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// How long a connection may take before it counts as timed out, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=30000))]
    pub timeout_ms: u64,
}

#[derive(Debug, ClapArgs)]
pub struct LabExecArgs {
    /// `NAMESPACE/POD`, `node/NAME` or `external`.
    pub target: String,
    /// The lab.
    #[arg(long, default_value = "lab")]
    pub name: String,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct LabDownArgs {
    /// The lab.
    #[arg(conflicts_with = "all")]
    pub name: Option<String>,
    /// Every lab on this machine.
    #[arg(long)]
    pub all: bool,
}
