//! The `kubereach dns` report: how a name resolves from a pod, every query
//! in order, the answer, and whether the pod reaches cluster DNS at all.
//! It composes two layers, cluster DNS ([`crate::dns`]) and `trace`, so it
//! sits above both.
//!
//! Like `trace`, `check` and `matrix`, the core returns the report as data
//! and the binary only renders it: the resolver ([`resolve`]), the DNS
//! server's reachability (`trace`'s `dns` step, [`dns_server_step`]) and the
//! "did you mean" Services ([`close_services`]) are each asked here once.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::cni::{PluginBehaviour, PolicyView};
use crate::dns::{close_services, resolve, Answer, QueryType, Record, Resolution};
use crate::model::{Cluster, PodId};
use crate::policy::PolicyEngine;
use crate::service::ServiceRef;
use crate::trace::{dns_server_step, Status, Step};

/// The schema id of the JSON form.
pub const SCHEMA: &str = "kubereach.dns/v1";

/// How `name` resolves from one pod: the `kubereach.dns/v1` document when
/// serialized (pods named `namespace/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsReport {
    /// The pod that resolves the name, as `namespace/name`.
    pub from: String,
    /// The pod's resolver, its queries and the answer.
    pub resolution: Resolution,
    /// Whether the pod reaches the DNS server: `trace`'s `dns` step; `None`
    /// when no query goes to cluster DNS.
    pub server: Option<Step>,
    /// The Services a name that gets NXDOMAIN may have meant (sorted);
    /// empty for any other answer.
    pub close_services: Vec<ServiceRef>,
    /// `namespace/name` of every pod a record points to.
    pod_names: BTreeMap<PodId, String>,
}

/// Resolves `name` (of type `qtype`) from `pod` and asks whether the pod
/// reaches cluster DNS under the policies `plugin` enforces (as written, so
/// that the step says what the plugin ignores, as `trace` does).
pub fn report(
    cluster: &Cluster,
    plugin: PluginBehaviour,
    pod: PodId,
    name: &str,
    qtype: QueryType,
) -> DnsReport {
    let resolution = resolve(cluster, cluster.pod(pod), name, qtype);
    // The queries go nowhere if the pod cannot reach the DNS server; the
    // policy engine is only built when a query goes there.
    let server = (resolution.resolver.cluster_dns && !resolution.queries.is_empty()).then(|| {
        let engine = PolicyEngine::for_plugin(cluster, plugin, PolicyView::AsWritten);
        dns_server_step(cluster, &engine, pod)
    });
    let close_services = match resolution.answer {
        Answer::NxDomain => close_services(cluster, &resolution.name),
        _ => Vec::new(),
    };
    let mut pod_names = BTreeMap::new();
    let answers = resolution.queries.iter().map(|q| &q.answer).chain([&resolution.answer]);
    for record in answers.flat_map(Answer::records) {
        if let Some(id) = record.pod {
            pod_names.entry(id).or_insert_with(|| pod_name(cluster, id));
        }
    }
    DnsReport { from: pod_name(cluster, pod), resolution, server, close_services, pod_names }
}

impl DnsReport {
    /// Whether the pod cannot reach cluster DNS: the queries never arrive
    /// and the lookup times out, as `trace` says at its `dns` layer.
    pub fn blocked(&self) -> bool {
        self.server.as_ref().is_some_and(|step| step.status == Status::Fail)
    }

    /// `namespace/name` of the pod `record` points to, if it points to one.
    pub fn pod_of(&self, record: &Record) -> Option<&str> {
        record.pod.and_then(|id| self.pod_names.get(&id)).map(String::as_str)
    }

    /// A serialized value with the pod indices of its records replaced by
    /// `namespace/name`.
    fn name_pods(&self, value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(key, value)| match (key.as_str(), &value) {
                        ("pod", Value::Number(n)) => {
                            let id = PodId(u32::try_from(n.as_u64().unwrap_or_default()).unwrap_or_default());
                            let name = self.pod_names.get(&id).cloned().unwrap_or_default();
                            (key, Value::String(name))
                        }
                        _ => (key, self.name_pods(value)),
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.name_pods(v)).collect()),
            other => other,
        }
    }

    fn answer_value(&self, answer: &Answer) -> Value {
        self.name_pods(serde_json::to_value(answer).unwrap_or(Value::Null))
    }
}

/// The `kubereach.dns/v1` document, field by field.
#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    name: &'a str,
    #[serde(rename = "type")]
    qtype: &'static str,
    from: &'a str,
    resolver: Value,
    queries: Vec<Value>,
    answer: Value,
    server: Option<&'a Step>,
}

impl Serialize for DnsReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let resolution = &self.resolution;
        let queries = resolution
            .queries
            .iter()
            .map(|q| {
                serde_json::json!({
                    "name": q.name,
                    "type": q.qtype.as_str(),
                    "answer": self.answer_value(&q.answer),
                })
            })
            .collect();
        Document {
            schema: SCHEMA,
            name: &resolution.name,
            qtype: resolution.qtype.as_str(),
            from: &self.from,
            resolver: serde_json::to_value(&resolution.resolver).unwrap_or(Value::Null),
            queries,
            answer: self.answer_value(&resolution.answer),
            server: self.server.as_ref(),
        }
        .serialize(serializer)
    }
}

fn pod_name(cluster: &Cluster, id: PodId) -> String {
    let pod = cluster.pod(id);
    format!("{}/{}", pod.namespace, pod.name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cni::{behaviour, PluginOverrides};
    use crate::dns::test_support::{objects, pod, running, service};
    use crate::testing::cluster;
    use crate::trace::find_pod;

    fn report_of(objects: Vec<Value>, from: &str, name: &str, qtype: QueryType) -> DnsReport {
        let cluster = cluster(objects);
        let (namespace, pod_name) = from.split_once('/').unwrap();
        let pod = find_pod(&cluster, namespace, pod_name).expect("the source pod");
        let plugin = behaviour(&cluster, &PluginOverrides::default());
        report(&cluster, plugin, pod, name, qtype)
    }

    /// The cluster DNS pod behind the `kube-dns` Service of `objects`.
    fn coredns() -> Value {
        let mut coredns = pod("kube-system", "coredns", json!({}), running("10.244.9.9"));
        coredns["metadata"]["labels"] = json!({"k8s-app": "kube-dns"});
        coredns
    }

    fn headless() -> Vec<Value> {
        objects(vec![
            service(
                "prod",
                "db",
                json!({"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
            ),
            pod("prod", "db", json!({}), running("10.244.1.7")),
            coredns(),
        ])
    }

    #[test]
    fn records_name_their_pods_in_the_document() {
        // A headless Service gets one A record per ready endpoint
        // (<https://github.com/kubernetes/dns/blob/master/docs/specification.md#241---a--aaaa-records-1>).
        let report = report_of(headless(), "app/client", "db.prod", QueryType::A);
        let document = serde_json::to_value(&report).unwrap();
        assert_eq!(document["schema"], SCHEMA);
        assert_eq!(document["from"], "app/client");
        assert_eq!(document["type"], "A");
        let records = &document["answer"]["records"];
        assert_eq!(records[0]["pod"], "prod/db", "{document:#}");
        assert_eq!(records[0]["data"]["address"], "10.244.1.7");
        let [record] = report.resolution.answer.records()[..] else { panic!("{report:#?}") };
        assert_eq!(report.pod_of(record), Some("prod/db"));
        assert_eq!(document["server"]["status"], "pass");
        assert!(!report.blocked());
    }

    #[test]
    fn the_document_keeps_its_field_order() {
        let report = report_of(headless(), "app/client", "db.prod", QueryType::A);
        let text = serde_json::to_string(&report).unwrap();
        let keys: Vec<usize> =
            ["\"schema\"", "\"name\"", "\"type\"", "\"from\"", "\"resolver\"", "\"queries\""]
                .iter()
                .map(|key| text.find(key).unwrap())
                .collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn nxdomain_names_the_services_it_may_have_meant() {
        let report = report_of(objects(vec![]), "app/client", "apl.prod.svc.cluster.local", QueryType::A);
        assert_eq!(report.resolution.answer, Answer::NxDomain);
        let close: Vec<String> =
            report.close_services.iter().map(|s| format!("{}/{}", s.namespace, s.name)).collect();
        assert_eq!(close, ["prod/api"]);
        let found = report_of(objects(vec![]), "app/client", "api.prod", QueryType::A);
        assert!(found.close_services.is_empty(), "only an NXDOMAIN gets close names");
    }

    #[test]
    fn a_pod_whose_egress_denies_dns_is_blocked() {
        // Egress isolation with no rule denies the UDP/53 query to the DNS pods
        // (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic>).
        let deny = json!({"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "app"},
                          "spec": {"podSelector": {}, "policyTypes": ["Egress"]}});
        let report = report_of(objects(vec![deny, coredns()]), "app/client", "api.prod", QueryType::A);
        assert!(report.blocked(), "{:#?}", report.server);
    }

    #[test]
    fn no_query_no_server_step() {
        // An address is not looked up: nothing goes to cluster DNS.
        let report = report_of(objects(vec![]), "app/client", "10.96.1.1", QueryType::A);
        assert!(report.resolution.queries.is_empty());
        assert_eq!(report.server, None);
        assert_eq!(serde_json::to_value(&report).unwrap()["server"], Value::Null);
    }
}
