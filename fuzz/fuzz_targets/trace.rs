//! Loads arbitrary text as a manifest file and traces between what it
//! holds, as `kubereach trace` does: no cluster may make a trace panic
//! (a Service `targetPort` of 70000 once did), overflow the stack or hang.

#![no_main]

use kubereach_core::cni::PolicyView;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, TraceDestination, TraceOptions, TraceSource};
use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let cluster = common::cluster(data);
    // `trace` reads the policies as written; its `cni` layer says whether
    // the plugin enforces them.
    let engine = common::engine(&cluster, PolicyView::AsWritten);
    for (source, destination) in common::trace_arguments(&cluster) {
        let (Ok(source), Ok(destination)) =
            (TraceSource::parse_in(&source, None), TraceDestination::parse_in(&destination, None))
        else {
            continue;
        };
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            let options = TraceOptions { protocol, http: Default::default() };
            let report = trace::trace(&cluster, &engine, &source, &destination, &options);
            let _ = serde_json::to_string(&report);
        }
        let _ = trace::missing_objects(&cluster, &source, &destination);
    }
});
