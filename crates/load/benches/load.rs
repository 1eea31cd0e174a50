//! Loading benchmark: a directory of manifests into a `Cluster`.
//!
//! Point `KUBEREACH_BENCH_DIR` at a generated cluster (see
//! `docs/benchmarks.md`); without it the demo manifests are used, which is
//! only a smoke test:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --shape realistic \
//!     --pods 10000 --policies 2000 --namespaces 200 --out target/bench-10k
//! KUBEREACH_BENCH_DIR=$PWD/target/bench-10k cargo bench -p kubereach-load --bench load
//! ```
//!
//! Three measurements, each over the whole directory:
//! - `parse`: YAML text to documents (`yaml::parse_stream`), from memory;
//! - `load_str+build`: text to the finished model, from memory;
//! - `load`: files to the finished model, as `kubereach -f DIR` does.
//!
//! Each is timed twice: in wall-clock time (group `load`) and, on Linux, in
//! the CPU time of the benchmarking thread (group `load-cpu`), which other
//! processes competing for the cores do not inflate.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kubereach_core::ClusterBuilder;
use kubereach_load::{load, load_str, yaml, Input, LoadOptions};

/// The directory to load, and the files in it with their text.
struct Corpus {
    dir: PathBuf,
    files: Vec<(String, String)>,
}

impl Corpus {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, text)| text.len() as u64).sum()
    }
}

fn corpus() -> Corpus {
    let dir = match std::env::var_os("KUBEREACH_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubereach/demo");
            eprintln!(
                "KUBEREACH_BENCH_DIR is not set: benchmarking the demo manifests only \
                 (see docs/benchmarks.md for a generated cluster)"
            );
            demo
        }
    };
    let mut paths = Vec::new();
    manifest_files(&dir, &mut paths);
    paths.sort();
    let files = paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), text)
        })
        .collect();
    Corpus { dir, files }
}

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("read a directory entry").path();
        if path.is_dir() {
            manifest_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
}

fn build(corpus: &Corpus) -> kubereach_core::Cluster {
    let mut builder = ClusterBuilder::new();
    for (name, text) in &corpus.files {
        load_str(Some(name), text, &mut builder);
    }
    builder.build()
}

fn bench_wall(c: &mut Criterion) {
    bench_load(c, "load");
}

fn bench_load<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let corpus = corpus();
    let cluster = build(&corpus);
    eprintln!(
        "{}: {} files, {:.1} MiB; {} namespaces, {} workloads, {} pods (standing for {} replicas), \
         {} services, {} network policies, {} diagnostics",
        corpus.dir.display(),
        corpus.files.len(),
        corpus.bytes() as f64 / (1024.0 * 1024.0),
        cluster.namespaces().len(),
        cluster.workloads().len(),
        cluster.pods().len(),
        cluster.pods().iter().map(|p| u64::from(p.replicas)).sum::<u64>(),
        cluster.services().len(),
        cluster.network_policies().len(),
        cluster.diagnostics().len(),
    );
    drop(cluster);

    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(corpus.bytes()));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(15));

    group.bench_function("parse", |b| {
        b.iter(|| {
            for (_, text) in &corpus.files {
                black_box(yaml::parse_stream(black_box(text)));
            }
        })
    });
    group.bench_function("load_str+build", |b| b.iter(|| black_box(build(&corpus))));
    let inputs = [Input::Path(corpus.dir.clone())];
    let options = LoadOptions::new();
    group.bench_function("load", |b| b.iter(|| black_box(load(&inputs, &options))));
    group.finish();
}

#[cfg(target_os = "linux")]
mod cpu {
    //! CPU time of the current thread, from `/proc/thread-self/schedstat`
    //! (nanoseconds spent running), as a criterion measurement.

    use criterion::measurement::{Measurement, ValueFormatter, WallTime};
    use criterion::Criterion;

    pub struct ThreadCpuTime;

    fn now() -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("read schedstat");
        stat.split_whitespace().next().and_then(|ns| ns.parse().ok()).expect("parse schedstat")
    }

    impl Measurement for ThreadCpuTime {
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

    pub fn config() -> Criterion<ThreadCpuTime> {
        Criterion::default().with_measurement(ThreadCpuTime)
    }

    pub fn bench(c: &mut Criterion<ThreadCpuTime>) {
        super::bench_load(c, "load-cpu");
    }
}

criterion_group!(wall, bench_wall);
#[cfg(target_os = "linux")]
criterion_group! {
    name = cpu_time;
    config = cpu::config();
    targets = cpu::bench
}
#[cfg(target_os = "linux")]
criterion_main!(wall, cpu_time);
#[cfg(not(target_os = "linux"))]
criterion_main!(wall);
