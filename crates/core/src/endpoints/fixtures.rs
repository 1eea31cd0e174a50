//! The test helpers of the endpoints layer: a Service `default/web` and its
//! pods, and one line per candidate backend of one of its ports.

use serde_json::{json, Value};

use super::port_endpoints;
use crate::service::service_ports;
use crate::testing::cluster;

/// A ready pod `name` in `default` with `labels`, IP and container ports.
pub(super) fn pod(name: &str, ip: &str, ready: bool, ports: Value) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
        "spec": {"nodeName": format!("node-{}", &name[name.len() - 1..]), "containers": [{"name": "c", "ports": ports}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    })
}

pub(super) fn web_service(spec: Value) -> Value {
    let mut spec = spec;
    if spec.get("selector").is_none() {
        spec["selector"] = json!({"app": "web"});
    }
    json!({"kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

/// One line per candidate backend of Service `default/web`'s port
/// `port_name` (the first port when `None`), seen from `node` when given.
pub(super) fn describe(objects: Vec<Value>, port_name: Option<&str>, node: Option<&str>) -> String {
    let cluster = cluster(objects);
    let service = &cluster.service("default", "web").expect("service default/web").value;
    let ports = service_ports(service);
    let port = match port_name {
        None => &ports[0],
        Some(name) => ports.iter().find(|p| p.name.as_deref() == Some(name)).expect("port"),
    };
    let mut backends = port_endpoints(&cluster, service, port);
    if let Some(node) = node {
        backends = backends.on_node(node);
    }
    let mut lines = vec![format!("source {:?}", backends.source)];
    for endpoint in &backends.endpoints {
        let who = match (endpoint.pod, &endpoint.target) {
            (Some(id), _) => cluster.pod(id).name.clone(),
            (None, Some(target)) => format!("?{}", target.name),
            (None, None) => "-".to_owned(),
        };
        let conditions = match endpoint.conditions {
            None => "unpublished".to_owned(),
            Some(c) => format!(
                "{}{}{}{}",
                if c.ready { "ready" } else { "not-ready" },
                if c.serving { " serving" } else { "" },
                if c.terminating { " terminating" } else { "" },
                if endpoint.assumed_ready { " assumed" } else { "" },
            ),
        };
        let port = endpoint.port.map_or("-".to_owned(), |p| p.to_string());
        let verdict = match &endpoint.exclusion {
            None => "receives".to_owned(),
            Some(exclusion) => format!("excluded {exclusion:?}"),
        };
        let replicas =
            if endpoint.replicas == 1 { String::new() } else { format!(" x{}", endpoint.replicas) };
        lines.push(format!(
            "{who}{replicas} [{}]:{port} {conditions} {verdict}",
            endpoint.addresses.join(",")
        ));
    }
    let c = backends.counts();
    lines.push(format!(
        "counts total={} published={} ready={} receiving={} assumed={}",
        c.total, c.published, c.ready, c.receiving, c.assumed
    ));
    lines.join("\n")
}

pub(super) fn check(objects: Vec<Value>, expect: &str) {
    check_port(objects, None, None, expect);
}

pub(super) fn check_port(objects: Vec<Value>, port: Option<&str>, node: Option<&str>, expect: &str) {
    let actual = describe(objects, port, node);
    assert_eq!(actual, expect.trim(), "\nactual:\n{actual}");
}
