//! One module per command.

use anyhow::Result;

use crate::args::{Args, Command, LiveArgs, LoadArgs, SourceArgs};
use crate::exit::ExitStatus;

mod check;
mod completion;
mod demo;
#[cfg(test)]
pub use demo::DEMO_FILES;
mod diff;
mod dns;
mod error;
mod inventory;
mod lab;
mod matrix;
mod routes;
mod serve;
mod snapshot;
mod trace;

pub fn run(args: Args) -> Result<ExitStatus> {
    match args.command {
        Command::Demo(args) => demo::run(&args),
        Command::Inventory(args) => inventory::run(&args),
        Command::Matrix(args) => matrix::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::Routes(args) => routes::run(&args),
        Command::Dns(args) => dns::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Completion(args) => completion::run(&args),
        Command::Serve(args) => serve::run(args),
    }
}

/// A loaded cluster and whether its input had errors.
pub struct Loaded {
    pub cluster: kubereach_core::Cluster,
    /// Input errors were printed and `--keep-going` was not given.
    pub failed: bool,
    /// The live cluster's default namespace (its kubeconfig context's), when one was read.
    pub context_namespace: Option<String>,
    /// Input errors left nothing to analyse (`-f` a path that cannot be
    /// read, every document broken): an answer would describe an empty
    /// cluster, so query commands print none.
    pub nothing_loaded: bool,
}

/// What [`load_live`] read.
pub struct LiveCluster {
    /// The cluster as messages name it.
    pub name: String,
    /// The namespace kubectl would use without `-n`.
    pub default_namespace: Option<String>,
}

/// Loads the sources and prints the diagnostics to stderr. `None` when the
/// live cluster could not be read at all (unreachable, credentials
/// rejected): any answer would describe an empty cluster, so commands stop
/// with exit 2 instead.
pub fn load(source: &SourceArgs) -> Option<Loaded> {
    let mut builder = kubereach_core::ClusterBuilder::new();
    let live = source.reads_live().then(|| load_live(&source.live, &mut builder));
    let inputs: Vec<kubereach_load::Input> =
        source.filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
    kubereach_load::load_into(&inputs, &options(&source.load), &mut builder);
    let nothing_read = builder.is_empty();
    let unreadable = matches!(live, Some(None));
    let mut loaded = analysable(finish_with(builder.build(), &source.load, unreadable, nothing_read)?)?;
    loaded.context_namespace = live.flatten().and_then(|live| live.default_namespace);
    Some(loaded)
}

/// Reads the live cluster `live` chooses into `builder`. Returns its name
/// and default namespace, or `None` when it could not be read at all (the
/// reason is a diagnostic).
pub fn load_live(live: &LiveArgs, builder: &mut kubereach_core::ClusterBuilder) -> Option<LiveCluster> {
    let source = match live_source(live) {
        Ok(source) => source,
        Err(diagnostic) => {
            builder.diagnostic(diagnostic);
            return None;
        }
    };
    let read = kubereach_load::read_live(&source, &live_options(live));
    let failed = read.failed;
    let cluster =
        LiveCluster { name: read.source.clone(), default_namespace: read.default_namespace.clone() };
    kubereach_load::lower_live(read, builder);
    (!failed).then_some(cluster)
}

/// The cluster the flags choose: `--server`, else a kubeconfig context.
pub fn live_source(live: &LiveArgs) -> Result<kubereach_load::LiveSource, kubereach_core::Diagnostic> {
    let Some(url) = &live.server else {
        return Ok(kubereach_load::LiveSource::Kubeconfig {
            path: live.kubeconfig.clone(),
            context: live.context.clone(),
        });
    };
    let token = match &live.token_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(token) => Some(token.trim().to_owned()),
            Err(error) => {
                return Err(kubereach_core::Diagnostic::error(
                    kubereach_core::origin::Location::new(Some(path.display().to_string()), 0),
                    format!("cannot read the token file: {error}"),
                ));
            }
        },
    };
    Ok(kubereach_load::LiveSource::Server { url: url.clone(), token })
}

pub fn live_options(live: &LiveArgs) -> kubereach_load::LiveOptions {
    kubereach_load::LiveOptions {
        namespaces: live.namespaces.clone(),
        timeout: live.request_timeout,
        progress: crate::output::terminal::progress(),
        max_response_size: live.max_response_size.saturating_mul(1024 * 1024),
        deadline: live.read_deadline,
        env_values: kubereach_load::EnvValues::Dropped,
    }
}

/// Loads `filenames` (`-` for stdin) and prints the diagnostics to stderr.
pub fn load_paths(filenames: &[String], load: &LoadArgs) -> Loaded {
    let inputs: Vec<kubereach_load::Input> =
        filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
    let mut builder = kubereach_core::ClusterBuilder::new();
    kubereach_load::load_into(&inputs, &options(load), &mut builder);
    let nothing_read = builder.is_empty();
    finish(builder.build(), load, nothing_read)
}

fn options(load: &LoadArgs) -> kubereach_load::LoadOptions {
    kubereach_load::LoadOptions {
        cluster_domain: load.cluster_domain.clone(),
        max_file_size: load.max_file_size.saturating_mul(1024 * 1024),
        progress: crate::output::terminal::progress(),
    }
}

/// The placeholder for the live cluster as a side of a comparison
/// (`diff OLD NEW`, `routes --diff OLD NEW`).
pub const LIVE: &str = "@live";

/// Loads one side of a comparison: `@live` reads the live cluster `live`
/// chooses, anything else is paths. Returns the cluster and its name for
/// the report; `None` when the live cluster could not be read.
pub fn load_side(paths: &[String], live: &LiveArgs, load: &LoadArgs) -> Option<(Loaded, String)> {
    if paths != [LIVE] {
        return Some((analysable(load_paths(paths, load))?, paths.join(", ")));
    }
    let mut builder = kubereach_core::ClusterBuilder::new();
    let name = load_live(live, &mut builder).map(|live| live.name);
    let nothing_read = builder.is_empty();
    let loaded = analysable(finish_with(builder.build(), load, name.is_none(), nothing_read)?)?;
    Some((loaded, name?))
}

/// `--keep-going` analyses what loaded despite input errors; when errors
/// left nothing at all (`-f` a path that does not exist, every document
/// broken), there is nothing to analyse and the answer would pass a gate
/// on an empty cluster, so it fails whatever the flag says.
fn finish(cluster: kubereach_core::Cluster, load: &LoadArgs, nothing_read: bool) -> Loaded {
    if !nothing_read {
        let errors = crate::output::print_diagnostics(cluster.diagnostics());
        return Loaded {
            cluster,
            failed: errors > 0 && !load.keep_going,
            context_namespace: None,
            nothing_loaded: false,
        };
    }
    let errors = crate::output::print_diagnostics_only(cluster.diagnostics());
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        eprintln!("kubereach: {errors} input error{plural}; nothing could be loaded");
    }
    Loaded { cluster, failed: errors > 0, context_namespace: None, nothing_loaded: errors > 0 }
}

/// `None` when input errors left nothing to analyse (the errors are
/// already printed): the command stops with exit 2 and prints no answer.
fn analysable(loaded: Loaded) -> Option<Loaded> {
    (!loaded.nothing_loaded).then_some(loaded)
}

/// Prints the diagnostics; `None` when the live cluster could not be read
/// (then without "the rest was loaded").
pub fn finish_with(
    cluster: kubereach_core::Cluster,
    load: &LoadArgs,
    unreadable: bool,
    nothing_read: bool,
) -> Option<Loaded> {
    if unreadable {
        crate::output::print_diagnostics_only(cluster.diagnostics());
        return None;
    }
    Some(finish(cluster, load, nothing_read))
}
