//! Objects the Ingress layer's unit tests build clusters from.

use serde_json::{json, Value};

use super::{ingress_class_of, DEFAULT_CLASS_ANNOTATION};
use crate::testing::cluster;

pub(crate) fn ingress(name: &str, spec: Value) -> Value {
    json!({"kind": "Ingress", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
}

pub(crate) fn ingress_class(name: &str, controller: &str, default: bool) -> Value {
    let annotations = if default { json!({DEFAULT_CLASS_ANNOTATION: "true"}) } else { json!({}) };
    json!({"kind": "IngressClass", "metadata": {"name": name, "annotations": annotations},
           "spec": {"controller": controller}})
}

/// A Deployment in `namespace` with one container.
pub(crate) fn deployment(namespace: &str, name: &str, labels: Value, image: &str, args: &[&str]) -> Value {
    json!({
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": labels.clone()},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "c", "image": image, "args": args}]}}},
    })
}

pub(crate) fn nginx_controller(args: &[&str]) -> Value {
    deployment(
        "ingress-nginx",
        "ingress-nginx-controller",
        json!({"app": "ingress-nginx-controller"}),
        "registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac",
        args,
    )
}

pub(crate) fn backend(service: &str, port: Value) -> Value {
    json!({"service": {"name": service, "port": port}})
}

pub(crate) fn path(path: &str, path_type: &str, service: &str) -> Value {
    json!({"path": path, "pathType": path_type, "backend": backend(service, json!({"number": 80}))})
}

/// The class resolution of the Ingress `shop/web` among `objects`, one fact per line.
pub(crate) fn check_class(objects: Vec<Value>, expect: &str) {
    let cluster = cluster(objects);
    let web = cluster.ingresses().iter().find(|i| i.value.metadata.name.as_deref() == Some("web")).unwrap();
    let resolution = ingress_class_of(&cluster, &web.value);
    let mut lines = vec![format!("class {:?} via {:?}", resolution.class, resolution.source)];
    if let Some(controller) = &resolution.controller {
        let workloads: Vec<String> =
            controller.workloads.iter().map(|w| format!("{}/{}", w.kind, w.id())).collect();
        lines.push(format!(
            "controller {:?} {:?} in-cluster {:?} [{}]",
            controller.kind,
            controller.controller,
            controller.in_cluster,
            workloads.join(", ")
        ));
    }
    for problem in &resolution.problems {
        lines.push(format!("problem {problem:?}"));
    }
    assert_eq!(lines.join("\n"), expect.trim(), "\n{resolution:#?}");
}

pub(crate) fn hosted(name: &str, class: &str, host: Option<&str>, paths: Vec<Value>) -> Value {
    let mut rule = json!({"http": {"paths": paths}});
    if let Some(host) = host {
        rule["host"] = json!(host);
    }
    ingress(name, json!({"ingressClassName": class, "rules": [rule]}))
}

pub(crate) fn api_service(ports: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
           "spec": {"selector": {"app": "api"}, "ports": ports}})
}

pub(crate) fn api_pod() -> Value {
    json!({"kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop", "labels": {"app": "api"}},
           "spec": {"containers": [{"name": "api", "ports": [{"name": "http", "containerPort": 8080}]}]}})
}
