//! kubereach-gen: synthetic clusters, for benchmarks and scale tests.
//!
//! Writes a deterministic cluster as multi-document YAML manifests:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --pods 100000 --out DIR
//! cargo run --release -p kubereach-gen -- --shape realistic \
//!     --pods 10000 --policies 2000 --namespaces 200 --out DIR [--seed 42]
//! cargo run --release -p kubereach-gen -- --shape standalone --pods 2000 \
//!     --out A && cargo run --release -p kubereach-gen -- --shape standalone \
//!     --pods 2000 --shuffle-seed 7 --out B
//! ```
//!
//! Three shapes: `scale` (the default, `scale/`), the uniform shape the scale
//! targets are measured on; `realistic` (`realistic/`), which looks like a
//! real cluster in all its variety; and `standalone` (`standalone/`), Pods
//! with no controller as `kubectl get -o yaml` dumps them, whose documents
//! `--shuffle-seed` writes in another order (the two sides of a `diff` that
//! must find no change). Only the standard library is used, and the same
//! arguments always give byte-identical output.
//!
//! The binary is a thin wrapper around [`run`], which tests call to write a
//! cluster without a second binary.

mod out;
mod realistic;
mod rng;
mod scale;
mod standalone;
mod yaml;

use std::path::PathBuf;

use out::Totals;

/// The usage text, printed with `--help` and after a usage error.
pub const USAGE: &str = "\
usage: kubereach-gen --out DIR [--shape scale|realistic|standalone] [--pods N]
                     [--policies P] [--namespaces K] [--seed S] [--shuffle-seed T]

  --out DIR         directory to write the manifests into (created if missing)
  --shape SHAPE     scale (default): 10 Deployments of 5 replicas, a Service each and
                    10 NetworkPolicies per namespace; realistic: varied workloads,
                    Services, Ingresses and every form of NetworkPolicy; standalone:
                    Pods with no controller, with status.podIP and a Ready condition,
                    named ports, and the scale shape's 10 NetworkPolicy forms
                    (default-deny, pod and namespace selectors, both, ipBlocks with
                    except, named ports, an egress DNS rule)
  --pods N          Deployment (and StatefulSet) replicas, or standalone Pods, in
                    total (default 1000)
  --policies P      NetworkPolicies in total (default: scale and standalone 10 per
                    namespace, realistic 200)
  --namespaces K    generated namespaces, besides the system ones (default: scale
                    N / 50, realistic 20, standalone N / 100)
  --seed S          seed of the pseudo-random generator (default 42)
  --shuffle-seed T  standalone only: the same documents as without it, in an order
                    and files (part-NNNN.yaml) shuffled with seed T, for the other
                    side of a diff";

/// The cluster shapes the generator knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Scale,
    Realistic,
    Standalone,
}

/// The command line as given; each shape fills in its own defaults.
#[derive(Debug)]
struct Args {
    shape: Shape,
    pods: u64,
    policies: Option<u64>,
    namespaces: Option<u64>,
    seed: u64,
    shuffle_seed: Option<u64>,
    out: PathBuf,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        shape: Shape::Scale,
        pods: 1000,
        policies: None,
        namespaces: None,
        seed: 42,
        shuffle_seed: None,
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
            "--shuffle-seed" => parsed.shuffle_seed = Some(parse_number(&flag, &value)?),
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    parsed.out = out.ok_or("--out DIR is required")?;
    if parsed.shuffle_seed.is_some() && parsed.shape != Shape::Standalone {
        return Err("--shuffle-seed applies to --shape standalone only".into());
    }
    Ok(parsed)
}

fn parse_shape(value: &str) -> Result<Shape, String> {
    match value {
        "scale" => Ok(Shape::Scale),
        "realistic" => Ok(Shape::Realistic),
        "standalone" => Ok(Shape::Standalone),
        _ => Err(format!("--shape expects scale, realistic or standalone, got {value:?}")),
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
        Shape::Standalone => {
            let namespaces =
                args.namespaces.unwrap_or(args.pods.div_ceil(standalone::PODS_PER_NAMESPACE).max(1));
            if namespaces == 0 || namespaces > 99_999 {
                return Err("--namespaces must be between 1 and 99999".into());
            }
            if args.pods > standalone::MAX_PODS {
                return Err(format!(
                    "--pods must be at most {} in the standalone shape",
                    standalone::MAX_PODS
                ));
            }
            let standalone_args = standalone::Args {
                pods: args.pods,
                policies: args.policies.unwrap_or(namespaces * scale::POLICY_FORMS),
                namespaces,
                seed: args.seed,
                shuffle_seed: args.shuffle_seed,
            };
            standalone::generate(&standalone_args, &args.out).map(|totals| (totals, namespaces))
        }
    };
    written.map_err(|err| format!("writing {}: {err}", args.out.display()))
}

/// Why [`run`] wrote nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--help` was asked.
    Help,
    /// The command line is wrong (the message says why).
    Usage(String),
    /// A shape's limits or a write failed (the message says why).
    Failed(String),
}

/// Runs the generator on `args` (the command line without the program
/// name) and returns the summary line of what it wrote.
pub fn run(args: impl IntoIterator<Item = String>) -> Result<String, Stop> {
    let args = parse_args(args.into_iter()).map_err(|message| match message.is_empty() {
        true => Stop::Help,
        false => Stop::Usage(message),
    })?;
    let (t, namespaces) = generate(&args).map_err(Stop::Failed)?;
    Ok(format!(
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
    ))
}
