//! `--format sarif` validates against the SARIF 2.1.0 JSON schema (the
//! OASIS schema, as bundled by the `serde-sarif` crate, copied into
//! `fixtures/`) and carries what GitHub code scanning needs.

use std::collections::BTreeSet;

use super::util::{snapshot, TestDir};

const SCHEMA: &str = include_str!("fixtures/sarif-schema-2.1.0.json");

#[test]
fn sarif_is_valid_and_complete() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    let run = dir.run(&["check", "--format", "sarif", "-f", "demo"]);
    run.assert_code(1);
    let sarif = run.json();

    // The schema's `run.language` pattern, `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`,
    // has a stray `]` that ECMAScript regexes take literally and Rust's
    // reject; it is escaped here so that the schema compiles.
    let schema = SCHEMA.replace("[a-zA-Z]{2}]?$", r"[a-zA-Z]{2}\\]?$");
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0:\n{}", errors.join("\n"));

    // What GitHub code scanning reads
    // (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "kubereach");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), kubereach_core::check::RULES.len());
    let mut ids = BTreeSet::new();
    for rule in rules {
        assert!(ids.insert(rule["id"].as_str().unwrap().to_owned()));
        for field in ["shortDescription", "fullDescription"] {
            assert!(!rule[field]["text"].as_str().unwrap().is_empty(), "{field} of {rule}");
        }
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## Why does this break traffic?"));
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
        assert!(
            ["error", "warning", "note"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let results = run0["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let id = result["ruleId"].as_str().unwrap();
        assert!(ids.contains(id), "{id}");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("demo/") && uri.ends_with(".yaml"), "{uri}");
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(physical["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    // The results, without the rules' long help.
    snapshot!("demo_sarif_results", serde_json::to_string_pretty(results).unwrap());
}
