//! Where a loaded cluster's memory goes: the bytes held after reading (the
//! builder's objects), after `build` (the model), the peak, and the inline
//! sizes of the types the model is made of. Run by hand, not by CI:
//!
//! ```text
//! cargo run --release -p kubereach-gen -- --pods 100000 --out target/scale-100000
//! KUBEREACH_BENCH_DIR=$PWD/target/scale-100000 cargo bench -p kubereach-load --bench memory
//! ```
//!
//! The counts come from a counting allocator over the system's, so this
//! binary also runs under a heap profiler (`heaptrack`), which names the
//! allocation sites behind them; the `kubereach` binary uses mimalloc.

use std::alloc::{GlobalAlloc, Layout, System};
use std::mem::size_of;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use kubereach_core::ClusterBuilder;
use kubereach_load::{load_into, Input, LoadOptions};

/// The system allocator, counting the bytes it holds and their peak.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(held, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            let held = HELD.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
            PEAK.fetch_max(held, Ordering::Relaxed);
        } else {
            HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn report(stage: &str) {
    eprintln!(
        "{stage:<28} held {:>10}  peak {:>10}  allocations {:>11}",
        mib(HELD.load(Ordering::Relaxed)),
        mib(PEAK.load(Ordering::Relaxed)),
        ALLOCATIONS.load(Ordering::Relaxed)
    );
}

fn sizes() {
    use k8s_openapi::api::core::v1 as core;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    let rows: [(&str, usize); 12] = [
        ("model Pod", size_of::<kubereach_core::model::Pod>()),
        ("model Workload", size_of::<kubereach_core::model::Workload>()),
        ("k8s Pod", size_of::<core::Pod>()),
        ("PodSpec", size_of::<core::PodSpec>()),
        ("Container", size_of::<core::Container>()),
        ("ContainerPort", size_of::<core::ContainerPort>()),
        ("ObjectMeta", size_of::<ObjectMeta>()),
        ("Service", size_of::<core::Service>()),
        ("ServicePort", size_of::<core::ServicePort>()),
        ("NetworkPolicy", size_of::<k8s_openapi::api::networking::v1::NetworkPolicy>()),
        ("Deployment", size_of::<k8s_openapi::api::apps::v1::Deployment>()),
        ("Origin", size_of::<kubereach_core::Origin>()),
    ];
    for (name, size) in rows {
        eprintln!("size_of {name:<16} {size:>6} bytes");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a directory is named by the environment.
    let Some(dir) = std::env::var_os("KUBEREACH_BENCH_DIR").map(PathBuf::from) else {
        eprintln!("KUBEREACH_BENCH_DIR is not set: nothing to measure (see the module's docs)");
        return;
    };
    sizes();
    report("start");
    let mut builder = ClusterBuilder::new();
    load_into(&[Input::Path(dir)], &LoadOptions::new(), &mut builder);
    report("read (builder holds)");
    let cluster = builder.build();
    report("built (model holds)");
    eprintln!(
        "{} pods, {} workloads, {} services, {} network policies",
        cluster.pods().len(),
        cluster.workloads().len(),
        cluster.services().len(),
        cluster.network_policies().len()
    );
    drop(cluster);
    report("dropped");
}
