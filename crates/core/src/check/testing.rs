//! Building clusters from JSON objects in the rules' unit tests.

use serde_json::Value;

use crate::check::{check, Config, Finding};
pub(crate) use crate::testing::cluster;

/// The findings of the rule `rule` on `objects`, one line each:
/// `severity kind namespace/name: message | fix`.
pub(crate) fn findings(rule: &str, objects: Vec<Value>) -> Vec<String> {
    let cluster = cluster(objects);
    let report = check(&cluster, &Config::default(), &crate::cni::behaviour(&cluster, &Default::default()));
    report.findings.iter().filter(|f| f.rule == rule).map(describe).collect()
}

fn describe(finding: &Finding) -> String {
    let namespace = finding.object.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
    format!(
        "{} {} {namespace}{}: {} | {}",
        finding.severity, finding.object.kind, finding.object.name, finding.message, finding.fix
    )
}
