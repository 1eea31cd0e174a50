//! What the model reads from the CoreDNS Corefile's `kubernetes` block
//! (<https://coredns.io/plugins/kubernetes/>): the `pods` mode,
//! `endpoint_pod_names` and `fallthrough`; without a Corefile, kubeadm's
//! default.

use super::PodRecords;
use crate::model::Cluster;

/// What the model reads from the CoreDNS Corefile's `kubernetes` block.
pub(super) struct CorednsOptions {
    pub(super) pods: PodRecords,
    pub(super) endpoint_pod_names: bool,
    pub(super) fallthrough: bool,
}

pub(super) fn coredns_options(cluster: &Cluster) -> CorednsOptions {
    let corefile =
        cluster.coredns_config().and_then(|c| c.value.data.as_ref()).and_then(|d| d.get("Corefile"));
    let Some(corefile) = corefile else {
        // The kubeadm default Corefile.
        return CorednsOptions { pods: PodRecords::Insecure, endpoint_pod_names: false, fallthrough: true };
    };
    let mut options =
        CorednsOptions { pods: PodRecords::Disabled, endpoint_pod_names: false, fallthrough: false };
    let mut lines = corefile.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.split_whitespace().next() != Some("kubernetes") {
            continue;
        }
        if !line.ends_with('{') {
            break;
        }
        for line in lines.by_ref() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("}") => break,
                Some("pods") => {
                    options.pods = match words.next() {
                        Some("insecure") => PodRecords::Insecure,
                        Some("verified") => PodRecords::Verified,
                        _ => PodRecords::Disabled,
                    }
                }
                Some("endpoint_pod_names") => options.endpoint_pod_names = true,
                Some("fallthrough") => options.fallthrough = true,
                _ => {}
            }
        }
        break;
    }
    options
}
