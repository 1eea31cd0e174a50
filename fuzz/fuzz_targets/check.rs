//! Loads arbitrary text as a manifest file and runs every `check` rule on
//! it, as `kubereach check` does: rejected objects, validation messages
//! and every rule's reading of odd but loadable objects.

#![no_main]

use kubereach_core::check::{self, Config};
use kubereach_core::cni::PolicyView;
use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cluster = common::cluster(data);
    let engine = common::engine(&cluster, PolicyView::AsWritten);
    let report = check::check(&cluster, &Config::default(), engine.plugin());
    let _ = serde_json::to_string(&report.findings);
    for note in &report.notes {
        let _ = note.to_string();
    }
});
