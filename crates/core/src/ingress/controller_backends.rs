//! Where the ingress controllers send traffic, for the whole cluster: every
//! Service backend of every Ingress and OpenShift Route, and the container
//! port it reaches on each pod (a Gateway's are
//! [`crate::gateway::data_plane::backend_ports`]). `matrix` draws its `{ingress-controller}`
//! edges from this; the Ingress side is [`super::check_backends`], the one
//! answer `trace` and `check` use too.
//!
//! - An Ingress backend names a Service port by number or name
//!   (`IngressServiceBackend.port`, <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>);
//!   the controller proxies to the endpoints of that port, on the
//!   container port its `targetPort` resolves to on each pod (the
//!   EndpointSlice controller's `FindPort`, [`crate::service::resolve_target_port`]).
//! - An OpenShift Route's `spec.port.targetPort` is "the target port on pods
//!   selected by the service", a name "looked up as a named port in the
//!   target endpoints port list"
//!   (<https://docs.openshift.com/container-platform/4.16/rest_api/network_apis/route-route-openshift-io-v1.html>):
//!   the Service port of that name or target port name; a number is the
//!   Service port's target port on the pod, or (as the router also accepts)
//!   the Service port itself; without `spec.port`, every port.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{check_backends, BackendStatus};
use crate::model::{Cluster, Object, Pod};
use crate::ports::Protocol;
use crate::service::{backend_target_port, port_protocol, service_ports, BackendPort, PortRef};

/// A Service an ingress controller or the OpenShift router sends traffic to.
#[derive(Debug, Clone)]
pub struct ControllerBackend<'c> {
    /// The Service.
    pub service: &'c Object<Service>,
    /// The Ingress whose backend it is; `None` for an OpenShift Route's.
    pub ingress: Option<&'c Object<Ingress>>,
    /// Which of its ports.
    ports: BackendPorts,
}

#[derive(Debug, Clone)]
enum BackendPorts {
    /// An Ingress or Gateway API backend's Service port, by number.
    Port(PortRef),
    /// A Route's `spec.port.targetPort`; every port when absent.
    RouteTarget(Option<IntOrString>),
}

/// Every Service backend of the cluster's Ingresses and Routes whose Service
/// is in the input, in input order.
pub fn controller_backends(cluster: &Cluster) -> Vec<ControllerBackend<'_>> {
    let mut backends = Vec::new();
    for ingress in cluster.ingresses() {
        for check in check_backends(cluster, ingress) {
            let BackendStatus::Ok { port } = check.status else { continue };
            let crate::ingress::BackendRef::Service { service, .. } = &check.backend else { continue };
            let Some(found) = cluster.service(&service.namespace, &service.name) else { continue };
            let ports = BackendPorts::Port(PortRef::Number(port.port));
            backends.push(ControllerBackend { service: found, ingress: Some(ingress), ports });
        }
    }
    for route in cluster.routes() {
        let namespace = route.value.metadata.namespace.as_deref().unwrap_or("default");
        let target = route.value.spec.port.as_ref().map(|p| p.target_port.clone());
        for name in route.value.services() {
            let Some(found) = cluster.service(namespace, name) else { continue };
            backends.push(ControllerBackend {
                service: found,
                ingress: None,
                ports: BackendPorts::RouteTarget(target.clone()),
            });
        }
    }
    backends
}

impl ControllerBackend<'_> {
    /// The container ports the controller's connections reach on `pod`, one
    /// of the Service's endpoints.
    pub fn target_ports_on(&self, pod: &Pod) -> Vec<u16> {
        let backend = match &self.ports {
            BackendPorts::Port(port) => BackendPort::ServicePort(port),
            BackendPorts::RouteTarget(target) => BackendPort::RouteTarget(target.as_ref()),
        };
        // The router proxies HTTP: TCP ports only.
        let mut found: Vec<u16> = service_ports(&self.service.value)
            .iter()
            .filter(|p| port_protocol(p) == Protocol::Tcp)
            .filter_map(|p| backend_target_port(backend, p, pod))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}
