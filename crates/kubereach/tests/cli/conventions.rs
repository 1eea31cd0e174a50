//! Checks over this crate's snapshots (`tests/snapshots/cli__*.snap`; other
//! test crates share the folder): diagnostics follow the message convention,
//! and every snapshot file belongs to a test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn snapshot_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(tests_dir().join("snapshots"))
        .expect("read tests/snapshots")
        .map(|e| e.expect("read a snapshot entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("cli__")))
        .collect();
    files.sort();
    files
}

/// Kinds may start a message (`Service has no ...`): they are names.
const KINDS: &[&str] = &[
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ConfigMap",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "EndpointSlice",
    "Endpoints",
    "Ingress",
    "IngressClass",
    "Job",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "Pod",
    "ReplicaSet",
    "ReplicationController",
    "Secret",
    "Service",
    "StatefulSet",
];

/// Messages start in lowercase (or with a backtick, a digit or a kind) and
/// end without a period, as in `STYLE.md`.
fn follows_the_convention(message: &str) -> bool {
    let starts_well = message.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit() || c == '`')
        || KINDS.iter().any(|kind| message.strip_prefix(kind).is_some_and(|rest| rest.starts_with(' ')));
    starts_well && !message.ends_with('.')
}

#[test]
fn diagnostics_in_snapshots_follow_the_message_convention() {
    let mut bad = Vec::new();
    for file in snapshot_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            for severity in [": error: ", ": warning: ", ": note: "] {
                if let Some((_, message)) = line.split_once(severity) {
                    if !follows_the_convention(message) {
                        bad.push(format!("{}: {line}", file.file_name().unwrap().to_string_lossy()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "messages that break the convention:\n{}", bad.join("\n"));
}

/// Every `tests/snapshots/cli__MODULE__NAME.snap` has a `snapshot!("NAME", …)`
/// in `tests/cli/MODULE.rs`: no orphans are left behind by renamed tests.
#[test]
fn every_snapshot_belongs_to_a_test() {
    let mut expected = BTreeSet::new();
    for entry in std::fs::read_dir(tests_dir().join("cli")).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        for call in source.split("snapshot!(\"").skip(1) {
            let name = call.split('"').next().unwrap();
            expected.insert(format!("cli__{module}__{name}.snap"));
        }
    }
    let orphans: Vec<String> = snapshot_files()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !expected.contains(name))
        .collect();
    assert!(orphans.is_empty(), "snapshots without a test (delete them): {orphans:?}");
}
