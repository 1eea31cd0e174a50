//! The OpenShift router's pods are judged as any ingress controller's
//! ([`super::super::controller_proxies`]): a pod that is not ready is out
//! of the endpoints of the router's Service ("If the readiness probe fails,
//! the EndpointSlice controller removes the Pod's IP address from the
//! EndpointSlices of all Services that match the Pod",
//! <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>),
//! so it carries no request; with none ready the router serves nothing. A
//! router on the host network (the `HostNetwork` endpoint publishing
//! strategy, <https://docs.openshift.com/container-platform/4.16/networking/ingress-operator.html>)
//! receives on its node's address whatever its readiness.

use serde_json::{json, Value};

use crate::cni::PolicyView;
use crate::policy::PolicyEngine;
use crate::routes::outcome::{resolve, Outcome, Probe};
use crate::routes::{table, PolicyVerdict};
use crate::testing::cluster;

/// A router pod in `openshift-ingress` with its Ready condition, on the
/// host network or not.
fn router(name: &str, ready: bool, host_network: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "openshift-ingress",
                        "labels": {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"}},
           "spec": {"hostNetwork": host_network,
                    "containers": [{"name": "router", "image": "quay.io/openshift/origin-haproxy-router:4.16"}]},
           "status": {"phase": "Running",
                      "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
}

/// A Route for `shop.example.com` to `shop/web`, its pod and Service, and
/// the router pods.
fn objects(routers: Vec<Value>) -> Vec<Value> {
    let mut objects = vec![
        json!({"apiVersion": "route.openshift.io/v1", "kind": "Route",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"host": "shop.example.com", "to": {"kind": "Service", "name": "web"}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "shop", "name": "web-0", "labels": {"app": "web"}},
               "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 8080}]}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
    ];
    objects.extend(routers);
    objects
}

/// What `http://shop.example.com/` gets, and the verdict of the Route's row.
fn check(routers: Vec<Value>, outcome: Outcome, verdict: PolicyVerdict) {
    let cluster = cluster(objects(routers));
    let plugin = crate::cni::behaviour(&cluster, &Default::default());
    let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::AsWritten);
    let probe =
        Probe { scheme: "http".to_owned(), host: "shop.example.com".to_owned(), path: "/".to_owned() };
    assert_eq!(resolve(&engine, &probe).outcome, outcome);
    let report = table(&engine);
    let row = report.routes.iter().find(|r| r.object.kind == "Route").expect("the Route's row");
    assert_eq!(row.backends[0].policy, verdict);
}

fn forward() -> Outcome {
    Outcome::Forward { backends: vec!["shop/web:80".to_owned()], refused_by_policy: Vec::new() }
}

#[test]
fn a_router_whose_pods_are_all_not_ready_serves_nothing() {
    let routers = vec![router("router-default-a", false, false), router("router-default-b", false, false)];
    check(routers, Outcome::NoReadyProxies, PolicyVerdict::NoReadyProxies);
}

#[test]
fn a_ready_router_pod_carries_the_requests() {
    let routers = vec![router("router-default-a", false, false), router("router-default-b", true, false)];
    check(routers, forward(), PolicyVerdict::Allowed);
}

#[test]
fn a_router_on_the_host_network_receives_requests_when_not_ready() {
    check(vec![router("router-default-a", false, true)], forward(), PolicyVerdict::Allowed);
}
