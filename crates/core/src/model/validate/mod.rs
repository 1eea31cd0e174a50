//! What the API server would reject, for the fields the model uses.
//!
//! An object the API server rejects is never created, so the model leaves
//! it out ([`crate::ClusterBuilder::add`] keeps it aside as a
//! [`Rejected`]), `check` reports each [`Violation`] under the rule of its
//! [`Invalid`] kind, and `trace` says why when it looks for the object.
//! The checks and their messages follow the API server's validation
//! (`pkg/apis/core/validation`, `pkg/apis/networking/validation`,
//! `pkg/apis/apps/validation` in kubernetes/kubernetes, and
//! `k8s.io/apimachinery/pkg/util/validation`); only the fields kubereach
//! reads are checked, and only values that are present (defaults are the
//! API server's to add).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::{Object, Resource};

mod names;
mod network_policy;

pub use names::port_name;

/// The default `--service-node-port-range` of the API server. A cluster can
/// configure another range; the model assumes this one.
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i32> = 30000..=32767;

/// Why the API server rejects a field: each kind is reported by its own
/// `check` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invalid {
    /// `metadata.name` or `metadata.namespace` is not a valid DNS name.
    Name,
    /// A label key or value (of the object, a selector or a template).
    Label,
    /// A `matchExpressions` requirement: unknown operator, or values where
    /// the operator forbids or needs them.
    Selector,
    /// A port number outside 1-65535, or an `endPort` that cannot be.
    Port,
    /// A port name that is not an IANA service name (`"8080"` included).
    PortName,
    /// A `protocol` other than `TCP`, `UDP` and `SCTP`.
    Protocol,
    /// A `nodePort` outside the node port range.
    NodePort,
    /// An `ipBlock` CIDR or `except` entry.
    Cidr,
    /// A `policyTypes` value other than `Ingress` and `Egress`.
    PolicyType,
    /// Negative `replicas`.
    Replicas,
    /// A workload's selector is empty or does not match its template's labels.
    TemplateLabels,
    /// An Ingress rule's `host`.
    IngressHost,
    /// An Ingress path that is not absolute.
    IngressPath,
}

/// One rejected field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// Which rule reports it.
    pub invalid: Invalid,
    /// The field path (`spec.ports[0].targetPort`), for the finding's line.
    pub field: String,
    /// The API server's complaint, `field: Invalid value: …: reason`.
    pub message: String,
}

/// An object left out of the model, and why.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The object as read.
    pub object: Object<Resource>,
    /// Every violation found, in field order.
    pub violations: Vec<Violation>,
}

impl Rejected {
    /// `Service `prod/api``: the object in messages.
    pub fn describe(&self) -> String {
        let meta = self.object.value.metadata();
        let name = meta.name.as_deref().unwrap_or_default();
        match meta.namespace.as_deref() {
            Some(namespace) => format!("{} `{namespace}/{name}`", self.object.value.kind()),
            None => format!("{} `{name}`", self.object.value.kind()),
        }
    }
}

/// What the API server would reject in `resource`; empty when nothing.
pub fn validate(resource: &Resource) -> Vec<Violation> {
    let mut out = Violations::default();
    let meta = resource.metadata();
    validate_meta(resource, meta, &mut out);
    match resource {
        Resource::Pod(pod) => {
            if let Some(spec) = &pod.spec {
                containers(&spec.containers, "spec.containers", &mut out);
            }
        }
        Resource::Service(service) => service_spec(service, &mut out),
        Resource::NetworkPolicy(policy) => network_policy::validate(policy, &mut out),
        Resource::Ingress(ingress) => ingress_spec(ingress, &mut out),
        Resource::Deployment(o) => {
            if let Some(spec) = &o.spec {
                workload(spec.replicas, Some(&spec.selector), Some(&spec.template), &mut out);
            }
        }
        Resource::StatefulSet(o) => {
            if let Some(spec) = &o.spec {
                workload(spec.replicas, Some(&spec.selector), Some(&spec.template), &mut out);
            }
        }
        Resource::ReplicaSet(o) => {
            if let Some(spec) = &o.spec {
                workload(spec.replicas, Some(&spec.selector), spec.template.as_ref(), &mut out);
            }
        }
        Resource::DaemonSet(o) => {
            if let Some(spec) = &o.spec {
                workload(None, Some(&spec.selector), Some(&spec.template), &mut out);
            }
        }
        Resource::Job(o) => {
            if let Some(spec) = &o.spec {
                // A Job's selector is generated unless `manualSelector` is set.
                template(&spec.template, &mut out);
            }
        }
        _ => {}
    }
    out.0.sort();
    out.0
}

/// Violations collected while walking an object.
#[derive(Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn push(&mut self, invalid: Invalid, field: String, value: &str, reason: &str) {
        let message = format!("{field}: Invalid value: {value}: {reason}");
        self.0.push(Violation { invalid, field, message });
    }

    /// A value not among the supported ones.
    pub(crate) fn unsupported(&mut self, invalid: Invalid, field: String, value: &str, supported: &[&str]) {
        let supported: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
        let message = format!(
            "{field}: Unsupported value: {}: supported values: {}",
            quote(value),
            supported.join(", ")
        );
        self.0.push(Violation { invalid, field, message });
    }

    fn other(&mut self, invalid: Invalid, field: String, message: String) {
        self.0.push(Violation { invalid, field: field.clone(), message: format!("{field}: {message}") });
    }
}

/// A string value as the API server quotes it (`"8080"`), so a quoted
/// number reads as the string it is.
pub(crate) fn quote(value: &str) -> String {
    format!("{value:?}")
}

fn validate_meta(resource: &Resource, meta: &ObjectMeta, out: &mut Violations) {
    if let Some(name) = meta.name.as_deref().filter(|n| !n.is_empty()) {
        let reason = match resource {
            Resource::Service(_) => names::dns1035_label(name),
            Resource::Namespace(_) => names::dns1123_label(name),
            _ => names::dns1123_subdomain(name),
        };
        if let Some(reason) = reason {
            out.push(Invalid::Name, "metadata.name".into(), &quote(name), &reason);
        }
    }
    if let Some(namespace) = meta.namespace.as_deref().filter(|n| !n.is_empty()) {
        if let Some(reason) = names::dns1123_label(namespace) {
            out.push(Invalid::Name, "metadata.namespace".into(), &quote(namespace), &reason);
        }
    }
    labels(meta.labels.as_ref(), "metadata.labels", out);
}

/// Label keys and values of an object, a template or a `matchLabels`.
pub(crate) fn labels(labels: Option<&BTreeMap<String, String>>, field: &str, out: &mut Violations) {
    for (key, value) in labels.into_iter().flatten() {
        if let Some(reason) = names::label_key(key) {
            out.push(Invalid::Label, field.to_owned(), &quote(key), &reason);
        }
        if let Some(reason) = names::label_value(value) {
            out.push(Invalid::Label, format!("{field}.{key}"), &quote(value), &reason);
        }
    }
}

/// A `LabelSelector` (`ValidateLabelSelector`).
pub(crate) fn selector(selector: &LabelSelector, field: &str, out: &mut Violations) {
    labels(selector.match_labels.as_ref(), &format!("{field}.matchLabels"), out);
    for (index, requirement) in selector.match_expressions.iter().flatten().enumerate() {
        let at = format!("{field}.matchExpressions[{index}]");
        if let Some(reason) = names::label_key(&requirement.key) {
            out.push(Invalid::Label, format!("{at}.key"), &quote(&requirement.key), &reason);
        }
        let values = requirement.values.as_ref().map_or(0, Vec::len);
        match requirement.operator.as_str() {
            "In" | "NotIn" if values == 0 => out.other(
                Invalid::Selector,
                format!("{at}.values"),
                "Required value: must be specified when `operator` is 'In' or 'NotIn'".into(),
            ),
            "Exists" | "DoesNotExist" if values > 0 => out.other(
                Invalid::Selector,
                format!("{at}.values"),
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'".into(),
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => out.unsupported(
                Invalid::Selector,
                format!("{at}.operator"),
                other,
                &["In", "NotIn", "Exists", "DoesNotExist"],
            ),
        }
        for (value_index, value) in requirement.values.iter().flatten().enumerate() {
            if let Some(reason) = names::label_value(value) {
                out.push(Invalid::Label, format!("{at}.values[{value_index}]"), &quote(value), &reason);
            }
        }
    }
}

/// A port number (`ValidatePortNum`).
pub(crate) fn port_number(number: i32, field: String, out: &mut Violations) {
    if !(1..=65535).contains(&number) {
        out.push(Invalid::Port, field, &number.to_string(), "must be between 1 and 65535, inclusive");
    }
}

/// A port given as a number or a name.
pub(crate) fn int_or_name(port: &IntOrString, field: String, out: &mut Violations) {
    match port {
        IntOrString::Int(number) => port_number(*number, field, out),
        IntOrString::String(name) => {
            if let Some(reason) = port_name(name) {
                out.push(Invalid::PortName, field, &quote(name), &reason);
            }
        }
    }
}

/// A `protocol` (`TCP`, `UDP` or `SCTP`, upper case).
pub(crate) fn protocol(protocol: Option<&str>, field: String, out: &mut Violations) {
    if let Some(protocol) = protocol.filter(|p| !matches!(*p, "TCP" | "UDP" | "SCTP")) {
        out.unsupported(Invalid::Protocol, field, protocol, &["SCTP", "TCP", "UDP"]);
    }
}

fn containers(containers: &[Container], field: &str, out: &mut Violations) {
    for (index, container) in containers.iter().enumerate() {
        for (port_index, port) in container.ports.iter().flatten().enumerate() {
            let at = format!("{field}[{index}].ports[{port_index}]");
            port_number(port.container_port, format!("{at}.containerPort"), out);
            if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
                if let Some(reason) = port_name(name) {
                    out.push(Invalid::PortName, format!("{at}.name"), &quote(name), &reason);
                }
            }
            protocol(port.protocol.as_deref(), format!("{at}.protocol"), out);
        }
    }
}

fn template(template: &PodTemplateSpec, out: &mut Violations) {
    let meta = template.metadata.as_ref();
    labels(meta.and_then(|m| m.labels.as_ref()), "spec.template.metadata.labels", out);
    if let Some(spec) = &template.spec {
        containers(&spec.containers, "spec.template.spec.containers", out);
    }
}

/// A workload controller: `replicas`, its selector, and the selector
/// matching the template's labels (`ValidateDeploymentSpec` and siblings).
fn workload(
    replicas: Option<i32>,
    selector: Option<&LabelSelector>,
    pod_template: Option<&PodTemplateSpec>,
    out: &mut Violations,
) {
    if let Some(replicas) = replicas.filter(|r| *r < 0) {
        out.push(
            Invalid::Replicas,
            "spec.replicas".into(),
            &replicas.to_string(),
            "must be greater than or equal to 0",
        );
    }
    let Some(pod_template) = pod_template else { return };
    template(pod_template, out);
    let Some(workload_selector) = selector else { return };
    self::selector(workload_selector, "spec.selector", out);
    let empty = workload_selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && workload_selector.match_expressions.as_ref().is_none_or(Vec::is_empty);
    let template_labels = pod_template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    if empty {
        out.other(
            Invalid::TemplateLabels,
            "spec.selector".into(),
            "Invalid value: {}: empty selector is invalid".into(),
        );
    } else if !crate::labels::selector_matches(workload_selector, &template_labels) {
        out.other(
            Invalid::TemplateLabels,
            "spec.template.metadata.labels".into(),
            format!(
                "Invalid value: {}: `selector` does not match template `labels`",
                crate::labels::display_selector(&LabelSelector {
                    match_labels: Some(template_labels),
                    match_expressions: None
                })
            ),
        );
    }
}

fn service_spec(service: &k8s_openapi::api::core::v1::Service, out: &mut Violations) {
    let Some(spec) = &service.spec else { return };
    labels(spec.selector.as_ref(), "spec.selector", out);
    let external_name = spec.type_.as_deref() == Some("ExternalName");
    for (index, port) in spec.ports.iter().flatten().enumerate() {
        let at = format!("spec.ports[{index}]");
        port_number(port.port, format!("{at}.port"), out);
        protocol(port.protocol.as_deref(), format!("{at}.protocol"), out);
        match &port.target_port {
            // 0 and "" mean "the same as `port`".
            Some(IntOrString::Int(0)) | None => {}
            Some(IntOrString::String(name)) if name.is_empty() => {}
            Some(target) if !external_name => int_or_name(target, format!("{at}.targetPort"), out),
            Some(_) => {}
        }
        if let Some(node_port) = port.node_port.filter(|n| *n != 0 && !NODE_PORT_RANGE.contains(n)) {
            out.push(
                Invalid::NodePort,
                format!("{at}.nodePort"),
                &node_port.to_string(),
                &format!(
                    "provided port is not in the valid range. The range of valid ports is {}-{}",
                    NODE_PORT_RANGE.start(),
                    NODE_PORT_RANGE.end()
                ),
            );
        }
    }
}

fn ingress_spec(ingress: &k8s_openapi::api::networking::v1::Ingress, out: &mut Violations) {
    let Some(spec) = &ingress.spec else { return };
    for (index, rule) in spec.rules.iter().flatten().enumerate() {
        let at = format!("spec.rules[{index}]");
        if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
            if let Some(reason) = names::ingress_host(host) {
                out.push(Invalid::IngressHost, format!("{at}.host"), &quote(host), &reason);
            }
        }
        let paths = rule.http.as_ref().map(|http| http.paths.as_slice()).unwrap_or_default();
        for (path_index, path) in paths.iter().enumerate() {
            let value = path.path.as_deref().unwrap_or_default();
            let typed = matches!(path.path_type.as_str(), "Prefix" | "Exact");
            if typed && !value.starts_with('/') {
                out.push(
                    Invalid::IngressPath,
                    format!("{at}.http.paths[{path_index}].path"),
                    &quote(value),
                    "must be an absolute path",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
