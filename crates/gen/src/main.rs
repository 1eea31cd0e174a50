//! kubereach-gen: synthetic clusters, for benchmarks and scale tests.
//!
//! Writes a deterministic cluster as multi-document YAML manifests:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --pods 100000 --out DIR
//! cargo run --release -p kubereach-gen -- --shape realistic \
//!     --pods 10000 --policies 2000 --namespaces 200 --out DIR [--seed 42]
//! ```
//!
//! Two shapes: `scale` (the default, `scale.rs`), the uniform shape the scale
//! targets are measured on, and `realistic` (`realistic/`), which looks like a
//! real cluster in all its variety. Only the standard library is used, and
//! the same arguments always give byte-identical output.

mod out;
mod realistic;
mod rng;
mod scale;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use out::Totals;

const USAGE: &str = "\
usage: kubereach-gen --out DIR [--shape scale|realistic] [--pods N] [--policies P]
                     [--namespaces K] [--seed S]

  --out DIR         directory to write the manifests into (created if missing)
  --shape SHAPE     scale (default): 10 Deployments of 5 replicas, a Service each and
                    10 NetworkPolicies per namespace; realistic: varied workloads,
                    Services, Ingresses and every form of NetworkPolicy
  --pods N          Deployment (and StatefulSet) replicas in total (default 1000)
  --policies P      NetworkPolicies in total (default: scale 10 per namespace,
                    realistic 200)
  --namespaces K    generated namespaces, besides the system ones (default: scale
                    N / 50, realistic 20)
  --seed S          seed of the pseudo-random generator (default 42)";

/// The cluster shapes the generator knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Scale,
    Realistic,
}

/// The command line as given; each shape fills in its own defaults.
#[derive(Debug)]
struct Args {
    shape: Shape,
    pods: u64,
    policies: Option<u64>,
    namespaces: Option<u64>,
    seed: u64,
    out: PathBuf,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        shape: Shape::Scale,
        pods: 1000,
        policies: None,
        namespaces: None,
        seed: 42,
        out: PathBuf::new(),
    };
    let mut out = None;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--shape" => parsed.shape = parse_shape(&value)?,
            "--pods" => parsed.pods = parse_number(&flag, &value)?,
            "--policies" => parsed.policies = Some(parse_number(&flag, &value)?),
            "--namespaces" => parsed.namespaces = Some(parse_number(&flag, &value)?),
            "--seed" => parsed.seed = parse_number(&flag, &value)?,
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    parsed.out = out.ok_or("--out DIR is required")?;
    Ok(parsed)
}

fn parse_shape(value: &str) -> Result<Shape, String> {
    match value {
        "scale" => Ok(Shape::Scale),
        "realistic" => Ok(Shape::Realistic),
        _ => Err(format!("--shape expects scale or realistic, got {value:?}")),
    }
}

fn parse_number(flag: &str, value: &str) -> Result<u64, String> {
    value.parse().map_err(|_| format!("{flag} expects a non-negative integer, got {value:?}"))
}

/// Generates the cluster; the number of namespaces goes to the summary.
fn generate(args: &Args) -> Result<(Totals, u64), String> {
    let written = match args.shape {
        Shape::Scale => {
            let namespaces = args.namespaces.unwrap_or(args.pods.div_ceil(scale::PODS_PER_NAMESPACE).max(1));
            if namespaces == 0 || namespaces > 99_999 {
                return Err("--namespaces must be between 1 and 99999".into());
            }
            let policies = args.policies.unwrap_or(namespaces * scale::POLICY_FORMS);
            let scale_args = scale::Args { pods: args.pods, policies, namespaces, seed: args.seed };
            scale::generate(&scale_args, &args.out).map(|totals| (totals, namespaces))
        }
        Shape::Realistic => {
            let namespaces = args.namespaces.unwrap_or(20);
            if namespaces == 0 || namespaces > 9999 {
                return Err("--namespaces must be between 1 and 9999".into());
            }
            let realistic_args = realistic::Args {
                pods: args.pods,
                policies: args.policies.unwrap_or(200),
                namespaces,
                seed: args.seed,
                out: args.out.clone(),
            };
            realistic::generate(&realistic_args).map(|totals| (totals, namespaces))
        }
    };
    written.map_err(|err| format!("writing {}: {err}", args.out.display()))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("kubereach-gen: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if message.is_empty() { 0 } else { 2 });
        }
    };
    match generate(&args) {
        Ok((t, namespaces)) => {
            eprintln!(
                "kubereach-gen: {} files, {} bytes, {} pods in {} workloads (+{} daemonsets), \
                 {} services, {} ingresses, {} policies, {} namespaces, seed {}",
                t.files,
                t.bytes,
                t.pods,
                t.workloads,
                t.daemonsets,
                t.services,
                t.ingresses,
                t.policies,
                namespaces,
                args.seed
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("kubereach-gen: {message}");
            ExitCode::from(2)
        }
    }
}
