//! The kinds that exist in the API groups kubereach knows, to tell a typo
//! (`kind: service`, `Serviceee`, `HTTPRoutes`) from a kind the model simply
//! does not use (`ServiceAccount`, a cert-manager `Certificate`). kubectl
//! refuses the first: `no matches for kind "service" in version "v1"`.
//!
//! The built-in groups are listed whole (Kubernetes API reference, v1.34:
//! <https://kubernetes.io/docs/reference/kubernetes-api/>), so any other kind
//! in them is reported. For the custom resource groups (Gateway API,
//! AdminNetworkPolicy, Cilium, Calico, OpenShift routes) the lists are the
//! kinds kubereach reads and a few neighbours, and only a kind a typo away
//! from one of them (or differing in case) is reported: those groups gain
//! kinds from release to release.

use crate::origin::Origin;

/// An object whose kind does not exist in its API group.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKind {
    /// The kind as written.
    pub kind: String,
    /// The `apiVersion` as written.
    pub api_version: String,
    /// `metadata.namespace`, if written.
    pub namespace: Option<String>,
    /// `metadata.name` (empty when absent).
    pub name: String,
    /// The closest kind of the group, if one is a typo away.
    pub close: Option<&'static str>,
    /// Where it came from.
    pub origin: Origin,
}

/// One API group and its kinds.
struct Group {
    name: &'static str,
    kinds: &'static [&'static str],
    /// Every kind of the group is listed: any other is unknown.
    complete: bool,
}

const CALICO: &[&str] =
    &["NetworkPolicy", "GlobalNetworkPolicy", "NetworkSet", "GlobalNetworkSet", "StagedNetworkPolicy"];

const GROUPS: &[Group] = &[
    Group {
        name: "",
        kinds: &[
            "Binding",
            "ComponentStatus",
            "ConfigMap",
            "Endpoints",
            "Event",
            "LimitRange",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "ResourceQuota",
            "Secret",
            "Service",
            "ServiceAccount",
            // Kinds of requests and answers rather than stored objects.
            "Status",
            "DeleteOptions",
            "WatchEvent",
            "APIVersions",
            "APIResourceList",
            "APIGroupList",
            "APIGroup",
            "Eviction",
            "Scale",
            "TokenRequest",
            "PodStatusResult",
            "RangeAllocation",
            "SerializedReference",
            "PodLogOptions",
            "PodAttachOptions",
            "PodExecOptions",
            "PodPortForwardOptions",
            "PodProxyOptions",
            "NodeProxyOptions",
            "ServiceProxyOptions",
        ],
        complete: true,
    },
    Group {
        name: "apps",
        kinds: &["ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Scale"],
        complete: true,
    },
    Group { name: "batch", kinds: &["CronJob", "Job"], complete: true },
    Group {
        name: "networking.k8s.io",
        kinds: &["Ingress", "IngressClass", "NetworkPolicy", "IPAddress", "ServiceCIDR"],
        complete: true,
    },
    Group { name: "discovery.k8s.io", kinds: &["EndpointSlice"], complete: true },
    Group {
        name: "gateway.networking.k8s.io",
        kinds: &[
            "GatewayClass",
            "Gateway",
            "HTTPRoute",
            "GRPCRoute",
            "ReferenceGrant",
            "TLSRoute",
            "TCPRoute",
            "UDPRoute",
            "BackendTLSPolicy",
            "BackendLBPolicy",
            "ListenerSet",
        ],
        complete: false,
    },
    Group {
        name: "policy.networking.k8s.io",
        kinds: &["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"],
        complete: false,
    },
    Group {
        name: "cilium.io",
        kinds: &["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumEndpoint", "CiliumNode"],
        complete: false,
    },
    // Calico's kinds are served under two groups: its CRDs and its API server.
    Group { name: "crd.projectcalico.org", kinds: CALICO, complete: false },
    Group { name: "projectcalico.org", kinds: CALICO, complete: false },
    Group { name: "route.openshift.io", kinds: &["Route"], complete: false },
];

/// Whether `kind` in `api_version` is a kind its (known) group does not
/// have; then the closest kind of the group, if one is a typo away. `None`
/// for a kind that exists, for a group kubereach does not know, and for a
/// `…List` kind (a list without `items` is reported on its own).
pub fn unknown(kind: &str, api_version: &str) -> Option<Option<&'static str>> {
    let group_name =
        api_version.rsplit_once('/').map_or(if api_version == "v1" { "" } else { "?" }, |(g, _)| g);
    let group = GROUPS.iter().find(|g| g.name == group_name)?;
    if group.kinds.contains(&kind) || kind.ends_with("List") {
        return None;
    }
    let close = closest(kind, group.kinds);
    (group.complete || close.is_some()).then_some(close)
}

/// The kind of `kinds` equal to `kind` but for case, else a typo away
/// (at most two edits, and fewer than a third of its letters).
fn closest(kind: &str, kinds: &[&'static str]) -> Option<&'static str> {
    if let Some(same) = kinds.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        return Some(same);
    }
    let limit = (kind.chars().count() / 3).clamp(1, 2);
    kinds
        .iter()
        .map(|k| (crate::typo::distance(&kind.to_ascii_lowercase(), &k.to_ascii_lowercase()), *k))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_in_known_groups_are_unknown_kinds() {
        assert_eq!(unknown("service", "v1"), Some(Some("Service")));
        assert_eq!(unknown("Serviceee", "v1"), Some(Some("Service")));
        assert_eq!(unknown("Deploymnet", "apps/v1"), Some(Some("Deployment")));
        assert_eq!(unknown("Frobnicator", "networking.k8s.io/v1"), Some(None));
        assert_eq!(unknown("HTTPRoutes", "gateway.networking.k8s.io/v1"), Some(Some("HTTPRoute")));
        assert_eq!(unknown("ciliumnetworkpolicy", "cilium.io/v2"), Some(Some("CiliumNetworkPolicy")));
    }

    #[test]
    fn real_kinds_and_unknown_groups_are_not() {
        assert_eq!(unknown("Service", "v1"), None);
        assert_eq!(unknown("ServiceAccount", "v1"), None);
        assert_eq!(unknown("PodList", "v1"), None);
        assert_eq!(unknown("Certificate", "cert-manager.io/v1"), None);
        assert_eq!(unknown("Serviceee", "example.com/v1"), None);
        // Custom resource groups gain kinds: only near misses are reported.
        assert_eq!(unknown("CiliumLoadBalancerIPPool", "cilium.io/v2alpha1"), None);
        assert_eq!(unknown("TCPRoute", "gateway.networking.k8s.io/v1alpha2"), None);
        assert_eq!(unknown("XBackendTrafficPolicy", "gateway.networking.k8s.io/v1alpha1"), None);
    }
}
