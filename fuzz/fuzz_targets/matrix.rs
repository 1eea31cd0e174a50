//! Loads arbitrary bytes as a manifest file and computes the connectivity
//! matrix per workload and per pod (`kubereach_load::fuzz::matrix`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubereach_load::fuzz::matrix(data));
