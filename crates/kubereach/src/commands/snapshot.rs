//! `kubereach snapshot -o FILE`: a live cluster as one `kind: List` file,
//! or (`--binary`) a live cluster or manifests as a binary snapshot.

use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::args::SnapshotArgs;
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &SnapshotArgs) -> Result<ExitStatus> {
    if args.binary {
        return run_binary(args);
    }
    let Some(read) = read_live(args) else { return Ok(ExitStatus::Error) };
    let text = kubereach_load::snapshot_yaml(&read, &output::now_rfc3339());
    if args.output == "-" {
        output::write_stdout(&text)?;
    } else {
        kubereach_load::write_snapshot(std::path::Path::new(&args.output), &text)?;
        wrote(args, read.objects.len(), &read.source);
    }
    Ok(ExitStatus::Success)
}

/// The live cluster the flags choose, read whole; `None` (the reasons
/// printed) when it could not be.
fn read_live(args: &SnapshotArgs) -> Option<kubereach_load::LiveRead> {
    let source = match super::live_source(&args.live) {
        Ok(source) => source,
        Err(diagnostic) => {
            output::print_diagnostics(&[diagnostic]);
            return None;
        }
    };
    let options =
        kubereach_load::LiveOptions { env_values: env_values(args), ..super::live_options(&args.live) };
    let read = kubereach_load::read_live(&source, &options);
    let errors = output::print_diagnostics_only(&read.diagnostics);
    // A snapshot of a cluster that could not be read would mislead whoever
    // gets it; one missing kind is said in the file's header.
    if errors > 0 {
        eprintln!("kubereach: no snapshot written: the cluster could not be read whole");
        return None;
    }
    Some(read)
}

fn env_values(args: &SnapshotArgs) -> kubereach_load::EnvValues {
    if args.include_env_values {
        kubereach_load::EnvValues::Kept
    } else {
        kubereach_load::EnvValues::Dropped
    }
}

/// `snapshot --binary`: of the manifests `-f` names, else of the live cluster.
fn run_binary(args: &SnapshotArgs) -> Result<ExitStatus> {
    let (snapshot, source) = if args.filenames.is_empty() {
        let Some(read) = read_live(args) else { return Ok(ExitStatus::Error) };
        let source = read.source.clone();
        // The live read's warnings are recorded: loading the snapshot says them again.
        (kubereach_load::BinarySnapshot::from_live(read, env_values(args)), source)
    } else {
        let inputs: Vec<kubereach_load::Input> =
            args.filenames.iter().map(|f| kubereach_load::Input::from_arg(f)).collect();
        let options = kubereach_load::LoadOptions {
            progress: output::terminal::progress(),
            ..kubereach_load::LoadOptions::new()
        };
        let snapshot = kubereach_load::BinarySnapshot::from_inputs(&inputs, &options, env_values(args));
        // Broken input would be broken in every answer from the snapshot: fix it first.
        if output::print_diagnostics(snapshot.diagnostics()) > 0 {
            eprintln!("kubereach: no snapshot written: the input has errors");
            return Ok(ExitStatus::Error);
        }
        (snapshot, args.filenames.join(", "))
    };
    let bytes = snapshot.to_bytes()?;
    if args.output == "-" {
        if std::io::stdout().is_terminal() {
            eprintln!(
                "kubereach: a binary snapshot is not written to a terminal: redirect it, or give `-o FILE`"
            );
            return Ok(ExitStatus::Error);
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&bytes)?;
        stdout.flush()?;
    } else {
        kubereach_load::write_snapshot(std::path::Path::new(&args.output), &bytes)?;
        wrote(args, snapshot.objects(), &source);
    }
    Ok(ExitStatus::Success)
}

fn wrote(args: &SnapshotArgs, objects: usize, source: &str) {
    eprintln!("wrote {objects} objects from {source} to {}", args.output);
    if args.include_env_values {
        eprintln!("note: the snapshot holds the values of environment variables: keep it as a secret");
    }
}
