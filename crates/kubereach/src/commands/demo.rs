//! `kubereach demo`: the built-in example cluster and a guided tour of it.

use std::path::Path;

use anyhow::{Context, Result};
use kubereach_core::cni::{PluginOverrides, PolicyView};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, TraceDestination, TraceOptions, TraceSource};
use kubereach_core::ClusterBuilder;

use crate::args::DemoArgs;
use crate::exit::ExitStatus;
use crate::output;

/// The demo manifests, embedded so the binary needs no files.
pub const DEMO_FILES: &[(&str, &str)] = &[
    ("00-namespaces.yaml", include_str!("../../demo/00-namespaces.yaml")),
    ("10-kube-system.yaml", include_str!("../../demo/10-kube-system.yaml")),
    ("20-ingress-nginx.yaml", include_str!("../../demo/20-ingress-nginx.yaml")),
    ("30-production.yaml", include_str!("../../demo/30-production.yaml")),
    ("40-ingress.yaml", include_str!("../../demo/40-ingress.yaml")),
    ("50-network-policies.yaml", include_str!("../../demo/50-network-policies.yaml")),
    ("60-monitoring.yaml", include_str!("../../demo/60-monitoring.yaml")),
];

pub fn run(args: &DemoArgs) -> Result<ExitStatus> {
    if let Some(dir) = &args.export {
        export(dir)?;
        output::write_stdout(&format!(
            "wrote {} manifests to {}\nrun: kubereach inventory -f {}\n",
            DEMO_FILES.len(),
            dir.display(),
            dir.display()
        ))?;
        return Ok(ExitStatus::Success);
    }
    let cluster = demo_cluster();
    let mut tour = String::new();
    tour.push_str("kubereach demo: a small production cluster with a few realistic faults.\n");
    tour.push_str("(export it with `kubereach demo --export DIR` and re-run any command with `-f DIR`)\n\n");
    tour.push_str("== what was loaded (kubereach inventory) ==\n");
    let inventory = kubereach_core::inventory::inventory(&cluster);
    tour.push_str(&output::inventory::human(&inventory, false));
    for diagnostic in cluster.diagnostics() {
        tour.push_str(&format!("{diagnostic}\n"));
    }
    let plugin = kubereach_core::cni::behaviour(&cluster, &PluginOverrides::default());
    let engine = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::AsWritten);
    let options = TraceOptions { protocol: Protocol::Tcp, http: Default::default() };
    for (question, source, destination) in TOUR_TRACES {
        tour.push_str(&format!("\n== {question} (kubereach trace {source} {destination}) ==\n"));
        let source = TraceSource::parse(source)?;
        let destination = TraceDestination::parse(destination)?;
        let report = trace::trace(&cluster, &engine, &source, &destination, &options);
        tour.push_str(&output::trace::human(&report));
    }
    tour.push_str("\n== what is wrong (kubereach check) ==\n");
    let report = kubereach_core::check::check(&cluster, &kubereach_core::check::Config::default(), &plugin);
    // The demo's files are embedded, so findings carry no column.
    tour.push_str(&output::check::human(&report));
    output::write_stdout(&tour)?;
    Ok(ExitStatus::Success)
}

/// The questions the tour asks, each answered by `trace`.
const TOUR_TRACES: &[(&str, &str, &str)] = &[
    ("can the public reach the API?", "external", "https://api.yourapp.com/v1/users"),
    ("can the public reach the web front end?", "external", "https://api.yourapp.com/"),
    ("why can't frontend reach api?", "production/frontend", "http://api-service.production/healthz"),
    ("can the worker call the API?", "production/worker", "http://api-service.production/"),
    ("does the metrics Service have endpoints?", "monitoring/prometheus", "svc/monitoring/metrics:9090"),
];

/// The demo cluster, loaded from the embedded manifests.
pub fn demo_cluster() -> kubereach_core::Cluster {
    let mut builder = ClusterBuilder::new();
    for (name, text) in DEMO_FILES {
        kubereach_load::load_str(Some(&format!("demo/{name}")), text, &mut builder);
    }
    builder.build()
}

fn export(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in DEMO_FILES {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
