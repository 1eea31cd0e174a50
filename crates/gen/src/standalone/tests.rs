use std::collections::BTreeSet;

use super::shuffle::documents;
use super::*;

fn args(seed: u64, shuffle_seed: Option<u64>) -> Args {
    Args { pods: 230, policies: 23, namespaces: 3, seed, shuffle_seed }
}

/// The files of a cluster, as (name, text).
fn written(args: &Args) -> Vec<(String, String)> {
    files(args, &mut Totals::default()).into_iter().map(|(name, y)| (name, y.buf)).collect()
}

/// Every document of a cluster, sorted.
fn sorted_documents(files: &[(String, String)]) -> Vec<String> {
    let mut all: Vec<String> =
        files.iter().flat_map(|(_, text)| documents(text)).map(str::to_owned).collect();
    all.sort_unstable();
    all
}

#[test]
fn the_same_seeds_write_the_same_bytes() {
    assert_eq!(written(&args(7, None)), written(&args(7, None)));
    assert_eq!(written(&args(7, Some(3))), written(&args(7, Some(3))));
    assert_ne!(written(&args(7, None)), written(&args(8, None)));
    assert_ne!(written(&args(7, Some(3))), written(&args(7, Some(4))));
}

#[test]
fn shuffled_files_hold_the_same_documents_in_another_order() {
    let plain = written(&args(7, None));
    let shuffled = written(&args(7, Some(3)));
    assert_eq!(sorted_documents(&plain), sorted_documents(&shuffled));
    let in_order = |files: &[(String, String)]| -> Vec<String> {
        files.iter().flat_map(|(_, text)| documents(text)).map(str::to_owned).collect()
    };
    assert_ne!(in_order(&plain), in_order(&shuffled));
    let names = |files: &[(String, String)]| files.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&plain),
        ["namespaces.yaml", "kube-system.yaml", "ns-00000.yaml", "ns-00001.yaml", "ns-00002.yaml"]
    );
    assert!(names(&shuffled).iter().all(|name| name.starts_with("part-")), "{:?}", names(&shuffled));
    // A Pod written before its Namespace: loading must not depend on order.
    let first_namespace = in_order(&shuffled).iter().position(|d| d.contains("kind: Namespace\n"));
    let first_pod = in_order(&shuffled).iter().position(|d| d.contains("kind: Pod\n"));
    assert!(first_pod < first_namespace, "{first_pod:?} {first_namespace:?}");
}

#[test]
fn pods_and_policies_add_up_to_what_was_asked() {
    let mut totals = Totals::default();
    let files = files(&args(7, None), &mut totals);
    let text: String = files.iter().map(|(_, y)| y.buf.as_str()).collect();
    assert_eq!((totals.pods, totals.policies, totals.workloads), (230, 23, 0));
    assert_eq!(text.matches("kind: Pod\n").count(), 230);
    assert_eq!(text.matches("kind: NetworkPolicy\n").count(), 23);
    // Standalone: no controller of the generated namespaces.
    assert_eq!(text.matches("kind: Deployment\n").count(), 1, "cluster DNS only");
}

#[test]
fn every_pod_runs_ready_at_its_own_address() {
    let text: String =
        files(&args(7, None), &mut Totals::default()).into_iter().map(|(_, y)| y.buf).collect();
    let pods: Vec<&str> = documents(&text).into_iter().filter(|d| d.contains("kind: Pod\n")).collect();
    let addresses: BTreeSet<&str> =
        pods.iter().filter_map(|pod| pod.lines().find_map(|l| l.strip_prefix("  podIP: "))).collect();
    assert_eq!(addresses.len(), pods.len());
    for pod in &pods {
        assert!(pod.contains("  phase: Running\n  podIP: 10."), "{pod}");
        assert!(pod.contains("  - type: Ready\n    status: \"True\"\n"), "{pod}");
        assert!(pod.contains("    - name: metrics\n"), "named ports: {pod}");
    }
    let names: BTreeSet<(&str, &str)> = pods
        .iter()
        .map(|pod| {
            let field = |key: &str| pod.lines().find_map(|l| l.strip_prefix(key)).unwrap_or_default();
            (field("  namespace: "), field("  name: "))
        })
        .collect();
    assert_eq!(names.len(), pods.len(), "pod names are unique per namespace");
}

#[test]
fn pod_addresses_skip_network_and_broadcast_and_stay_distinct() {
    assert_eq!(pod_ip(0), Ipv4Addr::new(10, 1, 0, 2));
    assert_eq!(pod_ip(249), Ipv4Addr::new(10, 1, 0, 251));
    assert_eq!(pod_ip(250), Ipv4Addr::new(10, 1, 1, 2));
    assert_eq!(pod_ip(250 * 256), Ipv4Addr::new(10, 2, 0, 2));
    assert_eq!(pod_ip(MAX_PODS - 1), Ipv4Addr::new(10, 255, 255, 251));
}

#[test]
fn documents_are_split_at_document_markers_and_headers_are_dropped() {
    let text = "# header\n---\na: 1\n---\n# note\nb: 2\n---\n";
    assert_eq!(documents(text), ["a: 1\n", "# note\nb: 2\n"]);
    assert_eq!(documents("a: 1\n"), ["a: 1\n"]);
}
