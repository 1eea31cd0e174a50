//! Ingress backends: a Service port by number or name, not a container port
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules>),
//! or a `resource`; whether the Service and its port exist and carry TCP.

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};
use serde::Serialize;

use super::IngressRef;
use crate::model::{Cluster, Object, Pod};
use crate::origin::Location;
use crate::ports::Protocol;
use crate::service::{
    external_name, find_service_port, resolve_target_port, service_kind, service_ports, target_port, PortRef,
    ServiceKind, ServicePortKey, ServiceRef,
};

/// Where a backend is written in an Ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "site", rename_all = "kebab-case")]
pub enum BackendSite {
    /// `spec.defaultBackend`.
    DefaultBackend,
    /// `spec.rules[rule].http.paths[path].backend`.
    Path {
        /// Index in `spec.rules`.
        rule: usize,
        /// Index in the rule's `http.paths`.
        path: usize,
    },
}

/// What a backend points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BackendRef {
    /// A Service port.
    Service {
        /// The Service, in the Ingress's namespace.
        service: ServiceRef,
        /// The port by number or name; `None` when neither is written.
        port: Option<PortRef>,
    },
    /// A resource of another kind (`spec...backend.resource`).
    Resource {
        /// Its API group (`None` for the core group).
        api_group: Option<String>,
        /// Its kind.
        kind: String,
        /// Its name.
        name: String,
    },
    /// Neither a Service nor a resource (invalid).
    None,
}

/// Whether an Ingress backend reaches a port of a Service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BackendCheck {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the backend is.
    pub site: BackendSite,
    /// What it points at.
    pub backend: BackendRef,
    /// The verdict.
    pub status: BackendStatus,
    /// Where the backend is written.
    pub location: Location,
}

/// The verdict on an Ingress backend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum BackendStatus {
    /// The Service has the port.
    Ok {
        /// The Service port.
        port: ServicePortKey,
    },
    /// An `ExternalName` Service: the controller proxies to a DNS name
    /// (ingress-nginx does; not every controller supports it).
    ExternalName {
        /// The name.
        external_name: String,
    },
    /// A `resource` backend: not a Service, not checked.
    Resource,
    /// The backend has neither `service` nor `resource`.
    MissingService,
    /// The Service backend names no port.
    MissingPort,
    /// No such Service in the Ingress's namespace.
    ServiceNotFound,
    /// The Service has no such port.
    PortNotFound {
        /// The Service's ports.
        service_ports: Vec<ServicePortKey>,
        /// The number (or name) is a container port of the pods the Service
        /// selects: the backend names the pod's port instead of the Service's.
        container_port: bool,
        /// The Service port that leads to that container port, the likely intent.
        suggestion: Option<ServicePortKey>,
    },
    /// The port exists but is not TCP: Ingress traffic is HTTP over TCP.
    NotTcp {
        /// The Service port.
        port: ServicePortKey,
    },
}

impl BackendSite {
    /// The field path of the backend (`spec.rules[0].http.paths[1].backend`).
    pub fn field_path(self) -> String {
        match self {
            BackendSite::DefaultBackend => "spec.defaultBackend".to_owned(),
            BackendSite::Path { rule, path } => format!("spec.rules[{rule}].http.paths[{path}].backend"),
        }
    }
}

/// Whether the backend at `site` of `ingress` reaches a port of a Service;
/// `None` when `ingress` has no backend there.
pub fn check_backend(
    cluster: &Cluster,
    ingress: &Object<Ingress>,
    site: BackendSite,
) -> Option<BackendCheck> {
    let backend = backend_at(&ingress.value, site)?;
    let reference = backend_ref(&ingress.value, backend);
    let status = backend_status(cluster, &reference);
    Some(BackendCheck {
        ingress: IngressRef::of(&ingress.value),
        site,
        backend: reference,
        status,
        location: ingress.origin.field_location(&site.field_path()),
    })
}

/// [`check_backend`] for every backend of `ingress`, default backend first.
pub fn check_backends(cluster: &Cluster, ingress: &Object<Ingress>) -> Vec<BackendCheck> {
    let mut sites = Vec::new();
    let spec = ingress.value.spec.as_ref();
    if spec.and_then(|s| s.default_backend.as_ref()).is_some() {
        sites.push(BackendSite::DefaultBackend);
    }
    for (r, rule) in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten().enumerate() {
        for p in 0..rule.http.as_ref().map_or(0, |h| h.paths.len()) {
            sites.push(BackendSite::Path { rule: r, path: p });
        }
    }
    sites.into_iter().filter_map(|site| check_backend(cluster, ingress, site)).collect()
}

fn backend_at(ingress: &Ingress, site: BackendSite) -> Option<&IngressBackend> {
    let spec = ingress.spec.as_ref()?;
    match site {
        BackendSite::DefaultBackend => spec.default_backend.as_ref(),
        BackendSite::Path { rule, path } => {
            Some(&spec.rules.as_ref()?.get(rule)?.http.as_ref()?.paths.get(path)?.backend)
        }
    }
}

pub(crate) fn backend_ref(ingress: &Ingress, backend: &IngressBackend) -> BackendRef {
    if let Some(service) = &backend.service {
        let port = service.port.as_ref().and_then(|p| match (&p.name, p.number) {
            (Some(name), _) if !name.is_empty() => Some(PortRef::Name(name.clone())),
            (_, Some(number)) if number != 0 => Some(PortRef::Number(number)),
            _ => None,
        });
        let namespace = IngressRef::of(ingress).namespace;
        return BackendRef::Service { service: ServiceRef { namespace, name: service.name.clone() }, port };
    }
    match &backend.resource {
        Some(resource) => BackendRef::Resource {
            api_group: resource.api_group.clone().filter(|g| !g.is_empty()),
            kind: resource.kind.clone(),
            name: resource.name.clone(),
        },
        None => BackendRef::None,
    }
}

fn backend_status(cluster: &Cluster, reference: &BackendRef) -> BackendStatus {
    let (service_ref, port) = match reference {
        BackendRef::Resource { .. } => return BackendStatus::Resource,
        BackendRef::None => return BackendStatus::MissingService,
        BackendRef::Service { port: None, .. } => return BackendStatus::MissingPort,
        BackendRef::Service { service, port: Some(port) } => (service, port.clone()),
    };
    let Some(service) = cluster.service(&service_ref.namespace, &service_ref.name) else {
        return BackendStatus::ServiceNotFound;
    };
    let service = &service.value;
    if service_kind(service) == Some(ServiceKind::ExternalName) {
        return BackendStatus::ExternalName {
            external_name: external_name(service).unwrap_or_default().to_owned(),
        };
    }
    if let Some(found) = find_service_port(service, &port, Protocol::Tcp) {
        return BackendStatus::Ok { port: ServicePortKey::of(found) };
    }
    let other_protocol =
        [Protocol::Udp, Protocol::Sctp].into_iter().find_map(|p| find_service_port(service, &port, p));
    if let Some(found) = other_protocol {
        return BackendStatus::NotTcp { port: ServicePortKey::of(found) };
    }
    let pods: Vec<&Pod> =
        cluster.pods_selected_by_service(service).into_iter().map(|id| cluster.pod(id)).collect();
    let container_port = pods.iter().any(|pod| {
        pod.container_ports().any(|p| match &port {
            PortRef::Number(number) => p.port == *number,
            PortRef::Name(name) => p.name.as_deref() == Some(name.as_str()),
        })
    });
    let mut ports: Vec<ServicePortKey> = service_ports(service).iter().map(ServicePortKey::of).collect();
    ports.sort();
    let suggestion = if container_port {
        let mut leading: Vec<ServicePortKey> = service_ports(service)
            .iter()
            .filter(|sp| match &port {
                PortRef::Number(number) => pods.iter().any(|pod| resolve_target_port(sp, pod) == Ok(*number)),
                PortRef::Name(name) => target_port(sp) == PortRef::Name(name.clone()),
            })
            .map(ServicePortKey::of)
            .collect();
        leading.sort();
        leading.into_iter().next()
    } else {
        None
    };
    BackendStatus::PortNotFound { service_ports: ports, container_port, suggestion }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::ingress::test_support::*;
    use crate::testing::cluster;

    fn check_backend_status(service: Value, pods: Vec<Value>, port: Value, expect: &str) {
        let mut objects = vec![
            ingress(
                "web",
                json!({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend("api", port)}]}}]}),
            ),
            service,
        ];
        objects.extend(pods);
        let cluster = cluster(objects);
        let checks = check_backends(&cluster, &cluster.ingresses()[0]);
        assert_eq!(checks.len(), 1);
        assert_eq!(format!("{:?}", checks[0].status), expect);
    }

    // The backend port is a port of the Service, by number or name — not
    // the container port (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules:
    // "a combination of a service name and a port name or number").
    #[test]
    fn backend_ports() {
        let ports = json!([{"name": "web", "port": 80, "targetPort": "http"}]);
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"number": 80}),
            "Ok { port: ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp } }",
        );
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"name": "web"}),
            "Ok { port: ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp } }",
        );
        // The classic mistake: the container port.
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"number": 8080}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: true, suggestion: Some(ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }) }",
        );
        check_backend_status(
            api_service(ports.clone()),
            vec![api_pod()],
            json!({"name": "http"}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: true, suggestion: Some(ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }) }",
        );
        check_backend_status(
            api_service(ports),
            vec![api_pod()],
            json!({"number": 9999}),
            "PortNotFound { service_ports: [ServicePortKey { name: Some(\"web\"), port: 80, protocol: Tcp }], container_port: false, suggestion: None }",
        );
        check_backend_status(
            api_service(json!([{"name": "dns", "port": 53, "protocol": "UDP"}])),
            vec![],
            json!({"number": 53}),
            "NotTcp { port: ServicePortKey { name: Some(\"dns\"), port: 53, protocol: Udp } }",
        );
        check_backend_status(
            json!({"kind": "Service", "metadata": {"name": "other", "namespace": "shop"}}),
            vec![],
            json!({"number": 80}),
            "ServiceNotFound",
        );
        check_backend_status(
            json!({"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
                   "spec": {"type": "ExternalName", "externalName": "api.example.net"}}),
            vec![],
            json!({"number": 80}),
            "ExternalName { external_name: \"api.example.net\" }",
        );
        check_backend_status(api_service(json!([{"port": 80}])), vec![], json!({}), "MissingPort");
    }

    #[test]
    fn resource_backends_are_not_checked() {
        let cluster = cluster(vec![ingress(
            "web",
            json!({"defaultBackend": {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}}}),
        )]);
        let check = check_backend(&cluster, &cluster.ingresses()[0], BackendSite::DefaultBackend).unwrap();
        assert_eq!(check.status, BackendStatus::Resource);
        assert_eq!(
            check.backend,
            BackendRef::Resource {
                api_group: Some("k8s.example.com".to_owned()),
                kind: "StorageBucket".to_owned(),
                name: "static".to_owned()
            }
        );
        assert!(check_backend(&cluster, &cluster.ingresses()[0], BackendSite::Path { rule: 0, path: 0 })
            .is_none());
    }
}
