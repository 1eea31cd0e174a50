//! Building clusters from JSON objects in the rules' unit tests.

use serde_json::Value;

use crate::check::{check, Config, Finding};
use crate::model::{Cluster, ClusterBuilder, Resource};
use crate::origin::Origin;
use crate::policy::PolicyOptions;

/// A cluster holding `objects`, each a Kubernetes object with its `kind`;
/// kinds the model does not read are counted as skipped.
pub(crate) fn cluster(objects: Vec<Value>) -> Cluster {
    let mut builder = ClusterBuilder::new();
    for object in objects {
        match resource(object) {
            Ok(resource) => builder.add(resource, Origin::synthetic()),
            Err(kind) => builder.skip(&kind),
        };
    }
    builder.build()
}

/// One object as a [`Resource`], or its kind when the model does not read it.
fn resource(object: Value) -> Result<Resource, String> {
    fn parse<T: serde::de::DeserializeOwned>(object: Value) -> T {
        serde_json::from_value(object).expect("valid test object")
    }
    let kind = object["kind"].as_str().expect("test objects have a kind").to_owned();
    Ok(match kind.as_str() {
        "Namespace" => Resource::Namespace(parse(object)),
        "Node" => Resource::Node(parse(object)),
        "Pod" => Resource::Pod(parse(object)),
        "Deployment" => Resource::Deployment(parse(object)),
        "DaemonSet" => Resource::DaemonSet(parse(object)),
        "StatefulSet" => Resource::StatefulSet(parse(object)),
        "Service" => Resource::Service(parse(object)),
        "Endpoints" => Resource::Endpoints(parse(object)),
        "EndpointSlice" => Resource::EndpointSlice(parse(object)),
        "Ingress" => Resource::Ingress(parse(object)),
        "IngressClass" => Resource::IngressClass(parse(object)),
        "NetworkPolicy" => Resource::NetworkPolicy(parse(object)),
        "Secret" => Resource::Secret(parse(object)),
        "ConfigMap" => Resource::ConfigMap(parse(object)),
        _ => return Err(kind),
    })
}

/// The findings of the rule `rule` on `objects`, one line each:
/// `severity kind namespace/name: message | fix`.
pub(crate) fn findings(rule: &str, objects: Vec<Value>) -> Vec<String> {
    let cluster = cluster(objects);
    let report = check(&cluster, &Config::default(), PolicyOptions { ip_blocks_match_pods: false });
    report.findings.iter().filter(|f| f.rule == rule).map(describe).collect()
}

fn describe(finding: &Finding) -> String {
    let namespace = finding.object.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
    format!(
        "{} {} {namespace}{}: {} | {}",
        finding.severity, finding.object.kind, finding.object.name, finding.message, finding.fix
    )
}
