//! Rules about Services: selectors (`selector.rs`), endpoints
//! (`endpoints.rs`), ports (`ports.rs`), `ExternalName`
//! (`external_name.rs`) and exposure outside the cluster (`exposure.rs`).

mod endpoints;
mod exposure;
mod external_name;
mod ports;
mod selector;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Cluster, Pod, PodId};

pub use endpoints::ServiceNoReadyEndpoints;
pub use exposure::{ExternalTrafficLocalNoEndpoints, LoadbalancerPending};
pub use external_name::ExternalnameInvalid;
pub use ports::{NodeportOutOfRange, ServicePortNameRequired, ServiceTargetPortNotFound};
pub use selector::ServiceNoMatchingPods;

/// `Kind/name` of what `pod` stands for.
pub(crate) fn workload_name(cluster: &Cluster, pod: &Pod) -> String {
    let workload = cluster.workload_ref(pod);
    format!("{}/{}", workload.kind, workload.name)
}

/// `Kind/name` of each pod's workload, deduplicated and sorted.
pub(crate) fn workload_names(cluster: &Cluster, pods: &[PodId]) -> Vec<String> {
    let names: BTreeSet<String> = pods.iter().map(|id| workload_name(cluster, cluster.pod(*id))).collect();
    names.into_iter().collect()
}

/// A map selector as `k=v,k2=v2`.
pub(crate) fn display_map(selector: &BTreeMap<String, String>) -> String {
    selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}
