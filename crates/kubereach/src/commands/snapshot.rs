//! `kubereach snapshot -o FILE`: a live cluster as one `kind: List` file.

use anyhow::{Context, Result};

use crate::args::SnapshotArgs;
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &SnapshotArgs) -> Result<ExitStatus> {
    let source = match super::live_source(&args.live) {
        Ok(source) => source,
        Err(diagnostic) => {
            output::print_diagnostics(&[diagnostic]);
            return Ok(ExitStatus::Error);
        }
    };
    let read = kubereach_load::read_live(&source, &super::live_options(&args.live));
    let errors = output::print_diagnostics_only(&read.diagnostics);
    // A snapshot of a cluster that could not be read would mislead whoever
    // gets it; one missing kind is said in the file's header.
    if errors > 0 {
        eprintln!("kubereach: no snapshot written: the cluster could not be read whole");
        return Ok(ExitStatus::Error);
    }
    let text = kubereach_load::snapshot_yaml(&read, &output::now_rfc3339());
    if args.output == "-" {
        output::write_stdout(&text)?;
    } else {
        kubereach_load::write_snapshot(std::path::Path::new(&args.output), &text)
            .with_context(|| format!("cannot write {}", args.output))?;
        eprintln!("wrote {} objects from {} to {}", read.objects.len(), read.source, args.output);
    }
    Ok(ExitStatus::Success)
}
