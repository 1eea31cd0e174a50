//! `check` as text, JSON (`kubereach.check/v1`) and SARIF 2.1.0.

use std::collections::BTreeMap;
use std::fmt::Write;

use kubereach_core::check::{find_rule, CheckReport, Finding, Rule, Severity, RULES, RULE_DOCS_URL};
use kubereach_core::{Diagnostic, Severity as DiagnosticSeverity};
use serde_json::{json, Value};

use super::terminal::{paint, Paint};

/// The human form: findings grouped by object, each as
/// `path:line:col: severity[CODE]: message` with `help:` and `docs:` lines,
/// then a summary.
pub fn human(report: &CheckReport) -> String {
    let mut out = String::new();
    // Groups in the order of their first finding (findings are sorted by location).
    let mut order: Vec<&kubereach_core::check::ObjectRef> = Vec::new();
    let mut groups: BTreeMap<&kubereach_core::check::ObjectRef, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        let group = groups.entry(&finding.object).or_default();
        if group.is_empty() {
            order.push(&finding.object);
        }
        group.push(finding);
    }
    for object in order {
        let name = match &object.namespace {
            Some(namespace) => format!("{namespace}/{}", object.name),
            None => object.name.clone(),
        };
        let _ = writeln!(out, "{} {name}", object.kind);
        for finding in &groups[object] {
            let _ = writeln!(
                out,
                "{}: {}[{}]: {}",
                location(finding),
                paint(severity_paint(finding.severity), finding.severity.as_str()),
                finding.code,
                finding.message
            );
            let _ = writeln!(out, "  help: {}", finding.fix);
            if let Some(rule) = find_rule(finding.rule) {
                let _ = writeln!(out, "  docs: {}", rule.docs_url());
            }
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// Errors red, warnings yellow, information cyan.
fn severity_paint(severity: Severity) -> Paint {
    match severity {
        Severity::Error => Paint::Bad,
        Severity::Warning => Paint::Warn,
        Severity::Info => Paint::Info,
    }
}

/// `file:line:col`, `<stdin>:line:col` or `<input>` when nothing is known
/// (column 1 when the loader did not record one: a live cluster's objects).
fn location(finding: &Finding) -> String {
    let column = finding.column.unwrap_or(1);
    match (&finding.file, finding.line) {
        (Some(file), Some(line)) => format!("{file}:{line}:{column}"),
        (Some(file), None) => file.clone(),
        (None, Some(line)) => format!("<stdin>:{line}:{column}"),
        (None, None) => "<input>".to_owned(),
    }
}

/// `3 findings (1 error, 2 warnings) in 2 objects; 1 suppressed`.
fn summary(report: &CheckReport) -> String {
    let count = |severity: Severity| report.findings.iter().filter(|f| f.severity == severity).count();
    let mut parts = Vec::new();
    for (severity, one, many) in [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ] {
        match count(severity) {
            0 => {}
            1 => parts.push(format!("1 {one}")),
            n => parts.push(format!("{n} {many}")),
        }
    }
    let mut text = if report.findings.is_empty() {
        "no findings".to_owned()
    } else {
        let objects: std::collections::BTreeSet<_> = report.findings.iter().map(|f| &f.object).collect();
        format!(
            "{} ({}) in {}",
            plural(report.findings.len(), "finding", "findings"),
            parts.join(", "),
            plural(objects.len(), "object", "objects")
        )
    };
    if !report.suppressed.is_empty() {
        let _ = write!(
            text,
            "; {} suppressed by `{}`",
            report.suppressed.len(),
            kubereach_core::check::IGNORE_ANNOTATION
        );
    }
    text
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What loading the input said, beside the findings.
pub struct Input<'a> {
    /// The loader's diagnostics.
    pub diagnostics: &'a [Diagnostic],
    /// Kinds the model does not use, with how many objects of each were skipped.
    pub skipped_kinds: &'a BTreeMap<String, usize>,
}

/// `skipped (not used by the model): 1 Certificate, 2 ServiceAccount`, as
/// `inventory` says it, or nothing: an unknown kind that is a typo should
/// not vanish from a `check` run.
pub fn skipped_kinds(skipped: &BTreeMap<String, usize>) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let kinds: Vec<String> = skipped.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    format!("skipped (not used by the model): {}\n", kinds.join(", "))
}

/// SARIF's `invocations`: whether loading succeeded, and each loader
/// diagnostic and skipped kind as a tool execution notification.
fn sarif_invocations(input: &Input<'_>) -> Value {
    let mut notifications: Vec<Value> = input
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let level = match diagnostic.severity {
                DiagnosticSeverity::Error => "error",
                DiagnosticSeverity::Warning => "warning",
                DiagnosticSeverity::Note => "note",
            };
            let mut notification = json!({ "level": level, "message": { "text": diagnostic.message } });
            let location = &diagnostic.location;
            let uri = file_uri(location.file.as_deref().unwrap_or(STDIN));
            let mut physical = json!({ "artifactLocation": { "uri": uri } });
            if location.line > 0 {
                physical["region"] = json!({ "startLine": location.line });
            }
            notification["locations"] = json!([{ "physicalLocation": physical }]);
            notification
        })
        .collect();
    notifications.extend(input.skipped_kinds.iter().map(|(kind, n)| {
        json!({ "level": "note", "message": { "text": format!("skipped {n} `{kind}`: not used by the model") } })
    }));
    let successful = !input.diagnostics.iter().any(|d| d.severity == DiagnosticSeverity::Error);
    json!([{ "executionSuccessful": successful, "toolExecutionNotifications": notifications }])
}

/// The name standard input goes by, as in the human output.
const STDIN: &str = "<stdin>";

/// The catalogue as text: code, name, default severity and summary.
pub fn rules_human() -> String {
    let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in RULES {
        let _ = writeln!(
            out,
            "{}  {:width$}  {:7}  {}",
            rule.code,
            rule.name,
            rule.default_severity.as_str(),
            rule.summary
        );
    }
    out
}

/// The catalogue as JSON (`kubereach.rules/v1`).
pub fn rules_json() -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "code": rule.code,
                "name": rule.name,
                "severity": rule.default_severity,
                "summary": rule.summary,
                "docs": rule.docs_url(),
            })
        })
        .collect();
    json!({ "schema": "kubereach.rules/v1", "rules": rules })
}

/// SARIF 2.1.0, as GitHub code scanning reads it: every rule with its
/// page as help, every finding with its file, line and column.
pub fn sarif(report: &CheckReport, input: &Input<'_>) -> Value {
    let index: BTreeMap<&str, usize> = RULES.iter().enumerate().map(|(i, r)| (r.name, i)).collect();
    let rules: Vec<Value> = RULES.iter().map(sarif_rule).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let mut result = json!({
                "ruleId": finding.code,
                "ruleIndex": index.get(finding.rule).copied().unwrap_or_default(),
                "level": sarif_level(finding.severity),
                "message": { "text": format!("{}\nhelp: {}", finding.message, finding.fix) },
                "partialFingerprints": { "kubereachFinding/v1": fingerprint(finding) },
            });
            let mut location = json!({
                "logicalLocations": [{
                    "name": finding.object.name,
                    "fullyQualifiedName": format!(
                        "{}/{}/{}",
                        finding.object.namespace.as_deref().unwrap_or("-"),
                        finding.object.kind,
                        finding.object.name
                    ),
                    "kind": "resource",
                }],
            });
            // Findings on standard input have a line and no file name.
            if let Some(file) = finding.file.as_deref().or(finding.line.map(|_| STDIN)) {
                let mut physical = json!({ "artifactLocation": { "uri": file_uri(file) } });
                if let Some(line) = finding.line {
                    let column = finding.column.unwrap_or(1);
                    physical["region"] = json!({ "startLine": line, "startColumn": column });
                }
                location["physicalLocation"] = physical;
            }
            result["locations"] = json!([location]);
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "kubereach",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": RULE_DOCS_URL,
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": sarif_invocations(input),
            "results": results,
        }]
    })
}

fn sarif_rule(rule: &Rule) -> Value {
    let what = rule.section("What it does").replace('\n', " ");
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": what },
        "help": { "text": rule.doc_text(), "markdown": kubereach_core::check::markdown_page(rule) },
        "helpUri": rule.docs_url(),
        "defaultConfiguration": { "level": sarif_level(rule.default_severity) },
        "properties": { "tags": ["kubernetes", "networking"], "precision": "high" },
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference (percent-encoded), an absolute one
/// as a `file://` URI.
fn file_uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut encoded = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
    }
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// A stable identity of a finding across runs and line moves (FNV-1a of
/// rule, object and message).
fn fingerprint(finding: &Finding) -> String {
    let text = format!(
        "{}\0{}\0{}\0{}\0{}",
        finding.code,
        finding.object.kind,
        finding.object.namespace.as_deref().unwrap_or_default(),
        finding.object.name,
        finding.message
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
