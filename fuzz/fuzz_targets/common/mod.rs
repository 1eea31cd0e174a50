#![allow(dead_code)] // Each target uses part of it.

//! What the analysis targets share: the fuzzer's bytes loaded into a
//! cluster exactly as a file would be, and the queries users run on it.

use kubereach_core::cni::{self, PluginOverrides, PolicyView};
use kubereach_core::policy::PolicyEngine;
use kubereach_core::{Cluster, ClusterBuilder};

/// The input as one manifest file: decoding (UTF-16, bytes that are not
/// UTF-8), the YAML reader, duplicate keys, validation (rejected objects),
/// defaults and representative pods.
pub fn cluster(data: &[u8]) -> Cluster {
    let mut builder = ClusterBuilder::new();
    kubereach_load::load_raw(Some("fuzz.yaml"), data, &mut builder);
    builder.build()
}

/// The policy engine as a command compiles it, with the detected plugin.
pub fn engine(cluster: &Cluster, view: PolicyView) -> PolicyEngine<'_> {
    let plugin = cni::behaviour(cluster, &PluginOverrides::default());
    PolicyEngine::for_plugin(cluster, plugin, view)
}

/// Trace arguments naming what the input holds, as a user would write
/// them: a few pods and workloads as sources (and `external`), and as
/// destinations Services by port and by DNS name, pods by port, and the
/// hosts of Ingress rules as URLs. Bounded, so that one input stays fast.
pub fn trace_arguments(cluster: &Cluster) -> Vec<(String, String)> {
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
