//! What the fuzz targets of `fuzz/` run, one function per target: each
//! target is one line calling one of these, so the code they run is
//! compiled, and run on the fuzzing dictionary and the demo cluster, by
//! the ordinary test suite, and the separate fuzz crate cannot rot unseen.
//!
//! Every function loads the bytes exactly as a file's (decoding, the YAML
//! reader, duplicate keys, validation, defaults, representative pods) and
//! then runs what users run on the cluster. None may panic, overflow the
//! stack or hang, whatever the bytes.

use kubereach_core::check::{self, Config};
use kubereach_core::cni::{self, PluginOverrides, PolicyView};
use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, TraceDestination, TraceOptions, TraceSource};
use kubereach_core::{Cluster, ClusterBuilder};

/// The `load_str` target: loads the bytes, summarizes the cluster (the
/// inventory as JSON) and renders every diagnostic.
pub fn load(data: &[u8]) {
    let cluster = cluster(data);
    let inventory = kubereach_core::inventory::inventory(&cluster);
    let _ = serde_json::to_string(&inventory);
    for diagnostic in cluster.diagnostics() {
        let _ = diagnostic.to_string();
    }
}

/// The `check` target: every rule, with the detected plugin, as
/// `kubereach check` runs them.
pub fn check(data: &[u8]) {
    let cluster = cluster(data);
    let engine = engine(&cluster, PolicyView::AsWritten);
    let report = check::check(&cluster, &Config::default(), engine.plugin());
    let _ = serde_json::to_string(&report.findings);
    for note in &report.notes {
        let _ = note.to_string();
    }
}

/// The `matrix` target: the effective policies, per workload and per pod,
/// with the ingress controller's edges, as connlist lines and JSON.
pub fn matrix(data: &[u8]) {
    let cluster = cluster(data);
    let engine = engine(&cluster, PolicyView::Effective);
    for granularity in [Granularity::Workloads, Granularity::Pods] {
        let options = MatrixOptions { granularity, ingress_controller: true, filters: Filters::default() };
        let report = matrix::matrix(&engine, &options);
        let _ = matrix::connlist_lines(&report);
        let _ = serde_json::to_string(&report);
    }
}

/// The `trace` target: the policies as written (the `cni` layer says
/// whether the plugin enforces them) and traces between what the input
/// holds, over TCP and UDP (a Service `targetPort` of 70000 once made a
/// trace panic).
pub fn trace(data: &[u8]) {
    let cluster = cluster(data);
    let engine = engine(&cluster, PolicyView::AsWritten);
    for (source, destination) in trace_arguments(&cluster) {
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
}

/// The bytes as one manifest file's.
fn cluster(data: &[u8]) -> Cluster {
    let mut builder = ClusterBuilder::new();
    crate::load_raw(Some("fuzz.yaml"), data, &mut builder);
    builder.build()
}

/// The policy engine as a command compiles it, with the detected plugin.
fn engine(cluster: &Cluster, view: PolicyView) -> PolicyEngine<'_> {
    let plugin = cni::behaviour(cluster, &PluginOverrides::default());
    PolicyEngine::for_plugin(cluster, plugin, view)
}

/// Trace arguments naming what the input holds, as a user would write
/// them: a few pods and workloads as sources (and `external`), and as
/// destinations Services by port and by DNS name, pods by port, and the
/// hosts of Ingress rules as URLs. Bounded, so that one input stays fast.
fn trace_arguments(cluster: &Cluster) -> Vec<(String, String)> {
    let mut sources: Vec<String> = vec!["external".to_owned()];
    let mut destinations: Vec<String> = Vec::new();
    for pod in cluster.pods().iter().take(3) {
        sources.push(format!("{}/{}", pod.namespace, pod.name));
        destinations.push(format!("{}/{}:80", pod.namespace, pod.name));
    }
    for service in cluster.services().iter().take(3) {
        let namespace = service.value.metadata.namespace.clone().unwrap_or_default();
        let name = service.value.metadata.name.clone().unwrap_or_default();
        let ports = service.value.spec.as_ref().and_then(|s| s.ports.as_ref());
        for port in ports.into_iter().flatten().take(2) {
            destinations.push(format!("svc/{namespace}/{name}:{}", port.port));
            destinations.push(format!("{name}.{namespace}:{}", port.port));
        }
    }
    for ingress in cluster.ingresses().iter().take(2) {
        let rules = ingress.value.spec.as_ref().and_then(|s| s.rules.as_ref());
        for host in rules.into_iter().flatten().filter_map(|r| r.host.as_ref()).take(2) {
            destinations.push(format!("http://{host}/"));
        }
    }
    let mut pairs = Vec::new();
    for source in &sources {
        for destination in &destinations {
            pairs.push((source.clone(), destination.clone()));
        }
    }
    pairs.truncate(24);
    pairs
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The fuzzing dictionary (libFuzzer's format: one `"token"` a line,
    /// `\xNN` and `\\` escapes, `#` comments).
    const DICTIONARY: &str = include_str!("../../../fuzz/load_str.dict");

    fn tokens() -> Vec<Vec<u8>> {
        DICTIONARY
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with('"') && line.ends_with('"') && line.len() >= 2)
            .map(|line| unescape(&line[1..line.len() - 1]))
            .collect()
    }

    fn unescape(text: &str) -> Vec<u8> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match (bytes[i], bytes.get(i + 1)) {
                (b'\\', Some(b'x')) if i + 4 <= bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).expect("a \\xNN escape in the dictionary"));
                    i += 4;
                }
                (b'\\', Some(&next)) => {
                    out.push(next);
                    i += 2;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        out
    }

    /// The seeds: every dictionary token alone, all of them as one file
    /// (line by line, and as one document per token), and the demo cluster.
    fn seeds() -> Vec<Vec<u8>> {
        let tokens = tokens();
        assert!(tokens.len() > 50, "the dictionary was read: {} tokens", tokens.len());
        let mut seeds = tokens.clone();
        seeds.push(tokens.join(&b'\n'));
        seeds.push(tokens.join(&b"\n---\n"[..]));
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubereach/demo");
        let mut files: Vec<_> = std::fs::read_dir(&demo).expect("the demo directory").flatten().collect();
        files.sort_by_key(std::fs::DirEntry::path);
        let mut whole = Vec::new();
        for file in files.iter().filter(|f| f.path().extension().is_some_and(|e| e == "yaml")) {
            let bytes = std::fs::read(file.path()).expect("a demo file");
            whole.extend_from_slice(&bytes);
            whole.extend_from_slice(b"\n---\n");
            seeds.push(bytes);
        }
        seeds.push(whole);
        seeds
    }

    #[test]
    fn the_fuzz_targets_run_on_the_dictionary_and_the_demo() {
        for seed in seeds() {
            super::load(&seed);
            super::check(&seed);
            super::matrix(&seed);
            super::trace(&seed);
        }
    }

    #[test]
    fn the_dictionary_is_read_as_libfuzzer_reads_it() {
        assert_eq!(unescape(r"\x0a- "), b"\n- ");
        assert_eq!(unescape(r#"targetPort: \"8080\""#), b"targetPort: \"8080\"");
        assert_eq!(unescape(r"\x22"), b"\"");
    }
}
