//! Which port of its Service a backend names, and the container port it
//! leads to: the one answer for Ingress backends, Gateway API `backendRef`s
//! and OpenShift Routes (`ingress::controller_backends` for `matrix`,
//! `route::selects_port` for `routes`).
//!
//! - An Ingress backend names the Service port "by number or name"
//!   (`IngressServiceBackend.port`: `ServiceBackendPort`, "name is the name
//!   of the port on the Service", "number is the numerical port number
//!   (e.g. 80) on the Service",
//!   <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>).
//! - A Gateway API `backendRef.port` is "the destination port number to use
//!   for this resource" and, for a Service, the Service port, not the
//!   target port (`BackendObjectReference.port`,
//!   <https://gateway-api.sigs.k8s.io/reference/spec/#backendobjectreference>).
//! - An OpenShift Route's `spec.port.targetPort` is "the target port on pods
//!   selected by the service": a name is a Service port's name or its
//!   `targetPort` name, a number the target port on the pod or (as the
//!   router also accepts) the Service port; without `spec.port`, every port
//!   (<https://docs.openshift.com/container-platform/4.16/rest_api/network_apis/route-route-openshift-io-v1.html>).
//!
//! The traffic then reaches each endpoint pod on the container port the
//! Service port's `targetPort` resolves to there ([`resolve_target_port`]).

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{port_name, resolve_target_port, target_port, PortRef};
use crate::model::Pod;

/// How a backend names a port of its Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendPort<'a> {
    /// The Service port itself, by number or name (an Ingress backend, a
    /// Gateway API `backendRef`).
    ServicePort(&'a PortRef),
    /// An OpenShift Route's `spec.port.targetPort`; every port when `None`.
    RouteTarget(Option<&'a IntOrString>),
}

/// Whether `backend` names the Service port `port`. `on_pod` is the
/// container port `port`'s `targetPort` resolves to on an endpoint pod, when
/// one is known: a Route's number may name the port by it.
pub fn names_service_port(backend: BackendPort<'_>, port: &ServicePort, on_pod: Option<i32>) -> bool {
    match backend {
        BackendPort::ServicePort(PortRef::Number(number)) => port.port == *number,
        BackendPort::ServicePort(PortRef::Name(name)) => port_name(port) == Some(name.as_str()),
        BackendPort::RouteTarget(None) => true,
        BackendPort::RouteTarget(Some(IntOrString::String(name))) => {
            port_name(port) == Some(name.as_str()) || target_port(port) == PortRef::Name(name.clone())
        }
        BackendPort::RouteTarget(Some(IntOrString::Int(number))) => {
            port.port == *number || on_pod == Some(*number)
        }
    }
}

/// The container port `backend`'s traffic reaches on `pod` through the
/// Service port `port`: `None` when the backend does not name `port`, or
/// when `port`'s `targetPort` does not resolve on `pod` (a named port the
/// pod does not declare: no endpoint there).
pub fn backend_target_port(backend: BackendPort<'_>, port: &ServicePort, pod: &Pod) -> Option<u16> {
    let on_pod = resolve_target_port(port, pod).ok();
    if !names_service_port(backend, port, on_pod) {
        return None;
    }
    on_pod.and_then(|number| u16::try_from(number).ok()).filter(|number| *number != 0)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn port(spec: Value) -> ServicePort {
        serde_json::from_value(spec).unwrap()
    }

    /// A pod declaring the container port `http` as 8080.
    fn with_pod(check: impl FnOnce(&Pod)) {
        let cluster = cluster([json!({"kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}})]);
        check(&cluster.pods()[0]);
    }

    #[test]
    fn an_ingress_or_gateway_backend_names_the_service_port_not_the_target_port() {
        // `ServiceBackendPort.number` is "the numerical port number (e.g. 80)
        // on the Service"; `name` "the name of the port on the Service".
        let web = port(json!({"name": "web", "port": 80, "targetPort": "http"}));
        let by_number = PortRef::Number(80);
        let by_name = PortRef::Name("web".to_owned());
        let by_target = PortRef::Number(8080);
        let by_target_name = PortRef::Name("http".to_owned());
        with_pod(|pod| {
            assert_eq!(backend_target_port(BackendPort::ServicePort(&by_number), &web, pod), Some(8080));
            assert_eq!(backend_target_port(BackendPort::ServicePort(&by_name), &web, pod), Some(8080));
            assert_eq!(backend_target_port(BackendPort::ServicePort(&by_target), &web, pod), None);
            assert_eq!(backend_target_port(BackendPort::ServicePort(&by_target_name), &web, pod), None);
        });
    }

    #[test]
    fn a_route_target_port_names_the_service_port_or_its_target() {
        // Route `spec.port.targetPort`: the Service port's name or target
        // port name, the target port number on the pod or the Service port.
        let web = port(json!({"name": "web", "port": 80, "targetPort": "http"}));
        let target =
            |t: IntOrString| names_service_port(BackendPort::RouteTarget(Some(&t)), &web, Some(8080));
        assert!(target(IntOrString::String("web".to_owned())));
        assert!(target(IntOrString::String("http".to_owned())));
        assert!(target(IntOrString::Int(80)));
        assert!(target(IntOrString::Int(8080)));
        assert!(!target(IntOrString::Int(9090)));
        assert!(!target(IntOrString::String("grpc".to_owned())));
        let number = IntOrString::Int(8080);
        assert!(
            !names_service_port(BackendPort::RouteTarget(Some(&number)), &web, None),
            "no pod, no target"
        );
        assert!(names_service_port(BackendPort::RouteTarget(None), &web, None), "every port");
    }

    #[test]
    fn a_target_port_the_pod_does_not_declare_leads_nowhere() {
        let grpc = port(json!({"name": "grpc", "port": 9000, "targetPort": "grpc"}));
        with_pod(|pod| assert_eq!(backend_target_port(BackendPort::RouteTarget(None), &grpc, pod), None));
    }
}
