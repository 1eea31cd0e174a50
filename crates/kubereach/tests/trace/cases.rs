//! The single-fault cases: each directory of `tests/trace/fixtures/` has a
//! `cmd` file, one `kubereach` command per line (run in the fixtures
//! directory) ending with `# => allowed` or `# => blocked at LAYER`, and one
//! snapshot, `trace__cases__<directory>.snap`, of all its runs.

use std::collections::BTreeSet;

use super::util::{check_contract, fixtures, run, snapshot};

/// The cases, by directory name.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("read the fixtures")
        .map(|entry| entry.expect("a fixtures entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_case() {
    let root = fixtures();
    let mut failures = Vec::new();
    for case in cases() {
        let commands = std::fs::read_to_string(root.join(&case).join("cmd"))
            .unwrap_or_else(|_| panic!("case `{case}` has no `cmd` file"));
        let mut output = String::new();
        for line in commands.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let (command, expected) =
                line.split_once("# =>").unwrap_or_else(|| panic!("`{line}` has no `# =>`"));
            let args: Vec<&str> = command.split_whitespace().collect();
            let result = run(&root, &args);
            let expected = expected.trim();
            let json_args: Vec<&str> = if args.contains(&"json") {
                args.clone()
            } else {
                [args.as_slice(), &["--format", "json"]].concat()
            };
            let json = run(&root, &json_args).json();
            check_contract(&json);
            let verdict = match json["blocked_at"].as_str() {
                Some(layer) => format!("blocked at {layer}"),
                None => "allowed".to_owned(),
            };
            if verdict != expected {
                failures
                    .push(format!("{case}: `{}` gives `{verdict}`, expected `{expected}`", args.join(" ")));
            }
            let code = if verdict == "allowed" { 0 } else { 1 };
            if result.code != Some(code) {
                failures.push(format!("{case}: exit code {:?}, expected {code}:\n{result}", result.code));
            }
            output.push_str(&result.to_string());
            output.push('\n');
        }
        snapshot!(case.as_str(), output);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// At least ten single-fault cases, each naming a different layer or fault.
#[test]
fn enough_faults() {
    let faults = cases().into_iter().filter(|c| c != "healthy").count();
    assert!(faults >= 10, "{faults} fault cases");
}

/// Every `trace__cases__*` snapshot belongs to a case.
#[test]
fn no_orphan_snapshots() {
    let cases: BTreeSet<String> = cases().into_iter().collect();
    let snapshots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("snapshots");
    for entry in std::fs::read_dir(snapshots).expect("read the snapshots") {
        let name = entry.expect("a snapshot").file_name().to_string_lossy().into_owned();
        let Some(case) = name.strip_prefix("trace__cases__").and_then(|n| n.strip_suffix(".snap")) else {
            continue;
        };
        assert!(cases.contains(case), "snapshot `{name}` has no case directory");
    }
}
