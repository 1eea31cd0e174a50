//! Every rule fires on the failing example of its page and not on the fixed
//! one; the fixed examples are clean at warning level and above. Messages
//! follow the style guide.

use kubereach_core::check::{self, yaml_examples, CheckReport, Config, Finding, Severity, RULES};
use kubereach_core::{Cluster, ClusterBuilder};

/// Loads `text` as the file `name`, asserting that it loads without errors.
pub fn load(name: &str, text: &str) -> Cluster {
    let mut builder = ClusterBuilder::new();
    kubereach_load::load_str(Some(name), text, &mut builder);
    let cluster = builder.build();
    let errors: Vec<String> = cluster
        .diagnostics()
        .iter()
        .filter(|d| d.severity == kubereach_core::Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{name} does not load:\n{}", errors.join("\n"));
    cluster
}

/// `check` with every rule on and the default options.
pub fn run(cluster: &Cluster) -> CheckReport {
    check::check(cluster, &Config::default(), &kubereach_core::cni::behaviour(cluster, &Default::default()))
}

/// Asserts the message style: a lowercase start (or an identifier in
/// backticks, or a number), no final period, balanced backticks.
#[track_caller]
pub fn assert_style(finding: &Finding) {
    for (what, text) in [("message", &finding.message), ("fix", &finding.fix)] {
        let first = text.chars().next().unwrap_or(' ');
        assert!(
            first.is_lowercase() || first == '`' || first.is_ascii_digit(),
            "{} {what} must start lowercase: {text}",
            finding.rule
        );
        assert!(!text.ends_with('.'), "{} {what} ends with a period: {text}", finding.rule);
        assert_eq!(
            text.matches('`').count() % 2,
            0,
            "{} {what} has unbalanced backticks: {text}",
            finding.rule
        );
        assert!(!text.contains('\n'), "{} {what} spans lines: {text}", finding.rule);
    }
}

#[test]
fn every_rule_fires_on_its_example_and_not_on_its_fix() {
    let mut problems = Vec::new();
    for rule in RULES {
        let examples = yaml_examples(rule).unwrap_or_else(|| panic!("{}: no examples", rule.name));
        let failing = run(&load(&format!("{}-example.yaml", rule.name), &examples.failing));
        let fired: Vec<&Finding> = failing.findings.iter().filter(|f| f.rule == rule.name).collect();
        if fired.is_empty() {
            problems.push(format!(
                "{}: does not fire on its example; findings: {:#?}",
                rule.name, failing.findings
            ));
        }
        for finding in failing.findings.iter() {
            assert_style(finding);
        }
        let fixed = run(&load(&format!("{}-fixed.yaml", rule.name), &examples.fixed));
        for finding in &fixed.findings {
            assert_style(finding);
            if finding.rule == rule.name {
                problems.push(format!("{}: fires on its fix: {}", rule.name, finding.message));
            } else if finding.severity >= Severity::Warning {
                problems.push(format!("{}: the fix gets `{}`: {}", rule.name, finding.rule, finding.message));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn findings_point_at_the_field() {
    // The example of service-target-port-not-found: line 30 is `targetPort: http`.
    let rule = kubereach_core::check::find_rule("service-target-port-not-found").unwrap();
    let examples = yaml_examples(rule).unwrap();
    let report = run(&load("example.yaml", &examples.failing));
    let finding = report.findings.iter().find(|f| f.rule == rule.name).unwrap();
    let line = examples.failing.lines().nth(finding.line.unwrap() as usize - 1).unwrap();
    assert_eq!(line.trim(), "targetPort: http", "{finding:#?}");
    assert_eq!(finding.file.as_deref(), Some("example.yaml"));
}
