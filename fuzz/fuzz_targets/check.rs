//! Loads arbitrary bytes as a manifest file and runs every `check` rule on
//! it (`kubereach_load::fuzz::check`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubereach_load::fuzz::check(data));
