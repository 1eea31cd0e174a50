//! The analysis commands on a loaded cluster: `check`, one `trace`,
//! `matrix --focus`, the whole `matrix` and `diff` of the cluster with
//! itself, each from the loaded cluster to its report (the policy engine
//! compiled inside, as the commands do; `trace` with the engine compiled
//! beforehand, the query alone); and the parts they share:
//! compiling the policy engine, and the engine's question "what may
//! addresses outside the cluster open to this pod" for every pod (KR309's).
//! Run by hand, never in CI.
//!
//! Point `KUBEREACH_BENCH_DIR` at a generated cluster (see the "Analysis at
//! scale" section of `docs/benchmarks.md`); without it the benchmark says
//! how and exits:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --shape realistic \
//!     --pods 10000 --policies 2000 --namespaces 200 --out target/bench-10000
//! KUBEREACH_BENCH_DIR=$PWD/target/bench-10000 cargo bench -p kubereach-core --bench analysis
//! ```
//!
//! The trace and the focus are `payments-staging-0000/sms-web` to
//! `svc/payments-staging-0000/wishlist-api:80` and
//! `payments-staging-0000/wishlist-api`, which the realistic shape writes at
//! every size with its default seed; `KUBEREACH_BENCH_FROM`,
//! `KUBEREACH_BENCH_TO` and `KUBEREACH_BENCH_FOCUS` name others (the
//! default `scale` shape's `ns0/app0`, say).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use kubereach_core::check::{check, Config};
use kubereach_core::cni::{behaviour, PolicyView};
use kubereach_core::diff::{diff, Side};
use kubereach_core::matrix::{matrix, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{trace, HttpRequestOptions, TraceDestination, TraceOptions, TraceSource};
use kubereach_load::{load, Input, LoadOptions};

fn main() {
    let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR").map(PathBuf::from) else {
        eprintln!(
            "KUBEREACH_BENCH_DIR is not set: nothing to benchmark. Generate a cluster and point it there:\n  \
             cargo run --release -p kubereach-gen -- --shape realistic --pods 10000 --policies 2000 \
             --namespaces 200 --out target/bench-10000\n  \
             KUBEREACH_BENCH_DIR=$PWD/target/bench-10000 cargo bench -p kubereach-core --bench analysis"
        );
        return;
    };
    let cluster = load(&[Input::Path(dir)], &LoadOptions::new());
    let plugin = behaviour(&cluster, &Default::default());
    let named =
        |variable: &str, default: &str| std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    let source = TraceSource::parse(&named("KUBEREACH_BENCH_FROM", "payments-staging-0000/sms-web"))
        .expect("a source");
    let destination =
        TraceDestination::parse(&named("KUBEREACH_BENCH_TO", "svc/payments-staging-0000/wishlist-api:80"))
            .expect("a destination");
    let focus = MatrixOptions {
        granularity: Granularity::Workloads,
        ingress_controller: true,
        filters: Filters {
            focus: vec![named("KUBEREACH_BENCH_FOCUS", "payments-staging-0000/wishlist-api")],
            ..Filters::default()
        },
    };
    let options = TraceOptions { protocol: Protocol::Tcp, http: HttpRequestOptions::default() };
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("analysis");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("policy engine (compile)", |b| {
        b.iter(|| {
            black_box(PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective).class_count())
        })
    });
    group.bench_function("external ingress (every pod, engine compiled)", |b| {
        b.iter_batched(
            || PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective),
            |engine| {
                let pods = (0..cluster.pods().len()).map(|i| kubereach_core::model::PodId(i as u32));
                black_box(pods.filter(|&pod| !engine.external_ingress(pod).is_empty()).count())
            },
            criterion::BatchSize::PerIteration,
        )
    });
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
    let whole = MatrixOptions { filters: Filters::default(), ..focus.clone() };
    group.bench_function("matrix (whole)", |b| {
        b.iter(|| {
            let engine = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective);
            black_box(matrix(&engine, &whole).edges.len())
        })
    });
    // `diff DIR DIR`: both sides compiled and swept, then compared.
    group.bench_function("diff (the cluster with itself)", |b| {
        b.iter(|| {
            let old = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective);
            let new = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::Effective);
            let (old_matrix, new_matrix) = (matrix(&old, &whole), matrix(&new, &whole));
            let sides =
                (Side { engine: &old, matrix: &old_matrix }, Side { engine: &new, matrix: &new_matrix });
            black_box(diff(&sides.0, &sides.1).changes.len())
        })
    });
    group.finish();
    criterion.final_summary();
}
