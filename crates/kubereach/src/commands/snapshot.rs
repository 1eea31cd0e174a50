//! `kubereach snapshot -o FILE`: a live cluster as one `kind: List` file.

use anyhow::Result;

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
    let env_values = if args.include_env_values {
        kubereach_load::EnvValues::Kept
    } else {
        kubereach_load::EnvValues::Dropped
    };
    let options = kubereach_load::LiveOptions { env_values, ..super::live_options(&args.live) };
    let read = kubereach_load::read_live(&source, &options);
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
        kubereach_load::write_snapshot(std::path::Path::new(&args.output), &text)?;
        eprintln!("wrote {} objects from {} to {}", read.objects.len(), read.source, args.output);
        if args.include_env_values {
            eprintln!("note: the snapshot holds the values of environment variables: keep it as a secret");
        }
    }
    Ok(ExitStatus::Success)
}
