//! `kubereach serve`: loads the sources the way every command does and hands
//! them to `kubereach_serve`, which reads them again on each refresh.

use anyhow::{Context, Result};
use kubereach_core::cni::{PluginOverrides, PolicyView};
use kubereach_serve::{Loader, Options, Sources};

use crate::args::{LoadArgs, ServeArgs, SourceArgs};
use crate::exit::ExitStatus;

pub fn run(args: ServeArgs) -> Result<ExitStatus> {
    // The findings' rules, read as `check` reads them: a broken config file
    // is an input error before anything is loaded.
    let rules = match super::check::read_config(args.config.as_deref()) {
        Ok(file) => file.rules,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitStatus::Error);
        }
    };
    let plugin = args.plugin.overrides();
    let view = if args.as_written { PolicyView::AsWritten } else { PolicyView::Effective };
    let sources = match &args.diff {
        Some(paths) => {
            let (old, new) = (paths[0].clone(), paths[1].clone());
            Sources {
                current: paths_loader(vec![new.clone()], args.source.load.clone()),
                old: Some(paths_loader(vec![old.clone()], args.source.load.clone())),
                live: false,
                name: format!("{old} → {new}"),
                dns: dns_answerer(plugin.clone()),
                plugin,
                rules,
                view,
            }
        }
        None => {
            let live = args.source.reads_live();
            let name = if live && args.source.filenames.is_empty() {
                "the live cluster".to_owned()
            } else {
                args.source.filenames.join(", ")
            };
            Sources {
                current: source_loader(args.source.clone()),
                old: None,
                live,
                name,
                dns: dns_answerer(plugin.clone()),
                plugin,
                rules,
                view,
            }
        }
    };
    if !args.listen.ip().is_loopback() && args.allow_remote {
        eprintln!(
            "kubereach: warning: serving on {}, not loopback: anyone who can reach it and has the URL sees the cluster's data",
            args.listen
        );
    }
    let server = match kubereach_serve::bind(
        Options {
            listen: args.listen,
            allow_remote: args.allow_remote,
            limits: kubereach_serve::connections::Limits::DEFAULT,
        },
        sources,
    ) {
        Ok(server) => server,
        Err(kubereach_serve::Error::Load(message)) => {
            eprintln!("kubereach: {message}");
            return Ok(ExitStatus::Error);
        }
        Err(error) => return Err(error).context("cannot start the server"),
    };
    let url = server.url();
    println!("kubereach serve: open {url}");
    println!("(read-only; press Ctrl-C to stop)");
    if args.open {
        open_browser(&url);
    }
    server.run().context("the server stopped")?;
    Ok(ExitStatus::Success)
}

fn source_loader(source: SourceArgs) -> Loader {
    Box::new(move || {
        let loaded = super::load(&source).ok_or("the live cluster could not be read (see the terminal)")?;
        accept(loaded)
    })
}

fn paths_loader(paths: Vec<String>, load: LoadArgs) -> Loader {
    Box::new(move || accept(super::load_paths(&paths, &load)))
}

fn accept(loaded: super::Loaded) -> Result<kubereach_core::Cluster, String> {
    if loaded.failed {
        return Err(
            "the input has errors (see the terminal); pass --keep-going to serve what loaded".to_owned()
        );
    }
    Ok(loaded.cluster)
}

fn dns_answerer(plugin: PluginOverrides) -> kubereach_serve::DnsAnswerer {
    Box::new(move |cluster, query| {
        super::dns::document(cluster, query, &plugin).map_err(|error| error.to_string())
    })
}

/// Best effort: the URL is printed either way.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(error) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("kubereach: cannot start `{opener}`: {error}; open the URL above by hand");
    }
}
