//! `check`: lint rules over the networking layers, with stable codes.
//!
//! Each rule is a query over the layer modules ([`crate::service`],
//! [`crate::endpoints`], [`crate::ingress`], [`crate::policy`],
//! [`crate::cni`], [`crate::dns`]): it asks them what Kubernetes would do
//! and reports where that breaks traffic. Rules never re-derive a layer's
//! semantics.
//!
//! A rule is a type declared with `declare_rule!`: its doc comment is its
//! documentation page (`docs/rules/<name>.md` is generated from it), and its
//! code (`KR101`), kebab-case name, default severity and one-line summary
//! sit beside it. Names and codes are a contract: never reuse or renumber.
//!
//! Findings are plain data ([`Finding`]); wording of the surrounding output
//! lives in the renderers. A finding on an object annotated
//! `kubereach.io/ignore: rule-a,rule-b` (names or codes) is suppressed.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::cni::{CniDetection, PluginBehaviour, PolicyView};
use crate::diagnostic::Diagnostic;
use crate::model::{Cluster, Namespace, Object, Pod, PodOwner, Workload};
use crate::origin::{Location, Origin};
use crate::policy::PolicyEngine;

mod calico_pass;
mod calico_selector;
mod dns;
mod docs;
mod document;
mod exposed;
mod fix_peer;
mod gateway;
mod gateway_policy;
mod ingress;
mod native_dns;
mod native_policy;
mod native_selects;
mod netpol;
mod rejected;
mod service;
mod similar;
mod unknown_kind;

pub use document::{document, CheckDocument};

pub use calico_pass::CalicoPassNoNextTier;
pub use calico_selector::CalicoSelectorCannotMatch;
pub use dns::CorednsUnhealthy;
pub use docs::{markdown_page, yaml_examples, RuleExamples};
pub use exposed::NetworkpolicyIsolatesExposedService;
pub use gateway::{
    GatewayBackendPortMismatch, GatewayBackendServiceMissing, GatewayClassMissing, GatewayListenerConflict,
    GatewayReferenceGrantMissing, GatewayRouteNotAttached, GatewayTlsSecretMissing,
};
pub use gateway_policy::GatewayBlockedByNetworkpolicy;
pub use ingress::{
    IngressBackendPortMismatch, IngressBackendServiceMissing, IngressClassMissing, IngressClassUnknown,
    IngressExactRootPath, IngressRuleConflict, IngressTlsSecretMissing,
};
pub use native_dns::NativePolicyEgressBlocksDns;
pub use native_policy::NativePolicyNotEnforced;
pub use native_selects::NativePolicySelectsNothing;
pub use netpol::{
    NamespaceNoDefaultDeny, NetworkpolicyBlocksIngressController, NetworkpolicyEgressBlocksDns,
    NetworkpolicyNamedPortUnresolved, NetworkpolicyNotEnforced, NetworkpolicyPeerSelectsNothing,
    NetworkpolicyPortIsServicePort, NetworkpolicySelectsNothing,
};
pub use rejected::{
    InvalidCidr, InvalidIngressHost, InvalidIngressPath, InvalidLabel, InvalidLabelSelector, InvalidName,
    InvalidPolicyTypes, InvalidPort, InvalidPortName, InvalidProtocol, InvalidReplicas,
    SelectorTemplateMismatch,
};
pub use service::{
    ExternalTrafficLocalNoEndpoints, ExternalnameInvalid, LoadbalancerPending, NodeportOutOfRange,
    ServiceNoMatchingPods, ServiceNoReadyEndpoints, ServicePortNameRequired, ServiceTargetPortNotFound,
};
pub use unknown_kind::UnknownKind;

/// The annotation that suppresses findings on an object: a comma-separated
/// list of rule names or codes.
pub const IGNORE_ANNOTATION: &str = "kubereach.io/ignore";

/// Where the rule pages are published; a rule's page is `<this><name>.md`.
pub const RULE_DOCS_URL: &str = "https://github.com/kubereach/kubereach/blob/main/docs/rules/";

/// The JSON schema id of `check --format json`.
pub const SCHEMA: &str = "kubereach.check/v1";

/// How bad a finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is broken.
    Info,
    /// Likely to break traffic, or broken in some cases.
    Warning,
    /// Traffic is broken, or the API server rejects the object.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `error`, `warning` or `info`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    /// Its kind (`Service`, `Ingress`, `NetworkPolicy`, `Deployment`, …).
    pub kind: String,
    /// Its namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's code (`KR101`).
    pub code: &'static str,
    /// The rule's name (`service-no-matching-pods`).
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The object it is about.
    pub object: ObjectRef,
    /// The file the object came from; `None` for standard input and
    /// implicit objects.
    pub file: Option<String>,
    /// The line of the field at fault (or of the object); `None` when unknown.
    pub line: Option<u32>,
    /// The column where that line's field starts; `None` when unknown. Left
    /// out of the JSON document (`kubereach.check/v1` has no column).
    #[serde(skip)]
    pub column: Option<u32>,
    /// What is wrong: lowercase, no final period, identifiers in backticks.
    pub message: String,
    /// How to fix it, in the same style.
    pub fix: String,
}

/// The result of [`check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Findings of the enabled rules, sorted by file, line, code and object.
    pub findings: Vec<Finding>,
    /// Findings suppressed by [`IGNORE_ANNOTATION`], in the same order.
    pub suppressed: Vec<Finding>,
    /// Problems with the suppression annotations themselves (unknown rules).
    pub notes: Vec<Diagnostic>,
}

/// A rule of the catalogue, as declared with `declare_rule!`.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Its stable code (`KR101`).
    pub code: &'static str,
    /// Its stable kebab-case name.
    pub name: &'static str,
    /// Its severity unless configured otherwise. Some rules raise or lower
    /// it for particular findings (said on their page); a configured
    /// severity applies to all their findings.
    pub default_severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// Its documentation page: the doc comment of the rule's type, with
    /// each line's leading space (from `///`) kept.
    pub doc: &'static str,
    check: for<'a, 'c> fn(&'a Context<'c>, &mut Emitter<'_>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("code", &self.code).field("name", &self.name).finish_non_exhaustive()
    }
}

impl Rule {
    /// The documentation page as Markdown (the doc comment without its
    /// leading spaces).
    pub fn doc_text(&self) -> String {
        let mut text: String = self
            .doc
            .lines()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n");
        text.push('\n');
        text
    }

    /// The URL of the rule's page.
    pub fn docs_url(&self) -> String {
        format!("{RULE_DOCS_URL}{}.md", self.name)
    }

    /// The text of one `## ` section of the page (without its heading),
    /// trimmed; empty when absent.
    pub fn section(&self, heading: &str) -> String {
        docs::section(&self.doc_text(), heading)
    }
}

/// Declares a rule: a unit struct whose doc comment is the rule's page, and
/// its `RULE` constant.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            code: $code:literal,
            name: $kebab:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            check: $check:path $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $name {
            /// The rule's catalogue entry.
            pub const RULE: $crate::check::Rule = $crate::check::Rule::new(
                $code,
                $kebab,
                $crate::check::Severity::$severity,
                $summary,
                concat!($($doc, "\n"),*),
                $check,
            );
        }
    };
}
pub(crate) use declare_rule;

impl Rule {
    /// Used by `declare_rule!` only.
    pub(crate) const fn new(
        code: &'static str,
        name: &'static str,
        default_severity: Severity,
        summary: &'static str,
        doc: &'static str,
        check: for<'a, 'c> fn(&'a Context<'c>, &mut Emitter<'_>),
    ) -> Rule {
        Rule { code, name, default_severity, summary, doc, check }
    }
}

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    ServiceNoMatchingPods::RULE,
    ServiceNoReadyEndpoints::RULE,
    ServiceTargetPortNotFound::RULE,
    ServicePortNameRequired::RULE,
    NodeportOutOfRange::RULE,
    ExternalnameInvalid::RULE,
    LoadbalancerPending::RULE,
    ExternalTrafficLocalNoEndpoints::RULE,
    IngressClassMissing::RULE,
    IngressClassUnknown::RULE,
    IngressBackendServiceMissing::RULE,
    IngressBackendPortMismatch::RULE,
    IngressTlsSecretMissing::RULE,
    IngressRuleConflict::RULE,
    IngressExactRootPath::RULE,
    NetworkpolicyNotEnforced::RULE,
    NetworkpolicySelectsNothing::RULE,
    NetworkpolicyPeerSelectsNothing::RULE,
    NetworkpolicyPortIsServicePort::RULE,
    NetworkpolicyNamedPortUnresolved::RULE,
    NetworkpolicyEgressBlocksDns::RULE,
    NetworkpolicyBlocksIngressController::RULE,
    NamespaceNoDefaultDeny::RULE,
    NetworkpolicyIsolatesExposedService::RULE,
    CorednsUnhealthy::RULE,
    InvalidName::RULE,
    InvalidLabel::RULE,
    InvalidLabelSelector::RULE,
    InvalidPort::RULE,
    InvalidPortName::RULE,
    InvalidProtocol::RULE,
    InvalidCidr::RULE,
    InvalidPolicyTypes::RULE,
    InvalidReplicas::RULE,
    SelectorTemplateMismatch::RULE,
    InvalidIngressHost::RULE,
    InvalidIngressPath::RULE,
    UnknownKind::RULE,
    GatewayClassMissing::RULE,
    GatewayRouteNotAttached::RULE,
    GatewayReferenceGrantMissing::RULE,
    GatewayBackendServiceMissing::RULE,
    GatewayBackendPortMismatch::RULE,
    GatewayListenerConflict::RULE,
    GatewayTlsSecretMissing::RULE,
    GatewayBlockedByNetworkpolicy::RULE,
    NativePolicyNotEnforced::RULE,
    NativePolicySelectsNothing::RULE,
    NativePolicyEgressBlocksDns::RULE,
    CalicoPassNoNextTier::RULE,
    CalicoSelectorCannotMatch::RULE,
];

/// The rule called `name`, or whose code is `name` (codes ignore case).
pub fn find_rule(name: &str) -> Option<&'static Rule> {
    let name = name.trim();
    RULES.iter().find(|r| r.name == name || r.code.eq_ignore_ascii_case(name))
}

/// What the configuration says about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    /// Disabled.
    Off,
    /// Enabled with its default severity.
    On,
    /// Enabled with this severity for all its findings.
    Severity(Severity),
}

/// Which rules run, and with which severity. Every rule is on by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    settings: BTreeMap<&'static str, RuleSetting>,
}

/// A rule name or code that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule {
    /// The name as given.
    pub name: String,
    /// The closest rule name, if one is close.
    pub suggestion: Option<&'static str>,
}

impl std::fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown rule `{}`", self.name)?;
        if let Some(suggestion) = self.suggestion {
            write!(f, ": did you mean `{suggestion}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRule {}

impl Config {
    /// Applies `setting` to the rule called `rule` (a name or a code).
    pub fn set(&mut self, rule: &str, setting: RuleSetting) -> Result<(), UnknownRule> {
        let found = find_rule(rule).ok_or_else(|| unknown_rule(rule))?;
        self.settings.insert(found.name, setting);
        Ok(())
    }

    /// Whether `rule` runs.
    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.settings.get(rule.name) != Some(&RuleSetting::Off)
    }

    /// The severity configured for `rule`, if any.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        match self.settings.get(rule.name) {
            Some(RuleSetting::Severity(severity)) => Some(*severity),
            _ => None,
        }
    }
}

fn unknown_rule(name: &str) -> UnknownRule {
    let suggestion = RULES
        .iter()
        .map(|r| (crate::typo::distance(name, r.name), r.name))
        .filter(|(distance, candidate)| *distance <= 3 || (name.len() >= 8 && candidate.starts_with(name)))
        .min()
        .map(|(_, name)| name);
    UnknownRule { name: name.to_owned(), suggestion }
}

/// The settings of a `.kubereach.yaml` file's `check` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileConfig {
    /// Rules on and off, and severities.
    pub rules: Config,
    /// The lowest severity that makes `check` exit 1.
    pub fail_on: Option<Severity>,
}

/// A problem in a configuration file, at a field path (`check.rules.foo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The path of the offending field (`""` for the document).
    pub path: String,
    /// What is wrong: lowercase, no final period, identifiers in backticks.
    pub message: String,
}

/// Reads a configuration document:
///
/// ```yaml
/// check:
///   fail-on: warning              # error (default), warning or info
///   rules:
///     namespace-no-default-deny: off   # off, on, error, warning or info
///     KR107: error                     # codes work too
/// ```
///
/// Unknown keys are errors, so that a typo does not go unnoticed.
pub fn parse_config(document: &Value) -> Result<FileConfig, ConfigError> {
    let error = |path: &str, message: String| ConfigError { path: path.to_owned(), message };
    let mut config = FileConfig::default();
    let root = match document {
        Value::Null => return Ok(config),
        Value::Object(map) => map,
        _ => return Err(error("", "expected a mapping with a `check` key".to_owned())),
    };
    for (key, value) in root {
        if key != "check" {
            return Err(error(key, format!("unknown key `{key}`: expected `check`")));
        }
        let check = match value {
            Value::Null => continue,
            Value::Object(map) => map,
            _ => return Err(error(key, "`check` must be a mapping".to_owned())),
        };
        for (key, value) in check {
            let path = format!("check.{key}");
            match key.as_str() {
                "fail-on" => {
                    let severity = value.as_str().and_then(Severity::parse).ok_or_else(|| {
                        error(&path, "`fail-on` must be `error`, `warning` or `info`".to_owned())
                    })?;
                    config.fail_on = Some(severity);
                }
                "rules" => {
                    let rules = match value {
                        Value::Null => continue,
                        Value::Object(map) => map,
                        _ => return Err(error(&path, "`rules` must map rule names to settings".to_owned())),
                    };
                    for (rule, setting) in rules {
                        let path = format!("{path}.{rule}");
                        let setting = match setting {
                            Value::Bool(false) => RuleSetting::Off,
                            Value::Bool(true) => RuleSetting::On,
                            Value::String(text) => match text.as_str() {
                                "off" | "false" => RuleSetting::Off,
                                "on" | "true" => RuleSetting::On,
                                other => RuleSetting::Severity(Severity::parse(other).ok_or_else(|| {
                                    error(
                                        &path,
                                        format!("`{other}` is not a setting: use `off`, `on`, `error`, `warning` or `info`"),
                                    )
                                })?),
                            },
                            _ => {
                                return Err(error(
                                    &path,
                                    "a rule setting is `off`, `on`, `error`, `warning` or `info`".to_owned(),
                                ))
                            }
                        };
                        config.rules.set(rule, setting).map_err(|e| error(&path, e.to_string()))?;
                    }
                }
                other => {
                    return Err(error(&path, format!("unknown key `{other}`: expected `fail-on` or `rules`")))
                }
            }
        }
    }
    Ok(config)
}

/// Runs the enabled rules on `cluster`, whose network plugin behaves as
/// `plugin` says ([`crate::cni::behaviour`]).
pub fn check(cluster: &Cluster, config: &Config, plugin: &PluginBehaviour) -> CheckReport {
    let context = Context::new(cluster, plugin.clone());
    let mut report = CheckReport::default();
    for rule in RULES.iter().filter(|r| config.is_enabled(r)) {
        let mut emitter = Emitter {
            rule,
            configured: config.severity(rule),
            findings: &mut report.findings,
            suppressed: &mut report.suppressed,
        };
        (rule.check)(&context, &mut emitter);
    }
    report.notes = annotation_notes(cluster);
    let order = |f: &Finding| (f.file.clone(), f.line, f.code, f.object.clone(), f.message.clone());
    report.findings.sort_by_key(order);
    report.findings.dedup();
    report.suppressed.sort_by_key(order);
    report.suppressed.dedup();
    report
}

/// What rules see: the cluster and the layer answers that are costly to
/// compute, each computed once.
pub(crate) struct Context<'c> {
    pub(crate) cluster: &'c Cluster,
    engine: OnceCell<PolicyEngine<'c>>,
    plugin: PluginBehaviour,
    /// The pods that may miss a selector by a typo, remembered across rules.
    pub(crate) near_miss_candidates: similar::Candidates,
}

impl<'c> Context<'c> {
    pub(crate) fn new(cluster: &'c Cluster, plugin: PluginBehaviour) -> Context<'c> {
        Context { cluster, engine: OnceCell::new(), plugin, near_miss_candidates: Default::default() }
    }

    /// The policy engine of the cluster: the policies as written, with the
    /// plugin's ipBlock and `hostNetwork` behaviour (rules about a kind of
    /// policy the plugin does not enforce check that themselves).
    pub(crate) fn engine(&self) -> &PolicyEngine<'c> {
        self.engine.get_or_init(|| {
            PolicyEngine::for_plugin(self.cluster, self.plugin.clone(), PolicyView::AsWritten)
        })
    }

    /// The network plugin's behaviour, as every command derives it.
    pub(crate) fn plugin(&self) -> &PluginBehaviour {
        &self.plugin
    }

    /// The network plugin detection.
    pub(crate) fn cni(&self) -> &CniDetection {
        &self.plugin.detection
    }

    /// How the plugin treats `hostNetwork` pods, for pod-by-pod selection
    /// ([`crate::policy::selected_pods`], [`crate::policy::peer_pods`]).
    pub(crate) fn host_network(&self) -> crate::policy::HostNetwork {
        self.plugin.host_network
    }

    /// Whether NetworkPolicies have an effect: enforced, or not known not to be.
    pub(crate) fn network_policies_enforced(&self) -> bool {
        self.cni().network_policy.enforcement.assumed()
    }
}

/// The object a finding is about, with what suppression and locations need.
pub(crate) struct Subject<'a> {
    pub(crate) kind: &'a str,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) name: &'a str,
    pub(crate) annotations: Option<&'a BTreeMap<String, String>>,
    pub(crate) origin: Option<&'a Origin>,
}

impl<'a> Subject<'a> {
    /// An object of `kind` with `meta`, read from `origin`.
    pub(crate) fn object<T>(kind: &'a str, meta: &'a ObjectMeta, object: &'a Object<T>) -> Subject<'a> {
        Subject {
            kind,
            namespace: meta.namespace.as_deref(),
            name: meta.name.as_deref().unwrap_or_default(),
            annotations: meta.annotations.as_ref(),
            origin: Some(&object.origin),
        }
    }

    /// A workload controller.
    pub(crate) fn workload(workload: &'a Workload) -> Subject<'a> {
        Subject {
            kind: workload.kind.as_str(),
            namespace: Some(&workload.namespace),
            name: &workload.name,
            annotations: workload.metadata.annotations.as_ref(),
            origin: Some(&workload.origin),
        }
    }

    /// A pod's top-level workload, or the pod itself (pods keep no
    /// annotations in the model, so a bare pod cannot be suppressed).
    pub(crate) fn pod(cluster: &'a Cluster, pod: &'a Pod) -> Subject<'a> {
        if let Some(PodOwner::Workload(id)) = &pod.owner {
            return Subject::workload(cluster.workload(*id));
        }
        Subject {
            kind: "Pod",
            namespace: Some(&pod.namespace),
            name: &pod.name,
            annotations: None,
            origin: Some(&pod.origin),
        }
    }

    /// A namespace (declared or implicit).
    pub(crate) fn namespace(namespace: &'a Namespace) -> Subject<'a> {
        Subject {
            kind: "Namespace",
            namespace: None,
            name: &namespace.name,
            annotations: Some(&namespace.annotations),
            origin: namespace.origin.as_ref(),
        }
    }

    fn location(&self, path: &str) -> Location {
        match self.origin {
            Some(origin) if path.is_empty() => origin.location(),
            Some(origin) => origin.field_location(path),
            None => Location::new(None, 0),
        }
    }

    fn ignores(&self, rule: &Rule) -> bool {
        let Some(value) = self.annotations.and_then(|a| a.get(IGNORE_ANNOTATION)) else { return false };
        value
            .split(',')
            .map(str::trim)
            .any(|entry| entry == rule.name || entry.eq_ignore_ascii_case(rule.code))
    }
}

/// Collects one rule's findings.
pub(crate) struct Emitter<'r> {
    rule: &'r Rule,
    configured: Option<Severity>,
    findings: &'r mut Vec<Finding>,
    suppressed: &'r mut Vec<Finding>,
}

impl Emitter<'_> {
    /// A finding at the field `path` of `subject` (`""`: the object), with
    /// the rule's severity.
    pub(crate) fn emit(&mut self, subject: &Subject<'_>, path: &str, message: String, fix: String) {
        self.emit_with(self.rule.default_severity, subject, path, message, fix);
    }

    /// A finding with `severity` instead of the rule's default (a configured
    /// severity still wins).
    pub(crate) fn emit_with(
        &mut self,
        severity: Severity,
        subject: &Subject<'_>,
        path: &str,
        message: String,
        fix: String,
    ) {
        let location = subject.location(path);
        let finding = Finding {
            code: self.rule.code,
            rule: self.rule.name,
            severity: self.configured.unwrap_or(severity),
            object: ObjectRef {
                kind: subject.kind.to_owned(),
                namespace: subject.namespace.map(str::to_owned),
                name: subject.name.to_owned(),
            },
            file: location.file,
            line: (location.line > 0).then_some(location.line),
            column: (location.line > 0 && location.column > 0).then_some(location.column),
            message,
            fix,
        };
        if subject.ignores(self.rule) {
            self.suppressed.push(finding);
        } else {
            self.findings.push(finding);
        }
    }
}

/// Notes for entries of [`IGNORE_ANNOTATION`] that name no rule.
fn annotation_notes(cluster: &Cluster) -> Vec<Diagnostic> {
    let metas = cluster
        .services()
        .iter()
        .map(|o| (&o.value.metadata, &o.origin))
        .chain(cluster.ingresses().iter().map(|o| (&o.value.metadata, &o.origin)))
        .chain(cluster.network_policies().iter().map(|o| (&o.value.metadata, &o.origin)))
        .chain(cluster.workloads().iter().map(|w| (&w.metadata, &w.origin)));
    let mut annotated: Vec<(&BTreeMap<String, String>, Location)> =
        metas.filter_map(|(meta, origin)| Some((meta.annotations.as_ref()?, origin.location()))).collect();
    let namespaces =
        cluster.namespaces().values().filter_map(|ns| Some((&ns.annotations, ns.origin.as_ref()?)));
    for (annotations, origin) in namespaces {
        annotated.push((annotations, origin.location()));
    }
    let mut notes = Vec::new();
    for (annotations, location) in annotated {
        let Some(value) = annotations.get(IGNORE_ANNOTATION) else { continue };
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if find_rule(entry).is_none() {
                let unknown = unknown_rule(entry);
                notes
                    .push(Diagnostic::warning(location.clone(), format!("`{IGNORE_ANNOTATION}`: {unknown}")));
            }
        }
    }
    notes.sort();
    notes.dedup();
    notes
}

/// `` `a`, `b` and `c` ``, with at most `limit` items and a count of the rest.
pub(crate) fn list(items: &[String], limit: usize) -> String {
    let quoted: Vec<String> = items.iter().take(limit).map(|i| format!("`{i}`")).collect();
    let rest = items.len().saturating_sub(limit);
    match (quoted.as_slice(), rest) {
        ([], _) => String::new(),
        ([one], 0) => one.clone(),
        (_, 0) => {
            let (last, init) = quoted.split_last().expect("at least two items");
            format!("{} and {last}", init.join(", "))
        }
        _ => format!("{} and {rest} more", quoted.join(", ")),
    }
}

/// `1 pod`, `2 pods`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod fix_tests;

#[cfg(test)]
mod fix_tests_gateway;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(rule.code.starts_with("KR") && rule.code[2..].parse::<u32>().is_ok(), "{}", rule.code);
            assert!(
                rule.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                rule.name
            );
            for heading in
                ["What it does", "Why does this break traffic?", "Example", "Known problems", "References"]
            {
                assert!(!rule.section(heading).is_empty(), "{}: no `## {heading}` section", rule.name);
            }
            assert!(rule.doc_text().contains("\nUse instead"), "{}: no `Use instead:`", rule.name);
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'), "{}: summary style", rule.name);
        }
        let sorted: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut expected = sorted.clone();
        expected.sort();
        assert_eq!(sorted, expected, "RULES is in code order");
    }

    #[test]
    fn rules_are_found_by_name_or_code() {
        assert_eq!(find_rule("service-no-matching-pods").map(|r| r.code), Some("KR101"));
        assert_eq!(find_rule("kr101").map(|r| r.name), Some("service-no-matching-pods"));
        assert!(find_rule("nope").is_none());
        assert_eq!(unknown_rule("service-no-matching-pod").suggestion, Some("service-no-matching-pods"));
    }

    #[test]
    fn config_files() {
        let config = parse_config(&json!({"check": {"fail-on": "warning", "rules": {
            "namespace-no-default-deny": "off", "KR107": "error", "ingress-rule-conflict": true}}}))
        .unwrap();
        assert_eq!(config.fail_on, Some(Severity::Warning));
        assert!(!config.rules.is_enabled(&NamespaceNoDefaultDeny::RULE));
        assert_eq!(config.rules.severity(&LoadbalancerPending::RULE), Some(Severity::Error));
        assert!(config.rules.is_enabled(&IngressRuleConflict::RULE));
        assert_eq!(parse_config(&Value::Null), Ok(FileConfig::default()));

        let check = |value: Value, path: &str, message: &str| {
            let error = parse_config(&value).unwrap_err();
            assert_eq!((error.path.as_str(), error.message.as_str()), (path, message));
        };
        check(json!({"chek": {}}), "chek", "unknown key `chek`: expected `check`");
        check(
            json!({"check": {"rules": {"service-no-matching-pod": "off"}}}),
            "check.rules.service-no-matching-pod",
            "unknown rule `service-no-matching-pod`: did you mean `service-no-matching-pods`?",
        );
        check(
            json!({"check": {"rules": {"KR101": "loud"}}}),
            "check.rules.KR101",
            "`loud` is not a setting: use `off`, `on`, `error`, `warning` or `info`",
        );
        check(
            json!({"check": {"fail-on": "never"}}),
            "check.fail-on",
            "`fail-on` must be `error`, `warning` or `info`",
        );
    }

    #[test]
    fn lists_read_like_prose() {
        let items = |n: usize| (1..=n).map(|i| format!("p{i}")).collect::<Vec<_>>();
        assert_eq!(list(&items(1), 3), "`p1`");
        assert_eq!(list(&items(2), 3), "`p1` and `p2`");
        assert_eq!(list(&items(3), 3), "`p1`, `p2` and `p3`");
        assert_eq!(list(&items(5), 3), "`p1`, `p2`, `p3` and 2 more");
    }

    #[test]
    fn suppression_by_annotation_and_config() {
        use crate::check::testing::cluster;
        let objects = vec![
            json!({"kind": "Service", "metadata": {"name": "s", "namespace": "a",
            "annotations": {"kubereach.io/ignore": "KR101, not-a-rule"}},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}),
            json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": {"app": "y"}}}),
        ];
        let cluster = cluster(objects);
        let report =
            check(&cluster, &Config::default(), &crate::cni::behaviour(&cluster, &Default::default()));
        assert!(report.findings.iter().all(|f| f.rule != "service-no-matching-pods"), "{report:#?}");
        assert_eq!(report.suppressed.len(), 1);
        assert_eq!(report.notes.len(), 1);
        assert_eq!(report.notes[0].message, "`kubereach.io/ignore`: unknown rule `not-a-rule`");

        let mut config = Config::default();
        config.set("service-no-matching-pods", RuleSetting::Off).unwrap();
        let report = check(&cluster, &config, &crate::cni::behaviour(&cluster, &Default::default()));
        assert!(report.suppressed.is_empty());
    }
}
