//! The input directories of netpol-analyzer's test suite (kept in the shared
//! folder beside the repository) all load, except the deliberately broken
//! ones, which fail with exit 2 and `file:line:` messages.

use std::path::{Path, PathBuf};

use super::util::{repo_root, run_in};

/// Cases whose input is broken, each with what is wrong. netpol-analyzer
/// rejects them too, except where noted.
const EXPECTED_TO_FAIL: &[(&str, &str)] = &[
    ("anp_bad_path_test_12", "an AdminNetworkPolicy egress rule without `action`"),
    ("anp_bad_path_test_18", "an AdminNetworkPolicy action `Ok`"),
    ("anp_bad_path_test_4", "an AdminNetworkPolicy without `subject`"),
    ("anp_bad_path_test_9", "an AdminNetworkPolicy action `Accept`"),
    ("bad_yamls", "a YAML file that is not a Kubernetes object (no `kind`)"),
    ("banp_bad_path_test_3", "a BaselineAdminNetworkPolicy without `subject`"),
    ("dirty", "unrendered template markup: a quoted scalar followed by more text"),
    ("document_with_syntax_error", "a quoted scalar followed by more text"),
    ("malformed-pod-example-2", "a Pod whose `ports` is a mapping"),
    ("malformed-pod-example-3", "a JSON document without `kind`"),
    ("malformed-pod-example-4", "a JSON document without `kind`"),
    ("malformed-pod-example-5", "an `@` starting a plain scalar, and a JSON document without `kind`"),
    ("malformed_pod_example", "a `containerPort` that is a list"),
    // Known difference: NetworkAttachmentDefinitions with a single-quoted
    // multi-line scalar whose closing line is not indented past its key.
    // The YAML spec forbids it, and our parser follows the spec; Go's YAML
    // library accepts it. The kind is not used by the model either way.
    ("nad_test_12", "known difference: a quoted scalar's continuation line not indented"),
    ("nad_test_13", "known difference: a quoted scalar's continuation line not indented"),
    ("nad_test_14", "known difference: a quoted scalar's continuation line not indented"),
    ("onlineboutique_with_pods_severe_error", "a quoted scalar followed by more text"),
    ("udn_with_ingress_controller", "a Pod with `apiVersion: apps/v1`"),
    ("udn_with_ingress_controller_two_pods", "Pods with `apiVersion: apps/v1`"),
];

/// The peer cases' input folder, or `None` (with a printed reason) when
/// the shared folder is not beside the repository.
fn peer_cases() -> Option<PathBuf> {
    let dir = repo_root().join("..").join("shared").join("peer-cases").join("netpol-analyzer").join("tests");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no netpol-analyzer peer cases at {}", dir.display());
        None
    }
}

fn case_dirs(root: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root)
        .expect("read the peer cases")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs
}

/// Whether `line` reads `CASE/FILE:LINE: error: MESSAGE` with a line number.
fn is_located_error(case: &str, line: &str) -> bool {
    let Some(rest) = line.strip_prefix(&format!("{case}/")) else { return false };
    let Some((location, message)) = rest.split_once(": error: ") else { return false };
    let Some((file, number)) = location.rsplit_once(':') else { return false };
    !file.is_empty() && number.parse::<u32>().is_ok_and(|n| n > 0) && !message.is_empty()
}

#[test]
fn peer_cases_load_except_the_broken_ones() {
    let Some(root) = peer_cases() else { return };
    let dirs = case_dirs(&root);
    for (case, _) in EXPECTED_TO_FAIL {
        assert!(dirs.iter().any(|d| d == case), "`{case}` is listed as broken but is not a peer case");
    }
    let mut problems = Vec::new();
    for case in &dirs {
        let run = run_in(&root, &["inventory", "-f", case], None);
        if run.code.is_none() || run.stderr.contains("panicked") {
            problems.push(format!("{case}: crashed\n{run}"));
            continue;
        }
        let errors: Vec<&str> = run.stderr.lines().filter(|l| l.contains(": error: ")).collect();
        if EXPECTED_TO_FAIL.iter().any(|(c, _)| c == case) {
            if run.code != Some(2) || errors.is_empty() {
                problems.push(format!("{case}: expected exit 2 with errors\n{run}"));
            } else if let Some(bad) = errors.iter().find(|l| !is_located_error(case, l)) {
                problems.push(format!("{case}: error without `file:line:`: {bad}"));
            }
        } else if run.code != Some(0) || !errors.is_empty() {
            problems.push(format!("{case}: expected to load\n{run}"));
        }
    }
    assert!(problems.is_empty(), "{} peer cases misbehave:\n{}", problems.len(), problems.join("\n"));
}

/// A tab at the start of a continuation line inside a flow sequence is
/// separation space (Go's YAML library accepts it, and so must we).
#[test]
fn peer_case_with_tabs_in_a_flow_sequence_loads() {
    let Some(root) = peer_cases() else { return };
    let case = "acs-security-demos-added-workloads";
    let run = run_in(&root, &["inventory", "-f", case], None);
    run.assert_code(0);
    assert!(!run.stderr.contains(": error: "), "{run}");
}
