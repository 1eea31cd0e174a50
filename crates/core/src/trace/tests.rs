//! Traces over small clusters, layer by layer. Each test states the
//! Kubernetes behaviour it checks, with the page that documents it.

use serde_json::{json, Value};

use super::*;
use crate::cni::{behaviour, PluginOverrides, PolicyView};
use crate::policy::PolicyOptions;
use crate::testing::cluster;

mod cni;
mod controller_source;
mod dns;
mod endpoints;
mod ingress_layers;
mod patterns;
mod policy;
mod service;
mod snat;
mod source;

// ---- fixtures ----

/// A Deployment `namespace/name` whose pods are labelled `app: name`.
fn deployment(namespace: &str, name: &str, replicas: u32, ports: Value) -> Value {
    json!({
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": format!("{name}:1"), "ports": ports}]}}},
    })
}

fn service(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

/// A running pod with a status, as a dump has it.
fn pod(namespace: &str, name: &str, labels: Value, ports: Value, ip: &str, ready: bool, node: &str) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "c:1", "ports": ports}]},
        "status": {"phase": "Running", "podIP": ip,
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    })
}

fn node(name: &str, address: &str) -> Value {
    json!({"kind": "Node", "metadata": {"name": name},
           "status": {"addresses": [{"type": "InternalIP", "address": address}]}})
}

/// Cluster DNS, Calico, and an `api` behind `prod/api` and a `frontend` in
/// `prod`, a `client` in `web`.
fn base() -> Vec<Value> {
    vec![
        json!({"kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                                     "spec": {"dnsPolicy": "Default", "containers": [{"name": "coredns", "image": "coredns/coredns:1.11.3",
                                              "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                                        {"name": "dns-tcp", "containerPort": 53}]}]}}}}),
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                   "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]}),
        ),
        json!({"kind": "DaemonSet", "metadata": {"name": "calico-node", "namespace": "kube-system"},
               "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}},
                        "template": {"metadata": {"labels": {"k8s-app": "calico-node"}},
                                     "spec": {"hostNetwork": true, "containers": [{"name": "calico-node", "image": "calico/node:v3.28.0"}]}}}}),
        deployment("prod", "api", 3, json!([{"name": "http", "containerPort": 8080}])),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
        ),
        deployment("prod", "frontend", 2, json!([{"name": "web", "containerPort": 3000}])),
        deployment("web", "client", 1, json!([])),
    ]
}

fn with(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = base();
    objects.extend(extra);
    objects
}

/// Replaces the object of `kind` called `name` in `objects`.
fn replace(objects: Vec<Value>, object: Value) -> Vec<Value> {
    let same = |o: &Value| o["kind"] == object["kind"] && o["metadata"]["name"] == object["metadata"]["name"];
    let mut objects: Vec<Value> = objects.into_iter().filter(|o| !same(o)).collect();
    objects.push(object);
    objects
}

fn run(objects: Vec<Value>, source: &str, destination: &str, cni: Option<&str>, protocol: Protocol) -> Trace {
    let cluster = cluster(objects);
    let overrides = PluginOverrides { cni: cni.map(str::to_owned), ..PluginOverrides::default() };
    let engine = PolicyEngine::for_plugin(&cluster, behaviour(&cluster, &overrides), PolicyView::AsWritten);
    let options = TraceOptions { protocol, http: Default::default() };
    trace(
        &cluster,
        &engine,
        &TraceSource::parse(source).unwrap(),
        &TraceDestination::parse(destination).unwrap(),
        &options,
    )
}

/// The statuses of the layers that are not skipped, then the verdict.
fn statuses(trace: &Trace) -> String {
    let mut lines: Vec<String> = trace
        .steps
        .iter()
        .filter(|s| s.status != Status::Skip)
        .map(|s| format!("{:?} {}", s.status, s.layer).to_lowercase())
        .collect();
    lines.push(match trace.blocked_at {
        Some(layer) => format!("=> blocked at {layer}"),
        None => "=> allowed".to_owned(),
    });
    lines.join("\n")
}

/// Traces `source` → `destination` and compares the statuses; then each
/// `(layer, text)` of `says` must appear in that step's summary, evidence or fix.
#[track_caller]
fn check(objects: Vec<Value>, source: &str, destination: &str, expect: &str, says: &[(Layer, &str)]) {
    check_with(objects, source, destination, None, Protocol::Tcp, expect, says);
}

#[track_caller]
fn check_with(
    objects: Vec<Value>,
    source: &str,
    destination: &str,
    cni: Option<&str>,
    protocol: Protocol,
    expect: &str,
    says: &[(Layer, &str)],
) {
    let trace = run(objects, source, destination, cni, protocol);
    let dump = serde_json::to_string_pretty(&trace).unwrap();
    assert_eq!(statuses(&trace), expect.trim(), "\n{dump}");
    for (layer, text) in says {
        let step = trace.steps.iter().find(|s| s.layer == *layer).unwrap();
        let found = step.summary.contains(text)
            || step.fix.contains(text)
            || step.evidence.iter().any(|e| e.contains(text));
        assert!(found, "{layer} does not say {text:?}:\n{dump}");
    }
    assert_eq!(trace.steps.len(), 12, "every layer has a step:\n{dump}");
    for step in &trace.steps {
        let first = step.summary.chars().next().unwrap_or('a');
        assert!(
            !first.is_uppercase() && !step.summary.ends_with('.'),
            "wording of {:?}:\n{dump}",
            step.summary
        );
    }
}

// ---- ingress fixtures ----

fn ingress_objects(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = with(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
               "spec": {"controller": "k8s.io/ingress-nginx"}}),
        json!({"kind": "Deployment", "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
               "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
                        "template": {"metadata": {"labels": {"app.kubernetes.io/name": "ingress-nginx"}},
                                     "spec": {"containers": [{"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                                              "args": ["/nginx-ingress-controller", "--ingress-class=nginx"],
                                              "ports": [{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]}]}}}}),
    ]);
    objects.extend(extra);
    objects
}

fn ingress(name: &str, spec: Value) -> Value {
    json!({"kind": "Ingress", "metadata": {"name": name, "namespace": "prod"}, "spec": spec})
}

fn rule(host: &str, path: &str, path_type: &str, service: &str, port: Value) -> Value {
    json!({"host": host, "http": {"paths": [{"path": path, "pathType": path_type,
                                             "backend": {"service": {"name": service, "port": port}}}]}})
}

// ---- contract ----

#[test]
fn json_contract() {
    let trace = run(base(), "prod/frontend", "http://api.prod/", None, Protocol::Tcp);
    let value = serde_json::to_value(&trace).unwrap();
    assert_eq!(value["schema"], "kubereach.trace/v1");
    assert_eq!(value["verdict"], "allowed");
    assert_eq!(value["blocked_at"], Value::Null);
    let layers: Vec<&str> =
        value["steps"].as_array().unwrap().iter().map(|s| s["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, super::PATH_ORDER.iter().map(|l| l.as_str()).collect::<Vec<_>>());
    for step in value["steps"].as_array().unwrap() {
        assert!(["pass", "fail", "skip", "warn"].contains(&step["status"].as_str().unwrap()));
        assert!(step["summary"].is_string() && step["fix"].is_string() && step["evidence"].is_array());
    }
}

// Fidelity at the edges of Services and Ingress controllers.
#[path = "edges_tests.rs"]
mod edges;
