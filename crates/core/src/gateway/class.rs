//! GatewayClass → controller, and a Gateway's data plane.
//!
//! A GatewayClass names its controller in `spec.controllerName`; the
//! controller sets the class's `Accepted` condition
//! (<https://gateway-api.sigs.k8s.io/reference/spec/#gatewayclass>). A
//! Gateway names its class in `spec.gatewayClassName`; its addresses are in
//! `status.addresses` once the implementation has assigned them
//! (<https://gateway-api.sigs.k8s.io/reference/spec/#gatewaystatus>).

use crate::labels::Labels;
use crate::model::{Cluster, Object, PodId};

use super::types::{Condition, Gateway, GatewayAddress, GatewayClass};

/// A Gateway API implementation kubereach knows by its controller name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownController {
    /// The product's name.
    pub name: &'static str,
    /// Whether its data plane runs as pods of the cluster (`false`: a cloud
    /// load balancer outside it, whose connections come from outside).
    pub in_cluster: bool,
}

/// Controller names of the implementations listed on
/// <https://gateway-api.sigs.k8s.io/implementations/>, each from the
/// implementation's own documentation. Matched exactly, or as a prefix when
/// the name ends with `/`.
const CONTROLLERS: &[(&str, KnownController)] = &[
    (
        "gateway.envoyproxy.io/gatewayclass-controller",
        KnownController { name: "Envoy Gateway", in_cluster: true },
    ),
    ("istio.io/gateway-controller", KnownController { name: "Istio", in_cluster: true }),
    ("io.cilium/gateway-controller", KnownController { name: "Cilium", in_cluster: true }),
    (
        "gateway.nginx.org/nginx-gateway-controller",
        KnownController { name: "NGINX Gateway Fabric", in_cluster: true },
    ),
    ("traefik.io/gateway-controller", KnownController { name: "Traefik", in_cluster: true }),
    ("projectcontour.io/", KnownController { name: "Contour", in_cluster: true }),
    ("kgateway.dev/kgateway", KnownController { name: "kgateway", in_cluster: true }),
    ("konghq.com/kic-gateway-controller", KnownController { name: "Kong", in_cluster: true }),
    ("networking.gke.io/gateway", KnownController { name: "GKE Gateway", in_cluster: false }),
    (
        "application-networking.k8s.aws/gateway-api-controller",
        KnownController { name: "Amazon VPC Lattice", in_cluster: false },
    ),
    ("gateway.k8s.aws/", KnownController { name: "AWS Load Balancer Controller", in_cluster: false }),
    (
        "alb.networking.azure.io/alb-controller",
        KnownController { name: "Application Gateway for Containers", in_cluster: false },
    ),
];

/// The implementation behind `controller_name`, if kubereach knows it.
pub fn known_controller(controller_name: &str) -> Option<KnownController> {
    CONTROLLERS.iter().find_map(|(name, known)| {
        let matches =
            if name.ends_with('/') { controller_name.starts_with(name) } else { controller_name == *name };
        matches.then_some(*known)
    })
}

/// Whether a GatewayClass is accepted by its controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// `Accepted: True` in its status.
    Accepted,
    /// No status in the input (a manifest), and the controller is known:
    /// assumed accepted.
    Assumed,
    /// No status, and kubereach does not know the controller.
    UnknownController,
    /// `Accepted: False`, with the condition's reason and message.
    Rejected {
        /// `reason` of the condition.
        reason: String,
        /// `message` of the condition.
        message: String,
    },
}

/// What a Gateway's class says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassResolution<'c> {
    /// The class, if it exists.
    pub class: Option<&'c Object<GatewayClass>>,
    /// Its controller, if known.
    pub controller: Option<KnownController>,
    /// Whether the controller accepted it (`None` when the class is missing).
    pub acceptance: Option<Acceptance>,
}

/// The class of `gateway` and whether its controller serves it.
pub fn gateway_class<'c>(cluster: &'c Cluster, gateway: &Gateway) -> ClassResolution<'c> {
    let Some(class) = cluster.gateway_api().class(&gateway.spec.gateway_class_name) else {
        return ClassResolution { class: None, controller: None, acceptance: None };
    };
    let controller = known_controller(&class.value.spec.controller_name);
    let conditions = class.value.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    let acceptance = match condition(conditions, "Accepted") {
        Some(c) if c.status == "True" => Acceptance::Accepted,
        Some(c) if c.status == "False" => Acceptance::Rejected {
            reason: c.reason.clone().unwrap_or_default(),
            message: c.message.clone().unwrap_or_default(),
        },
        _ if controller.is_some() => Acceptance::Assumed,
        _ => Acceptance::UnknownController,
    };
    ClassResolution { class: Some(class), controller, acceptance: Some(acceptance) }
}

/// The condition of `type_` in `conditions`.
pub fn condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Where clients reach a Gateway.
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayAddresses<'c> {
    /// `status.addresses`: assigned.
    Assigned(&'c [GatewayAddress]),
    /// `spec.addresses` asked for, no status: assigned at creation if the
    /// implementation can.
    Requested(&'c [GatewayAddress]),
    /// The input has a status without addresses: pending.
    Pending,
    /// A manifest without status: the implementation assigns one.
    AtCreation,
}

/// The addresses of `gateway`.
pub fn addresses(gateway: &Gateway) -> GatewayAddresses<'_> {
    match &gateway.status {
        Some(status) if !status.addresses.is_empty() => GatewayAddresses::Assigned(&status.addresses),
        _ if !gateway.spec.addresses.is_empty() => GatewayAddresses::Requested(&gateway.spec.addresses),
        Some(_) => GatewayAddresses::Pending,
        None => GatewayAddresses::AtCreation,
    }
}

/// Labels implementations put on the pods of a Gateway's data plane, as
/// `(name label, namespace label)`; without a namespace label the pods run
/// in the Gateway's namespace. `gateway.networking.k8s.io/gateway-name` is
/// the label the spec recommends for generated resources (GEP-1762:
/// Istio, NGINX Gateway Fabric, kgateway); Envoy Gateway and Contour use
/// their own, and Envoy Gateway runs the proxies in its own namespace.
const DATA_PLANE_LABELS: &[(&str, Option<&str>)] = &[
    ("gateway.networking.k8s.io/gateway-name", None),
    ("gateway.envoyproxy.io/owning-gateway-name", Some("gateway.envoyproxy.io/owning-gateway-namespace")),
    ("projectcontour.io/owning-gateway-name", None),
];

/// The pods of `gateway`'s data plane: the proxies that accept its
/// connections and open those to the backends.
pub fn data_plane_pods(cluster: &Cluster, gateway: &Gateway) -> Vec<PodId> {
    let namespace = gateway.metadata.namespace.as_deref().unwrap_or("default");
    let name = gateway.metadata.name.as_deref().unwrap_or_default();
    let carries = |labels: &Labels, pod_namespace: &str| {
        DATA_PLANE_LABELS.iter().any(|(name_label, namespace_label)| {
            labels.get(*name_label).map(String::as_str) == Some(name)
                && match namespace_label {
                    Some(label) => labels.get(*label).map(String::as_str) == Some(namespace),
                    None => pod_namespace == namespace,
                }
        })
    };
    (0..cluster.pods().len() as u32)
        .map(PodId)
        .filter(|id| {
            let pod = cluster.pod(*id);
            carries(&pod.labels, &pod.namespace)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    fn gateway(class: &str) -> Gateway {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "infra"},
            "spec": {"gatewayClassName": class, "listeners": []}
        }))
        .unwrap()
    }

    fn class(name: &str, controller: &str, status: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
               "metadata": {"name": name}, "spec": {"controllerName": controller}, "status": status})
    }

    // The controller names of the implementations' docs: Envoy Gateway's
    // quickstart GatewayClass, Istio's `istio` class, Contour's
    // `projectcontour.io/gateway-controller`.
    #[test]
    fn known_controllers() {
        assert_eq!(
            known_controller("gateway.envoyproxy.io/gatewayclass-controller").unwrap().name,
            "Envoy Gateway"
        );
        assert_eq!(known_controller("istio.io/gateway-controller").unwrap().name, "Istio");
        assert_eq!(known_controller("projectcontour.io/gateway-controller").unwrap().name, "Contour");
        assert!(!known_controller("networking.gke.io/gateway").unwrap().in_cluster);
        assert_eq!(known_controller("example.com/mine"), None);
    }

    // GatewayClass status: "Accepted ... indicates whether the GatewayClass
    // has been accepted by the controller requested in the
    // spec.controller field" (API reference, GatewayClassConditionType).
    #[test]
    fn acceptance_from_status_or_assumed() {
        let c = cluster(vec![
            class("eg", "gateway.envoyproxy.io/gatewayclass-controller", json!(null)),
            class(
                "bad",
                "istio.io/gateway-controller",
                json!({"conditions": [{"type": "Accepted", "status": "False", "reason": "InvalidParameters", "message": "no such config"}]}),
            ),
            class("mine", "example.com/mine", json!(null)),
        ]);
        assert_eq!(gateway_class(&c, &gateway("eg")).acceptance, Some(Acceptance::Assumed));
        assert!(
            matches!(gateway_class(&c, &gateway("bad")).acceptance, Some(Acceptance::Rejected { reason, .. }) if reason == "InvalidParameters")
        );
        assert_eq!(gateway_class(&c, &gateway("mine")).acceptance, Some(Acceptance::UnknownController));
        assert_eq!(gateway_class(&c, &gateway("none")).class, None);
    }

    #[test]
    fn addresses_assigned_requested_or_pending() {
        let mut g = gateway("eg");
        assert_eq!(addresses(&g), GatewayAddresses::AtCreation);
        g.status = Some(Default::default());
        assert_eq!(addresses(&g), GatewayAddresses::Pending);
        g.status
            .as_mut()
            .unwrap()
            .addresses
            .push(GatewayAddress { type_: None, value: "203.0.113.7".into() });
        assert!(matches!(addresses(&g), GatewayAddresses::Assigned(a) if a[0].value == "203.0.113.7"));
    }

    #[test]
    fn data_plane_by_implementation_labels() {
        let pod = |ns: &str, name: &str, labels: serde_json::Value| {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
                   "spec": {"containers": [{"name": "proxy", "image": "envoy"}]}})
        };
        let c = cluster(vec![
            pod("infra", "istio-web", json!({"gateway.networking.k8s.io/gateway-name": "web"})),
            pod("other", "istio-web", json!({"gateway.networking.k8s.io/gateway-name": "web"})),
            pod(
                "envoy-gateway-system",
                "envoy-web",
                json!({
                "gateway.envoyproxy.io/owning-gateway-name": "web",
                "gateway.envoyproxy.io/owning-gateway-namespace": "infra"}),
            ),
            pod(
                "envoy-gateway-system",
                "envoy-web-elsewhere",
                json!({
                "gateway.envoyproxy.io/owning-gateway-name": "web",
                "gateway.envoyproxy.io/owning-gateway-namespace": "other"}),
            ),
        ]);
        let names: Vec<String> = data_plane_pods(&c, &gateway("eg"))
            .into_iter()
            .map(|id| format!("{}/{}", c.pod(id).namespace, c.pod(id).name))
            .collect();
        assert_eq!(names, ["envoy-gateway-system/envoy-web", "infra/istio-web"]);
    }
}
