//! The JSON contract and the exit codes: 0 allowed, 1 blocked, 2 for
//! input errors.

use super::util::{crate_dir, fixtures, run, snapshot};

#[test]
fn json_fields_are_the_contract() {
    let result = run(
        &crate_dir(),
        &["trace", "production/frontend", "http://api-service.production/", "-f", "demo", "--format", "json"],
    );
    result.assert_code(1);
    let json = result.json();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    for key in ["schema", "verdict", "blocked_at", "steps"] {
        assert!(keys.contains(&key), "{key} missing: {keys:?}");
    }
    assert_eq!(json["blocked_at"], "network-policy-ingress");
    let step = &json["steps"][0];
    for key in ["layer", "status", "summary", "evidence", "fix", "kubectl"] {
        assert!(step.get(key).is_some(), "{key} missing in {step:#}");
    }
    let ingress =
        json["steps"].as_array().unwrap().iter().find(|s| s["layer"] == "network-policy-ingress").unwrap();
    assert_eq!(ingress["kubectl"], "kubectl get networkpolicy -n production");
}

#[test]
fn input_errors_exit_2() {
    let dir = fixtures();
    let mut out = String::new();
    for args in [
        &["trace", "frontend", "http://api/", "-f", "shop.yaml"][..],
        &["trace", "shop/frontend", "api-service", "-f", "shop.yaml"],
        &["trace", "shop/frontend", "ftp://api/", "-f", "shop.yaml"],
        &["trace", "shop/frontend", "http://api/", "-f", "missing.yaml"],
        &["trace", "shop/frontend", "http://api-service/", "-f", "shop.yaml", "--protocol", "icmp"],
        &["dns", "api-service", "--from", "shop", "-f", "shop.yaml"],
        &["dns", "api-service", "--from", "shop/frontnd", "-f", "shop.yaml"],
    ] {
        let result = run(&dir, args);
        result.assert_code(2);
        out.push_str(&result.to_string());
        out.push('\n');
    }
    snapshot!("input_errors", out);
}

/// `--header` takes `NAME: VALUE`, as curl's `-H` does; anything else is a
/// usage error.
#[test]
fn a_malformed_header_is_an_input_error() {
    let dir = fixtures();
    let args = ["trace", "external", "https://shop.example.com/", "-f", "gateway-api.yaml"];
    for header in ["no-colon", ": value", "two words: x"] {
        let result = run(&dir, &[&args[..], &["--header", header]].concat());
        result.assert_code(2);
        assert!(result.stderr.contains("invalid --header"), "{result}");
    }
    run(&dir, &[&args[..], &["--header", "x-canary: always", "--method", "POST"]].concat()).assert_code(0);
}
