//! Command-line arguments. Validation only; commands turn them into loads
//! and queries.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

pub mod lab;
mod terminal;
pub use terminal::{parse_selector, ColorChoice, CompletionArgs, Selector, Shell, TerminalArgs};

/// Kubernetes networking, modeled exactly and made debuggable.
#[derive(Debug, Parser)]
#[command(name = "kubereach", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub terminal: TerminalArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on the built-in example cluster: a short guided tour.
    Demo(DemoArgs),
    /// What was loaded, per namespace: workloads, services, ingresses, policies.
    Inventory(InventoryArgs),
    /// Who can talk to whom, on which ports (NetworkPolicy and admin policy tiers).
    Matrix(MatrixArgs),
    /// How connectivity changes between two versions of the manifests (exit 1 on differences).
    Diff(DiffArgs),
    /// Can SOURCE reach DESTINATION? Walks the layers and names the first that blocks (exit 1 when blocked).
    Trace(TraceArgs),
    /// The external routing table (Ingress, Gateway API): listener, host and path → Service → pods;
    /// with --diff, whether every request reaches the same place before and after (exit 1 on differences).
    Routes(RoutesArgs),
    /// How a name resolves from a pod: every query its resolver sends, in order, and the answers.
    Dns(DnsArgs),
    /// What is wrong in the cluster's networking: lint rules with stable codes (exit 1 on findings).
    Check(CheckArgs),
    /// Save what a live cluster holds as one `kind: List` file (no secret data) for `-f`.
    Snapshot(SnapshotArgs),
    /// The cluster's networking built for real in network namespaces, and probes that check the
    /// model against packets (Linux, root only).
    Lab(lab::LabArgs),
    /// Print a shell completion script (bash, zsh, fish or powershell), as `kubectl completion` does.
    Completion(CompletionArgs),
    /// A local web page: the connectivity graph, traces, findings and diffs (read-only).
    Serve(ServeArgs),
}

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Show how connectivity changes from OLD to NEW (manifest paths) instead of one cluster.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "filenames")]
    pub diff: Option<Vec<String>>,
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    /// Allow a --listen address other than loopback: anyone who can reach it and has the
    /// printed URL sees the cluster's data.
    #[arg(long)]
    pub allow_remote: bool,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub plugin: PluginArgs,
    /// The config file of the findings' rules [default: `.kubereach.yaml` in the working
    /// directory, if present], as `check` reads it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Draw and explain every policy as written, even the kinds the network plugin does not
    /// enforce [default: the connectivity the plugin gives], as `matrix --as-written`.
    #[arg(long)]
    pub as_written: bool,
}

#[derive(Debug, ClapArgs)]
pub struct SnapshotArgs {
    /// The file to write; `-` for standard output. (Here `-o` names the file: snapshot has one format.)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: String,
    /// Keep the values of containers' environment variables (dropped by default, but for those
    /// the model reads: passwords and API keys are often set there).
    #[arg(long)]
    pub include_env_values: bool,
    /// Write a binary snapshot instead of YAML: every command reads it with `-f` (known by its
    /// content, whatever its name) many times faster, with the same answers; only the kubereach
    /// version that wrote it reads it.
    #[arg(long)]
    pub binary: bool,
    /// Take the snapshot of these manifests (a file, a directory read recursively, `-` for
    /// standard input; repeatable) instead of a live cluster. Needs `--binary`.
    #[arg(short = 'f', long = "filename", value_name = "PATH", requires = "binary")]
    pub filenames: Vec<String>,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Where the cluster comes from (every query command): files, a live cluster, or both.
/// With neither `-f` nor a cluster flag, the kubeconfig's current context is read.
#[derive(Debug, Clone, ClapArgs)]
pub struct SourceArgs {
    /// A manifest file or directory (read recursively); `-` for standard input. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

impl SourceArgs {
    /// Whether to read a live cluster: asked for, or no files given.
    pub fn reads_live(&self) -> bool {
        self.live.requested() || self.filenames.is_empty()
    }
}

/// Which live cluster to read, and how.
#[derive(Debug, Clone, ClapArgs)]
pub struct LiveArgs {
    /// Read a live cluster through this kubeconfig file [default: `KUBECONFIG`, else `~/.kube/config`;
    /// in a pod without one, its service account].
    #[arg(long, value_name = "PATH", conflicts_with = "server")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Read a live cluster through this kubeconfig context [default: the current context].
    #[arg(long, value_name = "NAME", conflicts_with = "server")]
    pub context: Option<String>,
    /// Read a live cluster from this API server URL instead of a kubeconfig (`kubectl proxy`'s
    /// `http://127.0.0.1:8001`, or `https://…` trusted by the system's certificates).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// With --server: send the bearer token in this file.
    #[arg(long, value_name = "PATH", requires = "server")]
    pub token_file: Option<std::path::PathBuf>,
    /// Only these namespaces: a live cluster is listed only there (cluster-scoped kinds are read whole);
    /// `matrix` also keeps only connections with an end in them. Repeatable.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Every namespace, as kubectl's `-A` (the default without `-n`; kubectl's `TYPE/NAME` forms
    /// then have no namespace).
    #[arg(short = 'A', long, conflicts_with = "namespaces")]
    pub all_namespaces: bool,
    /// The time allowed for each request to the cluster (`30s`, `2m`, or seconds).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
    /// The time allowed for reading the whole live cluster, every list and page included.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub read_deadline: std::time::Duration,
    /// Refuse an answer of the API server (one page of a list) larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_response_size: u64,
}

impl LiveArgs {
    /// Whether a cluster flag was given.
    pub fn requested(&self) -> bool {
        self.kubeconfig.is_some() || self.context.is_some() || self.server.is_some()
    }
}

/// `30s`, `2m`, `500ms` or a number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration such as `30s` or `2m`"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` is not a positive duration"));
    }
    Ok(std::time::Duration::from_secs_f64(value * scale))
}

/// How to read manifests.
#[derive(Debug, Clone, ClapArgs)]
pub struct LoadArgs {
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

/// What the network plugin does where the Kubernetes API leaves a choice
/// (every query command alike). Detected from the input; these flags override it.
#[derive(Debug, Clone, ClapArgs)]
pub struct PluginArgs {
    /// The network plugin, when the input does not show it (`calico`, `cilium`, `flannel`, …).
    #[arg(long, value_name = "NAME")]
    pub cni: Option<String>,
    /// Whether ipBlock peers also match pod IPs [default: as the plugin does: Calico and Canal do,
    /// Cilium does not, others are assumed not to].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ip_blocks_match_pods: Option<bool>,
    /// Apply policies to hostNetwork pods like to any pod [default: their traffic is node traffic].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub host_network_as_pods: Option<bool>,
    /// Whether ipBlock peers also match the nodes' addresses (node traffic, SNATed connections)
    /// [default: as the plugin does: Cilium does not unless `policy-cidr-match-mode: nodes`,
    /// others do].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ip_blocks_match_nodes: Option<bool>,
}

impl PluginArgs {
    /// The overrides of the detected plugin behaviour.
    pub fn overrides(&self) -> kubereach_core::cni::PluginOverrides {
        kubereach_core::cni::PluginOverrides {
            cni: self.cni.clone(),
            ip_blocks_match_pods: self.ip_blocks_match_pods,
            host_network_as_pods: self.host_network_as_pods,
            ip_blocks_match_nodes: self.ip_blocks_match_nodes,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// The JSON document as YAML.
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    Human,
    /// Human, with where each object is defined (`file:line`), as kubectl's `-o wide` adds columns.
    Wide,
    Json,
    /// The JSON document as YAML.
    Yaml,
}

#[derive(Debug, ClapArgs)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub plugin: PluginArgs,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = InventoryFormat::Human)]
    pub format: InventoryFormat,
}

#[derive(Debug, ClapArgs)]
pub struct DemoArgs {
    /// Write the demo manifests into DIR instead of running the tour.
    #[arg(long, value_name = "DIR")]
    pub export: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    Human,
    Json,
    /// The JSON document as YAML.
    Yaml,
    /// netpol-analyzer's `list` text: `src => dst : TCP 8080`.
    Connlist,
    Csv,
    Md,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Ingress,
    Egress,
}

#[derive(Debug, ClapArgs)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = MatrixFormat::Human)]
    pub format: MatrixFormat,
    /// One node per pod instead of per workload.
    #[arg(long)]
    pub pods: bool,
    /// Keep connections with an end at this workload or pod (`NAMESPACE/NAME` or `NAME`). Repeatable.
    #[arg(long, value_name = "NAMESPACE/NAME")]
    pub focus: Vec<String>,
    /// Keep connections with an end at a workload (with --pods, a pod) whose own labels match this
    /// label query, as `kubectl get -l` matches them (`app=api,tier in (web,api)`); adds to --focus.
    #[arg(short = 'l', long, value_name = "SELECTOR", value_parser = parse_selector)]
    pub selector: Option<Selector>,
    /// With --focus: keep only connections whose other end is this workload or pod. Repeatable.
    #[arg(long, value_name = "NAMESPACE/NAME", requires = "focus")]
    pub focus_peer: Vec<String>,
    /// With --focus or --namespace: only connections into it (ingress) or out of it (egress).
    #[arg(long, value_enum)]
    pub direction: Option<DirectionArg>,
    /// Keep connections allowing this port, as `PORT` (TCP) or `PROTOCOL/PORT`.
    #[arg(long, value_name = "[PROTOCOL/]PORT", value_parser = parse_port)]
    pub port: Option<(kubereach_core::ports::Protocol, u16)>,
    /// Explain one pair instead: which policies and rules allow or deny each part.
    /// Each end is `NAMESPACE/NAME` (workload or pod) or an IP address.
    #[arg(long, num_args = 2, value_names = ["SOURCE", "DESTINATION"])]
    pub explain: Option<Vec<String>>,
    /// Leave out the symbolic `{ingress-controller}` source of Ingress traffic.
    /// The Gateways' peers (`{gateway:NAMESPACE/NAME}`) are left out with it.
    #[arg(long)]
    pub no_ingress_controller: bool,
    /// Evaluate every policy as written, even the kinds the network plugin does not enforce
    /// [default: the connectivity the plugin gives].
    #[arg(long)]
    pub as_written: bool,
    #[command(flatten)]
    pub plugin: PluginArgs,
}

fn parse_port(text: &str) -> Result<(kubereach_core::ports::Protocol, u16), String> {
    let (protocol, port) = match text.split_once('/') {
        Some((protocol, port)) => (protocol, port),
        None => ("TCP", text),
    };
    let protocol = kubereach_core::ports::Protocol::parse(protocol)
        .ok_or_else(|| format!("unknown protocol `{protocol}`: use TCP, UDP or SCTP"))?;
    let port: u16 = port.parse().map_err(|_| format!("`{port}` is not a port number"))?;
    if port == 0 {
        return Err("port 0 is not a port".to_owned());
    }
    Ok((protocol, port))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    /// The JSON document as YAML.
    Yaml,
    Csv,
    Md,
    /// netpol-analyzer's `diff` text: `diff-type: added, source: …`.
    Connlist,
}

/// `kubereach diff OLD NEW`: each side a manifest path or `@live`, the live cluster that the
/// cluster flags choose. `kubereach diff --context prod -f new/` is `diff @live new/`.
#[derive(Debug, ClapArgs)]
pub struct DiffArgs {
    /// The old version: a manifest file or directory, or `@live` for the live cluster.
    #[arg(value_name = "OLD")]
    pub old: Option<String>,
    /// The new version: a manifest file or directory, or `@live` for the live cluster.
    #[arg(value_name = "NEW")]
    pub new: Option<String>,
    /// The new version, with the live cluster as the old one (instead of OLD NEW). Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH", conflicts_with = "new")]
    pub filenames: Vec<String>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Compare pods instead of workloads.
    #[arg(long)]
    pub pods: bool,
    /// Compare every policy as written, even the kinds the network plugin does not enforce
    /// [default: the connectivity the plugin gives].
    #[arg(long)]
    pub as_written: bool,
    #[command(flatten)]
    pub plugin: PluginArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Debug, ClapArgs)]
pub struct TraceArgs {
    /// `NAMESPACE/NAME` (a pod, or a workload standing for its pods), kubectl's `deploy/NAME` or
    /// `pod/NAME` in the namespace of `-n` (else the live context's, else `default`), or `external` /
    /// `external:IP`.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// A URL (`http://api.prod/healthz`), `HOST:PORT`, `svc/NAMESPACE/NAME:PORT` or `NAMESPACE/NAME:PORT`;
    /// or kubectl's `svc/NAME:PORT`, `deploy/NAME:PORT`, `pod/NAME:PORT` in the namespace of `-n`.
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
    #[command(flatten)]
    pub source_args: SourceArgs,
    /// The transport protocol (URLs are always TCP).
    #[arg(long, value_enum, default_value_t = ProtocolArg::Tcp)]
    pub protocol: ProtocolArg,
    #[command(flatten)]
    pub plugin: PluginArgs,
    /// The HTTP method of a URL's request, for Gateway API route matches (`GET` by default).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// A header of a URL's request, `'NAME: VALUE'`, for Gateway API route matches (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `kubereach routes`: the routing table of one cluster, or `--diff OLD NEW`.
#[derive(Debug, ClapArgs)]
pub struct RoutesArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Compare the routing of OLD and NEW (manifest files or directories, or `@live` for the live
    /// cluster) instead: for every host and path a client can request, whether it reaches the same
    /// backend (exit 1 on differences).
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "filenames")]
    pub diff: Option<Vec<String>>,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub plugin: PluginArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryTypeArg {
    A,
    Aaaa,
    Srv,
    Ptr,
    Cname,
}

#[derive(Debug, ClapArgs)]
pub struct DnsArgs {
    /// The name to resolve (a PTR query takes an IP address).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The pod that resolves it: `NAMESPACE/NAME` (a pod, or a workload standing for its pods).
    #[arg(long, value_name = "NAMESPACE/POD")]
    pub from: String,
    /// The query type.
    #[arg(long = "type", value_enum, default_value_t = QueryTypeArg::A, ignore_case = true)]
    pub query_type: QueryTypeArg,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub plugin: PluginArgs,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    /// The JSON document as YAML.
    Yaml,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Error,
    Warning,
    Info,
}

#[derive(Debug, ClapArgs)]
pub struct CheckArgs {
    /// Manifest files or directories, as with `-f` (how pre-commit passes changed files).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(short = 'o', long, visible_alias = "output", value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Exit 1 when a finding is at least this severe [default: error, or `check.fail-on` of the config file].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Run this rule (name or code), even if the config file turns it off. Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable: Vec<String>,
    /// Do not run this rule (name or code). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub disable: Vec<String>,
    /// The config file [default: `.kubereach.yaml` in the working directory, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Keep findings about objects whose own labels match this label query, as `kubectl get -l`
    /// matches them (`app=api`).
    #[arg(short = 'l', long, value_name = "SELECTOR", value_parser = parse_selector)]
    pub selector: Option<Selector>,
    /// Print the rule catalogue (code, name, default severity, summary) and exit.
    #[arg(long)]
    pub list_rules: bool,
    #[command(flatten)]
    pub plugin: PluginArgs,
}
