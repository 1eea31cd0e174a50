//! Where a Gateway's proxies connect from ([`super::gateway_proxies`]).
//!
//! A pod that is not ready is out of every Service's endpoints ("If the
//! readiness probe fails, the EndpointSlice controller removes the Pod's IP
//! address from the EndpointSlices of all Services that match the Pod",
//! <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>),
//! so a proxy pod that is not ready carries no request.

use serde_json::{json, Value};

use super::gateway_proxies;
use crate::routes::Proxies;
use crate::testing::cluster;

fn class(controller: &str) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
           "metadata": {"name": "public"}, "spec": {"controllerName": controller}})
}

fn gateway() -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
           "metadata": {"name": "web", "namespace": "infra"},
           "spec": {"gatewayClassName": "public",
                    "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}})
}

/// A proxy pod of Gateway `infra/web` (the label Istio and NGINX Gateway
/// Fabric put on theirs), with its Ready condition, or no status (a manifest).
fn proxy(name: &str, ready: Option<bool>) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "infra",
                     "labels": {"gateway.networking.k8s.io/gateway-name": "web"}},
        "spec": {"containers": [{"name": "proxy", "image": "envoy"}]}});
    if let Some(ready) = ready {
        let status = if ready { "True" } else { "False" };
        pod["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": status}]});
    }
    pod
}

/// The pod names of the answer, with its variant.
fn check(objects: Vec<Value>, expect: &str) {
    let cluster = cluster(objects);
    let gateway = &cluster.gateway_api().gateways[0].value;
    let names = |pods: &[crate::model::PodId]| -> String {
        pods.iter().map(|p| cluster.pod(*p).name.clone()).collect::<Vec<_>>().join(",")
    };
    let actual = match gateway_proxies(&cluster, gateway) {
        Proxies::Pods(pods) => format!("pods {}", names(&pods)),
        Proxies::NotReady(pods) => format!("not-ready {}", names(&pods)),
        Proxies::Outside => "outside".to_owned(),
        Proxies::Symbolic => "symbolic".to_owned(),
    };
    assert_eq!(actual, expect);
}

#[test]
fn ready_proxies_and_proxies_without_status_carry_requests() {
    let istio = class("istio.io/gateway-controller");
    check(vec![istio.clone(), gateway(), proxy("a", Some(true)), proxy("b", None)], "pods a,b");
}

#[test]
fn proxies_that_are_not_ready_carry_nothing_while_others_are_ready() {
    let istio = class("istio.io/gateway-controller");
    check(vec![istio, gateway(), proxy("a", Some(false)), proxy("b", Some(true))], "pods b");
}

#[test]
fn a_gateway_whose_proxies_are_all_not_ready_serves_nothing() {
    let istio = class("istio.io/gateway-controller");
    check(vec![istio, gateway(), proxy("a", Some(false)), proxy("b", Some(false))], "not-ready a,b");
}

#[test]
fn without_proxy_pods_a_cloud_load_balancer_connects_from_outside() {
    check(vec![class("networking.gke.io/gateway"), gateway()], "outside");
}

#[test]
fn without_proxy_pods_an_in_cluster_controller_is_symbolic() {
    check(vec![class("istio.io/gateway-controller"), gateway()], "symbolic");
}
