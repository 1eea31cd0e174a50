//! The selector language
//! (<https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors>)
//! and `types` defaults.

use std::collections::BTreeMap;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// `(expression, labels, expected match)`.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);

fn check(cases: &[Case<'_>]) {
    for (text, object, expect) in cases {
        let selector = Selector::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(selector.matches(&labels(object)), *expect, "{text} on {object:?}");
    }
}

#[test]
fn operators() {
    check(&[
        ("all()", &[], true),
        ("", &[], true),
        ("global()", &[("a", "b")], false),
        ("role == 'db'", &[("role", "db")], true),
        ("role == \"db\"", &[("role", "web")], false),
        ("role != 'db'", &[("role", "web")], true),
        ("has(role)", &[("role", "")], true),
        ("!has(role)", &[("role", "x")], false),
        ("role in {'a', 'b'}", &[("role", "b")], true),
        ("role in {'a', 'b'}", &[], false),
        ("role not in {'a'}", &[], true),
        ("role not in {'a'}", &[("role", "a")], false),
        ("name contains 'end'", &[("name", "frontend")], true),
        ("name starts with 'front'", &[("name", "frontend")], true),
        ("name ends with 'x'", &[("name", "frontend")], false),
        ("app == 'a' && tier == 'b'", &[("app", "a"), ("tier", "b")], true),
        ("app == 'a' && tier == 'b'", &[("app", "a")], false),
        ("app == 'a' || tier == 'b'", &[("tier", "b")], true),
        ("!(app == 'a' || app == 'b')", &[("app", "c")], true),
        (
            "projectcalico.org/namespace == 'x' && k8s-app == 'dns'",
            &[("projectcalico.org/namespace", "x"), ("k8s-app", "dns")],
            true,
        ),
    ]);
}

// Precedence: `&&` binds tighter than `||`, as in the reference's grammar.
#[test]
fn precedence() {
    check(&[("a == '1' || b == '1' && c == '1'", &[("a", "1")], true)]);
    check(&[("(a == '1' || b == '1') && c == '1'", &[("a", "1")], false)]);
}

#[test]
fn errors_name_the_column_and_never_panic() {
    let cases = [
        ("role = 'db'", 6),
        ("role == db", 9),
        ("has(role", 9),
        ("(a == 'b'", 10),
        ("a in {'x' 'y'}", 11),
        ("a == 'unterminated", 6),
        ("&& a == 'b'", 1),
        ("a == 'b' extra", 10),
    ];
    for (text, column) in cases {
        let error = Selector::parse(text).expect_err(text);
        assert_eq!(error.column, column, "{text}: {error}");
    }
    let deep = format!("{}a == 'b'{}", "(".repeat(200), ")".repeat(200));
    assert!(Selector::parse(&deep).is_err());
    let bang = format!("{}has(a)", "!".repeat(10_000));
    assert!(Selector::parse(&bang).is_err());
    for text in ["\u{0}", "'", "a in {", "a not", "a starts", "has()", "!", "()", "é == 'x'"] {
        assert!(Selector::parse(text).is_err(), "{text}");
    }
}

#[test]
fn cannot_match() {
    let never = |text: &str| Selector::parse(text).unwrap().cannot_match();
    assert_eq!(never("has(a) && !has(a)"), Some(true));
    assert_eq!(never("a == 'x' && a == 'y'"), Some(true));
    assert_eq!(never("a in {} "), Some(true));
    assert_eq!(never("a == 'x' && a != 'y'"), Some(false));
    assert_eq!(never("all()"), Some(false));
    assert_eq!(never("global()"), Some(true));
}

// "If `types` has no value, Calico defaults as follows": Ingress without
// egress rules, Egress with only egress rules, both with both.
#[test]
fn types_defaults() {
    let rule = || Rule { action: "Allow".to_owned(), ..Rule::default() };
    let spec = |ingress: bool, egress: bool| PolicySpec {
        ingress: ingress.then(|| vec![rule()]),
        egress: egress.then(|| vec![rule()]),
        ..PolicySpec::default()
    };
    assert_eq!(spec(false, false).effective_types(), (true, false));
    assert_eq!(spec(true, false).effective_types(), (true, false));
    assert_eq!(spec(false, true).effective_types(), (false, true));
    assert_eq!(spec(true, true).effective_types(), (true, true));
    let explicit = PolicySpec { types: Some(vec!["Egress".to_owned()]), ..spec(true, false) };
    assert_eq!(explicit.effective_types(), (false, true));
}

// Checked against Calico's evaluator (`lib/std/selector/parser/ast.go` in
// projectcalico/calico): `LabelNeValueNode.Evaluate` returns true when the
// label is absent, `LabelNotInSetNode` likewise, and `HasNode` only asks
// whether the key is present, whatever its value (the empty string
// included). The reference's table ("k != 'v': matches any resource with
// the label 'k' and value that is not 'v'") is silent on the absent label;
// the evaluator decides.
#[test]
fn absent_labels_as_calicos_evaluator_reads_them() {
    check(&[
        ("role != 'db'", &[], true),
        ("role != 'db'", &[("role", "db")], false),
        ("role not in {'db'}", &[], true),
        ("role in {'db'}", &[], false),
        ("has(role)", &[], false),
        ("has(role)", &[("role", "")], true),
        ("!has(role)", &[], true),
        ("role == ''", &[], false),
        ("role == ''", &[("role", "")], true),
        ("!(role == 'db')", &[], true),
        ("role contains ''", &[], false),
    ]);
}

// The tier reference: "The default tier ... has the order of 1,000,000.
// This value is fixed" (policy tiers tutorial); Kubernetes NetworkPolicies
// are converted to policies of order 1000 in it.
#[test]
fn default_tier_constants() {
    assert_eq!(DEFAULT_TIER, "default");
    assert_eq!(DEFAULT_TIER_ORDER, 1_000_000.0);
    assert_eq!(KUBERNETES_POLICY_ORDER, 1000.0);
    assert_eq!(PolicySpec::default().tier_name(), DEFAULT_TIER);
    let empty = PolicySpec { tier: Some(String::new()), ..PolicySpec::default() };
    assert_eq!(empty.tier_name(), DEFAULT_TIER);
}
