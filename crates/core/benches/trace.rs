//! `trace` after loading: from a loaded cluster to the trace's report, the
//! way `kubereach trace` goes (the network plugin detected, the policy
//! engine built, the trace walked), each iteration from scratch. Run by
//! hand, never in CI.
//!
//! Point `KUBEREACH_BENCH_DIR` at a generated cluster; without it the
//! benchmark says how and exits:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --pods 100000 --out target/scale-100000
//! KUBEREACH_BENCH_DIR=$PWD/target/scale-100000 cargo bench -p kubereach-core --bench trace
//! ```
//!
//! The pairs are the `scale` shape's (`ns0/app0` to `ns1/app1:8080`, pod to
//! pod across namespaces, and `ns0/app1` to `svc/ns0/app0:80`, through a
//! Service); `KUBEREACH_BENCH_FROM` and `KUBEREACH_BENCH_TO` name another.
//! The cases:
//! - `loaded → verdict (whole engine)`: the engine compiled for every pod
//!   ([`PolicyEngine::for_plugin`], what `matrix` uses), then the trace;
//! - `loaded → verdict (point engine)`: the engine `kubereach trace`
//!   builds ([`PolicyEngine::for_point_queries`]), compiled only for the
//!   pods the trace asks about;
//! - `trace (whole engine compiled)`: the trace alone, the engine built
//!   beforehand.
//!
//! And the steps of the point engine's case, each alone, to tell where its
//! time goes:
//! - `plugin detected`: [`behaviour`], the network plugin detection;
//! - `point engine built`: [`PolicyEngine::for_point_queries`], which
//!   takes the address blocks the cluster's policies cut;
//! - `trace (point engine new)`: the trace on a point engine just built,
//!   which compiles the namespaces of the pods it asks about;
//! - `trace (point engine compiled)`: the trace again on the same engine.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode};
use kubereach_core::cni::{behaviour, PolicyView};
use kubereach_core::model::Cluster;
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{trace, HttpRequestOptions, TraceDestination, TraceOptions, TraceSource};
use kubereach_load::{load, Input, LoadOptions};

fn main() {
    let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR").map(PathBuf::from) else {
        eprintln!(
            "KUBEREACH_BENCH_DIR is not set: nothing to benchmark. Generate a cluster and point it there:\n  \
             cargo run --release -p kubereach-gen -- --pods 100000 --out target/scale-100000\n  \
             KUBEREACH_BENCH_DIR=$PWD/target/scale-100000 cargo bench -p kubereach-core --bench trace"
        );
        return;
    };
    let cluster = load(&[Input::Path(dir)], &LoadOptions::new());
    let pairs = match (std::env::var("KUBEREACH_BENCH_FROM"), std::env::var("KUBEREACH_BENCH_TO")) {
        (Ok(from), Ok(to)) => vec![(from, to)],
        _ => vec![
            ("ns0/app0".to_owned(), "ns1/app1:8080".to_owned()),
            ("ns0/app1".to_owned(), "svc/ns0/app0:80".to_owned()),
        ],
    };
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("trace");
    group.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(5));
    group.bench_function("plugin detected", |b| {
        b.iter(|| black_box(behaviour(&cluster, &Default::default())))
    });
    let plugin = behaviour(&cluster, &Default::default());
    let point = || PolicyEngine::for_point_queries(&cluster, plugin.clone(), PolicyView::AsWritten);
    group.bench_function("point engine built", |b| b.iter(|| black_box(point())));
    for (from, to) in &pairs {
        let source = TraceSource::parse(from).expect("a source");
        let destination = TraceDestination::parse(to).expect("a destination");
        let query = Query { cluster: &cluster, source: &source, destination: &destination };
        group.bench_function(format!("loaded → verdict (whole engine) {from} {to}"), |b| {
            b.iter(|| black_box(query.run(Engine::Whole)))
        });
        group.bench_function(format!("loaded → verdict (point engine) {from} {to}"), |b| {
            b.iter(|| black_box(query.run(Engine::Point)))
        });
        let traced = |engine: &PolicyEngine<'_>| trace(&cluster, engine, &source, &destination, &options());
        group.bench_function(format!("trace (point engine new) {from} {to}"), |b| {
            // The engine is returned, so that dropping it is not timed.
            b.iter_batched(point, |engine| (traced(&engine).verdict, engine), BatchSize::SmallInput)
        });
        let compiled = point();
        traced(&compiled);
        group.bench_function(format!("trace (point engine compiled) {from} {to}"), |b| {
            b.iter(|| black_box(traced(&compiled).verdict))
        });
        let whole = PolicyEngine::for_plugin(&cluster, plugin.clone(), PolicyView::AsWritten);
        group.bench_function(format!("trace (whole engine compiled) {from} {to}"), |b| {
            b.iter(|| black_box(traced(&whole).verdict))
        });
    }
    group.finish();
    criterion.final_summary();
}

/// Which engine a query builds.
#[derive(Clone, Copy)]
enum Engine {
    Whole,
    Point,
}

struct Query<'a> {
    cluster: &'a Cluster,
    source: &'a TraceSource,
    destination: &'a TraceDestination,
}

impl Query<'_> {
    /// What `kubereach trace` does once the cluster is loaded.
    fn run(&self, engine: Engine) -> kubereach_core::trace::Verdict {
        let plugin = behaviour(self.cluster, &Default::default());
        let engine = match engine {
            Engine::Whole => PolicyEngine::for_plugin(self.cluster, plugin, PolicyView::AsWritten),
            Engine::Point => PolicyEngine::for_point_queries(self.cluster, plugin, PolicyView::AsWritten),
        };
        trace(self.cluster, &engine, self.source, self.destination, &options()).verdict
    }
}

fn options() -> TraceOptions {
    TraceOptions { protocol: Protocol::Tcp, http: HttpRequestOptions::default() }
}
