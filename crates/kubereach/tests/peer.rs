//! Correctness against a peer: netpol-analyzer's expected outputs.
//!
//! Data-driven: every `test_outputs/connlist/*_connlist_output.txt` and
//! `test_outputs/diff/diff_between_*.txt` of the peer's test data is a case.
//! The case directory and the options come from the file name; kubereach
//! runs `matrix --format connlist` (or `diff --format connlist`) on it, and
//! the sorted, trimmed, non-empty lines must equal the expected file's.
//!
//! Cases kubereach answers differently on purpose are listed in
//! [`EXPECTED_DIFFERENCES`], each with its reason; the same list, with the
//! same reasons, is in `docs/compatibility.md`. A listed case that starts
//! passing fails the test, as does an unlisted case that fails, so the list
//! stays honest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Reasons, word for word as in `docs/compatibility.md`.
const MULTI_NETWORK: &str =
    "multi-network: UserDefinedNetwork, ClusterUserDefinedNetwork, NetworkAttachmentDefinition and KubeVirt VirtualMachine are not modeled";
const IPV6: &str =
    "netpol-analyzer ignores IPv6 CIDRs in AdminNetworkPolicy `networks` peers; the API accepts them and kubereach keeps them";
const INGRESS_TARGET_PORT: &str =
    "an Ingress backend's `port.number` names a Service port, not a target port; netpol-analyzer also accepts the target port";
const REJECTED: &str =
    "the input holds an object the API server rejects (a Deployment whose selector does not match its template, a name with `_`, a container port 0); kubereach leaves it out, as the cluster would";
const NO_INPUT: &str = "the peer builds this case from objects in its Go code; there is no input directory";

/// Expected-output files kubereach does not reproduce, and why.
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[
    ("anp_test_1_deny_traffic_at_cluster_level_connlist_output.txt", REJECTED),
    ("anp_test_2_allow_traffic_at_cluster_level_connlist_output.txt", REJECTED),
    ("anp_test_ingress_egress_intersection_connlist_output.txt", REJECTED),
    ("example_pods_w_same_owner_and_labels_gap_with_good_match_expression2_connlist_output.txt", REJECTED),
    ("netpol_named_port_test_2_connlist_output.txt", REJECTED),
    ("anp_banp_test_multiple_warnings_connlist_output.txt", IPV6),
    ("cudn_test_1_connlist_output.txt", MULTI_NETWORK),
    ("cudn_test_2_connlist_output.txt", MULTI_NETWORK),
    ("cudn_test_3_connlist_output.txt", MULTI_NETWORK),
    ("cudn_test_4_connlist_output.txt", MULTI_NETWORK),
    ("cudn_test_5_connlist_output.txt", MULTI_NETWORK),
    ("cudn_test_6_connlist_output.txt", MULTI_NETWORK),
    ("diff_between_k8s_ingress_test_new_and_k8s_ingress_test.txt", INGRESS_TARGET_PORT),
    ("diff_between_udn_test_1_and_only_pods_test.txt", MULTI_NETWORK),
    ("nad_test_10_focus_workload_pod-server_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_11_focus_workload_pod-server_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_12_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_13_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_14_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_15_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_16_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_17_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_1_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_2_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_2_tcp-80_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_3_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_4_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_4_focus_workload_pod2_ingress_with_pod3_tcp-80_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_4_tcp-80_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_5_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_6_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_7_focus_workload_pod-server_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_8_connlist_output.txt", MULTI_NETWORK),
    ("nad_test_9_focus_workload_pod-server_connlist_output.txt", MULTI_NETWORK),
    ("test_pod_exposed_only_to_representative_peers_connlist_output.txt", NO_INPUT),
    ("udn_and_vms_test_1_connlist_output.txt", MULTI_NETWORK),
    ("udn_and_vms_test_2_connlist_output.txt", MULTI_NETWORK),
    ("udn_and_vms_test_3_connlist_output.txt", MULTI_NETWORK),
    ("udn_and_vms_test_4_connlist_output.txt", MULTI_NETWORK),
    ("udn_and_vms_test_5_connlist_output.txt", MULTI_NETWORK),
    ("udn_test_1_connlist_output.txt", MULTI_NETWORK),
    ("udn_test_2_connlist_output.txt", MULTI_NETWORK),
    ("udn_test_2_tcp-90_connlist_output.txt", MULTI_NETWORK),
    ("udn_test_3_connlist_output.txt", MULTI_NETWORK),
    ("udn_test_4_connlist_output.txt", MULTI_NETWORK),
    ("udn_with_ingress_controller_connlist_output.txt", MULTI_NETWORK),
    ("udn_with_ingress_controller_two_pods_connlist_output.txt", MULTI_NETWORK),
    ("udn_with_vm_and_ingress_controller_connlist_output.txt", MULTI_NETWORK),
    ("virtual_machines_example_connlist_output.txt", MULTI_NETWORK),
];

/// The peer's test data, next to the workspace.
fn peer_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-cases/netpol-analyzer")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The trimmed, non-empty lines of `text`, as a set.
fn line_set(text: &str) -> BTreeSet<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// What to run for one expected-output file.
#[derive(Debug)]
struct Case {
    /// The expected-output file name.
    name: String,
    /// The expected output.
    expected: PathBuf,
    /// The kubereach arguments.
    args: Vec<String>,
}

/// The longest prefix of `stem` (cut at a `_`, or all of it) that is a case
/// directory, and the rest (without its leading `_`).
fn split_dir<'a>(tests: &Path, stem: &'a str) -> Option<(&'a str, &'a str)> {
    let mut cuts: Vec<usize> = stem.match_indices('_').map(|(i, _)| i).collect();
    cuts.push(stem.len());
    cuts.into_iter().rev().find(|&i| tests.join(&stem[..i]).is_dir()).map(|i| {
        let rest = &stem[i..];
        (&stem[..i], rest.strip_prefix('_').unwrap_or(rest))
    })
}

/// The workload ids (`namespace/name`) of a case directory.
fn workloads(dir: &Path) -> BTreeSet<String> {
    let output = Command::cargo_bin("kubereach")
        .unwrap()
        .args(["matrix", "--format", "json", "--host-network-as-pods", "-f"])
        .arg(dir)
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    value["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| !n["namespace"].is_null())
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect()
}

/// Splits `_`-joined workload references into `namespace/name` or `name`
/// items, choosing an interpretation where every item names a workload of
/// the case (`/` was written as `_` in the file name).
fn focus_items(joined: &str, workloads: &BTreeSet<String>) -> Option<Vec<String>> {
    fn names(item: &str, workloads: &BTreeSet<String>) -> bool {
        item == "ingress-controller"
            || workloads.contains(item)
            || (!item.contains('/') && workloads.iter().any(|w| w.split_once('/').map(|x| x.1) == Some(item)))
    }
    fn go(tokens: &[&str], workloads: &BTreeSet<String>) -> Option<Vec<String>> {
        if tokens.is_empty() {
            return Some(Vec::new());
        }
        if tokens.len() >= 2 {
            let item = format!("{}/{}", tokens[0], tokens[1]);
            if workloads.contains(&item) {
                if let Some(mut rest) = go(&tokens[2..], workloads) {
                    rest.insert(0, item);
                    return Some(rest);
                }
            }
        }
        if names(tokens[0], workloads) {
            if let Some(mut rest) = go(&tokens[1..], workloads) {
                rest.insert(0, tokens[0].to_owned());
                return Some(rest);
            }
        }
        None
    }
    let tokens: Vec<&str> = joined.split('_').collect();
    go(&tokens, workloads)
}

/// A connlist case from its file name.
fn connlist_case(tests: &Path, file: &Path) -> Result<Case, String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let stem = name.strip_suffix("_connlist_output.txt").unwrap();
    let (dir, mut rest) = split_dir(tests, stem).ok_or_else(|| format!("no case directory for {name}"))?;
    let dir_path = tests.join(dir);
    let mut args: Vec<String> =
        vec!["matrix".into(), "--format".into(), "connlist".into(), "--host-network-as-pods".into()];
    args.push("-f".into());
    args.push(dir_path.to_string_lossy().into_owned());
    // `_<proto>-<port>` at the end.
    let (head, last) = rest.rsplit_once('_').unwrap_or(("", rest));
    if let Some((protocol, port)) = last.split_once('-') {
        if ["tcp", "udp", "sctp"].contains(&protocol) && port.parse::<u16>().is_ok() {
            args.push("--port".into());
            args.push(format!("{}/{port}", protocol.to_uppercase()));
            rest = head;
        }
    }
    if let Some(focus) = rest.strip_prefix("focus_workload_") {
        let known = workloads(&dir_path);
        let (focus, peer) = match focus.split_once("_with_") {
            Some((focus, peer)) => (focus, Some(peer)),
            None => (focus, None),
        };
        let (focus, direction) = match focus.rsplit_once('_') {
            Some((head, d)) if d == "ingress" || d == "egress" => (head, Some(d)),
            _ => (focus, None),
        };
        let items = focus_items(focus, &known).ok_or_else(|| format!("cannot resolve focus `{focus}`"))?;
        for item in items {
            args.push("--focus".into());
            args.push(item);
        }
        if let Some(direction) = direction {
            args.push("--direction".into());
            args.push(direction.into());
        }
        if let Some(peer) = peer {
            let items = focus_items(peer, &known).ok_or_else(|| format!("cannot resolve peer `{peer}`"))?;
            for item in items {
                args.push("--focus-peer".into());
                args.push(item);
            }
        }
    } else if !rest.is_empty() {
        return Err(format!("cannot read options `{rest}` of {name}"));
    }
    Ok(Case { name, expected: file.to_owned(), args })
}

/// A diff case: `diff_between_<new>_and_<old>.txt`.
fn diff_case(tests: &Path, file: &Path) -> Result<Case, String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let stem = name.strip_prefix("diff_between_").and_then(|s| s.strip_suffix(".txt")).unwrap();
    let (new, old) = stem
        .match_indices("_and_")
        .map(|(i, _)| (&stem[..i], &stem[i + 5..]))
        .find(|(new, old)| tests.join(new).is_dir() && tests.join(old).is_dir())
        .ok_or_else(|| format!("no case directories for {name}"))?;
    let args = vec![
        "diff".into(),
        "--format".into(),
        "connlist".into(),
        "--host-network-as-pods".into(),
        tests.join(old).to_string_lossy().into_owned(),
        tests.join(new).to_string_lossy().into_owned(),
    ];
    Ok(Case { name, expected: file.to_owned(), args })
}

fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(&keep));
    files.sort();
    files
}

/// Runs a case; `Ok` when the line sets are equal, else a report.
fn run(case: &Case) -> Result<(), String> {
    let expected = line_set(&std::fs::read_to_string(&case.expected).map_err(|e| e.to_string())?);
    let output = Command::cargo_bin("kubereach").unwrap().args(&case.args).output().unwrap();
    if output.status.code() == Some(2) {
        return Err(format!(
            "exit code 2: {}",
            String::from_utf8_lossy(&output.stderr).lines().take(5).collect::<Vec<_>>().join(" | ")
        ));
    }
    let actual = line_set(&String::from_utf8_lossy(&output.stdout));
    if actual == expected {
        return Ok(());
    }
    let mut report = String::new();
    for line in expected.difference(&actual) {
        report.push_str(&format!("\n    - {line}"));
    }
    for line in actual.difference(&expected) {
        report.push_str(&format!("\n    + {line}"));
    }
    Err(report)
}

#[test]
fn netpol_analyzer_expected_outputs() {
    let root = peer_root();
    if !root.is_dir() {
        println!("skipped: the peer test data is not at {}", root.display());
        return;
    }
    let tests = root.join("tests");
    let mut cases: Vec<Result<Case, (String, String)>> = Vec::new();
    for file in files(&root.join("test_outputs/connlist"), |n| n.ends_with("_connlist_output.txt")) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        cases.push(connlist_case(&tests, &file).map_err(|e| (name, e)));
    }
    for file in
        files(&root.join("test_outputs/diff"), |n| n.starts_with("diff_between_") && n.ends_with(".txt"))
    {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        cases.push(diff_case(&tests, &file).map_err(|e| (name, e)));
    }
    assert!(cases.len() > 100, "too few cases found: {}", cases.len());

    let expected: BTreeMap<&str, &str> = EXPECTED_DIFFERENCES.iter().copied().collect();
    assert_eq!(expected.len(), EXPECTED_DIFFERENCES.len(), "a case is listed twice");
    let doc = std::fs::read_to_string(workspace_root().join("docs/compatibility.md"))
        .expect("docs/compatibility.md lists the expected differences");
    for (name, reason) in EXPECTED_DIFFERENCES {
        assert!(doc.contains(name), "docs/compatibility.md does not list {name}");
        assert!(doc.contains(reason), "docs/compatibility.md does not give the reason for {name}: {reason}");
    }

    let mut passed = 0;
    let mut differing = 0;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &cases {
        let (name, result) = match case {
            Ok(case) => (case.name.as_str(), run(case).map_err(|e| format!("{:?}{e}", case.args))),
            Err((name, error)) => (name.as_str(), Err(error.clone())),
        };
        seen.insert(name.to_owned());
        match (result, expected.contains_key(name)) {
            (Ok(()), false) => passed += 1,
            (Err(_), true) => differing += 1,
            (Ok(()), true) => {
                problems.push(format!("{name}: passes now; remove it from the expected differences"))
            }
            (Err(report), false) => problems.push(format!("{name}: {report}")),
        }
    }
    for name in expected.keys() {
        if !seen.contains(*name) {
            problems.push(format!("{name}: listed as an expected difference, but there is no such case"));
        }
    }
    println!("{passed} passed, {differing} expected differences, {} problems", problems.len());
    assert!(problems.is_empty(), "{} of {} cases:\n{}", problems.len(), cases.len(), problems.join("\n"));
}
