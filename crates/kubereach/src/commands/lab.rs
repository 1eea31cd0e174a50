//! `kubereach lab`: up (or --dry-run), probe, ls, exec, down, and the
//! hidden supervisor. The plan, executor, supervisor and prober live in
//! `kubereach-lab`; this module loads manifests and prints.

use anyhow::{bail, Context, Result};
use kubereach_core::cni::{self, PluginOverrides, PolicyView};
use kubereach_core::policy::PolicyEngine;
use kubereach_lab::exec::{self, State};
use kubereach_lab::plan;

use crate::args::lab::{LabArgs, LabCommand, LabDownArgs, LabExecArgs, LabProbeArgs, LabUpArgs};
use crate::args::Format;
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &LabArgs) -> Result<ExitStatus> {
    match &args.command {
        LabCommand::Up(args) => up(args),
        LabCommand::Probe(args) => probe(args),
        LabCommand::Ls => ls(),
        LabCommand::Exec(args) => exec(args),
        LabCommand::Down(args) => down(args),
        LabCommand::Supervise { name } => {
            let state = exec::read_state(name)?;
            let Some(cluster) = load_lab_cluster(&state) else { return Ok(ExitStatus::Error) };
            kubereach_lab::supervisor::run(name, cluster)?;
            Ok(ExitStatus::Success)
        }
    }
}

fn up(args: &LabUpArgs) -> Result<ExitStatus> {
    let loaded = super::load_paths(&args.filenames, &args.load);
    if loaded.failed {
        return Ok(ExitStatus::Error);
    }
    let plan = plan::build(&loaded.cluster, &args.name, None)?;
    print_caveats(&loaded.cluster);
    if args.dry_run {
        output::write_stdout(&plan.render())?;
        return Ok(ExitStatus::Success);
    }
    let sources = args
        .filenames
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .map(|p| p.display().to_string())
                .with_context(|| format!("cannot read {f}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let state = State {
        plan: plan.clone(),
        sources,
        enforce: None,
        cluster_domain: args.load.cluster_domain.clone(),
    };
    let program = std::env::current_exe().context("cannot find the kubereach executable")?;
    let supervisor = vec![program.display().to_string(), "lab".into(), "supervise".into(), args.name.clone()];
    let mut progress = kubereach_load::progress::ProgressLine::new(output::terminal::progress());
    let result = exec::up(&plan, &state, &supervisor, &mut |done, total, netns| {
        progress.draw(|| format!("lab up: namespace {done} of {total} ({netns})"))
    });
    progress.finish();
    if let Err(error) = result {
        // Leave nothing half-built behind; `down` would do the same.
        if !matches!(error, exec::LabError::Exists(_) | exec::LabError::Busy(_) | exec::LabError::NotRoot) {
            let _ = exec::down(&args.name);
        }
        return Err(error.into());
    }
    output::write_stdout(&format!(
        "lab `{}` is up: {} nodes, {} pods, {} services; NetworkPolicies {}\n\
         try: kubereach lab exec --name {} NAMESPACE/POD -- curl -s http://ADDRESS:PORT/\n\
         then: kubereach lab probe {}; kubereach lab down {}\n",
        args.name,
        plan.topology.nodes.len(),
        plan.topology.pods.len(),
        plan.services.len(),
        if plan.policies_enforced { "enforced" } else { "not enforced (the plugin does not enforce them)" },
        args.name,
        args.name,
        args.name
    ))?;
    Ok(ExitStatus::Success)
}

/// The cluster of a lab, loaded again from the sources `lab up` read, as
/// `up` loaded them; `None` when they no longer load (the errors are
/// printed).
fn load_lab_cluster(state: &State) -> Option<kubereach_core::Cluster> {
    let load = crate::args::LoadArgs {
        cluster_domain: state.cluster_domain.clone(),
        keep_going: false,
        max_file_size: 256,
    };
    let loaded = super::load_paths(&state.sources, &load);
    (!loaded.failed).then_some(loaded.cluster)
}

fn probe(args: &LabProbeArgs) -> Result<ExitStatus> {
    exec::check_environment()?;
    let state = exec::read_state(&args.name)?;
    let Some(cluster) = load_lab_cluster(&state) else { return Ok(ExitStatus::Error) };
    let plan = plan::build(&cluster, &args.name, state.enforce)?;
    if plan != state.plan {
        bail!(
            "the manifests of lab `{}` changed since `lab up`; run `kubereach lab down {}` and `up` again",
            args.name,
            args.name
        );
    }
    for node in &plan.topology.nodes {
        exec::flush_conntrack(&node.netns)?;
    }
    // The lab's own policy compiler never matches pod addresses with ipBlocks.
    let overrides = PluginOverrides {
        ip_blocks_match_pods: Some(false),
        // Nor does it tell node addresses from others: an ipBlock matches them.
        ip_blocks_match_nodes: Some(true),
        ..PluginOverrides::default()
    };
    let plugin = cni::behaviour(&cluster, &overrides);
    let engine = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::AsWritten);
    let (probes, skipped) = kubereach_lab::probe::plan_probes(&cluster, &engine, &plan);
    print_caveats(&cluster);
    let timeout = std::time::Duration::from_millis(args.timeout_ms);
    let nodes: Vec<String> = plan.topology.nodes.iter().map(|n| n.netns.clone()).collect();
    let mut report =
        kubereach_lab::probe::run(&probes, skipped, timeout, &nodes).context("probing failed")?;
    // Whether queries reach cluster DNS: the policies the plugin enforces.
    let effective = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::Effective);
    let (lookups, skipped) = kubereach_lab::dns_probe::plan_lookups(&cluster, &effective, &plan);
    let resolved = kubereach_lab::dns_probe::run(&lookups);
    kubereach_lab::dns_probe::merge(&mut report, &lookups, &resolved, skipped);
    // Ingress requests from `external`, through the lab's ingress controller.
    let (requests, skipped) = kubereach_lab::ingress_probe::plan_requests(&cluster, &engine, &plan);
    let ca = exec::state_dir(&args.name).join(kubereach_lab::ingress_controller::CA_FILE);
    let answers = kubereach_lab::ingress_probe::run(&requests, &ca);
    kubereach_lab::ingress_probe::merge(&mut report, &requests, &answers, skipped);
    match args.format {
        Format::Human => output::write_stdout(&output::probe::human(&report))?,
        Format::Json => output::write_json(&report)?,
        Format::Yaml => output::write_yaml(&report)?,
    }
    Ok(if report.disagree == 0 { ExitStatus::Success } else { ExitStatus::Failure })
}

/// What the lab cannot enforce of Cilium's and Calico's policies (L7
/// rules, `toFQDNs`), on stderr: the lab says so rather than pretend.
fn print_caveats(cluster: &kubereach_core::Cluster) {
    for note in kubereach_lab::native_policy::caveat_notes(cluster) {
        eprintln!("note: {}", output::escape::terminal(&note, false));
    }
}

fn ls() -> Result<ExitStatus> {
    let mut text = String::from("NAME      NODES  PODS  SERVICES  POLICIES  SUPERVISOR\n");
    for name in exec::labs() {
        match exec::read_state(&name) {
            Ok(state) => {
                let plan = &state.plan;
                text.push_str(&format!(
                    "{:<9} {:>5} {:>5} {:>9}  {:<8}  {}\n",
                    name,
                    plan.topology.nodes.len(),
                    plan.topology.pods.len(),
                    plan.services.len(),
                    if plan.policies_enforced { "enforced" } else { "none" },
                    if exec::supervisor_running(&name) { "running" } else { "stopped" }
                ));
            }
            Err(_) => text.push_str(&format!("{name:<9} (incomplete: run `kubereach lab down {name}`)\n")),
        }
    }
    output::write_stdout(&text)?;
    Ok(ExitStatus::Success)
}

fn exec(args: &LabExecArgs) -> Result<ExitStatus> {
    use std::os::unix::process::CommandExt;
    exec::check_environment()?;
    let state = exec::read_state(&args.name)?;
    let topology = &state.plan.topology;
    let netns = if args.target == "external" {
        topology.external.clone()
    } else if let Some(node) = args.target.strip_prefix("node/") {
        match topology.node_named(node) {
            Some(node) => node.netns.clone(),
            None => bail!("no node `{node}` in lab `{}`", args.name),
        }
    } else {
        let Some((namespace, name)) = args.target.split_once('/') else {
            bail!("`{}` is not NAMESPACE/POD, node/NAME or external", args.target)
        };
        match topology.pod_named(namespace, name) {
            Some(pod) => pod.netns.clone(),
            None => bail!("no pod `{namespace}/{name}` in lab `{}`", args.name),
        }
    };
    let error = std::process::Command::new("ip").args(["netns", "exec", &netns]).args(&args.command).exec();
    Err(anyhow::Error::new(error).context("cannot run `ip netns exec`"))
}

fn down(args: &LabDownArgs) -> Result<ExitStatus> {
    let names = match (&args.name, args.all) {
        (_, true) => exec::labs(),
        (Some(name), false) => vec![name.clone()],
        (None, false) => vec!["lab".to_owned()],
    };
    for name in names {
        let report = exec::down(&name)?;
        output::write_stdout(&format!(
            "lab `{}` is down: {} namespaces removed{}\n",
            report.name,
            report.namespaces,
            if report.supervisor { ", supervisor stopped" } else { "" }
        ))?;
    }
    Ok(ExitStatus::Success)
}
