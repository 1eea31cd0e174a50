//! Feeds arbitrary bytes to the loader as a file's, builds the cluster and
//! summarizes it (`kubereach_load::fuzz::load`): no input may panic,
//! overflow the stack or hang.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubereach_load::fuzz::load(data));
