//! Feeds arbitrary text to the loader, builds the cluster and summarizes it:
//! no input may panic, overflow the stack or hang.

#![no_main]

use kubereach_core::ClusterBuilder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The bytes as a file's: decoding (UTF-16 with a byte order mark, a
    // document with bytes that are not UTF-8 left out) comes first.
    let mut builder = ClusterBuilder::new();
    kubereach_load::load_raw(Some("fuzz.yaml"), data, &mut builder);
    let cluster = builder.build();
    let inventory = kubereach_core::inventory::inventory(&cluster);
    // Rendering exercises every summarized field and the diagnostics.
    let _ = serde_json::to_string(&inventory);
    for diagnostic in cluster.diagnostics() {
        let _ = diagnostic.to_string();
    }
});
