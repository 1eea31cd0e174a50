//! The kinds kubereach lists from a live cluster, and what the analysis
//! loses without each. `deploy/rbac.yaml` grants exactly these (a test
//! keeps the two in step).

/// One kind to list.
pub(super) struct ListKind {
    /// `api/v1` or `apis/GROUP/VERSION`.
    pub prefix: &'static str,
    /// The plural resource name in the URL.
    pub resource: &'static str,
    pub kind: &'static str,
    pub api_version: &'static str,
    pub scope: Scope,
    /// Request metadata only (Secrets).
    pub metadata_only: bool,
    /// A custom resource: a 404 means its CRD is not installed.
    pub optional: bool,
    /// What the analysis loses without this kind.
    pub weakens: &'static str,
}

/// Kinds without which no answer is worth giving: with no Pods every trace
/// fails at its source and the matrix is empty, with no Namespaces every
/// `namespaceSelector` misses, with no NetworkPolicies every blocked
/// connection looks allowed. Failing to list one of these (HTTP 403
/// included) makes the cluster unreadable, not merely less precise.
pub(super) const REQUIRED: &[&str] = &["namespaces", "pods", "networkpolicies"];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Cluster,
    Namespaced,
    /// Only this namespace, whatever the filter (CoreDNS and CNI ConfigMaps).
    Only(&'static str),
}

const fn kind(
    prefix: &'static str,
    resource: &'static str,
    kind: &'static str,
    api_version: &'static str,
    scope: Scope,
    weakens: &'static str,
) -> ListKind {
    ListKind { prefix, resource, kind, api_version, scope, metadata_only: false, optional: false, weakens }
}

pub(super) const KINDS: &[ListKind] = &[
    kind(
        "api/v1",
        "namespaces",
        "Namespace",
        "v1",
        Scope::Cluster,
        "no Namespaces: namespace labels unknown, namespaceSelectors may not match",
    ),
    kind("api/v1", "nodes", "Node", "v1", Scope::Cluster, "no Nodes: node addresses unknown"),
    kind(
        "api/v1",
        "pods",
        "Pod",
        "v1",
        Scope::Namespaced,
        "no Pods: connectivity between workloads cannot be computed",
    ),
    kind(
        "api/v1",
        "services",
        "Service",
        "v1",
        Scope::Namespaced,
        "no Services: service ports and DNS names unknown",
    ),
    kind(
        "api/v1",
        "endpoints",
        "Endpoints",
        "v1",
        Scope::Namespaced,
        "no Endpoints: service backends inferred from selectors",
    ),
    ListKind {
        metadata_only: true,
        ..kind(
            "api/v1",
            "secrets",
            "Secret",
            "v1",
            Scope::Namespaced,
            "no Secrets: checks that look for them are weakened",
        )
    },
    kind(
        "api/v1",
        "configmaps",
        "ConfigMap",
        "v1",
        Scope::Only("kube-system"),
        "no kube-system ConfigMaps: the cluster domain is assumed",
    ),
    kind(
        "apis/apps/v1",
        "deployments",
        "Deployment",
        "apps/v1",
        Scope::Namespaced,
        "no Deployments: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "statefulsets",
        "StatefulSet",
        "apps/v1",
        Scope::Namespaced,
        "no StatefulSets: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "daemonsets",
        "DaemonSet",
        "apps/v1",
        Scope::Namespaced,
        "no DaemonSets: pods are grouped by owner name only",
    ),
    kind(
        "apis/apps/v1",
        "replicasets",
        "ReplicaSet",
        "apps/v1",
        Scope::Namespaced,
        "no ReplicaSets: pods are not traced to their Deployments",
    ),
    kind(
        "api/v1",
        "replicationcontrollers",
        "ReplicationController",
        "v1",
        Scope::Namespaced,
        "no ReplicationControllers: pods are grouped by owner name only",
    ),
    kind(
        "apis/batch/v1",
        "jobs",
        "Job",
        "batch/v1",
        Scope::Namespaced,
        "no Jobs: pods are not traced to their CronJobs",
    ),
    kind(
        "apis/batch/v1",
        "cronjobs",
        "CronJob",
        "batch/v1",
        Scope::Namespaced,
        "no CronJobs: pods are grouped by Job",
    ),
    kind(
        "apis/discovery.k8s.io/v1",
        "endpointslices",
        "EndpointSlice",
        "discovery.k8s.io/v1",
        Scope::Namespaced,
        "no EndpointSlices: readiness inferred from Pods",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "ingresses",
        "Ingress",
        "networking.k8s.io/v1",
        Scope::Namespaced,
        "no Ingresses: routes from outside the cluster unknown",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "ingressclasses",
        "IngressClass",
        "networking.k8s.io/v1",
        Scope::Cluster,
        "no IngressClasses: ingress controllers not identified",
    ),
    kind(
        "apis/networking.k8s.io/v1",
        "networkpolicies",
        "NetworkPolicy",
        "networking.k8s.io/v1",
        Scope::Namespaced,
        "no NetworkPolicies: connections they deny would be reported as allowed",
    ),
    ListKind {
        optional: true,
        ..kind(
            "apis/policy.networking.k8s.io/v1alpha1",
            "adminnetworkpolicies",
            "AdminNetworkPolicy",
            "policy.networking.k8s.io/v1alpha1",
            Scope::Cluster,
            "no AdminNetworkPolicies: cluster-wide rules ignored",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/policy.networking.k8s.io/v1alpha1",
            "baselineadminnetworkpolicies",
            "BaselineAdminNetworkPolicy",
            "policy.networking.k8s.io/v1alpha1",
            Scope::Cluster,
            "no BaselineAdminNetworkPolicies: cluster-wide defaults ignored",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/route.openshift.io/v1",
            "routes",
            "Route",
            "route.openshift.io/v1",
            Scope::Namespaced,
            "no OpenShift Routes: routes from outside the cluster through the router unknown",
        )
    },
    // Gateway API (standard channel): the external routes through Gateways.
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1",
            "gatewayclasses",
            "GatewayClass",
            "gateway.networking.k8s.io/v1",
            Scope::Cluster,
            "no GatewayClasses: which controller serves a Gateway unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1",
            "gateways",
            "Gateway",
            "gateway.networking.k8s.io/v1",
            Scope::Namespaced,
            "no Gateways: routes from outside the cluster through Gateway API unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1",
            "httproutes",
            "HTTPRoute",
            "gateway.networking.k8s.io/v1",
            Scope::Namespaced,
            "no HTTPRoutes: HTTP routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1",
            "grpcroutes",
            "GRPCRoute",
            "gateway.networking.k8s.io/v1",
            Scope::Namespaced,
            "no GRPCRoutes: gRPC routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1beta1",
            "referencegrants",
            "ReferenceGrant",
            "gateway.networking.k8s.io/v1beta1",
            Scope::Namespaced,
            "no ReferenceGrants: cross-namespace backends reported as not permitted",
        )
    },
    // TLSRoute is served at `v1` since Gateway API v1.5 (standard channel),
    // at `v1alpha3` and `v1alpha2` before (experimental channel); every
    // served version is listed and one kept (`super::gateway_versions`).
    // TCPRoute and UDPRoute are experimental, at `v1alpha2` only.
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1",
            "tlsroutes",
            "TLSRoute",
            "gateway.networking.k8s.io/v1",
            Scope::Namespaced,
            "no TLSRoutes: TLS passthrough and SNI routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1alpha3",
            "tlsroutes",
            "TLSRoute",
            "gateway.networking.k8s.io/v1alpha3",
            Scope::Namespaced,
            "no TLSRoutes: TLS passthrough and SNI routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1alpha2",
            "tlsroutes",
            "TLSRoute",
            "gateway.networking.k8s.io/v1alpha2",
            Scope::Namespaced,
            "no TLSRoutes: TLS passthrough and SNI routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1alpha2",
            "tcproutes",
            "TCPRoute",
            "gateway.networking.k8s.io/v1alpha2",
            Scope::Namespaced,
            "no TCPRoutes: TCP routes through Gateways unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/gateway.networking.k8s.io/v1alpha2",
            "udproutes",
            "UDPRoute",
            "gateway.networking.k8s.io/v1alpha2",
            Scope::Namespaced,
            "no UDPRoutes: UDP routes through Gateways unknown",
        )
    },
    // The network plugins' own policies (issue: Cilium and Calico native
    // policies): without them a verdict on such a cluster can be plainly wrong.
    ListKind {
        optional: true,
        ..kind(
            "apis/cilium.io/v2",
            "ciliumnetworkpolicies",
            "CiliumNetworkPolicy",
            "cilium.io/v2",
            Scope::Namespaced,
            "no CiliumNetworkPolicies: connections they deny would be reported as allowed",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/cilium.io/v2",
            "ciliumclusterwidenetworkpolicies",
            "CiliumClusterwideNetworkPolicy",
            "cilium.io/v2",
            Scope::Cluster,
            "no CiliumClusterwideNetworkPolicies: cluster-wide rules ignored",
        )
    },
    // Calico through its API server (`projectcalico.org/v3`), as `calicoctl`
    // and the Calico docs read them.
    ListKind {
        optional: true,
        ..kind(
            "apis/projectcalico.org/v3",
            "networkpolicies",
            "NetworkPolicy",
            "projectcalico.org/v3",
            Scope::Namespaced,
            "no Calico NetworkPolicies: connections they deny would be reported as allowed",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/projectcalico.org/v3",
            "globalnetworkpolicies",
            "GlobalNetworkPolicy",
            "projectcalico.org/v3",
            Scope::Cluster,
            "no Calico GlobalNetworkPolicies: cluster-wide rules ignored",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/projectcalico.org/v3",
            "tiers",
            "Tier",
            "projectcalico.org/v3",
            Scope::Cluster,
            "no Calico Tiers: the order of tiered policies unknown",
        )
    },
    // Calico without its API server keeps them only as CRDs
    // (`crd.projectcalico.org/v1`, the datastore's storage form): read when
    // the `projectcalico.org/v3` lists have none (`super::calico`).
    ListKind {
        optional: true,
        ..kind(
            "apis/crd.projectcalico.org/v1",
            "networkpolicies",
            "NetworkPolicy",
            "crd.projectcalico.org/v1",
            Scope::Namespaced,
            "no Calico NetworkPolicies: connections they deny would be reported as allowed",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/crd.projectcalico.org/v1",
            "globalnetworkpolicies",
            "GlobalNetworkPolicy",
            "crd.projectcalico.org/v1",
            Scope::Cluster,
            "no Calico GlobalNetworkPolicies: cluster-wide rules ignored",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/crd.projectcalico.org/v1",
            "tiers",
            "Tier",
            "crd.projectcalico.org/v1",
            Scope::Cluster,
            "no Calico Tiers: the order of tiered policies unknown",
        )
    },
    ListKind {
        optional: true,
        ..kind(
            "apis/operator.tigera.io/v1",
            "installations",
            "Installation",
            "operator.tigera.io/v1",
            Scope::Cluster,
            "no Calico Installation: a Calico installed by its operator may not be recognised",
        )
    },
];
