//! The Services a name that does not resolve may have meant, for the
//! "did you mean" of `trace` and `dns`.

use std::collections::BTreeSet;

use crate::model::Cluster;
use crate::service::ServiceRef;

/// The Services `host` may have meant, as `NAME.NAMESPACE` (sorted): a
/// Service of the same name in another namespace, or one a typo away.
/// `host` may be short (`api.prod`) or qualified (`api.prod.svc.cluster.local`).
pub fn close_services(cluster: &Cluster, host: &str) -> Vec<ServiceRef> {
    let zone = cluster.cluster_domain();
    let bare = host.trim_end_matches('.');
    let bare = bare.strip_suffix(&format!(".{zone}")).unwrap_or(bare);
    let bare = bare.strip_suffix(".svc").unwrap_or(bare);
    let service_name = bare.split('.').next().unwrap_or_default();
    let services: Vec<ServiceRef> = cluster.services().iter().map(|s| ServiceRef::of(&s.value)).collect();
    let short = |s: &ServiceRef| format!("{}.{}", s.name, s.namespace);
    let mut options: BTreeSet<String> =
        services.iter().filter(|s| s.name == service_name).map(short).collect();
    options.extend(crate::typo::close_matches(bare, services.iter().map(short)));
    options.iter().filter_map(|option| services.iter().find(|s| short(s) == *option).cloned()).collect()
}
