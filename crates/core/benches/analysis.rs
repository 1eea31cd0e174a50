//! The analysis commands on a loaded cluster: `check`, one `trace`, and
//! `matrix --focus`, each from the loaded cluster to its report (the policy
//! engine compiled inside, as the commands do). Run by hand, never in CI.
//!
//! Point `KUBEREACH_BENCH_DIR` at a generated cluster (see the "Analysis at
//! scale" section of `docs/benchmarks.md`); without it the benchmark says
//! how and exits:
//!
//! ```text
//! cargo run --release -p kubereach --example gen-cluster -- \
//!     --pods 10000 --policies 2000 --namespaces 200 --out target/bench-10000
//! KUBEREACH_BENCH_DIR=target/bench-10000 cargo bench -p kubereach-core --bench analysis
//! ```
//!
//! The trace and the focus are `payments-staging-0000/sms-web` to
//! `svc/payments-staging-0000/wishlist-api:80` and
//! `payments-staging-0000/wishlist-api`, which the generator writes at
//! every size with its default seed.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use kubereach_core::check::{check, Config};
use kubereach_core::cni::{behaviour, PolicyView};
use kubereach_core::matrix::{matrix, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{trace, HttpRequestOptions, TraceDestination, TraceOptions, TraceSource};
use kubereach_load::{load, Input, LoadOptions};

fn main() {
    let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR").map(PathBuf::from) else {
        eprintln!(
            "KUBEREACH_BENCH_DIR is not set: nothing to benchmark. Generate a cluster and point it there:\n  \
             cargo run --release -p kubereach --example gen-cluster -- --pods 10000 --policies 2000 \
             --namespaces 200 --out target/bench-10000\n  \
             KUBEREACH_BENCH_DIR=target/bench-10000 cargo bench -p kubereach-core --bench analysis"
        );
        return;
    };
    let cluster = load(&[Input::Path(dir)], &LoadOptions::new());
    let plugin = behaviour(&cluster, &Default::default());
    let source = TraceSource::parse("payments-staging-0000/sms-web").expect("a source");
    let destination =
        TraceDestination::parse("svc/payments-staging-0000/wishlist-api:80").expect("a destination");
    let focus = MatrixOptions {
        granularity: Granularity::Workloads,
        ingress_controller: true,
        filters: Filters {
            focus: vec!["payments-staging-0000/wishlist-api".to_owned()],
            ..Filters::default()
        },
    };
    let options = TraceOptions { protocol: Protocol::Tcp, http: HttpRequestOptions::default() };
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("analysis");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("check", |b| b.iter(|| black_box(check(&cluster, &Config::default(), &plugin))));
    let written = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::AsWritten);
    group.bench_function("trace (engine compiled)", |b| {
        b.iter(|| black_box(trace(&cluster, &written, &source, &destination, &options)))
    });
    group.bench_function("matrix --focus", |b| {
        b.iter(|| {
            let engine = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective);
            black_box(matrix(&engine, &focus).edges.len())
        })
    });
    group.finish();
    criterion.final_summary();
}
