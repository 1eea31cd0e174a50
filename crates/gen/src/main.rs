//! The `kubereach-gen` binary: [`kubereach_gen::run`] on the command line.

use std::process::ExitCode;

use kubereach_gen::{run, Stop, USAGE};

fn main() -> ExitCode {
    match run(std::env::args().skip(1)) {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(Stop::Help) => {
            eprintln!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(Stop::Usage(message)) => {
            eprintln!("kubereach-gen: {message}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Stop::Failed(message)) => {
            eprintln!("kubereach-gen: {message}");
            ExitCode::from(2)
        }
    }
}
