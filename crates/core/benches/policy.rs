//! NetworkPolicy engine and matrix benchmark, on a generated cluster.
//!
//! Point `KUBEREACH_BENCH_DIR` at a generated cluster (see
//! `docs/benchmarks.md`); without it the benchmark prints how and exits:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --shape realistic \
//!     --pods 10000 --policies 2000 --namespaces 200 --out target/bench-10k
//! KUBEREACH_BENCH_DIR=target/bench-10k cargo bench -p kubereach-core --bench policy
//! ```
//!
//! The cluster is loaded once (not measured). Then, in group `policy`:
//! - `compile`: `PolicyEngine::new`, pods into equivalence classes;
//! - `sweep`: `class_matrix()` plus a pass over every row on every core,
//!   counting the non-empty cells: the whole connectivity (rows of peers
//!   that behave alike are computed once, `map_group_rows`);
//! - `compile+sweep`: both, from the loaded cluster;
//! - `matrix+json`: the workload-level `matrix()` serialized as JSON to a
//!   sink, as `kubereach matrix --format json` does (skipped above
//!   `KUBEREACH_BENCH_MATRIX_MAX_PODS` pods, 20,000 by default);
//! - `explain`: one pair's verdict with explanation, on a compiled engine.
//!
//! Each runs twice: in wall-clock time (group `policy`) and, on Linux, in
//! the CPU time of the whole process, every thread included (group
//! `policy-cpu`), which other processes competing for the cores do not
//! inflate. Pick one with a filter: `-- policy-cpu/compile`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::measurement::Measurement;
use criterion::{Criterion, SamplingMode};
use kubereach_core::matrix::{matrix, Filters, Granularity, MatrixOptions};
use kubereach_core::model::PodId;
use kubereach_core::policy::{Endpoint, PolicyEngine, PolicyOptions};
use kubereach_core::Cluster;
use kubereach_load::{load, Input, LoadOptions};

const OPTIONS: PolicyOptions = PolicyOptions { ip_blocks_match_pods: false };

fn matrix_options() -> MatrixOptions {
    MatrixOptions {
        granularity: Granularity::Workloads,
        ingress_controller: true,
        filters: Filters::default(),
    }
}

/// The whole connectivity, on every core: the class matrix's rows over
/// destination groups (each computed once per source group), counting the
/// non-empty cells they stand for.
fn sweep(engine: &PolicyEngine<'_>) -> u64 {
    let classes = engine.class_matrix();
    // 1 for a non-empty set, so a cell counts without a branch.
    let non_empty: Vec<u64> =
        (0..classes.distinct_sets()).map(|id| u64::from(!classes.set(id).is_empty())).collect();
    let mut source_peers = vec![0u64; classes.source_groups()];
    let mut destination_peers = vec![0u64; classes.destination_groups()];
    for peer in 0..classes.peers() {
        source_peers[classes.source_group(peer)] += 1;
        destination_peers[classes.destination_group(peer)] += 1;
    }
    classes
        .map_group_rows(|group, row| {
            let cells: u64 =
                row.iter().zip(&destination_peers).map(|(&id, &n)| non_empty[id as usize] * n).sum();
            cells * source_peers[group]
        })
        .into_iter()
        .sum()
}

/// A source and a destination pod of different namespaces, for `explain`.
fn pair(cluster: &Cluster) -> (Endpoint, Endpoint) {
    let pods = cluster.pods();
    let from = pods.len() / 3;
    let to =
        (0..pods.len()).rev().find(|&i| pods[i].namespace != pods[from].namespace).unwrap_or(pods.len() - 1);
    (Endpoint::Pod(PodId(from as u32)), Endpoint::Pod(PodId(to as u32)))
}

fn main() {
    let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR").map(PathBuf::from) else {
        eprintln!(
            "KUBEREACH_BENCH_DIR is not set: nothing to benchmark. Generate a cluster and point it there:\n  \
             cargo run --release -p kubereach-gen -- --shape realistic \
             --pods 10000 --policies 2000 --namespaces 200 --out target/bench-10k\n  \
             KUBEREACH_BENCH_DIR=target/bench-10k cargo bench -p kubereach-core --bench policy\n\
             (see docs/benchmarks.md)"
        );
        return;
    };
    let max_matrix_pods: usize =
        std::env::var("KUBEREACH_BENCH_MATRIX_MAX_PODS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);

    // Loaded once for both groups: loading the largest clusters takes longer
    // than measuring them.
    let started = Instant::now();
    let cluster = load(&[Input::Path(dir.clone())], &LoadOptions::new());
    let loaded = started.elapsed();
    let replicas: u64 = cluster.pods().iter().map(|p| u64::from(p.replicas)).sum();

    // One untimed pass for the figures the report needs.
    let started = Instant::now();
    let engine = PolicyEngine::new(&cluster, OPTIONS);
    let compiled = started.elapsed();
    let cells = sweep(&engine);
    let swept = started.elapsed() - compiled;
    eprintln!(
        "{}: loaded in {loaded:.2?}; {} namespaces, {} workloads, {} pods (standing for {replicas} replicas), \
         {} network policies; {} equivalence classes, {} peers ({} source groups, {} destination groups), \
         {} distinct connection sets, {cells} non-empty class cells; \
         first pass: compile {compiled:.2?}, sweep {swept:.2?}",
        dir.display(),
        cluster.namespaces().len(),
        cluster.workloads().len(),
        cluster.pods().len(),
        cluster.network_policies().len(),
        engine.class_count(),
        engine.class_matrix().peers(),
        engine.class_matrix().source_groups(),
        engine.class_matrix().destination_groups(),
        engine.class_matrix().distinct_sets(),
    );
    if replicas as usize > max_matrix_pods {
        eprintln!(
            "matrix+json skipped: {replicas} pods > KUBEREACH_BENCH_MATRIX_MAX_PODS = {max_matrix_pods}"
        );
    }
    let with_matrix = replicas as usize <= max_matrix_pods;

    let mut wall = Criterion::default().configure_from_args();
    bench_policy(&mut wall, "policy", &cluster, &engine, with_matrix);
    #[cfg(target_os = "linux")]
    {
        let mut cpu = Criterion::default().with_measurement(cpu::ProcessCpuTime).configure_from_args();
        bench_policy(&mut cpu, "policy-cpu", &cluster, &engine, with_matrix);
    }
    Criterion::default().configure_from_args().final_summary();
}

fn bench_policy<M: Measurement>(
    c: &mut Criterion<M>,
    name: &str,
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    with_matrix: bool,
) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    // One iteration per sample: at 100,000 pods an iteration takes seconds.
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("compile", |b| b.iter(|| black_box(PolicyEngine::new(black_box(cluster), OPTIONS))));
    group.bench_function("sweep", |b| b.iter(|| black_box(sweep(black_box(engine)))));
    group.bench_function("compile+sweep", |b| {
        b.iter(|| {
            let engine = PolicyEngine::new(black_box(cluster), OPTIONS);
            black_box(sweep(&engine))
        })
    });
    if with_matrix {
        let options = matrix_options();
        group.bench_function("matrix+json", |b| {
            b.iter(|| {
                let m = matrix(black_box(engine), &options);
                serde_json::to_writer(std::io::sink(), &m).expect("serialize the matrix");
                black_box(m.edges.len())
            })
        });
    }
    let (from, to) = pair(cluster);
    group.bench_function("explain", |b| {
        b.iter(|| black_box(engine.explain(black_box(&from), black_box(&to))))
    });
    group.finish();
}

#[cfg(target_os = "linux")]
mod cpu {
    //! CPU time of the whole process (every thread, finished ones included),
    //! from `/proc/self/stat`, as a criterion measurement. The kernel counts
    //! it in clock ticks (10 ms); criterion sums many iterations per sample.

    use criterion::measurement::{Measurement, ValueFormatter, WallTime};

    pub struct ProcessCpuTime;

    /// `USER_HZ`, fixed at 100 by the kernel's ABI on every architecture Rust targets.
    const NANOS_PER_TICK: u64 = 10_000_000;

    fn now() -> u64 {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
        // Fields after the command name (which may hold spaces): state is
        // the 3rd field of the line, utime the 14th, stime the 15th.
        let rest = &stat[stat.rfind(')').expect("stat has a command name") + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields[i - 3].parse::<u64>().expect("parse a tick count");
        (ticks(14) + ticks(15)) * NANOS_PER_TICK
    }

    impl Measurement for ProcessCpuTime {
        type Intermediate = u64;
        type Value = u64;

        fn start(&self) -> u64 {
            now()
        }
        fn end(&self, start: u64) -> u64 {
            now() - start
        }
        fn add(&self, a: &u64, b: &u64) -> u64 {
            a + b
        }
        fn zero(&self) -> u64 {
            0
        }
        fn to_f64(&self, value: &u64) -> f64 {
            *value as f64
        }
        fn formatter(&self) -> &dyn ValueFormatter {
            // Values are nanoseconds, like wall-clock time's.
            static WALL_TIME: WallTime = WallTime;
            WALL_TIME.formatter()
        }
    }
}
