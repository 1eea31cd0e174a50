//! Objects and renderings the DNS layer's unit tests share.

use serde_json::{json, Value};

use super::{resolve, Answer, QueryType, Record, RecordData};
use crate::testing::cluster;

pub(crate) fn service(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

pub(crate) fn pod(namespace: &str, name: &str, spec: Value, status: Value) -> Value {
    let mut spec = spec;
    spec["containers"] = json!([{"name": "c"}]);
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
           "spec": spec, "status": status})
}

pub(crate) fn running(ip: &str) -> Value {
    json!({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "conditions": [{"type": "Ready", "status": "True"}]})
}

/// A small cluster: the DNS Service, `prod/api` (ClusterIP with named
/// ports), the client pod `app/client`, plus `extra`.
pub(crate) fn objects(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = vec![
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}),
        ),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "api"},
                 "ports": [{"name": "http", "port": 80}, {"port": 9000, "name": "grpc", "protocol": "TCP"}]}),
        ),
        pod("app", "client", json!({}), running("10.244.0.5")),
    ];
    objects.extend(extra);
    objects
}

pub(crate) fn render_record(record: &Record) -> String {
    let unknown = || "?".to_owned();
    match &record.data {
        RecordData::A { address } => format!("A {}", address.clone().unwrap_or_else(unknown)),
        RecordData::Aaaa { address } => format!("AAAA {}", address.clone().unwrap_or_else(unknown)),
        RecordData::Srv { port, target } => {
            format!("SRV {port} {}", target.clone().unwrap_or_else(unknown))
        }
        RecordData::Ptr { target } => format!("PTR {target}"),
        RecordData::Cname { target } => format!("CNAME {target}"),
    }
}

pub(crate) fn render(answer: &Answer) -> String {
    match answer {
        Answer::Records { records } => records.iter().map(render_record).collect::<Vec<_>>().join(", "),
        Answer::Alias { records, target } => format!(
            "{} -> {}",
            records.iter().map(render_record).collect::<Vec<_>>().join(", "),
            render(target)
        ),
        Answer::HostsFile { records } => {
            format!("hosts-file {}", records.iter().map(render_record).collect::<Vec<_>>().join(", "))
        }
        Answer::Literal { address } => format!("literal {address}"),
        other => format!("{other:?}"),
    }
}

/// Resolves `name` from the pod `from` (`ns/name`), one line per query
/// and a final `=>` line.
pub(crate) fn check(objects: Vec<Value>, from: &str, name: &str, qtype: QueryType, expect: &str) {
    let cluster = cluster(objects);
    let (namespace, pod_name) = from.split_once('/').unwrap();
    let pod =
        cluster.pods().iter().find(|p| p.namespace == namespace && p.name == pod_name).expect("source pod");
    let resolution = resolve(&cluster, pod, name, qtype);
    let mut lines: Vec<String> = resolution
        .queries
        .iter()
        .map(|q| format!("{} {} -> {}", q.name, q.qtype.as_str(), render(&q.answer)))
        .collect();
    lines.push(format!("=> {}", render(&resolution.answer)));
    let actual = lines.join("\n");
    assert_eq!(actual, expect.trim(), "\nactual:\n{actual}");
}
