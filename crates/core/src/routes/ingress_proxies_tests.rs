//! Where an ingress controller's pods connect from
//! ([`super::controller_proxies`], [`super::ingress_proxies`]).
//!
//! A pod that is not ready is out of every Service's endpoints ("If the
//! readiness probe fails, the EndpointSlice controller removes the Pod's IP
//! address from the EndpointSlices of all Services that match the Pod",
//! <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>;
//! its endpoint's `ready` condition is `false`,
//! <https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#ready>),
//! so the controller's Service sends it no request. A `hostNetwork` pod
//! listens on its node's addresses, and a `hostPort` is DNATed to the pod
//! by the CNI `portmap` plugin (<https://www.cni.dev/plugins/current/meta/portmap/>):
//! neither path consults readiness.

use serde_json::{json, Value};

use super::ingress_proxies;
use crate::routes::Proxies;
use crate::testing::cluster;

fn class() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
           "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}})
}

fn ingress() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
               {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
}

/// An ingress-nginx controller pod with its Ready condition (or no status:
/// a manifest), on the pod network or bound on its node as `binding` says.
fn controller(name: &str, ready: Option<bool>, binding: &str) -> Value {
    let mut port = json!({"name": "http", "containerPort": 80});
    if binding == "hostPort" {
        port["hostPort"] = json!(80);
    }
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "ingress-nginx",
                     "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}},
        "spec": {"hostNetwork": binding == "hostNetwork", "containers": [{"name": "controller",
                 "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2", "ports": [port]}]}});
    if let Some(ready) = ready {
        let status = if ready { "True" } else { "False" };
        pod["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": status}]});
    }
    pod
}

/// The pod names of the answer for Ingress `shop/web`, with its variant.
fn check(pods: Vec<Value>, expect: &str) {
    let cluster = cluster([vec![class(), ingress()], pods].concat());
    let names = |pods: &[crate::model::PodId]| -> String {
        pods.iter().map(|p| cluster.pod(*p).name.clone()).collect::<Vec<_>>().join(",")
    };
    let actual = match ingress_proxies(&cluster, &cluster.ingresses()[0]) {
        Proxies::Pods(pods) => format!("pods {}", names(&pods)),
        Proxies::NotReady(pods) => format!("not-ready {}", names(&pods)),
        Proxies::Outside => "outside".to_owned(),
        Proxies::Symbolic => "symbolic".to_owned(),
    };
    assert_eq!(actual, expect);
}

#[test]
fn ready_pods_and_pods_without_status_carry_requests() {
    check(vec![controller("a", Some(true), ""), controller("b", None, "")], "pods a,b");
}

#[test]
fn pods_that_are_not_ready_carry_nothing_while_others_are_ready() {
    check(vec![controller("a", Some(false), ""), controller("b", Some(true), "")], "pods b");
}

#[test]
fn a_controller_whose_pods_are_all_not_ready_serves_nothing() {
    check(vec![controller("a", Some(false), ""), controller("b", Some(false), "")], "not-ready a,b");
}

#[test]
fn pods_bound_on_their_node_receive_requests_when_not_ready() {
    let pods = vec![controller("a", Some(false), "hostNetwork"), controller("b", Some(false), "hostPort")];
    check(pods, "pods a,b");
}

#[test]
fn a_ready_pod_comes_before_a_not_ready_one_bound_on_its_node() {
    check(vec![controller("a", Some(false), "hostNetwork"), controller("b", Some(true), "")], "pods b,a");
}

#[test]
fn without_controller_pods_an_in_cluster_controller_is_symbolic() {
    check(Vec::new(), "symbolic");
}
