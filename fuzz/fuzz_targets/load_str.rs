//! Feeds arbitrary text to the loader, builds the cluster and summarizes it:
//! no input may panic, overflow the stack or hang.

#![no_main]

use kubereach_core::ClusterBuilder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The loader refuses non-UTF-8 files before parsing, so only text matters;
    // a lossy conversion keeps every input useful.
    let text = String::from_utf8_lossy(data);
    let mut builder = ClusterBuilder::new();
    kubereach_load::load_str(Some("fuzz.yaml"), &text, &mut builder);
    let cluster = builder.build();
    let inventory = kubereach_core::inventory::inventory(&cluster);
    // Rendering exercises every summarized field and the diagnostics.
    let _ = serde_json::to_string(&inventory);
    for diagnostic in cluster.diagnostics() {
        let _ = diagnostic.to_string();
    }
});
