//! Each case cites the API server's check it mirrors (kubernetes/kubernetes
//! `pkg/apis/*/validation/validation.go`, apimachinery's `validation.go`).

use serde_json::{json, Value};

use super::*;
use crate::testing::resource;

/// The violations of `object`, one `field: message` per line.
fn check(object: Value) -> Vec<String> {
    let resource = resource(object).unwrap();
    validate(&resource).into_iter().map(|v| format!("{:?} {}", v.invalid, v.message)).collect()
}

fn service(ports: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": "api", "namespace": "prod"},
           "spec": {"selector": {"app": "api"}, "ports": ports}})
}

fn policy(spec: Value) -> Value {
    json!({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "prod"}, "spec": spec})
}

#[test]
fn valid_objects_have_no_violations() {
    assert_eq!(
        check(service(json!([{"port": 80, "targetPort": "http", "nodePort": 30080}]))),
        Vec::<String>::new()
    );
    assert_eq!(
        check(policy(json!({"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                        "ports": [{"port": 8000, "endPort": 9000, "protocol": "TCP"}]}]}))),
        Vec::<String>::new()
    );
}

#[test]
fn service_ports() {
    // ValidateService: ports, targetPort (ValidatePortNumOrName), nodePort, protocol.
    assert_eq!(
        check(service(json!([
            {"name": "a", "port": 0, "targetPort": 70000},
            {"name": "b", "port": 80, "targetPort": "8080", "protocol": "tcp"},
            {"name": "c", "port": 81, "nodePort": 8080, "targetPort": -1}
        ]))),
        [
            "Port spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "Port spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "Port spec.ports[2].targetPort: Invalid value: -1: must be between 1 and 65535, inclusive",
            "PortName spec.ports[1].targetPort: Invalid value: \"8080\": must contain at least one letter (a-z)",
            "Protocol spec.ports[1].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "NodePort spec.ports[2].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767",
        ]
    );
}

#[test]
fn network_policies() {
    // ValidateNetworkPolicySpec, ValidateIPBlock, ValidateLabelSelector.
    assert_eq!(
        check(policy(json!({
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "In"}, {"key": "b", "operator": "in", "values": ["x"]}]},
            "policyTypes": ["Sideways"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16", "10.0.0.0/8"]}}],
                         "ports": [{"port": "http", "endPort": 90}, {"port": 100, "endPort": 90}, {"port": 70000}]}]
        }))),
        [
            "Selector spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "Selector spec.podSelector.matchExpressions[1].operator: Unsupported value: \"in\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"",
            "Port spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            "Port spec.ingress[0].ports[1].endPort: Invalid value: 90: must be greater than or equal to `port`",
            "Port spec.ingress[0].ports[2].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "Cidr spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            "Cidr spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`",
            "Cidr spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
            "PolicyType spec.policyTypes[0]: Unsupported value: \"Sideways\": supported values: \"Egress\", \"Ingress\"",
        ]
    );
}

#[test]
fn names_and_labels() {
    // ValidateObjectMeta: names (DNS-1123 subdomain; DNS-1035 label for Services), labels.
    assert_eq!(
        check(json!({"kind": "Pod", "metadata": {"name": "Web_1", "namespace": "prod", "labels": {"app": "-x", "bad key": "v"}}})),
        [
            "Name metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            "Label metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            "Label metadata.labels.app: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ]
    );
    assert_eq!(check(json!({"kind": "Service", "metadata": {"name": "1api"}})).len(), 1);
}

#[test]
fn workloads() {
    // ValidateDeploymentSpec: replicas >= 0; selector non-empty and matching the template.
    let deployment = |replicas: i64, selector: Value| {
        json!({"kind": "Deployment", "metadata": {"name": "api", "namespace": "prod"},
               "spec": {"replicas": replicas, "selector": selector,
                        "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    };
    assert_eq!(check(deployment(2, json!({"matchLabels": {"app": "api"}}))), Vec::<String>::new());
    assert_eq!(
        check(deployment(-5, json!({"matchLabels": {"app": "web"}}))),
        [
            "Replicas spec.replicas: Invalid value: -5: must be greater than or equal to 0",
            "TemplateLabels spec.template.metadata.labels: Invalid value: app=api: `selector` does not match template `labels`",
        ]
    );
    assert_eq!(
        check(deployment(1, json!({}))),
        ["TemplateLabels spec.selector: Invalid value: {}: empty selector is invalid"]
    );
}

#[test]
fn ingresses() {
    // ValidateIngressSpec: wildcard hosts, absolute paths for Prefix and Exact.
    let ingress = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "prod"},
    "spec": {"rules": [
        {"host": "foo.*.example.com", "http": {"paths": [{"path": "api", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}},
        {"host": "*.example.com", "http": {"paths": [{"path": "v1", "pathType": "ImplementationSpecific", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}
    ]}});
    let found = check(ingress);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0]
            .starts_with("IngressHost spec.rules[0].host: Invalid value: \"foo.*.example.com\": a wildcard"),
        "{found:#?}"
    );
    assert_eq!(
        found[1],
        "IngressPath spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path"
    );
}
