//! The `kubereach` command: argument parsing, loading, and rendering. The
//! answers themselves come from `kubereach-core`.

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;

mod args;
mod commands;
mod exit;
#[cfg(test)]
mod man;
mod output;
mod plugin;

use exit::ExitStatus;

// Loading allocates many small maps and strings; mimalloc makes that about
// a third faster than the system allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    install_panic_hook();
    let matches = plugin::Invocation::of_process().command().get_matches();
    let args = match args::Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    output::terminal::init(&args.terminal);
    let status = match commands::run(args) {
        Ok(status) => status,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitStatus::Success.into();
            }
            let mut message = format!("kubereach: {error}");
            for cause in error.chain().skip(1) {
                message.push_str(&format!(": {cause}"));
            }
            let _ = writeln!(std::io::stderr(), "{message}");
            ExitStatus::Error
        }
    };
    status.into()
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        eprintln!(
            "kubereach: this is a bug; please report it with the command line and, if you can, the input"
        );
    }));
}
