//! Loads arbitrary bytes as a manifest file and traces between what it
//! holds (`kubereach_load::fuzz::trace`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubereach_load::fuzz::trace(data));
