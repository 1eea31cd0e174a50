//! backendRefs and ReferenceGrants.
//!
//! `BackendRef` reference: group `""` and kind `Service` by default; `port`
//! is required for a Service and is a port of the Service (not a target
//! port); `weight` defaults to 1 and a weight of 0 sends no traffic; a
//! reference to another namespace is valid only when a ReferenceGrant in
//! that namespace allows it, else the route's `ResolvedRefs` condition is
//! `False` with reason `RefNotPermitted`
//! (<https://gateway-api.sigs.k8s.io/api-types/referencegrant/>). Requests
//! for an invalid backend get HTTP 500.

use k8s_openapi::api::core::v1::Service;

use crate::model::{Cluster, Object};

use super::types::{BackendRef, ReferenceGrant};

/// What a backendRef resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedBackend<'c> {
    /// The Service's namespace.
    pub namespace: String,
    /// The Service, when it exists and the reference is valid.
    pub service: Option<&'c Object<Service>>,
    /// The Service port.
    pub port: Option<i32>,
    /// Share of the traffic (1 by default).
    pub weight: i32,
    /// The ReferenceGrant that allows a cross-namespace reference.
    pub grant: Option<&'c Object<ReferenceGrant>>,
    /// Why the backend is invalid, if it is (`ResolvedRefs: False`).
    pub problem: Option<BackendProblem>,
}

/// Why a backendRef does not lead to a Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendProblem {
    /// Not a Service (`InvalidKind` for kinds the implementation does not
    /// support; kubereach models Services only).
    NotAService {
        /// `group/kind`.
        kind: String,
    },
    /// In another namespace, and no ReferenceGrant there allows it (`RefNotPermitted`).
    RefNotPermitted,
    /// No Service of that name (`BackendNotFound`).
    ServiceNotFound,
    /// No `port`: required for a Service.
    PortMissing,
    /// `port` is not a port of the Service; its ports are listed.
    PortNotInService {
        /// The port asked for.
        port: i32,
        /// The Service's ports.
        ports: Vec<i32>,
    },
}

/// Resolves `backend`, referenced by a route of `route_kind` in `route_namespace`.
pub fn resolve_backend<'c>(
    cluster: &'c Cluster,
    route_kind: &str,
    route_namespace: &str,
    backend: &BackendRef,
) -> ResolvedBackend<'c> {
    let namespace = backend.namespace.clone().unwrap_or_else(|| route_namespace.to_owned());
    let mut resolved = ResolvedBackend {
        namespace: namespace.clone(),
        service: None,
        port: backend.port,
        weight: backend.weight.unwrap_or(1),
        grant: None,
        problem: None,
    };
    let group = backend.group.as_deref().unwrap_or("");
    let kind = backend.kind.as_deref().unwrap_or("Service");
    if !group.is_empty() || kind != "Service" {
        resolved.problem = Some(BackendProblem::NotAService { kind: format!("{group}/{kind}") });
        return resolved;
    }
    if namespace != route_namespace {
        resolved.grant = reference_grant(
            cluster,
            ReferenceFrom { group: super::GROUP, kind: route_kind, namespace: route_namespace },
            ReferenceTo { group: "", kind: "Service", namespace: &namespace, name: &backend.name },
        );
        if resolved.grant.is_none() {
            resolved.problem = Some(BackendProblem::RefNotPermitted);
            return resolved;
        }
    }
    let Some(service) = cluster.service(&namespace, &backend.name) else {
        resolved.problem = Some(BackendProblem::ServiceNotFound);
        return resolved;
    };
    resolved.service = Some(service);
    let ports: Vec<i32> =
        service.value.spec.iter().flat_map(|s| s.ports.iter().flatten()).map(|p| p.port).collect();
    resolved.problem = match backend.port {
        None => Some(BackendProblem::PortMissing),
        Some(port) if !ports.contains(&port) => Some(BackendProblem::PortNotInService { port, ports }),
        Some(_) => None,
    };
    resolved
}

/// The referring side of a cross-namespace reference.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceFrom<'a> {
    /// Group of the referrer (`gateway.networking.k8s.io`).
    pub group: &'a str,
    /// Kind of the referrer (`HTTPRoute`, `Gateway`).
    pub kind: &'a str,
    /// Namespace of the referrer.
    pub namespace: &'a str,
}

/// The referenced side.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceTo<'a> {
    /// Group of the referent (`""`).
    pub group: &'a str,
    /// Kind of the referent (`Service`, `Secret`).
    pub kind: &'a str,
    /// Namespace of the referent, where the grant must be.
    pub namespace: &'a str,
    /// Name of the referent.
    pub name: &'a str,
}

/// The ReferenceGrant in `to.namespace` that allows the reference, if any:
/// one `from` entry names the referrer's group, kind and namespace, and one
/// `to` entry the referent's group and kind, and its name when it gives one.
pub fn reference_grant<'c>(
    cluster: &'c Cluster,
    from: ReferenceFrom<'_>,
    to: ReferenceTo<'_>,
) -> Option<&'c Object<ReferenceGrant>> {
    cluster.gateway_api().reference_grants.iter().find(|grant| {
        grant.value.metadata.namespace.as_deref() == Some(to.namespace)
            && grant
                .value
                .spec
                .from
                .iter()
                .any(|f| f.group == from.group && f.kind == from.kind && f.namespace == from.namespace)
            && grant.value.spec.to.iter().any(|t| {
                t.group == to.group && t.kind == to.kind && t.name.as_deref().is_none_or(|n| n == to.name)
            })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn service(namespace: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": namespace},
               "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    }

    fn grant(to_name: Option<&str>) -> Value {
        let mut to = json!({"group": "", "kind": "Service"});
        if let Some(name) = to_name {
            to["name"] = json!(name);
        }
        json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
               "metadata": {"name": "from-web", "namespace": "backend"},
               "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "web"}], "to": [to]}})
    }

    fn backend(value: Value) -> BackendRef {
        serde_json::from_value(value).unwrap()
    }

    fn problem(c: &Cluster, b: Value) -> Option<BackendProblem> {
        resolve_backend(c, "HTTPRoute", "web", &backend(b)).problem
    }

    // BackendRef: "Port ... This field is required when referring to a
    // Kubernetes Service"; the port is the Service's port.
    #[test]
    fn port_is_a_service_port() {
        let c = cluster(vec![service("web")]);
        assert_eq!(problem(&c, json!({"name": "api", "port": 80})), None);
        assert_eq!(
            problem(&c, json!({"name": "api", "port": 8080})),
            Some(BackendProblem::PortNotInService { port: 8080, ports: vec![80] })
        );
        assert_eq!(problem(&c, json!({"name": "api"})), Some(BackendProblem::PortMissing));
        assert_eq!(problem(&c, json!({"name": "nope", "port": 80})), Some(BackendProblem::ServiceNotFound));
        assert!(matches!(
            problem(&c, json!({"name": "api", "kind": "Bucket", "group": "example.com"})),
            Some(BackendProblem::NotAService { .. })
        ));
        assert_eq!(
            resolve_backend(&c, "HTTPRoute", "web", &backend(json!({"name": "api", "port": 80}))).weight,
            1
        );
    }

    // ReferenceGrant: a reference to another namespace needs a grant in the
    // referent's namespace naming the referrer's kind and namespace; `to.name`
    // limits it to one object.
    #[test]
    fn cross_namespace_needs_a_reference_grant() {
        let b = json!({"name": "api", "namespace": "backend", "port": 80});
        assert_eq!(
            problem(&cluster(vec![service("backend")]), b.clone()),
            Some(BackendProblem::RefNotPermitted)
        );
        assert_eq!(problem(&cluster(vec![service("backend"), grant(None)]), b.clone()), None);
        assert_eq!(problem(&cluster(vec![service("backend"), grant(Some("api"))]), b.clone()), None);
        assert_eq!(
            problem(&cluster(vec![service("backend"), grant(Some("other"))]), b.clone()),
            Some(BackendProblem::RefNotPermitted)
        );
        let c = cluster(vec![service("backend"), grant(None)]);
        assert!(
            resolve_backend(&c, "GRPCRoute", "web", &backend(b)).problem.is_some(),
            "the grant names HTTPRoute only"
        );
    }
}
