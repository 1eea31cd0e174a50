//! Loads arbitrary text as a manifest file and computes the connectivity
//! matrix, as `kubereach matrix` does, per workload and per pod, with the
//! ingress controller's edges.

#![no_main]

use kubereach_core::cni::PolicyView;
use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cluster = common::cluster(data);
    let engine = common::engine(&cluster, PolicyView::Effective);
    for granularity in [Granularity::Workloads, Granularity::Pods] {
        let options = MatrixOptions { granularity, ingress_controller: true, filters: Filters::default() };
        let report = matrix::matrix(&engine, &options);
        let _ = matrix::connlist_lines(&report);
        let _ = serde_json::to_string(&report);
    }
});
